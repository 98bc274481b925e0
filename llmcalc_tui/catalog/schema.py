"""Pydantic schemas for the TOML catalogs: models, API models, hardware, formats, engines, quality notes and
speculative-decoding acceptance rates."""

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


AttentionKind = Literal["full", "sliding", "chunked", "mla", "dsa", "linear", "mamba2", "none"]
"""Token mixer of a layer type.

full: softmax attention over the whole context; sliding: over the last `window` tokens; chunked: within
`window`-token chunks (Llama 4); mla: DeepSeek multi-head latent attention (one latent per token);
dsa: MLA plus DeepSeek sparse attention (an indexer key per token, attention reads the top-k tokens);
linear: Gated DeltaNet linear attention (fixed state); mamba2: Mamba2 state-space mixer (fixed state);
none: no mixer (Nemotron-H MLP-only blocks).
"""
MlpKind = Literal["dense", "moe", "dense_moe", "none"]
"""dense_moe: a dense MLP and a routed MoE side by side in the same layer (Gemma 4)."""

SOFTMAX_KINDS = ("full", "sliding", "chunked")
LATENT_KINDS = ("mla", "dsa")
STATE_KINDS = ("linear", "mamba2")


class LayerType(BaseModel):
    """One kind of decoder layer and how many layers of it the model has.

    Every field is explicit: the architecture code reads a layer type and the model-wide fields
    (hidden size, vocabulary, expert shapes) and nothing else.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(gt=0)
    attention: AttentionKind = "full"
    window: int | None = Field(default=None, gt=0)
    """Window (sliding) or chunk (chunked) size in tokens."""
    nope: bool = False
    """No positional encoding in this layer (SmolLM3, Llama 4 global layers): parsed, no effect on memory."""
    num_attention_heads: int = Field(default=0, ge=0)
    num_key_value_heads: int = Field(default=0, ge=0)
    head_dim: int = Field(default=0, ge=0)
    """Query/key width per head."""
    v_head_dim: int = Field(default=0, ge=0)
    """Value width per head (0: head_dim). MLA: the value width of the decompressed heads."""
    k_eq_v: bool = False
    """Values reuse the key projection (no v_proj; Gemma 4 global layers). The cache still holds both."""
    output_gate: bool = False
    """Gated attention: q_proj also produces a per-channel output gate (Qwen3-Next, Qwen3.5)."""
    attention_bias: Literal["none", "qkv", "qkvo"] = "none"
    qk_norm: bool = False
    """Per-head q/k RMSNorm weights (2 x head_dim)."""
    qk_norm_full_width: bool = False
    """q/k RMSNorm over all heads at once (MiniMax-M2: heads x head_dim + kv_heads x head_dim weights)."""
    attention_sinks: bool = False
    """Learned per-head attention sink logits (gpt-oss, MiMo-V2)."""
    # MLA / DSA
    q_lora_rank: int = Field(default=0, ge=0)
    kv_lora_rank: int = Field(default=0, ge=0)
    qk_nope_head_dim: int = Field(default=0, ge=0)
    qk_rope_head_dim: int = Field(default=0, ge=0)
    index_n_heads: int = Field(default=0, ge=0)
    index_head_dim: int = Field(default=0, ge=0)
    """DSA indexer key width: cached per token per layer next to the latent."""
    index_topk: int = Field(default=0, ge=0)
    """Tokens the sparse attention reads per query (decode time, not cache size)."""
    # Gated DeltaNet
    linear_num_key_heads: int = Field(default=0, ge=0)
    linear_num_value_heads: int = Field(default=0, ge=0)
    linear_key_head_dim: int = Field(default=0, ge=0)
    linear_value_head_dim: int = Field(default=0, ge=0)
    # Mamba2
    mamba_num_heads: int = Field(default=0, ge=0)
    mamba_head_dim: int = Field(default=0, ge=0)
    ssm_state_size: int = Field(default=0, ge=0)
    mamba_groups: int = Field(default=0, ge=0)
    mamba_proj_bias: bool = False
    mamba_conv_bias: bool = True
    conv_kernel: int = Field(default=0, ge=0)
    """Short causal convolution of linear/Mamba2 layers; the state keeps its last kernel-1 inputs."""
    # MLP
    mlp: MlpKind = "dense"
    intermediate_size: int = Field(default=0, ge=0)
    """Dense MLP width (mlp = dense)."""
    norms: int | None = Field(default=None, ge=0)
    """Norm weights of width hidden_size in the layer (None: the model's norms_per_layer)."""

    @property
    def value_dim(self) -> int:
        return self.v_head_dim or self.head_dim

    @model_validator(mode="after")
    def _check_shape(self) -> LayerType:
        kind = self.attention
        if kind in SOFTMAX_KINDS:
            if not (self.num_attention_heads and self.num_key_value_heads and self.head_dim):
                raise ValueError(f"{kind} attention needs num_attention_heads, num_key_value_heads and head_dim")
            if self.num_attention_heads % self.num_key_value_heads:
                raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
            if kind != "full" and not self.window:
                raise ValueError(f"{kind} attention needs a window")
        if kind in LATENT_KINDS and not (
            self.num_attention_heads and self.kv_lora_rank and self.qk_rope_head_dim and self.v_head_dim
        ):
            raise ValueError(f"{kind} attention needs num_attention_heads, kv_lora_rank, qk_rope_head_dim, v_head_dim")
        if kind == "dsa" and not (self.index_n_heads and self.index_head_dim and self.index_topk):
            raise ValueError("dsa attention needs index_n_heads, index_head_dim and index_topk")
        if kind == "linear" and not (
            self.linear_num_key_heads and self.linear_num_value_heads and self.linear_key_head_dim
            and self.linear_value_head_dim and self.conv_kernel
        ):
            raise ValueError("linear attention needs the linear_* head counts and widths and conv_kernel")
        if kind == "mamba2" and not (
            self.mamba_num_heads and self.mamba_head_dim and self.ssm_state_size and self.mamba_groups
            and self.conv_kernel
        ):
            raise ValueError("mamba2 needs mamba_num_heads, mamba_head_dim, ssm_state_size, mamba_groups, conv_kernel")
        if self.mlp in ("dense", "dense_moe") and not self.intermediate_size:
            raise ValueError("a dense MLP needs intermediate_size")
        return self


# Flat fields that describe one global layer shape; with `layers` given they are derived from it.
_DERIVED_FROM_LAYERS = (
    "num_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size",
    "sliding_window", "sliding_window_layers", "moe_layers", "dense_intermediate_size",
    "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
)


class ModelSpec(Entry):
    """Architecture of an open-weight model; parameter counts are derived from it, never typed in.

    The layers are described by type (`layers`: attention kind, head shapes, window, MLP kind, count).
    The flat fields (num_layers, num_attention_heads, sliding_window, moe_layers, ...) are a shorthand for
    uniform models: without `layers` they expand into layer types; with `layers` they are derived from them.
    """

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
    """gated: 3 matrices (SwiGLU/GeGLU); plain: 2 matrices (GELU, relu^2)."""
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
    router_scale: bool = False
    """The router has a learned input scale (hidden) and a per-expert output scale (Gemma 4)."""
    shared_expert_gate: bool = False
    """A sigmoid gate (hidden -> 1) scales the shared expert (Qwen2-MoE, Qwen3-Next, Qwen3.5)."""

    # Multi-head latent attention (DeepSeek-V2/V3/R1)
    q_lora_rank: int = Field(default=0, ge=0)
    kv_lora_rank: int = Field(default=0, ge=0)
    qk_nope_head_dim: int = Field(default=0, ge=0)
    qk_rope_head_dim: int = Field(default=0, ge=0)
    v_head_dim: int = Field(default=0, ge=0)

    layers: tuple[LayerType, ...] = ()
    """Layer types in order of first appearance; their counts sum to num_layers."""
    mtp_layers: int = Field(default=0, ge=0)
    """Multi-token-prediction layers (each a copy of the last layer type plus a 2H->H projection and 3 norms),
    loaded only for speculative decoding: counted separately, not in the total."""
    vision_params: int = Field(default=0, ge=0)
    """Vision (and audio) tower parameters of a multimodal checkpoint, computed from its vision_config by
    benchmarks/make_models_catalog.py; loaded by engines that serve images, kept at 16 bits, never in the total."""
    checkpoint_bytes: int | None = Field(default=None, gt=0)
    """Bytes the published checkpoint actually stores (safetensors header or GGUF file); used as the weight
    size when the weight format is native_dtype."""
    checkpoint_note: str = ""

    published_params: int | None = Field(default=None, gt=0)
    """Exact published nn.Parameter count the derived total is checked against. Generated entries
    (models_2025.toml) carry the checkpoint's stored total; their notes say what it holds beyond the language
    model (vision tower, multi-token-prediction layers), which the derived total leaves out."""
    published_active_params: int | None = Field(default=None, gt=0)

    def __hash__(self) -> int:
        # The core memoises per model (lru_cache); hashing every field and layer type on each lookup cost a
        # fifth of a grid. Equal models share these fields, so the hash stays consistent with ==.
        return hash((self.id, self.hidden_size, self.num_layers, self.vocab_size, len(self.layers)))

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def resolved_head_dim(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @property
    def has_recurrent_state(self) -> bool:
        return any(lt.attention in STATE_KINDS for lt in self.layers)

    @model_validator(mode="before")
    @classmethod
    def _layers_or_flat(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        if data.get("layers"):
            return _derive_flat_fields(dict(data))
        return data

    @model_validator(mode="after")
    def _check_consistency(self) -> ModelSpec:
        if self.num_attention_heads % self.num_key_value_heads and not self.is_mla:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        if self.is_moe and not (self.experts_per_token and self.expert_intermediate_size and self.moe_layers):
            raise ValueError("an MoE model needs experts_per_token, expert_intermediate_size and moe_layers")
        if self.moe_layers and not self.is_moe:
            raise ValueError("MoE layers need num_experts")
        if self.moe_layers > self.num_layers:
            raise ValueError("moe_layers cannot exceed num_layers")
        if self.sliding_window_layers > self.num_layers:
            raise ValueError("sliding_window_layers cannot exceed num_layers")
        if self.sliding_window_layers and not self.sliding_window:
            raise ValueError("sliding_window_layers needs sliding_window")
        if not self.layers:
            object.__setattr__(self, "layers", _expand_flat(self))
        elif sum(lt.count for lt in self.layers) != self.num_layers:
            raise ValueError("the layer types' counts must sum to num_layers")
        return self


def _derive_flat_fields(data: dict) -> dict:
    """Fill the flat shorthand fields from `layers` so code that reads them keeps working.

    The layer types are authoritative: the shape fields are recomputed from them (a dumped entry, which
    carries both, loads back unchanged); a given layer or MoE-layer count that disagrees is an error.
    """
    given = {name: data.pop(name) for name in _DERIVED_FROM_LAYERS if name in data}
    layers = [lt if isinstance(lt, LayerType) else LayerType.model_validate(lt) for lt in data["layers"]]
    data["layers"] = tuple(layers)
    counts = {
        "num_layers": sum(lt.count for lt in layers),
        "moe_layers": sum(lt.count for lt in layers if lt.mlp in ("moe", "dense_moe")),
    }
    for name, derived in counts.items():
        if given.get(name) not in (None, 0, derived):
            raise ValueError(f"{name} = {given[name]} disagrees with the layer types ({derived})")
    data.update(counts)
    attn = next((lt for lt in layers if lt.attention in SOFTMAX_KINDS + LATENT_KINDS), None)
    if attn is not None:
        data["num_attention_heads"] = attn.num_attention_heads
        data["num_key_value_heads"] = attn.num_key_value_heads or attn.num_attention_heads
        if attn.attention in SOFTMAX_KINDS:
            data["head_dim"] = attn.head_dim
        else:
            for name in ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
                data[name] = getattr(attn, name)
    else:  # attention-free: a placeholder shape that nothing reads
        data["num_attention_heads"] = data["num_key_value_heads"] = 1
        data["head_dim"] = data["hidden_size"]
    windowed = [lt for lt in layers if lt.attention in ("sliding", "chunked")]
    if windowed:
        data["sliding_window"] = min(lt.window or 0 for lt in windowed)
        data["sliding_window_layers"] = sum(lt.count for lt in windowed)
    dense = next((lt for lt in layers if lt.mlp in ("dense", "dense_moe")), None)
    data["intermediate_size"] = dense.intermediate_size if dense else data.get("expert_intermediate_size") or 1
    if given.get("dense_intermediate_size") and dense:
        data["dense_intermediate_size"] = dense.intermediate_size
    return data


def _expand_flat(model: ModelSpec) -> tuple[LayerType, ...]:
    """Layer types equivalent to the flat shorthand (uniform layers, some windowed, some MoE)."""
    common: dict = {"norms": model.norms_per_layer}
    if model.is_mla:
        common |= {
            "attention": "mla", "num_attention_heads": model.num_attention_heads,
            "q_lora_rank": model.q_lora_rank, "kv_lora_rank": model.kv_lora_rank,
            "qk_nope_head_dim": model.qk_nope_head_dim, "qk_rope_head_dim": model.qk_rope_head_dim,
            "v_head_dim": model.v_head_dim,
        }
    else:
        common |= {
            "num_attention_heads": model.num_attention_heads, "num_key_value_heads": model.num_key_value_heads,
            "head_dim": model.resolved_head_dim, "attention_bias": model.attention_bias, "qk_norm": model.qk_norm,
        }
    common["attention_sinks"] = model.attention_sinks
    dense_width = model.dense_intermediate_size or model.intermediate_size
    windowed = model.sliding_window_layers if model.sliding_window else 0
    moe = model.moe_layers
    n = model.num_layers
    # Which windowed layer is MoE does not change any sum, so pair them in blocks.
    groups = {
        ("sliding", "moe"): min(windowed, moe),
        ("sliding", "dense"): windowed - min(windowed, moe),
        ("full", "moe"): moe - min(windowed, moe),
    }
    groups[("full", "dense")] = n - sum(groups.values())
    out = []
    for (attention, mlp), count in groups.items():
        if count <= 0:
            continue
        fields = dict(common)
        if attention == "sliding":
            fields |= {"attention": "sliding", "window": model.sliding_window}
        out.append(LayerType(count=count, mlp=mlp, intermediate_size=dense_width if mlp == "dense" else 0, **fields))
    return tuple(out)


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

    # Generated from a price map (see scripts/make_api_catalog.py); all optional so hand-written entries stay valid.
    source_key: str = ""
    """Key in the LiteLLM-format price map the prices come from (model_key is the older name of the same thing)."""
    batch_input_usd_per_1m: float | None = Field(default=None, ge=0)
    batch_output_usd_per_1m: float | None = Field(default=None, ge=0)
    priority_input_usd_per_1m: float | None = Field(default=None, ge=0)
    priority_output_usd_per_1m: float | None = Field(default=None, ge=0)
    priority_cached_input_usd_per_1m: float | None = Field(default=None, ge=0)
    long_context_threshold: int | None = Field(default=None, gt=0)
    """Prompt length (tokens) above which the long-context prices apply."""
    long_context_input_usd_per_1m: float | None = Field(default=None, ge=0)
    long_context_output_usd_per_1m: float | None = Field(default=None, ge=0)
    long_context_cached_input_usd_per_1m: float | None = Field(default=None, ge=0)
    long_context_priority_input_usd_per_1m: float | None = Field(default=None, ge=0)
    long_context_priority_output_usd_per_1m: float | None = Field(default=None, ge=0)
    long_context_priority_cached_input_usd_per_1m: float | None = Field(default=None, ge=0)
    reasoning: bool = False
    """The map flags the model as producing hidden reasoning tokens (billed as output)."""
    deprecation_date: dt.date | None = None
    ttft_ms_low: float | None = Field(default=None, gt=0)
    ttft_ms_high: float | None = Field(default=None, gt=0)
    output_tok_s_low: float | None = Field(default=None, gt=0)
    output_tok_s_high: float | None = Field(default=None, gt=0)
    latency_source: str = ""
    """Where ttft_ms / output_tok_s come from (publisher, method, date); empty when nothing is published."""
    latency_as_of: dt.date | None = None
    network_rtt_ms: float | None = Field(default=None, ge=0)
    """Default client round trip to the endpoint, added to the published TTFT."""
    network_rtt_source: str = ""
    reasoning_tokens_low: int | None = Field(default=None, ge=0)
    reasoning_tokens_medium: int | None = Field(default=None, ge=0)
    reasoning_tokens_high: int | None = Field(default=None, ge=0)
    reasoning_source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _one_key_two_names(cls, data: object) -> object:
        """source_key and model_key name the same price-map key: whichever a file gives fills both."""
        if isinstance(data, dict):
            key = data.get("source_key") or data.get("model_key")
            if key and not (data.get("source_key") and data.get("model_key")):
                data = {**data, "source_key": data.get("source_key") or key, "model_key": data.get("model_key") or key}
        return data

    @model_validator(mode="after")
    def _check_ranges(self) -> ApiModelSpec:
        for low, typical, high in (
            (self.ttft_ms_low, self.ttft_ms, self.ttft_ms_high),
            (self.output_tok_s_low, self.output_tok_s, self.output_tok_s_high),
        ):
            if low is not None and high is not None and low > high:
                raise ValueError("a latency range's low end exceeds its high end")
            if typical is not None and low is not None and not low <= typical <= (high or typical):
                raise ValueError("a typical latency lies outside its low/high range")
        if (self.long_context_input_usd_per_1m is not None) != (self.long_context_threshold is not None):
            raise ValueError("long-context prices need long_context_threshold (and the other way round)")
        return self



IDLE_POWER_FRACTION = 0.15
"""Idle draw of an accelerator holding a loaded model, as a share of its TDP, where the catalog has no figure.
Source: Vadari, "The Model Parking Tax" (arXiv:2605.23918, 2026-04-15): a CUDA context alone lifts an idle
H100/A100 by 26-50 W (L40S 66 W) over bare idle, independent of VRAM use; with bare idle of 50-70 W that is
about 75-120 W of a 700 W H100 (11-17 %). unverified for consumer GPUs and Apple silicon (smaller share)."""

HardwareKind = Literal["datacenter", "workstation", "consumer", "apple", "edge", "cpu"]
MemoryTechnology = Literal[
    "hbm2", "hbm2e", "hbm3", "hbm3e", "gddr5", "gddr6", "gddr6x", "gddr7",
    "lpddr4x", "lpddr5", "lpddr5x", "ddr4", "ddr5", "unified",
]
"""DRAM technology ("unified": a unified-memory machine whose DRAM type the sources do not state)."""


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
    scale_up_domain: int | None = Field(default=None, ge=1)
    """GPUs joined by the scale-up link (NVLink / Infinity Fabric): 8 on an HGX board, 72 in a GB200 NVL72 rack
    (None: the node when interconnect_gb_s > 0, else 1)."""
    scale_out: str = ""
    """Node-to-node network, in words ("InfiniBand NDR 400 Gb/s per GPU")."""
    scale_out_gb_s: float | None = Field(default=None, gt=0)
    """Node-to-node bandwidth per GPU, one direction, GB/s (None: unknown; plan then stays within one domain)."""
    scale_out_source: str = ""
    price_usd: float | None = Field(default=None, gt=0)
    idle_power_w: float | None = Field(default=None, ge=0)
    """Power drawn while loaded but idle (None: IDLE_POWER_FRACTION of power_w)."""
    cloud_usd_per_hour: float | None = Field(default=None, gt=0)
    cloud_source: str = ""
    # What the per-operation compute paths need (None: no source found; the entry's notes say so).
    compute_units: int | None = Field(default=None, gt=0)
    """Streaming multiprocessors (NVIDIA), compute units (AMD), Xe cores (Intel) or GPU cores (Apple)."""
    boost_clock_mhz: float | None = Field(default=None, gt=0)
    """The accelerator's boost clock (kernels that do not use the tensor peak scale with units x clock)."""
    cpu_cores: int | None = Field(default=None, gt=0)
    """CPU cores, all sockets (CPU servers, edge boards, unified-memory machines)."""
    simd_int8_tops: float | None = Field(default=None, gt=0)
    """Int8 dot-product rate of all CPU cores' SIMD units, TOPS (cores x clock x int8 ops per cycle)."""
    memory_technology: MemoryTechnology | None = None
    # The host this accelerator usually sits in (offload to system RAM); None: catalogs/hosts.toml's
    # row for the hardware kind.
    host_ram_gib: float | None = Field(default=None, gt=0)
    """System RAM of the usual host, GiB."""
    host_ram_bandwidth_gb_s: float | None = Field(default=None, gt=0)
    """Peak bandwidth of the usual host's system RAM, GB/s."""
    pcie_gb_s: float | None = Field(default=None, gt=0)
    """Host-to-device bandwidth, one direction, GB/s (None: host_link_gb_s)."""

    @property
    def scale_up_gpus(self) -> int:
        """GPUs that reach each other over the scale-up link."""
        if self.scale_up_domain is not None:
            return self.scale_up_domain
        return self.max_devices if self.interconnect_gb_s > 0 else 1

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
    def idle_watts(self) -> float:
        """Idle draw with a model loaded: the catalog's figure, else the default share of TDP."""
        if self.idle_power_w is not None:
            return min(self.idle_power_w, self.power_w)
        return self.power_w * IDLE_POWER_FRACTION

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
    """Fraction of peak bandwidth reached by single-stream decode (the fallback where memory_efficiency has
    no key for the hardware's backend or memory family)."""
    prefill_compute_efficiency: float = Field(gt=0, le=1)
    """Fraction of dense peak reached by large matmuls (the fallback where compute_efficiency has no key
    for the compute path)."""
    batched_compute_efficiency: float = Field(gt=0, le=1)
    """Fraction of dense peak reached by batched decode matmuls. Not used since the per-operation model
    (eta(M) with matmul_half_tokens covers small batches); kept so existing catalogs load."""
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
    """Bandwidth reached reading the KV cache, relative to reading weights (paged attention kernels);
    the timing caps it at 1."""
    moe_compute_efficiency: float = Field(default=1.0, gt=0, le=2)
    """Compute efficiency of routed-expert matmuls relative to dense ones (grouped GEMM, routing); the
    timing caps it at 1."""
    roofline_sharpness: float = Field(default=4.0, ge=1, le=64)
    """p of the smooth maximum of the old single-roofline model. Not used since the per-operation model
    (each operation takes the larger of its memory and compute time); kept so existing catalogs load."""
    backend_efficiency: dict[str, float] = {}
    """Multipliers on bandwidth efficiency by hardware id, "kind:vendor", kind or vendor (lowercase)."""
    backend_compute_efficiency: dict[str, float] = {}
    """Multipliers on compute efficiency, keyed like backend_efficiency."""
    backend_layer_overhead_us: dict[str, float] = {}
    """Per-layer overhead that replaces layer_overhead_us on some hardware, keyed like backend_efficiency."""
    multi_gpu: Literal["tensor", "pipeline"] = "tensor"
    """How the engine splits a model over GPUs by default: tensor parallel or layers (pipeline)."""
    # The per-operation timing model (core/perf.py, core/timing.py). Every efficiency is a share of a
    # peak, in (0, 1]; an empty table falls back to the single-number fields above.
    memory_efficiency: dict[str, float] = {}
    """Share of peak bandwidth weight reads reach, by "backend:memory", backend or memory family
    (hbm, gddr, lpddr, ddr); falls back to decode_bandwidth_efficiency."""
    compute_efficiency: dict[str, float] = {}
    """eta_max of the matmuls by compute path (tensor, mmq, cublas, metal, vulkan, rocm, cpu); falls back
    to prefill_compute_efficiency."""
    matmul_half_tokens: float = Field(default=0.0, ge=0)
    """M_half of eta(M) = eta_max * M / (M + M_half): rows per matmul at which half the peak is reached
    (0: eta_max at any size)."""
    sequence_overhead_us: float = Field(default=0.0, ge=0)
    """Host cost per running sequence per step (scheduling, sampling, cache bookkeeping)."""
    matvec_max_rows: float = Field(default=0.0, ge=0)
    """Largest rows per matmul (tokens, or an expert's rows) the engine runs through a mat-vec kernel
    instead of a tiled GEMM (llama.cpp: 8, ggml-cuda's MMVQ_MAX_BATCH_SIZE). A mat-vec kernel pads no
    rows, so its compute runs at eta_max rather than eta(M); 0: every matmul is a tiled GEMM."""
    expert_call_overhead_us: float = Field(default=0.0, ge=0)
    """Cost per routed expert per MoE layer per step, for engines that run experts one after another."""
    decode_copies_expert_weights: bool = False
    """Decode runs routed experts as one batched matmul over a copy of each (token, expert) pair's weights
    (Transformers' "batched_mm" experts backend, which generate() switches to for decode): every routed
    token reads its experts' weights, writes the copy, and the batched matmul reads it again."""
    host_overlaps_device: bool = False
    """Eager PyTorch: kernels are launched asynchronously, so the host's per-layer and per-sequence time
    overlaps the device's work and a step takes the longer of the two, not their sum."""
    decode_graphs: bool = False
    """Decode steps replay captured CUDA/HIP graphs: no per-layer launch cost in a decode-only step
    (prefill and mixed steps still launch their kernels)."""

    @field_validator("memory_efficiency", "compute_efficiency")
    @classmethod
    def _check_shares(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0 < v <= 1}
        if bad:
            raise ValueError(f"efficiencies are shares of a peak, in (0, 1]: {bad}")
        return value
    default_on: tuple[str, ...] = ()
    """Hardware the engine is picked for when the user chose none: ids, "kind:vendor", kinds or vendors."""
    prefix_block_tokens: int = Field(default=1, ge=1)
    """Tokens per KV block the prefix cache shares whole (vLLM's block_size; 1: cached per token)."""


class QualitySpec(Entry):
    """Published quality loss of one weight format against the 16-bit original of one reference model.

    The entry id is the format id it describes (one row per format). Numbers are copied as published;
    they describe the reference model only and serve to rank formats, not to predict another model's loss.
    """

    reference_model: str
    """Model the measurement was made on (e.g. "Llama 3 8B")."""
    baseline: str = "fp16"
    """Format the loss is measured against."""
    benchmark: str
    """What was measured and how (e.g. "llama.cpp perplexity, wikitext-2 test")."""
    imatrix: str = ""
    """Importance matrix the quantization used, as published ("" for none)."""
    size_gib: float | None = Field(default=None, gt=0)
    """Size of the quantized reference model, GiB, as published."""
    ppl: float | None = Field(default=None, gt=0)
    """Perplexity of the quantized model."""
    delta_ppl: float | None = None
    """Perplexity increase over the baseline."""
    kld: float | None = Field(default=None, ge=0)
    """Mean Kullback-Leibler divergence of the token distributions from the baseline's."""
    recovery_pct: float | None = Field(default=None, gt=0)
    """Benchmark score as a percentage of the baseline's (100 = no loss)."""

    @model_validator(mode="after")
    def _check_has_a_number(self) -> QualitySpec:
        if self.delta_ppl is None and self.kld is None and self.recovery_pct is None:
            raise ValueError("a quality entry needs at least one of delta_ppl, kld or recovery_pct")
        return self


class AcceptanceSpec(Entry):
    """Share of drafted tokens the target accepts, per speculative method and (target, draft) pair.

    `acceptance` is the per-token rate a of the geometric model: draft token i is accepted with
    probability a^i, so a step yields (1 - a^(k+1)) / (1 - a) tokens. An entry with an empty target
    applies to every target of its method; the entry with method "default" applies when none matches.
    """

    method: Literal["draft_model", "mtp", "eagle", "default"]
    target: str = ""
    """Model id of the target ("" for any)."""
    draft: str = ""
    """Model id of the draft model (method draft_model only)."""
    acceptance: float | None = Field(default=None, ge=0, le=1)
    """Per-token acceptance rate, where published as such."""
    tokens_per_step: float | None = Field(default=None, ge=1)
    """Published mean accepted length (tokens per verification step, the target's own included) at
    draft_tokens; the core derives the per-token rate from it."""
    draft_tokens: int | None = Field(default=None, ge=1)
    """Draft length the rate was measured at, where published."""

    @model_validator(mode="after")
    def _check_draft(self) -> AcceptanceSpec:
        if self.draft and self.method != "draft_model":
            raise ValueError("only method draft_model names a draft model")
        if (self.acceptance is None) == (self.tokens_per_step is None):
            raise ValueError("give exactly one of acceptance or tokens_per_step")
        if self.tokens_per_step is not None:
            if self.draft_tokens is None:
                raise ValueError("tokens_per_step needs the draft_tokens it was measured at")
            if self.tokens_per_step > self.draft_tokens + 1:
                raise ValueError("tokens_per_step cannot exceed draft_tokens + 1")
        return self


class HostSpec(Entry):
    """The machine an accelerator of one kind usually sits in: what offloading to system RAM runs on."""

    kind: HardwareKind
    """Hardware kind whose usual host this row describes."""
    ram_gib: float = Field(gt=0)
    ram_bandwidth_gb_s: float = Field(gt=0)
    """Peak system-RAM bandwidth (channels x transfer rate x 8 bytes), GB/s."""
    ram_bandwidth_efficiency: float = Field(gt=0, le=1)
    """Share of the peak that CPU token generation reaches (llama.cpp on the CPU)."""
    cpu_cores: int = Field(gt=0)
    cpu_tflops: float = Field(gt=0)
    """Matmul rate CPU prompt processing reaches on quantized weights, TFLOPS (achieved, not peak)."""


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
    quality: dict[str, QualitySpec] = {}
    """Format id -> published quality loss of that format (catalogs/quality.toml)."""
    acceptance: dict[str, AcceptanceSpec] = {}
    """Id -> speculative-decoding acceptance rate (catalogs/speculative.toml)."""
    hosts: dict[str, HostSpec] = {}
    """Id -> usual host of a hardware kind (catalogs/hosts.toml): system RAM and CPU for offload."""
