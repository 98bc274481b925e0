"""CLI faces of the issue 14 levers: estimate flags, quants, models --fits, and one-line errors."""

from __future__ import annotations

import json

import pytest

from llmcalc_tui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_70b_on_a_4090_with_64_gib_of_ram(capsys):
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-70b", "--weights", "q4_k_m", "--hardware",
                         "rtx-4090", "--ram-gib", "64", "--gpu-layers", "auto", "--json")
    assert code == 0, err
    data = json.loads(out)
    off = data["offload"]
    assert set(off) >= {"gpu_layers", "cpu_layers", "vram_gib", "ram_gib"}
    assert off["gpu_layers"] + off["cpu_layers"] == 80 and data["fits"] is True
    assert 2 <= data["throughput_tok_s"]["decode_per_sequence"] <= 4
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-70b", "--weights", "q4_k_m", "--hardware",
                       "rtx-4090", "--ram-gib", "64", "--gpu-layers", "auto")
    assert code == 0 and f"offload: {off['gpu_layers']} of 80 layers on the GPU" in out


def test_speculative_json_and_before_after_line(capsys):
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "rtx-4090",
                         "--draft-model", "llama-3.2-1b", "--draft-tokens", "4", "--acceptance", "0.7", "--json")
    assert code == 0, err
    spec = json.loads(out)["speculative"]
    assert spec["tokens_per_step"] == pytest.approx((1 - 0.7**5) / 0.3, abs=1e-4)
    assert set(spec) >= {"tokens_per_step", "draft_gib", "speedup"}
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "rtx-4090",
                       "--draft-model", "llama-3.2-1b", "--draft-tokens", "4", "--acceptance", "0.7")
    assert "with a Llama 3.2 1B draft, k = 4, acceptance 0.7" in out and "TPOT" in out and "->" in out


def test_cached_prefix_and_cached_input_are_one_lever(capsys):
    args = ("estimate", "--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--input-tokens", "4000", "--json")
    _, by_share, _ = run(capsys, *args, "--cached-prefix", "0.5")
    _, by_alias, _ = run(capsys, *args, "--cached-input", "0.5")
    _, by_tokens, _ = run(capsys, *args, "--cached-prefix", "2000")
    a, b, c = (json.loads(x) for x in (by_share, by_alias, by_tokens))
    assert a["latency_ms"]["ttft"] == b["latency_ms"]["ttft"] == c["latency_ms"]["ttft"]
    assert a["prefix_cache"]["cached_tokens"] == 2000
    code, _, err = run(capsys, *args, "--cached-prefix", "0.5", "--cached-input", "0.5")
    assert code == 2 and "same lever" in err


def test_api_prices_a_cached_prefix_given_in_tokens(capsys):
    _, out, _ = run(capsys, "estimate", "--model", "gpt-4o", "--input-tokens", "1000", "--cached-prefix", "500", "--json")
    _, out2, _ = run(capsys, "estimate", "--model", "gpt-4o", "--input-tokens", "1000", "--cached-input", "0.5", "--json")
    assert json.loads(out)["cost_usd"]["per_request"] == json.loads(out2)["cost_usd"]["per_request"]


@pytest.mark.parametrize("argv, words", [
    (("--gpu-layers", "81", "--model", "llama-3.1-70b", "--hardware", "rtx-4090"), "exceeds the 80 layers"),
    (("--gpu-layers", "lots"), "--gpu-layers"),
    (("--acceptance", "1.5", "--eagle"), "--acceptance"),
    (("--draft-model", "gpt-4o"), "hosted API"),
    (("--mtp",), "no multi-token-prediction"),
    (("--eagle", "--mtp"), "one way to draft"),
    (("--cached-prefix", "2000", "--input-tokens", "1000"), "exceeds"),
    (("--cached-prefix", "1.5"), "cached"),
    (("--gpu-layers", "10", "--hardware", "m3-max"), "nothing to offload"),
    (("--ram-gib", "0", "--gpu-layers", "auto"), "--ram-gib"),
])
def test_bad_lever_input_is_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err


def test_a_draft_with_another_vocabulary_warns(capsys):
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-8b", "--draft-model", "qwen3-0.6b")
    assert code == 0 and "warning: draft qwen3-0.6b has a 151,936-token vocabulary" in out


def test_quants_json_recommends_the_best_quality_above_the_floor(capsys):
    code, out, err = run(capsys, "quants", "--model", "llama-3.1-70b", "--hardware", "rtx-4090", "--ram-gib", "64",
                         "--min-tok-s", "3", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert set(rows[0]) >= {"format", "fits", "placement", "weights_gib", "decode_tok_s", "prefill_tok_s",
                            "max_context", "quality", "recommended"}
    assert rows[0]["recommended"] and sum(r["recommended"] for r in rows) == 1
    best = rows[0]
    assert best["decode_tok_s"] >= 3 and best["placement"] == "offload"
    assert all(r["format"] not in ("fp8", "awq-int4", "mlx-4bit") for r in rows)  # llama.cpp loads GGUF files
    # Every fitting format of better published quality is slower than the floor.
    better = [r for r in rows[1:] if r["quality"] and r["fits"] and r["weights_gib"] > best["weights_gib"]]
    assert better and all(r["decode_tok_s"] < 3 for r in better)


def test_quants_on_a_datacenter_gpu_lists_vllm_formats(capsys):
    code, out, _ = run(capsys, "quants", "--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["format"] == "bf16" and rows[0]["placement"] == "gpu"
    assert not any(r["format"].startswith(("q4_", "iq")) for r in rows)


def test_models_fits_lists_runnable_models_fast(capsys):
    code, out, err = run(capsys, "models", "--fits", "rtx-4090", "--ram-gib", "64", "--sort", "speed", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and set(rows[0]) >= {"id", "format", "placement", "decode_tok_s"}
    speeds = [r["decode_tok_s"] for r in rows]
    assert speeds == sorted(speeds, reverse=True)
    ids = {r["id"] for r in rows}
    assert "llama-3.1-8b" in ids and "llama-3.1-70b" in ids
    code, out, _ = run(capsys, "models", "--fits", "rtx-4090")
    assert code == 0 and "models run on rtx-4090" in out


def test_fit_with_offload_says_how_many_layers_and_how_fast(capsys):
    code, out, err = run(capsys, "fit", "--model", "llama-3.1-70b", "--weights", "q4_k_m", "--offload", "--json")
    assert code == 0, err
    rows = {r["hardware"]: r for r in json.loads(out)}
    row = rows["rtx-4090"]
    assert row["fits"] and row["placement"] == "offload" and 30 <= row["gpu_layers"] < 80
    assert 2 <= row["decode_tok_s"] <= 4 and row["gpus_needed"] == 1
    assert rows["h100-sxm"]["placement"] == "gpu"  # vLLM does not offload; one H100 holds it anyway
    code, out, _ = run(capsys, "fit", "--model", "llama-3.1-70b", "--weights", "q4_k_m", "--kind", "consumer")
    assert "offload" not in out  # without --offload the grid is as before
    code, out, _ = run(capsys, "fit", "--model", "llama-3.1-70b", "--weights", "q4_k_m", "--kind", "consumer", "--offload")
    assert f"offload {row['gpu_layers']}/80" in out


def test_plan_takes_the_speculative_and_prefix_levers(capsys):
    args = ("plan", "--model", "llama-3.1-8b", "--rps", "5", "--input-tokens", "4000", "--output-tokens", "200",
            "--hardware", "h100-sxm", "--json")
    _, plain, _ = run(capsys, *args)
    _, cached, _ = run(capsys, *args, "--cached-prefix", "0.75")
    _, drafted, _ = run(capsys, *args, "--eagle")
    p, c, d = (json.loads(x)["options"][0] for x in (plain, cached, drafted))
    assert c["ttft_ms"] < p["ttft_ms"] and d["tpot_ms"] < p["tpot_ms"]
    code, _, err = run(capsys, *args, "--gpu-layers", "10")
    assert code == 2 and "estimate and fit" in err


def test_emit_llama_server_carries_the_offload(capsys):
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-70b", "--weights", "q4_k_m", "--hardware", "rtx-4090",
                       "--gpu-layers", "auto", "--emit", "llama-server", "--json")
    data = json.loads(out)
    assert code == 0 and f"-ngl {data['offload']['gpu_layers']} " in data["launch"]["command"]
    code, out, _ = run(capsys, "estimate", "--model", "qwen3-30b-a3b", "--weights", "q4_k_m", "--hardware", "rtx-4090",
                       "--n-cpu-moe", "20", "--no-kv-offload", "--emit", "llama-server")
    assert code == 0 and "--n-cpu-moe 20 -nkvo" in out
