"""One wrapper for every entry point: user errors as one paragraph, failed sweep jobs as one line.

A user's mistake (an :class:`~ecg_anomaly.errors.EcgAnomalyError`: bad data, a bad setting, a
bad checkpoint) ends a single run with its message and exit code 2, no traceback. Ctrl+C
(SIGINT) and SIGTERM (a cluster's pre-emption) end it with one line and exit code 130 / 143,
whatever it was doing; result files are written atomically, so none is left half-written.
Every failed or interrupted run leaves ``failure.json`` in its folder, with the command that
resumes or reruns it. In a sweep (``-m``) a failed job logs one line and lets the other jobs
run; the sweep exits non-zero at the end (see :mod:`ecg_anomaly.sweep`). Anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import logging
import math
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from ecg_anomaly.errors import EcgAnomalyError

log = logging.getLogger("ecg_anomaly")
#: Exit codes of a run ended by a signal (128 + the signal's number, as shells report them).
SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}


class Interrupted(BaseException):
    """A run stopped by Ctrl+C or SIGTERM (a BaseException, like KeyboardInterrupt).

    Raised by the handlers :func:`run_task` installs, so Lightning's own handling of
    KeyboardInterrupt (which ends the process with exit code 1) does not apply.
    """

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"stopped by {signal_name}")
        self.signal_name = signal_name


def _interrupt(signum: int, frame: Any) -> None:
    raise Interrupted(signal.Signals(signum).name)


def _install_interrupt_handlers() -> None:
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _interrupt)


def check_group_values(argv: Sequence[str], groups: Sequence[str] = ("threshold",)) -> None:
    """Refuse a number given to a config group (``threshold=2.0``) with our message, exit 2.

    Hydra would stop with a traceback that lists the group's options; here the user learns
    that the group chooses a rule and how to set a fixed value.
    """
    for arg in argv:
        key, sep, value = arg.partition("=")
        if sep and key.lstrip("+~") in groups and _is_number(value):
            # before Hydra has set up logging: straight to the console
            print(
                f"ERROR {arg}: {key} chooses how the threshold is fitted (mean_std, percentile, "
                f"max, f1_optimal, manual, ...), not its value. For a fixed value give "
                f"{key}=manual {key}.value={value}",
                file=sys.stderr,
            )
            sys.exit(2)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def run_task(task: Callable[[DictConfig], Any], cfg: DictConfig) -> Any:
    """Run ``task(cfg)`` as an entry point.

    Args:
        task: The entry point's work (``train``, ``evaluate``, ``predict``...).
        cfg: The composed config.

    Returns:
        The task's result; in a sweep, NaN (for an optimizing sweeper) when the job failed.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hydra_cfg = HydraConfig.get() if HydraConfig.initialized() else None
    multirun = hydra_cfg is not None and hydra_cfg.mode == RunMode.MULTIRUN
    try:
        _install_interrupt_handlers()
        quiet_console(quiet=bool(cfg.get("quiet")))
        keep_freed_memory()  # again in a sweep's worker process
        apply_threads(cfg.get("threads"))
        return task(cfg)
    except Interrupted as err:
        path = _record_failure(hydra_cfg, err, status="interrupted")
        where = f"; {path} says how to resume" if path else ""
        log.error("Interrupted (%s)%s", err.signal_name, where)
        sys.exit(SIGNAL_EXIT.get(err.signal_name, 1))
    except Exception as err:
        path = _record_failure(hydra_cfg, err)
        if not multirun:
            if isinstance(err, EcgAnomalyError):
                log.error("%s", err)
                sys.exit(2)
            raise
        first = str(err).splitlines()[0] if str(err) else ""
        where = f" (details in {path})" if path else ""
        log.error("job %s failed: %s: %s%s", hydra_cfg.job.num, type(err).__name__, first, where)
        return math.nan


class _DropBanners(logging.Filter):
    """Drops Lightning's advertising tips and hardware banners (kept in no log either)."""

    NOISE = ("💡 Tip:", "GPU available:", "TPU available:", "HPU available:")

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(n in record.getMessage() for n in self.NOISE)


def quiet_console(quiet: bool = False) -> None:
    """No third-party tips or banners, and no line printed twice.

    Hydra logs to the console and the run's log file; Lightning's own console handlers would
    print every message a second time.

    Args:
        quiet: Warnings and errors only on the console (``quiet=true``, for scripts); the run's
            log file keeps every line.
    """
    import os

    import lightning.pytorch  # noqa: F401  (adds its console handler when first imported)

    quiet_lightning()
    os.environ.setdefault("WANDB_SILENT", "true")  # W&B's banners (the run is in its folder)
    logging.getLogger("mlflow").setLevel(logging.WARNING)  # MLflow's database set-up lines
    if logging.getLogger().handlers:
        for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
            logging.getLogger(name).handlers.clear()
    if quiet:
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            ):
                handler.setLevel(logging.WARNING)


def quiet_lightning() -> None:
    """Drop Lightning's tips, hardware banners and one torch deprecation warning.

    The Python API's scoring calls it too: ``Detector.decision_function`` prints none of them.
    """
    # Lightning 2.6 calls a torch.utils._pytree API that torch 2.13 deprecates; harmless noise.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropBanners) for f in logger.filters):
            logger.addFilter(_DropBanners())


#: OpenMP's wait policy of every run unless the environment names one. PASSIVE: a worker thread
#: with nothing to do sleeps at once instead of spinning for the next parallel region; while
#: another process holds a core, a spinning thread burns the time slice that the thread it waits
#: for needs (two threads trained the LSTM classifier 15x slower than one at load 9, and as fast
#: with this set; docs/speed.md).
OMP_WAIT_POLICY = "PASSIVE"
# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4


def console_main(hydra_main: Callable[[], Any]) -> Any:
    """Every console entry point: the process prepared before torch, then its Hydra main.

    Bad input ends with a message and exit code 2, not a traceback (a number given to a config
    group is refused before Hydra sees it).
    """
    prepare_process()  # before torch is imported
    check_group_values(sys.argv[1:])
    return hydra_main()


def prepare_process() -> None:
    """Set what must precede ``import torch``: OpenMP's wait policy (:data:`OMP_WAIT_POLICY`).

    Called first by every console entry point, which import torch lazily: libgomp reads its
    environment once, when ``import torch`` loads it. Sweep jobs in worker processes inherit the
    variable. A policy already in the environment is kept.
    """
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)
    keep_freed_memory()


def keep_freed_memory() -> None:
    """Let glibc's ``malloc`` reuse freed memory instead of returning it to the kernel.

    By default glibc serves large blocks (over 32 MiB at most: an LSTM's activations over 140
    steps, their gradients) with a fresh ``mmap`` and unmaps them when they are freed, so every
    training step touches new pages: 48,000 page faults per step of the course exercise's LSTM,
    a third of its time. With ``mmap`` off and trimming above 1 GiB, freed blocks stay in the
    heap for the next step.
    Has an effect on glibc (Linux) only and is repeated harmlessly; the memory a process holds
    stays at its peak.
    """
    import ctypes

    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018  (glibc, not musl: the numbers are glibc's)
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    except (OSError, AttributeError):  # no glibc: keep the defaults
        return


def apply_threads(threads: int | None) -> None:
    """Set torch's CPU threads before any tensor work (None leaves torch's default).

    Raises:
        ConfigError: ``threads`` is not a whole number >= 1.
    """
    if threads is None:
        return
    from ecg_anomaly.errors import bad_value

    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise bad_value("threads", threads, "a whole number >= 1, or null for torch's default")
    import torch

    torch.set_num_threads(threads)


def _record_failure(hydra_cfg: Any, err: BaseException, status: str = "failed") -> str | None:
    """``failure.json`` in the run's folder, unless the folder was refused (it is not ours)."""
    from ecg_anomaly.errors import RunFolderError

    if hydra_cfg is None or isinstance(err, RunFolderError):
        return None
    from ecg_anomaly.sweep import write_failure

    out_dir = Path(hydra_cfg.runtime.output_dir)
    overrides = list(hydra_cfg.overrides.task)
    rerun = rerun_command(hydra_cfg.job.name, out_dir, overrides)
    return str(write_failure(out_dir, err, overrides, status=status, rerun=rerun))


def rerun_command(job: str, out_dir: Path, overrides: Sequence[str]) -> str:
    """The command that continues a failed or interrupted run in its own folder."""
    if (out_dir / "checkpoints" / "last.ckpt").is_file():
        return f"ecg-anomaly-train resume=true hydra.run.dir={out_dir}"
    kept = [o for o in overrides if not o.startswith(("hydra.run.dir=", "overwrite="))]
    return " ".join([f"ecg-anomaly-{job}", *kept, f"hydra.run.dir={out_dir}"])
