"""Template helpers of the topic map for other pages, registered as Jinja globals by
:func:`register_map_globals` (one line in ``templating.make_templates``):

- ``paper_place(paper_id)``: the paper's topic and its map neighbours (``_paper_place.html``, which the
  paper page includes);
- ``author_trend(paper_ids, name)``: an author's papers per week as an SVG bar chart, for the author page.

They read the database from the template's ``request``, so the pages' routes need not change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from paperfeed.services.map_view import PaperPlace
from paperfeed.services.map_view import paper_place as place_of
from paperfeed.web.charts import author_trend_svg

log = logging.getLogger(__name__)


@pass_context
def paper_place(context: Context, paper_id: str) -> PaperPlace | None:
    """None when the paper is not on the map yet, or the map cannot be read: the paper page still shows."""
    request = context.get("request")
    if request is None:
        return None
    try:
        return place_of(request.app.state.db, paper_id)
    except sa.exc.SQLAlchemyError:
        log.exception("could not read the paper's place on the map")
        return None


@pass_context
def author_trend(context: Context, paper_ids: Sequence[str], author: str) -> Markup:
    request = context.get("request")
    if request is None:
        return Markup("")
    return author_trend_svg(request.app.state.db, paper_ids, author)


def register_map_globals(env: Environment) -> None:
    env.globals["paper_place"] = paper_place
    env.globals["author_trend"] = author_trend
