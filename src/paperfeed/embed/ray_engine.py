"""Embedding fanned out over a Ray cluster: one encoder actor per CPU (or GPU), fed batches of texts.

Only this module imports Ray, and only when a pool is opened, so the default install works without it
(``pip install 'paperfeed[ray]'`` adds it). The actors know nothing of the database: they get
``(paper id, text, content hash)`` batches and give back vectors; the caller stores them. Each actor loads
the bundled MiniLM model once, from the paperfeed installed where it runs, so a remote cluster needs the same
paperfeed version on every worker node (the vectors' model key is checked against the caller's).

A GPU is used without any flag: when the cluster offers GPUs, one actor per GPU asks for one, and
onnxruntime's CUDA provider is chosen wherever the installed onnxruntime has it (``onnxruntime-gpu``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from paperfeed.embed.encoder import model_key
from paperfeed.embed.minilm import MiniLMEncoder, onnx_providers

INSTALL_HINT = "pip install 'paperfeed[ray]'"

#: One batch for an actor: (paper id, text to embed, content hash of the paper when it was read).
Batch = Sequence[tuple[str, str, str]]


class RayUnavailable(ValueError):
    """Ray is not installed here, or the cluster cannot be reached or used: a sentence for the user."""


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What an actor reports once its model is loaded (the benchmark's per-actor overhead)."""

    host: str
    model: str
    providers: tuple[str, ...]
    load_seconds: float


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    ids: list[str]
    hashes: list[str]
    vectors: np.ndarray  # float32, one L2-normalised row per id


class EncoderActor:
    """Runs inside a Ray worker process: the encoder is built once and reused for every batch."""

    def __init__(self, threads: int) -> None:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        started = time.perf_counter()
        self._encoder = MiniLMEncoder(threads=threads, providers=onnx_providers())
        self._info = WorkerInfo(
            host=socket.gethostname(),
            model=model_key(self._encoder),
            providers=tuple(self._encoder.providers),
            load_seconds=time.perf_counter() - started,
        )

    def info(self) -> WorkerInfo:
        return self._info

    def encode(self, batch: Batch) -> EncodedBatch:
        vectors = self._encoder.encode_documents([text for _, text, _ in batch])
        return EncodedBatch([pid for pid, _, _ in batch], [digest for _, _, digest in batch], vectors)


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`RayUnavailable` that says how to install it."""
    try:
        import ray
    except ImportError as error:
        raise RayUnavailable(
            f"--engine ray needs Ray, which is not installed here: {INSTALL_HINT}"
        ) from error
    return ray


class RayEncoderPool:
    """Encoder actors on a Ray cluster, fed in submission order and answered in completion order.

    Joins the cluster at ``address`` ("auto": the one this machine belongs to; a ``ray://`` or
    ``host:port`` address: that one); with no address, reuses a Ray already started in this process or
    starts a local one with this machine's CPUs. :meth:`close` disconnects a connection it made (a local
    cluster it started stops with it; a cluster it joined keeps running).
    """

    def __init__(self, *, address: str | None = None, actors: int | None = None) -> None:
        self._ray = ray = import_ray()
        from ray.util import ActorPool

        started = time.perf_counter()
        self._connected_here = False
        if not ray.is_initialized():
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    logging_level=logging.WARNING,
                    log_to_driver=False,  # the actors' own failures still reach us as exceptions
                )
            except (ConnectionError, RuntimeError, ValueError) as error:
                where = address or "(a local one)"
                raise RayUnavailable(f"cannot start or join the Ray cluster {where}: {error}") from error
            self._connected_here = True
        self.cluster_seconds = time.perf_counter() - started
        resources = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
        self.device = "GPU" if gpus else "CPU"
        slots = gpus or cpus
        count = actors or slots
        if count < 1 or count > slots:
            self.close()
            raise RayUnavailable(
                f"the Ray cluster has {slots} {self.device}s: ask for 1 to {slots} actors, not {count}"
            )
        remote = ray.remote(num_cpus=1, num_gpus=1 if gpus else 0)(EncoderActor)
        started = time.perf_counter()
        self._actors = [remote.remote(1) for _ in range(count)]  # one thread each: one actor per CPU
        try:
            self.workers: list[WorkerInfo] = ray.get([actor.info.remote() for actor in self._actors])
        except ray.exceptions.RayError as error:
            self.close()
            raise RayUnavailable(
                f"the encoder actors could not start ({type(error).__name__}: {str(error)[:300]}); "
                f"is paperfeed installed on every node ({INSTALL_HINT})?"
            ) from error
        self.load_seconds = time.perf_counter() - started  # all actors started and their models loaded
        self._pool = ActorPool(self._actors)
        self._in_flight = 0

    @property
    def size(self) -> int:
        return len(self._actors)

    @property
    def in_flight(self) -> int:
        """Batches submitted and not yet collected (running, or queued for the next free actor)."""
        return self._in_flight

    def submit(self, batch: Batch) -> None:
        self._pool.submit(lambda actor, work: actor.encode.remote(work), list(batch))
        self._in_flight += 1

    def next_result(self) -> EncodedBatch:
        """The first batch to finish, whichever actor ran it (an actor's error is raised here)."""
        result: EncodedBatch = self._pool.get_next_unordered()
        self._in_flight -= 1
        return result

    def close(self) -> None:
        """Stop the actors (their CPUs go back to the cluster) and the connection this pool made."""
        for actor in getattr(self, "_actors", []):
            self._ray.kill(actor)
        self._actors = []
        if self._connected_here:
            self._ray.shutdown()
            self._connected_here = False
