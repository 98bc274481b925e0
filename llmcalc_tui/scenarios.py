"""Named scenarios stored as one human-readable TOML file each, written so that nothing is lost.

Layout: ``<data>/scenarios/<slug>.toml`` holds ``format_version``, ``name`` (the display name,
any unicode), ``saved_at``, ``notes`` and a ``[scenario]`` table with every non-None
`Scenario` field. Writes go through `safe_io.atomic_write` (a temporary file in the same folder,
fsynced, moved into place, the file's mode kept); the version they replace is first copied to
``<slug>.toml.bak`` with the same mode, and a read-only file is refused, not replaced. Deleting moves the file to ``<slug>.toml.bak``, where it stays until
that slug is saved over twice. Saves, renames and deletes hold an exclusive lock on
``<scenarios>/.lock`` so concurrent app instances never pick the same file for two names.
A file that cannot be read or parsed is listed as broken (path, line, problem) and is
never written over or removed unless the user deletes it by name.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import stat
import sys
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmcalc_tui import paths
from llmcalc_tui.safe_io import UnreadableFile, atomic_write, fsync_dir, locked, read_regular_bytes, why
from llmcalc_tui.text_safety import describe_char, forbidden_name_char
from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.scenario import Scenario, ScenarioError, did_you_mean, resolve_model_id

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FORMAT_VERSION = 1
"""Version written to every scenario file; files with a higher one are reported, not read."""
MAX_NAME_LENGTH = 200
"""Longest display name accepted, in characters."""
MAX_SLUG_LENGTH = 80
"""Longest slug (file name without .toml) produced by `slugify`."""
SUFFIX = ".toml"
BACKUP_SUFFIX = ".toml.bak"
LOCK_NAME = ".lock"
_FILE_HEADER = "# llmcalc scenario. Edit freely: [scenario] keys are the estimate inputs.\n"
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
_process_lock = threading.RLock()
"""Serialises writers inside one process; the file lock serialises processes."""


class ScenarioStoreError(Exception):
    """A scenario store problem, as one human line that names the file or folder."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        super().__init__(message)


class SavedScenario(BaseModel):
    """One named scenario as stored on disk."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Display name, any unicode."""
    scenario: Scenario
    saved_at: datetime
    """When the inputs were last saved (UTC)."""
    notes: str = ""


@dataclass(frozen=True)
class SaveResult:
    """Where a save went and whether it replaced a scenario of the same name."""

    path: Path
    replaced: bool


@dataclass(frozen=True)
class ScenarioEntry:
    """One `*.toml` file of the scenarios folder, readable or broken."""

    slug: str
    path: Path
    name: str | None
    """Display name; for a broken file the one its `name = ...` line gives, when it can be read."""
    saved: SavedScenario | None
    problem: str | None
    """Why the file cannot be used; None for a good file."""
    line: int | None
    """Line of the problem in the file, when known."""

    @property
    def broken(self) -> bool:
        return self.problem is not None

    @property
    def label(self) -> str:
        """The name to show: the display name, else the slug."""
        return self.name if self.name is not None else self.slug

    @property
    def location(self) -> str:
        """`path:line` of the problem (or just the path)."""
        return f"{self.path}:{self.line}" if self.line else str(self.path)


class _ScenarioFile(BaseModel):
    """The TOML document of one scenario file."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = Field(default=FORMAT_VERSION, ge=1)
    name: str = Field(min_length=1)
    saved_at: datetime | None = None
    notes: str = ""
    scenario: Scenario

    @field_validator("name")
    @classmethod
    def _usable_name(cls, value: str) -> str:
        try:
            return clean_name(value)
        except ScenarioStoreError as exc:
            raise ValueError(exc.message) from None


# ----------------------------------------------------------------------------- names and slugs


def slugify(name: str) -> str:
    """File-name stem for a display name: lowercase ASCII letters, digits, '-' and '_xxxx' escapes.

    Accents are dropped (NFKD), other non-ASCII letters and symbols become `_<hex code point>`,
    spaces, slashes and punctuation become '-'. The store appends -2, -3, ... when two names
    share a slug, so the mapping of names to files stays one-to-one.
    """
    parts: list[str] = []
    for ch in unicodedata.normalize("NFKD", name.casefold()):
        if ch.isascii():
            parts.append(ch if ch.isalnum() else "-")
        elif unicodedata.combining(ch):
            continue
        elif unicodedata.category(ch)[0] in "ZPC":
            parts.append("-")
        else:
            parts.append(f"_{ord(ch):04x}")
    slug = re.sub(r"-{2,}", "-", "".join(parts)).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rstrip("-_")
    if not slug:
        slug = "scenario"
    if slug in _WINDOWS_RESERVED:
        slug += "-"  # "con-" is an ordinary file name on every system
    return slug


def clean_name(name: str) -> str:
    """Normalise a display name (NFC, trimmed) or raise ScenarioStoreError saying why it is unusable."""
    if not isinstance(name, str):
        raise ScenarioStoreError(f"scenario name must be text, got {type(name).__name__}")
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise ScenarioStoreError("scenario name must not be empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ScenarioStoreError(f"scenario name is longer than {MAX_NAME_LENGTH} characters")
    bad = forbidden_name_char(cleaned)
    if bad is not None:
        raise ScenarioStoreError(
            "scenario name must not contain control, bidi or zero-width characters; it holds " + describe_char(bad)
        )
    return cleaned


def _name_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


# ----------------------------------------------------------------------------- files


@contextlib.contextmanager
def _dir_lock(directory: Path) -> Iterator[None]:
    """Exclusive lock on `<directory>/.lock`, shared by every llmcalc process."""
    with _process_lock, locked(directory / LOCK_NAME):
        yield


def dump_text(saved: SavedScenario) -> str:
    """The TOML text of a scenario file."""
    fields = {k: v for k, v in saved.scenario.model_dump().items() if v is not None}
    doc = {
        "name": saved.name,
        "saved_at": saved.saved_at,
        "notes": saved.notes,
        "format_version": FORMAT_VERSION,
        "scenario": fields,
    }
    return _FILE_HEADER + tomli_w.dumps(doc, multiline_strings=True)


def _line_of_key(text: str, table: str | None, key: str) -> int | None:
    """Line of `key = ...` in `[table]` (or before the first table when `table` is None)."""
    key_re = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    header_re = re.compile(r"^\s*\[\s*([^\]\s]+)\s*\]")
    current: str | None = None
    table_line = None
    for number, line in enumerate(text.splitlines(), 1):
        header = header_re.match(line)
        if header:
            current = header.group(1).strip("\"'")
            if current == table:
                table_line = number
            continue
        if current == table and key_re.match(line):
            return number
    return table_line


def _name_from_text(text: str) -> str | None:
    """The display name of a file that does not parse as a whole, read from its own line."""
    for line in text.splitlines():
        if line.lstrip().startswith("["):
            return None
        if re.match(r"^\s*name\s*=", line):
            with contextlib.suppress(tomllib.TOMLDecodeError, UnicodeError):
                value = tomllib.loads(line).get("name")
                if isinstance(value, str) and value.strip() and forbidden_name_char(value) is None:
                    return value
            return None
    return None


def parse_text(text: str, fallback_time: datetime | None = None) -> SavedScenario:
    """Parse a scenario file's text; raise ScenarioStoreError (message, line) when it is unusable."""
    if not text.strip():
        raise ScenarioStoreError("file is empty")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        lineno = getattr(exc, "lineno", None)
        if lineno is None:
            match = re.search(r"line (\d+)", str(exc))
            if match:
                lineno = int(match.group(1))
            elif "end of document" in str(exc):
                lineno = len(text.rstrip("\n").split("\n"))
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc)) or "syntax error"
        raise ScenarioStoreError(f"TOML syntax error: {message}", line=lineno) from None
    version = data.get("format_version", FORMAT_VERSION)
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ScenarioStoreError(
            f"format_version {version} is newer than this llmcalc reads ({FORMAT_VERSION}); upgrade llmcalc",
            line=_line_of_key(text, None, "format_version"),
        )
    try:
        parsed = _ScenarioFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(x) for x in err["loc"]]
        if err["type"] == "missing" and loc == ["scenario"]:
            raise ScenarioStoreError("no [scenario] table", line=None) from None
        if loc and loc[0] == "scenario" and len(loc) > 1:
            line = _line_of_key(text, "scenario", loc[1])
        elif loc:
            line = _line_of_key(text, None, loc[0])
        else:
            line = None
        where = ".".join(loc)
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ScenarioStoreError(f"{where}: {message}{more}" if where else message, line=line) from None
    saved_at = parsed.saved_at or fallback_time or datetime.now(timezone.utc)
    if saved_at.tzinfo is None:
        saved_at = saved_at.replace(tzinfo=timezone.utc)
    return SavedScenario(name=parsed.name, scenario=parsed.scenario, saved_at=saved_at, notes=parsed.notes)


def read_entry(path: Path) -> ScenarioEntry:
    """Read and parse one scenario file; every failure becomes a broken entry, never an exception."""
    slug = path.name[: -len(SUFFIX)]

    def broken(problem: str, line: int | None = None, name: str | None = None) -> ScenarioEntry:
        return ScenarioEntry(slug, path, name, None, problem, line)

    if path.is_dir():
        return broken("is a folder, not a file")
    try:
        raw = read_regular_bytes(path)
        mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(microsecond=0)
    except UnreadableFile as exc:
        return broken(why(exc))
    except OSError as exc:
        return broken(f"cannot read: {why(exc)}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return broken("not UTF-8 text (binary file?)", raw.count(b"\n", 0, exc.start) + 1)
    try:
        saved = parse_text(text, fallback_time=mtime)
    except ScenarioStoreError as exc:
        return broken(exc.message, exc.line, _name_from_text(text))
    return ScenarioEntry(slug, path, saved.name, saved, None, None)


# ----------------------------------------------------------------------------- store


class ScenarioStore:
    """The scenarios folder: list, load, save, rename, duplicate and delete named scenarios."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory is not None else paths.scenarios_dir()
        """Folder of the `<slug>.toml` files; created on the first save."""

    # -- reading

    def list(self) -> list[ScenarioEntry]:
        """Every scenario file, broken ones included, sorted by display name."""
        directory = self.directory
        try:
            if not directory.exists():
                return []
            if not directory.is_dir():
                raise ScenarioStoreError(f"scenarios folder {directory} is not a folder", directory)
            files = [
                p for p in directory.iterdir()
                if p.name.endswith(SUFFIX) and not p.name.startswith(".") and len(p.name) > len(SUFFIX)
            ]
        except OSError as exc:
            raise ScenarioStoreError(f"cannot read scenarios folder {directory}: {why(exc)}", directory) from None
        entries = [read_entry(p) for p in files]
        return sorted(entries, key=lambda e: (_name_key(e.label), e.slug))

    def names(self) -> list[str]:
        """Display names of the usable scenarios, sorted."""
        return [e.name for e in self.list() if not e.broken and e.name is not None]

    def find(self, name: str, entries: list[ScenarioEntry] | None = None) -> ScenarioEntry:
        """The entry for a display name or slug (broken ones included); ScenarioStoreError if none."""
        entries = self.list() if entries is None else entries
        query = unicodedata.normalize("NFC", name).strip()
        key = query.casefold()
        slug_query = query[: -len(SUFFIX)] if query.endswith(SUFFIX) else query
        for test in (
            lambda e: e.name is not None and unicodedata.normalize("NFC", e.name).strip() == query,
            lambda e: e.slug == slug_query,
            lambda e: e.name is not None and _name_key(e.name) == key,
        ):
            found = [e for e in entries if test(e)]
            good = [e for e in found if not e.broken]
            if len(good) == 1:
                return good[0]
            if len(good) > 1:
                self._ambiguous(query, good)
            if found:
                return found[0]
        raise ScenarioStoreError(
            f"no scenario named {query!r} in {self.directory}{self._suggest(query, entries)}", self.directory
        )

    def _ambiguous(self, query: str, entries: list[ScenarioEntry]) -> NoReturn:
        slugs = ", ".join(e.slug for e in entries)
        raise ScenarioStoreError(
            f"{len(entries)} files in {self.directory} are named {query!r} ({slugs}); give the file name instead",
            self.directory,
        )

    @staticmethod
    def _suggest(query: str, entries: list[ScenarioEntry]) -> str:
        labels = {_name_key(e.label): e.label for e in entries}
        close = difflib.get_close_matches(query.casefold(), list(labels), n=3, cutoff=0.5)
        if not close:
            close = [k for k in labels if query.casefold() and query.casefold() in k][:3]
        if not close:
            return ""
        return f" (did you mean {', '.join(repr(labels[c]) for c in close)}?)"

    def load(self, name: str) -> SavedScenario:
        """The saved scenario of a display name or slug; ScenarioStoreError if unknown or broken."""
        entry = self.find(name)
        if entry.broken or entry.saved is None:
            raise ScenarioStoreError(f"scenario file {entry.location} is broken: {entry.problem}", entry.path, entry.line)
        return entry.saved

    def exists(self, name: str) -> bool:
        """Whether a usable scenario has exactly this display name."""
        try:
            cleaned = clean_name(name)
        except ScenarioStoreError:
            return False
        return any(e.name == cleaned and not e.broken for e in self.list())

    # -- writing

    def save(self, name: str, scenario: Scenario, notes: str = "", *, overwrite: bool = True) -> Path:
        """Save under a display name, replacing the scenario of that name (its old version goes to .bak)."""
        return self.put(name, scenario, notes, overwrite=overwrite).path

    def put(self, name: str, scenario: Scenario, notes: str | None = None, *, overwrite: bool = True) -> SaveResult:
        """`save`, also saying whether a scenario of that name was replaced; `notes=None` keeps its notes.

        Whether it replaced one is decided under the lock, so concurrent saves of one name report
        exactly one "saved" and the rest "updated".
        """
        cleaned = clean_name(name)
        with self._writing():
            entries = self.list()
            current = self._same_name(cleaned, entries)
            if current is not None and not overwrite:
                raise ScenarioStoreError(f"a scenario named {cleaned!r} already exists ({current.path})", current.path)
            if notes is None:
                notes = current.saved.notes if current is not None and current.saved is not None else ""
            saved = SavedScenario(name=cleaned, scenario=scenario, saved_at=_now(), notes=notes)
            path = current.path if current is not None else self._free_path(cleaned, entries)
            self._write(path, saved)
            return SaveResult(path, replaced=current is not None)

    def rename(self, old: str, new: str) -> Path:
        """Give a scenario a new display name (and file); the old file is kept as its .bak."""
        cleaned = clean_name(new)
        with self._writing():
            entries = self.list()
            source = self._usable(old, entries)
            assert source.saved is not None
            clash = self._same_name(cleaned, entries)
            if clash is not None and clash.path != source.path:
                raise ScenarioStoreError(f"a scenario named {cleaned!r} already exists ({clash.path})", clash.path)
            if cleaned == source.name:
                return source.path
            others = [e for e in entries if e.path != source.path]
            path = self._free_path(cleaned, others, reuse=source.path)
            self._write(path, source.saved.model_copy(update={"name": cleaned}))
            if path != source.path:
                self._to_backup(source)
            return path

    def duplicate(self, name: str, new: str) -> Path:
        """Copy a scenario under a new display name."""
        cleaned = clean_name(new)
        with self._writing():
            entries = self.list()
            source = self._usable(name, entries)
            assert source.saved is not None
            clash = self._same_name(cleaned, entries)
            if clash is not None:
                raise ScenarioStoreError(f"a scenario named {cleaned!r} already exists ({clash.path})", clash.path)
            path = self._free_path(cleaned, entries)
            self._write(path, source.saved.model_copy(update={"name": cleaned, "saved_at": _now()}))
            return path

    def delete(self, name: str) -> None:
        """Remove a scenario (broken ones too) by moving its file to `<slug>.toml.bak`, where it can be recovered."""
        self.find(name)
        with self._writing(create=False):
            self._to_backup(self.find(name))

    def backup_path(self, entry_or_path: ScenarioEntry | Path) -> Path:
        """Where the previous version (or the deleted file) of a scenario is kept."""
        path = entry_or_path.path if isinstance(entry_or_path, ScenarioEntry) else Path(entry_or_path)
        return path.with_name(path.name[: -len(SUFFIX)] + BACKUP_SUFFIX)

    # -- helpers

    @contextlib.contextmanager
    def _writing(self, create: bool = True) -> Iterator[None]:
        """Create the folder if needed, take the lock, and turn OS errors into one-line store errors."""
        directory = self.directory
        try:
            if create:
                directory.mkdir(parents=True, exist_ok=True)
            elif not directory.is_dir():
                raise ScenarioStoreError(f"no scenarios saved yet in {directory}", directory)
            with _dir_lock(directory):
                yield
        except ScenarioStoreError:
            raise
        except OSError as exc:
            target = Path(exc.filename) if exc.filename else directory
            shown = target.parent if target.name.startswith(".") else target  # not the temp/lock file
            raise ScenarioStoreError(f"cannot write to {shown}: {why(exc)}", shown) from None

    @staticmethod
    def _same_name(name: str, entries: list[ScenarioEntry]) -> ScenarioEntry | None:
        """The usable entry whose display name is exactly `name` (lowest slug first)."""
        same = sorted((e for e in entries if not e.broken and e.name == name), key=lambda e: e.slug)
        return same[0] if same else None

    def _usable(self, name: str, entries: list[ScenarioEntry]) -> ScenarioEntry:
        entry = self.find(name, entries)
        if entry.broken or entry.saved is None:
            raise ScenarioStoreError(f"scenario file {entry.location} is broken: {entry.problem}", entry.path, entry.line)
        return entry

    def _free_path(self, name: str, entries: list[ScenarioEntry], reuse: Path | None = None) -> Path:
        """`<slug>.toml`, or `<slug>-2.toml`, ... : the first one no file (even a broken one) uses, or `reuse`."""
        base = slugify(name)
        taken = {e.slug for e in entries}
        candidate, n = base, 1
        while True:
            path = self.directory / f"{candidate}{SUFFIX}"
            if path == reuse or (candidate not in taken and not path.exists()):
                return path
            n += 1
            candidate = f"{base}-{n}"

    def _write(self, path: Path, saved: SavedScenario) -> None:
        with contextlib.suppress(FileNotFoundError):
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode) and not mode & stat.S_IWUSR:
                raise ScenarioStoreError(
                    f"scenario file {path} is read-only; not replaced (make it writable to save over it)", path
                )
        atomic_write(path, dump_text(saved).encode("utf-8"), backup=self.backup_path(path))

    def _to_backup(self, entry: ScenarioEntry) -> None:
        os.replace(entry.path, self.backup_path(entry))
        fsync_dir(self.directory)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


# ----------------------------------------------------------------------------- catalog checks


def unknown_ids(scenario: Scenario, catalog: Catalog) -> dict[str, str]:
    """Field -> message for every id the catalog no longer has; the rest of the scenario stays usable."""
    problems: dict[str, str] = {}
    try:
        resolve_model_id(scenario.model, catalog)
    except ScenarioError as exc:
        problems["model"] = exc.message
    checks = (
        ("weights", "weight format", scenario.weights, catalog.formats),
        ("kv_cache", "KV-cache format", scenario.kv_cache, catalog.formats),
        ("hardware", "hardware", scenario.hardware, catalog.hardware),
        ("engine", "engine", scenario.engine, catalog.engines),
        ("api_model", "API model", scenario.api_model, catalog.api_models),
    )
    for field_name, kind, value, table in checks:
        if value is None:
            continue
        key = value.strip().lower()
        if key not in table:
            problems[field_name] = f"unknown {kind} {value!r}{did_you_mean(key, list(table))}"
    return problems
