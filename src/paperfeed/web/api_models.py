"""The JSON API's shapes, with Hugging Face Daily Papers' field names so existing clients can read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from pydantic import BaseModel, Field

from paperfeed.services.feed import PaperCard


class Author(BaseModel):
    name: str


class Submitter(BaseModel):
    name: str


class PaperOut(BaseModel):
    id: str = Field(description="arXiv id without version")
    title: str
    summary: str = Field(description="the abstract")
    authors: list[Author]
    publishedAt: str | None = Field(description="arXiv publication date, ISO 8601")
    upvotes: int = Field(description="local votes plus upvotes imported from Hugging Face")
    githubRepo: str | None = None
    projectPage: str | None = None
    submittedOnDailyAt: str | None = Field(None, description="when it was first featured on a daily page")
    categories: list[str] = []
    numComments: int = 0


class DailyItem(BaseModel):
    paper: PaperOut
    publishedAt: str | None
    title: str
    summary: str
    numComments: int
    submittedBy: Submitter | None = None


class ForYouItem(DailyItem):
    score: float | None = Field(
        description="the reader's personal score, higher first; null until they have "
        "told paperfeed their interests (the order is then trending)"
    )
    reasons: list[str] = Field(
        description="why the paper is here, in the reader's words, e.g. 'In cs.CL, which you follow'"
    )


class ErrorOut(BaseModel):
    """Every error of the API, 422 included: one sentence naming the input and what to do."""

    detail: str = Field(description="what went wrong, in a sentence, e.g. \"sort 'hot' is not one of …\"")


class VoteOut(BaseModel):
    paper: str
    upvotes: int
    voted: bool


class SubmitIn(BaseModel):
    paper: str = Field(description="an arXiv id or URL, e.g. 2410.12345 or https://arxiv.org/abs/2410.12345")


def iso(day: date | None) -> str | None:
    """Dates as Hugging Face writes them: midnight UTC with milliseconds and a Z."""
    if day is None:
        return None
    return datetime.combine(day, time(0, 0), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def paper_out(card: PaperCard) -> PaperOut:
    p = card.paper
    return PaperOut(
        id=p.id,
        title=p.title,
        summary=p.abstract,
        authors=[Author(name=a) for a in p.authors],
        publishedAt=iso(p.published),
        upvotes=card.upvotes,
        githubRepo=p.github_repo,
        projectPage=p.project_page,
        submittedOnDailyAt=iso(card.entry.featured_on) if card.entry else None,
        categories=list(p.categories),
        numComments=card.num_comments,
    )


def daily_item(card: PaperCard) -> DailyItem:
    paper = paper_out(card)
    submitter = card.entry.submitted_by if card.entry else None
    return DailyItem(
        paper=paper,
        publishedAt=paper.submittedOnDailyAt or paper.publishedAt,
        title=paper.title,
        summary=paper.summary,
        numComments=card.num_comments,
        submittedBy=Submitter(name=submitter) if submitter else None,
    )


def for_you_item(card: PaperCard) -> ForYouItem:
    return ForYouItem(**daily_item(card).model_dump(), score=card.score, reasons=list(card.reasons))
