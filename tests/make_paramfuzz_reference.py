"""Writes tests/data/paramfuzz/<name>.csv: PyRadiomics' output for each parameter file beside it.

Run from the repository root with the Python of a PyRadiomics installation (see
../shared/tools/install-pyradiomics.sh), reference data in $RADIOMICS_TEST_DATA (else ../shared/data):

    $PYRADIOMICS_PYTHON tests/make_paramfuzz_reference.py

Each parameter file starts with `# case: <case> <variant> <mask>`: the image `<case>_image.nii.gz` as stored
(`native`), cast to float32 (`f32`), or cast to float32 and multiplied by float32(1e-6) (`f32map`, a
parametric map's range), with the mask `<case>_<mask>.nii.gz`. The CSV holds `name,value` rows in
PyRadiomics' order, or a single `refused,<exception type>` row where PyRadiomics raises.
"""
import glob
import logging
import os
import sys

import numpy as np
import SimpleITK as sitk

import radiomics
from radiomics import featureextractor

radiomics.setVerbosity(logging.CRITICAL)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("RADIOMICS_TEST_DATA") or os.path.join(ROOT, "..", "shared", "data")
NIFTI = os.path.join(DATA, "pyradiomics", "nifti")


def case_of(path):
    with open(path) as f:
        first = f.readline().split()
    assert first[:2] == ["#", "case:"], f"{path}: first line must be '# case: CASE VARIANT MASK'"
    return first[2:5]


def image_of(case, variant):
    im = sitk.ReadImage(os.path.join(NIFTI, f"{case}_image.nii.gz"))
    if variant == "native":
        return im
    arr = sitk.GetArrayFromImage(im).astype(np.float32)
    if variant == "f32map":
        arr = arr * np.float32(1e-6)
    elif variant != "f32":
        sys.exit(f"unknown variant {variant}")
    out = sitk.GetImageFromArray(arr)
    out.CopyInformation(im)
    return out


def main():
    for params in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "paramfuzz", "*.yaml"))):
        case, variant, mask = case_of(params)
        image = image_of(case, variant)
        mask_image = sitk.ReadImage(os.path.join(NIFTI, f"{case}_{mask}.nii.gz"))
        out = params[:-len(".yaml")] + ".csv"
        try:
            result = featureextractor.RadiomicsFeatureExtractor(params).execute(image, mask_image)
            rows = [f"{k},{float(v)!r}" for k, v in result.items() if not k.startswith("diagnostics_")]
        except Exception as e:  # PyRadiomics refuses this file
            rows = [f"refused,{type(e).__name__}"]
        with open(out, "w") as f:
            f.write("name,value\n" + "\n".join(rows) + "\n")
        print(f"{os.path.basename(out)}: {len(rows)} rows")


if __name__ == "__main__":
    main()
