"""Measurements behind the defaults of ``ecg_anomaly.recordings`` (numbers in docs/recordings.md).

Parts (all by default, or name some with ``--part``):

- ``detection``: beat detection (Se, +P, EC57 150 ms) of the three-detector vote and of each
  detector alone, on record 100 at several sampling rates and inverted, on a synthetic record
  rich in wide ectopic beats, and on synthetic records with a burst of muscle noise at 128 Hz.
- ``window``: correlation of record 100's mean normal beat with ECG5000's, per cutting window.
- ``patient``: record 100, unsupervised and patient-specific: a dense autoencoder trained on
  the beats of the first 5 minutes (no labels), scored on the remaining 25; ROC-AUC / PR-AUC
  of A+V beats against N beats, by shape and with RR prematurity combined several ways.
- ``synthetic``: a synthetic recording where half the beats are wide ectopic beats; training
  on every beat of the first 5 minutes against training on the dominant morphology.
- ``selection``: how well ``select_training_beats`` keeps only normal beats of synthetic
  records (50 % / 30 % ectopic, premature or on time), by beat shape (fixed QRS window or the
  ECG5000 window), with and without the prematurity, for several cluster cuts.
- ``cross``: an ECG5000-trained checkpoint scoring record 100's beats (polarity automatic,
  and forced wrong), ROC-AUC / PR-AUC of abnormal beats.

Run from the repository root::

    OMP_NUM_THREADS=1 python scripts/recordings_explore.py --part window patient
    python scripts/recordings_explore.py --part cross --ckpt /tmp/rec_ckpt/checkpoints/model.ckpt
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

from ecg_anomaly.recordings.extract import RecordingBeats, extract_beats
from ecg_anomaly.recordings.io import read_recording
from ecg_anomaly.recordings.selection import select_training_beats
from ecg_anomaly.recordings.synthetic import simulate_recording

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MITDB = Path(os.environ.get("ECG_ANOMALY_MITDB", SHARED / "mitdb"))
ECG5000 = Path(os.environ.get("ECG_ANOMALY_DATA", SHARED / "ecg5000" / "ecg.csv"))
TRAIN_S = 300.0
PARTS = ["detection", "window", "selection", "patient", "synthetic", "cross"]


def ecg5000_mean_normal() -> np.ndarray:
    data = np.loadtxt(ECG5000, delimiter=",")
    return data[data[:, -1] == 1.0, :-1].mean(0)


def part_detection(extra: list[str]) -> None:
    import neurokit2 as nk
    from scipy.signal import resample_poly

    from ecg_anomaly.recordings.matching import match_beats
    from ecg_anomaly.recordings.peaks import DETECTORS, detect_peaks, run_detector
    from ecg_anomaly.recordings.synthetic import add_muscle_noise

    rec = read_recording(MITDB / "100")
    ref = rec.annotations.beats().sample
    cases = []
    for fs in (360, 1000, 500, 250, 128, 100):
        signal = rec.signal if fs == 360 else resample_poly(rec.signal, fs, 360)
        cases.append((f"record 100 at {fs} Hz", signal, fs, np.rint(ref * fs / 360)))
    cases.append(("record 100 inverted", -rec.signal, 360, ref))
    pvc = simulate_recording(600.0, 360.0, ectopic_fraction=0.3, prematurity=0.25, seed=3)
    for fs in (360, 128):
        signal = pvc.signal if fs == 360 else resample_poly(pvc.signal, fs, 360)
        cases.append((f"synthetic, 30 % wide ectopic, {fs} Hz", signal, fs, pvc.peaks * fs / 360))
    calm = simulate_recording(300.0, 128.0, seed=4)
    for amp in (0.1, 0.2, 0.4):
        noisy = add_muscle_noise(calm.signal, 128.0, 60.0, 60.0, amp, seed=5)
        cases.append((f"synthetic, 60 s muscle noise {amp} mV, 128 Hz", noisy, 128, calm.peaks))
    print("\n## Beat detection (EC57, 150 ms): vote of three detectors, and each alone\n")
    methods = [*DETECTORS, *extra]
    head = " | ".join(f"{d} FN/FP" for d in methods)
    print(f"| signal | beats | vote Se | vote +P | vote FN/FP | {head} | seconds |")
    print("|---" * (6 + len(methods)) + "|")
    for name, signal, fs, reference in cases:
        t0 = time.perf_counter()
        peaks = detect_peaks(signal, fs)
        seconds = time.perf_counter() - t0
        m = match_beats(peaks.sample, reference, fs)
        clean = nk.ecg_clean(signal, sampling_rate=int(fs))
        alone = [match_beats(run_detector(clean, fs, d), reference, fs) for d in methods]
        cells = " | ".join(f"{a.fn}/{a.fp}" for a in alone)
        print(
            f"| {name} | {len(reference)} | {m.sensitivity:.4f} | {m.ppv:.4f} | {m.fn}/{m.fp} "
            f"| {cells} | {seconds:.2f} |"
        )


def part_window() -> None:
    from ecg_anomaly.recordings.matching import match_beats
    from ecg_anomaly.recordings.peaks import detect_peaks
    from ecg_anomaly.recordings.segment import Window, cut_beats

    rec = read_recording(MITDB / "100")
    peaks = detect_peaks(rec.signal, rec.fs)
    reference = rec.annotations.beats()
    pairs = match_beats(peaks.sample, reference.sample, rec.fs).pairs
    normal = np.zeros(len(peaks), dtype=bool)
    normal[pairs[:, 0]] = reference.symbol[pairs[:, 1]] == "N"
    template = ecg5000_mean_normal()

    def r_of(signal: np.ndarray, a: float, b: float, sign: int | None = -1) -> float:
        window = Window(before_s=a, next_before_s=b)
        cut = cut_beats(signal, peaks.position, rec.fs, peaks.polarity, 140, window, sign)
        return float(np.corrcoef(cut.x[normal[cut.index]].mean(0), template)[0, 1])

    print("\n## Window: r(mean normal beat of record 100, ECG5000 mean normal beat)\n")
    print("Window [R_i - a, R_{i+1} - b], cleaned signal, QRS flipped down, z-normalised.\n")
    befores = [0.0, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.06]
    afters = [0.0, 0.02, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.12]
    print("| a (s) \\ b (s) | " + " | ".join(f"{b:g}" for b in afters) + " |")
    print("|---" * (len(afters) + 1) + "|")
    best = (-2.0, 0.0, 0.0)
    for a in befores:
        cells = []
        for b in afters:
            r = r_of(peaks.clean, a, b)
            best = max(best, (r, a, b))
            cells.append(f"{r:.3f}")
        print(f"| {a:g} | " + " | ".join(cells) + " |")
    print(f"\nbest: a={best[1]:g} s, b={best[2]:g} s, r={best[0]:.3f}")
    print(f"plain R->R on the raw signal: r={r_of(rec.signal, 0.0, 0.0):.3f}")
    print(f"default window on the raw (uncleaned) signal: r={r_of(rec.signal, 0.02, 0.06):.3f}")
    print(f"default window, QRS left up (no flip): r={r_of(peaks.clean, 0.02, 0.06, None):.3f}")


def part_selection() -> None:
    print("\n## Training-beat selection on synthetic records (first 5 of 7 minutes, 360 Hz)\n")
    print("Cells: share of normal beats among those kept / share of the normal beats kept.\n")
    cuts = (0.1, 0.2, 0.3, 0.5)
    print("| record | shape | timing | " + " | ".join(f"cut {c:g}" for c in cuts) + " |")
    print("|---" * (3 + len(cuts)) + "|")
    for fraction, early in ((0.5, 0.25), (0.5, 0.0), (0.3, 0.0)):
        for seed in (1, 2, 3):
            sim = simulate_recording(
                420.0, 360.0, ectopic_fraction=fraction, prematurity=early, seed=seed
            )
            beats = extract_beats(sim.recording())
            span = beats.time < TRAIN_S
            normal = beats.label[span] == 0
            for shape_name, shape in (("QRS window", beats.qrs), ("ecg5000 window", beats.x)):
                for timing in (True, False):
                    cells = []
                    for cut in cuts:
                        keep = select_training_beats(
                            shape[span],
                            beats.prematurity[span] if timing else None,
                            max_distance=cut,
                        )
                        cells.append(f"{normal[keep].mean():.2f} / {keep[normal].mean():.2f}")
                    print(
                        f"| {fraction:.0%} ectopic, {early:.0%} early, seed {seed} | {shape_name} "
                        f"| {'yes' if timing else 'no'} | " + " | ".join(cells) + " |"
                    )


def train_autoencoder(x: np.ndarray, seed: int, epochs: int = 300) -> torch.nn.Module:
    """The package's DenseAutoencoder trained on ``x`` with a plain loop (MAE, Adam 1e-3)."""
    from ecg_anomaly.models.dense_ae import DenseAutoencoder

    torch.manual_seed(seed)
    model = DenseAutoencoder(seq_len=x.shape[1])
    xt = torch.from_numpy(x)
    model.normalizer.fit(xt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(xt), generator=gen).split(64):
            loss = model.compute_loss(model.normalizer(xt[idx]), torch.zeros(len(idx)))
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def scores_of(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return model.score(torch.from_numpy(x)).numpy()


def combined_scores(
    shape: np.ndarray, beats: RecordingBeats, train: np.ndarray, test: np.ndarray
) -> dict[str, np.ndarray]:
    """Ways of adding the timing to the shape score, each scaled on the training span."""
    from ecg_anomaly.recordings.features import local_rr

    prem = beats.prematurity
    rr = beats.rr_prev
    two_sided = np.nan_to_num(np.abs(1.0 - rr / local_rr(rr)))

    def robust_z(v: np.ndarray) -> np.ndarray:
        ref = v[train]
        med = np.median(ref)
        scale = 1.4826 * np.median(np.abs(ref - med))
        return (v - med) / (scale if scale > 0 else ref.std() + 1e-12)

    ecdf = np.searchsorted(np.sort(shape[train]), shape, side="right") / train.sum()
    tail = shape_and_timing(shape, np.zeros_like(prem), shape[train])
    out = {
        "shape only": shape,
        "prematurity only": prem,
        "ECDF(shape) + prematurity/0.1": ecdf + prem / 0.1,
        "z(shape) + z(prematurity)": robust_z(shape) + robust_z(prem),
        "max(z(shape), z(prematurity))": np.maximum(robust_z(shape), robust_z(prem)),
        "shape_and_timing: ECDF+tail(shape) + prematurity/0.1": tail + prem / 0.1,
        "ECDF+tail(shape) + prematurity/0.2": tail + prem / 0.2,
        "z(shape) + prematurity/0.02": robust_z(shape) + prem / 0.02,
        "z(shape) + prematurity/0.05": robust_z(shape) + prem / 0.05,
        "ECDF(shape) + |1 - RR/local|/0.1 (two-sided)": ecdf + two_sided / 0.1,
    }
    return {k: v[test] for k, v in out.items()}


def report_aucs(name: str, y: np.ndarray, results: list[dict[str, np.ndarray]]) -> None:
    print(f"\n{name}: {int((y == 1).sum())} abnormal, {int((y == 0).sum())} normal test beats\n")
    print("| score | ROC-AUC mean (min-max) | PR-AUC mean (min-max) |")
    print("|---|---|---|")
    for key in results[0]:
        roc = [roc_auc_score(y, r[key]) for r in results]
        pr = [average_precision_score(y, r[key]) for r in results]
        print(
            f"| {key} | {np.mean(roc):.4f} ({min(roc):.4f}-{max(roc):.4f}) "
            f"| {np.mean(pr):.4f} ({min(pr):.4f}-{max(pr):.4f}) |"
        )


def patient_specific(
    beats: RecordingBeats, name: str, seeds: list[int], selection: str, window: str
) -> None:
    train_span = beats.time < TRAIN_S
    test = ~train_span & (beats.label >= 0)
    keep = select_training_beats(beats.qrs[train_span], beats.prematurity[train_span], selection)
    train = np.zeros(len(beats), dtype=bool)
    train[np.flatnonzero(train_span)[keep]] = True
    abnormal_train = int((beats.label[train] == 1).sum())
    print(
        f"\n### {name}, window {window}, training beats: {selection} ({train.sum()} of "
        f"{train_span.sum()} in the first {TRAIN_S:g} s; {abnormal_train} of them abnormal)"
    )
    results = []
    for seed in seeds:
        t0 = time.perf_counter()
        model = train_autoencoder(beats.x[train], seed)
        shape = scores_of(model, beats.x)
        results.append(combined_scores(shape, beats, train, test))
        print(f"seed {seed}: trained and scored in {time.perf_counter() - t0:.1f} s")
    report_aucs(name, beats.label[test], results)


def part_patient(seeds: list[int]) -> None:
    print("\n## Record 100, patient-specific (first 5 min, no labels -> last 25 min)")
    rec = read_recording(MITDB / "100")
    for window in ("ecg5000", "centred"):
        beats = extract_beats(rec, window=window)
        for selection in ("all", "dominant"):
            patient_specific(beats, "record 100 A+V vs N", seeds, selection, window)


def part_synthetic(seeds: list[int]) -> None:
    print("\n## Synthetic: 50 % wide ectopic beats, 25 % premature, 10 minutes at 360 Hz")
    sim = simulate_recording(600.0, 360.0, ectopic_fraction=0.5, prematurity=0.25, seed=11)
    for window in ("ecg5000", "centred"):
        beats = extract_beats(sim.recording(), window=window)
        for selection in ("all", "dominant"):
            patient_specific(beats, "synthetic V vs N", seeds, selection, window)


def shape_and_timing(shape: np.ndarray, early: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The timing term's score (ecg_anomaly.recordings.timing.TimingTerm) on NumPy arrays."""
    import torch

    from ecg_anomaly.recordings.timing import TimingTerm

    term = TimingTerm()
    term.fit(torch.as_tensor(reference), {})
    score, _ = term(torch.as_tensor(shape), {"prematurity": torch.as_tensor(early)})
    return score.numpy()


def part_cross(ckpt: Path) -> None:
    from ecg_anomaly.detector import load_detector

    print(f"\n## Cross-recording: {ckpt} scoring record 100 (all beats)\n")
    detector = load_detector(ckpt)
    model = detector.model
    rec = read_recording(MITDB / "100")
    print("| beats / score | ROC-AUC | PR-AUC | normal beats flagged |")
    print("|---|---|---|---|")

    def row(name: str, y: np.ndarray, s: np.ndarray, flagged: str = "") -> None:
        roc, pr = roc_auc_score(y, s), average_precision_score(y, s)
        print(f"| {name} | {roc:.4f} | {pr:.4f} | {flagged} |")

    for name, sign in (("QRS down as ECG5000 (automatic)", -1), ("QRS up (no flip)", 1)):
        beats = extract_beats(rec, qrs_sign=sign)
        known = beats.label >= 0
        y = beats.label[known]
        s = detector.decision_function(beats.x)[known]
        flagged = f"{np.mean(s[y == 0] >= detector.threshold_):.1%}"
        row(f"{name}: reconstruction error", y, s, flagged)
        if sign != -1:
            continue
        ecdf = np.searchsorted(np.sort(s), s, side="right") / len(s)
        row(
            "automatic + prematurity: ECDF(error) + prematurity/0.1",
            y,
            ecdf + beats.prematurity[known] / 0.1,
        )
        # The patient's normal beat differs from ECG5000's: remove the recording's median
        # residual (a per-time-step offset) before taking the error.
        with torch.inference_mode():
            xn = model.normalizer(torch.from_numpy(beats.x))
            resid = (xn - model(xn)).numpy()
        centred = np.abs(resid - np.median(resid, axis=0)).mean(1)[known]
        row("automatic: error after removing the record's median residual", y, centred)
        median_beat = np.abs(beats.x - np.median(beats.x, axis=0)).mean(1)[known]
        row("no model: distance to the record's median beat", y, median_beat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        nargs="+",
        default=PARTS,
        choices=PARTS,
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--other-detectors",
        nargs="*",
        default=[],
        help="more neurokit2 detectors shown alone in the detection table (e.g. pantompkins1985)",
    )
    parser.add_argument("--ckpt", type=Path, default=Path("/tmp/rec_ckpt/checkpoints/model.ckpt"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    if "detection" in args.part:
        part_detection(args.other_detectors)
    if "window" in args.part:
        part_window()
    if "selection" in args.part:
        part_selection()
    if "patient" in args.part:
        part_patient(args.seeds)
    if "synthetic" in args.part:
        part_synthetic(args.seeds)
    if "cross" in args.part:
        part_cross(args.ckpt)


if __name__ == "__main__":
    main()
