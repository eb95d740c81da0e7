"""Markdown tables and cells, and the per-record parts of ``results.md``.

Every record's line and where the errors are; :mod:`ecg_anomaly.records.markdown` builds the
whole document from these, and :mod:`ecg_anomaly.records.leads` its own tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def missing(value: Any) -> bool:
    """Whether a value is absent (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value: Any, digits: int = 2) -> str:
    """A fraction as a percentage (``-`` when missing)."""
    return "-" if missing(value) else f"{100 * float(value):.{digits}f}"


def cell(value: Any, kind: str) -> str:
    """One table cell of ``kind`` ``text``, ``int``, ``pct`` or a number of decimals."""
    if kind == "text":
        return str(value).replace("|", "\\|")
    if missing(value) or value == "":
        return "-"
    if kind == "int":
        return str(int(value))
    if kind == "pct":
        return pct(value, 1)
    return f"{float(value):.{int(kind)}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Markdown table lines."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


#: Columns of the per-record table: (column of records.csv, header, kind).
TABLE = (
    ("record", "record", "text"),
    ("status", "status", "text"),
    ("detection/tp", "det TP", "int"),
    ("detection/fn", "det FN", "int"),
    ("detection/fp", "det FP", "int"),
    ("detection/sensitivity", "det Se", "pct"),
    ("detection/ppv", "det +P", "pct"),
    ("beats", "test beats", "int"),
    ("auroc", "ROC-AUC", "3"),
    ("auprc", "PR-AUC", "3"),
    ("specificity", "Sp", "pct"),
    ("ppv", "+P", "pct"),
    ("recall/S", "S rec", "pct"),
    ("recall/V", "V rec", "pct"),
    ("recall/F", "F rec", "pct"),
    ("recall/Q", "Q rec", "pct"),
    ("veb/tp", "VEB TP", "int"),
    ("veb/fn", "VEB FN", "int"),
    ("veb/fp", "VEB FP", "int"),
    ("sveb/tp", "SVEB TP", "int"),
    ("sveb/fn", "SVEB FN", "int"),
    ("sveb/fp", "SVEB FP", "int"),
)


def worst(rows: Any, n: int = 8) -> list[str]:
    """Which records hold the errors: the largest shares of each error count."""
    lines = ["## Where the errors are", ""]
    scored = rows[rows["status"] == "ok"]
    counted = rows[rows["counted"].astype(bool)]
    picks = [
        ("beat detection, missed beats (FN)", scored, "detection/fn"),
        ("beat detection, false beats (FP)", scored, "detection/fp"),
        ("VEB missed (FN)", counted, "veb/fn"),
        ("VEB false (FP)", counted, "veb/fp"),
        ("SVEB missed (FN)", counted, "sveb/fn"),
        ("SVEB false (FP)", counted, "sveb/fp"),
    ]
    for title, frame, key in picks:
        if key not in frame or frame[key].fillna(0).sum() == 0:
            lines.append(f"- {title}: none")
            continue
        total = frame[key].fillna(0).sum()
        top = frame.sort_values(key, ascending=False).head(n)
        top = top[top[key] > 0]
        listed = ", ".join(f"{r} ({int(v)})" for r, v in zip(top["record"], top[key], strict=True))
        share = top[key].sum() / total
        lines.append(f"- {title}, {int(total)} in all: {listed}: {share:.0%} of them")
    if "auroc" in counted:
        low = counted.sort_values("auroc").head(n)
        listed = ", ".join(
            f"{r} ({a:.3f})" for r, a in zip(low["record"], low["auroc"], strict=True)
        )
        lines.append(f"- lowest ROC-AUC: {listed}")
    return lines


def record_table(rows: Any) -> list[str]:
    """Every record, one line each (paced ones marked ``P``, failed ones with their reason)."""
    cols = [c for c in TABLE if c[0] in rows]
    body = []
    for _, r in rows.iterrows():
        line = [cell(r[key], kind) for key, _, kind in cols]
        if r["paced"]:
            line[0] += " P"
        body.append(line)
    return table([h for _, h, _ in cols], body)
