"""What a weight format costs in output quality, from the published measurements in catalogs/quality.toml."""

from __future__ import annotations

from dataclasses import dataclass

from llmcalc_tui.catalog.schema import Catalog, QualitySpec


@dataclass(frozen=True, slots=True)
class QualityNote:
    """The published quality loss of one format, and where it was measured."""

    format: str
    reference_model: str
    baseline: str
    benchmark: str
    imatrix: str
    kld: float | None
    """Mean KL divergence from the baseline's token distribution (0 = identical)."""
    delta_ppl: float | None
    """Perplexity increase over the baseline."""
    recovery_pct: float | None
    """Benchmark score as a percentage of the baseline's."""
    source: str
    as_of: str

    @property
    def summary(self) -> str:
        """One line for a table cell: the numbers, then the model they were measured on."""
        parts = []
        if self.kld is not None:
            parts.append(f"KLD {self.kld:.4g}")
        if self.delta_ppl is not None:
            parts.append(f"PPL +{self.delta_ppl:.3g}")
        if self.recovery_pct is not None:
            parts.append(f"{self.recovery_pct:g}% of {self.baseline}")
        with_imatrix = ", imatrix" if self.imatrix else ""
        return f"{', '.join(parts)} ({self.reference_model}{with_imatrix})"


def _note(spec: QualitySpec) -> QualityNote:
    return QualityNote(
        format=spec.id,
        reference_model=spec.reference_model,
        baseline=spec.baseline,
        benchmark=spec.benchmark,
        imatrix=spec.imatrix,
        kld=spec.kld,
        delta_ppl=spec.delta_ppl,
        recovery_pct=spec.recovery_pct,
        source=spec.source,
        as_of=spec.as_of.isoformat(),
    )


def quality_of(format_id: str, catalog: Catalog | None = None) -> QualityNote | None:
    """The published quality loss of a format, or None where no sourced number exists.

    Without a catalog the built-in one is used. Format ids are matched case-insensitively, as on
    the command line.
    """
    if catalog is None:
        from llmcalc_tui.catalog.loader import load_builtin

        catalog = load_builtin()
    spec = catalog.quality.get(format_id.strip().lower())
    return _note(spec) if spec is not None else None
