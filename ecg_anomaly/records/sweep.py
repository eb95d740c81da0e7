r"""A WFDB database folder as one Hydra multi-run: one training run per record.

A database folder (MIT-BIH, or any PhysioNet-style folder) lists its records in ``RECORDS``,
one per line, each a WFDB record path relative to the folder (``100``, ``p00/p000123``). Every
record becomes one job of ``ecg-anomaly-train -m``, in its own ordinary run folder
``<sweep>/<record>``:

    ecg-anomaly-train -m data=recording +record='100','101',... \\
        "data.record='<db>/${record}'" hydra.sweep.subdir='${record}' resume=true ...

The record name is a job-level key (``+record``) that ``data.record`` and the run folder's name
both read, so a record's folder is the same whichever subset of records a sweep runs, and a
sweep run again with the same folder finds each record's finished run (``resume=true``).

**Paced records** (those whose reference annotations hold paced beats, ``/``: MIT-BIH 102, 104,
107 and 217) are found from the annotations, so any database is handled the same way; AAMI
EC57 measures beat detection on them but leaves them out of the arrhythmia figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ecg_anomaly.errors import ConfigError, DataNotFoundError, RunFolderError

#: The annotation symbol of a paced beat (MIT-BIH / WFDB).
PACED_SYMBOL = "/"
#: Launchers a benchmark can name: the project's (conf/hydra/launcher/) and Hydra's own.
LAUNCHERS = ("parallel", "slurm", "basic", "joblib", "submitit_slurm", "submitit_local")
#: The file in the sweep folder that keeps the overrides its runs share (checked on a rerun).
SETTINGS_FILE = "benchmark_overrides.json"


def read_records(db: str | Path) -> list[str]:
    """The record names listed in ``<db>/RECORDS`` (blank lines and ``#`` comments skipped).

    Raises:
        DataNotFoundError: The folder or its ``RECORDS`` file is missing, or lists nothing.
    """
    listing = Path(db) / "RECORDS"
    if not listing.is_file():
        msg = (
            f"{listing} not found: a WFDB database folder lists its records in a RECORDS file, "
            f"one record name per line. Write one, e.g. in {db}: "
            "ls *.hea | sed 's/\\.hea$//' > RECORDS (multi-segment records: their master header "
            "only), or choose records with --records."
        )
        raise DataNotFoundError(msg)
    lines = (line.split("#", 1)[0].strip() for line in listing.read_text().splitlines())
    records = [line for line in lines if line]
    if not records:
        raise DataNotFoundError(f"{listing} lists no records")
    return records


def check_records(db: str | Path, records: Sequence[str]) -> None:
    """Refuse record names a sweep cannot carry, or whose header file is missing.

    Raises:
        ConfigError: A name holds a quote, a comma or a backslash (Hydra's override syntax).
        DataNotFoundError: ``<db>/<record>.hea`` does not exist.
    """
    for name in records:
        if any(c in name for c in "'\",\\ ") or name.startswith("/"):
            msg = (
                f"record name {name!r}: quotes, commas, spaces, backslashes and absolute paths "
                "cannot be carried by a Hydra sweep; rename the record or link it under a "
                "plain name"
            )
            raise ConfigError(msg)
        if not (Path(db) / f"{name}.hea").is_file():
            msg = f"record {name}: {Path(db) / name}.hea not found (is it listed in RECORDS?)"
            raise DataNotFoundError(msg)


def paced_records(db: str | Path, records: Sequence[str], annotator: str = "atr") -> list[str]:
    """The records whose reference annotations hold paced beats (``/``).

    Records without an annotation file are not paced (nothing says so).
    """
    import numpy as np
    import wfdb

    paced = []
    for name in records:
        if not (Path(db) / f"{name}.{annotator}").is_file():
            continue
        ann = wfdb.rdann(str(Path(db) / name), annotator)
        if np.isin(np.asarray(ann.symbol), [PACED_SYMBOL]).any():
            paced.append(name)
    return paced


def _quoted(text: str) -> str:
    """A value in Hydra's override syntax, as a quoted string (never read as a number)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def shared_overrides(
    db: str | Path,
    *,
    train_minutes: float = 5.0,
    channel: str | None = None,
    report: bool = False,
    threads: int = 1,
    overrides: Sequence[str] = (),
) -> list[str]:
    """The overrides every record's run shares (its record comes from ``+record``).

    Args:
        db: The database folder.
        train_minutes: Minutes at the start of each record that train its model.
        channel: ``data.channel`` (a name or 0-based index); None: the data module's rule
            (``MLII`` when present, else the first channel).
        report: Plots and ``report.md`` in every run folder (seconds per record).
        threads: Torch threads per job.
        overrides: More Hydra overrides for every run (``model=conv_ae``, ``trainer.max_epochs=5``).
    """
    folder = str(Path(db).expanduser().absolute())
    given = [
        "data=recording",
        f"data.record={_quoted(folder + '/${record}')}",
        f"data.train_minutes={train_minutes:g}",
        f"report={str(report).lower()}",
        f"threads={threads}",
    ]
    if channel is not None:
        given.append(f"data.channel={_quoted(str(channel))}")
    if not any(o.lstrip("+~").startswith("callbacks.checkpoint") for o in overrides):
        # no last.ckpt at every epoch (0.3-0.7 s a record): a killed record simply runs again
        given.append("callbacks.checkpoint=null")
    return [*given, *overrides]


def sweep_arguments(
    records: Sequence[str],
    sweep_dir: str | Path,
    shared: Sequence[str],
    *,
    launcher: str = "parallel",
    jobs: int = 2,
) -> list[str]:
    """The arguments of ``ecg-anomaly-train`` that run ``records`` as one multi-run.

    Args:
        records: The record names (each run in ``<sweep_dir>/<record>``).
        sweep_dir: The sweep folder.
        shared: The overrides every run shares (:func:`shared_overrides`).
        launcher: ``parallel`` (jobs side by side here), ``slurm`` (a SLURM cluster, see
            ``conf/hydra/launcher/slurm.yaml``), ``basic`` (one after another, in the process)
            or another Hydra launcher's name.
        jobs: Jobs side by side (``parallel`` and ``joblib`` only).

    Raises:
        ConfigError: An unknown launcher, or fewer than one job.
    """
    if launcher not in LAUNCHERS:
        msg = f"--launcher {launcher!r}: use one of {', '.join(LAUNCHERS)}"
        raise ConfigError(msg)
    if jobs < 1:
        raise ConfigError(f"--jobs {jobs}: at least 1 job")
    args = [
        "-m",
        *shared,
        "+record=" + ",".join(_quoted(r) for r in records),
        "resume=true",
        "callbacks.progress_bar=null",
        f"hydra.sweep.dir={_quoted(str(Path(sweep_dir).absolute()))}",
        "hydra.sweep.subdir=${record}",
        # the jobs differ only in +record: composing one checks them all (saves ~0.5 s a record)
        "hydra/sweeper=one_check",
    ]
    if launcher != "basic":
        args.append(f"hydra/launcher={launcher}")
    if launcher in ("parallel", "joblib"):
        args.append(f"hydra.launcher.n_jobs={jobs}")
    return args


def claim_sweep(sweep_dir: str | Path, shared: Sequence[str]) -> None:
    """Keep the shared overrides in the sweep folder, or refuse a folder run with others.

    A rerun with the same folder reuses the finished records; with other settings they would
    be mixed with the new ones in one table.

    Raises:
        RunFolderError: The folder's runs were made with other overrides.
    """
    sweep_dir = Path(sweep_dir)
    saved = sweep_dir / SETTINGS_FILE
    if saved.is_file():
        before = json.loads(saved.read_text())
        if before != list(shared):
            removed = [o for o in before if o not in shared]
            added = [o for o in shared if o not in before]
            msg = (
                f"{sweep_dir} holds runs made with other settings (there: {' '.join(removed)}; "
                f"now: {' '.join(added)}). Choose another --out, or delete {sweep_dir} to start "
                "over."
            )
            raise RunFolderError(msg)
        return
    sweep_dir.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(list(shared), indent=1) + "\n")


def unfinished(sweep_dir: str | Path, records: Sequence[str]) -> list[str]:
    """The records whose run folder holds no ``metrics.json`` (not run, failed or killed)."""
    return [r for r in records if not (Path(sweep_dir) / r / "metrics.json").is_file()]
