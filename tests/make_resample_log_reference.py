"""Writes the resampling and LoG parity summaries used by tests/resample_log.rs.

Run with the PyRadiomics 3.0.1 + SimpleITK environment, from the repository root:

    python tests/make_resample_log_reference.py DATA_DIR

where DATA_DIR holds pyradiomics/nifti/{brain1,breast1,lung1}_{image,label}.nii.gz. It writes
tests/data/resample_reference.json and tests/data/log_reference.json: for each case the grid PyRadiomics'
imageoperations.resampleImage / getLoGImage produce, sums, and values at 50 fixed voxels inside the ROI
bounding box (drawn with a fixed seed), so that the test can check values without storing volumes.

For resampling, two values are stored per voxel: `value`, what PyRadiomics returns (cast to the input pixel
type by SimpleITK: clamped, then truncated toward zero), and `raw`, the same resampling with a 64-bit float
output, i.e. the interpolator's value before the cast.
"""
import json
import os
import sys

import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import imageoperations

CASES = ['brain1', 'breast1', 'lung1']
RESAMPLINGS = [
    # (name, spacing, interpolator)
    ('2mm_bspline', [2, 2, 2], 'sitkBSpline'),
    ('1mm_bspline', [1, 1, 1], 'sitkBSpline'),
    ('2mm_linear', [2, 2, 2], 'sitkLinear'),
    ('2mm_nearest_inplane', [2, 2, 0], 'sitkNearestNeighbor'),
]
PAD = 5
SIGMAS = [1.0, 2.0, 3.0, 4.0, 5.0]
N_POINTS = 50


def sample_points(mask_arr, seed, n=N_POINTS):
    """n voxel indices (z, y, x) inside the bounding box of mask_arr, drawn with a fixed seed; half in the ROI."""
    zyx = np.argwhere(mask_arr)
    lo, hi = zyx.min(axis=0), zyx.max(axis=0)
    rng = np.random.RandomState(seed)
    k = min(n // 2, len(zyx))
    inside = zyx[rng.choice(len(zyx), k, replace=False)]
    box = np.stack([rng.randint(lo[a], hi[a] + 1, size=n - k) for a in range(3)], axis=1)
    return [tuple(int(v) for v in p) for p in np.concatenate([inside, box])]


def grid(img):
    return {
        'size': list(img.GetSize()),
        'spacing': list(img.GetSpacing()),
        'origin': list(img.GetOrigin()),
        'direction': list(img.GetDirection()),
    }


def resample_reference(data_dir):
    out = []
    for case in CASES:
        image = sitk.ReadImage(os.path.join(data_dir, 'pyradiomics', 'nifti', case + '_image.nii.gz'))
        mask = sitk.ReadImage(os.path.join(data_dir, 'pyradiomics', 'nifti', case + '_label.nii.gz'))
        for name, spacing, interp in RESAMPLINGS:
            r_img, r_mask = imageoperations.resampleImage(
                image, mask, resampledPixelSpacing=spacing, interpolator=interp, padDistance=PAD, label=1)
            # The same grid with a float64 output: the interpolated value before SimpleITK casts it.
            rif = sitk.ResampleImageFilter()
            rif.SetReferenceImage(r_img)
            rif.SetOutputPixelType(sitk.sitkFloat64)
            rif.SetInterpolator(getattr(sitk, interp))
            raw = sitk.GetArrayFromImage(rif.Execute(image)).astype(np.float64)
            vals = sitk.GetArrayFromImage(r_img).astype(np.float64)
            m = sitk.GetArrayFromImage(r_mask) == 1
            pts = sample_points(m, seed=len(out))
            out.append({
                'case': case,
                'name': name,
                'spacing_setting': spacing,
                'interpolator': interp,
                'pad_distance': PAD,
                'grid': grid(r_img),
                'mask_grid': grid(r_mask),
                'pixel_type': r_img.GetPixelIDTypeAsString(),
                'mask_count': int(m.sum()),
                'sum': float(vals.sum()),
                'sum_raw': float(raw.sum()),
                'sum_roi': float(vals[m].sum()),
                'points': [{'zyx': list(p), 'value': float(vals[p]), 'raw': float(raw[p]), 'roi': bool(m[p])}
                           for p in pts],
            })
    return out


def log_reference(data_dir):
    case = 'brain1'
    image = sitk.ReadImage(os.path.join(data_dir, 'pyradiomics', 'nifti', case + '_image.nii.gz'))
    mask = sitk.ReadImage(os.path.join(data_dir, 'pyradiomics', 'nifti', case + '_label.nii.gz'))
    m = sitk.GetArrayFromImage(mask) == 1
    out = []
    for k, (img, name, _) in enumerate(imageoperations.getLoGImage(image, mask, sigma=SIGMAS)):
        arr = sitk.GetArrayFromImage(img)
        pts = sample_points(m, seed=100 + k)
        nz, ny, nx = arr.shape
        # Corners and edges too: they exercise the filter's boundary initialisation.
        pts += [(0, 0, 0), (nz - 1, ny - 1, nx - 1), (0, ny // 2, nx // 2), (nz - 1, ny // 2, 0),
                (nz // 2, 0, nx // 2), (nz // 2, ny - 1, nx - 1), (1, 1, 1), (nz - 2, ny - 2, nx - 2)]
        out.append({
            'case': case,
            'sigma': SIGMAS[k],
            'name': name,
            'pixel_type': img.GetPixelIDTypeAsString(),
            'sum': float(arr.astype(np.float64).sum()),
            'sum_abs': float(np.abs(arr.astype(np.float64)).sum()),
            'sum_roi': float(arr[m].astype(np.float64).sum()),
            'points': [{'zyx': list(p), 'value': float(arr[p])} for p in pts],
        })
    return out


def main():
    data_dir = sys.argv[1]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
    os.makedirs(here, exist_ok=True)
    meta = {'pyradiomics': radiomics.__version__, 'simpleitk': sitk.Version.VersionString()}
    with open(os.path.join(here, 'resample_reference.json'), 'w') as f:
        json.dump({'meta': meta, 'cases': resample_reference(data_dir)}, f, indent=1)
    with open(os.path.join(here, 'log_reference.json'), 'w') as f:
        json.dump({'meta': meta, 'cases': log_reference(data_dir)}, f, indent=1)


if __name__ == '__main__':
    main()
