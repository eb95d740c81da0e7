"""Score a whole WFDB database as the literature scores it (``recordings/benchmark_cli.py``).

Examples:
    python scripts/records_benchmark.py --db ../shared/data/mitdb --out docs/mitdb
    python scripts/records_benchmark.py --db DIR --out OUT --records 100 208 232
    python scripts/records_benchmark.py --help
"""

import sys

from ecg_anomaly.recordings.benchmark_cli import main

if __name__ == "__main__":
    sys.exit(main())
