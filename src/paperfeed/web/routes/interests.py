"""What a reader tells the "For you" ranking from the browser: 👍/👎, follows, library imports, resets and the
personal feed's secret URL. Every route is a POST with the session's CSRF token.

Rating answers JSON to the card's script (``Accept: application/json``) and a redirect back to plain forms,
like voting. The library upload's size is checked from ``Content-Length`` before the body is read, and again
while reading, so an oversized file is refused without being parsed.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from paperfeed.ingest.library import LibraryFormatError
from paperfeed.services import accounts, interests, library
from paperfeed.services.community import UnknownPaper
from paperfeed.services.interests import RESETTABLE, InterestError
from paperfeed.services.reader_overview import interests_overview
from paperfeed.store.papers import get_papers
from paperfeed.web.security import (
    back_path,
    get_db,
    paper_id_from_path,
    rate_limit,
    reader_or_login,
    require_csrf,
    wants_json,
)
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a 20,000-entry BibTeX library with abstracts is about 8 MB
SETTINGS = "/settings/interests"
PART_NAMES = {
    "ratings": ("rating", "ratings"),
    "follows": ("follow", "follows"),
    "library": ("library entry", "library entries"),
}


def _upload_size_ok(request: Request) -> None:
    """Runs before the CSRF check reads the body: a declared oversize upload is refused unread."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
        raise HTTPException(413, _too_big())


def _too_big() -> str:
    return (
        f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; export a smaller part of your "
        "library (a collection or a year) and import the parts one after another."
    )


@router.post("/papers/{paper_id:path}/rate", dependencies=[Depends(require_csrf)])
def rate(request: Request, paper_id: str, value: int = Form(...)) -> Response:
    """👍 (``value=1``, more like this) or 👎 (``value=-1``, not interested); replaces an earlier rating."""
    paper_id = paper_id_from_path(paper_id)
    back = back_path(request, f"/papers/{paper_id}")
    user = reader_or_login(request, back)
    rate_limit("vote", request, key=f"user:{user.id}")
    try:
        interests.rate(get_db(request), user.id, paper_id, value)
    except InterestError as error:
        raise HTTPException(400, str(error)) from None
    except UnknownPaper as error:
        raise HTTPException(404, str(error)) from None
    return _rated(request, back, paper_id, value)


@router.post("/papers/{paper_id:path}/unrate", dependencies=[Depends(require_csrf)])
def unrate(request: Request, paper_id: str) -> Response:
    """Undo a 👍 or 👎."""
    paper_id = paper_id_from_path(paper_id)
    back = back_path(request, f"/papers/{paper_id}")
    user = reader_or_login(request, back)
    rate_limit("vote", request, key=f"user:{user.id}")
    db = get_db(request)
    if not interests.unrate(db, user.id, paper_id):
        with db.sessions() as session:
            if not get_papers(session, [paper_id]):
                raise HTTPException(404, str(UnknownPaper(paper_id)))
    return _rated(request, back, paper_id, 0)


def _rated(request: Request, back: str, paper_id: str, value: int) -> Response:
    if wants_json(request):
        return JSONResponse({"paper": paper_id, "rating": value})
    return RedirectResponse(back, status_code=303)


@router.post("/follow", dependencies=[Depends(require_csrf)])
def follow(request: Request, kind: str = Form(""), value: str = Form("")) -> Response:
    """Follow an author, a category or a keyword; back to the page the form was on."""
    back = back_path(request, SETTINGS)
    user = reader_or_login(request, back)
    rate_limit("vote", request, key=f"user:{user.id}")
    try:
        interests.follow(get_db(request), user.id, kind, value)
    except InterestError as error:
        raise HTTPException(400, str(error)) from None
    return RedirectResponse(back, status_code=303)


@router.post("/unfollow", dependencies=[Depends(require_csrf)])
def unfollow(request: Request, kind: str = Form(""), value: str = Form("")) -> Response:
    back = back_path(request, SETTINGS)
    user = reader_or_login(request, back)
    rate_limit("vote", request, key=f"user:{user.id}")
    interests.unfollow(get_db(request), user.id, kind, value)
    return RedirectResponse(back, status_code=303)


@router.post("/onboarding/categories", dependencies=[Depends(require_csrf)])
def follow_categories(
    request: Request,
    category: list[str] = Form([]),
    offered: list[str] = Form([]),
) -> Response:
    """The onboarding checkboxes: the ticked categories are followed, the offered but unticked ones not."""
    user = reader_or_login(request, "/onboarding")
    db = get_db(request)
    try:
        for value in dict.fromkeys(category):
            interests.follow(db, user.id, "category", value)
    except InterestError as error:
        raise HTTPException(400, str(error)) from None
    for value in set(offered) - set(category):
        interests.unfollow(db, user.id, "category", value)
    return RedirectResponse("/onboarding#categories", status_code=303)


@router.post("/library/import", dependencies=[Depends(_upload_size_ok), Depends(require_csrf)])
async def import_library(request: Request) -> Response:
    """Import an exported library (BibTeX, RIS, CSL-JSON, arXiv ids); answers the import report.

    The form is read by hand (no ``File`` parameter), because FastAPI reads declared bodies before any
    dependency runs, and the size check must come first."""
    user = reader_or_login(request, "/onboarding#library")
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(400, "Choose a file to import: a BibTeX, RIS or CSL-JSON export of your library.")
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, _too_big())
    try:
        report = await run_in_threadpool(library.import_library, get_db(request), user.id, data)
    except LibraryFormatError as error:
        message = (
            f"{upload.filename} could not be read: {error}. "
            "Export BibTeX, RIS, CSL-JSON or a list of arXiv ids, one per line."
        )
        return render(
            request,
            "library_import.html",
            status_code=400,
            report=None,
            error=message,
            filename=upload.filename,
        )
    return render(request, "library_import.html", report=report, error=None, filename=upload.filename)


@router.post("/library/{item_id}/remove", dependencies=[Depends(require_csrf)])
def remove_library_item(request: Request, item_id: int) -> Response:
    user = reader_or_login(request, SETTINGS)
    if not library.remove_library_item(get_db(request), user.id, item_id):
        raise HTTPException(404, f"Your library has no entry {item_id}; it may have been removed already.")
    return RedirectResponse(f"{SETTINGS}#library", status_code=303)


@router.post("/settings/interests/reset", dependencies=[Depends(require_csrf)])
def reset(request: Request, part: list[str] = Form([])) -> Response:
    """Forget the chosen parts (ratings, follows, library) of what the reader told the ranking."""
    user = reader_or_login(request, SETTINGS)
    if not part:
        raise HTTPException(400, f"Choose what to reset: {', '.join(RESETTABLE)}.")
    try:
        removed = interests.reset_interests(get_db(request), user.id, tuple(dict.fromkeys(part)))
    except InterestError as error:
        raise HTTPException(400, str(error)) from None
    done = ", ".join(f"{n} {PART_NAMES[what][n != 1]}" for what, n in removed.items())
    request.session["notice"] = f"Reset: removed {done}."
    return RedirectResponse(SETTINGS, status_code=303)


@router.post("/settings/feed-token", dependencies=[Depends(require_csrf)])
def new_feed_token(request: Request) -> Response:
    """A new secret personal-feed URL, shown on this response only (the database keeps its digest);
    the previous URL stops working."""
    user = reader_or_login(request, SETTINGS)
    db = get_db(request)
    token = accounts.new_feed_token(db, user.id)
    return render(
        request, "interests.html", overview=interests_overview(db, user.id), feed_token=token, notice=None
    )


@router.post("/settings/feed-token/revoke", dependencies=[Depends(require_csrf)])
def revoke_feed_token(request: Request) -> Response:
    user = reader_or_login(request, SETTINGS)
    accounts.revoke_feed_token(get_db(request), user.id)
    request.session["notice"] = "Your personal feed URL was revoked; feed readers using it get nothing now."
    return RedirectResponse(f"{SETTINGS}#feed", status_code=303)
