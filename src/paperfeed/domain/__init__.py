"""The domain: plain dataclasses and pure rules. Imports nothing from the other layers."""

from paperfeed.domain.arxiv_id import ArxivId, InvalidArxivId, parse_arxiv_id
from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.paper import Paper, PaperVersion

__all__ = [
    "ArxivId",
    "FeedEntry",
    "FeedSource",
    "InvalidArxivId",
    "Paper",
    "PaperVersion",
    "parse_arxiv_id",
]
