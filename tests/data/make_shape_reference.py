"""Reference values for tests/shape_parity.rs, computed with PyRadiomics.

Writes, beside this script:
- shape_brain1_nrrd.csv: every 3D shape feature of pyradiomics/nrrd/brain1_label.nrrd (label 1). The mesh
  features of baseline_shape.csv's brain1 column are stale (see the data README); the test reads these instead.
- shape_random.csv: small seeded random masks (including a single voxel, a line and a plane, and ROIs away
  from the array's corner) with their spacing and every 3D shape feature (deprecated ones included).
- shape2d_random.csv: the same for single-slice masks and every 2D shape feature, per force2Ddimension.

Masks are stored as a string of '0'/'1' in C order ([z, y, x]); spacing is (x, y, z).

Usage: python make_shape_reference.py <reference data folder>
"""
import os
import sys

import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import shape, shape2D

radiomics.setVerbosity(60)  # silence warnings about NaN elongation of degenerate masks
HERE = os.path.dirname(os.path.abspath(__file__))


def features(cls, image, mask, **settings):
    f = cls(image, mask, label=1, **settings)
    f.enableAllFeatures()
    for name, deprecated in cls.getFeatureNames().items():
        if deprecated:
            f.enableFeatureByName(name)
    f.execute()
    names = list(cls.getFeatureNames())
    return names, [float(f.featureValues[n]) for n in names]


def image_of(arr, spacing):
    img = sitk.GetImageFromArray(arr.astype(np.uint8))
    img.SetSpacing(tuple(float(s) for s in spacing))
    return img


def bits(arr):
    return "".join("1" if v else "0" for v in arr.ravel())


def random_masks(rng, n, squash=None):
    out = []
    for k in range(n):
        shape_ = [int(v) for v in rng.integers(1, 7, size=3)]
        if squash is not None:
            shape_[squash] = 1
        density = rng.uniform(0.3, 0.9)
        arr = rng.random(shape_) < density
        if not arr.any():
            arr.flat[0] = True
        spacing = [float(v) for v in np.round(rng.uniform(0.4, 3.0, size=3), 4)]
        out.append((arr, spacing))
    return out


def main(data):
    label = sitk.ReadImage(os.path.join(data, "pyradiomics", "nrrd", "brain1_label.nrrd"))
    names, values = features(shape.RadiomicsShape, label, label)
    with open(os.path.join(HERE, "shape_brain1_nrrd.csv"), "w") as fh:
        fh.write("name,value\n")
        for n, v in zip(names, values):
            fh.write("original_shape_%s,%r\n" % (n, v))

    rng = np.random.default_rng(20240611)
    cases = []
    one = np.zeros((1, 1, 1), bool)
    one[0, 0, 0] = True
    cases.append((one, [1.0, 1.0, 1.0]))
    cases.append((np.ones((1, 1, 5), bool), [0.7, 1.1, 2.5]))
    cases.append((np.ones((1, 4, 3), bool), [0.7, 1.1, 2.5]))
    cases.append((np.ones((3, 3, 3), bool), [2.0, 2.0, 2.0]))
    cases += random_masks(rng, 60)
    # ROIs away from the array's corner: where marching cubes leaves gaps (faces with two diagonal corners
    # in the ROI), MeshVolume depends on the array's origin, which must be the given array's.
    for arr, spacing in random_masks(rng, 16):
        lo = rng.integers(0, 4, size=3)
        hi = rng.integers(0, 3, size=3)
        big = np.zeros(tuple(int(v) for v in np.array(arr.shape) + lo + hi), bool)
        big[lo[0]:lo[0] + arr.shape[0], lo[1]:lo[1] + arr.shape[1], lo[2]:lo[2] + arr.shape[2]] = arr
        cases.append((big, spacing))
    with open(os.path.join(HERE, "shape_random.csv"), "w") as fh:
        header = None
        for arr, spacing in cases:
            img = image_of(arr, spacing)
            names, values = features(shape.RadiomicsShape, img, img)
            if header is None:
                header = "nz,ny,nx,sx,sy,sz,mask," + ",".join(names)
                fh.write(header + "\n")
            fh.write("%d,%d,%d,%r,%r,%r,%s,%s\n" % (arr.shape + tuple(spacing) + (bits(arr),
                     ",".join(repr(v) for v in values))))

    with open(os.path.join(HERE, "shape2d_random.csv"), "w") as fh:
        header = None
        for dim in range(3):
            cases = random_masks(rng, 12, squash=dim)
            for arr, spacing in cases:
                img = image_of(arr, spacing)
                names, values = features(shape2D.RadiomicsShape2D, img, img, force2D=True, force2Ddimension=dim)
                if header is None:
                    header = "dim,nz,ny,nx,sx,sy,sz,mask," + ",".join(names)
                    fh.write(header + "\n")
                fh.write("%d,%d,%d,%d,%r,%r,%r,%s,%s\n" % ((dim,) + arr.shape + tuple(spacing) + (bits(arr),
                         ",".join(repr(v) for v in values))))


if __name__ == "__main__":
    main(sys.argv[1])
