"""Pydantic schemas for the TOML catalogs: models, API models, hardware, formats and engines."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from llmcalc_tui.text_safety import describe_char, forbidden_name_char

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


class Entry(BaseModel):
    """Fields every catalog entry carries: a stable id, a display name and where its facts come from."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(pattern=ID_PATTERN)
    """Stable lowercase slug used on the command line and in scenario files."""
    name: str
    """Human-readable name."""
    source: str = Field(min_length=3)
    """URL or document the facts come from."""
    as_of: dt.date
    """Date the facts were checked."""
    notes: str = ""
    """Free text: caveats, unverified values."""

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        # Names reach terminals and the app: an escape sequence or bidi override must not hide in one.
        bad = forbidden_name_char(value)
        if bad is not None:
            raise ValueError(f"name must not contain control, bidi or zero-width characters; it holds {describe_char(bad)}")
        return value


class ModelSpec(Entry):
    """Architecture of an open-weight model; parameter counts are derived from it, never typed in."""

    family: str
    aliases: tuple[str, ...] = ()
    hf_repo: str = ""
    license: str = ""
    release: str = ""
    native_dtype: str = "bf16"
    """Format id the published checkpoint uses (see formats.toml)."""

    hidden_size: int = Field(gt=0)
    num_layers: int = Field(gt=0)
    num_attention_heads: int = Field(gt=0)
    num_key_value_heads: int = Field(gt=0)
    """Real KV heads (1 for multi-query); for MLA models the config artefact is ignored."""
    head_dim: int | None = Field(default=None, gt=0)
    """Explicit head_dim; None means hidden_size / num_attention_heads."""
    intermediate_size: int = Field(gt=0)
    """Dense MLP width (for all-MoE models: the expert width, unused for dense layers)."""
    mlp_type: Literal["gated", "plain"] = "gated"
    """gated: 3 matrices (SwiGLU/GeGLU); plain: 2 matrices (GELU)."""
    vocab_size: int = Field(gt=0)
    tied_embeddings: bool = False
    norm_type: Literal["rmsnorm", "layernorm"] = "rmsnorm"
    norms_per_layer: int = Field(default=2, ge=0)
    qk_norm: bool = False
    """Per-head q/k RMSNorm weights (2 x head_dim per layer)."""
    attention_bias: Literal["none", "qkv", "qkvo"] = "none"
    attention_sinks: bool = False
    """Learned per-head attention sink logits (gpt-oss)."""
    context_length: int = Field(gt=0)
    """Longest context the model supports (max_position_embeddings or the advertised window)."""

    sliding_window: int | None = Field(default=None, gt=0)
    """Window (or chunk) size of the locally-attending layers."""
    sliding_window_layers: int = Field(default=0, ge=0)
    """How many layers use the window; the rest attend to the full context."""

    # Mixture of experts
    num_experts: int = Field(default=0, ge=0)
    experts_per_token: int = Field(default=0, ge=0)
    num_shared_experts: int = Field(default=0, ge=0)
    expert_intermediate_size: int = Field(default=0, ge=0)
    shared_expert_intermediate_size: int = Field(default=0, ge=0)
    moe_layers: int = Field(default=0, ge=0)
    """Layers with an MoE MLP; the other layers use a dense MLP of dense_intermediate_size."""
    dense_intermediate_size: int = Field(default=0, ge=0)
    """Width of the dense MLP in non-MoE layers of an MoE model (0: intermediate_size)."""
    router_bias: bool = False
    expert_bias: bool = False
    """Experts carry biases (gpt-oss: gate/up 2*I + down H per expert)."""
    router_score_correction_bias: bool = False
    """DeepSeek's e_score_correction_bias (one per routed expert)."""

    # Multi-head latent attention (DeepSeek-V2/V3/R1)
    q_lora_rank: int = Field(default=0, ge=0)
    kv_lora_rank: int = Field(default=0, ge=0)
    qk_nope_head_dim: int = Field(default=0, ge=0)
    qk_rope_head_dim: int = Field(default=0, ge=0)
    v_head_dim: int = Field(default=0, ge=0)

    published_params: int | None = Field(default=None, gt=0)
    """Exact published nn.Parameter count the derived total is checked against."""
    published_active_params: int | None = Field(default=None, gt=0)

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def resolved_head_dim(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @model_validator(mode="after")
    def _check_consistency(self) -> ModelSpec:
        if self.num_attention_heads % self.num_key_value_heads and not self.is_mla:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        if self.is_moe and not (self.experts_per_token and self.expert_intermediate_size and self.moe_layers):
            raise ValueError("an MoE model needs experts_per_token, expert_intermediate_size and moe_layers")
        if self.moe_layers > self.num_layers:
            raise ValueError("moe_layers cannot exceed num_layers")
        if self.sliding_window_layers > self.num_layers:
            raise ValueError("sliding_window_layers cannot exceed num_layers")
        if self.sliding_window_layers and not self.sliding_window:
            raise ValueError("sliding_window_layers needs sliding_window")
        return self


class ApiModelSpec(Entry):
    """A hosted model sold per token."""

    provider: str
    model_key: str = ""
    """Key in the price map the prices come from."""
    open_model: str | None = None
    """Catalog id of the open model this endpoint serves, when it serves one."""
    input_usd_per_1m: float = Field(ge=0)
    output_usd_per_1m: float = Field(ge=0)
    cached_input_usd_per_1m: float | None = Field(default=None, ge=0)
    context_length: int = Field(gt=0)
    max_output_tokens: int = Field(gt=0)
    ttft_ms: float | None = Field(default=None, gt=0)
    """Typical time to first token, where published."""
    output_tok_s: float | None = Field(default=None, gt=0)
    """Typical output speed per request, where published."""
    retired: bool = False


HardwareKind = Literal["datacenter", "workstation", "consumer", "apple", "edge", "cpu"]


class HardwareSpec(Entry):
    """One accelerator (or CPU server, or unified-memory machine), per device."""

    kind: HardwareKind
    vendor: str
    memory_gb: float = Field(gt=0)
    """Memory per device as the vendor prints it; accelerator "GB" are binary (80 GB H100 = 80 GiB)."""
    reserved_gib: float = Field(default=0.0, ge=0)
    """Memory the driver and ECC keep from every process (80 GiB H100: 79.18 GiB visible)."""
    usable_memory_fraction: float = Field(default=1.0, gt=0, le=1)
    """Share of memory the accelerator may use (unified memory: the GPU's wired limit)."""
    bandwidth_gb_s: float = Field(gt=0)
    """Peak memory bandwidth, GB/s."""
    tflops: dict[str, float]
    """Dense peak per compute precision: keys among fp32, tf32, fp16, bf16, fp8, int8, fp4."""
    power_w: float = Field(gt=0)
    interconnect: str = "none"
    interconnect_gb_s: float = Field(default=0, ge=0)
    """Per-device scale-up bandwidth, one direction, GB/s (0: through the host link)."""
    host_link_gb_s: float = Field(default=16, gt=0)
    """Host link bandwidth, one direction, GB/s."""
    max_devices: int = Field(default=8, ge=1)
    """Largest count that makes sense in one node."""
    price_usd: float | None = Field(default=None, gt=0)
    cloud_usd_per_hour: float | None = Field(default=None, gt=0)
    cloud_source: str = ""

    @field_validator("tflops")
    @classmethod
    def _check_tflops(cls, value: dict[str, float]) -> dict[str, float]:
        allowed = {"fp32", "tf32", "fp16", "bf16", "fp8", "int8", "int4", "fp4"}
        unknown = set(value) - allowed
        if unknown:
            raise ValueError(f"unknown precision(s) {sorted(unknown)}; use {sorted(allowed)}")
        if not value:
            raise ValueError("at least one precision is needed")
        if any(v <= 0 for v in value.values()):
            raise ValueError("peak throughput must be positive")
        return value

    @model_validator(mode="after")
    def _check_capacity(self) -> HardwareSpec:
        usable = self.memory_gb * self.usable_memory_fraction
        if self.reserved_gib >= usable:
            # The message starts with the field so the loader can point at its line.
            raise ValueError(
                f"reserved_gib {self.reserved_gib:g} leaves no memory: it must be below memory_gb x"
                f" usable_memory_fraction = {usable:g}"
            )
        return self

    @property
    def usable_bytes(self) -> float:
        """Bytes a process on this device may allocate."""
        return (self.memory_gb * self.usable_memory_fraction - self.reserved_gib) * 2**30


class FormatSpec(Entry):
    """A storage format for weights or the KV cache."""

    kind: Literal["float", "int", "gguf", "microscaling"]
    bits_per_weight: float = Field(gt=0, le=32)
    """Effective bits per quantized element, block scales included."""
    compute_precision: str
    """Precision the matmuls run in (key of HardwareSpec.tflops), falling back to fp16 when absent."""
    quantizes: Literal["all_linear", "experts_only"] = "all_linear"
    """Which weights the format applies to; the rest stay at high_precision_bits."""
    high_precision_bits: float = Field(default=16, gt=0, le=32)
    embedding_bits: float | None = None
    """Bits of the input embedding (None: bits_per_weight)."""
    output_bits: float | None = None
    """Bits of the lm_head, or of the tied embedding that serves as it (None: bits_per_weight)."""
    upgraded_bits: float | None = None
    """GGUF mixes: bits of attn_v and ffn_down in the layers llama.cpp upgrades."""
    upgrade_rule: Literal["none", "all", "llama_cpp_more_bits"] = "none"
    dequant_overhead: float = Field(default=0.0, ge=0)
    """Extra compute per weight for unpacking, as a fraction of the matmul time (calibrated)."""
    kv_cache: bool = True
    """Usable as a KV-cache format."""
    weights: bool = True
    """Usable as a weight format."""


class EngineSpec(Entry):
    """A serving engine and its calibrated efficiency profile."""

    overhead_gib: float = Field(ge=0)
    """Fixed runtime memory per GPU: CUDA context, workspace, graphs."""
    kv_memory_fraction: float = Field(gt=0, le=1)
    """Share of device memory the engine budgets for weights + activations + KV pool."""
    preallocates_kv: bool = True
    """Reserves the whole budget left after weights as a KV pool (vLLM-style) instead of sizing it to the request."""
    max_concurrent_sequences: int = Field(gt=0)
    activation_tokens: int = Field(gt=0)
    """Tokens per forward step the activation workspace is sized for (max batched tokens)."""
    decode_bandwidth_efficiency: float = Field(gt=0, le=1)
    """Fraction of peak bandwidth reached by single-stream decode."""
    prefill_compute_efficiency: float = Field(gt=0, le=1)
    """Fraction of dense peak reached by prefill matmuls."""
    batched_compute_efficiency: float = Field(gt=0, le=1)
    """Fraction of dense peak reached by batched decode matmuls."""
    step_overhead_ms: float = Field(default=0.0, ge=0)
    """Fixed scheduling/launch cost per decode step."""
    allreduce_efficiency: float = Field(default=0.7, gt=0, le=1)
    """Fraction of link bandwidth a tensor-parallel all-reduce reaches."""
    allreduce_latency_us: float = Field(default=10.0, ge=0)
    """Fixed latency of one all-reduce."""
    kinds: tuple[HardwareKind, ...] = ("datacenter", "workstation", "consumer", "apple", "edge", "cpu")
    """Hardware kinds the engine runs on."""
    kv_frees_windowed_layers: bool = True
    """Whether sliding-window layers keep only the window in cache."""
    layer_overhead_us: float = Field(default=0.0, ge=0)
    """Fixed cost per layer per forward step (kernel launches, synchronisation)."""
    kv_bandwidth_efficiency: float = Field(default=1.0, gt=0, le=2)
    """Bandwidth reached reading the KV cache, relative to reading weights (paged attention kernels)."""
    moe_compute_efficiency: float = Field(default=1.0, gt=0, le=2)
    """Compute efficiency of routed-expert matmuls relative to dense ones (grouped GEMM, routing)."""
    roofline_sharpness: float = Field(default=4.0, ge=1, le=64)
    """p of the smooth maximum (t_mem^p + t_compute^p)^(1/p): how well memory and compute overlap."""
    backend_efficiency: dict[str, float] = {}
    """Multipliers on bandwidth efficiency by hardware id, "kind:vendor", kind or vendor (lowercase)."""
    backend_compute_efficiency: dict[str, float] = {}
    """Multipliers on compute efficiency, keyed like backend_efficiency."""
    backend_layer_overhead_us: dict[str, float] = {}
    """Per-layer overhead that replaces layer_overhead_us on some hardware, keyed like backend_efficiency."""


class Catalog(BaseModel):
    """Everything the core needs, indexed by id."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    models: dict[str, ModelSpec]
    api_models: dict[str, ApiModelSpec]
    hardware: dict[str, HardwareSpec]
    formats: dict[str, FormatSpec]
    engines: dict[str, EngineSpec]
    aliases: dict[str, str] = {}
    """Alias -> model id (generic sizes such as 7b)."""
