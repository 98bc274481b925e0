"""llmcalc: what it takes to run a large language model."""

from __future__ import annotations

DISTRIBUTION = "llmcalc"
"""Name of the installed distribution; its metadata holds the version, typed once in pyproject.toml."""


def package_version() -> str:
    """The installed version (from pyproject.toml via the package metadata); "0+unknown" when run uninstalled."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


def __getattr__(name: str) -> str:
    # Read lazily: importlib.metadata costs start-up time that only `--version` needs.
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
