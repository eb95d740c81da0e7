"""Export every model family (recipe sizes) and time it; score many beats in PyTorch and ONNX.

For each family: seconds to write the ONNX file and the torch.export program and their sizes,
then beats per second scoring ``--beats`` beats on one thread with PyTorch
(``model.processed_batch``) and with onnxruntime, the largest score difference and the number
of beats flagged differently. The models are untrained (speed does not depend on the weights);
the threshold is the 95th percentile of PyTorch's scores, so many beats lie near it.

    PYTHONPATH=. python scripts/bench_export.py --beats 100000 --lstm-ae-beats 5000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ecg_anomaly.exported.files import export_detector
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

FAMILIES = {
    "dense_ae": DenseAutoencoder,
    "small_dense_ae": SmallDenseAutoencoder,
    "conv_ae": ConvAutoencoder,
    "contractive_ae": ContractiveAutoencoder,
    "vae": VariationalAutoencoder,
    "lstm_ae": LSTMAutoencoder,
    "lstm_classifier": LSTMClassifier,
    "recording_timing": DenseAutoencoder,
}
BATCH = 16384


def ecg_like(n: int, seed: int) -> np.ndarray:
    """Beats with a QRS-like spike and a T wave, jittered (float32, 140 samples)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, 140)[None, :]
    centre = 0.4 + rng.normal(0, 0.02, (n, 1))
    qrs = rng.uniform(1.0, 3.0, (n, 1)) * np.exp(-((t - centre) ** 2) / 2e-4)
    t_wave = rng.uniform(-0.8, 0.8, (n, 1)) * np.exp(-((t - centre - 0.3) ** 2) / 4e-3)
    return (qrs + t_wave + rng.normal(0, 0.05, (n, 140))).astype(np.float32)


def torch_scores(model, x: np.ndarray, early: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    start = time.perf_counter()
    out_s, out_f = [], []
    with torch.inference_mode():
        for i in range(0, len(x), BATCH):
            batch = {"x": torch.from_numpy(x[i : i + BATCH])}
            batch["prematurity"] = torch.from_numpy(early[i : i + BATCH])
            out = model.processed_batch(batch)
            out_s.append(out["scores"].double().numpy())
            out_f.append(out["flags"].numpy())
    return np.concatenate(out_s), np.concatenate(out_f), time.perf_counter() - start


def onnx_scores(path: Path, x: np.ndarray, early: np.ndarray) -> tuple[np.ndarray, ...]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    start = time.perf_counter()
    out_s, out_f = [], []
    for i in range(0, len(x), BATCH):
        feed = {"beats": x[i : i + BATCH]}
        if "prematurity" in names:
            feed["prematurity"] = early[i : i + BATCH]
        s, f = session.run(["scores", "flags"], feed)
        out_s.append(s)
        out_f.append(f)
    return np.concatenate(out_s), np.concatenate(out_f), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beats", type=int, default=100_000)
    parser.add_argument("--lstm-ae-beats", type=int, default=5_000)
    parser.add_argument("--families", nargs="*", default=list(FAMILIES))
    args = parser.parse_args()
    torch.set_num_threads(1)
    train = ecg_like(2000, seed=0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.families:
            torch.manual_seed(0)
            model = FAMILIES[name]().eval()
            model.normalizer.fit(torch.from_numpy(train))
            if name == "recording_timing":  # 5 minutes of training beats: ~400 references
                term = TimingTerm()
                term.fit(model.score(torch.from_numpy(train[:400])), {})
                model.post.add_term(term)
            n = args.lstm_ae_beats if name == "lstm_ae" else args.beats
            x = ecg_like(n, seed=1)
            early = np.where(np.random.default_rng(2).random(n) < 0.9, 0.0, 0.2)
            model.post.set_thresholds(0.0)
            scores, _, _ = torch_scores(model, x[:BATCH], early[:BATCH])
            model.post.set_thresholds(float(np.quantile(scores, 0.95)))
            sizes, seconds = {}, {}
            for fmt, suffix in (("onnx", ".onnx"), ("torch", ".pt2")):
                path = Path(tmp) / f"{name}{suffix}"
                result = export_detector(model, path, fmt, check=False)
                sizes[fmt], seconds[fmt] = result.bytes, result.seconds
            t_scores, t_flags, t_time = torch_scores(model, x, early)
            o_scores, o_flags, o_time = onnx_scores(Path(tmp) / f"{name}.onnx", x, early)
            difference = float(np.max(np.abs(o_scores - t_scores)))
            threshold = model.post.value
            # processed_batch compares float32 model scores in float32; the files in float64
            as_files = (t_scores >= threshold).astype(np.int64)
            near = int((np.abs(t_scores - threshold) <= difference).sum())
            rows.append(
                (name, seconds["onnx"], sizes["onnx"], seconds["torch"], sizes["torch"], n,
                 n / t_time, n / o_time, difference, int((o_flags != t_flags).sum()),
                 int((o_flags != as_files).sum()), near, int(t_flags.sum()))
            )  # fmt: skip
            print(*(f"{v:.4g}" if isinstance(v, float) else v for v in rows[-1]), flush=True)
    print()
    print(
        "| family | ONNX export s | ONNX bytes | torch.export s | .pt2 bytes | beats | "
        "PyTorch beats/s | onnxruntime beats/s | max score diff | flags differing from "
        "processed_batch / from the float64 decision | beats within max diff of the threshold "
        "| flagged |"
    )
    print("|---" * 12 + "|")
    for r in rows:
        print(f"| {r[0]} | {r[1]:.1f} | {r[2]:,} | {r[3]:.1f} | {r[4]:,} | {r[5]:,} | "
              f"{r[6]:,.0f} | {r[7]:,.0f} | {r[8]:.2g} | {r[9]} / {r[10]} | {r[11]} | "
              f"{r[12]:,} |")  # fmt: skip


if __name__ == "__main__":
    main()
