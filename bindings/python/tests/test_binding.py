"""Tests of the radiomics_rs binding: numpy input and geometry, settings, and every error path.

Needs the library (``RADIOMICS_LIBRARY``) and, for the brain1 checks, ``RADIOMICS_TEST_DATA``.
"""
import ctypes
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import radiomics_rs as rr

FIRSTORDER = {"featureClass": {"firstorder": None}, "setting": {"binWidth": 25}}


def brain1():
    data = os.environ.get("RADIOMICS_TEST_DATA")
    if not data:
        pytest.skip("RADIOMICS_TEST_DATA is not set")
    base = os.path.join(data, "pyradiomics", "nifti")
    return os.path.join(base, "brain1_image.nii.gz"), os.path.join(base, "brain1_label.nii.gz")


def phantom():
    """A [z, y, x] = (4, 5, 6) image whose value encodes its index, and a mask of its inner block."""
    z, y, x = np.meshgrid(np.arange(4), np.arange(5), np.arange(6), indexing="ij")
    image = (100 * z + 10 * y + x).astype(np.int16)
    mask = np.zeros(image.shape, dtype=np.uint8)
    mask[1:3, 1:4, 1:5] = 1
    return image, mask


ROT_Z = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def test_version():
    assert rr.version().count(".") == 2
    assert rr.abi_version() >= rr.ABI_VERSION


def test_numpy_is_z_y_x():
    image, _ = phantom()
    img = rr.Image.from_array(image, spacing=(0.5, 0.75, 2.0), origin=(1, 2, 3))
    assert img.size == (6, 5, 4)  # (x, y, z)
    assert img.spacing == (0.5, 0.75, 2.0)
    assert img.origin == (1.0, 2.0, 3.0)
    np.testing.assert_array_equal(img.to_array(), image.astype(np.float64))
    # A mask of the x = 0 column: its minimum and maximum come from image[:, :, 0] only.
    mask = np.zeros(image.shape, dtype=np.uint8)
    mask[:, :, 0] = 1
    f = rr.extract(image, mask, FIRSTORDER)
    assert f["original_firstorder_Minimum"] == image[:, :, 0].min() == 0
    assert f["original_firstorder_Maximum"] == image[:, :, 0].max() == 340


def test_non_identity_direction():
    image, mask = phantom()
    img = rr.Image.from_array(image, spacing=(1, 2, 3), origin=(-5, 4, 1), direction=ROT_Z)
    msk = rr.Image.from_array(mask, spacing=(1, 2, 3), origin=(-5, 4, 1), direction=ROT_Z.ravel())
    assert img.direction == tuple(ROT_Z.ravel())
    rotated = rr.extract(img, msk, FIRSTORDER)
    straight = rr.extract(image, mask, FIRSTORDER, spacing=(1, 2, 3), origin=(-5, 4, 1))
    # First-order features do not depend on orientation: the same numbers, whatever the direction.
    assert rotated == straight
    assert rotated["original_firstorder_Mean"] == image[mask == 1].mean()
    # The same voxels with another direction are not on the image's grid.
    other = rr.Image.from_array(mask, spacing=(1, 2, 3), origin=(-5, 4, 1))
    with pytest.raises(rr.RadiomicsError) as e:
        rr.extract(img, other, FIRSTORDER)
    assert e.value.status == rr.Status.GEOMETRY_MISMATCH


@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64",
                                   "float32", "float64", ">i2", "<f8"])
def test_every_dtype(dtype):
    image, mask = phantom()
    image = image % 100  # fits every dtype
    want = rr.extract(image.astype(np.float64), mask, FIRSTORDER)
    got = rr.extract(image.astype(dtype), mask.astype(dtype), FIRSTORDER)
    assert got == want
    assert rr.extract(image, mask.astype(bool), FIRSTORDER) == rr.extract(image, mask, FIRSTORDER)


def test_non_contiguous_arrays_are_copied_in_index_order():
    image, mask = phantom()
    big = np.zeros((4, 5, 12), dtype=np.int16)
    big[:, :, ::2] = image
    strided = big[:, :, ::2]
    assert not strided.flags["C_CONTIGUOUS"]
    assert rr.extract(strided, mask, FIRSTORDER) == rr.extract(image, mask, FIRSTORDER)


def test_brain1_file_and_numpy_agree():
    image_path, mask_path = brain1()
    settings = rr.Settings.from_dict(FIRSTORDER)
    img = rr.Image.load(image_path)
    msk = rr.Image.load(mask_path)
    from_files = rr.extract(img, msk, settings)
    assert len(from_files) == 18
    again = rr.Image.from_array(img.to_array(), img.spacing, img.origin, img.direction)
    mask_again = rr.Image.from_array(msk.to_array().astype(np.uint8), msk.spacing, msk.origin,
                                     np.reshape(msk.direction, (3, 3)))
    assert rr.extract(again, mask_again, settings) == from_files


def test_brain1_threads_equal_sequential():
    image_path, mask_path = brain1()
    settings = rr.Settings.from_dict(FIRSTORDER)
    img, msk = rr.Image.load(image_path), rr.Image.load(mask_path)
    want = rr.extract(img, msk, settings)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: rr.extract(img, msk, settings), range(8)))
    assert all(r == want for r in results)


def test_settings_setters():
    image, mask = phantom()
    s = rr.Settings.from_yaml("featureClass: {firstorder: [Entropy]}")
    s.set_bin_count(4)
    e4 = rr.extract(image, mask, s)["original_firstorder_Entropy"]
    s.set_bin_width(1000)
    # One bin: PyRadiomics' −Σ p log2(p + ε) is −log2(1 + ε), not exactly 0.
    assert abs(rr.extract(image, mask, s)["original_firstorder_Entropy"]) < 1e-15
    s.set("binCount", 4)
    assert rr.extract(image, mask, s)["original_firstorder_Entropy"] == e4
    s.set_label(2)
    with pytest.raises(rr.RadiomicsError) as e:
        rr.extract(image, mask, s)
    assert e.value.status == rr.Status.EMPTY_ROI
    s.set("label", None)  # back to the default, 1
    s.set_image_types({"Original": {}})
    assert list(rr.extract(image, mask, s)) == ["original_firstorder_Entropy"]
    j = rr.Settings.from_json('{"featureClass": {"firstorder": ["Mean"]}}')
    assert list(rr.extract(image, mask, j)) == ["original_firstorder_Mean"]


def expect(status, fn, *args, match=None):
    with pytest.raises(rr.RadiomicsError) as e:
        fn(*args)
    assert e.value.status == status, str(e.value)
    assert str(e.value).startswith("RAD_" + status.name)
    if match:
        assert match in str(e.value)


def test_error_paths(tmp_path):
    image, mask = phantom()
    expect(rr.Status.IO, rr.Image.load, str(tmp_path / "missing.nii.gz"), match="missing.nii.gz")
    corrupt = tmp_path / "corrupt.nii.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00not gzip at all")
    expect(rr.Status.FORMAT, rr.Image.load, str(corrupt), match="corrupt.nii.gz")
    expect(rr.Status.IO, rr.Settings.from_file, str(tmp_path / "none.yaml"))
    # Mask of another size, empty ROI, unknown setting, non-integer mask.
    expect(rr.Status.GEOMETRY_MISMATCH, rr.extract, image, mask[:, :, :3], FIRSTORDER)
    expect(rr.Status.EMPTY_ROI, rr.extract, image, np.zeros_like(mask), FIRSTORDER)
    expect(rr.Status.UNSUPPORTED_SETTING, rr.Settings.from_dict, {"setting": {"binWidht": 3}}, match="binWidht")
    expect(rr.Status.UNSUPPORTED_SETTING, rr.Settings().set, "binWidht", 3, match="binWidht")
    expect(rr.Status.UNSUPPORTED_SETTING, rr.Settings().set_bin_width, -1)
    expect(rr.Status.UNSUPPORTED_SETTING, rr.Settings().set_image_types, {"Fourier": {}})
    expect(rr.Status.FORMAT, rr.extract, image, mask * 0.5, FIRSTORDER, match="non-integer")
    # Geometry refused by the library.
    expect(rr.Status.INVALID_ARGUMENT, rr.Image.from_array, image, (1, 0, 1), match="spacing")
    expect(rr.Status.INVALID_ARGUMENT, rr.Image.from_array, image, (1, 1, 1), (0, 0, 0), np.zeros(9),
           match="singular")
    with pytest.raises(ValueError):
        rr.Image.from_array(image[0])
    with pytest.raises(ValueError):
        rr.Image.from_array(image, spacing=(1, 1))
    with pytest.raises(TypeError):
        rr.Image.from_array(image.astype(np.complex128))


def test_c_level_error_paths():
    """NULLs and a buffer whose dims disagree with its size, straight through the C functions."""
    lib = rr._lib
    out = ctypes.c_void_p()
    assert lib.rad_image_load(None, ctypes.byref(out)) == rr.Status.INVALID_ARGUMENT
    assert b"'path'" in lib.rad_last_error_message()
    assert lib.rad_settings_new(None) == rr.Status.INVALID_ARGUMENT
    buf = np.zeros(10, dtype=np.float64)
    dims = (ctypes.c_size_t * 3)(2, 2, 3)  # 12 voxels, the buffer holds 10
    one = np.ones(3)
    ident = np.eye(3).ravel()
    p = ctypes.POINTER(ctypes.c_double)
    st = lib.rad_image_from_buffer(buf.ctypes.data_as(ctypes.c_void_p), buf.nbytes, 10, dims,
                                   one.ctypes.data_as(p), one.ctypes.data_as(p), ident.ctypes.data_as(p),
                                   ctypes.byref(out))
    assert st == rr.Status.INVALID_ARGUMENT
    assert b"data_size" in lib.rad_last_error_message()
    assert not out.value
    assert lib.rad_extract_with_progress(None, None, None, rr._PROGRESS(0), None,
                                         ctypes.byref(out)) == rr.Status.INVALID_ARGUMENT
    assert lib.rad_features_count(None) == 0
    assert lib.rad_features_name(None, 0) is None
    lib.rad_image_free(None)
    lib.rad_settings_free(None)
    lib.rad_features_free(None)
    assert lib.rad_status_name(203) == b"RAD_EMPTY_ROI"
    assert lib.rad_status_name(12345) == b"RAD_UNKNOWN"


def test_progress_and_cancel():
    image, mask = phantom()
    seen = []
    rr.extract(image, mask, FIRSTORDER, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    expect(rr.Status.CANCELLED, rr.extract, image, mask, FIRSTORDER, lambda f: False)

    class Stop(Exception):
        pass

    def boom(_):
        raise Stop()

    with pytest.raises(Stop):
        rr.extract(image, mask, FIRSTORDER, progress=boom)


def test_handles_close_once():
    image, _ = phantom()
    img = rr.Image.from_array(image)
    img.close()
    img.close()
    with pytest.raises(ctypes.ArgumentError, match="Image is closed"):
        _ = img.size
    with rr.Settings() as s:
        s.set_label(1)


RESAMPLE_PARAMS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "c", "resample.yaml")


def reference_case(case):
    data = os.environ.get("RADIOMICS_TEST_DATA")
    if not data:
        pytest.skip("RADIOMICS_TEST_DATA is not set")
    base = os.path.join(data, "pyradiomics", "nifti")
    return os.path.join(base, f"{case}_image.nii.gz"), os.path.join(base, f"{case}_label.nii.gz")


def same_bits(a, b):
    assert list(a) == list(b)
    va = np.array(list(a.values()), dtype=np.float64)
    vb = np.array(list(b.values()), dtype=np.float64)
    return np.array_equal(va.view(np.uint64), vb.view(np.uint64))


@pytest.mark.parametrize("case", ["brain1", "breast1", "lung1"])
def test_numpy_in_the_stored_type_gives_the_files_features(case):
    """Voxels copied out as int16 and passed back through numpy: the file's features, bit for bit, with
    and without resampling; as float64 the resampled values are not truncated and differ."""
    image_path, mask_path = reference_case(case)
    image, mask = rr.Image.load(image_path), rr.Image.load(mask_path)
    assert image.dtype == np.int16
    geometry = dict(spacing=image.spacing, origin=image.origin, direction=image.direction)
    array = image.to_array(image.dtype)
    assert array.dtype == np.int16
    image2 = rr.Image.from_array(array, **geometry)
    mask2 = rr.Image.from_array(mask.to_array(mask.dtype), **geometry)
    assert image2.dtype == np.int16
    resample = rr.Settings.from_file(RESAMPLE_PARAMS)
    for settings in (rr.Settings(), resample):
        assert same_bits(rr.extract(image, mask, settings), rr.extract(image2, mask2, settings))
    as_double = rr.Image.from_array(image.to_array(), **geometry)
    assert not same_bits(rr.extract(image, mask, resample), rr.extract(as_double, mask2, resample))


def test_warnings_are_issued_kept_and_logged():
    image, mask = phantom()
    settings = {"imageType": {"Original": {}, "LoG": {"sigma": [1000.0]}},
                "featureClass": {"firstorder": ["Mean"]}}
    heard = []
    rr.set_log_handler(lambda level, message: heard.append((level, message)))
    try:
        with pytest.warns(rr.RadiomicsWarning, match="LoG sigma 1000"):
            f = rr.extract(image, mask, settings)
    finally:
        rr.set_log_handler(None)
    assert len(f.warnings) == 1 and f.warnings[0].startswith("LoG sigma 1000 skipped")
    assert heard == [(30, f.warnings[0])]
    with pytest.warns(rr.RadiomicsWarning):
        rr.extract(image, mask, settings)
    assert len(heard) == 1  # removed

    class Stop(Exception):
        pass

    def boom(level, message):
        raise Stop(message)

    rr.set_log_handler(boom)
    try:
        with pytest.raises(Stop, match="LoG sigma"):
            rr.extract(image, mask, settings)
        # A failure reaches the handler at level 40, and its exception comes back.
        with pytest.raises(Stop, match="RAD_IO"):
            rr.Image.load("/nonexistent/none.nii.gz")
    finally:
        rr.set_log_handler(None)


def test_threads_per_settings_give_the_same_bits():
    image_path, mask_path = brain1()
    image, mask = rr.Image.load(image_path), rr.Image.load(mask_path)
    base = rr.extract(image, mask, rr.Settings.from_dict(FIRSTORDER))
    for n in (1, 2, 3):
        settings = rr.Settings.from_dict(FIRSTORDER).set_threads(n)
        assert same_bits(base, rr.extract(image, mask, settings))
    with pytest.raises(rr.RadiomicsError) as e:
        rr.Settings().set_threads(10**6)
    assert e.value.status == rr.Status.UNSUPPORTED_SETTING


def test_progress_is_fine_and_on_the_calling_thread():
    import threading

    image_path, mask_path = brain1()
    image, mask = rr.Image.load(image_path), rr.Image.load(mask_path)
    settings = {"imageType": {"Original": {}, "LoG": {"sigma": [1.0, 2.0]}, "Wavelet": {}},
                "setting": {"binWidth": 25}}
    seen, threads = [], set()

    def progress(f):
        seen.append(f)
        threads.add(threading.get_ident())

    rr.extract(image, mask, settings, progress=progress)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(a < b for a, b in zip(seen, seen[1:]))
    assert len(seen) > 8  # one report per image type was 4
    assert threads == {threading.get_ident()}


def test_extract_case_prefixes_each_modality():
    image, mask = phantom()
    single = rr.extract(image, mask, FIRSTORDER)
    both = rr.extract_case({"t1c": image, "adc": image}, mask, FIRSTORDER,
                           image_settings={"adc": {"featureClass": {"firstorder": ["Maximum"]}}})
    assert list(both)[: len(single)] == [f"t1c_{n}" for n in single]
    assert list(both)[len(single):] == ["adc_original_firstorder_Maximum"]
    assert both["adc_original_firstorder_Maximum"] == single["original_firstorder_Maximum"]
    with pytest.raises(rr.RadiomicsError) as e:
        rr.extract_case({"t1c": image, "9x": image}, mask)
    assert e.value.status == rr.Status.INVALID_ARGUMENT
def test_feature_maps():
    image, mask = phantom()
    params = {
        "featureClass": {"firstorder": ["Mean", "Maximum"], "glcm": ["Contrast"]},
        "voxelSetting": {"kernelRadius": 1, "initValue": -7.0},
    }
    maps = rr.extract_maps(image, mask, params, spacing=(1.0, 2.0, 3.0), origin=(5.0, 0.0, 0.0))
    assert sorted(maps) == ["original_firstorder_Maximum", "original_firstorder_Mean",
                            "original_glcm_Contrast"]
    # The ROI's box [1:3, 1:4, 1:5] grown by the radius is the whole (4, 5, 6) image.
    mean = maps["original_firstorder_Mean"]
    assert mean.shape == image.shape and mean.dtype == np.float64
    assert maps.spacing == (1.0, 2.0, 3.0) and maps.origin == (5.0, 0.0, 0.0)
    assert (mean[mask == 0] == -7.0).all()
    # The kernel of ROI voxel (1, 1, 1): the ROI voxels of [0:3, 0:3, 0:3].
    kernel = image[0:3, 0:3, 0:3][mask[0:3, 0:3, 0:3] == 1]
    assert mean[1, 1, 1] == pytest.approx(kernel.mean(), rel=1e-12)
    assert maps["original_firstorder_Maximum"][2, 3, 4] == image[1:4, 2:5, 3:6][mask[1:4, 2:5, 3:6] == 1].max()
    expect(rr.Status.CANCELLED, rr.extract_maps, image, mask, params, lambda f: f < 0.5)
