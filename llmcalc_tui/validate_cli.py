"""`llmcalc validate [FILE] [--json]`: predicted vs measured for published benchmarks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.report import table
from llmcalc_tui.core.units import fmt_sig
from llmcalc_tui.core.validation import TARGETS, Measurement, Result, load_measurements, run, summarise
from llmcalc_tui.resources import benchmarks_dir


def register(sub: argparse._SubParsersAction) -> dict:
    p = sub.add_parser("validate", help="estimate published measurements and report the error")
    p.add_argument("file", nargs="?", help="measurements TOML (default: the built-in calibration set)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--check", action="store_true", help="exit 1 when a median error exceeds its target")
    return {"validate": cmd_validate}


def cmd_validate(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.cli import UsageError, print_json

    path = Path(args.file) if args.file else benchmarks_dir() / "calibration.toml"
    try:
        measurements = load_measurements(path)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # TOML or schema error: one line naming the file
        raise UsageError(f"{path}: {str(exc).splitlines()[0]}") from None
    results = run(measurements, catalog)
    summary = summarise(results)
    user_path, user_results = (None, []) if args.file else user_points(catalog)
    if args.json:
        print_json({
            "file": str(path),
            "points": [
                {"id": r.measurement.id, "metric": r.measurement.metric, "measured": r.measurement.value,
                 "predicted": None if r.predicted is None else round(r.predicted, 4),
                 "error": None if r.error is None else round(r.error, 4), "engine": r.engine,
                 "hardware_kind": r.hardware_kind, "problem": r.problem, "source": r.measurement.source,
                 **{k: getattr(r.measurement, k) for k in ("build", "build_date", "era")
                    if hasattr(r.measurement, k)}}
                for r in results
            ],
            "median_abs_error": {
                "by_metric": {k: v[0] for k, v in summary.by_metric.items()},
                "by_engine": {k: v[0] for k, v in summary.by_engine.items()},
                "by_hardware_kind": {k: v[0] for k, v in summary.by_hardware_kind.items()},
            },
            "targets": TARGETS,
            "failures": summary.failures(),
            "user_file": None if user_path is None else str(user_path),
            "user_points": [
                {"id": r.measurement.id, "metric": r.measurement.metric, "measured": r.measurement.value,
                 "predicted": None if r.predicted is None else round(r.predicted, 4),
                 "error": None if r.error is None else round(r.error, 4), "engine": r.engine,
                 "hardware": r.measurement.scenario.hardware, "problem": r.problem,
                 "measured_at": getattr(r.measurement, "measured_at", None),
                 "machine": getattr(r.measurement, "machine", None)}
                for r in user_results
            ],
        })
    else:
        print(table(
            ["point", "metric", "measured", "predicted", "error"],
            [[r.measurement.id[:60], r.measurement.metric, fmt_sig(r.measurement.value, 4),
              fmt_sig(r.predicted, 4),
              r.problem or ("-" if r.error is None else f"{r.error:+.1%}")] for r in results],
        ))
        for title, groups in (("metric", summary.by_metric), ("engine", summary.by_engine),
                              ("hardware class", summary.by_hardware_kind)):
            print()
            print(table(
                [f"median |error| by {title}", "points", "median", "target"],
                [[k, n, "-" if v is None else f"{v:.1%}", f"{TARGETS[k]:.0%}" if k in TARGETS else ""]
                 for k, (v, n) in groups.items()],
            ))
        for failure in summary.failures():
            print(f"over target: {failure}")
        if user_results:
            print()
            print(f"your own measurements ({user_path}), not part of the published targets:")
            print(table(
                ["point (yours)", "metric", "measured", "predicted", "error"],
                [[r.measurement.id[:60], r.measurement.metric, f"{r.measurement.value:,.4g}",
                  "-" if r.predicted is None else f"{r.predicted:,.4g}",
                  r.problem or ("-" if r.error is None else f"{r.error:+.1%}")] for r in user_results],
            ))
    return 1 if args.check and summary.failures() else 0


def user_points(catalog: Catalog) -> tuple[Path, list[Result]]:
    """The user's own points (from `llmcalc verify`), estimated; a broken file is reported and skipped."""
    from llmcalc_tui.user_calibration import UserCalibrationError, calibration_path, read_points

    path = calibration_path()
    try:
        raw = read_points(path)
    except UserCalibrationError as exc:
        print(f"llmcalc: warning: {exc} (your own points are left out)", file=sys.stderr)
        return path, []
    measurements = []
    for index, point in enumerate(raw, start=1):
        try:
            measurements.append(Measurement.model_validate(point))
        except ValueError as exc:
            first = " ".join(str(exc).split("\n")[:2])
            print(f"llmcalc: warning: {path}: point {index} skipped: {first}", file=sys.stderr)
    return path, run(measurements, catalog)
