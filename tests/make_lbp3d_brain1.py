"""Writes tests/data/lbp3d_brain1.json: PyRadiomics' LBP3D images of brain1, sampled inside the ROI.

Run from the repository root with a Python that has PyRadiomics 3.x, SciPy 1.14 (whose `sph_harm`
PyRadiomics calls; SciPy 1.17 removed it), SimpleITK and trimesh:

    python tests/make_lbp3d_brain1.py <data>/pyradiomics/nifti > tests/data/lbp3d_brain1.json

numpy's results depend on the CPU in the last bit: its vectorised complex products use fused multiply-add
where the CPU has it (as this library does), and its AVX-512 `arccos` is not the C library's. The script
turns numpy's AVX-512 loops off (NPY_DISABLE_CPU_FEATURES, read when numpy is imported) so that the values
are those of an x86-64 CPU with AVX2 and FMA on any machine that has them; tests/filters.rs compares
them bit for bit. LBP3D is computed only for ROI voxels (PyRadiomics leaves the rest of the array
uninitialised), so values are sampled at ROI voxels, and summed over the ROI. NaN (a kurtosis of equal
samples) is written as null.
"""
import os

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")

import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402

import numpy  # noqa: E402
import scipy.special  # noqa: E402
import SimpleITK as sitk  # noqa: E402

if not hasattr(scipy.special, "sph_harm"):
    sys.exit("this SciPy has no special.sph_harm (removed in 1.17): PyRadiomics' LBP3D needs SciPy < 1.17")

from radiomics import imageoperations as io  # noqa: E402

folder = sys.argv[1]
image = sitk.ReadImage(folder + "/brain1_image.nii.gz")
mask = sitk.ReadImage(folder + "/brain1_label.nii.gz")
roi = numpy.argwhere(sitk.GetArrayFromImage(mask) == 1)
rng = numpy.random.RandomState(20240612)
voxels = [[int(c) for c in roi[i]] for i in sorted(rng.choice(len(roi), 50, replace=False))]

CONFIGS = [
    ("lbp3d", {}),
    ("lbp3d_l3_r2_s2", {"lbp3DLevels": 3, "lbp3DIcosphereRadius": 2.0, "lbp3DIcosphereSubdivision": 2}),
]


def num(v):
    return None if math.isnan(v) else float(v)


out = {"case": "brain1", "generator": "tests/make_lbp3d_brain1.py", "voxels": voxels, "configs": []}
for key, settings in CONFIGS:
    images = []
    for derived, name, _ in io.getLBP3DImage(image, mask, **settings):
        arr = sitk.GetArrayFromImage(derived)
        inside = arr[tuple(roi.T)]
        images.append(
            {
                "name": name,
                "values": [num(arr[tuple(v)]) for v in voxels],
                "roi_sum": num(numpy.nansum(inside)),
                "roi_nan": int(numpy.isnan(inside).sum()),
                "roi_mean_abs": num(numpy.nanmean(numpy.abs(inside))),
            }
        )
    out["configs"].append({"key": key, "settings": settings, "images": images})

json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
