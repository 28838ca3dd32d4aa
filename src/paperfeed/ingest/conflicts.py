"""Two records of one input under the same id that disagree: the later one is rejected, naming the first.

The same paper may well come twice in one input (a Hugging Face dump features it on several days; a listing
repeats it after a replacement), and a newer version rightly replaces an older one. But two records of the
*same* version whose known fields differ (another title, another abstract) cannot both be right; merging them
silently would let whichever came last win. A field one of them leaves empty is not a disagreement.

What a run has seen is kept in a private temporary SQLite database (on disk, deleted when closed, about 130
bytes a record) rather than a dict, so that a multi-million-line snapshot still streams in constant memory.
"""

from __future__ import annotations

import sqlite3
import struct

from paperfeed.domain.paper import Paper
from paperfeed.ingest.records import Record, Rejected

# The fields compared; withdrawn is left out (it only ever sticks, see domain.paper.merge_papers).
FIELDS = (
    "title",
    "abstract",
    "authors",
    "categories",
    "versions",
    "published",
    "updated",
    "doi",
    "journal_ref",
    "comments",
    "license",
    "github_repo",
    "project_page",
)
_PACK = struct.Struct(f"<{len(FIELDS)}I")
_UNKNOWN = 0


class SeenRecords:
    """Which paper ids this run has seen: where first, which version, and a digest of each known field.

    Digests are Python's ``hash`` (salted per process, which is fine for an index that lives one run), cut
    to 32 bits; two different values sharing one could only hide a conflict, never invent one.
    """

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def check(self, records: list[Record]) -> tuple[list[Record], list[Rejected]]:
        """``records`` (one batch, in input order) split into those to store and the conflicting ones."""
        db = self._open()
        ids = list(dict.fromkeys(r.paper.id for r in records))
        seen: dict[str, tuple[str, int, tuple[int, ...]]] = {
            row[0]: (row[1], row[2], _PACK.unpack(row[3]))
            for row in db.execute(
                f"SELECT id, place, version, digests FROM seen WHERE id IN ({','.join('?' * len(ids))})", ids
            )
        }
        kept: list[Record] = []
        rejected: list[Rejected] = []
        changed: set[str] = set()
        for record in records:
            paper, where = record.paper, record.where or f"record {record.paper.id}"
            digests = _digests(paper)
            first = seen.get(paper.id)
            if first is not None and first[0] != where and first[1] == paper.version:
                differing = [
                    name
                    for name, a, b in zip(FIELDS, first[2], digests, strict=True)
                    if a != b and _UNKNOWN not in (a, b)
                ]
                if differing:
                    if rejected and rejected[-1].where == where:
                        continue  # another feed entry of a record already rejected
                    rejected.append(
                        Rejected(
                            where,
                            (
                                f"conflicts with {first[0]}: the same id and version {paper.version} but "
                                f"a different {', '.join(differing)}; the first one is kept"
                            ),
                        )
                    )
                    continue
                digests = tuple(b if a == _UNKNOWN else a for a, b in zip(first[2], digests, strict=True))
                seen[paper.id] = (first[0], paper.version, digests)
            elif first is None or paper.version > first[1]:
                seen[paper.id] = (where, paper.version, digests)
            changed.add(paper.id)
            kept.append(record)
        db.executemany(
            "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?)",
            ((i, *seen[i][:2], _PACK.pack(*seen[i][2])) for i in changed),
        )
        return kept, rejected

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            # "" is SQLite's private temporary database: a file that exists only while it is open.
            self._db = sqlite3.connect("", isolation_level=None)
            self._db.execute("PRAGMA journal_mode=OFF")
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute(
                "CREATE TABLE seen (id TEXT PRIMARY KEY, place TEXT, version INTEGER, "
                "digests BLOB) WITHOUT ROWID"
            )
        return self._db


def _digests(paper: Paper) -> tuple[int, ...]:
    return tuple(_digest(getattr(paper, name)) for name in FIELDS)


def _digest(value: object) -> int:
    if value is None or value == "" or value == ():
        return _UNKNOWN
    return (hash(value) & 0xFFFFFFFF) or 1
