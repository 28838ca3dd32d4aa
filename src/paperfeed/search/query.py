"""What a typed query means before any index sees it: its search terms, an arXiv id, a possible title.

Terms are plain word tokens (letters and digits of any script), so FTS5 and tsquery syntax characters in the
input (quotes, ``*``, ``NEAR``, ``-``, parentheses, ``AND``) are never interpreted: every query is searched as
the words it contains. Very common English words are dropped (they match nearly every abstract and only cost
time), unless nothing else is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperfeed.domain.arxiv_id import InvalidArxivId, parse_arxiv_id

MAX_QUERY_CHARS = 10_000
MAX_TERMS = 64
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # the query as typed, trimmed
    terms: tuple[str, ...]  # lower-cased search words, de-duplicated, in order
    arxiv_id: str | None  # set when the whole query is an arXiv id or URL


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_query(text: str) -> ParsedQuery:
    """Split a query into search terms; callers decide what an empty result means. Lone surrogates (a
    broken UTF-16 pair, possible in a Python string but not in UTF-8) are dropped: neither SQLite nor the
    tokenizer can take them, and they carry no word."""
    text = text.encode("utf-8", "ignore").decode("utf-8") if _SURROGATE.search(text) else text
    trimmed = " ".join(text.split())[:MAX_QUERY_CHARS]
    words = [w.lower() for w in _WORD.findall(trimmed)]
    unique = list(dict.fromkeys(words))
    kept = [w for w in unique if w not in STOP_WORDS] or unique
    try:
        arxiv_id: str | None = parse_arxiv_id(trimmed).base if trimmed else None
    except InvalidArxivId:
        arxiv_id = None
    return ParsedQuery(text=trimmed, terms=tuple(kept[:MAX_TERMS]), arxiv_id=arxiv_id)


def fts5_match(terms: tuple[str, ...]) -> str:
    """An FTS5 MATCH expression: every term quoted (so it is never syntax), OR-ed."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def websearch_text(terms: tuple[str, ...]) -> str:
    """Input for PostgreSQL's ``websearch_to_tsquery``: the terms OR-ed (it never raises on any input)."""
    return " or ".join(terms)
