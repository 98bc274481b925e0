"""hf:ORG/NAME through huggingface_hub against a local fake Hub (HF_ENDPOINT): config, safetensors headers, errors."""

from __future__ import annotations

import json
import time

import pytest

from llmcalc_tui.cli import main

from .fake_hub import safetensors_file
from .helpers import BYTES_PER, SMOLLM2_CONFIG, SMOLLM2_PARAMS, smollm2_tensors

GIB = 2**30


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _stored(tensors) -> int:
    total = 0
    for dtype, shape in tensors.values():
        size = BYTES_PER[dtype]
        for dim in shape:
            size *= dim
        total += size
    return total


def test_repo_with_one_safetensors_file_is_sized_from_its_header(hub, capsys):
    tensors = smollm2_tensors("BF16")
    hub.add("HuggingFaceTB/SmolLM2-135M-Copy", {
        "config.json": SMOLLM2_CONFIG,
        "model.safetensors": safetensors_file(tensors, BYTES_PER),
    })
    code, out, err = run(capsys, "estimate", "--model", "hf:HuggingFaceTB/SmolLM2-135M-Copy", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["model"]["params_total"] == SMOLLM2_PARAMS
    # BF16: two bytes per parameter, exactly what the header says is stored
    assert _stored(tensors) == 2 * SMOLLM2_PARAMS
    assert data["memory_gib"]["weights"] == pytest.approx(2 * SMOLLM2_PARAMS / GIB, abs=1e-4)
    # only the header was fetched: a range request of at most 100,000 bytes, never the weights
    ranges = [r for method, path, r in hub.log if path.endswith("model.safetensors") and method == "GET"]
    assert ranges and all(r is not None and r.startswith("bytes=0-") for r in ranges[:1])
    assert hub.served_bytes() < 200_000


def test_sharded_fp8_checkpoint_counts_every_shard_by_dtype(hub, capsys):
    """FP8 matrices plus BF16 norms and embedding: the weights are the stored bytes, not params x 2."""
    tensors = {
        name: ("BF16" if "norm" in name or "embed" in name else "F8_E4M3", shape)
        for name, (_, shape) in smollm2_tensors().items()
    }
    files = {"config.json": SMOLLM2_CONFIG}
    names = list(tensors)
    weight_map = {}
    for k in range(2):
        part = {n: tensors[n] for n in names[k::2]}
        file = f"model-0000{k + 1}-of-00002.safetensors"
        files[file] = safetensors_file(part, BYTES_PER)
        weight_map.update({n: file for n in part})
    files["model.safetensors.index.json"] = {"metadata": {"total_size": _stored(tensors)}, "weight_map": weight_map}
    hub.add("org/smol-fp8", files)
    code, out, err = run(capsys, "estimate", "--model", "hf:org/smol-fp8", "--json")
    assert code == 0, err
    data = json.loads(out)
    embedding = 49152 * 576
    norms = 576 * (2 * 30 + 1)
    expected = 2 * (embedding + norms) + (SMOLLM2_PARAMS - embedding - norms)
    assert _stored(tensors) == expected
    assert data["memory_gib"]["weights"] == pytest.approx(expected / GIB, abs=1e-4)
    assert data["model"]["params_total"] == SMOLLM2_PARAMS


def test_repo_without_safetensors_falls_back_to_the_config(hub, capsys):
    hub.add("org/smol-bin", {"config.json": SMOLLM2_CONFIG, "pytorch_model.bin": b"\0" * 16})
    code, out, err = run(capsys, "estimate", "--model", "hf:org/smol-bin", "--json")
    assert code == 0, err
    # native dtype bfloat16: 2 bytes per parameter
    assert json.loads(out)["memory_gib"]["weights"] == pytest.approx(2 * SMOLLM2_PARAMS / GIB, abs=1e-4)


def test_revision_is_requested(hub, capsys):
    hub.add("org/smol", {"config.json": SMOLLM2_CONFIG}, revisions=("main", "v2"))
    code, _, err = run(capsys, "estimate", "--model", "hf:org/smol@v2", "--json")
    assert code == 0, err
    assert any("/org/smol/resolve/v2/config.json" == path for _, path, _ in hub.log)
    code, _, err = run(capsys, "estimate", "--model", "hf:org/smol@nope")
    assert code == 2 and "no such revision" in err


@pytest.mark.parametrize("repo, needle", [
    ("org/missing", "no such model on the Hub (404)"),
    ("org/gated", "gated model: accept its license and set HF_TOKEN"),
])
def test_hub_errors_are_one_line_exit_2(hub, capsys, repo, needle):
    hub.add("org/gated", {"config.json": SMOLLM2_CONFIG}, gated=True, token="hf_secret")
    code, out, err = run(capsys, "estimate", "--model", f"hf:{repo}")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert needle in err


def test_anonymous_401_for_a_missing_repo_is_not_called_gated(hub, capsys):
    hub.anonymous_missing_status = 401
    code, _, err = run(capsys, "estimate", "--model", "hf:org/typo")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "no such model on the Hub, or it is private or gated" in err and "HF_TOKEN (401)" in err


def test_gated_model_opens_with_hf_token(hub, capsys, monkeypatch):
    hub.add("org/gated", {"config.json": SMOLLM2_CONFIG}, gated=True, token="hf_secret")
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    code, out, err = run(capsys, "estimate", "--model", "hf:org/gated", "--json")
    assert code == 0, err
    assert json.loads(out)["model"]["params_total"] == SMOLLM2_PARAMS


def test_unsupported_architecture_names_the_field(hub, capsys):
    hub.add("org/odd", {"config.json": {**SMOLLM2_CONFIG, "model_type": "frobnicator"}})
    code, _, err = run(capsys, "estimate", "--model", "hf:org/odd")
    assert code == 2 and "model_type" in err and len(err.strip().splitlines()) == 1
    hub.add("org/partial", {"config.json": {k: v for k, v in SMOLLM2_CONFIG.items() if k != "hidden_size"}})
    code, _, err = run(capsys, "estimate", "--model", "hf:org/partial")
    assert code == 2 and "hidden_size" in err


def test_no_network_is_one_line_and_quick(capsys, monkeypatch, tmp_path):
    import socket

    import huggingface_hub.constants

    # a port nothing listens on: connection refused at once
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    start = time.perf_counter()
    code, out, err = run(capsys, "estimate", "--model", "hf:org/anything")
    assert time.perf_counter() - start < 10
    assert code == 2 and out == ""
    assert "cannot reach the Hub; set HF_ENDPOINT or use --model-config" in err
    assert len(err.strip().splitlines()) == 1


def test_offline_mode_uses_the_cache(hub, capsys, monkeypatch):
    hub.add("org/smol", {"config.json": SMOLLM2_CONFIG})
    assert run(capsys, "estimate", "--model", "hf:org/smol")[0] == 0
    requests = len(hub.log)
    from llmcalc_tui.sources import resolve

    resolve._cache.clear()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, out, err = run(capsys, "estimate", "--model", "hf:org/smol", "--json")
    assert code == 0, err
    assert json.loads(out)["model"]["params_total"] == SMOLLM2_PARAMS
    assert len(hub.log) == requests  # nothing asked of the Hub
    code, _, err = run(capsys, "estimate", "--model", "hf:org/never-fetched")
    assert code == 2 and "HF_HUB_OFFLINE" in err


def test_plain_repo_id_of_a_catalog_model_needs_no_network(capsys, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # would fail if it were asked
    code, out, err = run(capsys, "estimate", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--json")
    assert code == 0, err
    assert json.loads(out)["model"]["id"] == "llama-3.1-8b"
    code, out, _ = run(capsys, "estimate", "--model", "Qwen/Qwen3-8B", "--json")
    assert code == 0 and json.loads(out)["model"]["id"] == "qwen3-8b"


def test_plain_repo_id_outside_the_catalog_goes_to_the_hub(hub, capsys):
    hub.add("someone/smol", {"config.json": SMOLLM2_CONFIG})
    code, out, err = run(capsys, "estimate", "--model", "someone/smol", "--json")
    assert code == 0, err
    assert json.loads(out)["model"]["params_total"] == SMOLLM2_PARAMS


def test_scenario_stores_the_source_and_reopens(hub, capsys):
    hub.add("Org/Smol-Case", {"config.json": SMOLLM2_CONFIG})
    code, _, err = run(capsys, "scenarios", "save", "hub one", "--model", "hf:Org/Smol-Case", "--gpus", "1")
    assert code == 0, err
    from llmcalc_tui.sources import resolve

    resolve._cache.clear()
    code, out, err = run(capsys, "scenarios", "show", "hub one", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["inputs"]["model"] == "hf:Org/Smol-Case"  # case kept: repo ids are case-sensitive
    assert data["model"]["params_total"] == SMOLLM2_PARAMS


def test_fit_takes_a_hub_model(hub, capsys):
    hub.add("org/smol", {"config.json": SMOLLM2_CONFIG})
    code, out, err = run(capsys, "fit", "--model", "hf:org/smol", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all("hardware" in r or "id" in r for r in rows)
