"""Author pages ``/authors/{name}``: the author's papers here (newest first, paged), a follow button, their
co-authors and categories, and an RSS/Atom feed of their papers (``/authors/{name}.atom``, ``.rss``)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.services import authors
from paperfeed.services.authors import UnknownAuthor
from paperfeed.services.feed import PaperCard
from paperfeed.web.author_links import author_path
from paperfeed.web.reader_interests import card_marks
from paperfeed.web.routes.feeds import feed_document
from paperfeed.web.security import current_user, get_db
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
FEEDS = (".atom", ".rss")


@router.get("/authors/{name:path}")
def author(request: Request, name: str, page: int = 1) -> Response:
    """One route for the page and its feeds: a name may hold dots and slashes, so no path pattern can
    tell "/authors/Y. LeCun" from a feed; the two known suffixes can."""
    if name.endswith(FEEDS):
        return _feed(request, *name.rsplit(".", 1))
    user = current_user(request)
    try:
        found = authors.author_page(get_db(request), name, page=page, reader=user.id if user else None)
    except UnknownAuthor as error:
        raise HTTPException(404, str(error)) from None
    return render(
        request,
        "authors.html",
        author=found,
        followed={("author", found.name)} if found.followed else set(),
        author_path=author_path(found.name),
        **card_marks(request, found.cards),
    )


def _feed(request: Request, name: str, fmt: str) -> Response:
    try:
        spelling, papers = authors.author_feed(get_db(request), name)
    except UnknownAuthor as error:
        raise HTTPException(404, str(error)) from None
    cards = [PaperCard(paper, 0) for paper in papers]
    return feed_document(request, fmt, f"paperfeed — papers by {spelling}", author_path(spelling), cards)
