"""A user's collections: the page, and exports as BibTeX and JSON."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.domain.paper import Paper
from paperfeed.services import collections
from paperfeed.services.accounts import User
from paperfeed.services.collections import Collection, CollectionError
from paperfeed.services.feed import cards_for
from paperfeed.web.reader_interests import card_marks
from paperfeed.web.security import get_db, require_user
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/collections/{slug}.{fmt}")
def export_collection(request: Request, slug: str, fmt: str, user: User = Depends(require_user)) -> Response:
    collection, papers = _collection(request, user.id, slug)
    if fmt == "bib":
        return Response(
            collections.to_bibtex(papers),
            media_type="application/x-bibtex; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{collection.slug}.bib"'},
        )
    if fmt == "json":
        return Response(
            collections.to_json(collection, papers),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{collection.slug}.json"'},
        )
    raise HTTPException(404, f"Export format {fmt!r} is unknown; use .bib or .json.")


@router.get("/collections/{slug}", response_class=HTMLResponse)
def collection_page(request: Request, slug: str, user: User = Depends(require_user)) -> Response:
    collection, papers = _collection(request, user.id, slug)
    cards = cards_for(get_db(request), papers)
    return render(
        request, "collection.html", collection=collection, cards=cards, **card_marks(request, cards)
    )


def _collection(request: Request, user_id: int, slug: str) -> tuple[Collection, list[Paper]]:
    try:
        collection = collections.get_collection(get_db(request), user_id, slug)
    except CollectionError as error:
        raise HTTPException(404, str(error)) from None
    return collection, collections.collection_papers(get_db(request), collection)
