"""Run every experiment over several seeds, plus classical detectors, and tabulate the results.

Every run uses the same split (the tutorial's test part, ``random_state=21``) and goes through
``ecg_anomaly.train.train`` with the composed Hydra config, exactly as ``ecg-anomaly-train``
would run it. ``results.csv`` gets one row per run, written after each run, so an interrupted
benchmark keeps what it finished and a second call with the same ``--out`` resumes it.
``results.md`` holds the table: median [min-max] over seeds.

Examples:
    python scripts/benchmark.py --out docs/benchmark
    python scripts/benchmark.py --seeds 3 --experiments cnn_conv_ae course_vae --no-classical
    python scripts/benchmark.py --table-only --out docs/benchmark
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecg_anomaly.baselines import classical_results
from ecg_anomaly.utils.config import config_dir

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ecg5000" / "ecg.csv"

#: Extra runs of an experiment with other settings: label suffix -> overrides.
VARIANTS: dict[str, dict[str, list[str]]] = {
    "course_vae": {"mean": ["model.score_with=mean"]},
    "course_vae_corrected": {"sample": ["model.score_with=sample"]},
}

#: Published numbers of the source recipes (accuracy unless stated), for the table.
PUBLISHED = {
    "tf_tutorial_dense_ae": "acc 0.943",
    "cnn_conv_ae": "acc 0.95, F1 0.96 (normal +)",
    "course_vae": "acc 0.91",
    "course_vae_corrected": "acc 0.91",
    "course_lstm_classifier": "acc 0.976-0.979",
}

#: Columns of the table: (results.csv key without the stage prefix, header).
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
METRICS = ("accuracy", "precision", "recall", "specificity", "f1", "auroc", "auprc",
           "normal_precision", "normal_recall")  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    p.add_argument("--experiments", nargs="*", help="experiment names (default: all)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="ECG5000 file")
    p.add_argument("--out", type=Path, default=REPO / "benchmark", help="output folder")
    p.add_argument(
        "--runs-dir",
        type=Path,
        default=REPO / "logs" / "benchmark",
        help="run folders (git-ignored)",
    )
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--no-classical", action="store_true", help="skip the scikit-learn detectors")
    p.add_argument("--no-variants", action="store_true", help="skip the VAE scoring variants")
    p.add_argument("--table-only", action="store_true", help="only rebuild the table")
    p.add_argument("overrides", nargs="*", default=[], help="extra Hydra overrides for all runs")
    return p.parse_args(argv)


# -- runs -----------------------------------------------------------------------------------


def all_experiments() -> list[str]:
    """Names of the files in conf/experiment/."""
    return sorted(p.stem for p in (Path(config_dir()) / "experiment").glob("*.yaml"))


def planned_runs(experiments: list[str], variants: bool) -> list[tuple[str, str, list[str]]]:
    """``(label, experiment, overrides)`` of each configuration to run."""
    runs = []
    for name in experiments:
        runs.append((name, name, []))
        if variants:
            runs += [(f"{name}/{s}", name, o) for s, o in VARIANTS.get(name, {}).items()]
    return runs


def run_experiment(experiment: str, seed: int, overrides: list[str], data: Path, out: Path):
    """Compose the config like ``ecg-anomaly-train`` and run it in-process.

    Returns:
        ``(results, seconds)``: the metrics dict and the wall time of the whole run.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    from ecg_anomaly.train import train

    args = [
        f"experiment={experiment}",
        f"seed={seed}",
        f"data.path={data}",
        "data.download=false",
        f"paths.output_dir={out}",
        "trainer.enable_progress_bar=false",
        "callbacks.progress_bar=null",
        # no per-run plots and report: the benchmark times training, and tabulates itself
        "++callbacks.detection.report=false",
        *overrides,
    ]
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=config_dir()):
        cfg = compose("train", overrides=args, return_hydra_config=True)
    HydraConfig().set_config(cfg)
    start = time.perf_counter()
    results = train(cfg)
    return results, time.perf_counter() - start


# -- results file ---------------------------------------------------------------------------


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of results.csv (none if it does not exist)."""
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def append_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Add rows to results.csv, widening its header when new keys appear."""
    old = read_rows(path)
    fields: list[str] = []
    for row in [*old, *rows]:
        fields += [k for k in row if k not in fields]
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows([*old, *rows])
    os.replace(tmp, path)


def flatten(label: str, kind: str, seed: int, results: dict[str, Any], seconds: float):
    """One results.csv row."""
    keep = {
        k: v
        for k, v in results.items()
        if k.startswith(("test/", "threshold")) or k in ("epochs", "model")
    }
    row = {"label": label, "kind": kind, "seed": seed, "seconds": round(seconds, 2)}
    return row | {"threads": torch.get_num_threads()} | keep


# -- table ----------------------------------------------------------------------------------


def hardware(threads: str | None = None) -> str:
    """CPU model, cores, torch threads and library versions, for the table header."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import lightning

    return (
        f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} "
        f"({threads or torch.get_num_threads()} threads), lightning {lightning.__version__}, "
        f"Python {platform.python_version()}, {platform.system()}"
    )


def _cell(values: list[float], digits: int = 3) -> str:
    values = [v for v in values if not np.isnan(v)]
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1 or max(values) - min(values) < 0.5 * 10**-digits:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def _num(row: dict[str, str], key: str) -> float:
    if key.endswith("normal_f1"):  # the notebooks' F1, normal positive, from its two parts
        p, r = _num(row, key[:-2] + "precision"), _num(row, key[:-2] + "recall")
        return 2 * p * r / (p + r) if p + r > 0 else float("nan")
    try:
        return float(row.get(key) or "nan")
    except ValueError:
        return float("nan")


def make_table(rows: list[dict[str, str]]) -> str:
    """Markdown table: median [min-max] over seeds of each configuration and threshold."""
    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault(row["label"], []).append(row)
    header = ["model / recipe", "seeds", *(h for _, h in COLUMNS), "seconds", "published"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, group in groups.items():
        # the deciding threshold, then each extra one (test/<name>/accuracy)
        extras = sorted(
            {
                k.split("/")[1]
                for r in group
                for k, v in r.items()
                if v and k.count("/") == 2 and k.startswith("test/")
            }
        )
        for extra in ["", *extras]:
            prefix = f"test/{extra}/" if extra else "test/"
            name = f"{label} @{extra}" if extra else label
            if group[0]["kind"] == "classical":
                name += " (sklearn)"
            cells = [_cell([_num(r, prefix + key) for r in group]) for key, _ in COLUMNS]
            seconds = _cell([_num(r, "seconds") for r in group], 1)
            published = PUBLISHED.get(label, "") if not extra else ""
            lines.append(
                "| " + " | ".join([name, str(len(group)), *cells, seconds, published]) + " |"
            )
    return "\n".join(lines)


def write_table(out: Path, rows: list[dict[str, str]], command: str) -> Path:
    """Write results.md with hardware, command and the table."""
    threads = ", ".join(sorted({r["threads"] for r in rows if r.get("threads")})) or None
    text = (
        "# ECG5000 benchmark\n\n"
        f"Hardware: {hardware(threads)}\n\n"
        f"Command: `{command}`\n\n"
        "Median [min-max] over seeds; abnormal is the positive class except the `normal` "
        "columns (the notebooks' orientation, normal positive). `@name` rows use "
        "the recipe's extra threshold. Seconds: wall time of the whole run (training, "
        "threshold, test).\n\n"
        f"{make_table(rows)}\n"
    )
    path = out / "results.md"
    path.write_text(text)
    return path


# -- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    results_csv = args.out / "results.csv"
    command = "python scripts/benchmark.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.table_only:
        print(write_table(args.out, read_rows(results_csv), command).read_text())
        return 0
    if not args.data.is_file():
        print(f"data file {args.data} not found; give one with --data", file=sys.stderr)
        return 2
    import lightning.pytorch  # noqa: F401  (it sets its loggers' levels when imported)

    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")

    done = {(r["label"], r["seed"]) for r in read_rows(results_csv)}
    seeds = list(range(args.seeds))
    runs = planned_runs(args.experiments or all_experiments(), not args.no_variants)
    todo = [(run, s) for run in runs for s in seeds if (run[0], str(s)) not in done]
    print(f"{hardware()}\n{len(todo)} runs to do ({len(done)} already in {results_csv})")

    if not args.no_classical:
        for seed in seeds:
            if ("knn_distance", str(seed)) in done:
                continue
            rows = [
                flatten(name, "classical", seed, res, res.pop("seconds"))
                for name, res in classical_results(args.data, seed).items()
            ]
            append_rows(results_csv, rows)
            print(f"classical detectors, seed {seed}: " + ", ".join(
                f"{r['label']} auroc {r['test/auroc']:.3f}" for r in rows
            ))  # fmt: skip

    for i, ((label, experiment, overrides), seed) in enumerate(todo, 1):
        run_dir = args.runs_dir / label.replace("/", "-") / f"seed{seed}"
        print(f"[{i}/{len(todo)}] {label} seed {seed} ...", end=" ", flush=True)
        try:
            # each run's own console output (tips, its metrics table) goes to its folder
            run_dir.mkdir(parents=True, exist_ok=True)
            with (run_dir / "console.log").open("w") as log, redirect_stdout(log):
                res, seconds = run_experiment(
                    experiment, seed, [*overrides, *args.overrides], args.data, run_dir
                )
        except Exception as err:  # keep going: one broken recipe must not lose the others
            print(f"FAILED: {type(err).__name__}: {err}", flush=True)
            continue
        append_rows(results_csv, [flatten(label, "model", seed, res, seconds)])
        print(
            f"accuracy {res['test/accuracy']:.3f}, auroc {res['test/auroc']:.3f}, "
            f"{res['epochs']} epochs, {seconds:.0f} s",
            flush=True,
        )
        write_table(args.out, read_rows(results_csv), command)
    print(write_table(args.out, read_rows(results_csv), command).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
