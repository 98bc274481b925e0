"""Prefix caching: how much prefill a prompt's cached prefix saves, and the KV blocks the cache holds.

A prompt whose first tokens are already in the KV cache (a shared system prompt, earlier turns of a
chat) skips their prefill. Two rules bound the saving, both from vLLM's kv_cache_manager.py: only
whole KV blocks are shared (so the hit is rounded down to the block size), and the last prompt token
is always recomputed, since its logits give the first output token ("When all tokens hit the cache,
we must recompute the last token to obtain logits"). Engines that cache per token (llama.cpp's
prompt cache) use a block of 1 token.

The recomputed tokens still attend to the whole prompt, cached part included, so attention work
falls less than the token count does; causal_attention_pairs() counts it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def _whole(value: int, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be a whole number of at least {minimum}, not {value!r}")
    return value


def parse_cached_prefix(text: str) -> float | int:
    """Read --cached-prefix: a share of the prompt ("0.4", "40%") or a token count ("1200").

    A value with a decimal point or a percent sign is a share; a plain whole number is a token count.
    """
    raw = text.strip()
    try:
        if raw.endswith("%"):
            share = float(raw[:-1]) / 100
        elif "." in raw or "e" in raw.lower():
            share = float(raw)
        else:
            return _whole(int(raw), "a cached token count")
    except ValueError:
        raise ValueError(
            f"cached prefix must be a share from 0 to 1 (0.4 or 40%) or a token count (1200), not {text!r}"
        ) from None
    if not (math.isfinite(share) and 0 <= share <= 1):
        raise ValueError(f"a cached share must be from 0 to 1 (0% to 100%), not {text!r}")
    return share


@dataclass(frozen=True, slots=True)
class PrefixCacheSplit:
    """How one prompt divides between tokens read from the cache and tokens prefilled."""

    input_tokens: int
    cached_tokens: int
    """Prompt tokens whose KV comes from the cache (whole blocks, never the last token)."""
    block_tokens: int

    @property
    def computed_tokens(self) -> int:
        """Prompt tokens the prefill still runs."""
        return self.input_tokens - self.cached_tokens

    @property
    def saved_share(self) -> float:
        """Share of the prompt's tokens the prefill skips."""
        return self.cached_tokens / self.input_tokens if self.input_tokens else 0.0

    @property
    def attention_pairs(self) -> int:
        """Causal (query, key) pairs the prefill still computes."""
        return causal_attention_pairs(self.cached_tokens, self.input_tokens)

    @property
    def cached_blocks(self) -> int:
        """KV blocks of the prompt that the cache holds and requests with this prefix share."""
        return self.cached_tokens // self.block_tokens

    @property
    def prompt_blocks(self) -> int:
        """KV blocks the whole prompt occupies."""
        return kv_blocks(self.input_tokens, self.block_tokens)


def cached_prefix_split(input_tokens: int, cached_prefix: float | int, block_tokens: int = 1) -> PrefixCacheSplit:
    """Split a prompt by a cached share (a float from 0 to 1) or a cached token count (an int <= input)."""
    n = _whole(input_tokens, "input tokens")
    block = _whole(block_tokens, "block size", minimum=1)
    if isinstance(cached_prefix, bool):
        raise ValueError(f"cached prefix must be a share or a token count, not {cached_prefix!r}")
    if isinstance(cached_prefix, int):
        if not 0 <= cached_prefix <= n:
            raise ValueError(f"a cached prefix of {cached_prefix} tokens does not fit a {n}-token prompt")
        requested = cached_prefix
    elif isinstance(cached_prefix, float):
        if not (math.isfinite(cached_prefix) and 0 <= cached_prefix <= 1):
            raise ValueError(f"a cached share must be from 0 to 1, not {cached_prefix!r}")
        requested = math.floor(cached_prefix * n)
    else:
        raise ValueError(f"cached prefix must be a share or a token count, not {cached_prefix!r}")
    reusable = min(requested, max(n - 1, 0))  # the last prompt token always runs
    return PrefixCacheSplit(input_tokens=n, cached_tokens=reusable // block * block, block_tokens=block)


def causal_attention_pairs(start: int, end: int) -> int:
    """(query, key) pairs of causal attention for the queries at positions start..end-1.

    The query at position p attends to p + 1 keys, so the pairs are (end(end+1) - start(start+1)) / 2.
    """
    start = _whole(start, "start position")
    end = _whole(end, "end position")
    if start > end:
        raise ValueError(f"start position {start} is past end position {end}")
    return (end * (end + 1) - start * (start + 1)) // 2


def kv_blocks(tokens: int, block_tokens: int) -> int:
    """KV blocks that hold a number of tokens (the last block partly filled)."""
    tokens = _whole(tokens, "tokens")
    block = _whole(block_tokens, "block size", minimum=1)
    return -(-tokens // block)


def pool_blocks_with_shared_prefix(requests: int, split: PrefixCacheSplit, output_tokens: int = 0) -> int:
    """KV blocks a pool needs for concurrent requests that share one cached prefix.

    The prefix blocks are held once; each request adds the blocks of its own suffix and output.
    """
    requests = _whole(requests, "requests")
    output_tokens = _whole(output_tokens, "output tokens")
    shared = split.cached_blocks if requests else 0
    own_tokens = split.input_tokens + output_tokens - split.cached_tokens
    return shared + requests * kv_blocks(own_tokens, split.block_tokens)
