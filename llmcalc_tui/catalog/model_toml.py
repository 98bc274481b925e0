"""A ModelSpec written back as a catalog [[model]] TOML table (generated catalogs, imported models)."""

from __future__ import annotations

import datetime as dt
import json

from llmcalc_tui.catalog.schema import LayerType, ModelSpec

# Written in this order; flat shape fields that the layer types imply are left out (the schema derives them).
_MODEL_FIELDS = (
    "id", "name", "family", "aliases", "hf_repo", "license", "release", "native_dtype", "source", "as_of",
    "hidden_size", "vocab_size", "tied_embeddings", "context_length", "mlp_type", "norm_type", "norms_per_layer",
    "num_experts", "experts_per_token", "num_shared_experts", "expert_intermediate_size",
    "shared_expert_intermediate_size", "router_bias", "expert_bias", "router_score_correction_bias",
    "router_scale", "shared_expert_gate", "mtp_layers", "vision_params", "checkpoint_bytes", "checkpoint_note",
    "published_params", "published_active_params", "notes",
)
_ALWAYS = {"id", "name", "family", "source", "as_of", "hidden_size", "vocab_size", "context_length"}


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def model_to_toml(model: ModelSpec) -> str:
    """One [[model]] table with its [[model.layers]], fields at their defaults left out."""
    defaults = ModelSpec.model_fields
    lines = ["[[model]]"]
    for name in _MODEL_FIELDS:
        value = getattr(model, name)
        if name not in _ALWAYS and value == defaults[name].default:
            continue
        lines.append(f"{name} = {_value(value)}")
    layer_defaults = LayerType.model_fields
    for lt in model.layers:
        lines.append("")
        lines.append("[[model.layers]]")
        for name, field in layer_defaults.items():
            value = getattr(lt, name)
            if name != "count" and value == field.default:
                continue
            lines.append(f"{name} = {_value(value)}")
    return "\n".join(lines) + "\n"
