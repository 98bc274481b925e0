"""Speed of the load simulation: 10,000 requests through the continuous-batching scheduler.

    python benchmarks/bench_simulate.py [--json] [--requests N]
Target (issue 16): 10,000 simulated requests in under 1 s on one core. Each case is timed from a fresh
step cost (no memoised steps), best of three runs.
"""

from __future__ import annotations

import argparse
import json
import time

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.core.simulate import Lengths, Workload, serving_setup_for, simulate

CASES = {
    "8b_h100_10rps": (Scenario(model="llama-3.1-8b", hardware="h100-sxm"), Lengths(1000, 0), Lengths(200, 0), 10.0),
    "8b_h100_near_saturation": (Scenario(model="llama-3.1-8b", hardware="h100-sxm"), Lengths(1000, 0), Lengths(200, 0), 22.0),
    "8b_h100_lognormal_burst": (Scenario(model="llama-3.1-8b", hardware="h100-sxm"), Lengths(1500, 1000), Lengths(300, 250), 1e12),
    "70b_tp4_h100_2rps": (Scenario(model="llama-3.1-70b", hardware="h100-sxm", gpus=4), Lengths(2000, 500), Lengths(300, 100), 2.0),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    catalog = load_builtin()
    results = {}
    for name, (scenario, prompt, output, rate) in CASES.items():
        best = float("inf")
        for _ in range(3):
            setup = serving_setup_for(scenario, catalog)  # fresh step-cost memo each run
            start = time.perf_counter()
            sim = simulate(setup, Workload(prompt, output, requests=args.requests, rate_rps=rate, seed=0))
            best = min(best, time.perf_counter() - start)
        results[name] = {"seconds": round(best, 4), "completed": sim.completed, "preemptions": sim.preemptions}
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for name, r in results.items():
            print(f"{name:28} {r['seconds'] * 1e3:8.1f} ms  {r['completed']:,} requests, {r['preemptions']} preemptions")


if __name__ == "__main__":
    main()
