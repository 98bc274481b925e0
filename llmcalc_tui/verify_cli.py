"""`llmcalc verify`: run the engine's own benchmark (or read its result file), compare it with the
estimate, and keep the measurement in the user's calibration file."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from llmcalc_tui.bench_results import BenchResult, ResultFileError, read_result_file
from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.scenario import Scenario
from llmcalc_tui.core.validation import Measurement, Result, run

LLAMA_BENCH_ENGINES = ("llama.cpp", "llama.cpp-vulkan", "ollama")
VLLM_ENGINES = ("vllm",)


def register(sub: argparse._SubParsersAction) -> dict:
    from llmcalc_tui.cli import add_workload_options, int_in

    p = sub.add_parser(
        "verify",
        help="measure this machine with the engine's own benchmark (or read its result file) and compare",
    )
    add_workload_options(p)
    p.add_argument("--from", dest="result_file", metavar="FILE",
                   help="a result llama-bench (-o json/jsonl/md) or vllm bench latency/throughput (--output-json) wrote")
    p.add_argument("--model-file", help="what the benchmark loads: a GGUF for llama-bench, a path or repo for vLLM "
                                        "(default for vLLM: the catalog's Hugging Face repo)")
    p.add_argument("--bench", choices=["latency", "throughput"], default="latency",
                   help="which vLLM benchmark to run (default latency)")
    p.add_argument("--timeout", type=int_in("--timeout", 1, 86_400), default=3600,
                   help="seconds the benchmark may run (default 3600)")
    p.add_argument("--no-save", action="store_true", help="compare only; do not append to your calibration file")
    p.add_argument("--json", action="store_true")
    return {"verify": cmd_verify}


def benchmark_command(scenario: Scenario, catalog: Catalog, args: argparse.Namespace, out: Path) -> tuple[list[str], str]:
    """The benchmark to run for the scenario's engine, and the tool's name."""
    from llmcalc_tui.cli import UsageError

    engine = catalog.engines.get(scenario.engine)
    engine_id = engine.id if engine else scenario.engine
    if engine_id in LLAMA_BENCH_ENGINES:
        if not args.model_file:
            raise UsageError("llama-bench needs the GGUF file: pass --model-file PATH (or --from FILE)")
        return ["llama-bench", "-m", args.model_file, "-p", str(scenario.input_tokens),
                "-n", str(scenario.output_tokens), "-o", "json"], "llama-bench"
    if engine_id in VLLM_ENGINES:
        model = args.model_file or _hf_repo(scenario, catalog)
        common = ["--model", model, "--input-len", str(scenario.input_tokens),
                  "--output-len", str(scenario.output_tokens), "--output-json", str(out)]
        if args.bench == "throughput":
            prompts = scenario.batch if isinstance(scenario.batch, int) else 1000
            return ["vllm", "bench", "throughput", *common, "--num-prompts", str(prompts)], "vllm"
        batch = scenario.batch if isinstance(scenario.batch, int) else 1
        return ["vllm", "bench", "latency", *common, "--batch-size", str(batch)], "vllm"
    raise UsageError(f"no benchmark runner for engine {engine_id!r}: run its benchmark and pass --from FILE")


def _hf_repo(scenario: Scenario, catalog: Catalog) -> str:
    from llmcalc_tui.cli import UsageError

    model = catalog.models.get(catalog.aliases.get(scenario.model, scenario.model))
    if model is None or not model.hf_repo:
        raise UsageError(f"no Hugging Face repo known for {scenario.model!r}: pass --model-file")
    return model.hf_repo


def run_benchmark(command: list[str], timeout: int, out: Path) -> Path:
    """Run the tool; its JSON lands in `out` (llama-bench prints it, vLLM writes it)."""
    from llmcalc_tui.cli import UsageError

    if shutil.which(command[0]) is None:
        raise UsageError(f"{command[0]} is not on PATH: install it, or run it yourself and pass --from FILE")
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise UsageError(f"{command[0]} ran longer than {timeout} s (see --timeout)") from None
    except OSError as exc:
        raise UsageError(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        last = next((line for line in reversed(proc.stderr.splitlines()) if line.strip()), "no message")
        raise UsageError(f"{command[0]} exited with status {proc.returncode}: {last.strip()}")
    if command[0] == "llama-bench":
        out.write_text(proc.stdout, encoding="utf-8")
    return out


def measurements_for(results: list[BenchResult], scenario: Scenario, machine: dict, source: str) -> list[Measurement]:
    from llmcalc_tui.user_calibration import USER_PREFIX

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for r in results:
        if not r.metric:
            continue  # llama-bench's mixed pp+tg tests time prefill and decode together
        updates = {k: v for k, v in (("input_tokens", r.input_tokens), ("output_tokens", r.output_tokens),
                                     ("batch", r.batch)) if v is not None}
        point_scenario = scenario.model_copy(update=updates)
        label = r.label.replace(" ", "")
        out.append(Measurement.model_validate({
            "id": f"{USER_PREFIX}{machine['hostname']}:{r.tool}:{label}:{stamp}",
            "source": source,
            "metric": r.metric,
            "value": r.value,
            "scenario": point_scenario.model_dump(exclude_none=True),
            "measured_at": stamp,
            "machine": machine,
            "tool": r.tool,
            "test": r.label,
            "tool_info": {k: v for k, v in r.info.items() if v not in (None, "")},
        }))
    return out


def check_throughput_file(results: list[BenchResult], scenario: Scenario) -> None:
    """A vLLM throughput file must have run the scenario's token counts (its totals tell)."""
    from llmcalc_tui.cli import UsageError

    for r in results:
        if r.tool != "vllm-throughput":
            continue
        expected = r.info["num_requests"] * (scenario.input_tokens + scenario.output_tokens)
        if r.info["total_num_tokens"] and r.info["total_num_tokens"] != expected:
            raise UsageError(
                f"the file's total_num_tokens {r.info['total_num_tokens']:,} is not {r.info['num_requests']:,} x "
                f"({scenario.input_tokens} + {scenario.output_tokens}): pass the run's --input-tokens and --output-tokens"
            )


def cmd_verify(args: argparse.Namespace, catalog: Catalog) -> int:
    from llmcalc_tui.cli import UsageError, print_json, scenario_from_args
    from llmcalc_tui.core.estimate import estimate
    from llmcalc_tui.core.report import table
    from llmcalc_tui.user_calibration import UserCalibrationError, append_points, detect_gpu, hostname

    scenario = scenario_from_args(args)
    if args.result_file is None and args.bench == "throughput" and args.batch is None:
        scenario = scenario.model_copy(update={"batch": "max"})
    planned = estimate(scenario, catalog, explain=False)  # unknown ids and impossible setups fail here
    if planned.deployment == "api" or planned.engine_id is None:
        raise UsageError(f"{scenario.model!r} is a hosted API: verify measures an open model on your own hardware")
    with tempfile.TemporaryDirectory(prefix="llmcalc-verify-") as tmp:
        if args.result_file is not None:
            path, origin = Path(args.result_file), f"result file {Path(args.result_file).name}"
        else:
            # The engine the estimate chose (the scenario may leave it to the hardware).
            engine_scenario = scenario.model_copy(update={"engine": planned.engine_id})
            command, _tool = benchmark_command(engine_scenario, catalog, args, Path(tmp) / "result.json")
            path = run_benchmark(command, args.timeout, Path(tmp) / "result.json")
            origin = "run: " + " ".join(command[:3]) + " ..."
        try:
            results = read_result_file(path, output_tokens=scenario.output_tokens)
        except ResultFileError as exc:
            raise UsageError(str(exc)) from None
    check_throughput_file(results, scenario)
    if results[0].tool == "vllm-throughput" and args.batch is None:
        scenario = scenario.model_copy(update={"batch": "max"})  # vLLM batches every request it can
    gpu = next((r.info["gpu_info"] for r in results if r.info.get("gpu_info")), None) or detect_gpu()
    machine = {"hostname": hostname(), **({"gpu": gpu} if gpu else {})}
    build = next((f"build {r.info['build_number']} ({r.info.get('build_commit', '?')})"
                  for r in results if "build_number" in r.info), "")
    source = f"llmcalc verify on {machine['hostname']}: {results[0].tool}{' ' + build if build else ''}, {origin}"
    measurements = measurements_for(results, scenario, machine, source)
    if not measurements:
        raise UsageError(f"{path}: no test llmcalc can compare (only mixed pp+tg tests)")
    compared = run(measurements, catalog)
    saved = None
    if not args.no_save:
        try:
            saved = append_points([_point(m) for m in measurements])
        except UserCalibrationError as exc:
            raise UsageError(f"{exc} (nothing was saved; fix or move the file)") from None
        except OSError as exc:
            raise UsageError(f"cannot save your measurement: {exc.strerror or exc}") from None
    if args.json:
        print_json({
            "machine": machine,
            "source": source,
            "saved_to": None if saved is None else str(saved),
            "points": [_row_json(r) for r in compared],
        })
        return 0
    print(f"machine: {machine['hostname']}" + (f" ({machine['gpu']})" if "gpu" in machine else ""))
    print(table(
        ["test", "metric", "measured", "predicted", "error"],
        [[r.measurement.test, r.measurement.metric, f"{r.measurement.value:,.4g}",
          "-" if r.predicted is None else f"{r.predicted:,.4g}",
          r.problem or ("-" if r.error is None else f"{r.error:+.1%}")] for r in compared],
    ))
    print(f"saved to {saved}" if saved else "not saved (--no-save)")
    return 0


def _point(m: Measurement) -> dict:
    data = m.model_dump(mode="json", exclude_none=True)
    data.pop("predict", None)
    return {k: v for k, v in data.items() if v not in ("", {}, None)}


def _row_json(r: Result) -> dict:
    m = r.measurement
    return {"id": m.id, "test": m.test, "metric": m.metric, "measured": m.value,
            "predicted": None if r.predicted is None else round(r.predicted, 4),
            "error": None if r.error is None else round(r.error, 4),
            "scenario": m.scenario.model_dump(exclude_none=True), "problem": r.problem}
