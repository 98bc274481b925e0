"""export_scenarios (Markdown, CSV, JSON) and compare_rows."""

from __future__ import annotations

import csv
import io
import json

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.estimate import GIB, Estimate, estimate
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.export import CSV_COLUMNS, compare_rows, export_scenarios

SMALL = Scenario(model="llama-3.1-8b", hardware="h100-sxm", gpus=1)
BIG = Scenario(model="llama-3.1-8b", hardware="h100-sxm", gpus=2, batch=16)
STALE = Scenario(model="llama-3.1-8b", hardware="gone-gpu")


@pytest.fixture(scope="module")
def ests() -> tuple[Estimate, Estimate]:
    catalog = load_builtin()
    return estimate(SMALL, catalog), estimate(BIG, catalog)


def _items(ests: tuple[Estimate, Estimate]) -> list[tuple[str, Scenario, Estimate | None, str | None]]:
    return [
        ("small | one", SMALL, ests[0], None),
        ('big, "two"\nGPUs', BIG, ests[1], None),
        ("stale", STALE, None, "unknown hardware 'gone-gpu'"),
    ]


# ----------------------------------------------------------------------------- compare_rows


def test_compare_rows_pick_the_best(ests: tuple[Estimate, Estimate]) -> None:
    small, big = ests
    rows = {r.key: r for r in compare_rows([small, big])}
    assert {"memory_total", "memory_per_gpu", "ttft", "tpot", "throughput", "cost_per_1m", "cost_per_month"} <= set(rows)
    assert small.memory and big.memory
    expected_mem = 0 if small.memory.total < big.memory.total else 1
    assert rows["memory_total"].best_index == expected_mem
    assert rows["memory_total"].numbers == (small.memory.total, big.memory.total)
    assert rows["ttft"].best_index == (0 if small.timing.ttft_ms < big.timing.ttft_ms else 1)
    # Throughput: higher is better; 16 sequences on two GPUs beat one on one GPU.
    assert big.timing.output_tok_s_total > small.timing.output_tok_s_total
    assert rows["throughput"].best_index == 1 and rows["throughput"].better == "higher"
    assert rows["cost_per_1m"].best_index == (
        0 if small.cost.per_1m_output_tokens < big.cost.per_1m_output_tokens else 1
    )
    assert rows["model"].best_index is None and rows["model"].values == ["llama-3.1-8b", "llama-3.1-8b"]
    assert rows["memory_total"].values[0] == f"{small.memory.total / GIB:,.1f} GiB"


def test_compare_rows_ties_and_missing(ests: tuple[Estimate, Estimate]) -> None:
    small, _ = ests
    rows = compare_rows([small, small])
    assert all(r.best_index is None for r in rows)
    rows = {r.key: r for r in compare_rows([None, small, None])}
    assert rows["ttft"].values[0] == "-" and rows["ttft"].values[2] == "-"
    assert rows["ttft"].best_index is None  # one number alone is no comparison
    assert all(len(r.values) == 3 for r in rows.values())


def test_compare_rows_four_columns(ests: tuple[Estimate, Estimate]) -> None:
    small, big = ests
    rows = {r.key: r for r in compare_rows([big, small, None, big])}
    assert rows["throughput"].best_index == 0  # first of the tied best
    assert rows["memory_per_gpu"].values[2] == "-"


# ----------------------------------------------------------------------------- export


def test_markdown_one_table_column_per_scenario(ests: tuple[Estimate, Estimate]) -> None:
    text = export_scenarios(_items(ests), "md")
    table = [line for line in text.splitlines() if line.startswith("|")]
    header = table[0]
    assert header == '|   | small \\| one | big, "two" GPUs | stale |'
    assert table[1] == "|---|---:|---:|---:|"
    cells = [len(line.replace("\\|", "").split("|")) for line in table]
    assert len(set(cells)) == 1  # every row has the same number of columns
    rows = {line.split("|")[1].strip(): line for line in table[2:]}
    assert {"Model", "Hardware", "GPUs", "Batch", "Memory (total)", "TTFT", "TPOT", "Cost / month"} <= set(rows)
    assert "| GPUs | 1 | 2 | 1 |" == rows["GPUs"]
    assert "**" in rows["Throughput (output)"]
    assert "unknown hardware 'gone-gpu'" in rows["Error"]
    assert "Bold: the best value" in text


def test_markdown_without_errors_has_no_error_row(ests: tuple[Estimate, Estimate]) -> None:
    text = export_scenarios(_items(ests)[:2], "md")
    assert "| Error |" not in text


def test_csv_columns_and_values(ests: tuple[Estimate, Estimate]) -> None:
    text = export_scenarios(_items(ests), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0][:3] == ["name", "model", "weights"] and rows[0][-1] == "error"
    records = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in records] == ["small | one", 'big, "two"\nGPUs', "stale"]
    small = records[0]
    data = ests[0].to_json()
    assert small["hardware"] == "h100-sxm" and small["gpus"] == "1" and small["tp"] == "1"
    assert small["weights"] == data["weights"] and small["fits"] == "true"
    assert float(small["ttft_ms"]) == data["latency_ms"]["ttft"]
    assert float(small["tpot_ms"]) == data["latency_ms"]["tpot"]
    assert float(small["memory_total_gib"]) == data["memory_gib"]["total"]
    assert float(small["output_tok_s_total"]) == data["throughput_tok_s"]["output_total"]
    assert float(small["usd_per_month"]) == data["cost_usd"]["per_month"]
    assert small["error"] == ""
    assert records[1]["batch"] == "16"
    stale = records[2]
    assert stale["hardware"] == "gone-gpu" and stale["error"] == "unknown hardware 'gone-gpu'"
    assert stale["ttft_ms"] == "" and stale["fits"] == "" and stale["weights"] == ""


def test_json_list_of_name_inputs_result(ests: tuple[Estimate, Estimate]) -> None:
    data = json.loads(export_scenarios(_items(ests), "json"))
    assert [d["name"] for d in data] == ["small | one", 'big, "two"\nGPUs', "stale"]
    assert data[0]["inputs"] == SMALL.model_dump(mode="json")
    assert Scenario.model_validate(data[1]["inputs"]) == BIG
    assert data[0]["result"] == ests[0].to_json() and data[0]["error"] is None
    assert data[2]["result"] is None and data[2]["error"] == "unknown hardware 'gone-gpu'"


def test_empty_and_unknown_format() -> None:
    assert json.loads(export_scenarios([], "json")) == []
    assert export_scenarios([], "csv").strip() == ",".join(CSV_COLUMNS)
    with pytest.raises(ValueError, match="unknown export format"):
        export_scenarios([], "xlsx")  # type: ignore[arg-type]


def test_setup_that_does_not_fit_is_never_best(ests: tuple[Estimate, Estimate]) -> None:
    catalog = load_builtin()
    too_big = estimate(Scenario(model="llama-3.1-70b", hardware="h100-sxm", gpus=1, batch=1), catalog)
    assert too_big.fit_state == "no"
    cheap_but_broken = estimate(Scenario(model="llama-3.1-8b", hardware="h100-sxm", batch=100_000), catalog)
    assert cheap_but_broken.fit_state == "no"
    rows = {r.key: r for r in compare_rows([cheap_but_broken, ests[0], too_big])}
    assert rows["memory_total"].best_index == 1  # the only one that runs wins, even where others look better
    for key in ("ttft", "throughput", "cost_per_1m"):
        # A setup that does not fit has no speed or cost at all (issue 11): nothing to compare against.
        assert rows[key].values[0] == rows[key].values[2] == "-", key
        assert rows[key].numbers[0] is None and rows[key].best_index is None, key
    assert rows["fits"].values == ["no", ests[0].fit_state, "no"]
    rows = {r.key: r for r in compare_rows([too_big, cheap_but_broken])}
    assert all(r.best_index is None for r in rows.values())
