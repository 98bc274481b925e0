"""--model-config PATH: a config.json, or a folder with one and its safetensors headers, read from disk."""

from __future__ import annotations

import json
import shutil

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.cli import main
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.sources import SourceError
from llmcalc_tui.sources.ref import parse_source
from llmcalc_tui.sources.resolve import load_model
from llmcalc_tui.sources.safetensors_header import folder_checkpoint_bytes

from .helpers import DATA, SMOLLM2_CONFIG, SMOLLM2_PARAMS, smollm2_tensors, write_checkpoint

GIB = 2**30


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def weights_bytes(spec) -> float:
    return arch.weight_bytes(spec, load_builtin().formats[spec.native_dtype]).total


def test_config_file_alone_sizes_from_the_native_dtype(capsys):
    path = DATA / "smollm2-135m" / "config.json"
    code, out, err = run(capsys, "estimate", "--model-config", str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["model"]["params_total"] == SMOLLM2_PARAMS
    assert data["weights"] == "bf16"
    assert data["memory_gib"]["weights"] == pytest.approx(2 * SMOLLM2_PARAMS / GIB, abs=1e-4)
    # KV cache: 30 layers x (K + V) x 3 KV heads x 64 x 2 bytes = 23,040 bytes per token, 1,200 tokens
    assert data["memory_gib"]["kv_cache"] == pytest.approx(30 * 2 * 3 * 64 * 2 * 1200 / GIB, abs=1e-4)


def test_folder_with_safetensors_is_sized_from_the_headers(tmp_path):
    folder = tmp_path / "smol"
    folder.mkdir()
    shutil.copy(DATA / "smollm2-135m" / "config.json", folder / "config.json")
    tensors = {n: ("BF16" if "norm" in n or "embed" in n else "F8_E4M3", s) for n, (_, s) in smollm2_tensors().items()}
    stored = write_checkpoint(folder, tensors)
    assert folder_checkpoint_bytes(folder) == {"BF16": 2 * (49152 * 576 + 576 * 61),
                                               "F8_E4M3": SMOLLM2_PARAMS - 49152 * 576 - 576 * 61}
    spec = load_model(parse_source(str(folder)))
    assert spec.checkpoint_bytes == stored
    assert weights_bytes(spec) == stored


def test_sharded_folder_counts_the_indexed_shards_once(tmp_path):
    folder = tmp_path / "sharded"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(SMOLLM2_CONFIG))
    stored = write_checkpoint(folder, smollm2_tensors("BF16"), shards=3)
    # a consolidated copy of the same weights (as some repositories ship) is not counted again
    write_checkpoint(folder / "extra", smollm2_tensors("BF16"))
    (folder / "extra" / "model.safetensors").rename(folder / "consolidated.safetensors")
    assert stored == 2 * SMOLLM2_PARAMS
    assert folder_checkpoint_bytes(folder) == {"BF16": stored}


def test_model_option_takes_a_path_too(capsys, tmp_path):
    folder = tmp_path / "Mixed Case"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(SMOLLM2_CONFIG))
    code, out, err = run(capsys, "estimate", "--model", str(folder), "--json")
    assert code == 0, err
    assert json.loads(out)["model"]["params_total"] == SMOLLM2_PARAMS


def test_broken_json_names_path_and_line(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{\n  "model_type": "llama",\n  "hidden_size": 576,,\n}\n')
    code, out, err = run(capsys, "estimate", "--model-config", str(path))
    assert code == 2 and out == ""
    assert f"{path}:3:" in err
    assert len(err.strip().splitlines()) == 1
    assert path.read_text().startswith('{\n  "model_type"')  # left untouched


@pytest.mark.parametrize("setup, needle", [
    (lambda p: p.mkdir(), "no config.json in this folder"),
    (lambda p: None, "no such file or folder"),
    (lambda p: (p.mkdir(), (p / "config.json").write_text("[1, 2]")), "must hold a JSON object"),
    (lambda p: (p.mkdir(), (p / "config.json").write_text(json.dumps(SMOLLM2_CONFIG)),
                (p / "model.safetensors").write_bytes(b"\xff" * 8 + b"{}")), "not a safetensors file"),
    (lambda p: (p.mkdir(), (p / "config.json").write_text(json.dumps(SMOLLM2_CONFIG)),
                (p / "model.safetensors").write_bytes((20).to_bytes(8, "little") + b"{not json!}         ")),
     "header is not JSON"),
])
def test_bad_local_sources_are_one_line(capsys, tmp_path, setup, needle):
    target = tmp_path / "model"
    setup(target)
    code, out, err = run(capsys, "estimate", "--model-config", str(target))
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1


def test_only_one_model_option(capsys):
    code, _, err = run(capsys, "estimate", "--model", "llama-3.1-8b", "--model-config", str(DATA / "smollm2-135m"))
    assert code == 2 and "not several" in err


def test_a_changed_file_is_read_again(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(SMOLLM2_CONFIG))
    ref = parse_source(str(folder))
    first = arch.param_breakdown(load_model(ref)).total
    (folder / "config.json").write_text(json.dumps({**SMOLLM2_CONFIG, "num_hidden_layers": 31, "vocab_size": 49153}))
    assert arch.param_breakdown(load_model(ref)).total != first


def test_missing_shards_in_an_index_are_reported(tmp_path):
    folder = tmp_path / "partial"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(SMOLLM2_CONFIG))
    write_checkpoint(folder, smollm2_tensors(), shards=2)
    (folder / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(SourceError, match="partial download"):
        folder_checkpoint_bytes(folder)
    (folder / "model-00001-of-00002.safetensors").unlink()
    assert folder_checkpoint_bytes(folder) is None  # config and index only: sized from the config


def test_control_characters_in_a_path_are_escaped(capsys, tmp_path):
    code, _, err = run(capsys, "estimate", "--gguf", str(tmp_path / "evil\x1b[31mred.gguf"))
    assert code == 2 and "\x1b" not in err and "\\x1b[31mred.gguf" in err
