"""Serving under load: a discrete-event simulation of continuous batching, driven by the core's step cost.

The scheduler is shaped like vLLM's (and SGLang's, TensorRT-LLM's, llama-server's): every step runs one
token of each decoding sequence plus chunks of pending prompts, up to a token budget per step and a
maximum number of running sequences; a KV pool of fixed capacity holds every running sequence's
tokens, and when a growing decode would overflow it the most recently admitted sequence is preempted
and later recomputed from its prompt and the tokens it had produced.

Time per step comes from a `StepCost`; `step_cost_for` builds one from the timing stage's step model
(core/timing.py: `StepModel.decode_seconds`, `StepModel.prefill_pass_seconds`), the same an estimate uses.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.scenario import Scenario, ScenarioError


# ----------------------------------------------------------------------------- step cost


class StepCost(Protocol):
    """Seconds of one forward step of a continuous-batching engine."""

    def step_seconds(self, decode_seqs: int, decode_context: float, chunks: Sequence[tuple[int, int]]) -> float:
        """A step running `decode_seqs` decodes at a mean context of `decode_context` tokens plus the
        prompt chunks `(start, length)`: `length` prompt tokens appended after `start` cached ones."""
        ...

    def decode_seconds(self, decode_seqs: int, decode_context: float) -> float:
        """A step with decodes only (the simulation's fast path)."""
        ...


class CoreStepCost:
    """Step cost from today's closed-form core: a decode step and prefill passes, memoised.

    A mixed step costs the decode step plus each chunk's marginal prefill cost: what one more prompt
    adds to a prefill batch that already reads the weights, differenced along the prompt so that a
    later chunk pays for attending to the earlier ones. A step of prompts alone costs the prefill of
    their tokens as one pass, with each prompt's own attention. Prefill and decode work add, with no
    overlap between them, as the closed-form estimate assumes for its separate phases.
    """

    MARGINAL_BATCH = 16
    """Prompts in the batch whose per-prompt increment is the marginal cost (memory time hidden)."""
    CONTEXT_QUANTUM = 8
    """Decode steps are memoised on the mean context rounded to this many tokens."""

    def __init__(self, decode: Callable[[int, float], float], prefill: Callable[[int, int], float]):
        self._decode = decode
        self._prefill = prefill
        self._decode_memo: dict[tuple[int, int], float] = {}
        self._prefill_memo: dict[int, float] = {}
        self._marginal_memo: dict[int, float] = {0: 0.0}

    def decode_seconds(self, decode_seqs: int, decode_context: float) -> float:
        key = (decode_seqs, int(decode_context / self.CONTEXT_QUANTUM + 0.5))
        value = self._decode_memo.get(key)
        if value is None:
            value = self._decode(decode_seqs, max(1.0, key[1] * self.CONTEXT_QUANTUM))
            self._decode_memo[key] = value
        return value

    def prefill_alone(self, tokens: int) -> float:
        """One prompt of `tokens` tokens prefilled on an idle engine."""
        value = self._prefill_memo.get(tokens)
        if value is None:
            value = self._prefill(1, tokens)
            self._prefill_memo[tokens] = value
        return value

    def marginal(self, tokens: int) -> float:
        """What one more prompt of `tokens` tokens adds to a busy prefill step."""
        value = self._marginal_memo.get(tokens)
        if value is None:
            k = self.MARGINAL_BATCH
            value = (self._prefill(k, tokens) - self._prefill(1, tokens)) / (k - 1)
            self._marginal_memo[tokens] = value
        return value

    def step_seconds(self, decode_seqs: int, decode_context: float, chunks: Sequence[tuple[int, int]]) -> float:
        marginal = self.marginal
        work = 0.0
        for start, length in chunks:
            work += marginal(start + length) - marginal(start)
        if decode_seqs:
            return self.decode_seconds(decode_seqs, decode_context) + work
        total = 0
        for _start, length in chunks:
            total += length
        # As one pass of all the step's tokens, with each chunk's own attention instead of the pass's.
        return self.prefill_alone(total) + work - marginal(total)


@dataclass(frozen=True, slots=True)
class ServingSetup:
    """What the simulation needs from a scenario: step cost, scheduler limits and KV capacity."""

    cost: StepCost
    max_seqs: int
    """Most sequences running at once (vLLM --max-num-seqs)."""
    max_step_tokens: int
    """Token budget of one step, decodes and prompt chunks together (vLLM --max-num-batched-tokens)."""
    kv_capacity_tokens: int
    """Tokens the KV pool holds, all running sequences together."""
    single_ttft_s: float
    single_tpot_s: float
    offline_output_tok_s: float | None
    """The closed-form estimate's output throughput at the largest batch (batch = max)."""
    max_batch_fits: int
    """Largest batch whose KV cache at full context fits the pool (the estimate's max_batch)."""
    kv_pool_fraction: float
    """Share of each GPU the engine budgets (its memory utilisation setting)."""


def step_cost_for(scenario: Scenario, catalog: Catalog) -> CoreStepCost:
    """The step cost of a self-hosted scenario: the timing stage's own step model (core/timing.py)."""
    from llmcalc_tui.core.perf import perf_profile
    from llmcalc_tui.core.scenario import resolve
    from llmcalc_tui.core.timing import step_model

    r = resolve(scenario, catalog)
    if r.model is None or r.deployment == "api":
        raise ScenarioError("model", f"{scenario.model} is an API model: there is no engine to simulate")
    model, engine, hw, wfmt, kvfmt = r.model, r.engine, r.hardware, r.weights, r.kv
    assert engine and hw and wfmt and kvfmt
    steps = step_model(model, engine, wfmt, kvfmt, perf_profile(engine, hw, wfmt, model, backend=scenario.backend), r.tp)
    # Levers hook (issue 14): a cached prefix shortens the prefill; a draft model, MTP or EAGLE heads change
    # the decode step.
    from llmcalc_tui.core.levers import lever_step_cost

    decode, prefill = lever_step_cost(scenario, catalog, steps.decode_seconds, steps.prefill_pass_seconds)
    return CoreStepCost(decode, prefill)


def serving_setup_for(scenario: Scenario, catalog: Catalog, cost: StepCost | None = None) -> ServingSetup:
    """Scheduler limits from the engine's defaults, the KV pool from the estimate's memory."""
    from llmcalc_tui.core import architecture as arch
    from llmcalc_tui.core.estimate import estimate, kv_bytes_per_value
    from llmcalc_tui.core.scenario import resolve

    r = resolve(scenario, catalog)
    if r.model is None or r.deployment == "api":
        raise ScenarioError("model", f"{scenario.model} is an API model: there is no engine to simulate")
    engine, kvfmt, model = r.engine, r.kv, r.model
    assert engine and kvfmt
    cost = cost or step_cost_for(scenario, catalog)
    single = estimate(scenario.model_copy(update={"batch": 1}), catalog, explain=False)
    at_max = estimate(scenario.model_copy(update={"batch": "max"}), catalog, explain=False)
    assert at_max.memory is not None
    context = scenario.input_tokens + scenario.output_tokens
    shards = r.tp * r.pp
    kv_seq_gpu = arch.kv_cache_bytes(model, context, kv_bytes_per_value(kvfmt), engine.kv_frees_windowed_layers, r.tp) / shards
    pool = max(0.0, at_max.memory.kv_pool_per_gpu)
    capacity = int(pool / (kv_seq_gpu / context)) if kv_seq_gpu > 0 else 0
    step_tokens = engine.activation_tokens
    # The engine's default cap, lowered to the batch whose full-context KV fits the pool: the launch
    # command sets the same limit, so a server started with it never preempts for want of KV cache.
    max_seqs = min(engine.max_concurrent_sequences, max(1, at_max.max_batch))
    if isinstance(scenario.batch, int) and scenario.batch > 1:
        max_seqs = scenario.batch
    max_seqs = max(1, min(max_seqs, step_tokens))
    return ServingSetup(
        cost=cost,
        max_seqs=max_seqs,
        max_step_tokens=step_tokens,
        kv_capacity_tokens=capacity,
        single_ttft_s=(single.timing.ttft_ms or 0.0) / 1e3,
        single_tpot_s=(single.timing.tpot_ms or 0.0) / 1e3,
        offline_output_tok_s=at_max.timing.output_tok_s_total / max(1, r.replicas) if at_max.fits else None,
        max_batch_fits=at_max.max_batch,
        kv_pool_fraction=engine.kv_memory_fraction,
    )


# ----------------------------------------------------------------------------- workload


@dataclass(frozen=True, slots=True)
class Lengths:
    """Token counts of prompts or outputs: fixed, log-normal with a mean and spread, or drawn from a list."""

    mean: float
    spread: float = 0.0
    """Standard deviation in tokens; 0 means every request has `mean` tokens."""
    values: tuple[int, ...] = ()
    """When given, lengths are drawn uniformly from these values instead."""

    @classmethod
    def fixed(cls, tokens: int) -> Lengths:
        return cls(float(tokens))

    @classmethod
    def from_values(cls, values: Sequence[int]) -> Lengths:
        if not values:
            raise ValueError("a list of lengths needs at least one value")
        if any(v < 1 for v in values):
            raise ValueError("lengths must be at least 1 token")
        return cls(sum(values) / len(values), 0.0, tuple(int(v) for v in values))

    def sampler(self, rng: random.Random) -> Callable[[], int]:
        if self.values:
            values = self.values
            return lambda: values[int(rng.random() * len(values))]
        if self.spread <= 0:
            n = max(1, round(self.mean))
            return lambda: n
        # Log-normal with this mean and standard deviation: skewed right and never negative, as real traffic.
        sigma2 = math.log(1.0 + (self.spread / self.mean) ** 2)
        mu = math.log(self.mean) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        return lambda: max(1, round(rng.lognormvariate(mu, sigma)))


def read_lengths(path: Path) -> tuple[Lengths, Lengths | None]:
    """A file of request lengths: one per line (prompt tokens) or two (prompt and output tokens).

    Blank lines and lines starting with # are skipped; a bad line raises ValueError naming it.
    """
    prompts: list[int] = []
    outputs: list[int] = []
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").split()
        if len(parts) not in (1, 2) or not all(p.isdigit() and p.isascii() and int(p) > 0 for p in parts):
            raise ValueError(f"{path}:{number}: expected one or two positive whole numbers, got {line[:40]!r}")
        prompts.append(int(parts[0]))
        if len(parts) == 2:
            outputs.append(int(parts[1]))
    if not prompts:
        raise ValueError(f"{path}: no lengths")
    if outputs and len(outputs) != len(prompts):
        raise ValueError(f"{path}: some lines have an output length and some do not")
    return Lengths.from_values(prompts), Lengths.from_values(outputs) if outputs else None


@dataclass(frozen=True, slots=True)
class Workload:
    prompt: Lengths
    output: Lengths
    requests: int = 2000
    rate_rps: float | None = None
    """Poisson arrivals at this rate; None with `concurrency` set runs a closed loop instead."""
    concurrency: int | None = None
    """Clients that each send their next request as soon as the last one finishes."""
    seed: int = 0
    warmup_share: float = 0.1
    """Share of the first requests left out of the statistics (the system starts empty)."""
    pairs: tuple[tuple[int, int], ...] = ()
    """Recorded (prompt, output) pairs: when given, each request is one of them, drawn uniformly."""


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Percentiles:
    p50: float
    p90: float
    p99: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Percentiles:
        if not values:
            return cls(math.nan, math.nan, math.nan, math.nan)
        ordered = sorted(values)
        return cls(
            percentile(ordered, 50), percentile(ordered, 90), percentile(ordered, 99), sum(ordered) / len(ordered)
        )

    def at(self, p: int) -> float:
        return {50: self.p50, 90: self.p90, 99: self.p99}[p]

    def to_json(self, scale: float = 1e3, digits: int = 3) -> dict[str, float | None]:
        def num(x: float) -> float | None:
            return round(x * scale, digits) if math.isfinite(x) else None

        return {"p50": num(self.p50), "p90": num(self.p90), "p99": num(self.p99), "mean": num(self.mean)}


def percentile(ordered: Sequence[float], p: float) -> float:
    """Linear interpolation between the closest ranks of a sorted list."""
    if len(ordered) == 1:
        return ordered[0]
    pos = p / 100 * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True, slots=True)
class SimResult:
    requests: int
    completed: int
    rejected: int
    """Requests whose prompt and output could never fit the KV pool."""
    preemptions: int
    ttft_s: Percentiles
    tpot_s: Percentiles
    e2e_s: Percentiles
    output_tok_s: float
    requests_per_s: float
    kv_occupancy_mean: float
    kv_occupancy_peak: float
    mean_running: float
    """Time-averaged number of running sequences."""
    duration_s: float

    def to_json(self) -> dict:
        return {
            "requests": self.requests,
            "completed": self.completed,
            "rejected": self.rejected,
            "preemptions": self.preemptions,
            "ttft_ms": self.ttft_s.to_json(),
            "tpot_ms": self.tpot_s.to_json(),
            "end_to_end_ms": self.e2e_s.to_json(),
            "output_tok_s": round(self.output_tok_s, 2),
            "requests_per_s": round(self.requests_per_s, 4),
            "kv_occupancy": {"mean": round(self.kv_occupancy_mean, 4), "peak": round(self.kv_occupancy_peak, 4)},
            "mean_running": round(self.mean_running, 2),
            "duration_s": round(self.duration_s, 3),
        }


# ----------------------------------------------------------------------------- the simulation


class _Request:
    __slots__ = (
        "arrival", "prompt", "output", "target", "prefilled", "generated", "ctx_base", "g_start",
        "first_token", "finish", "epoch", "running",
    )

    def __init__(self, arrival: float, prompt: int, output: int):
        self.arrival = arrival
        self.prompt = prompt
        self.output = output
        self.target = prompt
        """Tokens to prefill: the prompt, or after a preemption the prompt and the tokens produced so far."""
        self.prefilled = 0
        self.generated = 0
        self.ctx_base = 0
        self.g_start = 0
        self.first_token = -1.0
        self.finish = -1.0
        self.epoch = 0
        self.running = False


def simulate(setup: ServingSetup, workload: Workload) -> SimResult:
    """Run the workload through the engine-shaped scheduler; deterministic for a given seed."""
    if workload.requests < 1:
        raise ValueError("the workload needs at least one request")
    closed = workload.rate_rps is None
    if closed and not workload.concurrency:
        raise ValueError("give a request rate or a concurrency")
    if not closed and not (workload.rate_rps and workload.rate_rps > 0 and math.isfinite(workload.rate_rps)):
        raise ValueError("the request rate must be a positive number")

    # Lengths and gaps come from separate streams in a fixed order, so a higher rate replays the same
    # requests with the same arrivals compressed in time (more load, same traffic).
    length_rng = random.Random(workload.seed)
    gap_rng = random.Random(workload.seed + 0x9E3779B9)
    n = workload.requests
    if workload.pairs:
        pairs = workload.pairs
        sizes = [pairs[int(length_rng.random() * len(pairs))] for _ in range(n)]
    else:
        draw_prompt = workload.prompt.sampler(length_rng)
        draw_output = workload.output.sampler(length_rng)
        sizes = [(draw_prompt(), draw_output()) for _ in range(n)]
    reqs: list[_Request]
    if closed:
        clients = min(n, workload.concurrency or 1)
        reqs = [_Request(0.0, p, o) for p, o in sizes[:clients]]
        pending_sizes = deque(sizes[clients:])
    else:
        rate = workload.rate_rps or 1.0
        t = 0.0
        reqs = []
        for p, o in sizes:
            t += gap_rng.expovariate(1.0) / rate
            reqs.append(_Request(t, p, o))
        pending_sizes = deque()
    all_reqs = list(reqs)
    arrivals = deque(reqs)

    cost = setup.cost
    step_cost = cost.step_seconds
    decode_cost = cost.decode_seconds
    capacity = setup.kv_capacity_tokens
    max_seqs = max(1, min(setup.max_seqs, setup.max_step_tokens))
    budget_total = setup.max_step_tokens

    now = 0.0
    g = 0  # decode steps so far: every decoding sequence gains one token per step
    kv_used = 0
    waiting: deque[_Request] = deque()
    running: dict[int, _Request] = {}  # admission order: the last one is preempted first
    prefilling: list[_Request] = []
    decoding: dict[int, _Request] = {}
    ctx_sum_base = 0  # sum over decoding of (ctx_base - g_start): mean context = that / B + g
    finish_heap: list[tuple[int, int, int]] = []  # (g at which it ends, id, epoch)
    rejected = 0
    preemptions = 0
    occupancy_area = 0.0
    running_area = 0.0
    peak_used = 0
    done = 0

    def start_decode(req: _Request) -> None:
        nonlocal ctx_sum_base
        req.ctx_base = req.target
        req.g_start = g
        ctx_sum_base += req.target - g
        decoding[id(req)] = req
        heapq.heappush(finish_heap, (g + req.output - req.generated, id(req), req.epoch))

    def release(req: _Request) -> int:
        """Take a running request out of the engine; returns the KV tokens it held."""
        nonlocal ctx_sum_base
        del running[id(req)]
        req.running = False
        req.epoch += 1
        if id(req) in decoding:
            del decoding[id(req)]
            ctx_sum_base -= req.ctx_base - req.g_start
            return req.ctx_base + g - req.g_start
        prefilling.remove(req)
        return req.prefilled

    def preempt_latest() -> None:
        nonlocal kv_used, preemptions
        victim = next(reversed(running.values()))
        kv_used -= release(victim)
        # Recompute: the prompt and every token produced so far are prefilled again.
        victim.target = victim.prompt + victim.generated
        victim.prefilled = 0
        preemptions += 1
        waiting.appendleft(victim)

    def finish(req: _Request) -> None:
        nonlocal kv_used, done
        kv_used -= release(req)
        req.finish = now
        done += 1
        if closed and pending_sizes:
            p, o = pending_sizes.popleft()
            nxt = _Request(now, p, o)
            all_reqs.append(nxt)
            waiting.append(nxt)

    while True:
        while arrivals and arrivals[0].arrival <= now:
            waiting.append(arrivals.popleft())
        if not running:
            if not waiting:
                if not arrivals:
                    break
                now = arrivals[0].arrival
                continue
            # Nothing running: a request whose KV can never fit is turned away rather than waiting forever.
            head = waiting[0]
            if head.prompt + head.output > capacity:
                waiting.popleft()
                head.finish = now
                rejected += 1
                continue

        b = len(decoding)
        while b and kv_used + b > capacity:
            preempt_latest()
            b = len(decoding)
        free = capacity - kv_used - b
        admissible = (
            waiting and len(running) < max_seqs
            and free >= min(waiting[0].target, budget_total - b)
            and waiting[0].prompt + waiting[0].output <= capacity
        )

        if b and not prefilling and not admissible:
            # Fast path: only decodes until the next finish, arrival that could start, or full pool.
            steps = finish_heap[0][0] - g
            while decoding and (finish_heap[0][2] != running.get(finish_heap[0][1], _STALE).epoch):
                heapq.heappop(finish_heap)
                steps = finish_heap[0][0] - g
            steps = min(steps, (capacity - kv_used) // b)
            mean_ctx = ctx_sum_base / b + g
            if arrivals and not waiting and len(running) < max_seqs:
                one = decode_cost(b, mean_ctx)
                to_arrival = arrivals[0].arrival - now
                steps = min(steps, max(1, math.ceil(to_arrival / one)))
            steps = max(1, steps)
            dt = decode_cost(b, mean_ctx + (steps - 1) / 2) * steps
            occupancy_area += (kv_used + b * (steps + 1) / 2) * dt
            running_area += len(running) * dt
            now += dt
            g += steps
            kv_used += b * steps
        else:
            budget = budget_total - b
            chunks: list[tuple[int, int]] = []
            scheduled: list[tuple[_Request, int]] = []
            for req in prefilling:
                if budget <= 0 or free <= 0:
                    break
                chunk = min(req.target - req.prefilled, budget, free)
                chunks.append((req.prefilled, chunk))
                scheduled.append((req, chunk))
                budget -= chunk
                free -= chunk
            while waiting and budget > 0 and len(running) < max_seqs:
                req = waiting[0]
                if req.prompt + req.output > capacity:
                    waiting.popleft()
                    req.finish = now
                    rejected += 1
                    continue
                chunk = min(req.target, budget)
                if free < chunk:
                    break
                waiting.popleft()
                req.running = True
                running[id(req)] = req
                prefilling.append(req)
                chunks.append((0, chunk))
                scheduled.append((req, chunk))
                budget -= chunk
                free -= chunk
            if not b and not chunks:
                if prefilling:
                    # Half-prefilled prompts fill the pool and none can go on: free the latest one's blocks.
                    preempt_latest()
                    continue
                # Nothing running or waiting that could start: wait for the next arrival.
                if not arrivals:
                    break
                now = max(now, arrivals[0].arrival)
                continue
            mean_ctx = ctx_sum_base / b + g if b else 0.0
            dt = step_cost(b, mean_ctx, chunks)
            added = b + sum(c for _, c in chunks)
            occupancy_area += (kv_used + added) * dt
            running_area += len(running) * dt
            now += dt
            if b:
                g += 1
            kv_used += added
            for req, chunk in scheduled:
                req.prefilled += chunk
                if req.prefilled >= req.target:
                    req.generated += 1  # the prefill's last position yields the next token
                    if req.first_token < 0:
                        req.first_token = now
                    if req.generated >= req.output:
                        finish(req)  # release() takes it out of the prefilling list
                    else:
                        prefilling.remove(req)
                        start_decode(req)
        if kv_used > peak_used:
            peak_used = kv_used
        while finish_heap and finish_heap[0][0] <= g:
            end_g, rid, epoch = heapq.heappop(finish_heap)
            req = running.get(rid)
            if req is None or req.epoch != epoch:
                continue
            req.generated = req.output
            finish(req)

    return _summarise(all_reqs, workload, rejected, preemptions, occupancy_area, running_area, peak_used,
                      capacity, now)


class _Stale:
    epoch = -1


_STALE = _Stale()


def _summarise(
    reqs: list[_Request], workload: Workload, rejected: int, preemptions: int, occupancy_area: float,
    running_area: float, peak_used: int, capacity: int, end: float,
) -> SimResult:
    served = [r for r in reqs if r.first_token >= 0]
    skip = int(len(reqs) * workload.warmup_share)
    measured = [r for r in reqs[skip:] if r.first_token >= 0] or served
    ttft = [r.first_token - r.arrival for r in measured]
    e2e = [r.finish - r.arrival for r in measured]
    tpot = [(r.finish - r.first_token) / (r.output - 1) for r in measured if r.output > 1]
    # Throughput in the steady middle: between the 10th and 90th percentile completion times.
    finishes = sorted((r.finish, r.output) for r in served)
    lo, hi = int(len(finishes) * 0.1), int(len(finishes) * 0.9)
    if hi - lo >= 2 and finishes[hi - 1][0] > finishes[lo][0]:
        span = finishes[hi - 1][0] - finishes[lo][0]
        window = finishes[lo + 1:hi]
        requests_per_s = len(window) / span
        output_tok_s = sum(o for _, o in window) / span
    else:
        first = min((r.arrival for r in served), default=0.0)
        span = max(end - first, 1e-12)
        requests_per_s = len(served) / span
        output_tok_s = sum(r.output for r in served) / span
    return SimResult(
        requests=len(reqs),
        completed=len(served),
        rejected=rejected,
        preemptions=preemptions,
        ttft_s=Percentiles.of(ttft),
        tpot_s=Percentiles.of(tpot),
        e2e_s=Percentiles.of(e2e),
        output_tok_s=output_tok_s,
        requests_per_s=requests_per_s,
        kv_occupancy_mean=occupancy_area / end / capacity if end > 0 and capacity else 0.0,
        kv_occupancy_peak=peak_used / capacity if capacity else 0.0,
        mean_running=running_area / end if end > 0 else 0.0,
        duration_s=end,
    )


# ----------------------------------------------------------------------------- goodput


@dataclass(frozen=True, slots=True)
class Targets:
    ttft_s: float | None = None
    tpot_s: float | None = None
    percentile: int = 99

    def met_by(self, result: SimResult) -> bool:
        if result.rejected or result.completed < result.requests:
            return False
        if self.ttft_s is not None and not result.ttft_s.at(self.percentile) <= self.ttft_s:
            return False
        if self.tpot_s is not None and not result.tpot_s.at(self.percentile) <= self.tpot_s:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Goodput:
    rate_rps: float
    """Highest Poisson rate found to meet the targets (0 when even a lone request misses them)."""
    result: SimResult | None
    """The simulation at that rate."""
    saturation: SimResult
    """The simulation with every request arriving at once (the offline maximum)."""
    probes: list[tuple[float, bool]] = field(default_factory=list)


def goodput(setup: ServingSetup, workload: Workload, targets: Targets, steps: int = 8) -> Goodput:
    """Bisect on the Poisson rate for the highest one whose latencies meet the targets.

    The search runs between a thousandth of the saturation rate and the saturation rate itself, in
    log space: `steps` probes narrow it to a factor of 1000 ** (1 / 2 ** steps) (8 steps: 2.7 %).
    """
    burst = replace(workload, rate_rps=1e12, concurrency=None)
    saturation = simulate(setup, burst)
    probes: list[tuple[float, bool]] = []

    def at(rate: float) -> SimResult:
        return simulate(setup, replace(workload, rate_rps=rate, concurrency=None))

    high = saturation.requests_per_s
    if not high > 0:
        return Goodput(0.0, None, saturation, probes)
    result = at(high)
    ok = targets.met_by(result)
    probes.append((high, ok))
    if ok:
        return Goodput(high, result, saturation, probes)
    low, best = 0.0, None
    # The lowest rate probed stands for a lone request: if that misses the targets nothing will meet them.
    floor = high / 1000
    result = at(floor)
    ok = targets.met_by(result)
    probes.append((floor, ok))
    if not ok:
        return Goodput(0.0, None, saturation, probes)
    low, best = floor, result
    for _ in range(steps):
        # Halving the ratio, not the difference: the answer may sit anywhere across three decades.
        mid = math.sqrt(low * high)
        result = at(mid)
        ok = targets.met_by(result)
        probes.append((mid, ok))
        if ok:
            low, best = mid, result
        else:
            high = mid
    return Goodput(low, best, saturation, probes)
