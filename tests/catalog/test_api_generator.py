"""The API catalog is generated from the price-map snapshot: required ids, exact prices, tiers, regeneration."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from llmcalc_tui.catalog.loader import parse_file
from llmcalc_tui.catalog.price_map import (
    PriceMapError,
    build_entries,
    load_latency,
    load_selection,
    parse_price_map,
    per_million,
)
from llmcalc_tui.catalog.schema import ApiModelSpec

ROOT = Path(__file__).resolve().parents[2]
API_FILE = ROOT / "catalogs" / "api_models.toml"
SNAPSHOT = ROOT / "tests" / "data" / "model-prices-2026-07-24.subset.json"
"""The entries of the 2026-07-24 LiteLLM map the selection uses, copied verbatim."""

REQUIRED_NEW = """
gpt-5.2 gpt-5.4 gpt-5.4-mini gpt-5.4-nano gpt-5.5 claude-opus-4.7 claude-sonnet-5 claude-haiku-4.5 gemini-3-pro
gemini-3-flash gemini-3.1-pro gemini-3.5-flash grok-4 grok-4.1-fast grok-4.5 deepseek-v3.2 deepseek-v4-flash
deepseek-v4-pro kimi-k2.5 kimi-k2.6 glm-4.6 glm-5 glm-5.1 minimax-m2.5 minimax-m3 mistral-large-3 mistral-medium-3.5
""".split()
OPEN_HOSTED = ("llama-3.1-8b", "llama-3.3-70b", "llama-4-maverick", "qwen3-235b-a22b", "qwen3-32b", "deepseek-v3",
               "deepseek-r1", "gpt-oss-120b", "gpt-oss-20b")


@pytest.fixture(scope="module")
def api() -> dict[str, ApiModelSpec]:
    entries, problems = parse_file(API_FILE)
    assert problems == []
    return {m.id: m for m in entries["api_models"]}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def snapshot() -> dict[str, dict]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_required_current_ids_exist(api: dict[str, ApiModelSpec]) -> None:
    assert [i for i in REQUIRED_NEW if i not in api] == []
    served = {m.open_model for m in api.values() if m.open_model}
    assert set(OPEN_HOSTED) <= served


@pytest.mark.parametrize("model_id", REQUIRED_NEW)
def test_prices_match_the_snapshot_exactly(api: dict[str, ApiModelSpec], snapshot: dict, model_id: str) -> None:
    m = api[model_id]
    entry = snapshot[m.source_key]
    assert m.input_usd_per_1m == per_million(entry["input_cost_per_token"])
    assert m.output_usd_per_1m == per_million(entry["output_cost_per_token"])
    cached = entry.get("cache_read_input_token_cost", entry.get("input_cost_per_token_cache_hit"))
    assert m.cached_input_usd_per_1m == per_million(cached)
    assert m.batch_input_usd_per_1m == per_million(entry.get("input_cost_per_token_batches"))
    assert m.priority_output_usd_per_1m == per_million(entry.get("output_cost_per_token_priority"))
    assert m.context_length == int(entry["max_input_tokens"])
    assert m.as_of == dt.date(2026, 7, 24)
    assert m.reasoning == bool(entry.get("supports_reasoning", False))


@pytest.mark.parametrize(
    ("model_id", "inp", "out", "cached"),
    [  # hand-copied from shared/reference/api-pricing.md
        ("gpt-5.2", 1.75, 14, 0.175),
        ("gpt-5.4", 2.5, 15, 0.25),
        ("gpt-5.4-mini", 0.75, 4.5, 0.075),
        ("gpt-5.4-nano", 0.2, 1.25, 0.02),
        ("gpt-5.5", 5, 30, 0.5),
        ("claude-opus-4.7", 5, 25, 0.5),
        ("claude-sonnet-5", 2, 10, 0.2),
        ("claude-haiku-4.5", 1, 5, 0.1),
        ("gemini-3-pro", 2, 12, 0.2),
        ("gemini-3-flash", 0.5, 3, 0.05),
        ("gemini-3.5-flash", 1.5, 9, 0.15),
        ("deepseek-v4-flash", 0.14, 0.28, 0.0028),
        ("deepseek-v4-pro", 0.435, 0.87, 0.003625),
        ("mistral-large-3", 0.5, 1.5, None),
        ("mistral-medium-3.5", 1.5, 7.5, None),
        ("gemini-2.0-flash-lite", 0.075, 0.3, 0.01875),
    ],
)
def test_hand_checked_prices(api: dict[str, ApiModelSpec], model_id: str, inp: float, out: float, cached) -> None:
    m = api[model_id]
    assert (m.input_usd_per_1m, m.output_usd_per_1m, m.cached_input_usd_per_1m) == (inp, out, cached)


def test_tiers_of_gpt_5_4(api: dict[str, ApiModelSpec]) -> None:
    m = api["gpt-5.4"]
    assert (m.batch_input_usd_per_1m, m.batch_output_usd_per_1m) == (1.25, 7.5)
    assert (m.priority_input_usd_per_1m, m.priority_output_usd_per_1m, m.priority_cached_input_usd_per_1m) == (5, 30, 0.5)
    assert m.long_context_threshold == 272_000
    assert (m.long_context_input_usd_per_1m, m.long_context_output_usd_per_1m,
            m.long_context_cached_input_usd_per_1m) == (5, 22.5, 0.5)


def test_long_context_thresholds_follow_the_map(api: dict[str, ApiModelSpec]) -> None:
    assert api["gemini-3.1-pro"].long_context_threshold == 200_000
    assert api["gemini-3.1-pro"].long_context_output_usd_per_1m == 18
    assert api["grok-4.1-fast"].long_context_threshold == 128_000
    assert api["minimax-m3"].long_context_threshold == 512_000
    assert api["claude-sonnet-5"].long_context_threshold is None


def test_retired_by_deprecation_date_or_missing_key(api: dict[str, ApiModelSpec]) -> None:
    assert api["gemini-3-pro"].retired  # deprecation_date 2026-03-09 in the map
    assert api["gemini-3-pro"].deprecation_date == dt.date(2026, 3, 9)
    assert api["claude-3-opus"].retired  # 2026-05-01
    assert api["o1-mini"].retired and "e7f7c19" in api["o1-mini"].source  # no longer in the map: pinned
    for live in ("gpt-5.5", "claude-sonnet-5", "gemini-3.1-pro", "gpt-4o"):
        assert not api[live].retired, live


def test_old_ids_keep_working_with_both_key_names(api: dict[str, ApiModelSpec]) -> None:
    for model_id in ("gpt-4", "gpt-4o", "claude-3.5-sonnet", "together-llama-2-13b", "groq-llama-3.3-70b"):
        assert api[model_id].model_key == api[model_id].source_key != "", model_id


def test_latency_median_and_spread(api: dict[str, ApiModelSpec]) -> None:
    gpt4o = api["gpt-4o"]  # published 450/350/250 ms and 131/95 tok/s
    assert (gpt4o.ttft_ms, gpt4o.ttft_ms_low, gpt4o.ttft_ms_high) == (350, 250, 450)
    assert (gpt4o.output_tok_s, gpt4o.output_tok_s_low, gpt4o.output_tok_s_high) == (113, 95, 131)
    assert gpt4o.latency_as_of == dt.date(2026, 6, 24)
    assert api["claude-sonnet-5"].ttft_ms is None and api["claude-sonnet-5"].latency_source == ""
    assert api["gpt-4"].ttft_ms == 590 and api["gpt-4"].output_tok_s_low == 10.64


def test_generator_reproduces_the_committed_catalog(tmp_path: Path) -> None:
    out = tmp_path / "api_models.toml"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_api_catalog.py"), str(SNAPSHOT), "-o", str(out),
         "--known-keys", str(tmp_path / "keys.txt")],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == API_FILE.read_text(encoding="utf-8")


def test_missing_key_is_reported_not_invented(snapshot: dict) -> None:
    price_map = {k: v for k, v in snapshot.items() if k != "claude-sonnet-5"}
    result = build_entries(price_map, load_selection(), load_latency(), as_of=dt.date(2026, 7, 24), source="test")
    assert "claude-sonnet-5" in result.missing
    assert "claude-sonnet-5" not in {e["id"] for e in result.entries}


@pytest.mark.parametrize("raw", [b"", b"[1, 2]", b"{\"a\": 1}", b"{not json", b"{\"x\": {\"mode\": \"chat\"}}"])
def test_malformed_maps_are_refused(raw: bytes) -> None:
    with pytest.raises(PriceMapError):
        parse_price_map(raw)


def test_per_million_drops_binary_noise() -> None:
    assert per_million(1.75e-07) == 0.175
    assert per_million(3.625e-09) == 0.003625
    assert per_million("x") is None and per_million(-1) is None and per_million(float("nan")) is None


def test_readme_counts_are_true(api: dict[str, ApiModelSpec]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    speeds = sum(1 for m in api.values() if m.output_tok_s)
    ttfts = sum(1 for m in api.values() if m.ttft_ms)
    assert f"{len(api)} API endpoints" in readme
    assert f"{speeds} endpoints have a published output speed and {ttfts} a TTFT" in readme
