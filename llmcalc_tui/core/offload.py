"""Partial offload to system RAM as llama.cpp and Ollama do it: layers, MoE experts and KV cache placed
on the GPU or in RAM, the memory of each device, and the speed of the split model.

Placement (llama.cpp `llama-model.cpp`): `--n-gpu-layers N` puts the last N repeating layers on the GPU and
the first L - N in RAM; the token embedding is looked up on the host; the output matrix joins the GPU only
when every layer does (here N = L stands for llama.cpp's `-ngl 999`). `--cpu-moe` / `--n-cpu-moe N` keep
the routed-expert tensors of all / the first N layers in RAM while their attention stays on the GPU.
A layer's KV cache lives with its layer (`--no-kv-offload`: all of it in RAM).

Layers are taken as equal: each holds 1/L of the repeating layers' weights (dense part and experts).
Models whose layers differ in size (a few dense layers before MoE ones) split a little off.

Speed per decode step: the GPU part costs its share of a whole-model GPU step (from core/lever_timing),
the RAM part reads its bytes at the host's RAM bandwidth (or computes at the CPU's rate, the slower of
the two), and each GPU<->CPU crossing pays a transfer of the hidden state over PCIe. Prefill: for a
batch of 32 tokens or more llama.cpp copies the offloaded weights to the GPU and computes there
(ggml-backend's op offload); the model takes, per batch of the engine's ubatch tokens, the faster of
streaming the RAM part over PCIe and computing it on the CPU, and says which.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llmcalc_tui.catalog.schema import Catalog, EngineSpec, FormatSpec, HardwareSpec, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core import lever_timing
from llmcalc_tui.core.fit import activation_bytes, kv_bytes_per_value

GIB = 2**30
NO_OFFLOAD_KINDS = ("apple", "edge", "cpu")
"""Unified memory or no accelerator: the weights already sit in the one memory there is."""
OP_OFFLOAD_MIN_BATCH = 32
"""llama.cpp copies offloaded weights to the GPU for batches of at least this many tokens
(ggml-backend.cpp, the backend's offload_op: `op->ne[1] >= 32`)."""
HIDDEN_STATE_BYTES = 4
"""llama.cpp hands the hidden state between backends in fp32."""


class OffloadError(ValueError):
    """An offload request that cannot be modelled; names the scenario field."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Host:
    """The system RAM and CPU beside the accelerator."""

    ram_bytes: float
    ram_bandwidth: float
    """Achieved bytes/s of CPU token generation (peak x efficiency)."""
    ram_peak_gb_s: float
    cpu_flops: float
    pcie: float
    """Host-to-device bytes/s, one direction."""
    described: str


def host_for(hardware: HardwareSpec, catalog: Catalog, ram_gib: float | None = None,
             ram_bandwidth_gb_s: float | None = None) -> Host:
    """The usual host of an accelerator (catalogs/hosts.toml by kind, the entry's own host fields first),
    with the user's RAM size and bandwidth over both."""
    if hardware.kind in NO_OFFLOAD_KINDS:
        raise OffloadError("gpu_layers", f"{hardware.name} has no separate GPU memory: nothing to offload")
    rows = [h for h in catalog.hosts.values() if h.kind == hardware.kind]
    if not rows:
        raise OffloadError("gpu_layers", f"no host is known for {hardware.kind} hardware (catalogs/hosts.toml)")
    row = rows[0]
    ram = ram_gib or hardware.host_ram_gib or row.ram_gib
    peak = ram_bandwidth_gb_s or hardware.host_ram_bandwidth_gb_s or row.ram_bandwidth_gb_s
    pcie = hardware.pcie_gb_s or hardware.host_link_gb_s
    described = (f"host {ram:g} GiB RAM at {peak:g} GB/s peak ({row.ram_bandwidth_efficiency:.0%} reached by CPU "
                 f"decode), {row.cpu_tflops:g} TFLOPS CPU matmuls, PCIe {pcie:g} GB/s"
                 + ("" if ram_gib or hardware.host_ram_gib else f" ({row.name})"))
    return Host(ram * GIB, peak * 1e9 * row.ram_bandwidth_efficiency, peak, row.cpu_tflops * 1e12,
                pcie * 1e9, described)


@dataclass(frozen=True, slots=True)
class LayerSizes:
    """Bytes of one repeating layer and of the tensors outside the layers."""

    dense: float
    """One layer's attention, norms, router and shared MLP (everything but routed experts)."""
    experts: float
    """One layer's routed experts (all of them), averaged over the layers."""
    experts_read: float
    """Bytes of routed experts one layer reads per decode token (top-k), averaged over the layers."""
    head: float
    """Output matrix."""
    embedding: float
    """Token embedding (not read in full per token: one row is looked up)."""
    vision: float


def layer_sizes(model: ModelSpec, weights: FormatSpec) -> LayerSizes:
    wb = arch.weight_bytes(model, weights)
    p = arch.param_breakdown(model)
    bits = weights.output_bits or weights.bits_per_weight
    if weights.quantizes == "experts_only" and model.is_moe:
        bits = weights.output_bits or weights.high_precision_bits
    head = p.lm_head * bits / 8 if not model.tied_embeddings else p.embedding * bits / 8
    layers = model.num_layers
    embedding = 0.0 if model.tied_embeddings else wb.total - wb.non_expert_read - wb.expert_total - wb.vision
    dense = max(wb.non_expert_read - head, 0.0) / layers
    experts_read = model.moe_layers * model.experts_per_token * wb.per_expert_layer / layers if model.is_moe else 0.0
    return LayerSizes(dense, wb.expert_total / layers, experts_read, head, max(embedding, 0.0), wb.vision)


@dataclass(frozen=True, slots=True)
class Placement:
    """Which device holds what, and the bytes on each (weights and KV of `batch` sequences)."""

    gpu_layers: int
    cpu_layers: int
    cpu_expert_layers: int
    """GPU layers whose routed experts stay in RAM (--cpu-moe / --n-cpu-moe)."""
    kv_on_gpu: bool
    vram_weights: float
    ram_weights: float
    kv_gpu_per_sequence: float
    kv_ram_per_sequence: float
    gpu_read_share: float
    """Share of the weight bytes a decode token reads that sit on the GPU."""
    gpu_read_bytes: float
    """Weight bytes a decode token reads from the GPU."""
    cpu_read_bytes: float
    """Weight bytes a decode token reads from RAM."""
    cpu_resident_bytes: float
    """All weight bytes in RAM that a layer computation touches (streamed whole for a prefill batch)."""
    crossings: int
    """GPU<->CPU hand-offs of the hidden state per forward pass."""


def place(model: ModelSpec, weights: FormatSpec, kv: FormatSpec, engine: EngineSpec, context: int,
          gpu_layers: int, cpu_expert_layers: int = 0, kv_on_gpu: bool = True) -> Placement:
    """Bytes per device for the last `gpu_layers` layers on the GPU, the routed experts of the first
    `cpu_expert_layers` layers in RAM, and the KV cache with its layer (or all in RAM)."""
    n = model.num_layers
    if not 0 <= gpu_layers <= n:
        raise OffloadError("gpu_layers", f"gpu layers must be from 0 to the {n} layers of {model.id}, not {gpu_layers}")
    if not 0 <= cpu_expert_layers <= n:
        raise OffloadError("n_cpu_moe", f"--n-cpu-moe must be from 0 to the {n} layers of {model.id}, not {cpu_expert_layers}")
    sizes = layer_sizes(model, weights)
    cpu_layers = n - gpu_layers
    moved = max(0, cpu_expert_layers - cpu_layers) if model.is_moe else 0  # the first layers are the CPU ones
    all_on_gpu = gpu_layers == n
    outside_gpu = sizes.head + sizes.embedding if all_on_gpu else 0.0
    vram = gpu_layers * sizes.dense + (gpu_layers - moved) * sizes.experts + outside_gpu + sizes.vision
    ram = cpu_layers * (sizes.dense + sizes.experts) + moved * sizes.experts + (
        0.0 if all_on_gpu else sizes.head + sizes.embedding)
    kv_seq = arch.kv_cache_bytes(model, context, kv_bytes_per_value(kv), engine.kv_frees_windowed_layers, 1)
    kv_gpu = kv_seq * gpu_layers / n if kv_on_gpu else 0.0
    gpu_read = gpu_layers * sizes.dense + (gpu_layers - moved) * sizes.experts_read + (sizes.head if all_on_gpu else 0.0)
    cpu_read = cpu_layers * (sizes.dense + sizes.experts_read) + moved * sizes.experts_read + (
        0.0 if all_on_gpu else sizes.head)
    cpu_resident = cpu_layers * (sizes.dense + sizes.experts) + moved * sizes.experts + (
        0.0 if all_on_gpu else sizes.head)
    crossings = (2 if 0 < gpu_layers < n else 0) + 2 * moved
    total_read = gpu_read + cpu_read
    return Placement(
        gpu_layers=gpu_layers, cpu_layers=cpu_layers, cpu_expert_layers=moved, kv_on_gpu=kv_on_gpu,
        vram_weights=vram, ram_weights=ram, kv_gpu_per_sequence=kv_gpu, kv_ram_per_sequence=kv_seq - kv_gpu,
        gpu_read_share=gpu_read / total_read if total_read else 1.0, gpu_read_bytes=gpu_read,
        cpu_read_bytes=cpu_read,
        cpu_resident_bytes=cpu_resident, crossings=crossings,
    )


def vram_bytes(p: Placement, model: ModelSpec, engine: EngineSpec, budget_overhead: float, batch: int,
               input_tokens: int) -> float:
    """GPU bytes at a batch: weights on the GPU, their KV, the compute buffer and the engine's overhead."""
    return p.vram_weights + batch * p.kv_gpu_per_sequence + activation_bytes(model, engine, batch, input_tokens) \
        + budget_overhead


def ram_bytes(p: Placement, batch: int) -> float:
    return p.ram_weights + batch * p.kv_ram_per_sequence


def crossing_s(p: Placement, model: ModelSpec, engine: EngineSpec, host: Host, tokens: float) -> float:
    """Hidden-state hand-offs between GPU and CPU for one forward pass over `tokens` tokens."""
    return p.crossings * (engine.allreduce_latency_us * 1e-6 + tokens * model.hidden_size * HIDDEN_STATE_BYTES / host.pcie)


def decode_step_s(p: Placement, model: ModelSpec, weights: FormatSpec, kv: FormatSpec, engine: EngineSpec,
                  hardware: HardwareSpec, host: Host, batch: int, context: float) -> float:
    """One decode step of a split model: the GPU's share of a whole-model GPU step, the RAM part at the
    host's bandwidth or CPU rate (the slower), and the hand-offs."""
    kv_full = arch.kv_cache_bytes(model, int(context), kv_bytes_per_value(kv), engine.kv_frees_windowed_layers, 1)
    kv_gpu_share = (p.gpu_layers / model.num_layers) if p.kv_on_gpu else 0.0
    gpu = 0.0
    if p.gpu_read_bytes:
        # The GPU's share of a whole-model GPU step, by the bytes each side reads (weights and KV).
        whole = lever_timing.decode_step_s(model, weights, kv, engine, hardware, batch, context)
        read = p.gpu_read_bytes + p.cpu_read_bytes + batch * kv_full
        gpu = whole * (p.gpu_read_bytes + batch * kv_full * kv_gpu_share) / read
    cpu_bytes = p.cpu_read_bytes + batch * kv_full * (1.0 - kv_gpu_share)
    cpu_flops = batch * arch.matmul_flops_per_token(model) * (1.0 - p.gpu_read_share)
    cpu = max(cpu_bytes / host.ram_bandwidth, cpu_flops / host.cpu_flops) if cpu_bytes else 0.0
    return gpu + cpu + crossing_s(p, model, engine, host, batch)


@dataclass(frozen=True, slots=True)
class PrefillSplit:
    seconds: float
    streamed: bool
    """True when streaming the RAM part to the GPU beats computing it on the CPU."""


def prefill_split_s(p: Placement, model: ModelSpec, weights: FormatSpec, engine: EngineSpec,
                    hardware: HardwareSpec, host: Host, batch: int, tokens: int) -> PrefillSplit:
    """Prefill of a split model: the GPU's share of a whole-model GPU prefill, plus the RAM part either
    streamed over PCIe once per ubatch and computed on the GPU, or computed on the CPU (the faster)."""
    whole = lever_timing.prefill_s(model, weights, engine, hardware, batch, tokens)
    gpu = whole * p.gpu_read_share
    cpu_share = 1.0 - p.gpu_read_share
    if cpu_share <= 0:
        return PrefillSplit(gpu, False)
    total_tokens = batch * tokens
    on_cpu = max(total_tokens * arch.matmul_flops_per_token(model) * cpu_share / host.cpu_flops,
                 p.cpu_resident_bytes / host.ram_bandwidth)
    ubatches = math.ceil(total_tokens / engine.activation_tokens)
    streamed = ubatches * p.cpu_resident_bytes / host.pcie + whole * cpu_share
    use_stream = total_tokens >= OP_OFFLOAD_MIN_BATCH and streamed < on_cpu
    cpu = streamed if use_stream else on_cpu
    return PrefillSplit(gpu + cpu + crossing_s(p, model, engine, host, total_tokens / ubatches) * ubatches, use_stream)


def auto_gpu_layers(model: ModelSpec, weights: FormatSpec, kv: FormatSpec, engine: EngineSpec, budget: float,
                    overhead: float, batch: int, input_tokens: int, context: int, cpu_expert_layers: int = 0,
                    kv_on_gpu: bool = True) -> int:
    """The most layers whose weights, KV, compute buffer and overhead fit the GPU budget (0 if none)."""
    low, high = 0, model.num_layers  # VRAM grows with the layers: bisect for the last that fits
    def fits(n: int) -> bool:
        p = place(model, weights, kv, engine, context, n, cpu_expert_layers, kv_on_gpu)
        return vram_bytes(p, model, engine, overhead, batch, input_tokens) <= budget
    if fits(high):
        return high
    while high - low > 1:
        mid = (low + high) // 2
        if fits(mid):
            low = mid
        else:
            high = mid
    return low
