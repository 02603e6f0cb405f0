"""Writes PyRadiomics' voxel-based feature maps, the reference of tests/voxel_parity.rs.

Run with a Python that has PyRadiomics 3.0.1 (for instance the environment that
../shared/tools/install-pyradiomics.sh makes), from the repository root:

    PYTHON tests/make_voxel_reference.py DATA_DIR OUT_DIR

DATA_DIR holds pyradiomics/nifti/{brain1,breast1}_{image,label}.nii.gz. For every configuration below it runs
PyRadiomics' extractor with voxelBased=True on a small ROI (the whole breast1 lesion, 143 voxels, or a box of
the brain1 lesion, a few hundred voxels), so that the script finishes in a few minutes, and writes to OUT_DIR:

- `<config>.json`: the parameter file, the ROI file used, the maps' grid (size, origin, spacing as SimpleITK
  reports them, x-y-z order), the feature names in PyRadiomics' order, the ROI voxels (z, y, x) of the map grid
  in the rows' order, and per feature the distinct values outside the ROI (initValue alone);
- `<config>.npy`: float64, one row per ROI voxel, one column per feature: the map values there;
- `<roi>_label.nii.gz`: the label images of the reduced ROIs.

The test (tests/voxel_parity.rs) finds OUT_DIR through RADIOMICS_VOXEL_REFERENCE.
"""
import json
import os
import sys

import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import featureextractor

ALL_CLASSES = {c: [] for c in ['firstorder', 'glcm', 'gldm', 'glrlm', 'glszm', 'ngtdm']}

CONFIGS = [
    # name, case, roi, parameter document
    ('breast1_r1_masked', 'breast1', 'breast1', {
        'imageType': {'Original': {}}, 'featureClass': ALL_CLASSES,
        'setting': {'binWidth': 25, 'label': 1},
        'voxelSetting': {'kernelRadius': 1, 'maskedKernel': True}}),
    ('breast1_r1_unmasked', 'breast1', 'breast1', {
        'imageType': {'Original': {}}, 'featureClass': ALL_CLASSES,
        'setting': {'binWidth': 25, 'label': 1},
        'voxelSetting': {'kernelRadius': 1, 'maskedKernel': False}}),
    ('breast1_r2_masked', 'breast1', 'breast1', {
        'imageType': {'Original': {}}, 'featureClass': ALL_CLASSES,
        'setting': {'binWidth': 25, 'label': 1},
        'voxelSetting': {'kernelRadius': 2, 'maskedKernel': True}}),
    ('breast1_r2_unmasked', 'breast1', 'breast1', {
        'imageType': {'Original': {}}, 'featureClass': ALL_CLASSES,
        'setting': {'binWidth': 25, 'label': 1},
        'voxelSetting': {'kernelRadius': 2, 'maskedKernel': False}}),
    # Fixed bin count, a filtered image type, another initValue and batches of voxels (which decide, in
    # PyRadiomics, where a failing feature leaves initValue).
    ('brain1box_r1_log_batch', 'brain1', 'brain1box', {
        'imageType': {'Original': {}, 'LoG': {'sigma': [2.0]}}, 'featureClass': ALL_CLASSES,
        'setting': {'binCount': 16, 'label': 1},
        'voxelSetting': {'kernelRadius': 1, 'maskedKernel': True, 'initValue': -1.0, 'voxelBatch': 64}}),
    # In-plane kernels, as in PyRadiomics' exampleVoxel.yaml, with distances 1 and 2 and a weighting norm.
    ('brain1box_r2_force2d', 'brain1', 'brain1box', {
        'imageType': {'Original': {}}, 'featureClass': ALL_CLASSES,
        'setting': {'binWidth': 25, 'label': 1, 'force2D': True, 'distances': [1, 2],
                    'weightingNorm': 'euclidean'},
        'voxelSetting': {'kernelRadius': 2, 'maskedKernel': True}}),
]


def reduced_roi(data_dir, roi, out_dir):
    """The label file of `roi`: breast1's own, or the part of brain1's lesion inside a fixed box."""
    src = os.path.join(data_dir, 'pyradiomics', 'nifti', '%s_label.nii.gz' % roi.replace('box', ''))
    if roi == 'breast1':
        return src
    label = sitk.ReadImage(src)
    arr = sitk.GetArrayFromImage(label)
    keep = np.zeros_like(arr)
    # A box across the lesion's edge: 4 slices, 10 x 10 in plane (z, y, x).
    keep[12:16, 95:105, 180:190] = 1
    arr = ((arr == 1) & (keep == 1)).astype(arr.dtype)
    out = sitk.GetImageFromArray(arr)
    out.CopyInformation(label)
    path = os.path.join(out_dir, '%s_label.nii.gz' % roi)
    sitk.WriteImage(out, path)
    return path


def main():
    data_dir, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    radiomics.setVerbosity(40)
    for name, case, roi, params in CONFIGS:
        image = os.path.join(data_dir, 'pyradiomics', 'nifti', '%s_image.nii.gz' % case)
        label = reduced_roi(data_dir, roi, out_dir)
        extractor = featureextractor.RadiomicsFeatureExtractor(params)
        result = extractor.execute(image, label, voxelBased=True)
        maps = [(k, v) for k, v in result.items() if isinstance(v, sitk.Image)]
        names = [k for k, _ in maps]
        first = maps[0][1]
        # The ROI on the maps' grid: the label resampled (it is a crop of the label's grid).
        lab = sitk.ReadImage(label)
        roi_mask = sitk.Resample(lab, first, sitk.Transform(), sitk.sitkNearestNeighbor)
        roi_arr = sitk.GetArrayFromImage(roi_mask) == 1
        voxels = np.argwhere(roi_arr)
        values = np.empty((len(voxels), len(maps)))
        outside = []
        for f, (_, img) in enumerate(maps):
            arr = sitk.GetArrayFromImage(img).astype(np.float64)
            values[:, f] = arr[roi_arr]
            outside.append(np.unique(arr[~roi_arr]).tolist())
        np.save(os.path.join(out_dir, name + '.npy'), values)
        meta = {
            'params': params,
            'image': 'pyradiomics/nifti/%s_image.nii.gz' % case,
            'label': os.path.basename(label) if roi != 'breast1' else None,
            'size': list(first.GetSize()),
            'origin': list(first.GetOrigin()),
            'spacing': list(first.GetSpacing()),
            'names': names,
            'voxels': voxels.tolist(),
            'outside': [[None if np.isnan(v) else v for v in o] for o in outside],
            'pyradiomics': radiomics.__version__,
        }
        with open(os.path.join(out_dir, name + '.json'), 'w') as f:
            json.dump(meta, f, indent=1)
        print(name, len(voxels), 'voxels,', len(names), 'maps')


if __name__ == '__main__':
    main()
