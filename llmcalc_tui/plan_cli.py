"""`llmcalc plan`: hardware, layout, replicas and cost to serve a request rate; `estimate --emit` helpers."""

from __future__ import annotations

import argparse

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.scenario import MAX_TOKENS, Scenario


def register(sub: argparse._SubParsersAction) -> dict:
    from llmcalc_tui.cli import float_in, identifier, int_in

    p = sub.add_parser("plan", help="hardware, layout and replicas to serve a request rate within latency targets")
    p.add_argument("--model", "-m", required=True, type=identifier("--model"), help="open-model id or alias")
    p.add_argument("--rps", required=True, type=float_in("--rps", 0, 1e6, low_open=True), help="requests per second")
    p.add_argument("--input-tokens", type=int_in("--input-tokens", 1, MAX_TOKENS), help="prompt tokens per request")
    p.add_argument("--output-tokens", type=int_in("--output-tokens", 1, MAX_TOKENS), help="output tokens per request")
    p.add_argument("--lengths", metavar="FILE",
                   help="request lengths to draw from: a line per request, 'prompt' or 'prompt output' tokens")
    p.add_argument("--ttft-slo-ms", type=float_in("--ttft-slo-ms", 0, 1e9, low_open=True), help="time-to-first-token target")
    p.add_argument("--tpot-slo-ms", type=float_in("--tpot-slo-ms", 0, 1e9, low_open=True), help="time-per-output-token target")
    p.add_argument("--percentile", type=int, choices=[50, 90, 99], default=99, help="percentile the targets apply to")
    p.add_argument("--hardware", nargs="+", type=identifier("--hardware"), help="candidate hardware ids")
    p.add_argument("--engine", type=identifier("--engine"), help="serving engine (default: vLLM where it runs)")
    p.add_argument("--weights", type=identifier("--weights"), help="weight format (default: native dtype)")
    p.add_argument("--kv-cache", type=identifier("--kv-cache"), help="KV-cache format (default fp16)")
    p.add_argument("--hybrid-local-share", type=float_in("--hybrid-local-share", 0, 1),
                   help="share of the traffic served locally in the hybrid, 0-1 (default: the cheapest split)")
    p.add_argument("--disaggregated", action="store_true",
                   help="also size separate prefill and decode pools, with the KV transfer between them")
    p.add_argument("--json", action="store_true")
    from llmcalc_tui.levers_cli import add_lever_options  # issue 14 levers

    add_lever_options(p)
    return {"plan": cmd_plan}


def cmd_plan(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.cli import UsageError, print_json
    from llmcalc_tui.core.plan import PlanRequest, plan

    prompts: tuple[int, ...] = ()
    outputs: tuple[int, ...] = ()
    input_tokens, output_tokens = args.input_tokens, args.output_tokens
    if args.lengths:
        from pathlib import Path

        from llmcalc_tui.core.simulate import read_lengths

        try:
            prompt_lengths, output_lengths = read_lengths(Path(args.lengths))
        except OSError as exc:
            raise UsageError(f"cannot read {args.lengths}: {exc.strerror or exc}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise UsageError(str(exc)) from None
        prompts = prompt_lengths.values
        input_tokens = round(prompt_lengths.mean)
        if output_lengths is not None:
            outputs = output_lengths.values
            output_tokens = round(output_lengths.mean)
    if input_tokens is None or output_tokens is None:
        raise UsageError("plan needs --input-tokens and --output-tokens (or a --lengths file that gives them)")
    result = plan(PlanRequest(
        model=args.model, rps=args.rps, input_tokens=input_tokens, output_tokens=output_tokens,
        prompt_lengths=prompts, output_lengths=outputs,
        ttft_slo_ms=args.ttft_slo_ms, tpot_slo_ms=args.tpot_slo_ms, percentile=args.percentile,
        hardware=tuple(args.hardware or ()), engine=args.engine, weights=args.weights, kv_cache=args.kv_cache,
        hybrid_local_share=args.hybrid_local_share, disaggregated=args.disaggregated,
        levers=plan_levers(args),
    ), catalog)
    if args.json:
        print_json(result.to_json())
    else:
        print(plan_table(result))
    return 0


def plan_levers(args: argparse.Namespace) -> tuple[tuple[str, object], ...]:
    """The lever options for plan: speculative decoding and a cached prefix (offload is a one-machine lever
    for estimate and fit, not a serving plan)."""
    from llmcalc_tui.cli import UsageError
    from llmcalc_tui.levers_cli import lever_updates

    updates = lever_updates(args)
    offload = [k for k in ("gpu_layers", "cpu_moe", "n_cpu_moe", "kv_offload", "ram_gib", "ram_bandwidth_gb_s")
               if k in updates]
    if offload:
        raise UsageError("plan sizes GPU serving: offload options (--gpu-layers, --cpu-moe, --n-cpu-moe, "
                         "--no-kv-offload, --ram-gib) belong to estimate and fit")
    if isinstance(updates.get("cached_prefix_tokens"), int):
        raise UsageError("plan takes --cached-prefix as a share of the prompt (0-1), since prompt lengths vary")
    updates.pop("cached_prefix_tokens", None)
    return tuple(sorted(updates.items()))


def _ms(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def _rps(x: float | None) -> str:
    return "never" if x is None else f"{x:,.3g} req/s"


def _usd(x: float | None) -> str:
    return "-" if x is None else f"${x:,.0f}"


def plan_table(result) -> str:
    from llmcalc_tui.core.report import table

    r = result.request
    p = r.percentile
    slo = [f"TTFT p{p} <= {r.ttft_slo_ms:g} ms" if r.ttft_slo_ms else "", f"TPOT p{p} <= {r.tpot_slo_ms:g} ms" if r.tpot_slo_ms else ""]
    lines = [
        f"{result.model_id}: {r.rps:g} requests/s of {r.input_tokens:,} in / {r.output_tokens:,} out tokens"
        + (f"; targets {', '.join(s for s in slo if s)}" if any(slo) else "; no latency targets"),
        "",
    ]
    if not result.options:
        lines.append("no candidate layout fits this model")
    else:
        # p50 next to the targets' percentile (or p99 when the targets are at p50): each option on one line.
        tail = p if p != 50 else 99

        def pair(low: float | None, high: float | None) -> str:
            return f"{_ms(low)}/{_ms(high)}"

        lines.append(table(
            ["hardware", "tp/pp/ep", "replicas", "GPUs", "nodes", "ok", "util", f"TTFT p50/p{tail}",
             f"TPOT p50/p{tail}", "$/mo rented", "$/mo owned"],
            [[o.hardware, f"{o.tp}/{o.pp}/{o.ep}", o.replicas, o.total_gpus, o.nodes,
              ("yes*" if o.impractical else "yes") if o.meets_slo else "no", f"{o.utilisation:.0%}",
              pair(o.ttft_p50_ms, o.ttft_p99_ms if tail == 99 else o.ttft_ms),
              pair(o.tpot_p50_ms, o.tpot_p99_ms if tail == 99 else o.tpot_ms),
              _usd(o.usd_per_month_cloud), _usd(o.usd_per_month_owned)]
             for o in result.options],
        ))
        lines.append("latencies in ms; util = each replica's share of the traffic over its saturated throughput")
        if any(o.impractical for o in result.options):
            lines.append("yes* = meets the targets only by spreading the traffic over replicas that are almost idle")
        best = result.options[0]
        if best.launch:
            lines += ["", f"launch ({best.hardware}, tp/pp/ep {best.tp}/{best.pp}/{best.ep}, each of {best.replicas} "
                      f"replica(s){f', over {best.nodes // best.replicas} nodes each' if best.link else ''}):",
                      best.launch["command"], *[f"# {note}" for note in best.launch.get("notes", [])]]
    if result.api_alternatives:
        lines += ["", "API alternatives for the same traffic (break-even: the rate above which one replica of the "
                  "first option costs less):"]
        lines.append(table(
            ["model", "provider", "$/month", "TTFT ms", "break-even rented", "owned"],
            [[a.model + (" (same model)" if a.same_model else ""), a.provider, _usd(a.usd_per_month), _ms(a.ttft_ms),
              _rps(a.break_even_rps), _rps(a.break_even_rps_owned)]
             for a in result.api_alternatives[:8]],
        ))
    if result.disaggregated:
        lines += ["", "disaggregated prefill and decode, next to the first aggregated option of the same hardware:"]
        lines.append(table(
            ["hardware", "tp/pp/ep", "prefill", "decode", "GPUs", "aggr.", "ok", "KV ms", f"TTFT p{p}", f"TPOT p{p}",
             "$/mo rented", "aggr. rented"],
            [[d.hardware, f"{d.tp}/{d.pp}/{d.ep}", f"{d.prefill.replicas} x {d.prefill.gpus_per_replica}",
              f"{d.decode.replicas} x {d.decode.gpus_per_replica}", d.total_gpus, d.aggregated_total_gpus,
              "yes" if d.meets_slo else "no", _ms(d.kv_transfer_ms), _ms(d.ttft_ms), _ms(d.tpot_ms),
              _usd(d.usd_per_month_cloud), _usd(d.aggregated_usd_per_month_cloud)] for d in result.disaggregated],
        ))
    if result.hybrid is not None:
        h = result.hybrid
        lines += ["", f"hybrid: {h.local_share:.0%} on {h.local_replicas} x {h.hardware} replica(s) "
                  f"({h.local_gpus} GPUs, {'rented' if h.basis == 'cloud' else 'owned'}), the rest on {h.api_model}: "
                  f"{_usd(h.usd_per_month)}/month ({_usd(h.usd_per_month_local)} local + {_usd(h.usd_per_month_api)} "
                  f"API); TTFT local {_ms(h.ttft_ms_local)} ms, API {_ms(h.ttft_ms_api)} ms"]
    lines += ["", *[f"- {a}" for a in result.assumptions]]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- estimate --emit


def scenario_for_emit(target: str, scenario: Scenario, engine_given: bool) -> Scenario:
    """The scenario whose estimate the launch command carries: the target's engine unless one was chosen."""
    from llmcalc_tui.cli import UsageError
    from llmcalc_tui.core.launch import ENGINE_TARGET, TARGET_ENGINE

    if not engine_given:
        return scenario.model_copy(update={"engine": TARGET_ENGINE[target]})
    if ENGINE_TARGET.get(scenario.engine) != target:
        raise UsageError(f"--emit {target} does not match --engine {scenario.engine}; leave out --engine or pick "
                         f"the matching --emit")
    return scenario


def emit_launch(target: str, scenario: Scenario, catalog: Catalog):
    from llmcalc_tui.core.launch import launch_for

    return launch_for(scenario, catalog, target)


def launch_text(launch) -> str:
    return "\n".join([launch.command, *[f"# {note}" for note in launch.notes]])
