"""A whole instance in one file, and back into an empty database of either backend.

``paperfeed backup FILE`` writes everything a reader would miss — papers, listing days, accounts with their
password hashes, votes, comments, collections, subscriptions, the outbox, For-you signals, submissions, the
admin log, the signing key, and (unless ``--no-vectors``) the paper vectors — as gzip'd JSON lines:

* line 1, the header: format and its version, the paperfeed version and schema revision that wrote it, and
  every table with its columns and row count;
* one line per row, ``{"t": table, "r": [values in the header's column order]}``, tables in foreign-key
  order;
* the last line, ``{"end": true, "rows": N}``: a file without it was cut short.

All tables are read inside one snapshot (PostgreSQL ``REPEATABLE READ``, SQLite a read transaction), so a
vote written during the backup is either in it with the paper's count or not at all. Rows are streamed a
batch at a time and the file is written beside its destination and renamed into place when complete, so
memory stays flat at a million papers and a failed backup never replaces a good one.

``paperfeed restore FILE`` goes into an *empty* database only (a new one: `restore` migrates it first), at
the schema revision the backup was made with. Merging two instances' ids is not something a restore can do
right, so a database with rows is refused, naming them. All rows go in inside one transaction: a damaged line
anywhere (even the last) leaves the database as empty as it was, and the error names the line. Afterwards
PostgreSQL's id sequences are moved past the restored ids, and this node's search indexes (the on-disk
keyword index, the saved vector graph) are rebuilt from the restored rows: an index left from an earlier
database at the same place would otherwise answer with papers that are not there.
"""

from __future__ import annotations

import gzip
import json
import os
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

import paperfeed
from paperfeed.search.vector_index import forget_indexes, remove_saved
from paperfeed.services.search import rebuild_keyword_index, rebuild_vector_index
from paperfeed.store import Database
from paperfeed.store import backup_rows as br
from paperfeed.store.db import head_revision
from paperfeed.store.instance import forget_signing_key
from paperfeed.store.models import Base

FORMAT = "paperfeed-backup"
FORMAT_VERSION = 1
BATCH = 2_000  # rows per read from the cursor and per multi-row INSERT: flat memory, few round trips
# The sample's 14.6 MB of lines: level 1 8.3 MB in 0.7 s, level 6 (zlib's default) 7.7 MB in 2.1 s. Vectors
# are most of a file and hardly compress, so the faster level costs 7 % more disk for a third of the time.
COMPRESS_LEVEL = 1

Progress = Callable[[int], None]  # rows done so far
Reader = Callable[[sa.Connection], Iterator[Sequence[Any]]]


class BackupError(ValueError):
    """A backup file that cannot be restored here, or a database that cannot take it: a sentence saying
    what and what to do (a ValueError, so the CLI prints it without a traceback)."""


@dataclass
class BackupReport:
    path: Path
    tables: dict[str, int]
    vectors: bool
    bytes: int = 0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass
class RestoreReport:
    tables: dict[str, int]
    vectors: bool
    indexed_papers: int = 0
    indexed_vectors: int = 0
    index_seconds: float = 0.0  # rebuilding this node's search indexes, after the rows were committed
    skipped: dict[str, str] = field(default_factory=lambda: dict(br.SKIPPED))

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# --- backup -----------------------------------------------------------------------------------------------


def backup(
    db: Database, path: Path, *, vectors: bool = True, on_rows: Progress | None = None
) -> BackupReport:
    """Write the whole database to ``path`` (see the module docstring); returns what went in."""
    readers: list[tuple[br.TableCodec, Reader]] = [  # an unknown column type fails here, before any file
        (br.codec(table), partial(br.read_rows, table=table, batch=BATCH)) for table in br.backed_up_tables()
    ]
    if vectors:
        readers.append((br.VECTOR_CODEC, partial(br.read_vectors, batch=BATCH)))
    tmp = path.with_name(path.name + ".part")
    try:
        with (
            _snapshot(db) as connection,
            gzip.open(tmp, "wt", encoding="utf-8", compresslevel=COMPRESS_LEVEL) as out,
        ):
            counts = {table.name: br.count_rows(connection, table.name) for table, _ in readers}
            _write(out, _header(db, [table for table, _ in readers], counts, vectors))
            done = 0
            for table, read in readers:
                for row in read(connection):
                    _write(out, {"t": table.name, "r": table.encode(row)})
                    done += 1
                    if on_rows is not None and done % BATCH == 0:
                        on_rows(done)
                if on_rows is not None:
                    on_rows(done)
            _write(out, {"end": True, "rows": done})
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BackupReport(path, counts, vectors, path.stat().st_size)


class _snapshot:
    """One connection whose reads all see the same moment (see the module docstring); it writes nothing."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __enter__(self) -> sa.Connection:
        connection = self.db.engine.connect()
        if self.db.is_sqlite:
            # pysqlite opens no transaction for reads: without one each query would see a later moment
            connection.exec_driver_sql("BEGIN")
        else:
            connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        self.connection = connection
        return connection

    def __exit__(self, *exc: object) -> None:
        self.connection.rollback()
        self.connection.close()


def _header(
    db: Database, codecs: list[br.TableCodec], counts: dict[str, int], vectors: bool
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "paperfeed": paperfeed.__version__,
        "schema": db.schema_revision(),
        "made_at": datetime.now(UTC).isoformat(),
        "backend": db.dialect,
        "vectors": vectors,
        "tables": [{"name": c.name, "columns": list(c.columns), "rows": counts[c.name]} for c in codecs],
        "skipped": sorted(br.SKIPPED),
    }


def _write(out: IO[str], item: dict[str, Any]) -> None:
    out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
    out.write("\n")


# --- restore ----------------------------------------------------------------------------------------------


def read_header(path: Path) -> dict[str, Any]:
    """The header of a backup file, checked to be one this version can read."""
    with _lines(path) as lines:
        for _, header in lines:
            return _checked_header(path, header)
    raise BackupError(f"{path} is empty: not a paperfeed backup")


def restore(db: Database, path: Path, *, on_rows: Progress | None = None) -> RestoreReport:
    """Load the backup at ``path`` into ``db``, which must be empty and at the backup's schema revision."""
    header = read_header(path)
    if not db.schema_is_current():
        raise BackupError(
            f"the database is not at schema revision {head_revision()}: run `paperfeed migrate` first"
        )
    target = _target_codecs(path, header)
    expected = {t["name"]: int(t["rows"]) for t in header["tables"]}
    counts = dict.fromkeys(expected, 0)
    with db.engine.connect() as connection:  # closed without commit on any error: rolled back, still empty
        if db.is_sqlite:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # one writer from the emptiness check to the commit
        _refuse_unless_empty(db, connection)
        br.clear_replaced(connection)
        graphs = br.drop_vector_graphs(connection)
        done = _insert_all(connection, path, target, counts, on_rows)
        br.create_indexes(connection, graphs)
        if counts != expected:
            differ = ", ".join(
                f"{n}: {counts[n]} of {expected[n]}" for n in expected if counts[n] != expected[n]
            )
            raise BackupError(
                f"{path} does not hold the rows its header announces ({differ}); nothing was restored"
            )
        br.reset_sequences(connection, list(counts))
        connection.commit()
    forget_signing_key(db)
    report = RestoreReport(counts, bool(header.get("vectors")))
    started = time.perf_counter()
    report.indexed_papers, report.indexed_vectors = _rebuild_indexes(db, report.vectors)
    report.index_seconds = time.perf_counter() - started
    if on_rows is not None:
        on_rows(done)
    return report


def _checked_header(path: Path, header: object) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path} is not a paperfeed backup (its first line is no backup header)")
    if header.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is a version {header.get('format_version')} backup; this paperfeed reads version "
            f"{FORMAT_VERSION}: restore it with paperfeed {header.get('paperfeed')}, the version that made it"
        )
    if header.get("schema") != head_revision():
        made_by = f"paperfeed {header.get('paperfeed')}"
        raise BackupError(
            f"{path} was made at schema revision {header.get('schema')} ({made_by}); this paperfeed is at "
            f"{head_revision()}. Restore it with {made_by}, then run this version's `paperfeed migrate` "
            "to bring the restored database up to date"
        )
    return header


def _target_codecs(path: Path, header: dict[str, Any]) -> dict[str, tuple[br.TableCodec, sa.Table | None]]:
    """The file's tables as this schema declares them; the same revision must mean the same columns."""
    found: dict[str, tuple[br.TableCodec, sa.Table | None]] = {}
    for entry in header["tables"]:
        name, columns = entry["name"], tuple(entry["columns"])
        if name == br.VECTORS:
            table, table_codec = None, br.VECTOR_CODEC
        elif name in Base.metadata.tables and name not in br.SKIPPED:
            table = Base.metadata.tables[name]
            table_codec = br.codec(table)
        else:
            raise BackupError(f"{path} holds a table {name!r} that this paperfeed does not restore")
        if set(columns) != set(table_codec.columns):
            raise BackupError(
                f"{path}: table {name} has the columns {', '.join(columns)}; this paperfeed's has "
                f"{', '.join(table_codec.columns)}"
            )
        kinds = dict(zip(table_codec.columns, table_codec.kinds, strict=True))
        found[name] = (br.TableCodec(name, columns, tuple(kinds[c] for c in columns)), table)
    return found


def _refuse_unless_empty(db: Database, connection: sa.Connection) -> None:
    filled = br.non_empty_tables(connection)
    if filled:
        listed = ", ".join(
            f"{name} ({count:,} row{'' if count == 1 else 's'})" for name, count in filled.items()
        )
        raise BackupError(
            f"the database {db.engine.url.render_as_string(hide_password=True)} is not empty: {listed}. "
            "Restore only into a new, empty database (create one and point PAPERFEED_DATABASE_URL at it)"
        )


def _insert_all(
    connection: sa.Connection,
    path: Path,
    target: dict[str, tuple[br.TableCodec, sa.Table | None]],
    counts: dict[str, int],
    on_rows: Progress | None,
) -> int:
    """Insert every row of the file, ``BATCH`` rows of one table per statement; returns how many."""
    done, ended = 0, False
    batch: list[dict[str, Any]] = []
    current: str | None = None
    first_line = last_line = 0

    def flush() -> None:
        if not batch or current is None:
            return
        table_codec, table = target[current]
        try:
            if table is None:
                br.insert_vectors(connection, batch)
            else:
                br.insert_rows(connection, table, batch)
        except sa.exc.StatementError as error:
            reason = str(error.orig or error).splitlines()[0]
            raise BackupError(
                f"{path}, lines {first_line}-{last_line}: the database refused these {current} rows "
                f"({reason}); nothing was restored"
            ) from error
        batch.clear()

    line_number = 1
    with _lines(path) as lines:
        next(lines, None)  # the header, already read
        for line_number, item in lines:
            if ended:
                raise BackupError(
                    f"{path}, line {line_number}: rows after the end mark; nothing was restored"
                )
            if isinstance(item, dict) and item.get("end") is True:
                flush()
                if item.get("rows") != done:
                    raise BackupError(
                        f"{path}, line {line_number}: the end mark counts {item.get('rows')} rows but "
                        f"the file holds {done}; nothing was restored"
                    )
                ended = True
                continue
            name, values = _row_of(path, line_number, item, target)
            if name != current or len(batch) >= BATCH:
                flush()
                current, first_line = name, line_number
            try:
                batch.append(target[name][0].decode(values))
            except (ValueError, TypeError) as error:
                raise BackupError(f"{path}, line {line_number}: {error}; nothing was restored") from error
            counts[name] += 1
            done, last_line = done + 1, line_number
            if on_rows is not None and done % BATCH == 0:
                on_rows(done)
    if not ended:
        raise BackupError(
            f"{path} ends at line {line_number} without its end mark: the file was cut short; "
            "nothing was restored"
        )
    return done


def _row_of(
    path: Path, line_number: int, item: object, target: dict[str, tuple[br.TableCodec, sa.Table | None]]
) -> tuple[str, list[Any]]:
    if not isinstance(item, dict) or not isinstance(item.get("r"), list) or item.get("t") not in target:
        raise BackupError(
            f"{path}, line {line_number}: not a row of a table in the header; nothing was restored"
        )
    return item["t"], item["r"]


class _lines:
    """``(line number, parsed JSON)`` of a gzip'd (or plain) JSON-lines file; damage becomes a
    :class:`BackupError` naming the line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Iterator[tuple[int, object]]:
        with open(self.path, "rb") as probe:
            gzipped = probe.read(2) == b"\x1f\x8b"
        self.handle: IO[str] = (
            gzip.open(self.path, "rt", encoding="utf-8") if gzipped else open(self.path, encoding="utf-8")
        )  # noqa: SIM115
        return self._iterate()

    def _iterate(self) -> Iterator[tuple[int, object]]:
        number = 0
        try:
            for number, text in enumerate(self.handle, start=1):  # noqa: B007
                try:
                    yield number, json.loads(text)
                except ValueError as error:
                    raise BackupError(
                        f"{self.path}, line {number}: not valid JSON ({error}); nothing was restored"
                    ) from None
        except (EOFError, OSError, zlib.error, UnicodeDecodeError) as error:
            raise BackupError(
                f"{self.path}, after line {number}: the file is damaged or cut short ({error}); "
                "nothing was restored"
            ) from error

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def _rebuild_indexes(db: Database, vectors: bool) -> tuple[int, int]:
    """Throw away this node's search indexes of the database and build them from the restored rows."""
    forget_indexes(db.url)
    remove_saved(db.url)
    papers = rebuild_keyword_index(db)
    indexed_vectors = rebuild_vector_index(db) if vectors else 0
    return papers, indexed_vectors
