"""The topic map's computation: a 2-D layout of a sample of paper vectors, topics found on it, labels from
the topics' distinctive title words, and the placement of every other paper by its nearest sampled ones.

Pure numpy / scikit-learn / openTSNE: no database. Why this shape (figures in
``benchmarks/results/topic_map_cost.md``):

- **openTSNE on a bounded sample, not UMAP**: on 20,000 MiniLM vectors and one core both take about a
  minute (t-SNE 70 s, UMAP 47 s), but UMAP's numba compilation costs ~15 s in every new process, however
  small the input, and its layout is no better for reading topics. The sample (``sample_size``) bounds the
  cost whatever the corpus size.
- **HDBSCAN on the 2-D layout**: topics are what the reader sees as islands; on 2-D points it runs in
  well under a second. Its default selection ("eom") took 95% of the bundled sample as one topic, so the
  leaves of its tree are the topics; their "noise" points (about half) join the topic most of their
  neighbours on the map belong to.
- **Everything else is placed, not fitted**: a paper's position is the similarity-weighted mean of the
  positions of its ``k`` nearest sampled papers (cosine, one matrix product per block) and its topic the
  weighted majority of theirs. That costs a fixed amount per paper, so a million papers and tomorrow's
  new ones are placed without refitting, and without moving any existing point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

MAP_SIZE = 1000.0  # coordinates run over [0, MAP_SIZE] on both axes
PLACE_BLOCK = 1024  # papers per matrix product: 1,024 x 20,000 floats = 80 MB at most
# Barnes-Hut below, FFT above: on one core FFT took 48 s for 2,500 papers (BH 11 s); FFT wins at 20,000.
FFT_FROM = 10000


# Title filler and the LaTeX that titles carry ("$\\mathbb{R}$"): common everywhere, a topic's name nowhere.
EXTRA_STOP_WORDS = {"via", "using", "towards", "based", "mathbb", "mathrm", "mathcal", "textbf"}


@dataclass(frozen=True, slots=True)
class MapParams:
    """What a build depends on; stored with it."""

    sample_size: int = 20000  # papers fitted (benchmarks/topic_map_cost.py: ~70 s on one core)
    neighbours: int = 10  # sampled papers that place a paper
    perplexity: float = 30.0
    min_topic_share: float = 0.004  # HDBSCAN's smallest topic, as a share of the sample (80 of 20,000)
    min_topic_size: int = 8
    label_words: int = 3
    seed: int = 42
    threads: int = 1


@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    label: str
    words: list[str]
    size: int  # papers of the sample; the store recounts over every placed paper
    x: float
    y: float


@dataclass
class Layout:
    """The fitted sample: its vectors and positions are what every later paper is placed by."""

    ids: list[str]
    vectors: np.ndarray  # float32, L2-normalised rows
    xy: np.ndarray  # float32 (n, 2) in [0, MAP_SIZE]
    topics: np.ndarray  # int32 topic of each sampled paper
    topic_list: list[Topic] = field(default_factory=list)


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def fit_layout(ids: Sequence[str], vectors: np.ndarray, titles: Sequence[str], params: MapParams) -> Layout:
    """Lay the sample out in 2-D, find its topics and label them. Needs at least a handful of papers."""
    if len(ids) < 5:
        raise ValueError(f"a map needs at least 5 papers with vectors, found {len(ids)}")
    vectors = normalised(vectors)
    xy = _tsne(vectors, params)
    topics = _cluster(xy, params)
    words = topic_words(titles, topics, params.label_words)
    topic_list = []
    for topic in range(int(topics.max()) + 1):
        members = xy[topics == topic]
        centre = np.median(members, axis=0)
        label = ", ".join(words[topic]) or f"topic {topic + 1}"
        topic_list.append(Topic(topic, label, words[topic], len(members), float(centre[0]), float(centre[1])))
    return Layout(list(ids), vectors, xy, topics, topic_list)


def _tsne(vectors: np.ndarray, params: MapParams) -> np.ndarray:
    from openTSNE import TSNE  # imported here: the web workers never need it

    perplexity = min(params.perplexity, max(2.0, (len(vectors) - 1) / 3.0))
    embedding = TSNE(
        perplexity=perplexity,
        metric="cosine",
        n_jobs=params.threads,
        random_state=params.seed,
        negative_gradient_method="fft" if len(vectors) > FFT_FROM else "bh",
        verbose=False,
    ).fit(vectors)
    points = np.asarray(embedding, dtype=np.float64)
    # Both axes on one scale (no stretching), centred, with a 3% margin; a few far outliers are pulled to
    # the edge instead of shrinking everyone else into the middle.
    low, high = np.percentile(points, 0.5, axis=0), np.percentile(points, 99.5, axis=0)
    span = float(max(high - low)) or 1.0
    centred = (points - (low + high) / 2.0) / span * 0.94 + 0.5
    return (np.clip(centred, 0.0, 1.0) * MAP_SIZE).astype(np.float32)


def _cluster(xy: np.ndarray, params: MapParams) -> np.ndarray:
    """HDBSCAN topics on the map; its noise points take the topic most of their map neighbours have."""
    from sklearn.cluster import HDBSCAN

    size = max(params.min_topic_size, int(params.min_topic_share * len(xy)))
    labels = HDBSCAN(
        min_cluster_size=size, min_samples=min(size, 10), cluster_selection_method="leaf", copy=True
    ).fit_predict(xy)
    if labels.max() < 0:  # one undivided blob: a single topic
        return np.zeros(len(xy), dtype=np.int32)
    clustered = labels >= 0
    if not clustered.all():
        from sklearn.neighbors import KNeighborsClassifier

        voter = KNeighborsClassifier(n_neighbors=min(5, int(clustered.sum())))
        voter.fit(xy[clustered], labels[clustered])
        labels[~clustered] = voter.predict(xy[~clustered])
    return labels.astype(np.int32)


def topic_words(titles: Sequence[str], topics: np.ndarray, count: int) -> list[list[str]]:
    """Each topic's ``count`` most distinctive words or two-word phrases of its titles (class-based TF-IDF,
    as BERTopic labels topics): frequent in the topic, rare in the others. A phrase pushes out the single
    words it is made of, so a label never says "language, language models"."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    n_topics = int(topics.max()) + 1
    documents = [
        " ".join(t for t, k in zip(titles, topics, strict=True) if k == topic) for topic in range(n_topics)
    ]
    vectorizer = CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | EXTRA_STOP_WORDS),
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b[A-Za-z][A-Za-z0-9-]+\b",
        min_df=1,
    )
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # no words at all (titles empty)
        return [[] for _ in range(n_topics)]
    terms = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    average = counts.sum() / n_topics
    idf = np.log(1.0 + average / np.maximum(counts.sum(axis=0), 1.0))
    scores = tf * idf
    labels = []
    for topic in range(n_topics):
        chosen: list[str] = []
        for index in np.argsort(-scores[topic]):
            if scores[topic, index] <= 0 or len(chosen) == count:
                break
            term = str(terms[index])
            if any(term in c.split() or c in term.split() for c in chosen):
                continue
            chosen.append(term)
        labels.append(chosen)
    return labels


def place(layout: Layout, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(n, 2)`` and topics ``(n,)`` of papers not in the sample, from their ``k`` nearest sampled
    papers (cosine). Deterministic: the same vector lands on the same spot whatever else is placed."""
    vectors = normalised(vectors)
    k = min(k, len(layout.ids))
    n_topics = int(layout.topics.max()) + 1
    xy = np.empty((len(vectors), 2), dtype=np.float32)
    topics = np.empty(len(vectors), dtype=np.int32)
    for start in range(0, len(vectors), PLACE_BLOCK):
        sims = vectors[start : start + PLACE_BLOCK] @ layout.vectors.T
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        weights = np.take_along_axis(sims, nearest, axis=1)
        weights = np.maximum(weights - weights.min(axis=1, keepdims=True) + 1e-3, 1e-6) ** 2
        weights /= weights.sum(axis=1, keepdims=True)
        xy[start : start + len(nearest)] = np.einsum("nk,nkd->nd", weights, layout.xy[nearest])
        votes = np.zeros((len(nearest), n_topics), dtype=np.float64)
        np.add.at(votes, (np.arange(len(nearest))[:, None], layout.topics[nearest]), weights)
        topics[start : start + len(nearest)] = votes.argmax(axis=1)
    return xy, topics
