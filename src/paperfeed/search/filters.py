"""Search filters and the SQL that applies them to the ``papers`` table (aliased ``p``) on either backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class SearchFilters:
    """Restrict results to a date range (on the publication date), any of some categories (in any case:
    "cs.lg" is cs.LG), or an author.

    ``author`` matches a case-insensitive part of any author's name ("hinton" finds "Geoffrey E. Hinton").
    """

    date_from: date | None = None
    date_to: date | None = None
    categories: tuple[str, ...] = ()
    author: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.date_from or self.date_to or self.categories or (self.author or "").strip())


def filter_sql(filters: SearchFilters, dialect: str) -> tuple[str, dict[str, Any]]:
    """``(" AND …", params)`` for a query that selects from ``papers p``; empty when nothing filters."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.date_from:
        clauses.append("p.published >= :f_date_from")
        params["f_date_from"] = filters.date_from
    if filters.date_to:
        clauses.append("p.published <= :f_date_to")
        params["f_date_to"] = filters.date_to
    sqlite = dialect == "sqlite"
    if filters.categories:
        names = ", ".join(f":f_cat{i}" for i in range(len(filters.categories)))
        params.update({f"f_cat{i}": c.strip().lower() for i, c in enumerate(filters.categories)})
        each = (
            "json_each(p.categories) c WHERE lower(c.value)"
            if sqlite
            else ("json_array_elements_text(p.categories) c(value) WHERE lower(c.value)")
        )
        clauses.append(f"EXISTS (SELECT 1 FROM {each} IN ({names}))")
    author = (filters.author or "").strip()
    if author:
        params["f_author"] = (
            "%" + author.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        each = "json_each(p.authors) a" if sqlite else "json_array_elements_text(p.authors) a(value)"
        clauses.append(f"EXISTS (SELECT 1 FROM {each} WHERE lower(a.value) LIKE :f_author ESCAPE '\\')")
    return "".join(f" AND {c}" for c in clauses), params
