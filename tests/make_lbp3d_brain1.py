"""Writes tests/data/lbp3d_brain1.json: PyRadiomics' LBP3D images of brain1, sampled inside the ROI.

Run from the repository root with a Python that has PyRadiomics 3.x, SciPy, SimpleITK and trimesh:

    python tests/make_lbp3d_brain1.py <data>/pyradiomics/nifti > tests/data/lbp3d_brain1.json

PyRadiomics' getLBP3DImage imports `scipy.special.sph_harm`, which SciPy 1.17 no longer has; it is put back
here as the documented equivalent `sph_harm(m, n, theta, phi) = sph_harm_y(n, m, phi, theta)`. LBP3D is
computed only for ROI voxels (PyRadiomics leaves the rest of the array uninitialised), so values are
sampled at ROI voxels, and summed over the ROI. NaN (a kurtosis of equal samples) is written as null.
"""
import json
import math
import sys

import numpy
import scipy.special
import SimpleITK as sitk

if not hasattr(scipy.special, "sph_harm"):
    scipy.special.sph_harm = lambda m, n, theta, phi: scipy.special.sph_harm_y(n, m, phi, theta)

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
