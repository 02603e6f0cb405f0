"""IBSI mode through the Python binding: every shipped IBSI parameter file (params/ibsi) on the IBSI
digital phantom gives the command-line tool's name,value rows, and on the phantom's own configuration
every IBSI consensus value is matched under IBSI's rule.

Needs ``RADIOMICS_TEST_DATA`` (the phantom and the reference values) and ``RADIOMICS_CLI`` (the
command-line tool) for the comparison with the CLI.
"""
import csv
import glob
import math
import os
import subprocess

import pytest

import radiomics_rs as rr

PARAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "params", "ibsi")
CONFIGS = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(PARAMS, "*.yaml")))


def phantom():
    data = os.environ.get("RADIOMICS_TEST_DATA")
    if not data:
        pytest.skip("RADIOMICS_TEST_DATA is not set")
    d = os.path.join(data, "ibsi")
    return (os.path.join(d, "digital_phantom", "image.nii.gz"),
            os.path.join(d, "digital_phantom", "mask.nii.gz"),
            os.path.join(d, "reference_values.csv"))


def test_every_configuration_is_shipped():
    assert CONFIGS == ["ct_config_A", "ct_config_B", "ct_config_C", "ct_config_D", "ct_config_E",
                       "digital_phantom"]


@pytest.mark.parametrize("config", CONFIGS)
def test_binding_equals_the_command_line(config, tmp_path):
    image, mask, _ = phantom()
    cli = os.environ.get("RADIOMICS_CLI")
    if not cli:
        pytest.skip("RADIOMICS_CLI is not set")
    params = os.path.join(PARAMS, config + ".yaml")
    out = tmp_path / "cli.csv"
    subprocess.run([cli, "extract", "--image", image, "--mask", mask, "--params", params, "--out", str(out)],
                   check=True)
    with open(out, newline="") as f:
        want = [(r["name"], float(r["value"])) for r in csv.DictReader(f)]
    got = rr.extract(rr.Image.load(image), rr.Image.load(mask), rr.Settings.from_file(params))
    assert list(got) == [n for n, _ in want]
    same = [g == w or (math.isnan(g) and math.isnan(w)) for g, (_, w) in zip(got.values(), want)]
    assert all(same), [n for (n, _), ok in zip(want, same) if not ok]
    assert len(want) > 200


def test_digital_phantom_matches_the_consensus_values():
    image, mask, refs = phantom()
    got = rr.extract(rr.Image.load(image), rr.Image.load(mask),
                     rr.Settings.from_file(os.path.join(PARAMS, "digital_phantom.yaml")))
    with open(refs, newline="") as f:
        rows = [r for r in csv.DictReader(f)
                if r["phantom_config"] == "digital_phantom" and r["family"] != "diagnostics"]
    assert len(rows) == 482
    missed = []
    for r in rows:
        value, tol = float(r["value"]), float(r["tolerance"])
        v = got[r["template_tag"]]
        rounded = float(f"{v:.2e}") if v != 0 else 0.0
        if abs(rounded - value) > tol + 1e-12 * abs(value):
            missed.append((r["template_tag"], v, value, tol))
    assert not missed
    assert set(got) == {r["template_tag"] for r in rows}
