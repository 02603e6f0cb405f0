"""Writes tests/data/filters_brain1.json: PyRadiomics' derived images of brain1, sampled.

Run from the repository root with a Python that has PyRadiomics 3.x (and PyWavelets, SimpleITK,
scikit-image), the reference data folder as argument:

    python tests/make_filters_brain1.py <data>/pyradiomics/nifti > tests/data/filters_brain1.json

For each configuration (a PyRadiomics image type with its settings) and each derived image it yields, the
file holds the values at fixed voxels inside the ROI's bounding box, the sum of the values over the box,
and the mean absolute value over the box (the scale for comparing values near zero).
"""
import json
import sys

import numpy
import SimpleITK as sitk
from radiomics import imageoperations as io

folder = sys.argv[1]
image = sitk.ReadImage(folder + "/brain1_image.nii.gz")
mask = sitk.ReadImage(folder + "/brain1_label.nii.gz")
roi = sitk.GetArrayFromImage(mask) == 1
where = numpy.nonzero(roi)
lower = [int(w.min()) for w in where]
upper = [int(w.max()) for w in where]
box = tuple(slice(lo, hi + 1) for lo, hi in zip(lower, upper))

rng = numpy.random.RandomState(20240611)
voxels = [list(lower), list(upper)]
for _ in range(48):
    voxels.append([int(rng.randint(lo, hi + 1)) for lo, hi in zip(lower, upper)])

CONFIGS = [
    ("wavelet_coif1", "Wavelet", {}),
    ("wavelet_haar_l2", "Wavelet", {"wavelet": "haar", "level": 2}),
    ("wavelet_db3_s1", "Wavelet", {"wavelet": "db3", "start_level": 1}),
    ("wavelet_bior22_2d", "Wavelet", {"wavelet": "bior2.2", "force2D": True, "force2Ddimension": 0}),
    ("wavelet_sym4_2d_y", "Wavelet", {"wavelet": "sym4", "force2D": True, "force2Ddimension": 1}),
    ("square", "Square", {}),
    ("squareroot", "SquareRoot", {}),
    ("logarithm", "Logarithm", {}),
    ("exponential", "Exponential", {}),
    ("gradient", "Gradient", {}),
    ("gradient_nospacing", "Gradient", {"gradientUseSpacing": False}),
    ("lbp2d", "LBP2D", {}),
    ("lbp2d_default_r2", "LBP2D", {"lbp2DMethod": "default", "lbp2DRadius": 2}),
    ("lbp2d_ror_y", "LBP2D", {"lbp2DMethod": "ror", "lbp2DRadius": 1.5, "force2Ddimension": 1}),
    ("lbp2d_nri_x", "LBP2D", {"lbp2DMethod": "nri_uniform", "force2Ddimension": 2}),
]

out = {
    "case": "brain1",
    "generator": "tests/make_filters_brain1.py",
    "versions": {
        "SimpleITK": sitk.Version_VersionString(),
        "numpy": numpy.__version__,
    },
    "bbox_lower": lower,
    "bbox_upper": upper,
    "voxels": voxels,
    "configs": [],
}
try:
    import radiomics, pywt, skimage

    out["versions"].update(
        {"pyradiomics": radiomics.__version__, "pywavelets": pywt.__version__, "scikit-image": skimage.__version__}
    )
except ImportError:
    pass

for key, image_type, settings in CONFIGS:
    images = []
    for derived, name, _ in getattr(io, "get%sImage" % image_type)(image, mask, **settings):
        arr = sitk.GetArrayFromImage(derived).astype(numpy.float64)
        part = arr[box]
        images.append(
            {
                "name": name,
                "pixel_type": derived.GetPixelIDTypeAsString(),
                "values": [float(arr[tuple(v)]) for v in voxels],
                "bbox_sum": float(part.sum()),
                "bbox_mean_abs": float(numpy.abs(part).mean()),
            }
        )
    out["configs"].append({"key": key, "image_type": image_type, "settings": settings, "images": images})

json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
