"""The series behind the app's plots: what the core says, swept."""

from __future__ import annotations

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.compat import build_grid
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.plots import all_charts
from llmcalc_tui.core.scenario import Scenario


@pytest.fixture(scope="module")
def catalog():
    return load_builtin()


@pytest.fixture(scope="module")
def charts(catalog):
    scenario = Scenario(model="llama-3.1-8b", hardware="h100-sxm", input_tokens=1000, output_tokens=200, batch=8)
    return scenario, all_charts(scenario, catalog, build_grid(scenario, catalog, "cloud"))


def test_batch_sweep_points_are_the_estimates(catalog, charts):
    scenario, c = charts
    output, decode = c["throughput"].series
    tpot = c["tpot"].series[0]
    assert output.x == decode.x == tpot.x and output.x[0] == 1
    assert output.x[-1] == estimate(scenario.model_copy(update={"batch": "max"}), catalog).max_batch
    at_4 = estimate(scenario.model_copy(update={"batch": 4}), catalog).timing
    i = output.x.index(4.0)
    assert (output.y[i], decode.y[i], tpot.y[i]) == (at_4.output_tok_s_total, at_4.decode_tok_s_total, at_4.tpot_ms)
    assert tpot.y == sorted(tpot.y)  # a bigger batch never decodes each token faster


def test_memory_grows_with_context_under_its_lines(charts):
    _scenario, c = charts
    used = c["memory"].series[0]
    assert used.y == sorted(used.y)
    lines = dict(c["memory"].hlines)
    assert lines["capacity"] == pytest.approx(79.18) and lines["engine budget"] < lines["capacity"]


def test_roofline_points_sit_on_the_roof(catalog, charts):
    _scenario, c = charts
    hw = catalog.hardware["h100-sxm"]
    peak, bandwidth = hw.tflops["bf16"], hw.bandwidth_gb_s * 1e9
    for _name, ai, attainable in c["roofline"].points:
        assert attainable == pytest.approx(min(peak, ai * bandwidth / 1e12))
    (_p, prefill_ai, _), (_d, decode_ai, _) = c["roofline"].points
    assert prefill_ai > peak * 1e12 / bandwidth > decode_ai  # prefill compute-bound, decode at batch 8 memory-bound


def test_cost_bars_cheapest_first_and_load_percentiles_ordered(charts):
    _scenario, c = charts
    values = [v for _name, v in c["cost"].bars]
    assert values and values == sorted(values)
    series = {s.label: s for s in c["load"].series}
    for kind in ("TTFT", "TPOT"):
        p50, p99 = series[f"{kind} p50"].y, series[f"{kind} p99"].y
        assert all(high >= low for low, high in zip(p50, p99))
    assert series["TTFT p99"].y[-1] >= series["TTFT p99"].y[0]  # more load, no lower tail latency


def test_a_setup_that_does_not_fit_says_so(catalog):
    scenario = Scenario(model="llama-3.1-70b", hardware="rtx-4090", input_tokens=1000, output_tokens=200)
    c = all_charts(scenario, catalog, [])
    assert c["throughput"].empty and "does not fit" in c["throughput"].note
    assert c["load"].empty and c["cost"].empty
