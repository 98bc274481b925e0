"""Plan across nodes: multi-node layouts, their communication costs by hand, the owned cost, impractical options."""

from __future__ import annotations

import math

import pytest

from llmcalc_tui.catalog.loader import load_builtin
from llmcalc_tui.core.collectives import (
    SCALE_OUT_LATENCY_S, all_to_all_seconds, kv_transfer_seconds, link_for, pipeline_handoff_seconds,
)
from llmcalc_tui.core.plan import PlanRequest, plan
from llmcalc_tui.core.scenario import Scenario


@pytest.fixture(scope="module")
def catalog():
    return load_builtin()


@pytest.fixture(scope="module")
def deepseek_plan(catalog):
    return plan(PlanRequest(model="deepseek-v3", weights="fp8", rps=2.0, input_tokens=1000, output_tokens=200,
                            hardware=("h100-sxm", "l40s"), requests_per_probe=300, bisection_steps=5), catalog)


def test_a_model_beyond_one_node_gets_multi_node_layouts(deepseek_plan):
    h100 = [o for o in deepseek_plan.options if o.hardware == "h100-sxm"]
    layouts = {(o.tp, o.pp, o.ep) for o in h100}
    assert layouts == {(8, 2, 1), (8, 1, 16)}  # 671B in fp8 needs two 8 x H100 nodes
    for o in h100:
        assert o.gpus_per_replica == 16 and o.nodes == 2 * o.replicas and o.total_gpus == 16 * o.replicas
        assert o.link.startswith("InfiniBand NDR")
        if o.ep == 1:
            assert "--tensor-parallel-size 8 --pipeline-parallel-size 2 " in o.launch["command"]
        else:
            assert ("--tensor-parallel-size 8 --pipeline-parallel-size 1 --data-parallel-size 2 "
                    "--enable-expert-parallel ") in o.launch["command"]
    # L40S servers have no node network in the catalog: no multi-node layout, and a note says why.
    assert not [o for o in deepseek_plan.options if o.hardware == "l40s"]
    assert any(a.startswith("l40s:") and "scale_out_gb_s" in a for a in deepseek_plan.assumptions)


def test_links_follow_the_domain(catalog):
    h100, gb200, l40s = catalog.hardware["h100-sxm"], catalog.hardware["gb200"], catalog.hardware["l40s"]
    assert link_for(h100, 8).gb_s == 450 and link_for(h100, 16).gb_s == 50
    assert link_for(gb200, 64).gb_s == 900  # one NVL72 rack is one NVLink domain
    assert link_for(l40s, 4).gb_s == 31.5 and link_for(l40s, 16) is None


def test_comm_costs_by_hand(catalog):
    model = catalog.models["deepseek-v3"]  # hidden 7168, 8 experts per token, 58 MoE layers
    link = link_for(catalog.hardware["h100-sxm"], 16)  # 50 GB/s per GPU, 5 us
    # 16 tokens, 15/16 of them to other GPUs: 16 x 8 x 7168 x 2 B x 15/16 = 1,720,320 B each way.
    per_transfer = 1_720_320 / 50e9 + 5e-6
    assert all_to_all_seconds(model, 16, 16, link) == pytest.approx(58 * 2 * per_transfer)
    assert all_to_all_seconds(model, 16, 1, link) == 0.0
    # Two stages: one boundary, 16 x 7168 x 2 B.
    assert pipeline_handoff_seconds(model, 16, 2, link) == pytest.approx(229_376 / 50e9 + SCALE_OUT_LATENCY_S)
    assert pipeline_handoff_seconds(model, 16, 1, link) == 0.0
    assert kv_transfer_seconds(1e9, link) == pytest.approx(0.02 + 5e-6)


def test_owned_cost_is_the_core_formula_at_the_busy_share(catalog, deepseek_plan):
    s = Scenario()
    for o in deepseek_plan.options:
        hw = catalog.hardware[o.hardware]
        u = o.utilisation
        watts = u * hw.power_w + (1 - u) * hw.idle_watts
        per_gpu_month = hw.price_usd / (12 * s.lifetime_years) + watts / 1000 * s.pue * s.electricity_usd_per_kwh * 730
        assert o.usd_per_month_owned == pytest.approx(o.total_gpus * per_gpu_month, rel=1e-3)


def test_absurd_replica_counts_are_flagged_and_sorted_after_practical_ones(catalog):
    result = plan(PlanRequest(model="llama-3.1-70b", rps=20.0, input_tokens=1000, output_tokens=200,
                              ttft_slo_ms=500, tpot_slo_ms=50, hardware=("a100-80gb-sxm", "l40s"),
                              requests_per_probe=400, bisection_steps=6), catalog)
    flagged = [o for o in result.options if o.impractical]
    assert flagged and all(o.meets_slo and o.replicas > 1 and o.utilisation < 0.05 for o in flagged)
    order = [(not o.meets_slo, o.impractical) for o in result.options]
    assert order == sorted(order)
    assert all(o.to_json()["impractical"] == o.impractical for o in result.options)


def test_break_even_and_hybrid_by_hand(catalog):
    from llmcalc_tui.core.plan import SECONDS_PER_MONTH

    result = plan(PlanRequest(model="llama-3.1-70b", rps=2.0, input_tokens=1000, output_tokens=200,
                              hardware=("h100-sxm",), requests_per_probe=300, bisection_steps=5), catalog)
    best = result.best
    per_replica = best.usd_per_month_cloud / best.replicas
    for api in result.api_alternatives:
        rate = per_replica / (api.usd_per_request * SECONDS_PER_MONTH)
        expected = rate if rate <= best.rps_per_replica_max else None
        assert api.break_even_rps == (None if expected is None else pytest.approx(expected))
        if api.break_even_rps is not None:  # at that rate both bills are equal
            assert api.usd_per_request * api.break_even_rps * SECONDS_PER_MONTH == pytest.approx(per_replica)
    h = result.hybrid
    cheapest = min((a for a in result.api_alternatives if a.same_model), key=lambda a: a.usd_per_request)
    assert h.api_model == cheapest.model
    expected_local = h.local_replicas * per_replica
    assert h.usd_per_month_local == pytest.approx(expected_local)
    api_share = cheapest.usd_per_request * (1 - h.local_share) * 2.0 * SECONDS_PER_MONTH
    assert h.usd_per_month_api == pytest.approx(api_share)
    # The chosen split is the cheapest of the tenths: all-local and all-API cost no less.
    assert h.usd_per_month <= min(best.usd_per_month_cloud, cheapest.usd_per_month) + 0.01
    half = plan(PlanRequest(model="llama-3.1-70b", rps=2.0, input_tokens=1000, output_tokens=200,
                            hardware=("h100-sxm",), requests_per_probe=300, bisection_steps=5,
                            hybrid_local_share=0.5), catalog).hybrid
    assert half.local_share == 0.5
    assert half.local_replicas == math.ceil(1.0 / best.rps_per_replica_max - 1e-9)


def test_disaggregated_pools_sit_next_to_the_aggregated_layout(catalog):
    from llmcalc_tui.core import architecture as arch

    result = plan(PlanRequest(model="llama-3.1-70b", rps=20.0, input_tokens=4000, output_tokens=300,
                              ttft_slo_ms=1000, tpot_slo_ms=40, hardware=("h100-sxm",), requests_per_probe=300,
                              bisection_steps=5, disaggregated=True), catalog)
    [d] = result.disaggregated
    aggregated = result.options[0]
    assert (d.hardware, d.tp, d.pp, d.ep) == (aggregated.hardware, aggregated.tp, aggregated.pp, aggregated.ep)
    assert d.aggregated_total_gpus == aggregated.total_gpus
    # The prompt's KV cache (fp16, 80 layers x 8 KV heads x 128 x 2 x 2 B per token), each of the 8 GPUs
    # sending its shard over the node-to-node network (a prefill and a decode replica span two nodes).
    model = catalog.models["llama-3.1-70b"]
    assert d.kv_bytes_per_request == arch.kv_cache_bytes(model, 4000, 2.0, True, 8) == 4000 * 80 * 8 * 128 * 2 * 2
    assert d.kv_transfer_ms == pytest.approx((d.kv_bytes_per_request / 8 / 50e9 + SCALE_OUT_LATENCY_S) * 1e3)
    assert d.total_gpus == d.prefill.gpus + d.decode.gpus == 8 * (d.prefill.replicas + d.decode.replicas)
    hw = catalog.hardware["h100-sxm"]
    assert d.usd_per_month_cloud == pytest.approx(d.total_gpus * hw.cloud_usd_per_hour * 730)
    assert d.meets_slo and d.ttft_ms <= 1000 and d.tpot_ms <= 40
    assert d.ttft_p50_ms >= d.kv_transfer_ms
    data = result.to_json()["disaggregated"][0]
    assert data["prefill"]["total_gpus"] == d.prefill.gpus and data["kv_transfer_ms"] == round(d.kv_transfer_ms, 3)


def test_every_node_network_has_a_source_and_a_name(catalog):
    with_network = [hw for hw in catalog.hardware.values() if hw.scale_out_gb_s is not None]
    assert {"h100-sxm", "h200", "b200", "gb200"} <= {hw.id for hw in with_network}
    for hw in with_network:
        assert hw.scale_out and hw.scale_out_source, hw.id
    assert catalog.hardware["gb200"].scale_up_gpus == 72 and catalog.hardware["h100-sxm"].scale_up_gpus == 8
    assert catalog.hardware["h100-nvl"].scale_up_gpus == 2 and catalog.hardware["l40s"].scale_up_gpus == 1


def test_a_user_catalog_describes_its_own_cluster(tmp_path):
    from llmcalc_tui.catalog.loader import load_catalog

    (tmp_path / "cluster.toml").write_text('''
[[hardware]]
id = "our-l4-nodes"
name = "Our L4 servers (4 per node, 100 GbE each)"
kind = "datacenter"
vendor = "NVIDIA"
memory_gb = 24
bandwidth_gb_s = 300
tflops = { fp32 = 30.3, bf16 = 121, fp16 = 121, fp8 = 242 }
power_w = 72
host_link_gb_s = 31.5
max_devices = 4
scale_out = "100 GbE RoCE per GPU"
scale_out_gb_s = 12.5
scale_out_source = "our rack sheet"
cloud_usd_per_hour = 1.0
source = "datasheet"
as_of = 2026-11-27
''', encoding="utf-8")
    loaded = load_catalog([tmp_path])
    assert not loaded.problems
    catalog = loaded.catalog
    link = link_for(catalog.hardware["our-l4-nodes"], 8)
    assert link.gb_s == 12.5 and link.name == "100 GbE RoCE per GPU"
    result = plan(PlanRequest(model="llama-3.1-70b", rps=1.0, input_tokens=1000, output_tokens=100,
                              hardware=("our-l4-nodes",), requests_per_probe=200, bisection_steps=4), catalog)
    # 131 GiB of bf16 weights do not fit one node of 4 x 24 GB: pipeline stages over several nodes.
    assert result.options and all(o.pp >= 2 and o.link == "100 GbE RoCE per GPU" for o in result.options)
