"""Compatibility grid: the scenario's workload on every hardware entry of the catalog."""

from __future__ import annotations

from dataclasses import dataclass

from llmcalc_tui.catalog.schema import Catalog, HardwareSpec, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core.estimate import GIB, activation_bytes, estimate, kv_bytes_per_value
from llmcalc_tui.core.scenario import Scenario, ScenarioError, resolve

FALLBACK_ENGINE = "llama.cpp"
"""Engine used on hardware the scenario's engine does not support (Apple, CPUs, edge)."""


@dataclass(frozen=True, slots=True)
class GridRow:
    """One hardware entry: can it run the workload, on how many devices, how fast, at what price."""

    hardware: str
    name: str
    kind: str
    fits: bool
    fit_state: str
    gpus_needed: int | None
    engine: str
    max_batch: int
    max_context: int
    decode_tok_s: float | None
    output_tok_s_total: float | None
    usd_per_1m_output_tokens: float | None
    memory_per_gpu_gib: float | None
    capacity_per_gpu_gib: float

    def to_json(self) -> dict:
        def r(x: float | None, d: int = 2) -> float | None:
            return None if x is None else round(x, d)

        return {
            "hardware": self.hardware,
            "name": self.name,
            "kind": self.kind,
            "fits": self.fits,
            "fit_state": self.fit_state,
            "gpus_needed": self.gpus_needed,
            "engine": self.engine,
            "max_batch": self.max_batch,
            "max_context": self.max_context,
            "decode_tok_s": r(self.decode_tok_s),
            "output_tok_s_total": r(self.output_tok_s_total),
            "usd_per_1m_output_tokens": r(self.usd_per_1m_output_tokens, 4),
            "memory_per_gpu_gib": r(self.memory_per_gpu_gib),
            "capacity_per_gpu_gib": r(self.capacity_per_gpu_gib),
        }


def device_counts(hw: HardwareSpec) -> list[int]:
    counts, n = [], 1
    while n <= hw.max_devices:
        counts.append(n)
        n *= 2
    return counts


def split(model: ModelSpec, n: int) -> tuple[int, int]:
    """Tensor parallel as wide as the heads allow, pipeline stages for the rest."""
    tp = n
    while tp > 1 and (model.num_attention_heads % tp or n % tp):
        tp -= 1
    return tp, n // tp


def _fits_on(model: ModelSpec, scenario: Scenario, catalog: Catalog, hw: HardwareSpec, engine_id: str, n: int) -> bool:
    """Cheap memory-only check, the same arithmetic as estimate() without the timing."""
    engine = catalog.engines[engine_id]
    wfmt = catalog.formats[(scenario.weights or model.native_dtype).lower()]
    kvfmt = catalog.formats[scenario.kv_cache.lower()]
    tp, pp = split(model, n)
    batch = 1 if scenario.batch == "max" else scenario.batch
    wb = arch.weight_bytes(model, wfmt)
    kv = batch * arch.kv_cache_bytes(
        model, scenario.input_tokens + scenario.output_tokens, kv_bytes_per_value(kvfmt),
        engine.kv_frees_windowed_layers, tp,
    )
    need = (wb.total + kv) / n + activation_bytes(model, engine, batch, scenario.input_tokens) + engine.overhead_gib * GIB
    return need <= hw.usable_bytes * engine.kv_memory_fraction


def build_grid(scenario: Scenario, catalog: Catalog) -> list[GridRow]:
    """Every hardware entry with the fewest devices that fit the scenario's workload."""
    base = resolve(scenario, catalog)
    model = base.model
    if model is None:
        return []
    rows = []
    for hw in catalog.hardware.values():
        engine_id = scenario.engine if hw.kind in catalog.engines[scenario.engine].kinds else FALLBACK_ENGINE
        needed = next((n for n in device_counts(hw) if _fits_on(model, scenario, catalog, hw, engine_id, n)), None)
        n = needed or hw.max_devices
        tp, pp = split(model, n)
        deployment = "cloud" if hw.cloud_usd_per_hour else "local"
        if scenario.deployment in ("local", "cloud"):
            deployment = scenario.deployment
        try:
            est = estimate(
                scenario.model_copy(
                    update={"hardware": hw.id, "gpus": n, "tp": tp, "pp": pp, "engine": engine_id,
                            "deployment": deployment, "api_model": None}
                ),
                catalog,
                explain=False,
            )
        except ScenarioError:
            continue
        rows.append(
            GridRow(
                hardware=hw.id,
                name=hw.name,
                kind=hw.kind,
                fits=est.fits,
                fit_state=est.fit_state,
                gpus_needed=needed if est.fits else None,
                engine=engine_id,
                max_batch=est.max_batch,
                max_context=est.max_context,
                decode_tok_s=est.timing.decode_tok_s_per_sequence if est.fits else None,
                output_tok_s_total=est.timing.output_tok_s_total if est.fits else None,
                usd_per_1m_output_tokens=est.cost.per_1m_output_tokens if est.fits else None,
                memory_per_gpu_gib=est.memory.per_gpu / GIB if est.memory else None,
                capacity_per_gpu_gib=hw.usable_bytes / GIB,
            )
        )
    return rows
