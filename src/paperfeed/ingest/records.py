"""What a source parser yields: a record to store, or a rejection that names the record and the field."""

from __future__ import annotations

from dataclasses import dataclass

from paperfeed.domain.feed import FeedEntry
from paperfeed.domain.paper import Paper


@dataclass(frozen=True, slots=True)
class Record:
    """A paper, and the feed entry that puts it on a day's page when the source says which day."""

    paper: Paper
    feed_entry: FeedEntry | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be read; the rest of the input still goes in.

    ``where`` locates it for a person ("line 17", "record 2410.12345"); ``reason`` names the field.
    """

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class MalformedSource(Exception):
    """The input as a whole cannot be read (not JSON, truncated archive, wrong document shape).

    Raised before anything is committed for that input, so the database is left as it was.
    """


class RecordError(ValueError):
    """A single record is invalid; parsers turn it into :class:`Rejected` with the record's location."""
