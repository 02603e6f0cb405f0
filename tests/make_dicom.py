"""Writes the DICOM, MetaImage and detached NRRD test inputs of tests/dicom.rs from the reference volumes.

Usage (python with pydicom, highdicom, SimpleITK, scikit-image and numpy):

    python tests/make_dicom.py DATA_DIR OUT_DIR
    python tests/make_dicom.py --fuzz-seeds fuzz/seeds/dicom

The second form writes the small seed inputs of the `dicom` fuzz target instead (8x8 slices in each
transfer syntax written here, a SEG and an RTSTRUCT on them, a few KB each).

DATA_DIR holds pyradiomics/nifti/{brain1,breast1,lung1}_{image,label}.nii.gz. OUT_DIR receives (about
60 MB):

- ct/: lung1 as a CT series (explicit VR little endian, unsigned stored values with RescaleIntercept -1024,
  InstanceNumbers running against the slice order, shuffled file names, one non-DICOM file);
  ct_seg.dcm: lung1's label as a BINARY SEG (highdicom, empty frames omitted);
  ct_rtstruct.dcm: an RT Structure Set on ct/ with ROI 1 'GTV' (lung1's label traced per slice with
  skimage.measure.find_contours) and ROI 2 'RING' (a square with a square hole); ct_rtstruct_ref_1.nii.gz,
  ct_rtstruct_ref_2.nii.gz: those contours rasterised by skimage.draw.polygon2mask on the voxel centres,
  contours of one slice combined by the even-odd rule (exclusive or), the reference for the rasteriser.
- mr/: brain1 as an MR series (implicit VR little endian; its slice normal runs against the NIfTI's z axis,
  so the series' z axis is reversed); mr_seg.dcm: brain1's label as a FRACTIONAL SEG.
- oblique/: breast1 cropped to 119 rows (so that 1-bit frames do not end on byte boundaries) and turned
  to an oblique orientation, RescaleSlope 0.5 and RescaleIntercept 3 (stored values 2 (v - 3));
  oblique_image.nii.gz, oblique_label.nii.gz: the same volume and label as NIfTI; oblique_seg.dcm: BINARY SEG.
- itk_series.json: each series above as SimpleITK's ImageSeriesReader reads it (GDCM's file order):
  size, spacing, origin, direction, pixel type, and the sum and sum of squares of the voxel values;
  mr_image.nii.gz, mr_label.nii.gz: brain1 and its label on that grid (the reference for mr/).
- brain1.mha (zlib), brain1.mhd + brain1.raw, brain1.nhdr + data: brain1 in MetaImage and detached NRRD.
- bad/: broken inputs, each for one error: missing/ (a slice left out), mixed_size/, mixed_orientation/,
  two_series/ (two series in one folder), unsupported_ts/ (JPEG 2000 transfer syntax), truncated/,
  seg_other_for.dcm (SEG in another frame of reference), rt_off_image.dcm, rt_open.dcm, rt_between.dcm;
  and small/, the good series they are made from (breast1), with small_seg.dcm.
"""
import json
import os
import shutil
import sys

import highdicom as hd
import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import (CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless,
                         MRImageStorage, generate_uid)
from pydicom.valuerep import format_number_as_ds
from skimage import draw, measure

sitk.ProcessObject_SetGlobalWarningDisplay(False)
RT_STRUCT_STORAGE = '1.2.840.10008.5.1.4.1.1.481.3'


def ds(v):
    return format_number_as_ds(float(v))


def geometry_of(img):
    d = np.array(img.GetDirection()).reshape(3, 3)
    return np.array(img.GetOrigin()), np.array(img.GetSpacing()), d


def write_series(img, folder, modality, ts, slope=1.0, intercept=0.0, unsigned=False, reverse_instances=False,
                 shuffle_names=False, series_uid=None, for_uid=None, description=''):
    """Writes `img` (sitk, integer values) as one file per z slice; returns the datasets in z order."""
    os.makedirs(folder, exist_ok=True)
    arr = sitk.GetArrayFromImage(img).astype(np.float64)
    origin, spacing, d = geometry_of(img)
    nz, ny, nx = arr.shape
    stored = np.rint((arr - intercept) / slope)
    assert np.allclose(stored * slope + intercept, arr)
    dtype = np.uint16 if unsigned else np.int16
    assert stored.min() >= np.iinfo(dtype).min and stored.max() <= np.iinfo(dtype).max
    study, series = generate_uid(prefix=None), series_uid or generate_uid(prefix=None)
    frame_of_reference = for_uid or generate_uid(prefix=None)
    names = list(range(nz))
    if shuffle_names:
        names = list(np.random.default_rng(7).permutation(nz))
    out = []
    for k in range(nz):
        sop = generate_uid(prefix=None)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage if modality == 'CT' else MRImageStorage
        meta.MediaStorageSOPInstanceUID = sop
        meta.TransferSyntaxUID = ts
        path = os.path.join(folder, 'IM%04d' % names[k] if shuffle_names else 'slice%03d.dcm' % k)
        f = FileDataset(path, {}, file_meta=meta, preamble=b'\0' * 128)
        f.SOPClassUID = meta.MediaStorageSOPClassUID
        f.SOPInstanceUID = sop
        f.StudyInstanceUID = study
        f.SeriesInstanceUID = series
        f.FrameOfReferenceUID = frame_of_reference
        f.PatientID = 'P1'
        f.PatientName = 'Test^Patient'
        f.PatientBirthDate = '19700101'
        f.PatientSex = 'O'
        f.StudyDate = '20240101'
        f.StudyTime = '120000'
        f.StudyID = '1'
        f.AccessionNumber = '1'
        f.ReferringPhysicianName = ''
        f.Manufacturer = 'test'
        f.Modality = modality
        f.SeriesNumber = 1
        f.SeriesDescription = description
        f.InstanceNumber = (nz - k) if reverse_instances else (k + 1)
        pos = origin + k * spacing[2] * d[:, 2]
        f.ImagePositionPatient = [ds(v) for v in pos]
        f.ImageOrientationPatient = [ds(v) for v in list(d[:, 0]) + list(d[:, 1])]
        f.PixelSpacing = [ds(spacing[1]), ds(spacing[0])]
        f.SliceThickness = ds(spacing[2])
        f.Rows, f.Columns = ny, nx
        f.SamplesPerPixel = 1
        f.PhotometricInterpretation = 'MONOCHROME2'
        f.BitsAllocated, f.BitsStored, f.HighBit = 16, 16, 15
        f.PixelRepresentation = 0 if unsigned else 1
        f.RescaleSlope = ds(slope)
        f.RescaleIntercept = ds(intercept)
        f.PixelData = stored[k].astype(dtype).tobytes()
        f.save_as(path, enforce_file_format=True)
        out.append(pydicom.dcmread(path))
    return out


def make_seg(sources, label_arr, path, seg_type, for_uid=None):
    """A SEG of segment 1 ('ROI') from a (z, y, x) 0/1 array, frames in source order."""
    desc = hd.seg.SegmentDescription(
        segment_number=1,
        segment_label='ROI',
        segmented_property_category=hd.sr.CodedConcept('91723000', 'SCT', 'Anatomical Structure'),
        segmented_property_type=hd.sr.CodedConcept('27925004', 'SCT', 'Nodule'),
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )
    pixels = label_arr.astype(np.float64 if seg_type == 'FRACTIONAL' else bool)
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=pixels,
        segmentation_type=getattr(hd.seg.SegmentationTypeValues, seg_type),
        segment_descriptions=[desc],
        series_instance_uid=hd.UID(),
        series_number=2,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer='test',
        manufacturer_model_name='test',
        software_versions='1',
        device_serial_number='1',
        max_fractional_value=255 if seg_type == 'FRACTIONAL' else None,
    )
    if for_uid is not None:
        seg.FrameOfReferenceUID = for_uid
    seg.save_as(path)


def contour_item(points, kind='CLOSED_PLANAR'):
    c = Dataset()
    c.ContourGeometricType = kind
    c.NumberOfContourPoints = len(points)
    c.ContourData = [ds(v) for p in points for v in p]
    return c


def write_rtstruct(source, rois, path, for_uid=None):
    """rois: [(number, name, [world point lists])]."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = RT_STRUCT_STORAGE
    sop = generate_uid(prefix=None)
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    f = FileDataset(path, {}, file_meta=meta, preamble=b'\0' * 128)
    f.SOPClassUID, f.SOPInstanceUID = RT_STRUCT_STORAGE, sop
    for key in ['StudyInstanceUID', 'PatientID', 'PatientName', 'StudyDate', 'StudyTime']:
        setattr(f, key, getattr(source, key))
    f.Modality = 'RTSTRUCT'
    f.SeriesInstanceUID = generate_uid(prefix=None)
    f.StructureSetLabel = 'test'
    frame_of_reference = for_uid or source.FrameOfReferenceUID
    ref = Dataset()
    ref.FrameOfReferenceUID = frame_of_reference
    series = Dataset()
    series.SeriesInstanceUID = source.SeriesInstanceUID
    study = Dataset()
    study.ReferencedSOPInstanceUID = source.StudyInstanceUID
    study.RTReferencedSeriesSequence = Sequence([series])
    ref.RTReferencedStudySequence = Sequence([study])
    f.ReferencedFrameOfReferenceSequence = Sequence([ref])
    roi_seq, contour_seq, obs_seq = [], [], []
    for number, name, contours in rois:
        r = Dataset()
        r.ROINumber = number
        r.ReferencedFrameOfReferenceUID = frame_of_reference
        r.ROIName = name
        r.ROIGenerationAlgorithm = 'MANUAL'
        roi_seq.append(r)
        c = Dataset()
        c.ReferencedROINumber = number
        c.ROIDisplayColor = [255, 0, 0]
        c.ContourSequence = Sequence([contour_item(p, k) for p, k in contours])
        contour_seq.append(c)
        o = Dataset()
        o.ObservationNumber = number
        o.ReferencedROINumber = number
        o.RTROIInterpretedType = 'ORGAN'
        o.ROIInterpreter = ''
        obs_seq.append(o)
    f.StructureSetROISequence = Sequence(roi_seq)
    f.ROIContourSequence = Sequence(contour_seq)
    f.RTROIObservationsSequence = Sequence(obs_seq)
    f.save_as(path, enforce_file_format=True)


def traced_contours(label_arr):
    """Per slice, the outlines of the label (find_contours at 0.5), as (k, [(x, y) index points])."""
    out = []
    for k in range(label_arr.shape[0]):
        sl = np.pad(label_arr[k].astype(float), 1)
        if not sl.any():
            continue
        for c in measure.find_contours(sl, 0.5):
            pts = c[:-1] - 1.0  # closed: drop the repeated point; undo the padding
            out.append((k, [(p[1], p[0]) for p in pts]))
    return out


def rasterise(shape, contours):
    """Reference rasteriser: polygon2mask per contour on voxel centres, exclusive or within a slice."""
    ref = np.zeros(shape, bool)
    for k, pts in contours:
        poly = np.array([(y, x) for x, y in pts])
        ref[k] ^= draw.polygon2mask(shape[1:], poly)
    return ref


def to_world(img, k, pts):
    return [img.TransformContinuousIndexToPhysicalPoint((float(x), float(y), float(k))) for x, y in pts]


def save_like(arr, like, path):
    out = sitk.GetImageFromArray(arr)
    out.CopyInformation(like)
    sitk.WriteImage(out, path)


def main(data_dir, out_dir):
    nifti = os.path.join(data_dir, 'pyradiomics', 'nifti')
    os.makedirs(out_dir, exist_ok=True)
    read = lambda case, what: sitk.ReadImage(os.path.join(nifti, '%s_%s.nii.gz' % (case, what)))

    # CT: lung1.
    ct, ct_label = read('lung1', 'image'), read('lung1', 'label')
    ct_dir = os.path.join(out_dir, 'ct')
    shutil.rmtree(ct_dir, ignore_errors=True)
    ct_sources = write_series(ct, ct_dir, 'CT', ExplicitVRLittleEndian, intercept=-1024.0, unsigned=True,
                              reverse_instances=True, shuffle_names=True, description='lung1 CT')
    with open(os.path.join(ct_dir, 'README.txt'), 'w') as f:
        f.write('not a DICOM file\n')
    ct_lab = sitk.GetArrayFromImage(ct_label) == 1
    make_seg(ct_sources, ct_lab, os.path.join(out_dir, 'ct_seg.dcm'), 'BINARY')
    gtv = traced_contours(ct_lab)
    ring = [(20, [(99.5, 199.5), (140.5, 199.5), (140.5, 240.5), (99.5, 240.5)]),
            (20, [(109.5, 209.5), (130.5, 209.5), (130.5, 230.5), (109.5, 230.5)])]
    write_rtstruct(ct_sources[0], [
        (1, 'GTV', [(to_world(ct, k, p), 'CLOSED_PLANAR') for k, p in gtv]),
        (2, 'RING', [(to_world(ct, k, p), 'CLOSED_PLANAR') for k, p in ring]),
    ], os.path.join(out_dir, 'ct_rtstruct.dcm'))
    for n, contours in [(1, gtv), (2, ring)]:
        ref = rasterise(ct_lab.shape, contours).astype(np.uint8)
        save_like(ref, ct_label, os.path.join(out_dir, 'ct_rtstruct_ref_%d.nii.gz' % n))

    # MR: brain1, implicit VR, FRACTIONAL SEG.
    mr, mr_label = read('brain1', 'image'), read('brain1', 'label')
    mr_dir = os.path.join(out_dir, 'mr')
    shutil.rmtree(mr_dir, ignore_errors=True)
    mr_sources = write_series(mr, mr_dir, 'MR', ImplicitVRLittleEndian, description='brain1 MR')
    make_seg(mr_sources, sitk.GetArrayFromImage(mr_label) == 1, os.path.join(out_dir, 'mr_seg.dcm'),
             'FRACTIONAL')

    # Oblique: breast1 cropped to 119 rows, turned by 25 degrees about (1, 2, 2) / 3.
    br, br_label = read('breast1', 'image'), read('breast1', 'label')
    br, br_label = br[:, :119, :], br_label[:, :119, :]
    axis, angle = np.array([1.0, 2.0, 2.0]) / 3.0, np.deg2rad(25.0)
    kx = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rot = np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx
    for im in (br, br_label):
        im.SetDirection(tuple(rot.flatten()))
    sitk.WriteImage(br, os.path.join(out_dir, 'oblique_image.nii.gz'))
    sitk.WriteImage(br_label, os.path.join(out_dir, 'oblique_label.nii.gz'))
    # The DICOM series from the NIfTI as read back, so that both carry one geometry.
    br = sitk.ReadImage(os.path.join(out_dir, 'oblique_image.nii.gz'))
    ob_dir = os.path.join(out_dir, 'oblique')
    shutil.rmtree(ob_dir, ignore_errors=True)
    ob_sources = write_series(br, ob_dir, 'MR', ExplicitVRLittleEndian, slope=0.5, intercept=3.0,
                              description='breast1 oblique')
    make_seg(ob_sources, sitk.GetArrayFromImage(br_label) == 1, os.path.join(out_dir, 'oblique_seg.dcm'),
             'BINARY')

    # The series as ITK reads them.
    itk = {}
    for name in ['ct', 'mr', 'oblique']:
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(os.path.join(out_dir, name)))
        img = reader.Execute()
        a = sitk.GetArrayFromImage(img).astype(np.float64)
        itk[name] = dict(size=img.GetSize(), spacing=img.GetSpacing(), origin=img.GetOrigin(),
                         direction=img.GetDirection(), pixel_type=img.GetPixelIDTypeAsString(),
                         sum=float(a.sum()), sum_sq=float((a * a).sum()))
        if name == 'mr':
            sitk.WriteImage(img, os.path.join(out_dir, 'mr_image.nii.gz'))
            on_grid = sitk.Resample(mr_label, img, sitk.Transform(), sitk.sitkNearestNeighbor)
            sitk.WriteImage(on_grid, os.path.join(out_dir, 'mr_label.nii.gz'))
    with open(os.path.join(out_dir, 'itk_series.json'), 'w') as f:
        json.dump(itk, f, indent=1)

    # MetaImage and detached NRRD.
    sitk.WriteImage(mr, os.path.join(out_dir, 'brain1.mha'), True)
    sitk.WriteImage(mr, os.path.join(out_dir, 'brain1.mhd'), False)
    sitk.WriteImage(mr, os.path.join(out_dir, 'brain1.nhdr'), True)

    # Broken inputs, from breast1.
    bad = os.path.join(out_dir, 'bad')
    shutil.rmtree(bad, ignore_errors=True)
    small, small_label = read('breast1', 'image'), read('breast1', 'label')
    small_sources = write_series(small, os.path.join(bad, 'small'), 'MR', ExplicitVRLittleEndian,
                                 description='breast1')
    make_seg(small_sources, sitk.GetArrayFromImage(small_label) == 1, os.path.join(bad, 'small_seg.dcm'),
             'BINARY')
    make_seg(small_sources, sitk.GetArrayFromImage(small_label) == 1, os.path.join(bad, 'seg_other_for.dcm'),
             'BINARY', for_uid=generate_uid(prefix=None))
    src = os.path.join(bad, 'small')
    names = sorted(os.listdir(src))

    def variant(name, edit=None, skip=()):
        folder = os.path.join(bad, name)
        os.makedirs(folder)
        for i, n in enumerate(names):
            if i in skip:
                continue
            f = pydicom.dcmread(os.path.join(src, n))
            if edit is not None:
                f = edit(i, f) or f
            f.save_as(os.path.join(folder, n), enforce_file_format=True)

    variant('missing', skip=(10,))

    def crop(i, f):
        if i == 5:
            a = f.pixel_array[:, :-1].copy()
            f.Columns = a.shape[1]
            f.PixelData = a.tobytes()
    variant('mixed_size', crop)

    def turn(i, f):
        if i == 5:
            f.ImageOrientationPatient = ['0', '1', '0', '1', '0', '0']
    variant('mixed_orientation', turn)

    def jp2(i, f):
        f.file_meta.TransferSyntaxUID = JPEG2000Lossless
        f.PixelData = encapsulate([b'\xff\x4f\xff\x51' + b'\0' * 60])
        f['PixelData'].VR = 'OB'
    variant('unsupported_ts', jp2)

    two = os.path.join(bad, 'two_series')
    shutil.copytree(src, two)
    other = generate_uid(prefix=None)
    for i, n in enumerate(names[:3]):
        f = pydicom.dcmread(os.path.join(src, n))
        f.SeriesInstanceUID = other
        f.SeriesDescription = 'other series'
        f.SOPInstanceUID = generate_uid(prefix=None)
        f.file_meta.MediaStorageSOPInstanceUID = f.SOPInstanceUID
        f.save_as(os.path.join(two, 'other%d.dcm' % i), enforce_file_format=True)
    trunc = os.path.join(bad, 'truncated')
    shutil.copytree(src, trunc)
    with open(os.path.join(trunc, names[4]), 'r+b') as f:
        f.truncate(700)

    # RTSTRUCTs with broken contours, on small/.
    o = small_sources[0]
    inside = [(10.5, 10.5), (20.5, 10.5), (20.5, 20.5), (10.5, 20.5)]
    k = 5
    off = [(x + 200.0, y) for x, y in inside]
    write_rtstruct(o, [(1, 'OFF', [(to_world(small, k, off), 'CLOSED_PLANAR')])],
                   os.path.join(bad, 'rt_off_image.dcm'))
    write_rtstruct(o, [(1, 'OPEN', [(to_world(small, k, inside), 'OPEN_PLANAR')])],
                   os.path.join(bad, 'rt_open.dcm'))
    between = [small.TransformContinuousIndexToPhysicalPoint((x, y, k + 0.5)) for x, y in inside]
    write_rtstruct(o, [(1, 'BETWEEN', [(between, 'CLOSED_PLANAR')])], os.path.join(bad, 'rt_between.dcm'))


def fuzz_seeds(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    arr = (np.arange(128).reshape(2, 8, 8) * 7 - 300).astype(np.int16)
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing((0.5, 0.75, 2.0))
    label = np.zeros((2, 8, 8), bool)
    label[:, 2:5, 3:7] = True
    tmp = os.path.join(out_dir, 'tmp')
    sources = write_series(img, os.path.join(tmp, 'explicit'), 'CT', ExplicitVRLittleEndian, intercept=-1024.0,
                           unsigned=True)
    write_series(img, os.path.join(tmp, 'implicit'), 'MR', ImplicitVRLittleEndian, slope=0.5)
    shutil.copy(os.path.join(tmp, 'explicit', 'slice000.dcm'), os.path.join(out_dir, 'ct_explicit.dcm'))
    shutil.copy(os.path.join(tmp, 'implicit', 'slice001.dcm'), os.path.join(out_dir, 'mr_implicit.dcm'))
    make_seg(sources, label, os.path.join(out_dir, 'seg_binary.dcm'), 'BINARY')
    make_seg(sources, label, os.path.join(out_dir, 'seg_fractional.dcm'), 'FRACTIONAL')
    square = [(2.5, 1.5), (6.5, 1.5), (6.5, 5.5), (2.5, 5.5)]
    write_rtstruct(sources[0], [(1, 'A', [(to_world(img, 0, square), 'CLOSED_PLANAR')])],
                   os.path.join(out_dir, 'rtstruct.dcm'))
    shutil.rmtree(tmp)


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--fuzz-seeds':
        fuzz_seeds(sys.argv[2])
    elif len(sys.argv) == 3:
        main(sys.argv[1], sys.argv[2])
    else:
        sys.exit(__doc__)
