"""Plain-text tables for the CLI (no colour, fixed columns)."""

from __future__ import annotations

from collections.abc import Sequence

from llmcalc_tui.core.compat import GridRow
from llmcalc_tui.core.estimate import GIB, Estimate
from llmcalc_tui.core.units import fmt_count, fmt_duration_ms, fmt_money, fmt_rate
from llmcalc_tui.text_safety import cell_width, pad, visible


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their display width (CJK counts double); cell text has its control characters made visible."""
    cells = [[visible(str(c)) for c in headers]] + [[("" if c is None else visible(str(c))) for c in row] for row in rows]
    widths = [max(cell_width(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(pad(c, w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _band(est: Estimate, key: str) -> str:
    band = est.bands.get(key)
    return f" ({band.low:,.3g} to {band.high:,.3g})" if band else ""


def estimate_table(est: Estimate) -> str:
    s = est.scenario
    t = est.timing
    c = est.cost
    lines = [f"{est.model_name} ({est.model_id})"]
    if est.params_total:
        active = f", {fmt_count(est.params_active)} active" if est.params_active != est.params_total else ""
        lines[0] += f": {fmt_count(est.params_total)} parameters{active}"
    if est.hardware_id:
        lines.append(
            f"{est.gpus} x {est.hardware_id} (tp {est.tp}, pp {est.pp}), {est.engine_id}, weights {est.weights_format},"
            f" KV {est.kv_format}, {est.deployment}"
        )
    else:
        lines.append("hosted API")
    lines.append(f"workload: {s.input_tokens:,} in, {s.output_tokens:,} out, batch {est.batch}")
    lines.append("")
    if est.memory:
        m = est.memory
        state = {"ok": "fits", "tight": "fits (tight)", "no": "DOES NOT FIT"}[est.fit_state]
        lines.append(f"Memory            {state}")
        lines.append(table(
            ["", "GiB"],
            [["weights", f"{m.weights / GIB:,.2f}"], ["KV cache", f"{m.kv_cache / GIB:,.2f}"],
             ["activations", f"{m.activations / GIB:,.2f}"], ["overhead", f"{m.overhead / GIB:,.2f}"],
             ["total", f"{m.total / GIB:,.2f}"],
             ["per GPU / capacity", f"{m.per_gpu / GIB:,.2f} / {m.capacity_per_gpu / GIB:,.2f}"],
             ["KV pool per GPU", f"{max(m.kv_pool_per_gpu, 0) / GIB:,.2f}"]],
        ))
        lines.append(f"max batch {est.max_batch:,} at this context; max context {est.max_context:,} at this batch")
        lines.append("")
    lines.append("Speed")
    lines.append(table(
        ["", "value"],
        [["time to first token", fmt_duration_ms(t.ttft_ms) + _band(est, "ttft_ms")],
         ["time per output token", fmt_duration_ms(t.tpot_ms) + _band(est, "tpot_ms")],
         ["end to end", fmt_duration_ms(t.end_to_end_ms)],
         ["prefill", fmt_rate(t.prefill_tok_s) + _band(est, "prefill_tok_s")],
         ["decode per sequence", fmt_rate(t.decode_tok_s_per_sequence) + _band(est, "decode_tok_s")],
         ["output total", fmt_rate(t.output_tok_s_total) + _band(est, "output_tok_s_total")]],
    ))
    lines.append("")
    lines.append(f"Cost ({c.basis})")
    lines.append(table(
        ["", "USD"],
        [["per request", fmt_money(c.per_request)], ["per 1M output tokens", fmt_money(c.per_1m_output_tokens)],
         ["per hour", fmt_money(c.per_hour)], [f"per month at {s.requests_per_minute:g} req/min", fmt_money(c.per_month)]],
    ))
    if est.warnings:
        lines.append("")
        lines.extend(f"warning: {w}" for w in est.warnings)
    if est.assumptions:
        lines.append("")
        lines.append("Assumptions")
        lines.extend(f"- {a}" for a in est.assumptions)
    return "\n".join(lines)


def grid_table(rows: Sequence[GridRow]) -> str:
    return table(
        ["hardware", "fits", "GPUs", "max batch", "max context", "tok/s", "$/1M out"],
        [[r.hardware, r.fit_state, r.gpus_needed or "-", f"{r.max_batch:,}" if r.fits else "-",
          f"{r.max_context:,}" if r.fits else "-",
          f"{r.decode_tok_s:,.1f}" if r.decode_tok_s else "-",
          fmt_money(r.usd_per_1m_output_tokens) if r.usd_per_1m_output_tokens is not None else "-"]
         for r in rows],
    )
