"""A database's records scored the way the literature scores them: one row per record, gross sums.

Each record's run folder (:mod:`~ecg_anomaly.records.sweep`) holds ``metrics.json``, or
``failure.json`` when it could not be scored. :func:`record_rows` reads them into one table:

- **beat detection** (ANSI/AAMI EC57, 150 ms window), over the whole record, paced records
  included: ``detection/tp``, ``fn``, ``fp``, ``sensitivity``, ``ppv``;
- **anomaly detection** on the test part (after the training minutes): ``auroc``, ``auprc``,
  abnormal-beat ``sensitivity``, ``ppv`` and ``specificity`` at the run's threshold, the
  share of each AAMI class flagged (``recall/S``, ``recall/V``, ``recall/F``, ``recall/Q``);
- **VEB and SVEB** as EC57 counts them from the typed flags (:mod:`~ecg_anomaly.recordings.ec57`
  says how F and Q beats count): ``veb/tp``, ``fn``, ``fp``, ``sensitivity``, ``ppv``, same
  for ``sveb``;
- seconds of each stage (``time/read`` ... ``time/write``), status and reason.

:func:`gross` sums the counts over records (never averages rates): detection over every
scored record; the arrhythmia figures over the records of the protocol (paced ones left out,
as EC57 does, unless asked otherwise).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: The abnormal AAMI classes by their codes in ``metrics.json`` (``recall_class_<code>``), as
#: :mod:`ecg_anomaly.recordings.ec57` numbers them (1 is N); not imported from there, because
#: the recordings package imports Lightning and this module runs in the launching process.
AAMI_NAMES = {2: "S", 3: "V", 4: "F", 5: "Q"}
ABNORMAL_CODES = tuple(AAMI_NAMES)
#: Stages timed in every run's ``metrics.json`` (``time/<stage>_seconds``), in order.
STAGES = ("read", "detect", "cut", "fit", "test", "write")
#: ROC-AUC below this marks a record as poorly separated in the summary.
POOR_AUROC = 0.97
_COUNTS = ("tp", "fn", "fp")


def _first_line(text: Any) -> str:
    return str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def record_row(run: Path, record: str) -> dict[str, Any]:
    """One record's row from its run folder (status ``ok``, ``failed`` or ``missing``)."""
    row: dict[str, Any] = {"record": record}
    metrics = _read(run / "metrics.json")
    if metrics is None:
        failure = _read(run / "failure.json")
        if failure is None:
            return row | {"status": "missing", "reason": f"no results in {run}"}
        return row | {"status": failure.get("status", "failed"),
                      "reason": _first_line(failure.get("error"))}  # fmt: skip
    split = metrics.get("split", "test")
    m = {k[len(split) + 1 :]: v for k, v in metrics.items() if k.startswith(f"{split}/")}
    row |= {"status": "ok", "reason": ""}
    row |= {f"detection/{k}": metrics.get(f"data/beats/{k}") for k in (*_COUNTS, "sensitivity")}
    row["detection/ppv"] = metrics.get("data/beats/ppv")
    row |= {
        "beats": m.get("beats"),
        "abnormal": _sum(m.get(f"n_class_{c}") for c in ABNORMAL_CODES),
        "auroc": m.get("auroc"),
        "auprc": m.get("auprc"),
        "sensitivity": m.get("recall"),
        "ppv": m.get("precision"),
        "specificity": m.get("specificity"),
    }
    row |= {f"n/{AAMI_NAMES[c]}": m.get(f"n_class_{c}", 0) for c in ABNORMAL_CODES}
    row |= {f"recall/{AAMI_NAMES[c]}": m.get(f"recall_class_{c}") for c in ABNORMAL_CODES}
    for kind in ("veb", "sveb"):
        row |= {f"{kind}/{k}": m.get(f"{kind}/{k}") for k in (*_COUNTS, "sensitivity", "ppv")}
    row |= {k: m.get(k) for k in ("tp", "fp", "fn", "tn")}
    row |= {f"time/{s}": metrics.get(f"time/{s}_seconds") for s in STAGES}
    row["threshold"] = metrics.get("threshold")
    row["warnings"] = " | ".join(metrics.get("warnings") or [])
    return row


def _sum(values: Iterable[Any]) -> int:
    return int(sum(v for v in values if v is not None and not _isnan(v)))


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def record_rows(
    sweep_dir: str | Path,
    records: Sequence[str],
    paced: Sequence[str] = (),
    *,
    include_paced: bool = False,
    skipped: Mapping[str, str] | None = None,
) -> Any:
    """The table of every record (a pandas DataFrame, in the order given).

    Args:
        sweep_dir: The folder holding one run folder per record.
        records: The record names.
        paced: The paced records (``paced`` column).
        include_paced: Count paced records in the arrhythmia figures too (``counted``).
        skipped: Records not run, with the reason (status ``skipped``).
    """
    import pandas as pd

    skipped = dict(skipped or {})
    rows = []
    for name in records:
        if name in skipped:
            row = {"record": name, "status": "skipped", "reason": skipped[name]}
        else:
            row = record_row(Path(sweep_dir) / name, name)
        row["paced"] = name in paced
        row["counted"] = row["status"] == "ok" and (include_paced or not row["paced"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    first = ["record", "status", "paced", "counted"]
    return frame[[*first, *(c for c in frame if c not in (*first, "reason")), "reason"]]


def _totals(rows: Any, prefix: str) -> dict[str, int]:
    return {k: _sum(rows[f"{prefix}/{k}"]) if f"{prefix}/{k}" in rows else 0 for k in _COUNTS}


def _share(num: float, den: float) -> float:
    return num / den if den else math.nan


def gross(rows: Any) -> dict[str, Any]:
    """Gross figures: counts summed over records, rates from the sums.

    Detection over every scored record; everything else over the ``counted`` records.
    """
    scored = rows[rows["status"] == "ok"]
    counted = rows[rows["counted"].astype(bool)]
    out: dict[str, Any] = {"records": len(scored), "records/counted": len(counted)}
    det = _totals(scored, "detection")
    out |= {f"detection/{k}": v for k, v in det.items()}
    out["detection/sensitivity"] = _share(det["tp"], det["tp"] + det["fn"])
    out["detection/ppv"] = _share(det["tp"], det["tp"] + det["fp"])
    for kind in ("veb", "sveb"):
        n = _totals(counted, kind)
        out |= {f"{kind}/{k}": v for k, v in n.items()}
        out[f"{kind}/sensitivity"] = _share(n["tp"], n["tp"] + n["fn"])
        out[f"{kind}/ppv"] = _share(n["tp"], n["tp"] + n["fp"])
    n = {k: _sum(counted[k]) if k in counted else 0 for k in ("tp", "fp", "fn", "tn")}
    out["abnormal/sensitivity"] = _share(n["tp"], n["tp"] + n["fn"])
    out["abnormal/ppv"] = _share(n["tp"], n["tp"] + n["fp"])
    out["abnormal/specificity"] = _share(n["tn"], n["tn"] + n["fp"])
    for code in ABNORMAL_CODES:
        name = AAMI_NAMES[code]
        if f"n/{name}" not in counted:
            continue
        beats = counted[f"n/{name}"].fillna(0).to_numpy(float)
        found = np.rint(counted[f"recall/{name}"].fillna(0).to_numpy(float) * beats).sum()
        out[f"recall/{name}"] = _share(found, beats.sum())
    auroc = counted["auroc"].dropna() if "auroc" in counted else counted["record"].iloc[:0]
    out["auroc/median"] = float(auroc.median()) if len(auroc) else math.nan
    out["auroc/min"] = float(auroc.min()) if len(auroc) else math.nan
    out["auroc/below_0.97"] = int((auroc < POOR_AUROC).sum())
    auprc = counted["auprc"].dropna() if "auprc" in counted else auroc.iloc[:0]
    out["auprc/median"] = float(auprc.median()) if len(auprc) else math.nan
    return out


def stage_seconds(rows: Any) -> dict[str, float]:
    """Seconds of each stage summed over the scored records (``time/<stage>_seconds``)."""
    scored = rows[rows["status"] == "ok"]
    return {
        f"time/{s}_seconds": float(scored[f"time/{s}"].fillna(0).sum())
        for s in STAGES
        if f"time/{s}" in scored
    }


def summary(rows: Any, **extra: Any) -> dict[str, Any]:
    """``summary.json``: the gross figures (fractions), per-stage seconds, failures, ``extra``."""
    out = gross(rows) | stage_seconds(rows)
    out["records/paced"] = [str(r) for r in rows.loc[rows["paced"].astype(bool), "record"]]
    failed = rows[rows["status"] != "ok"]
    out["failures"] = {
        str(r.record): f"{r.status}: {r.reason}" for r in failed.itertuples(index=False)
    }
    return out | extra
