"""Real config.json files (tests/data/configs, sources in SOURCES.toml) -> layer types -> exact sizes.

Every expected number is computed by hand in the comment next to it from the config's fields (H hidden,
V vocab, nq/nkv heads, hd head_dim); none is recomputed by the code under test.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import tomllib
from pathlib import Path

import pytest

from llmcalc_tui.catalog.hf_config import UnsupportedConfig, model_from_hf_config
from llmcalc_tui.catalog.loader import parse_file
from llmcalc_tui.catalog.schema import ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.resources import catalogs_dir

CONFIGS = Path(__file__).resolve().parent.parent / "data" / "configs"
ROOT = CONFIGS.parent.parent.parent
SOURCES = tomllib.loads((CONFIGS / "SOURCES.toml").read_text(encoding="utf-8"))
AS_OF = dt.date(2026, 11, 27)
BF16 = 2


def config(model_id: str) -> dict:
    return json.loads((CONFIGS / f"{model_id}.json").read_text(encoding="utf-8"))


def convert(model_id: str, **kwargs) -> ModelSpec:
    return model_from_hf_config(config(model_id), model_id=model_id, source="test config", as_of=AS_OF, **kwargs)


@pytest.fixture(scope="module")
def catalog_2025() -> dict[str, ModelSpec]:
    entries, problems = parse_file(catalogs_dir() / "models_2025.toml")
    assert problems == []
    return {m.id: m for m in entries["models"]}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------- provenance


def test_every_config_file_is_listed_with_its_source() -> None:
    listed = {entry["id"] for entry in SOURCES["config"]}
    files = {p.stem for p in CONFIGS.glob("*.json")}
    assert listed == files
    for entry in SOURCES["config"]:
        assert entry["copied_from"] and entry["hf_repo"]


def test_generated_catalog_matches_the_configs() -> None:
    # The catalog is generated from the same files the tests read: rerunning the script changes nothing.
    spec = importlib.util.spec_from_file_location("make_models_catalog", ROOT / "benchmarks" / "make_models_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.catalog_text() == (catalogs_dir() / "models_2025.toml").read_text(encoding="utf-8")


REQUIRED_2025 = [
    "hunyuan-a13b", "qwen3-next-80b-a3b", "deepseek-v3.1", "qwen3.5-27b", "qwen3.5-35b-a3b", "deepseek-v3.2", "kimi-k2", "glm-5", "minimax-m2.5", "mimo-v2-flash",
    "gemma-4-26b-a4b", "medgemma-27b", "nemotron-h-56b", "nemotron-3-nano-30b-a3b", "smollm3-3b",
]


@pytest.mark.parametrize("model_id", REQUIRED_2025)
def test_required_2025_ids_are_in_the_catalog(catalog_2025: dict[str, ModelSpec], model_id: str) -> None:
    model = catalog_2025[model_id]
    assert model.source.startswith(f"https://huggingface.co/{model.hf_repo}/blob/main/config.json")
    assert "copy: github.com/" in model.source


def _headline(text: str) -> tuple[float, float]:
    """'25.2B' -> (25.2e9, 0.05e9): the printed value and half a unit of its last digit."""
    scale = {"B": 1e9, "T": 1e12}[text[-1]]
    number = text[:-1]
    decimals = len(number.split(".")[1]) if "." in number else 0
    return float(number) * scale, 0.5 * 10**-decimals * scale


@pytest.mark.parametrize("entry", [e for e in SOURCES["config"] if e.get("published")], ids=lambda e: e["id"])
def test_total_agrees_with_the_model_card(entry: dict) -> None:
    # Model cards print the language-model total rounded ("397B", "25.2B"), some with the vision tower, some
    # without; the derived text-only count must agree within the printed precision or 0.5 %. The exact counts
    # are checked against hand computations in the tests below.
    value, half_unit = _headline(entry["published"])
    total = arch.param_breakdown(convert(entry["id"])).total
    assert abs(total - value) <= max(half_unit, 0.005 * value)



def _generator():
    spec = importlib.util.spec_from_file_location("make_models_catalog", ROOT / "benchmarks" / "make_models_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PUBLISHED = [e for e in SOURCES["config"] if e.get("published_params")]


@pytest.mark.parametrize("entry", PUBLISHED, ids=lambda e: e["id"])
def test_checkpoint_total_agrees_with_the_exact_published_count(entry: dict) -> None:
    # The published figure counts every tensor the checkpoint stores; published_counts says which parts beyond the
    # language model it holds (vision tower, MTP layers, ...). The derived count of those parts is within 0.1 %.
    generator = _generator()
    model = generator.model_for(entry, SOURCES["defaults"])
    assert model.published_params == entry["published_params"]
    derived = generator.published_comparable(model, entry["published_counts"])
    assert abs(derived - entry["published_params"]) <= 0.001 * entry["published_params"]


# The residuals left, published minus derived, each explained in the entry's published_note; every other
# published total is reproduced to the parameter.
RESIDUALS = {
    # F32 128x128 block scales stored beside the FP8 weights: the Hub splits DeepSeek-V3's 41,555,600 F32 values
    # into these and 59 x 256 router correction biases (counted in the derived total).
    "deepseek-v3.1": 41_555_600 - 59 * 256,
    # MiniMax-M2.5 FP8 block scales per layer: 256 experts x 3 x (3072/128 x 1536/128) + q 48x24 + k, v 8x24 + o 24x48
    "minimax-m2.5": 62 * (256 * 3 * 24 * 12 + 48 * 24 + 2 * 8 * 24 + 24 * 48),
    "kimi-k2": 3_416,
    "gemma-4-26b-a4b": 30 + 2_304,  # one scalar per layer, and vision-tower tensors not modelled
    "nemotron-3-nano-30b-a3b": -2_944,
}


@pytest.mark.parametrize("entry", PUBLISHED, ids=lambda e: e["id"])
def test_published_totals_reproduced_to_the_parameter_or_explained(entry: dict) -> None:
    generator = _generator()
    model = generator.model_for(entry, SOURCES["defaults"])
    residual = entry["published_params"] - generator.published_comparable(model, entry["published_counts"])
    assert residual == RESIDUALS.get(entry["id"], 0)
    if residual:
        assert entry.get("published_note")  # the entry's notes say why


def test_qwen3_next_checkpoint_holds_one_undeclared_mtp_layer() -> None:
    # Published 81,324,862,720 - derived 79,674,391,296 = 1,650,471,424: one full-attention MoE layer
    # (H=2048: q gated 2*16*256*H + k, v 2*2*256*H + o 16*256*H = 27,262,976 + QK-norm 512; 512 experts x 3*H*512
    # = 1,610,612,736; shared expert 3*H*512 + gate H = 3,147,776; router 512*H = 1,048,576; 2 norms 4,096)
    # plus the MTP projection 2H*H = 8,388,608 and 3 norms 6,144 = 1,650,471,424.
    m = convert("qwen3-next-80b-a3b")
    assert m.mtp_layers == 0  # config.json declares none: not guessed
    assert 81_324_862_720 - arch.param_breakdown(m).total == 1_650_471_424
    assert 27_262_976 + 512 + 1_610_612_736 + 3_147_776 + 1_048_576 + 4_096 + 8_388_608 + 6_144 == 1_650_471_424


def test_every_2025_entry_has_an_exact_published_count_or_is_known_without() -> None:
    # No exact published total was found for these (model-card headlines only); any new entry needs one.
    without = {"kimi-k2.5", "mimo-v2-flash", "gemma-4-31b-it-nvfp4", "nemotron-h-56b", "hunyuan-a13b"}
    catalog = {e["id"] for e in SOURCES["config"] if e.get("catalog")}
    assert {e["id"] for e in PUBLISHED if e.get("catalog")} == catalog - without


# ------------------------------------------------------------------------- flat catalog entries reproduced


@pytest.mark.parametrize(
    "model_id", ["deepseek-v3", "gpt-oss-20b", "gpt-oss-120b", "llama-4-scout", "llama-4-maverick",
                 "qwen3-30b-a3b", "qwen3-32b", "mixtral-8x7b"],
)
def test_converter_reproduces_the_hand_entered_catalog(model_id: str) -> None:
    # models.toml holds these as flat shorthand with exact published counts (models.md §5, §6).
    entries, _ = parse_file(catalogs_dir() / "models.toml")
    flat = {m.id: m for m in entries["models"]}[model_id]  # type: ignore[attr-defined]
    converted = convert(model_id)
    assert arch.param_breakdown(converted).total == arch.param_breakdown(flat).total == flat.published_params
    assert arch.param_breakdown(converted).active == arch.param_breakdown(flat).active
    assert arch.kv_bytes_per_token(converted, BF16) == arch.kv_bytes_per_token(flat, BF16)
    for context in (100, 5_000, 100_000):
        assert arch.kv_cache_bytes(converted, context, BF16) == arch.kv_cache_bytes(flat, context, BF16)
    assert converted.native_dtype == flat.native_dtype


# ---------------------------------------------------------------------- hybrid linear attention: Qwen3.5


def test_qwen35_27b_gated_deltanet_every_fourth_layer_full() -> None:
    m = convert("qwen3.5-27b")
    kinds = {(lt.attention, lt.count) for lt in m.layers}
    assert kinds == {("linear", 48), ("full", 16)}
    # H=5120, V=248320 untied, I=17408; linear: 16 key heads x128, 48 value heads x128, conv 4;
    # full: 24 q heads (gated: q_proj twice as wide), 4 KV heads, hd 256, QK-norm.
    # linear = H*(2*2048 + 2*6144 + 2*48) + 6144*H + (2*2048+6144)*4 + 2*48 + 128 = 115,876,064
    # full   = H*24*256*2 + 2*H*4*256 + 24*256*H + 2*256 = 104,858,112
    # mlp    = 3*H*17408 = 267,386,880; norms 2*H
    # total  = 48*383,273,184 + 16*372,255,232 + 2*V*H + H = 26,895,998,464
    p = arch.param_breakdown(m)
    assert p.total == 26_895_998_464
    assert p.active == p.total - p.embedding  # untied: a token reads one row of the input embedding
    # Full-attention layers only: 16 x 4 x (256+256) x 2 B = 65,536 B/token. Counting all 64 layers as
    # attention (what users report) would give 262,144: 4x too much.
    assert arch.kv_bytes_per_token(m, BF16) == 65_536
    # Fixed state per sequence, 48 linear layers: conv (2*2048+6144) x (4-1) x 2 B = 61,440 plus recurrent
    # 48 heads x 128 x 128 x 4 B (fp32) = 3,145,728 -> 3,207,168 x 48 = 153,944,064 B.
    assert arch.recurrent_state_bytes(m) == 153_944_064
    assert arch.kv_cache_bytes(m, 10_000, BF16) == 65_536 * 10_000 + 153_944_064
    assert arch.kv_cache_bytes(m, 10_000, BF16, include_state=False) == 65_536 * 10_000


def test_qwen35_multimodal_counts_the_vision_tower_in_memory_not_in_total() -> None:
    m = convert("qwen3.5-27b")
    # vision_config: h=1152, I=4304, depth 27, patch 16, temporal 2, 3 channels, 2304 positions, merge 2 -> 5120.
    # patch 3*2*16*16*h + h; pos 2304*h; block 4h + 3h^2+3h + h^2+h + h*I+I + I*h+h; merger 2h + (4h)^2+4h + 4h*5120+5120
    # = 1,770,624 + 2,654,208 + 27*15,933,520 + 44,105,984 = 460,730,096
    assert m.vision_params == 460_730_096
    assert "vision tower" in m.notes
    p = arch.param_breakdown(m)
    assert p.total == 26_895_998_464
    fmt = _format("bf16")
    assert arch.weight_bytes(m, fmt).total - arch.weight_bytes(m.model_copy(update={"vision_params": 0}), fmt).total \
        == 460_730_096 * 2
    # MTP: a copy of the last (full) layer + 2H^2 + 3H = 372,255,232 + 52,428,800 + 15,360
    assert p.mtp == 424_699_392


def test_qwen35_35b_a3b_hybrid_moe() -> None:
    m = convert("qwen3.5-35b-a3b")
    # H=2048; linear (16 k heads, 32 v heads, 128): H*(2*2048+2*4096+64) + 4096*H + 10240*4 + 64 + 128 = 33,718,464
    # full (16 q gated, 2 kv, hd 256) = H*16*256*2 + 2*H*2*256 + 16*256*H + 512 = 27,263,488
    # MoE: 256 experts x 3*H*512 + shared 3*H*512 + router 256*H + shared gate H = 808,978,432
    # total = 30*(33,718,464 + 808,978,432 + 2H) + 10*(27,263,488 + 808,978,432 + 2H) + 2*248320*H + H
    assert arch.param_breakdown(m).total == 34_660_610_688
    # 10 full layers x 2 x 512 x 2 B = 20,480 B/token; state 30 x (10240*3*2 + 32*128*128*4) = 30 x 2,146,304
    assert arch.kv_bytes_per_token(m, BF16) == 20_480
    assert arch.recurrent_state_bytes(m) == 64_389_120


def test_qwen3_next_80b_a3b() -> None:
    m = convert("qwen3-next-80b-a3b")
    # H=2048, 48 layers (full_attention_interval 4): 36 Gated DeltaNet (33,718,464 as in Qwen3.5-35B-A3B) and
    # 12 gated full attention (27,263,488); MoE 512 x 3*H*512 + shared 3*H*512 + router 512*H + gate H
    # = 1,614,809,088; total = 36*(33,718,464 + 1,614,809,088 + 2H) + 12*(27,263,488 + 1,614,809,088 + 2H)
    #   + 2*151936*H + H = 79,674,391,296
    assert arch.param_breakdown(m).total == 79_674_391_296
    # KV: 12 x 2 x 512 x 2 B = 24,576 B/token; state 36 x (10240*3*2 + 32*128*128*4) = 36 x 2,146,304
    assert arch.kv_bytes_per_token(m, BF16) == 24_576
    assert arch.recurrent_state_bytes(m) == 77_266_944


# ----------------------------------------------------------------------------------- Mamba2: Nemotron-H


def test_nemotron_h_56b_mamba2_blocks() -> None:
    m = convert("nemotron-h-56b")
    # Pattern of 118 blocks: 54 Mamba2 (M), 10 attention (*), 54 relu^2 MLP (-), one norm each; H=8192.
    assert {(lt.attention, lt.mlp, lt.count) for lt in m.layers} == {
        ("mamba2", "none", 54), ("full", "none", 10), ("none", "dense", 54)}
    # Mamba2: inner 256 heads x 64 = 16384, conv_dim 16384 + 2*8*256 = 20480
    #   in_proj H*(16384+20480+256) + out_proj 16384*H + conv 20480*4 + conv bias 20480 + dt/A/D 3*256
    #   + gated norm 16384 + block norm H = 438,432,512
    # attention: 2*H*64*128 + 2*H*8*128 + H = 151,003,136; MLP 2*H*32768 + H = 536,879,104
    # total = 54*438,432,512 + 10*151,003,136 + 54*536,879,104 + 2*131072*H + H = 56,324,350,464
    assert arch.param_breakdown(m).total == 56_324_350_464
    # KV only in the 10 attention blocks: 10 x 8 x 256 x 2 B = 40,960 B/token
    assert arch.kv_bytes_per_token(m, BF16) == 40_960
    # State per Mamba2 block: conv 20480 x 3 x 2 B = 122,880 + SSM 256 x 64 x 256 x 4 B = 16,777,216
    assert arch.recurrent_state_bytes(m) == 54 * 16_900_096 == 912_605_184


def test_nemotron_3_nano_hybrid_moe() -> None:
    m = convert("nemotron-3-nano-30b-a3b")
    # 52 blocks: 23 Mamba2, 23 MoE (E), 6 attention; H=2688, relu^2 (2-matrix) experts.
    # Mamba2 inner 64x64=4096, conv_dim 4096+2*8*128=6144: H*(4096+6144+64) + 4096*H + 6144*5 + 192 + 4096 + H
    #   = 38,744,896; attention 2*H*32*128 + 2*H*2*128 + H = 23,399,040
    # MoE: 128 x 2*H*1856 + shared 2*H*3712 + router 128*H + correction bias 128 + norm H = 1,297,468,160
    # total = 23*38,744,896 + 6*23,399,040 + 23*1,297,468,160 + 2*131072*H + H = 31,577,940,288
    p = arch.param_breakdown(m)
    assert p.total == 31_577_940_288
    # active: 6 of 128 experts -> 3,580,076,352 (model card: 3.2B without the 0.35B embedding + 0.35B head... 3.6B)
    assert p.active == 3_580_076_352 - 352_321_536  # less the untied input embedding (one row read per token)
    assert arch.kv_bytes_per_token(m, BF16) == 6 * 2 * 256 * 2 == 6_144
    # 23 x (6144*3*2 + 64*64*128*4) = 23 x 2,134,016
    assert arch.recurrent_state_bytes(m) == 49_082_368


def test_latent_moe_is_refused_naming_the_field() -> None:
    with pytest.raises(UnsupportedConfig) as err:
        convert("nemotron-3-super-120b-a12b-fp8")
    assert err.value.field == "moe_latent_size"
    assert "\n" not in str(err.value)


# --------------------------------------------------------------- sliding windows: gpt-oss, Gemma 4, MiMo


def test_gpt_oss_sinks_alternating_window_mxfp4() -> None:
    m = convert("gpt-oss-20b")
    assert m.native_dtype == "mxfp4" and "MXFP4" in m.notes
    assert {(lt.attention, lt.window, lt.attention_sinks, lt.count) for lt in m.layers} == {
        ("sliding", 128, True, 12), ("full", None, True, 12)}
    # 8 KV heads x (64+64) x 2 B = 2,048 B per token per layer. At 100,000 tokens:
    # 12 windowed layers hold 128 tokens: 12*2048*128 = 3,145,728; 12 full: 12*2048*100,000 = 2,457,600,000.
    # All 24 layers at full context would be 4,915,200,000: 2x too big.
    assert arch.kv_cache_bytes(m, 100_000, BF16) == 2_460_745_728
    assert arch.kv_cache_bytes(m, 100_000, BF16, windowed=False) == 4_915_200_000


def test_gemma4_per_layer_head_dim_and_kv_heads() -> None:
    m = convert("gemma-4-26b-a4b")
    assert {(lt.attention, lt.head_dim, lt.num_key_value_heads, lt.k_eq_v, lt.count) for lt in m.layers} == {
        ("sliding", 256, 8, False, 25), ("full", 512, 2, True, 5)}
    # H=2816, 16 q heads. sliding attn 2*H*16*256 + 2*H*8*256 + qk-norm 512 = 34,603,520
    # global attn (K reused as V: no v_proj) 2*H*16*512 + H*2*512 + 1024 = 49,021,952
    # every layer: dense GeGLU 3*H*2112 + 128 experts x 3*H*704 + router 128*H + scale H + per-expert 128
    #   + 7 norms = 779,491,456
    # total = 25*814,094,976 + 5*828,513,408 + 262144*H (tied) + H = 25,233,141,760 (card: 25.2B)
    p = arch.param_breakdown(m)
    assert p.total == 25_233_141_760
    # Vision tower (h=1152, I=4304, 27 layers, 16 heads x 72, patch 16, 10240 positions) into H=2816:
    # 3*16^2*h + 2*10240*h + 27 x (4*h*1152 + 2*72 + 3*h*4304 + 4*h) + h*2816
    # = 884,736 + 23,592,960 + 27 x 20,187,792 + 3,244,032 = 572,792,112 (in memory, not in the total)
    assert m.vision_params == 572_792_112
    # KV/token: 25 x 8 x 512 x 2 + 5 x 2 x 1024 x 2 = 204,800 + 20,480
    assert arch.kv_bytes_per_token(m, BF16) == 225_280
    # At 262,144 tokens the sliding layers keep 1,024: 25*8192*1024 + 5*4096*262144 = 5,578,424,320;
    # one global shape for all 30 layers (what users report) would be 225,280 x 262,144 = 59,056,209,920.
    assert arch.kv_cache_bytes(m, 262_144, BF16) == 5_578_424_320


def test_gemma3_per_layer_window_and_siglip_tower() -> None:
    m = convert("medgemma-27b")  # the Gemma 3 27B architecture
    assert {(lt.attention, lt.window, lt.head_dim, lt.count) for lt in m.layers} == {
        ("sliding", 1024, 128, 52), ("full", None, 128, 10)}  # head_dim 128, not 5376/32 = 168
    # Text: Gemma-3-27B's exact count (models.md §5); the flat catalog entry agrees.
    assert arch.param_breakdown(m).total == 27_009_346_304
    # SigLIP: 3*14^2*h + h + (896/14)^2*h + 27 x (4h + 4h^2 + 4h + h*4304 + 4304 + 4304*h + h) + 2h,
    # projector 1152*5376 + its norm 1152 = 423,060,336 (models.md: 416,867,184 + 1152*H)
    assert m.vision_params == 423_060_336
    # The checkpoint's index publishes total_parameters 28,842,036,848: text + vision + the lm_head it stores
    # untied (262208 x 5376).
    assert 27_009_346_304 + 423_060_336 + 262_208 * 5376 == 28_842_036_848
    # 16 KV heads x 256 values x 2 B = 8,192 B per token per layer. At 100,000 tokens the 52 sliding layers
    # keep 1,024: 52*8192*1024 + 10*8192*100,000 = 8,628,207,616 B; all 62 layers at full context would be
    # 50,790,400,000 (5.9x).
    assert arch.kv_bytes_per_token(m, BF16) == 507_904
    assert arch.kv_cache_bytes(m, 100_000, BF16) == 8_628_207_616


def test_mimo_v2_k192_v128_and_own_kv_heads_per_type() -> None:
    m = convert("mimo-v2-flash")
    full = next(lt for lt in m.layers if lt.attention == "full")
    swa = next(lt for lt in m.layers if lt.attention == "sliding")
    assert (full.head_dim, full.v_head_dim, full.num_key_value_heads, full.attention_sinks) == (192, 128, 4, False)
    assert (swa.head_dim, swa.v_head_dim, swa.num_key_value_heads, swa.window, swa.attention_sinks) == (
        192, 128, 8, 128, True)
    # 9 full layers x 4 x (192+128) x 2 B = 23,040; 39 SWA layers x 8 x 320 x 2 B = 199,680
    assert arch.kv_bytes_per_token(m, BF16) == 222_720
    # at 100,000 tokens: 9*2560*100,000 + 39*5120*128 = 2,329,559,040
    assert arch.kv_cache_bytes(m, 100_000, BF16) == 2_329_559_040
    # H=4096: full attn H*64*192 + H*4*192 + H*4*128 + 64*128*H; SWA the same with 8 KV heads + 64 sinks;
    # layer 0 dense (3*H*16384), 47 MoE (256 x 3*H*2048 + router 256*H + correction bias 256)
    assert arch.param_breakdown(m).total == 308_778_780_864


def test_llama4_chunked_attention_and_nope_layers() -> None:
    m = convert("llama-4-maverick")
    chunked = [lt for lt in m.layers if lt.attention == "chunked"]
    nope = [lt for lt in m.layers if lt.nope]
    assert sum(lt.count for lt in chunked) == 36 and {lt.window for lt in chunked} == {8192}
    assert sum(lt.count for lt in nope) == 12 and all(lt.attention == "full" for lt in nope)
    assert sum(lt.count for lt in m.layers if lt.mlp == "moe") == 24  # interleave_moe_layer_step 2


# ----------------------------------------------------------------------- MLA and DSA: DeepSeek V3.2, Kimi


def test_deepseek_v32_indexer_cache_and_topk_read() -> None:
    m = convert("deepseek-v3.2")
    assert {lt.attention for lt in m.layers} == {"dsa"}
    # Indexer per layer: wq_b 1536*64*128 + wk 7168*128 + weights_proj 7168*64 + k_norm 2*128 = 13,959,424
    # total = DeepSeek-V3's 671,026,419,200 + 61 * 13,959,424 = 671,877,944,064
    assert arch.param_breakdown(m).total == 671_877_944_064
    # Cache per token per layer: latent 512 + rope key 64 in the KV format (bf16: 1,152 B) plus the indexer
    # key, which the reference keeps in FP8 with one fp32 scale per 128: 128 + 4 = 132 B -> 61 x 1,284 = 78,324 B
    assert arch.kv_bytes_per_token(m, BF16) == 78_324
    # Decode at 100,000 tokens reads the latent of the top 2,048 tokens and every indexer key:
    # 61 * (1,152*2048 + 132*100,000) = 949,117,056 B, not the whole 7,832,400,000-byte cache.
    assert arch.kv_cache_bytes(m, 100_000, BF16) == 7_832_400_000
    assert arch.kv_read_bytes(m, 100_000, BF16) == 949_117_056
    # Attention FLOPs follow the read: 2*128*(576+512)*2048 + 2*64*128*100,000 per layer
    assert arch.attention_flops_per_token(m, 100_000) == 61 * (2 * 128 * 1088 * 2048 + 2 * 64 * 128 * 100_000)


def test_kimi_k2_mla_with_384_experts() -> None:
    m = convert("kimi-k2")
    # H=7168, 64 heads: attn H*1536 + 1536 + 1536*64*192 + H*576 + 512 + 512*64*256 + 64*128*H = 101,124,096
    # layer 0 dense (3*H*18432 + 2H) = 497,500,160; 60 MoE: 384+1 experts x 3*H*2048 + router 384*H + 384 + 2H
    # = 17,059,365,248; total = 497,500,160 + 60*17,059,365,248 + 2*163840*H + H
    p = arch.param_breakdown(m)
    assert p.total == 1_026_408_232_448
    assert p.active == 32_861_500_928 - 163_840 * 7168  # 8 routed + 1 shared per MoE layer; input embedding left out
    assert arch.kv_bytes_per_token(m, BF16) == 61 * 576 * 2 == 70_272


def test_smollm3_nope_layers_parsed_without_effect_on_memory() -> None:
    m = convert("smollm3-3b")
    assert sum(lt.count for lt in m.layers if lt.nope) == 9  # no_rope_layers: every 4th is 0
    assert m.tied_embeddings  # SmolLM3Config ties by default; the file leaves the key out
    # 128256*2048 (tied) + 36 x (2*2048*2048 + 2*2048*512 + 3*2048*11008 + 2*2048) + 2048 = 3,075,098,624.
    # The published safetensors (4,966,315,264 + 1,183,919,744 B) hold 6,150,197,248 B of bf16 weights + headers.
    assert arch.param_breakdown(m).total == 3_075_098_624
    assert arch.kv_bytes_per_token(m, BF16) == 36 * 4 * 256 * 2 == 73_728


# --------------------------------------------------------------------------- quantized checkpoints, bytes



def test_hunyuan_a13b_shared_mlp_beside_64_experts() -> None:
    m = convert("hunyuan-a13b")
    assert m.family == "hunyuan" and m.tied_embeddings and m.native_dtype == "bf16"
    assert [(lt.attention, lt.mlp, lt.count, lt.head_dim, lt.qk_norm) for lt in m.layers] == [
        ("full", "moe", 32, 128, True)]
    # H=4096, V=128167 tied, 32 layers. Attention 2*H*H + 2*H*8*128 = 41,943,040; experts 64 x 3*H*3072 =
    # 2,415,919,104; shared MLP (intermediate_size 3072 x 1) 3*H*3072 = 37,748,736; router 64*H = 262,144;
    # norms 2*H + QK-norm 2*128 = 8,448. Per layer 2,495,881,472; x 32 + V*H 524,972,032 + final norm 4,096
    # = 80,393,183,232 (card: 80B).
    p = arch.param_breakdown(m)
    assert p.total == 80_393_183_232
    # Active: 8 of 64 experts: 80,393,183,232 - 32 x 56 x 37,748,736 = 12,747,448,320 (card: 13B)
    assert p.active == 80_393_183_232 - 32 * 56 * 37_748_736 == 12_747_448_320
    # KV: 32 layers x 8 KV heads x 128 x (K+V) x 2 B = 131,072 B/token; no fixed state.
    assert arch.kv_bytes_per_token(m, BF16) == 131_072
    assert arch.recurrent_state_bytes(m) == 0
    assert arch.kv_cache_bytes(m, 32_768, BF16) == 131_072 * 32_768


@pytest.mark.parametrize(
    "change, field",
    [
        ({"use_cla": True}, "use_cla"),
        ({"moe_topk": [8] * 31 + [4]}, "moe_topk"),
        ({"moe_intermediate_size": [3072] * 16}, "moe_intermediate_size"),
        ({"moe_layer_num_skipped": 1}, "moe_layer_num_skipped"),
    ],
)
def test_hunyuan_shapes_not_sized_are_refused(change: dict, field: str) -> None:
    # Cross-layer KV sharing (CLA) and per-layer expert shapes that differ would change the sizes: refused.
    with pytest.raises(UnsupportedConfig) as err:
        model_from_hf_config({**config("hunyuan-a13b"), **change}, model_id="x", source="test config", as_of=AS_OF)
    assert err.value.field == field


def test_fp8_checkpoint_and_modules_kept_at_16_bits() -> None:
    m = convert("minimax-m2.5")
    assert m.native_dtype == "fp8"
    assert "kept at 16 bits: gate, e_score_correction_bias, lm_head" in m.notes
    # MiniMax-M2: full-width q/k norm (48*128 + 8*128 per layer), 256 experts of 3*3072*1536, score bias.
    # 62 x (attn 3072*48*128*2 + 3072*8*128*2 + 7168 + 256*3*3072*1536 + 256*3072 + 256 + 2*3072)
    #   + 2*200064*3072 + 3072 = 228,689,764,864
    assert arch.param_breakdown(m).total == 228_689_764_864


def test_fp8_block_checkpoint_keeps_the_architecture() -> None:
    m = convert("qwen3-32b-fp8")
    assert m.native_dtype == "fp8" and "128x128 blocks" in m.notes
    assert arch.param_breakdown(m).total == 32_762_123_264  # Qwen3-32B's exact count (models.md §5)


def test_modelopt_nvfp4_checkpoint() -> None:
    m = convert("qwen3.6-27b-nvfp4")
    assert m.native_dtype == "nvfp4" and "NVFP4" in m.notes
    assert arch.kv_bytes_per_token(m, BF16) == 65_536  # the Qwen3.5-27B layout: 16 full-attention layers


@pytest.mark.parametrize(
    "quant, fmt, note",
    [
        ({"quant_method": "awq", "bits": 4, "group_size": 128}, "awq-int4", "AWQ 4-bit checkpoint, group size 128"),
        ({"quant_method": "gptq", "bits": 4, "group_size": 32}, "gptq-int4", "GPTQ 4-bit checkpoint, group size 32"),
    ],
)
def test_awq_and_gptq_bits_and_group_size(quant: dict, fmt: str, note: str) -> None:
    # Qwen3-32B's real config with the quantization_config an AWQ/GPTQ export adds.
    cfg = {**config("qwen3-32b"), "quantization_config": quant}
    m = model_from_hf_config(cfg, model_id="x", source="test config", as_of=AS_OF)
    assert m.native_dtype == fmt and note in m.notes


@pytest.mark.parametrize(
    "quant, field",
    [
        ({"quant_method": "gptq", "bits": 8, "group_size": 128}, "quantization_config.bits"),
        ({"quant_method": "compressed-tensors", "config_groups": {"g": {"weights": {"type": "int", "num_bits": 2}}}},
         "quantization_config.config_groups"),
    ],
)
def test_quantizations_not_sized_are_refused(quant: dict, field: str) -> None:
    with pytest.raises(UnsupportedConfig) as err:
        model_from_hf_config({**config("qwen3-32b"), "quantization_config": quant}, model_id="x",
                             source="test config", as_of=AS_OF)
    assert err.value.field == field


def test_compressed_tensors_int4_experts() -> None:
    m = convert("kimi-k2.5")
    assert m.native_dtype == "int4"
    assert "group size 32" in m.notes and "vision tower" in m.notes


def test_checkpoint_bytes_size_the_native_format() -> None:
    stored = {"BF16": 1_000_000_000, "F8_E4M3": 3_000_000_000}
    m = convert("minimax-m2.5", checkpoint_bytes=stored)
    assert m.checkpoint_bytes == 4_000_000_000
    assert "F8_E4M3" in m.checkpoint_note
    assert arch.weight_bytes(m, _format("fp8")).total == 4_000_000_000
    assert arch.weight_bytes(m, _format("bf16")).total == arch.param_breakdown(m).total * 2


# --------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "change, field",
    [
        ({"model_type": "rwkv7"}, "model_type"),
        ({"hidden_size": None}, "hidden_size"),
        ({"quantization_config": {"quant_method": "bitsandbytes"}}, "quantization_config.quant_method"),
        ({"hybrid_override_pattern": "M*X"}, "hybrid_override_pattern"),
        ({"num_hidden_layers": "many"}, "num_hidden_layers"),
    ],
)
def test_unsupported_configs_name_the_field(change: dict, field: str) -> None:
    cfg = {**config("nemotron-h-56b"), **change}
    if change.get("hybrid_override_pattern"):
        cfg["num_hidden_layers"] = 3
    with pytest.raises(UnsupportedConfig) as err:
        model_from_hf_config(cfg, model_id="x", source="test config", as_of=AS_OF)
    assert err.value.field == field
    assert str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("model_id", [e["id"] for e in SOURCES["config"]])
def test_wrong_types_are_refused_never_crash(model_id: str) -> None:
    # Every top-level (and text_config) field in turn replaced by values of the wrong type.
    original = config(model_id)
    text_key = "text_config" if isinstance(original.get("text_config"), dict) else None
    fields = list((original[text_key] if text_key else original).keys())
    for field in fields:
        for bad in ("x", -3, [1, "a"], {"a": 1}, None, 1.5):
            cfg = json.loads(json.dumps(original))
            (cfg[text_key] if text_key else cfg)[field] = bad
            try:
                model_from_hf_config(cfg, model_id="x", source="test config", as_of=AS_OF)
            except UnsupportedConfig as err:
                assert err.field and "\n" not in str(err)


def test_not_a_json_object_is_refused() -> None:
    with pytest.raises(UnsupportedConfig):
        model_from_hf_config([1, 2], model_id="x", source="test config", as_of=AS_OF)  # type: ignore[arg-type]


def _format(format_id: str):
    entries, _ = parse_file(catalogs_dir() / "formats.toml")
    return {f.id: f for f in entries["formats"]}[format_id]  # type: ignore[attr-defined]
