#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/seeds/<target>/) from code, with the standard library
only. Model seeds are trained by the command line: pass the `radiomics` binary to make them, e.g.
`python3 tools/fuzz_seeds.py target/debug/radiomics`; without it the committed model seeds are kept."""
import gzip
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "seeds")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def nifti(dims, code, bits, fmt, values, endian="<", qform=True, sform=False, slope=1.0, inter=0.0,
          pixdim=(1.0, 0.8, 0.8, 2.5)):
    """A single-file NIfTI-1 image: 348-byte header, 4-byte extension flag, voxels x fastest."""
    h = bytearray(348)
    e = endian
    struct.pack_into(e + "i", h, 0, 348)
    h[38] = ord("r")
    dim = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    struct.pack_into(e + "8h", h, 40, *dim)
    struct.pack_into(e + "hh", h, 70, code, bits)
    struct.pack_into(e + "8f", h, 76, 1.0 if qform else -1.0, *pixdim, 0.0, 0.0, 0.0)
    struct.pack_into(e + "fff", h, 108, 352.0, slope, inter)
    struct.pack_into(e + "hh", h, 252, 1 if qform else 0, 2 if sform else 0)
    # qform: a 90-degree rotation about z (b = c = 0, d = sin 45), origin (-10, 20, 5).
    struct.pack_into(e + "6f", h, 256, 0.0, 0.0, 0.70710678, -10.0, 20.0, 5.0)
    rows = [(0.0, -0.8, 0.0, 4.0), (0.8, 0.0, 0.0, -3.0), (0.0, 0.0, 2.5, 1.0)]
    for i, r in enumerate(rows):
        struct.pack_into(e + "4f", h, 280 + 16 * i, *r)
    h[344:348] = b"n+1\0"
    return bytes(h) + b"\0\0\0\0" + struct.pack(e + str(len(values)) + fmt, *values)


def main():
    n = lambda d: d[0] * d[1] * d[2] * (d[3] if len(d) > 3 else 1)
    i16 = nifti((4, 3, 2), 4, 16, "h", [(7 * i) % 23 - 5 for i in range(24)])
    f32 = nifti((3, 3, 3), 16, 32, "f", [0.5 * i for i in range(27)], qform=False, sform=True,
                slope=2.0, inter=-1.0)
    u8_4d = nifti((2, 2, 2, 2), 2, 8, "B", list(range(16)))
    be_i32 = nifti((2, 2, 1), 8, 32, "i", [1, -2, 3, -4], endian=">")
    f64_nan = nifti((2, 1, 2), 64, 64, "d", [1.0, float("nan"), float("inf"), -0.0], qform=False)
    for name, data in [("i16_qform.nii", i16), ("f32_sform_scaled.nii", f32), ("u8_4d.nii", u8_4d),
                       ("i32_big_endian.nii", be_i32), ("f64_nonfinite.nii", f64_nan)]:
        put("nifti", name, data)
    for name, data in [("i16_qform.nii.gz", i16), ("f32_sform_scaled.nii.gz", f32), ("u8_4d.nii.gz", u8_4d)]:
        put("nifti_gz", name, gzip.compress(data, mtime=0))

    put("params", "texture.yaml", """imageType:
  Original: {}
  LoG: {sigma: [1.0, 3.0]}
featureClass:
  firstorder:
  glcm: [Contrast, Correlation]
  shape:
setting:
  binWidth: 25
  label: 1
  resampledPixelSpacing: [1, 1, 1]
  interpolator: sitkBSpline
  distances: [1, 2]
""")
    put("params", "limits.yaml", """setting:
  binCount: 32
  force2D: true
  force2Ddimension: 0
  maxVoxels: 1000000
  maxGreyLevels: 64
  maxMemoryMB: 16
  resegmentRange: [-1000, 400]
  resegmentMode: absolute
  normalize: true
  removeOutliers: 3
""")
    put("params", "filters.json",
        '{"imageType": {"Wavelet": {"wavelet": "haar"}, "Square": {}, "Gradient": {}},'
        ' "featureClass": {"glszm": null, "ngtdm": []},'
        ' "setting": {"binWidth": 0.5, "voxelArrayShift": 1000, "weightingNorm": "euclidean",'
        ' "label": 2, "geometryTolerance": 0.001}}')

    table = "case_id,patient_id,label,split,f1,f2,f3\n" + "".join(
        f"C{i},P{i // 2},{i % 2},{'train' if i < 8 else 'test'},{i * 1.5},{(i * 7) % 5},{-i}\n"
        for i in range(10))
    put("table", "basic.csv", table)
    put("table", "missing_and_quoted.csv",
        'case_id,label,"a,b",c\nx1,1,1e3,\nx2,0,nan,2\n"x3",1,-inf,3\n')

    if len(sys.argv) > 1:
        binary = sys.argv[1]
        rows = "".join(f"C{i},P{i},{i % 2},{(i % 2) * 3 + i * 0.37 % 1},{i * 1.1 % 3},{i % 4}\n"
                       for i in range(24))
        with tempfile.TemporaryDirectory() as tmp:
            t = os.path.join(tmp, "t.csv")
            with open(t, "w") as f:
                f.write("case_id,patient_id,label,a,b,c\n" + rows)
            for clf in ["logistic", "lda", "svm"]:
                out = os.path.join(tmp, clf + ".json")
                subprocess.run([binary, "train", "--table", t, "--out", out, "--selector", "anova",
                                "--classifier", clf, "--folds", "2"], check=True,
                               stdout=subprocess.DEVNULL)
                with open(out, "rb") as f:
                    put("model", clf + ".json", f.read())
            # A forest with the extraction settings it was trained with (so that the model targets reach
            # them), cut to its first four trees (a whole forest is tens of KB: too large a seed) and
            # sealed again with its SHA-256 checksum.
            params = os.path.join(tmp, "p.yaml")
            with open(params, "w") as f:
                f.write("imageType: {Original: {}, LoG: {sigma: [1.0]}}\nsetting: {binWidth: 10, label: 1}\n")
            out = os.path.join(tmp, "random_forest.json")
            subprocess.run([binary, "train", "--table", t, "--out", out, "--selector", "anova",
                            "--classifier", "random_forest", "--folds", "2", "--params", params],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(out) as f:
                doc = json.load(f)
            doc["classifier"]["trees"] = doc["classifier"]["trees"][:4]
            doc.pop("checksum", None)
            canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            doc["checksum"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
            put("model", "random_forest.json", json.dumps(doc, indent=1))

    # capi_extract: [nx, ny, nz, dtype, flags, bin, label] + optional geometry + voxel and mask patterns.
    ramp = bytes(range(64))
    mask = bytes([0, 1, 1, 1, 2, 1, 1, 0])
    put("capi_extract", "i16_binwidth", bytes([5, 4, 3, 4, 0, 16, 1]) + ramp + mask)
    put("capi_extract", "u8_bincount_2d", bytes([6, 6, 2, 1, 0x60, 8, 1]) + ramp + mask)
    put("capi_extract", "f32_geometry", bytes([4, 4, 4, 9, 0x07, 32, 1])
        + struct.pack("<3d", 0.7, 0.7, 2.0) + struct.pack("<9d", 0, 1, 0, 1, 0, 0, 0, 0, 1)
        + struct.pack("<3d", -5.0, 3.0, 10.0) + ramp + mask)
    put("capi_extract", "f64_fractional_mask_resampled", bytes([4, 5, 3, 10, 0x88, 16, 1])
        + struct.pack("<8d", 1.5, -2.0, 100.0, 3.25, 7.0, 0.0, 12.0, 5.5) + bytes([64, 64, 32, 64]))

    # nrrd: whole files, header and data; 4x3x2 voxels.
    def nrrd(fields, payload):
        return ("NRRD0004\n" + "".join(f"{k}: {v}\n" for k, v in fields) + "\n").encode() + payload
    geometry = [("space", "left-posterior-superior"), ("space directions", "(0.8,0,0) (0,0.8,0) (0,0,2.5)"),
                ("space origin", "(-10,20.5,3)")]
    shorts = struct.pack("<24h", *[(i * 37) % 200 - 50 for i in range(24)])
    put("nrrd", "short_raw.nrrd", nrrd([("type", "short"), ("dimension", "3"), ("sizes", "4 3 2"),
                                        ("encoding", "raw"), ("endian", "little")] + geometry, shorts))
    put("nrrd", "float_gzip_big.nrrd", nrrd(
        [("type", "float"), ("dimension", "3"), ("sizes", "4 3 2"), ("encoding", "gzip"), ("endian", "big"),
         ("kinds", "domain domain domain")] + geometry,
        gzip.compress(struct.pack(">24f", *[i * 0.25 for i in range(24)]), mtime=0)))
    put("nrrd", "uchar_skips.nrrd", nrrd([("type", "uchar"), ("dimension", "3"), ("sizes", "4 3 2"),
                                          ("encoding", "raw"), ("line skip", "1"), ("byte skip", "2")]
                                         + geometry, b"junk line\nxx" + bytes(range(24))))
    put("nrrd", "double_tail.nrrd", nrrd([("type", "double"), ("dimension", "3"), ("sizes", "2 2 2"),
                                          ("encoding", "raw"), ("endian", "little"), ("byte skip", "-1"),
                                          ("spacings", "1 1 1")], bytes(5) + struct.pack("<8d", *range(8))))

    # model_sealed: the seed model (byte 0: 0 lda, 1 logistic, 2 svm, 3 forest), then edits of
    # [path, op, 8-byte operand].
    put("model_sealed", "lda_untouched", bytes([0]))
    put("model_sealed", "forest_small_ints", bytes([3]) + bytes([0xC5, 11]) + bytes(8)
        + bytes([0x87, 11, 3, 0, 0, 0, 0, 0, 0, 0]))
    put("model_sealed", "svm_number", bytes([2, 0x48, 0]) + struct.pack("<d", 1e-300)
        + bytes([0x90, 8]) + bytes(8))
    put("model_sealed", "logistic_null", bytes([1, 0x41, 2]) + bytes(8))

    # capi_settings: flags (bit 0 JSON, bit 1 extract, bit 2 twice), the document up to a 0 byte, then
    # calls (opcode % 7: 0 set KEY VALUE, 1 bin width, 2 bin count, 3 label, 4 threads, 5 image types).
    put("capi_settings", "yaml_setters", bytes([6]) + b"imageType: {Original: {}, Square: {}}\nsetting: "
        b"{binWidth: 5}\0" + bytes([0x08]) + b"[1, 2]\0" + bytes([1]) + struct.pack("<d", 2.5)
        + bytes([3]) + struct.pack("<q", 1))
    put("capi_settings", "json_image_types", bytes([3]) + b'{"featureClass": {"glcm": ["Contrast"]}}\0'
        + bytes([5]) + b'{"LoG": {"sigma": [1.0]}, "Original": {}}\0' + bytes([2]) + struct.pack("<q", 8))
    put("capi_settings", "ignored_options", bytes([2]) + b"setting: {binWidth: 5, binCount: 4, "
        b"interpolator: sitkLinear}\nvoxelSetting: {kernelRadius: 1}\0"
        + bytes([0x80]) + b"padDistance\0" + b"3\0")


if __name__ == "__main__":
    main()
