"""radiomics_rs: PyRadiomics-compatible radiomics features through the radiomics C library.

A thin layer over the C ABI (``radiomics.h``) with ctypes: it translates, the library decides.

Conventions
-----------
- numpy arrays are indexed ``[z, y, x]`` (C order), as ``SimpleITK.GetArrayFromImage`` returns them;
- ``spacing`` and ``origin`` are ``(x, y, z)`` in mm, LPS world coordinates; ``direction`` is the 3x3
  direction-cosine matrix, row-major (9 numbers, or a 3x3 array), as ``SimpleITK.Image.GetDirection()``
  returns it: column ``c`` is the world direction of axis ``c``;
- masks are label images: integer values, the region of interest is the voxels equal to ``label``.

Models
------
:class:`Model` reads a model file (``radiomics train`` or ``radiomics demo``) and predicts the probability
of the positive class from the result of :func:`extract` or, with the model's own extraction settings,
from a case's images by modality::

    model = radiomics_rs.Model.load("model.json")
    p = model.predict_case({"t1c": t1c, "adc": (adc_array, spacing, origin, direction)}, mask)
    positive = p >= model.threshold

The package carries its shared library (``libradiomics.so`` next to this file, built by ``pip install``).
``$RADIOMICS_LIBRARY`` overrides it; without either, the system's library path is searched.
"""

import ctypes
import ctypes.util
import enum
import json
import os
import threading
import warnings

import numpy as np

__all__ = [
    "Features",
    "Image",
    "Model",
    "RadiomicsError",
    "RadiomicsWarning",
    "Settings",
    "Status",
    "abi_version",
    "extract",
    "extract_case",
    "extract_maps",
    "FeatureMaps",
    "library_path",
    "set_log_handler",
    "version",
]

#: The ABI this binding was written against; the library must provide at least this one.
ABI_VERSION = 5


class Status(enum.IntEnum):
    """The C API's ``rad_status`` codes."""

    OK = 0
    INVALID_ARGUMENT = 100
    UNSUPPORTED_SETTING = 101
    IO = 200
    FORMAT = 201
    GEOMETRY_MISMATCH = 202
    EMPTY_ROI = 203
    MODEL_MISMATCH = 204
    CANCELLED = 300
    LIMIT_EXCEEDED = 301
    INTERNAL = 900


class RadiomicsWarning(UserWarning):
    """A warning the library raised while computing features (a LoG sigma too large for the image, a NaN
    feature, an ignored option); also kept in :attr:`Features.warnings`."""


class RadiomicsError(Exception):
    """A failure reported by the library: ``status`` is the C status code, ``str(e)`` its message."""

    def __init__(self, status, message):
        super().__init__(message)
        try:
            self.status = Status(status)
        except ValueError:  # a code from a newer library
            self.status = status


def _find_library():
    env = os.environ.get("RADIOMICS_LIBRARY")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("libradiomics.so", "libradiomics.dylib", "radiomics.dll"):
        p = os.path.join(here, name)
        if os.path.exists(p):
            return p
    found = ctypes.util.find_library("radiomics")
    if found:
        return found
    raise ImportError(
        "radiomics_rs: the radiomics C library was not found; install the package from the repository "
        "(pip install ./bindings/python builds the library into it), or set RADIOMICS_LIBRARY to the path "
        "of libradiomics.so"
    )


library_path = _find_library()
_lib = ctypes.CDLL(library_path)

_c_double_p = ctypes.POINTER(ctypes.c_double)
_c_size_p = ctypes.POINTER(ctypes.c_size_t)
_PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_double)
_LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p)


def _sig(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_st = ctypes.c_int32
_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_sig("rad_version_string", _cp)
_sig("rad_abi_version", ctypes.c_uint32)
_sig("rad_status_name", _cp, ctypes.c_int32)
_sig("rad_last_error_message", _cp)
_sig("rad_image_load", _st, _cp, ctypes.POINTER(_vp))
_sig("rad_image_load_series", _st, _cp, _cp, ctypes.POINTER(_vp))
_sig("rad_image_from_buffer", _st, _vp, ctypes.c_size_t, ctypes.c_int32, _c_size_p, _c_double_p,
     _c_double_p, _c_double_p, ctypes.POINTER(_vp))
_sig("rad_image_free", None, _vp)
_sig("rad_image_size", _st, _vp, _c_size_p)
_sig("rad_image_spacing", _st, _vp, _c_double_p)
_sig("rad_image_origin", _st, _vp, _c_double_p)
_sig("rad_image_direction", _st, _vp, _c_double_p)
_sig("rad_image_copy_voxels", _st, _vp, _c_double_p, ctypes.c_size_t)
_sig("rad_image_pixel_type", _st, _vp, ctypes.POINTER(ctypes.c_int32))
_sig("rad_settings_set_threads", _st, _vp, ctypes.c_uint32)
_sig("rad_features_warning_count", ctypes.c_size_t, _vp)
_sig("rad_features_warning", _cp, _vp, ctypes.c_size_t)
_sig("rad_set_log_callback", _st, _LOG, _vp, ctypes.c_int32)
_sig("rad_extract_case", _st, _vp, ctypes.c_size_t, ctypes.POINTER(_cp), ctypes.POINTER(_vp),
     ctypes.POINTER(_vp), _vp, ctypes.POINTER(_vp))
_sig("rad_settings_new", _st, ctypes.POINTER(_vp))
_sig("rad_settings_from_file", _st, _cp, ctypes.POINTER(_vp))
_sig("rad_settings_from_yaml", _st, _cp, ctypes.POINTER(_vp))
_sig("rad_settings_from_json", _st, _cp, ctypes.POINTER(_vp))
_sig("rad_settings_free", None, _vp)
_sig("rad_settings_set", _st, _vp, _cp, _cp)
_sig("rad_settings_set_bin_width", _st, _vp, ctypes.c_double)
_sig("rad_settings_set_bin_count", _st, _vp, ctypes.c_int32)
_sig("rad_settings_set_label", _st, _vp, ctypes.c_int64)
_sig("rad_settings_set_image_types", _st, _vp, _cp)
_sig("rad_extract_with_progress", _st, _vp, _vp, _vp, _PROGRESS, _vp, ctypes.POINTER(_vp))
_sig("rad_features_free", None, _vp)
_sig("rad_extract_maps", _st, _vp, _vp, _vp, _PROGRESS, _vp, ctypes.POINTER(_vp))
_sig("rad_maps_free", None, _vp)
_sig("rad_maps_count", ctypes.c_size_t, _vp)
_sig("rad_maps_name", _cp, _vp, ctypes.c_size_t)
_sig("rad_maps_data", _c_double_p, _vp, ctypes.c_size_t)
_sig("rad_maps_image", _st, _vp, ctypes.c_size_t, ctypes.POINTER(_vp))
_sig("rad_features_count", ctypes.c_size_t, _vp)
_sig("rad_features_name", _cp, _vp, ctypes.c_size_t)
_sig("rad_features_value", _st, _vp, ctypes.c_size_t, _c_double_p)
_sig("rad_model_load", _st, _cp, ctypes.POINTER(_vp))
_sig("rad_model_from_json", _st, _cp, ctypes.POINTER(_vp))
_sig("rad_model_free", None, _vp)
_sig("rad_model_feature_count", _st, _vp, _c_size_p)
_sig("rad_model_feature_name", _st, _vp, ctypes.c_size_t, ctypes.POINTER(_cp))
_sig("rad_model_threshold", _st, _vp, _c_double_p)
_sig("rad_model_predict", _st, _vp, _vp, _c_double_p)
_sig("rad_model_predict_case", _st, _vp, ctypes.c_size_t, ctypes.POINTER(_cp), ctypes.POINTER(_vp), _vp,
     _c_double_p)

if _lib.rad_abi_version() < ABI_VERSION:
    raise ImportError(
        f"radiomics_rs: {library_path} provides ABI {_lib.rad_abi_version()}, older than {ABI_VERSION}"
    )


_log = threading.local()


def set_log_handler(handler, level=30):
    """Installs ``handler(level, message)`` as the calling thread's log handler: the library's messages
    of ``level`` and above (30: warnings of each extraction, 40: failures; 10 debug, 20 info) reach it on
    this thread, before the call they belong to returns. An exception it raises is raised again when that
    call returns. ``None`` removes it. Other threads are not affected."""
    if handler is None:
        _log.__dict__.pop("callback", None)
        _check(_lib.rad_set_log_callback(_LOG(), None, int(level)))
        return

    def deliver(_user, lvl, message):
        if getattr(_log, "pending", None) is not None:
            return
        try:
            handler(int(lvl), message.decode("utf-8", "replace"))
        except BaseException as e:  # raised again after the library has returned
            _log.pending = e

    callback = _LOG(deliver)
    _check(_lib.rad_set_log_callback(callback, None, int(level)))
    _log.callback = callback  # kept alive while installed
    _log.pending = None


def _raise_pending():
    e = getattr(_log, "pending", None)
    if e is not None:
        _log.pending = None
        raise e


def _check(status):
    _raise_pending()
    if status != 0:
        raise RadiomicsError(status, _lib.rad_last_error_message().decode("utf-8", "replace"))


def _path(p):
    return os.fsencode(p)


def version():
    """The library's version string, ``"MAJOR.MINOR.PATCH"``."""
    return _lib.rad_version_string().decode()


def abi_version():
    """The ABI version of the loaded library."""
    return int(_lib.rad_abi_version())


class _Handle:
    _free = None

    def __init__(self, ptr):
        self._ptr = ptr

    def close(self):
        """Frees the C handle now (it is freed on garbage collection otherwise)."""
        ptr, self._ptr = self._ptr, None
        if ptr:
            type(self)._free(ptr)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def _as_parameter_(self):
        if not self._ptr:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr


_DTYPES = {
    np.dtype(np.uint8): 1,
    np.dtype(np.int8): 2,
    np.dtype(np.uint16): 3,
    np.dtype(np.int16): 4,
    np.dtype(np.uint32): 5,
    np.dtype(np.int32): 6,
    np.dtype(np.uint64): 7,
    np.dtype(np.int64): 8,
    np.dtype(np.float32): 9,
    np.dtype(np.float64): 10,
}

_DTYPE_OF_CODE = {code: dt for dt, code in _DTYPES.items()}

_IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


def _doubles(values, n, what):
    a = np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1))
    if a.size != n:
        raise ValueError(f"{what} needs {n} numbers, got {a.size}")
    return a


class Image(_Handle):
    """A 3D volume on a physical grid (an image, or a label image used as a mask)."""

    _free = _lib.rad_image_free

    @classmethod
    def load(cls, path, series=None):
        """Reads a NIfTI (``.nii``, ``.nii.gz``), NRRD (``.nrrd``, ``.nhdr``) or MetaImage (``.mha``,
        ``.mhd``) file, or a DICOM series (a folder). ``series``: the SeriesInstanceUID of the series to
        read when the folder holds several (the same as the path ``FOLDER#UID``)."""
        out = _vp()
        if series is None:
            _check(_lib.rad_image_load(_path(path), ctypes.byref(out)))
        else:
            _check(_lib.rad_image_load_series(_path(path), str(series).encode(), ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def from_array(cls, array, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), direction=_IDENTITY):
        """An image from a 3-D numpy array indexed ``[z, y, x]`` (copied), with spacing and origin in
        ``(x, y, z)`` order and a row-major direction matrix. Booleans become 0/1; any integer or float
        dtype is accepted."""
        a = np.asarray(array)
        if a.ndim != 3:
            raise ValueError(f"expected a 3-D array indexed [z, y, x], got {a.ndim} dimension(s)")
        if a.dtype == np.bool_:
            a = a.astype(np.uint8)
        dt = a.dtype.newbyteorder("=") if a.dtype.byteorder not in ("=", "|") else a.dtype
        if dt not in _DTYPES:
            raise TypeError(f"unsupported dtype {a.dtype}; use an integer or float type")
        a = np.ascontiguousarray(a, dtype=dt)
        nz, ny, nx = a.shape
        dims = (ctypes.c_size_t * 3)(nx, ny, nz)
        sp = _doubles(spacing, 3, "spacing")
        org = _doubles(origin, 3, "origin")
        d = _doubles(direction, 9, "direction")
        out = _vp()
        _check(_lib.rad_image_from_buffer(
            a.ctypes.data_as(_vp), a.nbytes, _DTYPES[dt], dims,
            sp.ctypes.data_as(_c_double_p), org.ctypes.data_as(_c_double_p),
            d.ctypes.data_as(_c_double_p), ctypes.byref(out)))
        return cls(out.value)

    def _get(self, f, n, ctype=ctypes.c_double):
        buf = (ctype * n)()
        _check(f(self, buf))
        return tuple(buf)

    @property
    def size(self):
        """Voxels along ``(x, y, z)``."""
        return self._get(_lib.rad_image_size, 3, ctypes.c_size_t)

    @property
    def spacing(self):
        """Spacing along ``(x, y, z)``, in mm."""
        return self._get(_lib.rad_image_spacing, 3)

    @property
    def origin(self):
        """World position (LPS mm) of the first voxel."""
        return self._get(_lib.rad_image_origin, 3)

    @property
    def direction(self):
        """Direction cosines, 9 numbers, row-major."""
        return self._get(_lib.rad_image_direction, 9)

    @property
    def dtype(self):
        """The numpy dtype the voxels were stored in (the file's datatype, or the array's given to
        :meth:`from_array`), or ``None`` for computed floating-point values (a NIfTI file with
        ``scl_slope``). Resampling rounds to it, as PyRadiomics does; ``Image.from_array(
        image.to_array(image.dtype), ...)`` gives the same features as ``image``."""
        t = ctypes.c_int32()
        _check(_lib.rad_image_pixel_type(self, ctypes.byref(t)))
        return _DTYPE_OF_CODE.get(t.value)

    def to_array(self, dtype=np.float64):
        """The voxels as a numpy array indexed ``[z, y, x]``, float64 unless ``dtype`` says otherwise
        (e.g. ``image.dtype``, the stored type)."""
        nx, ny, nz = self.size
        a = np.empty((nz, ny, nx), dtype=np.float64)
        _check(_lib.rad_image_copy_voxels(self, a.ctypes.data_as(_c_double_p), a.size))
        return a if dtype is None or np.dtype(dtype) == np.float64 else a.astype(dtype)


class Settings(_Handle):
    """Extraction settings (PyRadiomics' parameter file). ``Settings()`` are PyRadiomics' defaults."""

    _free = _lib.rad_settings_free

    def __init__(self, _ptr=None):
        if _ptr is None:
            out = _vp()
            _check(_lib.rad_settings_new(ctypes.byref(out)))
            _ptr = out.value
        super().__init__(_ptr)

    @classmethod
    def from_file(cls, path):
        """Reads a parameter file (YAML, or JSON when its name ends in ``.json``)."""
        out = _vp()
        _check(_lib.rad_settings_from_file(_path(path), ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def from_yaml(cls, text):
        """Parses a YAML (or JSON) parameter document."""
        out = _vp()
        _check(_lib.rad_settings_from_yaml(text.encode(), ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def from_json(cls, text):
        """Parses a JSON parameter document."""
        out = _vp()
        _check(_lib.rad_settings_from_json(text.encode(), ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def from_dict(cls, params):
        """Settings from a parameter document as a dict (``{"setting": {...}, "featureClass": ...}``)."""
        return cls.from_json(json.dumps(params))

    def set(self, key, value):
        """Sets a key of the ``setting`` section (``None`` restores its default)."""
        _check(_lib.rad_settings_set(self, key.encode(), json.dumps(value).encode()))
        return self

    def set_bin_width(self, width):
        """Fixed bin width (clears ``binCount``)."""
        _check(_lib.rad_settings_set_bin_width(self, float(width)))
        return self

    def set_bin_count(self, count):
        """Fixed number of bins."""
        _check(_lib.rad_settings_set_bin_count(self, int(count)))
        return self

    def set_label(self, label):
        """The label value of the region of interest."""
        _check(_lib.rad_settings_set_label(self, int(label)))
        return self

    def set_threads(self, threads):
        """The most worker threads one extraction with these settings uses (0: the default pool, one per
        core; at most 1024). Features are bit-identical for any value."""
        _check(_lib.rad_settings_set_threads(self, int(threads)))
        return self

    def set_image_types(self, image_types):
        """Replaces the enabled image types: ``{"Original": {}, "LoG": {"sigma": [1.0]}}``."""
        _check(_lib.rad_settings_set_image_types(self, json.dumps(image_types).encode()))
        return self


def _as_image(x, spacing, origin, direction):
    if isinstance(x, Image):
        return x, False
    return Image.from_array(x, spacing, origin, direction), True


def extract(image, mask, settings=None, progress=None, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0),
            direction=_IDENTITY):
    """Every feature the settings enable, as a read-only dict ``{name: value}`` in PyRadiomics' order (a
    :class:`Features`, which :meth:`Model.predict` takes).

    ``image`` and ``mask`` are :class:`Image` objects or numpy arrays indexed ``[z, y, x]`` (which then
    share ``spacing``, ``origin`` and ``direction``). ``settings`` is a :class:`Settings`, a dict
    (a parameter document), or ``None`` for PyRadiomics' defaults. ``progress(fraction)`` is called on
    the calling thread as the work advances (by feature class and filter stage); returning ``False``
    cancels (raising :class:`RadiomicsError` with ``Status.CANCELLED``); an exception raised by it
    cancels and is raised again. The library's warnings are issued as :class:`RadiomicsWarning` and kept
    in ``features.warnings``. The number of worker threads is the settings' (:meth:`Settings.set_threads`).
    """
    own = []
    try:
        if settings is None:
            settings = Settings()
            own.append(settings)
        elif isinstance(settings, dict):
            settings = Settings.from_dict(settings)
            own.append(settings)
        img, made = _as_image(image, spacing, origin, direction)
        if made:
            own.append(img)
        msk, made = _as_image(mask, spacing, origin, direction)
        if made:
            own.append(msk)

        raised = []

        def report(_user, fraction):
            if progress is None:
                return 0
            try:
                return 0 if progress(fraction) is not False else 1
            except BaseException as e:  # re-raised below, after the library has returned
                raised.append(e)
                return 1

        callback = _PROGRESS(report)
        out = _vp()
        status = _lib.rad_extract_with_progress(settings, img, msk, callback, None, ctypes.byref(out))
        if raised:
            if out.value:
                _lib.rad_features_free(out)
            raise raised[0]
        return _features_from(status, out)
    finally:
        for h in own:
            h.close()


def _features_from(status, out):
    """The :class:`Features` of a finished extraction call (``status``, its out-pointer), its warnings
    issued as :class:`RadiomicsWarning`."""
    try:
        _check(status)
        n = _lib.rad_features_count(out)
        result = {}
        value = ctypes.c_double()
        for i in range(n):
            name = _lib.rad_features_name(out, i).decode()
            _check(_lib.rad_features_value(out, i, ctypes.byref(value)))
            result[name] = value.value
        found = [_lib.rad_features_warning(out, i).decode("utf-8", "replace")
                 for i in range(_lib.rad_features_warning_count(out))]
    except BaseException:
        if out.value:
            _lib.rad_features_free(out)
        raise
    features = Features(result, out.value, found)
    for w in found:
        warnings.warn(w, RadiomicsWarning, stacklevel=3)
    return features


def extract_case(images, mask, settings=None, image_settings=None, spacing=(1.0, 1.0, 1.0),
                 origin=(0.0, 0.0, 0.0), direction=_IDENTITY):
    """The features of a multi-sequence case, each named with its modality as prefix
    (``"t1c_original_firstorder_Mean"``), as ``radiomics extract --image t1c=... --image adc=...``
    computes them: what :meth:`Model.predict` reads.

    ``images`` maps a modality name to an :class:`Image`, a numpy array indexed ``[z, y, x]`` or a tuple
    ``(array, spacing, origin[, direction])``; ``mask`` is any of the same (bare arrays share
    ``spacing``, ``origin``, ``direction``). ``settings`` (a :class:`Settings`, a dict or ``None`` for
    the defaults) applies to every modality not in ``image_settings``, a dict from modality to its own
    settings. Images on another grid than the mask's are resampled onto it.
    """
    own = []
    try:
        def as_settings(x):
            if x is None:
                x = Settings()
                own.append(x)
            elif isinstance(x, dict):
                x = Settings.from_dict(x)
                own.append(x)
            return x

        default = as_settings(settings)
        image_settings = image_settings or {}
        unknown = set(image_settings) - set(images)
        if unknown:
            raise ValueError(f"image_settings names modalities that are not in images: {sorted(unknown)}")
        names, handles, per = [], [], []
        for modality, x in images.items():
            img, made = _as_case_image(x, spacing, origin, direction, f"images[{modality!r}]")
            if made:
                own.append(img)
            names.append(modality.encode())
            handles.append(img._as_parameter_)
            s = image_settings.get(modality)
            per.append(None if s is None else as_settings(s)._as_parameter_)
        msk, made = _as_case_image(mask, spacing, origin, direction, "mask")
        if made:
            own.append(msk)
        n = len(names)
        out = _vp()
        status = _lib.rad_extract_case(default, n, (_cp * max(n, 1))(*names), (_vp * max(n, 1))(*handles),
                                       (_vp * max(n, 1))(*per), msk, ctypes.byref(out))
        return _features_from(status, out)
    finally:
        for h in own:
            h.close()


class FeatureMaps(dict):
    """What :func:`extract_maps` returns: ``{name: numpy array [z, y, x]}``, one map per feature, all on
    one grid whose ``spacing`` (x, y, z, mm), ``origin`` (LPS mm) and ``direction`` (row-major 3x3) are
    attributes."""

    def __init__(self, maps, spacing, origin, direction):
        dict.__init__(self, maps)
        self.spacing = spacing
        self.origin = origin
        self.direction = direction


def extract_maps(image, mask, settings=None, progress=None, spacing=(1.0, 1.0, 1.0),
                 origin=(0.0, 0.0, 0.0), direction=_IDENTITY):
    """Voxel-based extraction (PyRadiomics' ``voxelBased=True``): a :class:`FeatureMaps`, one float64 map
    per enabled feature, indexed ``[z, y, x]`` on the ROI's bounding box grown by ``kernelRadius``, with
    ``initValue`` outside the ROI. The kernels come from the settings' ``voxelSetting`` section
    (``kernelRadius``, ``maskedKernel``, ``initValue``, ``voxelBatch``). Arguments as :func:`extract`;
    ``progress`` may cancel mid-map.
    """
    own = []
    try:
        if settings is None:
            settings = Settings()
            own.append(settings)
        elif isinstance(settings, dict):
            settings = Settings.from_dict(settings)
            own.append(settings)
        img, made = _as_image(image, spacing, origin, direction)
        if made:
            own.append(img)
        msk, made = _as_image(mask, spacing, origin, direction)
        if made:
            own.append(msk)
        raised = []

        def report(_user, fraction):
            if progress is None:
                return 0
            try:
                return 0 if progress(fraction) is not False else 1
            except BaseException as e:  # re-raised below, after the library has returned
                raised.append(e)
                return 1

        callback = _PROGRESS(report)
        out = _vp()
        status = _lib.rad_extract_maps(settings, img, msk, callback, None, ctypes.byref(out))
        if raised:
            raise raised[0]
        _check(status)
        try:
            n = _lib.rad_maps_count(out)
            if n == 0:
                return FeatureMaps({}, None, None, None)
            first = _vp()
            _check(_lib.rad_maps_image(out, 0, ctypes.byref(first)))
            grid = Image(first.value)
            try:
                size, geometry = grid.size, (grid.spacing, grid.origin, grid.direction)
            finally:
                grid.close()
            shape = (size[2], size[1], size[0])
            count = shape[0] * shape[1] * shape[2]
            maps = {}
            for i in range(n):
                name = _lib.rad_maps_name(out, i).decode()
                data = _lib.rad_maps_data(out, i)
                if not data:
                    _check(100)
                maps[name] = np.ctypeslib.as_array(data, shape=(count,)).reshape(shape).copy()
            return FeatureMaps(maps, *geometry)
        finally:
            _lib.rad_maps_free(out)
    finally:
        for h in own:
            h.close()


def _read_only(self, *args, **kwargs):
    raise TypeError("Features are read-only (they are what Model.predict reads); copy with dict(features)")


class Features(dict):
    """What :func:`extract` returns: a read-only ``dict`` ``{name: value}`` in PyRadiomics' order that
    also holds the library's feature set, which :meth:`Model.predict` reads. ``dict(features)`` is a
    plain, editable copy (as are ``copy.copy`` and pickling). ``close()`` frees the library's copy early
    (garbage collection does otherwise); the dict stays readable."""

    def __init__(self, values, _ptr, warnings=()):
        dict.__init__(self, values)
        self._ptr = _ptr
        #: The warnings the library raised while computing these features, in order (list of str).
        self.warnings = list(warnings)

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = __ior__ = _read_only

    def close(self):
        """Frees the library's feature set now."""
        ptr, self._ptr = self._ptr, None
        if ptr:
            _lib.rad_features_free(ptr)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __reduce__(self):
        return (dict, (dict(self),))

    def __copy__(self):
        return dict(self)

    @property
    def _as_parameter_(self):
        if not self._ptr:
            raise ValueError("Features is closed")
        return self._ptr


def _as_case_image(x, spacing, origin, direction, what):
    """An :class:`Image`, a numpy array (with the shared geometry) or ``(array, spacing, origin[,
    direction])``; and whether it was made here."""
    if isinstance(x, tuple):
        if not 3 <= len(x) <= 4:
            raise ValueError(f"{what}: expected (array, spacing, origin[, direction]), got {len(x)} items")
        return Image.from_array(*x), True
    return _as_image(x, spacing, origin, direction)


class Model(_Handle):
    """A trained model: a model file from ``radiomics train`` or ``radiomics demo``, its format version and
    checksum checked. Immutable: one model may be used by several threads at once."""

    _free = _lib.rad_model_free

    @classmethod
    def load(cls, path):
        """Reads a model file."""
        out = _vp()
        _check(_lib.rad_model_load(_path(path), ctypes.byref(out)))
        return cls(out.value)

    @classmethod
    def from_json(cls, text):
        """Parses the text of a model file."""
        out = _vp()
        _check(_lib.rad_model_from_json(text.encode(), ctypes.byref(out)))
        return cls(out.value)

    @property
    def feature_names(self):
        """The features the model was trained on, in training order (a list of str)."""
        n = ctypes.c_size_t()
        _check(_lib.rad_model_feature_count(self, ctypes.byref(n)))
        names = []
        name = _cp()
        for i in range(n.value):
            _check(_lib.rad_model_feature_name(self, i, ctypes.byref(name)))
            names.append(name.value.decode())
        return names

    @property
    def threshold(self):
        """The decision threshold: a probability at least this is a positive prediction."""
        t = ctypes.c_double()
        _check(_lib.rad_model_threshold(self, ctypes.byref(t)))
        return t.value

    def predict(self, features):
        """P(label = 1) for the :class:`Features` that :func:`extract` returned (the model's features
        looked up by name; :class:`RadiomicsError` with ``Status.MODEL_MISMATCH`` names one that is
        missing)."""
        if not isinstance(features, Features):
            raise TypeError(
                "Model.predict takes the Features that radiomics_rs.extract returns, not "
                f"{type(features).__name__}"
            )
        p = ctypes.c_double()
        _check(_lib.rad_model_predict(self, features, ctypes.byref(p)))
        return p.value

    def predict_case(self, images, mask, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0),
                     direction=_IDENTITY):
        """P(label = 1) for a case given as images by modality, extracted with the model's own settings
        (each image brought onto the mask's grid), as ``radiomics predict --image MODALITY=PATH``.

        ``images`` maps a modality name (``"t1c"``, ``"adc"``, ...) to an :class:`Image`, a numpy array
        indexed ``[z, y, x]``, or a tuple ``(array, spacing, origin[, direction])`` for an array with its
        own geometry; ``mask`` is any of the same. Bare arrays share ``spacing``, ``origin`` and
        ``direction``.
        """
        own = []
        try:
            names, handles = [], []
            for modality, x in images.items():
                img, made = _as_case_image(x, spacing, origin, direction, f"images[{modality!r}]")
                if made:
                    own.append(img)
                names.append(modality.encode())
                handles.append(img._as_parameter_)
            msk, made = _as_case_image(mask, spacing, origin, direction, "mask")
            if made:
                own.append(msk)
            n = len(names)
            c_names = (_cp * max(n, 1))(*names)
            c_images = (_vp * max(n, 1))(*handles)
            p = ctypes.c_double()
            _check(_lib.rad_model_predict_case(self, n, c_names, c_images, msk, ctypes.byref(p)))
            return p.value
        finally:
            for h in own:
                h.close()
