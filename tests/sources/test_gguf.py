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
