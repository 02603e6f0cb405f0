"""MIRP's IBSI configuration C on one image and mask, for benches/ibsi_vs_mirp.sh.

    python benches/mirp_extract.py IMAGE MASK OUT_CSV [exact]

Runs `mirp.extract_features` sequentially (no parallel back end; limit BLAS/OpenMP threads in the
environment) with the settings of the IBSI CT phantom's configuration C, as
tests/make_ibsi_mirp_reference.py does: 3D, trilinear interpolation to 2 mm, ROI threshold 0.5,
re-segmentation to [-1000, 400] HU, fixed bin size 25 HU, IVH with bin size 2.5 HU. With `exact`, Moran's
I and Geary's C are computed over all voxel pairs (MIRP's `no_approximation`); otherwise MIRP estimates them
from random subsets, its default for ROIs of 1 000 voxels or more. Writes MIRP's features as name,value and
prints the process CPU seconds of the extraction call.
"""
import sys
import time

import mirp

image, mask, out = sys.argv[1:4]
exact = len(sys.argv) > 4 and sys.argv[4] == "exact"
t0 = time.process_time()
df = mirp.extract_features(
    image=image, mask=mask, image_modality="CT", base_feature_families="all", by_slice=False,
    new_spacing=[2.0, 2.0, 2.0], spline_order=1, anti_aliasing=False, roi_spline_order=1,
    roi_interpolation_mask_inclusion_threshold=0.5, resegmentation_intensity_range=[-1000.0, 400.0],
    base_discretisation_method="fixed_bin_size", base_discretisation_bin_width=25.0,
    ivh_discretisation_method="fixed_bin_size", ivh_discretisation_bin_width=2.5,
    glcm_spatial_method=["3d_average", "3d_volume_merge"], glrlm_spatial_method=["3d_average", "3d_volume_merge"],
    glszm_spatial_method="3d", gldzm_spatial_method="3d", ngtdm_spatial_method="3d", ngldm_spatial_method="3d",
    no_approximation=exact)[0]
cpu = time.process_time() - t0
with open(out, "w") as f:
    f.write("name,value\n")
    for col in df.columns:
        try:
            f.write(f"{col},{float(df[col].values[0])!r}\n")
        except (TypeError, ValueError):
            pass
print(f"{cpu:.3f}")
