"""Plain-text tables for the CLI (no colour, fixed columns)."""

from __future__ import annotations

from collections.abc import Sequence

from llmcalc_tui.core.compat import GridRow
from llmcalc_tui.core.estimate import GIB, Estimate
from llmcalc_tui.core.units import (
    fmt_count,
    fmt_duration_band,
    fmt_duration_ms,
    fmt_money,
    fmt_money_per_request,
    fmt_rate,
    fmt_rate_band,
    fmt_sig,
)
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


def _band(est: Estimate, key: str, value: float | None, kind: str) -> str:
    band = est.bands.get(key)
    if kind == "duration":
        return fmt_duration_band(value, band.low if band else None, band.high if band else None)
    return fmt_rate_band(value, band.low if band else None, band.high if band else None)


def needs_text(est: Estimate) -> str:
    """Where the figures would be for a setup that does not fit: "needs 16 x h100-sxm (2 nodes)"."""
    if est.gpus_needed is None:
        return "no number of this device fits it"
    nodes = est.nodes_needed or 1
    return f"needs {est.gpus_needed:,} x {est.hardware_id}" + (f" ({nodes:,} nodes)" if nodes > 1 else "")


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
    lines.append(f"workload: {s.input_tokens:,} in, {s.output_tokens:,} out, batch {est.batch:,}")
    lines.extend(est.lever_lines)  # issue 14: what each pulled lever did, before -> after
    lines.append("")
    if est.memory:
        m = est.memory
        state = {"ok": "fits", "tight": "fits (tight)", "no": "DOES NOT FIT"}[est.fit_state]
        lines.append(f"Memory            {state}")
        lines.append(table(
            ["", "GiB"],
            [["weights", gib2(m.weights)], ["KV cache", gib2(m.kv_cache)],
             *([["  of which fixed state", gib2(m.recurrent_state)]] if m.recurrent_state else []),
             ["activations", gib2(m.activations)], ["overhead", gib2(m.overhead)],
             ["total", gib2(m.total)],
             ["per GPU / budget / capacity",
              f"{gib2(m.per_gpu)} / {gib2(m.budget_per_gpu)} / {gib2(m.capacity_per_gpu)}"],
             ["KV pool per GPU", gib2(max(m.kv_pool_per_gpu, 0))]],
        ))
        lines.append(f"max batch {est.max_batch:,} at this context; max context {est.max_context:,} at this batch")
        if est.gpus_needed is not None:
            nodes = est.nodes_needed or 1
            lines.append(f"smallest count of this device that fits: {est.gpus_needed:,}"
                         + (f" ({nodes:,} nodes)" if nodes > 1 else ""))
        lines.append("")
    if est.memory is not None and not est.fits:
        lines.append(f"Speed and cost     none: does not fit ({needs_text(est)})")
    else:
        lines.append("Speed")
        lines.append(table(
            ["", "value"],
            [["time to first token (running server)", _band(est, "ttft_ms", t.ttft_ms, "duration")],
             ["time to first token (whole batch)", _band(est, "ttft_batch_ms", t.ttft_batch_ms, "duration")],
             ["time per output token", _band(est, "tpot_ms", t.tpot_ms, "duration")],
             ["end to end", fmt_duration_ms(t.end_to_end_ms)],
             ["prefill", _band(est, "prefill_tok_s", t.prefill_tok_s, "rate")],
             ["decode per sequence", _band(est, "decode_tok_s", t.decode_tok_s_per_sequence, "rate")],
             ["decode, all sequences", fmt_rate(t.decode_tok_s_total)],
             ["output total", _band(est, "output_tok_s_total", t.output_tok_s_total, "rate")]],
        ))
        lines.append("")
        basis_word = {"cloud": "rented", "owned": "owned", "api": "API"}.get(c.basis_kind, c.basis_kind)
        lines.append(f"Cost, {basis_word} ({c.basis})")
        month = f"per month at {fmt_sig(s.requests_per_minute, strip=True)} req/min"
        if c.replicas and c.replicas > 1:
            month += f" ({c.replicas:,} copies of this setup)"
        lines.append(table(
            ["", "USD"],
            [["per request", fmt_money_per_request(c.per_request)],
             ["per 1M output tokens" + (" (all-in: input included)" if c.basis_kind == "api" else ""),
              fmt_money(c.per_1m_output_tokens)],
             ["per hour", fmt_money(c.per_hour)], [month, fmt_money(c.per_month)]],
        ))
    if est.warnings:
        lines.append("")
        lines.extend(f"warning: {w}" for w in est.warnings)
    if est.assumptions:
        lines.append("")
        lines.append("Assumptions")
        lines.extend(f"- {a}" for a in est.assumptions)
    return "\n".join(lines)


def gib2(n_bytes: float) -> str:
    return fmt_sig(n_bytes / GIB, decimals=2)


def _speed(tok_s: float | None) -> str:
    if not tok_s:
        return "-"
    return fmt_sig(tok_s, decimals=0) if tok_s >= 100 else fmt_sig(tok_s, strip=True)


def grid_table(rows: Sequence[GridRow]) -> str:
    return table(
        ["hardware", "fits", "GPUs", "nodes", "engine", "max batch", "max context", "tok/s", "out tok/s",
         "$/1M out", "basis"],
        [[r.hardware, r.fits_text, f"{r.gpus_needed:,}" if r.gpus_needed else "-",
          f"{r.nodes_needed:,}" if r.nodes_needed else "-", r.engine,
          f"{r.max_batch:,}" if r.fits else "-",
          f"{r.max_context:,}" if r.fits else "-",
          _speed(r.decode_tok_s), _speed(r.output_tok_s_total),
          fmt_money(r.usd_per_1m_output_tokens) if r.usd_per_1m_output_tokens is not None else "-",
          {"cloud": "rented", "owned": "owned"}.get(r.cost_basis, r.cost_basis)]
         for r in rows],
    )
