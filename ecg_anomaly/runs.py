"""Run folders: one run per folder, no stale results, and everything a resume needs.

- A run holds ``.run.lock`` (its process id and host) while it works: a second run pointed at the
  same folder is refused instead of mixing its files with the first one's.
- A folder whose run finished (``metrics.json``) is not reused unless the user asks:
  ``overwrite=true`` starts over, ``resume=true`` keeps the finished results.
- A fresh run removes what an earlier, failed run left (``failure.json``, partial results), so
  nothing in the folder looks like its own results; a failed run writes ``failure.json``.
- ``run.yaml`` keeps the run's resolved settings and overrides, so ``resume=true
  hydra.run.dir=<run>`` continues a killed run from ``checkpoints/last.ckpt`` with exactly its
  own settings.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from ecg_anomaly.errors import RunFolderError

LOCK = ".run.lock"
RUN_CONFIG = "run.yaml"
#: What a run writes as its results; removed before a fresh run or an overwrite.
RESULTS = (
    "metrics.json",
    "failure.json",
    "scores.csv",
    "beats.csv",
    "predictions.csv",
    "*.flag",
    "report.md",
    "plots",
    "checkpoints",
    "csv",
    "tensorboard",
    RUN_CONFIG,
)
#: Overrides that may differ between a run and its resume.
RESUME_FREE = ("resume=", "overwrite=", "threads=")


@dataclass
class RunFolder:
    """What :func:`claim` found in a run folder.

    Attributes:
        path: The folder.
        finished: The results of a finished run of the same overrides (resume=true).
        resume_from: ``checkpoints/last.ckpt`` to resume from (resume=true), or None.
        config: The run's own saved settings when resuming, else None.
        overrides: The run's own overrides when resuming, else None.
    """

    path: Path
    finished: dict[str, Any] | None = None
    resume_from: Path | None = None
    config: DictConfig | None = None
    overrides: list[str] | None = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock(path: Path) -> None:
    lock = path / LOCK
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = json.loads(lock.read_text())
            except (OSError, ValueError):
                owner = {}
            same_host = owner.get("host") == me["host"]
            if owner.get("pid") == me["pid"] and same_host:
                return
            if not same_host or _alive(int(owner.get("pid", -1))):
                msg = (
                    f"the run folder {path} is in use by process {owner.get('pid')} on "
                    f"{owner.get('host')}; choose another hydra.run.dir (or wait for that run). "
                    f"If no run uses it, delete {lock}."
                )
                raise RunFolderError(msg) from None
            lock.unlink(missing_ok=True)  # left by a run that was killed
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        return


def release(path: Path) -> None:
    """Give the folder up (at the end of a run, whatever its outcome)."""
    (Path(path) / LOCK).unlink(missing_ok=True)


def _clean(path: Path) -> None:
    for pattern in RESULTS:
        for target in path.glob(pattern):
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)


def _same_run(saved: Sequence[str], given: Sequence[str]) -> list[str]:
    """The overrides of ``given`` that change the saved run (empty: the same run).

    Repeating some or all of the run's own overrides (a requeued job runs its whole command line
    again) changes nothing: the resumed run takes its settings from its folder.
    """
    return sorted(o for o in set(given) - set(saved) if not o.startswith(RESUME_FREE))


def claim(
    path: str | os.PathLike,
    overrides: Sequence[str],
    *,
    resume: bool,
    overwrite: bool,
    primary: bool = True,
) -> RunFolder:
    """Take a run folder for this run, or say why not.

    Args:
        path: The run folder (Hydra's output folder).
        overrides: This run's command-line overrides.
        resume: ``resume=true``: reuse finished results, or continue from ``last.ckpt``.
        overwrite: ``overwrite=true``: start over in a finished run's folder.
        primary: False for the other processes of a distributed run (Lightning starts them
            by running the command again): they follow rank 0's claim and touch nothing.

    Returns:
        What to do: reuse ``finished`` results, resume from ``resume_from``, or run fresh.

    Raises:
        RunFolderError: The folder is in use, cannot be written, holds a finished run (and
            neither flag is given), or a resume would change the run's settings.
    """
    path = Path(path)
    if not primary:
        return _follow(path, resume)
    try:
        path.mkdir(parents=True, exist_ok=True)
        _lock(path)
    except OSError as err:
        reason = err.strerror or err
        msg = f"cannot write the run folder {path} ({reason}); choose another hydra.run.dir"
        raise RunFolderError(msg) from None
    saved_cfg = path / RUN_CONFIG
    saved = OmegaConf.load(saved_cfg) if saved_cfg.is_file() else None
    metrics = path / "metrics.json"
    if resume and saved is not None:
        changed = _same_run(saved.get("overrides", []), overrides)
        if changed:
            release(path)
            msg = (
                f"resume=true continues the run in {path} with its own settings, but these "
                f"overrides are not among them: {' '.join(changed)}. Resume with only "
                f"resume=true hydra.run.dir={path} (or the run's own command line with "
                "resume=true), or start a new run elsewhere."
            )
            raise RunFolderError(msg)
        if metrics.is_file():
            return RunFolder(path, finished=json.loads(metrics.read_text()))
        last = path / "checkpoints" / "last.ckpt"
        if last.is_file():
            (path / "failure.json").unlink(missing_ok=True)  # the run goes on
            saved_overrides = list(saved.get("overrides", []))
            return RunFolder(path, resume_from=last, config=saved.config, overrides=saved_overrides)
    elif not overwrite and (metrics.is_file() or (path / "checkpoints" / "last.ckpt").is_file()):
        release(path)
        what = (
            "a finished run (metrics.json)"
            if metrics.is_file()
            else ("an unfinished run (checkpoints/last.ckpt)")
        )
        msg = (
            f"{path} holds {what}: it is not overwritten. Choose another hydra.run.dir, "
            "continue it with resume=true, or start over with overwrite=true."
        )
        raise RunFolderError(msg)
    _clean(path)
    return RunFolder(path)


def _follow(path: Path, resume: bool) -> RunFolder:
    """What rank 0 decided, read from the folder it claimed (a resume, or a fresh run)."""
    saved_cfg, last = path / RUN_CONFIG, path / "checkpoints" / "last.ckpt"
    if resume and saved_cfg.is_file() and last.is_file():
        saved = OmegaConf.load(saved_cfg)
        return RunFolder(path, resume_from=last, config=saved.config,
                         overrides=list(saved.get("overrides", [])))  # fmt: skip
    return RunFolder(path)


def run_settings(cfg: DictConfig) -> dict[str, Any]:
    """The run's own settings, resolved, without Hydra's."""
    return OmegaConf.to_container(
        OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=True
    )


def save_run_config(path: Path, cfg: DictConfig, overrides: Sequence[str]) -> Path:
    """Keep the run's resolved settings (without Hydra's) and overrides for a resume."""
    out = Path(path) / RUN_CONFIG
    settings = {"overrides": list(overrides), "config": run_settings(cfg)}
    OmegaConf.save(OmegaConf.create(settings), out)
    return out


def run_overrides() -> list[str]:
    """The command-line overrides of this run, as Hydra recorded them."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    return list(HydraConfig.get().overrides.task)


@contextmanager
def claim_for(cfg: DictConfig) -> Iterator[RunFolder]:
    """Hold the run folder of an eval, predict or detect run while it works.

    The same rules as training's: a folder in use is refused, a finished run's folder is not
    overwritten unless ``overwrite=true``, and what a failed run left is cleaned first.
    """
    out_dir = Path(cfg.paths.output_dir)
    overrides = [o for o in run_overrides() if not o.startswith("overwrite=")]
    folder = claim(out_dir, overrides, resume=False, overwrite=bool(cfg.get("overwrite")))
    try:
        yield folder
    finally:
        release(out_dir)
