"""Estimates of models described by layer type: fixed recurrent state, per-type windows, the schema shorthand."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.catalog.schema import LayerType, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core.estimate import GIB, estimate, max_context_for
from llmcalc_tui.core.scenario import Scenario

CATALOG = load_builtin()
QWEN35_STATE = 153_944_064  # 48 Gated DeltaNet layers x 3,207,168 B (tests/catalog/test_hf_configs.py)
QWEN35_KV_PER_TOKEN = 65_536  # 16 full-attention layers x 4 KV heads x 512 values x 2 B


def est(**kw):
    return estimate(Scenario(**kw), CATALOG)


def test_recurrent_state_is_reported_and_included_in_the_kv_cache():
    e = est(model="qwen3.5-27b", hardware="h100-sxm", gpus=2, batch=4, input_tokens=1000, output_tokens=200)
    # kv_cache = 4 sequences x (1,200 tokens x 65,536 B + 153,944,064 B fixed state)
    assert e.memory.recurrent_state == 4 * QWEN35_STATE
    assert e.memory.kv_cache == pytest.approx(4 * (1200 * QWEN35_KV_PER_TOKEN + QWEN35_STATE))
    memory = e.to_json()["memory_gib"]
    assert memory["recurrent_state"] == round(4 * QWEN35_STATE / GIB, 4)
    assert memory["recurrent_state"] <= memory["kv_cache"]
    assert any("fixed state per sequence" in text for text in e.assumptions)


def test_report_table_shows_the_state_inside_the_kv_cache():
    from llmcalc_tui.core.report import estimate_table

    hybrid = estimate_table(est(model="qwen3.5-27b", hardware="h100-sxm", batch=8))
    # 8 sequences x 153,944,064 B = 1.15 GiB
    assert re.search(r"\n  of which fixed state +1\.15\n", hybrid)
    assert "fixed state" not in estimate_table(est(model="llama-3.1-8b", hardware="h100-sxm"))


def test_vision_tower_is_in_the_weights_and_said_so():
    e = est(model="qwen3.5-27b", hardware="h100-sxm")
    # 26,895,998,464 text parameters + 460,730,096 vision parameters, all bf16
    assert e.memory.weights == (26_895_998_464 + 460_730_096) * 2
    assert e.params_total == 26_895_998_464
    assert any("includes the vision tower, 0.86 GiB" in text for text in e.assumptions)


def test_attention_only_models_have_no_recurrent_state():
    e = est(model="llama-3.1-8b", hardware="h100-sxm")
    assert e.memory.recurrent_state == 0
    assert e.to_json()["memory_gib"]["recurrent_state"] == 0


@pytest.mark.parametrize("model_id", ["qwen3.5-27b", "nemotron-h-56b", "gemma-4-26b-a4b", "mimo-v2-flash",
                                      "gpt-oss-20b", "llama-3.1-8b"])
@pytest.mark.parametrize("budget_gib", [0.05, 1.0, 7.5, 40.0])
def test_max_context_is_the_longest_that_fits(model_id, budget_gib):
    model = CATALOG.models[model_id]
    kv = CATALOG.formats["fp16"]
    pool = budget_gib * GIB
    batch = 2
    context = max_context_for(model, pool, batch, kv, True, 1, 1)
    per_sequence = pool / batch
    if context == 0:
        assert arch.kv_cache_bytes(model, 1, 2) > per_sequence
    else:
        assert arch.kv_cache_bytes(model, context, 2) <= per_sequence * (1 + 1e-12)
        if context < model.context_length:
            assert arch.kv_cache_bytes(model, context + 2, 2) > per_sequence


def test_fixed_state_larger_than_the_pool_leaves_no_context():
    model = CATALOG.models["nemotron-h-56b"]
    # 912,605,184 B of state per sequence: a 0.5 GiB pool for one sequence holds no token at all.
    assert max_context_for(model, 0.5 * GIB, 1, CATALOG.formats["fp16"], True, 1, 1) == 0


def test_windowed_layer_types_cap_at_their_own_window():
    model = CATALOG.models["gemma-4-26b-a4b"]
    # Beyond the 1,024-token window only the 5 global layers grow: 5 x 2 x 1,024 x 2 B = 20,480 B/token.
    assert arch.kv_cache_bytes(model, 50_001, 2) - arch.kv_cache_bytes(model, 50_000, 2) == 20_480
    assert arch.kv_cache_bytes(model, 1_001, 2) - arch.kv_cache_bytes(model, 1_000, 2) == 225_280


def test_flat_shorthand_expands_into_layer_types():
    gpt = CATALOG.models["gpt-oss-20b"]  # flat entry in models.toml: sliding_window 128 on 12 of 24 layers
    assert {(lt.attention, lt.window, lt.mlp, lt.count) for lt in gpt.layers} == {
        ("sliding", 128, "moe", 12), ("full", None, "moe", 12)}
    ds = CATALOG.models["deepseek-v3"]
    assert {(lt.attention, lt.mlp, lt.count) for lt in ds.layers} == {("mla", "dense", 3), ("mla", "moe", 58)}


def _layered(**extra) -> dict:
    return {
        "id": "tiny", "name": "tiny", "family": "test", "source": "hand-made", "as_of": "2026-11-27",
        "hidden_size": 64, "vocab_size": 100, "context_length": 1000,
        "layers": [{"count": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                    "intermediate_size": 128}],
        **extra,
    }


def test_layered_entries_derive_the_flat_fields():
    m = ModelSpec.model_validate(_layered())
    assert (m.num_layers, m.num_attention_heads, m.num_key_value_heads, m.head_dim) == (3, 4, 2, 16)
    # q,o 64 x 4*16 each, k,v 64 x 2*16 each, MLP 3*64*128, 2 norms of 64:
    # 3 x (8,192 + 4,096 + 24,576 + 128) + 2*100*64 (untied) + 64 = 3 x 36,992 + 12,864 = 123,840
    assert arch.param_breakdown(m).total == 123_840


def test_layered_entries_refuse_a_conflicting_layer_count():
    with pytest.raises(ValidationError, match="num_layers = 4 disagrees with the layer types"):
        ModelSpec.model_validate(_layered(num_layers=4))
    assert ModelSpec.model_validate(_layered(num_layers=3)).num_layers == 3


@pytest.mark.parametrize("model_id", sorted(CATALOG.models))
def test_every_catalog_model_survives_a_dump_and_reload(model_id):
    # A dumped entry carries both the layer types and the flat fields derived from them (user catalogs,
    # imports): it must load back with the same sizes.
    model = CATALOG.models[model_id]
    again = ModelSpec.model_validate(model.model_dump(mode="json"))
    assert again.layers == model.layers
    assert arch.param_breakdown(again) == arch.param_breakdown(model)
    assert arch.kv_cache_bytes(again, 50_000, 2) == arch.kv_cache_bytes(model, 50_000, 2)


@pytest.mark.parametrize(
    "layer, message",
    [
        ({"count": 1, "attention": "sliding", "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
          "mlp": "none"}, "needs a window"),
        ({"count": 1, "attention": "linear", "mlp": "none"}, "linear attention needs"),
        ({"count": 1, "attention": "mamba2", "mamba_num_heads": 4, "mlp": "none"}, "mamba2 needs"),
        ({"count": 1, "attention": "none", "mlp": "dense"}, "intermediate_size"),
        ({"count": 1, "attention": "dsa", "num_attention_heads": 4, "kv_lora_rank": 8, "qk_rope_head_dim": 4,
          "v_head_dim": 8, "mlp": "none"}, "index_n_heads"),
    ],
)
def test_incomplete_layer_types_are_refused(layer, message):
    with pytest.raises(ValidationError, match=message):
        LayerType.model_validate(layer)
