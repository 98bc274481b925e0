"""The quality table: hand-copied numbers from llama.cpp's scoreboard, loader checks, quality_of."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcalc_tui.catalog.loader import load_builtin, load_dirs
from llmcalc_tui.core.quality import quality_of
from llmcalc_tui.resources import catalogs_dir

CATALOG = load_builtin()

# Hand-copied from llama.cpp tools/perplexity/README.md, "LLaMA 3 8b Scoreboard" (revision f364eb6f):
# (imatrix, KLD, delta PPL).
SCOREBOARD = {
    "q8_0": ("", 0.001355, 0.002650),
    "q6_k": ("", 0.005452, 0.021748),
    "q5_k_s": ("", 0.016595, 0.104964),
    "q4_k_m": ("WT 10m", 0.028152, 0.151303),
    "iq4_nl": ("WT 10m", 0.035742, 0.223959),
    "q4_0": ("", 0.071940, 0.468514),
    "iq3_xxs": ("WT 10m", 0.183625, 1.226803),
    "iq2_m": ("WT 10m", 0.325989, 2.369166),
    "iq1_s": ("WT 10m", 2.254554, 54.462959),
}


@pytest.mark.parametrize("format_id", sorted(SCOREBOARD))
def test_gguf_rows_match_the_published_scoreboard(format_id: str) -> None:
    imatrix, kld, delta_ppl = SCOREBOARD[format_id]
    note = quality_of(format_id, CATALOG)
    assert note is not None
    assert (note.imatrix, note.kld, note.delta_ppl) == (imatrix, kld, delta_ppl)
    assert note.reference_model == "Llama 3 8B"
    assert "tools/perplexity/README.md" in note.source


def test_recovery_rows_for_hosted_formats() -> None:
    assert quality_of("int8", CATALOG).recovery_pct == 100.3
    assert quality_of("int4", CATALOG).recovery_pct == 98.9


def test_unsourced_formats_have_no_note() -> None:
    for format_id in ("tq1_0", "mlx-4bit", "nvfp4", "fp8"):
        assert quality_of(format_id, CATALOG) is None
    assert quality_of("no-such-format", CATALOG) is None


def test_lookup_is_case_insensitive_and_defaults_to_the_builtin_catalog() -> None:
    assert quality_of(" Q4_K_M ") == quality_of("q4_k_m", CATALOG)


def test_summary_names_the_numbers_and_the_reference_model() -> None:
    assert quality_of("q4_k_m", CATALOG).summary == "KLD 0.02815, PPL +0.151 (Llama 3 8B, imatrix)"
    assert quality_of("q8_0", CATALOG).summary == "KLD 0.001355, PPL +0.00265 (Llama 3 8B)"
    assert quality_of("int4", CATALOG).summary == "98.9% of bf16 (Llama 3.1 8B Instruct)"


def test_every_quality_row_names_a_catalog_format_and_more_bits_never_rank_worse_within_k_quants() -> None:
    assert set(CATALOG.quality) <= set(CATALOG.formats)
    k_quants = ["q6_k", "q5_k_m", "q5_k_s", "q4_k_m", "q4_k_s", "q3_k_m", "q3_k_s", "q2_k"]
    klds = [CATALOG.quality[f].kld for f in k_quants]
    assert klds == sorted(klds)


def test_built_in_catalog_loads_with_no_cross_check_problems() -> None:
    assert load_dirs([catalogs_dir()]).problems == []


def test_a_quality_row_without_any_number_is_reported_with_its_line(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    (user / "q.toml").write_text(
        '[[quality]]\nid = "q4_0"\nname = "x"\nreference_model = "m"\nbenchmark = "b"\n'
        'source = "my notes"\nas_of = 2026-01-01\n',
        encoding="utf-8",
    )
    result = load_dirs([catalogs_dir(), user])
    assert any("q.toml:1" in str(p) and "at least one of" in str(p) for p in result.problems)
    assert result.catalog.quality["q4_0"].kld == 0.071940  # the built-in row is kept


def test_a_quality_row_for_an_unknown_format_is_reported(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    (user / "q.toml").write_text(
        '[[quality]]\nid = "q9_z"\nname = "x"\nreference_model = "m"\nbenchmark = "b"\nkld = 0.1\n'
        'source = "my notes"\nas_of = 2026-01-01\n',
        encoding="utf-8",
    )
    result = load_dirs([catalogs_dir(), user])
    assert any("unknown format 'q9_z'" in str(p) for p in result.problems)
