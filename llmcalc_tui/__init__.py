"""llmcalc: what it takes to run a large language model."""

__version__ = "0.1.0"
