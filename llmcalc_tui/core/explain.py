"""The assumption and warning texts of a self-hosted estimate: what the numbers rest on, what to watch."""

from __future__ import annotations

from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core.cost import Cost
from llmcalc_tui.core.fit import kv_bytes_per_value, nodes_for
from llmcalc_tui.core.perf import BACKEND_NAMES, Perf
from llmcalc_tui.core.scenario import Resolved
from llmcalc_tui.core.timing import StepModel
from llmcalc_tui.core.units import fmt_sig

GIB = 2**30


def explain(
    r: Resolved, assumptions: list[str], warnings: list[str], *, wb: arch.WeightBytes, mem, perf: Perf,
    batch: int, fits: bool, max_batch: int, max_context: int, needed: int | None, cost: Cost,
    steps: StepModel | None = None,
) -> None:
    """The assumption and warning texts of a self-hosted estimate."""
    s = r.scenario
    model, hw, engine, wfmt, kvfmt = r.model, r.hardware, r.engine, r.weights, r.kv
    assert model and hw and engine and wfmt and kvfmt
    windowed = engine.kv_frees_windowed_layers
    context = s.input_tokens + s.output_tokens
    shards = r.tp * r.pp
    bpv = kv_bytes_per_value(kvfmt)
    assumptions.extend(
        [
            f"{engine.name} on {hw.name}, {BACKEND_NAMES.get(perf.backend, perf.backend)} backend: weights read at "
            f"{perf.memory_share:.0%} of {hw.bandwidth_gb_s:,.0f} GB/s; matmuls at up to {perf.eta_max:.0%} of the "
            f"{perf.precision} peak ({fmt_sig(perf.peak_flops / 1e12, strip=True)} TFLOPS)"
            + (f", half of that at {perf.half_tokens:.0f} tokens per step" if perf.half_tokens else "")
            + "; each operation of a step (matmuls, attention, logits, element-wise, all-reduce) on its own roofline",
            f"weights {wfmt.name}: {wb.total / GIB:.2f} GiB"
            + (" (MoE: all experts resident, only routed experts read per token)" if model.is_moe else "")
            + (f"; includes the vision tower, {wb.vision / GIB:.2f} GiB at 16 bits (loaded to serve images)"
               if wb.vision else "")
            + (" as stored in the checkpoint" if model.checkpoint_bytes and wfmt.id == model.native_dtype else ""),
            f"KV cache {kvfmt.name}: {arch.kv_bytes_per_token(model, bpv) / 1024:.1f} KiB/token at full context"
            + (f"; {model.sliding_window_layers} layers capped at the {model.sliding_window}-token window"
               if windowed and model.sliding_window_layers else "")
            + (f"; plus {arch.recurrent_state_bytes(model) / 2**20:.1f} MiB fixed state per sequence"
               f" (fp32 recurrent state)" if model.has_recurrent_state else ""),
            f"memory budget per GPU {mem.budget / GIB:.1f} GiB = {engine.kv_memory_fraction:.0%} of "
            f"{mem.capacity / GIB:.1f} GiB usable"
            + (f" ({hw.usable_memory_fraction:.0%} of unified memory)" if hw.usable_memory_fraction < 1 else ""),
            "TTFT: one request's wait on a server already running the batch (its prefill shares steps with "
            f"{batch - 1} running decode(s)); TTFT (batch) prefills all {batch} prompt(s) together",
        ]
    )
    if steps is not None:
        micro = batch / min(r.pp, batch)
        context = s.input_tokens + s.output_tokens / 2.0
        assumptions.append(f"decode step ({fmt_sig(micro, strip=True)} sequence(s) at {context:,.0f} tokens of context): "
                           + step_breakdown(steps.operations(
                               micro, micro, micro * steps.attention_flops(context), micro * steps.kv_read(context),
                               micro, decode_only=True), steps.perf.host_overlaps_device))
    if s.backend:
        assumptions.append(f"backend {BACKEND_NAMES.get(s.backend, s.backend)} as chosen (--backend), not the engine's default")
    if perf.path == "tensor" and perf.precision != wfmt.compute_precision:
        assumptions.append(
            f"{hw.name} has no {wfmt.compute_precision} peak: matmuls run at its {perf.precision} rate"
        )
    if r.tp > 1:
        assumptions.append(
            f"tensor parallel {r.tp}: 2 all-reduces per layer over "
            f"{hw.interconnect if hw.interconnect_gb_s else 'the host link'}"
        )
    if r.pp > 1:
        how = "layers split across GPUs (the engine's default)" if engine.multi_gpu == "pipeline" and r.tp == 1 \
            else "pipeline parallel"
        assumptions.append(
            f"{how}, {r.pp} stages: memory is shared, one sequence walks the stages in turn (no faster than one "
            "GPU, plus a hand-off per stage); a batch is cut into micro-batches that keep the stages busy"
        )
    if r.replicas > 1:
        assumptions.append(f"{r.replicas} data-parallel replicas of tp x pp = {shards} GPUs")
    if cost.replicas and cost.replicas > 1:
        assumptions.append(
            f"{fmt_sig(s.requests_per_minute, strip=True)} requests/min need {cost.replicas} copies of this setup; $/month counts "
            "all of them, $/hour and $/1M are for one"
        )
    if not model.is_mla and r.tp > model.num_key_value_heads:
        warnings.append(
            f"tp={r.tp} exceeds the {model.num_key_value_heads} KV heads: KV heads are replicated"
        )
    if not fits:
        reason = mem.breaker(batch)
        where = ""
        if needed is not None:
            nodes = nodes_for(needed, hw) or 1
            where = f"; needs {needed} x {hw.name}" + (f" ({nodes} nodes of {hw.max_devices})" if nodes > 1 else "")
        if max_batch >= 1 and batch > max_batch:
            warnings.append(f"does not fit: fits up to batch {max_batch:,} ({reason})")
        else:
            warnings.append(f"does not fit: {reason}{where}")
    if isinstance(s.batch, int) and s.batch > engine.max_concurrent_sequences:
        warnings.append(
            f"batch {s.batch} exceeds {engine.name}'s default of {engine.max_concurrent_sequences} concurrent sequences"
        )
    if model.sliding_window and context > model.sliding_window and model.sliding_window_layers == model.num_layers:
        warnings.append(f"{model.name} attends to only the last {model.sliding_window} tokens")


def step_breakdown(ops, overlapped: bool, top: int = 4) -> str:
    """The largest operations of a step, with what bounds each: "6.1 ms = dense matmuls 4.2 ms (memory), ..."."""
    host = sum(op.seconds for op in ops if op.bound == "host")
    device = sum(op.seconds for op in ops) - host
    total = max(host, device) if overlapped else host + device
    shown = sorted((op for op in ops if op.seconds > 0), key=lambda op: -op.seconds)[:top]
    parts = ", ".join(f"{op.name} {fmt_sig(op.seconds * 1e3, strip=True)} ms ({op.bound})" for op in shown)
    return f"{fmt_sig(total * 1e3, strip=True)} ms" + (" (host time overlaps the device's)" if overlapped else "") + f" = {parts}"
