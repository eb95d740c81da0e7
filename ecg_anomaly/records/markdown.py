"""``results.md`` of a database benchmark: our gross figures beside the published ones.

The anchors are those of issue 20: R-peak detectors on all 48 MIT-BIH records, and
*supervised* patient-specific classifiers on the 44 non-paced records (Hu 1997's protocol:
each record's first 5 minutes train, the rest test), whereas ours use no label at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecg_anomaly.records.tables import cell, missing, pct, record_table, table, worst

#: Published beat detection on the MIT-BIH Arrhythmia Database: (Se %, +P %, source).
DETECTION_ANCHORS = (
    ("Pan & Tompkins 1985", 99.75, 99.54, "published"),
    ("Elgendi 2013", 99.78, 99.87, "published"),
    ("wfdb xqrs", 99.20, 99.30, "measured here on all 48 records (issue 20)"),
)
#: Published patient-specific VEB and SVEB figures (supervised): (VEB Se, VEB +P, SVEB Se,
#: SVEB +P), in %.
CLASS_ANCHORS = (
    ("Kiranyaz 2016, 1-D CNN", 95.0, 89.5, 64.6, 62.1),
    ("de Chazal & Reilly 2006", 94.3, 96.2, 87.7, 47.0),
    ("Ince 2009", 84.6, 86.7, 63.5, 53.7),
)
#: The goals of issue 20, as fractions: (key, lowest value).
GOALS = (
    ("detection/sensitivity", 0.998),
    ("detection/ppv", 0.998),
    ("veb/sensitivity", 0.95),
    ("veb/ppv", 0.95),
    ("sveb/sensitivity", 0.80),
    ("sveb/ppv", 0.60),
)


def anchor_tables(s: Mapping[str, Any], xqrs: Mapping[str, Any] | None = None) -> list[str]:
    """Our gross figures beside the detection and VEB/SVEB anchors, and the goals reached."""
    rows = [[f"**ours** ({s['records']} records)", pct(s["detection/sensitivity"]),
             pct(s["detection/ppv"]), "this run"]]  # fmt: skip
    if xqrs:
        rows.append(
            [
                f"wfdb xqrs ({xqrs['records']} records)",
                pct(xqrs["sensitivity"]),
                pct(xqrs["ppv"]),
                "measured here (--xqrs: same channel, same matching)",
            ]
        )
    rows += [[name, f"{se:.2f}", f"{ppv:.2f}", note] for name, se, ppv, note in DETECTION_ANCHORS
             if not (xqrs and name == "wfdb xqrs")]  # fmt: skip
    lines = ["## Beat detection (EC57, 150 ms window, TP/FN/FP summed over records)", ""]
    lines += table(["method", "Se %", "+P %", "source"], rows)
    counted = s["records/counted"]
    lines += ["", f"## VEB and SVEB ({counted} records: first 5 minutes train, the rest test)", ""]
    rows = [
        [
            f"**ours, no labels** ({counted} records)",
            *(pct(s[f"{k}/{m}"], 1) for k in ("veb", "sveb") for m in ("sensitivity", "ppv")),
        ]
    ]
    rows += [[name, *(f"{v:.1f}" for v in values)] for name, *values in CLASS_ANCHORS]
    lines += table(["method (anchors supervised)", "VEB Se %", "VEB +P %", "SVEB Se %",
                    "SVEB +P %"], rows)  # fmt: skip
    lines += ["", "## Goals (issue 20)", ""]
    rows = [[key, f"≥ {100 * low:g} %", pct(s[key]),
             "reached" if not missing(s[key]) and s[key] >= low else "**not reached**"]
            for key, low in GOALS]  # fmt: skip
    lines += table(["figure", "goal", "ours %", ""], rows)
    return lines


def other_figures(s: Mapping[str, Any]) -> list[str]:
    """Abnormal beats of any class, each class's recall, ROC-AUC over records."""
    rows = [
        ["abnormal beats (S, V, F, Q) found: Se", pct(s["abnormal/sensitivity"])],
        ["flagged beats that are abnormal: +P", pct(s["abnormal/ppv"])],
        ["normal beats not flagged: specificity", pct(s["abnormal/specificity"])],
        *([f"class {c} flagged (recall)", pct(s.get(f"recall/{c}"))] for c in "SVFQ"),
        ["ROC-AUC, median over records", cell(s["auroc/median"], "3")],
        ["ROC-AUC, lowest", cell(s["auroc/min"], "3")],
        [f"records with ROC-AUC < {0.97}", str(s["auroc/below_0.97"])],
        ["PR-AUC, median over records", cell(s["auprc/median"], "3")],
    ]
    return ["## Abnormal beats, pooled over the same records", "", *table(["", "%"], rows)]


def stage_table(s: Mapping[str, Any]) -> list[str]:
    """Seconds of each stage, summed over records, beside the wall-clock times."""
    from ecg_anomaly.records.tally import STAGES

    stages = [(k, s.get(f"time/{k}_seconds")) for k in STAGES]
    total = sum(v for _, v in stages if v is not None)
    rows = [[k, f"{v:.1f}", f"{v / total:.0%}" if total else "-"]
            for k, v in stages if v is not None]  # fmt: skip
    rows.append(["all stages (summed over jobs)", f"{total:.1f}", "100%"])
    for key in ("sweep", "xqrs", "aggregate", "total", "cpu"):
        if f"time/{key}_seconds" in s:
            what = "CPU time, all processes" if key == "cpu" else f"wall clock: {key}"
            rows.append([what, f"{s[f'time/{key}_seconds']:.1f}", ""])
    return table(["stage", "seconds", "share"], rows)


def failures(s: Mapping[str, Any]) -> list[str]:
    """One line per record that could not be scored."""
    return [f"- record {r}: {why}" for r, why in s["failures"].items()] or ["- none"]


def _took(s: Mapping[str, Any]) -> str:
    if "time/total_seconds" not in s:
        return ""
    run = s.get("records/run", s["records"])
    text = f"{run} records run in {s['time/total_seconds']:.0f} s (wall clock, the whole command)"
    if "time/cpu_seconds" in s:
        text += f", {s['time/cpu_seconds']:.0f} CPU seconds in all processes"
    return text + "."


def document(s: Mapping[str, Any], rows: Any, xqrs: Mapping[str, Any] | None, figure: str) -> str:
    """The whole ``results.md``."""
    paced = ", ".join(s["records/paced"]) or "none"
    rule = {
        "score": "beat detection only (left out of the arrhythmia figures, as EC57 does)",
        "include": "counted everywhere",
        "skip": "not run",
    }[s["paced_rule"]]
    lines = [
        "# Records benchmark",
        "",
        f"Command: `{s['command']}`",
        *(["", f"Tables rewritten by: `{s['command/tables']}`"] if "command/tables" in s else []),
        "",
        f"Database: `{s.get('db', '?')}`. Machine: {s['machine']}. {_took(s)}",
        "",
        f"{s['records']} records scored; paced records ({paced}): {rule}. Each record trains its "
        "own model on its first minutes with no label (by default on the dominant beats of that "
        "span) and is tested on the rest. Gross figures: counts summed over records, rates from "
        "the sums. "
        "A flagged beat is typed V when its QRS (R +- 60 ms) lies far from the training beats' "
        "median QRS, else S, or Q (abnormal, untyped) when it comes in an irregular rhythm "
        "(ecg_anomaly/recordings/timing.py); EC57 counts (ecg_anomaly/recordings/ec57.py): VEB "
        "false positives exclude F and Q beats, SVEB false positives exclude Q beats.",
        "",
        *anchor_tables(s, xqrs),
        "",
        *other_figures(s),
        "",
        *worst(rows),
        "",
        "## Records that could not be scored",
        "",
        *failures(s),
        "",
        "## Time",
        "",
        "Seconds of each stage of every record's run (`time/...` of its `metrics.json`), summed "
        "over the jobs (side by side): each on its job's wall clock, so on a shared machine they "
        "include waiting for a core. The CPU time is that of every process of the command.",
        "",
        *stage_table(s),
        "",
        f"![per record]({figure})",
        "",
        "## Every record",
        "",
        "Detection over the whole record; everything else over the test part. `P`: paced.",
        "",
        *record_table(rows),
        "",
    ]
    return "\n".join(lines)
