"""What the map pages read: the points of a view, the papers to highlight, a topic's papers, a paper's place.

Points go to the browser as a compact array: coordinates quantised to 0..4095 (a 1000-unit map at a
quarter-unit step, finer than any screen shows), the topic's number and the paper id; titles only for the
few highlighted papers. A wide view sends the fitted sample (at most :data:`VIEW_LIMIT` points, ~20 papers
per 1,000 at a million), a zoomed view every paper inside it up to the same limit, so the page weighs the
same at 75k papers as at 1M.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from paperfeed.rank.topic_map import MAP_SIZE
from paperfeed.services.feed import PaperCard, cards_for
from paperfeed.services.search import SearchError, search_papers
from paperfeed.store import Database
from paperfeed.store import topic_map as store
from paperfeed.store.papers import get_papers

VIEW_LIMIT = 6000  # points in one answer: ~70 KB gzipped (benchmarks/results/topic_map_cost.md)
QUANT = 4095
SEARCH_HITS = 100
NEIGHBOURS = 6


@dataclass(frozen=True, slots=True)
class PaperPlace:
    topic: store.MapTopic
    neighbours: list[PaperCard]


def overview(db: Database) -> tuple[store.MapBuild | None, list[store.MapTopic]]:
    with db.sessions() as session:
        return store.latest_build(session), store.topics(session)


def quantise(value: float) -> int:
    return max(0, min(QUANT, round(value / MAP_SIZE * QUANT)))


def view_points(db: Database, box: tuple[float, float, float, float] | None, limit: int = VIEW_LIMIT) -> dict:
    """``{"scale": 4095, "points": [[x, y, topic, id], …], "total": n}`` for the view ``box`` (map units)."""
    with db.sessions() as session:
        rows = store.points_in_box(session, box, min(limit, VIEW_LIMIT))
        total = store.count_points(session)
    return {
        "scale": QUANT,
        "total": total,
        "points": [[quantise(x), quantise(y), topic, pid] for pid, x, y, topic in rows],
    }


def highlights(db: Database, *, day: date, reader: int | None, query: str = "") -> dict:
    """The papers to mark (today's, the reader's own, a search's hits), each ``[x, y, topic, id, title]``."""
    with db.sessions() as session:
        today_ids = store.featured_ids(session, day)
        mine_ids = store.reader_paper_ids(session, reader) if reader is not None else []
    found: list[str] = []
    if query.strip():
        try:
            found = [hit.paper.id for hit in search_papers(db, query, limit=SEARCH_HITS).hits]
        except SearchError:
            found = []
    with db.sessions() as session:
        places = store.points_of(session, [*today_ids, *mine_ids, *found])

    def marked(ids: list[str]) -> list[list]:
        return [
            [quantise(places[i][0]), quantise(places[i][1]), places[i][2], i, places[i][3][:120]]
            for i in ids
            if i in places
        ]

    return {"scale": QUANT, "today": marked(today_ids), "mine": marked(mine_ids), "found": marked(found)}


def topic(db: Database, topic_id: int) -> store.MapTopic | None:
    with db.sessions() as session:
        return next((t for t in store.topics(session) if t.id == topic_id), None)


def topic_cards(db: Database, topic_id: int, *, page: int, page_size: int = 30) -> list[PaperCard]:
    with db.sessions() as session:
        ids = store.topic_paper_ids(session, topic_id, limit=page_size, offset=(page - 1) * page_size)
        papers = get_papers(session, ids)
    return cards_for(db, [papers[i] for i in ids if i in papers])


def paper_place(db: Database, paper_id: str) -> PaperPlace | None:
    """The paper's topic and its nearest papers on the map; None if it is not on the map (yet)."""
    with db.sessions() as session:
        place = store.points_of(session, [paper_id]).get(paper_id)
        if place is None:
            return None
        x, y, topic_id, _ = place
        the_topic = next((t for t in store.topics(session) if t.id == topic_id), None)
        if the_topic is None:
            return None
        near = store.map_neighbours(session, paper_id, x, y, limit=NEIGHBOURS, radius=MAP_SIZE / 20)
        papers = get_papers(session, near)
    return PaperPlace(the_topic, cards_for(db, [papers[i] for i in near if i in papers]))
