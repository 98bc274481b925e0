"""`llmcalc plan` and `llmcalc estimate --emit`: JSON contract, text output, one-line errors."""

from __future__ import annotations

import json
import shlex

import pytest

from llmcalc_tui.cli import main

OPTION_KEYS = {
    "hardware", "gpus_per_replica", "tp", "pp", "ep", "replicas", "total_gpus", "nodes", "max_batch_per_replica",
    "ttft_ms", "tpot_ms", "ttft_p50_ms", "ttft_p99_ms", "tpot_p50_ms", "tpot_p99_ms", "meets_slo", "utilisation",
    "usd_per_month_cloud", "usd_per_month_owned", "launch",
}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_json_contract(capsys):
    code, out, err = run(capsys, "plan", "--model", "llama-3.1-8b", "--rps", "12", "--input-tokens", "800",
                         "--output-tokens", "150", "--ttft-slo-ms", "300", "--tpot-slo-ms", "40", "--percentile", "90",
                         "--hardware", "h100-sxm", "a100-80gb-sxm", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["options"] and data["api_alternatives"]
    for option in data["options"]:
        assert set(option) >= OPTION_KEYS
        assert option["hardware"] in ("h100-sxm", "a100-80gb-sxm")
        if option["meets_slo"]:
            assert option["ttft_ms"] <= 300 and option["tpot_ms"] <= 40
        assert option["launch"]["command"].startswith("vllm serve ")
    for alt in data["api_alternatives"]:
        assert set(alt) >= {"model", "usd_per_month", "ttft_ms"}
    assert data["percentile"] == 90


def test_plan_text_names_the_best_layout_and_its_command(capsys):
    code, out, err = run(capsys, "plan", "--model", "llama-3.1-8b", "--rps", "3", "--input-tokens", "500",
                         "--output-tokens", "100", "--hardware", "l40s")
    assert code == 0 and err == ""
    assert "l40s" in out and "vllm serve" in out and "API alternatives" in out


@pytest.mark.parametrize("argv", [
    ("plan", "--model", "llama-3.1-8b", "--rps", "0", "--input-tokens", "10", "--output-tokens", "10"),
    ("plan", "--model", "llama-3.1-8b", "--rps", "abc", "--input-tokens", "10", "--output-tokens", "10"),
    ("plan", "--model", "llama-3.1-8b", "--rps", "1", "--input-tokens", "10", "--output-tokens", "10", "--percentile", "75"),
    ("plan", "--model", "llama-3.1-8b", "--rps", "1", "--input-tokens", "10", "--output-tokens", "10", "--hardware", "h100-sxn"),
    ("plan", "--model", "gpt-4o", "--rps", "1", "--input-tokens", "10", "--output-tokens", "10"),
    ("plan", "--model", "nope", "--rps", "1", "--input-tokens", "10", "--output-tokens", "10"),
    ("plan", "--model", "llama-3.1-8b", "--rps", "1", "--input-tokens", "10"),
    ("estimate", "--model", "llama-3.1-8b", "--emit", "vllm", "--kv-cache", "q8_0"),
    ("estimate", "--model", "llama-3.1-8b", "--emit", "vllm", "--engine", "sglang"),
    ("estimate", "--model", "llama-3.1-8b", "--emit", "tgi"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("llmcalc: error: ")


def test_estimate_emit_prints_the_command_of_the_estimated_setup(capsys):
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", "--batch", "max", "--input-tokens", "2000",
                         "--output-tokens", "500", "--emit", "vllm", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    words = shlex.split(data["launch"]["command"])
    assert words[words.index("--max-num-seqs") + 1] == str(data["batch"])
    assert words[words.index("--max-model-len") + 1] == "2500"
    assert data["engine"] == "vllm"
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", "--emit", "sglang", "--batch", "4")
    assert code == 0 and out.startswith("python -m sglang.launch_server ")
    assert "--max-running-requests 4" in out


def test_estimate_emit_switches_the_engine_it_estimates(capsys):
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "rtx-4090", "--emit",
                       "llama-server", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["engine"] == "llama.cpp"
    assert data["launch"]["command"].startswith("llama-server ")


def test_plan_reads_request_lengths_from_a_file(capsys, tmp_path):
    lengths = tmp_path / "traffic.txt"
    lengths.write_text("# prompt output\n800 100\n1200 300\n")
    code, out, err = run(capsys, "plan", "--model", "llama-3.1-8b", "--rps", "5", "--lengths", str(lengths),
                         "--hardware", "h100-sxm", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert (data["input_tokens"], data["output_tokens"]) == (1000, 200)
    words = shlex.split(data["options"][0]["launch"]["command"])
    assert words[words.index("--max-model-len") + 1] == "1500"  # the longest request: 1,200 + 300
    lengths.write_text("800 100\nmany\n")
    code, out, err = run(capsys, "plan", "--model", "llama-3.1-8b", "--rps", "5", "--lengths", str(lengths))
    assert code == 2 and "traffic.txt:2" in err and err.count("\n") == 1


def test_plan_disaggregated_and_hybrid_in_json_and_text(capsys):
    argv = ("plan", "--model", "llama-3.1-8b", "--rps", "4", "--input-tokens", "2000", "--output-tokens", "200",
            "--ttft-slo-ms", "800", "--tpot-slo-ms", "40", "--hardware", "h100-sxm", "--disaggregated",
            "--hybrid-local-share", "0.5")
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    [pools] = data["disaggregated"]
    assert pools["hardware"] == "h100-sxm" and pools["prefill"]["replicas"] >= 1 and pools["decode"]["replicas"] >= 1
    assert data["hybrid"]["local_share"] == 0.5
    assert all("break_even_rps" in a for a in data["api_alternatives"])
    code, out, err = run(capsys, *argv)
    assert code == 0 and "disaggregated prefill and decode" in out and "hybrid: 50%" in out


def test_plan_without_disaggregated_has_an_empty_list(capsys):
    code, out, _err = run(capsys, "plan", "--model", "llama-3.1-8b", "--rps", "1", "--input-tokens", "100",
                          "--output-tokens", "10", "--hardware", "h100-sxm", "--json")
    assert code == 0 and json.loads(out)["disaggregated"] == []
