"""For you on the web: 👍/👎 change the next ranking, the For-you sort and page, onboarding, the library
upload, the personal feed, ``GET /api/for-you``, CSRF on every form, and titles escaped inside reasons.

Real papers of the bundled sample (two listing days, with their shipped vectors) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from starlette.testclient import TestClient

from paperfeed.embed import current_model_key
from paperfeed.ingest.records import Record
from paperfeed.search.indexing import load_precomputed_vectors
from paperfeed.services import accounts, interests
from paperfeed.services.library import embed_library_pending
from paperfeed.services.sample import sample_vectors_path
from paperfeed.store import Database
from paperfeed.store.vectors import content_hashes, save_vectors, vectors_for
from tests.support.live_server import add_paper, csrf_of, load_sample, sign_up, test_app

JUL1, JUN30 = "2026-07-01", "2026-06-30"
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Site:
    client: TestClient
    db: Database
    days: dict[str, list[Record]]  # listing day → its papers, in the sample's order

    def ids(self, day: str) -> list[str]:
        return [r.paper.id for r in self.days[day]]


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    records = load_sample(db, 80, days=2)  # 40 a day: one page
    load_precomputed_vectors(db, sample_vectors_path())
    days: dict[str, list[Record]] = {}
    for record in records:
        days.setdefault(str(record.feed_entry.featured_on), []).append(record)  # type: ignore[union-attr]
    with TestClient(test_app(db, tmp_path)) as client:
        yield Site(client, db, days)


def _card_ids(html: str) -> list[str]:
    return re.findall(r'<article class="card"[^>]*data-paper="([^"]+)"', html)


def _reasons(html: str) -> list[str]:
    return re.findall(r'<p class="reasons"><span class="why">Why:</span> (.*?)</p>', html)


def _for_you_ids(client: TestClient, day: str = JUL1) -> list[str]:
    response = client.get(f"/papers/date/{day}?sort=for_you")
    assert response.status_code == 200, response.text
    return _card_ids(response.text)


def _rate(client: TestClient, token: str, paper_id: str, value: int) -> None:
    response = client.post(
        f"/papers/{paper_id}/rate",
        data={"value": str(value), "csrf_token": token},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"paper": paper_id, "rating": value}


def _follow(client: TestClient, token: str, kind: str, value: str) -> None:
    response = client.post(
        "/follow", data={"kind": kind, "value": value, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def _user_id(db: Database, name: str) -> int:
    user = accounts.get_user_by_name(db, name)
    assert user is not None
    return user.id


def _closest_pair(site: Site) -> tuple[str, str]:
    """(a paper of Jun 30, the paper of Jul 1 most like it), for the pair that is most alike."""
    with site.db.sessions() as session:
        vectors = vectors_for(session, current_model_key(), site.ids(JUN30) + site.ids(JUL1))
    later = site.ids(JUL1)
    matrix = np.stack([vectors[pid] for pid in later])
    scored = [
        (float((matrix @ vectors[x]).max()), x, later[int((matrix @ vectors[x]).argmax())])
        for x in site.ids(JUN30)
    ]
    _, liked, similar = max(scored)
    return liked, similar


def test_more_like_this_pulls_similar_papers_up(site: Site) -> None:
    token = sign_up(site.client, "reader")
    liked, similar = _closest_pair(site)
    before = _for_you_ids(site.client)  # nothing told yet: the trending order
    _rate(site.client, token, liked, +1)
    html = site.client.get(f"/papers/date/{JUL1}?sort=for_you").text
    after = _card_ids(html)
    assert sorted(after) == sorted(before)  # the same listing, reordered
    assert after.index(similar) < 3 and (after.index(similar) < before.index(similar) or before[0] == similar)
    card = html[html.index(f'data-paper="{similar}"') :]
    title = next(r.paper.title for r in site.days[JUN30] if r.paper.id == liked)
    assert "Like “" + " ".join(title.split())[:40] in card[: card.index("</article>")]


def test_not_interested_hides_a_paper_until_undone(site: Site) -> None:
    token = sign_up(site.client, "reader")
    _follow(site.client, token, "category", "cs.CV")
    first = _for_you_ids(site.client)[0]
    _rate(site.client, token, first, -1)
    html = site.client.get(f"/papers/date/{JUL1}?sort=for_you").text
    assert first not in _card_ids(html)
    assert "1 paper you dismissed is hidden" in html
    assert first in _card_ids(site.client.get(f"/papers/date/{JUL1}?sort=upvotes").text)  # only For you hides
    undone = site.client.post(
        f"/papers/{first}/unrate", data={"csrf_token": token}, headers={"accept": "application/json"}
    )
    assert undone.json() == {"paper": first, "rating": 0}
    assert first in _for_you_ids(site.client)


def test_rating_a_plain_form_goes_back_and_unknown_papers_are_404(site: Site) -> None:
    token = sign_up(site.client, "reader")
    paper = site.ids(JUL1)[0]
    back = site.client.post(
        f"/papers/{paper}/rate",
        data={"value": "1", "csrf_token": token},
        headers={"referer": f"http://testserver/papers/date/{JUL1}"},
        follow_redirects=False,
    )
    assert back.status_code == 303 and back.headers["location"] == f"/papers/date/{JUL1}"
    page = site.client.get(f"/papers/{paper}").text
    assert f'formaction="/papers/{paper}/unrate"' in page  # the pressed 👍 undoes
    assert re.search(r'value="1" class="rate-button like"\s+formaction="[^"]+"\s+aria-pressed="true"', page)
    for path in ("/papers/2607.99999/rate", "/papers/2607.99999/unrate"):
        assert site.client.post(path, data={"value": "1", "csrf_token": token}).status_code == 404
    five = site.client.post(f"/papers/{paper}/rate", data={"value": "5", "csrf_token": token})
    assert five.status_code == 400


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/papers/{paper}/rate", {"value": "1"}),
        ("/papers/{paper}/unrate", {}),
        ("/follow", {"kind": "category", "value": "cs.CV"}),
        ("/unfollow", {"kind": "category", "value": "cs.CV"}),
        ("/settings/interests/reset", {"part": "ratings"}),
        ("/settings/feed-token", {}),
        ("/onboarding/categories", {"category": "cs.CV", "offered": "cs.CV"}),
        ("/library/1/remove", {}),
    ],
)
def test_every_interest_form_needs_the_csrf_token(site: Site, path: str, form: dict[str, str]) -> None:
    sign_up(site.client, "reader")
    response = site.client.post(path.format(paper=site.ids(JUL1)[0]), data=form)
    assert response.status_code == 403
    assert "security token" in response.text


def test_library_upload_needs_the_csrf_token(site: Site) -> None:
    sign_up(site.client, "reader")
    response = site.client.post("/library/import", files={"file": ("lib.bib", b"@misc{a, title={X}}")})
    assert response.status_code == 403
    reader = _user_id(site.db, "reader")
    assert not interests.follows_of(site.db, reader)["category"]


def test_reasons_are_shown_on_every_for_you_card(site: Site) -> None:
    token = sign_up(site.client, "reader")
    _follow(site.client, token, "category", "cs.CV")
    html = site.client.get("/for-you").text
    cards, reasons = _card_ids(html), _reasons(html)
    assert cards and len(reasons) == len(cards)
    assert any("In cs.CV, which you follow" in r for r in reasons)
    assert 'data-personal="true"' in html


def test_for_you_is_the_default_sort_only_for_a_reader_with_interests(site: Site) -> None:
    anonymous = site.client.get(f"/papers/date/{JUL1}").text
    assert 'data-sort="upvotes"' in anonymous and ">For you</a>" not in anonymous
    gate = site.client.get(f"/papers/date/{JUL1}?sort=for_you", follow_redirects=False)
    assert gate.status_code == 303 and gate.headers["location"].startswith("/login?next=")

    token = sign_up(site.client, "reader")
    fresh = site.client.get(f"/papers/date/{JUL1}").text
    assert 'data-sort="upvotes"' in fresh and ">For you</a>" in fresh  # the tab, not the default
    prompt = site.client.get(f"/papers/date/{JUL1}?sort=for_you").text
    assert 'href="/onboarding"' in prompt and "trending order for now" in prompt

    _follow(site.client, token, "category", "cs.CL")
    assert 'data-sort="for_you"' in site.client.get(f"/papers/date/{JUL1}").text
    assert 'data-sort="for_you"' in site.client.get("/").text
    chosen = site.client.get(f"/papers/date/{JUL1}?sort=trending").text
    assert 'data-sort="trending"' in chosen  # ?sort= still wins
    assert f'rel="prev" href="/papers/date/{JUN30}?sort=trending"' in chosen  # and the arrows keep it
    assert 'href="/papers/week/2026-W27?sort=trending"' in chosen


def _bibtex(site: Site) -> bytes:
    first, second = site.ids(JUL1)[:2]
    return f"""
@article{{one, title={{Whatever the file calls it}}, eprint={{{first}}}, archivePrefix={{arXiv}},
  year={{2026}}}}
@misc{{two, title={{Another one}}, note={{arXiv:{second}}}, url={{https://arxiv.org/abs/{second}}}}}
@article{{mine,
  title={{Grazing patterns of alpine sheep under changing snow cover}},
  abstract={{We follow three flocks of sheep over four winters and relate where they graze to snow depth.}},
  author={{Doe, Jane}}, year={{2019}}}}
""".encode()


def test_library_upload_reports_matches_and_a_second_upload_changes_nothing(site: Site) -> None:
    token = sign_up(site.client, "reader")
    first = site.client.post(
        "/library/import",
        data={"csrf_token": token},
        files={"file": ("My Library.bib", _bibtex(site), "application/x-bibtex")},
    )
    assert first.status_code == 200, first.text
    numbers = dict(re.findall(r'<dd id="([a-z-]+)">(\d+)</dd>', first.text))
    assert numbers == {
        "matched-arxiv": "2",
        "matched-doi": "0",
        "matched-title": "0",
        "unmatched": "1",
        "unchanged": "0",
        "rejected": "0",
    }
    again = site.client.post(
        "/library/import",
        data={"csrf_token": token},
        files={"file": ("My Library.bib", _bibtex(site), "application/x-bibtex")},
    )
    numbers = dict(re.findall(r'<dd id="([a-z-]+)">(\d+)</dd>', again.text))
    assert numbers["unchanged"] == "3" and numbers["matched-arxiv"] == numbers["unmatched"] == "0"

    assert embed_library_pending(site.db) == 1  # the unmatched entry, by its own title and abstract
    settings = site.client.get("/settings/interests").text
    assert "3 entries imported" in settings
    assert settings.count("badge matched") == 2 and settings.count("badge unmatched") == 1
    assert "Grazing patterns of alpine sheep" in settings
    sheep = re.search(r'"/library/(\d+)/remove"[^<]*<input[^>]*>\s*<button[^>]*"Remove Grazing', settings)
    assert sheep is not None
    remove = f"/library/{sheep.group(1)}/remove"
    removed = site.client.post(remove, data={"csrf_token": token})
    assert "2 entries imported" in removed.text and "Grazing patterns" not in removed.text
    assert site.client.post(remove, data={"csrf_token": token}).status_code == 404


def test_library_upload_refuses_unreadable_and_oversized_files(site: Site) -> None:
    token = sign_up(site.client, "reader")
    unreadable = site.client.post(
        "/library/import",
        data={"csrf_token": token},
        files={"file": ("paper.pdf", b"%PDF-1.7 binary", "application/pdf")},
    )
    assert unreadable.status_code == 400
    assert "paper.pdf could not be read" in unreadable.text and "BibTeX" in unreadable.text
    big = b"@misc{x, title={" + b"a" * (11 * 1024 * 1024) + b"}}"
    oversized = site.client.post(
        "/library/import", data={"csrf_token": token}, files={"file": ("huge.bib", big, "text/plain")}
    )
    assert oversized.status_code == 413 and "larger than 10 MB" in oversized.text
    empty = site.client.post(
        "/library/import", data={"csrf_token": token}, files={"file": ("", b"", "text/plain")}
    )
    assert empty.status_code == 400


def test_personal_feed_opens_with_its_token_and_not_after_revoking(site: Site) -> None:
    token = sign_up(site.client, "reader")
    _follow(site.client, token, "category", "cs.CV")
    created = site.client.post("/settings/feed-token", data={"csrf_token": token})
    urls = re.findall(r"http://testserver/feeds/for-you/(pff_[\w-]+)\.(atom|rss)", created.text)
    assert {fmt for _, fmt in urls} == {"atom", "rss"}
    feed_token = urls[0][0]
    assert feed_token not in site.client.get("/settings/interests").text  # shown once

    atom = site.client.get(f"/feeds/for-you/{feed_token}.atom")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    assert atom.headers["cache-control"] == "private, no-store"
    entries = etree.fromstring(atom.content).findall(f"{ATOM}entry")
    assert 0 < len(entries) <= 50
    assert all(e.findtext(f"{ATOM}summary").startswith("Why: ") for e in entries)
    assert any("In cs.CV, which you follow" in e.findtext(f"{ATOM}summary") for e in entries)
    rss = site.client.get(f"/feeds/for-you/{feed_token}.rss")
    assert rss.status_code == 200
    assert etree.fromstring(rss.content).find("channel/item/description") is not None

    assert site.client.get("/feeds/for-you/pff_not-the-right-one.atom").status_code == 404
    revoked = site.client.post("/settings/feed-token/revoke", data={"csrf_token": token})
    assert "was revoked" in revoked.text
    assert site.client.get(f"/feeds/for-you/{feed_token}.atom").status_code == 404


def test_api_for_you_needs_a_token_and_gives_reasons(site: Site) -> None:
    assert site.client.get("/api/for-you").status_code == 401
    token = sign_up(site.client, "reader")
    _follow(site.client, token, "category", "cs.CL")
    api_token = accounts.new_api_token(site.db, _user_id(site.db, "reader"))
    auth = {"authorization": f"Bearer {api_token}"}
    items = site.client.get("/api/for-you", params={"limit": 10}, headers=auth).json()
    assert len(items) == 10
    assert all(item["reasons"] and isinstance(item["score"], float) for item in items)
    assert {"paper", "title", "summary", "publishedAt"} <= set(items[0])
    week = site.client.get("/api/for-you", params={"week": "2026-W27", "limit": 5, "p": 1}, headers=auth)
    assert week.status_code == 200 and len(week.json()) == 5
    bad = site.client.get("/api/for-you", params={"date": "2026-02-30"}, headers=auth)
    assert bad.status_code == 400 and "2026-02-30" in bad.json()["detail"]
    schema = site.client.get("/api/openapi.json").json()["paths"]["/api/for-you"]["get"]
    assert schema["tags"] == ["for you"]
    assert "ForYouItem" in str(schema["responses"]["200"])


def test_a_liked_title_is_escaped_inside_a_reason(site: Site) -> None:
    target = site.days[JUL1][0].paper
    add_paper(site.db, "2606.99999", "<script>alert(1)</script>", date(2026, 6, 30), abstract=target.abstract)
    with site.db.session() as session:  # the same text, so the same vector: the reason names it
        model = current_model_key()
        vector = vectors_for(session, model, [target.id])[target.id]
        save_vectors(session, model, list(content_hashes(session, ["2606.99999"]).items()), vector[None, :])
    token = sign_up(site.client, "reader")
    _rate(site.client, token, "2606.99999", +1)
    for html in (site.client.get("/for-you").text, site.client.get("/settings/interests").text):
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert any(
        r.startswith("Like “&lt;script&gt;alert(1)&lt;/script&gt;”")
        for r in _reasons(site.client.get("/for-you").text)
    )


def test_sign_up_leads_to_onboarding_unless_going_elsewhere(site: Site) -> None:
    fresh = site.client.post(
        "/signup",
        data={
            "username": "newcomer",
            "password": "a long enough password",
            "csrf_token": csrf_of(site.client, "/signup"),
        },
        follow_redirects=False,
    )
    assert fresh.headers["location"] == "/onboarding"
    onboarding = site.client.get("/onboarding").text
    assert re.search(r'name="category" value="cs\.AI"\s*>\s*cs\.AI <small>\(\d+\)</small>', onboarding)
    found = site.client.get("/onboarding", params={"q": site.days[JUL1][3].paper.title}).text
    assert site.days[JUL1][3].paper.id in _card_ids(found) and "More like this" in found

    other = TestClient(site.client.app)
    going = other.post(
        "/signup",
        follow_redirects=False,
        data={
            "username": "visitor",
            "password": "a long enough password",
            "next": f"/papers/date/{JUL1}",
            "csrf_token": csrf_of(other, "/signup"),
        },
    )
    assert going.headers["location"] == f"/papers/date/{JUL1}"


def test_onboarding_categories_and_follow_buttons_on_the_paper_page(site: Site) -> None:
    token = sign_up(site.client, "reader")
    ticked = site.client.post(
        "/onboarding/categories",
        follow_redirects=False,
        data={"csrf_token": token, "category": ["cs.CL", "cs.CV"], "offered": ["cs.AI", "cs.CL", "cs.CV"]},
    )
    assert ticked.status_code == 303
    reader = _user_id(site.db, "reader")
    assert [f.value for f in interests.follows_of(site.db, reader)["category"]] == ["cs.CL", "cs.CV"]
    site.client.post(
        "/onboarding/categories",
        data={"csrf_token": token, "category": ["cs.CV"], "offered": ["cs.CL", "cs.CV"]},
    )
    assert [f.value for f in interests.follows_of(site.db, reader)["category"]] == ["cs.CV"]

    paper = site.days[JUL1][0].paper
    page = f"http://testserver/papers/{paper.id}"
    followed = site.client.post(
        "/follow",
        headers={"referer": page},
        follow_redirects=False,
        data={"csrf_token": token, "kind": "author", "value": paper.authors[0]},
    )
    assert followed.headers["location"] == f"/papers/{paper.id}"
    html = site.client.get(f"/papers/{paper.id}").text
    assert f'aria-label="Unfollow {paper.authors[0]}"' in html
    settings = site.client.get("/settings/interests").text
    assert paper.authors[0] in settings
    site.client.post("/unfollow", data={"csrf_token": token, "kind": "author", "value": paper.authors[0]})
    assert not interests.follows_of(site.db, reader)["author"]


def test_settings_reset_forgets_the_chosen_parts(site: Site) -> None:
    token = sign_up(site.client, "reader")
    paper = site.ids(JUL1)[0]
    _rate(site.client, token, paper, +1)
    _follow(site.client, token, "keyword", "diffusion")
    settings = site.client.get("/settings/interests").text
    assert f'action="/papers/{paper}/unrate"' in settings and "diffusion" in settings
    nothing = site.client.post("/settings/interests/reset", data={"csrf_token": token})
    assert nothing.status_code == 400 and "Choose what to reset" in nothing.text
    done = site.client.post("/settings/interests/reset", data={"csrf_token": token, "part": "ratings"})
    assert "Reset: removed 1 rating." in done.text
    reader = _user_id(site.db, "reader")
    assert interests.ratings_of(site.db, reader) == {}
    assert [f.value for f in interests.follows_of(site.db, reader)["keyword"]] == ["diffusion"]
    assert 'href="/settings/interests"' in site.client.get("/account").text


def test_for_you_page_needs_an_account_and_prompts_a_newcomer(site: Site) -> None:
    gate = site.client.get("/for-you", follow_redirects=False)
    assert gate.status_code == 303 and gate.headers["location"] == "/login?next=/for-you"
    token = sign_up(site.client, "reader")
    newcomer = site.client.get("/for-you").text
    assert "Tell paperfeed what you read" in newcomer and 'href="/onboarding"' in newcomer
    assert _card_ids(newcomer) == []
    _follow(site.client, token, "category", "cs.AI")
    for period in ("day", "week", "month"):
        page = site.client.get("/for-you", params={"period": period})
        assert page.status_code == 200 and _card_ids(page.text)
    assert site.client.get("/for-you", params={"period": "year"}).status_code == 400
    assert '<a href="/for-you">For you</a>' in site.client.get("/").text
