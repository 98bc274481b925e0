"""This machine: NVIDIA GPUs (NVML), Apple silicon (sysctl, ioreg), host RAM and CPU; as a hardware entry.

Detection never raises and never prints: no GPU, no driver, no permission or any error gives "nothing
found". It runs once per process (cached); the app runs it in a thread, never on a keystroke.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache

from llmcalc_tui.catalog.schema import Catalog, HardwareSpec

LOCAL_ID = "local"
GIB = 2**30
MEMORY_TOLERANCE = 0.10
"""A catalog entry matches when its memory is within 10 % of what the driver reports (ECC, reserved)."""
COMMAND_TIMEOUT_S = 2.0
_FORM_FACTORS = ("pcie", "nvl")
"""Words NVML prints for these variants; their absence means the SXM (default) part."""
_APPLE_TIERS = {"pro", "max", "ultra"}
_NOISE = {"nvidia", "geforce", "tesla", "apple", "gb", "gpu", "core", "hbm3", "hbm3e", "hbm2", "hbm2e", "with", "max-q"}


@dataclass(frozen=True)
class Accelerator:
    vendor: str
    name: str
    memory_bytes: int
    count: int = 1
    gpu_cores: int | None = None


@dataclass(frozen=True)
class MachineInfo:
    accelerators: tuple[Accelerator, ...] = ()
    host_ram_bytes: int | None = None
    cpu_name: str | None = None
    cpu_count: int | None = None
    notes: tuple[str, ...] = field(default=())


def _nvidia() -> tuple[Accelerator, ...]:
    try:
        import pynvml  # nvidia-ml-py
    except Exception:
        return ()
    try:
        pynvml.nvmlInit()
    except Exception:
        return ()
    try:
        found: dict[tuple[str, int], int] = {}
        for index in range(int(pynvml.nvmlDeviceGetCount())):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            name = pynvml.nvmlDeviceGetName(handle)
            name = name.decode() if isinstance(name, bytes) else str(name)
            total = int(pynvml.nvmlDeviceGetMemoryInfo(handle).total)
            found[(name, total)] = found.get((name, total), 0) + 1
        return tuple(Accelerator("NVIDIA", n, m, c) for (n, m), c in found.items())
    except Exception:
        return ()
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


def _run(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
                              check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError, ValueError):
        return ""


def _apple() -> tuple[Accelerator, ...]:
    if sys.platform != "darwin":
        return ()
    brand = _run("sysctl", "-n", "machdep.cpu.brand_string")
    memsize = _run("sysctl", "-n", "hw.memsize")
    if not brand.startswith("Apple M") or not memsize.isdigit():
        return ()
    match = re.search(r'"gpu-core-count"\s*=\s*(\d+)', _run("ioreg", "-rc", "AGXAccelerator", "-d1"))
    return (Accelerator("Apple", brand, int(memsize), 1, int(match.group(1)) if match else None),)


def _host() -> tuple[int | None, str | None, int | None]:
    ram = None
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        ram = None
    cpu = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.lower().startswith(("model name", "hardware")):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = None
    if cpu is None and sys.platform == "darwin":
        cpu = _run("sysctl", "-n", "machdep.cpu.brand_string") or None
    return ram, cpu, os.cpu_count()


@lru_cache(maxsize=1)
def detect() -> MachineInfo:
    """What this machine has; cached for the life of the process."""
    try:
        accelerators = _nvidia() or _apple()
        ram, cpu, cores = _host()
        return MachineInfo(accelerators, ram, cpu, cores)
    except Exception:
        return MachineInfo()


# ---------------------------------------------------------------- matching


def _tokens(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("max-q", ""))
    out = set()
    for word in words:
        word = re.sub(r"^(sxm)\d$", r"\1", word)
        if word in _NOISE or re.fullmatch(r"\d+gb", word):
            continue
        out.add(word)
    return out


def match_catalog(acc: Accelerator, catalog: Catalog) -> HardwareSpec | None:
    """The catalog entry for an accelerator: same vendor, every model word present, memory within 10 %.

    Apple chips match by chip and tier (M3 Max) whatever their memory, since one chip ships with several
    memory sizes; NVIDIA parts must also match in memory (A100 40 GB vs 80 GB).
    """
    wanted = _tokens(acc.name)
    key_words = {w for w in wanted if any(c.isdigit() for c in w)} | (wanted & _APPLE_TIERS) | ({"rtx"} & wanted)
    if not key_words:
        return None
    best: tuple[int, str] | None = None
    chosen = None
    for hw in catalog.hardware.values():
        if hw.vendor.lower() != acc.vendor.lower() or hw.id == LOCAL_ID:
            continue
        have = _tokens(hw.name) | _tokens(hw.id.replace("-", " "))
        if not key_words <= have:
            continue
        if acc.vendor == "Apple":
            if (have & _APPLE_TIERS) != (wanted & _APPLE_TIERS):
                continue
        elif abs(hw.memory_gb * GIB - acc.memory_bytes) > MEMORY_TOLERANCE * hw.memory_gb * GIB:
            continue
        penalty = sum(1 for f in _FORM_FACTORS if (f in have) != (f in wanted))
        rank = (penalty, hw.id)
        if best is None or rank < best:
            best, chosen = rank, hw
    return chosen


def local_hardware(info: MachineInfo, catalog: Catalog, today: dt.date | None = None) -> HardwareSpec | None:
    """A "this machine" entry (id local) for the first accelerator found, or None when there is none.

    A matched part keeps its catalog figures. With Apple silicon the memory is what this machine has. An
    unmatched NVIDIA part takes bandwidth and TFLOPS from the catalog entry closest in memory, and its
    name says so, since those figures then are not this card's.
    """
    if not info.accelerators:
        return None
    acc = info.accelerators[0]
    today = today or dt.date.today()
    # Offload (issue 14) keeps layers in the RAM this machine has; unified memory has nothing to offload to.
    host_ram = {"host_ram_gib": round(info.host_ram_bytes / GIB, 1)} if info.host_ram_bytes else {}
    memory_gb = round(acc.memory_bytes / GIB, 1)
    matched = match_catalog(acc, catalog)
    count = f"{acc.count} x " if acc.count > 1 else ""
    if matched is not None:
        update: dict[str, object] = {"id": LOCAL_ID, "as_of": today, "max_devices": max(acc.count, 1)}
        name = f"This machine: {count}{matched.name}"
        notes = f"Detected {acc.name} ({memory_gb:g} GiB); figures of catalog entry {matched.id}."
        if acc.vendor == "Apple":
            name = f"This machine: {acc.name} {memory_gb:g} GB (as {matched.id})"
            update["memory_gb"] = memory_gb
            cores = re.search(r"\((\d+)-core GPU\)", matched.name)
            if acc.gpu_cores and cores and int(cores.group(1)) != acc.gpu_cores:
                name += f", {acc.gpu_cores}-core GPU: bandwidth of the {cores.group(1)}-core part"
                notes += f" This chip has {acc.gpu_cores} GPU cores; the entry's bandwidth is for {cores.group(1)}."
        update.update(name=name, notes=notes, source=f"detected on this machine; {matched.source}", **host_ram)
        return matched.model_copy(update=update)
    similar = [h for h in catalog.hardware.values() if h.vendor.lower() == acc.vendor.lower() and h.id != LOCAL_ID]
    if not similar:
        return None
    stand_in = min(similar, key=lambda h: (abs(h.memory_gb * GIB - acc.memory_bytes), h.id))
    return stand_in.model_copy(update={
        "id": LOCAL_ID,
        "name": f"This machine: {count}{acc.name} {memory_gb:g} GB (speed unknown: {stand_in.name}'s assumed)",
        "memory_gb": memory_gb,
        "reserved_gib": 0.0,
        "max_devices": max(acc.count, 1),
        "price_usd": None,
        "cloud_usd_per_hour": None,
        "cloud_source": "",
        "source": f"detected on this machine (memory); bandwidth and TFLOPS from {stand_in.id}: {stand_in.source}",
        "as_of": today,
        "notes": f"{acc.name} is not in the catalog: memory bandwidth and TFLOPS are unknown and were taken from "
                 f"{stand_in.id}, the catalog entry closest in memory. Add a hardware entry for real figures.",
        **host_ram,
    })


def with_local_hardware(catalog: Catalog, info: MachineInfo | None = None) -> tuple[Catalog, HardwareSpec | None]:
    """The catalog plus the `local` entry (unchanged, None when nothing was detected)."""
    spec = local_hardware(info if info is not None else detect(), catalog)
    if spec is None:
        return catalog, None
    return catalog.model_copy(update={"hardware": {**catalog.hardware, LOCAL_ID: spec}}), spec


def device_count(info: MachineInfo | None = None) -> int:
    info = info if info is not None else detect()
    return info.accelerators[0].count if info.accelerators else 0
