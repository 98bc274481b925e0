"""Command-line faces of the levers (issue 14): offload, speculative decoding and a cached prefix.

The options are shared by estimate, fit, plan and scenarios save (through cli.add_workload_options).
"""

from __future__ import annotations

import argparse

from llmcalc_tui.core.prefix_cache import parse_cached_prefix

LEVER_FIELDS = {
    "gpu_layers": "gpu_layers",
    "cpu_moe": "cpu_moe",
    "n_cpu_moe": "n_cpu_moe",
    "ram_gib": "ram_gib",
    "ram_bandwidth_gb_s": "ram_bandwidth_gb_s",
    "draft_model": "draft_model",
    "mtp": "mtp",
    "eagle": "eagle",
    "draft_tokens": "draft_tokens",
    "acceptance": "acceptance",
}
"""argparse dest -> Scenario field (the cached prefix and --no-kv-offload are read by lever_updates)."""


def gpu_layers_value(text: str) -> int | str:
    from llmcalc_tui.cli import int_in

    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int_in("--gpu-layers", 0, 100_000)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"--gpu-layers must be a layer count or 'auto', got {text!r}") from None


def cached_prefix_value(text: str) -> float | int:
    try:
        return parse_cached_prefix(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_lever_options(parser: argparse.ArgumentParser) -> None:
    from llmcalc_tui.cli import float_in, identifier, int_in

    group = parser.add_argument_group("levers (offload, speculative decoding, prefix cache)")
    group.add_argument("--gpu-layers", type=gpu_layers_value,
                       help="layers on the GPU, the rest in system RAM; 'auto': as many as fit (llama.cpp -ngl)")
    group.add_argument("--cpu-moe", action="store_const", const=True, help="all routed experts in system RAM")
    group.add_argument("--n-cpu-moe", type=int_in("--n-cpu-moe", 0, 100_000),
                       help="the routed experts of the first N layers in system RAM")
    group.add_argument("--no-kv-offload", action="store_true", default=None,
                       help="keep the KV cache in system RAM (llama.cpp --no-kv-offload)")
    group.add_argument("--ram-gib", type=float_in("--ram-gib", 0, 1_000_000, low_open=True),
                       help="system RAM of the host (default: the hardware's usual host)")
    group.add_argument("--ram-bandwidth-gb-s", type=float_in("--ram-bandwidth-gb-s", 0, 100_000, low_open=True),
                       help="peak system-RAM bandwidth, GB/s")
    group.add_argument("--draft-model", type=identifier("--draft-model"), help="speculative decoding: a draft model id")
    group.add_argument("--mtp", action="store_const", const=True, help="speculative decoding with the model's MTP layers")
    group.add_argument("--eagle", action="store_const", const=True, help="speculative decoding with EAGLE heads")
    group.add_argument("--draft-tokens", type=int_in("--draft-tokens", 1, 64), help="tokens drafted per step (k)")
    group.add_argument("--acceptance", type=float_in("--acceptance", 0, 1),
                       help="per-token acceptance rate 0-1 (default: catalogs/speculative.toml)")
    group.add_argument("--cached-prefix", type=cached_prefix_value,
                       help="prompt already in the prefix cache: a share 0-1 (0.4, 40%%) or a token count "
                            "(--cached-input is the share form)")


def lever_updates(args: argparse.Namespace) -> dict:
    """Scenario fields set by the lever options."""
    updates = {field: getattr(args, dest) for dest, field in LEVER_FIELDS.items() if getattr(args, dest, None) is not None}
    if getattr(args, "no_kv_offload", None):
        updates["kv_offload"] = False
    cached = getattr(args, "cached_prefix", None)
    if cached is not None:
        if getattr(args, "cached_input", None) is not None:
            from llmcalc_tui.cli import UsageError

            raise UsageError("--cached-prefix and --cached-input are the same lever: give one")
        if isinstance(cached, int):
            updates["cached_prefix_tokens"] = cached
            updates["cached_input_fraction"] = 0.0
        else:
            updates["cached_input_fraction"] = cached
            updates["cached_prefix_tokens"] = None
    elif getattr(args, "cached_input", None) is not None:
        updates["cached_prefix_tokens"] = None
    return updates
