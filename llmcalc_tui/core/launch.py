"""Ready-to-run launch commands for a scenario, with the settings the estimate assumed.

Every value comes from the estimate: the context it sized the KV cache for, the batch it assumed, the
share of GPU memory its engine budget uses, the tensor and pipeline split, the weight and KV formats.
Flag names come from `engine_flags.ENGINE_FLAGS` (each engine's documentation); every value is
shell-quoted.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace

from llmcalc_tui.catalog.schema import Catalog, FormatSpec, ModelSpec
from llmcalc_tui.core.engine_flags import ENGINE_FLAGS
from llmcalc_tui.core.scenario import Scenario, ScenarioError, resolve

TARGETS = ("vllm", "sglang", "trtllm", "llama-server", "ollama", "mlx")
"""Names accepted by --emit."""

TARGET_ENGINE = {
    "vllm": "vllm",
    "sglang": "sglang",
    "trtllm": "tensorrt-llm",
    "llama-server": "llama.cpp",
    "ollama": "ollama",
    "mlx": "mlx",
}
"""The catalog engine whose estimate each launch target matches."""

ENGINE_TARGET = {engine: target for target, engine in TARGET_ENGINE.items()} | {"llama.cpp-vulkan": "llama-server"}


@dataclass(frozen=True, slots=True)
class Launch:
    target: str
    command: str
    """One shell command line (Ollama: a short script), every value quoted."""
    flags: tuple[str, ...]
    """The option names used, for checking against the documented lists."""
    env: dict[str, str] = field(default_factory=dict)
    file_parameters: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "engine": self.target,
            "program": ENGINE_FLAGS[self.target].program,
            "command": self.command,
            "env": dict(self.env),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class LaunchSettings:
    """The estimate's assumptions a launch command must carry."""

    model: ModelSpec
    weights: FormatSpec
    kv: FormatSpec
    tp: int
    pp: int
    max_model_len: int
    max_seqs: int
    gpu_memory_fraction: float
    max_step_tokens: int
    output_tokens: int
    expert_groups: int = 1
    """Expert parallel over this many data-parallel groups of tensor parallel `tp` (plan's MoE layouts
    across nodes) instead of pipeline stages; 1: no expert parallel."""
    # Offload levers (issue 14): None / 0 / True when not pulled.
    gpu_layers: int | None = None
    """Layers the estimate placed on the GPU (None: all of them and the output layer)."""
    cpu_expert_layers: int = 0
    kv_offload: bool = True


def settings_for(scenario: Scenario, catalog: Catalog, max_seqs: int | None = None,
                 expert_groups: int = 1) -> LaunchSettings:
    """Resolve the scenario and take the values its estimate used.

    max_seqs overrides the batch (the plan sets the batch its simulation ran with).
    """
    from llmcalc_tui.core.estimate import estimate

    r = resolve(scenario, catalog)
    if r.model is None or r.deployment == "api":
        raise ScenarioError("model", f"{scenario.model} is an API model: there is nothing to launch")
    assert r.engine and r.weights and r.kv
    offload = None
    if max_seqs is None or scenario.offloads:
        est = estimate(scenario, catalog, explain=False)
        max_seqs = est.batch if max_seqs is None else max_seqs
        offload = est.offload
    return LaunchSettings(
        model=r.model,
        weights=r.weights,
        kv=r.kv,
        tp=r.tp,
        pp=r.pp,
        max_model_len=scenario.input_tokens + scenario.output_tokens,
        max_seqs=max(1, max_seqs),
        gpu_memory_fraction=r.engine.kv_memory_fraction,
        max_step_tokens=r.engine.activation_tokens,
        output_tokens=scenario.output_tokens,
        expert_groups=expert_groups,
        gpu_layers=offload["gpu_layers"] if offload and offload["cpu_layers"] else None,
        cpu_expert_layers=offload["cpu_expert_layers"] if offload else 0,
        kv_offload=scenario.kv_offload,
    )


def launch_for(scenario: Scenario, catalog: Catalog, target: str | None = None, max_seqs: int | None = None,
               expert_groups: int = 1) -> Launch:
    """The launch command of `target` (default: the scenario's engine) for the scenario.

    expert_groups > 1: the scenario's pipeline stages run instead as that many data-parallel groups with
    expert parallel over all their GPUs (vLLM flags; other engines get a note)."""
    r = resolve(scenario, catalog)
    engine_id = r.engine.id if r.engine else scenario.engine
    target = target or ENGINE_TARGET.get(engine_id)
    if target not in BUILDERS:
        raise ScenarioError("engine", f"no launch command for engine {engine_id!r}; use one of {', '.join(TARGETS)}")
    launch = BUILDERS[target](settings_for(scenario, catalog, max_seqs, expert_groups))
    if expert_groups > 1 and target != "vllm":
        launch = replace(launch, notes=(*launch.notes, f"expert parallel over {expert_groups} groups of tensor "
                                        f"parallel {scenario.tp}: use the engine's expert-parallel settings "
                                        "instead of pipeline stages"))
    return launch


# ----------------------------------------------------------------------------- value mappings


def _fraction(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _unsupported(target: str, what: str, value: str) -> ScenarioError:
    return ScenarioError("kv_cache" if what == "KV cache" else "weights",
                         f"{ENGINE_FLAGS[target].program} has no {what} setting for {value}")


def _torch_dtype(weights: FormatSpec) -> str | None:
    return {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}.get(weights.id)


VLLM_QUANT = {"fp8": "fp8", "awq-int4": "awq", "gptq-int4": "gptq", "mxfp4": "mxfp4", "nvfp4": "modelopt_fp4"}
"""vLLM --quantization method for a weight format (names from vLLM's quantization docs)."""
SGLANG_QUANT = {"fp8": "fp8", "awq-int4": "awq", "gptq-int4": "gptq", "mxfp4": "mxfp4", "nvfp4": "modelopt_fp4"}
LLAMA_CACHE_TYPE = {"fp32": "f32", "fp16": "f16", "bf16": "bf16", "q8_0": "q8_0", "q4_0": "q4_0", "q4_1": "q4_1",
                    "iq4_nl": "iq4_nl", "q5_0": "q5_0", "q5_1": "q5_1"}
"""llama.cpp -ctk/-ctv value of a KV-cache format (common/arg.cpp kv_cache_types)."""


def _repo(model: ModelSpec) -> str:
    return model.hf_repo or model.id


def _gguf_file(s: LaunchSettings) -> str:
    return f"{s.model.id}-{s.weights.id}.gguf"


class _Command:
    """Builds an argv from documented flags, quoting each value."""

    def __init__(self, target: str, *program: str):
        self.target = target
        self.parts: list[str] = list(program)
        self.flags: list[str] = []

    def positional(self, value: str) -> _Command:
        self.parts.append(shlex.quote(value))
        return self

    def flag(self, name: str, value: object | None = None) -> _Command:
        documented = ENGINE_FLAGS[self.target]
        assert name in documented.flags, f"{name} is not in {documented.program}'s documented flags"
        allowed = (documented.choices or {}).get(name)
        assert allowed is None or str(value) in allowed, f"{value} is not a documented value of {name}"
        self.flags.append(name)
        self.parts.append(name)
        if value is not None:
            self.parts.append(shlex.quote(str(value)))
        return self

    def line(self) -> str:
        return " ".join(self.parts)


# ----------------------------------------------------------------------------- builders


def _vllm(s: LaunchSettings) -> Launch:
    c = _Command("vllm", "vllm", "serve").positional(_repo(s.model))
    notes = []
    if s.expert_groups > 1:
        c.flag("--tensor-parallel-size", s.tp).flag("--pipeline-parallel-size", 1)
        c.flag("--data-parallel-size", s.expert_groups).flag("--enable-expert-parallel")
        notes.append(f"{s.expert_groups} data-parallel groups over nodes: start one per node with "
                     "--data-parallel-size-local, --data-parallel-address and --data-parallel-start-rank")
    else:
        c.flag("--tensor-parallel-size", s.tp).flag("--pipeline-parallel-size", s.pp)
    c.flag("--max-model-len", s.max_model_len).flag("--max-num-seqs", s.max_seqs)
    c.flag("--max-num-batched-tokens", s.max_step_tokens)
    c.flag("--gpu-memory-utilization", _fraction(s.gpu_memory_fraction))
    dtype = _torch_dtype(s.weights)
    if dtype:
        c.flag("--dtype", dtype)
    elif s.weights.id in VLLM_QUANT:
        c.flag("--quantization", VLLM_QUANT[s.weights.id])
        notes.append(f"point the model at a {s.weights.name} checkpoint (vLLM quantises fp16 weights to fp8 itself)")
    else:
        raise _unsupported("vllm", "weight-format", s.weights.id)
    kv = {"fp16": "auto", "bf16": "auto", "fp8": "fp8"}.get(s.kv.id)
    if kv is None:
        raise _unsupported("vllm", "KV cache", s.kv.id)
    c.flag("--kv-cache-dtype", kv)
    return Launch("vllm", c.line(), tuple(c.flags), notes=tuple(notes))


def _sglang(s: LaunchSettings) -> Launch:
    c = _Command("sglang", "python", "-m", "sglang.launch_server").flag("--model-path", _repo(s.model))
    c.flag("--tp-size", s.tp).flag("--pp-size", s.pp)
    c.flag("--context-length", s.max_model_len).flag("--max-running-requests", s.max_seqs)
    c.flag("--chunked-prefill-size", s.max_step_tokens)
    c.flag("--mem-fraction-static", _fraction(s.gpu_memory_fraction))
    dtype = _torch_dtype(s.weights)
    if dtype:
        c.flag("--dtype", dtype)
    elif s.weights.id in SGLANG_QUANT:
        c.flag("--quantization", SGLANG_QUANT[s.weights.id])
    else:
        raise _unsupported("sglang", "weight-format", s.weights.id)
    kv = {"fp16": "auto", "bf16": "auto", "fp8": "fp8_e4m3"}.get(s.kv.id)
    if kv is None:
        raise _unsupported("sglang", "KV cache", s.kv.id)
    c.flag("--kv-cache-dtype", kv)
    return Launch("sglang", c.line(), tuple(c.flags))


def _trtllm(s: LaunchSettings) -> Launch:
    c = _Command("trtllm", "trtllm-serve").positional(_repo(s.model)).flag("--backend", "pytorch")
    c.flag("--tp_size", s.tp).flag("--pp_size", s.pp)
    c.flag("--max_seq_len", s.max_model_len).flag("--max_batch_size", s.max_seqs)
    c.flag("--max_num_tokens", s.max_step_tokens)
    c.flag("--kv_cache_free_gpu_memory_fraction", _fraction(s.gpu_memory_fraction))
    notes = [
        "TensorRT-LLM's fraction is of the memory left after weights and buffers; the estimate's budget "
        "is that share of the whole GPU, so the real KV pool comes out somewhat smaller",
    ]
    if s.kv.id not in ("fp16", "bf16"):
        notes.append(f"KV cache {s.kv.id}: set kv_cache_config.dtype in an --extra_llm_api_options YAML file")
    if _torch_dtype(s.weights) is None:
        notes.append(f"weights {s.weights.name}: serve a checkpoint quantised with TensorRT Model Optimizer")
    return Launch("trtllm", c.line(), tuple(c.flags), notes=tuple(notes))


def _llama_server(s: LaunchSettings) -> Launch:
    ctk = LLAMA_CACHE_TYPE.get(s.kv.id)
    if ctk is None:
        raise _unsupported("llama-server", "KV cache", s.kv.id)
    gpus = s.tp * s.pp
    c = _Command("llama-server", "llama-server").flag("-m", _gguf_file(s))
    c.flag("-ngl", s.model.num_layers + 1 if s.gpu_layers is None else s.gpu_layers)
    if s.cpu_expert_layers:
        c.flag("--n-cpu-moe", s.cpu_expert_layers)
    if not s.kv_offload:
        c.flag("-nkvo")
    # The server divides its context among the slots: each slot gets -c / -np tokens.
    c.flag("-c", s.max_model_len * s.max_seqs).flag("-np", s.max_seqs)
    c.flag("-ctk", ctk).flag("-ctv", ctk)
    if ctk not in ("f32", "f16", "bf16"):
        c.flag("-fa", "on")  # a quantised V cache needs flash attention
    if gpus > 1:
        c.flag("-sm", "layer").flag("-ts", ",".join(["1"] * gpus))
    notes = [f"-m: the {s.weights.name} GGUF file of {s.model.name}",
             f"-ngl {s.model.num_layers + 1}: every layer and the output layer on the GPU, as the estimate assumes"
             if s.gpu_layers is None else
             f"-ngl {s.gpu_layers}: the last {s.gpu_layers} of {s.model.num_layers} layers on the GPU, the rest in "
             "system RAM, as the estimate places them"]
    return Launch("llama-server", c.line(), tuple(c.flags), notes=tuple(notes))


def _ollama(s: LaunchSettings) -> Launch:
    kv = {"fp16": "f16", "q8_0": "q8_0", "q4_0": "q4_0"}.get(s.kv.id)
    if kv is None:
        raise _unsupported("ollama", "KV cache", s.kv.id)
    documented = ENGINE_FLAGS["ollama"]
    env = {
        "OLLAMA_NUM_PARALLEL": str(s.max_seqs),
        "OLLAMA_CONTEXT_LENGTH": str(s.max_model_len),
        "OLLAMA_KV_CACHE_TYPE": kv,
    }
    if kv != "f16":
        env["OLLAMA_FLASH_ATTENTION"] = "1"  # Ollama quantises the KV cache only with flash attention on
    if s.tp * s.pp > 1:
        env["OLLAMA_SCHED_SPREAD"] = "1"
    assert set(env) <= documented.env
    parameters = {"num_ctx": s.max_model_len, "num_predict": s.output_tokens}
    assert set(parameters) <= documented.file_parameters
    name = f"{s.model.id}-llmcalc"
    modelfile = "\n".join([f"FROM {shlex.quote('./' + _gguf_file(s))}"]
                          + [f"PARAMETER {k} {v}" for k, v in parameters.items()])
    env_words = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = "\n".join([
        "cat > Modelfile <<'EOF'", modelfile, "EOF",
        f"{env_words} ollama serve &",
        "sleep 3  # let the server start",
        f"ollama create {shlex.quote(name)} -f Modelfile",
    ])
    notes = (f"FROM: the {s.weights.name} GGUF file of {s.model.name}",
             "OLLAMA_CONTEXT_LENGTH and num_ctx are per request; the KV cache holds that times OLLAMA_NUM_PARALLEL")
    return Launch("ollama", command, ("-f",), env=env, file_parameters=tuple(parameters), notes=notes)


def _mlx(s: LaunchSettings) -> Launch:
    if s.kv.id not in ("fp16", "bf16"):
        raise _unsupported("mlx", "KV cache", s.kv.id)
    c = _Command("mlx", "mlx_lm.server").flag("--model", _repo(s.model))
    c.flag("--decode-concurrency", s.max_seqs).flag("--max-tokens", s.output_tokens)
    c.flag("--prefill-step-size", s.max_step_tokens)
    notes = [f"--model: an MLX conversion of {s.model.name} in {s.weights.name} (mlx_lm.convert makes one)"]
    return Launch("mlx", c.line(), tuple(c.flags), notes=tuple(notes))


BUILDERS = {
    "vllm": _vllm,
    "sglang": _sglang,
    "trtllm": _trtllm,
    "llama-server": _llama_server,
    "ollama": _ollama,
    "mlx": _mlx,
}
