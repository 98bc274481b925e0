"""Apply the levers a user pulled (offload, speculative decoding, a cached prefix) to a plain estimate.

The plain estimate is the "before"; each lever changes the stage it belongs to (offload: where the
weights live and how fast each side runs; a draft: the decode step; a cached prefix: the prefill) and
leaves a line saying before -> after. Step costs come from core/lever_timing.py only.
"""

from __future__ import annotations

import dataclasses

from llmcalc_tui.catalog.schema import Catalog, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core import lever_timing, offload
from llmcalc_tui.core import speculative as spec
from llmcalc_tui.core.estimate import GIB, NO_TIMING, Estimate, Memory, Timing, max_context_for, setup_cost
from llmcalc_tui.core.fit import kv_bytes_per_value, plan
from llmcalc_tui.core.prefix_cache import cached_prefix_split, causal_attention_pairs
from llmcalc_tui.core.scenario import Resolved, ScenarioError, lookup_id
from llmcalc_tui.core.units import fmt_duration_ms, fmt_rate

DEFAULT_DRAFT_TOKENS = 4
"""Draft length when neither the user nor the acceptance row gives one: the issue's worked example (k = 4),
within the 3-5 that vLLM's and SGLang's speculative-decoding docs use in their examples."""
EAGLE_HEAD_BITS = 16
"""EAGLE heads ship as 16-bit checkpoints (one decoder layer plus a 2H -> H projection)."""


def apply_levers(r: Resolved, catalog: Catalog, est: Estimate, explain: bool = True) -> Estimate:
    s = r.scenario
    if not (s.offloads or s.speculates or s.cached_share > 0):
        return est
    try:
        if s.offloads:
            est = _offload(r, catalog, est, explain)
        if s.cached_share > 0:
            est = _prefix(r, est)
        if s.speculates:
            est = _speculate(r, catalog, est, explain)
    except offload.OffloadError as exc:
        raise ScenarioError(exc.field, str(exc)) from None
    return est


def _timing(r: Resolved, batch: int, ttft: float, ttft_batch: float, tpot: float) -> Timing:
    s = r.scenario
    e2e = ttft_batch + (s.output_tokens - 1) * tpot
    return Timing(
        ttft_ms=ttft * 1e3, tpot_ms=tpot * 1e3, end_to_end_ms=e2e * 1e3,
        prefill_tok_s=batch * s.input_tokens / ttft_batch,
        decode_tok_s_per_sequence=1.0 / tpot,
        output_tok_s_total=r.replicas * batch * s.output_tokens / e2e,
        ttft_batch_ms=ttft_batch * 1e3,
        decode_tok_s_total=r.replicas * batch / tpot,
    )


def _with_timing(r: Resolved, est: Estimate, timing: Timing, **changes) -> Estimate:
    """The estimate with new timing and the cost that follows from it."""
    if timing.end_to_end_ms:
        output_total = timing.output_tok_s_total or 0.0
        requests_per_hour = r.replicas * est.batch * 3600 / (timing.end_to_end_ms / 1e3)
    else:
        output_total, requests_per_hour = 0.0, 0.0
    costs = {kind: setup_cost(kind, r, r.hardware, output_total, requests_per_hour) for kind in ("cloud", "owned")}  # type: ignore[arg-type]
    cost = costs["cloud" if r.deployment == "cloud" else "owned"]
    return dataclasses.replace(est, timing=timing, cost=cost, costs=costs, **changes)


# ----------------------------------------------------------------------------- offload


def _offload(r: Resolved, catalog: Catalog, est: Estimate, explain: bool) -> Estimate:
    s = r.scenario
    model, hw, engine, wfmt, kvfmt = r.model, r.hardware, r.engine, r.weights, r.kv
    assert model and hw and engine and wfmt and kvfmt
    if s.gpus > 1:
        raise ScenarioError("gpus", "offload to system RAM is modelled for one GPU (--gpus 1)")
    host = offload.host_for(hw, catalog, s.ram_gib, s.ram_bandwidth_gb_s)
    n = model.num_layers
    if isinstance(s.gpu_layers, int) and s.gpu_layers > n:
        raise ScenarioError("gpu_layers", f"--gpu-layers {s.gpu_layers} exceeds the {n} layers of {model.id}")
    expert_layers = n if s.cpu_moe else (s.n_cpu_moe or 0)
    if expert_layers and not model.is_moe:
        raise ScenarioError("n_cpu_moe" if s.n_cpu_moe else "cpu_moe", f"{model.id} has no routed experts to keep in RAM")
    if expert_layers > n:
        raise ScenarioError("n_cpu_moe", f"--n-cpu-moe {expert_layers} exceeds the {n} layers of {model.id}")
    context = s.input_tokens + s.output_tokens
    mem = plan(model, engine, hw, wfmt, kvfmt, 1, 1, s.input_tokens, s.output_tokens)
    wanted_batch = 1 if s.batch == "max" else s.batch
    # A draft model or heads run on the GPU: leave room for their weights and KV cache.
    draft_fixed = draft_per_sequence = 0.0
    if s.speculates:
        setup = _draft_setup(r, catalog, *_method(r, catalog))
        draft_fixed, draft_per_sequence = setup.draft_bytes, setup.draft_kv_per_sequence
    if s.gpu_layers is None or s.gpu_layers == "auto":
        room = mem.budget - draft_fixed - wanted_batch * draft_per_sequence
        gpu_layers = offload.auto_gpu_layers(model, wfmt, kvfmt, engine, room, mem.overhead, wanted_batch,
                                             s.input_tokens, context, expert_layers, s.kv_offload)
    else:
        gpu_layers = s.gpu_layers
    p = offload.place(model, wfmt, kvfmt, engine, context, gpu_layers, expert_layers, s.kv_offload)
    if gpu_layers == n and not p.cpu_expert_layers and s.kv_offload and est.fits:
        # Everything is on the GPU: the plain estimate stands (its pipeline and running-server TTFT included).
        info = {"gpu_layers": n, "cpu_layers": 0, "vram_gib": round(est.memory.per_gpu / GIB, 4) if est.memory else None,
                "ram_gib": 0.0, "cpu_expert_layers": 0, "kv_on_gpu": True,
                "ram_capacity_gib": round(host.ram_bytes / GIB, 2), "prefill": "gpu"}
        return dataclasses.replace(est, offload=info,
                                   lever_lines=(*est.lever_lines, f"offload: all {n} layers fit on the GPU"))

    def fits(b: int) -> bool:
        draft = draft_fixed + b * draft_per_sequence
        return (offload.vram_bytes(p, model, engine, mem.overhead, b, s.input_tokens) + draft <= mem.budget
                and offload.ram_bytes(p, b) <= host.ram_bytes)

    max_batch = 0
    if fits(1):
        low, high = 1, engine.max_concurrent_sequences + 1
        if fits(high - 1):
            low = high - 1
        else:
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if fits(mid) else (low, mid)
        max_batch = low
    batch = max(1, max_batch) if s.batch == "max" else s.batch
    ok = fits(batch)
    vram = offload.vram_bytes(p, model, engine, mem.overhead, batch, s.input_tokens)
    ram = offload.ram_bytes(p, batch)
    kv_pool = mem.budget - (vram - batch * p.kv_gpu_per_sequence)
    gpu_kv_share = gpu_layers / n if s.kv_offload else 0.0
    windowed = engine.kv_frees_windowed_layers
    limits = []
    if gpu_kv_share > 0:
        limits.append(max_context_for(model, kv_pool / gpu_kv_share, batch, kvfmt, windowed, 1, 1))
    if gpu_kv_share < 1:
        ram_pool = host.ram_bytes - p.ram_weights
        limits.append(max_context_for(model, ram_pool / (1 - gpu_kv_share), batch, kvfmt, windowed, 1, 1))
    max_context = min(limits) if ok else 0
    kv_total = batch * (p.kv_gpu_per_sequence + p.kv_ram_per_sequence)
    memory = Memory(
        weights=arch.weight_bytes(model, wfmt).total, kv_cache=kv_total,
        activations=offload.activation_bytes(model, engine, batch, s.input_tokens), overhead=mem.overhead,
        per_gpu=vram, capacity_per_gpu=mem.capacity, kv_pool_per_gpu=kv_pool, budget_per_gpu=mem.budget,
        recurrent_state=est.memory.recurrent_state if est.memory else 0.0,
    )
    prefill_mode = ""
    if ok:
        avg_context = s.input_tokens + s.output_tokens / 2.0
        tpot = offload.decode_step_s(p, model, wfmt, kvfmt, engine, hw, host, batch, avg_context)
        one = offload.prefill_split_s(p, model, wfmt, engine, hw, host, 1, s.input_tokens)
        whole = offload.prefill_split_s(p, model, wfmt, engine, hw, host, batch, s.input_tokens) if batch > 1 else one
        prefill_mode = "streamed" if whole.streamed else ("cpu" if p.cpu_layers or p.cpu_expert_layers else "gpu")
        timing = _timing(r, batch, one.seconds, whole.seconds, tpot)
    else:
        timing = NO_TIMING
    where = f"{gpu_layers} of {n} layers on the GPU"
    if p.cpu_expert_layers:
        where += f", the routed experts of {p.cpu_expert_layers} of them in RAM"
    line = (f"offload: {where}, {vram / GIB:.1f} GiB VRAM + {ram / GIB:.1f} GiB RAM"
            + (f": {fmt_rate(timing.decode_tok_s_per_sequence)} decode" if ok else ": does not fit"))
    before = est.timing.tpot_ms
    if ok and before:
        line += f" (all on the GPU: TPOT {fmt_duration_ms(before)} -> {fmt_duration_ms(timing.tpot_ms)})"
    warnings = [w for w in est.warnings if not w.startswith("does not fit")] if explain else []
    assumptions = list(est.assumptions)
    if explain:
        if not ok:
            if offload.ram_bytes(p, batch) > host.ram_bytes:
                warnings.append(f"does not fit: {ram / GIB:.1f} GiB in system RAM exceed the host's "
                                f"{host.ram_bytes / GIB:.0f} GiB (--ram-gib)")
            else:
                warnings.append(f"does not fit: {vram / GIB:.1f} GiB on the GPU exceed the {mem.budget / GIB:.1f} GiB "
                                f"budget with {gpu_layers} layers there")
        assumptions.append(
            "offload as llama.cpp places it: the last N layers on the GPU, the first in RAM; the output matrix on "
            "the GPU only with every layer; a layer's KV cache with its layer"
            + ("" if s.kv_offload else " (--no-kv-offload: all KV cache in RAM)") + "; " + host.described)
        if prefill_mode == "streamed":
            assumptions.append("offload prefill: the RAM layers' weights are streamed over PCIe to the GPU once per "
                               f"{engine.activation_tokens}-token batch (faster than computing them on the CPU)")
        elif prefill_mode == "cpu":
            assumptions.append("offload prefill: the RAM layers are computed on the CPU (faster than streaming "
                               "their weights over PCIe for this prompt)")
    info = {
        "gpu_layers": gpu_layers, "cpu_layers": n - gpu_layers, "vram_gib": round(vram / GIB, 4),
        "ram_gib": round(ram / GIB, 4), "cpu_expert_layers": p.cpu_expert_layers, "kv_on_gpu": s.kv_offload,
        "ram_capacity_gib": round(host.ram_bytes / GIB, 2), "prefill": prefill_mode or None,
    }
    fit_state = "no" if not ok else ("tight" if vram / mem.budget > 0.9 else "ok")
    return _with_timing(
        r, est, timing, memory=memory, fits=ok, fit_state=fit_state, batch=batch, max_batch=max_batch,
        max_context=max_context, offload=info, warnings=tuple(warnings), assumptions=tuple(assumptions),
        lever_lines=(*est.lever_lines, line),
    )


# ----------------------------------------------------------------------------- prefix cache


def prefill_flops_share(model: ModelSpec, input_tokens: int, cached_tokens: int) -> float:
    """Share of a prompt's prefill FLOPs left when its first `cached_tokens` come from the cache: the
    matmuls of the computed tokens plus their causal attention over the whole prompt."""
    matmul = arch.matmul_flops_per_token(model)
    # attention_flops_per_token(ctx) is linear in ctx: its slope is the work of one (query, key) pair.
    per_pair = arch.attention_flops_per_token(model, 1.0) - arch.attention_flops_per_token(model, 0.0)
    fixed = arch.attention_flops_per_token(model, 0.0)
    def work(start: int) -> float:
        return (input_tokens - start) * (matmul + fixed) + per_pair * causal_attention_pairs(start, input_tokens)
    return work(cached_tokens) / work(0)


def _prefix(r: Resolved, est: Estimate) -> Estimate:
    s = r.scenario
    model, engine = r.model, r.engine
    assert model and engine
    share: float | int = s.cached_prefix_tokens if s.cached_prefix_tokens is not None else s.cached_input_fraction
    split = cached_prefix_split(s.input_tokens, share, engine.prefix_block_tokens)
    info = {"cached_tokens": split.cached_tokens, "computed_tokens": split.computed_tokens,
            "block_tokens": split.block_tokens, "cached_blocks": split.cached_blocks}
    t = est.timing
    if t.ttft_ms is None or t.ttft_batch_ms is None:
        return dataclasses.replace(est, prefix_cache=info)
    ratio = prefill_flops_share(model, s.input_tokens, split.cached_tokens)
    ttft, ttft_batch = t.ttft_ms * ratio / 1e3, t.ttft_batch_ms * ratio / 1e3
    timing = _timing(r, est.batch, ttft, ttft_batch, t.tpot_ms / 1e3)  # type: ignore[operator]
    info |= {"prefill_work_share": round(ratio, 4), "ttft_ms_before": round(t.ttft_ms, 4),
             "ttft_ms": round(ttft * 1e3, 4)}
    line = (f"prefix cache: {split.cached_tokens:,} of {s.input_tokens:,} prompt tokens cached"
            f" (blocks of {split.block_tokens}): TTFT {fmt_duration_ms(t.ttft_ms)} -> {fmt_duration_ms(ttft * 1e3)}")
    assumptions = (*est.assumptions, "prefix cache: the prefill runs only the uncached tokens (their attention still "
                   "reads the cached prefix); the cached blocks stay in the KV pool, counted in each sequence's cache")
    return _with_timing(r, est, timing, prefix_cache=info, lever_lines=(*est.lever_lines, line),
                        assumptions=assumptions)


# ----------------------------------------------------------------------------- speculative decoding


@dataclasses.dataclass(frozen=True)
class DraftSetup:
    row: spec.AcceptanceSpec
    acceptance: float
    k: int
    draft_bytes: float
    draft_kv_per_sequence: float
    draft_pass_s: object
    """(tokens, context) -> seconds of one draft pass over `tokens` sequences."""


def _draft_setup(r: Resolved, catalog: Catalog, method: str, draft: ModelSpec | None) -> DraftSetup:
    s = r.scenario
    model, hw, engine, wfmt, kvfmt = r.model, r.hardware, r.engine, r.weights, r.kv
    assert model and hw and engine and wfmt and kvfmt
    row = spec.acceptance_for(catalog, method, model.id, draft.id if draft else "")
    acceptance = s.acceptance if s.acceptance is not None else spec.acceptance_rate(row)
    k = s.draft_tokens or row.draft_tokens or (model.mtp_layers if method == "mtp" else DEFAULT_DRAFT_TOKENS)
    full_context = s.input_tokens + s.output_tokens
    bpv = kv_bytes_per_value(kvfmt)
    if draft is not None:
        draft_bytes = arch.weight_bytes(draft, wfmt).total
        draft_kv = arch.kv_cache_bytes(draft, full_context, bpv, engine.kv_frees_windowed_layers, 1)

        def draft_pass(tokens: int, context: float) -> float:
            return lever_timing.decode_step_s(draft, wfmt, kvfmt, engine, hw, tokens, context)  # type: ignore[arg-type]
    else:
        if method == "mtp":
            draft_bytes = arch.mtp_params(model) * wfmt.bits_per_weight / 8
        else:
            h = model.hidden_size
            draft_bytes = (arch.layer_params(model, model.layers[-1]) + 2 * h * h) * EAGLE_HEAD_BITS / 8
        # The heads are one decoder layer each: one layer's KV cache, and one layer plus the output matrix read per pass.
        draft_kv = arch.kv_cache_bytes(model, full_context, bpv, engine.kv_frees_windowed_layers, 1) / model.num_layers
        sizes = offload.layer_sizes(model, wfmt)
        whole_read = model.num_layers * (sizes.dense + sizes.experts_read) + sizes.head
        head_share = (sizes.dense + sizes.experts_read + sizes.head) / whole_read

        def draft_pass(tokens: int, context: float) -> float:
            return head_share * lever_timing.decode_step_s(model, wfmt, kvfmt, engine, hw, tokens, context)
    return DraftSetup(row, acceptance, k, draft_bytes, draft_kv, draft_pass)


def _method(r: Resolved, catalog: Catalog) -> tuple[str, ModelSpec | None]:
    """The drafting method and draft model the scenario asks for (errors name the field)."""
    s = r.scenario
    model = r.model
    assert model
    if sum((s.draft_model is not None, s.mtp, s.eagle)) > 1:
        raise ScenarioError("draft_model", "choose one way to draft: a draft model, MTP or EAGLE")
    if s.draft_model is not None:
        draft_id, _ = lookup_id(s.draft_model, catalog, "model")
        if draft_id not in catalog.models:
            raise ScenarioError("draft_model", f"{draft_id} is a hosted API model: a draft must be an open model")
        if draft_id == model.id:
            raise ScenarioError("draft_model", "the draft model must be smaller than the target, not the target itself")
        return "draft_model", catalog.models[draft_id]
    if s.mtp:
        if not model.mtp_layers:
            raise ScenarioError("mtp", f"{model.id} has no multi-token-prediction layers (try --eagle or --draft-model)")
        return "mtp", None
    return "eagle", None


def lever_step_cost(scenario, catalog: Catalog, decode, prefill):
    """The simulation's step costs with the levers (for `plan`): a cached share of each prompt scales its
    prefill by the FLOPs left; drafting scales the decode step at a batch by the TPOT ratio
    speculative_decode gives there. No lever: the functions as given."""
    from functools import lru_cache

    from llmcalc_tui.core.scenario import resolve

    if scenario.cached_share > 0:
        plain_prefill, share = prefill, scenario.cached_share
        r0 = resolve(scenario, catalog)
        block = r0.engine.prefix_block_tokens if r0.engine else 1

        def prefill(batch: int, tokens: int) -> float:
            cached = cached_prefix_split(tokens, share, block).cached_tokens
            return plain_prefill(batch, tokens) * prefill_flops_share(r0.model, tokens, cached)  # type: ignore[arg-type]
    if not scenario.speculates:
        return decode, prefill

    r = resolve(scenario, catalog)
    method, draft = _method(r, catalog)
    setup = _draft_setup(r, catalog, method, draft)
    model, hw, engine, wfmt, kvfmt = r.model, r.hardware, r.engine, r.weights, r.kv

    @lru_cache(maxsize=4096)
    def ratio(batch: int, context_bucket: int) -> float:
        context = float(context_bucket)
        result = spec.speculative_decode(
            setup.acceptance, setup.k, lambda t: setup.draft_pass_s(t, context),  # type: ignore[operator]
            lambda t: lever_timing.verify_pass_s(model, wfmt, kvfmt, engine, hw, batch, max(1, t // batch), context),
            batch)
        return result.time_per_output_token_s / result.baseline_step_s

    def speculative_decode_step(batch: int, context: float) -> float:
        return decode(batch, context) * ratio(max(1, int(batch)), int(context) // 256 * 256 + 128)

    return speculative_decode_step, prefill


def _speculate(r: Resolved, catalog: Catalog, est: Estimate, explain: bool) -> Estimate:
    s = r.scenario
    model, hw, engine, wfmt, kvfmt = r.model, r.hardware, r.engine, r.weights, r.kv
    assert model and hw and engine and wfmt and kvfmt
    warnings = list(est.warnings)
    method, draft = _method(r, catalog)
    if draft is not None and draft.vocab_size != model.vocab_size:
        warnings.append(f"draft {draft.id} has a {draft.vocab_size:,}-token vocabulary, {model.id} "
                        f"{model.vocab_size:,}: engines need the same tokenizer")
    draft_name = draft.id if draft else (f"{model.mtp_layers} MTP layer(s)" if method == "mtp" else "EAGLE heads")
    setup = _draft_setup(r, catalog, method, draft)
    row, acceptance, k = setup.row, setup.acceptance, setup.k
    batch = est.batch
    context = s.input_tokens + s.output_tokens / 2.0
    draft_bytes = setup.draft_bytes
    draft_kv = batch * setup.draft_kv_per_sequence

    def draft_pass(tokens: int) -> float:
        return setup.draft_pass_s(tokens, context)

    split = None
    if est.offload and (est.offload["cpu_layers"] or est.offload["cpu_expert_layers"]):
        # The target is split between GPU and RAM: verification passes cost what a split step costs.
        host = offload.host_for(hw, catalog, s.ram_gib, s.ram_bandwidth_gb_s)
        split = offload.place(model, wfmt, kvfmt, engine, s.input_tokens + s.output_tokens,
                              est.offload["gpu_layers"], model.num_layers if s.cpu_moe else (s.n_cpu_moe or 0),
                              s.kv_offload)

    def target_pass_for(sequences: int):
        def target_pass(tokens: int) -> float:
            if split is not None:  # every token read as a sequence: the KV cache is read k + 1 times (small)
                return offload.decode_step_s(split, model, wfmt, kvfmt, engine, hw, host, tokens, context)
            return lever_timing.verify_pass_s(model, wfmt, kvfmt, engine, hw, sequences, max(1, tokens // sequences),
                                              context)
        return target_pass

    try:
        result = spec.speculative_decode(acceptance, k, draft_pass, target_pass_for(batch), batch)
        at_one = spec.speculative_decode(acceptance, k, lambda t: draft_pass(1), target_pass_for(1), 1) \
            if batch > 1 else result
    except ValueError as exc:
        raise ScenarioError("draft_tokens", str(exc)) from None
    extra = draft_bytes + draft_kv
    info = {"method": method, "draft": draft_name, "draft_tokens": k, "acceptance": round(acceptance, 4),
            "acceptance_source": "--acceptance" if s.acceptance is not None else row.id,
            "tokens_per_step": round(result.tokens_per_step, 4), "draft_gib": round(draft_bytes / GIB, 4),
            "draft_kv_gib": round(draft_kv / GIB, 4), "speedup": round(result.speedup, 4),
            "speedup_at_batch_1": round(at_one.speedup, 4)}
    memory = est.memory
    shards = est.tp * est.pp
    fits = est.fits
    if memory is not None:
        memory = dataclasses.replace(memory, weights=memory.weights + draft_bytes, kv_cache=memory.kv_cache + draft_kv,
                                     per_gpu=memory.per_gpu + extra / shards)
        fits = fits and memory.per_gpu <= memory.budget_per_gpu
    t = est.timing
    if not fits or t.tpot_ms is None or t.ttft_ms is None or t.ttft_batch_ms is None:
        if est.fits and not fits:
            warnings.append(f"does not fit: the draft adds {extra / GIB:.1f} GiB (weights and KV cache) per setup")
        return dataclasses.replace(est, speculative=info, memory=memory, fits=fits,
                                   fit_state="no" if not fits else est.fit_state,
                                   timing=t if fits else NO_TIMING, warnings=tuple(warnings))
    # Scale the lever-timing step to the estimate's own plain step (its split over GPUs, its pipeline).
    tpot = t.tpot_ms / 1e3 * result.time_per_output_token_s / result.baseline_step_s
    timing = _timing(r, batch, t.ttft_ms / 1e3, t.ttft_batch_ms / 1e3, tpot)
    what = {"draft_model": f"a {draft.name if draft else ''} draft", "mtp": "MTP heads", "eagle": "EAGLE heads"}[method]
    line = (f"speculative: TPOT {fmt_duration_ms(t.tpot_ms)} -> {fmt_duration_ms(tpot * 1e3)} with {what}, "
            f"k = {k}, acceptance {acceptance:.2g} ({result.tokens_per_step:.2f} tokens per step, "
            f"x{result.speedup:.2f})")
    assumptions = list(est.assumptions)
    if explain:
        src = "as given" if s.acceptance is not None else f"{row.name}: {row.source}"
        assumptions.append(f"speculative decoding: acceptance {acceptance:.3g} ({src}); a step is {k} draft passes "
                           f"and one verification pass over {k + 1} tokens per sequence")
        if batch > 1:
            warnings.append(f"speculative gain shrinks as the batch grows (verification turns compute-bound): "
                            f"x{result.speedup:.2f} at batch {batch:,} against x{at_one.speedup:.2f} at batch 1")
        if result.speedup < 1:
            warnings.append(f"speculative decoding is slower here (x{result.speedup:.2f}): drafting costs more "
                            "than the accepted tokens save")
    return _with_timing(r, est, timing, speculative=info, memory=memory, warnings=tuple(warnings),
                        assumptions=tuple(assumptions), lever_lines=(*est.lever_lines, line))

