"""The encoder protocol and the process-wide encoder.

Loading the ONNX model takes about a second, so one encoder is built lazily per process and shared by the
web workers, the CLI and the background embedding job. Anything with ``name``, ``version``, ``dim`` and
``encode`` can stand in (tests and future models); vectors are always stored under :func:`model_key`, so
two models' vectors are never compared with each other.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of ``dim`` dimensions."""

    name: str
    version: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Query-side encoding: one vector per text, truncated to the model's window."""
        ...

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        """Document-side encoding: long texts may be split into windows and pooled."""
        ...


def model_key(encoder: Encoder) -> str:
    """The label stored with every vector: changing model or version means a different key."""
    return f"{encoder.name}@{encoder.version}"


_lock = threading.Lock()
_encoder: Encoder | None = None


def get_encoder() -> Encoder:
    """The process's encoder, built on first use (thread-safe)."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                from paperfeed.embed.minilm import MiniLMEncoder

                _encoder = MiniLMEncoder()
    return _encoder


def current_model_key() -> str:
    """The key vectors are stored under now, without loading the default model just to learn its name."""
    if _encoder is not None:
        return model_key(_encoder)
    from paperfeed.embed.minilm import MiniLMEncoder, minilm_version

    return f"{MiniLMEncoder.name}@{minilm_version()}"


def set_encoder(encoder: Encoder | None) -> None:
    """Replace the process's encoder (a different model; ``None`` goes back to the default)."""
    global _encoder
    with _lock:
        _encoder = encoder


def document_text(title: str, abstract: str) -> str:
    """What of a paper is embedded: the title and the abstract (the words a searcher would use)."""
    return f"{title.strip()} {abstract.strip()}".strip()
