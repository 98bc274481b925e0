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
