"""The topic map (``/map`` and its JSON), topic pages (``/topics/{id}``) and trends (``/trends``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from paperfeed.services import map_view, trends
from paperfeed.web.charts import bar_chart, colour, line_chart
from paperfeed.web.reader_interests import card_marks
from paperfeed.web.security import current_user, get_db, today
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
CACHE_HEADERS = {"Cache-Control": "public, max-age=300"}  # the same for everyone; changes every few minutes


@router.get("/map")
def map_page(request: Request, q: str = "") -> Response:
    build, topics = map_view.overview(get_db(request))
    return render(request, "map.html", build=build, topics=topics, query=q[:200])


@router.get("/map/points.json")
def map_points(
    request: Request,
    box: Annotated[str | None, Query(description="x0,y0,x1,y1 in map units (0-1000)")] = None,
    limit: Annotated[int, Query(ge=1, le=map_view.VIEW_LIMIT)] = map_view.VIEW_LIMIT,
) -> Response:
    view = _box(box) if box else None
    return JSONResponse(map_view.view_points(get_db(request), view, limit), headers=CACHE_HEADERS)


@router.get("/map/highlights.json")
def map_highlights(request: Request, q: str = "") -> Response:
    user = current_user(request)
    marks = map_view.highlights(
        get_db(request), day=today(request), reader=user.id if user else None, query=q[:200]
    )
    return JSONResponse(marks, headers={"Cache-Control": "private, no-store"})


@router.get("/topics/{topic_id}")
def topic_page(request: Request, topic_id: int, page: Annotated[int, Query(ge=1, le=1000)] = 1) -> Response:
    db = get_db(request)
    topic = map_view.topic(db, topic_id)
    if topic is None:
        raise HTTPException(404, f"No topic {topic_id} on the current map; see /map for its topics.")
    cards = map_view.topic_cards(db, topic_id, page=page)
    chart = trends.topic_weekly(db, topic_id)
    svg = (
        bar_chart(chart.weeks, chart.series[0], f"Papers on {topic.label} per week") if chart.series else None
    )
    return render(
        request, "topic.html", topic=topic, cards=cards, chart=svg, page=page, **card_marks(request, cards)
    )


@router.get("/trends")
def trends_page(request: Request) -> Response:
    db = get_db(request)
    by_topic = trends.weekly(db, "topic")
    by_category = trends.weekly(db, "category")
    return render(
        request,
        "trends.html",
        by_topic=by_topic,
        by_category=by_category,
        topic_chart=line_chart(by_topic, "Papers per week, largest topics"),
        category_chart=line_chart(by_category, "Papers per week, largest categories"),
        rising=trends.rising_topics(db),
        colour=colour,
    )


def _box(text: str) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(part) for part in text.split(","))
    except ValueError:
        raise HTTPException(400, f"box {text[:80]!r} is not four numbers x0,y0,x1,y1") from None
    if not (x0 < x1 and y0 < y1):
        raise HTTPException(400, "box needs x0 < x1 and y0 < y1")
    return x0, y0, x1, y1
