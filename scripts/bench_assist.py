"""Throughput of the assistant: articles drafted per second on one core, for a ~4,000-character
article (the seed nearest that length), with the knowledge of the dataset at ROOT.

    .venv/bin/python scripts/bench_assist.py [--root DIR] [--seconds 5]

Reports, never asserts: the target is 100 articles/second. The rate is counted in this process's
CPU time, so other work on the machine does not lower it. Drafting is measured without writing
files (turning one draft into rows for review is timed once, after).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from badia.curate.assist import draft_article  # noqa: E402
from badia.dataset.corpus import read_seed  # noqa: E402
from badia.curate.drafts import draft_rows  # noqa: E402
from badia.curate.knowledge import load_knowledge, published  # noqa: E402

TARGET = 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to keep drafting (default 5)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    root = Path(args.root)
    started = time.perf_counter()
    k = load_knowledge(root)
    load_seconds = time.perf_counter() - started
    article_id, article = min(k.articles.items(), key=lambda a: abs(len(read_seed(root / a[1]["seed_path"])) - 4000))
    text = read_seed(root / article["seed_path"])
    ref = published(k, article_id)
    draft_article(article_id, text, ref, k)  # warm-up: compiles the patterns once
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < args.seconds:
        draft_article(article_id, text, ref, k)
        count += 1
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rate = count / cpu  # CPU time of this process: what one core does, whatever else the machine runs
    started = time.perf_counter()
    rows = draft_rows(draft_article(article_id, text, ref, k), root, k)
    rows_seconds = time.perf_counter() - started
    print(f"article {article_id}: {len(text):,} characters; knowledge: {len(k.entities)} actors and places, "
          f"{sum(len(v) for v in k.forms.values())} names, loaded in {load_seconds * 1000:.0f} ms")
    print(f"drafted {count} times in {cpu:.2f} s of CPU on one core ({elapsed:.2f} s wall): {rate:.0f} articles/second "
          f"({rate / TARGET:.1f}x the target of {TARGET:.0f}/s); {1000 / rate:.1f} ms of CPU per article")
    print(f"draft rows for review: {sum(len(r) for r in rows.values())} rows in {rows_seconds * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
