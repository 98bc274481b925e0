"""What a model text names: a catalog id, a Hub repository, a config.json (or its folder) or a GGUF file.

The canonical text of a source (`hf:Org/Name@rev`, `config:/abs/path`, `gguf:/abs/file.gguf`) is what a
scenario stores, so it reopens the same model; it is also the alias the resolved model answers to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from llmcalc_tui.sources import SourceError

SourceKind = Literal["hf", "config", "gguf"]
PREFIXES = ("hf:", "config:", "gguf:")
GGUF_MAGIC = b"GGUF"
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.][A-Za-z0-9_.-]*(@[A-Za-z0-9_./-]+)?$")
_SLUG_BAD = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One model source; `location` is a repo id or an absolute path."""

    kind: SourceKind
    location: str
    revision: str | None = None

    @property
    def text(self) -> str:
        """The canonical source text (stored in scenarios and user catalogs)."""
        return f"{self.kind}:{self.location}" + (f"@{self.revision}" if self.revision else "")

    @property
    def alias(self) -> str:
        """The catalog alias the resolved model is found under (catalog lookups are lowercase)."""
        return self.text.lower()

    def default_id(self) -> str:
        """A catalog id for the model: hf-org-name, gguf-<file stem>, config-<folder>."""
        if self.kind == "hf":
            base = self.location.replace("/", "-") + (f"-{self.revision}" if self.revision else "")
        else:
            path = Path(self.location)
            if path.name == "config.json":
                base = path.parent.name
            elif self.kind == "gguf" or path.suffix == ".json":
                base = path.stem
            else:
                base = path.name
        return slug(f"{self.kind}-{base}")


def slug(text: str) -> str:
    """A valid catalog id made from any text."""
    cleaned = _SLUG_BAD.sub("-", text.lower()).strip("-._")
    return cleaned[:80] or "model"


def looks_like_source(text: str) -> bool:
    """Whether a model text names a source rather than a catalog id (catalog ids hold no '/' or ':')."""
    text = text.strip()
    return (
        text.startswith(PREFIXES)
        or "/" in text
        or "\\" in text
        or text.startswith("~")
        or text.lower().endswith((".gguf", ".json"))
    )


def _path_ref(raw: str, forced: SourceKind | None) -> SourceRef:
    path = Path(raw).expanduser()
    if not path.exists():
        raise SourceError(f"{raw}: no such file or folder")
    path = path.resolve()
    if forced is None:
        forced = "gguf" if path.is_file() and _has_gguf_magic(path) else "config"
    return SourceRef(forced, str(path))


def _has_gguf_magic(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False


def parse_repo(text: str) -> SourceRef:
    """`Org/Name[@revision]` as a Hub source."""
    text = text.strip()
    if not _REPO_ID.match(text):
        raise SourceError(f"{text!r} is not a Hub repository id (ORG/NAME or ORG/NAME@REVISION)")
    repo, _, revision = text.partition("@")
    return SourceRef("hf", repo, revision or None)


def parse_source(text: str) -> SourceRef:
    """The source a text names. An existing path wins over a repo id of the same spelling."""
    raw = text.strip()
    if not raw:
        raise SourceError("the model source is empty")
    if raw.startswith("hf:"):
        return parse_repo(raw[3:])
    if raw.startswith("gguf:"):
        return _path_ref(raw[5:], "gguf")
    if raw.startswith("config:"):
        return _path_ref(raw[7:], "config")
    if Path(raw).expanduser().exists():
        return _path_ref(raw, None)
    if _REPO_ID.match(raw) and not raw.startswith((".", "/", "~")):
        return parse_repo(raw)
    raise SourceError(f"{raw}: no such file or folder, and not a Hub repository id (ORG/NAME)")
