"""Issue 14 levers in the estimate: offload to system RAM, speculative decoding, a cached prefix."""

from __future__ import annotations

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core import lever_timing, offload
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.levers import prefill_flops_share
from llmcalc_tui.core.scenario import Scenario, ScenarioError

CATALOG = load_builtin()
M8 = CATALOG.models["llama-3.1-8b"]
M70 = CATALOG.models["llama-3.1-70b"]
FP16 = CATALOG.formats["fp16"]
Q4KM = CATALOG.formats["q4_k_m"]
LLAMA_CPP = CATALOG.engines["llama.cpp"]
RTX4090 = CATALOG.hardware["rtx-4090"]

# Llama 3.1 8B by hand: q, o 4096x4096; k, v 4096x1024; gate, up, down 4096x14336; two norms of 4096.
LAYER_PARAMS = 2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336 + 2 * 4096
HEAD = 128_256 * 4096 * 2  # output matrix, 16 bits
EMBEDDING = HEAD  # untied: a second matrix of the same shape
LAYER_FP16 = LAYER_PARAMS * 2 + 4096 * 2 / 32  # the final norm's 4096 weights shared out over the 32 layers
KV_PER_TOKEN = 32 * 2 * 8 * 128 * 2  # layers x (K, V) x KV heads x head_dim x 2 bytes = 131,072


def test_layer_split_sizes_by_hand():
    p = offload.place(M8, FP16, FP16, LLAMA_CPP, 1200, gpu_layers=20)
    assert p.gpu_layers == 20 and p.cpu_layers == 12
    assert p.vram_weights == pytest.approx(20 * LAYER_FP16, rel=1e-12)
    # The first 12 layers, the output matrix (it joins the GPU only with every layer) and the embedding in RAM.
    assert p.ram_weights == pytest.approx(12 * LAYER_FP16 + HEAD + EMBEDDING, rel=1e-12)
    assert p.kv_gpu_per_sequence == pytest.approx(KV_PER_TOKEN * 1200 * 20 / 32)
    assert p.kv_ram_per_sequence == pytest.approx(KV_PER_TOKEN * 1200 * 12 / 32)
    assert p.crossings == 2
    whole = offload.place(M8, FP16, FP16, LLAMA_CPP, 1200, gpu_layers=32)
    assert whole.ram_weights == 0 and whole.crossings == 0
    assert whole.vram_weights == pytest.approx(32 * LAYER_FP16 + HEAD + EMBEDDING, rel=1e-12)


def test_no_kv_offload_keeps_the_cache_in_ram():
    p = offload.place(M8, FP16, FP16, LLAMA_CPP, 1000, gpu_layers=32, kv_on_gpu=False)
    assert p.kv_gpu_per_sequence == 0 and p.kv_ram_per_sequence == KV_PER_TOKEN * 1000


def test_speed_of_a_model_all_in_ram_by_hand():
    host = offload.Host(ram_bytes=64 * 2**30, ram_bandwidth=50e9, ram_peak_gb_s=50, cpu_flops=1e12, pcie=25e9,
                        described="test host")
    p = offload.place(M8, FP16, FP16, LLAMA_CPP, 1200, gpu_layers=0)
    seconds = offload.decode_step_s(p, M8, FP16, FP16, LLAMA_CPP, RTX4090, host, 1, 1000)
    read = 32 * LAYER_FP16 + HEAD + KV_PER_TOKEN * 1000  # every layer, the output matrix and the KV at 1,000 tokens
    assert seconds == pytest.approx(read / 50e9, rel=1e-9)  # memory-bound: 16 GFLOP at 1 TFLOPS is 16 ms


def test_speed_of_a_split_model_adds_both_sides_and_the_handoffs():
    host = offload.Host(64 * 2**30, 50e9, 50, 1e12, 25e9, "test host")
    p = offload.place(M8, FP16, FP16, LLAMA_CPP, 1200, gpu_layers=16)
    whole = lever_timing.decode_step_s(M8, FP16, FP16, LLAMA_CPP, RTX4090, 1, 1000)
    kv = KV_PER_TOKEN * 1000
    gpu_bytes, cpu_bytes = 16 * LAYER_FP16, 16 * LAYER_FP16 + HEAD
    gpu = whole * (gpu_bytes + kv / 2) / (gpu_bytes + cpu_bytes + kv)
    cpu = (cpu_bytes + kv / 2) / 50e9
    handoffs = 2 * (10e-6 + 4096 * 4 / 25e9)  # two crossings, fp32 hidden state, llama.cpp's 10 us latency
    seconds = offload.decode_step_s(p, M8, FP16, FP16, LLAMA_CPP, RTX4090, host, 1, 1000)
    assert seconds == pytest.approx(gpu + cpu + handoffs, rel=1e-9)


def test_more_layers_on_the_gpu_never_slow_decode():
    host = offload.host_for(RTX4090, CATALOG, 64)
    for model, fmt in ((M70, Q4KM), (M8, FP16)):
        times = [offload.decode_step_s(offload.place(model, fmt, FP16, LLAMA_CPP, 1200, n), model, fmt, FP16,
                                       LLAMA_CPP, RTX4090, host, 1, 1100) for n in range(model.num_layers + 1)]
        assert all(b <= a for a, b in zip(times, times[1:])), model.id


def test_70b_on_a_24gb_card_with_64gb_ram_is_a_number():
    est = estimate(Scenario(model="llama-3.1-70b", weights="q4_k_m", hardware="rtx-4090", ram_gib=64,
                            gpu_layers="auto"), CATALOG)
    assert est.fits
    assert est.offload["gpu_layers"] + est.offload["cpu_layers"] == 80
    assert 30 <= est.offload["gpu_layers"] < 80
    assert est.offload["vram_gib"] <= 24
    # Published reports: about 2 to 4 tok/s for 70B Q4 with half the layers on a 24 GB GPU and dual-channel DDR5.
    assert 2 <= est.timing.decode_tok_s_per_sequence <= 4
    plain = estimate(Scenario(model="llama-3.1-70b", weights="q4_k_m", hardware="rtx-4090"), CATALOG)
    assert not plain.fits


def test_offload_does_not_fit_when_ram_is_too_small():
    est = estimate(Scenario(model="llama-3.1-70b", weights="q4_k_m", hardware="rtx-4090", ram_gib=8,
                            gpu_layers="auto"), CATALOG)
    assert not est.fits and est.timing.tpot_ms is None
    assert any("system RAM" in w for w in est.warnings)


def test_cpu_moe_keeps_experts_in_ram():
    s = Scenario(model="qwen3-30b-a3b", weights="q4_k_m", hardware="rtx-4090", cpu_moe=True)
    est = estimate(s, CATALOG)
    assert est.offload["gpu_layers"] == 48 and est.offload["cpu_expert_layers"] == 48
    assert est.offload["ram_gib"] > est.offload["vram_gib"] - 5  # the experts are most of the bytes


@pytest.mark.parametrize("changes, field", [
    ({"gpu_layers": 33}, "gpu_layers"),
    ({"gpu_layers": 5, "hardware": "m3-max"}, "gpu_layers"),
    ({"cpu_moe": True}, "cpu_moe"),
    ({"draft_model": "gpt-4o"}, "draft_model"),
    ({"mtp": True}, "mtp"),
])
def test_bad_levers_name_their_field(changes, field):
    hw = {"hardware": "rtx-4090"}
    with pytest.raises(ScenarioError) as info:
        estimate(Scenario(model="llama-3.1-8b", **(hw | changes)), CATALOG)
    assert info.value.field == field


def test_a_draft_with_another_vocabulary_warns():
    est = estimate(Scenario(model="llama-3.1-8b", hardware="h100-sxm", draft_model="qwen3-0.6b"), CATALOG)
    assert any("vocabulary" in w for w in est.warnings)


def test_speculative_hand_computed_case():
    """k = 4 at acceptance 1: each step yields 5 tokens and costs 4 draft passes and one 5-token verification."""
    s = Scenario(model="llama-3.1-8b", hardware="h100-sxm", draft_model="llama-3.2-1b", draft_tokens=4, acceptance=1.0)
    est = estimate(s, CATALOG)
    plain = estimate(s.model_copy(update={"draft_model": None}), CATALOG)
    vllm, h100, bf16 = CATALOG.engines["vllm"], CATALOG.hardware["h100-sxm"], CATALOG.formats["bf16"]
    draft = CATALOG.models["llama-3.2-1b"]
    ctx = 1000 + 200 / 2
    d = lever_timing.decode_step_s(draft, bf16, FP16, vllm, h100, 1, ctx)
    v = lever_timing.verify_pass_s(M8, bf16, FP16, vllm, h100, 1, 5, ctx)
    b = lever_timing.decode_step_s(M8, bf16, FP16, vllm, h100, 1, ctx)
    assert b * 1e3 == pytest.approx(plain.timing.tpot_ms, rel=1e-9)  # the adapter is the estimate's own step
    assert est.speculative["tokens_per_step"] == 5
    assert est.timing.tpot_ms == pytest.approx(plain.timing.tpot_ms * (4 * d + v) / 5 / b, rel=1e-9)
    assert est.speculative["draft_gib"] == pytest.approx(1.236e9 * 2 / 2**30, rel=0.01)  # 1.24B parameters at 2 bytes
    assert est.memory.weights > plain.memory.weights


def test_larger_acceptance_never_slows_decode():
    tpots = [estimate(Scenario(model="llama-3.1-8b", hardware="rtx-4090", eagle=True, acceptance=a / 10), CATALOG)
             .timing.tpot_ms for a in range(11)]
    assert all(b <= a for a, b in zip(tpots, tpots[1:]))


def test_the_gain_shrinks_with_the_batch():
    one = estimate(Scenario(model="llama-3.1-8b", hardware="h100-sxm", eagle=True), CATALOG)
    many = estimate(Scenario(model="llama-3.1-8b", hardware="h100-sxm", eagle=True, batch=128), CATALOG)
    assert many.speculative["speedup"] < one.speculative["speedup"]
    assert any("shrinks as the batch grows" in w for w in many.warnings)


def test_prefill_saved_by_a_cached_prefix_by_hand():
    # vLLM shares whole blocks of 16: half of a 1,000-token prompt is 500 tokens, 496 in whole blocks.
    s = Scenario(model="llama-3.1-8b", hardware="h100-sxm", input_tokens=1000, cached_input_fraction=0.5)
    est = estimate(s, CATALOG)
    assert est.prefix_cache["cached_tokens"] == 496 and est.prefix_cache["computed_tokens"] == 504
    from llmcalc_tui.core import architecture as arch

    m = arch.matmul_flops_per_token(M8)
    per_pair = 2 * 32 * 32 * (128 + 128)  # layers x query heads x (QK + AV) x 2 FLOPs
    pairs_left = (1000 * 1001 - 496 * 497) // 2  # 377,244 causal pairs of queries 496..999
    share = (504 * m + per_pair * pairs_left) / (1000 * m + per_pair * 500_500)
    assert prefill_flops_share(M8, 1000, 496) == pytest.approx(share, rel=1e-12)
    plain = estimate(s.model_copy(update={"cached_input_fraction": 0.0}), CATALOG)
    assert est.timing.ttft_ms == pytest.approx(plain.timing.ttft_ms * share, rel=1e-12)
    assert est.timing.tpot_ms == plain.timing.tpot_ms


def test_cached_prefix_as_a_token_count_equals_the_share():
    by_tokens = estimate(Scenario(model="llama-3.1-8b", hardware="rtx-4090", input_tokens=2000,
                                  cached_prefix_tokens=1000), CATALOG)
    by_share = estimate(Scenario(model="llama-3.1-8b", hardware="rtx-4090", input_tokens=2000,
                                 cached_input_fraction=0.5), CATALOG)
    assert by_tokens.timing.ttft_ms == by_share.timing.ttft_ms
    assert by_tokens.prefix_cache["cached_tokens"] == 1000  # llama.cpp caches per token


def test_no_lever_leaves_the_estimate_untouched():
    est = estimate(Scenario(model="llama-3.1-8b"), CATALOG)
    assert est.offload is None and est.speculative is None and est.prefix_cache is None
    assert "offload" not in est.to_json()


def test_n_cpu_moe_moves_only_the_experts_of_the_first_layers():
    model, fmt = CATALOG.models["qwen3-30b-a3b"], Q4KM
    sizes = offload.layer_sizes(model, fmt)
    n = model.num_layers
    p = offload.place(model, fmt, FP16, LLAMA_CPP, 1200, gpu_layers=n, cpu_expert_layers=10)
    assert p.cpu_expert_layers == 10 and p.crossings == 20  # out to the CPU and back for each of them
    assert p.ram_weights == pytest.approx(10 * sizes.experts)
    whole = offload.place(model, fmt, FP16, LLAMA_CPP, 1200, gpu_layers=n)
    assert p.vram_weights == pytest.approx(whole.vram_weights - 10 * sizes.experts)
    # With 6 layers already in RAM, --n-cpu-moe 10 moves the experts of 4 more.
    mixed = offload.place(model, fmt, FP16, LLAMA_CPP, 1200, gpu_layers=n - 6, cpu_expert_layers=10)
    assert mixed.cpu_expert_layers == 4 and mixed.crossings == 2 + 8


def test_offload_with_every_layer_on_the_gpu_is_the_plain_estimate():
    s = Scenario(model="llama-3.1-8b", weights="q4_k_m", hardware="rtx-4090")
    plain = estimate(s, CATALOG)
    auto = estimate(s.model_copy(update={"gpu_layers": "auto"}), CATALOG)
    assert auto.offload["gpu_layers"] == 32 and auto.offload["cpu_layers"] == 0
    assert auto.timing == plain.timing and auto.memory == plain.memory
    one_off = estimate(s.model_copy(update={"gpu_layers": 31}), CATALOG)
    assert one_off.timing.tpot_ms > plain.timing.tpot_ms  # one layer in RAM is slower than none


def test_host_rows_peak_bandwidth_is_channels_times_width_times_rate():
    """hosts.toml derives peak RAM bandwidth as channels x 8 bytes x MT/s (JEDEC DDR5)."""
    hosts = {h.kind: h for h in CATALOG.hosts.values()}
    assert hosts["consumer"].ram_bandwidth_gb_s == pytest.approx(2 * 8 * 5600 / 1000)
    assert hosts["workstation"].ram_bandwidth_gb_s == pytest.approx(8 * 8 * 4800 / 1000)
    assert hosts["datacenter"].ram_bandwidth_gb_s == pytest.approx(2 * 8 * 8 * 4800 / 1000)
    host = offload.host_for(RTX4090, CATALOG)
    assert host.ram_bytes == 64 * 2**30 and host.pcie == 31.5e9  # the 4090's PCIe 4.0 x16 host link
    assert host.ram_bandwidth == pytest.approx(89.6e9 * 0.7)
    assert offload.host_for(RTX4090, CATALOG, ram_bandwidth_gb_s=120).ram_bandwidth == pytest.approx(120e9 * 0.7)


def test_quants_on_apple_with_mlx_lists_mlx_formats_only():
    from llmcalc_tui.core.quants import quants_for

    rows = quants_for(Scenario(model="llama-3.1-8b", hardware="m3-max", engine="mlx"), CATALOG)
    formats = {r.format for r in rows}
    assert {"mlx-4bit", "mlx-8bit", "bf16"} <= formats
    assert not any(f.startswith(("q4_", "iq", "awq", "fp8")) for f in formats)
    assert all(r.placement in ("gpu", None) for r in rows)  # unified memory: nothing to offload


def test_deepseek_v3_mtp_uses_its_published_rate_and_module_size():
    from llmcalc_tui.core import architecture as arch

    model = CATALOG.models["deepseek-v3"]
    assert arch.mtp_params(model) == 11_610_068_224  # the MTP layer count in the entry's notes (HF safetensors)
    est = estimate(Scenario(model="deepseek-v3", hardware="h200", gpus=8, mtp=True), CATALOG)
    spec = est.speculative
    assert spec["acceptance_source"] == "deepseek-v3-mtp" and spec["draft_tokens"] == 1
    assert spec["tokens_per_step"] == pytest.approx(1.85)  # 1 + 0.85
    assert 1 < spec["speedup"] < 1.85


def test_offload_leaves_room_for_a_draft_and_the_split_target_verifies():
    s = Scenario(model="llama-3.1-70b", weights="q4_k_m", hardware="rtx-4090", ram_gib=64, gpu_layers="auto")
    alone = estimate(s, CATALOG)
    drafted = estimate(s.model_copy(update={"draft_model": "llama-3.2-1b", "acceptance": 0.7, "draft_tokens": 4}),
                       CATALOG)
    assert drafted.fits and drafted.offload["gpu_layers"] < alone.offload["gpu_layers"]
    assert drafted.memory.per_gpu <= drafted.memory.budget_per_gpu
    # Against a 300 ms split step the 1B draft's passes are cheap: the speed-up nears the tokens per step.
    spec = drafted.speculative
    assert 2.3 < spec["speedup"] < spec["tokens_per_step"] == pytest.approx(2.7731, abs=1e-4)
    assert drafted.timing.tpot_ms < alone.timing.tpot_ms / 2.3
