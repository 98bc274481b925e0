"""Find, parse and validate catalog TOML files; merge built-in and user catalogs by id."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ValidationError

from llmcalc_tui.safe_io import UnreadableFile, read_regular_bytes
from llmcalc_tui.catalog.schema import (
    AcceptanceSpec,
    ApiModelSpec,
    Catalog,
    EngineSpec,
    FormatSpec,
    HardwareSpec,
    ModelSpec,
    QualitySpec,
    HostSpec,
)

try:  # compiled tomli is about 3x faster than the standard library's pure-Python tomllib
    import tomli as tomllib
except ImportError:  # pragma: no cover
    import tomllib  # type: ignore[no-redef]

TABLES: dict[str, tuple[str, type[BaseModel]]] = {
    "model": ("models", ModelSpec),
    "api_model": ("api_models", ApiModelSpec),
    "hardware": ("hardware", HardwareSpec),
    "format": ("formats", FormatSpec),
    "engine": ("engines", EngineSpec),
    "quality": ("quality", QualitySpec),
    "acceptance": ("acceptance", AcceptanceSpec),
    "host": ("hosts", HostSpec),
}
"""Top-level array name in a TOML file -> (Catalog field, schema)."""


@dataclass(frozen=True)
class CatalogProblem:
    """One problem in one catalog file, located as precisely as the file allows."""

    path: Path
    line: int | None
    location: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        loc = f" [{self.location}]" if self.location else ""
        return f"{where}{loc}: {self.message}"


class CatalogError(Exception):
    """Raised when catalog files fail to load; carries every problem found."""

    def __init__(self, problems: list[CatalogProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class LoadResult:
    """A merged catalog plus the problems of files that were skipped."""

    catalog: Catalog
    problems: list[CatalogProblem] = field(default_factory=list)


def builtin_catalog_dir() -> Path:
    """Where the built-in catalogs are: inside the installed package, else the source checkout."""
    from llmcalc_tui.resources import catalogs_dir

    return catalogs_dir()


def _line_of(text: str, table: str, index: int, key: str | None) -> int | None:
    """Line number of entry `index` of `[[table]]` (and of `key` inside it, when found)."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]\s*$")
    any_header = re.compile(r"^\s*\[")
    lines = text.splitlines()
    seen = -1
    start = None
    for number, line in enumerate(lines, 1):
        if header.match(line):
            seen += 1
            if seen == index:
                start = number
                break
    if start is None:
        return None
    if key:
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start, len(lines)):
            line = lines[number]
            if any_header.match(line):
                break
            if key_re.match(line):
                return number + 1
    return start


def toml_error_line(exc: Exception, text: str) -> int | None:
    """Line of a TOML syntax error (the last line when the parser ran off the end)."""
    line = getattr(exc, "lineno", None)
    if line:
        return int(line)
    match = re.search(r"line (\d+)", str(exc))
    if match:
        return int(match.group(1))
    if "end of document" in str(exc):
        return max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    return None


def _field_named_in(message: str, item: object) -> str | None:
    """For a check across fields (no location of its own): the first key of the entry its message names."""
    if not isinstance(item, dict):
        return None
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", message)
    return next((word for word in words if word in item), None)


def parse_file(path: Path) -> tuple[dict[str, list[BaseModel]], list[CatalogProblem]]:
    """Parse one catalog file into validated entries; problems name the path, line and field."""
    problems: list[CatalogProblem] = []
    entries: dict[str, list[BaseModel]] = {name: [] for name, _ in TABLES.values()}
    try:
        raw = read_regular_bytes(path)
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnreadableFile as exc:
        return entries, [CatalogProblem(path, None, "", str(exc.strerror))]
    except OSError as exc:
        return entries, [CatalogProblem(path, None, "", f"cannot read: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return entries, [CatalogProblem(path, None, "", "not UTF-8 text")]
    except tomllib.TOMLDecodeError as exc:
        return entries, [CatalogProblem(path, toml_error_line(exc, text), "", f"TOML syntax error: {exc}")]
    for key, value in data.items():
        if key not in TABLES:
            if key == "meta":
                continue
            problems.append(CatalogProblem(path, None, key, f"unknown table; expected one of {sorted(TABLES)}"))
            continue
        name, schema = TABLES[key]
        if not isinstance(value, list):
            problems.append(CatalogProblem(path, None, key, f"must be an array of tables: [[{key}]]"))
            continue
        seen_ids: dict[str, int] = {}
        for index, item in enumerate(value):
            try:
                entry = schema.model_validate(item)
            except ValidationError as exc:
                for err in exc.errors():
                    field_name = str(err["loc"][0]) if err["loc"] else _field_named_in(err["msg"], item)
                    loc = ".".join(str(x) for x in err["loc"]) or field_name or ""
                    ident = item.get("id", f"#{index + 1}") if isinstance(item, dict) else f"#{index + 1}"
                    problems.append(
                        CatalogProblem(
                            path,
                            _line_of(text, key, index, field_name),
                            f"{key} {ident}: {loc}" if loc else f"{key} {ident}",
                            str(err["msg"]).removeprefix("Value error, "),
                        )
                    )
                continue
            if entry.id in seen_ids:
                problems.append(
                    CatalogProblem(
                        path,
                        _line_of(text, key, index, "id"),
                        f"{key} {entry.id}: id",
                        f"duplicate id (first defined in entry #{seen_ids[entry.id] + 1})",
                    )
                )
                continue
            seen_ids[entry.id] = index
            entries[name].append(entry)
    return entries, problems


def load_dirs(dirs: list[Path], strict_first: bool = True) -> LoadResult:
    """Load and merge catalog directories in order; later entries override earlier ones by id.

    The first directory holds the built-ins: with strict_first its problems raise, since the
    app cannot work without them. Problems in later (user) directories skip that file's bad
    entries and are returned so the user can be told.
    """
    merged: dict[str, dict[str, BaseModel]] = {name: {} for name, _ in TABLES.values()}
    problems: list[CatalogProblem] = []
    for position, directory in enumerate(dirs):
        files = sorted(directory.glob("*.toml")) if directory.is_dir() else []
        dir_problems: list[CatalogProblem] = []
        for path in files:
            entries, file_problems = parse_file(path)
            dir_problems.extend(file_problems)
            for name, items in entries.items():
                for item in items:
                    merged[name][item.id] = item
        if position == 0 and strict_first and dir_problems:
            raise CatalogError(dir_problems)
        problems.extend(dir_problems)
    catalog = _build(merged)
    problems.extend(_cross_check(catalog))
    return LoadResult(catalog, problems)


def _build(merged: dict[str, dict[str, BaseModel]]) -> Catalog:
    aliases: dict[str, str] = {}
    for model in merged["models"].values():
        for alias in model.aliases:  # type: ignore[attr-defined]
            aliases[alias.lower()] = model.id
    return Catalog(
        models=merged["models"],
        api_models=merged["api_models"],
        hardware=merged["hardware"],
        formats=merged["formats"],
        engines=merged["engines"],
        aliases=aliases,
        quality=merged["quality"],
        acceptance=merged["acceptance"],
        hosts=merged["hosts"],
    )


def _cross_check(catalog: Catalog) -> list[CatalogProblem]:
    problems = []
    for model in catalog.models.values():
        if model.native_dtype not in catalog.formats and catalog.formats:
            problems.append(
                CatalogProblem(Path("models"), None, f"model {model.id}: native_dtype",
                               f"unknown format {model.native_dtype!r}")
            )
    for note in catalog.quality.values():
        if note.id not in catalog.formats and catalog.formats:
            problems.append(
                CatalogProblem(Path("quality"), None, f"quality {note.id}: id",
                               f"unknown format {note.id!r}")
            )
    for rate in catalog.acceptance.values():
        for role, model_id in (("target", rate.target), ("draft", rate.draft)):
            if model_id and catalog.models and model_id not in catalog.models:
                problems.append(
                    CatalogProblem(Path("acceptance"), None, f"acceptance {rate.id}: {role}",
                                   f"unknown model {model_id!r}")
                )
    return problems


@lru_cache(maxsize=8)
def _load_builtin_cached(directory: str) -> Catalog:
    return load_dirs([Path(directory)]).catalog


def load_builtin() -> Catalog:
    """The built-in catalog, loaded once per process."""
    return _load_builtin_cached(str(builtin_catalog_dir()))


def load_catalog(user_dirs: list[Path] | None = None) -> LoadResult:
    """Built-in catalogs merged with user catalogs (user entries override by id)."""
    dirs = [builtin_catalog_dir(), *(user_dirs or [])]
    if not user_dirs:
        return LoadResult(load_builtin())
    return load_dirs(dirs)
