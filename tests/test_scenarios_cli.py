"""`llmcalc scenarios ...` end to end through cli.main (stdout, stderr, exit status, files)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmcalc_tui.cli import main
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.scenarios import ScenarioStore

SETUP = ["-m", "llama-3.1-8b", "--hardware", "h100-sxm"]


@pytest.fixture
def store(isolated_dirs: dict[str, Path]) -> ScenarioStore:
    return ScenarioStore(isolated_dirs["LLMCALC_DATA_DIR"] / "scenarios")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("llmcalc: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


# ----------------------------------------------------------------------------- save and show


def test_save_then_show_json_matches_estimate(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    code, out, err = run(capsys, "scenarios", "save", "Prod / 中文", *SETUP, "--gpus", "2", "--batch", "8",
                         "--notes", "for the demo")
    assert code == 0, err
    assert "saved 'Prod / 中文'" in out
    assert store.load("Prod / 中文").scenario == Scenario(model="llama-3.1-8b", hardware="h100-sxm", gpus=2, batch=8)

    code, out, _ = run(capsys, "scenarios", "show", "Prod / 中文", "--json")
    assert code == 0
    shown = json.loads(out)
    code, out, _ = run(capsys, "estimate", *SETUP, "--gpus", "2", "--batch", "8", "--json")
    expected = json.loads(out)
    assert {k: shown[k] for k in expected} == expected
    assert shown["name"] == "Prod / 中文" and shown["notes"] == "for the demo"
    assert shown["inputs"]["gpus"] == 2 and shown["inputs"]["batch"] == 8 and shown["inputs"]["weights"] is None


def test_show_text(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    store.save("plain", Scenario(), notes="hello notes")
    code, out, _ = run(capsys, "scenarios", "show", "plain")
    assert code == 0
    assert out.startswith("plain  (saved ") and "hello notes" in out and "time to first token" in out


def test_save_updates_and_keeps_notes(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    run(capsys, "scenarios", "save", "plan", *SETUP, "--notes", "keep me")
    code, out, _ = run(capsys, "scenarios", "save", "plan", *SETUP, "--gpus", "4", "--json")
    assert code == 0
    assert json.loads(out)["replaced"] is True
    saved = store.load("plan")
    assert saved.scenario.gpus == 4 and saved.notes == "keep me"
    assert (store.directory / "plan.toml.bak").exists()


def test_save_from_base(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    store.save("base", Scenario(gpus=2, input_tokens=4000, output_tokens=500, batch=4))
    code, _, err = run(capsys, "scenarios", "save", "derived", "--from", "base", *SETUP, "--batch", "16")
    assert code == 0, err
    assert store.load("derived").scenario == Scenario(gpus=2, input_tokens=4000, output_tokens=500, batch=16)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["ok", "-m", "llama-3.1-8b", "--hardware", "nope-gpu"], "unknown hardware 'nope-gpu'"),
        (["ok", "-m", "no-such-model"], "unknown model"),
        (["ok", "-m", "llama-3.1-8b", "--gpus", "3", "--tp", "2"], "not saved"),
        (["  ", *SETUP], "must not be empty"),
        (["ok", *SETUP, "--from", "missing"], "no scenario named 'missing'"),
        (["ok"], "--model"),
    ],
)
def test_save_rejects(capsys: pytest.CaptureFixture[str], store: ScenarioStore, argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, "scenarios", "save", *argv)
    assert_one_line_error(code, err, needle)
    assert out == "" and store.list() == []


def test_unknown_name_did_you_mean(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    store.save("Production", Scenario())
    for command in (["show", "Prodution"], ["delete", "Prodution", "--yes"], ["rename", "Prodution", "x"],
                    ["duplicate", "Prodution", "x"], ["export", "Prodution"], ["compare", "Production", "Prodution"]):
        code, out, err = run(capsys, "scenarios", *command)
        assert_one_line_error(code, err, "no scenario named 'Prodution'", "did you mean 'Production'")
        assert out == ""


def test_stale_catalog_id(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    store.save("old", Scenario(hardware="retired-gpu"))
    code, out, err = run(capsys, "scenarios", "show", "old")
    assert_one_line_error(code, err, "unknown hardware 'retired-gpu'", "old.toml")
    code, out, err = run(capsys, "scenarios", "list")
    assert code == 0 and "old" in out and "unknown hardware 'retired-gpu'" in out
    code, out, _ = run(capsys, "scenarios", "list", "--json")
    (entry,) = json.loads(out)
    assert entry["unknown_ids"] == {"hardware": entry["unknown_ids"]["hardware"]}
    assert entry["inputs"]["hardware"] == "retired-gpu" and entry["broken"] is False


# ----------------------------------------------------------------------------- list


def test_list_with_broken_file(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    store.save("good one", Scenario())
    broken = store.directory / "bad.toml"
    broken.write_text('name = "Bad"\n[scenario]\ngpus = = 1\n', "utf-8")
    code, out, err = run(capsys, "scenarios", "list")
    assert code == 0
    assert "good one" in out and f"BROKEN {broken}:3" in out
    assert "1 broken scenario file" in err
    code, out, _ = run(capsys, "scenarios", "list", "--json")
    data = {d["slug"]: d for d in json.loads(out)}
    assert data["bad"] == {
        "name": "Bad", "slug": "bad", "path": str(broken), "broken": True,
        "problem": data["bad"]["problem"], "line": 3,
    }
    assert "TOML syntax error" in data["bad"]["problem"]
    assert data["good-one"]["inputs"] == Scenario().model_dump(mode="json")
    assert broken.read_text("utf-8") == 'name = "Bad"\n[scenario]\ngpus = = 1\n'
    code, _, err = run(capsys, "scenarios", "show", "Bad")
    assert_one_line_error(code, err, f"{broken}:3", "broken")


def test_list_empty(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    code, out, err = run(capsys, "scenarios", "list")
    assert code == 0 and out == "" and "no saved scenarios" in err
    code, out, _ = run(capsys, "scenarios", "list", "--json")
    assert code == 0 and json.loads(out) == []
    assert not store.directory.exists()


def test_scenarios_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scenarios")
    assert_one_line_error(code, err, "SUBCOMMAND")


# ----------------------------------------------------------------------------- compare


def test_compare_text_and_json(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    store.save("one", Scenario(gpus=1))
    store.save("two", Scenario(gpus=2, batch=16))
    code, out, _ = run(capsys, "scenarios", "compare", "one", "two")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["one", "two"]
    assert any(line.startswith("Throughput") and line.rstrip().endswith("*") for line in lines)
    assert "* best of the row" in out
    code, out, _ = run(capsys, "scenarios", "compare", "one", "two", "--json")
    data = json.loads(out)
    assert [s["name"] for s in data["scenarios"]] == ["one", "two"]
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["throughput"]["best"] == "two" and rows["throughput"]["better"] == "higher"
    for key in ("memory_total", "ttft", "tpot", "cost_per_1m", "cost_per_month"):
        numbers = rows[key]["numbers"]
        assert rows[key]["best_index"] == numbers.index(min(numbers))


def test_compare_with_stale_scenario(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    store.save("one", Scenario())
    store.save("old", Scenario(engine="gone-engine"))
    code, out, err = run(capsys, "scenarios", "compare", "one", "old")
    assert code == 0
    assert "unknown engine 'gone-engine'" in out and "warning" in err


@pytest.mark.parametrize("count", [1, 5])
def test_compare_count(capsys: pytest.CaptureFixture[str], store: ScenarioStore, count: int) -> None:
    for i in range(count):
        store.save(f"s{i}", Scenario())
    code, _, err = run(capsys, "scenarios", "compare", *(f"s{i}" for i in range(count)))
    assert_one_line_error(code, err, "2 to 4")


# ----------------------------------------------------------------------------- export


@pytest.fixture
def two(store: ScenarioStore) -> ScenarioStore:
    store.save("Alpha, α", Scenario(gpus=1))
    store.save("Beta", Scenario(gpus=2))
    return store


def test_export_formats_to_stdout(capsys: pytest.CaptureFixture[str], two: ScenarioStore) -> None:
    code, out, _ = run(capsys, "scenarios", "export", "Alpha, α", "Beta", "--format", "md")
    assert code == 0 and out.startswith("|   | Alpha, α | Beta |")
    code, out, _ = run(capsys, "scenarios", "export", "Alpha, α", "Beta", "--format", "csv")
    records = list(csv.DictReader(io.StringIO(out)))
    assert [(r["name"], r["gpus"]) for r in records] == [("Alpha, α", "1"), ("Beta", "2")]
    code, out, _ = run(capsys, "scenarios", "export", "Beta", "--format", "json")
    (item,) = json.loads(out)
    assert item["name"] == "Beta" and item["inputs"]["gpus"] == 2 and item["result"]["gpus"] == 2


def test_export_to_file(capsys: pytest.CaptureFixture[str], two: ScenarioStore, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.csv"
    target.parent.mkdir()
    target.write_text("old content")
    code, out, err = run(capsys, "scenarios", "export", "Alpha, α", "Beta", "-o", str(target))
    assert code == 0 and out == "" and str(target) in err
    assert target.read_text("utf-8").startswith("name,model,")  # format from the suffix
    _, stdout_version, _ = run(capsys, "scenarios", "export", "Alpha, α", "Beta", "--format", "csv")
    assert target.read_text("utf-8") == stdout_version
    assert [p.name for p in target.parent.iterdir()] == ["report.csv"]


@pytest.mark.parametrize("where", ["missing/dir/x.md", "."])
def test_export_write_errors(capsys: pytest.CaptureFixture[str], two: ScenarioStore, tmp_path: Path, where: str) -> None:
    code, out, err = run(capsys, "scenarios", "export", "Beta", "-o", str(tmp_path / where))
    assert_one_line_error(code, err, "cannot write")
    assert out == ""


def test_export_read_only_target(capsys: pytest.CaptureFixture[str], two: ScenarioStore, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def deny(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(tmp_path / "ro")):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(os, "open", deny)
    code, _, err = run(capsys, "scenarios", "export", "Beta", "-o", str(tmp_path / "ro" / "x.json"))
    assert_one_line_error(code, err, "permission denied", "x.json")


# ----------------------------------------------------------------------------- rename, duplicate, delete


def test_rename_and_duplicate(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    store.save("first", Scenario(gpus=2))
    code, out, _ = run(capsys, "scenarios", "rename", "first", "Second / 2")
    assert code == 0 and "renamed 'first' to 'Second / 2'" in out
    code, out, _ = run(capsys, "scenarios", "duplicate", "Second / 2", "third")
    assert code == 0
    assert sorted(store.names()) == ["Second / 2", "third"]
    assert store.load("third").scenario.gpus == 2
    code, _, err = run(capsys, "scenarios", "rename", "third", "Second / 2")
    assert_one_line_error(code, err, "already exists")
    code, _, err = run(capsys, "scenarios", "duplicate", "third", "Second / 2")
    assert_one_line_error(code, err, "already exists")


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_delete_non_interactive_does_not_ask(capsys: pytest.CaptureFixture[str], store: ScenarioStore,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store.save("gone", Scenario())
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    code, out, err = run(capsys, "scenarios", "delete", "gone")
    assert code == 0 and "deleted 'gone'" in out and "[y/N]" not in err
    assert store.names() == [] and (store.directory / "gone.toml.bak").exists()


@pytest.mark.parametrize(("answer", "deleted"), [("n\n", False), ("\n", False), ("", False), ("y\n", True), ("YES\n", True)])
def test_delete_asks_on_a_terminal(capsys: pytest.CaptureFixture[str], store: ScenarioStore,
                                   monkeypatch: pytest.MonkeyPatch, answer: str, deleted: bool) -> None:
    store.save("maybe", Scenario())
    monkeypatch.setattr(sys, "stdin", FakeTty(answer))
    code, out, err = run(capsys, "scenarios", "delete", "maybe")
    assert "[y/N]" in err
    assert (store.names() == []) is deleted
    assert code == (0 if deleted else 1)


def test_delete_yes_skips_question(capsys: pytest.CaptureFixture[str], store: ScenarioStore,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    store.save("sure", Scenario())
    monkeypatch.setattr(sys, "stdin", FakeTty("n\n"))
    code, _, err = run(capsys, "scenarios", "delete", "sure", "--yes")
    assert code == 0 and "[y/N]" not in err and store.names() == []


def test_delete_broken_file_by_slug(capsys: pytest.CaptureFixture[str], store: ScenarioStore) -> None:
    store.directory.mkdir(parents=True)
    (store.directory / "junk.toml").write_bytes(b"\x00\x01")
    code, _, _ = run(capsys, "scenarios", "delete", "junk", "--yes")
    assert code == 0 and store.list() == []
    assert (store.directory / "junk.toml.bak").read_bytes() == b"\x00\x01"


# ----------------------------------------------------------------------------- unusable data folders


def test_read_only_data_dir(capsys: pytest.CaptureFixture[str], store: ScenarioStore,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    store.save("kept", Scenario())
    real_open = os.open

    def deny(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and str(path).startswith(str(store.directory)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    for command in (["save", "new", *SETUP], ["save", "kept", *SETUP, "--gpus", "2"], ["delete", "kept", "--yes"],
                    ["rename", "kept", "x"], ["duplicate", "kept", "x"]):
        code, out, err = run(capsys, "scenarios", *command)
        assert_one_line_error(code, err, "cannot write to", str(store.directory), "permission denied")
    code, out, _ = run(capsys, "scenarios", "list")
    assert code == 0 and "kept" in out
    assert store.names() == ["kept"] and store.load("kept").scenario == Scenario()


def test_data_dir_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    monkeypatch.setenv("LLMCALC_DATA_DIR", str(blocker))
    code, _, err = run(capsys, "scenarios", "save", "x", *SETUP)
    assert_one_line_error(code, err, "cannot write to", str(blocker))
    code, _, err = run(capsys, "scenarios", "show", "x")
    assert_one_line_error(code, err, "no scenario named 'x'")


def test_missing_data_dir_is_created(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCALC_DATA_DIR", str(tmp_path / "new" / "deep"))
    code, _, err = run(capsys, "scenarios", "save", "x", *SETUP)
    assert code == 0, err
    assert (tmp_path / "new" / "deep" / "scenarios" / "x.toml").is_file()


def test_real_entry_point_one_line_error(tmp_path: Path) -> None:
    env = {**os.environ, "LLMCALC_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "llmcalc_tui", "scenarios", "show", "nothing here"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("llmcalc: error: no scenario named 'nothing here'")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
