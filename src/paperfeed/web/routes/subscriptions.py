"""Subscribe, confirm, unsubscribe: the digest's web pages.

- ``POST /subscribe`` answers the same whatever the address's state, so the form cannot be used to learn
  who is subscribed; the confirmation mail goes out after the response (a slow SMTP server never slows
  the page).
- ``GET /confirm/{token}`` only *shows* a "Confirm subscription" button; ``POST /confirm/{token}`` (the
  button) confirms. Corporate link scanners open every link in a mail, and must not subscribe an address
  without its owner. The POST takes no CSRF token: the signed token in the URL is the proof, as for
  unsubscribing, and confirming that one subscription is the one action it can trigger.
- ``GET /unsubscribe/{token}`` only *shows* a button: mail scanners and link previewers fetch links in
  mails, and must not unsubscribe anyone by doing so.
- Subscribing, confirming or "No thanks" (``POST /subscribe/dismiss``) set the ``pf_digest`` cookie that
  hides the subscribe bar in this browser; the footer keeps a link to ``/subscribe``.
- ``/account/subscription`` (signed in, CSRF) changes the account's own digest (frequency, topics) or
  leaves it.
- ``POST /unsubscribe/{token}`` is the RFC 8058 one-click endpoint. Mail clients POST
  ``List-Unsubscribe=One-Click`` with no cookies, so it takes no CSRF token: the signed token in the URL is
  the proof, and unsubscribing is the one action it can trigger.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from paperfeed.config import Settings
from paperfeed.mail.outbox import send_pending
from paperfeed.services import subscriptions
from paperfeed.services.accounts import User
from paperfeed.services.subscriptions import CONFIRM_MAX_AGE, CONFIRM_SALT, FREQUENCIES, InvalidToken
from paperfeed.store import Database
from paperfeed.web.security import back_path, client_key, current_user, get_db, require_csrf, require_user
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
BAR_COOKIE = "pf_digest"  # read by base.html: set, the subscribe bar is not shown
BAR_COOKIE_AGE = 365 * 24 * 3600


def _hide_bar(response: Response, value: str) -> Response:
    """Not httponly-sensitive (it holds no secret), but kept off scripts and same-site like the session."""
    response.set_cookie(BAR_COOKIE, value, max_age=BAR_COOKIE_AGE, httponly=True, samesite="lax")
    return response


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _deliver(db: Database, settings: Settings, outbox_id: int) -> None:
    """Send one queued mail now; if SMTP is down it stays queued for ``digest send-pending``."""
    send_pending(db, settings, only_ids=[outbox_id])


@router.get("/subscribe")
def subscribe_form(request: Request) -> Response:
    user = current_user(request)
    return render(
        request,
        "subscriptions/subscribe.html",
        error=None,
        frequencies=FREQUENCIES,
        form={"email": (user.email if user else "") or "", "frequency": "daily", "topics": ""},
        hide_subscribe_bar=True,  # the page is the form
    )


@router.post("/subscribe", dependencies=[Depends(require_csrf)])
def subscribe(
    request: Request,
    background: BackgroundTasks,
    email: str = Form(""),
    frequency: str = Form("daily"),
    topics: str = Form(""),
) -> Response:
    db, settings, user = get_db(request), _settings(request), current_user(request)
    try:
        outbox_id = subscriptions.request_subscription(
            db,
            settings,
            email=email,
            frequency=frequency,
            topics=topics,
            user_id=user.id if user else None,
            client_ip=client_key(request),
        )
    except ValueError as error:
        return render(
            request,
            "subscriptions/subscribe.html",
            status_code=400,
            error=str(error),
            frequencies=FREQUENCIES,
            form={"email": email, "frequency": frequency, "topics": topics},
            hide_subscribe_bar=True,
        )
    if outbox_id is not None:
        background.add_task(_deliver, db, settings, outbox_id)
    # Rate-limited or not, new or known: the same page, so the answer reveals nothing about the address.
    return _hide_bar(
        render(request, "subscriptions/check_inbox.html", email=email.strip(), hide_subscribe_bar=True),
        "pending",
    )


@router.post("/subscribe/dismiss", dependencies=[Depends(require_csrf)])
def dismiss_bar(request: Request) -> Response:
    """ "No thanks": hide the subscribe bar in this browser and go back to the page."""
    return _hide_bar(RedirectResponse(back_path(request, "/"), status_code=303), "dismissed")


@router.post("/account/subscription", dependencies=[Depends(require_csrf)])
def change_subscription(
    request: Request,
    frequency: str = Form("daily"),
    topics: str = Form(""),
    user: User = Depends(require_user),
) -> Response:
    try:
        subscriptions.change_subscription(get_db(request), user.id, frequency=frequency, topics=topics)
    except LookupError as error:
        raise HTTPException(404, str(error)) from None
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    return RedirectResponse("/account?digest=changed#digest", status_code=303)


@router.post("/account/subscription/leave", dependencies=[Depends(require_csrf)])
def leave_subscription(request: Request, user: User = Depends(require_user)) -> Response:
    try:
        subscriptions.leave_subscription(get_db(request), user.id)
    except LookupError as error:
        raise HTTPException(404, str(error)) from None
    return RedirectResponse("/account?digest=left#digest", status_code=303)


def _check_confirm_token(settings: Settings, token: str) -> None:
    """InvalidToken for an altered or expired link, so the page says so before showing its button.
    (Only a signature check: whether the subscription still exists is for the POST to find out.)"""
    serializer = URLSafeTimedSerializer(settings.resolved_secret_key(), salt=CONFIRM_SALT)
    try:
        serializer.loads(token, max_age=int(CONFIRM_MAX_AGE.total_seconds()))
    except SignatureExpired as error:
        raise InvalidToken("This confirmation link has expired; subscribe again to get a new one.") from error
    except BadSignature as error:
        raise InvalidToken("This confirmation link is not valid; check that it was copied whole.") from error


@router.get("/confirm/{token}")
def confirm_page(request: Request, token: str) -> Response:
    try:
        _check_confirm_token(_settings(request), token)
    except InvalidToken as error:
        return render(request, "subscriptions/link_problem.html", status_code=400, message=str(error))
    return render(request, "subscriptions/confirm.html", token=token)


@router.post("/confirm/{token}")
def confirm(request: Request, token: str) -> Response:
    try:
        subscription = subscriptions.confirm_subscription(get_db(request), _settings(request), token)
    except InvalidToken as error:
        return render(request, "subscriptions/link_problem.html", status_code=400, message=str(error))
    return _hide_bar(
        render(request, "subscriptions/confirmed.html", subscription=subscription, hide_subscribe_bar=True),
        "active",
    )


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str) -> Response:
    try:
        subscriptions.check_unsubscribe_token(_settings(request), token)
    except InvalidToken as error:
        return render(request, "subscriptions/link_problem.html", status_code=400, message=str(error))
    return render(request, "subscriptions/unsubscribe.html", token=token)


@router.post("/unsubscribe/{token}")
async def unsubscribe(request: Request, token: str) -> Response:
    form = await request.form()
    one_click = form.get("List-Unsubscribe") == "One-Click"
    try:
        subscription = subscriptions.unsubscribe_by_token(get_db(request), _settings(request), token)
    except (InvalidToken, LookupError) as error:
        if one_click:
            return PlainTextResponse(str(error), status_code=400)
        return render(request, "subscriptions/link_problem.html", status_code=400, message=str(error))
    if one_click:
        return PlainTextResponse("Unsubscribed.")
    return render(request, "subscriptions/unsubscribed.html", subscription=subscription)
