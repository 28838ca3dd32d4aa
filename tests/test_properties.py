"""Property-based tests: every parser, given any input, gives a result or a clear rejection, never a crash.

Inputs are arbitrary bytes and text, and documents of the right shape whose fields hold anything JSON or XML
can carry (wrong types, control characters, lone surrogates, huge numbers, markup). What the ingest parsers
let through must also be storable and printable anywhere: XML-safe text within the column sizes.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from paperfeed.domain.arxiv_id import ArxivId, InvalidArxivId, parse_arxiv_id
from paperfeed.ingest.arxiv_api import parse_atom_page
from paperfeed.ingest.hf_daily import parse_daily_papers, read_daily_papers
from paperfeed.ingest.http import MAX_RETRY_AFTER_S, _retry_after
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.library import LibraryFormatError, ParsedLibrary, parse_library
from paperfeed.ingest.oai import parse_list_records
from paperfeed.ingest.records import (
    MAX_ABSTRACT_CHARS,
    MAX_CATEGORY_CHARS,
    MAX_CLASSES_CHARS,
    MAX_COUNT,
    MAX_ID_CHARS,
    MAX_SUBMITTER_CHARS,
    MAX_TITLE_CHARS,
    MAX_VERSION,
    MalformedSource,
    Record,
    RecordError,
    Rejected,
    safe_text,
)
from paperfeed.ingest.snapshot import read_snapshot, snapshot_paper
from paperfeed.ingest.text import parse_day
from paperfeed.search.query import parse_query
from paperfeed.services.feed import FeedError, Period, parse_period
from paperfeed.services.files import import_records
from paperfeed.services.search import SearchError, embed_pending, search_papers
from paperfeed.store import Database

# No example database: a failure is reported with its input, and nothing is written into the repository.
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies ---

NASTY = "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\x9f\ufffe\uffff\ud800\udfff[]/\\\"'<>&{}@%$~ \t\n\r"
text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=20),  # lone surrogates included
    st.text(st.sampled_from(NASTY + "abcxyz0123456789.-v"), max_size=30),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
new_ids = st.from_regex(r"\A\d{4}\.\d{4,5}(v\d{1,3})?\Z")
old_ids = st.from_regex(r"\A[a-z][a-z\-]{0,45}(\.[A-Z]{2})?/\d{7}(v\d{1,2})?\Z")
ids = st.one_of(new_ids, old_ids, text)
days = st.one_of(st.dates().map(date.isoformat), st.just("2029-01-01"), text)
counts = st.one_of(st.integers(min_value=0, max_value=1000), st.integers(), st.just(2**70))


def anything_or(plausible: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a value of the right shape, sometimes any JSON value at all."""
    return st.one_of(plausible, plausible, json_values)


# --- what may be stored ---


def assert_storable(record: Record) -> None:
    """What a parser lets through: safe text everywhere, within the columns and caps, no future dates."""
    paper, entry = record.paper, record.feed_entry
    latest = datetime.now(UTC).date() + timedelta(days=1)
    texts = [
        paper.id,
        paper.title,
        paper.abstract,
        *paper.authors,
        *paper.categories,
        paper.doi,
        paper.journal_ref,
        paper.comments,
        paper.license,
        paper.github_repo,
        paper.project_page,
        record.where,
        *record.notes,
        entry.submitted_by if entry else None,
    ]
    for value in (t for t in texts if t is not None):
        assert isinstance(value, str) and safe_text(value) == value, repr(value)
        etree.Element("x").text = value  # what a feed does with it
        value.encode("utf-8")
    assert paper.id.isascii() and 0 < len(paper.id) <= MAX_ID_CHARS
    assert paper.title.strip() and len(paper.title) <= MAX_TITLE_CHARS
    assert len(paper.abstract) <= MAX_ABSTRACT_CHARS
    assert not paper.categories or 0 < len(paper.categories[0]) <= MAX_CATEGORY_CHARS
    assert all(0 < len(c) <= MAX_CLASSES_CHARS for c in paper.categories)
    assert 1 <= paper.version <= MAX_VERSION and all(1 <= v.version <= MAX_VERSION for v in paper.versions)
    days_ = [paper.published, paper.updated, *(v.created for v in paper.versions)]
    assert all(d <= latest for d in days_ if d is not None)
    if entry is not None:
        assert entry.paper_id == paper.id and entry.featured_on <= latest
        assert 0 <= entry.external_upvotes <= MAX_COUNT and 0 <= entry.num_comments <= MAX_COUNT
        assert entry.submitted_by is None or len(entry.submitted_by) <= MAX_SUBMITTER_CHARS


def checked(items: list[Record | Rejected]) -> list[Record | Rejected]:
    for item in items:
        assert isinstance(item, Record | Rejected)
        if isinstance(item, Record):
            assert_storable(item)
        else:
            assert item.where and item.reason
    return items


@pytest.fixture(scope="module")
def store() -> Iterator[Database]:
    """One SQLite database for the module: what the parsers let through must also go in."""
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/properties.sqlite3")
        database.migrate()
        try:
            yield database
        finally:
            database.dispose()


def lines_file(folder: str, lines: list[str]) -> Path:
    path = Path(folder) / "input.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8", errors="surrogatepass")
    return path


# --- paperfeed JSON lines ---

featured = st.fixed_dictionaries(
    {},
    optional={
        "date": anything_or(days),
        "source": anything_or(st.sampled_from(["arxiv", "hf", "submission", "x"])),
        "submitted_by": anything_or(text),
        "upvotes": anything_or(counts),
        "num_comments": anything_or(counts),
    },
)
jsonl_objects = st.fixed_dictionaries(
    {"id": anything_or(ids), "title": anything_or(text)},
    optional={
        "listed": anything_or(days),
        "published": anything_or(days),
        "updated": anything_or(days),
        "authors": anything_or(st.lists(text, max_size=3) | text),
        "categories": anything_or(st.lists(text, max_size=3)),
        "abstract": anything_or(text),
        "comment": anything_or(text),
        "doi": anything_or(text),
        "journal_ref": anything_or(text),
        "license": anything_or(text),
        "github_repo": anything_or(text),
        "project_page": anything_or(text),
        "withdrawn": anything_or(st.booleans()),
        "version": anything_or(counts),
        "versions": anything_or(
            st.lists(
                st.fixed_dictionaries(
                    {"version": anything_or(counts)}, optional={"created": anything_or(days)}
                ),
                max_size=3,
            )
        ),
        "featured": anything_or(st.lists(anything_or(featured), max_size=3)),
    },
)


@FAST
@given(
    st.lists(
        st.one_of(jsonl_objects.map(json.dumps), json_values.map(json.dumps), text), min_size=1, max_size=6
    )
)
def test_jsonl_lines_become_records_or_rejections(store: Database, lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = lines_file(folder, lines)
        try:
            items = checked(list(read_jsonl(path)))
        except MalformedSource:
            return
        summary = import_records(store, items)
        assert summary.rejected >= sum(isinstance(i, Rejected) for i in items)


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_as_jsonl_or_snapshot_are_records_rejections_or_one_clear_error(body: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.jsonl"
        path.write_bytes(body)
        for reader in (read_jsonl, read_snapshot):
            try:
                checked(list(reader(path)))
            except MalformedSource as error:
                assert str(error)


# --- the Kaggle snapshot ---

rfc_days = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")
    ),
    st.from_regex(r"\A(Mon|Xyz), \d{1,3} (Apr|Dec|Abc) \d{1,30} \d\d:\d\d:\d\d( GMT| [+-]\d{4})\Z"),
    text,
    days,
)
snapshot_objects = st.fixed_dictionaries(
    {"id": anything_or(ids), "title": anything_or(text)},
    optional={
        "abstract": anything_or(text),
        "comments": anything_or(text),
        "doi": anything_or(text),
        "journal-ref": anything_or(text),
        "license": anything_or(text),
        "categories": anything_or(text),
        "authors": anything_or(text),
        "authors_parsed": anything_or(st.lists(anything_or(st.lists(text, max_size=4)), max_size=3)),
        "versions": anything_or(
            st.lists(
                anything_or(
                    st.fixed_dictionaries(
                        {
                            "version": anything_or(st.from_regex(r"\Av[0-9²١]{1,5}\Z") | text),
                            "created": anything_or(rfc_days),
                        }
                    )
                ),
                max_size=3,
            )
        ),
    },
)


@FAST
@given(st.lists(st.one_of(snapshot_objects.map(json.dumps), text), min_size=1, max_size=5))
def test_snapshot_lines_become_records_or_rejections(store: Database, lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = lines_file(folder, lines)
        try:
            items = checked(list(read_snapshot(path)))
        except MalformedSource:
            return
        import_records(store, items)


@FAST
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "version": st.one_of(
                    st.from_regex(r"\Av[0-9\u00b2\u0661\u2460]{1,6}\Z"), st.just("v" + "9" * 5_000), text
                ),
                "created": rfc_days,
            }
        ),
        min_size=1,
        max_size=3,
    )
)
def test_snapshot_versions_parse_or_reject_their_record(versions: list[dict[str, str]]) -> None:
    try:
        paper = snapshot_paper({"id": "2606.00001", "title": "A title", "versions": versions})
    except RecordError as error:
        assert "field 'versions" in str(error)
        return
    assert paper.versions and all(isinstance(v.version, int) for v in paper.versions)


@FAST
@given(rfc_days)
def test_any_date_text_parses_or_is_a_record_error(value: str) -> None:
    try:
        assert isinstance(parse_day(value, "created"), date)
    except RecordError as error:
        assert "field 'created'" in str(error)


# --- Hugging Face daily papers ---

hf_papers = st.fixed_dictionaries(
    {"id": anything_or(ids), "title": anything_or(text)},
    optional={
        "summary": anything_or(text),
        "publishedAt": anything_or(days),
        "submittedOnDailyAt": anything_or(days),
        "upvotes": anything_or(counts),
        "githubRepo": anything_or(text),
        "projectPage": anything_or(text),
        "authors": anything_or(
            st.lists(anything_or(st.fixed_dictionaries({"name": anything_or(text)})), max_size=3)
        ),
        "submittedOnDailyBy": anything_or(st.fixed_dictionaries({"name": anything_or(text)}) | text),
    },
)
hf_items = st.fixed_dictionaries(
    {"paper": anything_or(hf_papers)},
    optional={
        "publishedAt": anything_or(days),
        "numComments": anything_or(counts),
        "submittedBy": anything_or(text),
    },
)


@FAST
@given(
    st.one_of(
        st.lists(anything_or(hf_items), max_size=5).map(json.dumps), json_values.map(json.dumps), text
    ).map(lambda s: s.encode("utf-8", "surrogatepass"))
    | st.binary(max_size=200)
)
def test_hugging_face_answers_become_records_rejections_or_one_clear_error(
    store: Database, body: bytes
) -> None:
    try:
        items = parse_daily_papers(body, source="daily.json")
    except MalformedSource as error:
        assert str(error).startswith("daily.json: ")
        return
    import_records(store, checked(list(read_daily_papers(items))))


# --- arXiv Atom and OAI-PMH ---

xml_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"), max_size=30),
    st.text(st.sampled_from("[]/\\\"'<>&{}$~ \t\nabc019.-v\x85\x9f"), max_size=20),
)
xml_ids = st.one_of(new_ids, old_ids, xml_text)
xml_days = st.one_of(
    st.datetimes().map(lambda d: d.isoformat() + "Z"), st.just("2029-01-01T00:00:00Z"), xml_text
)


def element(tag: str, value: str | None) -> str:
    return "" if value is None else f"<{tag}>{escape(value)}</{tag}>"


atom_entries = st.builds(
    lambda id_, title, summary, published, updated, names, terms, comment, doi: (
        "<entry>"
        + element("id", f"http://arxiv.org/abs/{id_}")
        + element("title", title)
        + element("summary", summary)
        + element("published", published)
        + element("updated", updated)
        + "".join(f"<author>{element('name', n)}</author>" for n in names)
        + "".join(f"<category term={quoteattr(t)}/>" for t in terms)
        + (f"<arxiv:primary_category term={quoteattr(terms[0])}/>" if terms else "")
        + element("arxiv:comment", comment)
        + element("arxiv:doi", doi)
        + "</entry>"
    ),
    xml_ids,
    xml_text,
    st.none() | xml_text,
    st.none() | xml_days,
    st.none() | xml_days,
    st.lists(xml_text, max_size=3),
    st.lists(xml_text, max_size=3),
    st.none() | xml_text,
    st.none() | xml_text,
)
atom_pages = st.builds(
    lambda total, start, entries: (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        + element("opensearch:totalResults", total)
        + element("opensearch:startIndex", start)
        + "".join(entries)
        + "</feed>"
    ).encode("utf-8"),
    st.one_of(st.integers(0, 10**6).map(str), xml_text),
    st.one_of(st.integers(0, 100).map(str), xml_text),
    st.lists(atom_entries, max_size=3),
)


@FAST
@given(st.one_of(atom_pages, atom_pages, st.binary(max_size=200)))
def test_arxiv_atom_pages_become_records_rejections_or_one_clear_error(store: Database, body: bytes) -> None:
    try:
        page = parse_atom_page(body, source="atom")
    except MalformedSource as error:
        assert str(error).startswith("atom: ")
        return
    import_records(store, checked(page.items))


oai_records = st.builds(
    lambda identifier, deleted, id_, title, created, updated, authors, categories, abstract, comments: (
        "<record><header"
        + (' status="deleted"' if deleted else "")
        + ">"
        + element("identifier", f"oai:arXiv.org:{identifier}")
        + "</header>"
        + (
            ""
            if deleted
            else (
                '<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
                + element("id", id_)
                + element("title", title)
                + element("created", created)
                + element("updated", updated)
                + "<authors>"
                + "".join(
                    f"<author>{element('keyname', k)}{element('forenames', f)}</author>" for k, f in authors
                )
                + "</authors>"
                + element("categories", categories)
                + element("abstract", abstract)
                + element("comments", comments)
                + "</arXiv></metadata>"
            )
        )
        + "</record>"
    ),
    xml_ids,
    st.booleans(),
    xml_ids,
    xml_text,
    st.none() | xml_days,
    st.none() | xml_days,
    st.lists(st.tuples(xml_text, xml_text), max_size=3),
    st.none() | xml_text,
    st.none() | xml_text,
    st.none() | xml_text,
)
oai_pages = st.builds(
    lambda records, token, cursor, size: (
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
        + "".join(records)
        + (
            f"<resumptionToken cursor={quoteattr(cursor)} completeListSize={quoteattr(size)}>{escape(token)}"
            "</resumptionToken>"
            if token is not None
            else ""
        )
        + "</ListRecords></OAI-PMH>"
    ).encode("utf-8"),
    st.lists(oai_records, max_size=3),
    st.none() | xml_text,
    xml_text,
    xml_text,
)


@FAST
@given(st.one_of(oai_pages, oai_pages, st.binary(max_size=200)))
def test_oai_pages_become_records_rejections_or_one_clear_error(store: Database, body: bytes) -> None:
    try:
        page = parse_list_records(body, source="oai")
    except MalformedSource as error:
        assert str(error).startswith("oai: ")
        return
    assert all(isinstance(d, str) and len(d) <= MAX_ID_CHARS for d in page.deleted)
    import_records(store, checked(page.items))


# --- library imports ---

library_text = st.one_of(
    st.lists(
        st.one_of(
            text,
            st.builds("@{}{{{},{}}}".format, text, text, text),
            st.builds("{}  - {}".format, st.sampled_from(["TY", "TI", "AU", "ER", "DO"]), text),
            new_ids,
            st.just("@article{x, title={never closed"),
        ),
        max_size=6,
    ).map("\n".join),
    json_values.map(json.dumps),
)


@FAST
@given(
    st.one_of(
        st.binary(max_size=300), library_text.map(lambda s: s.encode("utf-8", "surrogatepass")), library_text
    )
)
def test_any_library_file_parses_or_is_one_clear_error(data: bytes | str) -> None:
    try:
        parsed = parse_library(data)
    except LibraryFormatError as error:
        assert str(error)
        return
    assert isinstance(parsed, ParsedLibrary) and (parsed.entries or parsed.rejected)


# --- arXiv ids, period keys, search queries ---


@FAST
@given(
    st.one_of(
        text,
        new_ids,
        old_ids,
        st.builds(
            "https://arxiv.org/{}/{}{}".format,
            st.sampled_from(["abs", "pdf", "html", "x"]),
            ids,
            st.sampled_from(["", ".pdf", "?x=1", "#a", "/"]),
        ),
    )
)
def test_arxiv_ids_parse_or_are_refused_and_round_trip(value: str) -> None:
    try:
        parsed = parse_arxiv_id(value)
    except InvalidArxivId as error:
        assert "not an arXiv id" in str(error)
        return
    assert isinstance(parsed, ArxivId) and parse_arxiv_id(str(parsed)) == parsed


@FAST
@given(
    st.sampled_from(["day", "week", "month"]),
    st.one_of(text, st.from_regex(r"\A\d{4}-(W)?\d{2}(-\d{2})?\Z"), st.dates().map(date.isoformat)),
)
def test_period_keys_parse_or_are_refused(kind: str, key: str) -> None:
    try:
        period = parse_period(kind, key)  # type: ignore[arg-type]
    except FeedError as error:
        assert "is not a valid" in str(error)
        return
    assert isinstance(period, Period)


@FAST
@given(st.text(st.characters(exclude_categories=()), max_size=200) | text)
def test_any_query_text_parses(value: str) -> None:
    query = parse_query(value)
    assert len(query.terms) <= 64 and all(t and t == t.lower() for t in query.terms)


@pytest.fixture(scope="module")
def small_corpus() -> Iterator[Database]:
    """Twenty papers with their vectors, so every search mode runs its own code."""
    lines = [
        json.dumps(
            {
                "id": f"2606.{n:05d}",
                "title": f"Sparse attention for graphs {n}",
                "abstract": 'We study (NEAR) "quoted" * terms AND OR NOT.',
                "authors": ["José Müller"],
                "categories": ["cs.LG"],
                "listed": "2026-06-01",
            }
        )
        for n in range(1, 21)
    ]
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/search.sqlite3")
        database.migrate()
        import_records(database, read_jsonl(lines_file(folder, lines)))
        embed_pending(database)
        try:
            yield database
        finally:
            database.dispose()


# Lone surrogates are left out here: they crash the search (see the xfail test below, reported to search/).
queries = st.one_of(
    st.text(max_size=60),
    st.text(st.sampled_from('"*()-^:NEAROTD ab\x00\x1b'), max_size=20),
    new_ids,
    st.text(st.characters(exclude_categories=("Cs",)), min_size=8, max_size=30),
)


@SLOW
@given(
    queries,
    st.sampled_from(["keyword", "hybrid", "semantic", "nonsense"]),
    st.integers(-2, 300),
    st.integers(-2, 20_000),
)
def test_any_search_gives_results_or_one_clear_refusal(
    small_corpus: Database, query: str, mode: str, limit: int, offset: int
) -> None:
    try:
        results = search_papers(small_corpus, query, mode=mode, limit=limit, offset=offset)
    except SearchError as error:
        assert str(error)
        return
    assert len(results.hits) <= limit


@pytest.mark.parametrize("mode", ["keyword", "semantic"])
def test_a_query_with_a_lone_surrogate_is_searched_without_it(small_corpus: Database, mode: str) -> None:
    assert search_papers(small_corpus, "sparse attention \ud800", mode=mode).hits


# --- the polite HTTP client ---


@FAST
@given(
    st.one_of(
        text.filter(lambda t: t.isascii() and "\n" not in t and "\r" not in t),
        st.sampled_from(["nan", "-nan", "inf", "1e400", "-5", "0x10"]),
        st.from_regex(r"\A(Mon|Wed), \d{1,2} (Apr|Oct) \d{1,25} \d\d:\d\d:\d\d GMT\Z"),
    )
)
def test_any_retry_after_header_is_a_finite_wait_or_none(value: str) -> None:
    try:
        response = httpx.Response(503, headers={"Retry-After": value})
    except (ValueError, TypeError):
        return  # not a header httpx would ever hand us
    wait = _retry_after(response)
    assert wait is None or 0.0 <= wait <= MAX_RETRY_AFTER_S
