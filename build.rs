//! Link settings of the shared library (`libradiomics.so`).
//!
//! A Rust cdylib has no SONAME unless the linker is told one; without it, programs linked against the
//! library record the path they were built with instead of `libradiomics.so.<MAJOR>`. The version script
//! keeps the dynamic symbol table to the C API (`rad_*`), whatever the dependencies export.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os == "android" || target_os.ends_with("bsd") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libradiomics.so.{major}");
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets the manifest dir");
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/src/capi/radiomics.map");
    }
    println!("cargo:rerun-if-changed=src/capi/radiomics.map");
    println!("cargo:rerun-if-changed=build.rs");
}
