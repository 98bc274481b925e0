"""Capacity planning: more traffic never needs fewer GPUs; an option that meets the targets is within them."""

from __future__ import annotations

import math

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.estimate import api_request_cost
from llmcalc_tui.core.plan import PlanRequest, plan
from llmcalc_tui.core.scenario import ScenarioError


@pytest.fixture(scope="module")
def catalog():
    return load_builtin()


def small(**kw) -> PlanRequest:
    base = dict(model="llama-3.1-8b", rps=5.0, input_tokens=1000, output_tokens=200, ttft_slo_ms=400,
                tpot_slo_ms=40, hardware=("h100-sxm", "l40s"), requests_per_probe=400, bisection_steps=6)
    base.update(kw)
    return PlanRequest(**base)


@pytest.fixture(scope="module")
def plans_by_rate(catalog):
    return {rps: plan(small(rps=rps), catalog) for rps in (1.0, 8.0, 30.0, 90.0)}


def test_more_traffic_never_needs_fewer_gpus(plans_by_rate):
    rates = sorted(plans_by_rate)
    for low, high in zip(rates, rates[1:]):
        before = {(o.hardware, o.tp): o for o in plans_by_rate[low].options}
        after = {(o.hardware, o.tp): o for o in plans_by_rate[high].options}
        assert before.keys() == after.keys()
        for layout, option in after.items():
            assert option.total_gpus >= before[layout].total_gpus, layout
        best_before = min(o.total_gpus for o in before.values() if o.meets_slo)
        best_after = min(o.total_gpus for o in after.values() if o.meets_slo)
        assert best_after >= best_before
    assert plans_by_rate[90.0].options[0].total_gpus > plans_by_rate[1.0].options[0].total_gpus


def test_an_option_that_meets_the_targets_is_within_them(plans_by_rate):
    seen = 0
    for result in plans_by_rate.values():
        for o in result.options:
            if o.meets_slo:
                seen += 1
                assert o.ttft_ms <= 400 and o.tpot_ms <= 40
                assert o.ttft_p50_ms <= o.ttft_p99_ms and o.tpot_p50_ms <= o.tpot_p99_ms
                assert o.ttft_ms == o.ttft_p99_ms  # the targets apply at p99 here
                assert 0 < o.utilisation <= 1
    assert seen >= 8


def test_options_are_sorted_smallest_meeting_layout_first(plans_by_rate):
    options = plans_by_rate[30.0].options
    assert options[0].meets_slo
    meeting = [o for o in options if o.meets_slo]
    assert options[: len(meeting)] == tuple(meeting)
    assert [o.total_gpus for o in meeting] == sorted(o.total_gpus for o in meeting)


def test_replicas_gpus_nodes_and_cost_add_up(catalog, plans_by_rate):
    for o in plans_by_rate[90.0].options:
        hw = catalog.hardware[o.hardware]
        assert o.total_gpus == o.replicas * o.gpus_per_replica == o.replicas * o.tp * o.pp
        assert o.nodes == math.ceil(o.total_gpus / hw.max_devices)
        assert o.usd_per_month_cloud == pytest.approx(o.total_gpus * hw.cloud_usd_per_hour * 730)
        assert o.replicas >= math.ceil(90.0 / o.rps_per_replica_max) if o.meets_slo else True
        assert o.launch and f"--tensor-parallel-size {o.tp}" in o.launch["command"]
        assert f"--max-num-seqs {o.max_batch_per_replica}" in o.launch["command"]


def test_api_alternatives_price_the_same_traffic(catalog, plans_by_rate):
    result = plans_by_rate[8.0]
    first = result.api_alternatives[0]
    assert first.same_model
    api = catalog.api_models[first.model]
    assert first.usd_per_month == pytest.approx(api_request_cost(api, 1000, 200, 0.0) * 8.0 * 730 * 3600)


def test_no_targets_means_the_saturation_rate(catalog):
    result = plan(small(ttft_slo_ms=None, tpot_slo_ms=None, hardware=("h100-sxm",), rps=10.0), catalog)
    assert all(o.meets_slo for o in result.options)
    assert result.options[0].replicas == 1


def test_impossible_targets_meet_nothing(catalog):
    result = plan(small(ttft_slo_ms=1, hardware=("h100-sxm",)), catalog)
    assert result.options and not any(o.meets_slo for o in result.options)


@pytest.mark.parametrize("request_, field", [
    (dict(rps=0.0), "rps"),
    (dict(percentile=75), "percentile"),
    (dict(hardware=("h100-sxn",)), "hardware"),
    (dict(model="gpt-4o"), "model"),
])
def test_bad_input_names_the_field(catalog, request_, field):
    with pytest.raises(ScenarioError) as info:
        plan(small(**request_), catalog)
    assert info.value.field == field
