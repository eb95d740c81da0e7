"""results.md and the figure, from a table of records (also when none could be scored)."""

from __future__ import annotations

from ecg_anomaly.records import markdown, tally
from ecg_anomaly.records.figure import records_figure, save_figure
from tests.unit.records.test_tally import runs, write_run  # noqa: F401  (the fixture)

INFO = {"command": "python scripts/records_benchmark.py", "machine": "test", "paced_rule": "score",
        "time/total_seconds": 12.0, "time/sweep_seconds": 10.0}  # fmt: skip


def test_results_put_our_figures_beside_the_anchors(runs, tmp_path):  # noqa: F811
    s = tally.summary(runs, **INFO)
    text = markdown.document(s, runs, None, "records.png")
    assert "| **ours** (3 records) | 97.22 | 94.59 | this run |" in text
    assert "| **ours, no labels** (2 records) | 60.0 | 85.7 | 25.0 | 20.0 |" in text
    assert "| Kiranyaz 2016, 1-D CNN | 95.0 | 89.5 | 64.6 | 62.1 |" in text
    assert "| detection/sensitivity | ≥ 99.8 % | 97.22 | **not reached** |" in text
    assert "- record 4: failed: ConfigError: too short" in text
    assert "- VEB missed (FN), 4 in all: 1 (4): 100% of them" in text
    assert "| 3 P | ok |" in text  # the paced record, marked
    assert save_figure(records_figure(runs), tmp_path / "r.png").stat().st_size > 10_000


def test_results_of_a_database_where_nothing_was_scored(tmp_path):
    rows = tally.record_rows(tmp_path, ["a", "b"])
    text = markdown.document(tally.summary(rows, **INFO), rows, None, "records.png")
    assert "| **ours** (0 records) | - | - | this run |" in text
    assert "- record a: missing" in text
    save_figure(records_figure(rows), tmp_path / "r.png")
