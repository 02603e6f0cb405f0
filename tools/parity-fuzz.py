"""Differential fuzzing of `radiomics extract` against PyRadiomics over random, valid parameter files.

Each trial draws, from its seed alone, a case (image and mask; the reference cases as stored, as float32 and
scaled float32 copies, with 3-D or single-slice masks) and a parameter file that PyRadiomics' schema accepts
(settings, image types with their own settings, feature classes and feature subsets). Both tools extract; the
trial agrees when both refuse, or both succeed with the same feature names, NaN in the same places, and every
value within the relative tolerance (1e-6; 1e-4 where LoG or resampling is involved; absolute below 1e-9).

Run it with the Python of a PyRadiomics installation (../shared/tools/install-pyradiomics.sh makes one):

    python tools/parity-fuzz.py [--bin BINARY] run --seeds 0:100 [--log trials.jsonl] [--shrink]
    python tools/parity-fuzz.py check PARAMS.yaml IMAGE MASK       # one file, feature by feature
    python tools/parity-fuzz.py shrink PARAMS.yaml IMAGE MASK      # a minimal file that still disagrees

Reference data come from $RADIOMICS_TEST_DATA (else ../shared/data); float32 copies of the images are
written to a temporary folder. `run` exits non-zero when a trial crashes, hangs or disagrees in a way
that is not one of the documented classes (docs/parity.md; with --strict, in any way).
"""
import argparse
import copy
import json
import logging
import math
import os
import random
import select
import subprocess
import sys
import tempfile
import time

import numpy as np
import SimpleITK as sitk
import yaml

import radiomics
from radiomics import featureextractor, getFeatureClasses

radiomics.setVerbosity(logging.CRITICAL)
logging.getLogger("radiomics").setLevel(logging.CRITICAL)
logging.getLogger("pykwalify").setLevel(logging.CRITICAL)

try:
    # What PyRadiomics' LBP3D imports (scipy.special.sph_harm is gone from SciPy 1.17 on: PyRadiomics 3.0.1
    # then skips LBP3D, so it is not drawn).
    from scipy.ndimage import map_coordinates  # noqa: F401
    from scipy.special import sph_harm  # noqa: F401
    from scipy.stats import kurtosis  # noqa: F401
    from trimesh.creation import icosphere  # noqa: F401
    HAVE_LBP3D = True
except ImportError:
    HAVE_LBP3D = False

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("RADIOMICS_TEST_DATA") or os.path.join(ROOT, "..", "shared", "data")
NIFTI = os.path.join(DATA, "pyradiomics", "nifti")
TIMEOUT = 600

IMAGE_TYPES = ["Original", "LoG", "Wavelet", "Square", "SquareRoot", "Logarithm", "Exponential",
               "Gradient", "LBP2D", "LBP3D"]
CLASSES = ["shape", "shape2D", "firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm"]
# Every interpolator of the schema; the common three are drawn more often than SimpleITK's kernels.
INTERPOLATORS = ["sitkNearestNeighbor", "sitkLinear", "sitkBSpline"]
OTHER_INTERPOLATORS = ["sitkGaussian", "sitkLabelGaussian", "sitkHammingWindowedSinc",
                       "sitkCosineWindowedSinc", "sitkWelchWindowedSinc", "sitkLanczosWindowedSinc",
                       "sitkBlackmanWindowedSinc"]
WAVELETS = ["coif1", "haar", "db2", "sym3", "bior1.3", "rbio2.2", "db4", "coif2"]


# ----------------------------------------------------------------------------------------------- cases

class Cases:
    """The images and masks trials draw from, with each image's ROI intensity range (to scale bin widths)."""

    def __init__(self, names=("brain1", "breast1", "lung1")):
        self.tmp = tempfile.mkdtemp(prefix="parity-fuzz-")
        self.cases = []
        for name in names:
            image = os.path.join(NIFTI, f"{name}_image.nii.gz")
            if not os.path.exists(image):
                sys.exit(f"reference data missing: {image} (set RADIOMICS_TEST_DATA)")
            im = sitk.ReadImage(image)
            ma = sitk.GetArrayFromImage(sitk.ReadImage(os.path.join(NIFTI, f"{name}_label.nii.gz"))) == 1
            roi = sitk.GetArrayFromImage(im)[ma].astype(np.float64)
            variants = [("native", image, 1.0)]
            # float32 copies: as stored, and scaled as a parametric map (ADC in mm^2/s is ~1e-3).
            for tag, scale in (("f32", 1.0), ("f32map", 1e-6)):
                path = os.path.join(self.tmp, f"{name}_{tag}.nii.gz")
                out = sitk.Cast(im, sitk.sitkFloat32) * scale
                sitk.WriteImage(sitk.Cast(out, sitk.sitkFloat32), path)
                variants.append((tag, path, scale))
            for tag, path, scale in variants:
                for mask_tag in ("label", "label_2D"):
                    mask = os.path.join(NIFTI, f"{name}_{mask_tag}.nii.gz")
                    self.cases.append({
                        "case": f"{name}_{tag}_{mask_tag}",
                        "image": path,
                        "mask": mask,
                        "range": (float(roi.min()) * scale, float(roi.max()) * scale),
                        "two_d": mask_tag.endswith("2D"),
                        "big": name == "lung1",
                    })

    def draw(self, rng):
        # lung1 is large (12.6 M voxels) and slow in PyRadiomics: drawn less often.
        weights = [0.35 if c["big"] else 1.0 for c in self.cases]
        return rng.choices(self.cases, weights)[0]


# ----------------------------------------------------------------------------------------------- configs

def nice(x, rng):
    """x rounded to 1-3 significant digits, as a person writes a setting."""
    if x <= 0:
        return x
    digits = rng.choice([1, 1, 2, 3])
    e = math.floor(math.log10(x))
    return float(round(x, -e + digits - 1))


def random_bin_setting(rng, lo, hi, scale_of_values):
    """binWidth or binCount giving a sensible number of levels over [lo, hi] (values scaled by normalisation)."""
    if rng.random() < 0.35:
        return {"binCount": rng.choice([4, 8, 16, 20, 32, 50, 64, 100, 128])}
    span = max(hi - lo, 1e-12) * scale_of_values
    levels = rng.choice([3, 5, 8, 12, 16, 24, 32, 48, 64, 100, 150])
    return {"binWidth": nice(span / levels, rng)}


def random_params(rng, case):
    lo, hi = case["range"]
    setting = {}
    p = rng.random

    normalize = p() < 0.2
    value_scale = 1.0
    if normalize:
        setting["normalize"] = True
        sd_guess = max(hi - lo, 1e-12) / 4
        value_scale = 1.0 / sd_guess
        if p() < 0.4:
            s = rng.choice([1, 10, 100, 500])
            setting["normalizeScale"] = s
            value_scale *= s
        if p() < 0.3:
            setting["removeOutliers"] = rng.choice([2, 3, 5, 2.5])
    setting.update(random_bin_setting(rng, lo, hi, value_scale))

    resample = p() < 0.25 or (case["two_d"] and p() < 0.3)
    if resample:
        setting["resampledPixelSpacing"] = rng.choice(
            [[1, 1, 1], [2, 2, 2], [1.5, 1.5, 0], [0, 0, 2], [3, 3, 3], [1.0, 1.0, 3.0], [0.8, 0.8, 0.8]])
        r = p()
        if r < 0.06:
            setting["interpolator"] = rng.randint(1, 10)
        elif r < 0.7:
            setting["interpolator"] = rng.choices(INTERPOLATORS + OTHER_INTERPOLATORS, [3] * 3 + [1] * 7)[0]
        if p() < 0.3:
            setting["padDistance"] = rng.choice([0, 1, 2, 5, 10])
    elif p() < 0.15:
        setting["preCrop"] = True
        if p() < 0.5:
            setting["padDistance"] = rng.choice([0, 2, 5])
    if case["two_d"] or p() < 0.1:
        if p() < 0.9 or not case["two_d"]:
            setting["correctMask"] = True
    if p() < 0.1:
        setting["geometryTolerance"] = rng.choice([1e-5, 1e-4, 1e-3])
    if p() < 0.1:
        setting["minimumROIDimensions"] = rng.choice([1, 2, 3])
    if p() < 0.05:
        setting["minimumROISize"] = rng.choice([1, 10, 100, 100000])
    if p() < 0.05:
        setting["label"] = rng.choice([1, 1, 2])
    if p() < 0.05:
        setting["additionalInfo"] = rng.choice([True, False])

    if p() < 0.2:
        setting["force2D"] = True
        if p() < 0.4:
            setting["force2Ddimension"] = rng.choice([0, 1, 2])
    if p() < 0.15:
        setting["distances"] = rng.choice([[1], [2], [1, 2], [1, 3], [2, 3]])
    if p() < 0.1:
        setting["symmetricalGLCM"] = False
    if p() < 0.15:
        setting["weightingNorm"] = rng.choice(["manhattan", "euclidean", "infinity", "no_weighting"])
    if p() < 0.1:
        setting["gldm_a"] = rng.choice([0, 1, 2])
    if p() < 0.1:
        setting["voxelArrayShift"] = rng.choice([0, 100, 1000, 2000])
    if p() < 0.12:
        mode = rng.choice(["absolute", "relative", "sigma", None])
        if mode in (None, "absolute"):
            a = lo + (hi - lo) * rng.uniform(-0.1, 0.5)
            b = lo + (hi - lo) * rng.uniform(0.5, 1.1)
            rr = [nice(a, rng) if a > 0 else float(round(a, 6)), nice(b, rng)]
            if p() < 0.2:
                rr = rr[:1]
            elif p() < 0.2:
                rr = rr[::-1]
        elif mode == "relative":
            rr = [round(rng.uniform(0, 0.4), 2), round(rng.uniform(0.6, 1.0), 2)]
        else:
            rr = [-round(rng.uniform(1, 3), 1), round(rng.uniform(1, 3), 1)]
        if normalize:
            rr = [-3, 3] if mode in (None, "absolute") else rr
        setting["resegmentRange"] = rr
        if mode is not None:
            setting["resegmentMode"] = mode
        if p() < 0.3:
            setting["resegmentShape"] = True

    # Image types: usually one or two, each sometimes with its own settings.
    n_types = rng.choice([1, 1, 1, 2, 2, 3])
    # PyRadiomics without trimesh yields no LBP3D image (with a warning): not drawn then.
    weights = [3, 3, 1.2, 1, 1, 1, 1, 1.5, 1, 0.4 if HAVE_LBP3D else 0]
    types = []
    while len(types) < n_types:
        t = rng.choices(IMAGE_TYPES, weights)[0]
        if t not in types:
            types.append(t)
    image_type = {}
    for t in types:
        own = {}
        if t == "LoG":
            sig = rng.sample([0.5, 1, 1.0, 1.5, 2, 2.0, 3, 3.0, 4.0, 5], rng.choice([1, 1, 2, 3]))
            own["sigma"] = sig
        elif t == "Wavelet":
            if p() < 0.5:
                own["wavelet"] = rng.choice(WAVELETS)
            if p() < 0.2:
                own["level"] = 2
            if p() < 0.1:
                own["start_level"] = 1
        elif t == "Gradient" and p() < 0.3:
            own["gradientUseSpacing"] = rng.choice([True, False])
        elif t == "LBP2D":
            if p() < 0.4:
                own["lbp2DMethod"] = rng.choice(["default", "ror", "uniform", "var"])
            if p() < 0.3:
                own["lbp2DRadius"] = rng.choice([1, 1.5, 2])
            if p() < 0.3:
                own["lbp2DSamples"] = rng.choice([4, 8, 12, 16])
        elif t == "LBP3D":
            if p() < 0.3:
                own["lbp3DLevels"] = rng.choice([1, 2, 3])
            if p() < 0.3:
                own["lbp3DIcosphereRadius"] = rng.choice([1, 1.5, 2])
            if p() < 0.2:
                own["lbp3DIcosphereSubdivision"] = rng.choice([0, 1])
        if t in ("LBP2D", "LBP3D") and "binCount" not in setting:
            # LBP codes span a few units whatever the intensities: a bin setting of their own, as
            # PyRadiomics' documentation advises.
            own.update(rng.choice([{"binWidth": 1}, {"binWidth": 0.5}, {"binWidth": 2.0}, {"binCount": 16}]))
        elif t not in ("Original", "LBP2D", "LBP3D") and p() < 0.15:
            own.update(random_bin_setting(rng, lo, hi, value_scale))
        image_type[t] = own

    params = {"imageType": image_type}
    r = p()
    if r < 0.2:
        pass  # featureClass omitted: every class
    else:
        classes = rng.sample(CLASSES, rng.choice([1, 1, 2, 3, 4]))
        fc = {}
        all_classes = getFeatureClasses()
        for c in classes:
            if p() < 0.5:
                fc[c] = None
            else:
                names = sorted(all_classes[c].getFeatureNames())
                fc[c] = rng.sample(names, rng.randint(1, min(5, len(names))))
        params["featureClass"] = fc
    if setting:
        params["setting"] = setting
    return params


# ----------------------------------------------------------------------------------------------- running

def tolerance(params):
    text = json.dumps(params)
    return 1e-4 if ("LoG" in text or "resampledPixelSpacing" in text) else 1e-6


def _pyradiomics_in_process(params_path, image, mask):
    try:
        ex = featureextractor.RadiomicsFeatureExtractor(params_path)
        res = ex.execute(image, mask)
        return {k: float(v) for k, v in res.items() if not k.startswith("diagnostics_")}, None
    except Exception as e:  # PyRadiomics refuses
        return None, f"{type(e).__name__}: {e}"


def run_pyradiomics(params_path, image, mask):
    """PyRadiomics in a forked child (no re-import; a crash, the OOM killer or a hang stays there)."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            out = json.dumps(_pyradiomics_in_process(params_path, image, mask))
        except BaseException as e:  # noqa: BLE001
            out = json.dumps([None, f"{type(e).__name__}: {e}"])
        with os.fdopen(wfd, "w") as w:
            w.write(out)
        os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd) as r:
        # The child writes once, when done: the first byte marks the end of its work.
        ready, _, _ = select.select([r], [], [], TIMEOUT)
        if not ready:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return None, "PyRadiomics: timeout"
        text = r.read()
    _, status = os.waitpid(pid, 0)
    if not text:
        return None, f"PyRadiomics: died (status {status})"
    feats, err = json.loads(text)
    return feats, err


def run_ours(binary, params_path, image, mask):
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as f:
        out = f.name
    try:
        proc = subprocess.run([binary, "extract", "--image", image, "--mask", mask, "--params",
                               params_path, "--out", out], capture_output=True, text=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "HANG", True
    crashed = proc.returncode < 0 or proc.returncode == 101 or "panicked" in proc.stderr
    if proc.returncode != 0:
        os.unlink(out)
        return None, proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"rc {proc.returncode}", crashed
    feats = {}
    with open(out) as f:
        next(f)
        for line in f:
            if line.startswith("diagnostics_"):  # provenance text (additionalInfo), not features
                continue
            k, v = line.rstrip("\n").rsplit(",", 1)
            feats[k] = float(v)
    os.unlink(out)
    return feats, None, crashed


def compare(ours, ref, tol):
    """Differences between two feature dicts: a list of (name, ours, ref, relative error)."""
    diffs = []
    for k in sorted(set(ours) | set(ref)):
        if k not in ours or k not in ref:
            diffs.append((k, ours.get(k), ref.get(k), math.inf))
            continue
        a, b = ours[k], ref[k]
        if math.isnan(a) or math.isnan(b):
            if not (math.isnan(a) and math.isnan(b)):
                diffs.append((k, a, b, math.inf))
            continue
        if math.isinf(a) or math.isinf(b):
            if a != b:
                diffs.append((k, a, b, math.inf))
            continue
        err = abs(a - b) / abs(b) if abs(b) >= 1e-9 else abs(a - b)
        if err > tol:
            diffs.append((k, a, b, err))
    return diffs


def trial(binary, params, image, mask):
    """Runs both tools on one parameter document; returns a verdict dict."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(params, f, sort_keys=False)
        path = f.name
    t0 = time.time()
    ref, ref_err = run_pyradiomics(path, image, mask)
    t1 = time.time()
    ours, our_err, crashed = run_ours(binary, path, image, mask)
    t2 = time.time()
    os.unlink(path)
    v = {"py_s": round(t1 - t0, 2), "ours_s": round(t2 - t1, 2)}
    if crashed:
        v.update(verdict="crash", detail=our_err)
    elif ref is None and ours is None:
        v.update(verdict="both_refuse", detail=f"py: {ref_err} | ours: {our_err}")
    elif ref is None:
        v.update(verdict="we_accept", detail=f"py: {ref_err}")
    elif ours is None:
        v.update(verdict="we_refuse", detail=f"ours: {our_err}")
    else:
        diffs = compare(ours, ref, tolerance(params))
        v["n"] = len(ref)
        if diffs:
            v.update(verdict="differ", ndiff=len(diffs),
                     detail=[(k, a, b, e) for k, a, b, e in sorted(diffs, key=lambda d: -d[3])[:8]])
            v["lbp3d_only"] = all(k.startswith("lbp-3D") for k, _, _, _ in diffs)
            v["wavelet_only"] = all(k.startswith("wavelet") for k, _, _, _ in diffs)
            v["single_slice"] = roi_slices(mask, params) == 1
        else:
            v.update(verdict="agree")
    v["ok"] = v["verdict"] in ("agree", "both_refuse")
    if not v["ok"]:
        v["known"] = known_class(params, v, lambda: agrees_without_avx512(binary, params, image, mask))
    return v


# numpy's AVX-512 loops, turned off for a second opinion (read by numpy when it is imported).
AVX512_OFF = "X86_V4 AVX512_ICL AVX512_SPR"


def numpy_has_avx512():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_features__
    return bool(__cpu_features__.get("AVX512F")) and not os.environ.get("NPY_DISABLE_CPU_FEATURES")


def agrees_without_avx512(binary, params, image, mask):
    """Whether the trial agrees when PyRadiomics runs in a fresh Python with numpy's AVX-512 loops off."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(params, f, sort_keys=False)
        path = f.name
    try:
        proc = subprocess.run([sys.executable, "-W", "ignore", os.path.abspath(__file__), "--bin", binary,
                               "check", path, image, mask], capture_output=True, text=True,
                              env={**os.environ, "NPY_DISABLE_CPU_FEATURES": AVX512_OFF},
                              timeout=2 * TIMEOUT)
    finally:
        os.unlink(path)
    try:
        return json.loads(proc.stdout)["ok"]
    except (ValueError, KeyError):
        return False


def roi_slices(mask, params):
    """How many slices (array axis 0) hold the ROI's label."""
    label = (params.get("setting") or {}).get("label", 1)
    arr = sitk.GetArrayFromImage(sitk.ReadImage(mask))
    return int(np.any(arr == label, axis=(1, 2)).sum()) if arr.ndim == 3 else 1


def known_class(params, v, agrees_without_avx512=None):
    """The documented class of a disagreement (docs/parity.md), or None for a new one."""
    detail = str(v.get("detail"))
    if v["verdict"] == "we_refuse" and "maxGreyLevels" in detail:
        return "more grey levels than maxGreyLevels"
    if v["verdict"] == "we_accept" and detail.startswith("py: MemoryError"):
        return "PyRadiomics runs out of memory"
    if v["verdict"] == "we_accept" and detail.startswith("py: PyRadiomics: died"):
        return "PyRadiomics crashes"
    # Bands high-pass along the one-voxel axis of a resampled single-slice ROI hold rounding noise.
    setting = params.get("setting") or {}
    if (v["verdict"] == "differ" and v.get("wavelet_only") and v.get("single_slice")
            and setting.get("resampledPixelSpacing")):
        return "wavelet bands of a resampled single slice"
    # PyRadiomics' LBP3D differs in the last bit between CPUs (numpy's AVX-512 arccos); this library gives
    # the AVX2/FMA answer. A disagreement only there that goes away with numpy's AVX-512 loops off is that.
    if (v["verdict"] == "differ" and v.get("lbp3d_only") and agrees_without_avx512 is not None
            and numpy_has_avx512() and agrees_without_avx512()):
        return "LBP3D under numpy's AVX-512 arccos"
    return None


# ----------------------------------------------------------------------------------------------- shrinking

def candidates(params):
    """Smaller variants of a parameter document, one edit each."""
    for sec in ("setting", "featureClass", "imageType"):
        if sec in params:
            q = copy.deepcopy(params)
            del q[sec]
            yield q
    for sec in ("setting", "featureClass", "imageType"):
        m = params.get(sec) or {}
        if len(m) > 1 or sec == "setting":
            for k in list(m):
                q = copy.deepcopy(params)
                del q[sec][k]
                if q[sec] or sec == "setting":
                    yield q
    for sec in ("imageType", "featureClass"):
        for k, v in (params.get(sec) or {}).items():
            if isinstance(v, dict):
                for kk in list(v):
                    q = copy.deepcopy(params)
                    del q[sec][k][kk]
                    yield q
                    val = v[kk]
                    if isinstance(val, list) and len(val) > 1:
                        for i in range(len(val)):
                            q = copy.deepcopy(params)
                            q[sec][k][kk] = val[:i] + val[i + 1:]
                            yield q
            elif isinstance(v, list) and len(v) > 1:
                for i in range(len(v)):
                    q = copy.deepcopy(params)
                    q[sec][k] = v[:i] + v[i + 1:]
                    yield q
            elif v is None and sec == "featureClass":
                names = sorted(getFeatureClasses()[k].getFeatureNames())
                q = copy.deepcopy(params)
                q[sec][k] = names
                yield q


def same_failure(a, b):
    return a["verdict"] == b["verdict"]


def shrink(binary, params, image, mask, log=print):
    base = trial(binary, params, image, mask)
    if base["ok"]:
        log("the file agrees; nothing to shrink")
        return params, base
    changed = True
    while changed:
        changed = False
        for q in candidates(params):
            v = trial(binary, q, image, mask)
            if not v["ok"] and same_failure(v, base):
                params, base, changed = q, v, True
                log(f"  smaller: {json.dumps(params)}")
                break
    return params, base


# ----------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "radiomics"),
                    help="the radiomics binary (default target/release/radiomics)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="random trials")
    r.add_argument("--seeds", default="0:20", help="FIRST:LAST (exclusive)")
    r.add_argument("--log", help="append one JSON line per trial here")
    r.add_argument("--shrink", action="store_true", help="shrink each disagreement")
    r.add_argument("--cases", default="brain1,breast1,lung1")
    r.add_argument("--strict", action="store_true",
                   help="fail on documented classes of disagreement too")
    for name in ("check", "shrink"):
        c = sub.add_parser(name)
        c.add_argument("params")
        c.add_argument("image")
        c.add_argument("mask")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit(f"no radiomics binary at {a.bin} (cargo build --release, or --bin)")

    if a.cmd in ("check", "shrink"):
        with open(a.params) as f:
            params = yaml.safe_load(f) or {}
        if a.cmd == "check":
            v = trial(a.bin, params, a.image, a.mask)
        else:
            params, v = shrink(a.bin, params, a.image, a.mask)
            print(yaml.safe_dump(params, sort_keys=False))
        print(json.dumps(v, indent=1, default=str))
        sys.exit(0 if v["ok"] else 1)

    cases = Cases(a.cases.split(","))
    first, last = (int(x) for x in a.seeds.split(":"))
    counts = {}
    bad = unknown = 0
    logf = open(a.log, "a") if a.log else None
    for seed in range(first, last):
        rng = random.Random(seed)
        case = cases.draw(rng)
        params = random_params(rng, case)
        v = trial(a.bin, params, case["image"], case["mask"])
        counts[v["verdict"]] = counts.get(v["verdict"], 0) + 1
        rec = {"seed": seed, "case": case["case"], "params": params, **v}
        if not v["ok"]:
            bad += 1
            unknown += v.get("known") is None
            if a.shrink:
                small, sv = shrink(a.bin, params, case["image"], case["mask"], log=lambda *_: None)
                rec["shrunk"] = small
                rec["shrunk_detail"] = sv.get("detail")
        line = json.dumps(rec, default=str)
        if logf:
            logf.write(line + "\n")
            logf.flush()
        status = "ok " if v["ok"] else ("KNOWN" if v.get("known") else "BAD")
        print(f"{status} seed {seed} {case['case']} {v['verdict']} "
              f"({v['py_s']}s / {v['ours_s']}s)" + ("" if v["ok"] else f": {str(v.get('detail'))[:300]}"),
              flush=True)
    n = last - first
    agree = n - bad
    print(f"{agree}/{n} agree ({100.0 * agree / max(n, 1):.1f} %): {counts}; "
          f"of the {bad} disagreements, {bad - unknown} are documented classes")
    # A new class (or a crash or hang) fails the run; documented classes fail it only with --strict.
    sys.exit(1 if unknown or (a.strict and bad) else 0)


if __name__ == "__main__":
    main()
