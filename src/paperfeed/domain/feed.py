"""Feed entries: a paper shown on a given day's page, and why it is there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class FeedSource(StrEnum):
    """Where a feed entry came from; the daily page mixes all of them."""

    ARXIV = "arxiv"  # the paper was listed by arXiv that day
    HF = "hf"  # featured on Hugging Face Daily Papers that day
    SUBMISSION = "submission"  # a user of this instance submitted it


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """``paper_id`` featured on ``featured_on``; one entry per paper and day."""

    paper_id: str
    featured_on: date
    source: FeedSource = FeedSource.ARXIV
    submitted_by: str | None = None
    external_upvotes: int = 0
    num_comments: int = 0
