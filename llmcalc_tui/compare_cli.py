"""`llmcalc compare SETUP SETUP ... [--json]`: self-hosted setups and API endpoints on one workload."""

from __future__ import annotations

import argparse

from llmcalc_tui.catalog.schema import Catalog

HELP = (
    "SETUP is MODEL[@[Nx]HARDWARE[:WEIGHTS]]: an API endpoint (gpt-4) or an open model on hardware "
    "(llama-2-7b@rtx-4090, llama-2-13b@a100-40gb-sxm:int8, llama-3.1-70b@2xh100-sxm). The workload "
    "options apply to every setup."
)


def register(sub: argparse._SubParsersAction) -> dict:
    from llmcalc_tui.cli import add_workload_options

    p = sub.add_parser("compare", help="several setups side by side on one workload", description=HELP)
    p.add_argument("setups", nargs="+", metavar="SETUP", help="MODEL[@[Nx]HARDWARE[:WEIGHTS]]")
    add_workload_options(p, with_model=False)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return {"compare": cmd_compare}


def cmd_compare(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.cli import UsageError, print_json, scenario_from_args
    from llmcalc_tui.core.compare import break_even_rpm, compare, to_json
    from llmcalc_tui.core.report import table
    from llmcalc_tui.core.units import fmt_duration_ms, fmt_money

    if len(args.setups) < 2:
        raise UsageError("compare needs at least two setups")
    workload = scenario_from_args(args)
    columns = compare(args.setups, workload, catalog)
    if args.json:
        print_json(to_json(columns, workload))
        return 0
    apis = [c for c in columns if c.is_api]
    reference = apis[0].estimate if apis and len(apis) < len(columns) else None
    rows = []
    for c in columns:
        e = c.estimate
        if c.is_api or reference is None:
            cheaper = "-"
        else:
            rpm = break_even_rpm(e, reference)
            cheaper = "never" if rpm is None else f"{rpm:,.3g} req/min"
        rows.append([
            c.setup.text + ("" if e.fits else " (does not fit)"),
            fmt_duration_ms(e.timing.ttft_ms), fmt_duration_ms(e.timing.tpot_ms), fmt_duration_ms(e.timing.end_to_end_ms),
            fmt_money(e.cost.per_request), fmt_money(e.cost.per_1m_output_tokens), fmt_money(e.cost.per_month),
            *([cheaper] if reference is not None else []),
        ])
    against = f"self-host < {reference.model_id}" if reference is not None else ""
    headers = ["setup", "TTFT", "TPOT", "end to end", "$/request", "$/1M out", "$/month", *([against] if against else [])]
    print(f"workload: {workload.input_tokens:,} in / {workload.output_tokens:,} out per request, "
          f"$/month at {workload.requests_per_minute:g} req/min")
    print(table(headers, rows))
    print()
    for c in columns:
        e = c.estimate
        print(f"{c.setup.text}: {e.cost.basis}")
        for warning in e.warnings:
            print(f"  ! {warning}")
    if reference is not None:
        print(f"'{against}': request rate above which one copy of the setup costs less per month than "
              f"{reference.model_id}; never = the API stays cheaper even with the setup fully busy")
    return 0
