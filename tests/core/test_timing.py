"""The per-operation timing model: backends, compute paths, operations of a step, active parameters."""

from __future__ import annotations

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.perf import compute_path, default_backend, memory_family, path_peak_flops, perf_profile
from llmcalc_tui.core.scenario import Scenario, ScenarioError
from llmcalc_tui.core.timing import step_model

CATALOG = load_builtin()


def steps_for(model: str, hardware: str, engine: str, weights: str):
    m, hw, eng, w = CATALOG.models[model], CATALOG.hardware[hardware], CATALOG.engines[engine], CATALOG.formats[weights]
    return step_model(m, eng, w, CATALOG.formats["fp16"], perf_profile(eng, hw, w, m), 1)


@pytest.mark.parametrize(("engine", "hardware", "backend"), [
    ("llama.cpp", "rtx-4090", "cuda"), ("llama.cpp", "m2-ultra", "metal"), ("llama.cpp", "rx-7900-xtx", "rocm"),
    ("llama.cpp", "raspberry-pi-5", "cpu"), ("llama.cpp", "ampereone-a192", "cpu"), ("ollama", "m4-max", "metal"),
    ("llama.cpp-vulkan", "rtx-3060-12gb", "vulkan"), ("vllm", "mi300x", "rocm"), ("tensorrt-llm", "h100-sxm", "cuda"),
])
def test_the_backend_follows_the_hardware(engine, hardware, backend):
    assert default_backend(CATALOG.engines[engine], CATALOG.hardware[hardware]) == backend


def test_memory_families():
    assert [memory_family(CATALOG.hardware[h]) for h in ("h100-sxm", "rtx-4090", "m2-ultra", "ampereone-a192")] == [
        "hbm", "gddr", "lpddr", "ddr"]


def test_llama_cpp_quantised_matmuls_follow_sm_count_and_clock_not_the_tensor_peak():
    """H100 SXM: 132 SMs x 1.98 GHz x 1024 int8 ops per SM per clock = 267.6 TOPS, about a quarter of the
    989 TFLOPS fp16 datasheet figure; at the fitted efficiency llama.cpp reaches about a seventh of it."""
    engine, hw = CATALOG.engines["llama.cpp"], CATALOG.hardware["h100-sxm"]
    q4 = CATALOG.formats["q4_0"]
    assert compute_path(engine, "cuda", q4) == "mmq"
    assert compute_path(engine, "cuda", CATALOG.formats["fp16"]) == "cublas"
    assert compute_path(CATALOG.engines["vllm"], "cuda", CATALOG.formats["fp8"]) == "tensor"
    peak, _ = path_peak_flops("mmq", hw, q4)
    assert peak == 132 * 1980e6 * 1024
    perf = perf_profile(engine, hw, q4)
    assert 1 / 10 < perf.peak_flops * perf.eta_max / 989e12 < 1 / 5


def test_cpu_matmuls_run_at_the_simd_int8_rate():
    perf = perf_profile(CATALOG.engines["llama.cpp"], CATALOG.hardware["ampereone-a192"], CATALOG.formats["q4_k_m"])
    assert (perf.backend, perf.path, perf.peak_flops) == ("cpu", "cpu", 39.3e12)


def test_a_path_at_one_precision_has_its_own_share_and_falls_back_to_the_path():
    """Block-scaled FP4 GEMMs reach a smaller share of the FP4 peak ("tensor:fp4") than FP8 GEMMs of theirs."""
    trt, b200 = CATALOG.engines["tensorrt-llm"], CATALOG.hardware["b200"]
    fp4, fp8 = perf_profile(trt, b200, CATALOG.formats["nvfp4"]), perf_profile(trt, b200, CATALOG.formats["fp8"])
    assert (fp4.precision, fp8.precision) == ("fp4", "fp8")
    assert fp4.eta_max == trt.compute_efficiency["tensor:fp4"] < fp8.eta_max == trt.compute_efficiency["tensor"]
    no_key = trt.model_copy(update={"compute_efficiency": {"tensor": 0.6}})
    assert perf_profile(no_key, b200, CATALOG.formats["nvfp4"]).eta_max == 0.6


def test_llama_cpp_runs_batches_of_up_to_eight_rows_as_mat_vec_kernels_without_padding():
    """ggml's MMVQ kernels (batch <= 8) pad no rows: eta_max, not eta(M); a tiled GEMM above that."""
    engine = CATALOG.engines["llama.cpp"]
    perf = perf_profile(engine, CATALOG.hardware["rtx-4090"], CATALOG.formats["q4_0"])
    assert engine.matvec_max_rows == 8 and perf.half_tokens > 0
    assert perf.eta(1) == perf.eta(8) == perf.eta_max
    assert perf.eta(9) == pytest.approx(perf.eta_max * 9 / (9 + perf.half_tokens))
    gemm_only = perf_profile(engine.model_copy(update={"matvec_max_rows": 0}), CATALOG.hardware["rtx-4090"],
                             CATALOG.formats["q4_0"])
    assert gemm_only.eta(1) == pytest.approx(perf.eta_max / (1 + perf.half_tokens))


def test_eta_rises_with_the_rows_of_a_matmul():
    perf = perf_profile(CATALOG.engines["transformers"], CATALOG.hardware["h200"], CATALOG.formats["bf16"])
    half = perf.half_tokens
    assert half > 0
    assert perf.eta(half) == pytest.approx(perf.eta_max / 2)
    assert perf.eta(1) < perf.eta(16) < perf.eta(4096) < perf.eta_max


def test_prefill_computes_logits_for_the_last_token_of_each_prompt_only():
    steps = steps_for("llama-3.1-8b", "h100-sxm", "vllm", "bf16")
    ops = {op.name: op for op in steps.operations(2048, 1, 0.0, 0.0, 1)}
    one_row = 2 * 4096 * 128_256 / (989e12 * steps.perf.eta(1))
    lm_head_read = 128_256 * 4096 * 2 / steps.perf.bandwidth
    assert ops["logits"].seconds == pytest.approx(max(one_row, lm_head_read))
    # 4 prompts in one step: 4 rows of logits, however long the prompts.
    assert steps.prefill_seconds(4, 512) < steps.prefill_seconds(1, 2048) * 1.2


def test_routed_experts_see_their_share_of_the_rows():
    steps = steps_for("mixtral-8x7b", "h200", "tensorrt-llm", "bf16")
    m = steps.model
    touched = arch.expected_experts_touched(m, 16)
    ops = {op.name: op for op in steps.operations(16, 16, 0.0, 0.0, 16, decode_only=True)}
    read = m.moe_layers * touched * steps.wb.per_expert_layer
    assert ops["routed experts"].seconds == pytest.approx(read / steps.perf.bandwidth)  # memory-bound at 16 rows


def test_transformers_decode_copies_each_tokens_expert_weights():
    """generate() runs decode on the batched_mm experts backend, which duplicates the selected experts'
    weights for each token: 3 x (tokens x k) experts' bytes per MoE layer (read, copy written, read by the
    batched matmul), not the distinct experts touched; prefill (grouped_mm) reads each touched expert once."""
    steps = steps_for("mixtral-8x7b", "h200", "transformers", "bf16")
    m, per_expert = steps.model, steps.wb.per_expert_layer
    decode = {op.name: op for op in steps.operations(16, 16, 0.0, 0.0, 16, decode_only=True)}
    assert decode["routed experts"].seconds == pytest.approx(3 * m.moe_layers * 16 * 2 * per_expert / steps.perf.bandwidth)
    prefill = {op.name: op for op in steps.operations(16, 1, 0.0, 0.0, 1)}
    assert prefill["routed experts"].seconds < decode["routed experts"].seconds / 5
    # Eager launches overlap the device: the step is the longer of host and device time.
    ops = steps.operations(16, 16, 0.0, 0.0, 16, decode_only=True)
    host = sum(op.seconds for op in ops if op.bound == "host")
    assert steps.decode_seconds(16, 1.0) == pytest.approx(max(host, sum(op.seconds for op in ops) - host), rel=1e-3)


def test_cuda_graph_engines_pay_no_per_layer_cost_in_decode():
    vllm = perf_profile(CATALOG.engines["vllm"], CATALOG.hardware["h100-sxm"], CATALOG.formats["bf16"])
    assert vllm.decode_layer_overhead_s == 0 < vllm.layer_overhead_s
    hf = perf_profile(CATALOG.engines["transformers"], CATALOG.hardware["h200"], CATALOG.formats["bf16"])
    assert hf.decode_layer_overhead_s == hf.layer_overhead_s > 100e-6  # eager Python per layer


def test_an_explicit_backend_is_used_and_recorded():
    common = dict(model="llama-3.1-8b", weights="q4_k_m", hardware="rtx-4090", engine="llama.cpp")
    auto = estimate(Scenario(**common), CATALOG)
    vulkan = estimate(Scenario(backend="vulkan", **common), CATALOG)
    assert (auto.backend, vulkan.backend) == ("cuda", "vulkan")
    assert vulkan.to_json()["backend"] == "vulkan"
    assert any("Vulkan as chosen" in a for a in vulkan.assumptions)
    assert vulkan.timing.prefill_tok_s != auto.timing.prefill_tok_s
    with pytest.raises(ScenarioError):
        estimate(Scenario(backend="metal", **common), CATALOG)


def test_active_parameters_leave_the_untied_input_embedding_out():
    p = arch.param_breakdown(CATALOG.models["gpt-oss-20b"])
    assert p.active == 4_187_440_704 - 201_088 * 2880 == 3_608_307_264
    assert arch.param_breakdown(CATALOG.models["gpt-oss-120b"]).active == 5_132_849_472
    assert arch.param_breakdown(CATALOG.models["deepseek-v3"]).active == 36_625_618_432
    assert arch.param_breakdown(CATALOG.models["llama-3.1-8b"]).active == 7_504_924_672
    tied = arch.param_breakdown(CATALOG.models["llama-3.2-1b"])
    assert tied.lm_head == 0 and tied.active == tied.total  # the tied matrix is the output layer


def test_bands_widen_above_a_thousand_sequences():
    from llmcalc_tui.core.bands import attach_bands

    common = dict(model="llama-3.1-8b", weights="fp8", hardware="h200", engine="tensorrt-llm",
                  input_tokens=128, output_tokens=128)

    def spread(batch: int) -> float:
        band = attach_bands(estimate(Scenario(batch=batch, **common), CATALOG), CATALOG).bands["output_tok_s_total"]
        return (band.high / band.low) ** 0.5 - 1

    assert spread(2000) == pytest.approx(min(1.0, spread(500) * 1.5))  # one doubling past 1,000: half as wide again
    assert spread(1000) == pytest.approx(spread(500))


def test_the_assumptions_show_what_a_decode_step_is_made_of():
    e = estimate(Scenario(model="mixtral-8x7b", hardware="h200", engine="transformers", batch=16), CATALOG)
    line = next(a for a in e.assumptions if a.startswith("decode step (16 sequence(s)"))
    assert "routed experts" in line and "host time overlaps" in line
    assert line.index("routed experts") < line.index("overhead")  # largest first: the expert copies dominate
    total_ms = float(line.split(": ", 1)[1].split(" ms", 1)[0])
    assert total_ms == pytest.approx(e.timing.tpot_ms, rel=0.01)
