"""The headless CLI contract: JSON keys, tables, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from llmcalc_tui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_estimate_json_contract(capsys):
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data["model"]) >= {"id", "params_total", "params_active"}
    assert set(data["memory_gib"]) >= {"weights", "kv_cache", "activations", "overhead", "total", "per_gpu",
                                      "capacity_per_gpu", "kv_pool_per_gpu"}
    assert set(data["latency_ms"]) == {"ttft", "ttft_batch", "tpot", "end_to_end"}
    assert set(data["throughput_tok_s"]) == {"prefill", "decode_per_sequence", "decode_total", "output_total"}
    assert set(data["cost_usd"]) >= {"per_request", "per_1m_output_tokens", "per_hour", "per_month", "replicas",
                                     "basis", "basis_kind"}
    for key in ("fits", "batch", "max_batch", "max_context", "assumptions", "warnings", "bands"):
        assert key in data
    assert data["model"]["params_total"] == 8_030_261_248
    assert data["memory_gib"]["weights"] == pytest.approx(8_030_261_248 * 2 / 2**30, abs=1e-4)
    assert data["batch"] == 1 and data["fits"] is True
    assert data["bands"]["decode_tok_s"]["low"] < data["throughput_tok_s"]["decode_per_sequence"] < data["bands"]["decode_tok_s"]["high"]


def test_estimate_defaults_and_batch_max(capsys):
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-8b", "--batch", "max", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["input_tokens"] == 1000 and data["output_tokens"] == 200
    assert data["batch"] == min(data["max_batch"], 256)
    assert data["kv_cache"] == "fp16" and data["weights"] == "bf16" and data["gpus"] == 1 and data["tp"] == 1


def test_estimate_table(capsys):
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-70b", "--weights", "fp8", "--gpus", "2")
    assert code == 0
    assert "time to first token" in out and "Memory" in out and "per 1M output tokens" in out


def test_fit_rows(capsys):
    code, out, _ = run(capsys, "fit", "--model", "llama-3.1-70b", "--weights", "fp8", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) > 50
    for row in rows:
        assert set(row) >= {"hardware", "fits", "gpus_needed", "max_batch", "max_context", "decode_tok_s",
                            "usd_per_1m_output_tokens"}
    code, out, _ = run(capsys, "fit", "--model", "llama-3.1-70b", "--weights", "fp8")
    assert "h200" in out


def test_lists(capsys):
    for command in ("models", "hardware", "formats"):
        code, out, _ = run(capsys, command, "--json")
        assert code == 0
        assert all("id" in row for row in json.loads(out))
    code, out, _ = run(capsys, "models", "--search", "qwen3", "--json")
    ids = [r["id"] for r in json.loads(out)]
    assert "qwen3-8b" in ids and "llama-3.1-8b" not in ids


NUMERIC_FLAGS = ["--gpus", "--tp", "--pp", "--input-tokens", "--output-tokens", "--batch", "--electricity", "--pue",
                 "--utilisation", "--lifetime-years", "--gpu-hour-price", "--cached-input", "--requests-per-minute"]
BAD_NUMBERS = ["", "-1", "0", "1e30", "abc", "１２", "nan", "inf", "1.5.2"]


ZERO_OK = {"--electricity", "--gpu-hour-price", "--cached-input", "--requests-per-minute"}


@pytest.mark.parametrize(
    "flag, value",
    [(f, v) for f in NUMERIC_FLAGS for v in BAD_NUMBERS if not (v == "0" and f in ZERO_OK)],
)
def test_bad_numbers_exit_2_with_one_line(capsys, flag, value):
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", flag, value)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("llmcalc: error:")


def test_zero_is_valid_where_it_makes_sense(capsys):
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-8b", "--electricity", "0", "--cached-input", "0",
                       "--deployment", "local", "--json")
    assert code == 0 and json.loads(out)["cost_usd"]["per_hour"] > 0


@pytest.mark.parametrize("argv, needle", [
    (["estimate", "--model", "llama-3.1-8bb"], "did you mean"),
    (["estimate", "--model", "llama-3.1-8b", "--hardware", "h100"], "ambiguous: h100-nvl, h100-pcie, h100-sxm"),
    (["estimate", "--model", "llama-3.1-8b", "--hardware", "h100sxm"], "did you mean"),
    (["estimate", "--model", "llama-3.1-8b", "--gpus", "3", "--tp", "3"], "does not divide"),
    (["estimate", "--model", "llama-3.1-8b", "--input-tokens", "200000"], "context"),
    (["estimate", "--model", "llama-3.1-8b", "--weights", "ümlaut"], "not a catalog id"),
    (["estimate", "--model", ""], "must not be empty"),
    (["estimate"], "required"),
    (["frobnicate"], "invalid choice"),
    (["estimate", "--model", "llama-3.1-8b", "--kv-cache", "q4_k_m"], "cannot hold a KV cache"),
    (["estimate", "--model", "llama-3.1-8b", "--lifetime-years", "1e-300"], "at least 0.1"),
    (["estimate", "--model", "llama-3.1-8b", "--utilisation", "1e-300"], "at least 0.01"),
    (["estimate", "--model", "llama-3.1-8b", "--pue", "inf"], "must be a number"),
    (["estimate", "--model", "llama-3.1-8b", "--electricity", "nan"], "must be a number"),
    (["estimate", "--model", "llama\x1b[2J"], "not a catalog id"),
    (["scenarios", "save", "plan\x1b[2J", "--model", "llama-3.1-8b"], "U+001B"),
    (["scenarios", "save", "plan\u202eexe", "--model", "llama-3.1-8b"], "bidi"),
    (["scenarios", "show", "[/]\x1b[31m"], "no scenario named"),
    (["--theme", "[/]", "estimate", "--model", "llama-3.1-8b"], "only apply when opening the app"),
    (["--scenario", "x", "fit", "--model", "llama-3.1-8b"], "only apply when opening the app"),
])
def test_bad_input_is_one_line(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert needle in err
    assert "\x1b" not in err and "\u202e" not in err  # made visible, never sent to the terminal


def test_console_script_runs_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "llmcalc_tui", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("llmcalc ")
    proc = subprocess.run([sys.executable, "-m", "llmcalc_tui", "estimate", "--model", "nope"], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_locate_honours_overrides(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LLMCALC_DATA_DIR", str(tmp_path / "d"))
    code, out, _ = run(capsys, "locate", "scenarios")
    assert code == 0 and out.strip() == str(tmp_path / "d" / "scenarios")


def test_scenario_save_from_base_needs_no_model(capsys):
    assert run(capsys, "scenarios", "save", "base", "--model", "llama-3.1-8b")[0] == 0
    assert run(capsys, "scenarios", "save", "two gpus", "--from", "base", "--gpus", "2")[0] == 0
    code, out, _ = run(capsys, "scenarios", "show", "two gpus", "--json")
    data = json.loads(out)
    assert code == 0 and data["inputs"]["model"] == "llama-3.1-8b" and data["gpus"] == 2
    code, _, err = run(capsys, "scenarios", "save", "nothing")
    assert code == 2 and "--model is required" in err
