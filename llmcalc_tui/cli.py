"""Headless command line: estimate, fit, models, hardware, formats (and the app when no command is given)."""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from llmcalc_tui.catalog.loader import CatalogError, load_builtin, load_catalog
from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.units import fmt_sig, parse_count, parse_number
from llmcalc_tui.core.scenario import (
    MAX_BATCH,
    MAX_GPUS,
    MAX_LIFETIME_YEARS,
    MAX_TOKENS,
    MIN_LIFETIME_YEARS,
    MIN_UTILISATION,
    Scenario,
    ScenarioError,
)
from llmcalc_tui.text_safety import visible

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def int_in(name: str, low: int, high: int) -> Callable[[str], int]:
    """argparse type: a whole number within [low, high], in the shared syntax (1,000 / 1_000 / 32k / 1.5M)."""

    def parse(text: str) -> int:
        try:
            value = parse_count(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number (such as 1000, 1,000, 32k or 1.5M), got {text.strip()!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be between {low:,} and {high:,}, got {value:,}")
        return value

    return parse


def float_in(name: str, low: float, high: float, low_open: bool = False) -> Callable[[str], float]:
    """argparse type: a finite number within the range, in the shared syntax."""

    def parse(text: str) -> float:
        try:
            value = parse_number(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text.strip()!r}") from None
        if not math.isfinite(value) or value < low or value > high or (low_open and value == low):
            bound = f"above {fmt_sig(low, strip=True)}" if low_open else f"at least {fmt_sig(low, strip=True)}"
            raise argparse.ArgumentTypeError(
                f"{name} must be {bound} and at most {fmt_sig(high, strip=True)}, got {text.strip()}")
        return value

    return parse


def batch_value(text: str) -> int | str:
    if text.strip().lower() == "max":
        return "max"
    return int_in("--batch", 1, MAX_BATCH)(text)


def identifier(name: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        text = text.strip()
        if not text:
            raise argparse.ArgumentTypeError(f"{name} must not be empty")
        if not text.isascii() or not text.isprintable():
            raise argparse.ArgumentTypeError(f"{name} {text!r} is not a catalog id")
        return text.lower()

    return parse


def add_workload_options(parser: argparse.ArgumentParser, with_model: bool = True) -> None:
    """The estimate options, shared by estimate, fit and scenarios save."""
    from llmcalc_tui.sources.commands import add_source_options, model_text

    if with_model:
        parser.add_argument("--model", "-m", type=model_text,
                            help="model id or alias, hf:ORG/NAME[@REV], ORG/NAME, or a path (required unless "
                                 "--model-config or --gguf is given)")
    add_source_options(parser)
    parser.add_argument("--weights", type=identifier("--weights"), help="weight format (default: native dtype)")
    parser.add_argument("--kv-cache", type=identifier("--kv-cache"), help="KV-cache format (default fp16)")
    parser.add_argument("--hardware", type=identifier("--hardware"), help="hardware id (default h100-sxm)")
    parser.add_argument("--gpus", type=int_in("--gpus", 1, MAX_GPUS), help="number of GPUs (default 1)")
    parser.add_argument("--tp", type=int_in("--tp", 1, MAX_GPUS), help="tensor parallel (default gpus / pp)")
    parser.add_argument("--pp", type=int_in("--pp", 1, MAX_GPUS), help="pipeline parallel (default 1)")
    parser.add_argument("--engine", type=identifier("--engine"),
                        help="serving engine (default auto: vllm on datacenter GPUs, llama.cpp elsewhere)")
    parser.add_argument("--backend", choices=["auto", "cuda", "metal", "vulkan", "rocm", "cpu"],
                        help="engine backend (default auto: llama.cpp picks CUDA, Metal, ROCm, Vulkan or CPU "
                             "from the hardware)")
    parser.add_argument("--input-tokens", type=int_in("--input-tokens", 1, MAX_TOKENS), help="default 1000")
    parser.add_argument("--output-tokens", type=int_in("--output-tokens", 1, MAX_TOKENS), help="default 200")
    parser.add_argument("--batch", type=batch_value, help="concurrent sequences, or 'max' (default 1)")
    parser.add_argument("--deployment", choices=["auto", "local", "cloud", "api"],
                        help="cost basis: cloud (rented), local (owned) or api (default auto)")
    parser.add_argument("--api-model", type=identifier("--api-model"), help="API model to price against")
    parser.add_argument("--electricity", type=float_in("--electricity", 0, 100), help="$/kWh (local)")
    parser.add_argument("--pue", type=float_in("--pue", 1, 5), help="power usage effectiveness (local)")
    parser.add_argument("--utilisation", type=float_in("--utilisation", MIN_UTILISATION, 1),
                        help=f"busy share, {MIN_UTILISATION:g}-1 (local)")
    parser.add_argument("--lifetime-years", type=float_in("--lifetime-years", MIN_LIFETIME_YEARS, MAX_LIFETIME_YEARS),
                        help=f"years to spread the price over, {MIN_LIFETIME_YEARS:g}-{MAX_LIFETIME_YEARS:g} (local)")
    parser.add_argument("--gpu-hour-price", type=float_in("--gpu-hour-price", 0, 1e6), help="cloud $/GPU-hour")
    parser.add_argument("--cached-input", type=float_in("--cached-input", 0, 1),
                        help="cached share of the prompt (API price; self-hosted: the prefix cache)")
    parser.add_argument("--requests-per-minute", type=float_in("--requests-per-minute", 0, 1e9), help="for $/month")
    add_api_options(parser)
    from llmcalc_tui.levers_cli import add_lever_options  # issue 14 levers

    add_lever_options(parser)


OPTION_FIELDS = {
    "model": "model",
    "weights": "weights",
    "kv_cache": "kv_cache",
    "hardware": "hardware",
    "gpus": "gpus",
    "tp": "tp",
    "pp": "pp",
    "engine": "engine",
    "backend": "backend",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "batch": "batch",
    "deployment": "deployment",
    "api_model": "api_model",
    "electricity": "electricity_usd_per_kwh",
    "pue": "pue",
    "utilisation": "utilisation",
    "lifetime_years": "lifetime_years",
    "gpu_hour_price": "cloud_usd_per_hour",
    "cached_input": "cached_input_fraction",
    "requests_per_minute": "requests_per_minute",
    "batch_api": "batch_api",
    "priority": "priority",
    "reasoning": "reasoning",
    "network_rtt_ms": "network_rtt_ms",
}
"""argparse dest -> Scenario field."""


def reasoning_value(text: str) -> int | str:
    """--reasoning: an effort level or an explicit number of hidden reasoning tokens."""
    word = text.strip().lower()
    if word in ("low", "medium", "high"):
        return word
    try:
        return int_in("--reasoning", 0, MAX_TOKENS)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"--reasoning must be low, medium, high or a token count, got {text!r}") from None


def add_api_options(parser: argparse.ArgumentParser) -> None:
    """Options of the hosted-API side: price tier, hidden reasoning tokens, network round trip."""
    parser.add_argument("--batch-api", action="store_const", const=True, help="price at the batch-API rate (API)")
    parser.add_argument("--priority", action="store_const", const=True, help="price at the priority tier (API)")
    parser.add_argument("--reasoning", type=reasoning_value, help="hidden reasoning tokens: low|medium|high|N (API)")
    parser.add_argument("--network-rtt-ms", type=float_in("--network-rtt-ms", 0, 60_000),
                        help="client round trip to the API (default: the catalog's sourced value)")


def scenario_from_args(args: argparse.Namespace, base: Scenario | None = None) -> Scenario:
    updates = {
        field: getattr(args, dest)
        for dest, field in OPTION_FIELDS.items()
        if getattr(args, dest, None) is not None
    }
    from llmcalc_tui.levers_cli import lever_updates  # issue 14 levers

    updates |= lever_updates(args)
    data = (base or Scenario()).model_dump()
    data.update(updates)
    try:
        return Scenario.model_validate(data)
    except Exception as exc:  # pydantic ValidationError: report the first problem in one line
        errors = getattr(exc, "errors", lambda: [])()
        if errors:
            first = errors[0]
            raise UsageError(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None
        raise UsageError(str(exc)) from None


class VersionAction(argparse.Action):
    """`--version`: the installed version, looked up only when asked for (it costs start-up time)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        from llmcalc_tui import package_version

        print(f"llmcalc {package_version()}")
        parser.exit()


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="llmcalc",
        description="What it takes to run an LLM: memory, speed and cost. No command opens the app.",
    )
    parser.add_argument("--version", action=VersionAction)
    parser.add_argument("--scenario", help="open the app on a saved scenario")
    parser.add_argument("--theme", help="open the app with this theme")
    sub = parser.add_subparsers(dest="command", parser_class=OneLineParser)

    p = sub.add_parser("estimate", help="memory, latency, throughput and cost of one setup")
    add_workload_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--emit", choices=["vllm", "sglang", "trtllm", "llama-server", "ollama", "mlx"],
                   help="print the engine's launch command for this setup (with --json: a 'launch' key)")

    p = sub.add_parser("fit", help="the workload on every hardware entry")
    add_workload_options(p)
    p.add_argument("--kind", choices=["datacenter", "workstation", "consumer", "apple", "edge", "cpu"])
    p.add_argument("--offload", action="store_true",
                   help="a setup too big for one device may keep layers in system RAM (llama.cpp, Ollama)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("models", help="list open and API models")
    p.add_argument("--search", help="filter by text")
    p.add_argument("--fits", type=identifier("--fits"), metavar="HARDWARE",
                   help="only the models that run on this hardware (GPU or offload), with their best format")
    p.add_argument("--ram-gib", type=float_in("--ram-gib", 0, 1_000_000, low_open=True),
                   help="with --fits: system RAM of the host")
    p.add_argument("--sort", choices=["size", "speed"], default="size", help="with --fits: order (default size)")
    p.add_argument("--min-tok-s", type=float_in("--min-tok-s", 0, 1e6),
                   help="with --fits: speed floor of the best format (default 10)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("hardware", help="list hardware")
    p.add_argument("--kind", choices=["datacenter", "workstation", "consumer", "apple", "edge", "cpu"])
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("formats", help="list weight and KV-cache formats")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("locate", help="print where llmcalc keeps a kind of file")
    p.add_argument("thing", choices=["config", "data", "scenarios", "themes", "catalogs", "builtin-catalogs"])

    from llmcalc_tui import cli_extra

    cli_extra.register(sub)
    return parser


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))


def cmd_estimate(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.core.estimate import estimate
    from llmcalc_tui.core.report import estimate_table
    from llmcalc_tui.core.bands import attach_bands

    scenario = scenario_from_args(args)
    launch = None
    if getattr(args, "emit", None):
        from llmcalc_tui import plan_cli

        scenario = plan_cli.scenario_for_emit(args.emit, scenario, args.engine is not None)
        launch = plan_cli.emit_launch(args.emit, scenario, catalog)
    est = attach_bands(estimate(scenario, catalog), catalog)
    if args.json:
        print_json(est.to_json() | ({"launch": launch.to_json()} if launch else {}))
    elif launch:
        print(plan_cli.launch_text(launch))
    else:
        print(visible(estimate_table(est), keep_newlines=True))
    return 0


def cmd_fit(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.core.compat import build_grid
    from llmcalc_tui.core.report import grid_table

    rows = build_grid(scenario_from_args(args), catalog, offload=args.offload)
    if args.kind:
        rows = [r for r in rows if r.kind == args.kind]
    if args.json:
        print_json([r.to_json() for r in rows])
    else:
        print(grid_table(rows))
    return 0


def cmd_models(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.core.architecture import param_breakdown
    from llmcalc_tui.core.report import table

    if args.fits:  # issue 14: the models that run on a machine
        from llmcalc_tui.quants_cli import cmd_models_fit

        return cmd_models_fit(args, catalog)
    needle = (args.search or "").lower()
    rows = []
    for m in catalog.models.values():
        p = param_breakdown(m)
        rows.append({
            "id": m.id, "name": m.name, "type": "open", "family": m.family,
            "params_total": p.total, "params_active": p.active, "context": m.context_length,
            "native_dtype": m.native_dtype, "license": m.license, "aliases": list(m.aliases),
        })
    for a in catalog.api_models.values():
        rows.append({
            "id": a.id, "name": a.name, "type": "api", "provider": a.provider, "context": a.context_length,
            "input_usd_per_1m": a.input_usd_per_1m, "output_usd_per_1m": a.output_usd_per_1m,
            "open_model": a.open_model, "retired": a.retired,
        })
    if needle:
        rows = [r for r in rows if needle in " ".join(str(v) for v in r.values()).lower()]
    if args.json:
        print_json(rows)
    else:
        print(table(
            ["id", "type", "params", "context", "price in/out $/1M"],
            [[r["id"], r["type"],
              f"{r['params_total'] / 1e9:,.2f}B" + (f" ({r['params_active'] / 1e9:,.1f}B act)" if r.get("params_active") != r.get("params_total") else "") if r["type"] == "open" else r.get("provider", ""),
              f"{r['context']:,}",
              f"{fmt_sig(r['input_usd_per_1m'], 4, strip=True)} / {fmt_sig(r['output_usd_per_1m'], 4, strip=True)}" if r["type"] == "api" else ""]
             for r in rows],
        ))
    return 0


def cmd_hardware(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.core.report import table

    rows = [{**h.model_dump(mode="json"), "idle_w": round(h.idle_watts, 1)}
            for h in catalog.hardware.values() if not args.kind or h.kind == args.kind]
    if args.json:
        print_json(rows)
    else:
        print(table(
            ["id", "kind", "memory", "GB/s", "bf16/fp16 TFLOPS", "W", "idle W", "$ to buy", "$/h"],
            [[r["id"], r["kind"], f"{fmt_sig(r['memory_gb'], 4, strip=True)} GB", f"{r['bandwidth_gb_s']:,.0f}",
              fmt_sig(r['tflops'].get('bf16', r['tflops'].get('fp16', r['tflops'].get('fp32', 0))), 4, strip=True),
              fmt_sig(r['power_w'], 4, strip=True), fmt_sig(r["idle_w"], 3, strip=True),
              f"{r['price_usd']:,.0f}" if r["price_usd"] else "",
              f"{r['cloud_usd_per_hour']:.2f}" if r["cloud_usd_per_hour"] else ""]
             for r in rows],
        ))
    return 0


def cmd_formats(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.core.report import table

    rows = [f.model_dump(mode="json") for f in catalog.formats.values()]
    if args.json:
        print_json(rows)
    else:
        print(table(
            ["id", "bits/weight", "computes in", "KV cache"],
            [[r["id"], fmt_sig(r['bits_per_weight'], 4, strip=True), r["compute_precision"], "yes" if r["kv_cache"] else ""] for r in rows],
        ))
    return 0


def cmd_locate(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui import paths, resources

    where = {
        "config": paths.config_dir,
        "data": paths.data_dir,
        "scenarios": paths.scenarios_dir,
        "themes": paths.user_themes_dir,
        "catalogs": paths.user_catalogs_dir,
        "builtin-catalogs": resources.catalogs_dir,
    }[args.thing]()
    print(where)
    return 0


COMMANDS = {
    "locate": cmd_locate,
    "estimate": cmd_estimate,
    "fit": cmd_fit,
    "models": cmd_models,
    "hardware": cmd_hardware,
    "formats": cmd_formats,
}


def fail(message: str) -> int:
    first = " ".join(visible(str(message)).split())
    print(f"llmcalc: error: {first}", file=sys.stderr)
    return EXIT_USAGE


def warn(message: str) -> None:
    """One warning line on stderr; the command goes on."""
    print(f"llmcalc: warning: {' '.join(visible(str(message)).split())}", file=sys.stderr)


def load_with_user_catalogs() -> Catalog:
    """The catalog the app uses: built-ins plus the user's catalogs; a broken user file is reported, not fatal."""
    from llmcalc_tui.config import load_settings, user_catalog_dirs

    settings = load_settings()
    for problem in settings.problems:
        warn(f"config: {problem}")
    dirs = [d for d in user_catalog_dirs(settings.settings) if d.is_dir()]
    if not dirs:
        return load_builtin()
    result = load_catalog(dirs)
    for catalog_problem in result.problems:
        warn(f"user catalog {catalog_problem}")
    return result.catalog


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return fail(str(exc))
    app_options = [flag for flag, value in (("--theme", args.theme), ("--scenario", args.scenario)) if value is not None]
    if args.command is not None and app_options:
        return fail(f"{' and '.join(app_options)} only apply when opening the app; leave them out of"
                    f" `llmcalc {args.command}` (or drop the command to open the app)")
    if args.command is None:
        from llmcalc_tui.app import run_app

        return run_app(scenario_name=args.scenario, theme=args.theme)
    try:
        catalog = load_with_user_catalogs()
    except CatalogError as exc:
        return fail(f"built-in catalog is broken: {exc.problems[0]}")
    finally:
        gc.enable()  # the entry point starts with it off (see __main__); loading is the bulk of start-up
    from llmcalc_tui import cli_extra
    from llmcalc_tui.sources import SourceError
    from llmcalc_tui.sources import commands as source_commands

    handler = (source_commands.handler_for(args) or COMMANDS.get(args.command)
               or cli_extra.COMMANDS[args.command])
    try:
        # user catalogs (imported models), --model-config / --gguf / hf: sources and --hardware local
        catalog = source_commands.prepare(args, catalog)
        return handler(args, catalog)
    except (UsageError, ScenarioError, SourceError) as exc:
        return fail(str(exc))
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not bad input: still one line, never a traceback
        print(f"llmcalc: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
