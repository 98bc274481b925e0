"""benchmarks/fit_calibration.py: one engine fitted on its own points, physical bounds, priors for
cross-validation (the full refits take minutes and are run by hand, not here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.validation import load_measurements
from llmcalc_tui.resources import benchmarks_dir

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fit_calibration.py"
_spec = importlib.util.spec_from_file_location("fit_calibration", _SCRIPT)
fc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fc)

TRANSFORMERS = [p for p in fc.PARAMS if p[0] == ("transformers",)]


def test_transformers_efficiencies_are_physical_in_the_catalog():
    eng = load_builtin().engines["transformers"]
    for attr in ("decode_bandwidth_efficiency", "prefill_compute_efficiency", "batched_compute_efficiency",
                 "moe_compute_efficiency", "kv_bandwidth_efficiency"):
        assert 0 < getattr(eng, attr) <= 1, attr
    assert {p[1] for p in TRANSFORMERS} >= {"layer_overhead_us", "prefill_compute_efficiency", "moe_compute_efficiency"}


def test_a_transformers_efficiency_is_capped_at_one():
    catalog = fc.put(load_builtin(), (("transformers",), "moe_compute_efficiency", None), 1.7)
    assert catalog.engines["transformers"].moe_compute_efficiency == 1.0
    # The older engines keep their wider bounds until the per-operation model replaces them.
    catalog = fc.put(catalog, (("tensorrt-llm",), "moe_compute_efficiency", None), 1.7)
    assert catalog.engines["tensorrt-llm"].moe_compute_efficiency == 1.7


def test_reset_to_prior_restores_the_documented_priors():
    catalog = fc.reset_to_prior(load_builtin(), TRANSFORMERS)
    eng = catalog.engines["transformers"]
    assert (eng.decode_bandwidth_efficiency, eng.prefill_compute_efficiency, eng.batched_compute_efficiency,
            eng.step_overhead_ms, eng.layer_overhead_us, eng.moe_compute_efficiency) == (0.35, 0.4, 0.25, 15.0, 0.0, 1.0)
    apple = [p for p in fc.PARAMS if p[2] == "apple"]
    llama = fc.reset_to_prior(load_builtin(), apple).engines["llama.cpp"]
    assert "apple" not in llama.backend_efficiency and "apple" not in llama.backend_compute_efficiency


def test_fitting_one_engine_leaves_the_others_alone():
    catalog = load_builtin()
    points = [m for m in load_measurements(benchmarks_dir() / "calibration.toml") if m.scenario.engine == "transformers"]
    start = fc.reset_to_prior(catalog, TRANSFORMERS)
    fitted = fc.fit(start, points, verbose=False, params=TRANSFORMERS)
    assert fc.objective(fitted, points) < fc.objective(start, points)
    for eid, eng in catalog.engines.items():
        if eid != "transformers":
            assert fitted.engines[eid] == eng, eid
    # engines.toml holds the better of the fits from the prior and from its previous values.
    assert fc.objective(catalog, points) <= fc.objective(fitted, points) + 1e-9
