"""The results as a Markdown table: one row per measure, its target, verdict and comparisons."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt", "table"]


def fmt(value: Any, unit: str = "") -> str:
    """``0.0101`` -> ``0.0101``, ``645.9`` -> ``646``; with the unit after a space (none for %)."""
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude == 0 or magnitude >= 100:
        text = f"{value:,.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    if not unit:
        return text
    return f"{text}{unit}" if unit.startswith("%") and unit == "%" else f"{text} {unit}"


def _beside(measure: dict[str, Any]) -> str:
    parts = []
    for item in measure.get("beside", []):
        if item["value"] is None:
            parts.append(f"{item['label']}: {item['note'] or 'n/a'}")
        else:
            parts.append(f"{item['label']} {fmt(item['value'], item['unit'])}")
    return "; ".join(parts)


def _verdict(measure: dict[str, Any]) -> str:
    passed = measure.get("passed")
    if passed is None:
        return "" if measure.get("limit") is None else "n/a"
    return "pass" if passed else "**miss**"


def table(results: dict[str, Any]) -> str:
    machine = results["machine"]
    kind = "quick smoke (--quick)" if results.get("quick") else "full run"
    lines = [
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Python {machine['python']} ({machine['platform']}); {kind}, {results['date']}, "
        f"{results['seconds']:.0f} s",
        "",
        "| Figure | Measure | veo_magic | Target | Result | Beside it |",
        "|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for figure in results["figures"]:
        title = figure["title"].split(":")[0]
        if figure.get("error"):
            error = " ".join(figure["error"].split())[-200:].replace("|", "/")
            lines.append(f"| {title} | failed | n/a | | **error** | {error} |")
            continue
        for measure in figure["measures"]:
            label = measure["label"]
            if measure.get("note"):
                notes.append(measure["note"])
                label += f" [{len(notes)}]"
            row = [
                title,
                label,
                fmt(measure["value"], measure["unit"]),
                measure.get("target", ""),
                _verdict(measure),
                _beside(measure),
            ]
            lines.append("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
            title = ""
    if notes:
        lines.append("")
        lines += [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(lines)
