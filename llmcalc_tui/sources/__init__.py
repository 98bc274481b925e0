"""Models from outside the catalog: the Hugging Face Hub, a config.json on disk, a GGUF file; and this machine.

Nothing here is imported by the core; heavy libraries (huggingface_hub, gguf, pynvml) load only when used.
"""

from __future__ import annotations


class SourceError(ValueError):
    """A model source that cannot be read; the message is one line meant for the user."""

    def __init__(self, message: str, field: str = "model"):
        # Paths and repo ids come from the user: control characters are shown escaped, never sent raw.
        text = " ".join(str(message).split())
        self.message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
        self.field = field
        super().__init__(self.message)
