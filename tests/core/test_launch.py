"""Launch commands: documented flags only, values the estimate assumed, every value shell-quoted."""

from __future__ import annotations

import shlex

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.engine_flags import ENGINE_FLAGS
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.launch import TARGET_ENGINE, TARGETS, launch_for
from llmcalc_tui.core.scenario import Scenario, ScenarioError


@pytest.fixture(scope="module")
def catalog():
    return load_builtin()


SCENARIOS = [
    dict(model="llama-3.1-8b", hardware="h100-sxm", batch=16),
    dict(model="llama-3.1-70b", hardware="h100-sxm", gpus=4, batch="max", input_tokens=3000, output_tokens=500),
    dict(model="qwen2.5-7b", hardware="rtx-4090", batch=4),
    dict(model="llama-3.1-8b", hardware="h100-sxm", gpus=2, pp=2, tp=1, batch=8),
]


def _scenario(target: str, spec: dict) -> Scenario:
    spec = dict(spec)
    if target == "mlx":
        spec.update(hardware="m3-max", gpus=1, tp=None, pp=1)
    return Scenario(engine=TARGET_ENGINE[target], **spec)


def _options(command: str, program: str) -> list[str]:
    words = shlex.split(command)
    program_words = program.split()
    if words[:len(program_words)] == program_words:
        words = words[len(program_words):]
    return [word for word in words if word.startswith("-") and not word.lstrip("-").replace(".", "").isdigit()]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("spec", SCENARIOS, ids=lambda s: f"{s['model']}-{s.get('gpus', 1)}gpu")
def test_every_emitted_flag_is_documented(catalog, target, spec):
    documented = ENGINE_FLAGS[target]
    launch = launch_for(_scenario(target, spec), catalog, target)
    assert launch.flags and set(launch.flags) <= documented.flags
    last_line = launch.command.splitlines()[-1] if target == "ollama" else launch.command
    program = "ollama create" if target == "ollama" else documented.program
    for option in _options(last_line, program):
        assert option in documented.flags, option
    assert set(launch.env) <= documented.env
    assert set(launch.file_parameters) <= documented.file_parameters
    for name, allowed in (documented.choices or {}).items():
        words = shlex.split(launch.command)
        if name in words:
            assert words[words.index(name) + 1] in allowed
        if name in launch.env:
            assert launch.env[name] in allowed


def _value(command: str, flag: str) -> str:
    words = shlex.split(command)
    return words[words.index(flag) + 1]


def test_vllm_values_match_the_estimate(catalog):
    scenario = Scenario(model="llama-3.1-70b", hardware="h100-sxm", gpus=4, batch="max", input_tokens=3000,
                        output_tokens=500, kv_cache="fp8", weights="fp8")
    est = estimate(scenario, catalog)
    command = launch_for(scenario, catalog, "vllm").command
    assert _value(command, "--max-model-len") == "3500"
    assert _value(command, "--max-num-seqs") == str(est.batch) and est.batch > 1
    assert _value(command, "--tensor-parallel-size") == "4"
    assert _value(command, "--pipeline-parallel-size") == "1"
    assert float(_value(command, "--gpu-memory-utilization")) == catalog.engines["vllm"].kv_memory_fraction
    assert _value(command, "--kv-cache-dtype") == "fp8"
    assert _value(command, "--quantization") == "fp8"
    assert shlex.split(command)[:3] == ["vllm", "serve", catalog.models["llama-3.1-70b"].hf_repo]


def test_sglang_and_trtllm_values_match_the_estimate(catalog):
    scenario = Scenario(model="llama-3.1-8b", engine="sglang", batch=32, input_tokens=2000, output_tokens=100)
    command = launch_for(scenario, catalog, "sglang").command
    assert _value(command, "--context-length") == "2100"
    assert _value(command, "--max-running-requests") == "32"
    assert float(_value(command, "--mem-fraction-static")) == catalog.engines["sglang"].kv_memory_fraction
    scenario = scenario.model_copy(update={"engine": "tensorrt-llm"})
    command = launch_for(scenario, catalog, "trtllm").command
    assert _value(command, "--max_seq_len") == "2100" and _value(command, "--max_batch_size") == "32"


def test_llama_server_splits_the_context_among_slots_and_the_gpus(catalog):
    scenario = Scenario(model="qwen2.5-7b", hardware="rtx-4090", gpus=2, engine="llama.cpp", batch=4,
                        kv_cache="q8_0", input_tokens=1000, output_tokens=1000)
    command = launch_for(scenario, catalog, "llama-server").command
    assert _value(command, "-c") == "8000" and _value(command, "-np") == "4"
    assert _value(command, "-ctk") == "q8_0" and _value(command, "-ctv") == "q8_0"
    assert _value(command, "-fa") == "on"
    assert _value(command, "-ts") == "1,1"


def test_ollama_sets_parallel_context_and_cache_type(catalog):
    scenario = Scenario(model="qwen2.5-7b", hardware="rtx-4090", engine="ollama", batch=2, kv_cache="q8_0",
                        input_tokens=3000, output_tokens=1000)
    launch = launch_for(scenario, catalog, "ollama")
    assert launch.env == {"OLLAMA_NUM_PARALLEL": "2", "OLLAMA_CONTEXT_LENGTH": "4000",
                          "OLLAMA_KV_CACHE_TYPE": "q8_0", "OLLAMA_FLASH_ATTENTION": "1"}
    assert "PARAMETER num_ctx 4000" in launch.command.splitlines()


def test_values_are_shell_quoted(catalog, monkeypatch):
    model = catalog.models["llama-3.1-8b"].model_copy(update={"hf_repo": "org/model name; rm -rf ~"})
    models = dict(catalog.models) | {"llama-3.1-8b": model}
    odd = catalog.model_copy(update={"models": models})
    for target in ("vllm", "sglang", "trtllm", "mlx"):
        scenario = _scenario(target, dict(model="llama-3.1-8b", hardware="h100-sxm"))
        words = shlex.split(launch_for(scenario, odd, target).command)
        assert "org/model name; rm -rf ~" in words


def test_a_format_the_engine_cannot_use_is_refused(catalog):
    with pytest.raises(ScenarioError, match="KV cache"):
        launch_for(Scenario(model="llama-3.1-8b", kv_cache="q8_0"), catalog, "vllm")
    with pytest.raises(ScenarioError, match="KV cache"):
        launch_for(Scenario(model="llama-3.1-8b", engine="llama.cpp", kv_cache="fp8"), catalog, "llama-server")


def test_every_flag_list_names_its_source_and_date():
    for target in TARGETS:
        flags = ENGINE_FLAGS[target]
        assert flags.source.startswith("https://") and flags.as_of.startswith("20")
