"""The JSON API: Hugging Face field names, clear 4xx errors, Bearer tokens for writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.services import accounts
from paperfeed.store import Database
from paperfeed.store.models import UserRow
from tests.support.live_server import add_paper, sign_up, test_app

JUL1, JUN30 = date(2026, 7, 1), date(2026, 6, 30)


@pytest.fixture
def client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    add_paper(
        db,
        "2607.00001",
        "Diffusion models for weather",
        JUL1,
        external_upvotes=5,
        submitted_by="ak",
        github_repo="https://github.com/example/weather",
        project_page="https://example.org/weather",
        categories=("cs.LG", "physics.ao-ph"),
    )
    add_paper(db, "2607.00002", "Sparse attention revisited", JUL1)
    add_paper(db, "2606.00003", "Yesterday's transformer", JUN30, external_upvotes=2)
    with TestClient(test_app(db, tmp_path)) as test_client:
        yield test_client


def test_daily_papers_speak_hugging_face(client: TestClient) -> None:
    items = client.get("/api/daily_papers").json()
    assert [i["paper"]["id"] for i in items] == ["2607.00001", "2607.00002"]  # latest day, most upvoted first
    first = items[0]
    assert set(first) == {"paper", "publishedAt", "title", "summary", "numComments", "submittedBy"}
    assert first["submittedBy"] == {"name": "ak"}
    paper = first["paper"]
    assert {
        "id",
        "title",
        "summary",
        "authors",
        "publishedAt",
        "upvotes",
        "githubRepo",
        "projectPage",
        "submittedOnDailyAt",
    } <= set(paper)
    assert paper["authors"] == [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}]
    assert paper["upvotes"] == 5
    assert paper["githubRepo"] == "https://github.com/example/weather"
    assert paper["projectPage"] == "https://example.org/weather"
    assert paper["submittedOnDailyAt"] == "2026-07-01T00:00:00.000Z"
    assert first["title"] == paper["title"] == "Diffusion models for weather"
    assert first["summary"] == paper["summary"] == "An abstract about diffusion models for weather."


def test_daily_papers_by_date_week_month_and_pages(client: TestClient) -> None:
    day = client.get("/api/daily_papers?date=2026-06-30").json()
    assert [i["paper"]["id"] for i in day] == ["2606.00003"]
    week = client.get("/api/daily_papers", params={"week": "2026-W27", "limit": 2}).json()
    assert [i["paper"]["id"] for i in week] == ["2607.00001", "2606.00003"]
    second_page = client.get("/api/daily_papers", params={"week": "2026-W27", "limit": 2, "p": 1}).json()
    assert [i["paper"]["id"] for i in second_page] == ["2607.00002"]
    month = client.get("/api/daily_papers", params={"month": "2026-06"}).json()
    assert [i["paper"]["id"] for i in month] == ["2606.00003"]
    newest = client.get("/api/daily_papers", params={"week": "2026-W27", "sort": "publishedAt"}).json()
    assert newest[-1]["paper"]["id"] == "2606.00003"
    trending = client.get("/api/daily_papers", params={"week": "2026-W27", "sort": "trending"}).json()
    assert trending[0]["paper"]["id"] == "2607.00001"


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("date=2026-02-30", "date '2026-02-30'"),
        ("week=2026-27", "YYYY-Www"),
        ("month=July", "month 'July'"),
        ("sort=hot", "sort 'hot'"),
        ("date=2026-07-01&week=2026-W27", "at most one"),
    ],
)
def test_bad_listing_parameters_are_clear_400s(client: TestClient, query: str, needle: str) -> None:
    response = client.get(f"/api/daily_papers?{query}")
    assert response.status_code == 400
    assert needle in response.json()["detail"]


def test_paper_by_id_and_unknown_paper(client: TestClient) -> None:
    paper = client.get("/api/papers/2607.00001v2").json()  # a versioned id finds the paper
    assert paper["id"] == "2607.00001" and paper["categories"] == ["cs.LG", "physics.ao-ph"]
    missing = client.get("/api/papers/2607.99999")
    assert missing.status_code == 404 and "2607.99999" in missing.json()["detail"]
    assert client.get("/api/papers/not-an-id").status_code == 400


def test_search_and_similar(client: TestClient) -> None:
    hits = client.get("/api/papers/search", params={"q": "diffusion weather"}).json()
    assert hits[0]["paper"]["id"] == "2607.00001"
    assert client.get("/api/papers/search", params={"q": "   "}).status_code == 400
    similar = client.get("/api/papers/2607.00001/similar").json()
    assert "2607.00001" not in [p["id"] for p in similar]
    assert client.get("/api/papers/2607.99999/similar").status_code == 404


def test_writes_need_a_bearer_token(client: TestClient, db: Database) -> None:
    assert client.post("/api/papers/2607.00002/upvote").status_code == 401
    bad = client.post("/api/papers/2607.00002/upvote", headers={"Authorization": "Bearer pf_wrong"})
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"] == "Bearer"
    assert client.post("/api/papers/submit", json={"paper": "2607.00002"}).status_code == 401

    user = accounts.sign_up(db, "apiuser", "a long enough password")
    auth = {"Authorization": f"Bearer {accounts.new_api_token(db, user.id)}"}
    assert client.post("/api/papers/2607.00002/upvote", headers=auth).json() == {
        "paper": "2607.00002",
        "upvotes": 1,
        "voted": True,
    }
    assert client.post("/api/papers/2607.00002/upvote", headers=auth).json()["upvotes"] == 1  # idempotent
    assert client.delete("/api/papers/2607.00002/upvote", headers=auth).json()["upvotes"] == 0
    assert client.post("/api/papers/2607.99999/upvote", headers=auth).status_code == 404
    assert client.delete("/api/papers/2607.99999/upvote", headers=auth).status_code == 404


def test_token_made_on_the_account_page_works_and_is_stored_hashed(client: TestClient, db: Database) -> None:
    csrf = sign_up(client, "pageuser")
    page = client.post("/account/token", data={"csrf_token": csrf})
    token = page.text.split('id="api-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("pf_")
    assert token not in client.get("/account").text  # shown once
    with db.sessions() as session:
        stored = session.query(UserRow.api_token_hash).filter(UserRow.username == "pageuser").scalar()
    assert stored and token not in stored
    voted = client.post("/api/papers/2607.00001/upvote", headers={"Authorization": f"Bearer {token}"})
    assert voted.json()["upvotes"] == 6  # 5 from Hugging Face + this one


def test_openapi_documents_the_api(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/daily_papers", "/api/papers/search", "/api/papers/{paper_id}"} <= set(paths)
