#!/usr/bin/env python3
"""Red-team probes of the `radiomics` command line: hostile files and settings generated in a temporary
folder, each run with a time limit and an address-space limit. Asserts, for every probe: no signal
(abort, segfault), no panic (exit 101), no hang (time limit), no out-of-memory (the limit makes a huge
allocation fail, which Rust reports as an abort), the documented exit code (0 success, 2 usage/settings,
3 input files, 4 ROI, 5 model, 6 a limit reached), and for a refusal a message that names the input it
refuses. An option without effect must give a warning that names it and the features of the run without
it, byte for byte.

    python3 tests/hostile/run.py target/release/radiomics      # standard library only
"""
import gzip
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile

TIMEOUT = 20          # seconds per probe
MEMORY = 3 << 30      # bytes of address space per probe


def nifti(dims, data=None, dtype=4, bitpix=16, pixdim=(1.0, 1.0, 1.0), vox_offset=352.0, origin=(0, 0, 0),
          scl=(1.0, 0.0), extra=b""):
    h = bytearray(352)
    struct.pack_into("<i", h, 0, 348)
    dim = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    struct.pack_into("<8h", h, 40, *dim)
    struct.pack_into("<hh", h, 70, dtype, bitpix)
    struct.pack_into("<4f", h, 76, 1.0, *pixdim)
    struct.pack_into("<f", h, 108, vox_offset)
    struct.pack_into("<ff", h, 112, *scl)
    struct.pack_into("<h", h, 254, 1)  # sform_code
    struct.pack_into("<4f", h, 280, pixdim[0], 0, 0, origin[0])
    struct.pack_into("<4f", h, 296, 0, pixdim[1], 0, origin[1])
    struct.pack_into("<4f", h, 312, 0, 0, pixdim[2], origin[2])
    h[344:348] = b"n+1\0"
    n = 1
    for d in dims:
        n *= max(d, 0)
    if data is None:
        data = bytes(n * (bitpix // 8))
    return bytes(h) + data + extra


def i16(values):
    return struct.pack("<%dh" % len(values), *values)


def f32(values):
    return struct.pack("<%df" % len(values), *values)


class Probes:
    def __init__(self, binary, tmp):
        self.binary, self.tmp, self.list = binary, tmp, []

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    def add(self, name, args, codes, names=None, check=None):
        """A probe: `args` after the binary, the exit codes allowed, the text a refusal must name."""
        self.list.append((name, args, codes, names, check))


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(binary, probes):
    failures, counts = [], {}
    for name, args, codes, names, check in probes:
        try:
            p = subprocess.run([binary] + args, capture_output=True, timeout=TIMEOUT, preexec_fn=limit)
        except subprocess.TimeoutExpired:
            failures.append(f"{name}: hang (more than {TIMEOUT} s)")
            continue
        rc, err = p.returncode, p.stderr.decode(errors="replace")
        counts[rc] = counts.get(rc, 0) + 1
        if rc < 0:
            failures.append(f"{name}: killed by signal {-rc} (crash or out of memory): {err[-300:]}")
        elif rc == 101 or "panicked" in err:
            failures.append(f"{name}: panic: {err[-300:]}")
        elif rc not in codes:
            failures.append(f"{name}: exit {rc}, expected one of {codes}: {err[-300:]}")
        elif rc == 6 and "limit" not in err:
            failures.append(f"{name}: exit 6 without naming the limit: {err[-300:]}")
        elif rc != 0 and rc != 6 and names and not any(n in err for n in names + ["do not share a grid"]):
            failures.append(f"{name}: the refusal does not name {names}: {err[-300:]}")
        elif rc != 0 and "radiomics: error:" not in err and "error:" not in err:
            failures.append(f"{name}: exit {rc} without an error message")
        elif check is not None:
            problem = check(p)
            if problem:
                failures.append(f"{name}: {problem}")
    return failures, counts


def build(binary, tmp):
    P = Probes(binary, tmp)
    # A valid case: 8x8x8 int16 ramp, ROI a 4x4x4 cube with label 1.
    ramp = i16([(x * 7 + y * 3 + z * 5) % 50 for z in range(8) for y in range(8) for x in range(8)])
    img = P.file("img.nii", nifti((8, 8, 8), ramp))
    maskv = i16([1 if 2 <= x < 6 and 2 <= y < 6 and 2 <= z < 6 else 0
                 for z in range(8) for y in range(8) for x in range(8)])
    mask = P.file("mask.nii", nifti((8, 8, 8), maskv))
    P.file("img.nii.gz", gzip.compress(open(img, "rb").read()))

    def extract(image, m=mask, params=None, extra=()):
        a = ["extract", "--image", image, "--mask", m]
        if params:
            a += ["--params", params]
        return a + list(extra)

    P.add("valid case", extract(img), [0])
    P.add("valid gz case", extract(os.path.join(tmp, "img.nii.gz")), [0])

    # NIfTI header fields, each set to hostile values.
    fields = {
        "sizeof_hdr": (0, "<i", [0, -1, 347, 349, 2 ** 31 - 1]),
        "dim0": (40, "<h", [0, -1, 8, 100, -32768]),
        "dim1": (42, "<h", [0, -1, -32768, 32767, 9]),
        "dim3": (46, "<h", [0, -5, 32767, 1000]),
        "dim4": (48, "<h", [0, -1, 2, 32767]),
        "datatype": (70, "<h", [0, 1, 32, 128, 2304, 1536, -1, 999]),
        "bitpix": (72, "<h", [0, 7, 8, 32, 64, -16]),
        "pixdim1": (80, "<f", [0.0, -1.0, float("nan"), float("inf"), 1e-30, 1e30]),
        "pixdim3": (88, "<f", [0.0, float("nan"), 1e38, -1e38]),
        "vox_offset": (108, "<f", [0.0, 347.0, 353.5, -352.0, 1e9, float("nan"), 3.4e38]),
        "scl_slope": (112, "<f", [float("nan"), float("inf"), 0.0, 1e38, -1e-38]),
        "scl_inter": (116, "<f", [float("nan"), float("inf"), 1e38]),
        "sform_code": (254, "<h", [0, -1, 5, 32767]),
        "srow_x0": (280, "<f", [0.0, float("nan"), float("inf"), 1e-40]),
        "srow_y3": (308, "<f", [float("nan"), float("inf"), 1e30]),
        "qform_code": (252, "<h", [1, -3, 200]),
        "quatern_b": (256, "<f", [2.0, float("nan"), -7.0]),
        "magic": (344, "4s", [b"ni1\0", b"n+2\0", b"\0\0\0\0", b"n+1x"]),
    }
    base = bytearray(open(img, "rb").read())
    for field, (off, fmt, values) in fields.items():
        for k, v in enumerate(values):
            b = bytearray(base)
            struct.pack_into(fmt, b, off, v)
            name = f"nifti_{field}_{k}.nii"
            path = P.file(name, bytes(b))
            P.add(f"NIfTI {field} = {v!r} (image)", extract(path), [0, 3, 6], [name])
            mpath = P.file("m_" + name, bytes(b[:352]) + maskv if field not in ("bitpix", "datatype")
                           else bytes(b))
            P.add(f"NIfTI {field} = {v!r} (mask)", extract(img, mpath), [0, 3, 4], ["m_" + name])
    # Truncations and gzip damage.
    whole = bytes(base)
    for cut in [0, 1, 100, 347, 348, 351, 352, 353, 600, len(whole) - 1]:
        name = f"cut{cut}.nii"
        P.add(f"NIfTI cut at {cut}", extract(P.file(name, whole[:cut])), [3], [name])
    gz = gzip.compress(whole)
    for cut in [2, 10, 30, len(gz) // 2, len(gz) - 4, len(gz) - 1]:
        name = f"gzcut{cut}.nii.gz"
        P.add(f"gzip cut at {cut}", extract(P.file(name, gz[:cut])), [3], [name])
    for pos in [12, 20, len(gz) - 8, len(gz) - 3]:
        b = bytearray(gz)
        b[pos] ^= 0xFF
        name = f"gzflip{pos}.nii.gz"
        P.add(f"gzip byte {pos} flipped", extract(P.file(name, bytes(b))), [0, 3], [name])
    # A gzip bomb: a 2x2x2 header followed by 200 MB of zeros (compressed to ~200 KB).
    small = nifti((2, 2, 2))
    bomb = gzip.compress(small + bytes(200 << 20), 9)
    name = "bomb.nii.gz"
    P.add("gzip bomb of 200 MB behind a 2x2x2 header", extract(P.file(name, bomb)), [3], [name])
    P.add("/dev/zero as an image", ["extract", "--image", "/dev/zero", "--mask", mask], [3], ["/dev/zero"])
    if os.path.exists("/dev/zero"):
        link = os.path.join(tmp, "zero.nii")
        try:
            os.symlink("/dev/zero", link)
            P.add("/dev/zero named .nii", extract(link), [3], ["zero.nii"])
            P.add("/dev/zero named .nii as mask", extract(img, link), [3], ["zero.nii"])
            nl = os.path.join(tmp, "zero.nrrd")
            os.symlink("/dev/zero", nl)
            P.add("/dev/zero named .nrrd", extract(nl), [3], ["zero.nrrd"])
        except OSError:
            pass
    P.add("missing image", extract(os.path.join(tmp, "absent.nii")), [3], ["absent.nii"])
    P.add("a folder as image", extract(tmp + "/"), [3], [os.path.basename(tmp)])
    P.add("unknown extension", extract(P.file("x.png", b"\x89PNG")), [3], ["x.png"])

    # Voxel contents.
    nan_img = f32([float("nan") if (x, y, z) == (3, 3, 3) else 1.0 + x
                   for z in range(8) for y in range(8) for x in range(8)])
    name = "nan_in_roi.nii"
    P.add("NaN inside the ROI", extract(P.file(name, nifti((8, 8, 8), nan_img, 16, 32))), [3], ["NaN", "nan"])
    for k, v in enumerate([float("inf"), -float("inf"), 3.4e38, -3.4e38, 1e-45]):
        data = f32([v if (x, y, z) == (3, 3, 3) else float(x) for z in range(8) for y in range(8) for x in range(8)])
        name = f"special{k}.nii"
        P.add(f"value {v!r} inside the ROI", extract(P.file(name, nifti((8, 8, 8), data, 16, 32))), [0, 3, 4, 6])
    for k, mv in enumerate([0.5, float("nan"), -1.0, 1e10, 2.0 ** 62]):
        data = f32([mv if (x, y, z) == (3, 3, 3) else (1.0 if 2 <= x < 6 and 2 <= y < 6 and 2 <= z < 6 else 0.0)
                    for z in range(8) for y in range(8) for x in range(8)])
        name = f"maskval{k}.nii"
        P.add(f"mask value {mv!r}", extract(img, P.file(name, nifti((8, 8, 8), data, 16, 32))), [0, 3, 4])
    one = i16([1 if (x, y, z) == (4, 4, 4) else 0 for z in range(8) for y in range(8) for x in range(8)])
    P.add("one-voxel ROI", extract(img, P.file("one.nii", nifti((8, 8, 8), one))), [4])
    two = i16([1 if (x, y, z) in ((4, 4, 4), (5, 4, 4)) else 0 for z in range(8) for y in range(8) for x in range(8)])
    P.add("two-voxel ROI", extract(img, P.file("two.nii", nifti((8, 8, 8), two))), [0, 4])
    P.add("empty mask", extract(img, P.file("empty.nii", nifti((8, 8, 8)))), [4])
    P.add("mask on another grid", extract(img, P.file("m6.nii", nifti((6, 6, 6), i16([1] * 216)))), [3])
    for k, lab in enumerate(["0", "-1", "2", "99999999999", "9007199254740991"]):
        P.add(f"--label {lab}", extract(img, extra=["--label", lab]), [2, 4])
    # Labels not exactly representable as doubles (2^62 and 2^62 + 1 would compare equal): refused.
    for lab in ["9007199254740992", "4611686018427387904", "4611686018427387905", "9223372036854775807"]:
        P.add(f"--label {lab} refused", extract(img, extra=["--label", lab]), [2], ["not exactly representable"])
        name = f"label_{lab}.yaml"
        P.add(f"setting label {lab} refused", extract(img, params=P.file(name, f"setting:\n  label: {lab}\n")),
              [2], [name])
    for t in ["-1", "100000", "1000000", "abc", "1025"]:
        P.add(f"--threads {t}", extract(img, extra=["--threads", t]), [2])

    # Settings: keys and hostile values.
    values = ["null", "0", "-1", "1e308", "-1e308", ".nan", ".inf", "-.inf", "'x'", "[]", "{}", "[1, 2]",
              "true", "1e12", "4e15", "0.000001"]
    keys = ["binWidth", "binCount", "maxGreyLevels", "maxVoxels", "maxMemoryMB", "distances", "threads",
            "resampledPixelSpacing", "padDistance", "sigma", "label", "normalizeScale", "removeOutliers",
            "resegmentRange", "geometryTolerance", "minimumROISize", "gldm_a", "voxelArrayShift",
            "lbp2DRadius", "start_level", "level", "force2Ddimension", "interpolator", "weightingNorm"]
    for key in keys:
        for k, v in enumerate(values):
            name = f"p_{key}_{k}.yaml"
            text = f"setting:\n  {key}: {v}\n"
            if key in ("sigma",):
                text = "imageType:\n  LoG: {}\n" + text
            path = P.file(name, text)
            P.add(f"setting {key}: {v}", extract(img, params=path), [0, 2, 3, 4, 6],
                  [name, key], check=None)
    hostile_docs = {
        "dup_yaml.yaml": "setting:\n  binWidth: 5\n  binWidth: 10\n",
        "dup_json.json": '{"setting": {"binWidth": 5, "binWidth": 10}}',
        "dup_section.json": '{"setting": {}, "setting": {}}',
        "nan_json.json": '{"setting": {"binWidth": NaN}}',
        "empty_classes.yaml": "featureClass: {}\n",
        "empty_sigma.yaml": "imageType:\n  LoG: {sigma: []}\n",
        "huge_sigma.yaml": "imageType:\n  LoG: {sigma: [1e9]}\n",
        "unknown_class.yaml": "featureClass:\n  glcmx:\n",
        "unknown_feature.yaml": "featureClass:\n  glcm: [Nope]\n",
        "unknown_type.yaml": "imageType:\n  Fourier: {}\n",
        "list_doc.yaml": "- 1\n- 2\n",
        "scalar_doc.yaml": "42\n",
        "binary.yaml": "\x00\x01\x02",
        "deep.json": "[" * 5000 + "]" * 5000,
        "anchors.yaml": "a: &a [1,2,3]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nd: [*c,*c,*c,*c]\nsetting: {binWidth: 1}\n",
        "voxel.yaml": "voxelSetting:\n  kernelRadius: 2\n",
        "tabs.yaml": "setting:\n\tbinWidth: 5\n",
        "distances_big.yaml": "setting:\n  distances: [1000]\n",
        "distances_many.yaml": "setting:\n  distances: [1, 2, 3, 4, 5, 6, 7]\n",
        "grey_bomb.yaml": "setting:\n  maxGreyLevels: 1000000000000\n  binWidth: 0.000001\n",
        "grey_tight.yaml": "setting:\n  maxGreyLevels: 16000000\n  binWidth: 0.000001\n",
        "fine_resample.yaml": "setting:\n  resampledPixelSpacing: [0.01, 0.01, 0.01]\n  maxMemoryMB: 1024\n",
        "threads_big.yaml": "setting:\n  threads: 100000\n",
        "wavelet_bad.yaml": "imageType:\n  Wavelet: {wavelet: nope}\n",
        "wavelet_deep.yaml": "imageType:\n  Wavelet: {level: 40}\n",
    }
    for name, text in hostile_docs.items():
        path = P.file(name, text)
        P.add(f"parameter file {name}", extract(img, params=path), [0, 2, 3, 4, 6], [name, "limit", "nope"])
    # Silent acceptance that must be refused (exit 2): these would otherwise change or drop features.
    for name in ["dup_yaml.yaml", "dup_json.json", "nan_json.json", "threads_big.yaml"]:
        P.add(f"parameter file {name} refused", extract(img, params=os.path.join(tmp, name)), [2], [name])
    P.add("--params for an absent modality", ["extract", "--image", f"t1={img}", "--mask", mask,
                                              "--params", f"adc={os.path.join(tmp, 'dup_yaml.yaml')}"], [2])
    P.add("--params MODALITY for a modality not given", ["extract", "--image", f"t1={img}", "--mask", mask,
                                                        "--params", f"adc={os.path.join(tmp, 'fine_resample.yaml')}"],
          [2], ["adc"])

    # Options without effect: accepted (as PyRadiomics), a warning naming the option, and exactly the
    # features of the run without it (the diagnostics entries describe the settings, so they differ).
    def features_only(out):
        return [l for l in out.splitlines() if not l.lstrip(b'"').startswith(b"diagnostics_")]

    def same_as(baseline_args, needle):
        def check(p):
            err = p.stderr.decode(errors="replace")
            if "radiomics: warning:" not in err or needle not in err:
                return f"no warning naming '{needle}': {err[-300:]}"
            ref = subprocess.run([binary] + baseline_args, capture_output=True, timeout=TIMEOUT)
            if ref.returncode != 0:
                return f"the baseline run failed: {ref.stderr.decode(errors='replace')[-300:]}"
            if b"radiomics: warning:" in ref.stderr:
                return f"the baseline run warns too: {ref.stderr.decode(errors='replace')[-300:]}"
            same = features_only(ref.stdout) == features_only(p.stdout)
            return None if same else "the features differ from the run without the option"
        return check
    rs = "resampledPixelSpacing: [2, 2, 2]"
    ignored = [
        ("setting: {binWidth: 5, binCount: 8}", "setting: {binCount: 8}", "binWidth"),
        ("setting: {binWidth: 25, binCount: 8}", "setting: {binCount: 8}", "binWidth"),
        ("imageType: {Original: {binWidth: 2}}\nsetting: {binCount: 8}", "setting: {binCount: 8}", "binWidth"),
        ("setting: {binWidth: 5}\nimageType: {Original: {binWidth: 10}}", "imageType: {Original: {binWidth: 10}}",
         "overrides it"),
        ("setting: {sigma: [1.0, 2.0]}", "", "sigma"),
        ("setting: {wavelet: db2}", "", "wavelet"),
        ("setting: {start_level: 1, level: 2}", "", "level"),
        ("setting: {gradientUseSpacing: false}", "", "gradientUseSpacing"),
        ("setting: {lbp2DRadius: 2, lbp2DSamples: 4, lbp2DMethod: ror}", "", "lbp2D"),
        ("setting: {lbp3DLevels: 3, lbp3DIcosphereRadius: 2}", "", "lbp3D"),
        ("imageType: {Original: {sigma: [1.0]}}", "imageType: {Original: {}}", "sigma"),
        ("imageType: {Square: {wavelet: haar}}", "imageType: {Square: {}}", "wavelet"),
        ("imageType: {Original: {label: 2}}", "imageType: {Original: {}}", "label"),
        ("imageType: {Original: {normalize: true}}", "imageType: {Original: {}}", "normalize"),
        ("imageType: {Original: {resegmentRange: [0, 10]}}", "imageType: {Original: {}}", "resegmentRange"),
        ("imageType: {Original: {" + rs + "}}", "imageType: {Original: {}}", "resampledPixelSpacing"),
        ("imageType: {Original: {correctMask: true, preCrop: true}}", "imageType: {Original: {}}", "preCrop"),
        ("imageType: {Original: {minimumROISize: 3}}", "imageType: {Original: {}}", "minimumROISize"),
        ("setting: {normalizeScale: 100}", "", "normalizeScale"),
        ("setting: {removeOutliers: 3}", "", "removeOutliers"),
        ("setting: {interpolator: sitkLinear}", "", "interpolator"),
        ("setting: {interpolator: 1}", "", "interpolator"),
        ("setting: {padDistance: 10}", "", "padDistance"),
        ("setting: {preCrop: true, " + rs + "}", "setting: {" + rs + "}", "preCrop"),
        ("setting: {correctMask: true, " + rs + "}", "setting: {" + rs + "}", "correctMask"),
        ("setting: {resegmentMode: sigma}", "", "resegmentMode"),
        ("setting: {resegmentShape: true}", "", "resegmentShape"),
        ("setting: {force2Ddimension: 1}", "", "force2Ddimension"),
        ("featureClass: {firstorder: }\nsetting: {distances: [2]}", "featureClass: {firstorder: }", "distances"),
        ("featureClass: {firstorder: }\nsetting: {symmetricalGLCM: false}", "featureClass: {firstorder: }",
         "symmetricalGLCM"),
        ("featureClass: {glszm: }\nsetting: {weightingNorm: euclidean}", "featureClass: {glszm: }", "weightingNorm"),
        ("featureClass: {glcm: }\nsetting: {gldm_a: 2}", "featureClass: {glcm: }", "gldm_a"),
        ("featureClass: {glcm: }\nsetting: {voxelArrayShift: 500}", "featureClass: {glcm: }", "voxelArrayShift"),
        ("featureClass: {shape: }\nsetting: {binWidth: 3}", "featureClass: {shape: }", "binWidth"),
        ("featureClass: {shape: }\nsetting: {binCount: 3}", "featureClass: {shape: }", "binCount"),
        ("featureClass: {firstorder: }\nsetting: {force2D: true}", "featureClass: {firstorder: }", "force2D"),
        ("featureClass: {shape2D: , firstorder: }", "featureClass: {firstorder: }", "shape2D"),
        ("voxelSetting: {kernelRadius: 2}", "", "voxelSetting"),
        ("voxelSetting: {kernelRadius: 1, maskedKernel: false, initValue: 0}", "", "voxelSetting"),
        ("featureClass: {}", "", "featureClass is empty"),
        ("imageType: {}", "", "imageType is empty"),
    ]
    for k, (with_option, without_option, needle) in enumerate(ignored):
        a = P.file(f"ign{k}.yaml", with_option + "\n")
        b = P.file(f"ign{k}_base.yaml", without_option + "\n")
        P.add(f"option without effect: {with_option!r}", extract(img, params=a), [0],
              check=same_as(extract(img, params=b), needle))
    # The same through JSON, and per modality in a multi-sequence case (the warning names the modality).
    a = P.file("ign_json.json", '{"setting": {"binWidth": 5, "binCount": 8}}')
    b = P.file("ign_json_base.json", '{"setting": {"binCount": 8}}')
    P.add("option without effect (JSON)", extract(img, params=a), [0], check=same_as(extract(img, params=b), "binWidth"))
    a = P.file("ign_mod.yaml", "setting: {interpolator: sitkLinear}\n")
    P.add("option without effect for one modality",
          ["extract", "--image", f"t1={img}", "--image", f"adc={img}", "--mask", mask, "--params", f"adc={a}"], [0],
          check=same_as(["extract", "--image", f"t1={img}", "--image", f"adc={img}", "--mask", mask],
                        "adc: setting 'interpolator'"))
    # Refused: LoG without a sigma (PyRadiomics silently computes no LoG feature), sigma not positive.
    for k, text in enumerate(["imageType: {LoG: {}}", "imageType: {LoG: {sigma: []}}", "imageType: {LoG: }",
                              "imageType: {Original: {}, LoG: {sigma: null}}",
                              "setting: {sigma: []}\nimageType: {LoG: {}}"]):
        name = f"nosigma{k}.yaml"
        P.add(f"LoG without sigma: {text!r}", extract(img, params=P.file(name, text + "\n")), [2],
              ["has no sigma"])
    for k, v in enumerate(["0", "-1", ".nan", ".inf", "-.inf", "'x'", "[1, 0]", "[[1]]"]):
        name = f"badsigma{k}.yaml"
        P.add(f"LoG sigma {v}", extract(img, params=P.file(name, f"imageType: {{LoG: {{sigma: [{v}]}}}}\n")),
              [2], [name])
    # A sigma too large for the image: skipped with a warning, as PyRadiomics; the other sigmas computed.
    name = "big_sigma.yaml"
    P.add("LoG sigma too large for the image", extract(img, params=P.file(
        name, "imageType: {Original: {}, LoG: {sigma: [1.0, 1e9]}}\n")), [0],
        check=lambda p: None if b"LoG sigma 1000000000 skipped" in p.stderr and b"log-sigma-1-0-mm-3D" in p.stdout
        else f"no skip warning, or sigma 1 missing: {p.stderr.decode(errors='replace')[-300:]}")
    # Limits: exit 6, the message naming the setting.
    for k, (text, needle) in enumerate([
            ("setting: {maxVoxels: 100}", "maxVoxels"),
            ("setting: {maxMemoryMB: 1, resampledPixelSpacing: [0.05, 0.05, 0.05]}", "maxMemoryMB"),
            ("setting: {binCount: 100, maxGreyLevels: 10}", "maxGreyLevels"),
            ("setting: {binWidth: 0.001, maxGreyLevels: 100}", "maxGreyLevels"),
            ("setting: {resampledPixelSpacing: [0.001, 0.001, 0.001]}", "maxVoxels"),
            ("setting: {maxGreyLevels: 16000000, binWidth: 0.000001}", "limit")]):
        name = f"limit{k}.yaml"
        P.add(f"limit: {text!r}", extract(img, params=P.file(name, text + "\n")), [6], [needle])

    # Images that do not cover the ROI (multi-sequence: resampled onto the mask's grid).
    for k, origin in enumerate([(1000, 0, 0), (0, -500, 0), (0, 0, 3.0), (5.0, 5.0, 5.0)]):
        name = f"far{k}.nii"
        path = P.file(name, nifti((8, 8, 8), ramp, origin=origin))
        P.add(f"image at origin {origin} for a multi-sequence case",
              ["extract", "--image", f"t1={img}", "--image", f"adc={path}", "--mask", mask], [3],
              ["does not cover the ROI"])
        cm = P.file(f"cm{k}.yaml", "setting:\n  correctMask: true\n")
        P.add(f"correctMask with a mask at origin {origin}",
              extract(img, P.file(f"farmask{k}.nii", nifti((8, 8, 8), maskv, origin=origin)), cm), [3, 4],
              ["does not cover the ROI", "does not overlap"])

    # NRRD headers.
    def nrrd(fields, payload=None):
        head = "NRRD0004\n" + "".join(f"{k}: {v}\n" for k, v in fields) + "\n"
        return head.encode() + (payload if payload is not None else bytes(8 * 8 * 8 * 2))
    good = [("type", "short"), ("dimension", "3"), ("sizes", "8 8 8"), ("encoding", "raw"),
            ("endian", "little"), ("space directions", "(1,0,0) (0,1,0) (0,0,1)"), ("space origin", "(0,0,0)")]
    nmask = P.file("mask.nrrd", nrrd(good, maskv))
    P.add("valid NRRD", extract(P.file("good.nrrd", nrrd(good, ramp)), nmask), [0])
    variants = {
        "byte_skip": [("byte skip", "16")], "byte_skip_neg": [("byte skip", "-1")],
        "byte_skip_bad": [("byte skip", "-7")], "byte_skip_huge": [("byte skip", "99999999")],
        "line_skip": [("line skip", "3")], "line_skip_bad": [("line skip", "x")],
        "endian_weird": [("endian", "middle")], "kinds_vector": [("kinds", "vector domain domain")],
        "kinds_rgb": [("kinds", "RGB-color domain domain")], "dup_type": [("type", "float")],
        "dup_sizes": [("sizes", "2 2 2")], "nan_dir": [("space directions", "(nan,0,0) (0,1,0) (0,0,1)")],
        "zero_dir": [("space directions", "(0,0,0) (0,1,0) (0,0,1)")], "data_file": [("data file", "x.raw")],
        "enc_bzip": [("encoding", "bzip2")], "enc_hex": [("encoding", "hex")], "dim4": [("dimension", "4")],
        "sizes_huge": [("sizes", "100000 100000 100000")], "sizes_neg": [("sizes", "-8 8 8")],
        "type_block": [("type", "block")], "space_weird": [("space", "scanner-xyz")],
        "origin_inf": [("space origin", "(inf,0,0)")],
        "dir_huge": [("space directions", "(1e200,0,0) (0,1,0) (0,0,1)")],
        "dir_tiny": [("space directions", "(1e-200,0,0) (0,1,0) (0,0,1)")],
        "dir_big": [("space directions", "(1e7,0,0) (0,1,0) (0,0,1)")],
    }
    for name, extra_fields in variants.items():
        keys_over = {k for k, _ in extra_fields}
        fields_ = [(k, v) for k, v in good if k not in keys_over or name.startswith("dup")] + extra_fields
        payload = ramp
        if name == "byte_skip":
            payload = bytes(16) + ramp
        if name == "line_skip":
            payload = b"a\nb\nc\n" + ramp
        fname = f"n_{name}.nrrd"
        codes = [0] if name in ("byte_skip", "byte_skip_neg", "line_skip") else [3, 6]

        def same_as_valid(p, ref=None):
            return None
        P.add(f"NRRD {name}", extract(P.file(fname, nrrd(fields_, payload)), nmask), codes, [fname])
    # The NRRD with byte skip / line skip must give the features of the plain file.
    P.add("NRRD byte skip gives the plain file's features",
          extract(os.path.join(tmp, "n_byte_skip.nrrd"), nmask), [0],
          check=lambda p: None if p.stdout == subprocess.run(
              [binary] + extract(os.path.join(tmp, "good.nrrd"), nmask), capture_output=True).stdout
          else "features differ from the plain NRRD's")
    P.add("NRRD line skip gives the plain file's features",
          extract(os.path.join(tmp, "n_line_skip.nrrd"), nmask), [0],
          check=lambda p: None if p.stdout == subprocess.run(
              [binary] + extract(os.path.join(tmp, "good.nrrd"), nmask), capture_output=True).stdout
          else "features differ from the plain NRRD's")

    # Models: train one, then forge it (with a valid SHA-256 checksum) and predict.
    rows = "".join(f"c{i},p{i},{i % 2},{(i % 2) * 2 + (i * 7 % 5) * 0.3},{i * 13 % 5},{i % 3}\n" for i in range(30))
    table = P.file("table.csv", "case_id,patient_id,label,a,b,c\n" + rows)
    out = os.path.join(tmp, "model.json")
    models = {}
    for clf in ["logistic", "lda", "svm", "random_forest"]:
        path = os.path.join(tmp, f"model_{clf}.json")
        r = subprocess.run([binary, "train", "--table", table, "--out", path, "--selector", "anova",
                            "--classifier", clf, "--folds", "3", "--k", "2"], capture_output=True)
        if r.returncode == 0:
            models[clf] = json.load(open(path))
            P.add(f"predict with a {clf} model", ["predict", "--model", path, "--table", table], [0])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import hashlib

    def canon(v):
        return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def seal(doc):
        d = dict(doc)
        d.pop("checksum", None)
        doc["checksum"] = "sha256:" + hashlib.sha256(canon(d).encode()).hexdigest()
        return doc

    def forge(tag, clf, edit, codes=(5,)):
        if clf not in models:
            return
        doc = json.loads(json.dumps(models[clf]))
        try:
            edit(doc)
        except (KeyError, IndexError, TypeError):
            return
        seal(doc)
        name = f"forged_{clf}_{tag}.json"
        path = P.file(name, json.dumps(doc))
        P.add(f"forged {clf} model: {tag}", ["predict", "--model", path, "--table", table], list(codes), [name])

    for clf in models:
        forge("scale0", clf, lambda d: d["scaler"]["scale"].__setitem__(0, 0.0))
        forge("scaleneg", clf, lambda d: d["scaler"]["scale"].__setitem__(0, -1.0))
        forge("scalebig", clf, lambda d: d["scaler"]["scale"].__setitem__(0, 1e308), (0, 5))
        forge("meannull", clf, lambda d: d["scaler"]["mean"].__setitem__(0, None))
        forge("meanshort", clf, lambda d: d["scaler"]["mean"].pop())
        forge("noselected", clf, lambda d: d.__setitem__("selected_features", []))
        forge("dupselected", clf, lambda d: d.__setitem__("selected_features", ["a", "a"]))
        forge("unknownselected", clf, lambda d: d["selected_features"].__setitem__(0, "zzz"))
        forge("threshold2", clf, lambda d: d.__setitem__("threshold", 2.0))
        forge("thresholdneg", clf, lambda d: d.__setitem__("threshold", -0.5))
        forge("version2", clf, lambda d: d.__setitem__("format_version", 2))
        forge("versionstr", clf, lambda d: d.__setitem__("format_version", "1"))
        forge("kindunknown", clf, lambda d: d["classifier"].__setitem__("kind", "xgboost"))
        forge("classifiernull", clf, lambda d: d.__setitem__("classifier", None))
        forge("names_dup", clf, lambda d: d.__setitem__("feature_names", ["a"] * len(d["feature_names"])))
    for tag, edit in [("coefnull", lambda d: d["classifier"]["coef"].__setitem__(0, None)),
                      ("coeflong", lambda d: d["classifier"]["coef"].append(1.0)),
                      ("coefshort", lambda d: d["classifier"]["coef"].pop()),
                      ("interceptbig", lambda d: d["classifier"].__setitem__("intercept", 1e308)),
                      ("coefoverflow", lambda d: (d["classifier"].__setitem__("coef", [1e308, -1e308]),
                                                  d["scaler"].__setitem__("scale", [1e-300] * len(d["scaler"]["scale"]))))]:
        for clf in ("logistic", "lda"):
            forge(tag, clf, edit, (0, 2, 3, 5))  # an overflow is refused at prediction, naming the model
    for tag, edit in [("gamma0", lambda d: d["classifier"].__setitem__("gamma", 0.0)),
                      ("gammaneg", lambda d: d["classifier"].__setitem__("gamma", -1.0)),
                      ("nosv", lambda d: d["classifier"].__setitem__("support_vectors", [])),
                      ("svshort", lambda d: d["classifier"]["support_vectors"].__setitem__(0, [1.0])),
                      ("dualshort", lambda d: d["classifier"]["dual_coef"].pop()),
                      ("plattnull", lambda d: d["classifier"].__setitem__("platt_a", None))]:
        forge(tag, "svm", edit)
    tree = lambda d: d["classifier"]["trees"][0]
    for tag, edit in [("selfloop", lambda d: (tree(d)["feature"].__setitem__(0, 0), tree(d)["left"].__setitem__(0, 0))),
                      ("backedge", lambda d: (tree(d)["feature"].__setitem__(-1, 0), tree(d)["left"].__setitem__(-1, 0))),
                      ("childpast", lambda d: (tree(d)["feature"].__setitem__(0, 0), tree(d)["right"].__setitem__(0, 10 ** 6))),
                      ("featurepast", lambda d: tree(d)["feature"].__setitem__(0, 99)),
                      ("featurebig", lambda d: tree(d)["feature"].__setitem__(0, 2 ** 31 - 1)),
                      ("valuepast", lambda d: tree(d)["value"].__setitem__(-1, 3.0)),
                      ("arrays", lambda d: tree(d)["value"].pop()),
                      ("notrees", lambda d: d["classifier"].__setitem__("trees", [])),
                      ("emptytree", lambda d: d["classifier"]["trees"].__setitem__(0, {"feature": [], "threshold": [], "left": [], "right": [], "value": []})),
                      ("childneg", lambda d: tree(d)["left"].__setitem__(0, -1))]:
        forge(tag, "random_forest", edit)
    if "logistic" in models:
        doc = json.loads(json.dumps(models["logistic"]))
        doc["training"]["rows"] = 31
        name = "edited_no_reseal.json"
        P.add("model edited without a new checksum", ["predict", "--model", P.file(name, json.dumps(doc)),
                                                       "--table", table], [5], [name])
        doc = json.loads(json.dumps(models["logistic"]))
        doc["checksum"] = "fnv1a64:0123456789abcdef"
        name = "old_fnv.json"
        P.add("model with an FNV checksum", ["predict", "--model", P.file(name, json.dumps(doc)), "--table", table],
              [5], ["retrain"])
        for k, junk in enumerate([b"", b"{", b"null", b"[]", b"\xff\xfe", b'{"format_version": 1}']):
            name = f"junkmodel{k}.json"
            P.add(f"model file {junk!r}", ["predict", "--model", P.file(name, junk), "--table", table], [5], [name])
        mpath = os.path.join(tmp, "model_logistic.json")
        P.add("predict > /dev/full", ["predict", "--model", mpath, "--table", table, "--out", "/dev/full"], [3],
              ["/dev/full"])
    # Training tables.
    big = "case_id,patient_id,label,a,b\n" + "".join(f"c{i},p{i},{i % 2},{i},{1e308 if i % 2 else -1e308}\n" for i in range(30))
    P.add("train on a ±1e308 column", ["train", "--table", P.file("big.csv", big), "--out", out], [3],
          ["column 'b'"], check=lambda p: None if not os.path.exists(out) else "a model was written")
    for k, t in enumerate(["", "case_id\n", "case_id,label\nc1,1\n", "case_id,label,a\nc1,1,1\nc2,1,2\n",
                           "case_id,label,a,a\nc1,0,1,1\nc2,1,2,2\n", "x,y\n1,2\n",
                           "case_id,label,a\nc1,0,nan\nc2,1,inf\nc3,0,1\nc4,1,2\n"]):
        name = f"tab{k}.csv"
        P.add(f"train on table {k}", ["train", "--table", P.file(name, t), "--out", out], [2, 3], [name, "table", "label"])
    for v in ["0", "1", "-1", "1000000"]:
        P.add(f"train --folds {v}", ["train", "--table", table, "--out", out, "--folds", v], [0, 2, 3])

    # Batch: manifests.
    man_head = "case_id,patient_id,label,split,t1,mask\n"
    for k, body in enumerate(["", "c1,p1,1,train,absent.nii,mask.nii\n", "c1,p1,1,train,img.nii\n",
                              "c1,p1,1,train,img.nii,mask.nii\nc1,p1,1,train,img.nii,mask.nii\n",
                              "c1,p1,1,train,far0.nii,mask.nii\n", "c1,p1,1,train,/dev/zero,mask.nii\n",
                              "c1,p1,1,train,img.nii,zero.nii\n", ",p1,1,train,img.nii,mask.nii\n"]):
        name = f"man{k}.csv"
        path = P.file(name, man_head + body if k else "")
        P.add(f"batch manifest {k}", ["batch", "--manifest", path, "--out", os.path.join(tmp, f"b{k}.csv")], [3],
              [name, "c1", "case", "manifest"])
    good_man = P.file("man_good.csv", man_head + "c1,p1,1,train,img.nii,mask.nii\nc2,p2,0,test,img.nii,mask.nii\n")
    P.add("batch --out = manifest", ["batch", "--manifest", good_man, "--out", good_man], [2], ["inputs"])
    P.add("batch --out = image", ["batch", "--manifest", good_man, "--out", img], [2], ["inputs"])
    P.add("batch --jobs 100000", ["batch", "--manifest", good_man, "--out", os.path.join(tmp, "j.csv"),
                                  "--jobs", "100000"], [2])
    P.add("batch ok", ["batch", "--manifest", good_man, "--out", os.path.join(tmp, "ok.csv")], [0])
    P.add("batch --params for an absent modality", ["batch", "--manifest", good_man, "--out",
                                                    os.path.join(tmp, "ok2.csv"), "--params",
                                                    f"adc={os.path.join(tmp, 'cm0.yaml')}"], [2], ["adc"])
    # Streams.
    P.add("extract > /dev/full", extract(img, extra=["--out", "/dev/full"]), [3], ["/dev/full"])
    return P.list


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/radiomics")
    with tempfile.TemporaryDirectory() as tmp:
        probes = build(binary, tmp)
        failures, counts = run(binary, probes)
        # Streams through a shell: stdout to /dev/full, and into a reader that closes early.
        img, mask = os.path.join(tmp, "img.nii"), os.path.join(tmp, "mask.nii")
        for cmd, ok in [(f"'{binary}' extract --image '{img}' --mask '{mask}' > /dev/full", {3}),
                        (f"'{binary}' extract --image '{img}' --mask '{mask}' | head -c 10 >/dev/null; "
                         "exit ${PIPESTATUS[0]}", {0, 141}),
                        (f"'{binary}' predict --model '{tmp}/model_logistic.json' --table '{tmp}/table.csv' "
                         "> /dev/full", {3}),
                        (f"'{binary}' predict --model '{tmp}/model_logistic.json' --table '{tmp}/table.csv' "
                         "| head -c 5 >/dev/null; exit ${PIPESTATUS[0]}", {0, 141})]:
            p = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=TIMEOUT)
            counts[p.returncode] = counts.get(p.returncode, 0) + 1
            err = p.stderr.decode(errors="replace")
            if p.returncode not in ok or "panicked" in err:
                failures.append(f"stream `{cmd}`: exit {p.returncode}: {err[-300:]}")
        total = len(probes) + 4
    print(f"hostile probes: {total}; exit codes {dict(sorted(counts.items()))}; failures {len(failures)}")
    for f in failures:
        print("FAIL", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
