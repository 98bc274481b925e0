"""Cold start to first frame and resident memory of the app, as a user starts it.

    python benchmarks/bench_startup.py [--json] [--runs N] [--size 80x24 --size 200x60]

Targets (issue 6): first frame under 1 s, resident memory under 120 MB.
Each run starts `python -m llmcalc_tui` in a fresh interpreter on a pseudo-terminal of the given
size (empty data and config dirs) and times it from the spawn until the first frame with results
(the summary's "TTFT") has been written to the terminal. Resident memory is read from /proc once
that frame is out, then the app is quit with ctrl+q.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

MARKER = b"TTFT"
"""Text that only appears once results are on screen."""


def start_once(width: int, height: int, env: dict[str, str], timeout_s: float = 20.0) -> tuple[float, float]:
    """(seconds to first frame with results, resident MB then) for one cold start."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "llmcalc_tui"], stdin=slave, stdout=slave, stderr=slave, env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    first_frame = float("nan")
    try:
        while time.perf_counter() - started < timeout_s:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            seen = seen[-len(MARKER):] + chunk
            if MARKER in seen:
                first_frame = time.perf_counter() - started
                break
        rss_mb = resident_mb(child.pid)
        os.write(master, b"\x11")  # ctrl+q
        deadline = time.perf_counter() + 5
        while child.poll() is None and time.perf_counter() < deadline:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        os.close(master)
    return first_frame, rss_mb


def resident_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", action="append", help="WIDTHxHEIGHT (repeatable; default 80x24 and 200x60)")
    args = parser.parse_args()
    sizes = [tuple(int(n) for n in s.lower().split("x")) for s in (args.size or ["80x24", "200x60"])]
    result: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "LLMCALC_DATA_DIR": tmp, "LLMCALC_CONFIG_DIR": tmp, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TERM": "xterm-256color", "COLORTERM": "truecolor", "HOME": tmp,
        }
        start_once(80, 24, env)  # warm the file cache: the first start after a build reads .py files
        for width, height in sizes:
            samples = [start_once(width, height, env) for _ in range(args.runs)]
            frames = sorted(s[0] for s in samples)
            result[f"first_frame_s_{width}x{height}_median"] = round(statistics.median(frames), 3)
            result[f"first_frame_s_{width}x{height}_max"] = round(frames[-1], 3)
            result[f"rss_mb_{width}x{height}"] = round(statistics.median(s[1] for s in samples), 1)
    print(json.dumps(result) if args.json else "\n".join(f"{k:32s} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
