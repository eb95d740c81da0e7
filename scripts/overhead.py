"""Measure ecg-anomaly's overhead against a minimal plain-PyTorch loop of the same recipe.

The recipe is the TensorFlow tutorial's (``experiment=tf_tutorial_dense_ae``): dense
autoencoder 140-32-16-8, MAE, Adam 1e-3, 20 epochs of batch 512 on the normal training beats,
global min-max normalisation, threshold mean + 1 std. Both sides run as fresh processes and are
timed from process start to metrics on disk; each also reports its training loop alone (ours:
``time/fit_seconds`` from ``metrics.json``, which also holds Lightning's set-up and the threshold
fit). The two sides alternate run by run; the median of ``--repeat`` runs is printed, with the
ratios. Both sides use ``--threads`` torch threads (default 1, our default); ours writes what a
plain script writes (``report=false``: metrics and scores, no plots), and extra arguments are
passed to ours (e.g. ``report=true``, ``callbacks.checkpoint=null``).

    python scripts/overhead.py                  # $ECG_ANOMALY_DATA (or the usual search)
    python scripts/overhead.py --data path/to/ecg.csv --repeat 5 --threads 2

The data file is ``--data``, else ``$ECG_ANOMALY_DATA`` (a file or a folder holding ecg.csv),
else the shared copy beside the checkout (``../shared/data/ecg5000/ecg.csv``), else the
package's cache or a download; it is found once, before any timing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data" / "ecg5000" / "ecg.csv"


def find_data(given: str | None) -> str:
    """The tutorial's ecg.csv: ``given``, ``$ECG_ANOMALY_DATA``, the shared copy, the cache.

    Exits with the package's message (what was tried, how to provide the file) if none is found.
    """
    from ecg_anomaly.data.sources import ENV_VAR, resolve_data_path
    from ecg_anomaly.errors import DataError

    if not given and not os.environ.get(ENV_VAR) and SHARED_DATA.is_file():
        return str(SHARED_DATA)
    try:
        return str(resolve_data_path(given or None, source="tensorflow"))
    except DataError as err:
        sys.exit(str(err))


def plain(data: str, out: str) -> None:
    """The recipe as a plain PyTorch script; writes its metrics and loop time to ``out``."""
    import numpy as np
    import torch
    from torch import nn

    from ecg_anomaly.data.splits import train_test_split_indices  # numpy only: the same split

    torch.manual_seed(0)
    raw = np.loadtxt(data, delimiter=",", dtype=np.float32)
    x, normal = torch.from_numpy(raw[:, :-1]), torch.from_numpy(raw[:, -1] == 1.0)
    train_idx, test_idx = (torch.from_numpy(i) for i in train_test_split_indices(len(x), 0.2, 21))
    lo, hi = x[train_idx].min(), x[train_idx].max()
    x = (x - lo) / (hi - lo)
    x_train = x[train_idx][normal[train_idx]]
    n = x.shape[1]

    def dense(sizes, out_act):
        layers = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            layers += [nn.Linear(a, b), out_act() if i == len(sizes) - 2 else nn.ReLU()]
        return layers

    model = nn.Sequential(*dense([n, 32, 16, 8], nn.ReLU), *dense([8, 16, 32, n], nn.Sigmoid))
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    start = time.perf_counter()
    for _ in range(20):
        for idx in torch.randperm(len(x_train)).split(512):
            batch = x_train[idx]
            loss = (model(batch) - batch).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    loop_seconds = time.perf_counter() - start

    with torch.no_grad():
        train_err = (model(x_train) - x_train).abs().mean(1)
        threshold = train_err.mean() + train_err.std(unbiased=False)
        x_test, abnormal = x[test_idx], ~normal[test_idx]
        pred = (model(x_test) - x_test).abs().mean(1) >= threshold
    accuracy = float((pred == abnormal).float().mean())
    Path(out).write_text(json.dumps({"test/accuracy": accuracy, "time/loop_seconds": loop_seconds}))


def timed(cmd: list[str], metrics: Path, env: dict[str, str]) -> tuple[float, dict]:
    """Run a command; return its wall time (start to exit, metrics written) and its metrics."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0 or not metrics.is_file():
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, json.loads(metrics.read_text())


def main() -> None:
    """Time both sides ``--repeat`` times and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", help="the tutorial's ecg.csv (default: $ECG_ANOMALY_DATA, the shared copy)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (median)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of both sides")
    parser.add_argument("--plain-out", help=argparse.SUPPRESS)
    args, extra = parser.parse_known_args()
    if args.plain_out:
        plain(args.data, args.plain_out)
        return

    args.data = find_data(args.data)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))  # the plain script's threads
    env["PYTHONPATH"] = str(ROOT)  # this checkout's package, as ecg-anomaly-train would run it
    ours_cmd = [
        sys.executable, "-m", "ecg_anomaly.train", "experiment=tf_tutorial_dense_ae",
        f"data.path={args.data}", f"threads={args.threads}", "report=false", *extra,
    ]  # fmt: skip
    load = os.getloadavg()[0]
    rows: dict[str, list[float]] = {k: [] for k in ("ours", "ours_loop", "plain", "plain_loop")}
    accuracy = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            run_dir = Path(tmp) / f"run{i}"
            cmd = [*ours_cmd, f"hydra.run.dir={run_dir}"]
            wall, m = timed(cmd, run_dir / "metrics.json", env)
            rows["ours"].append(wall)
            rows["ours_loop"].append(m["time/fit_seconds"])
            accuracy["ours"] = m["test/accuracy"]
            out = Path(tmp) / f"plain{i}.json"
            cmd = [sys.executable, __file__, "--data", args.data, "--plain-out", str(out)]
            wall, m = timed(cmd, out, env)
            rows["plain"].append(wall)
            rows["plain_loop"].append(m["time/loop_seconds"])
            accuracy["plain"] = m["test/accuracy"]
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"tutorial recipe, 20 epochs, {args.data}; median of {args.repeat} runs")
    print(f"torch threads: {args.threads}; load average before: {load:.2f}, after: "
          f"{os.getloadavg()[0]:.2f}; ours: {' '.join(ours_cmd[3:])}")  # fmt: skip
    print(f"{'':24}{'ours':>10}{'plain':>10}{'ratio':>8}")
    print(
        f"{'process start to metrics':24}{med['ours']:>9.2f}s{med['plain']:>9.2f}s"
        f"{med['ours'] / med['plain']:>7.2f}x"
    )
    print(
        f"{'training loop':24}{med['ours_loop']:>9.2f}s{med['plain_loop']:>9.2f}s"
        f"{med['ours_loop'] / med['plain_loop']:>7.2f}x"
    )
    print(f"test/accuracy: ours {accuracy['ours']:.4f}, plain {accuracy['plain']:.4f}")
    print("targets: training loop <= 1.3x plain; whole command <= 1.2x plain")


if __name__ == "__main__":
    main()
