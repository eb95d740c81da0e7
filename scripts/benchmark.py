"""The ECG5000 benchmark: every recipe over several seeds as one Hydra sweep, plus classical ones.

The model rows come from ``ecg-anomaly-train -m experiment=<all> seed=0,...,4`` run through the
parallel launcher (``hydra/launcher=parallel``, one torch thread per job), and its
``summary.csv``; nothing here composes configs itself. The classical detectors use the same data
module, threshold object and evaluation as the models (:mod:`ecg_anomaly.baselines`). The sweep
runs with ``resume=true``: an interrupted benchmark run again with the same ``--out`` runs only
the jobs that did not finish.

Writes ``results.csv`` (one row per run) and ``results.md`` (median [min-max] over seeds) into
``--out``; the sweep's own folder is ``<out>/sweep`` unless ``--sweep-dir`` says otherwise.

Examples:
    python scripts/benchmark.py --out docs/benchmark
    python scripts/benchmark.py --seeds 3 --experiments cnn_conv_ae course_vae --no-classical
    python scripts/benchmark.py --table-only --out docs/benchmark
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from _machine import cpu_name

from ecg_anomaly.data.sources import resolve_data_path
from ecg_anomaly.errors import DataError
from ecg_anomaly.utils.config import config_dir

#: Published numbers of the source recipes (accuracy unless stated), for the table.
PUBLISHED = {
    "tf_tutorial_dense_ae": "acc 0.943",
    "cnn_conv_ae": "acc 0.95, F1 0.96 (normal +)",
    "course_vae": "acc 0.91",
    "course_vae_corrected": "acc 0.91",
    "course_lstm_classifier": "acc 0.976-0.979",
}
#: Columns of the table: (metric without the stage prefix, header).
COLUMNS = (
    ("accuracy", "accuracy"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("f1", "F1"),
    ("auroc", "ROC-AUC"),
    ("auprc", "PR-AUC"),
    ("normal_precision", "normal prec."),
    ("normal_recall", "normal rec."),
    ("normal_f1", "normal F1"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    p.add_argument("--experiments", nargs="*", help="experiment names (default: all)")
    p.add_argument(
        "--data",
        type=Path,
        default=os.environ.get("ECG_ANOMALY_DATA"),
        help="the ECG5000 file or its folder (default: $ECG_ANOMALY_DATA, the cache)",
    )
    p.add_argument("--out", type=Path, default=Path("benchmark"), help="output folder")
    p.add_argument("--sweep-dir", type=Path, help="the sweep's folder (default <out>/sweep)")
    p.add_argument("--jobs", type=int, default=2, help="jobs side by side (default 2)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per job (default 1)")
    p.add_argument("--no-classical", action="store_true", help="skip the scikit-learn detectors")
    p.add_argument("--table-only", action="store_true", help="only rebuild the table")
    p.add_argument("overrides", nargs="*", default=[], help="extra Hydra overrides for all runs")
    return p.parse_args(argv)


def all_experiments() -> list[str]:
    """Names of the files in conf/experiment/."""
    return sorted(p.stem for p in (Path(config_dir()) / "experiment").glob("*.yaml"))


def run_sweep(args: argparse.Namespace, sweep_dir: Path) -> int:
    """Run (or resume) the sweep of every experiment and seed; return its exit code."""
    experiments = args.experiments or all_experiments()
    command = [
        sys.executable, "-m", "ecg_anomaly.train", "-m",
        f"experiment={','.join(experiments)}",
        f"seed={','.join(str(s) for s in range(args.seeds))}",
        f"data.path={Path(args.data).absolute()}", "data.download=false",
        "hydra/launcher=parallel", f"hydra.launcher.n_jobs={args.jobs}",
        f"threads={args.threads}", "resume=true",
        # no per-run plots: the benchmark times training and tabulates itself
        "report=false", "callbacks.progress_bar=null",
        f"hydra.sweep.dir={sweep_dir.absolute()}",
        *args.overrides,
    ]  # fmt: skip
    print(" ".join(command[2:]), flush=True)
    return subprocess.run(command, check=False).returncode


def model_rows(sweep_dir: Path) -> pd.DataFrame:
    """One row per finished job of the sweep (its summary.csv), labelled by experiment."""
    jobs = pd.read_csv(sweep_dir / "summary.csv")
    jobs = jobs[jobs["status"] == "ok"].copy()
    jobs["label"], jobs["kind"] = jobs["experiment"], "model"
    jobs["seconds"] = jobs["time/fit_seconds"]
    return jobs


def classical_rows(data: Path, seeds: int) -> pd.DataFrame:
    """One row per detector and seed."""
    from ecg_anomaly.baselines import classical_results

    rows = []
    for seed in range(seeds):
        for name, res in classical_results(data, seed).items():
            rows.append({"label": name, "kind": "classical", "seed": seed, **res})
    return pd.DataFrame(rows)


def _cell(values: pd.Series, digits: int = 3) -> str:
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty:
        return "-"
    med, lo, hi = values.median(), values.min(), values.max()
    if len(values) == 1 or hi - lo < 0.5 * 10**-digits:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} [{lo:.{digits}f}-{hi:.{digits}f}]"


def make_table(rows: pd.DataFrame) -> str:
    """Markdown table: median [min-max] over seeds of each recipe and each of its thresholds."""
    header = ["model / recipe", "seeds", *(h for _, h in COLUMNS), "train s", "published"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, group in rows.groupby("label", sort=False):
        group = group.dropna(axis=1, how="all")
        extras = sorted(
            {c.split("/")[1] for c in group if c.startswith("test/") and c.count("/") == 2}
        )
        for extra in ["", *extras]:
            prefix = f"test/{extra}/" if extra else "test/"
            name = f"`{label}` @{extra}" if extra else f"`{label}`"
            if group["kind"].iloc[0] == "classical":
                name += " (sklearn)"
            cells = []
            for key, _ in COLUMNS:
                if key == "normal_f1":  # the notebooks' F1, normal positive, from its two parts
                    p, r = group[prefix + "normal_precision"], group[prefix + "normal_recall"]
                    cells.append(_cell(2 * p * r / (p + r)))
                else:
                    column = prefix + key if prefix + key in group else f"test/{key}"
                    cells.append(_cell(group[column]) if column in group else "-")
            published = "" if extra else PUBLISHED.get(str(label), "")
            seconds = _cell(group["seconds"], 1)
            lines.append(
                "| " + " | ".join([name, str(len(group)), *cells, seconds, published]) + " |"
            )
    return "\n".join(lines)


def hardware(threads: int, jobs: int) -> str:
    """CPU model, cores, threads, jobs and library versions, for the table header."""
    import lightning
    import torch

    return (
        f"{cpu_name()}, {os.cpu_count()} cores, {jobs} jobs side by side with {threads} torch "
        f"thread(s) each; torch {torch.__version__}, lightning {lightning.__version__}, "
        f"Python {platform.python_version()}, {platform.system()}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sweep_dir = args.sweep_dir or args.out / "sweep"
    code, minutes = 0, None
    if not args.table_only:
        try:  # a file or a folder holding ecg.csv, as for the data module; never a download
            args.data = resolve_data_path(args.data, download=False)
        except DataError as err:
            print(f"{err}\nGive the file with --data.", file=sys.stderr)
            return 2
        started = time.perf_counter()
        code = run_sweep(args, sweep_dir)
        classical = None if args.no_classical else classical_rows(args.data, args.seeds)
        minutes = (time.perf_counter() - started) / 60
        if classical is not None:
            classical.to_csv(args.out / "classical.csv", index=False)
    rows = model_rows(sweep_dir)
    classical_csv = args.out / "classical.csv"
    if classical_csv.is_file():
        rows = pd.concat([pd.read_csv(classical_csv), rows], ignore_index=True)
    rows.to_csv(args.out / "results.csv", index=False)
    took = f" in {minutes:.1f} minutes" if minutes else ""
    text = (
        "# ECG5000 benchmark\n\n"
        f"Hardware: {hardware(args.threads, args.jobs)}\n\n"
        f"Command: `python scripts/benchmark.py {' '.join(sys.argv[1:] if argv is None else argv)}`"
        f"{took}\n\n"
        "Median [min-max] over seeds; abnormal is the positive class except the `normal` "
        "columns (the notebooks' orientation, normal positive). `@name` rows use the recipe's "
        "extra threshold. `train s`: seconds of training (fit) per run.\n\n"
        f"{make_table(rows)}\n"
    )
    (args.out / "results.md").write_text(text)
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
