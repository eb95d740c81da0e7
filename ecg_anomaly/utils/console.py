"""Console logging that does not break a progress bar.

Hydra logs to the console through this handler (``conf/hydra/default.yaml``): a line logged
while Lightning's tqdm bar is drawn goes above the bar instead of through it.
"""

from __future__ import annotations

import logging


class TqdmHandler(logging.StreamHandler):
    """A :class:`logging.StreamHandler` that writes through ``tqdm.write``."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
            self.flush()
        except Exception:
            self.handleError(record)
