"""Regenerate the bundled sample's vectors (src/paperfeed/data/sample-vectors.npz) with paperfeed's encoder.

Run after changing the encoder (its model key is stamped in the file; a mismatching file is ignored by
``load_precomputed_vectors``). Takes about 3 minutes on two cores.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/make_sample_vectors.py
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from paperfeed.embed import document_text, get_encoder, model_key
from paperfeed.embed.vector_file import write_vector_file
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.records import Record

DATA = Path(__file__).resolve().parents[1] / "src" / "paperfeed" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=Path, default=DATA / "sample-papers.jsonl.gz")
    parser.add_argument("--out", type=Path, default=DATA / "sample-vectors.npz")
    args = parser.parse_args()
    papers = [item.paper for item in read_jsonl(args.papers) if isinstance(item, Record)]
    encoder = get_encoder()
    started = time.perf_counter()
    vectors = encoder.encode_documents([document_text(p.title, p.abstract) for p in papers])
    elapsed = time.perf_counter() - started
    write_vector_file(args.out, [p.id for p in papers], vectors, model_key(encoder))
    print(f"{len(papers)} papers embedded in {elapsed:.0f} s ({len(papers) / elapsed:.1f}/s) -> {args.out}")


if __name__ == "__main__":
    main()
