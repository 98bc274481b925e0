"""Packaging: licence, dependency floors, one version, a complete sdist, shell completion, isolated test dirs."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llmcalc_tui import paths
from llmcalc_tui.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
needs_checkout = pytest.mark.skipif(not PYPROJECT.is_file(), reason="runs from the source tree or sdist")


@needs_checkout
def test_licence_is_an_spdx_string_with_its_file() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


@needs_checkout
def test_dependency_floors_are_what_the_tests_need() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    deps = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0]: d for d in project["dependencies"]}
    assert deps["pydantic"].startswith("pydantic>=2.10")
    assert deps["textual"].startswith("textual>=8.2.5")
    tests = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0]: d for d in project["optional-dependencies"]["test"]}
    assert "<9" not in tests["pytest"]


@needs_checkout
def test_version_is_typed_once_and_read_from_the_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert importlib.metadata.version("llmcalc") == project["version"]
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"llmcalc {project['version']}\n"
    sources = [p for p in (ROOT / "llmcalc_tui").rglob("*.py") if project["version"] in p.read_text(encoding="utf-8")]
    assert sources == []


@needs_checkout
def test_sdist_manifest_ships_the_whole_test_suite_and_docs() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    for line in ("include LICENSE README.md", "graft tests", "graft docs", "graft catalogs", "graft themes"):
        assert line in manifest
    assert (ROOT / "tests" / "conftest.py").is_file() and (ROOT / "tests" / "__snapshots__").is_dir()


def test_tests_never_use_the_real_data_dirs(tmp_path: Path) -> None:
    for directory in (paths.data_dir(), paths.config_dir(), paths.scenarios_dir()):
        assert directory.is_relative_to(tmp_path), directory


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(capsys: pytest.CaptureFixture[str], shell: str) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "scenarios" in script and "estimate" in script and "--lifetime-years"[2:] in script
    marker = {"bash": "complete -o bashdefault -F _shtab_llmcalc llmcalc", "zsh": "#compdef llmcalc",
              "fish": "complete -c llmcalc -n '__fish_use_subcommand' -a scenarios"}[shell]
    assert marker in script


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_completes_commands_subcommands_and_choices(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "llmcalc.bash"
    script.write_text(capsys.readouterr().out, encoding="utf-8")

    def complete(*words: str) -> list[str]:
        quoted = " ".join(f"'{w}'" for w in words)
        code = (f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
                'COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; _shtab_llmcalc; '
                'printf "%s\\n" "${COMPREPLY[@]}"')
        result = subprocess.run(["bash", "--norc", "-c", code], capture_output=True, text=True, timeout=20)
        return result.stdout.split()

    assert complete("llmcalc", "sce") == ["scenarios"]
    assert "export" in complete("llmcalc", "scenarios", "")
    assert complete("llmcalc", "estimate", "--deployment", "") == ["auto", "local", "cloud", "api"]
    assert complete("llmcalc", "completion", "") == ["bash", "zsh", "fish"]
