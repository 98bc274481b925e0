"""--gguf PATH: GGUF files written with the gguf package (k-quant tensors), read from the header only."""

from __future__ import annotations

import json
import os
import time

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.cli import main
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.sources.gguf_file import read_gguf_source, read_header
from llmcalc_tui.sources.ref import parse_source
from llmcalc_tui.sources.resolve import load_model

from .helpers import TINY_PARAMS, tensor_bytes, tiny_tensors, write_gguf

GIB = 2**30
TINY_Q4_K = 2 * (512 * 512 + 512 * 256 + 512 * 512 + 2 * 512 * 1536) // 256 * 144
TINY_Q6_K = (2 * 512 * 1024 + 2 * (512 * 256 + 1536 * 512)) // 256 * 210
TINY_F32 = (2 * 2 + 1) * 512 * 4
"""Hand-checked: 2,506,752 bytes of Q4_K, 2,365,440 of Q6_K (embedding, output, attn_v, ffn_down), 10,240 of F32."""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny-Q4_K_M.gguf"
    write_gguf(path)
    return path


def test_stored_bytes_by_type_are_the_files_tensors(tiny):
    assert (TINY_Q4_K, TINY_Q6_K, TINY_F32) == (2_506_752, 2_365_440, 10_240)
    raw = read_gguf_source(tiny)
    assert raw.checkpoint_bytes == {"Q4_K": TINY_Q4_K, "Q6_K": TINY_Q6_K, "F32": TINY_F32}
    assert raw.native_format == "q4_k_m"
    assert raw.config["num_hidden_layers"] == 2 and raw.config["num_key_value_heads"] == 4
    assert raw.config["vocab_size"] == 1024 and raw.config["tie_word_embeddings"] is False


def test_header_walk_agrees_with_gguf_reader(tiny):
    from gguf import GGUFReader

    reference = GGUFReader(tiny)
    ours = read_header(tiny)
    assert [(t.name, t.type_name, t.n_bytes) for t in ours.tensors] == [
        (t.name, t.tensor_type.name, int(t.n_bytes)) for t in reference.tensors
    ]
    assert ours.data_offset == reference.data_offset
    assert [tuple(int(d) for d in t.shape) for t in reference.tensors] == [t.shape for t in ours.tensors]


def test_model_from_gguf_weights_kv_and_params(tiny, capsys):
    spec = load_model(parse_source(str(tiny)))
    assert arch.param_breakdown(spec).total == TINY_PARAMS == 7_342_592
    fmt = load_builtin().formats[spec.native_dtype]
    assert fmt.id == "q4_k_m"
    assert arch.weight_bytes(spec, fmt).total == TINY_Q4_K + TINY_Q6_K + TINY_F32
    code, out, err = run(capsys, "estimate", "--gguf", str(tiny), "--input-tokens", "3000", "--output-tokens", "1000",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["weights"] == "q4_k_m" and data["model"]["params_total"] == TINY_PARAMS
    # fp16 KV: 2 layers x (K + V) x 4 heads x 64 x 2 bytes = 2,048 bytes per token, 4,000 tokens
    assert data["memory_gib"]["kv_cache"] == pytest.approx(2 * 2 * 4 * 64 * 2 * 4000 / GIB, abs=1e-4)


def test_hundred_gigabyte_file_reads_in_well_under_a_second(tmp_path, capsys):
    """Header only: a sparse 100+ GB file with a 150k-token vocabulary is read without touching its data."""
    from gguf import GGUFWriter

    path = tmp_path / "huge.gguf"
    writer = GGUFWriter(str(path), arch="llama")
    for key, value in (("block_count", 80), ("embedding_length", 8192), ("feed_forward_length", 28672),
                       ("attention.head_count", 64), ("attention.head_count_kv", 8), ("context_length", 131072)):
        writer.add_uint32(f"llama.{key}", value)
    writer.add_token_list([f"token{i}" for i in range(150_000)])
    writer.add_token_merges([f"a{i} b{i}" for i in range(150_000)])
    total = 0
    shapes = {"attn_q": ((8192, 8192), "Q4_K"), "attn_k": ((8192, 1024), "Q4_K"), "attn_v": ((8192, 1024), "Q6_K"),
              "attn_output": ((8192, 8192), "Q4_K"), "ffn_gate": ((8192, 28672), "F16"),
              "ffn_up": ((8192, 28672), "F16"), "ffn_down": ((28672, 8192), "F16")}
    import numpy as np
    from gguf import GGMLQuantizationType

    def add(name: str, shape: tuple[int, ...], kind: str) -> None:
        nonlocal total
        size = tensor_bytes(kind, shape)
        total += size
        rows = shape[1] if len(shape) > 1 else 1
        writer.add_tensor_info(name, (rows, size // rows), np.dtype(np.uint8), size, raw_dtype=GGMLQuantizationType[kind])

    add("token_embd.weight", (8192, 150_000 // 256 * 256), "Q6_K")
    add("output.weight", (8192, 150_000 // 256 * 256), "Q6_K")
    for i in range(80):
        for part, (shape, kind) in shapes.items():
            add(f"blk.{i}.{part}.weight", shape, kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    header_size = path.stat().st_size
    os.truncate(path, header_size + 64 + total)  # the data: a hole, as long as the tensors
    assert path.stat().st_size > 100e9 and path.stat().st_blocks * 512 < 64 * 2**20

    start = time.perf_counter()
    raw = read_gguf_source(path)
    elapsed = time.perf_counter() - start
    assert sum(raw.checkpoint_bytes.values()) == total
    assert raw.config["vocab_size"] == 150_000
    assert elapsed < 0.5, f"{elapsed:.2f} s for the header"
    code, out, err = run(capsys, "estimate", "--gguf", str(path), "--gpus", "8", "--hardware", "h100-sxm", "--json")
    assert code == 0, err
    assert json.loads(out)["memory_gib"]["weights"] == pytest.approx(total / GIB, abs=1e-3)


@pytest.mark.parametrize("damage, needle", [
    (lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 100), "not a GGUF file"),
    (lambda p: p.write_bytes(p.read_bytes()[:200]), "corrupt GGUF header"),
    (lambda p: p.write_bytes(p.read_bytes()[:-1000]), "truncated GGUF file"),
    (lambda p: p.write_bytes(b"GGUF" + (9).to_bytes(4, "little") + b"\0" * 40), "GGUF version 9"),
    (lambda p: p.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + (1).to_bytes(8, "little")
                             + (1).to_bytes(8, "little") + (10**12).to_bytes(8, "little")), "corrupt GGUF header"),
    (lambda p: p.write_bytes(b""), "not a GGUF file"),
])
def test_corrupt_files_are_one_line_with_the_path(tiny, capsys, damage, needle):
    damage(tiny)
    code, out, err = run(capsys, "estimate", "--gguf", str(tiny))
    assert code == 2 and out == ""
    assert needle in err and str(tiny) in err
    assert len(err.strip().splitlines()) == 1


def test_gguf_without_architecture_metadata_names_what_is_missing(tmp_path, capsys):
    path = tmp_path / "bare.gguf"
    write_gguf(path, metadata=False)
    code, _, err = run(capsys, "estimate", "--gguf", str(path))
    assert code == 2 and "llama.block_count" in err


def test_path_ending_in_gguf_and_the_gguf_prefix_work_in_model(tiny, capsys):
    for text in (str(tiny), f"gguf:{tiny}"):
        code, out, err = run(capsys, "estimate", "--model", text, "--json")
        assert code == 0, err
        assert json.loads(out)["model"]["params_total"] == TINY_PARAMS


def test_tensor_list_helper_matches_the_hand_count():
    total = sum(tensor_bytes(kind, shape) for kind, shape in tiny_tensors().values())
    assert total == TINY_Q4_K + TINY_Q6_K + TINY_F32 == 4_882_432


def write_arch_gguf(path, arch: str, keys: dict, tensors: dict[str, tuple[str, tuple[int, ...]]]) -> None:
    """A GGUF with the given `{arch}.*` metadata and tensor infos (a hole where the data would be)."""
    import numpy as np
    from gguf import GGMLQuantizationType, GGUFWriter

    writer = GGUFWriter(str(path), arch=arch)
    for key, value in keys.items():
        if isinstance(value, list):
            writer.add_array(f"{arch}.{key}", value)
        elif isinstance(value, float):
            writer.add_float32(f"{arch}.{key}", value)
        else:
            writer.add_uint32(f"{arch}.{key}", value)
    writer.add_token_list([f"t{i}" for i in range(1024)])
    total = 0
    for name, (kind, shape) in tensors.items():
        size = tensor_bytes(kind, shape)
        total += size
        rows = shape[1] if len(shape) > 1 else 1
        dtype = np.dtype(np.float32) if kind == "F32" else np.dtype(np.uint8)
        np_shape = tuple(reversed(shape)) if kind == "F32" else (rows, size // rows)
        writer.add_tensor_info(name, np_shape, dtype, size, raw_dtype=None if kind == "F32" else GGMLQuantizationType[kind])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    os.truncate(path, path.stat().st_size + 64 + total)


def test_qwen3_moe_gguf_maps_experts(tmp_path):
    """Hand count: embedding + output 2 x 1,024 x 512; per layer attention 786,432, q/k norms 128, norms 1,024,
    router 2,048, 4 experts x 3 x 512 x 256 = 1,572,864; final norm 512."""
    path = tmp_path / "qwen3moe.gguf"
    keys = {"block_count": 2, "embedding_length": 512, "feed_forward_length": 1536, "attention.head_count": 8,
            "attention.head_count_kv": 4, "attention.key_length": 64, "attention.value_length": 64,
            "context_length": 32768, "expert_count": 4, "expert_used_count": 2, "expert_feed_forward_length": 256}
    tensors = {"token_embd.weight": ("Q6_K", (512, 1024)), "output.weight": ("Q6_K", (512, 1024))}
    for i in range(2):
        tensors[f"blk.{i}.attn_q.weight"] = ("Q4_K", (512, 512))
        tensors[f"blk.{i}.ffn_gate_exps.weight"] = ("Q4_K", (512, 256 * 4))
    write_arch_gguf(path, "qwen3moe", keys, tensors)
    spec = load_model(parse_source(str(path)))
    counts = arch.param_breakdown(spec)
    per_layer = 786_432 + 128 + 1_024 + 2_048 + 1_572_864
    assert counts.total == 2 * 1024 * 512 + 2 * per_layer + 512 == 5_774_080
    # two unused experts in each of two layers, and the untied input embedding (one row read per token)
    assert counts.active == counts.total - 2 * 2 * 3 * 512 * 256 - 1024 * 512 == 3_676_928
    assert spec.checkpoint_bytes == sum(tensor_bytes(k, s) for k, s in tensors.values())


def test_gpt_oss_gguf_uses_the_expert_width_and_alternating_windows(tmp_path, capsys):
    path = tmp_path / "gpt-oss.gguf"
    keys = {"block_count": 2, "embedding_length": 512, "feed_forward_length": 256, "attention.head_count": 8,
            "attention.head_count_kv": 2, "attention.key_length": 64, "attention.value_length": 64,
            "context_length": 131072, "expert_count": 4, "expert_used_count": 2, "expert_feed_forward_length": 256,
            "attention.sliding_window": 128}
    write_arch_gguf(path, "gpt-oss", keys, {"token_embd.weight": ("Q6_K", (512, 1024)),
                                            "output.weight": ("Q6_K", (512, 1024))})
    code, out, err = run(capsys, "estimate", "--gguf", str(path), "--input-tokens", "8000", "--json")
    assert code == 0, err
    # KV: the full layer holds 8,200 tokens, the sliding one 128; 2 KV heads x 64 x (K + V) x 2 bytes each
    per_token_layer = 2 * 64 * 2 * 2
    assert json.loads(out)["memory_gib"]["kv_cache"] == pytest.approx(
        per_token_layer * (8200 + 128) / GIB, abs=1e-4)


def test_unsupported_gguf_architecture_names_the_field(tmp_path, capsys):
    path = tmp_path / "rwkv.gguf"
    write_arch_gguf(path, "rwkv7", {"block_count": 2, "embedding_length": 512}, {"token_embd.weight": ("F32", (512, 4))})
    code, _, err = run(capsys, "estimate", "--gguf", str(path))
    assert code == 2 and "model_type" in err and "rwkv7" in err and len(err.strip().splitlines()) == 1


def test_nemotron_h_gguf_blocks_and_mamba_state(tmp_path, capsys):
    """Blocks M - * - (from the tensors each holds). Hand count of the fixed state of the Mamba2 block:
    conv (16 x 64 + 2 x 8 x 128) x (4 - 1) = 9,216 bf16 values, SSM 16 x 64 x 128 = 131,072 fp32 values,
    so 542,720 bytes per sequence; the attention block caches 2 KV heads x 64 x (K + V) x 2 = 512 B/token."""
    path = tmp_path / "nemotron-h.gguf"
    keys = {"block_count": 4, "embedding_length": 512, "attention.head_count": 8, "attention.key_length": 64,
            "attention.value_length": 64, "context_length": 8192, "ssm.conv_kernel": 4, "ssm.state_size": 128,
            "ssm.group_count": 8, "ssm.inner_size": 1024, "ssm.time_step_rank": 16, "feed_forward_length": 1536}
    tensors = {"token_embd.weight": ("Q6_K", (512, 1024)), "output.weight": ("Q6_K", (512, 1024)),
               "blk.0.ssm_in.weight": ("Q4_K", (512, 3 * 1024)), "blk.1.ffn_up.weight": ("Q4_K", (512, 1536)),
               "blk.2.attn_q.weight": ("Q4_K", (512, 512)), "blk.3.ffn_up.weight": ("Q4_K", (512, 1536))}
    # per-layer KV heads and FFN widths, as llama.cpp writes them for hybrid models (0 where a block has none)
    keys |= {"attention.head_count_kv": [0, 0, 2, 0], "feed_forward_length": [0, 1536, 0, 1536]}
    write_arch_gguf(path, "nemotron_h", keys, tensors)
    raw = read_gguf_source(path)
    assert raw.config["hybrid_override_pattern"] == "M-*-"
    assert (raw.config["mamba_num_heads"], raw.config["mamba_head_dim"]) == (16, 64)
    code, out, err = run(capsys, "estimate", "--gguf", str(path), "--batch", "100", "--input-tokens", "1000",
                         "--output-tokens", "1000", "--json")
    assert code == 0, err
    memory = json.loads(out)["memory_gib"]
    assert memory["recurrent_state"] == pytest.approx(100 * 542_720 / GIB, abs=1e-4)
    assert memory["kv_cache"] == pytest.approx(100 * (542_720 + 512 * 2000) / GIB, abs=1e-4)


def test_qwen3_next_gguf_gated_deltanet_state(tmp_path, capsys):
    """Three Gated DeltaNet blocks and one attention block (full_attention_interval 4). Per linear block:
    conv (2 x 4 x 128 + 8 x 128) x 3 = 6,144 bf16 values, state 8 x 128 x 128 = 131,072 fp32 values, so
    536,576 bytes; three of them 1,609,728 bytes per sequence. Attention: 2 x 128 x 2 x 2 = 1,024 B/token."""
    path = tmp_path / "qwen3next.gguf"
    keys = {"block_count": 4, "embedding_length": 512, "feed_forward_length": 0, "attention.head_count": 8,
            "attention.head_count_kv": 2, "attention.key_length": 128, "attention.value_length": 128,
            "context_length": 32768, "rope.dimension_count": 32, "expert_count": 4, "expert_used_count": 2,
            "expert_feed_forward_length": 256, "expert_shared_feed_forward_length": 256, "ssm.conv_kernel": 4,
            "ssm.state_size": 128, "ssm.group_count": 4, "ssm.time_step_rank": 8, "ssm.inner_size": 1024,
            "full_attention_interval": 4}
    tensors = {"token_embd.weight": ("Q6_K", (512, 1024)), "output.weight": ("Q6_K", (512, 1024))}
    for i in range(3):
        tensors[f"blk.{i}.ssm_in.weight"] = ("Q4_K", (512, 1024))
    tensors["blk.3.attn_q.weight"] = ("Q4_K", (512, 2048))
    write_arch_gguf(path, "qwen3next", keys, tensors)
    raw = read_gguf_source(path)
    assert raw.config["layer_types"] == ["linear_attention"] * 3 + ["full_attention"]
    assert raw.config["linear_value_head_dim"] == 128 and raw.config["partial_rotary_factor"] == 0.25
    code, out, err = run(capsys, "estimate", "--gguf", str(path), "--batch", "100", "--json")
    assert code == 0, err
    memory = json.loads(out)["memory_gib"]
    assert memory["recurrent_state"] == pytest.approx(100 * 1_609_728 / GIB, abs=1e-4)
    assert memory["kv_cache"] == pytest.approx(100 * (1_609_728 + 1_024 * 1200) / GIB, abs=1e-4)


def test_scenarios_store_a_gguf_source_and_list_show_it_resolved(tiny, capsys):
    code, _, err = run(capsys, "scenarios", "save", "tiny local", "--gguf", str(tiny), "--hardware", "rtx-4090")
    assert code == 0, err
    code, out, err = run(capsys, "scenarios", "list", "--json")
    assert code == 0, err
    [entry] = json.loads(out)
    assert entry["inputs"]["model"] == f"gguf:{tiny}" and entry["unknown_ids"] == {}
    code, out, err = run(capsys, "scenarios", "show", "tiny local", "--json")
    assert code == 0, err
    assert json.loads(out)["model"]["params_total"] == TINY_PARAMS
