"""The paper: what every source produces and every page shows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import date


@dataclass(frozen=True, slots=True)
class PaperVersion:
    """One arXiv version of a paper and the day it was submitted."""

    version: int
    created: date | None = None


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper's metadata, keyed by its arXiv id without version.

    Sources know different subsets of the fields (the Hugging Face feed has no categories, the arXiv
    listing has no upvotes), so every field but ``id`` and ``title`` may be empty; :func:`merge_papers`
    combines what two sources know without letting an empty field erase a known one.
    """

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    version: int = 1
    versions: tuple[PaperVersion, ...] = ()
    published: date | None = None
    updated: date | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None
    github_repo: str | None = None
    project_page: str | None = None
    withdrawn: bool = False

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.id}"

    def content_hash(self) -> str:
        """A digest of every stored field: equal hashes mean re-ingesting changes nothing."""
        payload = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_OPTIONAL_FIELDS = (
    "abstract",
    "authors",
    "categories",
    "published",
    "updated",
    "doi",
    "journal_ref",
    "comments",
    "license",
    "github_repo",
    "project_page",
)


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """What we know after ``incoming`` arrives for a paper already ``stored``.

    A newer (or equal) version's non-empty fields win; an older version never overwrites a newer one's
    text (a stale snapshot must not roll back a revised abstract), but it may fill fields still empty.
    Versions are unioned. Withdrawal sticks for a version once any source reports it (the Hugging Face
    feed, say, knows nothing of withdrawals); only a strictly newer version can lift it.
    """
    latest, older = (incoming, stored) if incoming.version >= stored.version else (stored, incoming)
    changes = {
        name: getattr(latest, name) if _known(getattr(latest, name)) else getattr(older, name)
        for name in _OPTIONAL_FIELDS
    }
    versions = {v.version: v for v in (*stored.versions, *incoming.versions)}
    same_version = incoming.version == stored.version
    return replace(
        latest,
        title=latest.title or older.title,
        versions=tuple(versions[k] for k in sorted(versions)),
        withdrawn=latest.withdrawn or (same_version and older.withdrawn),
        **changes,
    )


def _known(value: object) -> bool:
    return value is not None and value != "" and value != ()
