"""Fusing keyword and semantic rankings.

Reciprocal rank fusion (RRF) only sees ranks, so a paper that is a near-perfect keyword match and one that
barely made the list count almost the same. paperfeed fuses *scores* instead, on the union of both candidate
lists, with each candidate scored by **both** systems (its exact cosine even if only BM25 found it), each
score z-normalised over the candidates, then combined convexly. Optionally the query vector is then moved
towards the top fused papers (Rocchio dense pseudo-relevance feedback) and the semantic side re-scored.
benchmarks/search_quality.py measures each step against RRF and the naive z-score baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

# Chosen on one half of SciFact's queries and checked on the other (benchmarks/search_quality.py).
KEYWORD_WEIGHT = 0.4  # share of the keyword z-score in the fused score (the fixed share: ADAPTIVE = False)
# The share adapts to the query: one or two precise words are what the reader wants to find, and the
# embedding of a single word is a poor guess at a topic, so keywords lead; a sentence carries meaning that
# words alone miss. Linear in the number of query words from SHORT_SHARE (1 word) to LONG_SHARE (LONG_WORDS
# words and more). Chosen on the tuning halves of SciFact and of the short-query set, checked on the held-out
# halves (benchmarks/search_quality.py).
ADAPTIVE = True
SHORT_SHARE = 1.0
LONG_SHARE = 0.4
LONG_WORDS = 6
# A short query of rare words (a gene, a method's name) is precise, its embedding a poor guess: the share
# moves further towards the words: by this much times their rarity (mean IDF / the largest IDF possible).
RARE_SHARE = 1.0
PRF_DOCS = 3  # top fused papers the query vector moves towards
# Off: on SciFact feedback gained on the tuning half of the queries and lost on the other (see the ablation
# rows of benchmarks/results/search_quality.md), so it is not shipped on by default.
PRF_WEIGHT = 0.0  # how far it moves (0 disables feedback)


def keyword_share(terms: Sequence[str], rarity: float | None = None) -> float:
    """The keyword share of the fusion for a query of these search words (stop words already out), whose
    rarity (0: in every paper, 1: in one) the keyword index knows, or None."""
    if not ADAPTIVE:
        return KEYWORD_WEIGHT
    n = max(len(terms), 1)
    ramp = min((n - 1) / max(LONG_WORDS - 1, 1), 1.0)
    share = SHORT_SHARE + (LONG_SHARE - SHORT_SHARE) * ramp
    if rarity is not None:
        share += (1.0 - share) * RARE_SHARE * rarity * (1.0 - ramp)
    return share


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], *, k: int = 60) -> list[tuple[str, float]]:
    """The classic baseline: score = sum of 1 / (k + rank) over the rankings a paper appears in."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, paper_id in enumerate(ranking, start=1):
            scores[paper_id] = scores.get(paper_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def zscores(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - float(values.mean())) / std if std > 1e-12 else np.zeros_like(values)


def fuse_scores(
    candidates: list[str],
    keyword: dict[str, float],
    semantic: dict[str, float],
    *,
    keyword_weight: float = KEYWORD_WEIGHT,
) -> list[tuple[str, float]]:
    """Convex combination of z-scored keyword and semantic scores over ``candidates``, best first.

    A candidate missing from ``keyword`` (BM25 did not rank it) gets the lowest keyword score seen; one
    without a vector gets the lowest cosine seen, so neither side can lift a paper it knows nothing about.
    """
    if not candidates:
        return []
    kw = np.asarray([keyword.get(c, np.nan) for c in candidates], dtype=np.float64)
    sem = np.asarray([semantic.get(c, np.nan) for c in candidates], dtype=np.float64)
    kw = np.nan_to_num(kw, nan=np.nanmin(kw) if np.isfinite(kw).any() else 0.0)
    sem = np.nan_to_num(sem, nan=np.nanmin(sem) if np.isfinite(sem).any() else 0.0)
    fused = keyword_weight * zscores(kw) + (1.0 - keyword_weight) * zscores(sem)
    order = np.argsort(-fused, kind="stable")
    return [(candidates[i], float(fused[i])) for i in order]


def hybrid_rank(
    query_vector: np.ndarray,
    keyword_hits: list[tuple[str, float]],
    semantic_hits: list[tuple[str, float]],
    similarity: Callable[[np.ndarray, list[str]], dict[str, float]],
    vectors_of: Callable[[list[str]], np.ndarray],
    *,
    keyword_weight: float | None = None,
    prf_docs: int | None = None,
    prf_weight: float | None = None,
) -> list[tuple[str, float]]:
    """The hybrid ranking of the union of both candidate lists (see the module docstring).

    Unset parameters take the module's values at call time (the benchmark tunes those).
    """
    keyword_weight = KEYWORD_WEIGHT if keyword_weight is None else keyword_weight
    prf_docs = PRF_DOCS if prf_docs is None else prf_docs
    prf_weight = PRF_WEIGHT if prf_weight is None else prf_weight
    candidates = list(dict.fromkeys([pid for pid, _ in keyword_hits] + [pid for pid, _ in semantic_hits]))
    keyword = dict(keyword_hits)
    # The semantic side's hits come with their cosine already (exact: pgvector's distance, the saved graph's
    # f32 one); only the candidates the words alone found are scored here (on PostgreSQL, one query's rows).
    semantic = dict(semantic_hits)
    unscored = [c for c in candidates if c not in semantic]
    if unscored:
        semantic |= similarity(query_vector, unscored)
    fused = fuse_scores(candidates, keyword, semantic, keyword_weight=keyword_weight)
    if prf_weight <= 0 or not fused:
        return fused
    feedback = vectors_of([pid for pid, _ in fused[:prf_docs]])
    if feedback.size == 0:
        return fused
    moved = query_vector + prf_weight * feedback.mean(axis=0)
    moved = (moved / max(float(np.linalg.norm(moved)), 1e-12)).astype(np.float32)
    return fuse_scores(candidates, keyword, similarity(moved, candidates), keyword_weight=keyword_weight)
