"""PyRadiomics reference values of the GLSZM, GLDM and NGTDM classes on small synthetic volumes.

Covers what the real test cases do not: degenerate regions (one voxel, one grey level, no neighbours),
absent grey levels, distances other than 1, gldm_a > 0 and force2D along each axis. Writes JSON to stdout:
a list of cases, each with the image (integer intensities, [z, y, x]), the ROI, the settings and the
feature values. Run with the PyRadiomics reference environment:

    python tools/zones_reference.py > tests/data/zones_reference.json
"""
import json
import logging

import numpy as np
import SimpleITK as sitk
from radiomics import gldm, glszm, ngtdm

logging.getLogger('radiomics').setLevel(logging.ERROR)

rng = np.random.default_rng(20240601)


def case(name, image, roi, **settings):
    return dict(name=name, image=np.asarray(image, dtype=int), roi=np.asarray(roi, dtype=bool), settings=settings)


cases = []
# One ROI voxel inside a padded array (PyRadiomics finds no angles in a 1x1x1 array and raises; its
# extractor always pads the crop).
lone = np.zeros((3, 3, 3), dtype=bool)
lone[1, 1, 1] = True
cases.append(case('one_voxel', rng.integers(1, 9, size=(3, 3, 3)), lone))
cases.append(case('flat_cube', np.full((3, 3, 3), 4), np.ones((3, 3, 3))))
two = np.zeros((3, 3, 3), dtype=int)
two[0, 0, 0], two[2, 2, 2] = 1, 5
cases.append(case('isolated_voxels', two + 1, two > 0))
cases.append(case('one_level_holes', np.full((2, 4, 4), 3), rng.random((2, 4, 4)) < 0.5))
gaps = rng.choice([1, 2, 5, 6, 9], size=(4, 5, 6))
roi = rng.random((4, 5, 6)) < 0.8
cases.append(case('absent_levels', gaps, roi))
cases.append(case('absent_levels_d2', gaps, roi, distances=[2]))
cases.append(case('absent_levels_d12_a1', gaps, roi, distances=[1, 2], gldm_a=1))
for dim in range(3):
    cases.append(case(f'force2d_dim{dim}', gaps, roi, force2D=True, force2Ddimension=dim))
noise = rng.integers(1, 8, size=(5, 6, 7))
cases.append(case('random', noise, rng.random((5, 6, 7)) < 0.7))
cases.append(case('random_a2', noise, np.ones((5, 6, 7)), gldm_a=2))

out = []
for c in cases:
    img = sitk.GetImageFromArray(c['image'].astype(np.float64))
    msk = sitk.GetImageFromArray(c['roi'].astype(np.uint8))
    features = {}
    for prefix, cls in (('glszm', glszm.RadiomicsGLSZM), ('gldm', gldm.RadiomicsGLDM), ('ngtdm', ngtdm.RadiomicsNGTDM)):
        f = cls(img, msk, binWidth=1, label=1, **c['settings'])
        for name, value in f.execute().items():
            features[f'{prefix}_{name}'] = float(value)
    out.append(dict(name=c['name'], image=c['image'].tolist(), roi=c['roi'].astype(int).tolist(),
                    settings=c['settings'], features=features))
print(json.dumps(out, indent=1))
