"""Sentence embeddings: the :class:`Encoder` protocol and the bundled MiniLM encoder (offline, ONNX)."""

from paperfeed.embed.encoder import (
    Encoder,
    current_model_key,
    document_text,
    get_encoder,
    model_key,
    set_encoder,
)

__all__ = ["Encoder", "current_model_key", "document_text", "get_encoder", "model_key", "set_encoder"]
