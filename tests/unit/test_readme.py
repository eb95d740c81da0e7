"""The README's promises: its Python example runs as written, its commands exist, its links
lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import tomllib

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_python_example_runs_as_written(synthetic_arrays, tmp_path, monkeypatch):
    section = README[README.index("## Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    x, y = synthetic_arrays
    monkeypatch.chdir(tmp_path)  # det.save("model.ckpt") writes here
    namespace = {"x_normal": x[y == 0], "x": x}
    exec(compile(code, "README.md", "exec"), namespace)
    np.testing.assert_array_equal(namespace["same"].predict(x), namespace["flags"])
    assert namespace["scores"].shape == (len(x),)


def test_every_command_of_the_readme_is_installed():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    used = set(re.findall(r"^(ecg-anomaly-[a-z]+)", README, re.M))
    used |= set(re.findall(r"\n(ecg-anomaly-[a-z]+) ", README))
    assert used and used <= set(scripts), used - set(scripts)
    for script in re.findall(r"python (scripts/\S+\.py)", README):
        assert (ROOT / script).is_file(), script


def test_every_link_of_the_readme_leads_to_a_file():
    for target in re.findall(r"\]\(((?:docs|conf|scripts)/[^)#]+)\)", README):
        assert (ROOT / target).exists(), target


def test_the_readme_stays_a_front_door():
    assert len(README.splitlines()) <= 250
