"""`paperfeed search`, `paperfeed similar` and `paperfeed reindex`: thin wrappers over services.search."""

from __future__ import annotations

import json
import time
from datetime import date
from enum import StrEnum

import typer
from rich.console import Console
from rich.table import Table

from paperfeed.cli.common import console, open_db, progress_bar, user_errors
from paperfeed.services.batch_embed import RayEmbedReport, embed_pending_on_ray
from paperfeed.services.search import (
    SearchFilters,
    SearchHit,
    drop_vectors,
    embed_pending,
    pending_count,
    rebuild_keyword_index,
    rebuild_vector_index,
    search_papers,
    similar_papers,
)


def search(
    query: str = typer.Argument(..., help="Words, a title, or an arXiv id"),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, keyword or semantic"),
    limit: int = typer.Option(20, "--limit", "-n", help="How many results"),
    offset: int = typer.Option(0, "--offset", help="Skip this many results (paging)"),
    date_from: str | None = typer.Option(None, "--from", help="Published on or after (YYYY-MM-DD)"),
    date_to: str | None = typer.Option(None, "--to", help="Published on or before (YYYY-MM-DD)"),
    category: list[str] = typer.Option([], "--category", "-c", help="Only these categories (repeatable)"),
    author: str | None = typer.Option(None, "--author", help="Only papers with an author matching this"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: a list of {id, title, score, …}"),
) -> None:
    """Search the papers (keyword, semantic or hybrid)."""
    with user_errors():
        filters = SearchFilters(_day(date_from, "--from"), _day(date_to, "--to"), tuple(category), author)
        results = search_papers(open_db(), query, mode=mode, limit=limit, offset=offset, filters=filters)
    if results.mode != mode:
        console.print(f"[yellow]no vectors yet (run `paperfeed reindex`): answered by {results.mode}[/]")
    _show(results.hits, as_json, f"{len(results.hits)} results for {results.query!r} ({results.mode})")


def similar(
    arxiv_id: str = typer.Argument(..., help="The paper's arXiv id or URL"),
    limit: int = typer.Option(10, "--limit", "-n", help="How many papers"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: a list of {id, title, score, …}"),
) -> None:
    """Papers most similar to one paper."""
    with user_errors():
        hits = similar_papers(open_db(), arxiv_id, limit=limit)
    _show(hits, as_json, f"papers similar to {arxiv_id}")


class Engine(StrEnum):
    local = "local"
    ray = "ray"


def reindex(
    full: bool = typer.Option(False, "--full", help="Drop every stored vector and embed all papers again"),
    limit: int | None = typer.Option(None, "--limit", help="Embed at most this many papers now"),
    engine: Engine = typer.Option(
        Engine.local,
        "--engine",
        help="local: embed in this process; ray: fan out over a Ray cluster (pip install 'paperfeed[ray]')",
    ),
    address: str | None = typer.Option(
        None,
        "--address",
        help="With --engine ray: the cluster to join (auto: this machine's; host:port or ray://…); "
        "default: a local cluster on this machine's CPUs",
    ),
    actors: int | None = typer.Option(
        None, "--actors", min=1, help="With --engine ray: encoder actors (default: one per CPU, or per GPU)"
    ),
    keyword: bool = typer.Option(
        False, "--keyword", help="Rebuild the on-disk keyword index from the database instead"
    ),
    vectors: bool = typer.Option(
        False, "--vectors", help="Rebuild and save the vector index (HNSW graph) instead"
    ),
) -> None:
    """Embed the papers that have no vector yet, here or on a Ray cluster (resumable: stop it any time and
    run it again).

    With --keyword or --vectors, rebuild that search index from the database (which is never changed)."""
    if engine is Engine.local and (address is not None or actors is not None):
        raise typer.BadParameter("--address and --actors go with --engine ray", param_hint="--engine")
    db = open_db()
    if keyword or vectors:
        if keyword:
            started = time.perf_counter()
            done = rebuild_keyword_index(db)
            console.print(f"keyword index: {done} papers indexed in {time.perf_counter() - started:.1f} s")
        if vectors:
            started = time.perf_counter()
            done = rebuild_vector_index(db)
            console.print(f"vector index: {done} vectors saved in {time.perf_counter() - started:.1f} s")
        return
    if full:
        console.print(f"dropped {drop_vectors(db)} vectors")
    total = pending_count(db) if limit is None else min(limit, pending_count(db))
    with progress_bar("embedding", total) as bar:
        if engine is Engine.ray:
            with user_errors():
                report = embed_pending_on_ray(
                    db,
                    address=address,
                    actors=actors,
                    limit=limit,
                    on_progress=lambda n, _total: bar.update(bar.task, completed=n),
                )
            _show_ray_run(report)
            done = report.embedded
        else:
            done = embed_pending(
                db, limit=limit, on_progress=lambda n, _total: bar.update(bar.task, completed=n)
            )
    console.print(f"embedded {done} papers; {pending_count(db)} still pending")


def _show_ray_run(report: RayEmbedReport) -> None:
    if not report.actors:
        return  # nothing was pending: no cluster was started
    rate = report.embedded / report.embed_seconds if report.embed_seconds else 0.0
    console.print(
        f"Ray: {report.actors} actors on {report.device} ({', '.join(report.providers)}); "
        f"cluster {report.cluster_seconds:.1f} s, actors and models {report.load_seconds:.1f} s, "
        f"embedding {report.embed_seconds:.1f} s ({rate:.1f} papers/s)"
    )


def _day(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"{option} must be a date like 2026-06-30, not {text!r}") from error


def _show(hits: list[SearchHit], as_json: bool, caption: str) -> None:
    if as_json:
        rows = [
            {
                "id": h.paper.id,
                "title": h.paper.title,
                "score": round(h.score, 6),
                "authors": list(h.paper.authors),
                "categories": list(h.paper.categories),
                "published": h.paper.published.isoformat() if h.paper.published else None,
                "url": h.paper.abs_url,
            }
            for h in hits
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=caption)
    for name in ("#", "id", "title", "published", "score"):
        table.add_column(name, overflow="fold")
    for rank, hit in enumerate(hits, start=1):
        published = str(hit.paper.published or "")
        table.add_row(str(rank), hit.paper.id, hit.paper.title, published, f"{hit.score:.3f}")
    Console().print(table)
