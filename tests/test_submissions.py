"""Submissions as background work: a submission is answered at once, whatever arXiv does; workers in any
number of threads and processes fetch it through one politeness limiter in the database."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.services import accounts, admin, submissions
from paperfeed.services.submissions import SubmissionWorker, claim_next, run_now, start_submission_worker
from paperfeed.store import Database
from paperfeed.store.pacing import turn
from paperfeed.store.papers import get_paper
from tests.support import cli
from tests.support.live_server import serve, sign_up, test_app
from tests.support.replay import ATOM, FIXTURES, ReplayServer, Reply, serve_replay

replay = pytest.fixture(serve_replay)
API = "/api/query"
PAPER = "2606.17049"
RECORDED = (FIXTURES / "arxiv_api" / f"id-{PAPER}.xml").read_bytes()
TODAY = date(2026, 7, 1)  # the test app's clock


def answer_for(paper_id: str, *, hold: threading.Event | None = None) -> Reply:
    """The recorded arXiv API answer for one paper, made to be about ``paper_id``."""
    return Reply(200, RECORDED.replace(PAPER.encode(), paper_id.encode()), dict(ATOM), hold=hold)


def wait_until(check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return result


def test_a_submission_answers_at_once_while_arxiv_stalls_and_its_page_shows_the_paper_later(
    db: Database,
    replay: ReplayServer,
    tmp_path: Path,
) -> None:
    stalled = threading.Event()
    replay.script(API, answer_for(PAPER, hold=stalled), id_list=PAPER)
    app = test_app(db, tmp_path)
    stop = start_submission_worker(db, app.state.settings)
    try:
        with TestClient(app) as client:
            csrf = sign_up(client, "ada")
            started = time.monotonic()
            form = {"paper": f"https://arxiv.org/abs/{PAPER}", "csrf_token": csrf}
            answer = client.post("/submit", data=form, follow_redirects=False)
            assert time.monotonic() - started < 1.0
            assert answer.status_code == 303
            status_page = answer.headers["location"]
            assert status_page.startswith("/submissions/")

            replay.wait_for_requests(1)  # the worker now waits on the stalled stand-in; the site does not
            started = time.monotonic()
            page = client.get(status_page)
            assert client.get("/healthz").status_code == 200
            assert time.monotonic() - started < 1.0
            assert "Fetching it from arXiv now" in page.text and 'http-equiv="refresh"' in page.text
            scripted = client.post(
                "/submit",
                data={"paper": "2606.99999", "csrf_token": csrf},
                headers={"Accept": "application/json"},
            )
            assert scripted.status_code == 202
            assert scripted.json()["status"] == "queued"
            assert scripted.headers["location"] == scripted.json()["url"]

            stalled.set()
            wait_until(
                lambda: (
                    client.get(status_page, headers={"Accept": "application/json"}).json()["status"] == "done"
                )
            )
            done = client.get(status_page).text
            assert "Done:" in done and f'href="/papers/{PAPER}"' in done and "http-equiv" not in done
            assert "BRDFusion" in client.get(f"/papers/{PAPER}").text
            assert "Submitted by ada" in client.get("/papers/date/2026-07-01").text
    finally:
        stop()


def test_the_status_page_is_the_submitters_own(db: Database, replay: ReplayServer, tmp_path: Path) -> None:
    with TestClient(test_app(db, tmp_path)) as ada, TestClient(test_app(db, tmp_path)) as bob:
        csrf = sign_up(ada, "ada")
        where = ada.post("/submit", data={"paper": PAPER, "csrf_token": csrf}, follow_redirects=False)
        sign_up(bob, "bob")
        assert bob.get(where.headers["location"]).status_code == 404
        assert ada.get(where.headers["location"]).status_code == 200
        assert PAPER in ada.get("/submissions").text
        token = accounts.new_api_token(db, accounts.get_user_by_name(db, "ada").id)  # type: ignore[union-attr]
        as_script = bob.get(where.headers["location"], headers={"Authorization": f"Bearer {token}"})
        assert as_script.json()["status"] == "queued" and as_script.json()["paper"] == PAPER
        forged = bob.get(where.headers["location"], headers={"Authorization": "Bearer pf_forged"})
        assert forged.status_code == 401
        bad = ada.post("/submit", data={"paper": "not a paper", "csrf_token": csrf})
        assert bad.status_code == 400 and "not an arXiv id" in bad.text


def test_twenty_parallel_submissions_keep_the_interval_across_two_workers(
    db: Database,
    replay: ReplayServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    interval = 0.3
    monkeypatch.setenv("PAPERFEED_REQUEST_INTERVAL_S", str(interval))
    ids = [f"2606.{17049 + n:05d}" for n in range(20)]
    for paper_id in ids:
        replay.script(API, answer_for(paper_id), id_list=paper_id)
    app = test_app(db, tmp_path)
    assert app.state.settings.request_interval_s == interval
    with serve(app) as url:
        readers = [httpx.Client(base_url=url) for _ in range(4)]
        tokens = [sign_up(reader, f"reader{n}") for n, reader in enumerate(readers)]  # type: ignore[arg-type]

        def post(n: int) -> float:
            started = time.monotonic()
            answer = readers[n % 4].post(
                "/submit",
                data={"paper": ids[n], "csrf_token": tokens[n % 4]},
                headers={"Accept": "application/json"},
            )
            assert answer.status_code == 202, answer.text
            return time.monotonic() - started

        # Two workers, each with its own engine and HTTP client, as two processes would have: they share
        # nothing but the database.
        engines = [Database(db.url) for _ in range(2)]
        workers = [SubmissionWorker(engine, app.state.settings, poll_s=0.1) for engine in engines]
        for worker in workers:
            worker.start()
        try:
            with ThreadPoolExecutor(20) as pool:
                answered = list(pool.map(post, range(20)))
            assert max(answered) < 5.0
            wait_until(lambda: all(s.status == "done" for s in submissions.list_submissions(db)), timeout=60)
        finally:
            for worker in workers:
                worker.stop()
            for engine in engines:
                engine.dispose()
            for reader in readers:
                reader.close()
    seen = sorted(r.at for r in replay.requests_to(API))
    assert len(seen) == 20
    gaps = [later - earlier for earlier, later in zip(seen, seen[1:], strict=False)]
    assert min(gaps) >= interval, gaps  # at the stand-in: each request came an interval after the last answer
    assert len({s.claimed_by for s in submissions.list_submissions(db)}) == 2  # both workers did work


def test_turns_never_overlap_and_keep_the_interval_across_engines(db: Database) -> None:
    engines = [db, Database(db.url)]
    interval = 0.1
    held: list[tuple[float, float]] = []

    def send(n: int) -> None:
        with turn(engines[n % 2], "test", interval):
            started = time.monotonic()
            time.sleep(0.02 * (n % 3))  # a request that takes a while
            held.append((started, time.monotonic()))

    try:
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(send, range(12)))
    finally:
        engines[1].dispose()
    held.sort()
    assert len(held) == 12
    assert all(later[0] - earlier[1] >= interval for earlier, later in zip(held, held[1:], strict=False))


def test_an_unknown_paper_fails_with_the_reason(db: Database, replay: ReplayServer) -> None:
    replay.script(
        API, Reply(200, (FIXTURES / "arxiv_api" / "empty.xml").read_bytes(), dict(ATOM)), id_list="2606.99999"
    )
    queued = submissions.submit(db, "2606.99999", submitted_by="ada", today=TODAY)
    failed = run_now(db, Settings(), queued.id)
    assert failed.status == "failed" and "arXiv has no paper 2606.99999" in (failed.error or "")


def test_unreachable_arxiv_is_retried_then_fails_and_an_admin_retry_succeeds(
    db: Database,
    replay: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERFEED_HTTP_RETRIES", "1")
    replay.script(API, Reply(503, b"busy", {"Content-Type": "text/plain"}), id_list=PAPER)
    queued = submissions.submit(db, PAPER, submitted_by="ada", today=TODAY)
    failed = run_now(db, Settings(), queued.id)
    assert (failed.status, failed.attempts) == ("failed", 2)
    assert "arXiv could not be reached after 2 tries" in (failed.error or "")
    assert len(replay.requests_to(API)) == 2

    replay.script(API, answer_for(PAPER), id_list=PAPER)
    assert submissions.retry_submission(db, queued.id)
    assert not submissions.retry_submission(db, queued.id)  # queued now, not failed
    done = run_now(db, Settings(), queued.id)
    assert (done.status, done.attempts, done.error) == ("done", 1, None)
    assert done.title and done.title.startswith("BRDFusion")


def test_a_dead_workers_claim_runs_out_and_another_takes_over(db: Database) -> None:
    queued = submissions.submit(db, PAPER, submitted_by="ada", today=TODAY)
    long_ago = datetime.now(UTC) - submissions.CLAIM_TTL - timedelta(minutes=1)
    assert claim_next(db, "dead-worker", now=long_ago) is not None
    taken = claim_next(db, "live-worker")
    assert taken is not None and (taken.id, taken.claimed_by, taken.attempts) == (queued.id, "live-worker", 2)
    assert claim_next(db, "third-worker") is None  # a live claim is left alone


def test_a_reader_resubmitting_a_pending_paper_gets_the_same_submission(db: Database) -> None:
    from paperfeed.services import accounts

    ada = accounts.sign_up(db, "ada", "a long enough password")
    first = submissions.submit(db, PAPER, submitted_by="ada", user_id=ada.id, today=TODAY)
    again = submissions.submit(db, f"arXiv:{PAPER}v2", submitted_by="ada", user_id=ada.id, today=TODAY)
    assert again.id == first.id


def test_cli_submit_goes_through_the_queue_and_fetches_at_once(replay: ReplayServer, tmp_path: Path) -> None:
    replay.script(API, answer_for(PAPER), id_list=PAPER)
    done = cli.run(tmp_path, "submit", PAPER, "--user", "ada")
    assert done.returncode == 0, done.stderr
    assert f"submitted {PAPER}: BRDFusion" in done.stderr
    db = Database(f"sqlite:///{tmp_path / 'paperfeed.sqlite3'}")
    try:
        (stored,) = submissions.list_submissions(db)
        assert (stored.status, stored.submitted_by, stored.attempts) == ("done", "ada", 1)
    finally:
        db.dispose()
    bad = cli.run(tmp_path, "submit", "not-a-paper")
    assert bad.returncode == 1 and "not an arXiv id" in bad.stderr


def test_with_approval_a_fetched_submission_waits_off_the_day_page_until_an_admin_approves_it(
    db: Database,
    replay: ReplayServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERFEED_SUBMISSIONS_NEED_APPROVAL", "true")
    replay.script(API, answer_for(PAPER), id_list=PAPER)
    app = test_app(db, tmp_path)
    assert app.state.settings.submissions_need_approval
    with TestClient(app) as client:
        csrf = sign_up(client, "ada")
        where = client.post("/submit", data={"paper": PAPER, "csrf_token": csrf}, follow_redirects=False)
        status_page = where.headers["location"]
        assert submissions.run_pending(db, app.state.settings) == 1

        watched = client.get(status_page, headers={"Accept": "application/json"}).json()
        assert (watched["status"], watched["label"]) == ("awaiting", "awaiting approval")
        page = client.get(status_page).text
        assert "Awaiting approval" in page and "BRDFusion" in page and "http-equiv" not in page
        assert "awaiting approval" in client.get("/submissions").text
        with db.sessions() as session:
            assert get_paper(session, PAPER) is not None  # fetched and stored
        assert "Submitted by ada" not in client.get("/papers/date/2026-07-01").text  # not featured
        again = submissions.submit(db, PAPER, submitted_by="ada", user_id=_id(db), today=TODAY)
        assert again.id == watched["id"]  # re-submitting it while it waits changes nothing

        root = accounts.sign_up(db, "root", "a long enough password", admin=True)
        admin.approve_submission(db, root.id, watched["id"])
        assert "Submitted by ada" in client.get("/papers/date/2026-07-01").text
        done = client.get(status_page, headers={"Accept": "application/json"}).json()
        assert (done["status"], done["paperUrl"]) == ("done", f"/papers/{PAPER}")
        stored = submissions.get_submission(db, watched["id"])
        assert stored is not None and stored.decided_by == "root" and stored.decided_at is not None


def _id(db: Database) -> int:
    found = accounts.get_user_by_name(db, "ada")
    assert found is not None
    return found.id


def test_with_approval_a_rejected_submission_is_never_featured(
    db: Database,
    replay: ReplayServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAPERFEED_SUBMISSIONS_NEED_APPROVAL", "true")
    replay.script(API, answer_for(PAPER), id_list=PAPER)
    queued = submissions.submit(db, PAPER, submitted_by="ada", today=TODAY)
    held = run_now(db, Settings(), queued.id)
    assert (held.status, held.label, held.finished_at) == ("awaiting", "awaiting approval", None)
    root = accounts.sign_up(db, "root", "a long enough password", admin=True)
    admin.reject_submission(db, root.id, queued.id)
    rejected = submissions.get_submission(db, queued.id)
    assert rejected is not None and (rejected.status, rejected.decided_by) == ("rejected", "root")
    with pytest.raises(admin.AdminError):
        admin.approve_submission(db, root.id, queued.id)  # decided once, for good
    with TestClient(test_app(db, tmp_path)) as client:
        assert "Submitted by ada" not in client.get("/papers/date/2026-07-01").text
        assert PAPER not in client.get("/papers/date/2026-07-01").text


def test_without_approval_a_fetched_submission_is_featured_at_once(
    db: Database, replay: ReplayServer, tmp_path: Path
) -> None:
    replay.script(API, answer_for(PAPER), id_list=PAPER)
    assert Settings().submissions_need_approval is False
    queued = submissions.submit(db, PAPER, submitted_by="ada", today=TODAY)
    done = run_now(db, Settings(), queued.id)
    assert (done.status, done.decided_by, done.decided_at) == ("done", None, None)
    with TestClient(test_app(db, tmp_path)) as client:
        assert "Submitted by ada" in client.get("/papers/date/2026-07-01").text
    root = accounts.sign_up(db, "root", "a long enough password", admin=True)
    with pytest.raises(admin.AdminError, match="not awaiting approval"):
        admin.reject_submission(db, root.id, queued.id)


def test_with_approval_the_api_submission_is_held_too(
    db: Database, replay: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_SUBMISSIONS_NEED_APPROVAL", "true")
    replay.script(API, answer_for(PAPER), id_list=PAPER)
    with TestClient(test_app(db, tmp_path)) as client:
        sign_up(client, "ada")
        token = accounts.new_api_token(db, _id(db))
        answer = client.post(
            "/api/papers/submit", json={"paper": PAPER}, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 201, answer.text
        assert PAPER in answer.text
        (held,) = submissions.list_submissions(db)
        assert (held.status, held.submitted_by) == ("awaiting", "ada")
        assert "Submitted by ada" not in client.get("/papers/date/2026-07-01").text
