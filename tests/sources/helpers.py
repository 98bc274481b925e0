"""Helpers for the model-source tests: the SmolLM2-135M config and tensors, safetensors checkpoints."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .fake_hub import safetensors_file

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
SMOLLM2_CONFIG = json.loads((DATA / "smollm2-135m" / "config.json").read_text())
SMOLLM2_PARAMS = 134_515_008
"""Hand-checked in tests/data/sources/SOURCES.md."""


def smollm2_tensors(dtype: str = "BF16") -> dict[str, tuple[str, list[int]]]:
    """Every tensor of SmolLM2-135M with its real shape (tied: no lm_head)."""
    h, kv, inter, vocab = 576, 192, 1536, 49152
    tensors = {"model.embed_tokens.weight": (dtype, [vocab, h]), "model.norm.weight": (dtype, [h])}
    for i in range(30):
        p = f"model.layers.{i}."
        tensors.update({
            p + "self_attn.q_proj.weight": (dtype, [h, h]),
            p + "self_attn.k_proj.weight": (dtype, [kv, h]),
            p + "self_attn.v_proj.weight": (dtype, [kv, h]),
            p + "self_attn.o_proj.weight": (dtype, [h, h]),
            p + "mlp.gate_proj.weight": (dtype, [inter, h]),
            p + "mlp.up_proj.weight": (dtype, [inter, h]),
            p + "mlp.down_proj.weight": (dtype, [h, inter]),
            p + "input_layernorm.weight": (dtype, [h]),
            p + "post_attention_layernorm.weight": (dtype, [h]),
        })
    return tensors


BYTES_PER = {"BF16": 2, "F16": 2, "F32": 4, "F8_E4M3": 1}


def write_checkpoint(folder: Path, tensors: dict[str, tuple[str, list[int]]], shards: int = 1) -> int:
    """Safetensors shard(s) (and an index when sharded) in a folder; returns the bytes stored."""
    folder.mkdir(parents=True, exist_ok=True)
    names = list(tensors)
    if shards == 1:
        _write_sparse(folder / "model.safetensors", tensors)
    else:
        weight_map = {}
        for k in range(shards):
            part = {n: tensors[n] for n in names[k::shards]}
            file = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
            _write_sparse(folder / file, part)
            weight_map.update({n: file for n in part})
        (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return sum(_size(shape) * BYTES_PER[dtype] for dtype, shape in tensors.values())


def _size(shape: list[int]) -> int:
    out = 1
    for dim in shape:
        out *= dim
    return out


def _write_sparse(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> None:
    """The header, then a hole as long as the tensor data (a real file size without writing the zeros)."""
    header = safetensors_file(tensors, BYTES_PER, data=False)
    path.write_bytes(header)
    os.truncate(path, len(header) + sum(_size(shape) * BYTES_PER[dtype] for dtype, shape in tensors.values()))


# ---------------------------------------------------------------- GGUF

TINY = {"hidden": 512, "layers": 2, "heads": 8, "kv_heads": 4, "ffn": 1536, "vocab": 1024, "context": 4096}
"""A small Llama-architecture model whose rows are multiples of the k-quant block of 256 weights."""
TINY_PARAMS = (
    2 * 1024 * 512  # token_embd + output (untied)
    + 2 * (512 * 512 + 2 * 512 * 256 + 512 * 512  # attn q, k, v, o (8 heads, 4 KV heads of 64)
           + 3 * 512 * 1536  # ffn gate, up, down
           + 2 * 512)  # attn_norm, ffn_norm
    + 512  # output_norm
)
"""7,342,592 parameters."""
Q4_K_BYTES_PER_256, Q6_K_BYTES_PER_256 = 144, 210
"""llama.cpp's block sizes: 256 weights in 144 bytes (4.5 bits) and in 210 bytes (6.5625 bits)."""


def tiny_tensors() -> dict[str, tuple[str, tuple[int, int] | tuple[int]]]:
    """GGUF tensor name -> (type, GGUF shape [row length, rows]) in llama.cpp's Q4_K_M pattern."""
    h, kv, ffn, vocab = 512, 256, 1536, 1024
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {
        "token_embd.weight": ("Q6_K", (h, vocab)),
        "output_norm.weight": ("F32", (h,)),
        "output.weight": ("Q6_K", (h, vocab)),
    }
    for i in range(2):
        tensors.update({
            f"blk.{i}.attn_norm.weight": ("F32", (h,)),
            f"blk.{i}.attn_q.weight": ("Q4_K", (h, h)),
            f"blk.{i}.attn_k.weight": ("Q4_K", (h, kv)),
            f"blk.{i}.attn_v.weight": ("Q6_K", (h, kv)),
            f"blk.{i}.attn_output.weight": ("Q4_K", (h, h)),
            f"blk.{i}.ffn_norm.weight": ("F32", (h,)),
            f"blk.{i}.ffn_gate.weight": ("Q4_K", (h, ffn)),
            f"blk.{i}.ffn_up.weight": ("Q4_K", (h, ffn)),
            f"blk.{i}.ffn_down.weight": ("Q6_K", (ffn, h)),
        })
    return tensors


def tensor_bytes(kind: str, shape: tuple[int, ...]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return {"F32": count * 4, "F16": count * 2, "Q4_K": count // 256 * Q4_K_BYTES_PER_256,
            "Q6_K": count // 256 * Q6_K_BYTES_PER_256}[kind]


def write_gguf(path: Path, tensors: dict | None = None, arch: str = "llama", metadata: bool = True,
               with_data: bool = True) -> int:
    """A GGUF file written with the gguf package: Llama metadata and raw k-quant blocks; returns tensor bytes."""
    import numpy as np
    from gguf import GGMLQuantizationType, GGUFWriter

    tensors = tiny_tensors() if tensors is None else tensors
    writer = GGUFWriter(str(path), arch=arch)
    writer.add_name("Tiny Llama Q4_K_M")
    if metadata:
        writer.add_block_count(TINY["layers"])
        writer.add_embedding_length(TINY["hidden"])
        writer.add_feed_forward_length(TINY["ffn"])
        writer.add_head_count(TINY["heads"])
        writer.add_head_count_kv(TINY["kv_heads"])
        writer.add_context_length(TINY["context"])
        writer.add_rope_freq_base(500000.0)
        writer.add_layer_norm_rms_eps(1e-5)
        writer.add_file_type(15)  # MOSTLY_Q4_K_M
        writer.add_token_list([f"t{i}" for i in range(TINY["vocab"])])
    total = 0
    for name, (kind, shape) in tensors.items():
        qtype = GGMLQuantizationType[kind]
        size = tensor_bytes(kind, shape)
        total += size
        if kind == "F32":
            array = np.zeros(tuple(reversed(shape)), dtype=np.float32)
        else:
            rows = shape[1] if len(shape) > 1 else 1
            array = np.zeros((rows, size // rows), dtype=np.uint8)
        if with_data:
            writer.add_tensor(name, array, raw_dtype=None if kind == "F32" else qtype)
        else:
            writer.add_tensor_info(name, array.shape, array.dtype, size, raw_dtype=None if kind == "F32" else qtype)
    if with_data:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    else:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
    writer.close()
    return total
