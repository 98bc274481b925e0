"""config.json -> ModelSpec through the catalog's converter, with its refusals turned into one-line SourceErrors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from llmcalc_tui.catalog.hf_config import model_from_hf_config
from llmcalc_tui.catalog.schema import ModelSpec
from llmcalc_tui.sources import SourceError


def to_model_spec(
    config: Mapping[str, Any],
    *,
    model_id: str,
    name: str | None,
    source: str,
    as_of: dt.date,
    hf_repo: str | None = None,
    checkpoint_bytes: dict[str, int] | None = None,
) -> ModelSpec:
    """Convert; an unsupported or inconsistent config becomes a SourceError naming the field."""
    try:
        return model_from_hf_config(
            dict(config), model_id=model_id, name=name, source=source, as_of=as_of,
            hf_repo=hf_repo, checkpoint_bytes=checkpoint_bytes,
        )
    except ValueError as exc:  # UnsupportedConfig (names .field) and pydantic's ValidationError
        errors = getattr(exc, "errors", None)
        if callable(errors) and errors():
            first = errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise SourceError(f"{source}: unsupported config: {loc}: {first['msg']}") from None
        raise SourceError(f"{source}: unsupported config: {exc}") from None
    except (TypeError, KeyError) as exc:  # a field of the wrong JSON type (a list where a number belongs)
        raise SourceError(f"{source}: unsupported config: bad value for {exc}") from None
