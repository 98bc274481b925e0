"""Command-line flags, environment variables and file parameters each serving engine documents.

These are the names `launch.py` may emit; a test checks every emitted name against these lists. Each
list is the part of the engine's documentation llmcalc uses (not every option the engine has), copied
from the source named next to it on the date given. Where an engine renames a flag, update the list
from its documentation first: the launch test then shows every command that needs the new name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DocumentedFlags:
    program: str
    source: str
    as_of: str
    flags: frozenset[str] = frozenset()
    """Command-line options, spelled as the documentation spells them (every alias listed separately)."""
    env: frozenset[str] = frozenset()
    """Environment variables the server reads."""
    file_parameters: frozenset[str] = frozenset()
    """Parameters of a configuration file (Ollama's Modelfile PARAMETER lines)."""
    choices: dict[str, frozenset[str]] | None = None
    """Documented values of options that take one of a set."""


ENGINE_FLAGS: dict[str, DocumentedFlags] = {
    "vllm": DocumentedFlags(
        program="vllm serve",
        source="https://docs.vllm.ai/en/latest/configuration/engine_args.html (usage of `vllm serve`; "
        "also https://docs.vllm.ai/en/v0.8.5/serving/engine_args.html)",
        as_of="2026-11-27",
        flags=frozenset({
            "--host", "--port", "--tensor-parallel-size", "--pipeline-parallel-size", "--max-model-len",
            "--max-num-seqs", "--max-num-batched-tokens", "--gpu-memory-utilization", "--kv-cache-dtype",
            "--quantization", "--dtype", "--enable-prefix-caching", "--block-size", "--trust-remote-code",
            "--data-parallel-size", "--enable-expert-parallel",
        }),
        choices={
            "--kv-cache-dtype": frozenset({"auto", "fp8", "fp8_e5m2", "fp8_e4m3"}),
            "--dtype": frozenset({"auto", "half", "float16", "bfloat16", "float", "float32"}),
        },
    ),
    "sglang": DocumentedFlags(
        program="python -m sglang.launch_server",
        source="https://docs.sglang.io/advanced_features/server_arguments.html "
        "(python3 -m sglang.launch_server --help; sgl-project/sglang python/sglang/srt/server_args.py)",
        as_of="2026-11-27",
        flags=frozenset({
            "--model-path", "--host", "--port", "--tp-size", "--tensor-parallel-size", "--pp-size",
            "--pipeline-parallel-size", "--context-length", "--max-running-requests",
            "--mem-fraction-static", "--kv-cache-dtype", "--quantization", "--chunked-prefill-size",
            "--max-total-tokens", "--dtype", "--trust-remote-code",
        }),
        choices={
            "--kv-cache-dtype": frozenset({"auto", "fp8_e5m2", "fp8_e4m3"}),
            "--dtype": frozenset({"auto", "half", "float16", "bfloat16", "float", "float32"}),
        },
    ),
    "trtllm": DocumentedFlags(
        program="trtllm-serve",
        source="https://nvidia.github.io/TensorRT-LLM/0.18.2/commands/trtllm-serve.html "
        "(trtllm-serve [OPTIONS] MODEL)",
        as_of="2026-11-27",
        flags=frozenset({
            "--host", "--port", "--backend", "--tokenizer", "--max_beam_width", "--max_batch_size",
            "--max_num_tokens", "--max_seq_len", "--tp_size", "--pp_size", "--ep_size",
            "--kv_cache_free_gpu_memory_fraction", "--trust_remote_code",
        }),
        choices={"--backend": frozenset({"pytorch", "tensorrt", "trt", "_autodeploy"})},
    ),
    "llama-server": DocumentedFlags(
        program="llama-server",
        source="https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md "
        "(generated from common/arg.cpp; commit 00dc8057)",
        as_of="2026-11-27",
        flags=frozenset({
            "-m", "--model", "-hf", "--hf-repo", "--host", "--port", "-c", "--ctx-size", "-np", "--parallel",
            "-ngl", "--gpu-layers", "--n-gpu-layers", "-ts", "--tensor-split", "-sm", "--split-mode",
            "-ctk", "--cache-type-k", "-ctv", "--cache-type-v", "-fa", "--flash-attn", "-b", "--batch-size",
            "-ub", "--ubatch-size", "-n", "--n-predict", "-kvu", "--kv-unified", "-cb", "--cont-batching",
            # offload (issue 14): "-cmoe, --cpu-moe", "-ncmoe, --n-cpu-moe N", "-nkvo, --no-kv-offload"
            "-cmoe", "--cpu-moe", "-ncmoe", "--n-cpu-moe", "-nkvo", "--no-kv-offload",
        }),
        choices={
            "-ctk": frozenset({"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"}),
            "-ctv": frozenset({"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"}),
            "-sm": frozenset({"none", "layer", "row", "tensor"}),
            "-fa": frozenset({"on", "off", "auto"}),
        },
    ),
    "ollama": DocumentedFlags(
        program="ollama serve",
        source="https://github.com/ollama/ollama/blob/main/envconfig/config.go and docs/faq.md "
        "(environment); https://github.com/ollama/ollama/blob/main/docs/modelfile.md (PARAMETER names); "
        "docs/context-length.mdx (OLLAMA_CONTEXT_LENGTH)",
        as_of="2026-11-27",
        flags=frozenset({"-f"}),
        env=frozenset({
            "OLLAMA_HOST", "OLLAMA_NUM_PARALLEL", "OLLAMA_CONTEXT_LENGTH", "OLLAMA_KV_CACHE_TYPE",
            "OLLAMA_FLASH_ATTENTION", "OLLAMA_MAX_LOADED_MODELS", "OLLAMA_SCHED_SPREAD", "OLLAMA_KEEP_ALIVE",
            "OLLAMA_MAX_QUEUE", "OLLAMA_GPU_OVERHEAD",
        }),
        file_parameters=frozenset({
            "num_ctx", "num_predict", "temperature", "seed", "stop", "top_k", "top_p", "min_p",
            "repeat_last_n", "repeat_penalty",
        }),
        choices={"OLLAMA_KV_CACHE_TYPE": frozenset({"f16", "q8_0", "q4_0"})},
    ),
    "mlx": DocumentedFlags(
        program="mlx_lm.server",
        source="https://github.com/ml-explore/mlx-lm/blob/main/mlx_lm/server.py (argparse options)",
        as_of="2026-11-27",
        flags=frozenset({
            "--model", "--host", "--port", "--adapter-path", "--trust-remote-code", "--max-tokens",
            "--decode-concurrency", "--prompt-concurrency", "--prefill-step-size", "--prompt-cache-size",
            "--draft-model", "--num-draft-tokens", "--log-level",
        }),
    ),
}
