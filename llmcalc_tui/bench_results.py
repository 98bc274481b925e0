"""Read the result files that engines' own benchmarks write: llama-bench (JSON, JSONL, markdown) and
vLLM's `bench latency` / `bench throughput` JSON. Each becomes a list of BenchResult rows."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path


class ResultFileError(ValueError):
    """A result file that is not one of the known formats, or is malformed (one line, with the path)."""


@dataclass(frozen=True)
class BenchResult:
    """One measured figure and the workload it was measured on (None: take it from the scenario)."""

    metric: str
    """A validation metric: prefill_tok_s, decode_tok_s_single, output_tok_s_total, e2e_latency_ms."""
    value: float
    tool: str
    """llama-bench, vllm-latency or vllm-throughput."""
    input_tokens: int | None = None
    output_tokens: int | None = None
    batch: int | str | None = None
    label: str = ""
    """The tool's own name for the test (pp512, tg128 @ d512, ...)."""
    info: dict = field(default_factory=dict)
    """What the file says about the build and the machine (build, gpu_info, backends, model)."""


def read_result_file(path: Path, *, output_tokens: int | None = None) -> list[BenchResult]:
    """Parse a result file, whatever the tool; output_tokens is what a vLLM throughput run generated."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResultFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ResultFileError(f"{path}: not a text file") from None
    stripped = text.strip()
    skipped = text[: len(text) - len(text.lstrip())].count("\n")  # blank lines before the content
    if not stripped:
        raise ResultFileError(f"{path}: empty file")
    if stripped.startswith("|"):
        return _llama_bench_markdown(path, stripped)
    if stripped.startswith("["):
        data = _json(path, stripped, skipped=skipped)
        if not isinstance(data, list) or not data:
            raise ResultFileError(f"{path}: expected llama-bench's JSON array of tests")
        return [_llama_bench_row(path, row, i + 1) for i, row in enumerate(data)]
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:  # not one object: llama-bench's JSONL, one object per line
            lines = stripped.splitlines()
            rows = [_json(path, line, line=skipped + i + 1) for i, line in enumerate(lines) if line.strip()]
            return [_llama_bench_row(path, row, i + 1) for i, row in enumerate(rows)]
        if isinstance(data, dict) and "avg_ts" in data:  # JSONL with a single test
            return [_llama_bench_row(path, data, 1)]
        if isinstance(data, dict) and "avg_latency" in data:
            return [_vllm_latency(path, data)]
        if isinstance(data, dict) and "elapsed_time" in data and "num_requests" in data:
            return [_vllm_throughput(path, data, output_tokens)]
    raise ResultFileError(
        f"{path}: not a llama-bench (json, jsonl, md) or vLLM bench latency/throughput result"
    )


def _json(path: Path, text: str, line: int | None = None, skipped: int = 0):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = line if line is not None else exc.lineno + skipped
        raise ResultFileError(f"{path}, line {where}: invalid JSON ({exc.msg})") from None


def _number(path: Path, value, what: str, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ResultFileError(f"{path}: {what} is not a number")
    if positive and value <= 0:
        raise ResultFileError(f"{path}: {what} must be positive")
    return float(value)


def _count(path: Path, value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ResultFileError(f"{path}: {what} is not a token count")
    return value


def _llama_bench_kind(n_prompt: int, n_gen: int, depth: int) -> tuple[str, int, int] | None:
    """(metric, input tokens, output tokens) of a llama-bench test; None for the mixed pg tests."""
    if n_prompt > 0 and n_gen == 0:
        return "prefill_tok_s", n_prompt + depth, 1
    if n_gen > 0 and n_prompt == 0:
        return "decode_tok_s_single", max(1, depth), n_gen
    return None


def _llama_bench_row(path: Path, row, index: int) -> BenchResult:
    if not isinstance(row, dict):
        raise ResultFileError(f"{path}: test {index} is not an object")
    try:
        n_prompt = _count(path, row["n_prompt"], f"test {index}: n_prompt")
        n_gen = _count(path, row["n_gen"], f"test {index}: n_gen")
        depth = _count(path, row.get("n_depth", 0), f"test {index}: n_depth")
        value = _number(path, row["avg_ts"], f"test {index}: avg_ts")
    except KeyError as exc:
        raise ResultFileError(f"{path}: test {index} has no {exc.args[0]}") from None
    kind = _llama_bench_kind(n_prompt, n_gen, depth)
    label = f"pp{n_prompt}" if n_gen == 0 else f"tg{n_gen}" if n_prompt == 0 else f"pp{n_prompt}+tg{n_gen}"
    if depth:
        label += f" @ d{depth}"
    info = {k: row[k] for k in ("build_commit", "build_number", "gpu_info", "cpu_info", "backends",
                                "model_type", "model_filename", "test_time") if k in row}
    if kind is None:
        return BenchResult("", value, "llama-bench", label=label, info=info)
    metric, isl, osl = kind
    return BenchResult(metric, value, "llama-bench", isl, osl, 1, label, info)


_MD_TEST = re.compile(r"^(pp|tg)\s*([0-9]+)(?:\s*@\s*d\s*([0-9]+))?$")
_MD_RATE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(?:\s*±\s*[0-9.]+)?$")


def _llama_bench_markdown(path: Path, text: str) -> list[BenchResult]:
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    if "test" not in header or "t/s" not in header:
        raise ResultFileError(f"{path}, line 1: a llama-bench table needs 'test' and 't/s' columns")
    test_col, rate_col = header.index("test"), header.index("t/s")
    results = []
    for number, line in enumerate(lines[2:], start=3):
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != len(header):
            raise ResultFileError(f"{path}, line {number}: {len(cells)} cells, the header has {len(header)}")
        test, rate = _MD_TEST.match(cells[test_col]), _MD_RATE.match(cells[rate_col])
        if not test or not rate:
            raise ResultFileError(f"{path}, line {number}: cannot read test {cells[test_col]!r} at {cells[rate_col]!r}")
        tokens, depth = int(test.group(2)), int(test.group(3) or 0)
        n_prompt, n_gen = (tokens, 0) if test.group(1) == "pp" else (0, tokens)
        kind = _llama_bench_kind(n_prompt, n_gen, depth)
        assert kind is not None
        info = {k: cells[header.index(k)] for k in ("model", "backend") if k in header}
        results.append(BenchResult(kind[0], float(rate.group(1)), "llama-bench", kind[1], kind[2], 1,
                                   cells[test_col], info))
    if not results:
        raise ResultFileError(f"{path}: the table has no tests")
    return results


def _vllm_latency(path: Path, data: dict) -> BenchResult:
    seconds = _number(path, data["avg_latency"], "avg_latency")
    info = {"iterations": len(data["latencies"])} if isinstance(data.get("latencies"), list) else {}
    return BenchResult("e2e_latency_ms", seconds * 1000.0, "vllm-latency", label="avg_latency", info=info)


def _vllm_throughput(path: Path, data: dict, output_tokens: int | None) -> BenchResult:
    elapsed = _number(path, data["elapsed_time"], "elapsed_time")
    requests = _number(path, data["num_requests"], "num_requests")
    total = _number(path, data.get("total_num_tokens", 0), "total_num_tokens", positive=False)
    if output_tokens is None:
        raise ResultFileError(f"{path}: a vLLM throughput result needs --output-tokens (the run's --output-len)")
    info = {"num_requests": int(requests), "total_num_tokens": int(total)}
    return BenchResult("output_tok_s_total", requests * output_tokens / elapsed, "vllm-throughput",
                       label=f"{int(requests)} requests", info=info)
