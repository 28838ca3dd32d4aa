"""The comment form's Preview: the comment rendered (Markdown and maths, sanitised) as an HTML fragment,
without storing it. CSRF-protected and rate-limited per reader like posting (its own count, so previews do
not use up the posts). Without JavaScript the form simply posts."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.services import community
from paperfeed.services.community import CommentError
from paperfeed.web.security import rate_limit, reader_or_login, require_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])


@router.post("/comments/preview")
def preview(request: Request, body: str = Form("")) -> Response:
    user = reader_or_login(request, "/")
    rate_limit("comment", request, key=f"preview:{user.id}", label="preview")
    try:
        fragment = community.preview_comment(body)
    except CommentError as error:
        raise HTTPException(400, str(error)) from None
    return HTMLResponse(fragment, headers={"Cache-Control": "no-store"})
