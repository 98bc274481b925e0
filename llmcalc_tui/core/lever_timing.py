"""The one place the levers (offload, speculative decoding, prefix caching) ask the timing stage for a cost.

The levers never re-derive a step: they call these three functions, which ask the per-operation
step model of `core/timing.py` (built with `core/perf.py`); a change of the timing model changes
nothing here.
"""

from __future__ import annotations

from llmcalc_tui.catalog.schema import EngineSpec, FormatSpec, HardwareSpec, ModelSpec
from llmcalc_tui.core.perf import perf_profile
from llmcalc_tui.core.timing import StepModel, step_model


def _steps(model: ModelSpec, weights: FormatSpec, kv: FormatSpec, engine: EngineSpec,
           hardware: HardwareSpec) -> StepModel:
    """The per-operation step model of the whole model on one device (tensor parallel 1)."""
    return step_model(model, engine, weights, kv, perf_profile(engine, hardware, weights, model), 1)


def decode_step_s(model: ModelSpec, weights: FormatSpec, kv: FormatSpec, engine: EngineSpec,
                  hardware: HardwareSpec, batch: int, context: float) -> float:
    """One decode step of `batch` sequences on one device holding the whole model."""
    return _steps(model, weights, kv, engine, hardware).decode_seconds(batch, context)


def prefill_s(model: ModelSpec, weights: FormatSpec, engine: EngineSpec, hardware: HardwareSpec,
              batch: int, tokens: int) -> float:
    """Prefill of `batch` prompts of `tokens` tokens on one device holding the whole model."""
    # A prefill step reads no KV cache (its attention is costed by FLOPs), so the step model's KV width is
    # never used here: the weight format stands in for it.
    return _steps(model, weights, weights, engine, hardware).prefill_seconds(batch, tokens)


def verify_pass_s(model: ModelSpec, weights: FormatSpec, kv: FormatSpec, engine: EngineSpec,
                  hardware: HardwareSpec, sequences: int, tokens_per_sequence: int, context: float) -> float:
    """One forward pass over `tokens_per_sequence` new tokens of each of `sequences` sequences (speculative
    verification): the weights are read once for all tokens, each sequence's KV once, logits are computed
    for every token checked, and the FLOPs grow with the tokens. At one token per sequence this is exactly
    decode_step_s."""
    steps = _steps(model, weights, kv, engine, hardware)
    if tokens_per_sequence == 1:
        return steps.decode_seconds(sequences, context)
    rows = sequences * tokens_per_sequence
    return steps.forward_seconds(rows, rows, rows * steps.attention_flops(context),
                                 sequences * steps.kv_read(context), sequences, True)
