"""A model from the Hugging Face Hub: config.json, and the safetensors headers for the bytes really stored.

Everything goes through huggingface_hub, so HF_ENDPOINT (mirrors, local servers), HF_TOKEN (gated models),
HF_HUB_OFFLINE and HF_HOME / HF_HUB_CACHE behave as they do for every other Hugging Face tool. They are read
when a model is fetched (not when the library was imported), and every request has a short timeout.
"""

from __future__ import annotations

import os
from pathlib import Path

from llmcalc_tui.sources import SourceError
from llmcalc_tui.sources.config_dir import RawModel, read_json_config
from llmcalc_tui.sources.safetensors_header import bytes_by_dtype, merge

TIMEOUT_S = 6.0
"""Seconds any one request may wait for the Hub before the model counts as unreachable."""
NO_NETWORK = "cannot reach the Hub; set HF_ENDPOINT or use --model-config"
GATED = "gated model: accept its license and set HF_TOKEN"

# The library reads these once, at import: set them before it is first imported. A user's own values win.
os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", str(int(TIMEOUT_S)))
os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", str(int(TIMEOUT_S)))
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _endpoint() -> str | None:
    return (os.environ.get("HF_ENDPOINT") or "").rstrip("/") or None


def _cache_dir() -> str | None:
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]) / "hub")
    return None


def _offline() -> bool:
    return _truthy("HF_HUB_OFFLINE") or _truthy("TRANSFORMERS_OFFLINE")


def _explain(exc: Exception, what: str) -> SourceError:
    """One line for a failed Hub request."""
    from huggingface_hub import errors

    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, errors.GatedRepoError):
        return SourceError(f"{what}: {GATED}")
    if isinstance(exc, errors.RevisionNotFoundError):
        return SourceError(f"{what}: no such revision on the Hub (404)")
    if isinstance(exc, errors.RepositoryNotFoundError):
        if status == 401:  # the Hub answers 401, not 404, to anonymous requests for missing or private repos
            return SourceError(f"{what}: no such model on the Hub, or it is private or gated: check the name, "
                               "or accept its license and set HF_TOKEN (401)")
        return SourceError(f"{what}: no such model on the Hub (404)")
    if status in (401, 403):
        return SourceError(f"{what}: {GATED}")
    if isinstance(exc, (errors.OfflineModeIsEnabled, errors.LocalEntryNotFoundError)):
        if _offline():
            return SourceError(f"{what}: not in the Hugging Face cache and HF_HUB_OFFLINE is set")
        return SourceError(f"{what}: {NO_NETWORK}")
    if isinstance(exc, (errors.RemoteEntryNotFoundError, errors.EntryNotFoundError)) or status == 404:
        return SourceError(f"{what}: the repository has no config.json (404)")
    if isinstance(exc, errors.HfHubHTTPError) and status is not None:
        return SourceError(f"{what}: the Hub answered HTTP {status}")
    return SourceError(f"{what}: {NO_NETWORK} ({type(exc).__name__})")


def _checkpoint_bytes(repo: str, revision: str | None) -> tuple[dict[str, int] | None, str]:
    """Bytes per stored dtype from the safetensors headers (None with a reason when there are none)."""
    from huggingface_hub import HfApi, errors

    try:
        meta = HfApi(endpoint=_endpoint()).get_safetensors_metadata(repo, revision=revision, timeout=TIMEOUT_S)
    except errors.NotASafetensorsRepoError:
        return None, "no safetensors weights in the repository: weights sized from the config"
    except errors.SafetensorsParsingError as exc:
        raise SourceError(f"hf:{repo}: unreadable safetensors header ({exc})") from None
    files = meta.files_metadata.values()
    return merge(bytes_by_dtype(f.tensors.items()) for f in files), f"safetensors headers of {len(files)} file(s)"


def _reachable(repo: str, revision: str | None) -> bool:
    """One HEAD of config.json with the short timeout and no retries.

    hf_hub_download alone retries an unreachable Hub with back-off for ~25 s when nothing is cached; asking
    once first keeps "no network" quick. Hub answers (404, gated) are raised here; False means no connection.
    """
    import httpx2
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(repo, "config.json", revision=revision, endpoint=_endpoint())
    try:
        get_hf_file_metadata(url, timeout=TIMEOUT_S, endpoint=_endpoint())
    except (httpx2.TransportError, OSError) as exc:
        from huggingface_hub import errors

        if isinstance(exc, errors.HfHubHTTPError):
            raise
        return False
    return True


def read_hub_source(repo: str, revision: str | None = None) -> RawModel:
    """config.json and stored bytes of a Hub model; every failure is one SourceError line."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import logging as hf_logging

    from huggingface_hub.utils import disable_progress_bars

    hf_logging.set_verbosity_error()  # its retry warnings would break the one-line error rule
    disable_progress_bars()  # a progress bar per small file would be noise on stderr and in the app
    what = f"hf:{repo}" + (f"@{revision}" if revision else "")
    try:
        online = not _offline() and _reachable(repo, revision)
        path = hf_hub_download(
            repo, "config.json", revision=revision, endpoint=_endpoint(), cache_dir=_cache_dir(),
            etag_timeout=TIMEOUT_S, local_files_only=not online,
        )
        config = read_json_config(Path(path))
        if online:
            stored, how = _checkpoint_bytes(repo, revision)
        else:
            stored, how = None, "cached config.json (Hub not reachable): weights sized from the config"
    except SourceError:
        raise
    except Exception as exc:  # the library's own errors, httpx transport errors, OSError
        raise _explain(exc, what) from None
    return RawModel(config, stored, name=repo.split("/", 1)[1], hf_repo=repo, notes=f"from {what}; {how}")
