"""Speed of the estimation core: one estimate, the whole grid, a 5,000-model catalog, CLI wall time.

    python benchmarks/bench_core.py [--json]
Targets (issue): estimate_us < 500, grid_ms < 10, catalog_5000_load_ms < 1000, cli_estimate_json_s < 0.5.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w

from llmcalc_tui.catalog.loader import load_builtin, load_dirs
from llmcalc_tui.core.compat import build_grid
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.resources import catalogs_dir


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def generated_catalog(directory: Path, count: int) -> None:
    """Copy the built-ins and add `count` synthetic models derived from real architectures."""
    for path in catalogs_dir().glob("*.toml"):
        (directory / path.name).write_bytes(path.read_bytes())
    base = [m.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for m in load_builtin().models.values()]
    models = []
    for i in range(count):
        entry = dict(base[i % len(base)])
        entry["id"] = f"synthetic-{i}"
        entry["name"] = f"Synthetic {i}"
        entry["aliases"] = []
        entry.pop("published_params", None)
        entry.pop("published_active_params", None)
        models.append(entry)
    (directory / "synthetic.toml").write_text(tomli_w.dumps({"model": models}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    catalog = load_builtin()
    scenario = Scenario(model="llama-3.1-70b", weights="fp8", hardware="h100-sxm", gpus=2, input_tokens=4096,
                        output_tokens=512, batch=16)
    estimate(scenario, catalog)
    build_grid(scenario, catalog)
    # Vary a field each call so no cache hides the work a keystroke does.
    counter = iter(range(10**9))
    est_samples = timed(lambda: estimate(scenario.model_copy(update={"input_tokens": 1000 + next(counter) % 3000}), catalog), 2000)
    grid_samples = timed(lambda: build_grid(scenario.model_copy(update={"input_tokens": 1000 + next(counter) % 3000}), catalog), 100)
    with tempfile.TemporaryDirectory() as tmp:
        generated_catalog(Path(tmp), 5000)
        load_samples = timed(lambda: load_dirs([Path(tmp)]), 3)
    env = dict(os.environ)
    cli = [sys.executable, "-m", "llmcalc_tui", "estimate", "--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--json"]
    cli_samples = timed(lambda: subprocess.run(cli, capture_output=True, check=True, env=env), 5)
    result = {
        "estimate_us": round(statistics.median(est_samples) * 1e6, 1),
        "estimate_p95_us": round(sorted(est_samples)[int(len(est_samples) * 0.95)] * 1e6, 1),
        "grid_ms": round(statistics.median(grid_samples) * 1e3, 2),
        "grid_rows": len(build_grid(scenario, catalog)),
        "catalog_5000_load_ms": round(statistics.median(load_samples) * 1e3, 1),
        "cli_estimate_json_s": round(statistics.median(cli_samples), 3),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:24s} {value}")


if __name__ == "__main__":
    main()
