"""Test support: real servers on loopback and small data factories."""
