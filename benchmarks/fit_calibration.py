"""Fit the engines' efficiency profiles to catalogs/benchmarks/calibration.toml.

    python benchmarks/fit_calibration.py [--write]   # print (and write to catalogs/engines.toml) the fit
    python benchmarks/fit_calibration.py --engine transformers [--write]   # one engine on its own points
    python benchmarks/fit_calibration.py --cross-validate [--verbose]   # --verbose: every held-out point
The fit is a coordinate descent on a few physically meaningful constants per engine (achieved
bandwidth and compute per hardware class, per-layer launch overhead, KV-read and MoE efficiency,
roofline sharpness), minimising the median absolute log error of each metric group divided by its
target. Per-point factors are deliberately absent: the values must generalise. Copy the printed
values into catalogs/engines.toml and document them in docs/accuracy.md.
"""

from __future__ import annotations

import math
import statistics
import sys

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.validation import TARGETS, load_measurements, run
from llmcalc_tui.resources import benchmarks_dir

# (engine ids sharing the value, attribute, key inside a dict attribute or None). Each constant is a
# named physical quantity of the per-operation model (core/perf.py, core/timing.py); each is informed
# by several calibration points (docs/accuracy.md lists them). Constants with a single point or none
# (cuBLAS and Vulkan and CPU prefill, AMD and Intel, vLLM and SGLang speed) keep their documented prior.
LCPP = ("llama.cpp", "ollama")
PARAMS = [
    (LCPP, "memory_efficiency", "hbm"),
    (LCPP, "memory_efficiency", "gddr"),
    (LCPP, "memory_efficiency", "lpddr"),
    (LCPP, "memory_efficiency", "cpu"),
    (("llama.cpp",), "step_overhead_ms", None),
    (LCPP, "backend_layer_overhead_us", "cuda"),
    (LCPP, "backend_layer_overhead_us", "metal"),
    (LCPP, "backend_layer_overhead_us", "cpu"),
    (LCPP, "compute_efficiency", "mmq"),
    (LCPP, "compute_efficiency", "metal"),
    (LCPP, "matmul_half_tokens", None),
    (LCPP, "moe_compute_efficiency", None),
    (("llama.cpp-vulkan",), "memory_efficiency", "gddr"),
    (("llama.cpp-vulkan",), "layer_overhead_us", None),
    (("tensorrt-llm",), "memory_efficiency", "hbm"),
    (("tensorrt-llm",), "layer_overhead_us", None),
    (("tensorrt-llm",), "compute_efficiency", "tensor"),
    (("tensorrt-llm",), "compute_efficiency", "tensor:fp4"),
    (("tensorrt-llm",), "matmul_half_tokens", None),
    (("tensorrt-llm",), "kv_bandwidth_efficiency", None),
    (("tensorrt-llm",), "moe_compute_efficiency", None),
    (("tensorrt-llm",), "sequence_overhead_us", None),
    (("transformers",), "memory_efficiency", "hbm"),
    (("transformers",), "layer_overhead_us", None),
    (("transformers",), "step_overhead_ms", None),
    (("transformers",), "compute_efficiency", "tensor"),
    (("transformers",), "matmul_half_tokens", None),
    (("transformers",), "sequence_overhead_us", None),
    (("transformers",), "moe_compute_efficiency", None),
]
BOUNDS = {
    "memory_efficiency": (0.2, 1.0), "compute_efficiency": (0.02, 1.0), "kv_bandwidth_efficiency": (0.2, 1.0),
    "moe_compute_efficiency": (0.05, 1.0), "matmul_half_tokens": (0.0, 2048.0),
    "layer_overhead_us": (0.0, 5000.0), "step_overhead_ms": (0.0, 20.0), "backend_layer_overhead_us": (0.0, 5000.0),
    "sequence_overhead_us": (0.0, 5000.0), "expert_call_overhead_us": (0.0, 5000.0),
}
"""Every efficiency is a share of a peak: (0, 1]."""


def get(catalog, param):
    engines, attr, key = param
    value = getattr(catalog.engines[engines[0]], attr)
    if key is None:
        return value
    if key in value:
        return value[key]
    if ":" in key and key.split(":")[0] in value:  # "tensor:fp4" unset: the path's own share applies
        return value[key.split(":")[0]]
    return getattr(catalog.engines[engines[0]], "layer_overhead_us") if attr == "backend_layer_overhead_us" else 0.5


def put(catalog, param, value):
    engines, attr, key = param
    low, high = BOUNDS[attr]
    value = min(high, max(low, value))
    updated = dict(catalog.engines)
    for eid in engines:
        eng = updated[eid]
        if key is None:
            updated[eid] = eng.model_copy(update={attr: value})
        else:
            table = dict(getattr(eng, attr))
            table[key] = value
            updated[eid] = eng.model_copy(update={attr: table})
    return catalog.model_copy(update={"engines": updated})


def objective(catalog, measurements):
    results = run(measurements, catalog)
    groups = {}
    for r in results:
        if r.error is not None and r.predicted and r.predicted > 0:
            groups.setdefault(r.group, []).append(abs(math.log(r.predicted / r.measurement.value)))
    # A trimmed mean: smooth enough to descend on, deaf to the few points no sane constant fits.
    def trimmed(v):
        v = sorted(v)
        keep = v[: max(1, math.ceil(len(v) * 0.8))]
        return 0.5 * statistics.fmean(keep) + 0.5 * statistics.median(v)

    return sum(trimmed(v) / TARGETS.get(g, 0.25) for g, v in groups.items() if g in TARGETS)


def fit(catalog, measurements, verbose=True, params=None):
    params = PARAMS if params is None else params
    best = objective(catalog, measurements)
    step = 0.5
    while step > 0.01:
        improved = False
        for param in params:
            current = get(catalog, param)
            for factor in (1 + step, 1 / (1 + step)):
                candidate = put(catalog, param, current * factor if current else step * 100)
                score = objective(candidate, measurements)
                if score < best - 1e-6:
                    catalog, best, improved = candidate, score, True
                    break
        if not improved:
            step /= 2
        if verbose:
            print(f"step {step:.3f} objective {best:.3f}", file=sys.stderr)
    return catalog


PRIORS = {
    # The documented priors (catalogs/engines.toml before any fit): a held-out engine or hardware class
    # falls back to these. Bandwidth shares: HBM streams at batch 1 reach less of their peak than GDDR
    # and LPDDR; matmuls at 50-65 % of the path's peak; CUDA-graph engines pay little per layer.
    "vllm": {"memory_efficiency": {"hbm": 0.75}, "compute_efficiency": {"tensor": 0.6}},
    # TensorRT-LLM replays CUDA graphs in decode only: a prefill or mixed step launches its kernels, about
    # ten a layer (norms, QKV GEMM, rotary, attention, output GEMM, MLP GEMMs, activation) at about 5 us
    # each from C++: 50 us a layer, not nothing.
    "tensorrt-llm": {"memory_efficiency": {"hbm": 0.75, "gddr": 0.8}, "compute_efficiency": {"tensor": 0.65},
                     "matmul_half_tokens": 32, "kv_bandwidth_efficiency": 0.8, "moe_compute_efficiency": 0.7,
                     "sequence_overhead_us": 5.0, "layer_overhead_us": 50.0, "step_overhead_ms": 0.2},
    "llama.cpp": {"memory_efficiency": {"hbm": 0.7, "gddr": 0.85, "lpddr": 0.85, "cpu": 0.6},
                  "compute_efficiency": {"mmq": 0.5, "cublas": 0.8, "metal": 0.6, "vulkan": 0.5, "rocm": 0.5,
                                         "cpu": 0.5},
                  "matmul_half_tokens": 16, "moe_compute_efficiency": 0.5, "step_overhead_ms": 1.0,
                  "backend_layer_overhead_us": {"cuda": 20, "metal": 60, "rocm": 30, "vulkan": 30, "cpu": 50}},
    "llama.cpp-vulkan": {"memory_efficiency": {"gddr": 0.85, "lpddr": 0.85}, "layer_overhead_us": 30.0},
    # Eager PyTorch pays Python dispatch (about 10 us) on every op. A Qwen3/Llama decoder layer in
    # Transformers is about 80 ops (two RMSNorms of 8, three projections and their views and transposes,
    # QK-norms, rotary embedding, cache update, attention, output projection, gated MLP, residual adds):
    # about 0.8 ms a layer. generate() adds about 200 ops a step outside the layers (masks, rotary tables,
    # final norm, lm_head, logits processors, sampling, stopping checks): about 2 ms. (The smooth model's
    # lump, 15 ms a step and nothing per layer, had the wrong form for this model.)
    "transformers": {"memory_efficiency": {"hbm": 0.6}, "compute_efficiency": {"tensor": 0.6},
                     "matmul_half_tokens": 32, "step_overhead_ms": 2.0, "layer_overhead_us": 800.0,
                     "sequence_overhead_us": 100.0, "moe_compute_efficiency": 0.7},
}
PRIORS["ollama"] = PRIORS["llama.cpp"]
"""Anything not listed takes the schema default."""

def reset_to_prior(catalog, params):
    """The catalog with these fitted constants set back to their documented priors."""
    from llmcalc_tui.catalog.schema import EngineSpec

    updated = dict(catalog.engines)
    for engines, attr, key in params:
        for eid in engines:
            eng = updated[eid]
            prior = PRIORS.get(engines[0], {}).get(attr, EngineSpec.model_fields[attr].default)
            if key is None:
                updated[eid] = eng.model_copy(update={attr: prior})
            else:
                table = dict(getattr(eng, attr))
                if isinstance(prior, dict) and key in prior:
                    table[key] = prior[key]
                else:
                    table.pop(key, None)
                updated[eid] = eng.model_copy(update={attr: table})
    return catalog.model_copy(update={"engines": updated})


def held_out_medians(results) -> dict[str, tuple[float, int]]:
    groups = {}
    for r in results:
        if r.error is not None:
            groups.setdefault(r.group, []).append(abs(r.error))
    return {g: (statistics.median(e), len(e)) for g, e in sorted(groups.items())}


MIN_POINTS = 2
SPEED_METRICS = ("decode_tok_s_single", "prefill_tok_s", "output_tok_s_total", "ttft_ms")
"""Fewest training points that may inform a fitted constant; below it the constant keeps its prior."""


def leave_one_out(catalog, measurements, label_of, params_of, verbose=False, informs_of=None) -> list:
    """Refit without each label's points, from priors for the constants only they inform; predict them.

    verbose prints every held-out point's prediction, so one sees which points carry the error."""
    held_out = []
    for label in sorted({label_of(m) for m in measurements}):
        train = [m for m in measurements if label_of(m) != label]
        test = [m for m in measurements if label_of(m) == label]
        reset = params_of(label)
        start = reset_to_prior(catalog, reset)
        # A constant is fitted on several points, never one: those the training points inform fewer than
        # twice keep their prior instead of memorising a single point.
        timed = [m for m in train if m.metric in SPEED_METRICS and not m.under_load]
        thin = [p for p in PARAMS if p not in reset
                and informs_of is not None and sum(1 for m in timed if informs_of(p, m)) < MIN_POINTS]
        start = reset_to_prior(start, thin)
        fitted = fit(start, train, verbose=False, params=[p for p in PARAMS if p not in reset and p not in thin])
        results = run(test, fitted)
        if verbose:
            for r in results:
                if r.error is not None and r.group in TARGETS:
                    print(f"  held out {label:14s} {r.measurement.id:52s} {r.group:20s} "
                          f"measured {r.measurement.value:10.4g} predicted {r.predicted:10.4g} "
                          f"{r.error:+7.1%}", flush=True)
        held_out.extend(results)
    return held_out


def cross_validate(catalog, measurements, verbose=False) -> dict[str, dict[str, tuple[float, int]]]:
    """Leave-one-hardware-class-out and leave-one-engine-out medians of |error|, printed and returned.

    A held-out hardware class loses the backend constants keyed to it (e.g. apple's multipliers); a
    held-out engine loses every constant it has (shared ones are refitted on the engines left in).
    """
    def kind(m):
        return catalog.hardware[m.scenario.hardware].kind

    def informs(param, m) -> bool:
        """Whether a point's estimate depends on this constant (its engine, and its backend, memory
        family or compute path for keyed constants)."""
        engines, _attr, key = param
        if m.scenario.engine not in engines:
            return False
        if key is None:
            return True
        from llmcalc_tui.core.perf import compute_path, default_backend, memory_family, path_peak_flops

        engine, hw = catalog.engines[m.scenario.engine], catalog.hardware[m.scenario.hardware]
        backend = default_backend(engine, hw)
        path = precision = ""
        if m.scenario.weights:
            fmt = catalog.formats[m.scenario.weights]
            path = compute_path(engine, backend, fmt)
            precision = f"{path}:{path_peak_flops(path, hw, fmt)[1]}"
        if ":" in key:  # a path at one precision ("tensor:fp4"): only the points that run it
            return key == precision
        return key in (backend, memory_family(hw), path)

    def class_params(k):
        """Constants informed only by the held-out class's points go back to their priors."""
        return [p for p in PARAMS
                if (pts := [m for m in measurements if informs(p, m)]) and all(kind(m) == k for m in pts)]

    def engine_params(e):
        return [p for p in PARAMS if e in p[0]]

    tables = {
        "hardware class": held_out_medians(leave_one_out(catalog, measurements, kind, class_params, verbose, informs)),
        "engine": held_out_medians(
            leave_one_out(catalog, measurements, lambda m: m.scenario.engine, engine_params, verbose, informs)),
    }
    for title, table in tables.items():
        print(f"held-out median |error| (each {title} predicted by a fit without it):")
        for group, (median, n) in table.items():
            target = TARGETS.get(group)
            limit = f"  target x1.5 {1.5 * target:.0%}" if target else ""
            print(f"  {group:22s} {median:6.1%}  ({n} points){limit}")
    return tables


def write_engines(catalog, params=None) -> None:
    """Write the fitted constants back into catalogs/engines.toml, editing only the fitted keys."""
    import re

    from llmcalc_tui.resources import catalogs_dir

    path = catalogs_dir() / "engines.toml"
    text = path.read_text()
    params = PARAMS if params is None else params
    for engine_id in sorted({e for engines, _, _ in params for e in engines}):
        engine = catalog.engines[engine_id]
        start = text.index(f'id = "{engine_id}"')
        end = text.find("[[engine]]", start)
        end = len(text) if end < 0 else end
        block = text[start:end]
        for engines, attr, _ in params:
            if engine_id not in engines:
                continue
            value = getattr(engine, attr)
            if isinstance(value, dict):
                rendered = "{ " + ", ".join(
                    f'{k if re.fullmatch(r"[a-z0-9_-]+", k) else chr(34) + k + chr(34)} = {v:.3g}'
                    for k, v in value.items()) + " }"
            else:
                rendered = f"{value:.3g}"
            line = f"{attr} = {rendered}"
            if re.search(rf"^{attr} = .*$", block, flags=re.M):
                block = re.sub(rf"^{attr} = .*$", line, block, flags=re.M)
            else:
                block = block.rstrip("\n") + "\n" + line + "\n\n"
        text = text[:start] + block + text[end:]
    path.write_text(text)


def option(name: str) -> str | None:
    if name in sys.argv:
        index = sys.argv.index(name) + 1
        if index < len(sys.argv):
            return sys.argv[index]
        raise SystemExit(f"{name} needs a value")
    return None


def main() -> None:
    measurements = load_measurements(benchmarks_dir() / "calibration.toml")
    catalog = load_builtin()
    if "--cross-validate" in sys.argv:
        cross_validate(catalog, measurements, verbose="--verbose" in sys.argv)
        return
    params = PARAMS
    only = option("--engine")
    if only:  # fit one engine's constants on its own points, leaving every other engine as it is
        params = [p for p in PARAMS if only in p[0]]
        if not params:
            raise SystemExit(f"no fitted constants for engine {only!r}")
        engines = {e for p in params for e in p[0]}
        measurements = [m for m in measurements if m.scenario.engine in engines]
        # Coordinate descent finds a local optimum: descend from the documented priors and from the
        # constants engines.toml holds (each clamped into the bounds) and keep the better fit.
        starts = [reset_to_prior(catalog, params), catalog]
        for i, start in enumerate(starts):
            for param in params:
                start = put(start, param, get(start, param))
            starts[i] = fit(start, measurements, params=params)
        catalog = min(starts, key=lambda c: objective(c, measurements))
    else:
        catalog = fit(catalog, measurements, params=params)
    if "--write" in sys.argv:
        write_engines(catalog, params)
    for param in params:
        engines, attr, key = param
        print(f"{'/'.join(engines):20s} {attr}{'[' + key + ']' if key else ''} = {get(catalog, param):.4g}")


if __name__ == "__main__":
    main()
