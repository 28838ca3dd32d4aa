"""The fusion leans on the words for short queries and on the meaning for long ones."""

from __future__ import annotations

import pytest

from paperfeed.search import hybrid


def test_the_keyword_share_falls_with_the_number_of_query_words() -> None:
    shares = [hybrid.keyword_share(["w"] * n) for n in range(1, 12)]
    assert shares[0] == pytest.approx(hybrid.SHORT_SHARE)
    assert shares[-1] == pytest.approx(hybrid.LONG_SHARE)
    assert all(a >= b for a, b in zip(shares, shares[1:], strict=False))
    assert hybrid.keyword_share([]) == pytest.approx(hybrid.SHORT_SHARE)


def test_the_old_fixed_share_is_one_switch_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hybrid, "ADAPTIVE", False)
    assert hybrid.keyword_share(["noise"]) == hybrid.keyword_share(["a"] * 20) == hybrid.KEYWORD_WEIGHT


def test_a_precise_word_is_not_drowned_by_the_embedding() -> None:
    """One paper has the typed word; another is only close in meaning. Short query: the word wins."""
    candidates = ["has-word", "close-meaning", "other"]
    keyword = {"has-word": 9.0, "other": 2.0}
    semantic = {"has-word": 0.30, "close-meaning": 0.55, "other": 0.10}
    short = hybrid.fuse_scores(candidates, keyword, semantic, keyword_weight=hybrid.keyword_share(["noise"]))
    fixed = hybrid.fuse_scores(candidates, keyword, semantic, keyword_weight=0.2)
    assert short[0][0] == "has-word" and fixed[0][0] == "close-meaning"
