"""Throughput of the assistant: articles drafted per second on one core, the language model loaded
once, over the dataset's seeds (and, with --eval, the evaluation articles), with the knowledge of
the dataset at ROOT.

    .venv/bin/python scripts/bench_assist.py [--root DIR] [--eval tests/fixtures/eval/dev] [--seconds 10]

Reports, never asserts: the target is 10 articles/second on one core. The baseline measured in the
same run is the language model's parse alone over the same articles (the floor the assistant
cannot go below); the report gives drafting's cost as a ratio of it. Rates are counted in this
process's CPU time, so other work on the machine does not lower them. Drafting is measured without
writing files (turning one draft into rows for review is timed once, after).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from badia.curate.assist import draft_article  # noqa: E402
from badia.curate.drafts import draft_rows  # noqa: E402
from badia.curate.knowledge import load_knowledge, published  # noqa: E402
from badia.curate.nlp import model_name, parse, pipeline  # noqa: E402
from badia.dataset.corpus import read_seed  # noqa: E402

TARGET = 10.0


def articles(root: Path, eval_folder: Path | None, k) -> list[tuple[str, str, object]]:
    found = [(aid, read_seed(root / a["seed_path"]), published(k, aid)) for aid, a in k.articles.items()]
    if eval_folder is not None:
        from datetime import date
        for path in sorted(eval_folder.glob("*.json")):
            gold = json.loads(path.read_text(encoding="utf-8"))
            found.append((gold["article_id"], read_seed(path.with_suffix(".txt")), date.fromisoformat(gold["published_date"])))
    return found


def rate(work, texts, seconds: float) -> tuple[float, int, float]:
    """Articles per CPU second of `work` over `texts`, cycled for `seconds` of wall time."""
    count, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        work(texts[count % len(texts)])
        count += 1
    cpu = time.process_time() - cpu
    return count / cpu, count, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--eval", type=Path, help="a split of evaluation articles (tests/fixtures/eval/dev) drafted too")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to keep drafting (default 10)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    root = Path(args.root)
    started = time.perf_counter()
    k = load_knowledge(root)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    pipeline()
    model_seconds = time.perf_counter() - started
    texts = articles(root, args.eval, k)
    chars = sum(len(t) for _, t, _ in texts) / len(texts)
    for aid, text, ref in texts:  # warm-up: every pattern compiled, the model's first calls made
        draft_article(aid, text, ref, k)
    floor, _, _ = rate(lambda a: parse(a[1]), texts, args.seconds / 2)
    drafted, count, cpu = rate(lambda a: draft_article(a[0], a[1], a[2], k), texts, args.seconds)
    aid, text, ref = texts[0]
    started = time.perf_counter()
    rows = draft_rows(draft_article(aid, text, ref, k), root, k)
    rows_seconds = time.perf_counter() - started
    print(f"{len(texts)} articles, {chars:,.0f} characters on average; knowledge: {len(k.entities)} actors and places, "
          f"loaded in {load_seconds * 1000:.0f} ms; model {model_name()} loaded once in {model_seconds:.2f} s")
    print(f"drafted {count} articles in {cpu:.2f} s of CPU on one core: {drafted:.1f} articles/second "
          f"({drafted / TARGET:.1f}x the target of {TARGET:.0f}/s); {1000 / drafted:.0f} ms of CPU per article")
    print(f"baseline, the model's parse alone: {floor:.1f} articles/second; drafting costs {floor / drafted:.2f}x the parse")
    print(f"draft rows for review of {aid}: {sum(len(r) for r in rows.values())} rows in {rows_seconds * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
