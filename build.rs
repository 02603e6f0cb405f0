//! Link settings of the shared library.
//!
//! A Rust cdylib has no SONAME (ELF) or install name (Mach-O) unless the linker is told one; without it,
//! programs linked against the library record the path they were built with instead of
//! `libradiomics.so.<MAJOR>` / `@rpath/libradiomics.<MAJOR>.dylib`.
//!
//! ABI policy (stated the same way in the header, the README and the CMake package): the SONAME's major
//! number names the ABI generation; within it the ABI only grows (functions and enum values are appended,
//! never changed or removed), so a program built against `RAD_ABI_VERSION` n runs with any library of the
//! same SONAME whose `rad_abi_version()` is at least n. Symbols are not versioned: rustc already limits
//! the dynamic symbol table to the crate's exports (the `rad_*` C API, checked by `tests/c`), and a second
//! version script would conflict with rustc's own one under GNU ld.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
    if target_os == "linux" || target_os == "android" || target_os.ends_with("bsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libradiomics.so.{major}");
    } else if target_os == "macos" || target_os == "ios" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libradiomics.{major}.dylib");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
