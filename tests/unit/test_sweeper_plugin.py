"""The project's Hydra sweeper plugin survives Hydra's plugin scan in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_config_composes_in_a_fresh_process_that_scans_the_plugins():
    # Hydra's scan executes hydra_plugins.ecg_anomaly_sweeper before it is in sys.modules; a
    # dataclass with string annotations (from __future__ import annotations) then raised
    # AttributeError in every process composing a config outside Hydra's entry point.
    code = (
        "from ecg_anomaly.build import compose_config\n"
        "print(compose_config(['experiment=cnn_conv_ae']).name)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "cnn_conv_ae"
