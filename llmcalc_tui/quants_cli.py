"""`llmcalc quants` (the best weight format for a machine) and `llmcalc models --fits HARDWARE`."""

from __future__ import annotations

import argparse
import time

from llmcalc_tui.catalog.schema import Catalog


def register(sub: argparse._SubParsersAction) -> dict:
    from llmcalc_tui.cli import add_workload_options, float_in

    p = sub.add_parser("quants", help="every weight format that runs a model on a machine, the best first",
                       description="Every weight format the engine loads, fully on the GPU or with layers in "
                                   "system RAM, with size, speed, longest context and published quality loss. "
                                   "The recommended format is the highest quality that meets --min-tok-s.")
    add_workload_options(p)
    add_min_tok_s(p, float_in)
    p.add_argument("--json", action="store_true", help="print a JSON list")
    return {"quants": cmd_quants}


def add_min_tok_s(parser: argparse.ArgumentParser, float_in) -> None:
    parser.add_argument("--min-tok-s", type=float_in("--min-tok-s", 0, 1e6),
                        help="decode speed the recommendation must reach (default 10 tok/s)")


def _base(args: argparse.Namespace, catalog: Catalog):
    from llmcalc_tui.cli import UsageError, scenario_from_args
    from llmcalc_tui.core.scenario import lookup_id

    if getattr(args, "weights", None) is not None or getattr(args, "gpu_layers", None) is not None:
        raise UsageError("quants and models --fits choose the weights and GPU layers themselves: leave out "
                         "--weights and --gpu-layers")
    scenario = scenario_from_args(args)
    model = lookup_id(scenario.model, catalog, "model")[0] if getattr(args, "model", None) else scenario.model
    hardware = lookup_id(scenario.hardware, catalog, "hardware")[0]
    return scenario.model_copy(update={"model": model, "hardware": hardware})


def cmd_quants(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.cli import UsageError, print_json
    from llmcalc_tui.core.quants import DEFAULT_MIN_TOK_S, quants_for
    from llmcalc_tui.core.report import table
    from llmcalc_tui.core.units import fmt_sig

    if not args.model:
        raise UsageError("quants needs --model")
    base = _base(args, catalog)
    floor = args.min_tok_s if args.min_tok_s is not None else DEFAULT_MIN_TOK_S
    rows = quants_for(base, catalog, floor)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    print(table(
        ["format", "fits", "GiB", "decode tok/s", "prefill tok/s", "max context", "quality (published loss)"],
        [[("* " if r.recommended else "  ") + r.format,
          ("gpu" if r.placement == "gpu" else f"offload {r.gpu_layers}/{r.num_layers}") if r.fits else "no",
          fmt_sig(r.weights_gib, decimals=2),
          fmt_sig(r.decode_tok_s, strip=True) if r.decode_tok_s else "-",
          fmt_sig(r.prefill_tok_s, decimals=0) if r.prefill_tok_s else "-",
          f"{r.max_context:,}" if r.fits else "-", r.quality or "-"] for r in rows],
    ))
    if rows and rows[0].recommended:
        print(f"\n* recommended: {rows[0].format}, the highest quality at {fmt_sig(floor, strip=True)} tok/s or more")
    else:
        print(f"\nno format reaches {fmt_sig(floor, strip=True)} tok/s here (--min-tok-s)")
    return 0


def cmd_models_fit(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.cli import print_json
    from llmcalc_tui.core.quants import DEFAULT_MIN_TOK_S, models_that_fit
    from llmcalc_tui.core.report import table
    from llmcalc_tui.core.scenario import Scenario, lookup_id
    from llmcalc_tui.core.units import fmt_sig

    hardware = lookup_id(args.fits, catalog, "hardware")[0]
    base = Scenario(hardware=hardware, ram_gib=args.ram_gib)
    floor = args.min_tok_s if args.min_tok_s is not None else DEFAULT_MIN_TOK_S
    started = time.perf_counter()
    fits = models_that_fit(base, catalog, floor)
    if args.sort == "speed":
        fits.sort(key=lambda f: (-f.decode_tok_s, f.id))
    else:
        fits.sort(key=lambda f: (-f.params_total, f.id))
    elapsed = time.perf_counter() - started
    if args.json:
        print_json([f.to_json() for f in fits])
        return 0
    print(table(["model", "best format", "placement", "GiB", "decode tok/s"],
                [[f.id, f.format, f.placement, fmt_sig(f.weights_gib, decimals=2),
                  fmt_sig(f.decode_tok_s, strip=True) + ("" if f.meets_floor else " (below the floor)")]
                 for f in fits]))
    print(f"\n{len(fits)} of {len(catalog.models)} models run on {hardware}; best format = the highest quality at "
          f"{fmt_sig(floor, strip=True)} tok/s or more, else the fastest ({elapsed:.1f} s)")
    return 0
