"""The topic map's tables: the current map's points and topics, and its builds.

A full build replaces every point and topic in one transaction, so a reader sees the old map or the new one,
never half of each. New papers are added as points without touching the existing ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.store.models import (
    CollectionItemRow,
    CollectionRow,
    FeedEntryRow,
    LibraryItemRow,
    MapBuildRow,
    MapPointRow,
    MapTopicRow,
    PaperRow,
    RatingRow,
    VoteRow,
)
from paperfeed.store.vectors import decode_vectors, vector_column

INSERT_BATCH = 5000


@dataclass(frozen=True, slots=True)
class MapPoint:
    paper_id: str
    x: float
    y: float
    topic_id: int
    draw_order: int  # random: the lowest ranks of a view are an even sample of its papers


@dataclass(frozen=True, slots=True)
class MapTopic:
    id: int
    label: str
    words: list[str]
    size: int
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class MapBuild:
    id: int
    version: str
    model: str
    built_at: datetime
    sample_size: int
    papers: int
    seconds: float
    params: dict


def replace_map(session: Session, build: MapBuild, topics: Sequence[MapTopic]) -> None:
    """Drop the current map and record a new build with its topics; points follow with :func:`add_points`
    in the same transaction."""
    session.execute(sa.delete(MapPointRow))
    session.execute(sa.delete(MapTopicRow))
    session.add(
        MapBuildRow(
            version=build.version,
            model=build.model,
            built_at=build.built_at,
            sample_size=build.sample_size,
            papers=build.papers,
            seconds=build.seconds,
            params=build.params,
        )
    )
    session.execute(
        sa.insert(MapTopicRow),
        [
            {"id": t.id, "label": t.label, "words": t.words, "size": t.size, "x": t.x, "y": t.y}
            for t in topics
        ],
    )


def add_points(session: Session, points: Iterable[MapPoint], *, anchor: bool = False) -> int:
    added = 0
    batch: list[dict] = []
    for point in points:
        batch.append(
            {
                "paper_id": point.paper_id,
                "x": point.x,
                "y": point.y,
                "topic_id": point.topic_id,
                "anchor": anchor,
                "draw_order": point.draw_order,
            }
        )
        if len(batch) == INSERT_BATCH:
            session.execute(sa.insert(MapPointRow), batch)
            added, batch = added + len(batch), []
    if batch:
        session.execute(sa.insert(MapPointRow), batch)
        added += len(batch)
    return added


def recount_topics(session: Session) -> None:
    """Each topic's size over every placed paper (a build counts its sample only)."""
    counts = dict(
        session.execute(sa.select(MapPointRow.topic_id, sa.func.count()).group_by(MapPointRow.topic_id)).all()
    )
    for row in session.execute(sa.select(MapTopicRow)).scalars():
        row.size = int(counts.get(row.id, 0))


def latest_build(session: Session) -> MapBuild | None:
    row = session.execute(sa.select(MapBuildRow).order_by(MapBuildRow.id.desc()).limit(1)).scalar()
    if row is None:
        return None
    return MapBuild(
        row.id,
        row.version,
        row.model,
        row.built_at,
        row.sample_size,
        row.papers,
        row.seconds,
        row.params or {},
    )


def topics(session: Session) -> list[MapTopic]:
    rows = session.execute(sa.select(MapTopicRow).order_by(MapTopicRow.size.desc(), MapTopicRow.id)).scalars()
    return [MapTopic(r.id, r.label, list(r.words or []), r.size, r.x, r.y) for r in rows]


def anchors(session: Session) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The fitted sample: ids, positions ``(n, 2)`` and topics, in id order."""
    rows = session.execute(
        sa.select(MapPointRow.paper_id, MapPointRow.x, MapPointRow.y, MapPointRow.topic_id)
        .where(MapPointRow.anchor.is_(True))
        .order_by(MapPointRow.paper_id)
    ).all()
    xy = np.array([(r[1], r[2]) for r in rows], dtype=np.float32).reshape(-1, 2)
    return [r[0] for r in rows], xy, np.array([r[3] for r in rows], dtype=np.int32)


def unplaced_vector_blocks(
    session: Session, model: str, *, block: int = 20000
) -> Iterator[tuple[list[str], np.ndarray]]:
    """Vectors of ``model`` whose paper has no point yet, in blocks (row-id order)."""
    column = vector_column(session, "v")
    last = 0
    while True:
        rows = session.execute(
            sa.text(
                f"SELECT v.id, v.paper_id, {column} FROM paper_vectors v "
                "LEFT JOIN map_points m ON m.paper_id = v.paper_id "
                "WHERE v.model = :m AND v.id > :last AND m.paper_id IS NULL ORDER BY v.id LIMIT :block"
            ),
            {"m": model, "last": last, "block": block},
        ).all()
        if not rows:
            return
        last = int(rows[-1][0])
        yield [r[1] for r in rows], decode_vectors(session, [r[2] for r in rows])


def count_points(session: Session) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(MapPointRow)).scalar_one())


def points_in_box(
    session: Session, box: tuple[float, float, float, float] | None, limit: int
) -> list[tuple[str, float, float, int]]:
    """Up to ``limit`` points inside ``(x0, y0, x1, y1)`` (everywhere if None): an even random sample of a
    view too full to send whole (lowest ``draw_order`` first), every paper of a view zoomed in enough."""
    query = sa.select(MapPointRow.paper_id, MapPointRow.x, MapPointRow.y, MapPointRow.topic_id)
    if box is not None:
        x0, y0, x1, y1 = box
        query = query.where(MapPointRow.x.between(x0, x1), MapPointRow.y.between(y0, y1))
    query = query.order_by(MapPointRow.draw_order).limit(limit)
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(query)]


def points_of(session: Session, paper_ids: Sequence[str]) -> dict[str, tuple[float, float, int, str]]:
    """``paper id -> (x, y, topic, title)`` of the listed papers that are on the map."""
    found: dict[str, tuple[float, float, int, str]] = {}
    ids = list(dict.fromkeys(paper_ids))
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            sa.select(
                MapPointRow.paper_id, MapPointRow.x, MapPointRow.y, MapPointRow.topic_id, PaperRow.title
            )
            .join(PaperRow, PaperRow.id == MapPointRow.paper_id)
            .where(MapPointRow.paper_id.in_(ids[start : start + 1000]))
        )
        for pid, x, y, topic, title in rows:
            found[pid] = (x, y, topic, title)
    return found


def map_neighbours(
    session: Session, paper_id: str, x: float, y: float, *, limit: int, radius: float
) -> list[str]:
    """The papers nearest to ``(x, y)`` on the map (within ``radius``), nearest first."""
    distance = (MapPointRow.x - x) * (MapPointRow.x - x) + (MapPointRow.y - y) * (MapPointRow.y - y)
    rows = session.execute(
        sa.select(MapPointRow.paper_id)
        .where(
            MapPointRow.x.between(x - radius, x + radius),
            MapPointRow.y.between(y - radius, y + radius),
            MapPointRow.paper_id != paper_id,
        )
        .order_by(distance, MapPointRow.paper_id)
        .limit(limit)
    )
    return [r[0] for r in rows]


def topic_paper_ids(session: Session, topic_id: int, *, limit: int, offset: int = 0) -> list[str]:
    """A topic's papers, newest first."""
    rows = session.execute(
        sa.select(PaperRow.id)
        .join(MapPointRow, MapPointRow.paper_id == PaperRow.id)
        .where(MapPointRow.topic_id == topic_id)
        .order_by(PaperRow.published.desc().nulls_last(), PaperRow.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [r[0] for r in rows]


def featured_ids(session: Session, day: date) -> list[str]:
    rows = session.execute(sa.select(FeedEntryRow.paper_id).where(FeedEntryRow.featured_on == day))
    return [r[0] for r in rows]


def reader_paper_ids(session: Session, user_id: int) -> list[str]:
    """The reader's own papers: upvoted, saved, 👍, or in their imported library."""
    votes = sa.select(VoteRow.paper_id).where(VoteRow.user_id == user_id)
    saves = (
        sa.select(CollectionItemRow.paper_id)
        .join(CollectionRow, CollectionRow.id == CollectionItemRow.collection_id)
        .where(CollectionRow.user_id == user_id)
    )
    likes = sa.select(RatingRow.paper_id).where(RatingRow.user_id == user_id, RatingRow.value > 0)
    library = sa.select(LibraryItemRow.paper_id).where(
        LibraryItemRow.user_id == user_id, LibraryItemRow.paper_id.is_not(None)
    )
    rows = session.execute(sa.union(votes, saves, likes, library)).scalars().all()
    return [str(paper_id) for paper_id in rows if paper_id]


def counts_by_day(session: Session, by: str, *, since: date) -> list[tuple[date, str, int]]:
    """``(published day, key, papers)`` from ``since`` on, where key is the topic id (``by="topic"``) or the
    primary category (``by="category"``); weeks are summed by the caller, one portable GROUP BY here."""
    if by == "topic":
        key: sa.ColumnElement = sa.cast(MapPointRow.topic_id, sa.String)
        query = sa.select(PaperRow.published, key, sa.func.count()).join(
            MapPointRow, MapPointRow.paper_id == PaperRow.id
        )
    else:
        key = sa.func.coalesce(PaperRow.primary_category, "unknown")
        query = sa.select(PaperRow.published, key, sa.func.count())
    query = query.where(PaperRow.published >= since).group_by(PaperRow.published, key)
    return [(r[0], str(r[1]), int(r[2])) for r in session.execute(query)]


def counts_for_papers(session: Session, paper_ids: Sequence[str], *, since: date) -> list[tuple[date, int]]:
    """Papers per published day among ``paper_ids`` (an author's papers, for their page's chart)."""
    days: dict[date, int] = {}
    ids = list(dict.fromkeys(paper_ids))
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            sa.select(PaperRow.published, sa.func.count())
            .where(PaperRow.id.in_(ids[start : start + 1000]), PaperRow.published >= since)
            .group_by(PaperRow.published)
        )
        for day, count in rows:
            if day is not None:
                days[day] = days.get(day, 0) + int(count)
    return sorted(days.items())


def latest_published(session: Session) -> date | None:
    return session.execute(sa.select(sa.func.max(PaperRow.published))).scalar()
