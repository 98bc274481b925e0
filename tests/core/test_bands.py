"""Uncertainty bands: an engine the calibration never measured gets a band as wide as predicting an unseen
engine is off, not the in-sample spread of the engines that were fitted."""

from __future__ import annotations

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.bands import UNSEEN_ENGINE_SPREAD, attach_bands, error_table
from llmcalc_tui.core.estimate import estimate
from llmcalc_tui.core.scenario import Scenario

CATALOG = load_builtin()


def relative_half_width(est, field: str) -> float:
    band = est.bands[field]
    value = (band.low * band.high) ** 0.5  # bands are value / (1 + s) to value * (1 + s)
    return band.high / value - 1


def test_an_engine_without_decode_points_gets_at_least_the_unseen_engine_band():
    table = error_table(CATALOG)
    assert ("decode_tok_s_single", "vllm", "*") not in table  # no vLLM speed point in the calibration set
    est = attach_bands(estimate(Scenario(model="gpt-oss-120b", hardware="h100-sxm", engine="vllm"), CATALOG), CATALOG)
    assert relative_half_width(est, "decode_tok_s") == pytest.approx(UNSEEN_ENGINE_SPREAD, rel=1e-9)


def test_a_measured_engine_keeps_its_own_narrower_band():
    table = error_table(CATALOG)
    own = table[("decode_tok_s_single", "llama.cpp", "apple")]
    assert own < UNSEEN_ENGINE_SPREAD
    est = attach_bands(estimate(Scenario(model="llama-2-7b", weights="q4_0", hardware="m2-ultra",
                                         engine="llama.cpp"), CATALOG), CATALOG)
    assert relative_half_width(est, "decode_tok_s") == pytest.approx(max(own, 0.05), rel=1e-9)
