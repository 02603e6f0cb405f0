"""Times PyRadiomics' voxel-based extraction (the side-by-side of benches/compare_voxel.sh).

    PYTHON benches/pyradiomics_voxel.py IMAGE MASK PARAMS [OUT_DIR]

Prints the number of maps and ROI voxels, then the seconds `execute(..., voxelBased=True)` took on images
already loaded (one run: it takes minutes). With OUT_DIR, writes the maps there as <name>.nrrd.
"""
import os
import sys
import time

import SimpleITK as sitk
import radiomics
from radiomics import featureextractor


def main():
    image_path, mask_path, params = sys.argv[1:4]
    out_dir = sys.argv[4] if len(sys.argv) > 4 else None
    radiomics.setVerbosity(40)
    extractor = featureextractor.RadiomicsFeatureExtractor(params)
    image = sitk.ReadImage(image_path)
    mask = sitk.ReadImage(mask_path)
    roi = int((sitk.GetArrayFromImage(mask) == extractor.settings.get('label', 1)).sum())
    t0 = time.perf_counter()
    result = extractor.execute(image, mask, voxelBased=True)
    seconds = time.perf_counter() - t0
    maps = {k: v for k, v in result.items() if isinstance(v, sitk.Image)}
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        for k, v in maps.items():
            sitk.WriteImage(v, os.path.join(out_dir, k + '.nrrd'))
    print(len(maps), roi)
    print('%.3f' % seconds)


if __name__ == '__main__':
    main()
