"""Speculative decoding: tokens gained per verification step, what a step costs, and the speed-up.

A draft (a small model, EAGLE heads or the model's own multi-token-prediction heads) proposes k
tokens one pass at a time; the target then checks all k + 1 positions in one pass. With a per-token
acceptance rate a, draft token i survives with probability a^i and the step always yields at least
the target's own token, so a step yields 1 + a + ... + a^k = (1 - a^(k+1)) / (1 - a) tokens (k + 1
when a = 1). The costs come in as callables so that the timing stage can plug in its own model of a
forward pass; nothing here knows about hardware.

Because a verification pass carries k + 1 tokens per sequence, the gain shrinks as the batch grows:
once a pass is compute-bound, k + 1 tokens cost about k + 1 times one token, and drafting pays back
little or nothing. The cost callables take the number of tokens in the pass, so they show this.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from llmcalc_tui.catalog.schema import AcceptanceSpec, Catalog

MAX_DRAFT_TOKENS = 64
"""Longest draft accepted; engines cap drafts far below this (vLLM's num_speculative_tokens is a few)."""

PassCost = Callable[[int], float]
"""Seconds of one forward pass over the given number of tokens (all sequences of the batch together)."""


def _check_acceptance(acceptance: float) -> float:
    if isinstance(acceptance, bool) or not isinstance(acceptance, (int, float)):
        raise ValueError(f"acceptance must be a number from 0 to 1, not {acceptance!r}")
    if not math.isfinite(acceptance) or not 0 <= acceptance <= 1:
        raise ValueError(f"acceptance must be from 0 to 1, not {acceptance!r}")
    return float(acceptance)


def _check_draft_tokens(draft_tokens: int) -> int:
    if isinstance(draft_tokens, bool) or not isinstance(draft_tokens, int):
        raise ValueError(f"draft tokens must be a whole number, not {draft_tokens!r}")
    if not 0 <= draft_tokens <= MAX_DRAFT_TOKENS:
        raise ValueError(f"draft tokens must be from 0 to {MAX_DRAFT_TOKENS}, not {draft_tokens}")
    return draft_tokens


def tokens_per_step(acceptance: float, draft_tokens: int) -> float:
    """Expected tokens one verification step yields: (1 - a^(k+1)) / (1 - a), k + 1 at a = 1."""
    a = _check_acceptance(acceptance)
    k = _check_draft_tokens(draft_tokens)
    if a == 1.0:
        return float(k + 1)
    # The closed form loses precision as a -> 1; the series it sums is exact and monotone in a.
    return math.fsum(a**i for i in range(k + 1))


def acceptance_from_tokens_per_step(tokens: float, draft_tokens: int) -> float:
    """The per-token acceptance a that yields a published mean accepted length at draft length k."""
    k = _check_draft_tokens(draft_tokens)
    number = isinstance(tokens, (int, float)) and not isinstance(tokens, bool)
    if not (number and math.isfinite(tokens) and 1 <= tokens <= k + 1):
        raise ValueError(f"tokens per step must be from 1 to {k + 1} at {k} draft tokens, not {tokens!r}")
    low, high = 0.0, 1.0
    for _ in range(60):  # bisection: tokens_per_step rises monotonically with a
        middle = (low + high) / 2
        if tokens_per_step(middle, k) < tokens:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _cost(pass_cost: PassCost, tokens: int, what: str) -> float:
    seconds = pass_cost(tokens)
    if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"{what} pass over {tokens} tokens must take a positive time, not {seconds!r}")
    return float(seconds)


@dataclass(frozen=True, slots=True)
class SpeculativeResult:
    """One speculative configuration against plain decoding of the same batch."""

    acceptance: float
    draft_tokens: int
    batch: int
    tokens_per_step: float
    """Expected tokens per sequence per verification step."""
    draft_s: float
    """Seconds of the k draft passes of one step."""
    verify_s: float
    """Seconds of the target pass over k + 1 tokens per sequence."""
    baseline_step_s: float
    """Seconds of one plain decode step (the target over one token per sequence)."""

    @property
    def step_s(self) -> float:
        return self.draft_s + self.verify_s

    @property
    def tokens_per_s(self) -> float:
        """Output tokens per second, all sequences of the batch together."""
        return self.batch * self.tokens_per_step / self.step_s

    @property
    def baseline_tokens_per_s(self) -> float:
        return self.batch / self.baseline_step_s

    @property
    def time_per_output_token_s(self) -> float:
        """Seconds between two output tokens of one sequence (TPOT)."""
        return self.step_s / self.tokens_per_step

    @property
    def speedup(self) -> float:
        """Decode speed with drafting over decode speed without (below 1: drafting costs more than it gains)."""
        return self.tokens_per_s / self.baseline_tokens_per_s


def speculative_decode(
    acceptance: float,
    draft_tokens: int,
    draft_pass_s: PassCost,
    target_pass_s: PassCost,
    batch: int = 1,
) -> SpeculativeResult:
    """Tokens per step, step time and speed-up of drafting k tokens for a batch of sequences.

    A step runs k draft passes over one token per sequence, then one target pass over k + 1 tokens
    per sequence; plain decoding runs the target over one token per sequence.
    """
    a = _check_acceptance(acceptance)
    k = _check_draft_tokens(draft_tokens)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a whole number of at least 1, not {batch!r}")
    draft_s = k * _cost(draft_pass_s, batch, "a draft") if k else 0.0
    return SpeculativeResult(
        acceptance=a,
        draft_tokens=k,
        batch=batch,
        tokens_per_step=tokens_per_step(a, k),
        draft_s=draft_s,
        verify_s=_cost(target_pass_s, batch * (k + 1), "the verification"),
        baseline_step_s=_cost(target_pass_s, batch, "a target"),
    )


def best_draft_tokens(
    acceptance: float,
    draft_pass_s: PassCost,
    target_pass_s: PassCost,
    batch: int = 1,
    max_draft_tokens: int = 16,
) -> SpeculativeResult:
    """The draft length from 0 to max_draft_tokens with the highest decode speed (ties: the shorter)."""
    _check_draft_tokens(max_draft_tokens)
    results = [
        speculative_decode(acceptance, k, draft_pass_s, target_pass_s, batch)
        for k in range(max_draft_tokens + 1)
    ]
    return max(results, key=lambda r: (r.tokens_per_s, -r.draft_tokens))


def acceptance_rate(spec: AcceptanceSpec) -> float:
    """The per-token acceptance of a catalog row, derived from its mean accepted length where that is published."""
    if spec.acceptance is not None:
        return spec.acceptance
    assert spec.tokens_per_step is not None and spec.draft_tokens is not None  # the schema guarantees it
    return acceptance_from_tokens_per_step(spec.tokens_per_step, spec.draft_tokens)


def acceptance_for(catalog: Catalog, method: str, target: str = "", draft: str = "") -> AcceptanceSpec:
    """The catalog's acceptance rate for a method and (target, draft) pair, else the stated default.

    Lookup order: method + target + draft, method + target, method for any target, "default".
    """
    rows = list(catalog.acceptance.values())
    candidates = (
        [r for r in rows if r.method == method and r.target == target and r.draft == draft],
        [r for r in rows if r.method == method and r.target == target and not r.draft],
        [r for r in rows if r.method == method and not r.target and not r.draft],
        [r for r in rows if r.method == "default"],
    )
    for found in candidates:
        if found:
            return found[0]
    raise ValueError("the catalog has no default acceptance rate (an [[acceptance]] row with method = \"default\")")
