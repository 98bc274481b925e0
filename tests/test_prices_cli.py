"""`llmcalc catalogs update-prices` against a local HTTP server (127.0.0.1, port 0) and local files."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from llmcalc_tui.catalog.loader import builtin_catalog_dir, load_dirs, parse_file
from llmcalc_tui.cli import main

SNAPSHOT = Path(__file__).resolve().parent / "data" / "model-prices-2026-07-24.subset.json"


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LLMCALC_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture(scope="module")
def snapshot_bytes() -> bytes:
    return SNAPSHOT.read_bytes()


def changed_map(snapshot_bytes: bytes) -> bytes:
    """The snapshot with gpt-4o cheaper and a model the built-in map did not list."""
    data = json.loads(snapshot_bytes)
    data["gpt-4o"] = {**data["gpt-4o"], "input_cost_per_token": 2e-06}
    data["gpt-9"] = {**data["gpt-5.5"], "input_cost_per_token": 7e-06}
    return json.dumps(data).encode()


@pytest.fixture()
def server(snapshot_bytes: bytes) -> Iterator[str]:
    routes = {
        "/prices.json": (200, snapshot_bytes),
        "/changed.json": (200, changed_map(snapshot_bytes)),
        "/broken.json": (200, snapshot_bytes[: len(snapshot_bytes) // 2]),
        "/list.json": (200, b"[1, 2, 3]"),
        "/html": (200, b"<html>not a map</html>"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status, body = routes.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def builtin_snapshot() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(builtin_catalog_dir().glob("*.toml"))}


def overlays(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "catalogs").glob("*.toml")) if (data_dir / "catalogs").is_dir() else []


def test_update_from_local_server_writes_a_dated_overlay(server: str, data_dir: Path, capsys) -> None:
    before = builtin_snapshot()
    assert main(["catalogs", "update-prices", "--from", f"{server}/prices.json", "--as-of", "2026-07-25"]) == 0
    out = capsys.readouterr().out
    assert "new endpoints: none" in out and "price changes: none" in out
    [path] = overlays(data_dir)
    assert path.name == "api-prices-2026-07-25.toml"
    entries, problems = parse_file(path)
    assert problems == []
    by_id = {e.id: e for e in entries["api_models"]}
    assert by_id["gpt-4o"].input_usd_per_1m == 2.5 and str(by_id["gpt-4o"].as_of) == "2026-07-25"
    assert by_id["gpt-4o"].ttft_ms == 350  # published latency survives a price refresh
    assert "o1-mini" not in by_id  # pinned (no longer in the map) entries stay built-in
    assert builtin_snapshot() == before


def test_changes_and_new_models_are_reported_and_loaded(server: str, data_dir: Path, capsys) -> None:
    assert main(["catalogs", "update-prices", "--from", f"{server}/changed.json", "--as-of", "2026-08-01"]) == 0
    out = capsys.readouterr().out
    assert "new endpoints: gpt-9" in out
    assert "gpt-4o: input_usd_per_1m 2.5 -> 2" in out
    merged = load_dirs([builtin_catalog_dir(), data_dir / "catalogs"]).catalog
    assert merged.api_models["gpt-4o"].input_usd_per_1m == 2.0
    assert merged.api_models["gpt-9"].input_usd_per_1m == 7.0
    assert merged.api_models["gpt-9"].source_key == "gpt-9"


def test_update_from_a_file(tmp_path: Path, data_dir: Path, snapshot_bytes: bytes, capsys) -> None:
    source = tmp_path / "map.json"
    source.write_bytes(changed_map(snapshot_bytes))
    assert main(["catalogs", "update-prices", "--from", str(source), "--as-of", "2026-08-02"]) == 0
    assert "gpt-4o: input_usd_per_1m 2.5 -> 2" in capsys.readouterr().out
    assert [p.name for p in overlays(data_dir)] == ["api-prices-2026-08-02.toml"]


@pytest.mark.parametrize(
    ("route", "expected"),
    [("/missing.json", "HTTP 404"), ("/broken.json", "not a JSON price map"), ("/list.json", "not a price map"),
     ("/html", "not a JSON price map")],
)
def test_bad_answers_write_nothing(server: str, data_dir: Path, capsys, route: str, expected: str) -> None:
    before = builtin_snapshot()
    assert main(["catalogs", "update-prices", "--from", f"{server}{route}"]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and err.startswith("llmcalc: error:")
    assert overlays(data_dir) == []
    assert builtin_snapshot() == before


def test_no_network_and_timeout_are_one_line(data_dir: Path, capsys) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert main(["catalogs", "update-prices", "--from", f"http://127.0.0.1:{port}/x.json", "--timeout", "2"]) == 2
    assert "cannot reach" in capsys.readouterr().err
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/x.json"
        assert main(["catalogs", "update-prices", "--from", url, "--timeout", "0.3"]) == 2
    err = capsys.readouterr().err
    assert "no answer within 0.3 s" in err and err.count("\n") == 1
    assert overlays(data_dir) == []


def test_missing_file_and_directory_are_refused(tmp_path: Path, data_dir: Path, capsys) -> None:
    assert main(["catalogs", "update-prices", "--from", str(tmp_path / "nope.json")]) == 2
    assert main(["catalogs", "update-prices", "--from", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("llmcalc: error:") == 2
    assert overlays(data_dir) == []
