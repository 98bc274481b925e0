"""`llmcalc scenarios ...`: save, list, show, compare, export, rename, duplicate and delete named scenarios."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.cli import (
    OneLineParser,
    UsageError,
    add_workload_options,
    fail,
    print_json,
    scenario_from_args,
)
from llmcalc_tui.core.estimate import Estimate, estimate
from llmcalc_tui.core.scenario import Scenario, ScenarioError, canonical_ids
from llmcalc_tui.safe_io import why, write_output
from llmcalc_tui.text_safety import visible
from llmcalc_tui.export import FORMATS, compare_rows, export_json_objects, export_scenarios
from llmcalc_tui.sources.commands import model_text
from llmcalc_tui.sources.ref import PREFIXES as SOURCE_PREFIXES
from llmcalc_tui.scenarios import (
    SavedScenario,
    ScenarioEntry,
    ScenarioStore,
    ScenarioStoreError,
    clean_name,
    unknown_ids,
)

Handler = Callable[[argparse.Namespace, Catalog], int]
MIN_COMPARE, MAX_COMPARE = 2, 4


def register(sub: argparse._SubParsersAction) -> dict[str, Handler]:
    """Add `scenarios` and its sub-commands to the main parser; return the command handlers."""
    top = sub.add_parser(
        "scenarios",
        help="save, list, show, compare and export named scenarios",
        description="Named scenarios, one TOML file each in the data folder (`llmcalc locate data`).",
    )
    actions = top.add_subparsers(
        dest="scenarios_command", metavar="SUBCOMMAND", parser_class=OneLineParser, required=True
    )

    p = actions.add_parser("save", help="save an estimate setup under a name (replaces that name; old version kept as .bak)")
    p.add_argument("name", help="display name; spaces, unicode and slashes are fine")
    p.add_argument("--model", "-m", type=model_text,
                   help="model id or source (required unless --from, --model-config or --gguf is given)")
    add_workload_options(p, with_model=False)
    p.add_argument("--from", dest="base", metavar="NAME", help="start from this saved scenario's inputs")
    p.add_argument("--notes", help="free text saved with the scenario")
    p.add_argument("--json", action="store_true", help="print {name, path} as JSON")

    p = actions.add_parser("list", help="saved scenarios, broken files included")
    p.add_argument("--json", action="store_true")

    p = actions.add_parser("show", help="the saved inputs and their estimate")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="the `estimate --json` object plus name, inputs, notes")

    p = actions.add_parser("compare", help=f"{MIN_COMPARE} to {MAX_COMPARE} scenarios side by side")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("--json", action="store_true")

    p = actions.add_parser("export", help="scenarios with their results as Markdown, CSV or JSON")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("--format", "-f", choices=FORMATS, help="default: from the -o suffix, else md")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE (through a symlink, into a FIFO or device; '-' is stdout) instead of stdout")

    p = actions.add_parser("rename", help="give a scenario a new name")
    p.add_argument("old")
    p.add_argument("new")

    p = actions.add_parser("duplicate", help="copy a scenario under a new name")
    p.add_argument("name")
    p.add_argument("new")

    p = actions.add_parser("delete", help="delete a scenario (kept as <file>.toml.bak)")
    p.add_argument("name")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    return {"scenarios": cmd_scenarios}


SUBCOMMANDS: dict[str, Handler] = {}


def cmd_scenarios(args: argparse.Namespace, catalog: Catalog) -> int:
    """Run one `scenarios` sub-command; store and file problems become one line on stderr, exit 2."""
    handler = SUBCOMMANDS[args.scenarios_command]
    try:
        return handler(args, catalog)
    except ScenarioStoreError as exc:
        return fail(exc.message)


def _subcommand(name: str) -> Callable[[Handler], Handler]:
    def wrap(func: Handler) -> Handler:
        SUBCOMMANDS[name] = func
        return func

    return wrap


def _estimate(saved: SavedScenario, catalog: Catalog) -> tuple[Estimate | None, str | None]:
    """The estimate of a saved scenario, or the one-line reason there is none (stale ids first)."""
    stale = unknown_ids(saved.scenario, catalog)
    if stale:
        return None, "; ".join(stale.values())
    try:
        return estimate(saved.scenario, catalog), None
    except ScenarioError as exc:
        return None, exc.message


def _attach_bands(est: Estimate, catalog: Catalog) -> Estimate:
    try:
        from llmcalc_tui.core.bands import attach_bands
    except ImportError:  # pragma: no cover - bands are optional
        return est
    return attach_bands(est, catalog)


@_subcommand("save")
def cmd_save(args: argparse.Namespace, catalog: Catalog) -> int:
    store = ScenarioStore()
    if not args.model and not args.base:
        raise UsageError("--model is required unless --from NAME is given")
    base = store.load(args.base).scenario if args.base else None
    typed = scenario_from_args(args, base)
    scenario = canonical_ids(typed, catalog)
    if typed.model.startswith(SOURCE_PREFIXES):
        # A model source (hf:, gguf:, config:) is saved as typed, so the scenario reopens from it.
        scenario = scenario.model_copy(update={"model": typed.model})
    stale = unknown_ids(scenario, catalog)
    if stale:
        raise UsageError(f"not saved: {next(iter(stale.values()))}")
    try:
        estimate(scenario, catalog)
    except ScenarioError as exc:
        raise UsageError(f"not saved: {exc.message}") from None
    name = clean_name(args.name)
    result = store.put(name, scenario, notes=args.notes)
    if args.json:
        print_json({"name": name, "path": str(result.path), "replaced": result.replaced})
    else:
        verb = "updated" if result.replaced else "saved"
        print(visible(f"{verb} {name!r}: {result.path}" + (" (previous version in .bak)" if result.replaced else "")))
    return 0


def _entry_json(entry: ScenarioEntry, catalog: Catalog) -> dict[str, object]:
    if entry.saved is None:
        return {
            "name": entry.name, "slug": entry.slug, "path": str(entry.path), "broken": True,
            "problem": entry.problem, "line": entry.line,
        }
    saved = entry.saved
    return {
        "name": saved.name, "slug": entry.slug, "path": str(entry.path), "broken": False,
        "saved_at": saved.saved_at.isoformat(), "notes": saved.notes,
        "inputs": saved.scenario.model_dump(mode="json"),
        "unknown_ids": unknown_ids(saved.scenario, catalog),
    }


@_subcommand("list")
def cmd_list(args: argparse.Namespace, catalog: Catalog) -> int:
    store = ScenarioStore()
    entries = store.list()
    if args.json:
        print_json([_entry_json(e, catalog) for e in entries])
        return 0
    if not entries:
        print(visible(f"no saved scenarios in {store.directory}"), file=sys.stderr)
        return 0
    from llmcalc_tui.core.report import table

    rows = []
    for entry in entries:
        if entry.saved is None:
            rows.append([entry.label, "", "", "", f"BROKEN {entry.location}: {entry.problem}"])
            continue
        s = entry.saved.scenario
        stale = unknown_ids(s, catalog)
        status = "; ".join(stale.values()) if stale else ""
        rows.append([
            entry.saved.name, s.model, f"{s.gpus} x {s.hardware}",
            entry.saved.saved_at.astimezone().strftime("%Y-%m-%d %H:%M"), status,
        ])
    print(table(["name", "model", "hardware", "saved", "problem"], rows))
    broken = sum(1 for e in entries if e.broken)
    if broken:
        print(visible(f"{broken} broken scenario file(s) in {store.directory}; fix or delete them"), file=sys.stderr)
    return 0


@_subcommand("show")
def cmd_show(args: argparse.Namespace, catalog: Catalog) -> int:
    store = ScenarioStore()
    entry = store.find(args.name)
    saved = store.load(args.name)
    est, error = _estimate(saved, catalog)
    if est is None:
        return fail(f"scenario {saved.name!r} ({entry.path}) cannot be estimated: {error}")
    est = _attach_bands(est, catalog)
    if args.json:
        print_json({
            "name": saved.name,
            "inputs": saved.scenario.model_dump(mode="json"),
            "notes": saved.notes,
            "saved_at": saved.saved_at.isoformat(),
            "path": str(entry.path),
            **est.to_json(),
        })
        return 0
    from llmcalc_tui.core.report import estimate_table

    print(visible(f"{saved.name}  (saved {saved.saved_at.astimezone():%Y-%m-%d %H:%M}, {entry.path})"))
    if saved.notes:
        print(visible(saved.notes, keep_newlines=True))
    print()
    print(visible(estimate_table(est), keep_newlines=True))
    return 0


def _load_many(names: list[str], catalog: Catalog) -> list[tuple[str, Scenario, Estimate | None, str | None]]:
    store = ScenarioStore()
    items = []
    for name in names:
        saved = store.load(name)
        est, error = _estimate(saved, catalog)
        items.append((saved.name, saved.scenario, est, error))
    return items


@_subcommand("compare")
def cmd_compare(args: argparse.Namespace, catalog: Catalog) -> int:
    if not MIN_COMPARE <= len(args.names) <= MAX_COMPARE:
        raise UsageError(f"compare takes {MIN_COMPARE} to {MAX_COMPARE} scenarios, got {len(args.names)}")
    items = _load_many(args.names, catalog)
    for name, _, est, error in items:
        if est is None:
            print(visible(f"llmcalc: warning: scenario {name!r} cannot be estimated: {error}"), file=sys.stderr)
    rows = compare_rows([est for _, _, est, _ in items])
    if args.json:
        print_json({
            "scenarios": export_json_objects(items),
            "rows": [
                {
                    "key": row.key, "label": row.label, "values": row.values,
                    "numbers": list(row.numbers) or None, "better": row.better,
                    "best_index": row.best_index,
                    "best": None if row.best_index is None else items[row.best_index][0],
                }
                for row in rows
            ],
        })
        return 0
    from llmcalc_tui.core.report import table

    body = [[row.label, *(v + (" *" if i == row.best_index else "") for i, v in enumerate(row.values))] for row in rows]
    if any(error for *_, error in items):
        body.append(["Problem", *(error or "" for *_, error in items)])
    print(table(["", *(name for name, *_ in items)], body))
    print("\n* best of the row")
    return 0


def _format_for(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower() if args.output else ""
    return {".csv": "csv", ".json": "json", ".md": "md", ".markdown": "md"}.get(suffix, "md")


@_subcommand("export")
def cmd_export(args: argparse.Namespace, catalog: Catalog) -> int:
    items = _load_many(args.names, catalog)
    text = export_scenarios(items, _format_for(args))  # type: ignore[arg-type]
    if args.output is None:
        sys.stdout.write(text)
        return 0
    target = Path(args.output).expanduser()
    sys.stdout.flush()
    try:
        how = write_output(args.output, text.encode("utf-8"))
    except OSError as exc:
        return fail(f"cannot write {target}: {why(exc)}")
    if how != "stdout":
        print(visible(f"wrote {len(items)} scenario(s) to {target}"), file=sys.stderr)
    return 0


@_subcommand("rename")
def cmd_rename(args: argparse.Namespace, catalog: Catalog) -> int:
    store = ScenarioStore()
    old = store.find(args.old)
    path = store.rename(args.old, args.new)
    print(visible(f"renamed {old.label!r} to {clean_name(args.new)!r}: {path}"))
    return 0


@_subcommand("duplicate")
def cmd_duplicate(args: argparse.Namespace, catalog: Catalog) -> int:
    store = ScenarioStore()
    source = store.load(args.name)
    path = store.duplicate(args.name, args.new)
    print(visible(f"copied {source.name!r} to {clean_name(args.new)!r}: {path}"))
    return 0


def _confirm(question: str) -> bool:
    print(visible(f"{question} [y/N] "), end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


@_subcommand("delete")
def cmd_delete(args: argparse.Namespace, catalog: Catalog) -> int:
    store = ScenarioStore()
    entry = store.find(args.name)
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if interactive and not args.yes and not _confirm(f"delete scenario {entry.label!r} ({entry.path})?"):
        print("not deleted", file=sys.stderr)
        return 1
    store.delete(args.name)
    print(visible(f"deleted {entry.label!r} (recoverable from {store.backup_path(entry)})"))
    return 0
