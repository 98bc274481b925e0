"""A model from a GGUF file: its metadata as an HF-style config, and every tensor's stored bytes by type.

The header is walked through a read-only memory map, so only the pages holding the header are read and
the tensor data never is. gguf.GGUFReader was measured at ~6 s on a header with a 150k-token vocabulary
(it builds a NumPy view per string); this walk takes a small fraction of that. The gguf package still
supplies the format's constants: value types, quantization types and their block sizes.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmcalc_tui.sources import SourceError
from llmcalc_tui.sources.config_dir import RawModel

MAX_COUNT = 10_000_000
"""More tensors or keys than this means a corrupt header, not a model."""
KEEP_ARRAY_ITEMS = 65_536
"""Arrays longer than this (vocabularies, merges) keep only their length."""
DEFAULT_ALIGNMENT = 32

ARCH_TO_MODEL_TYPE = {
    "llama": "llama", "mistral3": "mistral", "qwen2": "qwen2", "qwen3": "qwen3", "qwen2moe": "qwen2_moe",
    "qwen3moe": "qwen3_moe", "qwen3next": "qwen3_next", "gemma": "gemma", "gemma2": "gemma2",
    "gemma3": "gemma3_text", "gemma3n": "gemma3n_text", "phi3": "phi3", "deepseek2": "deepseek_v3",
    "gpt-oss": "gpt_oss", "mamba": "mamba", "mamba2": "mamba2", "nemotron_h": "nemotron_h",
    "nemotron_h_moe": "nemotron_h", "granitehybrid": "granitemoehybrid", "glm4moe": "glm4_moe", "smollm3": "smollm3", "falcon-h1": "falcon_h1",
}
"""GGUF general.architecture -> the model_type of the Hugging Face config it was converted from."""


@dataclass(frozen=True, slots=True)
class TensorInfo:
    name: str
    type_name: str
    shape: tuple[int, ...]
    n_bytes: int
    offset: int


@dataclass(frozen=True)
class GgufHeader:
    version: int
    metadata: dict[str, Any]
    """Key -> value; long arrays are replaced by ArrayLength."""
    tensors: list[TensorInfo]
    data_offset: int


@dataclass(frozen=True, slots=True)
class ArrayLength:
    """Stands in for an array too long to keep (a vocabulary): only its length is known."""

    length: int

    def __len__(self) -> int:
        return self.length


class _Corrupt(Exception):
    pass


class _Walker:
    """Little-endian reads from a buffer; any read past the end raises _Corrupt."""

    def __init__(self, buffer: Any, size: int):
        self.buf = buffer
        self.size = size
        self.pos = 0

    def take(self, fmt: str) -> Any:
        width = struct.calcsize(fmt)
        if self.pos + width > self.size:
            raise _Corrupt(f"header runs past the end of the file at byte {self.pos:,}")
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += width
        return value

    def string(self) -> str:
        length = self.take("<Q")
        if self.pos + length > self.size:
            raise _Corrupt(f"string of {length:,} bytes at byte {self.pos:,} runs past the end of the file")
        raw = bytes(self.buf[self.pos:self.pos + length])
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        buf, pos, size = self.buf, self.pos, self.size
        unpack = struct.unpack_from
        for _ in range(count):
            if pos + 8 > size:
                raise _Corrupt(f"string array runs past the end of the file at byte {pos:,}")
            pos += 8 + unpack("<Q", buf, pos)[0]
        if pos > size:
            raise _Corrupt("string array runs past the end of the file")
        self.pos = pos


def _scalar_formats() -> dict[int, str]:
    from gguf import GGUFValueType as V

    return {V.UINT8: "<B", V.INT8: "<b", V.UINT16: "<H", V.INT16: "<h", V.UINT32: "<I", V.INT32: "<i",
            V.FLOAT32: "<f", V.BOOL: "<?", V.UINT64: "<Q", V.INT64: "<q", V.FLOAT64: "<d"}


def _value(walker: _Walker, vtype: int, formats: dict[int, str]) -> Any:
    from gguf import GGUFValueType as V

    if vtype in formats:
        return walker.take(formats[vtype])
    if vtype == V.STRING:
        return walker.string()
    if vtype == V.ARRAY:
        item_type = walker.take("<I")
        count = walker.take("<Q")
        if count > walker.size:
            raise _Corrupt(f"array of {count:,} items cannot fit in the file")
        if count > KEEP_ARRAY_ITEMS:
            if item_type == V.STRING:
                walker.skip_strings(count)
            elif item_type in formats:
                walker.pos += count * struct.calcsize(formats[item_type])
                if walker.pos > walker.size:
                    raise _Corrupt("array runs past the end of the file")
            else:
                raise _Corrupt(f"array of value type {item_type} is not skippable")
            return ArrayLength(count)
        return [_value(walker, item_type, formats) for _ in range(count)]
    raise _Corrupt(f"unknown value type {vtype} at byte {walker.pos:,}")


def read_header(path: Path) -> GgufHeader:
    """Parse the header of a GGUF file (versions 2 and 3, little-endian) without touching tensor data."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        size = path.stat().st_size
        if size < 24:
            raise SourceError(f"{path}: not a GGUF file (too short)")
        try:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise SourceError(f"{path}: cannot map the file: {exc}") from None
        try:
            walker = _Walker(mapped, size)
            if walker.take("<4s") != b"GGUF":
                raise SourceError(f"{path}: not a GGUF file (no GGUF magic)")
            version = walker.take("<I")
            if version & 0xFFFF == 0:
                raise SourceError(f"{path}: big-endian GGUF files are not supported")
            if version not in (2, 3):
                raise SourceError(f"{path}: GGUF version {version} is not supported (2 and 3 are)")
            tensor_count, kv_count = walker.take("<Q"), walker.take("<Q")
            if tensor_count > MAX_COUNT or kv_count > MAX_COUNT:
                raise _Corrupt(f"{tensor_count:,} tensors / {kv_count:,} keys")
            formats = _scalar_formats()
            metadata: dict[str, Any] = {}
            for _ in range(kv_count):
                key = walker.string()
                metadata[key] = _value(walker, walker.take("<I"), formats)
            tensors = []
            for _ in range(tensor_count):
                name = walker.string()
                n_dims = walker.take("<I")
                if n_dims > 8:
                    raise _Corrupt(f"tensor {name!r} has {n_dims} dimensions")
                shape = tuple(walker.take("<Q") for _ in range(n_dims))
                raw_type, offset = walker.take("<I"), walker.take("<Q")
                try:
                    qtype = GGMLQuantizationType(raw_type)
                except ValueError:
                    raise _Corrupt(f"tensor {name!r} has unknown type {raw_type}") from None
                block, type_size = GGML_QUANT_SIZES[qtype]
                elements = 1
                for dim in shape:
                    elements *= dim
                if shape and shape[0] % block:
                    raise _Corrupt(f"tensor {name!r}: row of {shape[0]} is not a multiple of {qtype.name}'s block")
                tensors.append(TensorInfo(name, qtype.name, shape, elements // block * type_size, offset))
            alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
            if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
                raise _Corrupt(f"general.alignment {alignment!r} is not a power of two")
            data_offset = -(-walker.pos // alignment) * alignment
        except _Corrupt as exc:
            raise SourceError(f"{path}: corrupt GGUF header: {exc}") from None
        finally:
            mapped.close()
    end = max((data_offset + t.offset + t.n_bytes for t in tensors), default=data_offset)
    if end > size:
        raise SourceError(f"{path}: truncated GGUF file: its tensors need {end:,} bytes, the file has {size:,}")
    return GgufHeader(version, metadata, tensors, data_offset)


def checkpoint_bytes(header: GgufHeader) -> dict[str, int]:
    """Stored bytes per GGML type name (Q4_K, Q6_K, F16...), summed over every tensor in the file."""
    totals: dict[str, int] = {}
    for tensor in header.tensors:
        totals[tensor.type_name] = totals.get(tensor.type_name, 0) + tensor.n_bytes
    return totals


def _scalar_or_max(value: Any) -> Any:
    """Per-layer arrays (head counts, FFN widths) become their largest value; the array goes in too."""
    if isinstance(value, list):
        numbers = [v for v in value if isinstance(v, (int, float))]
        return max(numbers) if numbers else None
    return value


def _layer_types(header: GgufHeader, layers: int) -> list[str] | None:
    """Per-layer kind from the tensors each block holds, when the blocks differ (hybrid models)."""
    kinds = []
    names = {t.name for t in header.tensors}
    for i in range(layers):
        prefix = f"blk.{i}."
        if f"{prefix}ssm_in.weight" in names or f"{prefix}ssm_conv1d.weight" in names:
            kinds.append("mamba" if f"{prefix}ssm_in.weight" in names else "linear_attention")
        elif any(f"{prefix}{n}.weight" in names for n in ("attn_q", "attn_qkv", "attn_q_a", "attn_kv_a_mqa")):
            kinds.append("full_attention")
        else:
            kinds.append("mlp_only")
    return kinds if len(set(kinds)) > 1 else None


FLOAT_TYPES = {"BF16": "bfloat16", "F16": "float16", "F32": "float32"}


def config_from_header(header: GgufHeader, path: Path) -> dict[str, Any]:
    """The HF-style config.json a GGUF file's metadata stands for (keys the converter reads)."""
    meta = header.metadata
    arch = meta.get("general.architecture")
    if not isinstance(arch, str):
        raise SourceError(f"{path}: GGUF metadata has no general.architecture")

    def get(key: str) -> Any:
        return meta.get(f"{arch}.{key}")

    blocks = get("block_count")
    if not isinstance(blocks, int):
        raise SourceError(f"{path}: GGUF metadata has no {arch}.block_count")
    mtp = get("nextn_predict_layers") or 0
    tokens = meta.get("tokenizer.ggml.tokens")
    embed = next((t for t in header.tensors if t.name == "token_embd.weight"), None)
    vocab = get("vocab_size") or (len(tokens) if tokens is not None else None) or (
        embed.shape[1] if embed is not None and len(embed.shape) == 2 else None
    )
    model_type = ARCH_TO_MODEL_TYPE.get(arch, arch)
    if model_type == "llama" and get("expert_count"):
        model_type = "mixtral"
    config: dict[str, Any] = {
        "model_type": model_type,
        "architectures": [f"gguf:{arch}"],
        "num_hidden_layers": blocks - mtp,
        "hidden_size": get("embedding_length"),
        "num_attention_heads": _scalar_or_max(get("attention.head_count")),
        "num_key_value_heads": _scalar_or_max(get("attention.head_count_kv")),
        "head_dim": get("attention.key_length"),
        "v_head_dim": get("attention.value_length"),
        "intermediate_size": _scalar_or_max(get("feed_forward_length")),
        "vocab_size": vocab,
        "max_position_embeddings": get("context_length"),
        "rope_theta": get("rope.freq_base"),
        "rms_norm_eps": get("attention.layer_norm_rms_epsilon"),
        "sliding_window": get("attention.sliding_window"),
        "tie_word_embeddings": not any(t.name == "output.weight" for t in header.tensors),
        "num_local_experts": get("expert_count"),
        "num_experts": get("expert_count"),
        "num_experts_per_tok": get("expert_used_count"),
        "moe_intermediate_size": get("expert_feed_forward_length"),
        "shared_expert_intermediate_size": get("expert_shared_feed_forward_length"),
        "n_shared_experts": get("expert_shared_count"),
        "first_k_dense_replace": get("leading_dense_block_count"),
        "q_lora_rank": get("attention.q_lora_rank"),
        "kv_lora_rank": get("attention.kv_lora_rank"),
        "qk_rope_head_dim": get("rope.dimension_count") if get("attention.kv_lora_rank") else None,
        "num_nextn_predict_layers": mtp or None,
        "conv_kernel": get("ssm.conv_kernel"),
        "state_size": get("ssm.state_size"),
        "mamba_d_inner": get("ssm.inner_size"),
        "time_step_rank": get("ssm.time_step_rank"),
        "n_groups": get("ssm.group_count"),
    }
    for per_layer in ("attention.head_count_kv", "feed_forward_length", "attention.head_count"):
        if isinstance(get(per_layer), list):
            config[f"gguf_{per_layer.replace('.', '_')}_per_layer"] = get(per_layer)
    layer_types = _layer_types(header, blocks - mtp)
    if layer_types:
        config["layer_types"] = layer_types
    _family_keys(config, arch, get, {t.name for t in header.tensors})
    floats = checkpoint_bytes(header)
    largest_float = max((t for t in floats if t in FLOAT_TYPES), key=floats.__getitem__, default=None)
    if largest_float:
        config["torch_dtype"] = FLOAT_TYPES[largest_float]
    return {k: v for k, v in config.items() if v is not None}


def _family_keys(config: dict[str, Any], arch: str, get: Any, tensors: set[str]) -> None:
    """Where an architecture's config.json spells a value differently from the generic GGUF keys."""
    pattern = get("attention.sliding_window_pattern")
    if isinstance(pattern, list) and pattern and "layer_types" not in config:
        config["layer_types"] = ["sliding_attention" if swa else "full_attention" for swa in pattern]
    if arch in ("deepseek2", "glm4moe"):
        config["n_routed_experts"] = get("expert_count")
    if arch == "deepseek2":
        rope = get("rope.dimension_count") or 0
        key_mla, value_mla = get("attention.key_length_mla"), get("attention.value_length_mla")
        if key_mla is None:  # files converted before the MLA-specific keys: key/value lengths are the heads'
            key_mla, value_mla = get("attention.key_length"), get("attention.value_length")
        config["qk_nope_head_dim"] = key_mla - rope if key_mla else None
        config["v_head_dim"] = value_mla
        config.pop("head_dim", None)
        if any(name.endswith(".exp_probs_b.bias") for name in tensors):
            config["topk_method"] = "noaux_tc"
    if arch == "glm4moe":
        config["use_qk_norm"] = any(name.endswith(".attn_q_norm.weight") for name in tensors)
        config["attention_bias"] = any(name.endswith(".attn_q.bias") for name in tensors)
    if arch == "gpt-oss":
        config["intermediate_size"] = get("expert_feed_forward_length")
    if arch == "qwen3next":
        # llama.cpp's converter stores the Gated DeltaNet sizes under the ssm.* keys (convert_hf_to_gguf.py,
        # Qwen3NextModel): conv kernel, key head dim as state size, key heads as groups, value heads as
        # time-step rank, value head dim x value heads as inner size.
        value_heads = get("ssm.time_step_rank")
        config.update(
            linear_conv_kernel_dim=get("ssm.conv_kernel"), linear_key_head_dim=get("ssm.state_size"),
            linear_num_key_heads=get("ssm.group_count"), linear_num_value_heads=value_heads,
            linear_value_head_dim=(get("ssm.inner_size") or 0) // value_heads if value_heads else None,
            full_attention_interval=get("full_attention_interval"),
        )
        if "layer_types" in config:
            config["layer_types"] = ["linear_attention" if t == "mamba" else t for t in config["layer_types"]]
        head_dim, rope = config.get("head_dim"), get("rope.dimension_count")
        if head_dim and rope:
            config["partial_rotary_factor"] = rope / head_dim
        for key in ("conv_kernel", "state_size", "mamba_d_inner", "time_step_rank", "n_groups"):
            config.pop(key, None)
    if arch in ("nemotron_h", "nemotron_h_moe"):
        # Mamba2 sizes (ssm.inner_size = heads x head dim, ssm.time_step_rank = heads) and the block pattern
        # (M Mamba2, * attention, - MLP, E MoE) from the tensors each block holds.
        heads = get("ssm.time_step_rank")
        config.update(
            mamba_num_heads=heads, mamba_head_dim=(get("ssm.inner_size") or 0) // heads if heads else None,
            ssm_state_size=get("ssm.state_size"), n_routed_experts=get("expert_count"),
            moe_shared_expert_intermediate_size=get("expert_shared_feed_forward_length"),
            hybrid_override_pattern="".join(
                _block_letter(i, tensors) for i in range(config["num_hidden_layers"])),
        )
        config.pop("layer_types", None)
    for key in [k for k, v in config.items() if v is None]:
        del config[key]


def _block_letter(index: int, tensors: set[str]) -> str:
    prefix = f"blk.{index}."
    if f"{prefix}ssm_in.weight" in tensors:
        return "M"
    if f"{prefix}attn_q.weight" in tensors:
        return "*"
    if f"{prefix}ffn_up_exps.weight" in tensors or f"{prefix}ffn_down_exps.weight" in tensors:
        return "E"
    return "-"


_FILE_TYPE_FORMATS = {"ALL_F32": "fp32", "MOSTLY_F16": "fp16", "MOSTLY_BF16": "bf16", "MOSTLY_MXFP4_MOE": "mxfp4-gguf"}


def file_type_format(header: GgufHeader) -> str | None:
    """The weight format id of general.file_type (MOSTLY_Q4_K_M -> q4_k_m), when it has one."""
    from gguf import LlamaFileType

    value = header.metadata.get("general.file_type")
    if not isinstance(value, int):
        return None
    try:
        name = LlamaFileType(value).name
    except ValueError:
        return None
    return _FILE_TYPE_FORMATS.get(name, name.removeprefix("MOSTLY_").lower())


def read_gguf_source(location: str | Path) -> RawModel:
    """Config and exact stored bytes of a GGUF file."""
    path = Path(location)
    header = read_header(path)
    config = config_from_header(header, path)
    name = header.metadata.get("general.name")
    return RawModel(config, checkpoint_bytes(header), name=name if isinstance(name, str) else path.stem,
                    notes=f"GGUF {path.name}: {sum(t.n_bytes for t in header.tensors):,} bytes of tensors",
                    native_format=file_type_format(header))
