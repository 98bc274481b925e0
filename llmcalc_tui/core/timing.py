"""Per-operation timing: a forward step is a list of operations, each costed on its own roofline.

| operation | bytes | FLOPs |
|---|---|---|
| dense matmuls (attention projections, dense MLPs, shared experts, router) | their weights | 2 x params x rows |
| routed experts | the experts the step's tokens route to (engines that copy expert weights per token in decode: 3 x per token and expert) | 2 x active expert params x rows, each expert seeing rows x k / touched rows |
| logits (lm_head) | the output matrix | 2 x hidden x vocab per sequence that samples (prefill: the last token only) |
| attention | KV (or state) read | QK and AV (prefill: the causal half, flash attention) |
| norms and element-wise | activations in and out, one embedding row per token | – |
| collectives | two all-reduces per layer under tensor parallelism | – |
| overhead | – | per step, per layer (kernel launches or eager Python), per sequence, per expert call |

An operation takes max(bytes / achieved bandwidth, FLOPs / (path peak x eta(rows))) with
eta(M) = eta_max * M / (M + M_half) (core/perf.py). The step is their sum, or, for eager engines that
launch kernels asynchronously (Transformers), the longer of the host's time and the device's. Prefill, decode, the
running-server TTFT, pipeline stages and the load simulation all call `forward_seconds` through
`StepModel`: nothing re-derives a step's cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llmcalc_tui.catalog.schema import EngineSpec, FormatSpec, ModelSpec
from llmcalc_tui.core import architecture as arch
from llmcalc_tui.core.fit import kv_bytes_per_value
from llmcalc_tui.core.perf import Perf

ACTIVATION_BYTES = 2
"""Hidden states move in 16 bits."""
ELEMENTWISE_PASSES_PER_LAYER = 8
"""Hidden-state reads and writes per layer outside the matmuls: two norms (in and out), two residual adds,
the activation function's input and output (engines fuse some; eager PyTorch runs each)."""


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    seconds: float
    bound: str
    """memory, compute, link or host."""


@dataclass(slots=True)
class StepModel:
    """Everything one step costs is computed from: the model's bytes and FLOPs per GPU, the rates."""

    model: ModelSpec
    wb: arch.WeightBytes
    perf: Perf
    tp: int
    kv_bytes_per_value: float
    windowed: bool
    chunk_tokens: int
    """Prompt tokens per forward step (the engine's max batched tokens, llama.cpp's n_ubatch)."""
    dense_bytes: float = 0.0
    dense_flops_per_token: float = 0.0
    expert_flops_per_token: float = 0.0
    logits_flops_per_row: float = 0.0
    elementwise_bytes_per_token: float = 0.0
    _kv_memo: dict = field(default_factory=dict)
    _attn_memo: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        p = arch.param_breakdown(self.model)
        tp = self.tp
        self.dense_bytes = (self.wb.non_expert_read - self.wb.output) / tp
        self.dense_flops_per_token = 2.0 * (p.linear_non_expert + p.router) / tp
        self.expert_flops_per_token = 2.0 * p.active_experts / tp
        self.logits_flops_per_row = 2.0 * self.model.hidden_size * self.model.vocab_size / tp
        self.elementwise_bytes_per_token = (
            self.model.hidden_size * ACTIVATION_BYTES * ELEMENTWISE_PASSES_PER_LAYER * self.model.num_layers / tp
            + self.wb.embedding_row
        )

    # ------------------------------------------------------------------ per-sequence terms, memoised

    def kv_read(self, context: float) -> float:
        """Cache bytes one decode step of one sequence reads, per GPU."""
        key = int(context)
        value = self._kv_memo.get(key)
        if value is None:
            value = arch.kv_read_bytes(self.model, key, self.kv_bytes_per_value, self.windowed, self.tp) / self.tp
            self._kv_memo[key] = value
        return value

    def attention_flops(self, context: float) -> float:
        """Token-mixing FLOPs of one query token against `context` tokens, per GPU."""
        value = self._attn_memo.get(context)
        if value is None:
            value = arch.attention_flops_per_token(self.model, context) / self.tp
            self._attn_memo[context] = value
        return value

    # ------------------------------------------------------------------ the operations

    def operations(
        self, rows: float, logits_rows: float, attention_flops: float, kv_bytes: float, sequences: float,
        decode_only: bool = False,
    ) -> list[Operation]:
        """The operations of one forward step over `rows` tokens (all GPUs of one tensor-parallel group
        work in parallel: bytes and FLOPs are per GPU)."""
        ops: list[Operation] = []
        self._step(rows, logits_rows, attention_flops, kv_bytes, sequences, decode_only, ops)
        return ops

    def forward_seconds(
        self, rows: float, logits_rows: float, attention_flops: float, kv_bytes: float, sequences: float,
        decode_only: bool = False,
    ) -> float:
        """The step's time: the operations' sum, or max(host, device) where launches overlap the device."""
        host, device = self._step(rows, logits_rows, attention_flops, kv_bytes, sequences, decode_only, None)
        if self.perf.host_overlaps_device:
            return max(host, device)
        return host + device

    def _step(
        self, rows: float, logits_rows: float, attention_flops: float, kv_bytes: float, sequences: float,
        decode_only: bool, ops: list[Operation] | None,
    ) -> tuple[float, float]:
        """(host seconds, device seconds) of one step; the operations go into `ops` when it is a list
        (the grid and the simulation skip building them)."""
        perf, model = self.perf, self.model
        bw = perf.bandwidth
        peak = perf.peak_flops / (1.0 + perf.dequant)
        eta = perf.eta
        device = 0.0

        def roofline(name: str, t_mem: float, t_compute: float) -> float:
            if ops is not None:
                ops.append(Operation(name, max(t_mem, t_compute), "memory" if t_mem >= t_compute else "compute"))
            return t_mem if t_mem >= t_compute else t_compute

        device += roofline("dense matmuls", self.dense_bytes / bw,
                           rows * self.dense_flops_per_token / (peak * eta(rows)) if rows else 0.0)
        host = 0.0
        if model.is_moe:
            touched = arch.expected_experts_touched(model, rows)  # type: ignore[arg-type]
            per_expert_rows = rows * model.experts_per_token / touched if touched else 0.0
            expert_bytes = model.moe_layers * touched * self.wb.per_expert_layer / self.tp
            if decode_only and perf.decode_copies_experts:
                # Each (token, expert) pair's weights are read, written as a copy, and read by the matmul.
                expert_bytes = 3 * model.moe_layers * rows * model.experts_per_token * self.wb.per_expert_layer / self.tp
            flops = rows * self.expert_flops_per_token
            device += roofline("routed experts", expert_bytes / bw,
                               flops / (peak * eta(per_expert_rows) * perf.moe_compute) if flops else 0.0)
            if perf.expert_call_s:
                calls = model.moe_layers * touched * perf.expert_call_s
                host += calls
                if ops is not None:
                    ops.append(Operation("expert calls", calls, "host"))
        if logits_rows > 0:
            device += roofline("logits", self.wb.output / self.tp / bw,
                               logits_rows * self.logits_flops_per_row / (peak * eta(logits_rows)))
        device += roofline("attention", kv_bytes / perf.kv_bandwidth,
                           attention_flops / (peak * perf.eta_max) if attention_flops else 0.0)
        elementwise = rows * self.elementwise_bytes_per_token / bw
        device += elementwise
        if ops is not None:
            ops.append(Operation("norms and element-wise", elementwise, "memory"))
        if self.tp > 1:
            size = rows * model.hidden_size * ACTIVATION_BYTES
            per_op = perf.link_latency_s + 2.0 * (self.tp - 1) / self.tp * size / perf.link
            device += 2 * model.num_layers * per_op
            if ops is not None:
                ops.append(Operation("all-reduce", 2 * model.num_layers * per_op, "link"))
        overhead = (perf.step_overhead_s + sequences * perf.sequence_overhead_s
                    + model.num_layers * (perf.decode_layer_overhead_s if decode_only else perf.layer_overhead_s))
        host += overhead
        if ops is not None:
            ops.append(Operation("overhead", overhead, "host"))
        return host, device

    # ------------------------------------------------------------------ steps

    def decode_seconds(self, batch: float, context: float) -> float:
        """One decode step of `batch` sequences at an average context of `context` tokens."""
        return self.forward_seconds(
            batch, batch, batch * self.attention_flops(context), batch * self.kv_read(context), batch, True)

    def prefill_pass_seconds(self, batch: float, tokens: float) -> float:
        """One forward pass over `batch` whole prompts of `tokens` tokens (a scheduler that makes its own
        chunks, like the load simulation, asks for passes)."""
        total = batch * tokens
        if total <= 0:
            return 0.0
        return self.forward_seconds(total, batch, total * self.attention_flops(tokens / 2.0), 0.0, batch)

    def prefill_seconds(self, batch: float, tokens: float) -> float:
        """`batch` prompts of `tokens` tokens each, in steps of the engine's batched tokens: each step
        re-reads the weights, and only the last token of each prompt computes logits."""
        total = batch * tokens
        if total <= 0:
            return 0.0
        chunk = min(total, self.chunk_tokens)
        steps = total / chunk
        attention = total * self.attention_flops(tokens / 2.0) / steps
        return steps * self.forward_seconds(chunk, batch / steps, attention, 0.0, batch / steps)

    def mixed_extra_seconds(self, chunk: float, running: int, context: float) -> float:
        """What `running` decode tokens add to a step that prefills a `chunk` of one prompt."""
        own_attention = chunk * self.attention_flops(chunk / 2.0)
        alone = self.forward_seconds(chunk, 1.0, own_attention, 0.0, 1.0)
        shared = self.forward_seconds(
            chunk + running, 1.0 + running, own_attention + running * self.attention_flops(context),
            running * self.kv_read(context), 1.0 + running)
        return max(0.0, shared - alone)

    def handoff_seconds(self, rows: float, pp: int) -> float:
        """Pipeline parallel: the hidden states of `rows` tokens cross pp - 1 stage boundaries."""
        if pp <= 1:
            return 0.0
        perf = self.perf
        return (pp - 1) * (perf.link_latency_s + rows * self.model.hidden_size * ACTIVATION_BYTES / perf.link)

    def pipeline_prefill_seconds(self, pp: int, batch: int, tokens: int) -> float:
        """Prefill over pp stages: chunks of the engine's batched tokens flow through the stages, so they
        overlap once there are several ((u + pp - 1) stage times for u chunks)."""
        if pp <= 1:
            return self.prefill_seconds(batch, tokens)
        chunks = max(1.0, batch * tokens / self.chunk_tokens)
        stage = self.prefill_seconds(batch, tokens) / chunks / pp
        return (chunks + pp - 1) * stage + self.handoff_seconds(batch * tokens / chunks, pp)

    def pipeline_step_seconds(self, pp: int, batch: int, context: float) -> float:
        """Time per output token over pp stages: the batch is cut into up to pp micro-batches that keep
        every stage busy (each stage runs every micro-batch once a round: stage time x pp); fewer
        sequences than stages leave stages idle (the bubble), and one sequence walks them in turn."""
        micro = min(pp, batch)
        per_micro = batch / micro
        return self.decode_seconds(per_micro, context) + self.handoff_seconds(per_micro, pp)

    def running_server_ttft_seconds(self, pp: int, batch: int, input_tokens: int, decode_context: float) -> float:
        """Time to first token of one request arriving at a server already decoding batch - 1 sequences.

        Continuous batching: the prompt goes through in chunks of the engine's batched tokens, and each
        chunk shares its step with one decode token of every running sequence (their KV reads, matmul
        rows and per-sequence costs). At batch 1 this is the plain prefill.
        """
        own = self.pipeline_prefill_seconds(pp, 1, input_tokens)
        running = batch - 1
        if running <= 0:
            return own
        chunk = min(input_tokens, self.chunk_tokens)
        return own + input_tokens / chunk * self.mixed_extra_seconds(chunk, running, decode_context)


def step_model(
    model: ModelSpec, engine: EngineSpec, weights: FormatSpec, kv: FormatSpec, perf: Perf, tp: int,
) -> StepModel:
    """The step model of a resolved setup (one per estimate; the simulation builds the same)."""
    return StepModel(
        model=model, wb=arch.weight_bytes(model, weights), perf=perf, tp=tp,
        kv_bytes_per_value=kv_bytes_per_value(kv), windowed=engine.kv_frees_windowed_layers,
        chunk_tokens=engine.activation_tokens,
    )
