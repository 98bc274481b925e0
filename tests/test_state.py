"""AppState transitions: parsing, invalid input keeping the last good results, loading, dirty."""

from __future__ import annotations

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.state import (
    FIELD_NAMES,
    FieldError,
    apply_edit,
    apply_edits,
    break_even_requests_per_minute,
    complete_id,
    ensure_grid,
    estimate_facts,
    filter_options,
    hardware_options,
    needs_words,
    plain_number,
    set_grid_basis,
    hardware_edits,
    initial_state,
    load_scenario,
    mark_saved,
    model_options,
    parse_field,
    raw_from_scenario,
    reset,
    sort_grid,
)


@pytest.fixture(scope="module")
def catalog():
    return load_builtin()


@pytest.fixture(scope="module")
def start(catalog):
    return initial_state(catalog)


def test_initial_state_estimates_the_defaults(start):
    assert start.errors == {}
    assert start.estimate is not None and start.estimate.fit_state == "ok"
    assert len(start.grid) > 10
    assert start.api_estimate is not None
    assert not start.dirty
    assert set(start.raw) == set(FIELD_NAMES)


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("input_tokens", "4096", 4096),
        ("input_tokens", " 4_096 ", 4096),
        ("input_tokens", "4,096", 4096),
        ("batch", "max", "max"),
        ("batch", "MAX", "max"),
        ("batch", "16", 16),
        ("tp", "", None),
        ("tp", "auto", None),
        ("tp", "2", 2),
        ("utilisation", "50%", 0.5),
        ("utilisation", "0.7", 0.7),
        ("weights", "", None),
        ("weights", "FP8", "fp8"),
        ("deployment", "auto", None),
        ("deployment", "Cloud", "cloud"),
        ("cloud_usd_per_hour", "", None),
        ("electricity_usd_per_kwh", "0.3", 0.3),
    ],
)
def test_parse_field_valid(field, raw, value):
    assert parse_field(field, raw) == value


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("input_tokens", ""),
        ("input_tokens", "12a"),
        ("input_tokens", "٣"),  # Arabic-Indic digit: not ASCII
        ("input_tokens", "1.5"),
        ("input_tokens", "-3"),
        ("batch", "lots"),
        ("electricity_usd_per_kwh", "nan"),
        ("electricity_usd_per_kwh", "inf"),
        ("electricity_usd_per_kwh", "1e999"),
        ("model", "llama\x1b[31m70b"),
        ("model", ""),
        ("deployment", "moon"),
    ],
)
def test_parse_field_invalid(field, raw):
    with pytest.raises(FieldError):
        parse_field(field, raw)


def test_valid_edit_recomputes(start, catalog):
    state = apply_edit(start, "input_tokens", "4096", catalog)
    assert state is not start
    assert state.scenario.input_tokens == 4096
    assert state.estimate.timing.ttft_ms > start.estimate.timing.ttft_ms
    assert state.dirty
    assert state.revision == start.revision + 1


def test_unchanged_input_returns_same_object(start, catalog):
    assert apply_edit(start, "input_tokens", start.raw["input_tokens"], catalog) is start
    assert apply_edits(start, {"gpus": "1", "pp": "1"}, catalog) is start


def test_invalid_text_keeps_last_good_results(start, catalog):
    state = apply_edit(start, "batch", "abc", catalog)
    assert "batch" in state.errors
    assert state.estimate is start.estimate
    assert state.grid is start.grid
    assert state.scenario == start.scenario
    assert state.raw["batch"] == "abc"
    assert state.stale


def test_out_of_range_is_marked(start, catalog):
    state = apply_edit(start, "input_tokens", "999999999999", catalog)
    assert "at most" in state.errors["input_tokens"]
    assert state.estimate is start.estimate


def test_scenario_error_is_attached_to_its_field(start, catalog):
    state = apply_edit(start, "hardware", "h100", catalog)
    assert "ambiguous" in state.errors["hardware"] and "h100-sxm" in state.errors["hardware"]
    state = apply_edit(start, "hardware", "no-such-gpu", catalog)
    assert "unknown hardware" in state.errors["hardware"]
    state = apply_edit(start, "tp", "3", catalog)  # tp x pp = 3 on 1 GPU
    assert "tp" in state.errors or "gpus" in state.errors
    state = apply_edit(start, "model", "no-such-model", catalog)
    assert "unknown model" in state.errors["model"]
    assert state.estimate is start.estimate


def test_fixing_the_field_clears_the_error(start, catalog):
    bad = apply_edit(start, "batch", "x", catalog)
    good = apply_edit(bad, "batch", "8", catalog)
    assert good.errors == {}
    assert good.scenario.batch == 8
    assert good.estimate is not start.estimate


def test_grid_reused_when_only_hardware_changes(start, catalog):
    state = apply_edit(start, "gpus", "2", catalog)
    assert state.errors == {}
    assert state.grid is start.grid
    state2 = apply_edit(state, "output_tokens", "400", catalog)
    assert state2.grid is not state.grid


def test_done_when_scenario(start, catalog):
    state = start
    for field, raw in [
        ("model", "llama-3.1-70b"), ("weights", "fp8"), ("hardware", "h100-sxm"), ("gpus", "2"),
        ("input_tokens", "4096"), ("output_tokens", "512"), ("batch", "16"),
    ]:
        state = apply_edit(state, field, raw, catalog)
    assert state.errors == {}
    est = state.estimate
    assert est.model_id == "llama-3.1-70b" and est.gpus == 2 and est.batch == 16
    assert est.fit_state in ("ok", "tight")
    assert any(row.fits and row.hardware != "h100-sxm" for row in state.grid)


def test_api_side_by_side(start, catalog):
    state = apply_edit(start, "api_model", "gpt-4o-mini", catalog)
    assert state.api_estimate is not None and state.api_estimate.model_id == "gpt-4o-mini"
    bad = apply_edit(start, "api_model", "gpt-99", catalog)
    assert "api_model" in bad.errors


def test_api_model_as_main_model(start, catalog):
    state = apply_edit(start, "model", "gpt-4o", catalog)
    assert state.errors == {}
    assert state.estimate.memory is None
    assert state.grid == ()


def test_load_scenario_with_unknown_ids(start, catalog):
    saved = Scenario(model="llama-3.1-70b", hardware="quantum-gpu-9000", gpus=2, input_tokens=2048)
    unknown = {"hardware": "unknown hardware 'quantum-gpu-9000'"}
    state = load_scenario(start, saved, catalog, "old one", unknown)
    assert state.errors == unknown
    assert state.raw["hardware"] == "quantum-gpu-9000"
    assert state.raw["model"] == "llama-3.1-70b"
    assert state.raw["input_tokens"] == "2048"
    assert state.scenario.model == "llama-3.1-70b"
    assert state.estimate is not None and state.estimate.model_id == "llama-3.1-70b"
    assert state.loaded_name == "old one"


def test_load_then_save_clears_dirty(start, catalog):
    saved = Scenario(model="qwen2.5-7b", input_tokens=2000)
    state = load_scenario(start, saved, catalog, "qwen")
    assert not state.dirty and state.errors == {}
    edited = apply_edit(state, "batch", "4", catalog)
    assert edited.dirty
    back = apply_edit(edited, "batch", "1", catalog)
    assert not back.dirty
    assert not mark_saved(edited, "qwen").dirty


def test_reset(start, catalog):
    edited = apply_edit(start, "batch", "4", catalog)
    fresh = reset(edited, catalog)
    assert fresh.scenario == Scenario()
    assert not fresh.dirty
    assert fresh.raw == raw_from_scenario(Scenario())


def test_hardware_edits_from_grid(start, catalog):
    state = apply_edit(start, "model", "llama-3.1-70b", catalog)
    row = next(r for r in state.grid if r.hardware == "h100-sxm")
    edits = hardware_edits(state, row, catalog)
    assert edits["hardware"] == "h100-sxm" and int(edits["gpus"]) == row.gpus_needed
    after = apply_edits(state, edits, catalog)
    assert after.errors == {}
    assert after.estimate.fits


def test_sort_and_filter_grid(start):
    rows = sort_grid(start.grid, "usd_1m")
    prices = [r.usd_per_1m_output_tokens for r in rows if r.usd_per_1m_output_tokens is not None]
    assert prices == sorted(prices)
    assert rows[-1].usd_per_1m_output_tokens is None or all(r.usd_per_1m_output_tokens is not None for r in rows)
    desc = sort_grid(start.grid, "usd_1m", reverse=True)
    top = [r.usd_per_1m_output_tokens for r in desc if r.usd_per_1m_output_tokens is not None]
    assert top == sorted(top, reverse=True)
    apple = sort_grid(start.grid, "fit", kind="apple")
    assert apple and all(r.kind == "apple" for r in apple)
    speed = [r.decode_tok_s for r in sort_grid(start.grid, "tok_s") if r.decode_tok_s is not None]
    assert speed == sorted(speed, reverse=True)


def test_filter_options(catalog):
    options = model_options(catalog)
    hits = filter_options(options, "llama 70")
    assert hits and all("llama" in o.haystack and "70" in o.haystack for o in hits)
    assert filter_options(options, "gpt-4o")[0].id == "gpt-4o"


def test_break_even(start):
    value = break_even_requests_per_minute(start.estimate, start.api_estimate)
    assert value is not None and value > 0


# ----------------------------------------------------------------------------- issue 11


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("input_tokens", "32k", 32_000),
        ("input_tokens", "1.5M", 1_500_000),
        ("input_tokens", "1_000", 1_000),
        ("batch", "1,024", 1_024),
        ("requests_per_minute", "2.5k", 2_500.0),
        ("utilisation", "75%", 0.75),
        ("model", "Llama 3.1 70B", "llama 3.1 70b"),
        ("engine", "auto", None),
    ],
)
def test_parse_field_takes_the_cli_number_syntax_and_forgiving_ids(field, raw, value):
    assert parse_field(field, raw) == value


@pytest.mark.parametrize(("field", "raw"), [("input_tokens", "1.5k5"), ("input_tokens", "1,00"),
                                            ("batch", "1.2345k"), ("input_tokens", "-3")])
def test_parse_field_still_refuses_malformed_numbers(field, raw):
    with pytest.raises(FieldError):
        parse_field(field, raw)


def test_fields_never_show_an_exponent(start, catalog):
    state = apply_edit(start, "requests_per_minute", "1e9", catalog)
    assert state.errors == {}
    assert raw_from_scenario(state.scenario)["requests_per_minute"] == "1000000000"
    assert plain_number(0.12) == "0.12" and plain_number(2.0) == "2" and plain_number(0.00005) == "0.00005"


def test_grid_basis_switch_prices_every_row_on_one_basis(start, catalog):
    assert start.grid_basis == "cloud" and {r.cost_basis for r in start.grid} == {"cloud"}
    owned = set_grid_basis(start, "owned", catalog)
    assert owned is not start and owned.grid_basis == "owned"
    assert {r.cost_basis for r in owned.grid} == {"owned"}
    for before, after in zip(start.grid, owned.grid):
        assert after.usd_per_1m_output_tokens == before.usd_per_1m_by_basis.get("owned")
    assert set_grid_basis(owned, "owned", catalog) is owned
    # The choice survives edits and resets.
    edited = apply_edit(owned, "input_tokens", "2000", catalog)
    assert edited.grid_basis == "owned" and {r.cost_basis for r in edited.grid} == {"owned"}
    assert reset(edited, catalog).grid_basis == "owned"


def test_sorting_by_price_compares_like_with_like(start, catalog):
    owned = set_grid_basis(start, "owned", catalog)
    rows = sort_grid(owned.grid, "usd_1m", basis="owned")
    prices = [r.usd_per_1m_output_tokens for r in rows]
    priced = [p for p in prices if p is not None]
    assert priced == sorted(priced) and prices[: len(priced)] == priced
    # A price on another basis never sorts among this basis's prices.
    rented = next(r for r in start.grid if r.usd_per_1m_output_tokens is not None)
    mixed = [rented, *(r for r in owned.grid if r.hardware != rented.hardware)]
    ordered = sort_grid(mixed, "usd_1m", basis="owned")
    owned_priced = sum(1 for r in ordered if r.cost_basis == "owned" and r.usd_per_1m_output_tokens is not None)
    assert ordered.index(rented) >= owned_priced


def test_fits_only_filter(start, catalog):
    big_batch = apply_edit(start, "batch", "4096", catalog)
    everything = sort_grid(big_batch.grid)
    fitting = sort_grid(big_batch.grid, fits_only=True)
    assert 0 < len(fitting) < len(everything) and all(r.fits for r in fitting)


def test_estimate_facts_of_a_setup_that_does_not_fit(start, catalog):
    state = apply_edit(start, "model", "llama-3.1-405b", catalog)
    facts = estimate_facts(state.estimate)
    assert facts.basis_kind == "cloud" and facts.gpus_needed > 8 and facts.nodes_needed >= 2
    words = needs_words(facts.gpus_needed, facts.nodes_needed, "h100-sxm")
    assert words == f"needs {facts.gpus_needed} x h100-sxm ({facts.nodes_needed} nodes)"
    assert needs_words(4, 1, "h100-sxm") == "needs 4 x h100-sxm"


def test_api_list_prices_follow_the_compared_model(start, catalog):
    prices = start.api_prices
    spec = catalog.api_models[start.api_estimate.model_id]
    assert prices is not None and (prices.input, prices.output) == (spec.input_usd_per_1m, spec.output_usd_per_1m)


def test_completion_and_picker_search_are_forgiving(catalog):
    assert complete_id("hardware", "A100", catalog).startswith("a100-")
    assert complete_id("model", "llama 3.1 7", catalog) == "llama-3.1-70b"
    assert complete_id("model", "llama-3.1-70b", catalog) is None  # nothing to add
    assert complete_id("gpus", "1", catalog) is None
    hits = filter_options(model_options(catalog), "meta-llama/Llama-3.1-8B-Instruct", catalog=catalog, kind="model")
    assert hits[0].id == "llama-3.1-8b"
    a100 = [o.id for o in filter_options(hardware_options(catalog), "a100", catalog=catalog, kind="hardware")]
    assert a100 and all(i.startswith("a100") for i in a100) and len(a100) >= 2


def test_hidden_grid_is_skipped_and_caught_up(start, catalog):
    lazy = apply_edit(start, "batch", "64", catalog, with_grid=False)
    assert lazy.estimate.batch == 64 and lazy.grid_pending
    assert lazy.grid is start.grid  # left behind, not recomputed
    assert apply_edit(lazy, "gpus", "2", catalog, with_grid=False).grid_pending  # still behind
    caught_up = ensure_grid(lazy, catalog)
    assert not caught_up.grid_pending and ensure_grid(caught_up, catalog) is caught_up
    eager = apply_edit(start, "batch", "64", catalog)
    assert [r.to_json() for r in caught_up.grid] == [r.to_json() for r in eager.grid]
    # An edit that leaves the workload alone needs no grid at all.
    same_workload = apply_edit(start, "gpus", "2", catalog, with_grid=False)
    assert not same_workload.grid_pending and same_workload.grid is start.grid


def test_choosing_any_fitting_grid_row_reproduces_it(start, catalog):
    state = apply_edit(start, "model", "llama-3.1-405b", catalog)
    for row in [r for r in state.grid if r.fits][:25]:
        after = apply_edits(state, hardware_edits(state, row, catalog), catalog)
        assert after.errors == {}, (row.hardware, after.errors)
        est = after.estimate
        assert (est.hardware_id, est.gpus, est.tp, est.pp, est.engine_id) == (
            row.hardware, row.gpus_needed, row.tp, row.pp, row.engine)
        assert est.fits
