"""Author pages: an author's papers here (newest first), their frequent co-authors and categories, whether
the reader follows them, and a paper page's "more by these authors".

Authors are found by the folded key of their name (:func:`paperfeed.domain.authors.author_key`), the same
form follows are stored in, so ``/authors/Jorg Muller`` and a follow of "jörg müller" both mean Jörg Müller.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperfeed.domain.authors import author_key
from paperfeed.domain.paper import Paper
from paperfeed.services.feed import PaperCard, cards_for
from paperfeed.services.interests import follows_of
from paperfeed.store import Database
from paperfeed.store import authors as store
from paperfeed.store.papers import get_papers

PAGE_SIZE = 20
FEED_SIZE = 50
MORE_BY_AUTHORS = 4


class UnknownAuthor(LookupError):
    """No stored paper has this author; the message names the name asked for."""


@dataclass(frozen=True, slots=True)
class AuthorPage:
    name: str  # as most of their papers spell it
    key: str
    cards: list[PaperCard]
    total: int
    page: int
    pages: int
    coauthors: list[tuple[str, int]]  # (name, papers together)
    categories: list[tuple[str, int]]  # (primary category, papers)
    followed: bool


def author_page(db: Database, name: str, *, page: int = 1, reader: int | None = None) -> AuthorPage:
    """One page of the author's papers with what surrounds them; raises UnknownAuthor."""
    key = _key(name)
    page = max(page, 1)
    with db.sessions() as session:
        spelling = store.author_spelling(session, key)
        if spelling is None:
            raise UnknownAuthor(f"No paper by “{name}” is stored here.")
        total = store.count_author_papers(session, key)
        ids = store.author_paper_ids(session, key, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        papers = get_papers(session, ids)
        coauthors = store.coauthors(session, key)
        categories = store.author_categories(session, key)
    followed = reader is not None and any(f.key == key for f in follows_of(db, reader)["author"])
    return AuthorPage(
        spelling,
        key,
        cards_for(db, [papers[i] for i in ids if i in papers]),
        total,
        page,
        max(1, -(-total // PAGE_SIZE)),
        coauthors,
        categories,
        followed,
    )


def author_feed(db: Database, name: str, limit: int = FEED_SIZE) -> tuple[str, list[Paper]]:
    """The author's name and newest papers, for their RSS/Atom feed; raises UnknownAuthor."""
    key = _key(name)
    with db.sessions() as session:
        spelling = store.author_spelling(session, key)
        if spelling is None:
            raise UnknownAuthor(f"No paper by “{name}” is stored here.")
        ids = store.author_paper_ids(session, key, limit=limit)
        papers = get_papers(session, ids)
    return spelling, [papers[i] for i in ids if i in papers]


def more_by_authors(db: Database, paper: Paper, limit: int = MORE_BY_AUTHORS) -> list[PaperCard]:
    """The newest other papers here by any of the paper's (first 50) authors."""
    keys = [key for name in paper.authors if (key := author_key(name))]
    with db.sessions() as session:
        ids = store.papers_by_any_of(session, keys, besides=paper.id, limit=limit)
        papers = get_papers(session, ids)
    return cards_for(db, [papers[i] for i in ids if i in papers])


def _key(name: str) -> str:
    key = author_key(name)
    if not key:
        raise UnknownAuthor(f"“{name}” is not an author's name.")
    return key
