"""Bytes per stored dtype from safetensors headers (8-byte little-endian length, then a JSON header).

Only the header is read, never the tensor data, so a 100 GB checkpoint costs a few KB of I/O.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path

from llmcalc_tui.sources import SourceError

MAX_HEADER_BYTES = 100_000_000
"""The safetensors format caps its header at 100 MB; a bigger length means a corrupt file."""


def read_header(path: Path) -> dict[str, object]:
    """The JSON header of one safetensors file."""
    try:
        with path.open("rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise SourceError(f"{path}: not a safetensors file (shorter than its 8-byte header length)")
            (length,) = struct.unpack("<Q", prefix)
            if not 2 <= length <= MAX_HEADER_BYTES:
                raise SourceError(f"{path}: not a safetensors file (header length {length:,})")
            raw = handle.read(length)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) < length:
        raise SourceError(f"{path}: truncated safetensors header")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: safetensors header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise SourceError(f"{path}: safetensors header is not a JSON object")
    return header


def bytes_by_dtype(tensors: Iterable[tuple[str, Mapping[str, object] | object]]) -> dict[str, int]:
    """Sum the stored bytes of each dtype over (name, tensor info) pairs.

    A tensor info is a header dict entry ({"dtype", "shape", "data_offsets"}) or an object with those
    attributes (huggingface_hub's TensorInfo).
    """
    totals: dict[str, int] = {}
    for name, info in tensors:
        if name == "__metadata__":
            continue
        if isinstance(info, Mapping):
            dtype, offsets = info.get("dtype"), info.get("data_offsets")
        else:
            dtype, offsets = getattr(info, "dtype", None), getattr(info, "data_offsets", None)
        if not isinstance(dtype, str) or not isinstance(offsets, (list, tuple)) or len(offsets) != 2:
            raise SourceError(f"tensor {name!r}: header entry without dtype and data_offsets")
        start, end = offsets
        if not (isinstance(start, int) and isinstance(end, int)) or end < start:
            raise SourceError(f"tensor {name!r}: bad data_offsets {list(offsets)}")
        totals[dtype.upper()] = totals.get(dtype.upper(), 0) + end - start
    return totals


def merge(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Add up per-dtype byte counts of several files."""
    totals: dict[str, int] = {}
    for part in parts:
        for dtype, size in part.items():
            totals[dtype] = totals.get(dtype, 0) + size
    return totals


def folder_checkpoint_bytes(folder: Path) -> dict[str, int] | None:
    """Bytes per dtype of the safetensors checkpoint in a folder, or None when it has none.

    With a model.safetensors.index.json only the shards it names count (some repositories also ship a
    consolidated copy of the same weights, which must not be counted twice).
    """
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
            raise SourceError(f"{index}: cannot read the shard index ({exc})") from None
        files = [folder / name for name in sorted(set(weight_map.values()))]
        missing = [f.name for f in files if not f.is_file()]
        if len(missing) == len(files):
            return None  # config and index only: the weights were not downloaded
        if missing:
            raise SourceError(f"{index}: names {missing[0]}, which is not in the folder (partial download?)")
    else:
        files = sorted(folder.glob("*.safetensors"))
    if not files:
        return None
    return merge(bytes_by_dtype(read_header(f).items()) for f in files)
