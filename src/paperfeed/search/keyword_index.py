"""The on-disk keyword index (tantivy): BM25 with dynamic pruning, one folder per database.

FTS5's ``bm25()`` and PostgreSQL's ``ts_rank`` score every paper that matches any query word, so a common word
at a million papers costs hundreds of milliseconds. tantivy skips whole blocks of postings that cannot reach
the current top-k (block-max WAND): 12 ms p50 at 1M papers on 2 cores where FTS5 took 1 s (shared/README.md,
benchmarks/results/search_speed.md). It runs embedded, like SQLite, so both backends get the same engine.

Fields: ``text`` is the title (repeated: its weight), the authors and the abstract, analysed alike (word
tokens, ASCII folding, English stop words, Porter stemming) and scored as one BM25 field, as FTS5 scores a
row; ``authors`` again, for the authors' extra weight (title > authors > abstract); ``id`` and ``key`` (id +
content hash, to reconcile with the database) are raw terms; categories and author names are lower-cased raw
terms for filters; ``published`` is a day number for date ranges; ``title_words`` is the unstemmed title
vocabulary for "did you mean". Withdrawn papers are not indexed. One extra document holds the index's
high-water mark, so it is committed atomically with the papers it describes (see
:mod:`paperfeed.search.keyword_sync`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import tantivy

from paperfeed.domain.paper import Paper
from paperfeed.search.filters import SearchFilters

SCHEMA_VERSION = 2  # a new number builds a new index beside the old one (the folder name carries it)
STATE_ID = "\u0000state"  # the id of the one document that holds the high-water mark
EPOCH = date(1970, 1, 1)
WRITER_HEAP = 64_000_000


@dataclass(frozen=True)
class IndexState:
    """What the committed index holds (see keyword_sync): ``seen`` is the newest ``modified_at`` indexed,
    ``high_water`` where the next catch-up starts (before ``seen`` while older transactions were open);
    both None for an index that was never built."""

    high_water: datetime | None
    seen: datetime | None
    papers: int  # indexed papers (the state document is not counted)


def _analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"[^\W_]+"))
        .filter(tantivy.Filter.remove_long(60))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _words_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"[^\W\d_]{3,}"))
        .filter(tantivy.Filter.remove_long(30))
        .filter(tantivy.Filter.lowercase())
        .build()
    )


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("key", tokenizer_name="raw", index_option="basic")
    for name in ("text", "authors"):
        builder.add_text_field(name, tokenizer_name="paperfeed_en", index_option="freq")
    builder.add_text_field("title_words", tokenizer_name="paperfeed_words", index_option="basic")
    builder.add_text_field("author_names", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("categories", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("published", indexed=True, fast=True)
    builder.add_text_field("state", stored=True, tokenizer_name="raw", index_option="basic")
    return builder.build()


def paper_key(paper_id: str, content_hash: str) -> str:
    return f"{paper_id}\u0001{content_hash}"


class KeywordIndex:
    """One database's keyword index in ``folder``; reading is thread-safe, writing needs its one writer."""

    def __init__(self, folder: Path, *, title_repeat: int = 2) -> None:
        self.title_repeat = title_repeat
        self.path = folder / f"keyword-v{SCHEMA_VERSION}-title{title_repeat}"
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self.analyzer = _analyzer()
        self.index.register_tokenizer("paperfeed_en", self.analyzer)
        self.index.register_tokenizer("paperfeed_words", _words_analyzer())

    # --- reading -------------------------------------------------------------------------------------
    def reload(self) -> None:
        self.index.reload()

    def state(self) -> IndexState:
        searcher = self.index.searcher()
        found = searcher.search(tantivy.Query.term_query(self.schema, "id", STATE_ID), 1, count=False).hits
        if not found:
            return IndexState(None, None, searcher.num_docs)
        stamps = [datetime.fromisoformat(t) if t else None for t in searcher.doc(found[0][1])["state"]]
        return IndexState(stamps[0], stamps[1], searcher.num_docs - 1)

    def tokens(self, terms: Iterable[str]) -> list[str]:
        """The analysed form of query terms (stemmed, stop words out), de-duplicated in order."""
        out: list[str] = []
        for term in terms:
            out.extend(t for t in self.analyzer.analyze(term) if t not in out)
        return out

    def search(
        self, terms: Iterable[str], *, limit: int, filters: SearchFilters, weights: tuple[float, float, float]
    ) -> list[tuple[str, float]]:
        """``(paper id, BM25 score)`` best first: any query word in any field, weighted by field."""
        tokens = self.tokens(terms)
        if not tokens or limit <= 0:
            return []
        clauses = []
        extra_authors = weights[1] - weights[2]  # authors are in ``text`` once already
        for token in tokens:
            clauses.append((tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "text", token)))
            if extra_authors > 0:
                clauses.append(
                    (
                        tantivy.Occur.Should,
                        tantivy.Query.boost_query(
                            tantivy.Query.term_query(self.schema, "authors", token), extra_authors
                        ),
                    )
                )
        query = tantivy.Query.boolean_query(clauses)
        limits = self._filter_clauses(filters)
        if limits:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *limits])
        searcher = self.index.searcher()
        # count=False: counting every match is exactly the work dynamic pruning avoids
        hits = searcher.search(query, limit, count=False).hits
        found = [(searcher.doc(address)["id"][0], float(score)) for score, address in hits]
        # equal scores in id order, not in the order documents happen to sit in segments (a rebuilt index
        # must answer as the incrementally kept one does)
        return sorted(found, key=lambda hit: (-round(hit[1], 4), hit[0]))

    def _filter_clauses(self, filters: SearchFilters) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        clauses = []
        if filters.date_from or filters.date_to:
            low = day_number(filters.date_from) if filters.date_from else 0
            high = day_number(filters.date_to) if filters.date_to else 10**7
            clauses.append(
                tantivy.Query.range_query(self.schema, "published", tantivy.FieldType.Integer, low, high)
            )
        if filters.categories:
            wanted = sorted({c.strip().lower() for c in filters.categories})
            clauses.append(tantivy.Query.term_set_query(self.schema, "categories", wanted))
        author = (filters.author or "").strip().lower()
        if author:
            pattern = ".*" + "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in author) + ".*"
            clauses.append(tantivy.Query.regex_query(self.schema, "author_names", pattern))
        return [(tantivy.Occur.Must, clause) for clause in clauses]

    def estimated_matches(self, terms: Iterable[str]) -> int:
        """About how many papers contain any of the words (independence assumed; no posting list is read)."""
        tokens = self.tokens(terms)
        searcher = self.index.searcher()
        total = max(searcher.num_docs - 1, 1)
        missing = 1.0
        for token in tokens:
            share = searcher.doc_freq("text", token) / total
            missing *= 1.0 - min(share, 1.0)
        return round(total * (1.0 - missing))

    def rarity(self, terms: Iterable[str]) -> float | None:
        """Mean IDF of the analysed words over the largest IDF possible (a word in one paper): 0-1."""
        tokens = self.tokens(terms)
        searcher = self.index.searcher()
        total = max(searcher.num_docs - 1, 1)
        if not tokens:
            return None
        top = math.log(total + 1)
        idf = [math.log((total + 1) / (searcher.doc_freq("text", t) + 1)) / top for t in tokens]
        return max(0.0, min(1.0, sum(idf) / len(idf)))

    def suggestion(self, words: list[str]) -> list[str] | None:
        """The query with each word that no paper contains replaced by the likeliest title word, or None."""
        searcher = self.index.searcher()
        changed, out = False, []
        for word in words:
            if (
                len(word) < 4
                or not word.isalpha()
                or any(searcher.doc_freq("text", t) for t in self.tokens([word]))
            ):
                out.append(word)
                continue
            vocabulary = dict(searcher.terms_with_prefix("title_words", word[:2], limit=20_000))
            close = difflib.get_close_matches(word, list(vocabulary), n=5, cutoff=0.75)
            if not close:
                out.append(word)
                continue
            out.append(
                max(
                    close,
                    key=lambda w: (difflib.SequenceMatcher(None, word, w).ratio(), math.log1p(vocabulary[w])),
                )
            )
            changed = True
        return out if changed else None

    # --- writing -------------------------------------------------------------------------------------
    def writer(self, *, threads: int = 1, heap: int = WRITER_HEAP) -> tantivy.IndexWriter:
        """The index's one writer; raises ValueError at once when another process or thread holds it."""
        return self.index.writer(heap_size=heap, num_threads=threads)

    def indexed_keys(self) -> set[str]:
        """``paper_key`` of every live indexed paper: compared with the database to find what drifted."""
        searcher = self.index.searcher()
        live = searcher.terms_with_prefix("key", "", filter_query=tantivy.Query.all_query())
        return {term for term, _ in live}


def day_number(day: date) -> int:
    return (day - EPOCH).days


def paper_document(paper: Paper, content_hash: str, title_repeat: int) -> tantivy.Document:
    authors = ", ".join(paper.authors)
    # One BM25 field, as FTS5 scores a row: the title repeated counts ``title_repeat`` times, against one
    # length; per-field BM25 (a sum of separately saturated scores) lost 0.06 nDCG@10 on SciFact.
    text = "\n".join([paper.title] * title_repeat + [authors, paper.abstract or ""])
    return tantivy.Document(
        id=paper.id,
        key=paper_key(paper.id, content_hash),
        text=text,
        title_words=paper.title,
        authors=authors,
        author_names=[a.lower() for a in paper.authors],
        categories=[c.lower() for c in paper.categories],
        published=day_number(paper.published) if paper.published else -1,
    )


def state_document(high_water: datetime | None, seen: datetime | None) -> tantivy.Document:
    stamps = [moment.astimezone(UTC).isoformat() if moment else "" for moment in (high_water, seen)]
    return tantivy.Document(id=STATE_ID, state=stamps)


def replace_papers(
    writer: tantivy.IndexWriter, papers: Iterable[tuple[Paper, str]], title_repeat: int
) -> int:
    """Delete each paper's old document and add its new one (withdrawn papers only leave); returns adds."""
    added = 0
    for paper, content_hash in papers:
        writer.delete_documents_by_term("id", paper.id)
        if not paper.withdrawn:
            writer.add_document(paper_document(paper, content_hash, title_repeat))
            added += 1
    return added


def add_papers(writer: tantivy.IndexWriter, papers: Iterable[tuple[Paper, str]], title_repeat: int) -> int:
    """Add papers to an emptied index (no deletes to queue: a rebuild's fast path); returns how many."""
    added = 0
    for paper, content_hash in papers:
        if not paper.withdrawn:
            writer.add_document(paper_document(paper, content_hash, title_repeat))
            added += 1
    return added


def commit(writer: tantivy.IndexWriter, high_water: datetime | None, seen: datetime | None) -> None:
    """Commit the pending changes together with the new marks (one atomic tantivy commit)."""
    writer.delete_documents_by_term("id", STATE_ID)
    writer.add_document(state_document(high_water, seen))
    writer.commit()
