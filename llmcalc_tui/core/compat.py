"""Compatibility grid: the scenario's workload on every hardware entry of the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.estimate import GIB, estimate
from llmcalc_tui.core.fit import gpus_needed, nodes_for, split
from llmcalc_tui.core.offload import NO_OFFLOAD_KINDS
from llmcalc_tui.core.quants import OFFLOAD_ENGINES
from llmcalc_tui.core.scenario import Scenario, ScenarioError, pick_engine, resolve

__all__ = ["GridBasis", "GridRow", "build_grid", "split"]


GridBasis = Literal["auto", "cloud", "owned"]
"""How the grid prices its rows: one basis for every row ("auto": each row on its deployment auto basis)."""


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
    """On `cost_basis`; None when that basis has no price for this hardware (never the other basis)."""
    memory_per_gpu_gib: float | None
    capacity_per_gpu_gib: float
    cost_basis: str = ""
    """cloud (rented) or owned."""
    nodes_needed: int | None = None
    usd_per_1m_by_basis: dict[str, float | None] = field(default_factory=dict)
    """$/1M output tokens on each basis ("cloud", "owned"), None where the basis has no price."""
    usd_per_month_by_basis: dict[str, float | None] = field(default_factory=dict)
    replicas: int | None = None
    engine_reason: str = ""
    tp: int = 1
    pp: int = 1
    """The split the row was estimated with: what estimate() picks itself for gpus_needed GPUs when tp is
    left empty and pp is 1, so a form that takes this row should set exactly that."""
    placement: str = "gpu"
    """gpu, or offload: one device with the layers that do not fit in system RAM (issue 14)."""
    gpu_layers: int | None = None
    num_layers: int | None = None

    @property
    def fits_text(self) -> str:
        """What the fits column says: the fit state, or "offload 52/80" for a row that fits with offload."""
        if self.fits and self.placement == "offload":
            return f"offload {self.gpu_layers}/{self.num_layers}"
        return self.fit_state

    def usd_per_1m_on(self, basis: str) -> float | None:
        """$/1M output tokens on one basis, so a whole grid column can switch between rented and owned."""
        return self.usd_per_1m_by_basis.get(basis)

    def on_basis(self, basis: str) -> GridRow:
        """This row priced on another basis ("cloud" or "owned")."""
        if basis not in self.usd_per_1m_by_basis:
            return self
        return replace(self, cost_basis=basis, usd_per_1m_output_tokens=self.usd_per_1m_by_basis[basis])

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
            "nodes_needed": self.nodes_needed,
            "engine": self.engine,
            "max_batch": self.max_batch,
            "max_context": self.max_context,
            "decode_tok_s": r(self.decode_tok_s),
            "output_tok_s_total": r(self.output_tok_s_total),
            "usd_per_1m_output_tokens": r(self.usd_per_1m_output_tokens, 4),
            "cost_basis": self.cost_basis,
            "usd_per_1m_by_basis": {k: r(v, 4) for k, v in self.usd_per_1m_by_basis.items()},
            "usd_per_month_by_basis": {k: r(v, 2) for k, v in self.usd_per_month_by_basis.items()},
            "replicas": self.replicas,
            "memory_per_gpu_gib": r(self.memory_per_gpu_gib),
            "capacity_per_gpu_gib": r(self.capacity_per_gpu_gib),
            "placement": self.placement if self.fits else None,
            "gpu_layers": self.gpu_layers if self.fits else None,
        }


def build_grid(scenario: Scenario, catalog: Catalog, basis: GridBasis = "auto", offload: bool = False) -> list[GridRow]:
    """Every hardware entry with the fewest devices that fit the scenario's workload, priced on one basis.

    offload (or an offload lever in the scenario): a row that does not fit on one device is tried on one
    device with as many layers on it as fit and the rest in system RAM, where the engine offloads.

    basis "auto" follows the scenario's deployment (local: owned, cloud: rented) and, when that is auto
    too, each row's own (rented for datacenter accelerators, owned for the rest).
    """
    base = resolve(scenario, catalog)
    model = base.model
    if model is None:
        return []
    if basis == "auto" and scenario.deployment in ("local", "cloud"):
        basis = "owned" if scenario.deployment == "local" else "cloud"
    wfmt = base.weights
    kvfmt = base.kv
    assert wfmt is not None and kvfmt is not None
    batch = 1 if scenario.batch == "max" else scenario.batch
    offload = offload or scenario.offloads
    layers_wanted = scenario.gpu_layers if scenario.gpu_layers is not None else "auto"
    if scenario.offloads:  # the plain pass first; the levers apply to the one-device offload pass
        scenario = scenario.model_copy(update={"gpu_layers": None, "cpu_moe": False, "n_cpu_moe": None,
                                               "kv_offload": True})
    offload_lever = {"gpu_layers": layers_wanted, "cpu_moe": base.scenario.cpu_moe,
                     "n_cpu_moe": base.scenario.n_cpu_moe, "kv_offload": base.scenario.kv_offload}
    rows = []
    for hw in catalog.hardware.values():
        try:
            engine, reason = pick_engine(scenario, hw, catalog)
        except ScenarioError:
            continue
        needed = gpus_needed(model, engine, hw, wfmt, kvfmt, batch, scenario.input_tokens, scenario.output_tokens)
        n = needed or 1
        tp, pp = split(model, n, engine, hw.max_devices)
        if pp > model.num_layers:
            n, tp, pp = 1, 1, 1
        deployment = {"cloud": "cloud", "owned": "local"}.get(basis)
        try:
            est = estimate(
                scenario.model_copy(
                    update={"hardware": hw.id, "gpus": n, "tp": tp, "pp": pp, "engine": engine.id,
                            "deployment": deployment, "api_model": None}
                ),
                catalog,
                explain=False,
            )
        except ScenarioError:
            continue
        placement = "gpu"
        if offload and needed != 1 and engine.id in OFFLOAD_ENGINES and hw.kind not in NO_OFFLOAD_KINDS:
            try:
                split_est = estimate(scenario.model_copy(update={
                    "hardware": hw.id, "gpus": 1, "tp": None, "pp": 1, "engine": engine.id, "deployment": deployment,
                    "api_model": None, **offload_lever}), catalog, explain=False)
            except ScenarioError:
                split_est = None
            if split_est is not None and split_est.fits:
                est, needed, placement = split_est, 1, "offload"
        by_basis = {k: c.per_1m_output_tokens for k, c in est.costs.items()}
        rows.append(
            GridRow(
                hardware=hw.id,
                name=hw.name,
                kind=hw.kind,
                fits=est.fits,
                fit_state=est.fit_state,
                gpus_needed=needed if est.fits else None,
                engine=engine.id,
                max_batch=est.max_batch,
                max_context=est.max_context,
                decode_tok_s=est.timing.decode_tok_s_per_sequence if est.fits else None,
                output_tok_s_total=est.timing.output_tok_s_total if est.fits else None,
                usd_per_1m_output_tokens=est.cost.per_1m_output_tokens if est.fits else None,
                memory_per_gpu_gib=est.memory.per_gpu / GIB if est.memory else None,
                capacity_per_gpu_gib=hw.usable_bytes / GIB,
                cost_basis=est.cost.basis_kind,
                nodes_needed=nodes_for(needed, hw) if est.fits else None,
                usd_per_1m_by_basis=by_basis,
                usd_per_month_by_basis={k: c.per_month for k, c in est.costs.items()},
                replicas=est.cost.replicas,
                engine_reason=reason,
                tp=est.tp,
                pp=est.pp,
                placement=placement,
                gpu_layers=(est.offload or {}).get("gpu_layers", model.num_layers),
                num_layers=model.num_layers,
            )
        )
    return rows
