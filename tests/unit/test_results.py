import json
import math

from ecg_anomaly.utils.results import format_table, write_json


def test_write_json_turns_nan_into_null_and_leaves_no_temp_file(tmp_path):
    path = write_json(tmp_path / "out" / "metrics.json", {"a": 1.5, "b": math.nan, "c": [math.inf]})
    assert json.loads(path.read_text()) == {"a": 1.5, "b": None, "c": [None]}
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]


def test_format_table_aligns_names_and_values():
    table = format_table({"test/accuracy": 0.94871, "seed": 3}, title="run")
    lines = table.splitlines()
    assert "| test/accuracy | 0.9487 |" in lines
    assert "| seed          |      3 |" in lines
    assert len({len(line) for line in lines}) == 1
