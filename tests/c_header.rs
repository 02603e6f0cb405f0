//! The committed C header `include/radiomics.h` is what cbindgen makes of `src/capi/` today.
//!
//! Regenerate it with `RADIOMICS_BLESS=1 cargo test --test c_header`.

use std::path::Path;

fn generate() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/capi/mod.rs"))
        .generate()
        .expect("cbindgen understands src/capi");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("UTF-8 header")
}

#[test]
fn header_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/radiomics.h");
    let fresh = generate();
    if std::env::var_os("RADIOMICS_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write the header");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/radiomics.h is out of date with src/capi; run `RADIOMICS_BLESS=1 cargo test --test c_header`"
    );
}

#[test]
fn header_spells_the_c_names() {
    let h = generate();
    for name in [
        "RAD_OK = 0",
        "RAD_INVALID_ARGUMENT = 100",
        "RAD_INTERNAL = 900",
        "typedef int32_t rad_status;",
        "typedef struct rad_image rad_image;",
        "RAD_FLOAT64 = 10",
        "rad_last_error_message(void)",
    ] {
        assert!(h.contains(name), "header lacks `{name}`");
    }
    let version = |key: &str| -> String {
        let line = h
            .lines()
            .find(|l| l.starts_with(&format!("#define {key} ")))
            .unwrap_or_else(|| panic!("no {key}"));
        line.split_whitespace().nth(2).unwrap().to_string()
    };
    assert_eq!(
        version("RAD_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        version("RAD_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        version("RAD_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION_PATCH")
    );
    // Every export has a doc comment just above it.
    let lines: Vec<&str> = h.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.contains(" rad_") && l.contains('(') && !l.trim_start().starts_with('*') {
            // cbindgen puts the RAD_API prefix on a line of its own before a wrapped declaration.
            let above = lines[..i]
                .iter()
                .rev()
                .find(|p| !p.trim().is_empty() && p.trim() != "RAD_API")
                .unwrap();
            assert!(above.trim_end().ends_with("*/"), "no doc above `{l}`");
        }
    }
}

/// One ABI policy, stated by the header, followed by the SONAME (build.rs) and the CMake version file.
#[test]
fn the_abi_policy_is_the_same_everywhere() {
    let h = generate();
    assert!(h.contains("Within it the ABI only grows"), "header policy");
    assert!(
        h.contains("SameMajorVersion"),
        "header names the CMake compatibility"
    );
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |f: &str| std::fs::read_to_string(format!("{root}/{f}")).unwrap();
    let build = read("build.rs");
    assert!(
        build.contains("-soname,libradiomics.so.{major}"),
        "SONAME per major"
    );
    let cmake = read("CMakeLists.txt");
    assert!(
        cmake.contains("set(_rad_compat SameMajorVersion)"),
        "CMake version file"
    );
    assert!(!cmake.contains("SameMinorVersion"), "one policy only");
    // Every function carries the export macro.
    let lines: Vec<&str> = h.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.contains(" rad_") && l.contains('(') && !l.trim_start().starts_with('*') {
            let prefixed = l.starts_with("RAD_API ") || (i > 0 && lines[i - 1] == "RAD_API");
            assert!(prefixed || l.starts_with("typedef"), "no RAD_API on `{l}`");
        }
    }
}
