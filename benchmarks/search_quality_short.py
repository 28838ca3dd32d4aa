"""The short-query set of search_quality.py: one- and two-word queries, as people type them on a papers site.

Two labelled parts, each split like SciFact (tune = even positions, held_out = odd):

* **SciFact, reduced**: every SciFact query cut to its rarest one or two words (document frequency over the
  SciFact corpus; one word for every third query, two for the others), judged by SciFact's own labels.
* **Topic words over real papers**: the bundled sample of 3,467 real arXiv papers (with their real MiniLM
  vectors; the 74,728 of shared/data have none and embedding them takes an hour here). Queries are title words
  found in 12-120 titles, and title bigrams found in 8 or more; a paper is relevant when its title contains
  the (stemmed) words, or its abstract names them at least twice (a bigram: as a phrase).

Metrics: nDCG@10 and P@10 (binary relevance), per part and together.
"""

from __future__ import annotations

import collections
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.ingest.records import Record
from paperfeed.search.keyword_index import _analyzer
from paperfeed.search.query import STOP_WORDS
from paperfeed.services.search import SAMPLE_VECTORS, load_precomputed_vectors, search_papers
from paperfeed.store import Database

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "work"
SAMPLE = ROOT.parent / "src" / "paperfeed" / "data" / "sample-papers.jsonl.gz"
_WORD = re.compile(r"[a-z][a-z0-9-]+")


@dataclass
class QuerySet:
    db: Database
    queries: list[str]
    relevant: list[set[str]]


@dataclass
class ShortQueries:
    parts: dict[str, QuerySet] = field(default_factory=dict)

    def evaluate(self, mode: str, part: str | None = None) -> dict:
        """``{part: {ndcg@10, p@10}}`` for tune / held_out / all (or only ``part``'s metrics)."""
        scores: dict[str, list[tuple[float, float]]] = {"tune": [], "held_out": [], "all": []}
        for qs in self.parts.values():
            for i, (query, relevant) in enumerate(zip(qs.queries, qs.relevant, strict=True)):
                half = "tune" if i % 2 == 0 else "held_out"
                if part is not None and half != part:
                    continue
                ranked = [h.paper.id for h in search_papers(qs.db, query, mode=mode, limit=10).hits]
                score = (_ndcg(ranked, relevant), sum(d in relevant for d in ranked) / 10)
                scores[half].append(score)
                scores["all"].append(score)
        out = {
            k: {
                "ndcg@10": round(sum(s[0] for s in v) / len(v), 4),
                "p@10": round(sum(s[1] for s in v) / len(v), 4),
            }
            for k, v in scores.items()
            if v
        }
        return out[part] if part is not None else out

    def describe(self) -> dict:
        sizes = {name: len(qs.queries) for name, qs in self.parts.items()}
        examples = {name: qs.queries[:8] for name, qs in self.parts.items()}
        summary = (
            f"{sizes['scifact_rarest_words']} SciFact queries cut to their 1-2 rarest words and "
            f"{sizes['topic_words_real_papers']} topic words and bigrams over the 3,467 real papers "
            "of the bundled sample (search_quality_short.py)"
        )
        return {"sizes": sizes, "examples": examples, "summary": summary}


def _ndcg(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return dcg / ideal if ideal else 0.0


def short_query_sets(
    db: Database, queries: dict, qrels: dict, qids: list[str], corpus: list[dict]
) -> ShortQueries:
    short = ShortQueries()
    short.parts["scifact_rarest_words"] = scifact_rarest(db, queries, qrels, qids, corpus)
    short.parts["topic_words_real_papers"] = topic_words()
    print(short.describe()["summary"])
    return short


def scifact_rarest(db: Database, queries: dict, qrels: dict, qids: list[str], corpus: list[dict]) -> QuerySet:
    df: collections.Counter[str] = collections.Counter()
    for doc in corpus:
        df.update(set(_WORD.findall(f"{doc['title']} {doc['text']}".lower())))
    out, relevant = [], []
    for q in qids:
        words = [
            w for w in dict.fromkeys(_WORD.findall(queries[q].lower())) if w not in STOP_WORDS and df[w] > 0
        ]
        if not words:
            continue
        keep = 1 if int(q) % 3 == 0 else 2
        rarest = sorted(words, key=lambda w: (df[w], w))[:keep]
        out.append(" ".join(w for w in words if w in rarest))  # in the query's own word order
        relevant.append({f"scifact-{d}" for d in qrels[q]})
    return QuerySet(db, out, relevant)


def topic_words() -> QuerySet:
    path = WORK / "short-sample.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    db.migrate()
    records = [r for r in read_jsonl(SAMPLE) if isinstance(r, Record)]
    with db.session() as session:
        run_ingest(session, records)
    load_precomputed_vectors(db, SAMPLE_VECTORS)
    analyzer = _analyzer()
    stems = lambda text: analyzer.analyze(text)  # noqa: E731
    papers = [(r.paper.id, stems(r.paper.title), stems(r.paper.abstract)) for r in records]
    title_df: collections.Counter[str] = collections.Counter()
    bigrams: collections.Counter[tuple[str, str]] = collections.Counter()
    for record in records:
        words = [w for w in _WORD.findall(record.paper.title.lower()) if w not in STOP_WORDS and "-" not in w]
        title_df.update({w for w in words if len(w) >= 5})
        bigrams.update(set(zip(words, words[1:], strict=False)))
    singles = sorted(w for w, n in title_df.items() if 12 <= n <= 120)[::3][:60]
    pairs = sorted(" ".join(p) for p, n in bigrams.items() if n >= 8 and all(len(w) >= 4 for w in p))[:40]
    queries, relevant = [], []
    for query in sorted(singles + pairs):
        wanted = stems(query)
        phrase = " ".join(wanted)
        judged = set()
        for pid, title, abstract in papers:
            in_title = all(w in title for w in wanted)
            mentions = abstract.count(wanted[0]) if len(wanted) == 1 else " ".join(abstract).count(phrase)
            if in_title or mentions >= 2:
                judged.add(pid)
        if len(judged) >= 5:
            queries.append(query)
            relevant.append(judged)
    return QuerySet(db, queries, relevant)
