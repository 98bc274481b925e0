"""Shared fixtures: every test runs with its own config and data directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The suite must give the same verdict on every run, so property tests draw their examples from a
# seed fixed by the test's name. LLMCALC_HYPOTHESIS=explore searches with fresh random examples
# (and remembers failures in .hypothesis/) when hunting for new bugs.
settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("LLMCALC_HYPOTHESIS", "deterministic"))


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point LLMCALC_* and XDG_* at tmp_path so the developer's own files never leak in."""
    dirs = {
        "LLMCALC_DATA_DIR": tmp_path / "llmcalc-data",
        "LLMCALC_CONFIG_DIR": tmp_path / "llmcalc-config",
        "XDG_DATA_HOME": tmp_path / "xdg-data",
        "XDG_CONFIG_HOME": tmp_path / "xdg-config",
    }
    for name, path in dirs.items():
        monkeypatch.setenv(name, str(path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return dirs
