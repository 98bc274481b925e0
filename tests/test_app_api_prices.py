"""The app's API side: prices' date and the update offer in the vs-API view, reasoning segment, palette update."""

from __future__ import annotations

import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from llmcalc_tui import paths, price_update
from llmcalc_tui.app import make_app
from llmcalc_tui.core.units import fmt_money
from llmcalc_tui.state import _api_side
from llmcalc_tui.widgets.api_compare import ApiComparePanel

SNAPSHOT = Path(__file__).resolve().parent / "data" / "model-prices-2026-07-24.subset.json"


@pytest.fixture()
def price_server(monkeypatch: pytest.MonkeyPatch):
    body = SNAPSHOT.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status, payload = (200, body) if self.path == "/prices.json" else (404, b"gone")
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield base
    httpd.shutdown()
    httpd.server_close()


async def test_vs_api_view_shows_the_prices_date_and_the_update_offer():
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        panel = app.screen.query_one(ApiComparePanel)
        text = panel.render_table(panel.state).plain
        assert "API prices as of 2026-07-24 (palette: Update API prices)" in text
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Update API prices" in titles


async def test_reasoning_tokens_are_their_own_segment():
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        panel = app.screen.query_one(ApiComparePanel)
        state = panel.state
        plain = panel.render_table(state).plain
        assert "reasoning" not in plain
        scenario = state.scenario.model_copy(update={"api_model": "gpt-5.4", "reasoning": 1000})
        api, error = _api_side(scenario, app.catalog)
        assert error is None and api.reasoning_tokens == 1000
        lines = panel.render_table(replace(state, scenario=scenario, api_estimate=api)).plain.splitlines()
        row = next(line for line in lines if line.startswith("reasoning"))
        assert row.split()[-2:] == ["1,000", "tok"]
        hidden = lines[lines.index(row) + 1]
        assert "+11.8 s to first token" in hidden  # 1000 tokens at 85 tok/s
        assert f"+{fmt_money(1000 * 15 / 1e6)}/request" in hidden  # 1000 tokens x $15 per 1M
        assert all(len(line) <= 78 for line in lines)


async def test_palette_update_writes_an_overlay_and_reloads(price_server: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(price_update, "DEFAULT_URL", f"{price_server}/prices.json")
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_update_prices()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        overlays = sorted(paths.user_catalogs_dir().glob("api-prices-*.toml"))
        assert len(overlays) == 1
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("API prices as of") for m in messages), messages
        assert any(m.startswith("Catalog reloaded") for m in messages), messages


async def test_palette_update_failure_is_reported_and_writes_nothing(price_server: str, monkeypatch):
    monkeypatch.setattr(price_update, "DEFAULT_URL", f"{price_server}/missing.json")
    app = make_app(theme="llmcalc-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_update_prices()
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("Price update failed" in m and "HTTP 404" in m for m in messages), messages
        assert not paths.user_catalogs_dir().exists() or not list(paths.user_catalogs_dir().iterdir())
