"""A user's collections: the page, exports as BibTeX and JSON, and the save menu's two actions beside
``POST /papers/{id}/save`` (in ``community``): take a paper out of a collection, and save it into a new one.

Like every action, they answer JSON to the page's script and a redirect back to plain forms."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from paperfeed.domain.paper import Paper
from paperfeed.services import collections
from paperfeed.services.accounts import User
from paperfeed.services.collections import Collection, CollectionError
from paperfeed.services.community import UnknownPaper
from paperfeed.services.feed import cards_for
from paperfeed.web.reader_interests import card_marks
from paperfeed.web.routes.community import active_reader
from paperfeed.web.security import (
    back_path,
    get_db,
    paper_id_from_path,
    require_csrf,
    require_user,
    wants_json,
)
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False)


@router.post("/papers/{paper_id:path}/unsave", dependencies=[Depends(require_csrf)])
def unsave(request: Request, paper_id: str, collection: str = Form("saved")) -> Response:
    paper_id = paper_id_from_path(paper_id)
    user = active_reader(request, f"/papers/{paper_id}")
    try:
        removed_from = collections.unsave_paper(get_db(request), user.id, paper_id, collection)
    except CollectionError as error:
        raise HTTPException(404, str(error)) from None
    return _saved_answer(request, paper_id, removed_from, saved=False)


@router.post("/papers/{paper_id:path}/save-new", dependencies=[Depends(require_csrf)])
def save_to_new(request: Request, paper_id: str, name: str = Form("")) -> Response:
    """Save into a collection made on the spot (or the reader's existing one of that name)."""
    paper_id = paper_id_from_path(paper_id)
    user = active_reader(request, f"/papers/{paper_id}")
    try:
        saved_to = collections.save_to_new(get_db(request), user.id, paper_id, name)
    except CollectionError as error:
        raise HTTPException(400, str(error)) from None
    except UnknownPaper as error:
        raise HTTPException(404, str(error)) from None
    return _saved_answer(request, paper_id, saved_to, saved=True)


def _saved_answer(request: Request, paper_id: str, collection: Collection, *, saved: bool) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"paper": paper_id, "collection": collection.slug, "name": collection.name, "saved": saved}
        )
    return RedirectResponse(back_path(request, f"/collections/{collection.slug}"), status_code=303)


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
