"""Prefix caching: hand-computed prefill savings and KV blocks, input checks, monotonicity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcalc_tui.core.prefix_cache import (
    cached_prefix_split,
    causal_attention_pairs,
    kv_blocks,
    parse_cached_prefix,
    pool_blocks_with_shared_prefix,
)


def test_a_share_of_the_prompt_by_hand() -> None:
    split = cached_prefix_split(1000, 0.4)
    assert (split.cached_tokens, split.computed_tokens, split.saved_share) == (400, 600, 0.4)


def test_a_token_count_by_hand() -> None:
    split = cached_prefix_split(1000, 250)
    assert (split.cached_tokens, split.computed_tokens) == (250, 750)


def test_only_whole_blocks_are_reused() -> None:
    # 0.41 x 1000 = 410 tokens; 410 // 16 = 25 whole blocks = 400 tokens
    split = cached_prefix_split(1000, 0.41, block_tokens=16)
    assert (split.cached_tokens, split.computed_tokens, split.cached_blocks) == (400, 600, 25)
    assert split.prompt_blocks == 63  # 1000 / 16 = 62.5 -> 63


def test_a_fully_cached_prompt_still_runs_its_last_token() -> None:
    assert cached_prefix_split(1000, 1.0).computed_tokens == 1
    assert cached_prefix_split(1000, 1000).computed_tokens == 1
    # 999 // 16 = 62 blocks = 992 tokens: the last, partial block is recomputed
    assert cached_prefix_split(1000, 1.0, block_tokens=16).computed_tokens == 8
    assert cached_prefix_split(0, 0.5).computed_tokens == 0


def test_attention_work_falls_less_than_the_token_count() -> None:
    assert causal_attention_pairs(0, 4) == 10  # 1 + 2 + 3 + 4
    assert causal_attention_pairs(2, 4) == 7  # 3 + 4
    split = cached_prefix_split(1000, 0.4)
    assert split.attention_pairs == (1000 * 1001 - 400 * 401) // 2 == 420_300
    assert 1 - split.attention_pairs / causal_attention_pairs(0, 1000) == pytest.approx(0.16024, abs=1e-5)


def test_kv_blocks_and_a_pool_shared_by_eight_requests_by_hand() -> None:
    assert kv_blocks(1000, 16) == 63
    assert kv_blocks(0, 16) == 0
    split = cached_prefix_split(1000, 0.41, block_tokens=16)  # 400 cached tokens = 25 shared blocks
    # each request keeps 1000 + 200 - 400 = 800 tokens of its own = 50 blocks: 25 + 8 x 50
    assert pool_blocks_with_shared_prefix(8, split, output_tokens=200) == 425
    assert 8 * kv_blocks(1200, 16) == 600  # without sharing
    assert pool_blocks_with_shared_prefix(0, split, output_tokens=200) == 0


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.4", 0.4), ("40%", 0.4), (" 1.0 ", 1.0), ("0", 0), ("1200", 1200), ("1", 1), ("100%", 1.0)],
)
def test_parse_cached_prefix(text: str, value: float | int) -> None:
    parsed = parse_cached_prefix(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("text", ["1.5", "-0.1", "150%", "-3", "half", "", "nan", "inf", "1e3"])
def test_parse_cached_prefix_refuses_bad_text_with_one_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match="cached"):
        parse_cached_prefix(text)


@pytest.mark.parametrize("bad", [1.5, -0.1, math.nan, 1001, -1, True, "0.5", None])
def test_a_cached_prefix_outside_the_prompt_is_refused(bad) -> None:
    with pytest.raises(ValueError, match="cached"):
        cached_prefix_split(1000, bad)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="block size"):
        cached_prefix_split(1000, 0.5, block_tokens=0)
    with pytest.raises(ValueError, match="input tokens"):
        cached_prefix_split(-5, 0.5)
    with pytest.raises(ValueError, match="past end"):
        causal_attention_pairs(5, 4)


@given(st.integers(0, 100_000), st.floats(0, 1), st.floats(0, 1), st.integers(1, 256))
def test_a_larger_cached_share_never_raises_prefill_work(n: int, a: float, b: float, block: int) -> None:
    low, high = sorted((a, b))
    less, more = cached_prefix_split(n, low, block), cached_prefix_split(n, high, block)
    assert more.computed_tokens <= less.computed_tokens
    assert more.attention_pairs <= less.attention_pairs
    assert 1 <= more.computed_tokens or n == 0


@given(st.integers(1, 100_000), st.data(), st.integers(1, 256), st.integers(0, 64))
def test_more_cached_tokens_never_raise_prefill_work_or_pool_blocks(n: int, data, block: int, requests: int) -> None:
    a = data.draw(st.integers(0, n))
    b = data.draw(st.integers(0, n))
    low, high = sorted((a, b))
    less, more = cached_prefix_split(n, low, block), cached_prefix_split(n, high, block)
    assert more.computed_tokens <= less.computed_tokens
    assert pool_blocks_with_shared_prefix(requests, more) <= pool_blocks_with_shared_prefix(requests, less)
