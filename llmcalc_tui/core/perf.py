"""What an engine reaches on a hardware: its backend, compute path, and named efficiencies.

Every rate here is a physical peak (datasheet bandwidth, a compute path's peak) times a share of it in
(0, 1] read from catalogs/engines.toml, where docs/accuracy.md lists the points each share was fitted
on and the prior it falls back to. Nothing here knows about a model or a step: core/timing.py costs the
operations of a step at these rates.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcalc_tui.catalog.schema import EngineSpec, FormatSpec, HardwareSpec
from llmcalc_tui.core.scenario import hardware_keys

PRECISION_FALLBACK = {
    "fp4": ("fp4", "fp8", "bf16", "fp16", "fp32"),
    "fp8": ("fp8", "bf16", "fp16", "fp32"),
    "int8": ("int8", "fp16", "bf16", "fp32"),
    "int4": ("int4", "int8", "fp16", "bf16", "fp32"),
    "bf16": ("bf16", "fp16", "fp32"),
    "fp16": ("fp16", "bf16", "fp32"),
    "tf32": ("tf32", "fp32", "fp16"),
    "fp32": ("fp32", "tf32", "fp16"),
}

LLAMA_CPP_FAMILY = ("llama.cpp", "ollama", "llama.cpp-vulkan")
"""Engines built on ggml, whose backend and matmul kernels depend on the hardware and the weight format."""

DP4A_OPS_PER_UNIT_CLOCK = 1024
"""int8 operations per streaming multiprocessor per clock of __dp4a-style dot products: 128 lanes x 4
multiply-adds x 2 (CUDA C++ Programming Guide, arithmetic instruction throughput). llama.cpp's quantised
matmuls (MMQ) are int8 dot-product kernels, so their peak follows SM count x clock, not the tensor peak
(H100 SXM: 132 x 1.98 GHz x 1024 = 268 TOPS against a 989 TFLOPS fp16 datasheet figure)."""

FP32_TO_DP4A = 4
"""Without SM count and clock: a dot-product lane does 4 int8 multiply-adds where an fp32 lane does one FMA."""

BACKEND_NAMES = {
    "cuda": "CUDA", "metal": "Metal", "vulkan": "Vulkan", "rocm": "ROCm/HIP", "cpu": "CPU",
}


def memory_family(hardware: HardwareSpec) -> str:
    """hbm, gddr, lpddr or ddr: what the bandwidth shares are keyed by (Apple's unified memory is LPDDR)."""
    tech = hardware.memory_technology or ""
    if tech.startswith("hbm"):
        return "hbm"
    if tech.startswith("gddr"):
        return "gddr"
    if tech.startswith("ddr"):
        return "ddr"
    if tech.startswith("lpddr") or tech == "unified":
        return "lpddr"
    # No recorded technology: infer from the kind of machine.
    return {"datacenter": "hbm", "consumer": "gddr", "workstation": "gddr", "cpu": "ddr"}.get(hardware.kind, "lpddr")


def default_backend(engine: EngineSpec, hardware: HardwareSpec) -> str:
    """The backend an engine runs on this hardware: ggml engines choose by hardware, others by vendor."""
    vendor = hardware.vendor.lower()
    if engine.id == "llama.cpp-vulkan":
        return "vulkan"
    if hardware.kind == "apple" or engine.id == "mlx":
        return "metal"
    if hardware.kind == "cpu" or (hardware.kind == "edge" and vendor != "nvidia"):
        return "cpu"
    if vendor == "nvidia":
        return "cuda"
    if vendor == "amd":
        return "rocm"
    if vendor == "intel":
        return "vulkan"
    return "cpu" if hardware.compute_units is None else "vulkan"


def peak_tflops(hardware: HardwareSpec, precision: str) -> tuple[float, str]:
    """Dense peak for a compute precision, falling back to the nearest one the hardware has."""
    for candidate in PRECISION_FALLBACK.get(precision, (precision, "fp16", "bf16", "fp32")):
        if candidate in hardware.tflops:
            return hardware.tflops[candidate], candidate
    best = max(hardware.tflops.items(), key=lambda kv: kv[1])
    return best[1], best[0]


def compute_path(engine: EngineSpec, backend: str, weights: FormatSpec) -> str:
    """Which kernels run the weight matmuls: tensor (the datasheet tensor peak at the format's precision),
    mmq (llama.cpp's int8 dot-product kernels for quantised GGUF on CUDA), cublas (16-bit GGUF on CUDA),
    or the backend's own (metal, vulkan, rocm, cpu)."""
    ggml = engine.id in LLAMA_CPP_FAMILY or engine.id == "mlx"
    if not ggml:
        return "cpu" if backend == "cpu" else "tensor"
    if backend == "cuda":
        quantised = weights.kind == "gguf" and weights.bits_per_weight < 16
        return "mmq" if quantised else "cublas"
    return backend


def path_peak_flops(path: str, hardware: HardwareSpec, weights: FormatSpec) -> tuple[float, str]:
    """Peak FLOP/s (or int8 OP/s) of a compute path on this hardware, and what it is named in texts."""
    if path == "mmq":
        if hardware.compute_units and hardware.boost_clock_mhz:
            peak = hardware.compute_units * hardware.boost_clock_mhz * 1e6 * DP4A_OPS_PER_UNIT_CLOCK
            return peak, "int8 dot-product (SMs x clock)"
        return FP32_TO_DP4A * peak_tflops(hardware, "fp32")[0] * 1e12, "int8 dot-product (4 x fp32)"
    if path == "cpu":
        if hardware.simd_int8_tops:
            return hardware.simd_int8_tops * 1e12, "CPU SIMD int8"
        peak, precision = peak_tflops(hardware, "int8")
        return peak * 1e12, f"{precision}"
    if path in ("cublas", "metal", "vulkan", "rocm"):
        peak, precision = peak_tflops(hardware, "fp16")
        return peak * 1e12, precision
    peak, precision = peak_tflops(hardware, weights.compute_precision)
    return peak * 1e12, precision


def lookup(table: dict[str, float], keys: tuple[str, ...], default: float) -> float:
    for key in keys:
        if key in table:
            return table[key]
    return default


@dataclass(frozen=True, slots=True)
class Perf:
    """Calibrated rates of one engine and backend on one hardware entry, per GPU."""

    backend: str
    path: str
    """Compute path of the weight matmuls (see compute_path)."""
    precision: str
    """What the matmul peak is (a precision or a kernel family), for the texts."""
    bandwidth: float
    """Achieved bytes/s reading weights."""
    kv_bandwidth: float
    """Achieved bytes/s reading the KV cache (paged or flash attention kernels)."""
    peak_flops: float
    """Peak FLOP/s of the compute path."""
    eta_max: float
    """Share of peak_flops large matmuls reach."""
    half_tokens: float
    """Rows at which a matmul reaches half of eta_max."""
    moe_compute: float
    """Grouped-GEMM efficiency of routed experts relative to dense matmuls, in (0, 1]."""
    dequant: float
    """Extra compute per FLOP when the hardware lacks the format's precision and dequantises first."""
    link: float
    """Achieved all-reduce bytes/s per GPU."""
    link_latency_s: float
    step_overhead_s: float
    layer_overhead_s: float
    """Per layer per forward step: kernel launches or eager Python."""
    decode_layer_overhead_s: float
    """Per layer in a decode-only step: zero where the engine replays CUDA graphs."""
    sequence_overhead_s: float
    expert_call_s: float
    memory_share: float
    """The share of peak bandwidth weight reads reach (for the texts)."""
    host_overlaps_device: bool = False
    """The step is max(host time, device time) (asynchronous eager launches) instead of their sum."""
    decode_copies_experts: bool = False
    """Decode copies each routed token's expert weights before a batched matmul (see EngineSpec)."""
    matvec_rows: float = 0.0
    """Matmuls of at most this many rows run a mat-vec kernel (see EngineSpec.matvec_max_rows)."""

    def eta(self, rows: float) -> float:
        """Matmul efficiency at `rows` tokens per matmul: eta_max * M / (M + M_half) for a tiled GEMM;
        eta_max for a mat-vec kernel, which pads no rows (each weight's dot product is the work)."""
        if self.half_tokens <= 0 or rows <= self.matvec_rows:
            return self.eta_max
        return self.eta_max * rows / (rows + self.half_tokens)


def perf_profile(
    engine: EngineSpec, hardware: HardwareSpec, weights: FormatSpec, model=None, backend: str | None = None,
) -> Perf:
    """The rates an engine reaches on a hardware with a weight format (backend: chosen from the hardware)."""
    backend = backend or default_backend(engine, hardware)
    family = memory_family(hardware)
    hw_keys = hardware_keys(hardware)
    legacy_bw = engine.decode_bandwidth_efficiency * lookup(engine.backend_efficiency, hw_keys, 1.0)
    share = lookup(engine.memory_efficiency, (f"{backend}:{family}", backend, family), legacy_bw)
    share = min(1.0, share)
    path = compute_path(engine, backend, weights)
    peak, precision = path_peak_flops(path, hardware, weights)
    legacy_eta = engine.prefill_compute_efficiency * lookup(engine.backend_compute_efficiency, hw_keys, 1.0)
    # A path's share may depend on the precision its GEMMs run at (block-scaled FP4 GEMMs reach less of the
    # FP4 peak than FP8 GEMMs of theirs): "tensor:fp4" before the path's own value.
    eta_max = min(1.0, lookup(engine.compute_efficiency, (f"{path}:{precision}", f"{path}:{family}", path), legacy_eta))
    dequant = weights.dequant_overhead if path == "tensor" and precision != weights.compute_precision else 0.0
    layer_us = lookup(engine.backend_layer_overhead_us, (backend, *hw_keys), engine.layer_overhead_us)
    link = hardware.interconnect_gb_s or hardware.host_link_gb_s
    bandwidth = hardware.bandwidth_gb_s * 1e9 * share
    return Perf(
        backend=backend,
        path=path,
        precision=precision,
        bandwidth=bandwidth,
        kv_bandwidth=bandwidth * min(1.0, engine.kv_bandwidth_efficiency),
        peak_flops=peak,
        eta_max=eta_max,
        half_tokens=engine.matmul_half_tokens,
        moe_compute=min(1.0, engine.moe_compute_efficiency),
        dequant=dequant,
        link=link * 1e9 * engine.allreduce_efficiency,
        link_latency_s=engine.allreduce_latency_us * 1e-6,
        step_overhead_s=engine.step_overhead_ms * 1e-3,
        layer_overhead_s=layer_us * 1e-6,
        decode_layer_overhead_s=0.0 if engine.decode_graphs and backend in ("cuda", "rocm") else layer_us * 1e-6,
        sequence_overhead_s=engine.sequence_overhead_us * 1e-6,
        expert_call_s=engine.expert_call_overhead_us * 1e-6,
        memory_share=share,
        decode_copies_experts=engine.decode_copies_expert_weights,
        host_overlaps_device=engine.host_overlaps_device,
        matvec_rows=engine.matvec_max_rows,
    )
