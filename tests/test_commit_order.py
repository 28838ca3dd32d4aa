"""The id horizon: a reader of a growing table never moves past an id that an open writer may still commit,
and is not held back by readers, however long their transactions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.store.commit_order import IdHorizon
from tests.support import pg


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'horizon.sqlite3'}"
        key = "id INTEGER PRIMARY KEY AUTOINCREMENT"
    else:
        url = pg.fresh_database(request.getfixturevalue("pg_server"))
        key = "id serial PRIMARY KEY"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE TABLE rows ({key}, note text)"))
    yield engine
    engine.dispose()


def insert(session: Session) -> int:
    return int(session.execute(sa.text("INSERT INTO rows (note) VALUES ('x') RETURNING id")).scalar_one())


def read(engine: sa.Engine, horizon: IdHorizon) -> list[int]:
    """One reader's pass, as the vector index makes it: the horizon, the rows above where it says, done."""
    with Session(engine) as session:
        start = horizon.before_read(session)
        ids = list(
            session.execute(sa.text("SELECT id FROM rows WHERE id > :s ORDER BY id"), {"s": start}).scalars()
        )
        horizon.after_read(max([start, *ids]))
        return ids


def test_an_open_writer_holds_the_horizon_below_its_row_until_it_commits(engine: sa.Engine) -> None:
    horizon = IdHorizon()
    with Session(engine) as quick:
        insert(quick)
        quick.commit()
    read(engine, horizon)
    slow = Session(engine)
    held = insert(slow)  # drawn, not committed
    if engine.dialect.name == "sqlite":  # one writer at a time: it commits before the next one may write
        slow.commit()
    with Session(engine) as quick:
        later = insert(quick)
        quick.commit()
    seen: set[int] = set()
    for _ in range(4):
        seen.update(read(engine, horizon))
        if engine.dialect.name == "postgresql":
            assert horizon.safe < held  # every pass reads again from below the open writer's row
    assert later in seen
    slow.commit()
    slow.close()
    for _ in range(3):
        seen.update(read(engine, horizon))
    assert held in seen
    assert horizon.safe == later


def test_a_long_reader_does_not_hold_the_horizon_back(engine: sa.Engine) -> None:
    horizon = IdHorizon()
    reader = Session(engine)
    reader.execute(sa.text("SELECT count(*) FROM rows"))  # a transaction left open, idle, that wrote nothing
    with Session(engine) as writer:
        newest = [insert(writer) for _ in range(3)][-1]
        writer.commit()
    for _ in range(3):
        read(engine, horizon)
    assert horizon.safe == newest
    reader.close()


def test_priming_lets_a_first_long_read_end_at_the_top(engine: sa.Engine) -> None:
    with Session(engine) as writer:
        top = [insert(writer) for _ in range(5)][-1]
        writer.commit()
    horizon = IdHorizon()
    with Session(engine) as session:
        horizon.prime(session, top)
    read(engine, horizon)
    assert horizon.safe == top  # so a saved generation ends there, and a reopened index reads nothing again


def test_priming_waits_for_a_writer_under_way_within_one_transaction(engine: sa.Engine) -> None:
    """A first read runs in one long transaction, and PostgreSQL keeps pg_stat_activity as a transaction first
    read it: without clearing that, a writer seen once would hold the horizon for the whole read."""
    with Session(engine) as writer:
        top = [insert(writer) for _ in range(3)][-1]
        writer.commit()
    slow = Session(engine)
    ends = threading.Timer(0.5, slow.commit)
    if engine.dialect.name == "postgresql":  # an open writer (SQLite lets one writer at a time in)
        insert(slow)
        ends.start()
    horizon = IdHorizon()
    with Session(engine) as session:
        session.execute(sa.text("SELECT 1"))  # the transaction the horizon checks run in
        horizon.prime(session, top)
        start = horizon.before_read(session)
        ids = list(session.execute(sa.text("SELECT id FROM rows WHERE id > :s"), {"s": start}).scalars())
        horizon.after_read(max(ids))
    ends.cancel()
    slow.close()
    assert horizon.safe >= top
