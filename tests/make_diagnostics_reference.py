"""Writes PyRadiomics' batch tables, the reference of tests/diagnostics.rs (diagnostics_* entries and the
PyRadiomics batch CSV of `radiomics batch`).

Run with a Python that has PyRadiomics 3.0.1 (for instance the environment that
../shared/tools/install-pyradiomics.sh makes), from the repository root:

    PYTHON tests/make_diagnostics_reference.py DATA_DIR

DATA_DIR holds pyradiomics/{nrrd,nifti}/. For every configuration below the script writes into
tests/data/diagnostics/:

- `<config>.yaml`: the parameter file;
- `<config>_cases.csv`: PyRadiomics' batch input, paths written as `{data}/...` (under DATA_DIR) or `{here}/...`
  (beside this output);
- `<config>.csv`: what PyRadiomics' own command line writes for it (`pyradiomics cases.csv -p P -f csv
  --format-path basename`): input columns, diagnostics, features;

and `breast1_label_crop.nrrd`, breast1's label cropped to its ROI and a margin (a mask on another grid than the
image's, which `correctMask` resamples onto it).
"""
import csv
import os
import sys
import tempfile

import SimpleITK as sitk
import yaml
from radiomics.scripts import PyRadiomicsCommandLine

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'diagnostics')

CONFIGS = {
    # PyRadiomics' defaults (all classes, binWidth 25) on the three reference cases; a pass-through column
    # with a comma in it, and one row with Label 1 given.
    'default': (
        {'imageType': {'Original': {}}, 'setting': {'binWidth': 25}},
        [{'Image': '{data}/pyradiomics/nrrd/brain1_image.nrrd', 'Mask': '{data}/pyradiomics/nrrd/brain1_label.nrrd',
          'Label': '1', 'Note': 'first, with a comma'},
         {'Image': '{data}/pyradiomics/nifti/breast1_image.nii.gz',
          'Mask': '{data}/pyradiomics/nifti/breast1_label.nii.gz', 'Label': '1', 'Note': 'second'},
         {'Image': '{data}/pyradiomics/nifti/lung1_image.nii.gz',
          'Mask': '{data}/pyradiomics/nifti/lung1_label.nii.gz', 'Label': '1', 'Note': ''}]),
    # Normalisation and resampling (Image-/Mask-interpolated); classes and features listed out of
    # PyRadiomics' default order, which decides the order of the output.
    'resampled': (
        {'imageType': {'Original': {}},
         'featureClass': {'firstorder': ['Mean', 'Energy', 'Median'], 'shape': None, 'glrlm': None,
                          'glcm': ['Contrast', 'Autocorrelation']},
         'setting': {'normalize': True, 'normalizeScale': 100, 'binWidth': 5, 'resampledPixelSpacing': [1, 1, 1],
                     'interpolator': 'sitkBSpline'}},
        [{'Image': '{data}/pyradiomics/nrrd/brain1_image.nrrd', 'Mask': '{data}/pyradiomics/nrrd/brain1_label.nrrd',
          'Label': '1'},
         {'Image': '{data}/pyradiomics/nrrd/breast1_image.nrrd',
          'Mask': '{data}/pyradiomics/nrrd/breast1_label.nrrd', 'Label': '1'}]),
    # A mask on another grid (Mask-corrected) and sigma re-segmentation (Mask-resegmented).
    'corrected': (
        {'imageType': {'Original': {}}, 'featureClass': {'shape': None, 'firstorder': None},
         'setting': {'correctMask': True, 'resegmentRange': [-2, 2.5], 'resegmentMode': 'sigma', 'binWidth': 10}},
        [{'Image': '{data}/pyradiomics/nrrd/breast1_image.nrrd', 'Mask': '{here}/breast1_label_crop.nrrd',
          'Label': '1'}]),
    # additionalInfo off: no diagnostics.
    'no_info': (
        {'featureClass': {'firstorder': None}, 'setting': {'additionalInfo': False}},
        [{'Image': '{data}/pyradiomics/nrrd/breast1_image.nrrd',
          'Mask': '{data}/pyradiomics/nrrd/breast1_label.nrrd', 'Label': '1'}]),
}


def main():
    data = os.path.abspath(sys.argv[1])
    os.makedirs(HERE, exist_ok=True)
    label = sitk.ReadImage(os.path.join(data, 'pyradiomics', 'nrrd', 'breast1_label.nrrd'))
    # The ROI's box (x 21..29, y 64..75, z 8..10) with a margin of 3, 2, 1 voxels: size, then first index.
    crop = sitk.RegionOfInterest(label, [15, 16, 5], [18, 62, 7])
    sitk.WriteImage(crop, os.path.join(HERE, 'breast1_label_crop.nrrd'), True)
    for name, (params, cases) in CONFIGS.items():
        params_path = os.path.join(HERE, name + '.yaml')
        with open(params_path, 'w') as f:
            f.write('# PyRadiomics parameter file of the "%s" diagnostics reference (tests/make_diagnostics_reference.py)\n'
                    % name)
            yaml.safe_dump(params, f, sort_keys=False, default_flow_style=None)
        columns = list(cases[0].keys())
        with open(os.path.join(HERE, name + '_cases.csv'), 'w', newline='') as f:
            w = csv.DictWriter(f, columns, lineterminator='\n')
            w.writeheader()
            w.writerows(cases)
        with tempfile.TemporaryDirectory() as tmp:
            batch = os.path.join(tmp, 'cases.csv')
            with open(batch, 'w', newline='') as f:
                w = csv.DictWriter(f, columns, lineterminator='\n')
                w.writeheader()
                for c in cases:
                    w.writerow({k: v.replace('{data}', data).replace('{here}', HERE) for k, v in c.items()})
            out = os.path.join(HERE, name + '.csv')
            if os.path.exists(out):
                os.remove(out)  # PyRadiomics appends
            rc = PyRadiomicsCommandLine([batch, '-p', params_path, '-o', out, '-f', 'csv',
                                         '--format-path', 'basename']).run()
            if rc != 0:
                sys.exit('PyRadiomics failed on %s (rc %s)' % (name, rc))
        print('wrote', name)


if __name__ == '__main__':
    main()
