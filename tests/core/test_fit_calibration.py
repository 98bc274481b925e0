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


def test_no_engine_efficiency_in_the_catalog_exceeds_one():
    """Every efficiency is a share of a peak: no engine reaches more than 100 % of a bandwidth or a compute
    peak, on any backend, memory family or compute path."""
    for eid, eng in load_builtin().engines.items():
        for attr in ("decode_bandwidth_efficiency", "prefill_compute_efficiency", "batched_compute_efficiency",
                     "moe_compute_efficiency", "kv_bandwidth_efficiency", "allreduce_efficiency"):
            assert 0 < getattr(eng, attr) <= 1, (eid, attr)
        for attr in ("memory_efficiency", "compute_efficiency", "backend_efficiency", "backend_compute_efficiency"):
            for key, value in getattr(eng, attr).items():
                assert 0 < value <= 1, (eid, attr, key)


def test_every_fitted_efficiency_is_capped_at_one():
    catalog = load_builtin()
    for param in fc.PARAMS:
        if param[1].endswith("efficiency"):
            capped = fc.put(catalog, param, 1.7)
            assert fc.get(capped, param) == 1.0, param


def test_reset_to_prior_restores_the_documented_priors():
    catalog = fc.reset_to_prior(load_builtin(), TRANSFORMERS)
    eng = catalog.engines["transformers"]
    assert eng.memory_efficiency["hbm"] == 0.6 and eng.compute_efficiency["tensor"] == 0.6
    assert (eng.step_overhead_ms, eng.layer_overhead_us, eng.sequence_overhead_us,
            eng.matmul_half_tokens) == (2.0, 800.0, 100.0, 32)
    trt = fc.reset_to_prior(load_builtin(), [p for p in fc.PARAMS if p[0] == ("tensorrt-llm",)])
    assert trt.engines["tensorrt-llm"].layer_overhead_us == 50.0  # prefill launches kernels: never free
    metal = [p for p in fc.PARAMS if p[2] == "metal"]
    llama = fc.reset_to_prior(load_builtin(), metal).engines["llama.cpp"]
    assert llama.compute_efficiency["metal"] == 0.6 and llama.backend_layer_overhead_us["metal"] == 60


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
