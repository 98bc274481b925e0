"""Uncertainty bands from the validation errors of an engine and hardware class."""

from __future__ import annotations

import dataclasses
import math

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.estimate import Band, Estimate

MIN_SPREAD = 0.05
"""No band is narrower than +-5%: even a perfect fit leaves run-to-run and build drift."""
MAX_SPREAD = 1.0
"""No band is wider than a factor of two either way: past that the band says nothing useful."""
QUANTILE = 0.68
"""Share of validation points a band should cover (one standard deviation)."""
MACHINE_PRIOR_WEIGHT = 3.0
"""How many of the user's own points the published spread counts as: with n points measured on this
machine (same engine and hardware), the band is (3 x published + n x own) / (3 + n), so it follows
the machine's own errors as they accumulate."""

UNSEEN_ENGINE_SPREAD = 0.3
"""The least band of a figure whose engine has no measured point of that kind (vLLM and SGLang speed,
MLX, Ollama): the all-engine spread is an in-sample error, while predicting an engine the fit never saw
is off by a median of 15 to 46 % (leave-one-engine-out cross-validation, docs/accuracy.md)."""

LARGE_BATCH = 1000
"""Above this many sequences per step, per-sequence costs (scheduling, sampling, cache bookkeeping)
dominate a step and few calibration points reach there (TensorRT-LLM's 1,000-2,048 concurrency rows):
the bands of batch-dependent figures widen by half for each doubling past it."""
BATCH_FIELDS = ("decode_tok_s", "tpot_ms", "output_tok_s_total", "ttft_ms")
"""Figures that depend on the number of running sequences."""

METRIC_OF_FIELD = {
    "decode_tok_s": "decode_tok_s_single",
    "tpot_ms": "decode_tok_s_single",
    "prefill_tok_s": "prefill_tok_s",
    "ttft_ms": "prefill_tok_s",
    "ttft_batch_ms": "prefill_tok_s",
    "output_tok_s_total": "output_tok_s_total",
}
"""Estimate figure -> validation metric whose errors size its band."""


def _quantile(values: list[float], q: float) -> float:
    values = sorted(values)
    if len(values) == 1:
        return values[0]
    pos = q * (len(values) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (pos - low)


_TABLES: dict[int, tuple[Catalog, dict[tuple[str, str, str], float]]] = {}


def error_table(catalog: Catalog) -> dict[tuple[str, str, str], float]:
    """(metric, engine or *, hardware kind or *) -> 68th percentile of |relative error|, per catalog."""
    cached = _TABLES.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    table = _compute_error_table(catalog)
    _TABLES.clear()
    _TABLES[id(catalog)] = (catalog, table)
    return table


def _compute_error_table(catalog: Catalog) -> dict[tuple[str, str, str], float]:
    from llmcalc_tui.core.validation import load_measurements, run
    from llmcalc_tui.resources import benchmarks_dir

    try:
        results = run(load_measurements(benchmarks_dir() / "calibration.toml"), catalog)
    except (OSError, ValueError):
        return {}
    buckets: dict[tuple[str, str, str], list[float]] = {}
    for r in results:
        if r.error is None:
            continue
        metric = r.measurement.metric
        for key in ((metric, r.engine, r.hardware_kind), (metric, r.engine, "*"), (metric, "*", "*")):
            buckets.setdefault(key, []).append(abs(r.error))
    return {k: _quantile(v, QUANTILE) for k, v in buckets.items() if len(v) >= 2 or k[1:] == ("*", "*")}


_MACHINE: dict[tuple, dict[tuple[str, str, str], list[float]]] = {}


def machine_errors(catalog: Catalog) -> dict[tuple[str, str, str], list[float]]:
    """(metric, engine, hardware id) -> |relative error| of the user's points measured on this machine."""
    from llmcalc_tui.user_calibration import UserCalibrationError, calibration_path, hostname, read_points
    from llmcalc_tui.core.validation import Measurement, run

    path = calibration_path()
    try:
        stat = path.stat()
    except OSError:
        return {}
    key = (id(catalog), str(path), stat.st_mtime_ns, stat.st_size, hostname())
    if key in _MACHINE:
        return _MACHINE[key]
    try:
        raw = read_points(path)
    except UserCalibrationError:
        raw = []  # `llmcalc validate` reports the broken file; a band just goes without it
    here = hostname()
    measurements = []
    for point in raw:
        machine = point.get("machine")
        if isinstance(machine, dict) and machine.get("hostname") == here:
            try:
                measurements.append(Measurement.model_validate(point))
            except ValueError:
                continue
    errors: dict[tuple[str, str, str], list[float]] = {}
    for r in run(measurements, catalog):
        if r.error is not None:
            m = r.measurement
            errors.setdefault((m.metric, m.scenario.engine, m.scenario.hardware), []).append(abs(r.error))
    _MACHINE.clear()
    _MACHINE[key] = errors
    return errors


def spread_for(
    catalog: Catalog, field: str, engine: str | None, kind: str | None, hardware_id: str | None = None,
) -> float:
    table = error_table(catalog)
    metric = METRIC_OF_FIELD[field]
    spread = 0.25
    for key in ((metric, engine, kind), (metric, engine, "*"), (metric, "*", "*")):
        if key in table:
            spread = table[key]
            if key[1] == "*":
                spread = max(spread, UNSEEN_ENGINE_SPREAD)
            break
    own = machine_errors(catalog).get((metric, engine, hardware_id), []) if hardware_id else []
    if own:
        n = len(own)
        spread = (MACHINE_PRIOR_WEIGHT * spread + n * _quantile(own, QUANTILE)) / (MACHINE_PRIOR_WEIGHT + n)
    return min(MAX_SPREAD, max(MIN_SPREAD, spread))


def attach_bands(est: Estimate, catalog: Catalog) -> Estimate:
    """Return the estimate with low/high bands on its speed and latency figures."""
    if est.hardware_id is None:
        return est
    kind = catalog.hardware[est.hardware_id].kind
    t = est.timing
    values = {
        "decode_tok_s": t.decode_tok_s_per_sequence,
        "prefill_tok_s": t.prefill_tok_s,
        "output_tok_s_total": t.output_tok_s_total,
        "ttft_ms": t.ttft_ms,
        "ttft_batch_ms": t.ttft_batch_ms,
        "tpot_ms": t.tpot_ms,
    }
    bands = {}
    for field, value in values.items():
        if value is None or not math.isfinite(value):
            continue
        spread = spread_for(catalog, field, est.engine_id, kind, est.hardware_id)
        if field in BATCH_FIELDS and est.batch > LARGE_BATCH:
            spread = min(MAX_SPREAD, spread * (1 + 0.5 * math.log2(est.batch / LARGE_BATCH)))
        bands[field] = Band(value / (1 + spread), value * (1 + spread))
    return dataclasses.replace(est, bands=bands)
