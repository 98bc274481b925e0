"""The bad-input matrix for files and the terminal: FIFOs, devices, /dev/zero, inf, symlinked export
targets, escape sequences and wide characters in names, modes, locks and concurrent saves."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from llmcalc_tui import paths
from llmcalc_tui.cli import main
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.scenarios import ScenarioStore, ScenarioStoreError, dump_text, SavedScenario
from llmcalc_tui.text_safety import cell_width

POSIX_ONLY = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev are POSIX features")
SETUP = ["-m", "llama-3.1-8b", "--hardware", "h100-sxm"]
HARDWARE_ENTRY = (
    '[[hardware]]\nid = "{id}"\nname = "{id}"\nsource = "test"\nas_of = 2025-01-01\nkind = "consumer"\n'
    'vendor = "x"\nmemory_gb = {memory}\nreserved_gib = {reserved}\nbandwidth_gb_s = 500\n'
    "tflops = {{ fp16 = 50 }}\npower_w = 200\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_limited(*argv: str) -> subprocess.CompletedProcess[str]:
    """`llmcalc ARGV` in a child with 20 s and 1 GiB of address space: a hang or /dev/zero read fails, not the machine."""

    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [sys.executable, "-m", "llmcalc_tui", *argv], capture_output=True, text=True, timeout=20,
        preexec_fn=limit, stdin=subprocess.DEVNULL,
    )


def save(name: str, **fields: object) -> Path:
    return ScenarioStore().save(name, Scenario(**fields))


# ----------------------------------------------------------------------------- odd files are skipped


@POSIX_ONLY
def test_scenarios_list_reports_fifo_device_and_dev_zero_without_hanging() -> None:
    save("good")
    directory = paths.scenarios_dir()
    os.mkfifo(directory / "pipe.toml")
    (directory / "zero.toml").symlink_to("/dev/zero")
    os.symlink(os.devnull, directory / "null.toml")
    result = run_limited("scenarios", "list", "--json")
    assert result.returncode == 0, result.stderr
    entries = {Path(e["path"]).name: e for e in json.loads(result.stdout)}
    assert entries["good.toml"]["broken"] is False
    assert "FIFO" in entries["pipe.toml"]["problem"]
    assert "character device" in entries["zero.toml"]["problem"]
    assert "character device" in entries["null.toml"]["problem"]
    result = run_limited("scenarios", "list")
    assert result.returncode == 0
    assert f"BROKEN {directory / 'pipe.toml'}: is a FIFO" in result.stdout
    assert (directory / "pipe.toml").is_fifo() and (directory / "zero.toml").is_symlink()


@POSIX_ONLY
def test_user_catalog_and_config_fifo_and_dev_zero_are_skipped_by_the_cli() -> None:
    directory = paths.user_catalogs_dir()
    directory.mkdir(parents=True)
    os.mkfifo(directory / "pipe.toml")
    (directory / "zero.toml").symlink_to("/dev/zero")
    paths.config_dir().mkdir(parents=True)
    os.mkfifo(paths.config_dir() / "config.toml")
    result = run_limited("hardware", "--kind", "consumer", "--json")
    assert result.returncode == 0, result.stderr
    assert f"config: {paths.config_dir() / 'config.toml'}: is a FIFO" in result.stderr
    assert any(row["id"] == "rtx-4090" for row in json.loads(result.stdout))
    assert f"{directory / 'pipe.toml'}: is a FIFO" in result.stderr
    assert f"{directory / 'zero.toml'}: is a character device" in result.stderr


def test_files_over_the_size_cap_are_refused(tmp_path: Path) -> None:
    from llmcalc_tui.safe_io import MAX_FILE_BYTES, UnreadableFile, read_regular_bytes

    assert MAX_FILE_BYTES == 16 * 2**20
    big = tmp_path / "big.toml"
    big.write_bytes(b"# padding\n" * 300)
    assert read_regular_bytes(big, limit=3000) == b"# padding\n" * 300
    with pytest.raises(UnreadableFile, match=r"larger than .* \(3,000 bytes\)"):
        read_regular_bytes(big, limit=2999)


# ----------------------------------------------------------------------------- numbers in user catalogs


def test_inf_nan_and_reserved_above_memory_are_reported_with_path_line_and_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory = paths.user_catalogs_dir()
    directory.mkdir(parents=True)
    path = directory / "hw.toml"
    path.write_text(
        HARDWARE_ENTRY.format(id="inf-gpu", memory="inf", reserved=0) + "\n"
        + HARDWARE_ENTRY.format(id="nan-gpu", memory="nan", reserved=0) + "\n"
        + HARDWARE_ENTRY.format(id="tight-gpu", memory=16, reserved=20) + "\n"
        + HARDWARE_ENTRY.format(id="fine-gpu", memory=16, reserved=0.5),
        encoding="utf-8",
    )
    code, out, err = run(capsys, "hardware", "--kind", "consumer", "--json")
    assert code == 0
    ids = [row["id"] for row in json.loads(out)]  # strict JSON: no Infinity, no NaN
    assert "fine-gpu" in ids and "rtx-4090" in ids
    assert not {"inf-gpu", "nan-gpu", "tight-gpu"} & set(ids)
    assert f"{path}:8 [hardware inf-gpu: memory_gb]: Input should be a finite number" in err
    assert f"{path}:21 [hardware nan-gpu: memory_gb]: Input should be a finite number" in err
    assert f"{path}:35 [hardware tight-gpu: reserved_gib]: reserved_gib 20 leaves no memory" in err
    code, _, err = run(capsys, "estimate", *SETUP[:2], "--hardware", "inf-gpu")
    assert code == 2 and "unknown hardware 'inf-gpu'" in err


# ----------------------------------------------------------------------------- cost minimums


@pytest.mark.parametrize("flag", ["--lifetime-years", "--utilisation"])
def test_absurdly_small_cost_inputs_are_refused(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    code, out, err = run(capsys, "estimate", *SETUP, "--deployment", "local", flag, "1e-300")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and f"{flag} must be at least" in err


def test_cost_minimums_hold_in_scenario_files_and_the_model() -> None:
    from pydantic import ValidationError

    for field in ("utilisation", "lifetime_years"):
        with pytest.raises(ValidationError):
            Scenario(**{field: 1e-300})
    path = save("cheap")
    text = path.read_text(encoding="utf-8")
    assert "utilisation = 0.5" in text
    path.write_text(text.replace("utilisation = 0.5", "utilisation = 1e-300"), encoding="utf-8")
    entry = ScenarioStore().find("cheap")
    assert entry.broken and "utilisation" in entry.problem and entry.line is not None
    smallest = Scenario(utilisation=0.01, lifetime_years=0.1)
    assert smallest.utilisation == 0.01


# ----------------------------------------------------------------------------- export targets


@pytest.fixture
def two_saved() -> None:
    save("alpha")
    save("beta", gpus=2)


@POSIX_ONLY
def test_export_writes_through_a_symlink_and_keeps_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, two_saved: None,
) -> None:
    real = tmp_path / "real.md"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to(real)
    code, _, err = run(capsys, "scenarios", "export", "alpha", "beta", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "alpha" in real.read_text(encoding="utf-8")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


@POSIX_ONLY
def test_export_into_a_fifo_streams_to_its_reader(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, two_saved: None,
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run(capsys, "scenarios", "export", "alpha", "beta", "-f", "csv", "-o", str(fifo))
    reader.join(20)
    assert code == 0, err
    assert fifo.is_fifo()
    assert received and b"alpha" in received[0] and b"beta" in received[0]


@POSIX_ONLY
def test_export_to_a_link_to_a_device_writes_to_the_device(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, two_saved: None,
) -> None:
    link = tmp_path / "out"
    link.symlink_to(os.devnull)
    code, _, err = run(capsys, "scenarios", "export", "alpha", "beta", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and Path(os.devnull).is_char_device()


def test_export_dash_is_stdout(capsys: pytest.CaptureFixture[str], two_saved: None) -> None:
    code, out, err = run(capsys, "scenarios", "export", "alpha", "beta", "-f", "json", "-o", "-")
    assert code == 0, err
    assert [s["name"] for s in json.loads(out)] == ["alpha", "beta"]
    assert not Path("-").exists()


# ----------------------------------------------------------------------------- saving keeps what the user set


@POSIX_ONLY
def test_save_keeps_file_and_backup_modes(capsys: pytest.CaptureFixture[str]) -> None:
    path = save("private")
    path.chmod(0o600)
    code, _, err = run(capsys, "scenarios", "save", "private", *SETUP, "--gpus", "2")
    assert code == 0, err
    backup = path.with_name("private.toml.bak")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_read_only_scenario_is_not_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    path = save("frozen")
    before = path.read_text(encoding="utf-8")
    path.chmod(0o444)
    try:
        code, _, err = run(capsys, "scenarios", "save", "frozen", *SETUP, "--gpus", "4")
        assert code == 2 and "read-only" in err and str(path) in err
        assert path.read_text(encoding="utf-8") == before
    finally:
        path.chmod(0o644)


@POSIX_ONLY
def test_lock_file_symlink_is_not_followed(tmp_path: Path) -> None:
    save("first")
    outside = tmp_path / "outside-target"
    lock = paths.scenarios_dir() / ".lock"
    lock.unlink()
    lock.symlink_to(outside)
    with pytest.raises(ScenarioStoreError, match=r"lock file \.lock is a symbolic link; remove it"):
        save("second")
    assert not outside.exists()
    assert ScenarioStore().names() == ["first"]


def test_one_atomic_writer_for_scenarios_and_config() -> None:
    import inspect

    from llmcalc_tui import config, safe_io, scenarios

    assert "os.replace" not in inspect.getsource(config)
    assert inspect.getsource(scenarios).count("os.replace(") == 1  # moving a deleted file to its .bak
    assert config.atomic_write is safe_io.atomic_write and scenarios.atomic_write is safe_io.atomic_write


def test_fifty_concurrent_saves_report_saved_exactly_once() -> None:
    out = io.StringIO()
    with redirect_stdout(out), ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(lambda n: main(["scenarios", "save", "race", *SETUP, "--batch", str(n + 1)]),
                              range(50)))
    assert codes == [0] * 50
    lines = out.getvalue().splitlines()
    assert len(lines) == 50
    assert sum(line.startswith("saved 'race'") for line in lines) == 1
    assert sum(line.startswith("updated 'race'") for line in lines) == 49


# ----------------------------------------------------------------------------- names on the terminal


def test_escape_sequences_in_a_scenario_file_never_reach_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    directory = paths.scenarios_dir()
    directory.mkdir(parents=True)
    saved = SavedScenario(name="plan", scenario=Scenario(), saved_at="2025-01-01T00:00:00Z")  # type: ignore[arg-type]
    text = dump_text(saved).replace('name = "plan"', 'name = "plan\\u001b[2J"')
    (directory / "plan.toml").write_text(text, encoding="utf-8")
    (directory / "model.toml").write_text(
        dump_text(saved).replace('model = "llama-3.1-8b"', 'model = "x\\u001b]0;owned\\u0007"'), encoding="utf-8"
    )
    code, out, err = run(capsys, "scenarios", "list")
    assert code == 0
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "plan.toml" in out and "control" in out  # listed as broken, with the reason
    assert "x\\x1b]0;owned\\x07" in out  # a scenario's model id made visible
    code, _, err = run(capsys, "scenarios", "show", "model")
    assert "\x1b" not in err and "\\x1b" in err


@pytest.mark.parametrize("name", ["plan\u202egnp.exe", "zero\u200bwidth", "bell\x07", "line\u2028break"])
def test_names_with_control_bidi_or_zero_width_characters_are_refused(
    capsys: pytest.CaptureFixture[str], name: str,
) -> None:
    code, out, err = run(capsys, "scenarios", "save", name, *SETUP)
    assert code == 2 and out == ""
    assert "control, bidi or zero-width" in err and "U+" in err
    assert not paths.scenarios_dir().exists() or not list(paths.scenarios_dir().glob("*.toml"))


def test_bidi_name_in_a_file_is_broken_on_read() -> None:
    path = save("plain")
    path.write_text(path.read_text(encoding="utf-8").replace('name = "plain"', 'name = "pl\\u202eain"'),
                    encoding="utf-8")
    entry = ScenarioStore().find("plain")
    assert entry.broken and "bidi" in entry.problem and entry.line == 2


def test_cli_tables_align_wide_characters(capsys: pytest.CaptureFixture[str]) -> None:
    save("中文の計画", gpus=2)
    save("abc")
    save("emoji 👨\u200d👩\u200d👧")
    code, out, _ = run(capsys, "scenarios", "list")
    assert code == 0
    lines = out.splitlines()
    starts = {cell_width(line[: line.index("llama-3.1-8b")]) for line in lines[2:]}
    assert len(starts) == 1, out
    assert cell_width(lines[0][: lines[0].index("model")]) in starts


# ----------------------------------------------------------------------------- the CLI and user catalogs


def test_cli_uses_user_catalogs_and_config_catalog_dirs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mine = paths.user_catalogs_dir()
    mine.mkdir(parents=True)
    (mine / "gpu.toml").write_text(HARDWARE_ENTRY.format(id="home-gpu", memory=24, reserved=0.5), encoding="utf-8")
    extra = tmp_path / "team-catalogs"
    extra.mkdir()
    (extra / "gpu.toml").write_text(HARDWARE_ENTRY.format(id="team-gpu", memory=48, reserved=0.5),
                                    encoding="utf-8")
    paths.config_dir().mkdir(parents=True)
    (paths.config_dir() / "config.toml").write_text(f"catalog_dirs = [{json.dumps(str(extra))}]\n",
                                                    encoding="utf-8")
    for hardware in ("home-gpu", "team-gpu"):
        code, out, err = run(capsys, "estimate", *SETUP[:2], "--hardware", hardware, "--engine", "llama.cpp",
                             "--json")
        assert code == 0, err
        assert json.loads(out)["hardware"] == hardware
    code, _, err = run(capsys, "scenarios", "save", "home", *SETUP[:2], "--hardware", "home-gpu",
                       "--engine", "llama.cpp")
    assert code == 0, err
    code, out, err = run(capsys, "scenarios", "show", "home")
    assert code == 0, err
    assert "home-gpu" in out


def test_broken_user_catalog_is_reported_and_builtins_keep_working(capsys: pytest.CaptureFixture[str]) -> None:
    mine = paths.user_catalogs_dir()
    mine.mkdir(parents=True)
    (mine / "bad.toml").write_text('[[hardware]]\nid = "bad"\nname = "Bad"\nmemory_gb = "lots"\n',
                                   encoding="utf-8")
    code, out, err = run(capsys, "estimate", *SETUP, "--json")
    assert code == 0
    assert json.loads(out)["hardware"] == "h100-sxm"
    assert f"llmcalc: warning: user catalog {mine / 'bad.toml'}:4 [hardware bad: memory_gb]" in err


@pytest.mark.parametrize("option", [["--theme", "nord"], ["--scenario", "x"]])
def test_app_options_with_a_command_are_refused(capsys: pytest.CaptureFixture[str], option: list[str]) -> None:
    code, out, err = run(capsys, *option, "estimate", *SETUP)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and option[0] in err and "only apply when opening the app" in err


def test_catalog_names_with_escape_sequences_are_refused_with_line(capsys: pytest.CaptureFixture[str]) -> None:
    directory = paths.user_catalogs_dir()
    directory.mkdir(parents=True)
    path = directory / "hw.toml"
    path.write_text(HARDWARE_ENTRY.format(id="evil-gpu", memory=16, reserved=0).replace(
        'name = "evil-gpu"', 'name = "evil\\u001b[2J"'), encoding="utf-8")
    code, out, err = run(capsys, "hardware", "--json")
    assert code == 0 and "evil-gpu" not in out
    assert f"{path}:3 [hardware evil-gpu: name]: name must not contain control" in err
    assert "\x1b" not in err


def test_export_to_dev_stdout_is_standard_output(capsys: pytest.CaptureFixture[str], two_saved: None) -> None:
    code, out, err = run(capsys, "scenarios", "export", "alpha", "beta", "-f", "csv", "-o", "/dev/stdout")
    assert code == 0, err
    assert out.splitlines()[0].startswith("name,") and "alpha" in out and err == ""
    assert Path("/dev/stdout").is_symlink() or not Path("/dev/stdout").exists() or os.name != "posix"


def test_export_to_a_folder_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, two_saved: None) -> None:
    code, out, err = run(capsys, "scenarios", "export", "alpha", "-o", str(tmp_path))
    assert code == 2 and out == "" and f"cannot write {tmp_path}: is a folder" in err


def test_concurrent_saves_from_separate_processes_report_saved_exactly_once() -> None:
    command = [sys.executable, "-m", "llmcalc_tui", "scenarios", "save", "shared", *SETUP]
    children = [subprocess.Popen([*command, "--batch", str(n + 1)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, stdin=subprocess.DEVNULL) for n in range(8)]
    results = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0] * 8, results
    verbs = sorted(out.split()[0] for out, _ in results)
    assert verbs == ["saved"] + ["updated"] * 7
    assert ScenarioStore().names() == ["shared"]


def test_export_refuses_a_read_only_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, two_saved: None) -> None:
    target = tmp_path / "kept.md"
    target.write_text("mine", encoding="utf-8")
    target.chmod(0o444)
    try:
        code, _, err = run(capsys, "scenarios", "export", "alpha", "-o", str(target))
        assert code == 2 and f"cannot write {target}: it is read-only" in err
        assert target.read_text(encoding="utf-8") == "mine"
    finally:
        target.chmod(0o644)
