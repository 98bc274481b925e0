"""Communication between the GPUs of one replica: which link a layout crosses, and what its hand-offs cost.

Tensor parallel stays inside the scale-up domain (its all-reduce is part of the core's step time); what
this module adds is what plan's multi-GPU layouts put on top: the pipeline hand-off of the hidden states
between stages and the all-to-all of expert parallel (dispatch to the experts, combine back) in every
mixture-of-experts layer, each over the link it crosses (NVLink / Infinity Fabric inside the domain, the
node-to-node network beyond it).
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcalc_tui.catalog.schema import HardwareSpec, ModelSpec

ACTIVATION_BYTES = 2.0
"""Hidden states travel in bf16 between GPUs, whatever the weight format."""
SCALE_UP_LATENCY_S = 2e-6
"""Start-up of one transfer over NVLink/Infinity Fabric (about 1-2 us per hop)."""
SCALE_OUT_LATENCY_S = 5e-6
"""Start-up of one transfer over InfiniBand/RoCE between nodes (about 1-5 us; the slow end is kept)."""


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    gb_s: float
    """Bandwidth per GPU, one direction, GB/s."""
    latency_s: float

    def seconds(self, n_bytes: float) -> float:
        return self.latency_s + n_bytes / (self.gb_s * 1e9)


def link_for(hw: HardwareSpec, gpus: int) -> Link | None:
    """The slowest link a group of `gpus` GPUs crosses (None: it leaves the node and no network is known)."""
    if gpus <= hw.scale_up_gpus and hw.interconnect_gb_s > 0:
        return Link(hw.interconnect, hw.interconnect_gb_s, SCALE_UP_LATENCY_S)
    if gpus <= hw.max_devices:  # inside one server, beyond the fast fabric: through PCIe
        return Link("PCIe", hw.host_link_gb_s, SCALE_UP_LATENCY_S)
    if hw.scale_out_gb_s is None:
        return None
    return Link(hw.scale_out or "node network", hw.scale_out_gb_s, SCALE_OUT_LATENCY_S)


def pipeline_handoff_seconds(model: ModelSpec, tokens: float, pp: int, link: Link) -> float:
    """The hidden states of `tokens` tokens cross the pp - 1 stage boundaries once."""
    if pp <= 1:
        return 0.0
    return (pp - 1) * link.seconds(tokens * model.hidden_size * ACTIVATION_BYTES)


def all_to_all_seconds(model: ModelSpec, tokens: float, ep: int, link: Link) -> float:
    """Expert parallel over ep GPUs: in each MoE layer every token's hidden state goes to its top-k experts
    and comes back; the share (ep - 1) / ep of them lives on another GPU."""
    if ep <= 1 or model.moe_layers <= 0 or model.experts_per_token <= 0:
        return 0.0
    off_gpu = (ep - 1) / ep
    one_way = tokens * model.experts_per_token * model.hidden_size * ACTIVATION_BYTES * off_gpu
    return model.moe_layers * 2 * link.seconds(one_way)


def kv_transfer_seconds(kv_bytes: float, link: Link) -> float:
    """A request's KV cache sent from a prefill GPU to a decode GPU (disaggregated serving)."""
    return link.seconds(kv_bytes)
