"""Readers edit and delete their own comments and report others'; hidden comments lose their text for
everyone but their author and the moderators; disabled accounts can no longer take part. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.services import accounts, admin, community
from paperfeed.services.community import CommentError, NotYourComment
from paperfeed.store import Database
from tests.support.live_server import add_paper, sign_up, test_app

PAPER = "2607.00001"


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[tuple[Database, Path]]:
    add_paper(db, PAPER, "A paper worth discussing", date(2026, 7, 1))
    yield db, tmp_path


def reader(site: tuple[Database, Path], name: str) -> tuple[TestClient, str]:
    client = TestClient(test_app(*site))
    return client, sign_up(client, name)


def comment(client: TestClient, csrf: str, body: str) -> int:
    posted = client.post(
        f"/papers/{PAPER}/comments", data={"body": body, "csrf_token": csrf}, follow_redirects=False
    )
    assert posted.status_code == 303, posted.text
    return int(posted.headers["location"].rsplit("#comment-", 1)[1])


def comments_html(client: TestClient) -> str:
    page = client.get(f"/papers/{PAPER}").text
    return page.split('id="comments-h"', 1)[1].split("</section>", 1)[0]


def test_authors_edit_their_comment_and_it_says_edited(site: tuple[Database, Path]) -> None:
    ada, csrf = reader(site, "ada")
    comment_id = comment(ada, csrf, "First thoughts.")
    assert "edited" not in comments_html(ada)
    edited = ada.post(f"/comments/{comment_id}/edit", data={"body": "Second *thoughts*.", "csrf_token": csrf})
    assert edited.url.path == f"/papers/{PAPER}"
    html = comments_html(ada)
    assert "<em>thoughts</em>" in html and "First thoughts" not in html
    assert '<span class="edited"' in html
    bob, _ = reader(site, "bob")
    assert '<span class="edited"' in comments_html(bob)  # every reader sees it was edited


def test_only_the_author_can_edit_or_delete_a_comment(site: tuple[Database, Path]) -> None:
    ada, csrf_ada = reader(site, "ada")
    bob, csrf_bob = reader(site, "bob")
    comment_id = comment(ada, csrf_ada, "Mine.")
    assert (
        bob.post(
            f"/comments/{comment_id}/edit", data={"body": "Yours now", "csrf_token": csrf_bob}
        ).status_code
        == 403
    )
    assert bob.post(f"/comments/{comment_id}/delete", data={"csrf_token": csrf_bob}).status_code == 403
    assert ada.post(f"/comments/{comment_id}/delete", data={}).status_code == 403  # no CSRF token
    assert "Mine." in comments_html(bob)
    with pytest.raises(NotYourComment):
        community.edit_comment(site[0], accounts.get_user_by_name(site[0], "bob").id, comment_id, "x")  # type: ignore[union-attr]
    assert bob.post("/comments/999999/edit", data={"body": "x", "csrf_token": csrf_bob}).status_code == 404


def test_authors_delete_their_comment(site: tuple[Database, Path]) -> None:
    ada, csrf = reader(site, "ada")
    kept = comment(ada, csrf, "Keep this one.")
    gone = comment(ada, csrf, "Delete this one.")
    deleted = ada.post(f"/comments/{gone}/delete", data={"csrf_token": csrf})
    assert deleted.url.path == f"/papers/{PAPER}"
    html = comments_html(ada)
    assert (
        "Delete this one." not in html
        and "Keep this one." in html
        and "Comments (1)" in ada.get(f"/papers/{PAPER}").text
    )
    assert community.get_comment(site[0], gone) is None and community.get_comment(site[0], kept) is not None


def test_a_reader_reports_a_comment_once(site: tuple[Database, Path]) -> None:
    db = site[0]
    ada, csrf_ada = reader(site, "ada")
    bob, csrf_bob = reader(site, "bob")
    comment_id = comment(ada, csrf_ada, "Buy cheap watches here.")
    report = bob.post(f"/comments/{comment_id}/report", data={"reason": "spam", "csrf_token": csrf_bob})
    assert "?reported=" in str(report.url) and "Reported: thank you" in report.text
    again = bob.post(
        f"/comments/{comment_id}/report",
        data={"reason": "spam!", "csrf_token": csrf_bob},
        headers={"Accept": "application/json"},
    )
    assert again.json() == {"comment": comment_id, "reported": True, "first_report": False}
    (queued, *_) = admin.moderation_queue(db)
    assert (queued.comment.id, queued.open_reports, queued.reasons) == (comment_id, 1, ["spam"])
    own = ada.post(f"/comments/{comment_id}/report", data={"csrf_token": csrf_ada})
    assert own.status_code == 400 and "your own comment" in own.text
    with pytest.raises(CommentError):
        community.report_comment(db, accounts.get_user_by_name(db, "ada").id, comment_id)  # type: ignore[union-attr]


def test_a_hidden_comment_shows_hidden_by_a_moderator_to_others(site: tuple[Database, Path]) -> None:
    db = site[0]
    root = accounts.sign_up(db, "root", "a long enough password", admin=True)
    ada, csrf = reader(site, "ada")
    bob, _ = reader(site, "bob")
    comment_id = comment(ada, csrf, "Something rude.")
    admin.hide_comment(db, root.id, comment_id)
    html = comments_html(bob)
    assert "This comment was hidden by a moderator." in html and "Something rude." not in html
    assert "Report" not in html  # nothing left to report
    author_id = accounts.get_user_by_name(db, "ada").id  # type: ignore[union-attr]
    (seen_by_author,) = community.list_comments(db, PAPER, viewer_id=author_id)
    (seen_by_others,) = community.list_comments(db, PAPER, viewer_id=root.id + 1000)
    assert seen_by_author.body == "Something rude."
    assert (seen_by_others.body, seen_by_others.html) == ("", "")
    edit = ada.post(f"/comments/{comment_id}/edit", data={"body": "Nicer now", "csrf_token": csrf})
    assert edit.status_code == 400 and "hid this comment" in edit.text
    admin.hide_comment(db, root.id, comment_id, hidden=False)
    assert "Something rude." in comments_html(bob)


def test_a_disabled_reader_cannot_vote_comment_or_submit(site: tuple[Database, Path]) -> None:
    db = site[0]
    root = accounts.sign_up(db, "root", "a long enough password", admin=True)
    eve, csrf = reader(site, "eve")
    comment_id = comment(eve, csrf, "Before.")
    admin.set_disabled(db, root.id, accounts.get_user_by_name(db, "eve").id, True)  # type: ignore[union-attr]
    for path, data in [
        (f"/papers/{PAPER}/upvote", {}),
        (f"/papers/{PAPER}/comments", {"body": "After."}),
        ("/submit", {"paper": "2606.17049"}),
        (f"/comments/{comment_id}/edit", {"body": "x"}),
        (f"/comments/{comment_id}/report", {}),
    ]:
        answer = eve.post(path, data={**data, "csrf_token": csrf}, follow_redirects=False)
        # 403 from these routes; once sessions ignore disabled accounts, a redirect to the log-in page
        assert answer.status_code in (403, 303), path
        assert "disabled" in answer.text or answer.headers["location"].startswith("/login")
    assert "After." not in comments_html(eve)
