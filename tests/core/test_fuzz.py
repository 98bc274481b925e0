"""Property and fuzz tests: any input gives finite, non-negative results or a clear validation error."""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.cli import main
from llmcalc_tui.core.compat import build_grid
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.scenario import Scenario, ScenarioError

CATALOG = load_builtin()
MODELS = sorted(CATALOG.models) + ["gpt-4o", "claude-3-opus"]
HARDWARE = sorted(CATALOG.hardware)
FORMATS = sorted(CATALOG.formats)
ENGINES = sorted(CATALOG.engines)


def finite_non_negative(value):
    if value is None:
        return True
    return math.isfinite(value) and value >= 0


scenarios = st.builds(
    Scenario,
    model=st.sampled_from(MODELS),
    weights=st.one_of(st.none(), st.sampled_from(FORMATS)),
    kv_cache=st.sampled_from(FORMATS),
    hardware=st.sampled_from(HARDWARE),
    gpus=st.sampled_from([1, 2, 4, 8, 16]),
    engine=st.sampled_from(ENGINES),
    input_tokens=st.integers(1, 300_000),
    output_tokens=st.integers(1, 50_000),
    batch=st.one_of(st.integers(1, 5000), st.just("max")),
    deployment=st.sampled_from([None, "local", "cloud"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
def test_any_scenario_is_finite_or_a_clear_error(scenario):
    try:
        e = estimate(scenario, CATALOG)
    except ScenarioError as exc:
        assert exc.field and exc.message
        return
    t = e.timing
    for value in (t.ttft_ms, t.tpot_ms, t.end_to_end_ms, t.prefill_tok_s, t.decode_tok_s_per_sequence,
                  t.output_tok_s_total, e.cost.per_request, e.cost.per_hour, e.cost.per_1m_output_tokens):
        assert finite_non_negative(value)
    if e.memory:
        for value in (e.memory.weights, e.memory.kv_cache, e.memory.activations, e.memory.per_gpu):
            assert finite_non_negative(value)
    assert e.max_batch >= 0 and e.max_context >= 0
    json.dumps(e.to_json(), allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(scenarios)
def test_grid_never_crashes(scenario):
    try:
        rows = build_grid(scenario, CATALOG)
    except ScenarioError:
        return
    for row in rows:
        json.dumps(row.to_json(), allow_nan=False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=12), max_size=6))
def test_cli_parser_never_tracebacks(capsys, argv):
    try:
        code = main(["estimate", "--model", "llama-3.1-8b", *argv])
    except SystemExit as exc:  # --help / --version print and exit 0
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------- monotonic properties over random setups

setups = st.fixed_dictionaries({
    "model": st.sampled_from(sorted(CATALOG.models)),
    "weights": st.one_of(st.none(), st.sampled_from(sorted(f.id for f in CATALOG.formats.values() if f.weights))),
    "kv_cache": st.sampled_from(sorted(f.id for f in CATALOG.formats.values() if f.kv_cache)),
    "hardware": st.sampled_from(HARDWARE),
    "gpus": st.sampled_from([1, 2, 4, 8]),
    "engine": st.sampled_from(ENGINES),
})


def estimate_or_none(**fields):
    try:
        return estimate(Scenario(**fields), CATALOG)
    except ScenarioError:
        return None


def smaller_and_larger(setup: dict, field: str, a: int, b: int, **fixed):
    """Estimates of one setup at the smaller and the larger of two values of `field` (None if either is refused)."""
    few, many = sorted((a, b))
    small = estimate_or_none(**{**setup, **fixed, field: few})
    large = estimate_or_none(**{**setup, **fixed, field: many})
    if small is None or large is None or small.memory is None or large.memory is None:
        return None
    return small, large


def at_least(bigger: float | None, smaller: float | None) -> bool:
    """bigger >= smaller, allowing float rounding; an unknown value (None) on either side is no claim."""
    if bigger is None or smaller is None:
        return True
    return bigger >= smaller * (1 - 1e-9) - 1e-12


def assert_never_lower(small, large, memory: tuple[str, ...], timing: tuple[str, ...]) -> None:
    for name in memory:
        assert at_least(getattr(large.memory, name), getattr(small.memory, name)), name
    for name in timing:
        assert at_least(getattr(large.timing, name), getattr(small.timing, name)), name


@settings(max_examples=150, deadline=None)
@given(setups, st.integers(1, 200_000), st.integers(1, 200_000), st.integers(1, 4000))
def test_more_input_tokens_never_lower_memory_or_time(setup, tokens_a, tokens_b, output_tokens):
    pair = smaller_and_larger(setup, "input_tokens", tokens_a, tokens_b, output_tokens=output_tokens)
    if pair:
        small, large = pair
        assert_never_lower(small, large, ("kv_cache", "total"), ("ttft_ms", "tpot_ms", "end_to_end_ms"))
        assert large.max_batch <= small.max_batch


@settings(max_examples=150, deadline=None)
@given(setups, st.integers(1, 100_000), st.integers(1, 20_000), st.integers(1, 20_000))
def test_more_output_tokens_never_lower_memory_or_time(setup, input_tokens, out_a, out_b):
    pair = smaller_and_larger(setup, "output_tokens", out_a, out_b, input_tokens=input_tokens)
    if pair:
        small, large = pair
        assert_never_lower(small, large, ("kv_cache", "total"), ("tpot_ms", "end_to_end_ms"))
        assert at_least(large.cost.per_request, small.cost.per_request)


@settings(max_examples=150, deadline=None)
@given(setups, st.integers(1, 512), st.integers(1, 512), st.integers(1, 30_000))
def test_bigger_batch_never_lowers_memory_or_step_time(setup, batch_a, batch_b, input_tokens):
    pair = smaller_and_larger(setup, "batch", batch_a, batch_b, input_tokens=input_tokens)
    if pair:
        small, large = pair
        assert_never_lower(small, large, ("kv_cache", "total"), ("ttft_ms", "tpot_ms"))
        if small.fits and large.fits:  # a setup that does not fit has no speed (None)
            assert at_least(large.timing.output_tok_s_total, small.timing.output_tok_s_total * 0.999)


@settings(max_examples=150, deadline=None)
@given(setups, st.sampled_from([1, 2, 4, 8]), st.sampled_from([1, 2, 4, 8, 16]))
def test_more_gpus_never_lower_capacity(setup, gpus_a, gpus_b):
    pair = smaller_and_larger(setup, "gpus", gpus_a, gpus_b)
    if pair:
        small, large = pair
        assert at_least(large.memory.capacity_per_gpu * large.gpus, small.memory.capacity_per_gpu * small.gpus)
        assert large.fits or not small.fits


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)))
def test_formatted_numbers_never_show_nan_or_inf(value):
    from llmcalc_tui.core import units

    import inspect

    for name in dir(units):
        if name.startswith("fmt_"):
            function = getattr(units, name)
            positional = [p for p in inspect.signature(function).parameters.values() if p.default is p.empty]
            text = function(*[value] * len(positional)).lower()
            assert "nan" not in text and "inf" not in text, (name, value, text)
