"""extract: the features of one image and mask, printed as `name,value` CSV (Python binding).

    python extract.py IMAGE MASK [PARAMS]

IMAGE and MASK are NIfTI (.nii, .nii.gz) or NRRD files; PARAMS is a PyRadiomics parameter file (YAML or
JSON), PyRadiomics' defaults without one. The image goes through numpy on the way ([z, y, x] arrays with
their spacing, origin and direction), as an image already in memory would. Prints whatever features the
settings enable.
"""
import sys

import radiomics_rs as rr


def main(argv):
    if len(argv) not in (3, 4):
        print(f"usage: {argv[0]} IMAGE MASK [PARAMS]", file=sys.stderr)
        return 2
    try:
        settings = rr.Settings.from_file(argv[3]) if len(argv) == 4 else rr.Settings()
        loaded = rr.Image.load(argv[1])
        # An image held in memory: a [z, y, x] array with its geometry in (x, y, z) order.
        array = loaded.to_array()
        image = rr.Image.from_array(array, spacing=loaded.spacing, origin=loaded.origin,
                                    direction=loaded.direction)
        mask = rr.Image.load(argv[2])
        features = rr.extract(image, mask, settings)
    except rr.RadiomicsError as e:
        print(f"extract: {e.status.name if hasattr(e.status, 'name') else e.status}: {e}", file=sys.stderr)
        return 1
    print("name,value")
    for name, value in features.items():
        print(f"{name},{value!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
