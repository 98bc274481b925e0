"""The load simulation agrees with the closed forms at its limits and behaves like a queue in between."""

from __future__ import annotations

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.core.simulate import (
    CoreStepCost,
    Lengths,
    ServingSetup,
    Targets,
    Workload,
    goodput,
    percentile,
    read_lengths,
    serving_setup_for,
    simulate,
    step_cost_for,
)


@pytest.fixture(scope="module")
def catalog():
    return load_builtin()


@pytest.fixture(scope="module")
def setup_8b(catalog) -> ServingSetup:
    return serving_setup_for(Scenario(model="llama-3.1-8b", hardware="h100-sxm", input_tokens=1000, output_tokens=200), catalog)


def fixed(prompt: int, output: int, **kw) -> Workload:
    return Workload(Lengths.fixed(prompt), Lengths.fixed(output), **kw)


def test_single_step_costs_are_the_core_functions(catalog):
    from llmcalc_tui.core.estimate import estimate

    scenario = Scenario(model="llama-3.1-8b", hardware="h100-sxm", input_tokens=1000, output_tokens=200)
    cost = step_cost_for(scenario, catalog)
    est = estimate(scenario, catalog)
    assert cost.step_seconds(0, 0.0, [(0, 1000)]) * 1e3 == pytest.approx(est.timing.ttft_ms, rel=1e-12)
    # decode steps are memoised on the context rounded to 8 tokens
    assert cost.decode_seconds(1, 1100) * 1e3 == pytest.approx(est.timing.tpot_ms, rel=1e-4)
    # A later chunk of a prompt pays for attending to the earlier tokens.
    assert cost.step_seconds(4, 1100, [(4000, 500)]) > cost.step_seconds(4, 1100, [(0, 500)])
    # A mixed step costs more than its decode part.
    assert cost.step_seconds(4, 1100, [(0, 500)]) > cost.decode_seconds(4, 1100)


def test_low_rate_latencies_equal_the_single_request_estimate(setup_8b):
    result = simulate(setup_8b, fixed(1000, 200, requests=300, rate_rps=0.001, seed=3))
    assert result.completed == 300
    assert result.ttft_s.p50 == pytest.approx(setup_8b.single_ttft_s, rel=0.005)
    assert result.tpot_s.p50 == pytest.approx(setup_8b.single_tpot_s, rel=0.005)
    assert result.e2e_s.p50 == pytest.approx(setup_8b.single_ttft_s + 199 * setup_8b.single_tpot_s, rel=0.005)


@pytest.mark.parametrize(
    "model, hardware, prompt, output",
    [("llama-3.1-8b", "h100-sxm", 1000, 200), ("llama-3.1-8b", "a100-80gb-sxm", 2000, 500), ("qwen2.5-7b", "l40s", 500, 300)],
)
def test_saturation_throughput_equals_the_offline_estimate(catalog, model, hardware, prompt, output):
    setup = serving_setup_for(Scenario(model=model, hardware=hardware, input_tokens=prompt, output_tokens=output), catalog)
    assert setup.offline_output_tok_s
    result = simulate(setup, fixed(prompt, output, requests=3000, rate_rps=1e12, seed=0))
    assert result.output_tok_s == pytest.approx(setup.offline_output_tok_s, rel=0.05)


def test_more_load_never_lowers_latency(setup_8b):
    # Rates as shares of the setup's capacity (offline requests/s): under it, then once well over it.
    # Two rates both past saturation would compare noise (a finite run's drain), not load.
    capacity = setup_8b.offline_output_tok_s / 200
    rates = [capacity * share for share in (0.05, 0.25, 0.5, 0.65, 0.8, 1.9)]
    results = [simulate(setup_8b, fixed(1000, 200, requests=1500, rate_rps=r, seed=7)) for r in rates]
    for before, after in zip(results, results[1:]):
        for metric in ("ttft_s", "tpot_s", "e2e_s"):
            for p in (50, 90, 99):
                assert getattr(after, metric).at(p) >= getattr(before, metric).at(p) * 0.999, (metric, p)


def test_p99_is_never_below_p50(setup_8b):
    work = Workload(Lengths(800, 400), Lengths(200, 150), requests=1000, rate_rps=15, seed=11)
    result = simulate(setup_8b, work)
    for metric in (result.ttft_s, result.tpot_s, result.e2e_s):
        assert metric.p50 <= metric.p90 <= metric.p99


def test_same_seed_same_result_other_seed_other_result(setup_8b):
    work = Workload(Lengths(800, 400), Lengths(200, 150), requests=800, rate_rps=15, seed=5)
    assert simulate(setup_8b, work) == simulate(setup_8b, work)
    other = Workload(Lengths(800, 400), Lengths(200, 150), requests=800, rate_rps=15, seed=6)
    assert simulate(setup_8b, other) != simulate(setup_8b, work)


def test_a_full_pool_preempts_and_still_finishes_every_request(setup_8b):
    # A pool of 20 sequences' worth with 64 allowed to run: decodes outgrow it and get recomputed.
    small = ServingSetup(**{**{f: getattr(setup_8b, f) for f in ServingSetup.__slots__}, "kv_capacity_tokens": 20 * 1200, "max_seqs": 64})
    result = simulate(small, fixed(1000, 200, requests=400, rate_rps=1e12, seed=1))
    assert result.preemptions > 0
    assert result.completed == 400
    assert result.kv_occupancy_peak <= 1.0


def test_a_request_larger_than_the_pool_is_rejected_not_hung(setup_8b):
    tiny = ServingSetup(**{**{f: getattr(setup_8b, f) for f in ServingSetup.__slots__}, "kv_capacity_tokens": 1000})
    result = simulate(tiny, fixed(1000, 200, requests=5, rate_rps=1.0))
    assert result.rejected == 5 and result.completed == 0


def test_closed_loop_concurrency_one_is_the_single_request(setup_8b):
    result = simulate(setup_8b, fixed(1000, 200, requests=50, concurrency=1))
    assert result.ttft_s.p99 == pytest.approx(setup_8b.single_ttft_s, rel=0.005)
    assert result.requests_per_s == pytest.approx(1 / (setup_8b.single_ttft_s + 199 * setup_8b.single_tpot_s), rel=0.01)


def test_goodput_meets_the_targets_and_a_bit_more_does_not(setup_8b):
    targets = Targets(ttft_s=0.2, tpot_s=0.03, percentile=99)
    work = fixed(1000, 200, requests=1000, seed=2)
    found = goodput(setup_8b, work, targets, steps=8)
    assert 0 < found.rate_rps < found.saturation.requests_per_s
    assert found.result is not None and targets.met_by(found.result)
    assert found.result.ttft_s.p99 <= 0.2 and found.result.tpot_s.p99 <= 0.03
    failed = [rate for rate, ok in found.probes if not ok]
    assert failed and min(failed) > found.rate_rps


def test_goodput_is_zero_when_a_lone_request_misses(setup_8b):
    found = goodput(setup_8b, fixed(1000, 200, requests=200), Targets(ttft_s=0.001))
    assert found.rate_rps == 0 and found.result is None


def test_percentile_interpolates_between_ranks():
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([0.0, 10.0], 99) == pytest.approx(9.9)
    assert percentile([7.0], 90) == 7.0


def test_lengths_log_normal_keeps_the_mean_and_file_lengths_are_read(tmp_path):
    import random

    draw = Lengths(1000, 500).sampler(random.Random(0))
    values = [draw() for _ in range(20000)]
    assert min(values) >= 1
    assert sum(values) / len(values) == pytest.approx(1000, rel=0.03)
    path = tmp_path / "lengths.txt"
    path.write_text("# prompt output\n100 20\n\n300, 40\n")
    prompts, outputs = read_lengths(path)
    assert prompts.values == (100, 300) and outputs is not None and outputs.values == (20, 40)
    path.write_text("100\nabc\n")
    with pytest.raises(ValueError, match="lengths.txt:2"):
        read_lengths(path)


def test_core_step_cost_memoises():
    calls = []

    def decode(b, c):
        calls.append(("d", b, c))
        return 0.01 * b

    def prefill(b, t):
        calls.append(("p", b, t))
        return 0.001 * b * t

    cost = CoreStepCost(decode, prefill)
    for _ in range(3):
        cost.step_seconds(2, 100, [(0, 50)])
    assert len(calls) == 3  # one decode, two prefill batches for the marginal cost
    assert cost.step_seconds(0, 0, [(0, 50)]) == pytest.approx(0.05)


def test_recorded_pairs_replace_the_length_distributions(setup_8b):
    paired = Workload(Lengths.fixed(1), Lengths.fixed(1), requests=300, rate_rps=8, seed=4, pairs=((700, 30),))
    assert simulate(setup_8b, paired) == simulate(setup_8b, fixed(700, 30, requests=300, rate_rps=8, seed=4))


def test_one_token_outputs_finish_at_their_prefill(setup_8b):
    """A request that wants a single token is done when its prompt is (the prefill pool of disaggregated serving)."""
    result = simulate(setup_8b, fixed(1000, 1, rate_rps=20.0, requests=200))
    assert result.completed == 200 and result.rejected == 0
    assert result.e2e_s.p50 == pytest.approx(result.ttft_s.p50)
