"""`llmcalc verify`: result files in the tools' real formats, the benchmark run, the user's calibration
file, and how `validate` and the bands use the user's points."""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from llmcalc_tui.bench_results import ResultFileError, read_result_file
from llmcalc_tui.cli import main

DATA = Path(__file__).parent / "data" / "verify"
LLAMA = ["--model", "qwen2.5-coder-7b", "--weights", "q4_k_m", "--hardware", "rtx-4090", "--engine", "llama.cpp"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def user_file(isolated_dirs) -> Path:
    return isolated_dirs["LLMCALC_DATA_DIR"] / "calibration.toml"


# ----------------------------------------------------------------------------- result files


def test_llama_bench_json_and_jsonl_give_prefill_and_decode_rows():
    for name, pp, tg in (("llama-bench.json", 7100.002165, 118.881588), ("llama-bench.jsonl", 7263.609157, 119.844681)):
        rows = read_result_file(DATA / name)
        assert [(r.metric, r.value, r.input_tokens, r.output_tokens, r.label) for r in rows] == [
            ("prefill_tok_s", pp, 512, 1, "pp512"),
            ("decode_tok_s_single", tg, 1, 128, "tg128"),
        ]
        assert rows[0].info["build_number"] == 5163 and rows[0].info["gpu_info"] == "NVIDIA GeForce RTX 4080"


def test_llama_bench_markdown_old_and_new_test_names_and_depth():
    old = read_result_file(DATA / "llama-bench.md")
    assert [(r.metric, r.value) for r in old] == [("prefill_tok_s", 2368.80), ("decode_tok_s_single", 131.42)]
    new = read_result_file(DATA / "llama-bench-depth.md")
    assert [(r.label, r.metric, r.value, r.input_tokens, r.output_tokens) for r in new] == [
        ("pp512", "prefill_tok_s", 7340.20, 512, 1),
        ("tg128", "decode_tok_s_single", 120.60, 1, 128),
        ("pp512 @ d512", "prefill_tok_s", 6425.91, 1024, 1),  # 512 more tokens on top of a 512-token cache
        ("tg128 @ d512", "decode_tok_s_single", 116.71, 512, 128),
    ]


def test_vllm_latency_and_throughput_files():
    (latency,) = read_result_file(DATA / "vllm-latency.json")
    assert latency.metric == "e2e_latency_ms" and latency.value == pytest.approx(1241.54)
    (throughput,) = read_result_file(DATA / "vllm-throughput.json", output_tokens=200)
    assert throughput.metric == "output_tok_s_total"
    assert throughput.value == pytest.approx(1000 * 200 / 52.7)
    with pytest.raises(ResultFileError, match="--output-tokens"):
        read_result_file(DATA / "vllm-throughput.json")


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("[{\"n_prompt\": 512}]", "has no n_gen"),
    ("{\"avg_latency\": \"slow\"}", "avg_latency is not a number"),
    ("{\"hello\": 1}", "not a llama-bench"),
    ("\n[\n  {\"n_prompt\": 512,\n", "line 3: invalid JSON"),
    ("| model | test |\n| --- | --- |\n| x | pp 512 |\n", "'test' and 't/s'"),
    ("| test | t/s |\n| --- | --- |\n| pp 512 | fast |\n", "line 3"),
])
def test_malformed_result_files_are_one_clear_error(tmp_path, text, message):
    path = tmp_path / "result.json"
    path.write_text(text)
    with pytest.raises(ResultFileError, match=message):
        read_result_file(path)


# ----------------------------------------------------------------------------- the command


def test_verify_from_file_prints_predicted_against_measured_and_saves(capsys, isolated_dirs):
    code, out, err = run(capsys, "verify", *LLAMA, "--from", str(DATA / "llama-bench.json"))
    assert code == 0 and err == ""
    assert "NVIDIA GeForce RTX 4080" in out and "pp512" in out and "7,100" in out and "saved to" in out
    saved = user_file(isolated_dirs)
    text = saved.read_text()
    code, out, _ = run(capsys, "verify", *LLAMA, "--from", str(DATA / "llama-bench.json"), "--json")
    data = json.loads(out)
    assert [p["metric"] for p in data["points"]] == ["prefill_tok_s", "decode_tok_s_single"]
    assert data["points"][0]["measured"] == 7100.002165 and data["points"][0]["predicted"] > 0
    # The second run appends: the first run's text stays byte for byte, ids stay unique.
    new_text = saved.read_text()
    assert new_text.startswith(text.rstrip("\n"))
    import tomllib

    points = tomllib.loads(new_text)["point"]
    assert len(points) == 4 and len({p["id"] for p in points}) == 4
    assert all(p["id"].startswith("user:") for p in points)
    assert points[0]["machine"]["gpu"] == "NVIDIA GeForce RTX 4080" and points[0]["machine"]["hostname"]
    assert points[0]["measured_at"].endswith("Z") and points[0]["tool_info"]["build_number"] == 5163
    assert points[0]["scenario"]["input_tokens"] == 512 and points[1]["scenario"]["output_tokens"] == 128


def test_verify_no_save_leaves_no_file(capsys, isolated_dirs):
    code, out, _ = run(capsys, "verify", *LLAMA, "--from", str(DATA / "llama-bench.md"), "--no-save")
    assert code == 0 and "not saved" in out
    assert not user_file(isolated_dirs).exists()


def test_verify_never_clobbers_a_broken_calibration_file(capsys, isolated_dirs):
    path = user_file(isolated_dirs)
    path.parent.mkdir(parents=True)
    broken = "# mine\n[[point]\nid = 'x'\n"
    path.write_text(broken)
    code, out, err = run(capsys, "verify", *LLAMA, "--from", str(DATA / "llama-bench.json"))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and str(path) in err and "line 2" in err
    assert path.read_text() == broken
    assert sorted(os.listdir(path.parent)) == ["calibration.toml"]  # no temporary file left behind


@pytest.mark.parametrize("argv, message", [
    (["--from", "no/such/file.json"], "cannot read no/such/file.json"),
    (["--from", str(DATA / "SOURCES.md")], "not a llama-bench"),
    (["--from", str(DATA / "vllm-throughput.json"), "--input-tokens", "500"], "total_num_tokens 1,200,000"),
])
def test_bad_or_missing_file_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, "verify", "--model", "llama-3.1-8b", *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_vllm_throughput_file_compares_with_a_full_batch(capsys):
    code, out, _ = run(capsys, "verify", "--model", "llama-3.1-8b", "--from", str(DATA / "vllm-throughput.json"),
                       "--json", "--no-save")
    point = json.loads(out)["points"][0]
    assert code == 0 and point["scenario"]["batch"] == "max" and point["metric"] == "output_tok_s_total"


def _fake_tool(directory: Path, name: str, body: str) -> None:
    script = directory / name
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_verify_runs_llama_bench_with_the_scenario(capsys, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    argv_log = tmp_path / "argv.json"
    _fake_tool(bin_dir, "llama-bench", f"""
        import json, sys
        json.dump(sys.argv[1:], open({str(argv_log)!r}, "w"))
        sys.stdout.write(open({str(DATA / "llama-bench.json")!r}).read())
    """)
    monkeypatch.setenv("PATH", str(bin_dir))
    code, out, err = run(capsys, "verify", *LLAMA, "--input-tokens", "512", "--output-tokens", "128",
                         "--model-file", "models/q.gguf", "--no-save")
    assert code == 0, err
    assert json.loads(argv_log.read_text()) == ["-m", "models/q.gguf", "-p", "512", "-n", "128", "-o", "json"]
    assert "tg128" in out and "118.9" in out


def test_verify_runs_vllm_bench_latency_and_reads_its_json(capsys, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    argv_log = tmp_path / "argv.json"
    _fake_tool(bin_dir, "vllm", f"""
        import json, shutil, sys
        args = sys.argv[1:]
        json.dump(args, open({str(argv_log)!r}, "w"))
        shutil.copy({str(DATA / "vllm-latency.json")!r}, args[args.index("--output-json") + 1])
    """)
    monkeypatch.setenv("PATH", str(bin_dir))
    code, out, err = run(capsys, "verify", "--model", "llama-3.1-8b", "--input-tokens", "32", "--output-tokens",
                         "128", "--batch", "8", "--json", "--no-save")
    assert code == 0, err
    args = json.loads(argv_log.read_text())
    assert args[:4] == ["bench", "latency", "--model", "meta-llama/Llama-3.1-8B"]
    assert args[args.index("--batch-size") + 1] == "8" and args[args.index("--input-len") + 1] == "32"
    assert json.loads(out)["points"][0]["measured"] == pytest.approx(1241.54)


def test_missing_or_failing_benchmark_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run(capsys, "verify", *LLAMA, "--model-file", "q.gguf")
    assert code == 2 and "llama-bench is not on PATH" in err and len(err.strip().splitlines()) == 1
    _fake_tool(tmp_path, "llama-bench", "import sys\nsys.stderr.write('error: failed to load model\\n')\nsys.exit(1)\n")
    code, _, err = run(capsys, "verify", *LLAMA, "--model-file", "q.gguf")
    assert code == 2 and "exited with status 1: error: failed to load model" in err
    code, _, err = run(capsys, "verify", *LLAMA)
    assert code == 2 and "--model-file" in err


# ----------------------------------------------------------------------------- validate and bands


def test_validate_lists_the_users_points_apart(capsys, isolated_dirs):
    run(capsys, "verify", *LLAMA, "--from", str(DATA / "llama-bench.json"))
    code, out, _ = run(capsys, "validate")
    assert code == 0
    mine = out[out.index("your own measurements"):]
    assert "user:" in mine and "pp512" in mine
    assert "user:" not in out[: out.index("your own measurements")]
    data = json.loads(run(capsys, "validate", "--json")[1])
    assert len(data["user_points"]) == 2 and all(p["id"].startswith("user:") for p in data["user_points"])
    assert not any(p["id"].startswith("user:") for p in data["points"])  # targets stay on the published set


def test_validate_reports_a_broken_user_file_and_goes_on(capsys, isolated_dirs):
    path = user_file(isolated_dirs)
    path.parent.mkdir(parents=True)
    path.write_text("[[point]\n")
    code, out, err = run(capsys, "validate")
    assert code == 0 and "warning" in err and str(path) in err and "your own measurements" not in out


def _decode_band(catalog) -> float:
    from llmcalc_tui.core.bands import spread_for

    return spread_for(catalog, "decode_tok_s", "llama.cpp", "consumer", "rtx-4090")


def test_bands_on_this_machine_narrow_as_accurate_points_accumulate(isolated_dirs):
    from llmcalc_tui.catalog.loader import load_builtin
    from llmcalc_tui.core.bands import MIN_SPREAD
    from llmcalc_tui.core.estimate import estimate
    from llmcalc_tui.core.scenario import Scenario
    from llmcalc_tui.user_calibration import append_points, hostname

    catalog = load_builtin()
    scenario = Scenario(model="qwen2.5-coder-7b", weights="q4_k_m", hardware="rtx-4090", engine="llama.cpp",
                        input_tokens=1, output_tokens=128)
    predicted = estimate(scenario, catalog).timing.decode_tok_s_per_sequence
    spreads = [_decode_band(catalog)]
    for n in range(4):
        append_points([{
            "id": f"user:test:{n}", "source": "test", "metric": "decode_tok_s_single",
            "value": predicted * 1.02, "scenario": scenario.model_dump(exclude_none=True),
            "machine": {"hostname": hostname()},
        }])
        spreads.append(_decode_band(catalog))
    assert all(a > b for a, b in zip(spreads, spreads[1:])), spreads
    # The published spread weighs as three points: after four points 1.96 % off it is (3 x s0 + 4 x 1.96 %) / 7,
    # never below the floor.
    own = 1 - 1 / 1.02
    assert spreads[-1] == pytest.approx(max(MIN_SPREAD, (3 * spreads[0] + 4 * own) / 7), rel=1e-9)
    # Points from another machine leave this machine's band alone.
    append_points([{"id": "user:other", "source": "test", "metric": "decode_tok_s_single", "value": predicted * 3,
                    "scenario": scenario.model_dump(exclude_none=True), "machine": {"hostname": "elsewhere"}}])
    assert _decode_band(catalog) == spreads[-1]


def test_a_hosted_api_model_cannot_be_verified(capsys):
    code, out, err = run(capsys, "verify", "--model", "gpt-4o", "--from", str(DATA / "llama-bench.json"))
    assert code == 2 and out == "" and "hosted API" in err
