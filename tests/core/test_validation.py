"""The calibration set is predicted within the published targets."""

from __future__ import annotations

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.validation import TARGETS, load_measurements, run, summarise
from llmcalc_tui.resources import benchmarks_dir


def test_every_measurement_maps_to_a_scenario():
    measurements = load_measurements(benchmarks_dir() / "calibration.toml")
    assert len([m for m in measurements if not m.id.startswith('lcpp-notes-')]) == 69
    results = run(measurements, load_builtin())
    assert [r.measurement.id for r in results if r.problem] == []


def test_median_errors_within_targets():
    summary = summarise(run(load_measurements(benchmarks_dir() / "calibration.toml"), load_builtin()))
    assert summary.failures() == []
    for group in TARGETS:
        assert summary.by_metric[group][1] > 0, f"no points for {group}"
