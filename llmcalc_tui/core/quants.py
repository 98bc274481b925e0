"""The best weight format for a machine, and the models that run on it.

Every format the engine can load is estimated on the hardware, fully on the GPU or, where the engine
offloads (llama.cpp, Ollama) and the GPU is too small, with as many layers on the GPU as fit. The
recommended format is the highest quality that meets a decode-speed floor.

Quality order: published mean KL divergence against 16-bit (catalogs/quality.toml, lower is better);
16-bit floats without a number rank first (fp32 right after: upcasting gains nothing); a format without a published number ranks with the best published
format of no more bits per weight (it is taken to lose no more than that one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llmcalc_tui.catalog.schema import Catalog, EngineSpec, FormatSpec, HardwareSpec, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core.estimate import GIB, Estimate, estimate
from llmcalc_tui.core.offload import NO_OFFLOAD_KINDS, host_for
from llmcalc_tui.core.quality import quality_of
from llmcalc_tui.core.scenario import Scenario, ScenarioError, pick_engine

OFFLOAD_ENGINES = ("llama.cpp", "llama.cpp-vulkan", "ollama")
"""Engines that place layers in system RAM (--n-gpu-layers / num_gpu)."""
DEFAULT_MIN_TOK_S = 10.0
"""Decode speed floor of the recommendation (issue 14: `--min-tok-s`, default 10)."""


def engine_runs(engine: EngineSpec, fmt: FormatSpec) -> bool:
    """Whether an engine loads weights in this format: GGUF types (and 16/32-bit GGUF files) for llama.cpp
    and Ollama, MLX quants and floats for mlx, the rest for vLLM, SGLang, TensorRT-LLM and Transformers."""
    if not fmt.weights:
        return False
    is_mlx = fmt.id.startswith("mlx-")
    is_float_file = fmt.kind == "float" and fmt.bits_per_weight >= 16
    if engine.id in OFFLOAD_ENGINES:
        return fmt.kind == "gguf" or is_float_file
    if engine.id == "mlx":
        return is_mlx or is_float_file
    return fmt.kind != "gguf" and not is_mlx


def quality_key(fmt: FormatSpec, catalog: Catalog) -> float:
    """Lower is better: the published KL divergence; 0 for 16-bit floats without one (see the module text)."""
    note = quality_of(fmt.id, catalog)
    if note is not None and note.kld is not None:
        return note.kld
    if fmt.kind == "float" and fmt.bits_per_weight >= 16:
        # Upcasting 16-bit weights to 32 bits gains nothing and takes twice the memory: rank it just after.
        return 0.0 if fmt.bits_per_weight == 16 else 1e-12
    known = [n.kld for f in catalog.formats.values() if f.bits_per_weight <= fmt.bits_per_weight
             and (n := quality_of(f.id, catalog)) is not None and n.kld is not None]
    return min(known) if known else math.inf


@dataclass(frozen=True, slots=True)
class QuantRow:
    format: str
    fits: bool
    placement: str | None
    """gpu or offload (None: it does not fit either way)."""
    weights_gib: float
    decode_tok_s: float | None
    prefill_tok_s: float | None
    max_context: int
    quality: str | None
    recommended: bool
    gpu_layers: int | None = None
    num_layers: int | None = None

    def to_json(self) -> dict:
        def num(x: float | None) -> float | None:
            return None if x is None else round(x, 2)
        return {"format": self.format, "fits": self.fits, "placement": self.placement,
                "weights_gib": round(self.weights_gib, 3), "decode_tok_s": num(self.decode_tok_s),
                "prefill_tok_s": num(self.prefill_tok_s), "max_context": self.max_context,
                "quality": self.quality, "recommended": self.recommended,
                "gpu_layers": self.gpu_layers}


def _row(fmt: FormatSpec, est: Estimate | None, placement: str | None, catalog: Catalog, weights: float,
         layers: int) -> QuantRow:
    note = quality_of(fmt.id, catalog)
    fits = est is not None and est.fits
    return QuantRow(
        format=fmt.id, fits=fits, placement=placement if fits else None, weights_gib=weights / GIB,
        decode_tok_s=est.timing.decode_tok_s_per_sequence if fits and est else None,
        prefill_tok_s=est.timing.prefill_tok_s if fits and est else None,
        max_context=est.max_context if fits and est else 0, quality=note.summary if note else None,
        recommended=False, gpu_layers=(est.offload or {}).get("gpu_layers", layers) if fits and est else None,
        num_layers=layers,
    )


def quants_for(base: Scenario, catalog: Catalog, min_tok_s: float = DEFAULT_MIN_TOK_S,
               stop_at_recommended: bool = False) -> list[QuantRow]:
    """Every format the engine runs, estimated on the hardware (GPU, else offload), recommended one first.

    stop_at_recommended: formats are tried in quality order and the search stops at the first that fits
    and meets the floor (what `models --fits` needs); the other rows are then missing.
    """
    model_id = base.model
    model: ModelSpec | None = catalog.models.get(model_id)
    if model is None:
        raise ScenarioError("model", f"{model_id} is not an open model with weights to choose")
    hardware: HardwareSpec = catalog.hardware[base.hardware]
    engine, _ = pick_engine(base, hardware, catalog)
    can_offload = engine.id in OFFLOAD_ENGINES and hardware.kind not in NO_OFFLOAD_KINDS
    host = host_for(hardware, catalog, base.ram_gib, base.ram_bandwidth_gb_s) if can_offload else None
    room = hardware.usable_bytes * engine.kv_memory_fraction + (host.ram_bytes if host else 0.0)
    formats = sorted((f for f in catalog.formats.values() if engine_runs(engine, f)),
                     key=lambda f: (quality_key(f, catalog), -f.bits_per_weight, f.id))
    rows: list[QuantRow] = []
    for fmt in formats:
        weights = arch.weight_bytes(model, fmt).total
        if weights > room:  # hopeless: more bytes than GPU and RAM hold together
            rows.append(_row(fmt, None, None, catalog, weights, model.num_layers))
            continue
        scenario = base.model_copy(update={"weights": fmt.id, "gpu_layers": None, "engine": engine.id})
        try:
            est = estimate(scenario, catalog, explain=False)
        except ScenarioError:
            rows.append(_row(fmt, None, None, catalog, weights, model.num_layers))
            continue
        placement = "gpu"
        if not est.fits and can_offload:
            est = estimate(scenario.model_copy(update={"gpu_layers": "auto"}), catalog, explain=False)
            placement = "offload"
        row = _row(fmt, est, placement, catalog, weights, model.num_layers)
        rows.append(row)
        if stop_at_recommended and row.fits and (row.decode_tok_s or 0) >= min_tok_s:
            break
    return recommend(rows, min_tok_s)


def recommend(rows: list[QuantRow], min_tok_s: float) -> list[QuantRow]:
    """Mark the first row (in quality order) that fits and meets the floor, and put it first."""
    for i, row in enumerate(rows):
        if row.fits and (row.decode_tok_s or 0) >= min_tok_s:
            best = QuantRow(**{**{k: getattr(row, k) for k in row.__slots__}, "recommended": True})
            return [best, *rows[:i], *rows[i + 1:]]
    return rows


@dataclass(frozen=True, slots=True)
class ModelFit:
    id: str
    format: str
    placement: str
    decode_tok_s: float
    weights_gib: float
    params_total: int
    meets_floor: bool

    def to_json(self) -> dict:
        return {"id": self.id, "format": self.format, "placement": self.placement,
                "decode_tok_s": round(self.decode_tok_s, 2), "weights_gib": round(self.weights_gib, 3),
                "params_total": self.params_total, "meets_floor": self.meets_floor}


def models_that_fit(base: Scenario, catalog: Catalog, min_tok_s: float = DEFAULT_MIN_TOK_S) -> list[ModelFit]:
    """Each catalog model that runs on the hardware with its best format: the recommended one, else the
    fastest that fits."""
    out = []
    for model in catalog.models.values():
        scenario = base.model_copy(update={"model": model.id})
        if scenario.input_tokens + scenario.output_tokens > model.context_length:
            continue
        try:
            rows = quants_for(scenario, catalog, min_tok_s, stop_at_recommended=True)
        except ScenarioError:
            continue
        fitting = [r for r in rows if r.fits]
        if not fitting:
            continue
        best = rows[0] if rows[0].recommended else max(fitting, key=lambda r: r.decode_tok_s or 0)
        out.append(ModelFit(model.id, best.format, best.placement or "gpu", best.decode_tok_s or 0.0,
                            best.weights_gib, arch.param_breakdown(model).total, best.recommended))
    return out
