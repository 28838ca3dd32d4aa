"""/admin on both backends: only admins get in; every action is done, recorded in the audit log and
protected by the CSRF token; the page shows users, reported comments first, submissions, jobs with the
last sync error, and the site's figures. The footer says when the site was last updated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.services import accounts, admin, community, submissions
from paperfeed.services.sync import SyncReport, _mark_day_done, _record_run
from paperfeed.store import Database
from paperfeed.store.models import OutboxRow
from tests.support.live_server import add_paper, csrf_of, sign_up, test_app
from tests.support.replay import ATOM, FIXTURES, ReplayServer, Reply, serve_replay

replay = pytest.fixture(serve_replay)
PAPER = "2607.00001"
PASSWORD = "a long enough password"
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[tuple[Database, Path]]:
    add_paper(db, PAPER, "A paper worth discussing", date(2026, 7, 1))
    accounts.sign_up(db, "root", PASSWORD, admin=True)
    yield db, tmp_path


def log_in(site: tuple[Database, Path], name: str, *, now: datetime = NOW) -> tuple[TestClient, str]:
    client = TestClient(test_app(*site, now=now))
    form = {"username": name, "password": PASSWORD, "csrf_token": csrf_of(client)}
    answer = client.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client, csrf_of(client, "/")


def user_id(db: Database, name: str) -> int:
    found = accounts.get_user_by_name(db, name)
    assert found is not None
    return found.id


def audit(db: Database) -> list[tuple[str, str, str, str]]:
    return [(e.admin_name, e.action, e.target_kind, e.target_id) for e in admin.audit_log(db)]


def test_only_admins_get_in(site: tuple[Database, Path]) -> None:
    db = site[0]
    anonymous = TestClient(test_app(*site))
    assert anonymous.get("/admin", follow_redirects=False).headers["location"] == "/login?next=/admin"
    reader = TestClient(test_app(*site))
    csrf = sign_up(reader, "ada")
    assert reader.get("/admin").status_code == 404
    refused = reader.post(f"/admin/users/{user_id(db, 'ada')}/promote", data={"csrf_token": csrf})
    assert refused.status_code == 404 and not admin.is_admin(db, user_id(db, "ada"))
    root, _ = log_in(site, "root")
    page = root.get("/admin")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for section in ("Sync", "Figures", "Users", "Comments", "Submissions", "Jobs", "Audit log"):
        assert f">{section}</h2>" in page.text
    assert root.post(f"/admin/users/{user_id(db, 'ada')}/promote", data={}).status_code == 403  # no CSRF


def test_user_actions_are_done_and_recorded(site: tuple[Database, Path]) -> None:
    db = site[0]
    ada = TestClient(test_app(*site))
    sign_up(ada, "ada")
    ada_id = user_id(db, "ada")
    root, csrf = log_in(site, "root")

    def act(action: str) -> None:
        done = root.post(f"/admin/users/{ada_id}/{action}", data={"csrf_token": csrf}, follow_redirects=False)
        assert (done.status_code, done.headers["location"]) == (303, "/admin#users")

    act("disable")
    assert admin.is_disabled(db, ada_id)
    assert 'aria-label="Enable ada"' in root.get("/admin").text
    act("enable")
    assert not admin.is_disabled(db, ada_id)
    act("promote")
    assert admin.is_admin(db, ada_id)
    act("demote")
    assert not admin.is_admin(db, ada_id)
    assert ada.get("/account", follow_redirects=False).status_code == 200
    act("logout")
    assert ada.get("/account", follow_redirects=False).status_code == 303  # its session is gone
    assert [a[1] for a in audit(db)] == ["force-logout", "demote", "promote", "enable", "disable"]
    assert {(a[0], a[2], a[3]) for a in audit(db)} == {("root", "user", str(ada_id))}
    log_line = root.get("/admin").text.split('id="audit-h"', 1)[1]
    assert "<td>root</td><td>disable</td><td>user " + str(ada_id) + "</td>" in log_line

    myself = root.post(f"/admin/users/{user_id(db, 'root')}/disable", data={"csrf_token": csrf})
    assert myself.status_code == 400 and "your own account" in myself.text
    assert root.post("/admin/users/999999/disable", data={"csrf_token": csrf}).status_code == 400
    assert root.post(f"/admin/users/{ada_id}/explode", data={"csrf_token": csrf}).status_code == 400


def test_reported_comments_come_first_and_hiding_or_deleting_is_recorded(site: tuple[Database, Path]) -> None:
    db = site[0]
    ada_id = accounts.sign_up(db, "ada", PASSWORD).id
    bob_id = accounts.sign_up(db, "bob", PASSWORD).id
    spam = community.add_comment(db, ada_id, PAPER, "Buy cheap watches.").id
    community.add_comment(db, bob_id, PAPER, "A fair point about the ablation.")
    community.report_comment(db, bob_id, spam, "spam")
    root, csrf = log_in(site, "root")
    section = root.get("/admin").text.split('id="comments-admin-h"', 1)[1]
    assert section.index("Buy cheap watches.") < section.index("A fair point")
    assert "1 report</span>" in section and "“spam”" in section

    hidden = root.post(f"/admin/comments/{spam}/hide", data={"csrf_token": csrf}, follow_redirects=False)
    assert hidden.headers["location"] == "/admin#comments"
    paper = root.get(f"/papers/{PAPER}").text
    assert "Buy cheap watches." not in paper and "This comment was hidden by a moderator." in paper
    section = root.get("/admin").text.split('id="comments-admin-h"', 1)[1]
    assert re.search(r"hidden by root at <time[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>", section)
    assert "report</span>" not in section  # hiding settles the reports

    deleted = root.post(f"/admin/comments/{spam}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert deleted.status_code == 303 and community.get_comment(db, spam) is None
    assert root.post(f"/admin/comments/{spam}/hide", data={"csrf_token": csrf}).status_code == 404
    entries = admin.audit_log(db)
    assert [(e.action, e.target_id) for e in entries[:2]] == [
        ("delete-comment", str(spam)),
        ("hide-comment", str(spam)),
    ]
    assert entries[0].detail == f"by ada on {PAPER}: Buy cheap watches."


def test_dismissing_reports_keeps_the_comment(site: tuple[Database, Path]) -> None:
    db = site[0]
    ada_id = accounts.sign_up(db, "ada", PASSWORD).id
    bob_id = accounts.sign_up(db, "bob", PASSWORD).id
    fine = community.add_comment(db, ada_id, PAPER, "Unpopular but fine.").id
    community.report_comment(db, bob_id, fine)
    root, csrf = log_in(site, "root")
    root.post(f"/admin/comments/{fine}/dismiss", data={"csrf_token": csrf})
    assert admin.moderation_queue(db)[0].open_reports == 0
    assert "Unpopular but fine." in root.get(f"/papers/{PAPER}").text
    assert audit(db)[0][1:] == ("dismiss-reports", "comment", str(fine))


def test_failed_submissions_are_listed_and_retried(site: tuple[Database, Path], replay: ReplayServer) -> None:
    db = site[0]
    replay.script("/api/query", Reply(200, (FIXTURES / "arxiv_api" / "empty.xml").read_bytes(), dict(ATOM)))
    queued = submissions.submit(db, "2606.99999", submitted_by="ada", today=date(2026, 7, 1))
    submissions.run_pending(db, test_app(*site).state.settings)
    root, csrf = log_in(site, "root")
    row = root.get("/admin").text.split(f'id="submission-{queued.id}"', 1)[1].split("</tr>", 1)[0]
    assert "failed" in row and "arXiv has no paper 2606.99999" in row and "Retry" in row
    retried = root.post(
        f"/admin/submissions/{queued.id}/retry", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert retried.headers["location"] == "/admin#submissions"
    assert submissions.get_submission(db, queued.id).status == "queued"  # type: ignore[union-attr]
    again = root.post(f"/admin/submissions/{queued.id}/retry", data={"csrf_token": csrf})
    assert again.status_code == 400 and "only failed ones" in again.text
    assert audit(db) == [("root", "retry-submission", "submission", str(queued.id))]
    assert root.get(f"/submissions/{queued.id}").status_code == 200  # admins may watch any submission


def test_admins_see_why_the_last_sync_failed_and_every_page_says_when_it_was_updated(
    site: tuple[Database, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = site[0]
    monkeypatch.setattr(admin, "SYNC_STATUS_TTL_S", 0.0)
    _mark_day_done(db, date(2026, 6, 30), ("cs.LG",))
    _record_run(db, SyncReport(), error=None)
    later = datetime.now(UTC) + timedelta(hours=3, minutes=1)
    root, csrf = log_in(site, "root", now=later)
    ada = TestClient(test_app(*site, now=later))
    for client in (root, ada):  # the one line web/templating.make_templates is to get (see services/admin)
        client.app.state.templates.env.globals["site_freshness"] = admin.site_freshness  # type: ignore[attr-defined]
    footer = ada.get("/").text.split('class="site-footer"', 1)[1]
    assert '<span class="updated">updated 3 hours ago</span>' in footer and "sync failed" not in footer

    _record_run(db, SyncReport(), error="SourceUnavailable: http://arxiv.example/api: HTTP 503 after 5 tries")
    assert "the last sync failed" not in ada.get("/").text  # readers are not told
    assert '<a href="/admin#sync">the last sync failed</a>' in root.get("/").text
    page = root.get("/admin").text
    sync = page.split('id="sync-h"', 1)[1].split("</section>", 1)[0]
    assert "The last sync failed" in sync and "HTTP 503 after 5 tries" in sync
    assert "papers submitted up to 2026-06-30" in sync
    jobs = page.split('id="jobs-h"', 1)[1].split("</section>", 1)[0]
    assert "sync-run" in jobs and "failed" in jobs and "HTTP 503 after 5 tries" in jobs
    no_categories = root.post("/admin/sync", data={"csrf_token": csrf})
    assert no_categories.status_code == 400 and "PAPERFEED_SYNC_CATEGORIES" in no_categories.text


def test_site_figures(site: tuple[Database, Path]) -> None:
    db = site[0]
    add_paper(db, "2606.00002", "Yesterday's paper", date(2026, 6, 30))
    add_paper(db, "2606.00003", "Another of yesterday", date(2026, 6, 30))
    add_paper(db, "2605.00004", "Too old to count", date(2026, 5, 1))
    readers = [accounts.sign_up(db, f"reader{n}", PASSWORD).id for n in range(3)]
    community.upvote(db, readers[0], PAPER)
    community.upvote(db, readers[1], PAPER)
    community.add_comment(db, readers[1], PAPER, "Nice.")
    with db.session() as session:
        for n, status in enumerate(["sent", "sent", "pending"]):
            sent_at = datetime.now(UTC) if status == "sent" else None
            session.add(
                OutboxRow(
                    idempotency_key=f"k{n}",
                    kind="digest",
                    recipient=f"r{n}@example.org",
                    subject="s",
                    body_text="t",
                    body_html="h",
                    headers={},
                    status=status,
                    attempts=0,
                    created_at=datetime.now(UTC),
                    sent_at=sent_at,
                )
            )
    figures = admin.site_figures(db, today=date(2026, 7, 1), now=datetime.now(UTC))
    assert figures.papers_per_day[-2:] == [(date(2026, 6, 30), 2), (date(2026, 7, 1), 1)]
    assert len(figures.papers_per_day) == 14 and sum(n for _, n in figures.papers_per_day) == 3
    assert (figures.papers, figures.accounts, figures.active_readers) == (4, 4, 2)
    assert (figures.votes, figures.votes_week, figures.comments) == (2, 2, 1)
    assert (figures.mails_sent, figures.mails_sent_week, figures.mails_waiting) == (2, 2, 1)
    root, _ = log_in(site, "root")
    shown = root.get("/admin").text.split('id="figures-h"', 1)[1].split("</section>", 1)[0]
    assert "<dt>Active readers (30 days)</dt><dd>2</dd>" in shown
    assert "<dt>Mails sent</dt><dd>2 (2 this week; 1 waiting, 0 failed)</dd>" in shown
    assert '<meter min="0" max="2" value="2">' in shown


def arxiv_answer(paper_id: str) -> Reply:
    recorded = (FIXTURES / "arxiv_api" / "id-2606.17049.xml").read_bytes()
    return Reply(200, recorded.replace(b"2606.17049", paper_id.encode()), dict(ATOM))


def test_submissions_awaiting_approval_are_approved_or_rejected_and_recorded(
    site: tuple[Database, Path],
    replay: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = site[0]
    monkeypatch.setenv("PAPERFEED_SUBMISSIONS_NEED_APPROVAL", "true")
    papers = {"yesterday": "2606.17049", "for-today": "2606.17050", "spam": "2606.17051"}
    for paper_id in papers.values():
        replay.script("/api/query", arxiv_answer(paper_id), id_list=paper_id)
    ada = accounts.sign_up(db, "ada", PASSWORD)
    yesterday, today_ = date(2026, 6, 30), date(2026, 7, 1)
    held = {
        name: submissions.submit(
            db, paper_id, submitted_by="ada", user_id=ada.id, today=today_ if name == "spam" else yesterday
        ).id
        for name, paper_id in papers.items()
    }
    settings = test_app(*site).state.settings
    assert submissions.run_pending(db, settings) == 3
    root, csrf = log_in(site, "root")
    page = root.get("/admin").text
    assert "Awaiting approval</h3>" in page
    waiting = page.split('id="awaiting-h"', 1)[1].split("</table>", 1)[0]
    for number in held.values():
        assert f'aria-label="Approve submission {number}"' in waiting
        assert f'aria-label="Reject submission {number}"' in waiting
    assert "BRDFusion" in waiting
    for day in ("2026-06-30", "2026-07-01"):
        assert "Submitted by ada" not in root.get(f"/papers/date/{day}").text

    def act(number: int, action: str, **form: str) -> None:
        done = root.post(
            f"/admin/submissions/{number}/{action}",
            data={"csrf_token": csrf, **form},
            follow_redirects=False,
        )
        assert (done.status_code, done.headers["location"]) == (303, "/admin#submissions"), done.text

    no_csrf = root.post(f"/admin/submissions/{held['yesterday']}/approve", data={})
    assert no_csrf.status_code == 403
    act(held["yesterday"], "approve")  # on the day it was submitted
    act(held["for-today"], "approve", on="today")
    act(held["spam"], "reject")
    day_before = root.get("/papers/date/2026-06-30").text
    assert papers["yesterday"] in day_before and papers["for-today"] not in day_before
    today_page = root.get("/papers/date/2026-07-01").text
    assert papers["for-today"] in today_page and papers["spam"] not in today_page
    spam = submissions.get_submission(db, held["spam"])
    assert spam is not None and (spam.status, spam.decided_by) == ("rejected", "root")
    assert spam.decided_at is not None

    again = root.post(f"/admin/submissions/{held['spam']}/approve", data={"csrf_token": csrf})
    assert again.status_code == 400 and "not awaiting approval" in again.text
    assert audit(db) == [
        ("root", "reject-submission", "submission", str(held["spam"])),
        ("root", "approve-submission", "submission", str(held["for-today"])),
        ("root", "approve-submission", "submission", str(held["yesterday"])),
    ]
    page = root.get("/admin").text
    assert "Nothing awaits approval." in page
    row = page.split(f'id="submission-{held["spam"]}"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r"rejected by root at <time[^>]*>", row)
    reader = TestClient(test_app(*site))
    reader.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_of(reader)})
    assert "Not accepted" in reader.get(f"/submissions/{held['spam']}").text
    refused = reader.post(
        f"/admin/submissions/{held['spam']}/reject", data={"csrf_token": csrf_of(reader, "/")}
    )
    assert refused.status_code == 404


def test_without_approval_the_admin_page_has_no_approval_list(site: tuple[Database, Path]) -> None:
    root, _ = log_in(site, "root")
    assert "Awaiting approval" not in root.get("/admin").text
