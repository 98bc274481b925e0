"""The hosted-API estimate: price tier per scenario, reasoning tokens, latency from published numbers."""

from __future__ import annotations

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.api import ApiEstimate
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.scenario import Scenario, ScenarioError

CATALOG = load_builtin()


def est(**kw) -> ApiEstimate:
    result = estimate(Scenario(**kw), CATALOG)
    assert isinstance(result, ApiEstimate)
    return result


def test_gpt_4o_has_ttft_tpot_and_end_to_end() -> None:
    e = est(model="gpt-4o", input_tokens=1000, output_tokens=200)
    # published TTFT median 350 ms + the 40 ms default round trip; 113 tok/s median
    assert e.timing.ttft_ms == pytest.approx(390)
    assert e.timing.tpot_ms == pytest.approx(1000 / 113)
    assert e.timing.end_to_end_ms == pytest.approx(390 + 199 * 1000 / 113)
    lat = e.to_json()["latency_ms"]
    assert None not in (lat["ttft"], lat["tpot"], lat["end_to_end"])
    assert lat["network_rtt"] == 40


def test_band_is_the_published_spread_plus_the_round_trip() -> None:
    e = est(model="gpt-4o", output_tokens=100, network_rtt_ms=0)
    assert e.timing.ttft_ms == pytest.approx(350)
    assert (e.bands["ttft_ms"].low, e.bands["ttft_ms"].high) == pytest.approx((250, 450))
    assert (e.bands["tpot_ms"].low, e.bands["tpot_ms"].high) == pytest.approx((1000 / 131, 1000 / 95))
    assert e.bands["end_to_end_ms"].low == pytest.approx(250 + 99 * 1000 / 131)
    assert e.bands["end_to_end_ms"].low < e.timing.end_to_end_ms < e.bands["end_to_end_ms"].high


def test_unpublished_latency_stays_unknown() -> None:
    e = est(model="claude-sonnet-5")
    assert e.timing.ttft_ms is None and e.timing.end_to_end_ms is None
    assert any("no published latency" in a for a in e.assumptions)


def test_standard_and_cached_prices() -> None:
    e = est(model="gpt-4o", input_tokens=1000, output_tokens=200, cached_input_fraction=0.5)
    assert e.cost.per_request == pytest.approx((500 * 2.5 + 500 * 1.25 + 200 * 10) / 1e6)
    assert e.to_json()["cost_usd"]["basis_kind"] == "api"
    assert e.to_json()["cost_usd"]["price_tier"] == "standard"


def test_batch_api_price() -> None:
    e = est(model="gpt-4o", input_tokens=1000, output_tokens=200, batch_api=True)
    assert e.cost.per_request == pytest.approx((1000 * 1.25 + 200 * 5) / 1e6)
    assert e.price is not None and e.price.kind == "batch"
    assert "batch tier" in e.cost.basis


def test_batch_without_a_batch_price_is_an_error() -> None:
    with pytest.raises(ScenarioError) as info:
        est(model="gpt-5.2", batch_api=True)
    assert info.value.field == "batch_api"


def test_priority_price_and_its_cached_rate() -> None:
    e = est(model="gpt-4o", input_tokens=1000, output_tokens=200, priority=True, cached_input_fraction=1)
    assert e.cost.per_request == pytest.approx((1000 * 2.125 + 200 * 17) / 1e6)
    with pytest.raises(ScenarioError):
        est(model="claude-sonnet-5", priority=True)
    with pytest.raises(ScenarioError):
        est(model="gpt-4o", priority=True, batch_api=True)


def test_long_context_tier_starts_above_the_threshold() -> None:
    at = est(model="gpt-5.4", input_tokens=272_000, output_tokens=200)
    above = est(model="gpt-5.4", input_tokens=272_001, output_tokens=200)
    assert at.price.kind == "standard" and above.price.kind == "long_context"
    assert at.cost.per_request == pytest.approx((272_000 * 2.5 + 200 * 15) / 1e6)
    assert above.cost.per_request == pytest.approx((272_001 * 5 + 200 * 22.5) / 1e6)
    assert any("long-context prices" in a for a in above.assumptions)


def test_reasoning_effort_is_billed_as_output() -> None:
    e = est(model="claude-sonnet-5", input_tokens=1000, output_tokens=200, reasoning="high")
    assert e.reasoning_tokens == 24_576
    assert e.cost.per_request == pytest.approx((1000 * 2 + (200 + 24_576) * 10) / 1e6)
    assert e.to_json()["reasoning_tokens"] == 24_576


def test_reasoning_tokens_delay_the_first_visible_token() -> None:
    plain = est(model="gpt-5.4", output_tokens=100)
    thinking = est(model="gpt-5.4", output_tokens=100, reasoning=1000)
    assert thinking.reasoning_tokens == 1000
    assert thinking.timing.ttft_ms - plain.timing.ttft_ms == pytest.approx(1000 * 1000 / 85)
    assert thinking.timing.tpot_ms == plain.timing.tpot_ms
    assert thinking.to_json()["latency_ms"]["reasoning"] == pytest.approx(1000 * 1000 / 85, abs=1e-3)


def test_reasoning_on_a_model_that_does_not_think_adds_nothing_and_says_so() -> None:
    e = est(model="gpt-4o", reasoning="medium")
    assert e.reasoning_tokens == 0
    assert any("not a reasoning model" in w for w in e.warnings)


def test_retired_endpoint_is_flagged() -> None:
    assert any("retired" in w for w in est(model="o1-mini").warnings)


def test_priority_long_context_uses_its_own_price() -> None:
    e = est(model="gemini-3.1-pro", input_tokens=250_000, output_tokens=100, priority=True)
    assert e.price.kind == "long_context_priority"
    assert e.cost.per_request == pytest.approx((250_000 * 7.2 + 100 * 32.4) / 1e6)
    plain = est(model="gemini-3.1-pro", input_tokens=150_000, output_tokens=100, priority=True)
    assert plain.price.kind == "priority"
    assert plain.cost.per_request == pytest.approx((150_000 * 3.6 + 100 * 21.6) / 1e6)
