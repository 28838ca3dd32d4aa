"""For you quality on simulated readers: does ``rank_candidates`` beat the well-known recommenders?

Data: the 74,728 real arXiv papers (cs.CV, cs.AI, cs.CL, cs.LG and neighbours) listed 2025-03-18 to
2026-07-01, one JSON object a line (``id``, ``listed`` YYYY-MM-DD, ``title``, ``authors``, ``categories``,
``abstract``, ...). Every developer has it at ``../shared/data/arxiv-daily-cs-2025-03-to-2026-07.jsonl.gz``
next to the repository (see shared/README.md); elsewhere, point ``--data`` or ``PAPERFEED_BENCH_DATA`` at a
copy. Lines are read as they are (every one of the 74,728 papers: the importer's validation, which may
change, does not decide who the readers are); ``document_text(title, abstract)`` is what was embedded.

Simulation: cut-off 2026-06-15. A *reader* is an author name with >= 3 papers listed before the cut-off and
>= 1 listed in the window 2026-06-15..2026-07-01 (the 3,467 papers whose vectors are bundled in
``sample-vectors.npz``). Their *library* is their papers before the cut-off, newest first, at most 100
(``Signal(source="library")`` dated by listing day); their *targets* are their papers in the window; the
*candidates* are every paper listed on the days on which they have a target (no sampled negatives), in one
random listing order shared by all readers and given unchanged to every system; ``now`` is the evening of the
last such day. Their own name is in ``Interests.own_names`` (it is on every target, so it must never be a
feature). paperfeed's background negatives are, as in the service, one sample shared by every reader:
``BACKGROUND_NEGATIVES`` random pre-cut-off papers (fixed seed), each reader's own papers taken out. Readers
are split tune / held-out by a stable hash of the name; ``--tune`` chooses weights on the tune half only, and
the held-out half is the one to quote.

Baselines, rebuilt in the same run from the same candidate lists: random; newest first; arxiv-sanity-lite
(its TF-IDF settings fitted once on the whole corpus, title + abstract only: the original also appends the
author names, which here would put the reader's own name on every target; per reader its LinearSVC with the
library as positives and, as its database's other papers, the window plus a fixed random 10,000 pre-cut-off
papers); zotero-arxiv-daily (similarity to the library weighted 1/(1+log10(rank+1)), newest first, with
paperfeed's MiniLM vectors instead of GIST-small); library centroid; nearest library item.

Library and background papers are embedded with the product encoder and cached in
``benchmarks/.cache/recommend-vectors-<model>.npz`` (~20 papers/s on an idle machine: about 6 minutes the
first time at 600 readers, seconds afterwards).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/recommend_quality.py --readers 600 --tune
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/recommend_quality.py --readers 100 --no-write  # quick
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: its pool fights the model's on 2 cores

import argparse  # noqa: E402
import ast  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import asdict, dataclass, field, replace  # noqa: E402
from datetime import UTC, date, datetime  # noqa: E402
from datetime import time as clock  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402

from paperfeed.embed import current_model_key, document_text, get_encoder  # noqa: E402
from paperfeed.embed.vector_file import read_vector_file, write_vector_file  # noqa: E402
from paperfeed.rank import personal  # noqa: E402
from paperfeed.rank.personal import (  # noqa: E402
    BACKGROUND_NEGATIVES,
    DEFAULT_WEIGHTS,
    Candidate,
    Interests,
    Signal,
    Weights,
    rank_candidates,
)

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
RESULTS, CACHE = ROOT / "results", ROOT / ".cache"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "arxiv-daily-cs-2025-03-to-2026-07.jsonl.gz"
SAMPLE_VECTORS = REPO / "src" / "paperfeed" / "data" / "sample-vectors.npz"

CUTOFF, WINDOW_END = date(2026, 6, 15), date(2026, 7, 1)
MIN_LIBRARY, MAX_LIBRARY = 3, 100
SANITY_DATABASE = 10_000  # random pre-cut-off papers standing in for the rest of arxiv-sanity-lite's database
EMBED_BATCH = 64
BOOTSTRAP = 1_000
EVENING = clock(20, 0)
SPEED_DAY, SPEED_CANDIDATES, SPEED_READERS, SPEED_REPEATS = date(2026, 6, 16), 500, 20, 5
NIGHTLY_READERS = 10_000

LINEAR_GRID = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
TUNE_GRID: dict[str, tuple[float, ...]] = {
    "closeness": LINEAR_GRID,
    "model": LINEAR_GRID,
    "words": LINEAR_GRID,
    "authors": LINEAR_GRID,
    "category_prior": LINEAR_GRID,
    "temperature": (0.02, 0.05, 0.1, 0.2),
    "half_life_days": (90.0, 180.0, 365.0, 730.0),
}
TUNE_PASSES = 2

PAPERFEED = "paperfeed (default weights)"
ABLATIONS = {  # name -> weights, all computed from the same parts as the default row
    "paperfeed without authors": Weights(authors=0.0),
    "paperfeed without the word model": Weights(words=0.0),
    "paperfeed without the embedding model": Weights(model=0.0),
    "paperfeed closeness only": Weights(
        model=0.0, words=0.0, authors=0.0, category_followed=0.0, category_prior=0.0, keyword=0.0
    ),
}
TEXT_ONLY = "paperfeed, library as title+abstract only"
TUNED = "paperfeed (tuned weights)"
TUNED_CONTENT = "paperfeed (tuned with authors fixed at 0)"
BEST_TEXT_BASELINE = "arxiv-sanity-lite (TF-IDF + SVM)"
EMBEDDING_BASELINE = "zotero-arxiv-daily (time-decayed mean cosine)"
HEAD_TO_HEAD = [  # content against content: the author part has no counterpart in the baselines
    ("paperfeed without authors", BEST_TEXT_BASELINE),
    ("paperfeed without authors", EMBEDDING_BASELINE),
    (TEXT_ONLY, BEST_TEXT_BASELINE),
    (TUNED_CONTENT, BEST_TEXT_BASELINE),
]


# --- the corpus and the simulated readers -----------------------------------------------------------------


@dataclass
class Corpus:
    ids: list[str] = field(default_factory=list)
    listed: list[date] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # document_text(title, abstract): what is embedded
    authors: list[tuple[str, ...]] = field(default_factory=list)
    categories: list[tuple[str, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Reader:
    name: str
    half: str  # tune | held_out
    seed: int
    library: list[int]  # newest first, at most MAX_LIBRARY
    own: set[int]  # every paper of theirs, any date
    targets: set[int]
    candidates: list[int]  # every paper of the target days, in the shared random listing order
    now: datetime
    background: list[int]


def load_corpus(path: Path) -> Corpus:
    corpus = Corpus()
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open() as f:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            corpus.ids.append(obj["id"])
            corpus.listed.append(date.fromisoformat(obj["listed"]))
            corpus.titles.append(obj["title"])
            corpus.texts.append(document_text(obj["title"], obj.get("abstract") or ""))
            corpus.authors.append(tuple(obj.get("authors") or ()))
            corpus.categories.append(tuple(obj.get("categories") or ()))
    if len(set(corpus.ids)) != len(corpus.ids):
        raise SystemExit(f"{path}: a paper is listed twice; expected one line per paper")
    return corpus


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def make_readers(corpus: Corpus, count: int, seed: int) -> tuple[list[Reader], dict]:
    papers_of: dict[str, list[int]] = defaultdict(list)
    for i, names in enumerate(corpus.authors):
        for name in dict.fromkeys(names):
            papers_of[name].append(i)
    window = [i for i in range(len(corpus)) if CUTOFF <= corpus.listed[i] <= WINDOW_END]
    window_days = {corpus.listed[i] for i in window}
    by_day: dict[date, list[int]] = defaultdict(list)
    for i in window:
        by_day[corpus.listed[i]].append(i)
    eligible = sorted(
        name
        for name, papers in papers_of.items()
        if sum(corpus.listed[i] < CUTOFF for i in papers) >= MIN_LIBRARY
        and any(corpus.listed[i] in window_days for i in papers)
    )
    rng = np.random.default_rng(seed)
    chosen = [eligible[i] for i in rng.permutation(len(eligible))[:count]]  # a prefix for any --readers
    before = [i for i in range(len(corpus)) if corpus.listed[i] < CUTOFF]
    # Shared by every reader, as the service's hourly sample is; each reader's own papers are taken out.
    shared = np.random.default_rng(seed + 1).choice(before, BACKGROUND_NEGATIVES, replace=False)
    shared = sorted(shared.tolist())
    # One listing order for everybody (a random one, so that no system gains from ties), as in the product.
    position = {i: k for k, i in enumerate(np.random.default_rng(seed + 3).permutation(window).tolist())}
    readers = []
    for name in chosen:
        own = set(papers_of[name])
        earlier = sorted(
            (i for i in own if corpus.listed[i] < CUTOFF),
            key=lambda i: (corpus.listed[i], corpus.ids[i]),
            reverse=True,
        )
        targets = {i for i in own if CUTOFF <= corpus.listed[i] <= WINDOW_END}
        days = sorted({corpus.listed[i] for i in targets})
        h = stable_hash(name)
        candidates = sorted((i for day in days for i in by_day[day]), key=position.__getitem__)
        background = [i for i in shared if i not in own]
        readers.append(
            Reader(
                name=name,
                half="tune" if h % 2 == 0 else "held_out",
                seed=h % 2**32,
                library=earlier[:MAX_LIBRARY],
                own=own,
                targets=targets,
                candidates=candidates,
                now=datetime.combine(days[-1], EVENING, tzinfo=UTC),
                background=background,
            )
        )
        check_reader(readers[-1], corpus)
    stats = {
        "eligible_names": len(eligible),
        "window_papers": len(window),
        "background_own_papers_removed": sum(BACKGROUND_NEGATIVES - len(r.background) for r in readers),
    }
    return readers, stats


def check_reader(reader: Reader, corpus: Corpus) -> None:
    """The invariants the figures rest on; a failure here is a bug in this script, never noise."""
    cands = set(reader.candidates)
    assert len(cands) == len(reader.candidates), reader.name
    assert reader.targets and reader.targets <= cands, f"{reader.name}: a target is not a candidate"
    assert not cands & set(reader.library), f"{reader.name}: a library paper is a candidate"
    assert not set(reader.background) & reader.own, f"{reader.name}: own paper among the background"
    assert not set(reader.background) & cands, reader.name
    assert MIN_LIBRARY <= len(reader.library) <= MAX_LIBRARY, reader.name
    assert all(reader.name in corpus.authors[i] for i in [*reader.library, *reader.targets]), reader.name
    assert all(corpus.listed[i] < CUTOFF for i in reader.library), reader.name
    assert all(CUTOFF <= corpus.listed[i] <= reader.now.date() for i in cands), reader.name
    days = {corpus.listed[i] for i in reader.targets}
    assert all(corpus.listed[i] in days for i in cands), reader.name


# --- vectors -----------------------------------------------------------------------------------------------


def load_vectors(corpus: Corpus, needed: set[int]) -> tuple[np.ndarray, dict]:
    """Vectors (float32, L2-normalised) for ``needed`` papers: the bundled ones, then the cache, then the
    product encoder for whatever is still missing (added to the cache)."""
    key = current_model_key()
    index = {pid: i for i, pid in enumerate(corpus.ids)}
    vectors = np.zeros((len(corpus), 384), dtype=np.float32)
    have = np.zeros(len(corpus), dtype=bool)
    bundled = read_vector_file(SAMPLE_VECTORS)
    if bundled.model != key:
        raise SystemExit(
            f"{SAMPLE_VECTORS} holds {bundled.model} vectors, not {key}: "
            "run benchmarks/make_sample_vectors.py"
        )
    for pid, vector in zip(bundled.ids, bundled.vectors, strict=True):
        if pid in index:
            vectors[index[pid]], have[index[pid]] = vector, True
    from_bundle = int(have.sum())
    cache = CACHE / f"recommend-vectors-{re.sub(r'[^A-Za-z0-9.-]+', '_', key)}.npz"
    cached_ids: list[str] = []
    if cache.exists():
        stored = read_vector_file(cache)
        if stored.model == key:
            cached_ids = stored.ids
            for pid, vector in zip(stored.ids, stored.vectors, strict=True):
                if pid in index and not have[index[pid]]:
                    vectors[index[pid]], have[index[pid]] = vector, True
    missing = sorted(i for i in needed if not have[i])
    started = time.perf_counter()
    if missing:
        encoder = get_encoder()
        print(f"embedding {len(missing)} papers with {key} (cached in {cache.relative_to(REPO)})")
        for start in range(0, len(missing), EMBED_BATCH):
            batch = missing[start : start + EMBED_BATCH]
            vectors[batch] = encoder.encode_documents([corpus.texts[i] for i in batch])
            have[batch] = True
            done, elapsed = start + len(batch), time.perf_counter() - started
            print(f"\r  {done}/{len(missing)} ({done / elapsed:.1f}/s)", end="", flush=True)
        print()
        keep = sorted({index[pid] for pid in cached_ids if pid in index} | set(missing))
        write_vector_file(cache, [corpus.ids[i] for i in keep], vectors[keep], key)
    assert all(have[i] for i in needed)
    return vectors, {
        "model": key,
        "from_bundle": from_bundle,
        "embedded_now": len(missing),
        "embed_seconds": round(time.perf_counter() - started, 1),
        "embed_per_second": round(len(missing) / max(time.perf_counter() - started, 1e-9), 1)
        if missing
        else None,
    }


# --- paperfeed ---------------------------------------------------------------------------------------------


class Objects:
    """The Signal / Candidate objects of each paper, made once and shared by every reader."""

    def __init__(self, corpus: Corpus, vectors: np.ndarray) -> None:
        self.corpus, self.vectors = corpus, vectors
        self._signals: dict[int, Signal] = {}
        self._plain: dict[int, Signal] = {}
        self._candidates: dict[int, Candidate] = {}

    def signal(self, i: int) -> Signal:
        if i not in self._signals:
            c = self.corpus
            self._signals[i] = Signal(
                ref=c.ids[i],
                title=c.titles[i],
                text=c.texts[i],
                vector=self.vectors[i],
                authors=c.authors[i],
                categories=c.categories[i],
                source="library",
                at=datetime.combine(c.listed[i], clock(0, 0), tzinfo=UTC),
            )
        return self._signals[i]

    def plain_signal(self, i: int) -> Signal:
        """A library entry from an export without ids that matched no stored paper: text and vector only."""
        if i not in self._plain:
            s = self.signal(i)
            self._plain[i] = Signal(
                ref=f"library:{i}", title=s.title, text=s.text, vector=s.vector, source="library", at=s.at
            )
        return self._plain[i]

    def candidate(self, i: int) -> Candidate:
        if i not in self._candidates:
            c = self.corpus
            self._candidates[i] = Candidate(
                id=c.ids[i],
                title=c.titles[i],
                text=c.texts[i],
                vector=self.vectors[i],
                authors=c.authors[i],
                categories=c.categories[i],
            )
        return self._candidates[i]

    def interests(self, reader: Reader, *, plain: bool = False) -> Interests:
        make = self.plain_signal if plain else self.signal
        return Interests(
            signals=[make(i) for i in reader.library],
            own_names={reader.name},
            background=self.vectors[reader.background],
            background_texts=[self.corpus.texts[i] for i in reader.background],
        )


def parts_of(
    objects: Objects, reader: Reader, weights: Weights, *, plain: bool = False
) -> dict[str, np.ndarray]:
    """paperfeed's per-part scores for one reader: ``rank_candidates`` without the final weighted sum, so
    the ablations and the weight search reuse one fit (only temperature and half-life change the parts).
    LinearSVC shuffles with numpy's global generator, so it is seeded per reader for a reproducible run."""
    np.random.seed(reader.seed)
    parts = personal._Parts(
        objects.interests(reader, plain=plain),
        [objects.candidate(i) for i in reader.candidates],
        reader.now,
        weights,
    )
    # every array the weighted sum may read (new parts included), not the signals and candidates
    return {name: value.copy() for name, value in vars(parts).items() if isinstance(value, np.ndarray)}


def blend(parts: dict[str, np.ndarray], weights: Weights) -> np.ndarray:
    """The weighted sum, computed by paperfeed's own ``_Parts.total``."""
    return personal._Parts.total(SimpleNamespace(weights=weights, **parts))  # type: ignore[arg-type]


def order_of(scores: np.ndarray) -> list[int]:
    """Positions best first, ties in the given order: what rank_candidates does."""
    return sorted(range(len(scores)), key=lambda k: (-scores[k], k))


def verify_parts_path(objects: Objects, readers: Sequence[Reader], parts: Sequence[dict]) -> dict:
    """The shortcut must rank exactly as the public call does."""
    mismatches = 0
    for reader, p in zip(readers, parts, strict=True):
        np.random.seed(reader.seed)
        ranked = rank_candidates(
            objects.interests(reader),
            [objects.candidate(i) for i in reader.candidates],
            now=reader.now,
            weights=DEFAULT_WEIGHTS,
        )
        expected = [r.id for r in ranked]
        mine = [objects.corpus.ids[reader.candidates[k]] for k in order_of(blend(p, DEFAULT_WEIGHTS))]
        mismatches += expected != mine
    return {"readers_checked": len(readers), "rankings_differing": mismatches}


# --- baselines ---------------------------------------------------------------------------------------------


class ArxivSanity:
    """arxiv-sanity-lite: compute.py's TF-IDF, serve.py's per-user LinearSVC over the whole database."""

    def __init__(self, corpus: Corpus, seed: int) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        started = time.perf_counter()
        vectorizer = TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            analyzer="word",
            stop_words="english",
            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
            ngram_range=(1, 2),
            max_features=20000,
            norm="l2",
            use_idf=True,
            smooth_idf=True,
            sublinear_tf=True,
            max_df=0.10,
            min_df=5,
        )
        self.x = vectorizer.fit_transform(corpus.texts).astype(np.float32).tocsr()
        self.fit_seconds = time.perf_counter() - started
        before = [i for i in range(len(corpus)) if corpus.listed[i] < CUTOFF]
        window = [i for i in range(len(corpus)) if CUTOFF <= corpus.listed[i] <= WINDOW_END]
        sample = np.random.default_rng(seed + 2).choice(before, SANITY_DATABASE, replace=False).tolist()
        self.database = sorted(set(window) | set(sample))
        self.listed = corpus.listed
        print(
            f"arxiv-sanity-lite TF-IDF: {self.x.shape[1]} features fitted on {len(corpus)} papers in "
            f"{self.fit_seconds:.0f} s"
        )

    def scores(self, reader: Reader) -> np.ndarray:
        from sklearn.svm import LinearSVC

        library = set(reader.library)
        # the database: the window (candidates and targets included, untagged, as in arxiv-sanity-lite),
        # the random sample and the library; the reader's older papers beyond the cap are left out.
        older = {i for i in reader.own if self.listed[i] < CUTOFF}
        rows = [i for i in self.database if i not in older] + reader.library
        y = np.array([1.0 if i in library else 0.0 for i in rows])
        clf = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01, dual=True, random_state=0)
        clf.fit(self.x[rows], y)
        return clf.decision_function(self.x[reader.candidates])


def zotero_scores(vectors: np.ndarray, reader: Reader) -> np.ndarray:
    """zotero-arxiv-daily's recommender.py: library newest first, weight 1/(1+log10(rank+1)), normalised."""
    weights = 1.0 / (1.0 + np.log10(np.arange(len(reader.library)) + 1.0))
    weights /= weights.sum()
    return (vectors[reader.candidates] @ vectors[reader.library].T) @ weights


def centroid_scores(vectors: np.ndarray, reader: Reader) -> np.ndarray:
    centre = vectors[reader.library].mean(axis=0)
    return vectors[reader.candidates] @ (centre / max(float(np.linalg.norm(centre)), 1e-12))


def nearest_scores(vectors: np.ndarray, reader: Reader) -> np.ndarray:
    return (vectors[reader.candidates] @ vectors[reader.library].T).max(axis=1)


def newest_scores(corpus: Corpus, reader: Reader) -> np.ndarray:
    """Listing day descending, then id descending, as a sortable score."""
    order = sorted(
        range(len(reader.candidates)),
        reverse=True,
        key=lambda k: (corpus.listed[reader.candidates[k]], corpus.ids[reader.candidates[k]]),
    )
    scores = np.zeros(len(order))
    scores[order] = np.arange(len(order), 0, -1)
    return scores


def random_scores(reader: Reader, seed: int) -> np.ndarray:
    return np.random.default_rng((seed, reader.seed)).random(len(reader.candidates))


# --- metrics -----------------------------------------------------------------------------------------------


def metrics(reader: Reader, scores: np.ndarray) -> tuple[float, float]:
    """nDCG@10 (binary relevance) and Recall@50 of one reader's ranking."""
    assert len(scores) == len(reader.candidates)
    ranked = [reader.candidates[k] for k in order_of(np.asarray(scores, dtype=np.float64))]
    dcg = sum(1.0 / math.log2(r + 2) for r, i in enumerate(ranked[:10]) if i in reader.targets)
    ideal = sum(1.0 / math.log2(r + 2) for r in range(min(len(reader.targets), 10)))
    recall = len(reader.targets & set(ranked[:50])) / len(reader.targets)
    return dcg / ideal, recall


def bootstrap(values: dict[str, np.ndarray], reference: str, seed: int) -> dict[str, dict]:
    """Mean with a 95% percentile bootstrap CI per system, and the paired CI of (system - reference)."""
    n = len(values[reference])
    draws = np.random.default_rng(seed).integers(0, n, size=(BOOTSTRAP, n))
    out = {}
    for name, v in values.items():
        means = v[draws].mean(axis=1)
        diff = v - values[reference]
        diffs = diff[draws].mean(axis=1)
        out[name] = {
            "mean": float(v.mean()),
            "ci": [float(x) for x in np.percentile(means, [2.5, 97.5])],
            "delta": float(diff.mean()),
            "delta_ci": [float(x) for x in np.percentile(diffs, [2.5, 97.5])],
        }
    return out


# --- tuning ------------------------------------------------------------------------------------------------


class PartsCache:
    """Parts per (temperature, half-life) and reader, computed on first use."""

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.store: dict[tuple[float, float], dict[str, dict]] = defaultdict(dict)
        self.computed = 0

    def get(self, reader: Reader, weights: Weights) -> dict[str, np.ndarray]:
        key = (weights.temperature, weights.half_life_days)
        if reader.name not in self.store[key]:
            self.store[key][reader.name] = parts_of(self.objects, reader, weights)
            self.computed += 1
        return self.store[key][reader.name]

    def ndcg(self, readers: Sequence[Reader], weights: Weights) -> np.ndarray:
        return np.array([metrics(r, blend(self.get(r, weights), weights))[0] for r in readers])


def tune(cache: PartsCache, readers: Sequence[Reader], **fixed: float) -> tuple[Weights, list[dict]]:
    """Coordinate search on the tune readers' mean nDCG@10 from the defaults (``fixed`` fields held); a
    value replaces the current one only if it does better (among equals, the one closest to it)."""
    best = replace(DEFAULT_WEIGHTS, **fixed)
    best_score = float(cache.ndcg(readers, best).mean())
    log = [{"pass": 0, "weights": asdict(best), "ndcg@10": round(best_score, 4)}]
    print(
        f"tuning on {len(readers)} readers{f', {fixed} held' if fixed else ''}; start: nDCG@10 "
        f"{best_score:.4f}"
    )
    for number in range(1, TUNE_PASSES + 1):
        for name, grid in TUNE_GRID.items():
            if name in fixed:
                continue
            current, tried = getattr(best, name), {}
            for value in sorted({*grid, current}):  # the current value too: it is free (cached)
                weights = replace(best, **{name: value})
                tried[value] = float(cache.ndcg(readers, weights).mean())
            value = max(tried, key=lambda v: (tried[v], -abs(math.log((v + 0.1) / (current + 0.1)))))
            if tried[value] > best_score + 1e-12:
                best, best_score = replace(best, **{name: value}), tried[value]
            print(
                f"  pass {number} {name:15s} "
                + " ".join(f"{v:g}:{s:.4f}" for v, s in tried.items())
                + f"  -> {getattr(best, name):g}"
            )
            log.append(
                {
                    "pass": number,
                    "field": name,
                    "tried": {f"{v:g}": round(s, 4) for v, s in tried.items()},
                    "chosen": getattr(best, name),
                    "ndcg@10": round(best_score, 4),
                }
            )
    print(f"best on the tune half: {best} (nDCG@10 {best_score:.4f}); {cache.computed} part sets computed")
    return best, log


# --- speed -------------------------------------------------------------------------------------------------


def speed(objects: Objects, corpus: Corpus, readers: Sequence[Reader]) -> dict:
    """``rank_candidates`` for one reader over one day's listing, warm (the listing's and the shared
    background's word counts already hashed, as for every reader after the first in the service) and cold."""
    day = [i for i in range(len(corpus)) if corpus.listed[i] == SPEED_DAY][:SPEED_CANDIDATES]
    candidates = [objects.candidate(i) for i in day]
    now = datetime.combine(SPEED_DAY, EVENING, tzinfo=UTC)
    rank_times, rating_times, cold_times, sizes = [], [], [], []
    rated = objects.candidate(day[0])
    upvote = Signal(
        ref=rated.id,
        title=rated.title,
        text=rated.text,
        vector=rated.vector,
        authors=rated.authors,
        categories=rated.categories,
        source="upvote",
        at=now,
    )
    load_before, others_before = os.getloadavg()[0], other_benchmarks()
    for reader in readers[:SPEED_READERS]:
        interests = objects.interests(reader)
        sizes.append(len(reader.library))
        personal._hash_cache.clear()  # cold: nothing hashed yet (the first reader of a new listing)
        started = time.perf_counter()
        rank_candidates(interests, candidates, now=now)
        cold_times.append(time.perf_counter() - started)
        for _ in range(SPEED_REPEATS):
            started = time.perf_counter()
            rank_candidates(interests, candidates, now=now)
            rank_times.append(time.perf_counter() - started)
        for _ in range(SPEED_REPEATS):  # a 👍 on a paper of the page: one more Signal, the same call again
            started = time.perf_counter()
            rank_candidates(replace(interests, signals=[*interests.signals, upvote]), candidates, now=now)
            rating_times.append(time.perf_counter() - started)
    median = float(np.median(rank_times))

    def ms(values: list[float]) -> dict[str, float]:
        return {
            "median": round(float(np.median(values)) * 1e3, 1),
            "p95": round(float(np.percentile(values, 95)) * 1e3, 1),
        }

    return {
        "candidates": len(candidates),
        "day": SPEED_DAY.isoformat(),
        "readers": len(sizes),
        "repeats_per_reader": SPEED_REPEATS,
        "library_sizes": {"median": float(np.median(sizes)), "min": min(sizes), "max": max(sizes)},
        "rank_ms": ms(rank_times),
        "new_rating_ms": ms(rating_times),
        "cold_first_reader_ms": ms(cold_times),
        "nightly_10k_readers_extrapolated_minutes": round(median * NIGHTLY_READERS / 60, 1),
        "note": f"median x {NIGHTLY_READERS:,} readers, extrapolated, one process on this 2-core machine",
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "other_benchmarks_running": sorted(set(others_before) | set(other_benchmarks())),
    }


def other_benchmarks() -> list[str]:
    """Command lines of other benchmark processes on this machine (they would slow the timing down)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        line = " ".join(a.decode(errors="replace") for a in args if a)
        if int(entry.name) != os.getpid() and re.search(r"benchmarks/\w+\.py", line) and "python" in line:
            found.append(line[:200])
    return found


# --- the run -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = Path(os.environ.get("PAPERFEED_BENCH_DATA", DEFAULT_DATA))
    parser.add_argument(
        "--data",
        type=Path,
        default=data,
        help="the arXiv daily JSON lines (default: $PAPERFEED_BENCH_DATA, else %(default)s)",
    )
    parser.add_argument("--readers", type=int, default=600, help="simulated readers to sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tune", action="store_true", help="search the weights on the tune half")
    parser.add_argument("--no-write", action="store_true", help="print only; leave results/ alone")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data} not found: see the module docstring for the data (--data PATH)")
    started = time.perf_counter()
    code = provenance()
    stages: dict[str, float] = {}

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - since, 1)
        return now

    corpus = load_corpus(args.data)
    readers, stats = make_readers(corpus, args.readers, args.seed)
    halves = {h: [r for r in readers if r.half == h] for h in ("held_out", "tune")}
    print(
        f"{len(corpus):,} papers; {stats['eligible_names']:,} eligible reader names, {len(readers)} "
        f"sampled ({len(halves['tune'])} tune, {len(halves['held_out'])} held-out)"
    )
    mark = stage("load_and_sample_s", started)
    needed = {i for r in readers for i in (*r.library, *r.background, *r.candidates)}
    vectors, vector_stats = load_vectors(corpus, needed)
    mark = stage("vectors_s", mark)
    objects = Objects(corpus, vectors)
    # timed first, a minute after the start, so that a quiet machine at the start is quiet for the timing
    timing = speed(objects, corpus, halves["held_out"] or readers)
    mark = stage("speed_s", mark)
    sanity = ArxivSanity(corpus, args.seed)
    mark = stage("tfidf_fit_s", mark)

    baselines: dict[str, Callable[[Reader], np.ndarray]] = {
        "random": lambda r: random_scores(r, args.seed),
        "newest first": lambda r: newest_scores(corpus, r),
        BEST_TEXT_BASELINE: sanity.scores,
        EMBEDDING_BASELINE: lambda r: zotero_scores(vectors, r),
        "library centroid (cosine to mean)": lambda r: centroid_scores(vectors, r),
        "nearest library item (max cosine)": lambda r: nearest_scores(vectors, r),
    }
    cache = PartsCache(objects)
    systems = [*baselines, PAPERFEED, *ABLATIONS, TEXT_ONLY]
    ndcg: dict[str, dict[str, float]] = defaultdict(dict)
    recall: dict[str, dict[str, float]] = defaultdict(dict)
    seconds: Counter[str] = Counter()
    for n, reader in enumerate(readers, 1):
        for name, score in baselines.items():
            t0 = time.perf_counter()
            ndcg[name][reader.name], recall[name][reader.name] = metrics(reader, score(reader))
            seconds[name] += time.perf_counter() - t0
        t0 = time.perf_counter()
        parts = cache.get(reader, DEFAULT_WEIGHTS)
        seconds[PAPERFEED] += time.perf_counter() - t0
        for name, weights in [(PAPERFEED, DEFAULT_WEIGHTS), *ABLATIONS.items()]:
            ndcg[name][reader.name], recall[name][reader.name] = metrics(reader, blend(parts, weights))
        t0 = time.perf_counter()
        plain = blend(parts_of(objects, reader, DEFAULT_WEIGHTS, plain=True), DEFAULT_WEIGHTS)
        ndcg[TEXT_ONLY][reader.name], recall[TEXT_ONLY][reader.name] = metrics(reader, plain)
        seconds[TEXT_ONLY] += time.perf_counter() - t0
        if n % 25 == 0 or n == len(readers):
            print(
                f"\r  {n}/{len(readers)} readers ranked by {len(systems)} systems "
                f"({time.perf_counter() - mark:.0f} s)",
                end="",
                flush=True,
            )
    print()
    mark = stage("systems_s", mark)
    check = verify_parts_path(objects, readers[:10], [cache.get(r, DEFAULT_WEIGHTS) for r in readers[:10]])
    print(
        f"parts shortcut vs rank_candidates: {check['rankings_differing']} of {check['readers_checked']} "
        "rankings differ"
    )

    tuned, tune_log, content, content_log = None, [], None, []
    if args.tune:
        tuned, tune_log = tune(cache, halves["tune"])
        content, content_log = tune(cache, halves["tune"], authors=0.0)
        for name, weights in ((TUNED, tuned), (TUNED_CONTENT, content)):
            for reader in readers:
                ndcg[name][reader.name], recall[name][reader.name] = metrics(
                    reader, blend(cache.get(reader, weights), weights)
                )
            systems.append(name)
        mark = stage("tuning_s", mark)

    report: dict[str, dict] = {}
    for half, members in [*halves.items(), ("all", readers)]:
        if not members:
            continue
        report[half] = {"readers": len(members), "systems": {}}
        by_metric = {}
        for metric, values in (("ndcg@10", ndcg), ("recall@50", recall)):
            arrays = {s: np.array([values[s][r.name] for r in members]) for s in systems}
            by_metric[metric] = bootstrap(arrays, PAPERFEED, args.seed)
        for s in systems:
            report[half]["systems"][s] = {metric: by_metric[metric][s] for metric in by_metric}
        report[half]["head_to_head"] = head_to_head(
            {
                metric: {s: np.array([values[s][r.name] for r in members]) for s in systems}
                for metric, values in (("ndcg@10", ndcg), ("recall@50", recall))
            },
            args.seed,
        )
    total_s = round(time.perf_counter() - started, 1)
    code["personal_py_changed_during_run"] = provenance()["personal_py_ast"] != code["personal_py_ast"]
    if code["personal_py_changed_during_run"]:
        print(
            "WARNING: src/paperfeed/rank/personal.py changed during the run; the figures are of the "
            "version read at the start"
        )
    reader_stats = describe_readers(readers, stats)
    tables = {
        half: table(report[half]) + "\n\n" + pairs_table(report[half]["head_to_head"])
        for half in ("held_out", "tune")
        if half in report
    }
    for half, text in tables.items():
        print(f"\n{half.replace('_', '-')} half, {report[half]['readers']} readers\n\n{text}")
    if tuned is not None:
        print(f"\ntuned weights: {tuned}\ntuned with authors fixed at 0: {content}")
    print(
        f"\nrank_candidates, {timing['candidates']} candidates: median {timing['rank_ms']['median']} ms, "
        f"p95 {timing['rank_ms']['p95']} ms (cold: median {timing['cold_first_reader_ms']['median']} ms); "
        f"a new rating: median {timing['new_rating_ms']['median']} ms; nightly for "
        f"{NIGHTLY_READERS:,} readers (extrapolated): "
        f"{timing['nightly_10k_readers_extrapolated_minutes']} min"
    )
    print(f"total {total_s:.0f} s ({stages})")
    if args.no_write:
        return
    settings = {
        "data": args.data.name,
        "papers": len(corpus),
        "cutoff": CUTOFF.isoformat(),
        "window": [CUTOFF.isoformat(), WINDOW_END.isoformat()],
        "readers_requested": args.readers,
        "seed": args.seed,
        "min_library": MIN_LIBRARY,
        "max_library": MAX_LIBRARY,
        "background_negatives": BACKGROUND_NEGATIVES,
        "background": "one shared random sample of pre-cut-off papers, each reader's own papers removed",
        "arxiv_sanity_database": f"the {stats['window_papers']:,} window papers + {SANITY_DATABASE:,} random "
        "pre-cut-off papers + the library",
        "arxiv_sanity_tfidf_features": int(sanity.x.shape[1]),
        "bootstrap_resamples": BOOTSTRAP,
        "split": "sha256(name): even = tune, odd = held_out",
        "tune_grid": TUNE_GRID,
        "tune_passes": TUNE_PASSES,
        "delta": "system minus paperfeed (default weights), paired over readers",
    }
    payload = {
        "settings": settings,
        "code": code,
        "readers": reader_stats,
        "vectors": vector_stats,
        "default_weights": asdict(DEFAULT_WEIGHTS),
        "tuned_weights": asdict(tuned) if tuned else None,
        "tuned_weights_authors_fixed_at_0": asdict(content) if content else None,
        "tuning_log": tune_log,
        "tuning_log_authors_fixed_at_0": content_log,
        "parts_shortcut_check": check,
        "results": report,
        "speed": timing,
        "seconds": {"total": total_s, **stages, "per_system": {k: round(v, 1) for k, v in seconds.items()}},
        "per_reader": "__PER_READER__",
    }
    columns = [
        "name",
        "half",
        "library",
        "targets",
        "candidates",
        *[f"ndcg@10 {s}" for s in systems],
        *[f"recall@50 {s}" for s in systems],
    ]
    rows = [
        [
            r.name,
            r.half,
            len(r.library),
            len(r.targets),
            len(r.candidates),
            *[round(ndcg[s][r.name], 4) for s in systems],
            *[round(recall[s][r.name], 4) for s in systems],
        ]
        for r in readers
    ]
    per_reader = (
        '{\n    "columns": '
        + json.dumps(columns, ensure_ascii=False)
        + ',\n    "rows": [\n'
        + ",\n".join("      " + json.dumps(row, ensure_ascii=False) for row in rows)
        + "\n    ]\n  }"
    )
    text = json.dumps(payload, indent=2, ensure_ascii=False).replace('"__PER_READER__"', per_reader)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recommend_quality.json").write_text(text + "\n")
    md = markdown(
        report, tables, reader_stats, settings, timing, (tuned, content), vector_stats, total_s, code
    )
    (RESULTS / "recommend_quality.md").write_text(md)
    print(f"wrote {RESULTS / 'recommend_quality.json'} and recommend_quality.md")


def provenance() -> dict:
    """Which ranking code was measured: the commit, the git blob id of personal.py as it was read, and a
    digest of its syntax tree (a reformatting leaves it unchanged)."""
    source = Path(personal.__file__)
    data = source.read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    tree = hashlib.sha1(ast.dump(ast.parse(data)).encode()).hexdigest()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        committed = subprocess.run(
            ["git", "rev-parse", f"HEAD:{source.relative_to(REPO)}"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError, ValueError):
        head, committed = "", ""
    return {
        "commit": head,
        "personal_py_blob": blob,
        "personal_py_ast": tree,
        "personal_py_as_committed": blob == committed,
    }


def describe_readers(readers: Sequence[Reader], stats: dict) -> dict:
    lib = [len(r.library) for r in readers]
    return {
        **stats,
        "sampled": len(readers),
        "tune": sum(r.half == "tune" for r in readers),
        "held_out": sum(r.half == "held_out" for r in readers),
        "library_median": float(np.median(lib)),
        "library_mean": round(float(np.mean(lib)), 1),
        "library_below_model_minimum": sum(n < personal.MIN_POSITIVES_FOR_MODEL for n in lib),
        "library_capped": sum(n == MAX_LIBRARY for n in lib),
        "targets_mean": round(float(np.mean([len(r.targets) for r in readers])), 2),
        "candidates_median": float(np.median([len(r.candidates) for r in readers])),
        "candidates_mean": round(float(np.mean([len(r.candidates) for r in readers])), 1),
    }


def head_to_head(values: dict[str, dict[str, np.ndarray]], seed: int) -> list[dict]:
    """Paired bootstrap CIs of (first - second) for the content-against-content pairs."""
    out = []
    for first, second in HEAD_TO_HEAD:
        if first not in values["ndcg@10"] or second not in values["ndcg@10"]:
            continue
        row: dict = {"system": first, "against": second}
        for metric, by_system in values.items():
            row[metric] = bootstrap({first: by_system[first], second: by_system[second]}, second, seed)[first]
        out.append(row)
    return out


def pairs_table(pairs: list[dict]) -> str:
    lines = [
        "| content only (no author part): system | against | Δ nDCG@10 [paired 95% CI] "
        "| Δ R@50 [paired 95% CI] |",
        "|---|---|---|---|",
    ]
    for row in pairs:
        a, b = row["ndcg@10"], row["recall@50"]
        lines.append(
            f"| {row['system']} | {row['against']} | {a['delta']:+.3f} [{a['delta_ci'][0]:+.3f}, "
            f"{a['delta_ci'][1]:+.3f}] | {b['delta']:+.3f} [{b['delta_ci'][0]:+.3f}, "
            f"{b['delta_ci'][1]:+.3f}] |"
        )
    return "\n".join(lines)


def table(half: dict) -> str:
    lines = [
        "| system | nDCG@10 [95% CI] | R@50 [95% CI] | Δ nDCG@10 vs paperfeed [paired 95% CI] "
        "| Δ R@50 vs paperfeed [paired 95% CI] |",
        "|---|---|---|---|---|",
    ]
    for name, m in half["systems"].items():
        a, b = m["ndcg@10"], m["recall@50"]
        deltas = (
            ("—", "—")
            if name == PAPERFEED
            else (
                f"{a['delta']:+.3f} [{a['delta_ci'][0]:+.3f}, {a['delta_ci'][1]:+.3f}]",
                f"{b['delta']:+.3f} [{b['delta_ci'][0]:+.3f}, {b['delta_ci'][1]:+.3f}]",
            )
        )
        label = f"**{name}**" if name == PAPERFEED else name
        if ABLATIONS.get(name) == DEFAULT_WEIGHTS:
            label += " (its default weight is already 0)"
        lines.append(
            f"| {label} | {a['mean']:.3f} [{a['ci'][0]:.3f}, {a['ci'][1]:.3f}] | {b['mean']:.3f} "
            f"[{b['ci'][0]:.3f}, {b['ci'][1]:.3f}] | {deltas[0]} | {deltas[1]} |"
        )
    return "\n".join(lines)


def markdown(
    report: dict,
    tables: dict,
    readers: dict,
    settings: dict,
    timing: dict,
    tunings: tuple[Weights | None, Weights | None],
    vectors: dict,
    total_s: float,
    code: dict,
) -> str:
    tuned, content = tunings

    def fmt(w: Weights) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in asdict(w).items())

    out = [
        "# For you: paperfeed's ranking vs the well-known recommenders, on simulated readers\n",
        f"{readers['sampled']} readers sampled from {readers['eligible_names']:,} eligible author names "
        f"({readers['held_out']} held-out, {readers['tune']} tune); {settings['papers']:,} real arXiv "
        f"papers, cut-off {settings['cutoff']}; model {vectors['model']}; `personal.py` blob "
        f"{code['personal_py_blob'][:12]} (commit {code['commit'][:12]}). Δ = system − paperfeed (default "
        "weights), paired over the same readers; CIs are 95% percentile bootstraps over readers "
        f"({BOOTSTRAP:,} resamples, seed 0). `benchmarks/recommend_quality.py --readers "
        f"{settings['readers_requested']}{' --tune' if tuned else ''}` took {total_s / 60:.0f} min.\n",
    ]
    for half, text in tables.items():
        title = "Held-out half (quote these)" if half == "held_out" else "Tune half (weights chosen here)"
        out.append(f"## {title}: {report[half]['readers']} readers\n\n{text}\n")
    out.append(f"Default weights: {fmt(DEFAULT_WEIGHTS)}.\n")
    if tuned is not None and content is not None:
        out.append(
            f"Tuned on the tune half ({TUNE_PASSES} passes of coordinate search on nDCG@10): "
            f"{fmt(tuned)}.\n\nTuned with the author weight held at 0 (content only): "
            f"{fmt(content)}.\n"
        )
    out.append(
        "## Speed\n\n"
        f"`rank_candidates` for one reader over {timing['candidates']} candidates (the first of the "
        f"{timing['day']} listing), {timing['readers']} held-out readers × {timing['repeats_per_reader']} "
        f"runs, library sizes {timing['library_sizes']['min']}–{timing['library_sizes']['max']} (median "
        f"{timing['library_sizes']['median']:g}): median **{timing['rank_ms']['median']} ms**, p95 "
        f"{timing['rank_ms']['p95']} ms with the listing's word counts already hashed (every reader after "
        f"the first); the first reader of a listing (cold) {timing['cold_first_reader_ms']['median']} ms. "
        "Taking a new rating into account (one more Signal, the same call): median "
        f"{timing['new_rating_ms']['median']} ms, p95 {timing['new_rating_ms']['p95']} ms. Nightly for "
        f"{NIGHTLY_READERS:,} readers: **{timing['nightly_10k_readers_extrapolated_minutes']} min**, "
        f"extrapolated (median × {NIGHTLY_READERS:,}, one process on this 2-core machine; not run at that "
        f"scale). 1-minute load average before/after the timing: {timing['load_average_1min'][0]} / "
        f"{timing['load_average_1min'][1]} (the machine is shared with other work); "
        "other benchmarks running during the timing: "
        f"{', '.join(f'`{c}`' for c in timing['other_benchmarks_running']) or 'none'}.\n"
    )
    out.append(
        "## Method\n\n"
        "A simulated reader is an arXiv author name with at least 3 papers listed before the cut-off and "
        "at least one in the window (2026-06-15..2026-07-01). Their library is their papers before the "
        f"cut-off, newest first, at most {MAX_LIBRARY} (median {readers['library_median']:g}; "
        f"{readers['library_below_model_minimum']} readers have fewer than "
        f"{personal.MIN_POSITIVES_FOR_MODEL}, so paperfeed uses closeness alone for them); the targets are "
        f"their papers in the window (mean {readers['targets_mean']:g}); the candidates are every paper "
        f"listed on the days with a target (median {readers['candidates_median']:g}), in one random listing "
        "order shared by all readers and given unchanged to every system; `now` is 20:00 UTC of the last "
        "such day. The reader's name is in `own_names`, so it is never a feature. paperfeed's background "
        f"negatives are, as in the service, one shared sample of {settings['background_negatives']} random "
        "pre-cut-off papers (fixed seed), each reader's own papers taken out. The split is a stable hash of "
        "the name; weights are chosen on the tune half only.\n\n"
        "Baselines, rebuilt in the same run: random (seeded); newest first (listing day, then id, "
        "descending); **arxiv-sanity-lite**: its compute.py TF-IDF settings (max_df 0.10, min_df 5, "
        "20,000 uni+bigram features, sublinear tf) fitted once on title + abstract of the whole corpus (the "
        "original also appends the author names, which would put the reader's own name on every target), "
        "and per reader its serve.py LinearSVC (C 0.01, balanced, tol 1e-6) with the library as positives "
        f"and as negatives the rest of its database, here {settings['arxiv_sanity_database']} (not the "
        "whole corpus, to keep 600 fits tractable; as in the original, the window's papers, targets "
        "included, are in its training set untagged); **zotero-arxiv-daily**: cosine to each library "
        "paper, weighted 1/(1+log10(rank+1)) newest first and normalised, with paperfeed's MiniLM vectors "
        "(the original uses GIST-small); library centroid; nearest library item. The paperfeed rows use "
        "`rank_candidates`' own parts and weighted sum (`_Parts`, `_Parts.total`; checked to rank exactly "
        'as `rank_candidates` does), so the ablations reuse one fit; "library as title+abstract only" '
        "drops the authors and categories from every library Signal (an import that matched no stored "
        "paper).\n\n"
        "Caveats: authors are not readers. Their co-authors are on most of their new papers, so the "
        "authors part is worth far more here than for a real reader whose library is other people's "
        'papers; a common name can be several people; the target is "wrote it", not "wanted to read '
        'it". Quote the held-out half, and expect the real-reader evaluation to differ.\n'
    )
    return "\n".join(out)


if __name__ == "__main__":
    main()
