"""Score a whole WFDB database as the literature scores it (the logic: ``ecg_anomaly/records``).

Examples:
    python scripts/records_benchmark.py --db ../shared/data/mitdb --out docs/mitdb
    python scripts/records_benchmark.py --db DIR --out OUT --records 100 208 232
    python scripts/records_benchmark.py --help
"""

import sys
import time

STARTED = time.perf_counter()  # the command's wall clock includes its own start

from ecg_anomaly.records.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(started=STARTED))
