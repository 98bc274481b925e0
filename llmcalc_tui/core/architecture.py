"""Parameter counts, weight bytes and KV-cache bytes derived from a model's architecture."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from llmcalc_tui.catalog.schema import (
    LATENT_KINDS, SOFTMAX_KINDS, FormatSpec, LayerType, ModelSpec,
)


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
    mtp: int = 0
    """Multi-token-prediction layers: loaded only for speculative decoding, not in total."""
    vision: int = 0
    """Vision/audio tower of a multimodal checkpoint: in memory when the engine loads it, not in total."""

    @property
    def total(self) -> int:
        return (
            self.embedding + self.lm_head + self.attention + self.dense_mlp + self.experts
            + self.shared_experts + self.router + self.small
        )

    @property
    def active(self) -> int:
        """Parameters used per token: the lm_head and the routed experts a token picks; an untied input
        embedding is left out (a token reads one row of it), a tied one counts as the output layer."""
        untied_embedding = self.embedding if self.lm_head else 0
        return self.total - self.experts + self.active_experts - untied_embedding

    @property
    def linear_non_expert(self) -> int:
        return self.attention + self.dense_mlp + self.shared_experts


def _norm_weights(model: ModelSpec, width: int) -> int:
    return width * (2 if model.norm_type == "layernorm" else 1)


@dataclass(frozen=True, slots=True)
class MixerParams:
    """Parameters of one layer's token mixer: projection matrices, and small tensors kept at high precision."""

    matrices: int
    small: int
    v_proj: int
    """The value projection (llama.cpp upgrades it in K-quant mixes)."""


def mixer_params(model: ModelSpec, lt: LayerType) -> MixerParams:
    """Attention / linear-attention / SSM parameters of one layer of type lt."""
    h = model.hidden_size
    kind = lt.attention
    if kind in SOFTMAX_KINDS:
        nq, nkv, dk, dv = lt.num_attention_heads, lt.num_key_value_heads, lt.head_dim, lt.value_dim
        q_width = nq * dk * (2 if lt.output_gate else 1)
        v_proj = 0 if lt.k_eq_v else h * nkv * dv
        matrices = h * q_width + h * nkv * dk + v_proj + nq * dv * h
        small = 0
        if lt.attention_bias in ("qkv", "qkvo"):
            small += q_width + nkv * dk + (0 if lt.k_eq_v else nkv * dv)
        if lt.attention_bias == "qkvo":
            small += h
        if lt.qk_norm:
            small += 2 * dk
        if lt.qk_norm_full_width:
            small += (nq + nkv) * dk
        if lt.attention_sinks:
            small += nq
        return MixerParams(matrices, small, v_proj)
    if kind in LATENT_KINDS:
        nq = lt.num_attention_heads
        qk_dim = lt.qk_nope_head_dim + lt.qk_rope_head_dim
        small = lt.kv_lora_rank  # kv_a_layernorm
        if lt.q_lora_rank:
            q = h * lt.q_lora_rank + lt.q_lora_rank * nq * qk_dim
            small += lt.q_lora_rank  # q_a_layernorm
        else:
            q = h * nq * qk_dim
        kv = h * (lt.kv_lora_rank + lt.qk_rope_head_dim)
        kv += lt.kv_lora_rank * nq * (lt.qk_nope_head_dim + lt.v_head_dim)
        matrices = q + kv + nq * lt.v_head_dim * h
        if kind == "dsa":
            # Indexer: wq_b (q latent -> index heads), wk (hidden -> one key), k_norm (LayerNorm), weights_proj.
            q_in = lt.q_lora_rank or h
            matrices += q_in * lt.index_n_heads * lt.index_head_dim + h * lt.index_head_dim + h * lt.index_n_heads
            small += 2 * lt.index_head_dim
        if lt.attention_sinks:
            small += nq
        return MixerParams(matrices, small, lt.kv_lora_rank * nq * lt.v_head_dim)
    if kind == "linear":
        # Gated DeltaNet: in_proj q,k,v,z (2 key + 2 value widths) and b,a (one per value head), a short conv over
        # q,k,v, per-head dt_bias and A_log, a gated RMSNorm over the value head, out_proj.
        key_dim = lt.linear_num_key_heads * lt.linear_key_head_dim
        value_dim = lt.linear_num_value_heads * lt.linear_value_head_dim
        nv = lt.linear_num_value_heads
        matrices = h * (2 * key_dim + 2 * value_dim + 2 * nv) + value_dim * h
        conv = (2 * key_dim + value_dim) * lt.conv_kernel
        small = conv + 2 * nv + lt.linear_value_head_dim
        return MixerParams(matrices, small, h * value_dim)
    if kind == "mamba2":
        inner = lt.mamba_num_heads * lt.mamba_head_dim
        conv_dim = inner + 2 * lt.mamba_groups * lt.ssm_state_size
        in_width = inner + conv_dim + lt.mamba_num_heads  # z, (x, B, C), dt
        matrices = h * in_width + inner * h
        small = conv_dim * lt.conv_kernel + 3 * lt.mamba_num_heads + inner  # conv, dt_bias/A_log/D, gated norm
        if lt.mamba_conv_bias:
            small += conv_dim
        if lt.mamba_proj_bias:
            small += in_width + h
        return MixerParams(matrices, small, h * inner)
    return MixerParams(0, 0, 0)


def _mlp_matrices(model: ModelSpec) -> int:
    return 3 if model.mlp_type == "gated" else 2


def _moe_parts(model: ModelSpec) -> tuple[int, int, int, int, int]:
    """One MoE layer: (routed experts, active routed experts, shared experts, router, small)."""
    h = model.hidden_size
    matrices = _mlp_matrices(model)
    per_expert = matrices * h * model.expert_intermediate_size
    experts = model.num_experts * per_expert
    active = model.experts_per_token * per_expert
    shared_width = model.shared_expert_intermediate_size or model.expert_intermediate_size
    shared = model.num_shared_experts * matrices * h * shared_width
    router = h * model.num_experts
    small = 0
    if model.router_bias:
        small += model.num_experts
    if model.router_score_correction_bias:
        small += model.num_experts
    if model.shared_expert_gate:
        router += h
    if model.router_scale:
        small += h + model.num_experts
    if model.expert_bias:
        # Expert biases travel with their experts: read only when the expert is routed to.
        bias_per_expert = (2 if model.mlp_type == "gated" else 1) * model.expert_intermediate_size + h
        experts += model.num_experts * bias_per_expert
        active += model.experts_per_token * bias_per_expert
    return experts, active, shared, router, small


@lru_cache(maxsize=4096)
def param_breakdown(model: ModelSpec) -> ParamBreakdown:
    """Count every nn.Parameter of the model from its layer types: a sum over layers."""
    h = model.hidden_size
    matrices = _mlp_matrices(model)
    attention = dense_mlp = experts = shared = router = small = active_experts = 0
    upgrade_unit = 0
    for lt in model.layers:
        mixer = mixer_params(model, lt)
        norms = model.norms_per_layer if lt.norms is None else lt.norms
        attention += lt.count * mixer.matrices
        small += lt.count * (mixer.small + norms * _norm_weights(model, h))
        if lt.mlp in ("dense", "dense_moe"):
            dense_mlp += lt.count * matrices * h * lt.intermediate_size
            if not upgrade_unit:
                upgrade_unit = mixer.v_proj + h * lt.intermediate_size
        if lt.mlp in ("moe", "dense_moe"):
            e, a, sh, r, sm = _moe_parts(model)
            experts += lt.count * e
            active_experts += lt.count * a
            shared += lt.count * sh
            router += lt.count * r
            small += lt.count * sm
    embedding = model.vocab_size * h
    lm_head = 0 if model.tied_embeddings else model.vocab_size * h
    small += _norm_weights(model, h)  # final norm
    return ParamBreakdown(
        embedding=embedding,
        lm_head=lm_head,
        attention=attention,
        dense_mlp=dense_mlp,
        experts=experts,
        shared_experts=shared,
        router=router,
        small=small,
        active_experts=active_experts,
        attn_v_and_mlp_down_per_layer=upgrade_unit,
        mtp=mtp_params(model),
        vision=model.vision_params,
    )


def layer_params(model: ModelSpec, lt: LayerType) -> int:
    """All parameters of one layer of type lt (every routed expert included)."""
    h = model.hidden_size
    mixer = mixer_params(model, lt)
    norms = model.norms_per_layer if lt.norms is None else lt.norms
    total = mixer.matrices + mixer.small + norms * _norm_weights(model, h)
    if lt.mlp in ("dense", "dense_moe"):
        total += _mlp_matrices(model) * h * lt.intermediate_size
    if lt.mlp in ("moe", "dense_moe"):
        e, _, sh, r, sm = _moe_parts(model)
        total += e + sh + r + sm
    return total


def mtp_params(model: ModelSpec) -> int:
    """Multi-token-prediction modules: a copy of the last layer type, the 2H->H projection and 3 norms each."""
    if not model.mtp_layers:
        return 0
    h = model.hidden_size
    extra = 2 * h * h + 3 * _norm_weights(model, h)
    # The module copies the model's last decoder layer, an MoE one in an MoE model; a flat catalog entry
    # expands its dense layers after the MoE ones, so the last type listed is not always the last layer.
    last = model.layers[-1]
    if model.is_moe and last.mlp not in ("moe", "dense_moe"):
        last = next(lt for lt in reversed(model.layers) if lt.mlp in ("moe", "dense_moe"))
    return model.mtp_layers * (layer_params(model, last) + extra)


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
    vision: float = 0.0
    """Bytes of the vision/audio tower (in total; not read per generated token)."""
    output: float = 0.0
    """Bytes of the output layer (lm_head, or the tied embedding): part of non_expert_read."""
    embedding_row: float = 0.0
    """Bytes of one row of an untied input embedding (what a token reads of it)."""


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
    output_bytes = embedding_bytes if model.tied_embeddings else lm_head_bytes
    embedding_row = 0.0 if model.tied_embeddings else model.hidden_size * embed_bits / 8
    expert_total = p.experts * expert_bits / 8
    per_expert = expert_total / (model.moe_layers * model.num_experts) if model.is_moe else 0.0
    vision = p.vision * high / 8  # engines keep the vision tower unquantized
    total = non_expert_read + expert_total + (0 if model.tied_embeddings else embedding_bytes) + vision
    if model.checkpoint_bytes and fmt.id == model.native_dtype:
        # The checkpoint's own format: what is really stored beats the format's nominal bits.
        scale = model.checkpoint_bytes / total
        return WeightBytes(
            total=float(model.checkpoint_bytes),
            non_expert_read=non_expert_read * scale,
            expert_total=expert_total * scale,
            per_expert_layer=per_expert * scale,
            vision=vision * scale,
            output=output_bytes * scale,
            embedding_row=embedding_row * scale,
        )
    return WeightBytes(
        total=total,
        non_expert_read=non_expert_read,
        expert_total=expert_total,
        per_expert_layer=per_expert,
        vision=vision,
        output=output_bytes,
        embedding_row=embedding_row,
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


def cached_values_per_token(lt: LayerType) -> int:
    """Values one layer of type lt caches per token in the KV-cache format: K and V of each KV head, or the
    MLA latent; nothing for linear-attention and state-space layers (their state is fixed)."""
    if lt.attention in SOFTMAX_KINDS:
        return lt.num_key_value_heads * (lt.head_dim + lt.value_dim)
    if lt.attention in LATENT_KINDS:
        return lt.kv_lora_rank + lt.qk_rope_head_dim
    return 0


INDEXER_SCALE_BLOCK = 128
"""The DSA indexer key cache is FP8 with one fp32 scale per 128 values (DeepSeek-V3.2 reference inference)."""


def indexer_bytes_per_token(lt: LayerType) -> int:
    """Bytes a DSA layer caches per token for its indexer key, whatever the KV-cache format: FP8 plus scales."""
    if lt.attention != "dsa":
        return 0
    return lt.index_head_dim + 4 * -(-lt.index_head_dim // INDEXER_SCALE_BLOCK)


def kv_values_per_token_per_layer(model: ModelSpec) -> int:
    """Cached values per token per layer, averaged over the layers (exact for uniform models)."""
    total = sum(lt.count * cached_values_per_token(lt) for lt in model.layers)
    return total // model.num_layers


def kv_bytes_per_token(model: ModelSpec, bytes_per_value: float) -> float:
    """KV-cache bytes per token with every attention layer caching the full context (fixed state excluded)."""
    return sum(
        lt.count * (cached_values_per_token(lt) * bytes_per_value + indexer_bytes_per_token(lt))
        for lt in model.layers
    )


def _replication(lt: LayerType, tp: int) -> float:
    """How many times tensor parallelism stores a layer's cache: KV heads are replicated when tp exceeds
    them, and the MLA latent (shared by all heads) is kept whole on every rank."""
    if lt.attention in SOFTMAX_KINDS and tp > lt.num_key_value_heads:
        return tp / lt.num_key_value_heads
    if lt.attention in LATENT_KINDS and tp > 1:
        return float(tp)
    return 1.0


def _cached_tokens(lt: LayerType, context_tokens: int, windowed: bool) -> int:
    if windowed and lt.window and lt.attention in ("sliding", "chunked"):
        return min(context_tokens, lt.window)
    return context_tokens


CONV_STATE_BYTES = 2
"""Convolution state of linear/Mamba2 layers, kept in the activation dtype (bf16)."""
RECURRENT_STATE_BYTES = 4
"""Recurrent (SSM / delta-rule) state, kept in fp32 by the reference implementations (mamba_ssm_dtype float32)."""


def recurrent_state_values(lt: LayerType) -> tuple[int, int]:
    """(convolution state, recurrent state) values one layer of type lt keeps per sequence."""
    if lt.attention == "linear":
        key_dim = lt.linear_num_key_heads * lt.linear_key_head_dim
        value_dim = lt.linear_num_value_heads * lt.linear_value_head_dim
        conv = (2 * key_dim + value_dim) * (lt.conv_kernel - 1)
        state = lt.linear_num_value_heads * lt.linear_key_head_dim * lt.linear_value_head_dim
        return conv, state
    if lt.attention == "mamba2":
        inner = lt.mamba_num_heads * lt.mamba_head_dim
        conv = (inner + 2 * lt.mamba_groups * lt.ssm_state_size) * (lt.conv_kernel - 1)
        return conv, lt.mamba_num_heads * lt.mamba_head_dim * lt.ssm_state_size
    return 0, 0


def recurrent_state_bytes(
    model: ModelSpec, conv_bytes: float = CONV_STATE_BYTES, state_bytes: float = RECURRENT_STATE_BYTES
) -> float:
    """Fixed state of one sequence in the linear-attention and state-space layers, whatever its length."""
    if conv_bytes == CONV_STATE_BYTES and state_bytes == RECURRENT_STATE_BYTES:
        return _default_state_bytes(model)
    return _state_bytes(model, conv_bytes, state_bytes)


def _state_bytes(model: ModelSpec, conv_bytes: float, state_bytes: float) -> float:
    total = 0.0
    for lt in model.layers:
        conv, state = recurrent_state_values(lt)
        total += lt.count * (conv * conv_bytes + state * state_bytes)
    return total


@lru_cache(maxsize=4096)
def _default_state_bytes(model: ModelSpec) -> float:
    return _state_bytes(model, CONV_STATE_BYTES, RECURRENT_STATE_BYTES)


@lru_cache(maxsize=4096)
def _cache_terms(model: ModelSpec) -> tuple[tuple[int, int, int, int, bool, int], ...]:
    """Per caching layer type: (layers, values per token, indexer bytes per token, window or 0, latent?, KV heads)."""
    terms = []
    for lt in model.layers:
        values = cached_values_per_token(lt)
        if not values:
            continue
        window = lt.window if lt.window and lt.attention in ("sliding", "chunked") else 0
        terms.append((lt.count, values, indexer_bytes_per_token(lt), window, lt.attention in LATENT_KINDS,
                      lt.num_key_value_heads))
    return tuple(terms)


def kv_cache_bytes(
    model: ModelSpec, context_tokens: int, bytes_per_value: float, windowed: bool = True, tp: int = 1,
    include_state: bool = True,
) -> float:
    """Cache of one sequence of context_tokens, across all GPUs: a sum over layer types.

    Sliding-window and chunked layers hold at most their window when the engine frees them; with tensor
    parallelism wider than a layer's KV heads, heads are replicated so the total grows. The fixed state of
    linear-attention and state-space layers is included unless include_state is False.
    """
    total = 0.0
    for count, values, indexer, window, latent, kv_heads in _cache_terms(model):
        tokens = min(context_tokens, window) if windowed and window else context_tokens
        per_token = values * bytes_per_value + indexer
        if tp > 1 and (latent or tp > kv_heads):
            per_token *= tp if latent else tp / kv_heads
        total += count * per_token * tokens
    if include_state:
        total += _default_state_bytes(model)
    return total


def kv_read_bytes(model: ModelSpec, context_tokens: int, bytes_per_value: float, windowed: bool = True,
                  tp: int = 1) -> float:
    """Cache bytes one decode step of one sequence reads: like kv_cache_bytes, except that DSA layers read
    the latent of only their top-k tokens (and every indexer key)."""
    total = recurrent_state_bytes(model)
    for lt in model.layers:
        values = cached_values_per_token(lt)
        if not values:
            continue
        tokens = _cached_tokens(lt, context_tokens, windowed)
        rep = _replication(lt, tp)
        if lt.attention == "dsa":
            total += lt.count * rep * (
                values * bytes_per_value * min(tokens, lt.index_topk) + indexer_bytes_per_token(lt) * tokens
            )
        else:
            total += lt.count * values * bytes_per_value * rep * tokens
    return total


def matmul_flops_per_token(model: ModelSpec) -> float:
    """Forward matmul FLOPs per token (2 per weight used), lm_head included, embedding lookup not."""
    p = param_breakdown(model)
    output = p.lm_head if not model.tied_embeddings else p.embedding
    used = p.linear_non_expert + p.active_experts + p.router + output
    return 2.0 * used


STATE_UPDATE_FLOPS_PER_VALUE = 6
"""Per token and recurrent-state element: decay, rank-1 update and read-out, a multiply-add each (2 FLOPs)."""


def attention_flops_per_token(model: ModelSpec, context_tokens: float) -> float:
    """Token-mixing FLOPs for one query token against a context: attention scores and values (query heads),
    the DSA indexer, and the state update of linear-attention and state-space layers."""
    total = 0.0
    for lt in model.layers:
        kind = lt.attention
        ctx = context_tokens
        if lt.window and kind in ("sliding", "chunked"):
            ctx = min(context_tokens, lt.window)
        if kind in SOFTMAX_KINDS:
            per_layer = 2 * lt.num_attention_heads * (lt.head_dim + lt.value_dim) * ctx
        elif kind in LATENT_KINDS:
            # Absorbed MLA decode: scores over the latent + rope key, values through the latent.
            width = lt.kv_lora_rank + lt.qk_rope_head_dim + lt.kv_lora_rank
            if kind == "dsa":
                per_layer = 2 * lt.num_attention_heads * width * min(ctx, lt.index_topk)
                per_layer += 2 * lt.index_n_heads * lt.index_head_dim * ctx
            else:
                per_layer = 2 * lt.num_attention_heads * width * ctx
        else:
            per_layer = STATE_UPDATE_FLOPS_PER_VALUE * recurrent_state_values(lt)[1]
        total += lt.count * per_layer
    return total
