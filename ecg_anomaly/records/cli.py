r"""Score a whole WFDB database the way the literature scores it: ``scripts/records_benchmark.py``.

One command: every record of ``<db>/RECORDS`` is trained on its first minutes and tested on the
rest, as one Hydra multi-run of ``ecg-anomaly-train`` (one ordinary run folder per record in
``<out>/runs``, jobs side by side with the parallel launcher, or on a SLURM cluster); then the
run folders are read into ``records.csv`` (one row per record), ``summary.json`` (gross figures
as fractions, per-stage seconds, failures), ``records.png`` and ``results.md`` (our figures beside
the published ones). Run again with the same ``--out``, only the records without results run.

Examples:
    python scripts/records_benchmark.py --db ../shared/data/mitdb --out docs/mitdb
    python scripts/records_benchmark.py --db mitdb --out /tmp/b --records 100 208 232
    python scripts/records_benchmark.py --db svdb --out svdb-run --channel ECG1 model=conv_ae
    python scripts/records_benchmark.py --db mitdb --out b --launcher slurm \\
        hydra.launcher.gpus_per_node=0 hydra.launcher.cpus_per_task=1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ecg_anomaly.records import markdown as md
from ecg_anomaly.records import sweep as database

#: How paced records are handled (see ``--paced``).
PACED = ("score", "include", "skip")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--db",
        type=Path,
        default=os.environ.get("ECG_ANOMALY_MITDB"),
        help="the database folder with RECORDS (default: $ECG_ANOMALY_MITDB)",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (tables, figure)")
    p.add_argument(
        "--runs",
        type=Path,
        help=(
            "the records' run folders (default <out>/runs); a new folder runs every record again, "
            "the same one runs only those without results"
        ),
    )
    p.add_argument("--records", nargs="+", help="these records only (default: all of RECORDS)")
    p.add_argument(
        "--paced",
        choices=PACED,
        default="score",
        help=(
            "paced records: score = run them, count their beat detection, leave them out of the "
            "arrhythmia figures (EC57, default); include = count them there too; skip = do not run"
        ),
    )
    p.add_argument(
        "--paced-records",
        nargs="*",
        help=("the paced records (default: those whose annotations hold paced beats '/')"),
    )
    p.add_argument(
        "--channel",
        help="data.channel: a name or 0-based index (default: MLII when "
        "present, else the first channel)",
    )
    p.add_argument("--train-minutes", type=float, default=5.0, help="training span (default 5)")
    p.add_argument(
        "--launcher",
        default="parallel",
        choices=database.LAUNCHERS,
        help="parallel (here, default), slurm (a cluster), basic (one at a time)",
    )
    p.add_argument("--jobs", type=int, default=2, help="jobs side by side (default 2)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per job (default 1)")
    p.add_argument("--report", action="store_true", help="plots and report.md in every run")
    p.add_argument("--xqrs", action="store_true", help="also measure wfdb's xqrs (~9 s a record)")
    p.add_argument("--table-only", action="store_true", help="only read the runs again")
    p.add_argument(
        "--compare-leads",
        type=Path,
        metavar="OTHER_OUT",
        help=(
            "another benchmark's --out on another lead (--channel): leads.md compares the two "
            "leads and their beat-by-beat combinations"
        ),
    )
    p.add_argument("overrides", nargs="*", default=[], help="more Hydra overrides for every run")
    return p.parse_args(argv)  # fmt: skip


Runner = Callable[[list[str]], int]


def run_in_subprocess(args: list[str]) -> int:
    """``python -m ecg_anomaly.train <args>``; its exit code."""
    command = [sys.executable, "-m", "ecg_anomaly.train", *args]
    print(" ".join(command[2:]), flush=True)
    return subprocess.run(command, check=False).returncode


def main(
    argv: Sequence[str] | None = None,
    runner: Runner = run_in_subprocess,
    started: float | None = None,
) -> int:
    """Run the benchmark; 0 when every record was scored, 1 when some could not be.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``).
        runner: Runs ``ecg-anomaly-train`` with the given arguments, returns its exit code
            (tests run it in their own process).
        started: ``time.perf_counter()`` when the command started (default: now).
    """
    import pandas as pd

    from ecg_anomaly.records.figure import write_figure
    from ecg_anomaly.records.machine import cpu_seconds, earlier_times, machine
    from ecg_anomaly.records.tally import record_rows, summary
    from ecg_anomaly.utils.results import write_json

    started = time.perf_counter() if started is None else started
    load = os.getloadavg()[0]
    args = parse_args(argv)
    args.runs = args.runs or args.out / "runs"
    if args.db is None:
        print("give the database folder with --db (or set ECG_ANOMALY_MITDB)", file=sys.stderr)
        return 2
    records = args.records or database.read_records(args.db)
    database.check_records(args.db, records)
    paced = args.paced_records
    if paced is None:
        paced = database.paced_records(args.db, records)
    skipped = {r: "paced (--paced skip)" for r in paced if args.paced == "skip"}
    to_run = [r for r in records if r not in skipped]
    ran, sweep_seconds = (0, 0.0) if args.table_only else run_records(args, to_run, runner)
    xqrs, times = None, {}
    if args.xqrs:
        from ecg_anomaly.records.xqrs import xqrs_gross, xqrs_table

        measuring = time.perf_counter()
        table = xqrs_table(args.db, records, args.out / "xqrs.csv", channel=args.channel,
                           jobs=args.jobs)  # fmt: skip
        xqrs = xqrs_gross(table)
        times["time/xqrs_seconds"] = time.perf_counter() - measuring
    aggregating = time.perf_counter()
    rows = record_rows(args.runs, records, paced, include_paced=args.paced == "include",
                       skipped=skipped)  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    rows.to_csv(args.out / "records.csv", index=False, float_format="%.6g")
    write_figure(rows, args.out / "records.png", Path(args.db).name)
    command = "python scripts/records_benchmark.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    where = machine(args.launcher, args.jobs, args.threads, load)
    anchors = {f"xqrs/{k}": v for k, v in (xqrs or {}).items()}
    result = summary(rows, command=command, machine=where, paced_rule=args.paced,
                     db=str(args.db), runs=str(args.runs), **anchors)  # fmt: skip
    times["time/aggregate_seconds"] = time.perf_counter() - aggregating
    if ran:
        times["time/sweep_seconds"] = sweep_seconds
        times["time/total_seconds"] = time.perf_counter() - started
        times["time/cpu_seconds"] = cpu_seconds()
        result["records/run"] = ran
    else:  # nothing ran now: the command that ran the records, and its times, stay
        result |= earlier_times(args.out / "summary.json") | {"command/tables": command}
    result |= times
    write_json(args.out / "summary.json", result)
    if args.compare_leads is not None:
        from ecg_anomaly.records.leads import write_leads

        write_leads(args.out, args.runs, args.compare_leads, rows)
    (args.out / "results.md").write_text(md.document(result, rows, xqrs, "records.png"))
    print(pd.Series({k: v for k, v in result.items() if isinstance(v, int | float)}).to_string())
    for record, why in result["failures"].items():
        print(f"record {record}: {why}")
    return 1 if (rows["status"].isin(["failed", "missing", "interrupted"])).any() else 0


def run_records(
    args: argparse.Namespace, records: Sequence[str], runner: Runner
) -> tuple[int, float]:
    """Run the records without results as one multi-run: how many ran, in how many seconds."""
    sweep_dir = args.runs
    shared = database.shared_overrides(args.db, train_minutes=args.train_minutes,
                                       channel=args.channel, report=args.report,
                                       threads=args.threads, overrides=args.overrides)  # fmt: skip
    database.claim_sweep(sweep_dir, shared)
    todo = database.unfinished(sweep_dir, records)
    print(f"{len(records)} records, {len(todo)} to run")
    sweeping = time.perf_counter()
    if todo:
        sweep = database.sweep_arguments(todo, sweep_dir, shared, launcher=args.launcher,
                                         jobs=args.jobs)  # fmt: skip
        runner(sweep)
    return len(todo), time.perf_counter() - sweeping
