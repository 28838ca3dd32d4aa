"""Settings: the secret key is private, stable, and the same for workers that start together."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from paperfeed.config import Settings


def test_the_secret_key_is_made_once_private_and_shared_by_concurrent_starts(tmp_path: Path):
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: Settings(home=tmp_path).resolved_secret_key(), range(32)))
    (key,) = keys
    assert len(key) >= 32
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path):
    (tmp_path / "secret.key").write_text("")
    with pytest.raises(RuntimeError, match="no usable secret key"):
        Settings(home=tmp_path).resolved_secret_key()


def test_a_key_from_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PAPERFEED_SECRET_KEY", "k" * 40)
    assert Settings(home=tmp_path).resolved_secret_key() == "k" * 40
    assert not (tmp_path / "secret.key").exists()
