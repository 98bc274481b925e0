"""ScenarioStore: TOML round trips, slugs, atomic writes with backups, broken files, concurrency."""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import threading
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from llmcalc_tui import scenarios as scenarios_module
from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.scenarios import (
    BACKUP_SUFFIX,
    FORMAT_VERSION,
    SavedScenario,
    ScenarioStore,
    ScenarioStoreError,
    clean_name,
    dump_text,
    slugify,
    unknown_ids,
)

EVERY_FIELD = Scenario(
    model="llama-3.1-70b",
    weights="fp8",
    kv_cache="fp8",
    hardware="a100-80gb-sxm",
    gpus=8,
    tp=4,
    pp=2,
    engine="sglang",
    backend="cuda",
    input_tokens=4321,
    output_tokens=765,
    batch="max",
    deployment="local",
    api_model="gpt-4o",
    electricity_usd_per_kwh=0.31,
    pue=1.35,
    utilisation=0.85,
    lifetime_years=3.5,
    cloud_usd_per_hour=2.75,
    cached_input_fraction=0.4,
    requests_per_minute=123.5,
    batch_api=True,
    priority=True,
    reasoning="high",
    network_rtt_ms=25.0,
    gpu_layers=40,
    cpu_moe=True,
    n_cpu_moe=4,
    kv_offload=False,
    ram_gib=96.0,
    ram_bandwidth_gb_s=120.0,
    draft_model="llama-3.2-1b",
    mtp=True,
    eagle=True,
    draft_tokens=5,
    acceptance=0.65,
    cached_prefix_tokens=1000,
)
"""A scenario where every field differs from the default, so a round trip checks them all."""


@pytest.fixture
def store(tmp_path: Path) -> ScenarioStore:
    return ScenarioStore(tmp_path / "scenarios")


def _files(store: ScenarioStore) -> list[str]:
    return sorted(p.name for p in store.directory.iterdir()) if store.directory.exists() else []


# ----------------------------------------------------------------------------- names and slugs


def test_every_field_differs_from_default() -> None:
    default = Scenario()
    same = [f for f in Scenario.model_fields if getattr(EVERY_FIELD, f) == getattr(default, f)]
    assert same == []


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("My Plan", "my-plan"),
        ("my/plan", "my-plan"),
        ("  H100 x8  (fp8) ", "h100-x8-fp8"),
        ("Café résumé", "cafe-resume"),
        ("Straße", "strasse"),
        ("中文", "_4e2d_6587"),
        ("rocket 🚀", "rocket-_1f680"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("!!!", "scenario"),
        ("CON", "con-"),
        ("nul", "nul-"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert slugify(name) == slugify(name)


@pytest.mark.parametrize("name", ["a" * 500, "ä/ö\\ü:*?\"<>|" * 20, "x\u0301" * 100, "😀" * 60])
def test_slug_is_filesystem_safe(name: str) -> None:
    slug = slugify(name)
    assert re.fullmatch(r"[a-z0-9_][a-z0-9_-]*", slug)
    assert len(slug) <= scenarios_module.MAX_SLUG_LENGTH


@pytest.mark.parametrize("bad", ["", "   ", "two\nlines", "tab\there", "nul\x00", "x" * 201])
def test_clean_name_rejects(bad: str) -> None:
    with pytest.raises(ScenarioStoreError):
        clean_name(bad)


def test_clean_name_trims_and_normalises() -> None:
    assert clean_name("  Cafe\u0301 plan ") == "Café plan"
    assert clean_name("family 👨\u200d👩\u200d👧") == "family 👨\u200d👩\u200d👧"


# ----------------------------------------------------------------------------- round trip and format


def test_round_trip_every_field(store: ScenarioStore) -> None:
    path = store.save("Prod / 中文 ✓", EVERY_FIELD, notes='multi\nline "notes" \\ with ünïcode')
    loaded = store.load("Prod / 中文 ✓")
    assert loaded.scenario == EVERY_FIELD
    assert loaded.name == "Prod / 中文 ✓"
    assert loaded.notes == 'multi\nline "notes" \\ with ünïcode'
    assert loaded.saved_at.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - loaded.saved_at).total_seconds()) < 60
    assert path.parent == store.directory and path.suffix == ".toml"
    assert store.load(path.stem) == loaded


def test_round_trip_defaults_omits_none(store: ScenarioStore) -> None:
    path = store.save("defaults", Scenario())
    text = path.read_text("utf-8")
    data = tomllib.loads(text)
    assert set(data["scenario"]) == {k for k, v in Scenario().model_dump().items() if v is not None}
    assert "weights" not in data["scenario"] and "tp" not in data["scenario"]
    assert store.load("defaults").scenario == Scenario()


def test_file_is_human_readable_toml(store: ScenarioStore) -> None:
    path = store.save("Llama on H100", Scenario(gpus=2, batch=8), notes="for the demo")
    text = path.read_text("utf-8")
    keys = [m.group(1) for m in re.finditer(r"^(\w+) =", text.split("\n[scenario]\n")[0], re.M)]
    assert keys == ["name", "saved_at", "notes", "format_version"]
    assert 'name = "Llama on H100"' in text
    assert "format_version = 1" in text
    assert "\n[scenario]\n" in text
    assert "gpus = 2\n" in text and "batch = 8\n" in text
    data = tomllib.loads(text)
    assert data["format_version"] == FORMAT_VERSION and data["notes"] == "for the demo"


def test_hand_written_file_takes_defaults(store: ScenarioStore) -> None:
    store.directory.mkdir(parents=True)
    (store.directory / "mine.toml").write_text('name = "Mine"\n[scenario]\ngpus = 2\n', "utf-8")
    loaded = store.load("Mine")
    assert loaded.scenario == Scenario(gpus=2)
    assert loaded.notes == "" and loaded.saved_at.tzinfo is not None


def test_saved_scenario_is_frozen() -> None:
    saved = SavedScenario(name="x", scenario=Scenario(), saved_at=datetime.now(timezone.utc))
    with pytest.raises(Exception):
        saved.name = "y"  # type: ignore[misc]


# ----------------------------------------------------------------------------- save, collisions, backups


def test_colliding_slugs_get_distinct_files(store: ScenarioStore) -> None:
    paths = [store.save(n, Scenario(gpus=g)) for n, g in (("My Plan", 1), ("my plan", 2), ("my/plan", 4))]
    assert [p.name for p in paths] == ["my-plan.toml", "my-plan-2.toml", "my-plan-3.toml"]
    assert store.load("My Plan").scenario.gpus == 1
    assert store.load("my plan").scenario.gpus == 2
    assert store.load("my/plan").scenario.gpus == 4
    assert store.save("my plan", Scenario(gpus=8)) == paths[1]
    assert store.load("my plan").scenario.gpus == 8
    assert sorted(store.names()) == sorted(["My Plan", "my plan", "my/plan"])


def test_resave_keeps_previous_version_as_backup(store: ScenarioStore) -> None:
    path = store.save("plan", Scenario(gpus=1))
    assert not (store.directory / f"plan{BACKUP_SUFFIX}").exists()
    first = path.read_bytes()
    store.save("plan", Scenario(gpus=2))
    backup = store.directory / f"plan{BACKUP_SUFFIX}"
    assert backup.read_bytes() == first
    assert store.load("plan").scenario.gpus == 2
    assert _files(store) == [".lock", "plan.toml", "plan.toml.bak"]


def test_save_without_overwrite_refuses(store: ScenarioStore) -> None:
    store.save("plan", Scenario(gpus=1))
    with pytest.raises(ScenarioStoreError, match="already exists"):
        store.save("plan", Scenario(gpus=2), overwrite=False)
    assert store.load("plan").scenario.gpus == 1


def test_list_is_sorted_by_name(store: ScenarioStore) -> None:
    for name in ("beta", "Alpha", "gamma", "Ärger"):
        store.save(name, Scenario())
    assert [e.name for e in store.list()] == ["Alpha", "beta", "gamma", "Ärger"]
    assert all(not e.broken and e.saved is not None for e in store.list())


def test_find_by_slug_and_case(store: ScenarioStore) -> None:
    store.save("Big Box", Scenario(gpus=8))
    assert store.load("big-box").scenario.gpus == 8
    assert store.load("big-box.toml").scenario.gpus == 8
    assert store.load("BIG BOX").scenario.gpus == 8


def test_ambiguous_case_insensitive_name(store: ScenarioStore) -> None:
    store.save("Plan", Scenario())
    store.save("PLAN", Scenario())
    assert store.load("Plan").name == "Plan"
    with pytest.raises(ScenarioStoreError, match="give the file name"):
        store.load("pLaN")


def test_unknown_name_suggests(store: ScenarioStore) -> None:
    store.save("Production", Scenario())
    with pytest.raises(ScenarioStoreError) as info:
        store.load("Prodution")
    assert "did you mean 'Production'" in info.value.message
    assert str(store.directory) in info.value.message
    assert "\n" not in info.value.message


def test_missing_directory_lists_empty_and_is_created_on_save(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path / "a" / "b" / "scenarios")
    assert store.list() == [] and store.names() == []
    assert not store.directory.exists()
    store.save("x", Scenario())
    assert store.names() == ["x"]


def test_default_directory_honours_env(isolated_dirs: dict[str, Path]) -> None:
    store = ScenarioStore()
    assert store.directory == isolated_dirs["LLMCALC_DATA_DIR"] / "scenarios"
    path = store.save("env", Scenario())
    assert path.parent == isolated_dirs["LLMCALC_DATA_DIR"] / "scenarios"


def test_default_directory_honours_xdg(isolated_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform != "linux":
        pytest.skip("XDG_DATA_HOME only applies on Linux")
    monkeypatch.delenv("LLMCALC_DATA_DIR")
    assert ScenarioStore().directory == isolated_dirs["XDG_DATA_HOME"] / "llmcalc" / "scenarios"


# ----------------------------------------------------------------------------- rename, duplicate, delete


def test_rename_moves_file_and_keeps_backup(store: ScenarioStore) -> None:
    old = store.save("old name", EVERY_FIELD, notes="n")
    before = store.load("old name")
    new = store.rename("old name", "New name ✓")
    assert new.name == "new-name-_2713.toml" and not old.exists()
    assert (store.directory / f"old-name{BACKUP_SUFFIX}").exists()
    after = store.load("New name ✓")
    assert after.scenario == EVERY_FIELD and after.notes == "n" and after.saved_at == before.saved_at
    assert store.names() == ["New name ✓"]


def test_rename_case_only_keeps_file(store: ScenarioStore) -> None:
    path = store.save("plan", Scenario(gpus=2))
    assert store.rename("plan", "Plan") == path
    assert store.names() == ["Plan"]
    assert store.load("Plan").scenario.gpus == 2


def test_rename_errors(store: ScenarioStore) -> None:
    store.save("a", Scenario())
    store.save("b", Scenario())
    with pytest.raises(ScenarioStoreError, match="already exists"):
        store.rename("a", "b")
    with pytest.raises(ScenarioStoreError, match="no scenario named 'zzz'"):
        store.rename("zzz", "c")
    with pytest.raises(ScenarioStoreError, match="empty"):
        store.rename("a", "  ")
    assert sorted(store.names()) == ["a", "b"]


def test_duplicate(store: ScenarioStore) -> None:
    store.save("base", EVERY_FIELD, notes="keep")
    path = store.duplicate("base", "Base")
    assert path.name == "base-2.toml"
    assert store.load("Base").scenario == EVERY_FIELD and store.load("Base").notes == "keep"
    assert store.load("base").scenario == EVERY_FIELD
    with pytest.raises(ScenarioStoreError, match="already exists"):
        store.duplicate("base", "Base")


def test_delete_moves_to_backup(store: ScenarioStore) -> None:
    path = store.save("gone", EVERY_FIELD)
    content = path.read_bytes()
    store.delete("gone")
    assert not path.exists() and store.names() == []
    backup = store.directory / f"gone{BACKUP_SUFFIX}"
    assert backup.read_bytes() == content
    with pytest.raises(ScenarioStoreError, match="no scenario named"):
        store.delete("gone")


def test_delete_in_missing_directory_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(ScenarioStoreError, match="no scenario named 'x'"):
        ScenarioStore(tmp_path / "nothing").delete("x")


# ----------------------------------------------------------------------------- broken files


def _valid_text() -> str:
    return dump_text(SavedScenario(name="Valid", scenario=EVERY_FIELD, saved_at=datetime.now(timezone.utc)))


BROKEN = {
    "truncated": (lambda: _valid_text()[: _valid_text().index("Valid") + 3].encode(), "TOML syntax error", 2),
    "syntax": (b'name = "x"\n[scenario]\ngpus = = 2\n', "TOML syntax error", 3),
    "empty": (b"", "empty", None),
    "blank": (b"\n   \n", "empty", None),
    "binary": (b"\x00\xff\xfe\x89PNG\r\n\x1a\n", "not UTF-8", 1),
    "bad value": (b'name = "Bad"\nformat_version = 1\n\n[scenario]\nmodel = "x"\ngpus = 0\n', "scenario.gpus", 6),
    "unknown key": (b'name = "Typo"\n[scenario]\ngpu = 2\n', "scenario.gpu", 3),
    "no table": (b'name = "Lonely"\n', "no [scenario] table", None),
    "no name": (b"[scenario]\ngpus = 2\n", "name", None),
    "newer": (b'name = "Future"\nformat_version = 9\n[scenario]\n', "newer", 2),
    "scenario not a table": (b'name = "Odd"\nscenario = 3\n', "scenario", 2),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_file_is_listed_and_never_overwritten(store: ScenarioStore, kind: str) -> None:
    make, problem, line = BROKEN[kind]
    content = make() if callable(make) else make
    store.directory.mkdir(parents=True)
    path = store.directory / "victim.toml"
    path.write_bytes(content)
    store.save("good", Scenario())

    entries = {e.slug: e for e in store.list()}
    entry = entries["victim"]
    assert entry.broken and entry.saved is None
    assert problem in entry.problem
    assert entry.line == line
    assert entry.path == path
    assert not entries["good"].broken
    assert store.names() == ["good"]

    with pytest.raises(ScenarioStoreError) as info:
        store.load("victim")
    assert str(path) in info.value.message and "broken" in info.value.message
    if line:
        assert f"{path}:{line}" in info.value.message

    # Saving under the broken file's slug or its own name writes a new file instead.
    new_path = store.save("victim", Scenario(gpus=2))
    assert new_path != path and path.read_bytes() == content
    if entry.name:
        store.save(entry.name, Scenario(gpus=4))
        assert path.read_bytes() == content
    with pytest.raises(ScenarioStoreError):
        store.rename("victim.toml", "renamed")
    assert path.read_bytes() == content

    # Only an explicit delete removes it, and it stays recoverable.
    store.delete("victim.toml")
    assert not path.exists()
    assert (store.directory / f"victim{BACKUP_SUFFIX}").read_bytes() == content


def test_broken_file_keeps_its_name_when_readable(store: ScenarioStore) -> None:
    store.directory.mkdir(parents=True)
    (store.directory / "x.toml").write_text('name = "Readable"\n[scenario]\ngpus = "many"\n', "utf-8")
    (entry,) = store.list()
    assert entry.name == "Readable" and entry.broken and entry.line == 3
    assert "scenario.gpus" in entry.problem


def test_folder_named_like_a_scenario(store: ScenarioStore) -> None:
    (store.directory / "odd.toml").mkdir(parents=True)
    (entry,) = store.list()
    assert entry.broken and "folder" in entry.problem
    assert store.save("odd", Scenario()).name == "odd-2.toml"


def test_unreadable_file(store: ScenarioStore, monkeypatch: pytest.MonkeyPatch) -> None:
    path = store.save("secret", Scenario())
    path.chmod(0)
    try:
        try:
            path.read_bytes()
            readable = True  # root ignores file modes: simulate the denial instead
        except PermissionError:
            readable = False
        if readable:
            import llmcalc_tui.scenarios as scenarios_module

            real = scenarios_module.read_regular_bytes

            def deny(target: Path, *args: object) -> bytes:
                if Path(target) == path:
                    raise PermissionError(13, "Permission denied", str(target))
                return real(target, *args)

            monkeypatch.setattr(scenarios_module, "read_regular_bytes", deny)
        entries = store.list()
        assert len(entries) == 1 and entries[0].broken
        assert "cannot read: permission denied" in entries[0].problem
        with pytest.raises(ScenarioStoreError, match="broken"):
            store.load("secret")
        assert store.save("secret", Scenario(gpus=2)).name == "secret-2.toml"
    finally:
        path.chmod(0o644)
        monkeypatch.undo()
    assert store.load("secret.toml").scenario == Scenario()


def test_read_only_directory_simulated(store: ScenarioStore, monkeypatch: pytest.MonkeyPatch) -> None:
    path = store.save("kept", Scenario())
    before = sorted(store.directory.iterdir())
    content = path.read_bytes()
    real_open, real_replace = os.open, os.replace

    def deny_open(file, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, *args, **kwargs)

    def deny_replace(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied", str(src), None, str(dst))

    monkeypatch.setattr(os, "open", deny_open)
    monkeypatch.setattr(os, "replace", deny_replace)
    for action in (
        lambda: store.save("new", Scenario()),
        lambda: store.save("kept", Scenario(gpus=2)),
        lambda: store.rename("kept", "other"),
        lambda: store.duplicate("kept", "other"),
        lambda: store.delete("kept"),
    ):
        with pytest.raises(ScenarioStoreError) as info:
            action()
        assert "cannot write" in info.value.message and "permission denied" in info.value.message
        assert str(store.directory) in info.value.message and "\n" not in info.value.message
    monkeypatch.setattr(os, "open", real_open)
    assert sorted(store.directory.iterdir()) == before
    assert path.read_bytes() == content
    assert store.names() == ["kept"]


def test_failed_replace_leaves_original_and_no_temp(store: ScenarioStore, monkeypatch: pytest.MonkeyPatch) -> None:
    path = store.save("plan", Scenario(gpus=1))
    content = path.read_bytes()

    def boom(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device", str(src))

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(ScenarioStoreError, match="no space left"):
        store.save("plan", Scenario(gpus=2))
    assert path.read_bytes() == content
    assert not [p for p in store.directory.iterdir() if p.name.endswith(".tmp")]


def test_data_dir_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = ScenarioStore(blocker)
    with pytest.raises(ScenarioStoreError, match="not a folder"):
        store.list()
    with pytest.raises(ScenarioStoreError, match="cannot write"):
        ScenarioStore(blocker / "scenarios").save("x", Scenario())


# ----------------------------------------------------------------------------- catalog changes


def test_unknown_ids_reports_stale_ids_and_scenario_still_loads(store: ScenarioStore) -> None:
    catalog = load_builtin()
    assert unknown_ids(Scenario(), catalog) == {}
    known = Scenario(model="llama-3.1-8b", weights="fp8", kv_cache="fp8", hardware="h100-sxm", engine="sglang",
                     api_model="gpt-4o")
    assert unknown_ids(known, catalog) == {}
    stale = Scenario(
        model="llama-0.1-1b", weights="fp3", kv_cache="fp9", hardware="h100-sxmm", engine="tgi-x", api_model="gpt-0"
    )
    problems = unknown_ids(stale, catalog)
    assert set(problems) == {"model", "weights", "kv_cache", "hardware", "engine", "api_model"}
    assert "unknown hardware 'h100-sxmm'" in problems["hardware"] and "did you mean" in problems["hardware"]
    store.save("old", stale, notes="from last year")
    loaded = store.load("old")
    assert loaded.scenario == stale and loaded.notes == "from last year"
    assert [e.broken for e in store.list()] == [False]


def test_unknown_ids_accepts_aliases_and_case() -> None:
    catalog = load_builtin()
    alias = next(iter(catalog.aliases), None)
    if alias is not None:
        assert "model" not in unknown_ids(Scenario(model=alias.upper()), catalog)
    assert unknown_ids(Scenario(hardware="H100-SXM"), catalog) == {}


# ----------------------------------------------------------------------------- concurrency


def _save_many(directory: str, name: str, gpus: int, barrier, rounds: int) -> None:  # type: ignore[no-untyped-def]
    store = ScenarioStore(Path(directory))
    barrier.wait()
    for _ in range(rounds):
        store.save(name, Scenario(gpus=gpus))


JOBS = [
    ("Plan A", 1), ("plan a", 2), ("plan/a", 4), ("PLAN  A", 8), ("plan-a", 16), ("Plan_A", 32),
    ("other", 1), ("Same", 1), ("Same", 2), ("Same", 4),
]
"""Different names sharing one slug, a lone name, and one name saved by three writers at once."""


def _check_after_race(store: ScenarioStore) -> None:
    entries = store.list()
    assert not [e for e in entries if e.broken]
    assert sorted(store.names()) == sorted({name for name, _ in JOBS})
    for name, gpus in JOBS:
        if name != "Same":
            assert store.load(name).scenario.gpus == gpus
    assert store.load("Same").scenario.gpus in (1, 2, 4)
    for backup in store.directory.glob(f"*{BACKUP_SUFFIX}"):
        tomllib.loads(backup.read_text("utf-8"))
    assert not [p for p in store.directory.iterdir() if p.name.endswith(".tmp")]


def test_concurrent_saves_processes(store: ScenarioStore) -> None:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    barrier = ctx.Barrier(len(JOBS))
    procs = [
        ctx.Process(target=_save_many, args=(str(store.directory), name, gpus, barrier, 5)) for name, gpus in JOBS
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * len(JOBS)
    _check_after_race(store)


def test_concurrent_saves_threads(store: ScenarioStore) -> None:
    barrier = threading.Barrier(len(JOBS))
    errors: list[BaseException] = []

    def run(name: str, gpus: int) -> None:
        try:
            _save_many(str(store.directory), name, gpus, barrier, 10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in JOBS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    _check_after_race(store)


# ----------------------------------------------------------------------------- purity


def test_modules_do_not_import_textual_or_rich() -> None:
    code = (
        "import sys, llmcalc_tui.scenarios, llmcalc_tui.export; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
