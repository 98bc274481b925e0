"""Uncertainty bands from the validation errors of an engine and hardware class."""

from __future__ import annotations

from llmcalc_tui.catalog.schema import Catalog
from llmcalc_tui.core.estimate import Estimate


def attach_bands(est: Estimate, catalog: Catalog) -> Estimate:
    return est
