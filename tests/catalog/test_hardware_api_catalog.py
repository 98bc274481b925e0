"""The built-in hardware and API-price catalogs: required ids, hand-copied reference numbers, sanity."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from llmcalc_tui.catalog.loader import parse_file
from llmcalc_tui.catalog.schema import ApiModelSpec, HardwareSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CATALOGS = Path(__file__).resolve().parents[2] / "catalogs"
HARDWARE_FILE = CATALOGS / "hardware.toml"
API_FILE = CATALOGS / "api_models.toml"

REQUIRED_HARDWARE = """
t4 v100-sxm-32gb a10 a10g l4 l40s a100-40gb-pcie a100-40gb-sxm a100-80gb-pcie a100-80gb-sxm
h100-pcie h100-sxm h100-nvl h200 gh200 b200 gb200 mi210 mi250x mi300x mi325x gaudi2 gaudi3
tpu-v4 tpu-v5e tpu-v5p tpu-v6e rtx-3060-12gb rtx-3090 rtx-3090-ti rtx-4060-ti-16gb rtx-4090 rtx-5090
rtx-a6000 rtx-6000-ada rtx-pro-6000 rtx-2080-ti rx-7900-xtx rx-6800-xt rx-580 arc-a770
m1 m1-pro m1-max m1-ultra m2 m2-pro m2-max m2-ultra m3 m3-pro m3-max m3-ultra m4 m4-pro m4-max
dgx-spark ryzen-ai-max-395 epyc-9654-2s xeon-8480-2s raspberry-pi-5 jetson-agx-orin jetson-orin-nano
""".split()

UNIFIED_MEMORY = {"dgx-spark", "ryzen-ai-max-395", "raspberry-pi-5", "jetson-agx-orin", "jetson-orin-nano"}

REQUIRED_API = """
gpt-4 gpt-4-turbo gpt-4o gpt-4o-mini gpt-4.1 gpt-4.1-mini gpt-4.1-nano o1 o3 o3-mini o4-mini gpt-3.5-turbo
gpt-5 gpt-5-mini claude-3-haiku claude-3-opus claude-3.5-sonnet claude-3.5-haiku claude-3.7-sonnet
claude-sonnet-4 claude-opus-4 claude-sonnet-4.5 claude-haiku-4.5 claude-opus-4.5 gemini-1.5-pro
gemini-1.5-flash gemini-2.0-flash gemini-2.5-pro gemini-2.5-flash mistral-large mistral-small command-r
command-r-plus deepseek-chat deepseek-reasoner together-llama-3.1-8b groq-llama-3.1-8b together-llama-3.1-70b
groq-llama-3.3-70b deepinfra-llama-3.1-70b together-llama-3.1-405b together-mixtral-8x7b deepinfra-qwen2.5-72b
together-deepseek-v3 deepinfra-gpt-oss-120b together-llama-2-13b together-llama-2-70b
""".split()


@pytest.fixture(scope="module")
def hardware() -> dict[str, HardwareSpec]:
    entries, problems = parse_file(HARDWARE_FILE)
    assert problems == [], "\n".join(str(p) for p in problems)
    items = entries["hardware"]
    assert all(isinstance(h, HardwareSpec) for h in items)
    return {h.id: h for h in items}


@pytest.fixture(scope="module")
def api() -> dict[str, ApiModelSpec]:
    entries, problems = parse_file(API_FILE)
    assert problems == [], "\n".join(str(p) for p in problems)
    items = entries["api_models"]
    assert all(isinstance(m, ApiModelSpec) for m in items)
    return {m.id: m for m in items}


def _raw_ids(path: Path, table: str) -> list[str]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [item["id"] for item in data[table]]


# ---------------------------------------------------------------------------------------------------
# Files parse; ids are complete and unique
# ---------------------------------------------------------------------------------------------------


def test_files_hold_only_their_own_table() -> None:
    for path, table in ((HARDWARE_FILE, "hardware"), (API_FILE, "api_model")):
        entries, problems = parse_file(path)
        assert problems == []
        other = {name: items for name, items in entries.items() if items}
        assert len(other) == 1, f"{path.name} should hold only [[{table}]] entries"


@pytest.mark.parametrize(("path", "table"), [(HARDWARE_FILE, "hardware"), (API_FILE, "api_model")])
def test_no_duplicate_ids(path: Path, table: str) -> None:
    ids = _raw_ids(path, table)
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == []


def test_required_hardware_ids_present(hardware: dict[str, HardwareSpec]) -> None:
    missing = [i for i in REQUIRED_HARDWARE if i not in hardware]
    assert missing == []


def test_required_api_ids_present(api: dict[str, ApiModelSpec]) -> None:
    missing = [i for i in REQUIRED_API if i not in api]
    assert missing == []
    assert len(api) >= 40


@pytest.mark.parametrize("path", [HARDWARE_FILE, API_FILE])
def test_every_entry_has_source_and_date(path: Path) -> None:
    entries, _ = parse_file(path)
    for items in entries.values():
        for entry in items:
            assert len(entry.source.strip()) >= 3, entry.id
            assert entry.as_of.year >= 2023, entry.id
            assert entry.name.strip(), entry.id


# ---------------------------------------------------------------------------------------------------
# Hardware: numbers hand-copied from /work/shared/reference/hardware.md
# ---------------------------------------------------------------------------------------------------


def test_h100_sxm_matches_reference(hardware: dict[str, HardwareSpec]) -> None:
    h = hardware["h100-sxm"]
    assert h.kind == "datacenter"
    assert h.memory_gb == 80
    assert h.bandwidth_gb_s == 3350
    assert h.tflops["bf16"] == 989
    assert h.tflops["fp16"] == 989
    assert h.tflops["fp8"] == 1979
    assert h.tflops["tf32"] == 494.5
    assert h.tflops["fp32"] == 67
    assert h.power_w == 700
    assert h.interconnect_gb_s == 450  # NVLink 4: 900 GB/s bidirectional
    assert h.host_link_gb_s == 63
    assert h.price_usd == 30000
    assert h.cloud_usd_per_hour == pytest.approx(55.04 / 8, abs=0.01)
    assert "AWS" in h.cloud_source


@pytest.mark.parametrize(
    ("hw_id", "field", "expected"),
    [
        ("rtx-4090", "memory_gb", 24),
        ("rtx-4090", "bandwidth_gb_s", 1008),
        ("m2-ultra", "bandwidth_gb_s", 800),
        ("m2-ultra", "memory_gb", 192),
        ("mi300x", "memory_gb", 192),
        ("mi300x", "bandwidth_gb_s", 5300),
        ("mi300x", "interconnect_gb_s", 448),
        ("h200", "memory_gb", 141),
        ("h200", "bandwidth_gb_s", 4800),
        ("b200", "interconnect_gb_s", 900),
        ("gb200", "interconnect_gb_s", 900),
        ("a100-80gb-sxm", "bandwidth_gb_s", 2039),
        ("a100-80gb-sxm", "interconnect_gb_s", 300),
        ("a100-40gb-sxm", "bandwidth_gb_s", 1555),
        ("a100-80gb-pcie", "bandwidth_gb_s", 1935),
        ("l40s", "bandwidth_gb_s", 864),
        ("l4", "power_w", 72),
        ("t4", "host_link_gb_s", 16),
        ("a10", "host_link_gb_s", 31.5),
        ("rtx-4060-ti-16gb", "bandwidth_gb_s", 288),
        ("rtx-3090", "bandwidth_gb_s", 936),
        ("mi250x", "memory_gb", 128),
        ("mi250x", "bandwidth_gb_s", 3277),
        ("gaudi3", "bandwidth_gb_s", 3700),
        ("tpu-v5p", "memory_gb", 95),
        ("tpu-v6e", "bandwidth_gb_s", 1638),
        ("m4-max", "bandwidth_gb_s", 546),
        ("m3-ultra", "memory_gb", 512),
        ("m1", "bandwidth_gb_s", 68.25),
        ("epyc-9654-2s", "bandwidth_gb_s", 921.6),
        ("xeon-8480-2s", "bandwidth_gb_s", 614.4),
        ("dgx-spark", "bandwidth_gb_s", 273),
        ("jetson-agx-orin", "bandwidth_gb_s", 204.8),
    ],
)
def test_hardware_scalar_matches_reference(
    hardware: dict[str, HardwareSpec], hw_id: str, field: str, expected: float
) -> None:
    assert getattr(hardware[hw_id], field) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("hw_id", "precision", "expected"),
    [
        ("rtx-4090", "fp16", 165.2),  # GeForce: FP32-accumulate rate, not 330
        ("rtx-4090", "fp8", 330),
        ("rtx-3090", "fp16", 71),
        ("rtx-5090", "fp4", 1676),
        ("rtx-6000-ada", "bf16", 364),
        ("b200", "fp4", 9000),
        ("b200", "bf16", 2250),
        ("gb200", "fp4", 10000),
        ("mi300x", "bf16", 1307),
        ("mi300x", "fp8", 2610),
        ("a100-80gb-sxm", "bf16", 312),
        ("l40s", "fp8", 733),
        ("h100-pcie", "bf16", 756),
        ("h100-nvl", "fp8", 1670),
        ("gaudi2", "bf16", 432),
        ("tpu-v4", "bf16", 275),
        ("tpu-v5e", "bf16", 197),
        ("m2-ultra", "fp32", 27.2),
        ("m2-ultra", "fp16", 27.2),
        ("t4", "fp16", 65),
        ("v100-sxm-32gb", "fp16", 125),
    ],
)
def test_hardware_tflops_match_reference(
    hardware: dict[str, HardwareSpec], hw_id: str, precision: str, expected: float
) -> None:
    assert hardware[hw_id].tflops[precision] == pytest.approx(expected)


def test_memory_is_binary_as_the_schema_reads_it(hardware: dict[str, HardwareSpec]) -> None:
    # HardwareSpec.usable_bytes multiplies memory_gb by 2**30: TPU v4 "32 GiB" is encoded as 32.
    assert hardware["tpu-v4"].memory_gb == 32
    # H100: torch sees 79.18 GiB of 80 (vLLM start-up log in shared/validation/calibration.toml).
    assert hardware["h100-sxm"].usable_bytes == pytest.approx(79.18 * 2**30)
    # A10G: AWS shows 22,888 MiB of the 24 GiB (hardware.md SKY-AWS).
    assert hardware["a10g"].usable_bytes == pytest.approx(22_888 * 2**20, rel=1e-4)
    for h in hardware.values():
        if h.id not in ("a10g", "h100-sxm"):
            assert h.reserved_gib == 0, h.id


def test_precisions_a_device_lacks_are_absent(hardware: dict[str, HardwareSpec]) -> None:
    # Turing/Volta have no BF16; TPUs have no native FP16.
    for hw_id in ("t4", "v100-sxm-32gb", "v100-pcie-32gb", "rtx-2080-ti"):
        assert "bf16" not in hardware[hw_id].tflops, hw_id
    for hw_id in ("tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e"):
        assert "fp16" not in hardware[hw_id].tflops, hw_id
        assert "bf16" in hardware[hw_id].tflops, hw_id


# ---------------------------------------------------------------------------------------------------
# Hardware: kinds, memory fractions, links
# ---------------------------------------------------------------------------------------------------


def test_kinds(hardware: dict[str, HardwareSpec]) -> None:
    for hw_id, h in hardware.items():
        if hw_id.startswith("m") and re.fullmatch(r"m[1-4](-(pro|max|ultra))?", hw_id):
            assert h.kind == "apple", hw_id
            assert h.vendor == "Apple", hw_id
    for hw_id in ("rtx-a6000", "rtx-6000-ada", "rtx-pro-6000", "dgx-spark", "ryzen-ai-max-395"):
        assert hardware[hw_id].kind == "workstation", hw_id
    for hw_id in ("raspberry-pi-5", "jetson-agx-orin", "jetson-orin-nano"):
        assert hardware[hw_id].kind == "edge", hw_id
    for hw_id in ("epyc-9654-2s", "xeon-8480-2s"):
        assert hardware[hw_id].kind == "cpu", hw_id
    for hw_id in ("rtx-4090", "rtx-3060-12gb", "rx-7900-xtx", "rx-580", "arc-a770", "rtx-2080-ti"):
        assert hardware[hw_id].kind == "consumer", hw_id
    for hw_id in ("h100-sxm", "mi300x", "gaudi3", "tpu-v6e", "t4", "gb200"):
        assert hardware[hw_id].kind == "datacenter", hw_id


def _is_unified(h: HardwareSpec) -> bool:
    return h.kind == "apple" or h.id in UNIFIED_MEMORY


def test_unified_memory_devices_reserve_memory(hardware: dict[str, HardwareSpec]) -> None:
    for h in hardware.values():
        if _is_unified(h):
            assert 0.5 <= h.usable_memory_fraction < 1, h.id
            assert h.max_devices == 1, h.id
            assert h.notes, h.id


def test_discrete_devices_use_all_memory(hardware: dict[str, HardwareSpec]) -> None:
    for h in hardware.values():
        if h.kind in ("datacenter", "workstation", "consumer") and not _is_unified(h):
            assert h.usable_memory_fraction == 1.0, h.id


def test_apple_wired_limit_rule(hardware: dict[str, HardwareSpec]) -> None:
    for h in hardware.values():
        if h.kind == "apple":
            expected = 0.75 if h.memory_gb >= 64 else 0.67
            assert h.usable_memory_fraction == pytest.approx(expected), h.id
            assert h.tflops["fp16"] == pytest.approx(h.tflops["fp32"]), h.id
    assert hardware["ryzen-ai-max-395"].usable_memory_fraction == pytest.approx(96 / 128)


def test_max_devices_by_kind(hardware: dict[str, HardwareSpec]) -> None:
    for h in hardware.values():
        if h.kind == "datacenter":
            assert h.max_devices == 8, h.id
        elif h.kind == "consumer":
            assert 2 <= h.max_devices <= 4, h.id
        elif h.kind in ("apple", "edge", "cpu"):
            assert h.max_devices == 1, h.id
        else:
            assert h.max_devices in (1, 4), h.id


def test_interconnect_is_one_direction(hardware: dict[str, HardwareSpec]) -> None:
    # Vendor bidirectional headlines halved.
    assert hardware["a100-40gb-sxm"].interconnect_gb_s == 300  # NVLink 3: 600
    assert hardware["h200"].interconnect_gb_s == 450  # NVLink 4: 900
    assert hardware["b200"].interconnect_gb_s == 900  # NVLink 5: 1,800
    assert hardware["v100-sxm-32gb"].interconnect_gb_s == 150  # NVLink 2: 300
    # PCIe-only cards: no scale-up link, traffic over the host link.
    for hw_id in ("l4", "l40s", "rtx-4090", "rtx-6000-ada", "a100-80gb-pcie", "h100-pcie", "rx-7900-xtx"):
        h = hardware[hw_id]
        assert h.interconnect_gb_s == 0, hw_id
        assert h.host_link_gb_s in (15.75, 16, 31.5, 63), hw_id
    assert hardware["rtx-4060-ti-16gb"].host_link_gb_s == pytest.approx(15.75)  # Gen4 x8
    assert hardware["rtx-5090"].host_link_gb_s == 63


# ---------------------------------------------------------------------------------------------------
# Hardware: sanity properties over every entry
# ---------------------------------------------------------------------------------------------------


def test_hardware_sanity(hardware: dict[str, HardwareSpec]) -> None:
    for h in hardware.values():
        assert h.bandwidth_gb_s > 0, h.id
        assert h.memory_gb > 0, h.id
        assert h.power_w > 0, h.id
        assert h.tflops, h.id
        assert all(v > 0 for v in h.tflops.values()), h.id
        # Some 16-bit-or-wider floating-point path exists for every device.
        assert {"fp32", "fp16", "bf16"} & set(h.tflops), h.id
        t = h.tflops
        if "fp8" in t and "bf16" in t:
            assert t["fp8"] >= t["bf16"], h.id
        if "fp4" in t and "fp8" in t:
            assert t["fp4"] >= t["fp8"], h.id
        if "fp16" in t and "fp32" in t and h.kind != "datacenter":
            assert t["fp16"] >= t["fp32"], h.id
        if "bf16" in t and "fp32" in t and h.kind not in ("cpu",):
            assert t["bf16"] >= t["fp32"], h.id
        if h.cloud_usd_per_hour is not None:
            assert h.cloud_usd_per_hour > 0, h.id
            assert h.cloud_source, h.id
        if h.cloud_source:
            assert h.cloud_usd_per_hour is not None, h.id
        if h.price_usd is not None:
            assert h.price_usd > 0, h.id
        # Weights stream from memory no faster than the fastest HBM in the catalog.
        assert h.bandwidth_gb_s <= 10_000, h.id
        assert h.interconnect_gb_s <= 1_000, h.id


def test_unverified_values_are_flagged(hardware: dict[str, HardwareSpec]) -> None:
    for hw_id in ("a10g", "rtx-pro-6000", "dgx-spark", "h100-nvl", "gaudi2", "tpu-v5e", "m3-ultra"):
        assert "unverified" in hardware[hw_id].notes, hw_id


def test_current_aws_prices_are_post_cut(hardware: dict[str, HardwareSpec]) -> None:
    # AWS cut P4/P5 prices in June 2025; the catalog carries the post-cut list prices.
    assert hardware["a100-40gb-sxm"].cloud_usd_per_hour == pytest.approx(21.957642 / 8, abs=0.01)
    assert hardware["a100-80gb-sxm"].cloud_usd_per_hour == pytest.approx(27.44705 / 8, abs=0.01)
    assert hardware["h200"].cloud_usd_per_hour == pytest.approx(63.296 / 8, abs=0.01)
    assert hardware["b200"].cloud_usd_per_hour == pytest.approx(113.9328 / 8, abs=0.01)


# ---------------------------------------------------------------------------------------------------
# API models: numbers hand-copied from /work/shared/reference/api-pricing.md
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "inp", "out", "cached"),
    [
        ("gpt-4", 30, 60, None),
        ("gpt-4-turbo", 10, 30, None),
        ("gpt-4o", 2.5, 10, 1.25),
        ("gpt-4o-mini", 0.15, 0.6, 0.075),
        ("gpt-4.1-nano", 0.1, 0.4, 0.025),
        ("o1", 15, 60, 7.5),
        ("o3", 2, 8, 0.5),
        ("gpt-5", 1.25, 10, 0.125),
        ("claude-3-opus", 15, 75, 1.5),
        ("claude-3-haiku", 0.25, 1.25, 0.03),
        ("claude-sonnet-4.5", 3, 15, 0.3),
        ("claude-opus-4.5", 5, 25, 0.5),
        ("gemini-2.5-pro", 1.25, 10, 0.125),
        ("gemini-1.5-flash", 0.075, 0.3, None),
        ("deepseek-chat", 0.28, 0.42, 0.028),
        ("command-r-plus", 2.5, 10, None),
        ("groq-llama-3.3-70b", 0.59, 0.79, None),
        ("together-llama-3.1-405b", 3.5, 3.5, None),
        ("deepinfra-gpt-oss-120b", 0.05, 0.45, None),
        ("together-llama-2-13b", 0.22, 0.22, None),
        ("together-llama-2-70b", 0.9, 0.9, None),
    ],
)
def test_api_prices_match_reference(
    api: dict[str, ApiModelSpec], model_id: str, inp: float, out: float, cached: float | None
) -> None:
    m = api[model_id]
    assert m.input_usd_per_1m == pytest.approx(inp)
    assert m.output_usd_per_1m == pytest.approx(out)
    if cached is None:
        assert m.cached_input_usd_per_1m is None
    else:
        assert m.cached_input_usd_per_1m == pytest.approx(cached)


@pytest.mark.parametrize(
    ("model_id", "context", "max_out"),
    [
        ("gpt-4", 8192, 4096),
        ("gpt-4o-mini", 128000, 16384),
        ("gpt-4.1", 1047576, 32768),
        ("gpt-5", 272000, 128000),
        ("claude-3.7-sonnet", 200000, 64000),
        ("gemini-1.5-pro", 2097152, 8192),
        ("deepseek-reasoner", 131072, 65536),
        ("together-llama-3.1-8b", 131072, 131072),
        ("together-deepseek-v3", 65536, 8192),
    ],
)
def test_api_limits_match_reference(
    api: dict[str, ApiModelSpec], model_id: str, context: int, max_out: int
) -> None:
    assert api[model_id].context_length == context
    assert api[model_id].max_output_tokens == max_out


def test_retired_models_flagged(api: dict[str, ApiModelSpec]) -> None:
    for model_id in ("claude-3.5-sonnet", "claude-3.5-haiku", "gemini-1.5-pro", "gemini-1.5-flash", "o1-mini"):
        assert api[model_id].retired, model_id
    for model_id in ("gpt-4o", "claude-sonnet-4.5", "gemini-2.5-pro", "deepseek-chat"):
        assert not api[model_id].retired, model_id


def test_open_model_links(api: dict[str, ApiModelSpec]) -> None:
    expected = {
        "together-llama-3.1-8b": "llama-3.1-8b",
        "groq-llama-3.1-8b": "llama-3.1-8b",
        "together-llama-3.1-70b": "llama-3.1-70b",
        "deepinfra-llama-3.1-70b": "llama-3.1-70b",
        "groq-llama-3.3-70b": "llama-3.3-70b",
        "together-llama-3.1-405b": "llama-3.1-405b",
        "together-mixtral-8x7b": "mixtral-8x7b",
        "deepinfra-qwen2.5-72b": "qwen2.5-72b",
        "together-deepseek-v3": "deepseek-v3",
        "deepinfra-gpt-oss-120b": "gpt-oss-120b",
        "together-llama-2-13b": "llama-2-13b",
        "together-llama-2-70b": "llama-2-70b",
    }
    for model_id, open_model in expected.items():
        assert api[model_id].open_model == open_model, model_id
    # Proprietary first-party models serve no open checkpoint.
    for model_id in ("gpt-4o", "claude-3-opus", "gemini-2.5-flash", "deepseek-chat"):
        assert api[model_id].open_model is None, model_id
    id_pattern = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
    open_ids = {m.open_model for m in api.values() if m.open_model}
    assert len(open_ids) >= 8
    for open_id in open_ids:
        assert id_pattern.match(open_id), open_id


def test_api_sanity(api: dict[str, ApiModelSpec]) -> None:
    for m in api.values():
        assert m.input_usd_per_1m >= 0, m.id
        assert m.output_usd_per_1m >= 0, m.id
        assert m.output_usd_per_1m >= m.input_usd_per_1m, m.id
        if m.cached_input_usd_per_1m is not None:
            assert m.cached_input_usd_per_1m <= m.input_usd_per_1m, m.id
        assert m.context_length >= 4096, m.id
        assert m.max_output_tokens <= max(m.context_length, 128000), m.id
        assert m.provider, m.id
        assert m.model_key, m.id
        if m.ttft_ms is not None or m.output_tok_s is not None:  # only published, dated latency
            assert m.latency_source and m.latency_as_of, m.id
        if m.as_of.isoformat() == "2026-07-24":
            assert "8442b93" in m.source, m.id
        elif m.as_of.isoformat() == "2025-09-01":
            assert "e7f7c19" in m.source, m.id
        else:
            assert "unverified" in m.notes, m.id


def test_hosted_open_models_note_context_when_source_lacks_it(api: dict[str, ApiModelSpec]) -> None:
    for model_id in ("together-llama-3.1-8b", "together-llama-3.1-70b", "together-llama-3.1-405b"):
        assert "131,072" in api[model_id].notes, model_id
    for model_id in ("together-llama-2-13b", "together-llama-2-70b"):
        assert "historical price, unverified" in api[model_id].notes, model_id
        assert "together.ai" in api[model_id].source, model_id


# Hand-copied from the sources each entry cites: SMs / compute units and boost clock from the TechPowerUp
# GPU database pages (cross-checked: H100 SXM 132 SMs and 1.98 GHz in NVIDIA's Hopper figures as quoted by
# glennklockwood.com and hpctech.co.jp; RTX 3060 112 tensor cores = 28 SMs at 1.777 GHz and RTX A6000 336
# tensor cores = 84 SMs at 1.80 GHz in hardware.md's derivations; MI300X 304 CUs in Meta's GPU spec table).
COMPUTE_PATH_FACTS = {
    "h100-sxm": (132, 1980, "hbm3"),
    "h100-pcie": (114, 1755, "hbm2e"),
    "h200": (132, 1980, "hbm3e"),
    "a100-80gb-sxm": (108, 1410, "hbm2e"),
    "a100-40gb-sxm": (108, 1410, "hbm2"),
    "rtx-4090": (128, 2520, "gddr6x"),
    "rtx-3060-12gb": (28, 1777, "gddr6"),
    "rtx-a6000": (84, 1800, "gddr6"),
    "rtx-5090": (170, 2407, "gddr7"),
    "mi300x": (304, 2100, "hbm3"),
    "rx-7900-xtx": (96, 2498, "gddr6"),
    "dgx-spark": (48, 2418, "lpddr5x"),
}


@pytest.mark.parametrize("hid", sorted(COMPUTE_PATH_FACTS))
def test_compute_path_facts_match_sources(hardware: dict[str, HardwareSpec], hid: str) -> None:
    h = hardware[hid]
    assert (h.compute_units, h.boost_clock_mhz, h.memory_technology) == COMPUTE_PATH_FACTS[hid]
    assert "TechPowerUp" in h.source


def test_cpu_facts_match_sources(hardware: dict[str, HardwareSpec]) -> None:
    assert hardware["epyc-9654-2s"].cpu_cores == 192 and hardware["xeon-8480-2s"].cpu_cores == 112
    pi = hardware["raspberry-pi-5"]
    assert pi.cpu_cores == 4 and pi.memory_technology == "lpddr4x"
    assert pi.simd_int8_tops == pytest.approx(4 * 2.4e9 * 64 / 1e12, abs=5e-4)  # the derivation in its notes
    assert hardware["m2-ultra"].compute_units == 76  # GPU cores, as the entry's name says


def test_every_gpu_has_compute_units_or_says_why_not(hardware: dict[str, HardwareSpec]) -> None:
    for h in hardware.values():
        if h.kind == "cpu" or h.id in ("raspberry-pi-5", "cix-p1", "snapdragon-8cx-gen3", "qcs6490"):
            assert h.cpu_cores, h.id
            continue
        if h.compute_units is None:
            assert "compute_units" in h.notes and "unknown" in h.notes, h.id
        if h.memory_technology is None:
            assert "memory_technology" in h.notes, h.id
        if h.kind != "apple" and h.compute_units is not None:
            assert h.boost_clock_mhz, h.id


def test_extra_hardware_compute_path_facts() -> None:
    entries, problems = parse_file(HARDWARE_FILE.with_name("hardware_extra.toml"))
    assert problems == []
    extra = {h.id: h for h in entries["hardware"]}
    assert extra["ampereone-a192"].cpu_cores == 192
    assert extra["ampereone-a192"].simd_int8_tops == pytest.approx(192 * 3.2e9 * 64 / 1e12, abs=0.05)
    assert extra["snapdragon-8cx-gen3"].simd_int8_tops == pytest.approx((4 * 3.0 * 128 + 4 * 2.4 * 64) / 1e3, abs=0.01)
    assert (extra["cix-p1"].cpu_cores, extra["cix-p1"].memory_technology) == (12, "lpddr5")
    gh = extra["gh200-144gb"]
    assert gh.memory_technology == "hbm3e" and gh.compute_units is None and "unknown" in gh.notes
