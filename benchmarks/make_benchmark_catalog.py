"""Build catalogs/benchmarks/calibration.toml: the shared measurements plus the scenario each maps to.

Run once when shared/validation/calibration.toml changes:
    python benchmarks/make_benchmark_catalog.py ../shared/validation/calibration.toml
The mapping below is the only hand-written part: which catalog ids and workload each measurement used.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import tomli_w

MODEL = {
    "Llama-2-7B": "llama-2-7b", "CodeLlama-7B": "codellama-7b", "Llama-2-13B": "llama-2-13b",
    "LLaMA-30B": "llama-30b", "Llama-3.2-3B": "llama-3.2-3b", "TinyLlama-1.1B": "tinyllama-1.1b",
    "gpt-oss-20b": "gpt-oss-20b", "gpt-oss-120b": "gpt-oss-120b", "Qwen2.5-Coder-7B": "qwen2.5-coder-7b",
    "Qwen3-Coder-30B-A3B": "qwen3-coder-30b-a3b", "Gemma-3-4B-it-QAT": "gemma-3-4b", "Qwen3-30B-A3B": "qwen3-30b-a3b",
    "Llama-3.1-8B": "llama-3.1-8b", "Llama-3.1-70B": "llama-3.1-70b", "Llama-3.3-70B": "llama-3.3-70b",
    "Llama-3.1-405B": "llama-3.1-405b", "Qwen3-235B-A22B": "qwen3-235b-a22b", "Llama-2-70B": "llama-2-70b",
    "Qwen3-0.6B": "qwen3-0.6b", "Qwen3-32B": "qwen3-32b", "Qwen3-4B": "qwen3-4b", "Qwen3-8B": "qwen3-8b",
    "Mixtral-8x7B": "mixtral-8x7b",
}

HARDWARE = [  # (substring of the measurement's hardware text, catalog id); first match wins
    ("M1 Max", "m1-max"), ("M1 (", "m1"), ("M2 Pro", "m2-pro"), ("M2 Ultra", "m2-ultra"), ("M2 (", "m2"),
    ("M3 Ultra", "m3-ultra"), ("M3 (", "m3"), ("M4 Pro", "m4-pro"), ("M4 Max", "m4-max"),
    ("RTX 5090", "rtx-5090"), ("A100", "a100-80gb-sxm"), ("RTX 3090", "rtx-3090"), ("7900 XTX", "rx-7900-xtx"),
    ("RTX 4090", "rtx-4090"), ("6800 XT", "rx-6800-xt"), ("A6000", "rtx-a6000"), ("2080 Ti", "rtx-2080-ti"),
    ("RTX 3060", "rtx-3060-12gb"), ("RX 580", "rx-580"), ("DGX Spark", "dgx-spark"), ("Raspberry Pi 5", "raspberry-pi-5"),
    ("CP8180", "cix-p1"), ("8cx Gen 3", "snapdragon-8cx-gen3"), ("QCS6490", "qcs6490"), ("AmpereOne", "ampereone-a192"),
    ("H200", "h200"), ("H100", "h100-sxm"), ("B200", "b200"), ("RTX PRO 6000", "rtx-pro-6000"), ("L40S", "l40s"),
    ("GH200", "gh200-144gb"), ("MI300X", "mi300x"), ("Strix Halo", "ryzen-ai-max-395"),
]


def weights(point: dict) -> str:
    q = point["weight_quant"].lower()
    for key, fmt in (("mxfp4", "mxfp4"), ("q4_k_m", "q4_k_m"), ("q3_k_s", "q3_k_s"), ("q4_0", "q4_0"),
                     ("q8_0", "q8_0"), ("q6_k", "q6_k"), ("nvfp4", "nvfp4"), ("fp4", "nvfp4"), ("fp8", "fp8"),
                     ("bf16", "bf16"), ("f16", "fp16"), ("fp16", "fp16")):
        if key in q:
            if fmt == "mxfp4" and "llama.cpp" in point["backend"].lower() or fmt == "mxfp4" and "gguf" in point["backend"].lower():
                return "mxfp4-gguf"
            return fmt
    raise SystemExit(f"no weight format for {point['id']}: {point['weight_quant']}")


def engine(point: dict) -> str:
    b = point["backend"].lower()
    if "ollama" in b:
        return "ollama"
    if "vulkan" in b:
        return "llama.cpp-vulkan"
    if "llama.cpp" in b or "gguf" in b:
        return "llama.cpp"
    if "tensorrt" in b:
        return "tensorrt-llm"
    if "vllm" in b:
        return "vllm"
    if "transformers" in b:
        return "transformers"
    raise SystemExit(f"no engine for {point['id']}")


def hardware(point: dict) -> str:
    if point["metric"] == "file_size_gib":
        return "m2-ultra"  # any device large enough: the file size does not depend on it
    for needle, hw in HARDWARE:
        if needle in point["hardware"]:
            return hw
    raise SystemExit(f"no hardware for {point['id']}: {point['hardware']}")


def model(point: dict) -> str:
    for name, mid in MODEL.items():
        if point["model"].startswith(name):
            return mid
    raise SystemExit(f"no model for {point['id']}: {point['model']}")


def scenario(point: dict) -> tuple[dict, str]:
    """The scenario a measurement maps to, and a note on any assumption the mapping makes."""
    eng = engine(point)
    fmt = weights(point)
    note = []
    kv = "fp8" if "fp8" in point["kv_quant"].lower() else "fp16"
    if kv == "fp8" and point["kv_quant"].lower() != "fp8":
        note.append(f"KV cache taken as FP8 ({point['kv_quant']})")
    gpus = max(1, point["gpu_count"])
    tp = point["tp"] if point["tp"] > 0 else None
    isl, osl, batch = point["isl"], point["osl"], point["batch_or_concurrency"]
    if point["id"].startswith("mlperf"):
        isl, osl = 700, 290
        tp = 2 if "h100" in point["id"] else 1
        note.append("MLPerf OpenOrca: mean input ~700, mean output ~290 tokens; TP per submitter's usual layout "
                    f"(tp={tp}, {gpus // tp} data-parallel replicas)")
    if isl <= 0:
        isl = 30 if isl < 0 else 1
    if osl <= 0:
        osl = 200 if osl < 0 else 1
    if point["metric"] in ("peak_mem_gib", "kv_cache_gib") and point.get("mem_scope") != "process_peak":
        isl, osl = 1000, 200  # weights and a preallocated KV pool do not depend on the workload
    out = {
        "model": model(point), "weights": fmt, "kv_cache": kv, "hardware": hardware(point), "gpus": gpus,
        "engine": eng, "input_tokens": isl, "output_tokens": osl, "batch": "max" if batch < 0 else batch,
    }
    if tp is not None:
        out["tp"] = tp
        if gpus % tp == 0 and gpus // tp > 1:
            out["pp"] = 1
    if eng in ("llama.cpp", "ollama") and point["gpu_count"] == 0:
        note.append("CPU inference")
    return out, "; ".join(note)


SCOREBOARD = [  # (hardware id, metric, value): llama.cpp CUDA scoreboard values quoted in the notes of the
    # lcpp-cuda-* points ("RTX 4090 pp512 ~14771, tg128 ~189.0; H100 ~11263/280.7; A100 ~5286/200.9;
    # RTX 5090 ~14970/300.4"), Llama 2 7B Q4_0, llama-bench -ngl 99.
    ("rtx-4090", "prefill_tok_s", 14771.0), ("rtx-4090", "decode_tok_s_single", 189.0),
    ("h100-sxm", "prefill_tok_s", 11263.0), ("h100-sxm", "decode_tok_s_single", 280.7),
    ("a100-80gb-sxm", "prefill_tok_s", 5286.0), ("rtx-5090", "decode_tok_s_single", 300.4),
]


def scoreboard_points(points: list[dict]) -> list[dict]:
    """Extra points from values the source's notes quote; each cites the point it came from."""
    template = next(p for p in points if p["id"] == "lcpp-cuda-a100-llama2_7b-q4_0-tg128")
    extra = []
    for hw, metric, value in SCOREBOARD:
        entry = {k: v for k, v in template.items()
                 if k not in ("scenario", "mapping_notes", "build", "build_date", "era")}  # the notes give no build
        tag = "pp512" if metric == "prefill_tok_s" else "tg128"
        entry["id"] = f"lcpp-notes-{hw}-llama2_7b-q4_0-{tag}"
        entry["metric"] = metric
        entry["value"] = value
        entry["isl"], entry["osl"] = (512, 0) if tag == "pp512" else (0, 128)
        entry["notes"] = "Value quoted in the PROVENANCE note of " + template["id"] + ". " + template["notes"]
        entry["scenario"] = dict(template["scenario"], hardware=hw,
                                 input_tokens=512 if tag == "pp512" else 1, output_tokens=1 if tag == "pp512" else 128)
        extra.append(entry)
    return extra


ERA_OF_BUILD = [  # (first llama.cpp release number of the era, era): release tags are numbered b<N>
    # b4458 was current in January 2025 and b8651 in April 2026 (package bumps that name the tag and
    # date: msys2/MINGW-packages#23081, gominimal/pkgs#40), so numbered builds from b4000 on are 2025+.
    (4000, "2025+"),
]
_BUILD_NUMBER = re.compile(r"build ([0-9a-f]{7,9}) \(([0-9]{4,5})\)")
_BUILD_DATE = re.compile(r"build ([0-9a-f]{7,9}) \((20[0-9]{2})-([0-9]{2})-([0-9]{2})\)")
_ROW_BUILD = re.compile(r"Row build ([0-9a-f]{7,9})")
_COMMENT_DATE = re.compile(r"comment[^)]*?(20[0-9]{2})-([0-9]{2})-([0-9]{2})")


def build_era(point: dict) -> dict:
    """The llama.cpp build a point was measured on and its era, where the source states them.

    Returns {"build": ..., "era": ...}, either key absent when the source does not say; 2023 builds
    prefill far slower than today's, so an estimate follows the newest era.
    """
    if engine(point) not in ("llama.cpp", "llama.cpp-vulkan", "ollama") or point["metric"] == "file_size_gib":
        return {}
    text = " ".join((point["source"], point.get("notes", ""), point["backend"]))
    if m := _BUILD_DATE.search(text):
        return {"build": m.group(1), "build_date": f"{m.group(2)}-{m.group(3)}-{m.group(4)}", "era": m.group(2)}
    if m := _BUILD_NUMBER.search(text):
        number = int(m.group(2))
        era = next((e for first, e in ERA_OF_BUILD if number >= first), "before 2025")
        return {"build": f"b{number} ({m.group(1)})", "era": era}
    if m := _COMMENT_DATE.search(text):
        return {"build_date": f"{m.group(1)}-{m.group(2)}-{m.group(3)}", "era": m.group(1)}
    if "2023 GGML-era" in text:
        return {"era": "2023"}
    if m := _ROW_BUILD.search(text):
        return {"build": m.group(1)}  # a scoreboard row: the source gives the commit, not its date
    return {}


def main(path: str) -> None:
    data = tomllib.loads(Path(path).read_text())
    points = []
    for p in data["point"]:
        mapped, note = scenario(p)
        entry = dict(p)
        entry["scenario"] = mapped
        if note:
            entry["mapping_notes"] = note
        entry.update(build_era(p))
        if "S_TG" in p.get("notes", ""):
            entry["predict"] = "decode_total"
        if p["metric"] in ("ttft_ms", "tpot_ms") and "under server load" in p.get("notes", ""):
            # MLPerf server latencies include each request's queueing at a rate near capacity (not stated
            # for every submission); the steady-batch model predicts no queue, so they sit outside the targets.
            entry["under_load"] = True
        points.append(entry)
    points.extend(scoreboard_points(points))
    header = (
        "# Published measurements llmcalc is calibrated and validated against.\n"
        f"# Copied from {path} with their sources; each [point.scenario] is the catalog scenario it maps to\n"
        "# (written by benchmarks/make_benchmark_catalog.py). `llmcalc validate` estimates every point.\n\n"
    )
    out = Path(__file__).resolve().parent.parent / "catalogs" / "benchmarks" / "calibration.toml"
    out.write_text(header + tomli_w.dumps({"point": points}))
    print(f"wrote {len(points)} points to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/validation/calibration.toml")
