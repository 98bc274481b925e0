"""Every llama.cpp KV-cache type in the catalog estimates and launches under llama.cpp."""

from __future__ import annotations

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.launch import launch_for
from llmcalc_tui.core.scenario import Scenario

CATALOG = load_builtin()
GGUF_KV_TYPES = sorted(f.id for f in CATALOG.formats.values() if f.kind == "gguf" and f.kv_cache)


def _value(command: str, flag: str) -> str:
    words = command.split()
    return words[words.index(flag) + 1]


@pytest.mark.parametrize("kv_format", GGUF_KV_TYPES)
def test_llama_server_takes_every_gguf_kv_type(kv_format: str) -> None:
    scenario = Scenario(model="llama-3.1-8b", hardware="rtx-4090", engine="llama.cpp", weights="q4_k_m",
                        kv_cache=kv_format, input_tokens=1000, output_tokens=100)
    command = launch_for(scenario, CATALOG, "llama-server").command
    assert _value(command, "-ctk") == kv_format == _value(command, "-ctv")


def test_a_smaller_kv_type_never_takes_more_kv_memory() -> None:
    def kv_gib(kv_format: str) -> float:
        scenario = Scenario(model="llama-3.1-8b", hardware="rtx-4090", engine="llama.cpp", weights="q4_k_m",
                            kv_cache=kv_format, input_tokens=8000, output_tokens=100)
        return estimate(scenario, CATALOG).memory.kv_cache

    by_bits = sorted(GGUF_KV_TYPES, key=lambda f: CATALOG.formats[f].bits_per_weight)
    sizes = [kv_gib(f) for f in by_bits]
    assert sizes == sorted(sizes)
    # q5_1 stores 24 bytes per 32 values, q4_0 18: the cache scales by exactly that ratio
    assert kv_gib("q5_1") / kv_gib("q4_0") == pytest.approx(24 / 18)
