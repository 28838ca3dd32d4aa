"""Docs that cannot drift: the README's configuration table is the settings object, row for row."""

from __future__ import annotations

import re
from pathlib import Path

from paperfeed.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
# Defaults that depend on the machine or are secrets: documented in words, not as a value.
DESCRIBED_DEFAULTS = {"home", "database_url", "secret_key", "smtp_user", "smtp_password"}


def _configuration_rows() -> dict[str, str]:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `PAPERFEED_([A-Z0-9_]+)` \| (.*?) \|", section, flags=re.M)
    return {name.lower(): default for name, default in rows}


def test_every_setting_is_documented_once_and_nothing_else_is() -> None:
    rows = _configuration_rows()
    assert sorted(rows) == sorted(Settings.model_fields)


def test_documented_defaults_are_the_real_ones() -> None:
    rows = _configuration_rows()
    for name, field in Settings.model_fields.items():
        if name in DESCRIBED_DEFAULTS:
            continue
        default = field.default
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        variable = f"PAPERFEED_{name.upper()}"
        assert rows[name] == f"`{shown}`", f"README says {rows[name]} for {variable}, the code {shown}"


def test_the_cli_reference_is_generated_from_the_commands() -> None:
    from paperfeed.cli.reference import reference

    written = (README.parent / "docs" / "cli.md").read_text()
    assert written == reference(), "run: python -m paperfeed.cli.reference > docs/cli.md"
