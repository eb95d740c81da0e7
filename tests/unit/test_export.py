"""Export: the detector graph (normalise, score, score terms, decision) in ONNX and torch.export.

Every model family is exported and run: the ONNX file in onnxruntime, the ExportedProgram after
``torch.export.save`` / ``load``; both must give the scores of ``model.processed_batch`` (to
1e-6) and the same flags. The graph module itself, the timing term's graph form and the errors
are checked in the fast tier; writing the files of every family is the slow tier (torch's ONNX
exporter takes several seconds per model).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from ecg_anomaly import load_detector
from ecg_anomaly.errors import ConfigError
from ecg_anomaly.export import main as export_main
from ecg_anomaly.exported.files import FORMATS, export_detector
from ecg_anomaly.exported.graph import ExportedDetector, TimingScore, exportable_term
from ecg_anomaly.models import (
    ContractiveAutoencoder,
    ConvAutoencoder,
    DenseAutoencoder,
    LSTMAutoencoder,
    LSTMClassifier,
    SmallDenseAutoencoder,
    VariationalAutoencoder,
)
from ecg_anomaly.recordings.timing import TimingTerm
from tests.conftest import run_entry_point
from tests.unit.test_detector import save_checkpoint

SEQ_LEN = 16
N_TEST = 40

FAMILIES = {
    "dense_ae": lambda: DenseAutoencoder(seq_len=SEQ_LEN, hidden=[8, 4]),
    "small_dense_ae": lambda: SmallDenseAutoencoder(seq_len=SEQ_LEN),
    "conv_ae": lambda: ConvAutoencoder(
        seq_len=SEQ_LEN,
        encoder_channels=[8, 4],
        decoder_channels=[4],
        decoder_start_channels=4,
        normalization="per_step_minmax",
    ),
    "contractive_ae": lambda: ContractiveAutoencoder(seq_len=SEQ_LEN, hidden=[8, 4]),
    "vae": lambda: VariationalAutoencoder(
        seq_len=SEQ_LEN, hidden=[8, 4], latent_dim=2, normalization="zscore"
    ),
    "lstm_ae": lambda: LSTMAutoencoder(seq_len=SEQ_LEN, embedding_dim=4, normalization="none"),
    "lstm_classifier": lambda: LSTMClassifier(seq_len=SEQ_LEN, hidden_size=4),
    "recording_timing": lambda: DenseAutoencoder(seq_len=SEQ_LEN, hidden=[8, 4]),
}


def beats(n: int, seed: int) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(size=(n, SEQ_LEN))).float()


def make_model(family: str):
    """A tiny untrained model: a fitted normaliser, a timing term for the recording model, and
    a threshold halfway between two test scores (no beat sits within rounding of it)."""
    torch.manual_seed(0)
    model = FAMILIES[family]().eval()
    model.normalizer.fit(beats(50, seed=0))
    if family == "recording_timing":
        term = TimingTerm(scale=0.1)
        term.fit(model.score(beats(30, seed=1)), {})
        model.post.add_term(term)
    scores = np.sort(model.processed_batch(batch())["scores"].double().numpy())
    # the widest gap between neighbours in the middle half: some beats flagged, some not
    low = N_TEST // 4 + int(np.argmax(np.diff(scores[N_TEST // 4 : 3 * N_TEST // 4])))
    assert scores[low + 1] - scores[low] > 1e-6  # far more than float32 rounding
    model.post.set_thresholds((scores[low] + scores[low + 1]) / 2)
    return model


def batch() -> dict[str, torch.Tensor]:
    rng = np.random.default_rng(3)
    early = np.where(rng.random(N_TEST) < 0.5, 0.0, rng.uniform(0.0, 0.3, N_TEST))
    return {"x": beats(N_TEST, seed=2), "prematurity": torch.from_numpy(early)}


def graph_inputs(model) -> tuple[torch.Tensor, ...]:
    b = batch()
    return (b["x"], b["prematurity"]) if model.post.terms else (b["x"],)


def expected(model) -> tuple[np.ndarray, np.ndarray]:
    out = model.processed_batch(batch())
    return out["scores"].double().numpy(), out["flags"].numpy()


def assert_same(scores, flags, model) -> None:
    want_scores, want_flags = expected(model)
    assert scores.dtype == np.float64 and flags.dtype == np.int64
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(flags, want_flags)
    assert 0 < flags.sum() < len(flags)  # the check can fail both ways


# -- the graph module (fast) -------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_the_graph_gives_the_scores_and_flags_of_processed_batch(family):
    model = make_model(family)
    detector = ExportedDetector(model).eval()
    assert detector.input_names == (
        ("beats", "prematurity") if family == "recording_timing" else ("beats",)
    )
    with torch.no_grad():
        scores, flags = (t.numpy() for t in detector(*graph_inputs(model)))
    # exactly: the same operations in PyTorch
    np.testing.assert_array_equal(scores, expected(model)[0])
    assert_same(scores, flags, model)


def test_the_timing_graph_equals_the_timing_term_ties_and_extremes_included():
    term = TimingTerm(scale=0.2)
    term.fit(torch.tensor([0.3, 0.1, 0.2, 0.2, 0.5, 0.4, 0.6]), {})
    reference = term.reference  # 0.1 0.2 0.2 0.3 0.4 0.5 0.6
    shape = torch.cat([reference, torch.tensor([-1.0, 0.0, 0.25, 0.65, 3.0], dtype=torch.float64)])
    early = torch.linspace(0.0, 0.4, len(shape), dtype=torch.float64)
    want, _ = term(shape.float(), {"prematurity": early})
    got = TimingScore(term.reference, term.scale)(shape.float(), early)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    # by hand: 0.2 ties two reference beats -> CDF 3/7; 3.0 is 2.4 above the top, spread 0.6-0.3
    assert got[1].item() == pytest.approx(3 / 7 + early[1].item() / 0.2)
    assert got[-1].item() == pytest.approx(1 + 2.4 / 0.3 + 0.4 / 0.2)


def test_the_timing_graph_with_one_reference_beat_uses_a_spread_of_one():
    term = TimingTerm()
    term.fit(torch.tensor([0.5]), {})
    shape = torch.tensor([0.4, 0.5, 2.5])
    early = torch.zeros(3, dtype=torch.float64)
    got = TimingScore(term.reference, term.scale)(shape, early)
    np.testing.assert_array_equal(got.numpy(), term(shape, {"prematurity": early})[0].numpy())
    np.testing.assert_allclose(got.numpy(), [0.0, 1.0, 3.0])


def test_the_timing_graph_adds_the_qrs_excess_as_the_term_does():
    term = TimingTerm(scale=0.1, qrs_spread=2.0, qrs_onset=1.0, qrs_scale=2.0)
    qrs_train = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5], dtype=torch.float64)  # median 0.3
    term.fit(torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5]), {"qrs_distance": qrs_train})
    shape = torch.tensor([0.3, 0.3, 0.3, 0.3])
    early = torch.zeros(4, dtype=torch.float64)
    unit = 2.0 * 0.14826  # qrs_spread x robust SD
    qrs = torch.tensor([0.3, 0.3 + unit, 0.3 + 5 * unit, float("nan")], dtype=torch.float64)
    want, _ = term(shape, {"prematurity": early, "qrs_distance": qrs})
    graph = exportable_term(term)
    got = graph(shape, early, qrs)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    # CDF of 0.3: 3/5; QRS parts 0, 1, 5, NaN: excess over 1 in units of 2 -> 0, 0, 2, 0
    np.testing.assert_allclose(got.numpy(), [0.6, 0.6, 2.6, 0.6])


def test_the_decision_is_taken_in_float64_as_scores_csv_takes_it():
    model = make_model("dense_ae")
    detector = ExportedDetector(model).eval()
    x = graph_inputs(model)[0]
    score = float(model.score(x[:1])[0])
    with torch.no_grad():
        model.post.set_thresholds(score)
        assert ExportedDetector(model)(x[:1])[1].item() == 1  # score >= threshold
        # 1e-12 above a float32 score: float32 would round the threshold down onto it
        model.post.set_thresholds(score + 1e-12)
        detector = ExportedDetector(model)
        assert detector(x[:1])[1].item() == 0
        assert int(model.post.flag(np.array([score]))[0]) == 0  # the files' decision
        assert detector.threshold.dtype == torch.float64


def test_a_model_without_threshold_or_with_random_scores_is_refused(tmp_path):
    model = make_model("dense_ae")
    model.post.set_thresholds(float("nan"))
    with pytest.raises(ConfigError, match=r"no fitted threshold.*threshold=manual"):
        export_detector(model, tmp_path / "m.pt2", "torch")
    vae = make_model("vae")
    vae.score_with = "sample"
    with pytest.raises(ConfigError, match="score_with=mean"):
        export_detector(vae, tmp_path / "m.pt2", "torch")
    assert not list(tmp_path.iterdir())


def test_unknown_formats_and_a_missing_onnx_exporter_are_config_errors(tmp_path, monkeypatch):
    model = make_model("dense_ae")
    with pytest.raises(ConfigError, match=r"format='tflite' is not allowed: use one of onnx"):
        export_detector(model, tmp_path / "m", "tflite")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "onnxscript" else real(name)
    )
    with pytest.raises(ConfigError, match=r"onnxscript.*\.\[export\].*format=torch"):
        export_detector(model, tmp_path / "m.onnx", "onnx")


def test_to_torchscript_names_the_exporter_and_to_onnx_needs_a_path():
    model = make_model("dense_ae")
    with pytest.raises(NotImplementedError, match="ecg-anomaly-export format=torch"):
        model.to_torchscript()
    with pytest.raises(TypeError, match="give its path"):
        model.to_onnx()


@pytest.mark.slow
def test_a_torch_export_program_round_trips_with_the_models_flags(tmp_path):
    model = make_model("recording_timing")
    model.train()  # export works in eval mode and gives the mode back
    result = export_detector(model, tmp_path / "model.pt2", "torch")
    assert model.training
    assert result.max_difference == 0.0 and result.inputs == ("beats", "prematurity")
    program = torch.export.load(tmp_path / "model.pt2")
    model.eval()
    scores, flags = (t.detach().numpy() for t in program.module()(*graph_inputs(model)))
    assert_same(scores, flags, model)
    # any number of beats
    one = program.module()(*(t[:1] for t in graph_inputs(model)))[0]
    assert one.shape == (1,)


# -- every family written and run (slow: several seconds each) ---------------------------------


def run_onnx(path, inputs: tuple[torch.Tensor, ...]) -> tuple[np.ndarray, np.ndarray]:
    ort = pytest.importorskip("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {i.name: t.numpy() for i, t in zip(session.get_inputs(), inputs, strict=True)}
    return tuple(session.run(["scores", "flags"], feed))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """``written(family, format)``: the model and its file, written once per module."""
    models, files = {}, {}

    def write(family: str, format: str):
        if format == "onnx":
            pytest.importorskip("onnxscript")
            pytest.importorskip("onnxruntime")
        if family not in models:
            models[family] = make_model(family), tmp_path_factory.mktemp(family)
        model, folder = models[family]
        if (family, format) not in files:
            path = folder / f"model{FORMATS[format]}"
            files[family, format] = export_detector(model, path, format)
        return model, files[family, format]

    return write


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_runs_in_onnxruntime_with_the_same_flags(family, written):
    model, result = written(family, "onnx")
    assert result.max_difference < 1e-6
    # one file: no weights beside it, no temporary file left
    assert not [p.name for p in result.path.parent.iterdir() if p.suffix not in FORMATS.values()]
    scores, flags = run_onnx(result.path, graph_inputs(model))
    assert_same(scores, flags, model)
    if family == "recording_timing":
        # the timing term's float64 arithmetic is exact; only a float32 shape score that
        # crosses a training beat's could move a beat one step of the CDF
        assert (scores == expected(model)[0]).mean() > 0.9


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_round_trips_as_a_torch_export_program(family, written):
    model, result = written(family, "torch")
    assert result.max_difference == 0.0
    program = torch.export.load(result.path).module()
    assert_same(*(t.detach().numpy() for t in program(*graph_inputs(model))), model)


OUTSIDE = """
import sys
sys.modules["ecg_anomaly"] = None  # any import of our package fails
import numpy as np, onnxruntime, torch
beats, early = np.load(sys.argv[1]), np.load(sys.argv[2])
session = onnxruntime.InferenceSession(sys.argv[3], providers=["CPUExecutionProvider"])
meta = session.get_modelmeta().custom_metadata_map
print([i.name for i in session.get_inputs()], meta["seq_len"])
onnx_flags = session.run(["flags"], {"beats": beats, "prematurity": early})[0]
program = torch.export.load(sys.argv[4]).module()
torch_flags = program(torch.from_numpy(beats), torch.from_numpy(early))[1].numpy()
print(onnx_flags.tolist(), torch_flags.tolist())
"""


@pytest.mark.slow
def test_the_files_run_without_our_package(written, tmp_path):
    model, onnx_file = written("recording_timing", "onnx")
    _, program_file = written("recording_timing", "torch")
    beats_, early = graph_inputs(model)
    np.save(tmp_path / "beats.npy", beats_.numpy())
    np.save(tmp_path / "early.npy", early.numpy())
    args = [tmp_path / "beats.npy", tmp_path / "early.npy", onnx_file.path, program_file.path]
    out = subprocess.run([sys.executable, "-c", OUTSIDE, *map(str, args)], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    names, flags = out.splitlines()[-2:]
    assert names == f"['beats', 'prematurity'] {SEQ_LEN}"
    want = expected(model)[1].tolist()
    assert flags == f"{want} {want}"


# -- the console entry point and the Python API -------------------------------------------------


@pytest.fixture
def ckpt(tmp_path):
    return save_checkpoint(make_model("dense_ae"), tmp_path / "model.ckpt")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["format=tflite"], "format='tflite' is not allowed: use one of onnx, torch"),
        (["ckpt_path=nowhere.ckpt"], "nowhere.ckpt: checkpoint not found"),
        (["threshold=percentile"], "threshold=manual threshold.value=<score>"),
        (["threshold=0.5"], "threshold=manual threshold.value=0.5"),
        (["format=onnx"], 'install the export extra (pip install -e ".[export]"'),
    ],
)
def test_the_command_refuses_with_one_paragraph_and_exit_code_2(
    ckpt, tmp_path, argv, message, capfd, monkeypatch
):
    if "format=onnx" in argv:  # as if onnx were not installed: refused before exporting
        real = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util, "find_spec", lambda name, *a: None if name == "onnx" else real(name)
        )
    given = [f"ckpt_path={ckpt}", f"output={tmp_path / 'out.onnx'}"]
    given += [] if any(a.startswith("format=") for a in argv) else ["format=torch"]
    code = run_entry_point(export_main, *given, f"hydra.run.dir={tmp_path / 'run'}", *argv)
    console = "".join(capfd.readouterr())
    assert code == 2
    assert message in " ".join(console.split()) and "Traceback" not in console
    assert not (tmp_path / "out.onnx").exists()


@pytest.mark.slow
def test_the_command_writes_a_program_into_the_run_folder(ckpt, tmp_path, capsys):
    run = tmp_path / "run"
    manual = ["threshold=manual", "threshold.value=0.25"]
    code = run_entry_point(
        export_main, f"ckpt_path={ckpt}", "format=torch", *manual, f"hydra.run.dir={run}"
    )
    assert code == 0
    printed = capsys.readouterr().out
    summary = json.loads(printed[printed.index("{") :])
    assert summary["output"] == str(run / "model.pt2") and summary["threshold"] == 0.25
    assert summary["inputs"] == {"beats": f"float32 (n, {SEQ_LEN})"}
    assert summary["checked_with"] == "torch.export.load"
    assert summary["max_score_difference"] == 0.0
    program = torch.export.load(run / "model.pt2").module()
    x = graph_inputs(make_model("dense_ae"))[0]
    scores, flags = program(x)
    np.testing.assert_array_equal(flags.numpy(), (scores.detach().numpy() >= 0.25).astype(int))
    assert {p.name for p in run.iterdir()} >= {"model.pt2", "export.log"}


@pytest.mark.slow
def test_to_onnx_and_detector_export_write_the_detector_graph(ckpt, tmp_path):
    pytest.importorskip("onnxscript")
    model = make_model("dense_ae")
    model.to_onnx(tmp_path / "lightning.onnx")
    inputs = graph_inputs(model)
    assert_same(*run_onnx(tmp_path / "lightning.onnx", inputs), model)
    path = load_detector(ckpt).export(tmp_path / "detector.pt2", format="torch")
    assert path == tmp_path / "detector.pt2"
    program = torch.export.load(path).module()
    assert_same(*(t.detach().numpy() for t in program(*inputs)), model)
