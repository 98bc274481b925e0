"""This machine: a fake NVML library (pynvml) and fake sysctl answers, matched to catalog hardware."""

from __future__ import annotations

import json
import sys
import types

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.cli import main
from llmcalc_tui.sources import machine
from llmcalc_tui.sources.machine import Accelerator, MachineInfo, local_hardware, match_catalog

GIB = 2**30
MIB = 2**20


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def fake_nvml(devices: list[tuple[str, int]], fail_init: Exception | None = None) -> types.ModuleType:
    """A stand-in for nvidia-ml-py's pynvml module with the calls detection makes."""
    module = types.ModuleType("pynvml")
    calls: list[str] = []

    def nvmlInit() -> None:
        calls.append("init")
        if fail_init is not None:
            raise fail_init

    module.nvmlInit = nvmlInit
    module.nvmlShutdown = lambda: calls.append("shutdown")
    module.nvmlDeviceGetCount = lambda: len(devices)
    module.nvmlDeviceGetHandleByIndex = lambda i: i
    module.nvmlDeviceGetName = lambda h: devices[h][0]
    module.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(total=devices[h][1], free=0, used=0)
    module.calls = calls
    return module


@pytest.fixture
def nvml(monkeypatch):
    """Install a fake pynvml; detection is re-run for each test."""
    machine.detect.cache_clear()

    def install(devices, fail_init=None):
        module = fake_nvml(devices, fail_init)
        monkeypatch.setitem(sys.modules, "pynvml", module)
        monkeypatch.setattr(machine, "_apple", lambda: ())
        machine.detect.cache_clear()
        return module

    yield install
    machine.detect.cache_clear()


def test_two_h100s_match_the_sxm_entry(nvml, capsys):
    module = nvml([("NVIDIA H100 80GB HBM3", 81_559 * MIB)] * 2)
    info = machine.detect()
    assert info.accelerators == (Accelerator("NVIDIA", "NVIDIA H100 80GB HBM3", 81_559 * MIB, 2),)
    assert module.calls == ["init", "shutdown"]
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-70b", "--hardware", "local", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["hardware"] == "local" and data["gpus"] == 2  # the detected count, unless --gpus says otherwise
    catalog_h100 = load_builtin().hardware["h100-sxm"]
    assert data["memory_gib"]["capacity_per_gpu"] == pytest.approx(catalog_h100.usable_bytes / GIB, abs=1e-3)
    code, out, _ = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "local", "--gpus", "1", "--json")
    assert code == 0 and json.loads(out)["gpus"] == 1


@pytest.mark.parametrize("name, memory_mib, expected", [
    ("NVIDIA H100 PCIe", 81_559, "h100-pcie"),
    ("NVIDIA H100 NVL", 95_830, "h100-nvl"),
    ("NVIDIA A100-SXM4-40GB", 40_960, "a100-40gb-sxm"),
    ("NVIDIA A100-SXM4-80GB", 81_920, "a100-80gb-sxm"),
    ("NVIDIA A100 80GB PCIe", 81_920, "a100-80gb-pcie"),
    ("NVIDIA GeForce RTX 4090", 24_564, "rtx-4090"),
    ("NVIDIA GeForce RTX 3060", 12_288, "rtx-3060-12gb"),
    ("NVIDIA RTX A6000", 49_140, "rtx-a6000"),
    ("NVIDIA L4", 23_034, "l4"),
    ("NVIDIA GeForce RTX 3060", 8_192, None),  # the 8 GB card is not the 12 GB entry
])
def test_nvidia_names_match_catalog_entries(name, memory_mib, expected):
    found = match_catalog(Accelerator("NVIDIA", name, memory_mib * MIB), load_builtin())
    assert (found.id if found else None) == expected


@pytest.mark.parametrize("brand, cores, expected", [
    ("Apple M3 Max", 40, "m3-max"),
    ("Apple M2 Ultra", 76, "m2-ultra"),
    ("Apple M1", 8, "m1"),
    ("Apple M4 Pro", 20, "m4-pro"),
])
def test_apple_chips_match_by_chip_and_tier(brand, cores, expected):
    found = match_catalog(Accelerator("Apple", brand, 36 * GIB, 1, cores), load_builtin())
    assert found is not None and found.id == expected


def test_apple_entry_keeps_this_machines_memory_and_says_when_the_gpu_bin_differs():
    catalog = load_builtin()
    spec = local_hardware(MachineInfo((Accelerator("Apple", "Apple M3 Max", 36 * GIB, 1, 30),)), catalog)
    assert spec is not None and spec.id == "local" and spec.memory_gb == 36
    assert spec.bandwidth_gb_s == catalog.hardware["m3-max"].bandwidth_gb_s
    assert "30-core GPU: bandwidth of the 40-core part" in spec.name


def test_unknown_card_borrows_figures_and_says_so(nvml, capsys):
    nvml([("NVIDIA RTX A4000", 16_376 * MIB)])
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "local", "--json")
    assert code == 0, err
    data = json.loads(out)
    spec = local_hardware(machine.detect(), load_builtin())
    assert spec is not None and spec.memory_gb == 16.0 and "speed unknown" in spec.name
    # the stand-in's name travels into the assumptions, so the borrowed bandwidth is never silent
    assert any("speed unknown" in line for line in data["assumptions"])


@pytest.mark.parametrize("failure", [
    ImportError("no module"),
    RuntimeError("NVML Shared Library Not Found"),
    OSError("driver"),
])
def test_no_driver_or_any_error_finds_nothing_and_prints_nothing(nvml, capsys, monkeypatch, failure):
    if isinstance(failure, ImportError):
        monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails
        monkeypatch.setattr(machine, "_apple", lambda: ())
        machine.detect.cache_clear()
    else:
        nvml([("NVIDIA H100 80GB HBM3", 80 * GIB)], fail_init=failure)
    info = machine.detect()
    assert info.accelerators == ()
    assert capsys.readouterr() == ("", "")


def test_local_without_an_accelerator_is_one_line(nvml, capsys):
    nvml([])
    code, out, err = run(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "local")
    assert code == 2 and out == ""
    assert "no NVIDIA GPU or Apple silicon found" in err and len(err.strip().splitlines()) == 1


def test_host_ram_and_cpu_are_read(monkeypatch):
    machine.detect.cache_clear()
    monkeypatch.setattr(machine, "_nvidia", lambda: ())
    monkeypatch.setattr(machine, "_apple", lambda: ())
    info = machine.detect()
    assert info.cpu_count and info.cpu_count >= 1
    assert info.host_ram_bytes and info.host_ram_bytes > 256 * MIB
    machine.detect.cache_clear()


def test_apple_detection_reads_sysctl_and_ioreg(monkeypatch):
    answers = {
        ("sysctl", "-n", "machdep.cpu.brand_string"): "Apple M3 Max",
        ("sysctl", "-n", "hw.memsize"): str(64 * GIB),
        ("ioreg", "-rc", "AGXAccelerator", "-d1"): '  | "gpu-core-count" = 40\n',
    }
    monkeypatch.setattr(machine.sys, "platform", "darwin")
    monkeypatch.setattr(machine, "_run", lambda *command: answers.get(command, ""))
    assert machine._apple() == (Accelerator("Apple", "Apple M3 Max", 64 * GIB, 1, 40),)
    answers[("sysctl", "-n", "machdep.cpu.brand_string")] = "Intel(R) Core(TM) i9-9980HK"
    assert machine._apple() == ()


def test_detection_runs_once(nvml):
    module = nvml([("NVIDIA GeForce RTX 4090", 24_564 * MIB)])
    machine.detect()
    machine.detect()
    assert module.calls == ["init", "shutdown"]


def test_a_detected_machine_offloads_into_the_ram_it_found():
    catalog = load_builtin()
    info = MachineInfo((Accelerator("NVIDIA", "NVIDIA GeForce RTX 4090", 24_564 * MIB),), host_ram_bytes=32 * GIB)
    spec = local_hardware(info, catalog)
    assert spec is not None and spec.host_ram_gib == 32
    from llmcalc_tui.core.offload import host_for

    assert host_for(spec, catalog).ram_bytes == 32 * GIB
    assert host_for(spec, catalog, ram_gib=96).ram_bytes == 96 * GIB  # --ram-gib still wins
