"""For you: one reader's ranking of a listing, learnt from what they told us, with a reason per paper.

The model is small on purpose and built fresh from the reader's signals on every ranking (milliseconds), so a
👍 or 👎 shows on the very next page and there is no per-reader state to keep in step across nodes. It blends
what the three well-known self-hosted recommenders do, each part measured against them in
``benchmarks/recommend_quality.py``:

- **closeness to the library** (zotero-arxiv-daily): a candidate's cosine similarity to each liked paper,
  pooled by a soft maximum (``SOFTMAX_TEMPERATURE``) rather than a plain mean, so a reader with three distinct
  interests is served on all three instead of on their average, and weighted by how recent the signal is;
- **a trained model** (Scholar Inbox): a logistic regression over the paper embeddings, liked papers against
  explicit 👎 and a sample of papers the reader never touched; used once there are enough positives
  (``MIN_POSITIVES_FOR_MODEL``), because with two examples a classifier only learns noise;
- **words** (arxiv-sanity-lite): a linear model over TF-IDF of title and abstract, same examples: it catches
  the precise term (a dataset's, a method's name) that a sentence embedding blurs;
- **people and fields**: authors the reader follows or keeps reading (co-authors of their library), categories
  and keywords they follow.

Each part is z-scored over the listing, so weights mean the same for a day of 150 and a month of 5,000 papers.
The weights are module constants chosen on one half of the simulated readers and reported on the other.

Everything here is pure (numpy and scikit-learn, no database): the service layer gathers the signals, and the
benchmark calls :func:`rank_candidates` with simulated readers through exactly the same code.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from paperfeed.domain.authors import author_key as normalise_name  # the one folding, shared with follows

# --- Chosen on the tuning half of the simulated readers (benchmarks/recommend_quality.py) ---------------
# The blend: a coordinate search on the tune half (results/recommend_quality.md), reported on the held-out
# half. On that scale the tuned weights were
# closeness 0.25, model 0, words 0.25, authors 3, category prior 1, temperature 0.2, half-life 730 days;
# here they are multiplied by 4 so that a follow (worth about one standard deviation of content fit) reads
# naturally, and the author weight is halved: the simulation's readers are authors whose co-authors write
# their next papers, and a reader whose library holds other people's papers should not see one shared name
# outweigh everything else (the tune half loses 0.015 nDCG@10 for it).
SOFTMAX_TEMPERATURE = 0.2  # soft maximum over library similarities: → max as it falls, → mean as it grows
HALF_LIFE_DAYS = 730.0  # a signal this old counts half as much as one from today
MIN_WEIGHT = 0.25  # ... but never less than this: an old favourite still says something
MIN_POSITIVES_FOR_MODEL = 5  # the embedding classifier: below this it learns noise
# The word model from the first paper: against the listing and the background, one paper's rare words are
# already a useful query (arxiv-sanity-lite trains its SVM from a single tagged paper too).
MIN_POSITIVES_FOR_WORDS = 1
BACKGROUND_NEGATIVES = 400  # unseen papers sampled as negatives (5x more did worse on the tune readers)
DISLIKE_WEIGHT = 3.0  # an explicit 👎 outweighs a sampled unseen paper
WORDS_C = 1.0  # the word model's SVM: 1.0 beat 0.1 and 0.01 on the tune readers (0.349 / 0.340 / 0.333)
W_CLOSENESS = 1.0
W_MODEL = 0.0  # the embedding classifier added nothing beside closeness and words (tuned to 0)
W_WORDS = 1.0
W_AUTHORS = 6.0  # per (log-scaled) author overlap; a followed author counts as AUTHOR_FOLLOW_COUNT papers
AUTHOR_FOLLOW_COUNT = 4.0
W_CATEGORY_FOLLOWED = 1.0
W_CATEGORY_PRIOR = 4.0  # share of the reader's positives in the candidate's primary category
CATEGORY_PRIOR_PSEUDOCOUNT = 5.0  # papers' worth of "no preference" the share starts from
W_KEYWORD = 1.5
# 👎 pushes down near-duplicates of the dismissed paper at once, before any model has enough examples:
# from cosine AVOID_FROM (same field) the penalty grows to W_AVOID at AVOID_FROM + AVOID_SPAN (same topic).
W_AVOID = 4.0
AVOID_FROM = 0.30  # MiniLM cosines here: median pair 0.20, a paper's 5th neighbour in a day 0.42
AVOID_SPAN = 0.3
REASON_MIN_SIMILARITY = 0.35  # below this, "like *X*" would not be believable
MAX_REASONS = 2


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing the reader told us about one paper (or one library entry that matched no paper)."""

    ref: str  # a paper id, or "library:<id>" for an entry with no stored paper
    title: str
    text: str  # title + abstract: what the word model reads
    vector: np.ndarray | None  # L2-normalised embedding; None if not embedded yet
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    positive: bool = True
    source: str = "library"  # upvote | save | like | library | dislike
    at: datetime | None = None  # when the reader gave it (recent signals weigh more)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paper of the listing being ranked."""

    id: str
    title: str
    text: str
    vector: np.ndarray | None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(slots=True)
class Interests:
    """Everything the model uses for one reader; the settings page shows exactly this."""

    signals: list[Signal] = field(default_factory=list)
    followed_authors: set[str] = field(default_factory=set)
    followed_categories: set[str] = field(default_factory=set)
    keywords: list[str] = field(default_factory=list)
    own_names: set[str] = field(default_factory=set)  # the reader's own author names: not a reason
    background: np.ndarray | None = None  # vectors of papers the reader never touched (sampled negatives)
    background_texts: list[str] = field(default_factory=list)

    @property
    def positives(self) -> list[Signal]:
        return [s for s in self.signals if s.positive]

    @property
    def is_empty(self) -> bool:
        return not (self.signals or self.followed_authors or self.followed_categories or self.keywords)


@dataclass(frozen=True, slots=True)
class Ranked:
    id: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Weights:
    """The blend; the benchmark tunes a copy, the product uses :data:`DEFAULT_WEIGHTS`."""

    closeness: float = W_CLOSENESS
    model: float = W_MODEL
    words: float = W_WORDS
    authors: float = W_AUTHORS
    category_followed: float = W_CATEGORY_FOLLOWED
    category_prior: float = W_CATEGORY_PRIOR
    keyword: float = W_KEYWORD
    avoid: float = W_AVOID
    temperature: float = SOFTMAX_TEMPERATURE
    half_life_days: float = HALF_LIFE_DAYS


DEFAULT_WEIGHTS = Weights()
SOURCE_REASONS = {
    "upvote": "which you upvoted",
    "save": "which you saved",
    "like": "which you liked",
    "library": "in your library",
}
SOURCE_ORDER = ("library", "save", "upvote", "like")  # weakest to strongest, for naming a reason
AUTHOR_REASONS = {
    "follow": "whom you follow",
    "library": "an author in your library",
    "save": "whose work you saved",
    "upvote": "whose work you upvoted",
    "like": "whose work you liked",
}


def recency_weight(at: datetime | None, now: datetime, half_life_days: float) -> float:
    if at is None:
        return 1.0
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    age_days = max((now - at).total_seconds() / 86400.0, 0.0)
    return max(MIN_WEIGHT, 0.5 ** (age_days / half_life_days))


def rank_candidates(
    interests: Interests,
    candidates: Sequence[Candidate],
    *,
    now: datetime | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Ranked]:
    """The candidates best first, each with up to :data:`MAX_REASONS` reasons in the reader's words.

    A reader with no interests gets the candidates back in the given order with score 0 (the caller's
    fallback order stays); ties keep the given order too, so pages are stable.
    """
    now = now or datetime.now(UTC)
    if not candidates:
        return []
    if interests.is_empty:
        return [Ranked(c.id, 0.0, ()) for c in candidates]
    parts = _Parts(interests, candidates, now, weights)
    total = parts.total()
    order = sorted(range(len(candidates)), key=lambda i: (-total[i], i))
    return [Ranked(candidates[i].id, float(total[i]), parts.reasons(i)) for i in order]


class _Parts:
    """The per-listing scores of each part, kept apart so that reasons can name the part that counted."""

    def __init__(
        self, interests: Interests, candidates: Sequence[Candidate], now: datetime, weights: Weights
    ) -> None:
        self.interests, self.candidates, self.weights = interests, candidates, weights
        positives = interests.positives
        self.pos_weights = np.array([recency_weight(s.at, now, weights.half_life_days) for s in positives])
        self.positives = positives
        n = len(candidates)
        self.closeness = np.zeros(n)
        self.nearest: list[int | None] = [None] * n
        self.nearest_sim = np.zeros(n)
        self.model = np.zeros(n)
        self.words = np.zeros(n)
        self.avoid = np.zeros(n)  # 0..1: how close to a paper the reader dismissed
        self._embedding_parts()
        if len(positives) >= MIN_POSITIVES_FOR_WORDS:
            self.words = _word_model(interests, positives, self.pos_weights, candidates)
        self.authors, self.author_reason = _author_overlap(interests, positives, self.pos_weights, candidates)
        self.category_followed, self.category_prior = _category_scores(interests, positives, candidates)
        self.keyword_hits = _keyword_hits(interests.keywords, candidates)

    def _embedding_parts(self) -> None:
        dim = _dimension(self.candidates, self.positives)
        if dim is None:
            return
        have = np.array([c.vector is not None for c in self.candidates])
        cand = np.stack(
            [c.vector if c.vector is not None else np.zeros(dim, np.float32) for c in self.candidates]
        ).astype(np.float32)
        dislikes = [s.vector for s in self.interests.signals if not s.positive and s.vector is not None]
        if dislikes:
            nearest_dislike = (cand @ np.stack(dislikes).astype(np.float32).T).max(axis=1)
            self.avoid = np.where(have, np.clip((nearest_dislike - AVOID_FROM) / AVOID_SPAN, 0.0, 1.0), 0.0)
        usable = [i for i, s in enumerate(self.positives) if s.vector is not None]
        if not usable:
            return
        pos = np.stack([s.vector for s in self.positives if s.vector is not None]).astype(np.float32)
        w = self.pos_weights[usable]
        sims = cand @ pos.T  # candidates × positives
        # A paper the reader marked is not "like itself": its own signal does not count for it.
        refs = {self.positives[j].ref: k for k, j in enumerate(usable)}
        for i, c in enumerate(self.candidates):
            if c.id in refs and len(usable) > 1:
                sims[i, refs[c.id]] = -1.0
        t = self.weights.temperature
        # log-sum-exp of weighted similarities: a smooth maximum that still rewards several close papers.
        scaled = sims / t + np.log(w)[None, :]
        top = scaled.max(axis=1, keepdims=True)
        self.closeness = t * (top[:, 0] + np.log(np.exp(scaled - top).sum(axis=1))) - t * math.log(w.sum())
        best = sims.argmax(axis=1)
        self.nearest = [usable[int(b)] if have[i] else None for i, b in enumerate(best)]
        self.nearest_sim = np.where(have, sims.max(axis=1), 0.0)
        self.closeness = np.where(have, self.closeness, np.nan)
        if len(usable) >= MIN_POSITIVES_FOR_MODEL:
            self.model = _embedding_model(self.interests, pos, w, cand)
            self.model = np.where(have, self.model, np.nan)

    def total(self) -> np.ndarray:
        w = self.weights
        return (
            w.closeness * _z(self.closeness)
            + w.model * _z(self.model)
            + w.words * _z(self.words)
            + w.authors * self.authors
            + w.category_followed * self.category_followed
            + w.category_prior * self.category_prior
            + w.keyword * (self.keyword_hits > 0)
            - w.avoid * self.avoid
        )

    def reasons(self, i: int) -> tuple[str, ...]:
        found: list[tuple[float, str]] = []
        cand = self.candidates[i]
        author = self.author_reason[i]
        if author:
            name, how = author
            found.append((self.weights.authors * self.authors[i], f"By {name}, {AUTHOR_REASONS[how]}"))
        nearest = self.nearest[i]
        if nearest is not None and self.nearest_sim[i] >= REASON_MIN_SIMILARITY:
            signal = self.positives[nearest]
            how = SOURCE_REASONS.get(signal.source, "which you liked")
            why = (
                f"Like “{_short(signal.title)}” {how}"
                if how.startswith("in ")
                else f"Like “{_short(signal.title)}”, {how}"
            )
            found.append((1.0 + float(self.nearest_sim[i]), why))
        followed = [c for c in cand.categories if c in self.interests.followed_categories]
        if followed:
            found.append((self.weights.category_followed, f"In {followed[0]}, which you follow"))
        if self.keyword_hits[i]:
            word = self.interests.keywords[int(self.keyword_hits[i]) - 1]
            found.append((self.weights.keyword, f"Mentions “{word}”, a keyword you follow"))
        if not found and cand.categories and self.category_prior[i] > 0:
            found.append((0.0, f"In {cand.categories[0]}, where much of your reading is"))
        found.sort(key=lambda pair: -pair[0])
        return tuple(text for _, text in found[:MAX_REASONS])


def _dimension(candidates: Sequence[Candidate], positives: Sequence[Signal]) -> int | None:
    items: list[Candidate | Signal] = [*candidates, *positives]
    for item in items:
        if item.vector is not None:
            return int(item.vector.shape[0])
    return None


def _z(values: np.ndarray) -> np.ndarray:
    """z-scores over the listing; papers without a score (no vector yet) sit at the mean, not at the end."""
    values = np.asarray(values, dtype=np.float64)
    known = ~np.isnan(values)
    out = np.zeros_like(values)
    if known.sum() < 2:
        return out
    mean, std = values[known].mean(), values[known].std()
    if std > 1e-12:
        out[known] = (values[known] - mean) / std
    return out


def _training_set(
    interests: Interests, pos_count: int, pos_weights: np.ndarray, extra_neg: int
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and sample weights: positives (recency-weighted), explicit 👎, then sampled background."""
    background = 0 if interests.background is None else len(interests.background)
    labels = np.concatenate([np.ones(pos_count), np.zeros(extra_neg + background)])
    weights = np.concatenate([pos_weights, np.full(extra_neg, DISLIKE_WEIGHT), np.ones(background)])
    # Balance the classes by total weight, as arxiv-sanity-lite's class_weight="balanced" does.
    pos_total, neg_total = weights[labels == 1].sum(), weights[labels == 0].sum()
    if neg_total > 0:
        weights[labels == 0] *= pos_total / neg_total
    return labels, weights


def _embedding_model(
    interests: Interests, pos: np.ndarray, pos_weights: np.ndarray, cand: np.ndarray
) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    dislikes = [s.vector for s in interests.signals if not s.positive and s.vector is not None]
    blocks = [pos, *([np.stack(dislikes)] if dislikes else [])]
    if interests.background is not None and len(interests.background):
        blocks.append(interests.background.astype(np.float32))
    x = np.concatenate(blocks)
    labels, weights = _training_set(interests, len(pos), pos_weights, len(dislikes))
    if labels.min() == labels.max():
        return np.zeros(len(cand))
    model = LogisticRegression(C=1.0, max_iter=200)
    model.fit(x, labels, sample_weight=weights)
    return model.decision_function(cand)


def _word_model(
    interests: Interests,
    positives: Sequence[Signal],
    pos_weights: np.ndarray,
    candidates: Sequence[Candidate],
) -> np.ndarray:
    """arxiv-sanity-lite's idea on our examples: TF-IDF + a linear SVM, the reader's papers against 👎, the
    background sample and the listing itself (as arxiv-sanity-lite trains against its whole database: most
    of a day's papers are not for this reader, and the few that are barely move a linear model). IDF is
    counted over all of them. The texts are hashed into word and word-pair counts once and cached, because
    the listing and the background are the same for every reader and tokenising a month of abstracts costs
    more than everything else here together. On the simulated readers this beat training against the
    background alone, a 5x larger background, and arxiv-sanity-lite's own document-frequency cut-offs
    (benchmarks/recommend_quality.py)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.svm import LinearSVC

    dislikes = [s.text for s in interests.signals if not s.positive]
    listing = _hashed_counts([c.text for c in candidates])
    known = {s.ref for s in interests.signals}
    unlabeled = [i for i, c in enumerate(candidates) if c.id not in known]
    parts = [
        _hashed_counts([s.text for s in positives]),
        _hashed_counts(dislikes),
        _hashed_counts(list(interests.background_texts)),
    ]
    tfidf = TfidfTransformer(sublinear_tf=True).fit(sp.vstack([*parts, listing]))
    x = tfidf.transform(sp.vstack([*parts, listing[unlabeled]]).tocsr())
    labels = np.concatenate([np.ones(len(positives)), np.zeros(x.shape[0] - len(positives))])
    weights = np.concatenate(
        [
            pos_weights,
            np.full(len(dislikes), DISLIKE_WEIGHT),
            np.ones(len(interests.background_texts) + len(unlabeled)),
        ]
    )
    if labels.min() == labels.max():  # nothing to tell the reader's papers from
        return np.zeros(len(candidates))
    svm = LinearSVC(C=WORDS_C, class_weight="balanced", max_iter=5000, random_state=0)  # stable pages
    svm.fit(x, labels, sample_weight=weights)
    return svm.decision_function(tfidf.transform(listing))


_HASH_FEATURES = 2**20
_hash_cache: OrderedDict[int, object] = OrderedDict()
_hash_lock = threading.Lock()


def _hashed_counts(texts: list[str]) -> Any:
    """Word and word-pair counts of ``texts`` (hashed: no vocabulary to fit), cached by content: a
    ``scipy.sparse.csr_matrix`` (``Any``: scipy ships no type hints)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import HashingVectorizer

    if not texts:
        return sp.csr_matrix((0, _HASH_FEATURES), dtype=np.float32)
    key = hash(tuple(texts))
    with _hash_lock:
        if key in _hash_cache:
            _hash_cache.move_to_end(key)
            return _hash_cache[key]
    vectorizer = HashingVectorizer(
        n_features=_HASH_FEATURES,
        alternate_sign=False,
        norm=None,
        stop_words="english",
        ngram_range=(1, 2),
        dtype=np.float32,
    )
    counts = vectorizer.transform(texts)
    if len(texts) >= 50:  # a reader's own few examples change with every click; not worth keeping
        with _hash_lock:
            _hash_cache[key] = counts
            while len(_hash_cache) > 16:
                _hash_cache.popitem(last=False)
    return counts


def _author_overlap(
    interests: Interests,
    positives: Sequence[Signal],
    pos_weights: np.ndarray,
    candidates: Sequence[Candidate],
) -> tuple[np.ndarray, list[tuple[str, str] | None]]:
    """log(1 + weighted count of the candidate's authors in the reader's positives), followed authors
    counting extra; plus the author to name in the reason. The reader's own names never count."""
    own = {normalise_name(n) for n in interests.own_names}
    counts: dict[str, float] = {}  # author → weighted count (weights are fractional: not a Counter)
    verbs: dict[str, tuple[int, str]] = {}  # author → the strongest way the reader met their work
    for signal, weight in zip(positives, pos_weights, strict=True):
        for name in {normalise_name(a) for a in signal.authors} - own:
            counts[name] = counts.get(name, 0.0) + float(weight)
            strength = SOURCE_ORDER.index(signal.source) if signal.source in SOURCE_ORDER else 0
            if strength >= verbs.get(name, (-1, ""))[0]:
                verbs[name] = (strength, signal.source)
    followed = {normalise_name(n) for n in interests.followed_authors} - own
    scores = np.zeros(len(candidates))
    reasons: list[tuple[str, str] | None] = [None] * len(candidates)
    for i, cand in enumerate(candidates):
        best: tuple[float, str, str] | None = None
        total = 0.0
        for name in cand.authors:
            key = normalise_name(name)
            if key in own:
                continue
            value = counts.get(key, 0.0) + (AUTHOR_FOLLOW_COUNT if key in followed else 0.0)
            total += value
            if value > 0 and (best is None or value > best[0]):
                best = (value, name, "follow" if key in followed else verbs.get(key, (0, "library"))[1])
        scores[i] = math.log1p(total)
        if best is not None:
            reasons[i] = (best[1], best[2])
    return scores, reasons


def _category_scores(
    interests: Interests, positives: Sequence[Signal], candidates: Sequence[Candidate]
) -> tuple[np.ndarray, np.ndarray]:
    followed = interests.followed_categories
    shares: Counter[str] = Counter(s.categories[0] for s in positives if s.categories)
    total = sum(shares.values())
    follow = np.array([1.0 if followed & set(c.categories) else 0.0 for c in candidates])
    # Shrunk towards nothing by CATEGORY_PRIOR_PSEUDOCOUNT: one liked paper says little about a whole
    # category (its share would be 100%), fifty papers in one category say a lot.
    prior = np.array(
        [
            shares.get(c.categories[0], 0) / (total + CATEGORY_PRIOR_PSEUDOCOUNT) if c.categories else 0.0
            for c in candidates
        ]
    )
    return follow, prior


def _keyword_hits(keywords: Iterable[str], candidates: Sequence[Candidate]) -> np.ndarray:
    """1-based index (in ``keywords``) of the first followed keyword a candidate mentions (whole words, any
    case), else 0."""
    patterns = [
        (n, re.compile(r"(?<!\w)" + re.escape(k.strip()) + r"(?!\w)", re.IGNORECASE))
        for n, k in enumerate(keywords, start=1)
        if k.strip()
    ]
    hits = np.zeros(len(candidates), dtype=np.int64)
    for i, cand in enumerate(candidates):
        for n, pattern in patterns:
            if pattern.search(cand.text):
                hits[i] = n
                break
    return hits


def _short(title: str, limit: int = 80) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"
