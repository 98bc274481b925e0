"""The calibration set is predicted within the published targets."""

from __future__ import annotations

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.validation import TARGETS, load_measurements, run, summarise
from llmcalc_tui.resources import benchmarks_dir


def test_every_measurement_maps_to_a_scenario():
    measurements = load_measurements(benchmarks_dir() / "calibration.toml")
    assert len([m for m in measurements if not m.id.startswith('lcpp-notes-')]) == 85
    results = run(measurements, load_builtin())
    assert [r.measurement.id for r in results if r.problem] == []


def test_median_errors_within_targets():
    summary = summarise(run(load_measurements(benchmarks_dir() / "calibration.toml"), load_builtin()))
    assert summary.failures() == []
    for group in TARGETS:
        assert summary.by_metric[group][1] > 0, f"no points for {group}"


def _points() -> dict:
    return {m.id: m for m in load_measurements(benchmarks_dir() / "calibration.toml")}


def test_transformers_points_map_to_an_h200_with_the_source_batches():
    points = {k: v for k, v in _points().items() if k.startswith("hf-h200-")}
    assert len(points) == 16
    assert {m.scenario.engine for m in points.values()} == {"transformers"}
    assert {m.scenario.hardware for m in points.values()} == {"h200"}
    assert points["hf-h200-mixtral-8x7b-b16-output"].scenario.batch == 16
    assert points["hf-h200-qwen3-8b-b64-output"].scenario.batch == 64
    assert (points["hf-h200-qwen3-8b-b1-decode"].scenario.input_tokens,
            points["hf-h200-qwen3-8b-b1-decode"].scenario.output_tokens) == (512, 129)
    # Allocator peaks keep the source's workload (the KV cache and activations depend on it).
    peak = points["hf-h200-qwen3-8b-b64-peak"]
    assert (peak.mem_scope, peak.scenario.input_tokens, peak.scenario.batch) == ("process_peak", 512, 64)


def test_allocator_peak_is_weights_plus_kv_cache_plus_activations():
    from llmcalc_tui.core.estimate import GIB, estimate

    catalog = load_builtin()
    m = _points()["hf-h200-qwen3-8b-b64-peak"]
    mem = estimate(m.scenario, catalog).memory
    (result,) = run([m], catalog)
    assert result.group == "peak_mem_gib"
    assert result.predicted == (mem.weights + mem.kv_cache + mem.activations) / GIB
    assert result.predicted > mem.weights / GIB + 5  # 64 x 641 tokens of Qwen3-8B KV: 5.6 GiB


def test_ttft_points_compare_with_the_running_server_ttft_unless_they_measured_a_batch_prefill():
    from types import SimpleNamespace

    from llmcalc_tui.core.validation import predicted_value

    m = _points()["hf-h200-qwen3-8b-b1-ttft"]
    timing = SimpleNamespace(timing=SimpleNamespace(ttft_ms=12.0, ttft_batch_ms=30.0), memory=None, batch=1)
    assert m.predict == "default"
    assert predicted_value(m, timing) == 12.0
    assert predicted_value(m.model_copy(update={"predict": "ttft_batch"}), timing) == 30.0


def test_mlperf_server_latencies_are_reported_apart_from_the_steady_batch_targets():
    """MLPerf server TTFT and TPOT include queueing at a request rate near capacity: their own groups,
    outside TARGETS, while every other TTFT point stays in the TTFT target."""
    from llmcalc_tui.core.validation import TARGETS

    points = _points()
    server = run([points["mlperf40-h100x8-llama2_70b-99.9-server-ttft"],
                  points["mlperf40-h200x8-llama2_70b-99.9-server-tpot"]], load_builtin())
    assert [r.group for r in server] == ["ttft_ms_under_load", "tpot_ms_under_load"]
    assert all(r.group not in TARGETS and r.predicted for r in server)
    steady = [m for m in points.values() if m.metric == "ttft_ms" and not m.under_load]
    assert len(steady) == 5 and all(r.group == "ttft_ms" for r in run(steady, load_builtin()))


def test_llama_cpp_points_carry_the_build_era_the_source_states():
    points = _points()
    assert (points["lcpp-gg46-rtx2080ti-llama3.2_3b-q4km-vulkan-pp512"].build,
            points["lcpp-gg46-rtx2080ti-llama3.2_3b-q4km-vulkan-pp512"].era) == ("b7474 (f9ec8858e)", "2025+")
    assert points["lcpp-apple-m2ultra_76c-llama2_7b-q4_0-pp512"].era == "2023"
    assert points["lcpp-apple-m2ultra_76c-llama2_7b-q4_0-pp512"].build_date == "2023-11-21"
    assert points["lcpp-tips-a6000-llama30b-q4_0-tg"].era == "2023"
    assert points["lcpp-pr4766-rtx4090-codellama7b-f16-pp512"].era == "2024"
    # Scoreboard values quoted in notes have no build of their own; non-llama.cpp points have none.
    assert not hasattr(points["lcpp-notes-h100-sxm-llama2_7b-q4_0-pp512"], "era")
    assert not hasattr(points["hf-h200-qwen3-8b-b1-decode"], "era")


def test_validate_json_carries_the_build_era(capsys):
    import json

    from llmcalc_tui.cli import main

    assert main(["validate", "--json"]) == 0
    points = {p["id"]: p for p in json.loads(capsys.readouterr().out)["points"]}
    assert points["lcpp-gg51-cp8180-tinyllama-q4km-cpu-tg128"]["era"] == "2025+"
    assert points["lcpp-gg51-cp8180-tinyllama-q4km-cpu-tg128"]["build"] == "b8664 (9c699074c)"
    assert "era" not in points["hf-h200-qwen3-8b-b1-decode"]
