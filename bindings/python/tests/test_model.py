"""radiomics_rs.Model: a model made by ``radiomics demo`` predicts a case from its images with the
command-line tool's probability, from files or from numpy arrays.

Needs the library (``RADIOMICS_LIBRARY``) and either ``RADIOMICS_DEMO_DIR`` (the output of
``radiomics demo``) or ``RADIOMICS_CLI`` (the command-line tool, to make one); ``RADIOMICS_CLI`` also
gives the reference prediction.
"""
import ctypes
import json
import os
import subprocess

import numpy as np
import pytest

import radiomics_rs as rr

MODALITIES = ("t1c", "adc", "fa")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    cli = os.environ.get("RADIOMICS_CLI")
    if not cli:
        pytest.skip("RADIOMICS_CLI is not set")
    d = os.environ.get("RADIOMICS_DEMO_DIR")
    if not d or not os.path.exists(os.path.join(d, "model.json")):
        d = str(tmp_path_factory.mktemp("demo"))
        subprocess.run([cli, "demo", "--out-dir", d, "--jobs", "2"], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(d, "report.json")) as f:
        case_id = json.load(f)["predicted_case"]["case_id"]
    paths = {m: os.path.join(d, "cohort", f"{case_id}_{m}.nii.gz") for m in MODALITIES}
    mask = os.path.join(d, "cohort", f"{case_id}_mask.nii.gz")
    args = [cli, "predict", "--model", os.path.join(d, "model.json"), "--mask", mask, "--case-id", case_id]
    for m, p in paths.items():
        args += ["--image", f"{m}={p}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.splitlines()
    assert out[0] == "case_id,probability,prediction"
    got_id, probability, prediction = out[1].split(",")
    assert got_id == case_id
    return {"dir": d, "case_id": case_id, "images": paths, "mask": mask,
            "probability": float(probability), "prediction": int(prediction)}


def test_predict_case_from_files_equals_the_cli(demo):
    model = rr.Model.load(os.path.join(demo["dir"], "model.json"))
    images = {m: rr.Image.load(p) for m, p in demo["images"].items()}
    mask = rr.Image.load(demo["mask"])
    p = model.predict_case(images, mask)
    assert p == demo["probability"]  # bit for bit: the CLI prints the shortest round-trip form
    assert int(p >= model.threshold) == demo["prediction"]
    with open(os.path.join(demo["dir"], "report.json")) as f:
        assert json.load(f)["predicted_case"]["probability"] == p


def test_predict_case_from_numpy_equals_the_cli(demo):
    model = rr.Model.load(os.path.join(demo["dir"], "model.json"))

    def as_tuple(path):
        img = rr.Image.load(path)
        return (img.to_array(), img.spacing, img.origin, np.reshape(img.direction, (3, 3)))

    images = {m: as_tuple(p) for m, p in reversed(list(demo["images"].items()))}
    array, spacing, origin, direction = as_tuple(demo["mask"])
    assert model.predict_case(images, as_tuple(demo["mask"])) == demo["probability"]
    # A bare mask array takes the shared geometry keywords.
    p = model.predict_case(images, array.astype(np.uint8), spacing=spacing, origin=origin,
                           direction=direction)
    assert p == demo["probability"]


def test_names_threshold_and_text(demo):
    path = os.path.join(demo["dir"], "model.json")
    with open(path) as f:
        doc = json.load(f)
    model = rr.Model.load(path)
    assert model.feature_names == doc["feature_names"]
    assert model.threshold == doc["threshold"]
    with open(path) as f:
        again = rr.Model.from_json(f.read())
    assert again.feature_names == model.feature_names


def expect(status, fn, *args, match=None, **kwargs):
    with pytest.raises(rr.RadiomicsError) as e:
        fn(*args, **kwargs)
    assert e.value.status == status, str(e.value)
    assert str(e.value).startswith("RAD_" + status.name)
    if match:
        assert match in str(e.value), str(e.value)


def test_errors(demo, tmp_path):
    path = os.path.join(demo["dir"], "model.json")
    expect(rr.Status.IO, rr.Model.load, str(tmp_path / "missing.json"), match="missing.json")
    expect(rr.Status.MODEL_MISMATCH, rr.Model.from_json, "{not json", match="invalid JSON")
    with open(path) as f:
        text = f.read()
    # One digit of the decision threshold (a number in (0, 1); selectors may have a null threshold).
    at = text.index('"threshold": 0.') + len('"threshold": 0.')
    edited = text[:at] + ("7" if text[at] != "7" else "8") + text[at + 1:]
    (tmp_path / "edited.json").write_text(edited)
    expect(rr.Status.MODEL_MISMATCH, rr.Model.load, str(tmp_path / "edited.json"), match="checksum")

    model = rr.Model.load(path)
    mask = rr.Image.load(demo["mask"])
    t1c = rr.Image.load(demo["images"]["t1c"])
    # Modalities the model does not know: none of its features are produced.
    expect(rr.Status.MODEL_MISMATCH, model.predict_case, {"pd": t1c}, mask, match="which the input lacks")
    expect(rr.Status.INVALID_ARGUMENT, model.predict_case, {}, mask, match="at least one image")
    with pytest.raises(ValueError):
        model.predict_case({"t1c": (t1c.to_array(),)}, mask)
    # Features of one image are not prefixed by modality: the first the model needs is named.
    features = rr.extract(t1c, mask, {"featureClass": {"firstorder": None}})
    expect(rr.Status.MODEL_MISMATCH, model.predict, features, match="the model needs feature '")
    with pytest.raises(TypeError):
        model.predict(dict(features))
    model.close()
    model.close()
    with pytest.raises(ctypes.ArgumentError, match="Model is closed"):
        _ = model.threshold


def test_features_are_read_only_dicts():
    image = np.arange(27, dtype=np.float64).reshape(3, 3, 3)
    mask = np.zeros((3, 3, 3), dtype=np.uint8)
    mask[1] = 1
    f = rr.extract(image, mask, {"featureClass": {"firstorder": ["Mean"]}})
    assert isinstance(f, dict) and f == {"original_firstorder_Mean": 13.0}
    with pytest.raises(TypeError):
        f["original_firstorder_Mean"] = 1.0
    with pytest.raises(TypeError):
        f.update({})
    copy = dict(f)
    copy["x"] = 1.0
    import copy as copymod
    import pickle
    assert type(copymod.copy(f)) is dict and pickle.loads(pickle.dumps(f)) == f
    f.close()
    f.close()
    assert f["original_firstorder_Mean"] == 13.0


def test_a_model_trained_from_a_batch_table_predicts_from_images():
    """batch -> train -> predict: the model `radiomics train` made from a `radiomics batch` table (the
    CMake suite's train_flow, in ``RADIOMICS_TRAINED_DIR``) predicts a case from its images, through
    predict_case and through extract_case + predict, with the CLI's probability."""
    d = os.environ.get("RADIOMICS_TRAINED_DIR")
    if not d or not os.path.exists(os.path.join(d, "model.json")):
        pytest.skip("RADIOMICS_TRAINED_DIR (the output of tests/c/train_flow.cmake) is not set")
    with open(os.path.join(d, "cli_predict.csv")) as f:
        case_id, probability, _ = f.read().splitlines()[1].split(",")
    model = rr.Model.load(os.path.join(d, "model.json"))
    images = {m: rr.Image.load(os.path.join(d, "cohort", f"{case_id}_{m}.nii.gz")) for m in MODALITIES}
    mask = rr.Image.load(os.path.join(d, "cohort", f"{case_id}_mask.nii.gz"))
    assert model.predict_case(images, mask) == float(probability)
    params = os.path.join(os.path.dirname(__file__), "..", "..", "..", "params")
    per = {m: rr.Settings.from_file(os.path.join(params, f"{m}.yaml")) for m in MODALITIES}
    features = rr.extract_case(images, mask, per["t1c"], image_settings=per)
    assert model.predict(features) == float(probability)
