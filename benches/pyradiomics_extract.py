"""A whole PyRadiomics process, as a user runs it: read the files, extract, write name,value CSV.

Usage: pyradiomics_extract.py IMAGE MASK PARAMS OUT
"""
import logging
import sys

import radiomics
from radiomics import featureextractor

radiomics.setVerbosity(logging.ERROR)
image, mask, params, out = sys.argv[1:5]
result = featureextractor.RadiomicsFeatureExtractor(params).execute(image, mask)
with open(out, "w") as f:
    f.write("name,value\n")
    for k, v in result.items():
        if not k.startswith("diagnostics_"):
            f.write(f"{k},{float(v)!r}\n")
