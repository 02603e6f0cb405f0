"""Times PyRadiomics' execute() on images already loaded, for one case and one parameter file.

Usage: pyradiomics_bench.py IMAGE MASK PARAMS REPEAT
Prints the median seconds of `extractor.execute(image, mask)` (SimpleITK images loaded once) as its last
line, and the number of features before it. Run with a Python that has PyRadiomics (see
../shared/tools/install-pyradiomics.sh); SimpleITK is limited to one thread so that the comparison with
`radiomics bench --threads 1` is one core against one core.
"""
import logging
import statistics
import sys
import time

import SimpleITK as sitk
import radiomics
from radiomics import featureextractor


def main():
    image_path, mask_path, params, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    radiomics.setVerbosity(logging.ERROR)
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    image = sitk.ReadImage(image_path)
    mask = sitk.ReadImage(mask_path)
    extractor = featureextractor.RadiomicsFeatureExtractor(params)
    times = []
    n = 0
    for _ in range(repeat):
        t = time.perf_counter()
        result = extractor.execute(image, mask)
        times.append(time.perf_counter() - t)
        n = sum(1 for k in result if not k.startswith("diagnostics_"))
    print(f"{n} features")
    print(f"{statistics.median(times):.6f}")


if __name__ == "__main__":
    main()
