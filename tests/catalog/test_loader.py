"""Broken catalog files are reported with path, line and field; the built-ins still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcalc_tui.catalog.loader import CatalogError, load_catalog, load_dirs, parse_file
from llmcalc_tui.resources import catalogs_dir

GOOD_HW = '''
[[hardware]]
id = "my-gpu"
name = "My GPU"
kind = "consumer"
vendor = "NVIDIA"
memory_gb = 24
bandwidth_gb_s = 1000
tflops = { fp16 = 100 }
power_w = 300
source = "my own measurements"
as_of = 2026-01-01
'''


def write(tmp_path: Path, text: str, name: str = "user.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_syntax_error_names_path_and_line(tmp_path):
    path = write(tmp_path, GOOD_HW + "\nbroken = [\n")
    _, problems = parse_file(path)
    assert len(problems) == 1
    assert problems[0].path == path and problems[0].line is not None
    assert "syntax" in problems[0].message.lower()


def test_wrong_type_names_the_field_and_its_line(tmp_path):
    path = write(tmp_path, GOOD_HW.replace("memory_gb = 24", 'memory_gb = "lots"'))
    entries, problems = parse_file(path)
    assert entries["hardware"] == []
    assert len(problems) == 1
    assert "memory_gb" in problems[0].location and problems[0].line == 7
    assert str(path) in str(problems[0])


def test_missing_field(tmp_path):
    path = write(tmp_path, GOOD_HW.replace('source = "my own measurements"\n', ""))
    _, problems = parse_file(path)
    assert any("source" in p.location and "required" in p.message.lower() for p in problems)


def test_duplicate_ids(tmp_path):
    path = write(tmp_path, GOOD_HW + GOOD_HW)
    entries, problems = parse_file(path)
    assert len(entries["hardware"]) == 1
    assert problems[0].line == 15 and "duplicate" in problems[0].message


def test_unknown_table_and_unknown_key(tmp_path):
    path = write(tmp_path, "[[gpu]]\nid = 'x'\n" + GOOD_HW.replace("power_w = 300", "power_w = 300\npowr = 1"))
    _, problems = parse_file(path)
    locations = " ".join(p.location for p in problems)
    assert "gpu" in locations and "powr" in locations


def test_binary_and_unreadable_files(tmp_path):
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\x00\xff\xfe garbage")
    assert "UTF-8" in parse_file(binary)[1][0].message
    missing = tmp_path / "gone.toml"
    assert "cannot read" in parse_file(missing)[1][0].message


def test_user_catalog_overrides_builtin_by_id_and_bad_files_do_not_stop_loading(tmp_path):
    write(tmp_path, GOOD_HW.replace('id = "my-gpu"', 'id = "rtx-4090"').replace("memory_gb = 24", "memory_gb = 48"))
    write(tmp_path, "not toml at all [", name="broken.toml")
    result = load_catalog([tmp_path])
    assert result.catalog.hardware["rtx-4090"].memory_gb == 48
    assert "h100-sxm" in result.catalog.hardware
    assert any(p.path.name == "broken.toml" for p in result.problems)


def test_broken_builtins_raise_with_every_problem(tmp_path):
    write(tmp_path, GOOD_HW.replace("power_w = 300", "power_w = -1"), name="a.toml")
    write(tmp_path, "x = [", name="b.toml")
    with pytest.raises(CatalogError) as info:
        load_dirs([tmp_path])
    assert len(info.value.problems) == 2


def test_every_builtin_catalog_loads_cleanly():
    result = load_dirs([catalogs_dir()])
    assert result.problems == []
    for table in (result.catalog.models, result.catalog.hardware, result.catalog.api_models,
                  result.catalog.formats, result.catalog.engines):
        for entry in table.values():
            assert entry.source and entry.as_of
