"""Hand-checked numbers and properties of the estimation core."""

from __future__ import annotations

import math

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.compat import build_grid, split
from llmcalc_tui.core.estimate import GIB, estimate
from llmcalc_tui.core.scenario import Scenario, ScenarioError

CATALOG = load_builtin()


def est(**kw):
    return estimate(Scenario(**kw), CATALOG)


def ideal_catalog():
    """A vLLM profile at 100% of peak with no overheads, for hand arithmetic."""
    engine = CATALOG.engines["vllm"].model_copy(update={
        "memory_efficiency": {"hbm": 1.0}, "compute_efficiency": {"tensor": 1.0}, "matmul_half_tokens": 0.0,
        "step_overhead_ms": 0.0, "layer_overhead_us": 0.0, "kv_bandwidth_efficiency": 1.0,
        "sequence_overhead_us": 0.0, "moe_compute_efficiency": 1.0,
    })
    return CATALOG.model_copy(update={"engines": {**CATALOG.engines, "vllm": engine}})


def test_weights_and_kv_bytes_by_hand():
    e = est(model="llama-3.1-8b", hardware="h100-sxm", input_tokens=1000, output_tokens=200)
    assert e.memory.weights == 8_030_261_248 * 2
    assert e.memory.kv_cache == 131_072 * 1200
    assert e.params_total == 8_030_261_248


def test_vllm_kv_pool_by_hand():
    e = est(model="llama-3.1-8b", hardware="h100-sxm", engine="vllm")
    budget = (80 - 0.82) * GIB * 0.9
    activations = 8192 * (4 * 128_256 + 8 * 4096)
    pool = budget - 8_030_261_248 * 2 - activations - 1.05 * GIB
    assert e.memory.budget_per_gpu == pytest.approx(budget)
    assert e.memory.activations == activations
    assert e.memory.kv_pool_per_gpu == pytest.approx(pool)
    assert e.max_batch == math.floor(pool / (131_072 * 1200))


def test_decode_roofline_by_hand():
    catalog = ideal_catalog()
    e = estimate(Scenario(model="llama-2-7b", weights="fp16", hardware="h100-sxm", input_tokens=1, output_tokens=1), catalog)
    weight_read = (6_738_415_616 - 32_000 * 4096) * 2  # embedding lookup reads one row, not the matrix
    kv_read = 524_288 * 1  # one cached token at an average context of 1.5
    elementwise = 4096 * 2 * 8 * 32 + 4096 * 2  # 8 hidden-state passes in each of 32 layers, one embedding row
    expected = (weight_read + kv_read + elementwise) / 3350e9  # every operation memory-bound
    assert e.timing.tpot_ms == pytest.approx(expected * 1e3, rel=1e-3)


def test_tensor_parallel_splits_weights_and_replicates_kv_heads():
    one = est(model="llama-3.1-8b", hardware="h100-sxm", gpus=1)
    two = est(model="llama-3.1-8b", hardware="h100-sxm", gpus=2)
    assert two.memory.per_gpu < one.memory.per_gpu
    assert two.memory.weights == one.memory.weights
    # 16 ranks over 8 KV heads: every head is held twice.
    wide = est(model="llama-3.1-8b", hardware="h100-sxm", gpus=16, tp=16)
    assert wide.memory.kv_cache == pytest.approx(2 * one.memory.kv_cache)
    assert any("replicated" in w for w in wide.warnings)


def test_moe_reads_only_active_experts():
    mixtral = est(model="mixtral-8x7b", hardware="h100-sxm", gpus=2, weights="fp8")
    llama70 = est(model="llama-3.1-70b", hardware="h100-sxm", gpus=2, weights="fp8")
    assert mixtral.memory.weights < llama70.memory.weights
    assert mixtral.timing.decode_tok_s_per_sequence > 2 * llama70.timing.decode_tok_s_per_sequence


def test_costs_by_hand():
    cloud = est(model="llama-3.1-8b", hardware="h100-sxm", gpus=2, deployment="cloud")
    assert cloud.cost.per_hour == pytest.approx(2 * CATALOG.hardware["h100-sxm"].cloud_usd_per_hour)
    local = est(model="llama-3.1-8b", hardware="h100-sxm", deployment="local", utilisation=0.5,
                lifetime_years=4, electricity_usd_per_kwh=0.12, pue=1.0)
    # Owned: $30,000 over 48 months, plus 50 % of the time at 700 W and 50 % idle at 15 % of 700 W.
    monthly = 30_000 / 48 + (0.5 * 700 + 0.5 * 105) / 1000 * 0.12 * 730
    assert local.cost.per_hour == pytest.approx(monthly / 730)
    assert local.cost.basis_kind == "owned" and cloud.cost.basis_kind == "cloud"
    # Output is served only while busy: the month's cost over half a month of full-speed output.
    assert local.cost.per_1m_output_tokens == pytest.approx(
        monthly / (local.timing.output_tok_s_total * 3600 * 730 * 0.5) * 1e6)
    api = est(model="gpt-4", input_tokens=1000, output_tokens=200)
    assert api.memory is None
    assert api.cost.per_request == pytest.approx((1000 * 30 + 200 * 60) / 1e6)
    assert api.cost.basis_kind == "api"


def test_batch_max_is_capped_by_engine():
    e = est(model="llama-3.2-1b", hardware="h200", batch="max")
    assert e.max_batch > 256
    assert e.batch == 256


def test_does_not_fit_reports_why():
    e = est(model="llama-3.1-70b", hardware="rtx-4090")
    assert not e.fits and e.fit_state == "no"
    assert any("does not fit" in w for w in e.warnings)


@pytest.mark.parametrize("kw, field", [
    ({"model": "llama-3.1-8bb"}, "model"),
    ({"hardware": "h100sxm"}, "hardware"),
    ({"weights": "q4"}, "weights"),
    ({"kv_cache": "q4_k_m"}, "kv_cache"),
    ({"gpus": 3, "tp": 3}, "tp"),
    ({"input_tokens": 200_000}, "input_tokens"),
    ({"engine": "no-such-engine"}, "engine"),
])
def test_impossible_scenarios_name_the_field(kw, field):
    with pytest.raises(ScenarioError) as info:
        est(**kw)
    assert info.value.field == field


def test_unknown_id_suggests_close_matches():
    with pytest.raises(ScenarioError, match="did you mean.*llama-3.1-8b"):
        est(model="llama-3.1-8bb")


def test_generic_size_aliases():
    assert est(model="7b").model_id == "llama-2-7b"
    assert est(model="13b").model_id == "llama-2-13b"
    assert est(model="70b", gpus=2).model_id == "llama-2-70b"


# ---------------------------------------------------------------- properties

MODELS = ["llama-3.1-8b", "mixtral-8x7b", "gemma-2-9b", "gpt-oss-20b", "deepseek-v3", "qwen2.5-7b"]


@pytest.mark.parametrize("model", MODELS)
def test_more_tokens_never_lower_memory_or_time(model):
    previous = None
    for tokens in (1, 100, 1000, 3000, 6000):
        tp, pp = split(CATALOG.models[model], 8)
        e = est(model=model, hardware="b200", gpus=8, tp=tp, pp=pp, input_tokens=tokens, output_tokens=tokens // 4 + 1)
        if previous:
            assert e.memory.kv_cache >= previous.memory.kv_cache
            assert e.timing.ttft_ms >= previous.timing.ttft_ms
            assert e.timing.end_to_end_ms >= previous.timing.end_to_end_ms
            assert e.timing.tpot_ms >= previous.timing.tpot_ms
        previous = e


@pytest.mark.parametrize("model", MODELS)
def test_bigger_batch_never_lowers_memory_or_step_time(model):
    previous = None
    for batch in (1, 2, 8, 32, 128):
        tp, pp = split(CATALOG.models[model], 8)
        e = est(model=model, hardware="b200", gpus=8, tp=tp, pp=pp, batch=batch)
        if previous:
            assert e.memory.total >= previous.memory.total
            assert e.timing.tpot_ms >= previous.timing.tpot_ms
            assert e.timing.output_tok_s_total >= previous.timing.output_tok_s_total * 0.999
        previous = e


LADDERS = [
    ["fp32", "bf16", "fp8", "nvfp4"],
    ["int8", "int4"],
    ["q8_0", "q6_k", "q5_k_m", "q5_0", "q4_k_m", "q4_0", "iq4_xs", "q3_k_m", "q3_k_s", "q2_k"],
]
"""Formats of one family from most to fewest bits (families differ in what they keep at 16 bits)."""


@pytest.mark.parametrize("model", [*MODELS, "falcon-7b"])
@pytest.mark.parametrize("ladder", LADDERS)
def test_fewer_bits_never_raise_weight_memory(model, ladder):
    tp, pp = split(CATALOG.models[model], 8)
    sizes = [est(model=model, hardware="b200", gpus=8, tp=tp, pp=pp, weights=w, input_tokens=100,
                 output_tokens=100).memory.weights for w in ladder]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] > sizes[-1]


def test_more_gpus_never_lower_capacity():
    capacities = [est(model="llama-3.1-8b", gpus=n).memory.capacity_per_gpu * n for n in (1, 2, 4, 8)]
    assert capacities == sorted(capacities)


def test_grid_covers_every_hardware_and_agrees_with_estimate():
    rows = build_grid(Scenario(model="llama-3.1-70b", weights="fp8"), CATALOG)
    assert {r.hardware for r in rows} == set(CATALOG.hardware)
    h200 = next(r for r in rows if r.hardware == "h200")
    assert h200.fits and h200.gpus_needed == 1
    direct = est(model="llama-3.1-70b", weights="fp8", hardware="h200")
    assert h200.decode_tok_s == pytest.approx(direct.timing.decode_tok_s_per_sequence)
    # 70B at fp8 (65.7 GiB) spreads over any number of 12 GB cards (llama.cpp splits layers): the
    # grid reports the smallest count that fits, and one card fewer does not.
    small = next(r for r in rows if r.hardware == "rtx-3060-12gb")
    assert small.fits and small.engine == "llama.cpp"
    n = small.gpus_needed
    assert est(model="llama-3.1-70b", weights="fp8", hardware="rtx-3060-12gb", gpus=n).fits
    assert not est(model="llama-3.1-70b", weights="fp8", hardware="rtx-3060-12gb", gpus=n - 1).fits


def test_grid_estimates_skip_only_the_explanations():
    scenario = Scenario(model="llama-3.1-70b", weights="fp8", hardware="rtx-4090", gpus=1)
    full = estimate(scenario, CATALOG)
    bare = estimate(scenario, CATALOG, explain=False)
    assert full.assumptions and full.warnings  # 70B in 24 GB: assumptions plus "does not fit"
    assert bare.assumptions == () and bare.warnings == ()
    assert (bare.memory, bare.timing, bare.cost, bare.fits, bare.max_batch, bare.max_context) == (
        full.memory, full.timing, full.cost, full.fits, full.max_batch, full.max_context)
