"""The digest commands as an admin (or cron) runs them: real processes, a real SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from paperfeed.services.subscriptions import get_subscription
from paperfeed.store import Database
from tests.support.smtp import SmtpServer, free_port

PAPERFEED = str(Path(sys.executable).parent / "paperfeed")


def cli(db: Database, home: Path, smtp_port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PAPERFEED_HOME": str(home),
        "PAPERFEED_DATABASE_URL": db.url,
        "PAPERFEED_SECRET_KEY": "cli-test",
        "PAPERFEED_SMTP_HOST": "127.0.0.1",
        "PAPERFEED_SMTP_PORT": str(smtp_port),
        "PAPERFEED_BASE_URL": "http://testserver",
    }
    return subprocess.run([PAPERFEED, *args], env=env, capture_output=True, text=True, timeout=120)


def test_subscribe_and_unsubscribe_commands(
    sqlite_db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    done = cli(sqlite_db, tmp_path, smtp_server.port, "subscribe", "x@example.org", "--frequency", "weekly")
    assert done.returncode == 0, done.stderr
    assert smtp_server.sink.recipients() == ["x@example.org"]
    assert "/confirm/" in smtp_server.sink.messages[0].get_body(("plain",)).get_content()
    assert get_subscription(sqlite_db, "x@example.org").status == "pending"  # double opt-in, even for admins

    assert cli(sqlite_db, tmp_path, smtp_server.port, "unsubscribe", "x@example.org").returncode == 0
    assert get_subscription(sqlite_db, "x@example.org").status == "unsubscribed"
    missing = cli(sqlite_db, tmp_path, smtp_server.port, "unsubscribe", "nobody@example.org")
    assert missing.returncode == 1 and "email: no subscription for 'nobody@example.org'" in missing.stderr


def test_bad_input_and_smtp_outage_exit_codes(sqlite_db: Database, tmp_path: Path) -> None:
    bad = cli(sqlite_db, tmp_path, free_port(), "digest", "run", "--period", "hourly")
    assert bad.returncode == 1 and "frequency: 'hourly'" in bad.stderr
    bad_now = cli(sqlite_db, tmp_path, free_port(), "digest", "run", "--now", "yesterday")
    assert bad_now.returncode == 1 and "--now: 'yesterday'" in bad_now.stderr
    invalid = cli(sqlite_db, tmp_path, free_port(), "subscribe", "not-an-address")
    assert invalid.returncode == 1 and "email: 'not-an-address'" in invalid.stderr
    assert cli(sqlite_db, tmp_path, free_port(), "digest", "send-pending").returncode == 0  # nothing queued

    queued = cli(sqlite_db, tmp_path, free_port(), "subscribe", "y@example.org")  # nothing listens there
    assert queued.returncode == 2 and "SMTP unavailable" in queued.stderr
    down = cli(sqlite_db, tmp_path, free_port(), "digest", "send-pending")
    assert down.returncode == 2 and "stay queued" in down.stderr
