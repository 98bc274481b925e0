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


@pytest.fixture
def no_hang():
    """Fail a test (instead of hanging the suite) when a blocking read does not return within 20 s.

    SIGALRM interrupts even a read that blocks forever, such as opening a FIFO nobody writes to.
    """
    import signal

    if not hasattr(signal, "setitimer"):
        yield
        return

    class Hung(BaseException):
        """Not an OSError (TimeoutError is one): the code under test must not be able to swallow it."""

    def expired(signum, frame):
        raise Hung("blocked for 20 s: something read a FIFO or device")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, 20)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
