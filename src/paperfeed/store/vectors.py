"""Paper vectors: one row per (paper, model), the database being the source of truth for every index.

SQLite keeps float32 blobs; PostgreSQL keeps a pgvector column with an HNSW index (the fallback while a node's
own index is being built, see search.vector_index). PostgreSQL's vectors are read in pgvector's binary form
(``vector_send``): ten times faster to decode than the text form, which matters for a million of them.
Each row carries the model key and the paper's content hash at embedding time, so a changed paper or a changed
model is simply "pending" again and vectors of two models are never mixed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class PendingPaper:
    id: str
    title: str
    abstract: str
    content_hash: str


class VectorBlock(NamedTuple):
    paper_ids: list[str]
    vectors: np.ndarray  # float32, one row per paper
    row_ids: list[int]  # ``paper_vectors.id`` of each row, ascending


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def vector_column(session: Session, table: str = "") -> str:
    """The select expression of the vector column that :func:`decode_vectors` decodes."""
    column = f"{table}.vector" if table else "vector"
    return column if _is_sqlite(session) else f"vector_send({column})"


def to_pgvector(vector: np.ndarray) -> str:
    """The text form pgvector parses (``[0.1,0.2,…]``), so no driver adapter needs registering.

    Nine significant digits: the fewest that bring every float32 back bit for bit (seven did not, so a vector
    copied from SQLite to PostgreSQL by ``paperfeed restore`` came back slightly different)."""
    return "[" + ",".join(f"{x:.9g}" for x in np.asarray(vector, dtype=np.float32).tolist()) + "]"


def from_pgvector(text: str) -> np.ndarray:
    return np.asarray([float(x) for x in text.strip("[]").split(",")], dtype=np.float32)


def pending_papers(session: Session, model: str, *, limit: int, after: str = "") -> list[PendingPaper]:
    """Papers with no vector for ``model``, or changed since it was made; in id order from ``after``."""
    rows = session.execute(
        sa.text(
            "SELECT p.id, p.title, p.abstract, p.content_hash FROM papers p "
            "LEFT JOIN paper_vectors v ON v.paper_id = p.id AND v.model = :model "
            "WHERE p.id > :after AND (v.id IS NULL OR v.content_hash <> p.content_hash) "
            "ORDER BY p.id LIMIT :limit"
        ),
        {"model": model, "limit": limit, "after": after},
    )
    return [PendingPaper(r[0], r[1] or "", r[2] or "", r[3]) for r in rows]


def count_pending(session: Session, model: str) -> int:
    return session.execute(
        sa.text(
            "SELECT count(*) FROM papers p "
            "LEFT JOIN paper_vectors v ON v.paper_id = p.id AND v.model = :model "
            "WHERE v.id IS NULL OR v.content_hash <> p.content_hash"
        ),
        {"model": model},
    ).scalar_one()


def save_vectors(
    session: Session, model: str, papers: Sequence[tuple[str, str]], vectors: np.ndarray
) -> None:
    """Store one vector per ``(paper_id, content_hash)``, replacing that paper's older vector of ``model``.

    Replacing is delete + insert (not update) so the row id grows: in-process indexes notice new rows by id.
    """
    if not papers:
        return
    ids = [paper_id for paper_id, _ in papers]
    session.execute(
        sa.text("DELETE FROM paper_vectors WHERE model = :model AND paper_id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"model": model, "ids": ids},
    )
    sqlite = _is_sqlite(session)
    value = ":vector" if sqlite else "CAST(:vector AS vector)"
    session.execute(
        sa.text(
            "INSERT INTO paper_vectors (paper_id, model, content_hash, vector) "
            f"VALUES (:paper_id, :model, :content_hash, {value})"
        ),
        [
            {
                "paper_id": paper_id,
                "model": model,
                "content_hash": digest,
                "vector": vec.astype(np.float32).tobytes() if sqlite else to_pgvector(vec),
            }
            for (paper_id, digest), vec in zip(papers, vectors, strict=True)
        ],
    )


def delete_vectors(session: Session, model: str | None = None) -> int:
    """Drop the vectors of ``model`` (or of every model): a full re-index starts from here."""
    if model is None:
        result = session.execute(sa.text("DELETE FROM paper_vectors"))
    else:
        result = session.execute(sa.text("DELETE FROM paper_vectors WHERE model = :m"), {"m": model})
    return int(getattr(result, "rowcount", 0))  # a DELETE's result is a CursorResult


def has_vectors(session: Session, model: str) -> bool:
    return (
        session.execute(sa.text("SELECT 1 FROM paper_vectors WHERE model = :m LIMIT 1"), {"m": model}).first()
        is not None
    )


def vector_state(session: Session, model: str) -> tuple[int, int]:
    """``(count, highest row id)`` of a model's vectors: changes whenever a vector is added or dropped."""
    count, top = session.execute(
        sa.text("SELECT count(*), coalesce(max(id), 0) FROM paper_vectors WHERE model = :m"), {"m": model}
    ).one()
    return int(count), int(top)


def vector_paper_ids(session: Session, model: str) -> set[str]:
    """The papers that have a vector of ``model`` (ids only: a saved index checks what was deleted)."""
    rows = session.execute(sa.text("SELECT paper_id FROM paper_vectors WHERE model = :m"), {"m": model})
    return {r[0] for r in rows}


def iter_vector_blocks(
    session: Session, model: str, *, after_id: int = 0, skip: Set[int] = frozenset(), block: int = 20000
) -> Iterator[VectorBlock]:
    """Blocks of a model's vectors with row id > ``after_id``, in id order, leaving out the rows in ``skip``
    (which a reader following the table has already; their vectors are then not even sent)."""
    wanted: list[int] | None = None
    if skip:
        ids = session.execute(
            sa.text("SELECT id FROM paper_vectors WHERE model = :m AND id > :last ORDER BY id"),
            {"m": model, "last": after_id},
        ).scalars()
        wanted = [i for i in ids if i not in skip]
    last, column = after_id, vector_column(session)
    while True:
        if wanted is None:
            rows = session.execute(
                sa.text(
                    f"SELECT id, paper_id, {column} FROM paper_vectors WHERE model = :m AND id > :last "
                    "ORDER BY id LIMIT :block"
                ),
                {"m": model, "last": last, "block": block},
            ).all()
        else:
            chunk, wanted = wanted[:block], wanted[block:]
            rows = (
                session.execute(
                    sa.text(
                        f"SELECT id, paper_id, {column} FROM paper_vectors WHERE id IN :ids ORDER BY id"
                    ).bindparams(sa.bindparam("ids", expanding=True)),
                    {"ids": chunk},
                ).all()
                if chunk
                else []
            )
        if not rows:
            return
        last = int(rows[-1][0])
        yield VectorBlock(
            [r[1] for r in rows], decode_vectors(session, [r[2] for r in rows]), [int(r[0]) for r in rows]
        )


def get_vector(session: Session, paper_id: str, model: str) -> np.ndarray | None:
    value = session.execute(
        sa.text(f"SELECT {vector_column(session)} FROM paper_vectors WHERE paper_id = :p AND model = :m"),
        {"p": paper_id, "m": model},
    ).scalar()
    return None if value is None else _decode(session, value)


def content_hashes(session: Session, paper_ids: Sequence[str]) -> dict[str, str]:
    """The current content hash of each stored paper among ``paper_ids`` (unknown ids are absent)."""
    if not paper_ids:
        return {}
    rows = session.execute(
        sa.text("SELECT id, content_hash FROM papers WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"ids": list(paper_ids)},
    )
    return {r[0]: r[1] for r in rows}


def without_vector(session: Session, model: str, paper_ids: Sequence[str]) -> dict[str, str]:
    """Content hashes of the listed papers that exist and have no vector of ``model`` yet."""
    if not paper_ids:
        return {}
    rows = session.execute(
        sa.text(
            "SELECT p.id, p.content_hash FROM papers p LEFT JOIN paper_vectors v "
            "ON v.paper_id = p.id AND v.model = :model WHERE p.id IN :ids AND v.id IS NULL"
        ).bindparams(sa.bindparam("ids", expanding=True)),
        {"model": model, "ids": list(paper_ids)},
    )
    return {r[0]: r[1] for r in rows}


def vectors_for(session: Session, model: str, paper_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The ``model`` vectors of the listed papers that have one, in one query per 1,000 ids (a personal
    ranking reads a whole month's listing at once)."""
    column = vector_column(session)
    found: dict[str, np.ndarray] = {}
    ids = list(dict.fromkeys(paper_ids))
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            sa.text(
                f"SELECT paper_id, {column} FROM paper_vectors WHERE model = :m AND paper_id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"m": model, "ids": ids[start : start + 1000]},
        )
        for paper_id, value in rows:
            found[paper_id] = _decode(session, value)
    return found


def sample_vectors(session: Session, model: str, size: int, *, seed: int) -> dict[str, np.ndarray]:
    """About ``size`` vectors of ``model`` picked at random by row id: an indexed lookup, not a scan with
    ``ORDER BY random()``, so it costs the same at a million papers as at a thousand."""
    top = session.execute(
        sa.text("SELECT coalesce(max(id), 0) FROM paper_vectors WHERE model = :m"), {"m": model}
    ).scalar_one()
    if not top:
        return {}
    picks = np.random.default_rng(seed).integers(1, int(top) + 1, size=size * 2).tolist()
    column = vector_column(session)
    rows = session.execute(
        sa.text(
            f"SELECT paper_id, {column} FROM paper_vectors WHERE model = :m AND id IN :ids LIMIT :n"
        ).bindparams(sa.bindparam("ids", expanding=True)),
        {"m": model, "ids": sorted(set(picks)), "n": size},
    )
    return {pid: _decode(session, value) for pid, value in rows}


def _decode(session: Session, value: bytes | memoryview) -> np.ndarray:
    return decode_vectors(session, [value])[0]


def decode_vectors(session: Session, values: Sequence[bytes | memoryview]) -> np.ndarray:
    """Stored vectors, as read through :func:`vector_column`, as a float32 matrix: raw little-endian float32
    on SQLite; on PostgreSQL pgvector's binary form, a 4-byte header (dimensions, unused) then big-endian
    float32."""
    raw = [bytes(v) for v in values]
    if not raw:
        return np.zeros((0, 0), dtype=np.float32)
    if _is_sqlite(session):
        return np.frombuffer(b"".join(raw), dtype=np.float32).reshape(len(raw), -1).copy()
    body = b"".join(r[4:] for r in raw)
    return np.frombuffer(body, dtype=">f4").astype(np.float32).reshape(len(raw), -1)
