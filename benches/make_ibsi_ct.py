"""A CT-like volume for the IBSI speed benchmark (benches/ibsi_vs_mirp.sh).

512 x 512 x 100 voxels of the IBSI CT phantom's spacing (0.977 x 0.977 x 3 mm), stored as int16 HU: air
around an elliptical body of soft tissue with a texture, and a lesion of about 50 000 voxels (the ROI)
holding a ramp, a texture, an air pocket and a bone fleck (so that re-segmentation to [-1000, 400] HU
removes part of it). The volume is a pure integer formula: every run writes the same files.

    python benches/make_ibsi_ct.py OUT_DIR

writes OUT_DIR/image.nii.gz and OUT_DIR/mask.nii.gz (needs numpy and itk, e.g. the Python that runs MIRP)
and prints the ROI's voxel count.
"""
import os
import sys

import itk
import numpy as np

NX, NY, NZ = 512, 512, 100
SPACING = (0.977, 0.977, 3.0)
ORIGIN = (-250.0, -250.0, -150.0)


def volume():
    z, y, x = np.meshgrid(np.arange(NZ), np.arange(NY), np.arange(NX), indexing="ij")
    noise = ((x * 73856093) ^ (y * 19349663) ^ (z * 83492791)) % 120
    # Body: an elliptic cylinder of soft tissue (about 40 HU) with a coarser texture.
    bx, by = (x - 255.5) / 200.0, (y - 255.5) / 150.0
    body = bx * bx + by * by <= 1.0
    coarse = (((x // 4) * 2654435761) ^ ((y // 4) * 40503) ^ ((z // 2) * 97)) % 60
    img = np.where(body, 10 + coarse + noise % 30, -1000 + noise % 20)
    # Lesion: an ellipsoid of semi-axes 31, 31, 12.4 voxels (30 x 30 x 37 mm) left of the centre.
    fx, fy, fz = (x - 200.5) / 31.0, (y - 270.5) / 31.0, (z - 49.5) / 12.4
    r2 = fx * fx + fy * fy + fz * fz
    lesion = r2 <= 1.0
    img = np.where(lesion, -50 + x - 170 + noise, img)
    air = (fx - 0.3) ** 2 + fy * fy + fz * fz < 0.05
    bone = (fx + 0.4) ** 2 + (fy - 0.2) ** 2 + fz * fz < 0.02
    img = np.where(lesion & air, -900 + noise % 50, img)
    img = np.where(lesion & bone, 700 + noise, img)
    return img.astype(np.int16), lesion.astype(np.uint8)


def save(a, path):
    im = itk.GetImageFromArray(np.ascontiguousarray(a))
    im.SetSpacing(SPACING)
    im.SetOrigin(ORIGIN)
    itk.imwrite(im, path, compression=True)


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    img, mask = volume()
    save(img, os.path.join(out, "image.nii.gz"))
    save(mask, os.path.join(out, "mask.nii.gz"))
    print(int(mask.sum()))
