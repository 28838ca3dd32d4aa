"""Reading paper text: TeX read into MathML and plain text (and never into markup an author could inject),
author pages on the ``paper_authors`` table, BibTeX for one paper, share previews, maths in comments."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import lxml.html
import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from starlette.testclient import TestClient

from paperfeed.domain.authors import author_key
from paperfeed.domain.bibtex import bib_text, bibtex_entry
from paperfeed.domain.mathml import MATHML_ATTRIBUTES, MATHML_TAGS
from paperfeed.domain.paper import Paper
from paperfeed.domain.tex import snippet_source, to_html, to_plain
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.records import Record
from paperfeed.ingest.snapshot import read_snapshot
from paperfeed.services import authors
from paperfeed.services.digest import run_digest
from paperfeed.services.files import import_records
from paperfeed.services.harvest import harvest_arxiv, harvest_oai
from paperfeed.store import Database
from paperfeed.store.db import alembic_config
from paperfeed.store.models import PaperAuthorRow
from paperfeed.store.papers import get_paper, upsert_papers
from tests.support import FIXTURES
from tests.support.live_server import SAMPLE, add_paper, sign_up, test_app
from tests.support.replay import ATOM, fixture, serve_replay
from tests.support.smtp import SmtpServer, add_subscriber

replay = pytest.fixture(serve_replay)
JUL1 = date(2026, 7, 1)
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
# Tags and attributes the converter may produce around MathML: emphasis, code and links of prose.
PROSE_TAGS = {"em", "strong", "code", "a", "span", "div", "p"}
ALLOWED_ATTRIBUTES = {**{tag: set(names) for tag, names in MATHML_ATTRIBUTES.items()}, "a": {"href", "rel"}}
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "$<script>alert(1)</script>$",
    "$x<img src=x onerror=alert(1)>$",
    r"$\text{<img src=x onerror=alert(1)>}$",
    r"$\text{</math><script>alert(1)</script>}$",
    r"$\href{javascript:alert(1)}{click}$",
    r"$\style{background:url(javascript:alert(1))}{x}$",
    r"$\color{red}{x}$ $\class{evil}{x}$ $\cssId{evil}{x}$",
    r"\url{javascript:alert(1)} \href{javascript:alert(1)}{click} \emph{<b onmouseover=alert(1)>x</b>}",
    '$$"><svg onload=alert(1)>$$',
]


def _elements(fragment: str) -> list[etree._Element]:
    """Every element of an HTML fragment, as a browser's parser would build it."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return [node for node in root.iter() if isinstance(node.tag, str)][1:]


def _assert_only_allowed_markup(fragment: str) -> None:
    for node in _elements(fragment):
        tag = node.tag.split("}")[-1]
        assert tag in MATHML_TAGS | PROSE_TAGS, (tag, fragment)
        for name, value in node.attrib.items():
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), (tag, name, fragment)
            if name == "href":
                assert value.startswith(("http://", "https://")), fragment


# --- the converter, on real titles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [  # titles of the bundled sample and of the Kaggle snapshot fixture, as arXiv lists them
        ("S$^2$COPE: Self-Supervised Concept Discovery via Preference Learning", "<msup>"),
        ("A Lean-Certified Proof of $K_8(4, 2) = 23$", "<msub><mi>K</mi><mn>8</mn></msub>"),
        (
            r"Structure of kissing arrangements in ${\mathbb R}^{12}$ and a place for the $841$st sphere",
            "double-struck",
        ),
        ("$φ$-Scene: Physically Grounded Image-to-3D Scene Reconstruction", "<mi>φ</mi>"),
        (
            "Quasi-quartet crystal electric field ground state in a tetragonal CeAg$_2$Ge$_2$ single crystal",
            "<msub>",
        ),
        (r"From dyadic $\Lambda_{\alpha}$ to $\Lambda_{\alpha}$", "<mi>Λ</mi>"),
    ],
)
def test_formulas_in_real_titles_become_mathml(title: str, expected: str) -> None:
    html = to_html(title)
    assert '<math display="inline">' in html and expected in html
    assert "$" not in html  # every delimiter was paired and converted
    _assert_only_allowed_markup(html)


def test_text_macros_become_html_and_accents_letters() -> None:
    html = to_html(r"We enforce \emph{bidding constraints} in $\mathcal{O}(n^2m)$ via \textbf{\textit{both}}")
    assert "<em>bidding constraints</em>" in html and "<strong><em>both</em></strong>" in html
    assert "<mi>𝒪</mi>" in html
    assert to_html(r"the Gr\"obner basis, Koll\'ar's theorem, G\"{o}del, Fran\c{c}ois") == (
        "the Gröbner basis, Kollár's theorem, Gödel, François"
    )
    assert to_html("pages 3--5 --- with~care, ``quoted''") == "pages 3–5 — with\u00a0care, “quoted”"
    assert to_html(r"code at \url{https://github.com/a/b}") == (
        'code at <a href="https://github.com/a/b" rel="nofollow noopener">https://github.com/a/b</a>'
    )
    assert to_html(r"\texttt{x < y}") == "<code>x &lt; y</code>"


def test_one_author_key_for_every_spelling_of_a_name() -> None:
    spellings = ["Jörg Müller", r"J\"org M\"{u}ller", "jorg  muller", "Jorg Muller.", r"J{\"o}rg M\"uller"]
    assert {author_key(name) for name in spellings} == {"jorg muller"}
    assert author_key(r"J\'anos Koll\'ar") == author_key("János Kollár") == "janos kollar"


def test_display_and_bracket_delimiters() -> None:
    html = to_html(r"$$E = mc^2$$ then \[a+b\] and \(x\)")
    assert html.count('<math display="block">') == 2 and html.count('<math display="inline">') == 1
    on_a_card = to_html(r"$$E = mc^2$$ then \[a+b\] and \(x\)", inline=True)
    assert on_a_card.count('<math display="inline">') == 3  # a card's two lines have no room for blocks


@pytest.mark.parametrize("text", XSS)
def test_nothing_an_author_writes_becomes_live_markup(text: str) -> None:
    html = to_html(text)
    _assert_only_allowed_markup(html)
    assert "<script" not in html and "<img" not in html and "<svg" not in html
    for node in _elements(html):
        assert not any(name.startswith("on") or name in ("style", "class", "id") for name in node.attrib)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="$\\{}^_ab <>&\"'=~-xemphurl()[]", max_size=60))
def test_any_text_converts_without_error_to_allowed_markup(text: str) -> None:
    _assert_only_allowed_markup(to_html(text))
    assert isinstance(to_plain(text), str)


def test_a_formula_that_cannot_be_read_falls_back_to_its_escaped_source() -> None:
    assert to_html(r"bad $\frac{a}{$ end <b>") == r"bad $\frac{a}{$ end &lt;b&gt;"
    assert to_html("costs $5 and $6") == "costs $5 and $6"  # currency is not maths
    assert to_html(r"an unpaired \$ stays") == "an unpaired $ stays"


def test_plain_text_for_feeds_and_previews() -> None:
    assert to_plain("S$^2$COPE: Self-Supervised") == "S^2COPE: Self-Supervised"
    assert to_plain(r"\emph{bidding constraints} in $\mathcal{O}(n)$") == "bidding constraints in 𝒪(n)"
    assert to_plain("improves by 50% on <b>") == "improves by 50% on <b>"  # a bare % is no comment here
    assert to_plain(r"Koll\'ar") == "Kollár"


def test_a_card_snippet_never_ends_inside_a_formula() -> None:
    text = "word " * 40 + r"$\sum_{i=1}^{n} x_i^2 + \alpha \beta \gamma$ and more words after it"
    cut = snippet_source(text, 230)
    assert cut.endswith("…") and cut.count("$") % 2 == 0
    assert snippet_source("short $x$", 240) == "short $x$"


def test_bibtex_keeps_formulas_and_escapes_prose() -> None:
    paper = Paper(
        "2606.12345",
        "S$^2$COPE & friends: 50% of {the gain",
        authors=("Jörg Müller", "Ada Lovelace"),
        categories=("cs.LG", "cs.AI"),
        published=date(2026, 6, 15),
    )
    entry = bibtex_entry(paper)
    assert entry.startswith("@misc{muller2026_2606.12345,\n")
    assert r"title = {{S$^2$COPE \& friends: 50\% of the gain}}" in entry  # the stray brace is dropped
    assert "author = {Jörg Müller and Ada Lovelace}" in entry
    assert "eprint = {2606.12345}" in entry and "archivePrefix = {arXiv}" in entry
    assert "primaryClass = {cs.LG}" in entry and "url = {https://arxiv.org/abs/2606.12345}" in entry
    assert bib_text(r"already \& escaped \emph{x}") == r"already \& escaped \emph{x}"


# --- pages -------------------------------------------------------------------------------------------------


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    """A few papers on both backends: one with TeX and markup in its text, one with 574 authors, and the
    works of "Jörg Müller" under two spellings."""
    add_paper(
        db,
        "2607.00001",
        'S$^2$COPE: <script>alert("x")</script> \\emph{bidding constraints}',
        JUL1,
        abstract=r"We show $\mathcal{O}(n^2m)$ time. <img src=x onerror=alert(1)>",
        authors=("Jörg Müller", "Ada Lovelace", "Alan Turing"),
        categories=("cs.LG",),
    )
    add_paper(
        db,
        "2607.00002",
        "A collaboration",
        JUL1,
        authors=tuple(f"Member {n:03d}" for n in range(574)),
        abstract="The collaboration's abstract.",
        categories=("hep-ex",),
    )
    for n in range(23):  # Müller's older papers, one spelled without accents
        add_paper(
            db,
            f"2606.{n:05d}",
            f"Older work {n}",
            date(2026, 6, 1),
            published=date(2026, 5, 1 + n),
            authors=("Jorg Muller" if n == 0 else "Jörg Müller", "Grace Hopper"),
            categories=("cs.CL",),
        )
    with TestClient(test_app(db, tmp_path, now=NOW)) as client:
        yield client


def test_paper_page_renders_maths_and_escapes_everything_else(site: TestClient) -> None:
    html = site.get("/papers/2607.00001").text
    h1 = re.search(r'<h1 id="paper-title">(.*?)</h1>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "<math" in h1 and "<em>bidding constraints</em>" in h1
    assert "&lt;script&gt;" in h1 and "<script>alert" not in html
    assert "<mi>𝒪</mi>" in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)  # type: ignore[union-attr]
    assert title.startswith("S^2COPE: &lt;script&gt;") and "<math" not in title


def test_search_results_and_listings_show_formulas(site: TestClient) -> None:
    for path in ("/search?q=bidding+constraints&mode=keyword", "/", "/authors/Ada Lovelace"):
        card = lxml.html.fromstring(site.get(path).content).xpath('//article[@data-paper="2607.00001"]')
        assert card, path
        title = etree.tostring(card[0].xpath('.//*[@class="card-title"]/a')[0], encoding="unicode")
        assert "<math" in title and "<em>bidding constraints</em>" in title and "&lt;script&gt;" in title, (
            path
        )
        assert "<mi>𝒪</mi>" in etree.tostring(card[0].xpath('.//p[@class="abstract"]')[0], encoding="unicode")


def test_share_previews_on_paper_and_listing_pages(site: TestClient) -> None:
    page = lxml.html.fromstring(site.get("/papers/2607.00001").content)

    def meta(key: str) -> str:
        found = page.xpath(f'//meta[@property="{key}" or @name="{key}"]/@content')
        assert len(found) == 1, key
        return str(found[0])

    assert meta("og:title") == 'S^2COPE: <script>alert("x")</script> bidding constraints'  # text, escaped
    assert meta("description").startswith("We show 𝒪(n^2m) time.") and meta("og:type") == "article"
    assert meta("og:url") == "http://testserver/papers/2607.00001" and meta("twitter:card") == "summary"
    assert meta("og:description") == meta("description")
    listing = lxml.html.fromstring(site.get("/").content)
    assert listing.xpath('//meta[@property="og:title"]/@content') and listing.xpath(
        '//meta[@name="description"]'
    )
    assert listing.xpath('//meta[@property="og:url"]/@content') == ["http://testserver/"]


def test_long_author_lists_are_folded_and_every_name_links_to_its_page(site: TestClient) -> None:
    page = lxml.html.fromstring(site.get("/papers/2607.00002").content)
    short = page.xpath('//article[@class="paper"]//span[@class="authors-short"]//a/text()')
    assert short == ["Member 000", "Member 001", "Member 002", "Member 573"]
    details = page.xpath('//article[@class="paper"]//details[@class="all-authors"]')
    assert len(details) == 1 and "show all 574 authors" in details[0].findtext("summary")
    assert len(details[0].xpath(".//a")) == 574
    card = lxml.html.fromstring(site.get("/").content).xpath('//article[@data-paper="2607.00002"]')[0]
    assert card.xpath('.//span[@class="authors-short"]//a/@href')[0] == "/authors/Member%20000"
    few = lxml.html.fromstring(site.get("/papers/2607.00001").content)
    assert few.xpath('//article[@class="paper"]//div[@class="authors"]//a/@href') == [
        "/authors/J%C3%B6rg%20M%C3%BCller",
        "/authors/Ada%20Lovelace",
        "/authors/Alan%20Turing",
    ]


def test_author_page_lists_their_papers_newest_first_with_coauthors_and_categories(site: TestClient) -> None:
    first = lxml.html.fromstring(site.get("/authors/jorg muller").content)  # any spelling finds them
    assert first.findtext(".//h1") == "Jörg Müller"  # as most of their papers spell it
    assert "24 papers here" in first.xpath('string(//p[@class="feedlinks"])')
    cards = first.xpath('//article[@class="card"]/@data-paper')
    assert cards[0] == "2607.00001" and cards[1:3] == ["2606.00022", "2606.00021"] and len(cards) == 20
    assert first.xpath('//aside[@class="coauthors"]//a/text()')[:1] == ["Grace Hopper"]
    assert "(23)" in first.xpath('string(//aside[@class="coauthors"]//li[1])')
    assert first.xpath('//p[@class="author-cats"]/span/text()') == ["cs.CL", "cs.LG"]
    second = lxml.html.fromstring(site.get("/authors/J%C3%B6rg%20M%C3%BCller?page=2").content)
    assert second.xpath('//article[@class="card"]/@data-paper') == [f"2606.{n:05d}" for n in (3, 2, 1, 0)]
    assert "Page 2 of 2" in second.xpath('string(//nav[@class="pager"])')
    missing = site.get("/authors/Nobody At All")
    assert missing.status_code == 404 and "Nobody At All" in missing.text


def test_author_feed_has_their_papers_as_plain_text(site: TestClient) -> None:
    response = site.get("/authors/J%C3%B6rg%20M%C3%BCller.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = feed.xpath("//a:entry/a:title/text()", namespaces=ns)
    assert len(titles) == 24 and titles[0] == 'S^2COPE: <script>alert("x")</script> bidding constraints'
    assert feed.xpath("/a:feed/a:title/text()", namespaces=ns) == ["paperfeed — papers by Jörg Müller"]
    rss = etree.fromstring(site.get("/authors/Grace Hopper.rss").content)
    assert len(rss.xpath("//item")) == 23


def test_author_page_follow_button_uses_the_follow_service(site: TestClient) -> None:
    anonymous = site.get("/authors/Grace Hopper").text
    assert "Log in</a> to follow" in anonymous
    csrf = sign_up(site, "reader")
    page = "http://testserver/authors/Grace%20Hopper"
    followed = site.post(
        "/follow",
        headers={"referer": page},
        data={"csrf_token": csrf, "kind": "author", "value": "Grace Hopper"},
        follow_redirects=False,
    )
    assert followed.headers["location"] == "/authors/Grace%20Hopper"
    assert 'aria-label="Unfollow Grace Hopper"' in site.get("/authors/grace  HOPPER").text


def test_paper_page_shows_more_by_its_authors_and_its_bibtex(site: TestClient) -> None:
    page = lxml.html.fromstring(site.get("/papers/2607.00001").content)
    more = page.xpath('//section[contains(@class, "by-authors")]//article/@data-paper')
    assert more == ["2606.00022", "2606.00021", "2606.00020", "2606.00019"]
    shown = page.xpath('string(//pre[@class="bibtex"])')
    download = site.get("/papers/2607.00001/bibtex")
    assert download.headers["content-disposition"] == 'attachment; filename="2607.00001.bib"'
    assert download.headers["content-type"].startswith("application/x-bibtex")
    assert download.text == shown and shown.startswith("@misc{muller2026_2607.00001,")
    assert "eprint = {2607.00001}" in shown and "primaryClass = {cs.LG}" in shown
    assert site.get("/papers/2607.99999/bibtex").status_code == 404


def test_comments_render_maths_and_preview_without_posting(site: TestClient) -> None:
    csrf = sign_up(site, "critic")
    body = "Nice: $a_1 b_1$ and *this* <script>alert(1)</script> $\\href{javascript:alert(1)}{x}$"
    preview = site.post("/comments/preview", data={"body": body}, headers={"X-CSRF-Token": csrf})
    assert preview.status_code == 200
    assert "<msub><mi>a</mi><mn>1</mn></msub>" in preview.text and "<em>this</em>" in preview.text
    assert "<script>" not in preview.text and "javascript:" not in preview.text
    assert "No comments yet." in site.get("/papers/2607.00001").text  # a preview stores nothing
    assert site.post("/comments/preview", data={"body": "x"}).status_code == 403  # no CSRF token
    empty = site.post(
        "/comments/preview", data={"body": "  "}, headers={"X-CSRF-Token": csrf, "Accept": "application/json"}
    )
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    site.post("/papers/2607.00001/comments", data={"body": body, "csrf_token": csrf})
    page = site.get("/papers/2607.00001").text
    assert "<msub><mi>a</mi><mn>1</mn></msub>" in page and "<script>alert(1)" not in page
    codes = [
        site.post("/comments/preview", data={"body": "again"}, headers={"X-CSRF-Token": csrf}).status_code
        for _ in range(12)
    ]
    # rate-limited like comments, 10 a minute: two previews above, eight here, then 429
    assert codes == [200] * 8 + [429] * 4


def test_feeds_carry_plain_titles(site: TestClient) -> None:
    rss = etree.fromstring(site.get("/papers/date/2026-07-01/rss").content)
    titles = rss.xpath("//item/title/text()")
    assert 'S^2COPE: <script>alert("x")</script> bidding constraints' in titles
    assert all("$" not in t and "\\emph" not in t for t in titles)


# --- the paper_authors table -------------------------------------------------------------------------------


def _author_rows_match_papers(db: Database) -> int:
    """Every paper's rows in ``paper_authors`` are exactly its author list, folded; returns the row count."""
    with db.sessions() as session:
        rows = session.execute(
            sa.select(
                PaperAuthorRow.paper_id,
                PaperAuthorRow.position,
                PaperAuthorRow.author_key,
                PaperAuthorRow.name,
            )
        ).all()
        papers = session.execute(sa.text("SELECT id, authors FROM papers")).all()
    expected = {
        (paper_id, position, author_key(name), name)
        for paper_id, authors in papers
        for position, name in enumerate(json.loads(authors) if isinstance(authors, str) else authors)
        if author_key(name)
    }
    assert set(map(tuple, rows)) == expected
    assert len(rows) == len(expected)
    return len(rows)


def test_every_ingest_keeps_paper_authors_in_step(db: Database, replay) -> None:  # type: ignore[no-untyped-def]
    import_records(db, [r for r in list(read_jsonl(SAMPLE))[:40] if isinstance(r, Record)])  # jsonl
    import_records(
        db, [r for r in read_snapshot(FIXTURES / "snapshot" / "sample.jsonl") if isinstance(r, Record)]
    )
    for start in ("0", "2", "4"):
        replay.script("/api/query", fixture(f"arxiv_api/cs.LG-start-{start}.xml", headers=ATOM), start=start)
    harvest_arxiv(db, "cs.LG", date(2026, 6, 14), date(2026, 6, 15), page_size=2)
    replay.script("/oai", fixture("oai/cs-page-1.xml"), metadataPrefix="arXiv", set="cs", verb="ListRecords")
    replay.script("/oai", fixture("oai/cs-page-2.xml"), resumptionToken="7204931|3")
    replay.script("/oai", fixture("oai/cs-page-3.xml"), resumptionToken="7204931|6")
    harvest_oai(db, "cs", date(2026, 6, 15))
    assert _author_rows_match_papers(db) > 200


def test_a_new_author_list_replaces_the_rows_and_an_unchanged_one_keeps_them(db: Database) -> None:
    with db.session() as session:
        upsert_papers(session, [Paper("2606.00001", "T", authors=("Ada Lovelace", "Alan Turing"))])
    with db.session() as session:  # a revision with other authors
        upsert_papers(session, [Paper("2606.00001", "T", authors=("Grace Hopper",), version=2)])
    with db.session() as session:  # an older source's list never rolls the newer one back
        upsert_papers(session, [Paper("2606.00001", "T", authors=("Someone Else",), version=1)])
    with db.sessions() as session:
        rows = session.execute(sa.select(PaperAuthorRow.author_key, PaperAuthorRow.position)).all()
    assert [tuple(r) for r in rows] == [("grace hopper", 0)]
    assert _author_rows_match_papers(db) == 1


def test_the_migration_backfills_paper_authors_from_stored_papers(db: Database) -> None:
    import_records(db, [r for r in list(read_jsonl(SAMPLE))[:30] if isinstance(r, Record)])
    before = _author_rows_match_papers(db)
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0012_submission_approval")
    assert "paper_authors" not in sa.inspect(db.engine).get_table_names()
    db.migrate()
    assert _author_rows_match_papers(db) == before > 0


def test_digest_mails_carry_plain_titles(db: Database, smtp_server: SmtpServer, tmp_path: Path) -> None:
    add_paper(
        db,
        "2606.00001",
        r"S$^2$COPE and \emph{bidding constraints}",
        date(2026, 6, 30),
        abstract=r"In $\mathcal{O}(n)$ time.",
    )
    add_subscriber(db, "reader@example.org")
    run_digest(
        db, smtp_server.settings(tmp_path), frequency="daily", now=datetime(2026, 6, 30, 7, tzinfo=UTC)
    )
    [message] = smtp_server.sink.messages
    for kind in ("plain", "html"):
        body = message.get_body((kind,)).get_content()
        assert "S^2COPE and bidding constraints" in body and "In 𝒪(n) time." in body, kind
        assert "$" not in body and "\\emph" not in body, kind


def test_author_queries_never_scan_the_papers_table(sqlite_db: Database) -> None:
    """At a million papers an author page must start from the ``author_key`` index: every statement the
    author services run is checked with SQLite's query planner."""
    import_records(sqlite_db, [r for r in list(read_jsonl(SAMPLE))[:60] if isinstance(r, Record)])
    with sqlite_db.sessions() as session:
        paper = get_paper(session, session.execute(sa.text("SELECT min(id) FROM papers")).scalar_one())
    assert paper is not None
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    sa.event.listen(sqlite_db.engine, "before_cursor_execute", record)
    try:
        authors.author_page(sqlite_db, paper.authors[0])
        authors.more_by_authors(sqlite_db, paper)
    finally:
        sa.event.remove(sqlite_db.engine, "before_cursor_execute", record)
    selects = [(sql, params) for sql, params in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(selects) >= 5
    with sqlite_db.engine.connect() as connection:
        for sql, params in selects:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()  # type: ignore[arg-type]
            details = " | ".join(str(row[-1]) for row in plan)
            assert "SCAN papers" not in details and "SCAN paper_authors" not in details, (sql, details)
