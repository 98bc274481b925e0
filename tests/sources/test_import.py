"""`llmcalc models import SOURCE [--id ID]`: a user-catalog file that `--model ID` (and the app) find later."""

from __future__ import annotations

import json

import pytest

from llmcalc_tui import paths
from llmcalc_tui.catalog.loader import parse_file
from llmcalc_tui.cli import main

from .helpers import DATA, SMOLLM2_CONFIG, SMOLLM2_PARAMS, TINY_PARAMS, write_gguf


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_a_gguf_then_use_its_id(tmp_path, capsys):
    gguf = tmp_path / "Tiny-Q4_K_M.gguf"
    write_gguf(gguf)
    code, out, err = run(capsys, "models", "import", str(gguf), "--json")
    assert code == 0, err
    saved = json.loads(out)
    assert saved["id"] == "gguf-tiny-q4_k_m" and not saved["replaced"]
    path = paths.user_catalogs_dir() / "imported-gguf-tiny-q4_k_m.toml"
    assert saved["path"] == str(path)
    text = path.read_text()
    assert f'source = "gguf:{gguf}"' in text and "as_of = " in text
    entries, problems = parse_file(path)
    assert problems == [] and entries["models"][0].id == "gguf-tiny-q4_k_m"

    gguf.unlink()  # the entry stands on its own now
    code, out, err = run(capsys, "estimate", "--model", "gguf-tiny-q4_k_m", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["model"]["params_total"] == TINY_PARAMS and data["weights"] == "q4_k_m"
    code, out, _ = run(capsys, "models", "--search", "gguf-tiny", "--json")
    assert [r["id"] for r in json.loads(out)] == ["gguf-tiny-q4_k_m"]


def test_import_with_an_id_from_a_config_folder_and_reimport_replaces(capsys):
    folder = DATA / "smollm2-135m"
    code, out, err = run(capsys, "models", "import", str(folder), "--id", "My-Smol")
    assert code == 0, err
    assert "imported my-smol" in out
    code, out, err = run(capsys, "models", "import", f"config:{folder}", "--id", "my-smol", "--json")
    assert code == 0 and json.loads(out)["replaced"] is True
    assert len(list(paths.user_catalogs_dir().glob("*.toml"))) == 1
    assert not [p for p in paths.user_catalogs_dir().iterdir() if p.name.endswith(".tmp")]
    code, out, err = run(capsys, "fit", "--model", "my-smol", "--json")
    assert code == 0, err


def test_import_from_the_hub_and_the_source_text_works_offline(hub, capsys, monkeypatch):
    hub.add("Org/Smol", {"config.json": SMOLLM2_CONFIG})
    code, out, err = run(capsys, "models", "import", "hf:Org/Smol", "--json")
    assert code == 0, err
    assert json.loads(out)["id"] == "hf-org-smol"
    hub.repos.clear()  # the Hub forgets it: the imported entry still answers to its id and its source
    requests = len(hub.log)
    for model in ("hf-org-smol", "hf:Org/Smol"):
        code, out, err = run(capsys, "estimate", "--model", model, "--json")
        assert code == 0, err
        assert json.loads(out)["model"]["params_total"] == SMOLLM2_PARAMS
    assert len(hub.log) == requests


@pytest.mark.parametrize("argv, needle", [
    (["models", "import", "/no/such/file.gguf"], "no such file"),
    (["models", "import", "llama-3.1-8b"], "not a Hub repository id"),
    (["models", "import", "meta-llama/Llama-3.1-8B-Instruct"], "already in the catalog as llama-3.1-8b"),
    (["models", "import", str(DATA / "smollm2-135m"), "--id", "Bad Id!"], "is not a catalog id"),
    (["models", "import", str(DATA / "smollm2-135m"), "--id", "llama-3.1-8b"], "already a catalog model"),
])
def test_bad_imports_are_one_line_and_write_nothing(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not paths.user_catalogs_dir().exists() or not list(paths.user_catalogs_dir().iterdir())


def test_unwritable_catalog_dir_is_one_line(capsys, monkeypatch):
    from llmcalc_tui.sources import importer

    def refuse(path, data, backup=None):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(importer, "atomic_write", refuse)
    code, out, err = run(capsys, "models", "import", str(DATA / "smollm2-135m"))
    assert code == 2 and out == ""
    assert "cannot write the user catalog: Permission denied" in err


def test_models_listing_still_works_without_a_subcommand(capsys):
    code, out, _ = run(capsys, "models", "--search", "smollm2-135m", "--json")
    assert code == 0 and json.loads(out)[0]["id"] == "smollm2-135m"
