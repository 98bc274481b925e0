"""Scenarios with their results as Markdown, CSV or JSON, and the rows of a side-by-side comparison."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from llmcalc_tui.core.estimate import GIB, Estimate
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.core.units import fmt_duration_ms, fmt_gib, fmt_money, fmt_rate, fmt_sig

ExportFormat = Literal["md", "csv", "json"]
FORMATS: tuple[ExportFormat, ...] = ("md", "csv", "json")
ExportItem = tuple[str, Scenario, Estimate | None, str | None]
"""(display name, saved inputs, estimate or None, why there is no estimate or None)."""

CSV_COLUMNS = (
    "name", "model", "weights", "kv_cache", "hardware", "gpus", "tp", "pp", "engine",
    "input_tokens", "output_tokens", "batch", "deployment", "fits",
    "memory_total_gib", "memory_per_gpu_gib", "ttft_ms", "tpot_ms", "end_to_end_ms",
    "prefill_tok_s", "decode_tok_s", "output_tok_s_total",
    "usd_per_request", "usd_per_1m_output_tokens", "usd_per_hour", "usd_per_month", "error",
)
"""Stable CSV header: setup as estimated (saved inputs when there is no estimate), then results."""


# ----------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class CompareRow:
    """One row of a comparison: a label, one formatted value per scenario, and the best column."""

    label: str
    values: list[str]
    best_index: int | None
    """Column holding the best value; None for text rows, ties, or fewer than two candidates.

    A setup that does not fit in memory is never a candidate: its speed and cost are not real.
    """
    key: str = ""
    """Stable id of the row (for JSON and styling)."""
    numbers: tuple[float | None, ...] = ()
    """The raw values the best was chosen from (None where a scenario has none)."""
    better: Literal["lower", "higher"] | None = None


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


_Metric = tuple[str, str, Callable[[Estimate], float | None], Callable[[float | None], str], Literal["lower", "higher"]]
METRICS: tuple[_Metric, ...] = (
    ("memory_total", "Memory (total)", lambda e: e.memory.total if e.memory else None, fmt_gib, "lower"),
    ("memory_per_gpu", "Memory per GPU", lambda e: e.memory.per_gpu if e.memory else None, fmt_gib, "lower"),
    ("ttft", "TTFT", lambda e: e.timing.ttft_ms, fmt_duration_ms, "lower"),
    ("tpot", "TPOT", lambda e: e.timing.tpot_ms, fmt_duration_ms, "lower"),
    ("throughput", "Throughput (output)", lambda e: e.timing.output_tok_s_total, fmt_rate, "higher"),
    ("cost_per_1m", "Cost / 1M output tokens", lambda e: e.cost.per_1m_output_tokens, fmt_money, "lower"),
    ("cost_per_month", "Cost / month", lambda e: e.cost.per_month, fmt_money, "lower"),
)
"""Compared metrics: key, label, value, formatter, which direction is better."""


def _best(numbers: Sequence[float | None], runnable: Sequence[bool], better: str) -> int | None:
    """Index of the best runnable value, when at least two values can be compared and they differ."""
    present = [x for x in numbers if x is not None]
    if len(present) < 2 or len(set(present)) == 1:
        return None
    candidates = [(i, x) for i, (x, ok) in enumerate(zip(numbers, runnable)) if x is not None and ok]
    if not candidates:
        return None
    pick = min if better == "lower" else max
    return pick(candidates, key=lambda item: item[1])[0]


def _setup(est: Estimate) -> str:
    if est.hardware_id is None:
        return f"{est.deployment} (no hardware)"
    return f"{est.gpus} x {est.hardware_id}, {est.engine_id}"


def compare_rows(estimates: Sequence[Estimate | None]) -> list[CompareRow]:
    """Rows for comparing scenarios side by side; None stands for a scenario that could not be estimated."""
    rows = [
        CompareRow("Model", [e.model_id if e else "-" for e in estimates], None, "model"),
        CompareRow("Setup", [_setup(e) if e else "-" for e in estimates], None, "setup"),
        CompareRow("Weights / KV", [f"{e.weights_format or '-'} / {e.kv_format or '-'}" if e else "-" for e in estimates],
                   None, "formats"),
        CompareRow("Batch", [str(e.batch) if e else "-" for e in estimates], None, "batch"),
        CompareRow("Fits", [(e.fit_state if e.hardware_id else "n/a") if e else "-" for e in estimates], None, "fits"),
    ]
    runnable = [e is not None and e.fit_state != "no" for e in estimates]
    for key, label, value, fmt, better in METRICS:
        numbers = tuple(_finite(value(e)) if e else None for e in estimates)
        rows.append(CompareRow(label, [fmt(x) for x in numbers], _best(numbers, runnable, better), key, numbers, better))
    return rows


# ----------------------------------------------------------------------------- export


def _gib(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x / GIB, 4)


def flat_record(name: str, scenario: Scenario, est: Estimate | None, error: str | None) -> dict[str, object]:
    """One scenario as the flat record behind the CSV columns (None for values that do not apply)."""
    if est is not None:
        result = est.to_json()
        setup: dict[str, object] = {
            "model": est.model_id,
            "weights": est.weights_format,
            "kv_cache": est.kv_format,
            "hardware": est.hardware_id,
            "gpus": est.gpus,
            "tp": est.tp,
            "pp": est.pp,
            "engine": est.engine_id,
            "input_tokens": scenario.input_tokens,
            "output_tokens": scenario.output_tokens,
            "batch": est.batch,
            "deployment": est.deployment,
            "fits": est.fits,
        }
        latency, rate, cost = result["latency_ms"], result["throughput_tok_s"], result["cost_usd"]
        outputs: dict[str, object] = {
            "memory_total_gib": _gib(est.memory.total) if est.memory else None,
            "memory_per_gpu_gib": _gib(est.memory.per_gpu) if est.memory else None,
            "ttft_ms": latency["ttft"],
            "tpot_ms": latency["tpot"],
            "end_to_end_ms": latency["end_to_end"],
            "prefill_tok_s": rate["prefill"],
            "decode_tok_s": rate["decode_per_sequence"],
            "output_tok_s_total": rate["output_total"],
            "usd_per_request": cost["per_request"],
            "usd_per_1m_output_tokens": cost["per_1m_output_tokens"],
            "usd_per_hour": cost["per_hour"],
            "usd_per_month": cost["per_month"],
        }
    else:
        setup = {
            "model": scenario.model,
            "weights": scenario.weights,
            "kv_cache": scenario.kv_cache,
            "hardware": scenario.hardware,
            "gpus": scenario.gpus,
            "tp": scenario.tp,
            "pp": scenario.pp,
            "engine": scenario.engine,
            "input_tokens": scenario.input_tokens,
            "output_tokens": scenario.output_tokens,
            "batch": scenario.batch,
            "deployment": scenario.deployment,
            "fits": None,
        }
        outputs = {column: None for column in CSV_COLUMNS[14:-1]}
    record: dict[str, object] = {"name": name, **setup, **outputs, "error": error if est is None else None}
    assert tuple(record) == CSV_COLUMNS
    return record


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|") or " "


def _export_md(items: Sequence[ExportItem]) -> str:
    ests = [est for _, _, est, _ in items]
    inputs: list[tuple[str, Callable[[Scenario], object]]] = [
        ("Model", lambda s: s.model),
        ("Weights", lambda s: s.weights or "native"),
        ("KV cache", lambda s: s.kv_cache),
        ("Hardware", lambda s: s.hardware),
        ("GPUs", lambda s: s.gpus),
        ("TP x PP", lambda s: f"{s.tp if s.tp is not None else 'auto'} x {s.pp}"),
        ("Engine", lambda s: s.engine or "auto"),
        ("Input / output tokens", lambda s: f"{s.input_tokens:,} / {s.output_tokens:,}"),
        ("Batch", lambda s: s.batch),
        ("Deployment", lambda s: s.deployment or "auto"),
        ("Requests / minute", lambda s: fmt_sig(s.requests_per_minute, strip=True)),
    ]
    header = ["", *(name for name, _, _, _ in items)]
    body: list[list[str]] = [[label, *(str(get(s)) for _, s, _, _ in items)] for label, get in inputs]
    for row in compare_rows(ests):
        if row.key in ("model", "setup", "formats", "batch"):
            continue
        values = [f"**{v}**" if i == row.best_index else v for i, v in enumerate(row.values)]
        body.append([row.label, *values])
    body.append(["Latency end to end", *(fmt_duration_ms(e.timing.end_to_end_ms) if e else "-" for e in ests)])
    body.append(["Cost / request", *(fmt_money(e.cost.per_request) if e else "-" for e in ests)])
    body.append(["Cost / hour", *(fmt_money(e.cost.per_hour) if e else "-" for e in ests)])
    if any(err for _, _, _, err in items):
        body.append(["Error", *(err or "" for _, _, _, err in items)])
    lines = [
        "| " + " | ".join(_md_cell(c) for c in header) + " |",
        "|" + "---|" + "---:|" * len(items),
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in body]
    if any(row.best_index is not None for row in compare_rows(ests)):
        lines += ["", "Bold: the best value of the row."]
    return "\n".join(lines) + "\n"


def _export_csv(items: Sequence[ExportItem]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow([_csv_cell(v) for v in flat_record(*item).values()])
    return buffer.getvalue()


def export_json_objects(items: Sequence[ExportItem]) -> list[dict[str, object]]:
    """The objects of the JSON export: name, saved inputs, the estimate JSON (or null) and the error."""
    return [
        {
            "name": name,
            "inputs": scenario.model_dump(mode="json"),
            "result": est.to_json() if est is not None else None,
            "error": error if est is None else None,
        }
        for name, scenario, est, error in items
    ]


def export_scenarios(items: Sequence[ExportItem], fmt: ExportFormat) -> str:
    """Scenarios and their results as Markdown (one table, a column each), CSV (a row each) or JSON (a list)."""
    if fmt == "md":
        return _export_md(items)
    if fmt == "csv":
        return _export_csv(items)
    if fmt == "json":
        return json.dumps(export_json_objects(items), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
