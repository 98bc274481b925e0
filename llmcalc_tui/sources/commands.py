"""The command line's side of the sources: --model-config, --gguf, `--model hf:...`, `--hardware local`,
imported models from the user catalog, and `llmcalc models import`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.sources import SourceError
from llmcalc_tui.sources.ref import looks_like_source

Handler = Callable[[argparse.Namespace, Catalog], int]


def model_text(text: str) -> str:
    """argparse type of --model: a catalog id (lowercased) or a source (kept as typed: paths, repo ids)."""
    text = text.strip()
    if not text:
        raise argparse.ArgumentTypeError("--model must not be empty")
    if not text.isprintable():
        raise argparse.ArgumentTypeError(f"--model {text!r} is not a catalog id")
    if looks_like_source(text):
        return text
    if not text.isascii():
        raise argparse.ArgumentTypeError(f"--model {text!r} is not a catalog id")
    return text.lower()


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """--model-config and --gguf, beside --model on every command that estimates."""
    parser.add_argument("--model-config", metavar="PATH",
                        help="model from a config.json, or a folder with one (and its safetensors files)")
    parser.add_argument("--gguf", metavar="PATH", help="model from a GGUF file's header")


def register(sub: argparse._SubParsersAction) -> dict[str, Handler]:
    """`models import SOURCE [--id ID]` under the existing `models` command."""
    from llmcalc_tui.cli import OneLineParser

    models = sub.choices.get("models")
    if models is None:
        return {}
    actions = models.add_subparsers(dest="models_command", metavar="SUBCOMMAND", parser_class=OneLineParser)
    p = actions.add_parser("import", help="save a Hub model, config.json or GGUF file into the user catalog")
    p.add_argument("source", metavar="SOURCE",
                   help="hf:ORG/NAME[@REV], ORG/NAME, a config.json or its folder, or a .gguf file")
    p.add_argument("--id", dest="import_id", metavar="ID", help="catalog id to save it under (default from the source)")
    p.add_argument("--json", action="store_true", help="print the saved entry as JSON")
    return {}


def handler_for(args: argparse.Namespace) -> Handler | None:
    """The handler of a sub-command this module owns (None: the usual table)."""
    if args.command == "models" and getattr(args, "models_command", None) == "import":
        return cmd_import
    return None


def prepare(args: argparse.Namespace, catalog: Catalog) -> Catalog:
    """Resolve the model and hardware a command names into the catalog (which already holds the user's
    catalogs, imported models among them); sets args.model to what to store."""
    given = [(flag, value) for flag, value in (
        ("--model", getattr(args, "model", None)),
        ("--model-config", getattr(args, "model_config", None)),
        ("--gguf", getattr(args, "gguf", None)),
    ) if value]
    if not given and getattr(args, "command", None) in ("estimate", "fit"):
        raise SourceError("--model is required (or --model-config PATH, or --gguf PATH)")
    if len(given) > 1:
        raise SourceError(f"give one of {', '.join(flag for flag, _ in given)}, not several")
    if given:
        flag, value = given[0]
        text = {"--model": value, "--model-config": f"config:{value}", "--gguf": f"gguf:{value}"}[flag]
        from llmcalc_tui.sources.resolve import resolve_model_text

        catalog, args.model = resolve_model_text(text, catalog)
    if getattr(args, "command", None) == "scenarios":
        catalog = _saved_sources(args, catalog)
    hardware = getattr(args, "hardware", None)
    # `plan` takes several hardware ids; `local` is a single-setup choice.
    if isinstance(hardware, str) and hardware.lower() == "local":
        catalog = _local(args, catalog)
    return catalog


def _saved_sources(args: argparse.Namespace, catalog: Catalog) -> Catalog:
    """Resolve the model sources of the saved scenarios a `scenarios` command names."""
    from llmcalc_tui.scenarios import ScenarioStore, ScenarioStoreError
    from llmcalc_tui.sources.resolve import catalog_for

    names = [getattr(args, "base", None), getattr(args, "name", None), *(getattr(args, "names", None) or [])]
    store = ScenarioStore()
    if getattr(args, "scenarios_command", None) == "list":
        # Listing reads files on disk only: local sources (config.json, GGUF) resolve, Hub ones need a command
        # that names them (show, compare, export) or an import.
        try:
            entries = store.list()
        except ScenarioStoreError:
            entries = []
        for entry in entries:
            model = entry.saved.scenario.model if entry.saved is not None else ""
            if model.startswith(("config:", "gguf:")):
                try:
                    catalog = catalog_for(entry.saved.scenario, catalog)  # type: ignore[union-attr]
                except SourceError:
                    continue
        return catalog
    for name in filter(None, names):
        try:
            scenario = store.load(name).scenario
        except ScenarioStoreError:
            continue  # the command itself reports it
        if scenario.hardware.lower() == "local":
            catalog = _local(argparse.Namespace(gpus=scenario.gpus), catalog)
        try:
            catalog = catalog_for(scenario, catalog)
        except SourceError:
            continue  # left unknown: the command reports the model as unknown
    return catalog


def _local(args: argparse.Namespace, catalog: Catalog) -> Catalog:
    from llmcalc_tui.sources.machine import detect, with_local_hardware

    info = detect()
    catalog, spec = with_local_hardware(catalog, info)
    if spec is None:
        found = f"{info.cpu_count} CPU cores, {info.host_ram_bytes / 2**30:.0f} GiB RAM" if info.host_ram_bytes else ""
        raise SourceError(
            "--hardware local: no NVIDIA GPU or Apple silicon found on this machine"
            + (f" ({found}); pick a CPU entry with --hardware" if found else ""), field="hardware")
    if getattr(args, "gpus", None) is None and hasattr(args, "gpus"):
        args.gpus = info.accelerators[0].count
    return catalog


def cmd_import(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.cli import print_json
    from llmcalc_tui.sources.importer import import_model

    try:
        done = import_model(args.source, catalog, model_id=args.import_id)
    except OSError as exc:
        raise SourceError(f"cannot write the user catalog: {exc.strerror or exc}") from None
    if args.json:
        print_json({"id": done.model.id, "path": str(done.path), "replaced": done.replaced,
                    "source": done.model.source, "as_of": done.model.as_of.isoformat()})
    else:
        verb = "replaced" if done.replaced else "imported"
        print(f"{verb} {done.model.id} ({done.model.name}): {done.path}")
        print(f"use it with: llmcalc estimate --model {done.model.id}")
    return 0
