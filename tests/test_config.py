"""Settings: the secret key is private, stable, and one for every process and node of an installation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.store import Database

READ_KEY = "from paperfeed.config import Settings; print(Settings().resolved_secret_key())"


def test_the_secret_key_is_made_once_in_the_database_and_every_process_reads_it(
    db_url: str, tmp_path: Path
) -> None:
    Database(db_url).migrate()
    env = {**os.environ, "PAPERFEED_HOME": str(tmp_path), "PAPERFEED_DATABASE_URL": db_url}
    env.pop("PAPERFEED_SECRET_KEY", None)
    command = [sys.executable, "-c", READ_KEY]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(4)
    ]  # as four nodes starting together
    keys = {process.communicate(timeout=120)[0].strip() for process in processes}
    (key,) = keys
    assert len(key) >= 32
    assert Settings(home=tmp_path, database_url=db_url).resolved_secret_key() == key
    assert not (tmp_path / "secret.key").exists()  # nothing per node


def test_the_key_file_of_an_older_install_is_adopted_so_its_links_keep_working(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("o" * 48 + "\n")
    Database(f"sqlite:///{tmp_path / 'paperfeed.sqlite3'}").migrate()
    assert Settings(home=tmp_path).resolved_secret_key() == "o" * 48


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("")
    with pytest.raises(RuntimeError, match="no usable secret key"):
        Settings(home=tmp_path).resolved_secret_key()


def test_an_unmigrated_database_asks_for_paperfeed_migrate(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="run `paperfeed migrate`"):
        Settings(home=tmp_path).resolved_secret_key()


def test_a_key_from_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", "k" * 40)
    assert Settings(home=tmp_path).resolved_secret_key() == "k" * 40
    assert not (tmp_path / "secret.key").exists()
