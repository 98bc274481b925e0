"""Hugging Face config.json -> ModelSpec: the layer types of a checkpoint, read from its configuration.

Every architecture family is read from the fields its reference implementation reads. A config whose
layers cannot be sized exactly raises UnsupportedConfig naming the field, never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from llmcalc_tui.catalog.schema import ModelSpec

Config = dict[str, Any]


class UnsupportedConfig(ValueError):
    """A config.json llmcalc cannot size; .field names the missing/unknown field, str() is one clear line."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_MISSING = object()


def _get(cfg: Config, key: str, default: Any = _MISSING) -> Any:
    value = cfg.get(key, default)
    if value is _MISSING or value is None and default is _MISSING:
        arch = cfg.get("model_type", "?")
        raise UnsupportedConfig(key, f"config.json ({arch}) lacks {key!r}, needed to size the model")
    return value


def _int(cfg: Config, key: str, default: Any = _MISSING) -> int:
    value = _get(cfg, key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnsupportedConfig(key, f"config.json field {key!r} must be a non-negative integer, got {value!r}")
    return value


def _group(per_layer: list[dict]) -> list[dict]:
    """Identical per-layer descriptions merged into layer types with counts, in order of first appearance."""
    groups: list[dict] = []
    for desc in per_layer:
        for g in groups:
            if g["_desc"] == desc:
                g["count"] += 1
                break
        else:
            groups.append({"_desc": desc, "count": 1})
    return [{**g["_desc"], "count": g["count"]} for g in groups]


def _softmax(cfg: Config, *, heads: int | None = None, kv_heads: int | None = None, head_dim: int | None = None,
             **extra: Any) -> dict:
    h = _int(cfg, "hidden_size")
    nq = heads if heads is not None else _int(cfg, "num_attention_heads")
    nkv = kv_heads if kv_heads is not None else _int(cfg, "num_key_value_heads", nq) or nq
    hd = head_dim if head_dim is not None else (cfg.get("head_dim") or h // nq)
    return {"attention": "full", "num_attention_heads": nq, "num_key_value_heads": nkv, "head_dim": hd, **extra}


def _window(desc: dict, window: int | None, context: int) -> dict:
    if window and window < context:
        return {**desc, "attention": "sliding", "window": window}
    return desc


def _dense(width: int) -> dict:
    return {"mlp": "dense", "intermediate_size": width}


MOE = {"mlp": "moe"}

# ----------------------------------------------------------------------------------------- families


def _llama_like(cfg: Config, out: dict) -> list[dict]:
    """Llama, Mistral, Qwen2/3, SmolLM3, Phi-3/4, Granite: one attention and MLP shape for every layer."""
    mt = cfg.get("model_type")
    n = _int(cfg, "num_hidden_layers")
    context = out["context_length"]
    bias = "none"
    if mt == "qwen2":
        bias = "qkv"
    elif cfg.get("attention_bias"):
        bias = "qkvo"
    if cfg.get("mlp_bias"):
        raise UnsupportedConfig("mlp_bias", "config.json sets mlp_bias, which llmcalc does not size yet")
    window = None
    if mt in ("mistral", "phi3") or (mt in ("qwen2", "qwen3") and cfg.get("use_sliding_window")):
        window = cfg.get("sliding_window")
        if mt in ("qwen2", "qwen3") and _int(cfg, "max_window_layers", n) < n:
            raise UnsupportedConfig("max_window_layers", "config.json mixes windowed and full layers via max_window_layers")
    base = _softmax(cfg, attention_bias=bias, qk_norm=mt == "qwen3")
    base = _window(base, window, context)
    nope = [False] * n
    if mt == "smollm3":
        rope_flags = cfg.get("no_rope_layers")
        if rope_flags is None:
            interval = _int(cfg, "no_rope_layer_interval", 4)
            rope_flags = [int((i + 1) % interval != 0) for i in range(n)]
        nope = [not flag for flag in rope_flags]
    width = _int(cfg, "intermediate_size")
    return [{**base, **_dense(width), **({"nope": True} if nope[i] else {})} for i in range(n)]


def _qwen_moe(cfg: Config, out: dict) -> list[dict]:
    """Qwen2-MoE / Qwen3-MoE: MoE every decoder_sparse_step layers except mlp_only_layers."""
    n = _int(cfg, "num_hidden_layers")
    mt = cfg.get("model_type")
    step = _int(cfg, "decoder_sparse_step", 1) or 1
    dense_only = set(cfg.get("mlp_only_layers") or [])
    _moe_fields(cfg, out, experts="num_experts", width="moe_intermediate_size")
    if mt == "qwen2_moe":
        out["num_shared_experts"] = 1
        out["shared_expert_intermediate_size"] = _int(cfg, "shared_expert_intermediate_size")
        out["shared_expert_gate"] = True
    base = _softmax(cfg, attention_bias="qkv" if mt == "qwen2_moe" else "none", qk_norm=mt == "qwen3_moe")
    base = _window(base, cfg.get("sliding_window") if cfg.get("use_sliding_window") else None, out["context_length"])
    width = _int(cfg, "intermediate_size")
    return [
        {**base, **(MOE if i not in dense_only and (i + 1) % step == 0 else _dense(width))} for i in range(n)
    ]


def _moe_fields(cfg: Config, out: dict, *, experts: str, width: str, top_k: str = "num_experts_per_tok") -> None:
    out["num_experts"] = _int(cfg, experts)
    out["experts_per_token"] = _int(cfg, top_k)
    out["expert_intermediate_size"] = _int(cfg, width)


def _qwen_hybrid(cfg: Config, out: dict) -> list[dict]:
    """Qwen3-Next and Qwen3.5: Gated DeltaNet layers with a gated full-attention layer every few layers."""
    n = _int(cfg, "num_hidden_layers")
    types = cfg.get("layer_types")
    if types is None:
        interval = _int(cfg, "full_attention_interval")
        types = ["full_attention" if (i + 1) % interval == 0 else "linear_attention" for i in range(n)]
    if len(types) != n:
        raise UnsupportedConfig("layer_types", "config.json layer_types does not list num_hidden_layers entries")
    full = _softmax(cfg, output_gate=bool(cfg.get("attn_output_gate", True)), qk_norm=True)
    linear = {
        "attention": "linear",
        "linear_num_key_heads": _int(cfg, "linear_num_key_heads"),
        "linear_num_value_heads": _int(cfg, "linear_num_value_heads"),
        "linear_key_head_dim": _int(cfg, "linear_key_head_dim"),
        "linear_value_head_dim": _int(cfg, "linear_value_head_dim"),
        "conv_kernel": _int(cfg, "linear_conv_kernel_dim"),
    }
    if "num_experts" in cfg and cfg.get("num_experts"):
        _moe_fields(cfg, out, experts="num_experts", width="moe_intermediate_size")
        shared = _int(cfg, "shared_expert_intermediate_size", 0)
        if shared:
            out["num_shared_experts"] = 1
            out["shared_expert_intermediate_size"] = shared
            out["shared_expert_gate"] = True
        dense_only = set(cfg.get("mlp_only_layers") or [])
        step = _int(cfg, "decoder_sparse_step", 1) or 1
        width = cfg.get("intermediate_size") or 0
        mlps = [MOE if i not in dense_only and (i + 1) % step == 0 else _dense(width) for i in range(n)]
    else:
        mlps = [_dense(_int(cfg, "intermediate_size"))] * n
    out["mtp_layers"] = _int(cfg, "mtp_num_hidden_layers", 0) or _int(cfg, "num_nextn_predict_layers", 0)
    per_layer = []
    for kind, mlp in zip(types, mlps, strict=True):
        if kind == "full_attention":
            per_layer.append({**full, **mlp})
        elif kind == "linear_attention":
            per_layer.append({**linear, **mlp})
        else:
            raise UnsupportedConfig("layer_types", f"unknown layer type {kind!r} in config.json layer_types")
    return per_layer


def _deepseek(cfg: Config, out: dict) -> list[dict]:
    """DeepSeek V3/V3.1/V3.2, Kimi K2, GLM-5: MLA (DSA when an indexer is configured), dense first layers, MoE."""
    n = _int(cfg, "num_hidden_layers")
    attention = {
        "attention": "mla",
        "num_attention_heads": _int(cfg, "num_attention_heads"),
        "q_lora_rank": _int(cfg, "q_lora_rank", 0) or 0,
        "kv_lora_rank": _int(cfg, "kv_lora_rank"),
        "qk_nope_head_dim": _int(cfg, "qk_nope_head_dim"),
        "qk_rope_head_dim": _int(cfg, "qk_rope_head_dim"),
        "v_head_dim": _int(cfg, "v_head_dim"),
    }
    if cfg.get("index_topk"):
        attention |= {
            "attention": "dsa",
            "index_n_heads": _int(cfg, "index_n_heads"),
            "index_head_dim": _int(cfg, "index_head_dim"),
            "index_topk": _int(cfg, "index_topk"),
        }
    if cfg.get("attention_bias"):
        raise UnsupportedConfig("attention_bias", "MLA with attention_bias is not sized yet")
    _moe_fields(cfg, out, experts="n_routed_experts", width="moe_intermediate_size")
    out["num_shared_experts"] = _int(cfg, "n_shared_experts", 0) or 0
    out["router_score_correction_bias"] = cfg.get("topk_method") == "noaux_tc"
    out["mtp_layers"] = _int(cfg, "num_nextn_predict_layers", 0) or 0
    first_dense = _int(cfg, "first_k_dense_replace", 0)
    freq = _int(cfg, "moe_layer_freq", 1) or 1
    width = _int(cfg, "intermediate_size")
    return [
        {**attention, **(MOE if i >= first_dense and i % freq == 0 else _dense(width))} for i in range(n)
    ]


def _glm4_moe(cfg: Config, out: dict) -> list[dict]:
    """GLM-4.5 / 4.6: GQA with q/k/v biases (and optional QK-norm), dense first layers, MoE with a shared expert."""
    n = _int(cfg, "num_hidden_layers")
    base = _softmax(cfg, attention_bias="qkv" if cfg.get("attention_bias") else "none",
                    qk_norm=bool(cfg.get("use_qk_norm")))
    _moe_fields(cfg, out, experts="n_routed_experts", width="moe_intermediate_size")
    out["num_shared_experts"] = _int(cfg, "n_shared_experts", 0) or 0
    out["router_score_correction_bias"] = True
    out["mtp_layers"] = _int(cfg, "num_nextn_predict_layers", 0) or 0
    first_dense = _int(cfg, "first_k_dense_replace", 0)
    width = _int(cfg, "intermediate_size")
    return [{**base, **(MOE if i >= first_dense else _dense(width))} for i in range(n)]


def _minimax_m2(cfg: Config, out: dict) -> list[dict]:
    """MiniMax-M2 / M2.5: GQA with full-width q/k RMSNorm, all-MoE with sigmoid routing and a score bias."""
    n = _int(cfg, "num_hidden_layers")
    if cfg.get("shared_intermediate_size"):
        raise UnsupportedConfig("shared_intermediate_size", "MiniMax shared experts are not sized yet")
    norm = cfg.get("qk_norm_type", "per_layer") if cfg.get("use_qk_norm") else None
    if norm not in (None, "per_layer"):
        raise UnsupportedConfig("qk_norm_type", f"unknown qk_norm_type {norm!r}")
    base = _softmax(cfg, qk_norm_full_width=norm == "per_layer")
    _moe_fields(cfg, out, experts="num_local_experts", width="intermediate_size")
    out["router_score_correction_bias"] = bool(cfg.get("use_routing_bias"))
    return [{**base, **MOE} for _ in range(n)]


def _mimo_v2(cfg: Config, out: dict) -> list[dict]:
    """MiMo-V2-Flash: sliding-window and full layers with their own KV heads, K 192 / V 128, sinks on SWA."""
    n = _int(cfg, "num_hidden_layers")
    pattern = _get(cfg, "hybrid_layer_pattern")
    moe_freq = _get(cfg, "moe_layer_freq")
    if len(pattern) != n or len(moe_freq) != n:
        raise UnsupportedConfig("hybrid_layer_pattern", "hybrid_layer_pattern/moe_layer_freq must list every layer")
    full = _softmax(cfg, head_dim=_int(cfg, "head_dim"), v_head_dim=_int(cfg, "v_head_dim"),
                    attention_sinks=bool(cfg.get("add_full_attention_sink_bias")))
    swa = _softmax(
        cfg, heads=_int(cfg, "swa_num_attention_heads"), kv_heads=_int(cfg, "swa_num_key_value_heads"),
        head_dim=_int(cfg, "swa_head_dim"), v_head_dim=_int(cfg, "swa_v_head_dim"),
        attention_sinks=bool(cfg.get("add_swa_attention_sink_bias")),
    )
    swa = {**swa, "attention": "sliding", "window": _int(cfg, "sliding_window")}
    _moe_fields(cfg, out, experts="n_routed_experts", width="moe_intermediate_size")
    out["num_shared_experts"] = cfg.get("n_shared_experts") or 0
    out["router_score_correction_bias"] = cfg.get("topk_method") == "noaux_tc"
    width = _int(cfg, "intermediate_size")
    return [
        {**(swa if pattern[i] else full), **(MOE if moe_freq[i] else _dense(width))} for i in range(n)
    ]


def _nemotron_h(cfg: Config, out: dict) -> list[dict]:
    """Nemotron-H / Nemotron 3: one mixer per block (M Mamba2, * attention, - MLP, E MoE), one norm each."""
    pattern = _get(cfg, "hybrid_override_pattern")
    if len(pattern) != _int(cfg, "num_hidden_layers"):
        raise UnsupportedConfig("hybrid_override_pattern", "hybrid_override_pattern length differs from num_hidden_layers")
    if cfg.get("mlp_hidden_act", "relu2") != "relu2":
        raise UnsupportedConfig("mlp_hidden_act", "only relu2 (non-gated) Nemotron-H MLPs are sized")
    out["mlp_type"] = "plain"
    hd = cfg.get("head_dim") or cfg.get("attention_head_dim")
    attn = {**_softmax(cfg, head_dim=hd), "mlp": "none", "norms": 1}
    if cfg.get("attention_bias"):
        raise UnsupportedConfig("attention_bias", "Nemotron-H attention biases are not sized yet")
    mamba = {
        "attention": "mamba2", "mamba_num_heads": _int(cfg, "mamba_num_heads"),
        "mamba_head_dim": _int(cfg, "mamba_head_dim"), "ssm_state_size": _int(cfg, "ssm_state_size"),
        "mamba_groups": _int(cfg, "n_groups"), "conv_kernel": _int(cfg, "conv_kernel"),
        "mamba_conv_bias": bool(cfg.get("use_conv_bias", True)),
        "mamba_proj_bias": bool(cfg.get("mamba_proj_bias", cfg.get("use_bias", False))),
        "mlp": "none", "norms": 1,
    }
    per_layer = []
    for ch in pattern:
        if ch == "M":
            per_layer.append(mamba)
        elif ch == "*":
            per_layer.append(attn)
        elif ch == "-":
            per_layer.append({"attention": "none", **_dense(_int(cfg, "intermediate_size")), "norms": 1})
        elif ch == "E":
            per_layer.append({"attention": "none", **MOE, "norms": 1})
        else:
            raise UnsupportedConfig("hybrid_override_pattern", f"unknown block {ch!r} in hybrid_override_pattern")
    if cfg.get("moe_latent_size"):
        raise UnsupportedConfig("moe_latent_size", "Nemotron latent MoE (moe_latent_size) is not sized yet")
    if "E" in pattern:
        _moe_fields(cfg, out, experts="n_routed_experts", width="moe_intermediate_size")
        out["num_shared_experts"] = _int(cfg, "n_shared_experts", 0) or 0
        out["shared_expert_intermediate_size"] = _int(cfg, "moe_shared_expert_intermediate_size", 0)
        out["router_score_correction_bias"] = True
    return per_layer


def _gpt_oss(cfg: Config, out: dict) -> list[dict]:
    """gpt-oss: alternating sliding/full attention with sinks and biases, all-MoE with biased experts."""
    n = _int(cfg, "num_hidden_layers")
    types = cfg.get("layer_types") or ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n)]
    base = _softmax(cfg, attention_bias="qkvo", attention_sinks=True)
    swa = {**base, "attention": "sliding", "window": _int(cfg, "sliding_window")}
    _moe_fields(cfg, out, experts="num_local_experts", width="intermediate_size")
    out["router_bias"] = out["expert_bias"] = True
    return [{**(swa if t == "sliding_attention" else base), **MOE} for t in types]


def _mixtral(cfg: Config, out: dict) -> list[dict]:
    """Mixtral: Mistral attention, every layer MoE with intermediate_size-wide experts."""
    n = _int(cfg, "num_hidden_layers")
    _moe_fields(cfg, out, experts="num_local_experts", width="intermediate_size")
    base = _window(_softmax(cfg), cfg.get("sliding_window"), out["context_length"])
    return [{**base, **MOE} for _ in range(n)]


def _gemma(cfg: Config, out: dict) -> list[dict]:
    """Gemma 2 / Gemma 3 text: per-layer sliding window, four norms per layer, tied embeddings."""
    mt = cfg.get("model_type")
    n = _int(cfg, "num_hidden_layers")
    out["norms_per_layer"] = 4
    out["tied_embeddings"] = True
    types = cfg.get("layer_types")
    if types is None:
        if mt == "gemma2":
            types = ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n)]
        else:
            pattern = _int(cfg, "sliding_window_pattern", 6)
            types = ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention" for i in range(n)]
    base = _softmax(cfg, qk_norm=mt != "gemma2")
    swa = {**base, "attention": "sliding", "window": _int(cfg, "sliding_window")}
    width = _int(cfg, "intermediate_size")
    return [{**(swa if t == "sliding_attention" else base), **_dense(width)} for t in types]


def _llama4(cfg: Config, out: dict) -> list[dict]:
    """Llama 4 text: chunked attention in RoPE layers, full attention in NoPE layers, MoE every n layers."""
    n = _int(cfg, "num_hidden_layers")
    chunk = _int(cfg, "attention_chunk_size")
    rope = cfg.get("no_rope_layers") or [int((i + 1) % 4 != 0) for i in range(n)]
    step = _int(cfg, "interleave_moe_layer_step", 1) or 1
    moe_layers = cfg.get("moe_layers") or list(range(step - 1, n, step))
    _moe_fields(cfg, out, experts="num_local_experts", width="intermediate_size")
    out["num_shared_experts"] = 1
    base = _softmax(cfg)  # use_qk_norm is an L2 norm without weights
    dense_width = _int(cfg, "intermediate_size_mlp")
    per_layer = []
    for i in range(n):
        attention = {**base, "attention": "chunked", "window": chunk} if rope[i] else {**base, "nope": True}
        per_layer.append({**attention, **(MOE if i in moe_layers else _dense(dense_width))})
    return per_layer


def _same_per_layer(cfg: Config, key: str, n: int, default: Any = _MISSING) -> int:
    """A field given either as one integer or as one integer per layer (Hunyuan); differing values refused."""
    value = _get(cfg, key, default)
    if isinstance(value, list):
        if len(value) != n or len(set(map(str, value))) != 1:
            raise UnsupportedConfig(key, f"config.json {key!r} differs between layers, which llmcalc does not size yet")
        value = value[0]
    return _int({key: value, "model_type": cfg.get("model_type")}, key)


def _hunyuan(cfg: Config, out: dict) -> list[dict]:
    """Hunyuan-A13B (HunYuanMoEV1): GQA with per-head QK-norm, every layer a routed MoE plus a shared MLP
    (use_mixed_mlp_moe) of intermediate_size x num_shared_expert; per-layer lists must agree."""
    n = _int(cfg, "num_hidden_layers")
    for flag in ("use_cla", "use_mla", "mlp_bias"):
        if cfg.get(flag):
            raise UnsupportedConfig(flag, f"config.json sets {flag} (Hunyuan), which llmcalc does not size yet")
    if _int(cfg, "moe_layer_num_skipped", 0):
        raise UnsupportedConfig("moe_layer_num_skipped", "Hunyuan dense first layers are not sized yet")
    head_dim = cfg.get("attention_head_dim") or cfg.get("head_dim")
    base = _softmax(cfg, head_dim=head_dim, attention_bias="qkvo" if cfg.get("attention_bias") else "none",
                    qk_norm=bool(cfg.get("use_qk_norm")))
    width = _int(cfg, "intermediate_size")
    if _int(cfg, "num_experts", 1) <= 1:
        return [{**base, **_dense(width)} for _ in range(n)]
    out["num_experts"] = _int(cfg, "num_experts")
    out["experts_per_token"] = _same_per_layer(cfg, "moe_topk", n)
    out["expert_intermediate_size"] = _same_per_layer(cfg, "moe_intermediate_size", n, width)
    if cfg.get("use_mixed_mlp_moe"):
        out["num_shared_experts"] = 1
        out["shared_expert_intermediate_size"] = width * _same_per_layer(cfg, "num_shared_expert", n)
    return [{**base, **MOE} for _ in range(n)]


def _gemma4(cfg: Config, out: dict) -> list[dict]:
    """Gemma 4 text: sliding layers and global layers with their own head_dim and KV heads (K reused as V),
    a dense MLP beside a routed MoE in every layer when enable_moe_block is set."""
    _int(cfg, "num_hidden_layers")  # required: its absence is reported with the field's name
    if cfg.get("hidden_size_per_layer_input"):
        raise UnsupportedConfig("hidden_size_per_layer_input", "Gemma 4 per-layer input embeddings are not sized yet")
    if _int(cfg, "num_kv_shared_layers", 0):
        raise UnsupportedConfig("num_kv_shared_layers", "Gemma 4 KV-shared layers are not sized yet")
    if cfg.get("use_double_wide_mlp"):
        raise UnsupportedConfig("use_double_wide_mlp", "Gemma 4 double-wide MLPs are not sized yet")
    out["tied_embeddings"] = True
    types = _get(cfg, "layer_types")
    k_eq_v = bool(cfg.get("attention_k_eq_v"))
    swa = {**_softmax(cfg, qk_norm=True), "attention": "sliding", "window": _int(cfg, "sliding_window")}
    full = _softmax(
        cfg, head_dim=cfg.get("global_head_dim") or _int(cfg, "head_dim"), qk_norm=True, k_eq_v=k_eq_v,
        kv_heads=_int(cfg, "num_global_key_value_heads") if k_eq_v else None,
    )
    width = _int(cfg, "intermediate_size")
    if cfg.get("enable_moe_block"):
        _moe_fields(cfg, out, experts="num_experts", width="moe_intermediate_size", top_k="top_k_experts")
        out["router_scale"] = True
        mlp = {"mlp": "dense_moe", "intermediate_size": width, "norms": 7}
    else:
        mlp = {**_dense(width), "norms": 4}
    return [{**(swa if t == "sliding_attention" else full), **mlp} for t in types]


FAMILIES: dict[str, tuple[str, Callable[[Config, dict], list[dict]]]] = {
    "llama": ("llama", _llama_like),
    "mistral": ("mistral", _llama_like),
    "qwen2": ("qwen2", _llama_like),
    "qwen3": ("qwen3", _llama_like),
    "smollm3": ("smollm3", _llama_like),
    "phi3": ("phi", _llama_like),
    "mixtral": ("mixtral", _mixtral),
    "qwen2_moe": ("qwen2-moe", _qwen_moe),
    "qwen3_moe": ("qwen3-moe", _qwen_moe),
    "qwen3_next": ("qwen3-next", _qwen_hybrid),
    "qwen3_5_text": ("qwen3.5", _qwen_hybrid),
    "qwen3_5_moe_text": ("qwen3.5", _qwen_hybrid),
    "deepseek_v3": ("deepseek-v3", _deepseek),
    "deepseek_v32": ("deepseek-v3.2", _deepseek),
    "kimi_k2": ("kimi-k2", _deepseek),
    "glm_moe_dsa": ("glm-5", _deepseek),
    "glm4_moe": ("glm-4.5", _glm4_moe),
    "minimax_m2": ("minimax-m2", _minimax_m2),
    "mimo_v2_flash": ("mimo-v2", _mimo_v2),
    "nemotron_h": ("nemotron-h", _nemotron_h),
    "gpt_oss": ("gpt-oss", _gpt_oss),
    "gemma2": ("gemma-2", _gemma),
    "gemma3_text": ("gemma-3", _gemma),
    "llama4_text": ("llama-4", _llama4),
    "gemma4_text": ("gemma-4", _gemma4),
    "hunyuan": ("hunyuan", _hunyuan),
    "hunyuan_v1_moe": ("hunyuan", _hunyuan),
}

# Multimodal wrappers whose language model sits in text_config.
_TEXT_MODEL_TYPES = {
    "qwen3_5": "qwen3_5_text", "qwen3_5_moe": "qwen3_5_moe_text", "gemma3": "gemma3_text", "llama4": "llama4_text",
    "gemma4": "gemma4_text",
}

# Families whose config class defaults tie_word_embeddings to true (the key is often left out).
_TIED_BY_DEFAULT = {"smollm3", "gemma2", "gemma3_text", "gemma4_text"}

_DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}


def _weight_format(cfg: Config, notes: list[str]) -> str:
    """Format id of the checkpoint: its quantization_config, else its dtype."""
    q = cfg.get("quantization_config")
    if q:
        method = str(q.get("quant_method", "")).lower()
        skipped = q.get("modules_to_not_convert") or q.get("ignore") or []
        keep = f"; kept at 16 bits: {', '.join(map(str, skipped))}" if skipped else ""
        if method == "fp8":
            block = q.get("weight_block_size")
            notes.append(f"FP8 checkpoint ({q.get('fmt', 'e4m3')}" + (f", {block[0]}x{block[1]} blocks" if block else "")
                         + f"){keep}")
            return "fp8"
        if method == "mxfp4":
            notes.append(f"MXFP4 checkpoint (experts 4-bit with an E8M0 scale per 32){keep}")
            return "mxfp4"
        if method in ("awq", "gptq"):
            bits = q.get("bits", q.get("w_bit"))
            group = q.get("group_size", q.get("q_group_size"))
            if bits != 4:
                raise UnsupportedConfig("quantization_config.bits", f"{method} with {bits} bits is not sized yet")
            notes.append(f"{method.upper()} 4-bit checkpoint, group size {group}")
            return f"{method}-int4"
        if method == "compressed-tensors":
            weights = [g.get("weights") or {} for g in (q.get("config_groups") or {}).values()]
            kinds = {(w.get("type"), w.get("num_bits")) for w in weights}
            if kinds == {("int", 4)}:
                group = weights[0].get("group_size")
                notes.append(f"INT4 checkpoint (compressed-tensors, group size {group}){keep}")
                return "int4"
            if kinds == {("float", 8)}:
                notes.append(f"FP8 checkpoint (compressed-tensors){keep}")
                return "fp8"
            if kinds == {("float", 4)}:
                notes.append(f"NVFP4 checkpoint (compressed-tensors){keep}")
                return "nvfp4"
            raise UnsupportedConfig(
                "quantization_config.config_groups", f"compressed-tensors scheme {sorted(map(str, kinds))} is not sized yet"
            )
        if method == "modelopt":
            text = str(q).lower()
            if "nvfp4" in text or "fp4" in text:
                notes.append(f"NVFP4 checkpoint ({method}){keep}")
                return "nvfp4"
            if "fp8" in text or "float-quantized" in text:
                notes.append(f"FP8 checkpoint ({method}){keep}")
                return "fp8"
        raise UnsupportedConfig(
            "quantization_config.quant_method", f"unknown quantization_config.quant_method {method!r} in config.json"
        )
    dtype = cfg.get("torch_dtype") or cfg.get("dtype") or "bfloat16"
    if dtype not in _DTYPES:
        raise UnsupportedConfig("torch_dtype", f"unknown torch_dtype {dtype!r} in config.json")
    return _DTYPES[dtype]


def _qwen3_vl_vision(v: Config, text_hidden: int) -> int:
    """Qwen3-VL / Qwen3.5 vision tower: patch embedding, learned positions, ViT blocks, patch merger."""
    h, inter, depth = v["hidden_size"], v["intermediate_size"], v["depth"]
    patch = v["in_channels"] * v["temporal_patch_size"] * v["patch_size"] ** 2 * h + h
    pos = v["num_position_embeddings"] * h
    block = 2 * h + 2 * h + 3 * h * h + 3 * h + h * h + h + h * inter + inter + inter * h + h
    merged = h * v["spatial_merge_size"] ** 2
    out = v["out_hidden_size"]
    merger = 2 * h + merged * merged + merged + merged * out + out
    deepstack = len(v.get("deepstack_visual_indexes") or []) * (2 * merged + merged * merged + merged + merged * out + out)
    return patch + pos + depth * block + merger + deepstack


def _gemma4_vision(v: Config, text_hidden: int) -> int:
    """Gemma 4 vision tower: patch projection, 2-D position table, gated-MLP ViT layers with QK-norm and four
    norms, and the projection into the language model (its pre-projection norm has no weights)."""
    h, inter, layers = v["hidden_size"], v["intermediate_size"], v["num_hidden_layers"]
    heads, kv_heads = v["num_attention_heads"], v["num_key_value_heads"]
    hd = v.get("head_dim") or h // heads
    patch = 3 * v["patch_size"] ** 2 * h + 2 * v["position_embedding_size"] * h
    layer = 2 * h * heads * hd + 2 * h * kv_heads * hd + 2 * hd + 3 * h * inter + 4 * h
    return patch + layers * layer + h * text_hidden


def _gemma3_siglip_vision(v: Config, text_hidden: int) -> int:
    """Gemma 3 SigLIP tower (biased q/k/v/o and MLP, two LayerNorms a layer, learned positions) plus the
    projector into the language model and its RMSNorm."""
    if v.get("vision_use_head"):
        raise KeyError("vision_use_head")
    h, inter, layers = v["hidden_size"], v["intermediate_size"], v["num_hidden_layers"]
    patch = v["num_channels"] * v["patch_size"] ** 2 * h + h
    positions = (v["image_size"] // v["patch_size"]) ** 2 * h
    layer = 4 * h + 4 * h * h + 4 * h + h * inter + inter + inter * h + h
    return patch + positions + layers * layer + 2 * h + h * text_hidden + h


_VISION = {
    "qwen3_5": _qwen3_vl_vision, "qwen3_5_moe": _qwen3_vl_vision, "gemma4": _gemma4_vision,
    "gemma3": _gemma3_siglip_vision,
}


def model_from_hf_config(
    config: dict, *, model_id: str, name: str | None = None, source: str, as_of: dt.date,
    hf_repo: str | None = None, checkpoint_bytes: dict[str, int] | None = None,
) -> ModelSpec:
    """A ModelSpec from a Hugging Face config.json (and, optionally, the bytes its safetensors store per dtype)."""
    if not isinstance(config, dict):
        raise UnsupportedConfig("config", "config.json is not a JSON object")
    try:
        return _convert(config, model_id, name, source, as_of, hf_repo, checkpoint_bytes)
    except UnsupportedConfig:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        # A field of the wrong type or shape (a number where a list belongs, ...): refuse, never crash.
        message = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        raise UnsupportedConfig("config", f"config.json has a field of an unexpected type or shape ({message})") from None


def _convert(
    config: dict, model_id: str, name: str | None, source: str, as_of: dt.date, hf_repo: str | None,
    checkpoint_bytes: dict[str, int] | None,
) -> ModelSpec:
    top_type = config.get("model_type")
    notes: list[str] = []
    cfg = config
    vision_params = 0
    for wrapper_key in ("text_config", "llm_config"):
        if isinstance(config.get(wrapper_key), dict):
            cfg = {**{k: v for k, v in config.items() if k not in (wrapper_key, "vision_config", "audio_config")},
                   **config[wrapper_key]}
            if "model_type" not in config[wrapper_key]:
                cfg["model_type"] = _TEXT_MODEL_TYPES.get(str(top_type), top_type)
            if "tie_word_embeddings" in config:
                cfg["tie_word_embeddings"] = config["tie_word_embeddings"]
            vision = config.get("vision_config")
            if isinstance(vision, dict):
                counter = _VISION.get(str(top_type))
                if counter is None:
                    notes.append(f"vision tower ({vision.get('model_type', top_type)}) not counted: its shape is not sized yet")
                else:
                    try:
                        vision_params = counter(vision, int(config[wrapper_key].get("hidden_size") or 0))
                    except (KeyError, TypeError) as exc:
                        raise UnsupportedConfig(f"vision_config.{exc}", f"vision_config lacks {exc}") from None
                    notes.append(f"multimodal: language model sized for speed; vision tower {vision_params:,} "
                                 "parameters counted in memory (engines load it to serve images)")
            if isinstance(config.get("audio_config"), dict):
                notes.append("audio tower not counted: its shape is not sized yet")
            break
    model_type = cfg.get("model_type")
    if not isinstance(model_type, str) or model_type not in FAMILIES:
        raise UnsupportedConfig("model_type", f"architecture {model_type!r} is not supported yet (config.json model_type)")
    family, reader = FAMILIES[model_type]
    h = _int(cfg, "hidden_size")
    out: dict[str, Any] = {
        "id": model_id,
        "name": name or model_id,
        "family": family,
        "source": source,
        "as_of": as_of,
        "hf_repo": hf_repo or "",
        "hidden_size": h,
        "vocab_size": _int(cfg, "vocab_size"),
        "context_length": _int(cfg, "max_position_embeddings"),
        "tied_embeddings": bool(cfg.get("tie_word_embeddings", model_type in _TIED_BY_DEFAULT)),
    }
    out["layers"] = _group(reader(cfg, out))
    out["native_dtype"] = _weight_format(cfg, notes)
    out["vision_params"] = vision_params
    if not out.get("mtp_layers") and (cfg.get("use_mtp") or cfg.get("num_nextn_predict_layers")):
        notes.append("multi-token-prediction modules not counted: their shape is not sized yet")
    if out.get("mtp_layers"):
        notes.append(f"{out['mtp_layers']} multi-token-prediction layer(s) counted separately (speculative decoding)")
    if any(lt.get("nope") for lt in out["layers"]):
        notes.append("some layers have no positional encoding (NoPE)")
    if checkpoint_bytes:
        out["checkpoint_bytes"] = sum(checkpoint_bytes.values())
        out["checkpoint_note"] = "stored: " + ", ".join(
            f"{dtype} {size / 2**30:.2f} GiB" for dtype, size in sorted(checkpoint_bytes.items())
        ) + ("; includes the multi-token-prediction layers it stores" if out.get("mtp_layers") else "")
    out["notes"] = "; ".join(notes)
    try:
        return ModelSpec.model_validate(out)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"]) or "config"
        raise UnsupportedConfig(where, f"config.json gives an inconsistent model: {err['msg']}") from None
