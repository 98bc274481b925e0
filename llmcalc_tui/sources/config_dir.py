"""A model from disk: a config.json, or a folder holding one and perhaps its safetensors weights."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmcalc_tui.sources import SourceError
from llmcalc_tui.sources.safetensors_header import folder_checkpoint_bytes


@dataclass(frozen=True)
class RawModel:
    """What a source yields before conversion: an HF-style config and the bytes stored per dtype."""

    config: dict[str, Any]
    checkpoint_bytes: dict[str, int] | None
    name: str | None = None
    hf_repo: str | None = None
    notes: str = ""
    native_format: str | None = None
    """Weight format id the file states (a GGUF file type such as q4_k_m); None: the config's dtype decides."""


def read_json_config(path: Path) -> dict[str, Any]:
    """Parse a config.json; broken JSON is reported with the path and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise SourceError(f"{path}:1: a config.json must hold a JSON object")
    return data


def read_config_source(location: str | Path) -> RawModel:
    """The config (and, in a folder, the safetensors header bytes) a local path names."""
    path = Path(location)
    if path.is_dir():
        config_path = path / "config.json"
        if not config_path.is_file():
            raise SourceError(f"{path}: no config.json in this folder")
    else:
        config_path = path
    config = read_json_config(config_path)
    folder = config_path.parent
    checkpoint = folder_checkpoint_bytes(folder) if path.is_dir() or config_path.name == "config.json" else None
    return RawModel(config, checkpoint, name=folder.name if config_path.name == "config.json" else path.stem)
