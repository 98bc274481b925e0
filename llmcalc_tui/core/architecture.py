"""Parameter counts, weight bytes and KV-cache bytes derived from a model's architecture."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from llmcalc_tui.catalog.schema import FormatSpec, ModelSpec


@dataclass(frozen=True, slots=True)
class ParamBreakdown:
    """Parameter counts split by the role a tensor plays, since formats treat roles differently."""

    embedding: int
    lm_head: int
    attention: int
    """Attention projection matrices, all layers."""
    dense_mlp: int
    """Dense MLP matrices (all layers of a dense model; the dense layers of an MoE model)."""
    experts: int
    """Routed expert matrices, all experts, all MoE layers."""
    shared_experts: int
    router: int
    small: int
    """Norm weights, biases, attention sinks: always kept at high precision."""
    active_experts: int
    """Routed expert matrices used by one token (top-k per MoE layer)."""
    attn_v_and_mlp_down_per_layer: int
    """attn_v + ffn_down of one dense layer, the tensors llama.cpp upgrades in K-quant mixes."""

    @property
    def total(self) -> int:
        return (
            self.embedding + self.lm_head + self.attention + self.dense_mlp + self.experts
            + self.shared_experts + self.router + self.small
        )

    @property
    def active(self) -> int:
        """Parameters touched per token, counting the input embedding and the lm_head."""
        return self.total - self.experts + self.active_experts

    @property
    def linear_non_expert(self) -> int:
        return self.attention + self.dense_mlp + self.shared_experts


def _norm_weights(model: ModelSpec, width: int) -> int:
    return width * (2 if model.norm_type == "layernorm" else 1)


@lru_cache(maxsize=4096)
def param_breakdown(model: ModelSpec) -> ParamBreakdown:
    """Count every nn.Parameter of the model from its hyperparameters."""
    h = model.hidden_size
    nq = model.num_attention_heads
    layers = model.num_layers
    small_per_layer = model.norms_per_layer * _norm_weights(model, h)

    if model.is_mla:
        qk_dim = model.qk_nope_head_dim + model.qk_rope_head_dim
        if model.q_lora_rank:
            q = h * model.q_lora_rank + model.q_lora_rank * nq * qk_dim
            small_per_layer += model.q_lora_rank
        else:
            q = h * nq * qk_dim
        kv = h * (model.kv_lora_rank + model.qk_rope_head_dim)
        kv += model.kv_lora_rank * nq * (model.qk_nope_head_dim + model.v_head_dim)
        small_per_layer += model.kv_lora_rank
        attention_per_layer = q + kv + nq * model.v_head_dim * h
        v_proj = model.kv_lora_rank * nq * model.v_head_dim
    else:
        hd = model.resolved_head_dim
        q_width = nq * hd
        kv_width = model.num_key_value_heads * hd
        attention_per_layer = 2 * h * q_width + 2 * h * kv_width
        v_proj = h * kv_width
        if model.attention_bias in ("qkv", "qkvo"):
            small_per_layer += q_width + 2 * kv_width
        if model.attention_bias == "qkvo":
            small_per_layer += h
        if model.qk_norm:
            small_per_layer += 2 * hd
    if model.attention_sinks:
        small_per_layer += nq

    matrices = 3 if model.mlp_type == "gated" else 2
    dense_width = model.dense_intermediate_size or model.intermediate_size
    dense_layers = layers - model.moe_layers
    dense_mlp = dense_layers * matrices * h * dense_width

    experts = shared = router = active_experts = 0
    small = layers * small_per_layer
    if model.is_moe:
        per_expert = matrices * h * model.expert_intermediate_size
        experts = model.moe_layers * model.num_experts * per_expert
        active_experts = model.moe_layers * model.experts_per_token * per_expert
        shared_width = model.shared_expert_intermediate_size or model.expert_intermediate_size
        shared = model.moe_layers * model.num_shared_experts * matrices * h * shared_width
        router = model.moe_layers * h * model.num_experts
        if model.router_bias:
            small += model.moe_layers * model.num_experts
        if model.router_score_correction_bias:
            small += model.moe_layers * model.num_experts
        if model.expert_bias:
            # Expert biases travel with their experts: read only when the expert is routed to.
            bias_per_expert = (2 if model.mlp_type == "gated" else 1) * model.expert_intermediate_size + h
            experts += model.moe_layers * model.num_experts * bias_per_expert
            active_experts += model.moe_layers * model.experts_per_token * bias_per_expert

    embedding = model.vocab_size * h
    lm_head = 0 if model.tied_embeddings else model.vocab_size * h
    small += _norm_weights(model, h)  # final norm
    return ParamBreakdown(
        embedding=embedding,
        lm_head=lm_head,
        attention=layers * attention_per_layer,
        dense_mlp=dense_mlp,
        experts=experts,
        shared_experts=shared,
        router=router,
        small=small,
        active_experts=active_experts,
        attn_v_and_mlp_down_per_layer=v_proj + h * dense_width,
    )


def llama_cpp_upgraded_layers(num_layers: int) -> int:
    """How many layers llama.cpp's use_more_bits rule gives higher-precision attn_v and ffn_down."""
    eighth = num_layers // 8
    return sum(
        1
        for i in range(num_layers)
        if i < eighth or i >= 7 * num_layers // 8 or (i - eighth) % 3 == 2
    )


@dataclass(frozen=True, slots=True)
class WeightBytes:
    """Bytes of the weights, split into what every token reads and what only routed tokens read."""

    total: float
    non_expert_read: float
    """Bytes every decode step reads regardless of routing (embedding lookup excluded)."""
    expert_total: float
    """Bytes of all routed experts."""
    per_expert_layer: float
    """Bytes of one routed expert in one MoE layer."""


@lru_cache(maxsize=8192)
def weight_bytes(model: ModelSpec, fmt: FormatSpec) -> WeightBytes:
    """Bytes the weights take in a format, honouring which tensors the format leaves at high precision."""
    p = param_breakdown(model)
    bits = fmt.bits_per_weight
    high = fmt.high_precision_bits
    if fmt.quantizes == "experts_only" and model.is_moe:
        linear_bits = high
        embed_bits = fmt.embedding_bits or high
        output_bits = fmt.output_bits or high
    else:
        linear_bits = bits
        embed_bits = fmt.embedding_bits or bits
        output_bits = fmt.output_bits or bits
    expert_bits = bits
    if model.tied_embeddings:
        # The single tied matrix serves as the output layer, so it takes the output precision.
        embed_bits = output_bits

    linear_non_expert = p.linear_non_expert * linear_bits
    if fmt.upgraded_bits and fmt.upgrade_rule != "none" and linear_bits == bits:
        dense_layers = model.num_layers - model.moe_layers
        upgraded = (
            dense_layers if fmt.upgrade_rule == "all" else llama_cpp_upgraded_layers(dense_layers)
        )
        extra = upgraded * p.attn_v_and_mlp_down_per_layer * (fmt.upgraded_bits - linear_bits)
        linear_non_expert += max(extra, 0.0)

    router_bits = high
    small_bits = 32 if fmt.kind == "gguf" else high
    lm_head_bytes = p.lm_head * output_bits / 8
    embedding_bytes = p.embedding * embed_bits / 8
    non_expert_read = (
        linear_non_expert / 8 + p.router * router_bits / 8 + p.small * small_bits / 8 + lm_head_bytes
    )
    if model.tied_embeddings:
        non_expert_read += embedding_bytes  # the tied matrix is read in full as the output layer
    expert_total = p.experts * expert_bits / 8
    per_expert = expert_total / (model.moe_layers * model.num_experts) if model.is_moe else 0.0
    total = non_expert_read + expert_total + (0 if model.tied_embeddings else embedding_bytes)
    return WeightBytes(
        total=total,
        non_expert_read=non_expert_read,
        expert_total=expert_total,
        per_expert_layer=per_expert,
    )


def expected_experts_touched(model: ModelSpec, tokens: int) -> float:
    """Expected distinct routed experts per MoE layer that a step of `tokens` tokens activates.

    Uniform routing is assumed: each token picks top-k of E experts.
    """
    if not model.is_moe or tokens <= 0:
        return 0.0
    e = model.num_experts
    k = model.experts_per_token
    return e * (1.0 - (1.0 - k / e) ** tokens)


def kv_values_per_token_per_layer(model: ModelSpec) -> int:
    """Cached values per token per layer: K and V for each KV head, or the MLA latent."""
    if model.is_mla:
        return model.kv_lora_rank + model.qk_rope_head_dim
    return 2 * model.num_key_value_heads * model.resolved_head_dim


def kv_bytes_per_token(model: ModelSpec, bytes_per_value: float) -> float:
    """KV-cache bytes per token with every layer caching the full context."""
    return model.num_layers * kv_values_per_token_per_layer(model) * bytes_per_value


def kv_cache_bytes(
    model: ModelSpec, context_tokens: int, bytes_per_value: float, windowed: bool = True, tp: int = 1
) -> float:
    """KV-cache bytes of one sequence of context_tokens, across all GPUs.

    Sliding-window layers hold at most the window when the engine frees them; with tensor
    parallelism wider than the KV heads, heads are replicated so the total grows.
    """
    per_layer = kv_values_per_token_per_layer(model) * bytes_per_value
    if not model.is_mla and tp > model.num_key_value_heads:
        per_layer *= tp / model.num_key_value_heads
    elif model.is_mla and tp > 1:
        per_layer *= tp  # the latent is not split across heads, every rank keeps a copy
    window_layers = model.sliding_window_layers if windowed and model.sliding_window else 0
    full_layers = model.num_layers - window_layers
    window_tokens = min(context_tokens, model.sliding_window or 0)
    return per_layer * (full_layers * context_tokens + window_layers * window_tokens)


def matmul_flops_per_token(model: ModelSpec) -> float:
    """Forward matmul FLOPs per token (2 per weight used), lm_head included, embedding lookup not."""
    p = param_breakdown(model)
    output = p.lm_head if not model.tied_embeddings else p.embedding
    used = p.linear_non_expert + p.active_experts + p.router + output
    return 2.0 * used


def attention_flops_per_token(model: ModelSpec, context_tokens: float) -> float:
    """Attention score and value FLOPs for one query token against a context (query heads)."""
    if model.is_mla:
        # Absorbed MLA decode: scores over the 576-wide latent and values through the 512-wide latent.
        per_ctx = 2 * model.num_attention_heads * (
            model.kv_lora_rank + model.qk_rope_head_dim + model.kv_lora_rank
        )
        return model.num_layers * per_ctx * context_tokens
    hd = model.resolved_head_dim
    window_layers = model.sliding_window_layers if model.sliding_window else 0
    full = model.num_layers - window_layers
    windowed_ctx = min(context_tokens, model.sliding_window or 0)
    return 4 * model.num_attention_heads * hd * (full * context_tokens + window_layers * windowed_ctx)
