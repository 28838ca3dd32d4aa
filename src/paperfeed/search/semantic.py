"""Vector search behind one interface: the node's own index (:mod:`vector_index`) on either backend, and on
PostgreSQL pgvector's HNSW while that index is loading (or when ``ENGINE = "database"``, the "before" of
benchmarks/search_speed_pg.py).

Every function takes the model key, and every query filters on it: a vector of another model is never
compared with this model's query.
"""

from __future__ import annotations

import logging

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.search.filters import SearchFilters, filter_sql
from paperfeed.search.vector_index import VectorIndex, index_for
from paperfeed.store.vectors import get_vector, to_pgvector

log = logging.getLogger(__name__)
EF_SEARCH = 200  # pgvector hnsw.ef_search; recall@10 at 100k papers: 40 -> 0.75, 100 -> 0.91, 200 -> 0.96
ENGINE = "index"  # "index" (the node's own) or "database" (pgvector; SQLite has only the index)


def node_index(session: Session, model: str) -> VectorIndex | None:
    """The node's index of ``model``, up to date; None while PostgreSQL must answer (loading, or failing).

    Brought up to date once per session once it answers: a hybrid search asks for neighbours, then
    similarities, then vectors, and on PostgreSQL each refresh is two round trips."""
    key = ("paperfeed.vector_index", model)
    if session.info.get(key) is not None:
        return session.info[key]
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite" and ENGINE != "index":
        return None
    index = index_for(str(engine.url), model)
    try:
        ready = index.refresh(session)  # always True on SQLite, which has no other index to fall back on
    except OSError:
        if engine.dialect.name == "sqlite":
            raise
        log.exception("the vector index is unavailable; searching pgvector")
        ready = False
    if not ready:  # loading (or failing): every call looks again
        return None
    session.info[key] = index
    return index


def nearest(
    session: Session,
    model: str,
    query: np.ndarray,
    *,
    limit: int,
    filters: SearchFilters = SearchFilters(),
    exclude: str | None = None,
) -> list[tuple[str, float]]:
    """``(paper id, cosine similarity)`` of the nearest papers, best first."""
    if limit <= 0:
        return []
    index = node_index(session, model)
    if index is not None:
        allowed = _allowed_ids(session, filters) if filters.active else None
        hits = index.nearest(query, limit + (1 if exclude else 0), allowed)
        return [h for h in hits if h[0] != exclude][:limit]
    where, params = filter_sql(filters, session.get_bind().dialect.name)
    connection = session.connection()
    # A search's session runs without a transaction (Database.read_session), where SET LOCAL does nothing and
    # a plain SET could reach another server connection than the query behind PgBouncer (transaction mode):
    # this one query gets a transaction of its own.
    own = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    if own:
        connection.exec_driver_sql("BEGIN")
    try:
        connection.exec_driver_sql(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH, limit)}")
        connection.exec_driver_sql("SET LOCAL hnsw.iterative_scan = relaxed_order")
        rows = connection.execute(
            sa.text(
                "SELECT v.paper_id, 1 - (v.vector <=> CAST(:q AS vector)) AS score FROM paper_vectors v JOIN "
                f"papers p ON p.id = v.paper_id WHERE v.model = :model AND v.paper_id <> :exclude{where} "
                "ORDER BY v.vector <=> CAST(:q AS vector) LIMIT :limit"
            ),
            params | {"q": to_pgvector(query), "model": model, "limit": limit, "exclude": exclude or ""},
        ).all()
    finally:
        if own:
            connection.exec_driver_sql("COMMIT")
    return sorted(((r[0], float(r[1])) for r in rows), key=lambda h: -h[1])


def similarities(session: Session, model: str, query: np.ndarray, paper_ids: list[str]) -> dict[str, float]:
    """Exact cosine between the query and each listed paper that has a vector of ``model``."""
    if not paper_ids:
        return {}
    index = node_index(session, model)
    if index is not None:
        return index.scores(query, paper_ids)
    rows = session.execute(
        sa.text(
            "SELECT paper_id, 1 - (vector <=> CAST(:q AS vector)) FROM paper_vectors "
            "WHERE model = :model AND paper_id IN :ids"
        ).bindparams(sa.bindparam("ids", expanding=True)),
        {"q": to_pgvector(query), "model": model, "ids": paper_ids},
    )
    return {r[0]: float(r[1]) for r in rows}


def paper_vector(session: Session, model: str, paper_id: str) -> np.ndarray | None:
    index = node_index(session, model)
    if index is not None:
        vector = index.vector(paper_id)
        if vector is not None:
            return vector
    return get_vector(session, paper_id, model)


def paper_vectors(session: Session, model: str, paper_ids: list[str]) -> np.ndarray:
    """Vectors of the listed papers that have one (for pseudo-relevance feedback)."""
    found = [v for v in (paper_vector(session, model, pid) for pid in paper_ids) if v is not None]
    return np.stack(found) if found else np.zeros((0, 0), dtype=np.float32)


def _allowed_ids(session: Session, filters: SearchFilters) -> set[str]:
    where, params = filter_sql(filters, session.get_bind().dialect.name)
    return {r[0] for r in session.execute(sa.text(f"SELECT p.id FROM papers p WHERE 1 = 1{where}"), params)}
