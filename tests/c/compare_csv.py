"""Compares two `name,value` CSV files: same names in the same order, values equal as doubles.

    compare_csv.py EXPECTED ACTUAL

The values must be identical (NaN matches NaN): the C, C++ and Python front ends print the library's
doubles, so any difference is a translation bug, not rounding.
"""
import math
import sys


def read(path):
    with open(path) as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    if not lines or lines[0] != "name,value":
        sys.exit(f"{path}: no 'name,value' header")
    rows = []
    for l in lines[1:]:
        # PyRadiomics' diagnostics entries describe the input (text), not features.
        if l.lstrip('"').startswith("diagnostics_"):
            continue
        name, value = l.rsplit(",", 1)
        rows.append((name, float(value)))
    return rows


def main():
    expected, actual = read(sys.argv[1]), read(sys.argv[2])
    if not expected:
        sys.exit(f"{sys.argv[1]}: no features")
    if [n for n, _ in expected] != [n for n, _ in actual]:
        sys.exit(f"feature names differ:\n{[n for n, _ in expected]}\n{[n for n, _ in actual]}")
    bad = [(n, e, a) for (n, e), (_, a) in zip(expected, actual)
           if not (e == a or (math.isnan(e) and math.isnan(a)))]
    for n, e, a in bad:
        print(f"{n}: expected {e!r}, got {a!r}")
    print(f"{len(expected)} features compared, {len(bad)} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
