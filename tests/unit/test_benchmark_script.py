"""scripts/benchmark.py writes its table between two marks and keeps the rest of results.md."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.fixture(scope="module")
def benchmark():
    sys.path.insert(0, str(SCRIPTS))  # the script imports its neighbour _machine.py
    try:
        spec = importlib.util.spec_from_file_location("benchmark_script", SCRIPTS / "benchmark.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(SCRIPTS))


def test_the_table_goes_between_the_marks_and_the_rest_is_kept(benchmark, tmp_path):
    path = tmp_path / "results.md"
    path.write_text("# By hand\n\nPublished vs ours.\n")
    benchmark.write_section(path, "## Five seeds\n\n| a |\n")
    first = path.read_text()
    assert first.startswith("# By hand\n\nPublished vs ours.\n\n" + benchmark.BEGIN + "\n## Five")
    assert first.endswith("| a |\n" + benchmark.END + "\n")

    path.write_text(first + "\n## Notes by hand after the table\n")
    benchmark.write_section(path, "## Five seeds\n\n| b |\n")
    second = path.read_text()
    assert "| a |" not in second and "| b |" in second
    assert second.startswith("# By hand\n\nPublished vs ours.\n\n")
    assert second.endswith(benchmark.END + "\n\n## Notes by hand after the table\n")
    assert second.count(benchmark.BEGIN) == 1


def test_a_new_file_gets_a_title_and_the_section(benchmark, tmp_path):
    path = tmp_path / "results.md"
    benchmark.write_section(path, "| a |")
    assert path.read_text() == f"# ECG5000 benchmark\n\n{benchmark.BEGIN}\n| a |\n{benchmark.END}\n"
