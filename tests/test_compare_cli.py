"""`llmcalc compare`: self-hosted setups and API endpoints side by side on one workload."""

from __future__ import annotations

import json

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.cli import main
from llmcalc_tui.core.compare import break_even_rpm, capacity_rpm, parse_setup
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.scenario import Scenario, ScenarioError

CATALOG = load_builtin()
CLASSIC = ["llama-2-7b@rtx-4090", "llama-2-13b@a100-40gb-sxm", "gpt-4"]


def run_json(capsys, *argv: str) -> dict:
    assert main(["compare", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_classic_three_way_table(capsys) -> None:
    assert main(["compare", *CLASSIC]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("setup"))
    for column in ("TTFT", "TPOT", "end to end", "$/request", "$/1M out", "$/month", "self-host < gpt-4"):
        assert column in header
    gpt4 = next(line for line in lines if line.startswith("gpt-4 "))
    assert "630 ms" in gpt4  # 590 ms published TTFT + 40 ms network round trip
    assert "$0.04" in gpt4  # (1000 x $30 + 200 x $60) / 1M = $0.042
    assert "-" not in gpt4.split()[1:4]  # the API side has latency now
    for setup in CLASSIC[:2]:
        assert any(line.startswith(setup) for line in lines)


def test_classic_json_matches_single_estimates(capsys) -> None:
    data = run_json(capsys, *CLASSIC)
    rows = {r["setup"]: r for r in data["setups"]}
    assert [r["kind"] for r in data["setups"]] == ["self-hosted", "self-hosted", "api"]
    gpt4 = rows["gpt-4"]
    assert gpt4["latency_ms"]["ttft"] == pytest.approx(630)
    assert gpt4["latency_ms"]["tpot"] == pytest.approx(1000 / 14.92, abs=1e-3)
    assert gpt4["cost_usd"]["per_request"] == pytest.approx(0.042)
    own = estimate(Scenario(model="llama-2-7b", hardware="rtx-4090"), CATALOG)
    small = rows["llama-2-7b@rtx-4090"]
    assert small["latency_ms"]["tpot"] == pytest.approx(own.timing.tpot_ms, abs=1e-3)
    assert small["cost_usd"]["per_request"] == pytest.approx(own.cost.per_request, abs=1e-8)
    expected = own.cost.per_hour / (0.042 * 60)
    assert small["cheaper_than_api_above_requests_per_minute"]["gpt-4"] == pytest.approx(expected, rel=1e-4)
    assert expected < small["capacity_requests_per_minute"]


def test_shared_workload_flags_apply_to_every_setup(capsys) -> None:
    data = run_json(capsys, *CLASSIC, "--input-tokens", "500", "--output-tokens", "50", "--requests-per-minute", "2")
    assert data["workload"] == {"input_tokens": 500, "output_tokens": 50, "requests_per_minute": 2.0}
    gpt4 = data["setups"][2]
    assert gpt4["cost_usd"]["per_request"] == pytest.approx((500 * 30 + 50 * 60) / 1e6)
    assert gpt4["cost_usd"]["per_month"] == pytest.approx((500 * 30 + 50 * 60) / 1e6 * 2 * 60 * 730, abs=0.01)  # a month is 730 h, as for self-hosting


def test_any_number_of_setups_and_reasoning(capsys) -> None:
    data = run_json(capsys, "gpt-4o", "claude-sonnet-5", "o3", "groq-llama-3.3-70b", "--reasoning", "low")
    assert [r["reasoning_tokens"] for r in data["setups"]] == [0, 1024, 1024, 0]


def test_setup_syntax() -> None:
    s = parse_setup("llama-2-13b@a100-40gb-sxm:int8", CATALOG)
    assert (s.model, s.hardware, s.weights, s.gpus) == ("llama-2-13b", "a100-40gb-sxm", "int8", None)
    s = parse_setup("Llama-3.1-70B@2xh100-sxm", CATALOG)
    assert (s.model, s.hardware, s.gpus) == ("llama-3.1-70b", "h100-sxm", 2)
    assert parse_setup("gpt-4", CATALOG).hardware is None
    for bad in ("gpt-4@rtx-4090", "llama-2-7b@nope", "llama-2-7b@rtx-4090:nope", "no-such-model", "a@b@c"):
        with pytest.raises(ScenarioError):
            parse_setup(bad, CATALOG)


@pytest.mark.parametrize("argv", [["gpt-4"], ["gpt-4", "llama-2-7b@nope"], ["gpt-4", "llama-2-7b@rtx-4090", "--output-tokens", "0"]])
def test_bad_setups_are_one_line(capsys, argv: list[str]) -> None:
    assert main(["compare", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("llmcalc: error:") and err.count("\n") == 1


def test_break_even_is_none_when_the_api_stays_cheaper() -> None:
    own = estimate(Scenario(model="llama-2-7b", hardware="h100-sxm"), CATALOG)
    cheap = estimate(Scenario(model="deepinfra-llama-3.1-8b-turbo"), CATALOG)
    rpm = own.cost.per_hour / (cheap.cost.per_request * 60)
    assert rpm > capacity_rpm(own)
    assert break_even_rpm(own, cheap) is None
