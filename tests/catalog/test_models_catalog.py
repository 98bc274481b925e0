"""The built-in open-model catalog (catalogs/models.toml) against the reference figures.

Every expected number below is copied by hand from shared/reference/models.md (§5 counts, §6 KV bytes)
and model-math.md, or computed by hand in a comment; none is recomputed by the code under test.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from llmcalc_tui.catalog.loader import load_dirs, parse_file
from llmcalc_tui.catalog.schema import ModelSpec
from llmcalc_tui.core.architecture import kv_bytes_per_token, kv_cache_bytes, param_breakdown
from llmcalc_tui.resources import catalogs_dir

MODELS_TOML = catalogs_dir() / "models.toml"
GIB = 2**30
MIB = 2**20


@pytest.fixture(scope="module")
def models() -> dict[str, ModelSpec]:
    entries, problems = parse_file(MODELS_TOML)
    assert problems == [], "\n".join(str(p) for p in problems)
    return {m.id: m for m in entries["models"]}  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------------------
# Which ids exist
# ---------------------------------------------------------------------------------------------------------------

REQUIRED_IDS = [
    "llama-2-7b", "llama-2-13b", "llama-2-70b",
    "llama-3-8b", "llama-3-70b",
    "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
    "llama-3.2-1b", "llama-3.2-3b", "llama-3.3-70b",
    "llama-4-scout", "llama-4-maverick",
    "mistral-7b", "mistral-7b-v0.3", "mistral-nemo-12b", "mistral-small-24b",
    "mixtral-8x7b", "mixtral-8x22b", "mixtral-8x22b-instruct",
    "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b", "qwen2.5-7b", "qwen2.5-14b", "qwen2.5-32b", "qwen2.5-72b",
    "qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-14b", "qwen3-32b",
    "qwen3-30b-a3b", "qwen3-235b-a22b",
    "gemma-2-2b", "gemma-2-9b", "gemma-2-27b",
    "gemma-3-1b", "gemma-3-4b", "gemma-3-12b", "gemma-3-27b",
    "phi-3-mini", "phi-3-medium", "phi-4",
    "deepseek-v3", "deepseek-r1",
    "deepseek-r1-distill-qwen-1.5b", "deepseek-r1-distill-qwen-7b", "deepseek-r1-distill-qwen-14b",
    "deepseek-r1-distill-qwen-32b", "deepseek-r1-distill-llama-8b", "deepseek-r1-distill-llama-70b",
    "gpt-oss-20b", "gpt-oss-120b",
    "falcon-7b", "falcon-40b",
    "tinyllama-1.1b",
    "smollm2-135m", "smollm2-360m", "smollm2-1.7b",
    "codellama-7b", "qwen2.5-coder-7b", "qwen3-coder-30b-a3b",
]


def test_file_parses_without_problems(models: dict[str, ModelSpec]) -> None:
    assert len(models) >= len(REQUIRED_IDS)


@pytest.mark.parametrize("model_id", REQUIRED_IDS)
def test_required_id_exists(models: dict[str, ModelSpec], model_id: str) -> None:
    assert model_id in models


def test_required_ids_are_unique() -> None:
    assert len(REQUIRED_IDS) == len(set(REQUIRED_IDS))


# ---------------------------------------------------------------------------------------------------------------
# Parameter counts (models.md §5, "computed total" / "computed active"; all are exact nn.Parameter counts)
# ---------------------------------------------------------------------------------------------------------------

TOTALS = {
    "llama-2-7b": 6_738_415_616,
    "llama-2-13b": 13_015_864_320,
    "llama-2-70b": 68_976_648_192,
    "llama-3-8b": 8_030_261_248,
    "llama-3-70b": 70_553_706_496,
    "llama-3.1-8b": 8_030_261_248,
    "llama-3.1-70b": 70_553_706_496,
    "llama-3.1-405b": 405_853_388_800,
    "llama-3.2-1b": 1_235_814_400,
    "llama-3.2-3b": 3_212_749_824,
    "llama-3.3-70b": 70_553_706_496,
    "llama-4-scout": 107_769_861_120,
    "llama-4-maverick": 400_711_848_960,
    "mistral-7b": 7_241_732_096,
    "mistral-7b-v0.3": 7_248_023_552,
    "mistral-nemo-12b": 12_247_782_400,
    "mistral-small-24b": 23_572_403_200,
    "mixtral-8x7b": 46_702_792_704,
    "mixtral-8x22b": 140_620_634_112,
    "mixtral-8x22b-instruct": 140_630_071_296,
    "qwen2.5-0.5b": 494_032_768,
    "qwen2.5-1.5b": 1_543_714_304,
    "qwen2.5-3b": 3_085_938_688,
    "qwen2.5-7b": 7_615_616_512,
    "qwen2.5-14b": 14_770_033_664,
    "qwen2.5-32b": 32_763_876_352,
    "qwen2.5-72b": 72_706_203_648,
    "qwen3-0.6b": 596_049_920,
    "qwen3-1.7b": 1_720_574_976,
    "qwen3-4b": 4_022_468_096,
    "qwen3-8b": 8_190_735_360,
    "qwen3-14b": 14_768_307_200,
    "qwen3-32b": 32_762_123_264,
    "qwen3-30b-a3b": 30_532_122_624,
    "qwen3-235b-a22b": 235_093_634_560,
    "gemma-2-2b": 2_614_341_888,
    "gemma-2-9b": 9_241_705_984,
    "gemma-2-27b": 27_227_128_320,
    "gemma-3-1b": 999_885_952,
    "gemma-3-4b": 3_880_263_168,
    "gemma-3-12b": 11_766_034_176,
    "gemma-3-27b": 27_009_346_304,
    "phi-3-mini": 3_821_079_552,
    "phi-3-medium": 13_960_238_080,
    "phi-4": 14_659_507_200,
    "deepseek-v3": 671_026_419_200,
    "deepseek-r1": 671_026_419_200,
    "deepseek-r1-distill-qwen-1.5b": 1_777_088_000,
    "deepseek-r1-distill-qwen-7b": 7_615_616_512,
    "deepseek-r1-distill-qwen-14b": 14_770_033_664,
    "deepseek-r1-distill-qwen-32b": 32_763_876_352,
    "deepseek-r1-distill-llama-8b": 8_030_261_248,
    "deepseek-r1-distill-llama-70b": 70_553_706_496,
    "gpt-oss-20b": 20_914_757_184,
    "gpt-oss-120b": 116_829_156_672,
    "falcon-7b": 6_921_720_704,
    "falcon-40b": 41_303_293_952,
    "tinyllama-1.1b": 1_100_048_384,
    "smollm2-135m": 134_515_008,
    "smollm2-360m": 361_821_120,
    "smollm2-1.7b": 1_711_376_384,
    # Not in models.md; hand-derived from the shapes they share with a listed model:
    # CodeLlama-7B = Llama-2-7B + 2 * 16 extra vocab rows * 4096 = 6,738,415,616 + 131,072.
    "codellama-7b": 6_738_546_688,
    "qwen2.5-coder-7b": 7_615_616_512,  # Qwen2.5-7B shapes
    "qwen3-coder-30b-a3b": 30_532_122_624,  # Qwen3-30B-A3B shapes
}

PUBLISHED_ACTIVE = {
    # As the model cards print them: with the input embedding (Llama 4, Mixtral, Qwen3, DeepSeek), or
    # without it (gpt-oss: "3.6B active").
    "llama-4-scout": 17_172_894_720,
    "llama-4-maverick": 17_184_691_200,
    "mixtral-8x7b": 12_879_925_248,
    "mixtral-8x22b": 39_152_031_744,
    "mixtral-8x22b-instruct": 39_161_468_928,
    "qwen3-30b-a3b": 3_353_032_704,
    "qwen3-235b-a22b": 22_190_763_520,
    "qwen3-coder-30b-a3b": 3_353_032_704,
    "deepseek-v3": 37_552_297_472,
    "deepseek-r1": 37_552_297_472,
    "gpt-oss-20b": 3_608_307_264,
    "gpt-oss-120b": 5_132_849_472,
}

ACTIVE = {
    # What llmcalc counts as active: the published figure less the untied input embedding (a token
    # reads one row of it), vocab x hidden each.
    "llama-4-scout": 17_172_894_720 - 202_048 * 5120,
    "llama-4-maverick": 17_184_691_200 - 202_048 * 5120,
    "mixtral-8x7b": 12_879_925_248 - 32_000 * 4096,
    "mixtral-8x22b": 39_152_031_744 - 32_000 * 6144,
    "mixtral-8x22b-instruct": 39_161_468_928 - 32_768 * 6144,
    "qwen3-30b-a3b": 3_353_032_704 - 151_936 * 2048,
    "qwen3-235b-a22b": 22_190_763_520 - 151_936 * 4096,
    "qwen3-coder-30b-a3b": 3_353_032_704 - 151_936 * 2048,
    "deepseek-v3": 36_625_618_432,
    "deepseek-r1": 36_625_618_432,
    "gpt-oss-20b": 3_608_307_264,
    "gpt-oss-120b": 5_132_849_472,
}


@pytest.mark.parametrize(("model_id", "expected"), sorted(TOTALS.items()))
def test_published_params_is_the_reference_count(
    models: dict[str, ModelSpec], model_id: str, expected: int
) -> None:
    assert models[model_id].published_params == expected


@pytest.mark.parametrize(("model_id", "expected"), sorted(TOTALS.items()))
def test_derived_total_is_exact(models: dict[str, ModelSpec], model_id: str, expected: int) -> None:
    # Every §5 row is marked exact ("=" or an exact computed count); none needs a tolerance.
    assert param_breakdown(models[model_id]).total == expected


def test_every_published_count_within_a_tenth_of_a_percent(models: dict[str, ModelSpec]) -> None:
    """Catch-all for entries added later without a row in TOTALS."""
    for model in models.values():
        if model.published_params is None:
            continue
        total = param_breakdown(model).total
        assert abs(total - model.published_params) <= 0.001 * model.published_params, model.id


def test_every_catalog_entry_has_a_published_count(models: dict[str, ModelSpec]) -> None:
    missing = [m.id for m in models.values() if m.published_params is None]
    assert missing == []


@pytest.mark.parametrize(("model_id", "expected"), sorted(ACTIVE.items()))
def test_moe_active_params_are_exact(models: dict[str, ModelSpec], model_id: str, expected: int) -> None:
    model = models[model_id]
    assert model.is_moe
    assert model.published_active_params == PUBLISHED_ACTIVE[model_id]
    assert param_breakdown(model).active == expected


def test_every_moe_model_has_an_active_count(models: dict[str, ModelSpec]) -> None:
    for model in models.values():
        if model.is_moe:
            assert model.published_active_params is not None, model.id
            p = param_breakdown(model)
            # Published with or without the untied input embedding (llmcalc counts without it).
            assert model.published_active_params in (p.active, p.active + (p.embedding if p.lm_head else 0)), model.id
        else:
            assert model.published_active_params is None, model.id


@pytest.mark.parametrize(
    ("model_id", "vocab_times_hidden", "expected"),
    [
        # gpt-oss publishes active counts without the input embedding (models.md §5).
        ("gpt-oss-20b", 201_088 * 2880, 3_608_307_264),
        ("gpt-oss-120b", 201_088 * 2880, 5_132_849_472),
        # DeepSeek: 36.63B with the head only (model-math.md §6).
        ("deepseek-v3", 129_280 * 7168, 36_625_618_432),
    ],
)
def test_active_without_input_embedding(
    models: dict[str, ModelSpec], model_id: str, vocab_times_hidden: int, expected: int
) -> None:
    p = param_breakdown(models[model_id])
    assert p.embedding == vocab_times_hidden
    assert p.active == expected  # llmcalc's active count leaves the untied input embedding out


@pytest.mark.parametrize(
    ("model_id", "card_billions", "digits"),
    [
        # Card figures as printed (models.md §5); publishers truncate or round, so allow one unit of the
        # last printed digit. Llama-3.2-1B and Qwen2.5-14B have no exact published integer at all.
        ("llama-3.2-1b", 1.23, 2),
        ("llama-3.2-3b", 3.21, 2),
        ("qwen2.5-14b", 14.7, 1),
        ("qwen2.5-0.5b", 0.49, 2),
        ("qwen2.5-1.5b", 1.54, 2),
        ("qwen2.5-3b", 3.09, 2),
        ("qwen2.5-7b", 7.61, 2),
        ("qwen3-4b", 4.0, 1),
        ("qwen3-8b", 8.2, 1),
        ("qwen3-30b-a3b", 30.5, 1),
        ("mixtral-8x7b", 46.7, 1),
        ("gpt-oss-120b", 116.83, 2),
        ("gpt-oss-20b", 20.91, 2),
    ],
)
def test_card_figures(models: dict[str, ModelSpec], model_id: str, card_billions: float, digits: int) -> None:
    assert abs(param_breakdown(models[model_id]).total / 1e9 - card_billions) < 10**-digits


@pytest.mark.parametrize(
    ("model_id", "hf_total", "extra"),
    [
        # HF safetensors.total = nn.Parameters + stored non-parameters (models.md §5, model-math.md §1).
        ("llama-2-7b", 6_738_417_664, 32 * 64),  # RoPE inv_freq buffers
        ("llama-2-13b", 13_015_866_880, 40 * 64),
        ("llama-2-70b", 68_976_653_312, 80 * 64),
        ("falcon-7b", 7_217_189_760, 65_024 * 4544),  # tied lm_head stored again
        ("falcon-40b", 41_835_970_560, 65_024 * 8192),
        # Gemma 3 multimodal: SigLIP tower + mm norm 416,867,184 + projector 1152 * hidden.
        ("gemma-3-4b", 4_300_079_472, 416_867_184 + 1152 * 2560),
        ("gemma-3-12b", 12_187_325_040, 416_867_184 + 1152 * 3840),
        ("gemma-3-27b", 27_432_406_640, 416_867_184 + 1152 * 5376),
        # DeepSeek: MTP 11,610,068,224 + duplicated MTP embed/head 1,853,358,080 + FP8 scales 41,540,496.
        ("deepseek-v3", 684_531_386_000, 11_610_068_224 + 1_853_358_080 + 41_540_496),
    ],
)
def test_hf_checkpoint_totals_reconcile(
    models: dict[str, ModelSpec], model_id: str, hf_total: int, extra: int
) -> None:
    assert param_breakdown(models[model_id]).total + extra == hf_total


# ---------------------------------------------------------------------------------------------------------------
# KV cache (models.md §6, fp16/bf16: 2 bytes per value)
# ---------------------------------------------------------------------------------------------------------------

KV_FULL = {
    "llama-2-7b": 524_288,
    "llama-2-13b": 819_200,
    "llama-2-70b": 327_680,
    "llama-3-8b": 131_072,
    "llama-3.1-8b": 131_072,
    "llama-3-70b": 327_680,
    "llama-3.1-70b": 327_680,
    "llama-3.3-70b": 327_680,
    "llama-3.1-405b": 516_096,
    "llama-3.2-1b": 32_768,
    "llama-3.2-3b": 114_688,
    "llama-4-scout": 196_608,
    "llama-4-maverick": 196_608,
    "mistral-7b": 131_072,
    "mistral-7b-v0.3": 131_072,
    "mistral-nemo-12b": 163_840,
    "mistral-small-24b": 163_840,
    "mixtral-8x7b": 131_072,
    "mixtral-8x22b": 229_376,
    "qwen2.5-0.5b": 12_288,
    "qwen2.5-1.5b": 28_672,
    "qwen2.5-3b": 36_864,
    "qwen2.5-7b": 57_344,
    "qwen2.5-14b": 196_608,
    "qwen2.5-32b": 262_144,
    "qwen2.5-72b": 327_680,
    "qwen3-0.6b": 114_688,
    "qwen3-4b": 147_456,
    "qwen3-8b": 147_456,
    "qwen3-14b": 163_840,
    "qwen3-32b": 262_144,
    "qwen3-30b-a3b": 98_304,
    "qwen3-235b-a22b": 192_512,
    "gemma-2-2b": 106_496,
    "gemma-2-9b": 344_064,
    "gemma-2-27b": 376_832,
    "gemma-3-1b": 26_624,
    "gemma-3-4b": 139_264,
    "gemma-3-12b": 393_216,
    "gemma-3-27b": 507_904,
    "phi-3-mini": 393_216,
    "phi-3-medium": 204_800,
    "phi-4": 204_800,
    "deepseek-v3": 70_272,  # MLA latent: 61 layers x (512 + 64) values x 2 B
    "deepseek-r1": 70_272,
    "gpt-oss-20b": 49_152,
    "gpt-oss-120b": 73_728,
    "falcon-7b": 8_192,  # multi-query: 32 x 1 x 64 x 2 x 2 B
    "falcon-40b": 122_880,
    "tinyllama-1.1b": 22_528,
    "smollm2-135m": 23_040,
    "smollm2-360m": 40_960,
    "smollm2-1.7b": 196_608,
}


@pytest.mark.parametrize(("model_id", "expected"), sorted(KV_FULL.items()))
def test_kv_bytes_per_token_full(models: dict[str, ModelSpec], model_id: str, expected: int) -> None:
    assert kv_bytes_per_token(models[model_id], 2) == expected


# Growth per token beyond the window (models.md §6 last column), with the windowed layers capped.
KV_GROWTH_BEYOND_WINDOW = {
    "llama-4-scout": 49_152,
    "llama-4-maverick": 49_152,
    "mistral-7b": 0,
    "gemma-2-2b": 53_248,
    "gemma-2-9b": 172_032,
    "gemma-2-27b": 188_416,
    "gemma-3-1b": 4_096,
    "gemma-3-4b": 20_480,
    "gemma-3-12b": 65_536,
    "gemma-3-27b": 81_920,
    "gpt-oss-20b": 24_576,
    "gpt-oss-120b": 36_864,
}


@pytest.mark.parametrize(("model_id", "growth"), sorted(KV_GROWTH_BEYOND_WINDOW.items()))
def test_kv_growth_beyond_window(models: dict[str, ModelSpec], model_id: str, growth: int) -> None:
    model = models[model_id]
    assert model.sliding_window is not None
    start = 2 * model.sliding_window
    delta = kv_cache_bytes(model, start + 1000, 2) - kv_cache_bytes(model, start, 2)
    assert delta == growth * 1000


@pytest.mark.parametrize(
    ("model_id", "window", "layers"),
    [
        ("mistral-7b", 4096, 32),
        ("gemma-2-2b", 4096, 13),
        ("gemma-2-9b", 4096, 21),
        ("gemma-2-27b", 4096, 23),
        ("gemma-3-1b", 512, 22),
        ("gemma-3-4b", 1024, 29),
        ("gemma-3-12b", 1024, 40),
        ("gemma-3-27b", 1024, 52),
        ("gpt-oss-20b", 128, 12),
        ("gpt-oss-120b", 128, 18),
        ("llama-4-scout", 8192, 36),
        ("llama-4-maverick", 8192, 36),
    ],
)
def test_sliding_windows(models: dict[str, ModelSpec], model_id: str, window: int, layers: int) -> None:
    assert (models[model_id].sliding_window, models[model_id].sliding_window_layers) == (window, layers)


WINDOWED_IDS = {"mistral-7b", "llama-4-scout", "llama-4-maverick", "gpt-oss-20b", "gpt-oss-120b"} | {
    i for i in REQUIRED_IDS if i.startswith(("gemma-2", "gemma-3"))
}


def test_no_other_model_has_a_window(models: dict[str, ModelSpec]) -> None:
    # Qwen2.5 configs carry a sliding_window value but use_sliding_window is false; Mixtral and
    # Mistral-7B-v0.3 have sliding_window null.
    windowed = {m.id for m in models.values() if m.sliding_window or m.sliding_window_layers}
    assert windowed == WINDOWED_IDS


def test_gemma_2_9b_windowed_at_8192_tokens(models: dict[str, ModelSpec]) -> None:
    model = models["gemma-2-9b"]
    # Per layer per token: 2 x 8 kv heads x 256 x 2 B = 8,192 B.
    # Full at 8192: 344,064 x 8192 = 2,818,572,288 B (2.625 GiB).
    assert kv_cache_bytes(model, 8192, 2, windowed=False) == 2_818_572_288
    # Windowed: 8,192 x (21 global x 8192 + 21 local x 4096) = 2,113,929,216 B (1.96875 GiB).
    assert kv_cache_bytes(model, 8192, 2) == 2_113_929_216
    # At 4096 tokens the window is not reached: both equal 344,064 x 4096 = 1,409,286,144.
    assert kv_cache_bytes(model, 4096, 2) == 1_409_286_144
    assert kv_cache_bytes(model, 4096, 2, windowed=False) == 1_409_286_144


@pytest.mark.parametrize("tokens", [4096, 8192, 32768, 131072])
def test_mistral_7b_v01_capped_at_512_mib(models: dict[str, ModelSpec], tokens: int) -> None:
    # 131,072 B/token x 4,096-token window = 536,870,912 B = 512 MiB, whatever the context.
    assert kv_cache_bytes(models["mistral-7b"], tokens, 2) == 512 * MIB


def test_mistral_7b_v01_full_figure(models: dict[str, ModelSpec]) -> None:
    assert kv_cache_bytes(models["mistral-7b"], 32768, 2, windowed=False) == 4 * GIB


def test_mistral_7b_v03_is_not_capped(models: dict[str, ModelSpec]) -> None:
    assert kv_cache_bytes(models["mistral-7b-v0.3"], 32768, 2) == 4 * GIB


def test_gpt_oss_20b_windowed_at_128k(models: dict[str, ModelSpec]) -> None:
    model = models["gpt-oss-20b"]
    # Per layer per token: 2 x 8 x 64 x 2 B = 2,048 B.
    # Full: 49,152 x 131,072 = 6 GiB.
    assert kv_cache_bytes(model, 131072, 2, windowed=False) == 6 * GIB
    # Windowed: 2,048 x (12 x 131,072 + 12 x 128) = 3,224,371,200 B.
    assert kv_cache_bytes(model, 131072, 2) == 3_224_371_200


def test_deepseek_mla_cache(models: dict[str, ModelSpec]) -> None:
    model = models["deepseek-v3"]
    assert model.is_mla
    assert (model.kv_lora_rank, model.qk_rope_head_dim) == (512, 64)
    # 70,272 B/token x 131,072 tokens = 9,210,691,584 B (8.58 GiB, model-math.md §6).
    assert kv_cache_bytes(model, 131072, 2) == 9_210_691_584


def test_falcon_7b_is_multi_query(models: dict[str, ModelSpec]) -> None:
    model = models["falcon-7b"]
    assert model.num_key_value_heads == 1
    # 8,192 B/token x 2,048 tokens = 16 MiB.
    assert kv_cache_bytes(model, 2048, 2) == 16 * MIB


def test_llama_3_1_8b_at_128k_is_16_gib(models: dict[str, ModelSpec]) -> None:
    assert kv_cache_bytes(models["llama-3.1-8b"], 131072, 2) == 16 * GIB


# ---------------------------------------------------------------------------------------------------------------
# Config traps (models.md §7) and encoding conventions
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("model_id", "head_dim"),
    [
        ("mistral-nemo-12b", 128),
        ("mistral-small-24b", 128),
        ("qwen3-0.6b", 128),
        ("qwen3-4b", 128),
        ("qwen3-32b", 128),
        ("qwen3-30b-a3b", 128),
        ("qwen3-235b-a22b", 128),
        ("gemma-2-2b", 256),
        ("gemma-2-9b", 256),
        ("gemma-2-27b", 128),
        ("gemma-3-1b", 256),
        ("gemma-3-4b", 256),
        ("gemma-3-12b", 256),
        ("gemma-3-27b", 128),
        ("gpt-oss-20b", 64),
        ("gpt-oss-120b", 64),
    ],
)
def test_explicit_head_dim(models: dict[str, ModelSpec], model_id: str, head_dim: int) -> None:
    model = models[model_id]
    assert model.head_dim == head_dim
    assert model.hidden_size // model.num_attention_heads != head_dim


TIED = {
    "llama-3.2-1b", "llama-3.2-3b",
    "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b",
    "qwen3-0.6b", "qwen3-1.7b", "qwen3-4b",
    "gemma-2-2b", "gemma-2-9b", "gemma-2-27b",
    "gemma-3-1b", "gemma-3-4b", "gemma-3-12b", "gemma-3-27b",
    "falcon-7b", "falcon-40b",
    "smollm2-135m", "smollm2-360m", "smollm2-1.7b",
}


def test_tied_embeddings_exactly_where_models_md_says(models: dict[str, ModelSpec]) -> None:
    tied = {m.id for m in models.values() if m.tied_embeddings}
    assert tied == TIED
    # R1-Distill-Qwen-1.5B is untied although its Qwen2.5-1.5B base is tied: +233,373,696 params.
    assert "deepseek-r1-distill-qwen-1.5b" not in tied
    delta = TOTALS["deepseek-r1-distill-qwen-1.5b"] - TOTALS["qwen2.5-1.5b"]
    assert delta == 233_373_696 == 151_936 * 1536


def test_qwen_biases_and_norms(models: dict[str, ModelSpec]) -> None:
    for model in models.values():
        qwen2 = model.family in ("qwen2.5", "qwen2.5-coder") or model.id.startswith("deepseek-r1-distill-qwen")
        assert (model.attention_bias == "qkv") == qwen2, model.id
        qk_norm = model.family in ("qwen3", "qwen3-coder", "gemma-3")
        assert model.qk_norm == qk_norm, model.id


def test_gpt_oss_extras(models: dict[str, ModelSpec]) -> None:
    for model_id in ("gpt-oss-20b", "gpt-oss-120b"):
        m = models[model_id]
        assert m.attention_bias == "qkvo"
        assert m.attention_sinks and m.router_bias and m.expert_bias
        assert m.moe_layers == m.num_layers


def test_deepseek_layout(models: dict[str, ModelSpec]) -> None:
    for model_id in ("deepseek-v3", "deepseek-r1"):
        m = models[model_id]
        assert (m.num_layers, m.moe_layers, m.num_experts, m.experts_per_token) == (61, 58, 256, 8)
        assert (m.num_shared_experts, m.expert_intermediate_size) == (1, 2048)
        assert (m.intermediate_size, m.router_score_correction_bias) == (18432, True)
        assert (m.q_lora_rank, m.qk_nope_head_dim, m.v_head_dim) == (1536, 128, 128)


def test_falcon_layout(models: dict[str, ModelSpec]) -> None:
    f7, f40 = models["falcon-7b"], models["falcon-40b"]
    assert (f7.norm_type, f7.norms_per_layer, f7.mlp_type) == ("layernorm", 1, "plain")
    assert (f40.norm_type, f40.norms_per_layer, f40.mlp_type) == ("layernorm", 2, "plain")


def test_gemma_norms(models: dict[str, ModelSpec]) -> None:
    for model in models.values():
        assert model.norms_per_layer == (4 if model.family.startswith("gemma") else
                                         1 if model.id == "falcon-7b" else 2), model.id


@pytest.mark.parametrize(
    ("model_id", "dtype"),
    [
        ("llama-2-7b", "fp16"),
        ("llama-2-13b", "fp16"),
        ("llama-2-70b", "fp16"),
        ("deepseek-v3", "fp8"),
        ("deepseek-r1", "fp8"),
        ("gpt-oss-20b", "mxfp4"),
        ("gpt-oss-120b", "mxfp4"),
        ("llama-3.1-8b", "bf16"),
        ("codellama-7b", "bf16"),
    ],
)
def test_native_dtype(models: dict[str, ModelSpec], model_id: str, dtype: str) -> None:
    assert models[model_id].native_dtype == dtype


def test_native_dtypes_are_known_formats(models: dict[str, ModelSpec]) -> None:
    assert {m.native_dtype for m in models.values()} <= {"bf16", "fp16", "fp8", "mxfp4"}


@pytest.mark.parametrize(
    ("model_id", "context"),
    [
        ("llama-2-7b", 4096),
        ("llama-3-8b", 8192),
        ("llama-3.1-8b", 131072),
        ("mistral-7b", 32768),
        ("mixtral-8x22b", 65536),
        ("gemma-2-9b", 8192),
        ("gemma-3-1b", 32768),
        ("gemma-3-27b", 131072),
        ("phi-4", 16384),
        ("falcon-7b", 2048),
        ("tinyllama-1.1b", 2048),
        ("smollm2-1.7b", 8192),
        ("codellama-7b", 16384),
        ("llama-4-maverick", 1_048_576),
    ],
)
def test_context_length(models: dict[str, ModelSpec], model_id: str, context: int) -> None:
    assert models[model_id].context_length == context


# ---------------------------------------------------------------------------------------------------------------
# Provenance and aliases
# ---------------------------------------------------------------------------------------------------------------

def test_every_entry_has_source_and_as_of(models: dict[str, ModelSpec]) -> None:
    for model in models.values():
        assert model.source.startswith("https://huggingface.co/"), model.id
        assert model.hf_repo and model.hf_repo in model.source, model.id
        assert model.as_of == dt.date(2026, 11, 21), model.id
        assert model.license and model.release and model.family, model.id


@pytest.fixture(scope="module")
def catalog_aliases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    # Load only models.toml so the other catalog files (and their cross-checks) do not interfere.
    directory: Path = tmp_path_factory.mktemp("models-only")
    shutil.copy(MODELS_TOML, directory / "models.toml")
    return dict(load_dirs([directory]).catalog.aliases)


@pytest.mark.parametrize(
    ("alias", "model_id"),
    [("7b", "llama-2-7b"), ("13b", "llama-2-13b"), ("70b", "llama-2-70b"), ("deepseek-r1-671b", "deepseek-r1")],
)
def test_aliases_resolve(catalog_aliases: dict[str, str], alias: str, model_id: str) -> None:
    assert catalog_aliases[alias] == model_id


def test_aliases_never_collide(models: dict[str, ModelSpec]) -> None:
    seen: dict[str, str] = {}
    for model in models.values():
        for alias in model.aliases:
            assert alias == alias.lower()
            assert alias not in models, f"alias {alias} of {model.id} is also an id"
            assert alias not in seen, f"alias {alias} on both {seen[alias]} and {model.id}"
            seen[alias] = model.id
