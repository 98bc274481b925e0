"""The one place the levers (offload, speculative decoding, prefix caching) ask the timing stage for a cost.

The levers never re-derive a step: they call these three functions, which adapt today's
`core/estimate.py` step model (step_seconds, prefill_seconds, perf_profile). When the timing model
moves to per-operation costs (core/timing.py), only this module changes.
"""

from __future__ import annotations

from llmcalc_tui.catalog.schema import EngineSpec, FormatSpec, HardwareSpec, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core import estimate as timing
from llmcalc_tui.core.fit import kv_bytes_per_value


def decode_step_s(model: ModelSpec, weights: FormatSpec, kv: FormatSpec, engine: EngineSpec,
                  hardware: HardwareSpec, batch: int, context: float) -> float:
    """One decode step of `batch` sequences on one device holding the whole model."""
    perf = timing.perf_profile(engine, hardware, weights, model)
    wb = arch.weight_bytes(model, weights)
    return timing.step_seconds(model, wb, kv, engine, perf, 1, batch, context)


def prefill_s(model: ModelSpec, weights: FormatSpec, engine: EngineSpec, hardware: HardwareSpec,
              batch: int, tokens: int) -> float:
    """Prefill of `batch` prompts of `tokens` tokens on one device holding the whole model."""
    perf = timing.perf_profile(engine, hardware, weights, model)
    wb = arch.weight_bytes(model, weights)
    return timing.prefill_seconds(model, wb, engine, perf, 1, batch, tokens)


def verify_pass_s(model: ModelSpec, weights: FormatSpec, kv: FormatSpec, engine: EngineSpec,
                  hardware: HardwareSpec, sequences: int, tokens_per_sequence: int, context: float) -> float:
    """One forward pass over `tokens_per_sequence` new tokens of each of `sequences` sequences (speculative
    verification): weights are read once for all tokens, each sequence's KV once, and the FLOPs grow with
    the tokens. At one token per sequence this is exactly decode_step_s.

    Adapter over today's step model (the same terms as estimate.step_seconds, tokens and sequences
    counted apart); the per-operation timing stage replaces it.
    """
    if tokens_per_sequence == 1:
        return decode_step_s(model, weights, kv, engine, hardware, sequences, context)
    perf = timing.perf_profile(engine, hardware, weights, model)
    wb = arch.weight_bytes(model, weights)
    tokens = sequences * tokens_per_sequence
    touched = arch.expected_experts_touched(model, tokens)
    weight_read = wb.non_expert_read + model.moe_layers * touched * wb.per_expert_layer
    kv_read = sequences * arch.kv_cache_bytes(
        model, int(context), kv_bytes_per_value(kv), engine.kv_frees_windowed_layers, 1)
    t_mem = weight_read / perf.bandwidth + kv_read / perf.kv_bandwidth
    flops = tokens * (arch.matmul_flops_per_token(model) + arch.attention_flops_per_token(model, context))
    t_compute = flops / (perf.decode_flops * perf.moe_compute) * (1.0 + perf.dequant)
    return perf.combine(t_mem, t_compute) + perf.step_overhead_s
