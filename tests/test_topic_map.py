"""The topic map and trends on SQLite and PostgreSQL: every paper with a vector gets a point and a topic named
by words of its titles, new papers are placed without moving anyone, one builder at a time, and the trend
charts count what SQL counts."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from lxml import html
from starlette.testclient import TestClient

from paperfeed.embed import current_model_key
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.rank.topic_map import MAP_SIZE, MapParams
from paperfeed.services import map_view, trends
from paperfeed.services.topic_map import (
    BUILD_HOUR_UTC,
    LEASE,
    MapReport,
    build_map,
    place_new_papers,
    scheduled_round,
)
from paperfeed.store import Database, leases
from paperfeed.store import topic_map as store
from paperfeed.store.models import MapPointRow
from paperfeed.store.vectors import get_vector, save_vectors
from paperfeed.web.charts import author_trend_svg, line_chart
from tests.support import pg
from tests.support.corpus import Corpus, fill
from tests.support.live_server import test_app

SMALL = MapParams(
    sample_size=120, min_topic_size=6
)  # the corpus has ~200 papers: 120 fitted, the rest placed


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def mapped_db(request: pytest.FixtureRequest, corpus: Corpus, tmp_path_factory) -> Iterator[Database]:
    """The corpus with its map built, shared by the read-only tests of this module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('map') / 'map.sqlite3'}"
    else:
        url = pg.fresh_database(request.getfixturevalue("pg_server"), prefix="m")
    database = fill(Database(url), corpus)
    report = build_map(database, SMALL)
    assert report.skipped is None, report.skipped
    trends.clear_cache()
    yield database
    database.dispose()


def _points(db: Database) -> dict[str, tuple[float, float, int]]:
    with db.sessions() as session:
        rows = session.execute(
            sa.select(MapPointRow.paper_id, MapPointRow.x, MapPointRow.y, MapPointRow.topic_id)
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_every_paper_with_a_vector_gets_a_point_and_a_topic(mapped_db: Database, corpus: Corpus) -> None:
    points = _points(mapped_db)
    assert set(points) == {r.paper.id for r in corpus.records}
    with mapped_db.sessions() as session:
        topics = {t.id: t for t in store.topics(session)}
        build = store.latest_build(session)
        anchors = store.anchors(session)[0]
    assert len(topics) >= 2
    assert {topic for _, _, topic in points.values()} <= set(topics)
    assert all(0 <= x <= MAP_SIZE and 0 <= y <= MAP_SIZE for x, y, _ in points.values())
    assert sum(t.size for t in topics.values()) == len(points)  # sizes recounted over every placed paper
    assert build is not None and build.papers == len(points) and build.sample_size == len(anchors) == 120


def test_topic_labels_are_distinctive_words_of_their_titles(mapped_db: Database, corpus: Corpus) -> None:
    points = _points(mapped_db)
    titles: dict[int, str] = {}
    for record in corpus.records:
        topic = points[record.paper.id][2]
        titles[topic] = titles.get(topic, "") + " " + record.paper.title.lower()
    with mapped_db.sessions() as session:
        topics = store.topics(session)
    for topic in topics:
        assert topic.words and topic.label == ", ".join(topic.words)
        for word in topic.words:
            # every label word is in the titles of the papers the build fitted in that topic, hence in the
            # topic's titles; stop words never are
            assert word in " ".join(re.findall(r"[a-z0-9-]+", titles[topic.id])), (word, topic.label)
            assert word not in {"the", "of", "and", "for", "with", "a"}


def test_a_new_paper_is_placed_and_no_existing_point_moves(db: Database, corpus: Corpus) -> None:
    fill(db, corpus)
    assert build_map(db, SMALL).skipped is None
    before = _points(db)
    original = corpus.records[5]
    twin = replace(
        original, paper=replace(original.paper, id="2607.99999", title=original.paper.title + " (v2)")
    )
    with db.session() as session:
        run_ingest(session, [twin])
    model = current_model_key()
    with db.session() as session:
        vector = get_vector(session, original.paper.id, model)
        assert vector is not None
        digest = session.execute(
            sa.text("SELECT content_hash FROM papers WHERE id = '2607.99999'")
        ).scalar_one()
        save_vectors(session, model, [("2607.99999", digest)], vector[None, :])

    report = place_new_papers(db)

    assert report.skipped is None and report.placed == 1
    after = _points(db)
    assert {k: v for k, v in after.items() if k != "2607.99999"} == before
    x, y, topic = after["2607.99999"]
    ox, oy, original_topic = before[original.paper.id]
    assert topic == original_topic  # the same meaning lands in the same topic …
    assert np.hypot(x - ox, y - oy) < MAP_SIZE / 10  # … near its twin
    assert place_new_papers(db).placed == 0  # nothing left to place


def test_one_builder_at_a_time(db: Database, corpus: Corpus) -> None:
    fill(db, corpus)
    assert leases.acquire(db, LEASE, "another-node:1:1", timedelta(minutes=5))
    report = build_map(db, SMALL)
    assert report.skipped and "another process" in report.skipped
    assert place_new_papers(db).skipped
    assert _points(db) == {}
    leases.release(db, LEASE, "another-node:1:1")
    assert build_map(db, SMALL).skipped is None
    assert leases.current_holder(db, LEASE) is None  # released when done


def test_two_builders_at_once_one_builds(db: Database, corpus: Corpus) -> None:
    fill(db, corpus)
    start = threading.Barrier(2)

    def builder() -> MapReport:
        start.wait()
        return build_map(db, SMALL)

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: builder(), range(2)))
    assert sorted(r.skipped is None for r in reports) == [False, True]
    with db.sessions() as session:
        assert int(session.execute(sa.text("SELECT count(*) FROM map_builds")).scalar_one()) == 1


def test_no_map_without_vectors(db: Database, corpus: Corpus) -> None:
    fill(db, corpus, vectors=False)
    assert "at least 5" in (build_map(db, SMALL).skipped or "")
    assert "no map" in (place_new_papers(db).skipped or "")


def test_the_schedule_builds_at_once_then_places_then_rebuilds_the_next_night(
    sqlite_db: Database, corpus: Corpus
) -> None:
    fill(sqlite_db, corpus)

    def builds() -> int:
        with sqlite_db.sessions() as session:
            return int(session.execute(sa.text("SELECT count(*) FROM map_builds")).scalar_one())

    assert scheduled_round(sqlite_db, datetime.now(UTC)).placed == len(corpus.records)  # no map: built now
    assert builds() == 1
    today = datetime.now(UTC)
    assert scheduled_round(sqlite_db, today).placed == 0 and builds() == 1  # same day: only new papers
    tomorrow = (today + timedelta(days=1)).replace(hour=BUILD_HOUR_UTC - 1)
    assert scheduled_round(sqlite_db, tomorrow).skipped is None and builds() == 1  # not yet the hour
    assert scheduled_round(sqlite_db, tomorrow.replace(hour=BUILD_HOUR_UTC)).topics and builds() == 2


def test_map_page_without_a_map_says_how_to_make_one(db: Database, tmp_path: Path) -> None:
    page = _client(db, tmp_path).get("/map")
    assert page.status_code == 200 and "paperfeed map build" in page.text
    assert _client(db, tmp_path).get("/map/points.json").json()["points"] == []
    assert "No papers to chart yet" in _client(db, tmp_path).get("/trends").text


def test_weekly_counts_are_the_sql_counts(mapped_db: Database) -> None:
    trends.clear_cache()
    by_category = trends.weekly(mapped_db, "category", top=100)
    by_topic = trends.weekly(mapped_db, "topic", top=100)
    first = by_category.weeks[0]
    with mapped_db.sessions() as session:
        expected = dict(
            session.execute(
                sa.text(
                    "SELECT coalesce(primary_category, 'unknown'), count(*) FROM papers "
                    "WHERE published >= :first GROUP BY 1"
                ),
                {"first": first},
            ).all()
        )
        per_topic = dict(
            session.execute(
                sa.text(
                    "SELECT m.topic_id, count(*) FROM papers p JOIN map_points m ON m.paper_id = p.id "
                    "WHERE p.published >= :first GROUP BY m.topic_id"
                ),
                {"first": by_topic.weeks[0]},
            ).all()
        )
    assert {s.key: s.total for s in by_category.series} == expected
    assert {int(s.key): s.total for s in by_topic.series} == per_topic
    assert all(len(s.counts) == len(by_category.weeks) for s in by_category.series)


def _client(db: Database, tmp_path: Path) -> TestClient:
    return TestClient(test_app(db, tmp_path))


def test_map_page_lists_topics_and_serves_compact_points(mapped_db: Database, tmp_path: Path) -> None:
    client = _client(mapped_db, tmp_path)
    page = html.fromstring(client.get("/map").text)
    with mapped_db.sessions() as session:
        topics = store.topics(session)
    links = page.xpath('//ol[@id="topic-list"]//a')
    assert [a.text_content() for a in links] == [t.label for t in topics]
    assert links[0].get("href") == f"/topics/{topics[0].id}"

    answer = client.get("/map/points.json").json()
    assert answer["total"] == len(_points(mapped_db)) == len(answer["points"])
    assert all(0 <= x <= answer["scale"] and 0 <= y <= answer["scale"] for x, y, _, _ in answer["points"])
    zoomed = client.get("/map/points.json", params={"box": "0,0,500,500"}).json()["points"]
    assert all(x <= answer["scale"] / 2 + 1 and y <= answer["scale"] / 2 + 1 for x, y, _, _ in zoomed)
    assert client.get("/map/points.json", params={"box": "1,2,x,4"}).status_code == 400
    assert client.get("/map/points.json", params={"box": "5,5,1,1"}).status_code == 400


def test_highlights_mark_search_hits(mapped_db: Database, corpus: Corpus, tmp_path: Path) -> None:
    title = corpus.records[3].paper.title
    answer = _client(mapped_db, tmp_path).get("/map/highlights.json", params={"q": title}).json()
    assert corpus.records[3].paper.id in [row[3] for row in answer["found"]]
    assert answer["mine"] == []  # nobody is logged in


def test_topic_page_and_trends_page_draw_their_counts(mapped_db: Database, tmp_path: Path) -> None:
    client = _client(mapped_db, tmp_path)
    trends.clear_cache()
    with mapped_db.sessions() as session:
        topic = store.topics(session)[0]
    page = html.fromstring(client.get(f"/topics/{topic.id}").text)
    assert page.xpath("//h1")[0].text_content() == f"Topic: {topic.label}"
    bars = page.xpath('//svg[@class="chart"]//rect[@class="bar"]')
    assert (
        bars
        and sum(int(b.get("data-count")) for b in bars)
        == trends.topic_weekly(mapped_db, topic.id).series[0].total
    )
    assert len(page.xpath('//article[@class="card"]')) == min(30, topic.size)
    assert client.get("/topics/99999").status_code == 404

    trends_page = html.fromstring(client.get("/trends").text)
    chart = trends.weekly(mapped_db, "category")
    for series in chart.series:
        marks = trends_page.xpath(
            f'//*[@id="category-chart"]//g[@data-key="{series.key}"]/circle[@class="mark"]'
        )
        assert [int(m.get("data-count")) for m in marks] == series.counts


def test_paper_place_partial_names_the_topic_and_neighbours(
    mapped_db: Database, corpus: Corpus, tmp_path: Path
) -> None:
    paper_id = corpus.records[7].paper.id
    place = map_view.paper_place(mapped_db, paper_id)
    assert place is not None and place.neighbours
    assert paper_id not in [c.paper.id for c in place.neighbours]
    app = test_app(mapped_db, tmp_path)
    detail = type("Detail", (), {"card": type("Card", (), {"paper": corpus.records[7].paper})()})()
    request = type("Req", (), {"app": app})()
    rendered = app.state.templates.get_template("_paper_place.html").render(request=request, detail=detail)
    fragment = html.fromstring(rendered)
    assert fragment.xpath(f'//a[@href="/topics/{place.topic.id}"]')[0].text_content() == place.topic.label
    assert len(fragment.xpath('//ul[@class="neighbours"]/li')) == len(place.neighbours)
    assert map_view.paper_place(mapped_db, "0000.00000") is None


def test_charts_escape_labels_and_the_author_chart_counts_their_papers(
    mapped_db: Database, corpus: Corpus
) -> None:
    weeks = [date(2026, 6, 15), date(2026, 6, 22)]
    hostile = trends.Series("x", "<script>alert(1)</script>", None, [1, 2])
    svg = str(line_chart(trends.WeeklyChart(weeks, [hostile]), "t"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    author = corpus.records[0].paper.authors[0]
    ids = [r.paper.id for r in corpus.records if author in r.paper.authors]
    bars = html.fromstring(str(author_trend_svg(mapped_db, ids, author))).xpath('//rect[@class="bar"]')
    assert sum(int(b.get("data-count")) for b in bars) == len(ids)
