"""The user's own measurements (written by `llmcalc verify`): where they live, this machine's name,
reading them, and appending to them atomically without ever clobbering a file that does not parse."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import tomli_w

from llmcalc_tui.paths import data_dir

try:  # compiled tomli is faster than the standard library's tomllib
    import tomli as tomllib
except ImportError:  # pragma: no cover
    import tomllib  # type: ignore[no-redef]

USER_PREFIX = "user:"
"""Ids of the user's points start with this, so every table tells them from the published ones."""


class UserCalibrationError(ValueError):
    """The user's calibration file exists but cannot be read: reported with path and line, left alone."""


def calibration_path() -> Path:
    return data_dir() / "calibration.toml"


def hostname() -> str:
    return socket.gethostname() or "unknown"


def detect_gpu() -> str | None:
    """The first GPU's name from nvidia-smi or rocm-smi, when one is on PATH (None otherwise)."""
    for command in (["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], ["rocm-smi", "--showproductname"]):
        if shutil.which(command[0]) is None:
            continue
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        if lines:
            return lines[0][:120]
    return None


def read_points(path: Path | None = None) -> list[dict]:
    """The [[point]] tables of the user's file ([] when there is none)."""
    path = path or calibration_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise UserCalibrationError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserCalibrationError(f"{path}: {exc}") from None
    points = data.get("point", [])
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        raise UserCalibrationError(f"{path}: 'point' must be an array of tables")
    return points


def append_points(new: list[dict], path: Path | None = None) -> Path:
    """Append points to the user's file: checked first, written to a temporary file, then renamed.

    The existing text (comments included) is kept byte for byte; a file that does not parse is
    reported and left untouched.
    """
    path = path or calibration_path()
    existing = read_points(path)  # raises on a broken file before anything is written
    try:
        old_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old_text = "# Your own measurements, appended by `llmcalc verify`; `llmcalc validate` includes them.\n"
    taken = {p.get("id") for p in existing}
    for point in new:
        base, n = point["id"], 2
        while point["id"] in taken:
            point["id"] = f"{base}-{n}"
            n += 1
        taken.add(point["id"])
    text = old_text.rstrip("\n") + "\n\n" + tomli_w.dumps({"point": new})
    tomllib.loads(text)  # never write what would not read back
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".calibration-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
