"""Speculative decoding formulas: hand-computed tokens per step, step costs, speed-ups and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.speculative import (
    acceptance_for,
    acceptance_rate,
    acceptance_from_tokens_per_step,
    best_draft_tokens,
    speculative_decode,
    tokens_per_step,
)

CATALOG = load_builtin()


def memory_then_compute_bound(floor_s: float, per_token_s: float):
    """A pass costs a fixed weight-reading time until the tokens' compute exceeds it (a roofline)."""
    return lambda tokens: max(floor_s, tokens * per_token_s)


TARGET = memory_then_compute_bound(0.020, 0.004)  # 20 ms to read the weights, 4 ms of compute per token
DRAFT = memory_then_compute_bound(0.002, 0.0001)


def test_tokens_per_step_by_hand() -> None:
    # 1 + 0.7 + 0.49 + 0.343 + 0.2401 = (1 - 0.7^5) / 0.3
    assert tokens_per_step(0.7, 4) == pytest.approx(2.7731, abs=1e-12)
    assert tokens_per_step(0.85, 1) == pytest.approx(1.85, abs=1e-12)
    assert tokens_per_step(0.0, 4) == 1.0
    assert tokens_per_step(1.0, 4) == 5.0
    assert tokens_per_step(0.7, 0) == 1.0


def test_close_to_one_the_series_meets_the_limit_k_plus_1() -> None:
    assert tokens_per_step(1 - 1e-12, 7) == pytest.approx(8.0, abs=1e-9)
    assert tokens_per_step(1 - 1e-12, 7) <= tokens_per_step(1.0, 7)


def test_one_sequence_drafting_four_tokens_by_hand() -> None:
    result = speculative_decode(0.7, 4, DRAFT, TARGET)
    # 4 draft passes x 2 ms + one target pass over 5 tokens (max(20 ms, 5 x 4 ms) = 20 ms) = 28 ms
    assert result.draft_s == pytest.approx(0.008)
    assert result.verify_s == pytest.approx(0.020)
    assert result.step_s == pytest.approx(0.028)
    assert result.tokens_per_s == pytest.approx(2.7731 / 0.028)  # 99.04 tok/s
    assert result.baseline_tokens_per_s == pytest.approx(50.0)
    assert result.speedup == pytest.approx(2.7731 / 0.028 / 50.0)  # 1.98x
    assert result.time_per_output_token_s * 1000 == pytest.approx(28 / 2.7731)  # TPOT 20 -> 10.10 ms


def test_a_large_batch_turns_verification_compute_bound_and_drafting_into_a_loss() -> None:
    result = speculative_decode(0.7, 4, DRAFT, TARGET, batch=16)
    # verification: 80 tokens x 4 ms = 320 ms; drafts 4 x max(2 ms, 16 x 0.1 ms) = 8 ms
    assert result.step_s == pytest.approx(0.328)
    assert result.tokens_per_s == pytest.approx(16 * 2.7731 / 0.328)  # 135.3 tok/s
    assert result.baseline_tokens_per_s == pytest.approx(16 / 0.064)  # 250 tok/s
    assert result.speedup == pytest.approx(16 * 2.7731 / 0.328 / 250)  # 0.54x
    assert result.speedup < 1 < speculative_decode(0.7, 4, DRAFT, TARGET, batch=1).speedup


def test_no_drafting_is_plain_decoding() -> None:
    result = speculative_decode(0.9, 0, DRAFT, TARGET)
    assert (result.tokens_per_step, result.draft_s, result.speedup) == (1.0, 0.0, 1.0)


def test_best_draft_length_by_hand() -> None:
    # One sequence: verification costs 20 ms up to 5 tokens, 24 ms for 6.
    # k=3: 2.533 tokens / (6 + 20 ms) = 97.4 tok/s; k=4: 2.7731 / 28 ms = 99.0; k=5: 2.9412 / 34 ms = 86.5
    best = best_draft_tokens(0.7, DRAFT, TARGET)
    assert best.draft_tokens == 4
    assert best_draft_tokens(0.0, DRAFT, TARGET).draft_tokens == 0  # nothing accepted: never draft


def test_acceptance_from_a_published_mean_length() -> None:
    assert acceptance_from_tokens_per_step(2.7731, 4) == pytest.approx(0.7, abs=1e-9)
    assert acceptance_from_tokens_per_step(1.85, 1) == pytest.approx(0.85, abs=1e-9)
    assert acceptance_from_tokens_per_step(5, 4) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("bad", [1.2, -0.1, math.nan, math.inf, "0.5", True, None])
def test_bad_acceptance_is_refused_with_a_clear_message(bad) -> None:
    with pytest.raises(ValueError, match="acceptance"):
        tokens_per_step(bad, 4)


@pytest.mark.parametrize("bad", [-1, 65, 2.5, True])
def test_bad_draft_length_is_refused(bad) -> None:
    with pytest.raises(ValueError, match="draft tokens"):
        tokens_per_step(0.7, bad)


@pytest.mark.parametrize("bad_cost", [0.0, -1.0, math.nan, math.inf])
def test_a_cost_callable_returning_nonsense_is_refused(bad_cost: float) -> None:
    with pytest.raises(ValueError, match="positive time"):
        speculative_decode(0.7, 4, DRAFT, lambda tokens: bad_cost)


def test_bad_batch_and_unreachable_mean_length_are_refused() -> None:
    with pytest.raises(ValueError, match="batch"):
        speculative_decode(0.7, 4, DRAFT, TARGET, batch=0)
    with pytest.raises(ValueError, match="tokens per step"):
        acceptance_from_tokens_per_step(6, 4)


@given(
    st.floats(0, 1),
    st.floats(0, 1),
    st.integers(0, 64),
)
def test_a_larger_acceptance_never_lowers_tokens_per_step(a: float, b: float, k: int) -> None:
    low, high = sorted((a, b))
    assert tokens_per_step(low, k) <= tokens_per_step(high, k)


@given(st.floats(0, 1), st.integers(0, 63))
def test_a_longer_draft_never_lowers_tokens_per_step(a: float, k: int) -> None:
    assert tokens_per_step(a, k) <= tokens_per_step(a, k + 1) <= k + 2


@given(st.floats(0, 1), st.floats(0, 1), st.integers(0, 16), st.integers(1, 64))
def test_a_larger_acceptance_never_slows_decode(a: float, b: float, k: int, batch: int) -> None:
    low, high = sorted((a, b))
    slow = speculative_decode(low, k, DRAFT, TARGET, batch)
    fast = speculative_decode(high, k, DRAFT, TARGET, batch)
    assert slow.tokens_per_s <= fast.tokens_per_s
    assert slow.time_per_output_token_s >= fast.time_per_output_token_s


def test_acceptance_table_lookup_falls_back_to_the_stated_default() -> None:
    mtp = acceptance_for(CATALOG, "mtp", "deepseek-v3")
    assert (mtp.acceptance, mtp.draft_tokens) == (0.85, 1)
    assert "2412.19437" in mtp.source
    default = acceptance_for(CATALOG, "draft_model", "llama-3.1-70b", "llama-3.2-1b")
    assert (default.id, default.acceptance) == ("default", 0.7)
    assert acceptance_for(CATALOG, "eagle", "llama-3.3-70b").id == "default"
    assert acceptance_for(CATALOG, "mtp", "qwen3-8b").id == "default"


def test_a_catalog_without_a_default_rate_says_so() -> None:
    bare = CATALOG.model_copy(update={"acceptance": {}})
    with pytest.raises(ValueError, match="no default acceptance"):
        acceptance_for(bare, "eagle", "llama-3.1-8b")


def test_an_acceptance_row_naming_an_unknown_model_is_reported(tmp_path) -> None:
    from llmcalc_tui.catalog.loader import load_dirs
    from llmcalc_tui.resources import catalogs_dir

    (tmp_path / "spec.toml").write_text(
        '[[acceptance]]\nid = "mine"\nname = "x"\nmethod = "draft_model"\ntarget = "llama-3.1-70b"\n'
        'draft = "no-such-model"\nacceptance = 0.6\nsource = "my bench"\nas_of = 2026-01-01\n',
        encoding="utf-8",
    )
    result = load_dirs([catalogs_dir(), tmp_path])
    assert [str(p) for p in result.problems] == ["acceptance [acceptance mine: draft]: unknown model 'no-such-model'"]
    assert acceptance_for(result.catalog, "draft_model", "llama-3.1-70b", "no-such-model").acceptance == 0.6


def test_a_published_mean_length_becomes_a_per_token_rate() -> None:
    eagle = acceptance_for(CATALOG, "eagle", "llama-3.1-8b")
    assert (eagle.tokens_per_step, eagle.draft_tokens) == (3.53, 7)
    rate = acceptance_rate(eagle)
    assert tokens_per_step(rate, 7) == pytest.approx(3.53, abs=1e-9)
    assert rate == pytest.approx(0.7430, abs=1e-4)
    assert acceptance_rate(acceptance_for(CATALOG, "mtp", "deepseek-v3")) == 0.85


@pytest.mark.parametrize(
    ("fields", "message", "line"),
    [
        # The loader points at the line of the field a cross-field check names.
        ("acceptance = 0.6\ntokens_per_step = 2.0\ndraft_tokens = 4", "exactly one", 5),
        ("", "exactly one", 1),
        ("tokens_per_step = 2.0", "needs the draft_tokens", 5),
        ("tokens_per_step = 6.0\ndraft_tokens = 4", "cannot exceed", 5),
        ("acceptance = 1.5", "less than or equal to 1", 5),
    ],
)
def test_malformed_acceptance_rows_are_reported(tmp_path, fields: str, message: str, line: int) -> None:
    from llmcalc_tui.catalog.loader import load_dirs
    from llmcalc_tui.resources import catalogs_dir

    (tmp_path / "spec.toml").write_text(
        f'[[acceptance]]\nid = "mine"\nname = "x"\nmethod = "eagle"\n{fields}\nsource = "my bench"\n'
        "as_of = 2026-01-01\n",
        encoding="utf-8",
    )
    problems = [str(p) for p in load_dirs([catalogs_dir(), tmp_path]).problems]
    assert len(problems) == 1 and message in problems[0] and f"spec.toml:{line} " in problems[0]
