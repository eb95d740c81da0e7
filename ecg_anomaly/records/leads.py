"""Two leads of each record together: every beat scored on both, the scores combined.

Two benchmark runs of the same records on two leads (``--channel``) are combined beat by beat,
from each run folder's ``beats.csv``: a test beat of the first run (the reference lead, whose
beat detection is kept) is paired with the second lead's beat at most 150 ms away. Each lead's
score is made unit-free by its own threshold (``score / threshold``: 1 is the flagging line),
and so is the shape part of the score (1 is the largest training shape). The combined values:

- ``max``: the larger of the two (a beat is flagged when either lead flags it);
- ``mean``: their mean;
- ``min``: the smaller (flagged only when both leads flag it).

A flagged beat is typed as on one lead (:func:`ecg_anomaly.recordings.timing.beat_types`), from
the combined QRS parts (V when >= 1, else S, or untyped in an irregular rhythm, measured on the
first lead), or the combined shape parts for runs written before ``qrs_part`` existed. Beats the
second lead did not detect keep the first lead's values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.recordings.timing import beat_types
from ecg_anomaly.records.tally import _share

#: Ways to combine the two leads' normalised scores.
RULES = ("max", "mean", "min")
#: The EC57 matching window between the two leads' beats, in seconds.
WINDOW_S = 0.15


def pair_beats(first: np.ndarray, second: np.ndarray, window_s: float = WINDOW_S) -> np.ndarray:
    """Index of the nearest time of ``second`` within the window, else -1, for each of ``first``.

    Both arrays are sorted ascending (beat times in seconds).
    """
    if len(second) == 0:
        return np.full(len(first), -1)
    right = np.clip(np.searchsorted(second, first), 1, len(second) - 1)
    left = right - 1
    nearest = np.where(np.abs(second[left] - first) <= np.abs(second[right] - first), left, right)
    if len(second) == 1:
        nearest = np.zeros(len(first), dtype=np.int64)
    return np.where(np.abs(second[nearest] - first) <= window_s, nearest, -1)


def _lead(run: Path) -> tuple[Any, float]:
    import pandas as pd

    beats = pd.read_csv(run / "beats.csv")
    threshold = float(json.loads((run / "metrics.json").read_text())["threshold"])
    return beats, threshold


def combine(first_run: Path, second_run: Path, rule: str = "max") -> Any:
    """The first run's test beats with the two leads' scores combined (``score``, ``shape``).

    Returns:
        A DataFrame: ``class``, ``label``, ``score`` (1 = threshold), ``shape`` (the part that
            types: QRS part, else shape part),
        ``flag`` and ``type`` (0 none, 1 V, 2 S, 3 untyped).
    """
    a, ta = _lead(first_run)
    b, tb = _lead(second_run)
    pick = pair_beats(a["time"].to_numpy(float), b["time"].to_numpy(float))
    score = np.stack([a["score"].to_numpy(float) / ta, np.full(len(a), np.nan)])
    part = "qrs_part" if "qrs_part" in a and "qrs_part" in b else "shape_part"
    shape = np.stack([a[part].to_numpy(float), np.full(len(a), np.nan)])
    found = pick >= 0
    score[1, found] = b["score"].to_numpy(float)[pick[found]] / tb
    shape[1, found] = b[part].to_numpy(float)[pick[found]]
    how = {"max": np.nanmax, "mean": np.nanmean, "min": np.nanmin}[rule]
    combined, shapes = how(score, axis=0), how(shape, axis=0)
    flag = combined >= 1.0
    # the rhythm is the same on both leads: the first lead's irregularity leaves beats untyped
    rhythm = a["irregularity"].to_numpy(float) if "irregularity" in a else None
    kind = beat_types(flag, shapes, irregularity=rhythm)
    return a[["class", "label"]].assign(score=combined, shape=shapes, flag=flag, type=kind)


def beat_metrics(table: Any) -> dict[str, Any]:
    """ROC-AUC, abnormal-beat counts and EC57 VEB/SVEB counts of one record's beats."""
    from sklearn.metrics import roc_auc_score

    from ecg_anomaly.recordings.ec57 import counts

    labelled = table[table["label"] >= 0]
    y, flag = labelled["label"].to_numpy(), labelled["flag"].to_numpy(bool)
    both = len(np.unique(y)) == 2
    out: dict[str, Any] = {"auroc": roc_auc_score(y, labelled["score"]) if both else np.nan}
    out |= {"tp": int((flag & (y == 1)).sum()), "fp": int((flag & (y == 0)).sum())}
    out |= {"fn": int((~flag & (y == 1)).sum()), "tn": int((~flag & (y == 0)).sum())}
    return out | counts(table["class"].to_numpy(), table["type"].to_numpy())


def compare(
    first: str | Path, second: str | Path, records: Sequence[str], rules: Sequence[str] = RULES
) -> Any:
    """One row per record and way of scoring: ``lead 1``, ``lead 2`` and each rule.

    Args:
        first: The sweep folder of the first lead's runs (``<out>/runs``).
        second: The sweep folder of the second lead's runs.
        records: The records to compare (those with both runs finished).
        rules: Ways to combine the leads (:data:`RULES`).
    """
    import pandas as pd

    rows = []
    for record in records:
        one, two = Path(first) / record, Path(second) / record
        if not ((one / "beats.csv").is_file() and (two / "beats.csv").is_file()):
            continue
        for name, table in (
            ("lead 1", combine(one, one, "max")),
            ("lead 2", combine(two, two, "max")),
            *((f"both, {rule}", combine(one, two, rule)) for rule in rules),
        ):
            rows.append({"record": record, "scoring": name, **beat_metrics(table)})
    return pd.DataFrame(rows)


def gross_by_scoring(rows: Any) -> Any:
    """Gross figures of each way of scoring: VEB, SVEB and abnormal-beat Se/+P, ROC-AUC."""
    import pandas as pd

    out = {}
    for name, group in rows.groupby("scoring", sort=False):
        n = group.sum(numeric_only=True)
        out[name] = {
            "records": len(group),
            "auroc/median": group["auroc"].median(),
            "auroc/below_0.97": int((group["auroc"] < 0.97).sum()),
            "abnormal/sensitivity": _share(n["tp"], n["tp"] + n["fn"]),
            "abnormal/ppv": _share(n["tp"], n["tp"] + n["fp"]),
            **{f"{k}/sensitivity": _share(n[f"{k}/tp"], n[f"{k}/tp"] + n[f"{k}/fn"])
               for k in ("veb", "sveb")},
            **{f"{k}/ppv": _share(n[f"{k}/tp"], n[f"{k}/tp"] + n[f"{k}/fp"])
               for k in ("veb", "sveb")},
        }  # fmt: skip
    return pd.DataFrame(out).T


def leads_markdown(
    gross: Any, first: Any, second: Any, detection: dict[str, tuple[float, float]] | None = None
) -> str:
    """``leads.md``: gross figures of each lead and of each way of combining them.

    Args:
        gross: :func:`gross_by_scoring`'s table.
        first: The first lead's run folders.
        second: The second lead's run folders.
        detection: Beat detection (Se, +P) of each lead, over all its scored records.
    """
    from ecg_anomaly.records.tables import cell, pct, table

    keys = ("veb/sensitivity", "veb/ppv", "sveb/sensitivity", "sveb/ppv",
            "abnormal/sensitivity", "abnormal/ppv")  # fmt: skip
    rows = [
        [str(name), str(int(g["records"])), *(pct(g[k], 1) for k in keys),
         cell(g["auroc/median"], "3"), str(int(g["auroc/below_0.97"]))]
        for name, g in gross.iterrows()
    ]  # fmt: skip
    header = ["scoring", "records", "VEB Se %", "VEB +P %", "SVEB Se %", "SVEB +P %",
              "abnormal Se %", "abnormal +P %", "ROC-AUC median", "ROC-AUC < 0.97"]  # fmt: skip
    return "\n".join([
        "# Two leads", "",
        f"Lead 1: the runs of {first}; lead 2: those of {second}. Each lead's score divided by "
        "its threshold; `both`: the two combined beat by beat (`max`: flagged when either lead "
        "flags, `min`: when both do; ecg_anomaly/records/leads.py). Test beats of the records "
        "counted in the arrhythmia figures.", "",
        *table(header, rows), "",
        *(f"- beat detection on {lead} (all scored records): Se {pct(se)} %, +P {pct(ppv)} %"
          for lead, (se, ppv) in (detection or {}).items()), "",
        "Per record: `leads.csv`.", "",
    ])  # fmt: skip


def write_leads(out: Path, runs: Path, other: Path, rows: Any) -> Path:
    """``leads.csv`` and ``leads.md``: this run's lead, the other's, and both combined.

    Args:
        out: This benchmark's output folder.
        runs: Its run folders.
        other: The other benchmark's output folder (its ``summary.json`` names its runs).
        rows: This benchmark's table of records.
    """
    try:
        theirs = json.loads((other / "summary.json").read_text())
    except (OSError, ValueError):
        theirs = {}
    other_runs = Path(theirs.get("runs", other / "runs"))
    counted = [str(r) for r in rows.loc[rows["counted"].astype(bool), "record"]]
    per_record = compare(runs, other_runs, counted)
    per_record.to_csv(out / "leads.csv", index=False, float_format="%.6g")
    gross = gross_by_scoring(per_record)
    scored = rows[rows["status"] == "ok"]
    tp, fn, fp = (scored[f"detection/{k}"].sum() for k in ("tp", "fn", "fp"))
    detection = {"lead 1": (_share(tp, tp + fn), _share(tp, tp + fp))}
    if "detection/sensitivity" in theirs:
        detection["lead 2"] = (theirs["detection/sensitivity"], theirs["detection/ppv"])
    text = leads_markdown(gross, runs, other_runs, detection)
    if "command" in theirs:
        text += f"\nLead 2 was run by `{theirs['command']}`.\n"
    (out / "leads.md").write_text(text)
    return out / "leads.md"
