"""Cold start to first frame and resident memory of the app, each in a fresh interpreter.

    python benchmarks/bench_startup.py [--json] [--runs N]
Targets (issue): first frame under 1 s, resident memory under 120 MB.
The child imports the app, builds it as the CLI does, runs it headless at 80x24 until the first
screen is composed and painted, then reports wall time since interpreter start and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import time, resource, asyncio, os, json
start = time.perf_counter()
from llmcalc_tui.app import make_app

async def main():
    app = make_app(remember_ui_state=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first_frame = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"first_frame_s": first_frame, "rss_mb": rss_mb}))

asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"LLMCALC_DATA_DIR": tmp, "LLMCALC_CONFIG_DIR": tmp, "PATH": "/usr/bin:/bin"}
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, check=True)
            samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    result = {
        "first_frame_s": round(statistics.median(s["first_frame_s"] for s in samples), 3),
        "rss_mb": round(statistics.median(s["rss_mb"] for s in samples), 1),
    }
    print(json.dumps(result) if args.json else "\n".join(f"{k:16s} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
