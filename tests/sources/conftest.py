"""Fixtures for the model sources: a fake Hub on 127.0.0.1, checkpoint and GGUF writers, a clean cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .fake_hub import FakeHub, HubServer

@pytest.fixture(autouse=True)
def fresh_source_cache() -> Iterator[None]:
    """Each test resolves its sources anew (the resolver caches per process)."""
    from llmcalc_tui.sources import resolve

    resolve._cache.clear()
    yield
    resolve._cache.clear()


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A fake Hub that HF_ENDPOINT points at; its own HF_HOME, online, no token, no telemetry."""
    import huggingface_hub.constants

    fake = FakeHub()
    with HubServer(fake) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
        monkeypatch.setenv("HF_HUB_OFFLINE", "0")
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        monkeypatch.delenv("HF_HUB_CACHE", raising=False)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
        # The library reads HF_HUB_OFFLINE once at import; the developer's shell must not decide the test.
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
        yield fake


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Detection finds nothing, whatever the machine running the tests has."""
    from llmcalc_tui.sources import machine

    machine.detect.cache_clear()
    monkeypatch.setattr(machine, "_nvidia", lambda: ())
    monkeypatch.setattr(machine, "_apple", lambda: ())
    yield
    machine.detect.cache_clear()


os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
