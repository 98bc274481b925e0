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
