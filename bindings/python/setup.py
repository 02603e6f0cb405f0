"""Builds radiomics_rs with the radiomics C library inside it.

The crate two folders up is the source of truth: cargo builds its shared library (``cargo rustc --lib
--release``, through setuptools-rust) and the library is copied into the package as
``radiomics_rs/libradiomics.so`` (``.dylib`` / ``.dll`` elsewhere); the package's version is the crate's.
Cargo's usual settings apply: ``CARGO_TARGET_DIR`` (reuse a build folder), ``CARGO_BUILD_JOBS``, ...

The library is loaded with ctypes, not imported as an extension module, so a wheel fits every Python 3 of
its platform: it is tagged ``py3-none-<platform>``.
"""

import os
import re
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools_rust import Binding, RustExtension, Strip

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
CARGO_TOML = os.path.normpath(os.path.join(HERE, "..", "..", "Cargo.toml"))
MODULE = "radiomics_rs.libradiomics"
if sys.platform == "win32":
    LIBRARY = "radiomics.dll"
elif sys.platform == "darwin":
    LIBRARY = "libradiomics.dylib"
else:
    LIBRARY = "libradiomics.so"


def crate_version():
    """The ``version`` of the ``[package]`` table of the crate's Cargo.toml."""
    if not os.path.exists(CARGO_TOML):
        sys.exit(
            f"radiomics_rs: {CARGO_TOML} not found; build the package from a checkout of the radiomics "
            "repository (pip install ./bindings/python)"
        )
    with open(CARGO_TOML, encoding="utf-8") as f:
        text = f.read()
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    version = package and re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    if not version:
        sys.exit(f"radiomics_rs: no [package] version in {CARGO_TOML}")
    return version.group(1)


class BuildExt(build_ext):
    """Names the library as the loader looks for it, not as a Python extension module."""

    def get_ext_filename(self, fullname):
        # Called with the dotted name or with its last part alone (get_ext_fullpath).
        parts = fullname.split(".")
        if parts[-1] == MODULE.rsplit(".", 1)[1]:
            return os.path.join(*parts[:-1], LIBRARY)
        return super().get_ext_filename(fullname)


class BdistWheel(bdist_wheel):
    """Any Python 3, no Python ABI: the library is loaded with ctypes."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    version=crate_version(),
    rust_extensions=[
        RustExtension(
            MODULE,
            path=CARGO_TOML,
            binding=Binding.NoBinding,
            # The crate's own crate types, so that a `cargo build --release` in the same target folder
            # (CARGO_TARGET_DIR) is reused rather than compiled again as a bare cdylib.
            args=["--crate-type", "rlib,cdylib,staticlib"],
            py_limited_api=False,
            strip=Strip.Debug,
        )
    ],
    cmdclass={"build_ext": BuildExt, "bdist_wheel": BdistWheel},
    zip_safe=False,
)
