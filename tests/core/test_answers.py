"""Issue 11 (and issue 10's max_batch/fits): costs on a stated basis, setups that do not fit, engines and
multi-GPU as they behave, the two TTFTs, forgiving ids and the shared number syntax."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.cli import main
from llmcalc_tui.core.compat import build_grid
from llmcalc_tui.core.estimate import GIB, estimate
from llmcalc_tui.core.fit import plan
from llmcalc_tui.core.scenario import Scenario, ScenarioError, lookup_id, resolve, search_ids
from llmcalc_tui.core.units import (
    fmt_duration_band,
    fmt_money,
    fmt_money_per_request,
    parse_count,
    parse_number,
)

CATALOG = load_builtin()
OWNABLE = sorted(h.id for h in CATALOG.hardware.values() if h.price_usd)


def est(**kw):
    return estimate(Scenario(**kw), CATALOG)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- owned cost


def test_owned_month_by_hand_and_the_m3_max_bug():
    """Two M3 Max machines: $837/month at 25 % use and $221 at 100 % was the bug; now the month costs
    the purchase spread over 48 months plus electricity, slightly less when the machines idle more."""
    hw = CATALOG.hardware["m3-max"]
    months = {}
    for use in (0.25, 1.0):
        e = est(model="llama-3.1-8b", hardware="m3-max", gpus=2, utilisation=use, lifetime_years=4,
                electricity_usd_per_kwh=0.12, pue=1.0, requests_per_minute=1)
        watts = use * hw.power_w + (1 - use) * hw.idle_watts
        monthly = 2 * (hw.price_usd / 48 + watts / 1000 * 0.12 * 730)
        assert e.cost.basis_kind == "owned" and e.deployment == "local"
        assert e.cost.replicas == 1
        assert e.cost.per_month == pytest.approx(monthly)
        months[use] = e.cost
    assert months[0.25].per_month < months[1.0].per_month
    assert months[0.25].per_1m_output_tokens > months[1.0].per_1m_output_tokens


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(OWNABLE), st.floats(0.01, 1.0), st.floats(0.01, 1.0), st.floats(0.0, 1.0),
       st.floats(0.5, 10.0))
def test_owned_month_never_rises_as_use_falls_and_per_token_never_rises_as_use_rises(hw, a, b, kwh, years):
    low, high = sorted((a, b))
    common = dict(model="llama-3.2-1b", weights="q4_k_m", hardware=hw, deployment="local",
                  electricity_usd_per_kwh=kwh, lifetime_years=years)
    try:
        quiet, busy = est(utilisation=low, **common), est(utilisation=high, **common)
    except ScenarioError:
        return
    if not (quiet.fits and busy.fits):
        return
    assert quiet.cost.per_month <= busy.cost.per_month * (1 + 1e-12)
    assert quiet.cost.per_hour <= busy.cost.per_hour * (1 + 1e-12)
    assert busy.cost.per_1m_output_tokens <= quiet.cost.per_1m_output_tokens * (1 + 1e-12)
    assert busy.cost.per_request <= quiet.cost.per_request * (1 + 1e-12)


def test_replicas_are_counted_in_the_month_not_in_the_hour():
    one = est(model="llama-3.1-8b", hardware="h100-sxm", requests_per_minute=1)
    many = est(model="llama-3.1-8b", hardware="h100-sxm", requests_per_minute=10_000)
    capacity_per_minute = 60 * 1000 / many.timing.end_to_end_ms * many.batch
    assert many.cost.replicas == math.ceil(10_000 / capacity_per_minute) > 1
    assert many.cost.per_hour == one.cost.per_hour == CATALOG.hardware["h100-sxm"].cloud_usd_per_hour
    assert many.cost.per_1m_output_tokens == pytest.approx(one.cost.per_1m_output_tokens)
    assert many.cost.per_month == pytest.approx(many.cost.replicas * many.cost.per_hour * 730)
    assert one.cost.replicas == 1 and one.cost.per_month == pytest.approx(one.cost.per_hour * 730)


def test_deployment_auto_rents_datacenter_and_owns_the_rest():
    rented = est(model="llama-3.1-8b", hardware="h100-sxm")
    owned = est(model="llama-3.1-8b", weights="q4_k_m", hardware="rtx-4090")
    assert (rented.deployment, rented.cost.basis_kind) == ("cloud", "cloud")
    assert (owned.deployment, owned.cost.basis_kind) == ("local", "owned")
    assert any(a.startswith("deployment auto: rented") for a in rented.assumptions)
    assert any(a.startswith("deployment auto: owned") for a in owned.assumptions)
    # A datacenter card without a rental price has no rented cost: never the owned one instead.
    unpriced = est(model="llama-3.1-8b", hardware="v100-pcie-32gb")
    assert unpriced.cost.basis_kind == "cloud" and unpriced.cost.per_1m_output_tokens is None


def test_grid_prices_every_row_on_one_basis():
    scenario = Scenario(model="llama-3.1-8b", weights="q4_k_m")
    for basis in ("cloud", "owned"):
        rows = build_grid(scenario, CATALOG, basis=basis)
        assert {r.cost_basis for r in rows} == {basis}
        for row in rows:
            hw = CATALOG.hardware[row.hardware]
            has_price = hw.cloud_usd_per_hour if basis == "cloud" else hw.price_usd
            assert (row.usd_per_1m_output_tokens is not None) == bool(has_price and row.fits), row.hardware
            assert row.usd_per_1m_on(basis) == row.usd_per_1m_output_tokens
    auto = {r.hardware: r.cost_basis for r in build_grid(scenario, CATALOG)}
    assert auto["h100-sxm"] == "cloud" and auto["rtx-4090"] == "owned" and auto["m3-max"] == "owned"


# ---------------------------------------------------------------- setups that do not fit


def test_a_setup_that_does_not_fit_has_no_figures_and_says_how_many_devices(capsys):
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-70b", "--hardware", "h100-sxm", "--json")
    data = json.loads(out)
    assert code == 0 and data["fits"] is False
    assert all(v is None for v in data["latency_ms"].values())
    assert all(v is None for v in data["throughput_tok_s"].values())
    assert all(data["cost_usd"][k] is None for k in data["cost_usd"] if k.startswith("per_"))
    # bf16 70B is 131.4 GiB; on 2 x H100 vLLM's 0.9 budget leaves ~0.1 GiB for a 0.2 GiB sequence: 3 fit.
    assert data["gpus_needed"] == 3 and data["nodes_needed"] == 1
    assert not est(model="llama-3.1-70b", hardware="h100-sxm", gpus=2).fits
    assert est(model="llama-3.1-70b", hardware="h100-sxm", gpus=3).fits
    assert "131.4 GiB per GPU" in data["warnings"][0] and "needs 3 x" in data["warnings"][0]


def test_gpus_needed_beyond_one_node():
    e = est(model="llama-3.1-405b", hardware="h100-sxm")
    assert not e.fits and e.gpus_needed > 8
    assert e.nodes_needed == math.ceil(e.gpus_needed / 8) >= 2
    assert est(model="llama-3.1-405b", hardware="h100-sxm", gpus=e.gpus_needed).fits
    assert not est(model="llama-3.1-405b", hardware="h100-sxm", gpus=e.gpus_needed - 1).fits


def test_activations_that_break_the_budget_are_named_with_numbers():
    e = est(model="llama-3.1-70b", weights="fp8", hardware="h100-sxm")
    mem = plan(CATALOG.models["llama-3.1-70b"], CATALOG.engines["vllm"], CATALOG.hardware["h100-sxm"],
               CATALOG.formats["fp8"], CATALOG.formats["fp16"], 1, 1, 1000, 200)
    left = (mem.budget - mem.weights - mem.overhead) / GIB
    assert not e.fits
    assert (f"activations {mem.activations(1) / GIB:.1f} GiB do not fit in the {left:.1f} GiB left of the "
            f"{mem.budget / GIB:.1f} GiB vLLM budget after {mem.weights / GIB:.1f} GiB of weights") in e.warnings[0]
    assert f"{mem.weights / GIB:.1f}" == "67.7" and f"{mem.budget / GIB:.1f}" == "71.3"


def test_a_batch_beyond_the_largest_that_fits_has_no_figures():
    e = est(model="llama-3.1-8b", hardware="h100-sxm", batch=100_000)
    assert not e.fits and e.max_batch == 348
    assert e.timing.ttft_ms is None and e.cost.per_1m_output_tokens is None
    assert any("fits up to batch 348" in w for w in e.warnings)


@pytest.mark.parametrize("engine, hardware", [("llama.cpp", "rtx-4090"), ("ollama", "rtx-4090"),
                                              ("transformers", "rtx-4090"), ("vllm", "rtx-4090"),
                                              ("mlx", "m1"), ("llama.cpp", "raspberry-pi-5")])
@pytest.mark.parametrize("input_tokens", [1, 37, 600, 20_000])
def test_max_batch_and_fits_agree(engine, hardware, input_tokens):
    """Issue 10: for engines that size buffers on demand, batch 641 fitted where max_batch said 640."""
    e = est(model="llama-3.2-1b", hardware=hardware, engine=engine, input_tokens=input_tokens, output_tokens=50)
    assert e.engine_id == engine
    if e.max_batch:
        assert est(model="llama-3.2-1b", hardware=hardware, engine=engine, input_tokens=input_tokens,
                   output_tokens=50, batch=e.max_batch).fits
    assert not est(model="llama-3.2-1b", hardware=hardware, engine=engine, input_tokens=input_tokens,
                   output_tokens=50, batch=e.max_batch + 1).fits
    assert e.fits == (e.max_batch >= 1)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["llama.cpp", "ollama", "mlx", "transformers"]), st.sampled_from(["m3-max", "m1", "m4-pro"]),
       st.integers(1, 30_000), st.integers(1, 5_000), st.integers(1, 5_000))
def test_max_batch_never_grows_with_output_and_fits_never_with_zero(engine, hardware, input_tokens, out_a, out_b):
    short, long = sorted((out_a, out_b))
    try:
        a = est(model="qwen2.5-7b", hardware=hardware, engine=engine, input_tokens=input_tokens, output_tokens=short)
        b = est(model="qwen2.5-7b", hardware=hardware, engine=engine, input_tokens=input_tokens, output_tokens=long)
    except ScenarioError:
        return
    assert b.max_batch <= a.max_batch
    for e in (a, b):
        assert not (e.fits and e.max_batch == 0)


# ---------------------------------------------------------------- engines and multi-GPU


@pytest.mark.parametrize("hardware, engine", [
    ("h100-sxm", "vllm"), ("mi300x", "vllm"), ("rtx-4090", "llama.cpp"), ("rx-7900-xtx", "llama.cpp-vulkan"),
    ("m3-max", "llama.cpp"), ("epyc-9654-2s", "llama.cpp"), ("raspberry-pi-5", "llama.cpp"),
])
def test_the_engine_follows_the_hardware(hardware, engine):
    e = est(model="llama-3.2-1b", hardware=hardware)
    assert e.engine_id == engine
    assert any(a.startswith(f"engine {CATALOG.engines[engine].name}: the usual engine") for a in e.assumptions)


def test_apple_hardware_never_answers_that_vllm_does_not_run_there(capsys):
    e = est(model="llama-3.1-8b", hardware="m3-max", engine="vllm")
    assert e.engine_id in ("llama.cpp", "mlx")
    assert any("vLLM does not run on apple hardware" in a and "usual engine" in a for a in e.assumptions)
    assert est(model="llama-3.1-8b", hardware="m3-max", engine="mlx").engine_id == "mlx"
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "m3-max", "--json")
    assert code == 0 and err == "" and json.loads(out)["engine"] == "llama.cpp"


def test_layer_split_decodes_no_faster_than_one_gpu():
    one = est(model="llama-3.1-8b", weights="q4_k_m", hardware="rtx-4090", engine="llama.cpp")
    two = est(model="llama-3.1-8b", weights="q4_k_m", hardware="rtx-4090", engine="llama.cpp", gpus=2)
    assert (two.tp, two.pp) == (1, 2)
    assert two.memory.per_gpu < one.memory.per_gpu  # memory is shared
    assert two.timing.decode_tok_s_per_sequence < one.timing.decode_tok_s_per_sequence
    assert two.timing.decode_tok_s_per_sequence > 0.9 * one.timing.decode_tok_s_per_sequence  # hand-offs are small
    # With a batch, micro-batches keep both stages busy: more total output than one sequence at a time.
    batched = est(model="llama-3.1-8b", weights="q4_k_m", hardware="rtx-4090", engine="llama.cpp", gpus=2, batch=8)
    assert batched.timing.output_tok_s_total > two.timing.output_tok_s_total


def test_four_rx_580_are_not_as_fast_as_one_rtx_4090():
    rx = est(model="qwen2.5-32b", weights="q4_k_m", hardware="rx-580", gpus=4)
    rtx = est(model="qwen2.5-32b", weights="q4_k_m", hardware="rtx-4090")
    assert rx.fits and rtx.fits and rx.pp == 4
    assert rx.timing.decode_tok_s_per_sequence < rtx.timing.decode_tok_s_per_sequence / 3


def test_vllm_keeps_tensor_parallel_inside_a_node():
    e = est(model="llama-3.1-70b", weights="fp8", hardware="h100-sxm", gpus=2)
    assert (e.engine_id, e.tp, e.pp) == ("vllm", 2, 1)
    wide = est(model="llama-3.1-405b", weights="fp8", hardware="h100-sxm", gpus=16)
    assert (wide.tp, wide.pp) == (8, 2)


# ---------------------------------------------------------------- TTFT


def test_two_ttfts():
    alone = est(model="llama-3.1-8b", hardware="h100-sxm", batch=1)
    assert alone.timing.ttft_ms == alone.timing.ttft_batch_ms
    busy = est(model="llama-3.1-8b", hardware="h100-sxm", batch=64)
    assert alone.timing.ttft_ms < busy.timing.ttft_ms < busy.timing.ttft_batch_ms
    assert busy.timing.decode_tok_s_total == pytest.approx(64 * 1000 / busy.timing.tpot_ms)


# ---------------------------------------------------------------- ids


def test_forgiving_ids():
    assert lookup_id("meta-llama/Llama-3.1-8B-Instruct", CATALOG, "model")[0] == "llama-3.1-8b"
    note = lookup_id("meta-llama/Llama-3.1-8B-Instruct", CATALOG, "model")[1]
    assert "instruct variant shares the architecture" in note
    assert lookup_id("Llama 3.1 70B", CATALOG, "model")[0] == "llama-3.1-70b"
    assert lookup_id("RTX 4090", CATALOG, "hardware")[0] == "rtx-4090"
    assert lookup_id("mi300", CATALOG, "hardware")[0] == "mi300x"  # a unique prefix resolves
    with pytest.raises(ScenarioError, match="ambiguous: a100-40gb-pcie, a100-40gb-sxm, a100-80gb-pcie, a100-80gb-sxm"):
        lookup_id("a100", CATALOG, "hardware")
    assert search_ids("a100", CATALOG, "hardware") == ["a100-40gb-pcie", "a100-40gb-sxm", "a100-80gb-pcie",
                                                        "a100-80gb-sxm"]
    assert search_ids("llama 3.1", CATALOG, "model")[:3] == ["llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b"]
    r = resolve(Scenario(model="meta-llama/Llama-3.1-8B-Instruct"), CATALOG)
    assert r.model.id == "llama-3.1-8b" and any("instruct" in n for n in r.notes)


def test_cli_ids_and_ambiguity(capsys):
    code, out, _ = run(capsys, "estimate", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--hardware", "H100 SXM",
                       "--json")
    data = json.loads(out)
    assert code == 0 and data["model"]["id"] == "llama-3.1-8b" and data["hardware"] == "h100-sxm"
    assert any("instruct variant" in a for a in data["assumptions"])
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "a100")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "a100-40gb-pcie, a100-40gb-sxm, a100-80gb-pcie, a100-80gb-sxm" in err


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("text, value", [
    ("1000", 1000), ("1,000", 1000), ("1_000", 1000), ("32k", 32_000), ("32K", 32_000), ("1.5M", 1_500_000),
    (" 2,048 ", 2048), ("1,000,000", 1_000_000),
])
def test_shared_count_syntax(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize("text", ["1,00", "1.5", "1,000_000", "abc", "", "1kk", "inf", "nan", "１２", "1e400"])
def test_bad_counts_are_refused(text):
    with pytest.raises(ValueError):
        parse_count(text)


def test_numbers_and_the_cli_share_the_syntax(capsys):
    assert parse_number("0.12") == 0.12 and parse_number("1.5k") == 1500.0
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-8b", "--input-tokens", "32k", "--output-tokens",
                       "1,000", "--requests-per-minute", "1_000", "--json")
    data = json.loads(out)
    assert code == 0 and data["input_tokens"] == 32_000 and data["output_tokens"] == 1000


def test_money_and_bands_read_as_people_write_them():
    assert fmt_money(8e-5) == "$0.00008"
    assert fmt_money_per_request(8e-5) == "$0.08 per 1k requests"
    assert fmt_duration_band(4410, 3350, 5800) == "4.41 s (3.35 to 5.80 s)"
    assert fmt_money(1e-300) == "< $0.000000001"


SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")

scenario_args = st.fixed_dictionaries({
    "--model": st.sampled_from(["llama-3.2-1b", "llama-3.1-8b", "qwen2.5-32b", "mixtral-8x7b", "gpt-4o"]),
    "--hardware": st.sampled_from(["h100-sxm", "rtx-4090", "m3-max", "raspberry-pi-5", "rx-580", "epyc-9654-2s"]),
    "--gpus": st.sampled_from(["1", "2", "4"]),
    "--input-tokens": st.sampled_from(["1", "1000", "32k"]),
    "--output-tokens": st.sampled_from(["1", "200", "4k"]),
    "--batch": st.sampled_from(["1", "7", "max", "100000"]),
    "--utilisation": st.sampled_from(["0.000001", "0.3", "1"]),
    "--requests-per-minute": st.sampled_from(["0", "0.000001", "10", "1000000000"]),
    "--gpu-hour-price": st.sampled_from(["0", "0.0000001", "2.5"]),
    "--electricity": st.sampled_from(["0", "0.00001", "0.3"]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario_args, st.sampled_from(["estimate", "fit"]))
def test_no_scientific_notation_in_cli_tables(capsys, args, command):
    argv = [command]
    for flag, value in args.items():
        if command == "fit" and flag in ("--hardware", "--gpus"):
            continue
        argv += [flag, value]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    assert not SCIENTIFIC.search(out), [line for line in out.splitlines() if SCIENTIFIC.search(line)]
    assert not SCIENTIFIC.search(err)


@pytest.mark.parametrize("argv", [["models"], ["hardware"], ["formats"], ["validate"],
                                  ["estimate", "--model", "gpt-4o-mini", "--requests-per-minute", "0.0001"]])
def test_no_scientific_notation_in_lists_and_validation(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and out
    assert not SCIENTIFIC.search(out), [line for line in out.splitlines() if SCIENTIFIC.search(line)]


def test_deployment_auto_is_accepted_by_name(capsys):
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "rtx-4090", "--deployment",
                       "auto", "--engine", "auto", "--json")
    data = json.loads(out)
    assert code == 0 and data["deployment"] == "local" and data["cost_usd"]["basis_kind"] == "owned"
    assert data["engine"] == "llama.cpp"


def test_saved_scenarios_keep_catalog_ids(capsys):
    code, out, err = run(capsys, "scenarios", "save", "typed", "--model", "meta-llama/Llama-3.1-8B-Instruct",
                         "--hardware", "RTX 4090", "--json")
    assert code == 0, err
    code, out, _ = run(capsys, "scenarios", "show", "typed", "--json")
    assert code == 0
    assert '"llama-3.1-8b"' in out and '"rtx-4090"' in out and "meta-llama" not in out.split('"estimate"')[0]


def test_layer_split_hand_off_by_hand():
    """Two stages of llama.cpp on RTX 4090s: the same step as one GPU plus one hand-off of the hidden state
    (4096 x 2 bytes) over PCIe at the engine's link efficiency, plus the link latency."""
    one = est(model="llama-3.1-8b", weights="q4_k_m", hardware="rtx-4090", engine="llama.cpp")
    two = est(model="llama-3.1-8b", weights="q4_k_m", hardware="rtx-4090", engine="llama.cpp", gpus=2)
    engine, hw = CATALOG.engines["llama.cpp"], CATALOG.hardware["rtx-4090"]
    link = (hw.interconnect_gb_s or hw.host_link_gb_s) * 1e9 * engine.allreduce_efficiency
    hand_off_ms = (engine.allreduce_latency_us * 1e-6 + 4096 * 2 / link) * 1e3
    # Per GPU only half the weights: the KV cache is the same, so the step reads the same bytes in total.
    assert two.timing.tpot_ms == pytest.approx(one.timing.tpot_ms + hand_off_ms, rel=1e-9)


def test_taking_a_grid_row_reproduces_it():
    """estimate() with the row's hardware, gpus_needed, engine auto, tp empty and pp 1 gives the row's figures."""
    for row in build_grid(Scenario(model="llama-3.1-70b", weights="fp8"), CATALOG):
        if not row.fits:
            continue
        e = est(model="llama-3.1-70b", weights="fp8", hardware=row.hardware, gpus=row.gpus_needed)
        assert (e.engine_id, e.tp, e.pp) == (row.engine, row.tp, row.pp), row.hardware
        assert e.timing.decode_tok_s_per_sequence == pytest.approx(row.decode_tok_s), row.hardware


def test_running_server_ttft_by_hand():
    """At 100 % of peak: a one-token prompt joining one running sequence pays that sequence's KV read
    (2,001 cached tokens of llama-2-7b at 512 KiB each) and its token's element-wise passes (8 reads or
    writes of the 4,096-wide bf16 hidden state in each of 32 layers, plus one embedding row) on top of
    its own prefill; its matmul rows are hidden under the weight reads."""
    engine = CATALOG.engines["vllm"].model_copy(update={
        "memory_efficiency": {"hbm": 1.0}, "compute_efficiency": {"tensor": 1.0}, "matmul_half_tokens": 0.0,
        "step_overhead_ms": 0.0, "layer_overhead_us": 0.0, "kv_bandwidth_efficiency": 1.0,
        "sequence_overhead_us": 0.0, "moe_compute_efficiency": 1.0,
    })
    catalog = CATALOG.model_copy(update={"engines": {**CATALOG.engines, "vllm": engine}})
    common = dict(model="llama-2-7b", weights="fp16", hardware="h100-sxm", engine="vllm", input_tokens=1,
                  output_tokens=4000)
    alone = estimate(Scenario(batch=1, **common), catalog)
    joined = estimate(Scenario(batch=2, **common), catalog)
    extra_ms = (524_288 * 2001 + 4096 * 2 * 8 * 32 + 4096 * 2) / 3350e9 * 1e3
    assert joined.timing.ttft_ms - alone.timing.ttft_ms == pytest.approx(extra_ms, rel=1e-6)


def test_catalog_idle_power_replaces_the_default_share():
    hw = CATALOG.hardware["rtx-4090"].model_copy(update={"idle_power_w": 20.0})
    catalog = CATALOG.model_copy(update={"hardware": {**CATALOG.hardware, "rtx-4090": hw}})
    e = estimate(Scenario(model="llama-3.2-1b", hardware="rtx-4090", utilisation=0.25, lifetime_years=4,
                          electricity_usd_per_kwh=0.3, pue=1.0, requests_per_minute=1), catalog)
    watts = 0.25 * 450 + 0.75 * 20
    assert e.cost.per_hour == pytest.approx((1600 / 48 + watts / 1000 * 0.3 * 730) / 730)
    assert "idle at 20 W" in e.cost.basis
