"""A digest run killed half way (SIGKILL, no cleanup) is completed by the next run, without duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from paperfeed.mail.outbox import outbox_counts
from paperfeed.store import Database
from tests.support.smtp import SmtpServer, add_papers, add_readers

DAY = date(2026, 6, 30)
CLI = [str(Path(sys.executable).parent / "paperfeed")]


def digest_cli(db: Database, smtp: SmtpServer, home: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PAPERFEED_HOME": str(home),
        "PAPERFEED_DATABASE_URL": db.url,
        "PAPERFEED_SECRET_KEY": "kill-test",
        "PAPERFEED_SMTP_HOST": smtp.host,
        "PAPERFEED_SMTP_PORT": str(smtp.port),
        "PAPERFEED_BASE_URL": "http://testserver",
    }
    return subprocess.Popen([*CLI, "digest", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_digest_run_killed_half_way_is_completed_by_the_rerun(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    add_papers(db, DAY, 3)
    subscribers = add_readers(db, 20)
    run = digest_cli(db, smtp_server, tmp_path, "run", "--now", "2026-06-30T07:00Z")

    def kill_after_seven(accepted: int) -> None:
        if accepted == 7:
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=30)

    smtp_server.sink.on_mail_from = kill_after_seven
    run.wait(timeout=120)
    assert run.returncode == -signal.SIGKILL
    assert len(smtp_server.sink.messages) == 7
    counts = outbox_counts(db)
    assert counts == {"sent": 7, "pending": 13}  # the whole outbox was built before sending began

    smtp_server.sink.on_mail_from = None
    # A rerun builds nothing new, and sends nothing yet: the killed sender's lease on the rest of its
    # batch (taken on the wall clock, whatever --now said) holds for ten minutes.
    rerun = digest_cli(db, smtp_server, tmp_path, "run", "--now", "2026-06-30T07:15Z")
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()
    assert "20 already queued" in err.decode() and "sent 0," in err.decode()
    assert len(smtp_server.sink.messages) == 7

    # The cron's send-pending once the lease has run out (simulated: eleven minutes from now).
    later = (datetime.now(UTC) + timedelta(minutes=11)).isoformat()
    cron = digest_cli(db, smtp_server, tmp_path, "send-pending", "--now", later)
    out, err = cron.communicate(timeout=120)
    assert cron.returncode == 0, err.decode()
    assert "sent 13," in err.decode()

    delivered = Counter(smtp_server.sink.recipients())
    assert sorted(delivered) == subscribers and set(delivered.values()) == {1}
    assert outbox_counts(db) == {"sent": 20}
