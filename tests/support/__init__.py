"""Test support: real servers on loopback and small data factories."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
