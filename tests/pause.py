"""A callback that makes a run wait at a known point until a test signals it (kill tests).

The run writes ``marker`` when it reaches the point, then waits; the test sees the marker and
sends its signal, so what the run had done before the signal never depends on the machine's
speed. A marker that already exists means "do not wait" (the resumed run, the reference run).
"""

from __future__ import annotations

import time
from pathlib import Path

from lightning.pytorch.callbacks import Callback


class PauseAt(Callback):
    """Wait at ``at`` (``epoch:<k>`` end, ``test_start`` or ``test_end``) until signalled.

    Args:
        at: Where to wait.
        marker: The file written on arrival.
        timeout: Seconds to wait at most (the test failed to signal).
    """

    def __init__(self, at: str, marker: str, timeout: float = 300.0) -> None:
        self.at = at
        self.marker = Path(marker)
        self.timeout = timeout

    def _arrive(self, point: str) -> None:
        if point != self.at or self.marker.exists():
            return
        self.marker.write_text(point)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            time.sleep(0.02)
        msg = f"PauseAt({self.at}) was never signalled"
        raise TimeoutError(msg)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self._arrive(f"epoch:{trainer.current_epoch}")

    def on_test_start(self, trainer, pl_module) -> None:
        self._arrive("test_start")

    def on_test_end(self, trainer, pl_module) -> None:
        self._arrive("test_end")
