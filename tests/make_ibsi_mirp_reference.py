"""MIRP 2.7 features of a CT-like volume for the IBSI 1 CT configurations A-E (tests/ibsi.rs reads them).

The CT phantom image is not part of the reference data, so the configurations are cross-checked against
MIRP (a reference implementation that reproduces the IBSI consensus values) on a synthetic volume with the
CT phantom's spacing. The volume is defined by an integer formula, so the test rebuilds it identically
without a data file.

Run with a Python that has `mirp==2.7.0` (and its dependency `itk`) installed, e.g.
    $MIRP_PYTHON tests/make_ibsi_mirp_reference.py [A B C D E]
It writes tests/data/ibsi_mirp/mirp_<config>.csv (name,value; MIRP's feature names).
"""
import os
import sys
import tempfile

import itk
import mirp
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "ibsi_mirp")


def volume():
    """The CT-like volume (z, y, x) and its mask; tests/ibsi.rs `ct_like` builds the same."""
    nx, ny, nz = 64, 56, 20
    z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    noise = ((x * 73856093) ^ (y * 19349663) ^ (z * 83492791)) % 120
    fx = (x - 31.5) / 21.0
    fy = (y - 27.5) / 17.0
    fz = (z - 9.5) / 6.5
    r2 = fx * fx + fy * fy + fz * fz
    img = -50.0 + 3.0 * x + noise
    air = (fx - 0.3) * (fx - 0.3) + fy * fy + fz * fz < 0.05
    bone = (fx + 0.4) * (fx + 0.4) + (fy - 0.2) * (fy - 0.2) + fz * fz < 0.02
    img = np.where(air, -900.0 + noise % 50, img)
    img = np.where(bone, 700.0 + noise, img)
    img = np.where(r2 > 1.0, -1000.0 + noise % 20, img)
    return img, (r2 <= 1.0).astype(np.uint8)


def save(a, path, t):
    im = itk.GetImageFromArray(np.ascontiguousarray(a.astype(t)))
    im.SetSpacing([0.977, 0.977, 3.0])
    im.SetOrigin([-174.39, -79.63, -100.4])
    itk.imwrite(im, path)


D2 = dict(glcm_spatial_method=["2d_average","2d_slice_merge","2.5d_direction_merge","2.5d_volume_merge"],
    glrlm_spatial_method=["2d_average","2d_slice_merge","2.5d_direction_merge","2.5d_volume_merge"],
    glszm_spatial_method=["2d","2.5d"], gldzm_spatial_method=["2d","2.5d"], ngtdm_spatial_method=["2d","2.5d"], ngldm_spatial_method=["2d","2.5d"])
D3 = dict(glcm_spatial_method=["3d_average","3d_volume_merge"], glrlm_spatial_method=["3d_average","3d_volume_merge"],
    glszm_spatial_method="3d", gldzm_spatial_method="3d", ngtdm_spatial_method="3d", ngldm_spatial_method="3d")
configs = {
 'A': dict(by_slice=True, new_spacing=None, resegmentation_intensity_range=[-500.0, 400.0], base_discretisation_method="fixed_bin_size", base_discretisation_bin_width=25.0, ivh_discretisation_method="none", **D2),
 'B': dict(by_slice=True, new_spacing=[2.0, 2.0], spline_order=1, resegmentation_intensity_range=[-500.0, 400.0], base_discretisation_method="fixed_bin_number", base_discretisation_n_bins=32, ivh_discretisation_method="none", **D2),
 'C': dict(by_slice=False, new_spacing=[2.0, 2.0, 2.0], spline_order=1, resegmentation_intensity_range=[-1000.0, 400.0], base_discretisation_method="fixed_bin_size", base_discretisation_bin_width=25.0, ivh_discretisation_method="fixed_bin_size", ivh_discretisation_bin_width=2.5, **D3),
 'D': dict(by_slice=False, new_spacing=[2.0, 2.0, 2.0], spline_order=1, resegmentation_sigma=3.0, base_discretisation_method="fixed_bin_number", base_discretisation_n_bins=32, ivh_discretisation_method="none", **D3),
 'E': dict(by_slice=False, new_spacing=[2.0, 2.0, 2.0], spline_order=3, resegmentation_intensity_range=[-1000.0, 400.0], resegmentation_sigma=3.0, base_discretisation_method="fixed_bin_number", base_discretisation_n_bins=32, ivh_discretisation_method="fixed_bin_number", ivh_discretisation_n_bins=1000, **D3),
}
which = sys.argv[1:] or list(configs)
os.makedirs(OUT, exist_ok=True)
tmp = tempfile.mkdtemp()
img, mask = volume()
save(img, os.path.join(tmp, 'image.nii.gz'), np.float32)
save(mask, os.path.join(tmp, 'mask.nii.gz'), np.uint8)
for c in which:
    kw = configs[c]
    df = mirp.extract_features(image=os.path.join(tmp, 'image.nii.gz'), mask=os.path.join(tmp, 'mask.nii.gz'),
        image_modality='CT', base_feature_families="all", anti_aliasing=False, roi_spline_order=1,
        roi_interpolation_mask_inclusion_threshold=0.5, no_approximation=True, **kw)[0]
    with open(os.path.join(OUT, f'mirp_{c}.csv'), 'w') as f:
        f.write('name,value\n')
        for col in df.columns:
            v = df[col].values[0]
            try: f.write(f'{col},{float(v)!r}\n')
            except Exception: pass
    print('done', c, flush=True)
