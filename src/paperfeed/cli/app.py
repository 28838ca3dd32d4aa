"""The `paperfeed` command. Each area registers its commands here, one line each."""

from __future__ import annotations

import typer

from paperfeed.cli import (
    backup,
    demo,
    digest,
    export,
    ingest_files,
    ingest_sources,
    jobs,
    map,
    migrate,
    readers,
    search,
    serve,
    stats,
    sync,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help="paperfeed: research-paper discovery.")
ingest_app = typer.Typer(no_args_is_help=True, help="Bring papers in from a source.")
app.add_typer(ingest_app, name="ingest")

ingest_app.command("jsonl")(ingest_files.ingest_jsonl)
ingest_app.command("snapshot")(ingest_sources.ingest_snapshot)
ingest_app.command("arxiv")(ingest_sources.ingest_arxiv)
ingest_app.command("oai")(ingest_sources.ingest_oai)
ingest_app.command("hf-daily")(ingest_sources.ingest_hf_daily)
app.command("submit")(ingest_sources.submit)
app.command("export")(export.export)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.command("stats")(stats.stats)
app.command("jobs")(jobs.jobs)
app.add_typer(digest.digest_app, name="digest")
app.command("subscribe")(digest.subscribe)
app.command("unsubscribe")(digest.unsubscribe)
app.command("search")(search.search)
app.command("similar")(search.similar)
app.command("reindex")(search.reindex)
app.command("serve")(serve.serve)
app.command("migrate")(migrate.migrate)
app.command("demo")(demo.demo)
app.add_typer(readers.users_app, name="users")
app.add_typer(readers.library_app, name="library")
app.command("recommend")(readers.recommend)
app.command("sync")(sync.sync)
app.add_typer(map.map_app, name="map")


def main() -> None:
    app()
