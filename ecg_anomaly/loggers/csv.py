"""Lightning's CSV logger, appending to ``metrics.csv`` instead of deleting it.

Lightning's writer deletes an existing ``metrics.csv`` when it starts, so a run resumed into its
own folder lost the loss history of its first epochs. Here an existing file is kept and its
columns are taken over; a fresh run starts from an empty folder anyway (the run folder is
cleaned of an earlier run's results, see :mod:`ecg_anomaly.runs`).
"""

from __future__ import annotations

import csv

from lightning.pytorch.loggers import CSVLogger as LightningCSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter


class _AppendingWriter(ExperimentWriter):
    def _check_log_dir_exists(self) -> None:
        if not self._fs.isfile(self.metrics_file_path):
            return
        with self._fs.open(self.metrics_file_path, "r", newline="") as file:
            header = next(csv.reader(file), [])
        self.metrics_keys = sorted(header)


class CSVLogger(LightningCSVLogger):
    """:class:`lightning.pytorch.loggers.CSVLogger` whose ``metrics.csv`` survives a resume."""

    @property
    def experiment(self) -> ExperimentWriter:
        """The writer (created on first use), appending to an existing ``metrics.csv``."""
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _AppendingWriter(log_dir=self.log_dir)
        return self._experiment
