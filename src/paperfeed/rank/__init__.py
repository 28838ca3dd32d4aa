"""Ranking: turning votes and time into an order (trending now; personal models elsewhere)."""
