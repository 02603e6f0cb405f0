"""Writes tests/data/resample_kernels_reference.json, the resampling summaries of SimpleITK's kernel
interpolators (Gaussian, label Gaussian, the windowed sincs) used by tests/resample_log.rs.

Run with the PyRadiomics 3.0.1 + SimpleITK environment, from the repository root:

    python tests/make_resample_kernels_reference.py DATA_DIR

DATA_DIR as for tests/make_resample_log_reference.py, whose summary format (grid, sums, values at fixed
voxels, `raw` before the cast to the input pixel type) this file shares, with fewer voxels per case.
"""
import json
import os
import sys

import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import imageoperations

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_resample_log_reference import grid, sample_points  # noqa: E402

RESAMPLINGS = [
    # (case, name, spacing, interpolator)
    ('brain1', '2mm_gaussian', [2, 2, 2], 'sitkGaussian'),
    ('breast1', 'inplane_gaussian', [1.5, 1.5, 0], 'sitkGaussian'),
    ('brain1', '2mm_label_gaussian', [2, 2, 2], 'sitkLabelGaussian'),
    ('breast1', '1mm_label_gaussian', [1, 1, 1], 'sitkLabelGaussian'),
    ('brain1', '2mm_hamming', [2, 2, 2], 'sitkHammingWindowedSinc'),
    ('breast1', '2mm_cosine', [2, 2, 2], 'sitkCosineWindowedSinc'),
    ('brain1', '1.5mm_welch', [1.5, 1.5, 1.5], 'sitkWelchWindowedSinc'),
    ('breast1', 'inplane_lanczos', [1.5, 1.5, 0], 'sitkLanczosWindowedSinc'),
    ('brain1', '3mm_blackman', [3, 3, 3], 'sitkBlackmanWindowedSinc'),
    ('lung1', '2mm_gaussian', [2, 2, 2], 'sitkGaussian'),
    ('lung1', '2mm_lanczos', [2, 2, 2], 'sitkLanczosWindowedSinc'),
]
PAD = 5
N_POINTS = 20


def main():
    data_dir = sys.argv[1]
    out = []
    loaded = {}
    for case, name, spacing, interp in RESAMPLINGS:
        if case not in loaded:
            nifti = os.path.join(data_dir, 'pyradiomics', 'nifti')
            loaded = {case: (sitk.ReadImage(os.path.join(nifti, case + '_image.nii.gz')),
                             sitk.ReadImage(os.path.join(nifti, case + '_label.nii.gz')))}
        image, mask = loaded[case]
        r_img, r_mask = imageoperations.resampleImage(
            image, mask, resampledPixelSpacing=spacing, interpolator=interp, padDistance=PAD, label=1)
        rif = sitk.ResampleImageFilter()
        rif.SetReferenceImage(r_img)
        rif.SetOutputPixelType(sitk.sitkFloat64)
        rif.SetInterpolator(getattr(sitk, interp))
        raw = sitk.GetArrayFromImage(rif.Execute(image)).astype(np.float64)
        vals = sitk.GetArrayFromImage(r_img).astype(np.float64)
        m = sitk.GetArrayFromImage(r_mask) == 1
        pts = sample_points(m, seed=200 + len(out), n=N_POINTS)
        out.append({
            'case': case,
            'name': name,
            'spacing_setting': spacing,
            'interpolator': interp,
            'pad_distance': PAD,
            'grid': grid(r_img),
            'pixel_type': r_img.GetPixelIDTypeAsString(),
            'mask_count': int(m.sum()),
            'sum': float(vals.sum()),
            'sum_raw': float(raw.sum()),
            'sum_roi': float(vals[m].sum()),
            'points': [{'zyx': list(p), 'value': float(vals[p]), 'raw': float(raw[p]), 'roi': bool(m[p])}
                       for p in pts],
        })
    meta = {'pyradiomics': radiomics.__version__, 'simpleitk': sitk.Version.VersionString()}
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
    with open(os.path.join(here, 'resample_kernels_reference.json'), 'w') as f:
        json.dump({'meta': meta, 'cases': out}, f, indent=0)


if __name__ == '__main__':
    main()
