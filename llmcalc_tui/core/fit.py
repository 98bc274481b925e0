"""Does a setup fit in memory, up to which batch, and how many devices would it need.

One arithmetic decides `fits`, `max_batch`, the warning that names what breaks the budget, and
`gpus_needed`, so they can never disagree (issue 10: max_batch said 640 while batch 641 fitted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llmcalc_tui.catalog.schema import EngineSpec, FormatSpec, HardwareSpec, ModelSpec
from llmcalc_tui.core import architecture as arch

GIB = 2**30
MAX_BATCH = 1_000_000
MAX_DEVICES = 4096


def kv_bytes_per_value(kv: FormatSpec) -> float:
    return kv.bits_per_weight / 8


def activation_bytes(model: ModelSpec, engine: EngineSpec, batch: int, input_tokens: int) -> float:
    """Peak activation workspace per GPU: fp32 logits plus hidden states for one forward step.

    An engine that preallocates (vLLM) sizes it for its max batched tokens whatever the request;
    one that sizes buffers on demand (llama.cpp) needs at most what the batch's prompts hold.
    """
    tokens = engine.activation_tokens
    if not engine.preallocates_kv:
        tokens = min(tokens, batch * input_tokens)
    return tokens * (4.0 * model.vocab_size + 8.0 * model.hidden_size)


@dataclass(frozen=True, slots=True)
class MemoryPlan:
    """Per-GPU memory of one setup (bytes); every question about fitting is answered from here."""

    model: ModelSpec
    engine: EngineSpec
    input_tokens: int
    context: int
    capacity: float
    budget: float
    """What the engine lets itself use of each GPU."""
    weights: float
    overhead: float
    kv_per_sequence: float
    """KV cache of one sequence at the full context, per GPU."""

    def activations(self, batch: int) -> float:
        return activation_bytes(self.model, self.engine, max(batch, 1), self.input_tokens)

    def pool(self, batch: int) -> float:
        """Bytes left for the KV cache at this batch."""
        return self.budget - self.weights - self.activations(batch) - self.overhead

    def fits(self, batch: int) -> bool:
        if batch < 1:
            return False
        pool = self.pool(batch)
        return pool > 0 and pool >= self.kv_per_sequence * batch

    def max_batch(self) -> int:
        """Largest batch that fits (0 when not even one sequence does); fits(b) is monotone in b."""
        if not self.fits(1):
            return 0
        if self.kv_per_sequence <= 0:
            return MAX_BATCH
        # Past the batch whose prompts fill the engine's batched tokens the activations stop growing, so
        # the largest batch there is a division; below it, a short bisection.
        steady = self.budget - self.weights - self.overhead - activation_bytes(
            self.model, self.engine, MAX_BATCH, self.input_tokens)
        low = max(1, min(MAX_BATCH, int(steady // self.kv_per_sequence)))
        while low > 1 and not self.fits(low):  # float rounding at the boundary
            low -= 1
        if self.fits(low + 1):
            high = min(MAX_BATCH + 1, max(low + 2, -(-self.engine.activation_tokens // self.input_tokens) + 1))
            if self.fits(high):
                high = MAX_BATCH + 1
            while high - low > 1:
                mid = (low + high) // 2
                if self.fits(mid):
                    low = mid
                else:
                    high = mid
        return min(low, MAX_BATCH)

    def breaker(self, batch: int) -> str | None:
        """What breaks the budget at this batch, with the numbers; None when it fits."""
        if self.fits(batch):
            return None
        name = self.engine.name
        budget = f"the {gib(self.budget)} {name} budget"
        if self.weights + self.overhead > self.budget:
            return (f"weights {gib(self.weights)} per GPU plus {gib(self.overhead)} of {name} overhead "
                    f"do not fit in {budget}")
        left = self.budget - self.weights - self.overhead
        act = self.activations(batch)
        if act >= left:
            return (f"activations {gib(act)} do not fit in the {gib(max(left, 0))} left of {budget} "
                    f"after {gib(self.weights)} of weights and {gib(self.overhead)} of {name} overhead")
        act_one = self.activations(1)
        if self.kv_per_sequence > self.pool(1):
            return (f"KV cache of one sequence at {self.context:,} tokens ({gib(self.kv_per_sequence)}) does not "
                    f"fit in the {gib(max(self.pool(1), 0))} left of {budget} after {gib(self.weights)} of "
                    f"weights, {gib(act_one)} of activations and {gib(self.overhead)} of overhead")
        return (f"batch {batch:,} needs {gib(self.kv_per_sequence * batch)} of KV cache, "
                f"{gib(max(self.pool(batch), 0))} is left")


def gib(n_bytes: float) -> str:
    """Bytes for a warning: GiB to one decimal, MiB below 1 GiB (so a small KV cache never reads 0.0 GiB)."""
    if abs(n_bytes) < GIB:
        return f"{n_bytes / 2**20:,.0f} MiB"
    return f"{n_bytes / GIB:,.1f} GiB"


def plan(
    model: ModelSpec, engine: EngineSpec, hw: HardwareSpec, weights: FormatSpec, kv: FormatSpec,
    tp: int, pp: int, input_tokens: int, output_tokens: int,
) -> MemoryPlan:
    shards = tp * pp
    context = input_tokens + output_tokens
    kv_seq = arch.kv_cache_bytes(model, context, kv_bytes_per_value(kv), engine.kv_frees_windowed_layers, tp)
    capacity = hw.usable_bytes
    return MemoryPlan(
        model=model,
        engine=engine,
        input_tokens=input_tokens,
        context=context,
        capacity=capacity,
        budget=capacity * engine.kv_memory_fraction,
        weights=arch.weight_bytes(model, weights).total / shards,
        overhead=engine.overhead_gib * GIB,
        kv_per_sequence=kv_seq / shards,
    )


def split(model: ModelSpec, n: int, engine: EngineSpec | None = None, per_node: int | None = None) -> tuple[int, int]:
    """(tp, pp) for n devices: layers for a pipeline engine, else tensor parallel as wide as the heads
    and one node allow, pipeline stages for the rest."""
    if engine is not None and engine.multi_gpu == "pipeline":
        return 1, n
    tp = min(n, per_node or n)
    while tp > 1 and (model.num_attention_heads % tp or n % tp):
        tp -= 1
    return tp, n // tp


def gpus_needed(
    model: ModelSpec, engine: EngineSpec, hw: HardwareSpec, weights: FormatSpec, kv: FormatSpec,
    batch: int, input_tokens: int, output_tokens: int,
) -> int | None:
    """Smallest number of this device that fits the batch (any number, over nodes of hw.max_devices)."""
    one = plan(model, engine, hw, weights, kv, 1, 1, input_tokens, output_tokens)
    room = one.budget - one.overhead - one.activations(batch)
    if room <= 0:  # activations are per GPU: more devices never shrink them
        return None
    bpv = kv_bytes_per_value(kv)
    fixed = one.overhead + one.activations(batch)
    for n in range(max(1, math.ceil(one.weights / room)), MAX_DEVICES + 1):
        tp, pp = split(model, n, engine, hw.max_devices)
        if pp > model.num_layers:
            return None
        kv_batch = batch * arch.kv_cache_bytes(model, one.context, bpv, engine.kv_frees_windowed_layers, tp) / n
        pool = one.budget - one.weights / n - fixed  # the same arithmetic as MemoryPlan.fits
        if pool > 0 and pool >= kv_batch:
            return n
    return None


def nodes_for(gpus: int | None, hw: HardwareSpec) -> int | None:
    return None if gpus is None else math.ceil(gpus / hw.max_devices)
