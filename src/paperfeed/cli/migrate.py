"""`paperfeed migrate`: bring the database's schema to this version of paperfeed; the deploy step."""

from __future__ import annotations

import sqlalchemy as sa
import typer
from rich.markup import escape

from paperfeed.cli.common import console
from paperfeed.config import get_settings
from paperfeed.store import Database


def migrate() -> None:
    """Upgrade the schema to this version (run once per deploy, before `serve`; safe from many nodes at once:
    they take turns behind a lock and the later ones find nothing to do)."""
    db = Database(get_settings().resolved_database_url)
    try:
        before = db.migrate()
        after = db.schema_revision()
        get_settings().resolved_secret_key()  # the installation's signing key exists from now on
    except sa.exc.OperationalError as error:
        reason = escape(str(error.orig or error).splitlines()[0])
        console.print(f"[red]error:[/] cannot reach the database: {reason}")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    if before == after:
        console.print(f"the schema is already at {after}; nothing to do")
    else:
        console.print(f"the schema is at {after} now (it was at {before or 'nothing'})")
