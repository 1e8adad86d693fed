"""Benchmark of the source finder (annotate/source_index.py, annotate/alignment.py) with
known answers, kept out of the repository's data.

    python scripts/bench_sourcefinder.py --pool 10000 --workdir /tmp/sf [--keep-index] \\
        --results scripts/bench_sourcefinder.results.json --doc docs/scale.md
    python scripts/bench_sourcefinder.py --calibrate --pool 5000 --workdir /tmp/sf-val \\
        --results scripts/bench_sourcefinder.results.json
    python scripts/bench_sourcefinder.py --results scripts/bench_sourcefinder.results.json \\
        --doc docs/scale.md          # only writes the table from the results file

The pool holds the first POOL originals of scripts/synth_corpus.py (two per story: the
source of the story's rewrite and a same-story original, a distractor). The queries, per
kind: ``synthetic``, the generator's rewrites of pool stories; ``transformed``, rewrites of
pool originals by scripts/transform_rewrite.py (which imitates the seed rewrite); and
``orphan``, both kinds made from originals that are not in the pool, whose right answer is
to propose nothing. ``--keep-index`` keeps the pool's index (named by pool size and index
schema version) and its build time in the work folder, and reuses them: query-side changes
then cost no rebuild. Recall@1 and @10 are of the verified ranking; precision and recall at
the threshold are of each query's first candidate, proposed when its alignment score
reaches ``PROPOSAL_THRESHOLD``. Then the seed original joins the pool (for that query
only), and the seed rewrite is the query: its rank, score and aligned sentences are recorded.

``--calibrate`` chooses the two thresholds of annotate/alignment.py on a validation set made
with another generator seed (never the seed pair or the benchmark's queries): the sentence
threshold with the best recall@1, then the lowest proposal threshold whose precision on the
validation queries is at least ``TARGET_PRECISION``. Copy the chosen values into
annotate/alignment.py (a test fails while they differ). One pool size per run; the results
file keeps the runs of other sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from newsprov.annotate import alignment
from newsprov.annotate.alignment import find_sources, proposal_score
from newsprov.annotate.source_index import SCHEMA_VERSION, SourceIndex
from newsprov.core.files import markdown_table, replace_section, write_json
from newsprov.core.layout import DOCUMENTS_DIR, REPO, TEXT_FILE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_corpus import STORY_SIZE, document_id, make_one, original
from transform_rewrite import transform

SECTION = "sourcefinder"
SEED_ORIGINAL, SEED_REWRITE = "000_6ed1f7236875d9ca", "004_c1cf42bd939e682c"
BENCH_SEED, VALIDATION_SEED = 0, 1   # generator seeds: the benchmark's and the validation's
TARGET_PRECISION = 0.99
SENTENCE_GRID = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)
CHUNK = 2_000


# ------------------------------------------------------------------ the pool and the queries


def pool_indices(pool: int) -> list[int]:
    """Generator indices of the first ``pool`` originals (two of each story of three)."""
    return [i for i in range(pool // 2 * STORY_SIZE + STORY_SIZE) if i % STORY_SIZE != 2][:pool]


def originals(seed: int, indices: list[int]) -> list[tuple[str, str]]:
    return [(document_id(seed, i), original(seed, i)[0].text) for i in indices]


def pool_texts(seed: int, pool: int, workers: int) -> Iterator[tuple[str, str]]:
    indices = pool_indices(pool)
    chunks = [indices[start:start + CHUNK] for start in range(0, len(indices), CHUNK)]
    with ProcessPoolExecutor(workers) as executor:
        for chunk in executor.map(originals, [seed] * len(chunks), chunks):
            yield from chunk


def build_pool(path: Path, seed: int, pool: int, workers: int) -> float:
    """Index the pool into ``path``, written beside it and renamed when complete (a kept
    index is never a partial one); return the seconds taken."""
    partial = path.with_name(f"{path.name}.partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    with SourceIndex(partial) as index:
        index.add_many((doc_id, text, {"synthetic": True}, "en")
                       for doc_id, text in pool_texts(seed, pool, workers))
    seconds = time.perf_counter() - started
    os.replace(partial, path)
    return seconds


def kept_pool(path: Path, seed: int, pool: int, workers: int) -> float:
    """The seconds the build of the index at ``path`` took, building it unless an index of
    this schema version is there (its build time kept beside it)."""
    timing = path.with_name(f"{path.name}.seconds")
    if not (path.is_file() and timing.is_file()):
        timing.write_text(f"{build_pool(path, seed, pool, workers):.1f}\n")
    return float(timing.read_text())


def queries(seed: int, pool: int, per_kind: int) -> list[dict[str, Any]]:
    """Queries with their answers: rewrites of pool stories, transformed pool originals, and
    orphans of both kinds (stories after the pool's)."""
    rng = random.Random(f"queries:{seed}:{pool}")
    stories = pool // 2
    made: list[dict[str, Any]] = []
    for story in rng.sample(range(stories), per_kind):
        made.append({"kind": "synthetic", "text": make_one(seed, story * STORY_SIZE + 2)[0].text,
                     "source": document_id(seed, story * STORY_SIZE)})
    for story in rng.sample(range(stories), per_kind):
        index = story * STORY_SIZE + rng.randrange(2)
        made.append({"kind": "transformed",
                     "text": transform(original(seed, index)[0].text, f"{seed}:{index}"),
                     "source": document_id(seed, index)})
    for number, story in enumerate(range(stories + 1, stories + 1 + per_kind)):
        index = story * STORY_SIZE
        text = (make_one(seed, index + 2)[0].text if number % 2 else
                transform(original(seed, index)[0].text, f"{seed}:{index}"))
        made.append({"kind": "orphan", "text": text, "source": None})
    return made


# ------------------------------------------------------------------ running and scoring


def run_queries(index: SourceIndex, made: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each query's verified candidates (id, retrieval score, sentence similarities and
    lengths) and its times."""
    results = []
    for query in made:
        started = time.perf_counter()
        index.query(query["text"])
        retrieval = time.perf_counter() - started
        started = time.perf_counter()
        proposals = find_sources(index, query["text"])
        total = time.perf_counter() - started
        results.append({**query, "retrieval_seconds": retrieval, "seconds": total,
                        "candidates": [{
                            "doc_id": p.doc_id, "retrieval": p.retrieval,
                            "pairs": p.alignment.pairs, "names": p.alignment.names}
                            for p in proposals]})
    return results


def ranked(result: dict[str, Any], sentence_threshold: float) -> list[tuple[str, float]]:
    scored = [(c["doc_id"], proposal_score(c["pairs"], c["names"], sentence_threshold),
               c["retrieval"])
              for c in result["candidates"]]
    scored.sort(key=lambda c: (-c[1], -c[2], c[0]))
    return [(doc_id, score) for doc_id, score, _ in scored]


def metrics(results: list[dict[str, Any]], sentence_threshold: float,
            proposal_threshold: float) -> dict[str, Any]:
    by_kind: dict[str, Any] = {}
    proposed = correct = answerable = 0
    for kind in ("synthetic", "transformed", "orphan"):
        rows = [r for r in results if r["kind"] == kind]
        firsts, tens = 0, 0
        for row in rows:
            ranking = ranked(row, sentence_threshold)
            ids = [doc_id for doc_id, _ in ranking]
            firsts += bool(ids) and ids[0] == row["source"]
            tens += row["source"] in ids[:10]
            if ranking and ranking[0][1] >= proposal_threshold:
                proposed += 1
                correct += ids[0] == row["source"]
            answerable += row["source"] is not None
        by_kind[kind] = {"queries": len(rows)}
        if kind != "orphan":
            by_kind[kind].update({"recall@1": firsts / len(rows), "recall@10": tens / len(rows)})
        else:
            by_kind[kind]["proposed"] = sum(
                1 for row in rows if (r := ranked(row, sentence_threshold)) and
                r[0][1] >= proposal_threshold)
    return {"kinds": by_kind,
            "precision_at_threshold": correct / proposed if proposed else None,
            "recall_at_threshold": correct / answerable if answerable else None}


def times(results: list[dict[str, Any]]) -> dict[str, float]:
    def ms(values: list[float]) -> float:
        return round(1000 * statistics.median(values), 1)
    return {"retrieval_ms_median": ms([r["retrieval_seconds"] for r in results]),
            "total_ms_median": ms([r["seconds"] for r in results]),
            "total_ms_mean": round(1000 * statistics.fmean(r["seconds"] for r in results), 1)}


def seed_pair(index: SourceIndex) -> dict[str, Any]:
    """The seed rewrite queried against the pool with the seed original added."""
    read = {doc_id: (REPO / DOCUMENTS_DIR / doc_id / TEXT_FILE).read_text(encoding="utf-8")
            for doc_id in (SEED_ORIGINAL, SEED_REWRITE)}
    index.add(SEED_ORIGINAL, read[SEED_ORIGINAL], {"seed": True})
    proposals = find_sources(index, read[SEED_REWRITE])
    index.remove(SEED_ORIGINAL)  # a kept index stays the pool
    ids = [p.doc_id for p in proposals]
    first = proposals[0]
    return {"rank_of_original": ids.index(SEED_ORIGINAL) + 1 if SEED_ORIGINAL in ids else None,
            "first": first.doc_id, "score": first.score, "proposed": first.proposed,
            "second_score": proposals[1].score if len(proposals) > 1 else None,
            "aligned": [{"similarity": pair.similarity, "rewrite": pair.rewrite.text,
                         "source": pair.source.text}
                        for pair in first.alignment.pairs if pair.source is not None]}


# ------------------------------------------------------------------ calibration


def calibrate(results: list[dict[str, Any]]) -> dict[str, Any]:
    grid = []
    for sentence_threshold in SENTENCE_GRID:
        firsts = [(ranking[0] if (ranking := ranked(r, sentence_threshold)) else (None, 0.0),
                   r["source"]) for r in results]

        def precision(threshold: float, firsts: list = firsts) -> float | None:
            hits = [doc_id == source for (doc_id, score), source in firsts if score >= threshold]
            return sum(hits) / len(hits) if hits else None

        chosen = next((t for t in sorted({score for (_, score), _ in firsts} - {0.0})
                       if (p := precision(t)) is not None and p >= TARGET_PRECISION), None)
        if chosen is None:
            continue
        found = metrics(results, sentence_threshold, chosen)
        recall_1 = statistics.fmean(found["kinds"][k]["recall@1"]
                                    for k in ("synthetic", "transformed"))
        grid.append({"sentence_threshold": sentence_threshold, "proposal_threshold": chosen,
                     "recall@1": recall_1, **found})
    best = max(grid, key=lambda g: (g["recall@1"], g["recall_at_threshold"]))
    return {"sentence_threshold": best["sentence_threshold"],
            "proposal_threshold": best["proposal_threshold"], "grid": grid}


# ------------------------------------------------------------------ the table


def doc_table(results: dict[str, Any]) -> str:
    header = ["pool", "queries", "recall@1 synthetic", "recall@1 transformed",
              "recall@10 synthetic", "recall@10 transformed", "precision at threshold",
              "recall at threshold", "orphans proposed", "retrieval ms (median)",
              "per query ms (median)", "index build s", "index MiB", "load at start"]
    rows = []
    for pool, run in sorted(results.get("runs", {}).items(), key=lambda item: int(item[0])):
        kinds = run["kinds"]
        rows.append([f"{int(pool):,}", str(sum(k["queries"] for k in kinds.values())),
                     kinds["synthetic"]["recall@1"], kinds["transformed"]["recall@1"],
                     kinds["synthetic"]["recall@10"], kinds["transformed"]["recall@10"],
                     run["precision_at_threshold"], run["recall_at_threshold"],
                     f"{kinds['orphan']['proposed']} of {kinds['orphan']['queries']}",
                     *(f"{value:,.1f}" for value in (
                         run["times"]["retrieval_ms_median"], run["times"]["total_ms_median"],
                         run["index_seconds"], run["index_mib"])),
                     f"{run['load_average_at_start']:.2f}" if "load_average_at_start" in run
                     else "n/a"])
    calibration = results["calibration"]
    lines = [markdown_table(header, rows, 1).rstrip("\n"), "",
             f"Thresholds (chosen on the validation set, generator seed {VALIDATION_SEED}, pool "
             f"{calibration['pool']:,}): sentence similarity {calibration['sentence_threshold']},"
             f" proposal score {calibration['proposal_threshold']}."]
    seeds = {f"{int(pool):,}": run["seed_pair"] for pool, run in
             sorted(results.get("runs", {}).items(), key=lambda item: int(item[0]))}
    lines += ["", "The seed pair, the seed original added to each pool:", "",
              markdown_table(["pool", "rank of the original", "alignment score",
                              "next candidate", "proposed"],
                             [[pool, str(seed["rank_of_original"]), round(seed["score"], 3),
                               round(seed["second_score"] or 0, 3),
                               "yes" if seed["proposed"] else "no (below the threshold)"]
                              for pool, seed in seeds.items()], 1).rstrip("\n")]
    pools_by_alignment: dict[str, list[str]] = {}    # each distinct alignment shown once
    for pool, seed in seeds.items():
        pools_by_alignment.setdefault(json.dumps(seed["aligned"]), []).append(pool)
    for aligned, pools in pools_by_alignment.items():
        lines += ["", f"The seed rewrite's aligned sentences (pools of {', '.join(pools)}):",
                  "", markdown_table(["rewrite sentence", "source sentence", "similarity"],
                                     [[a["rewrite"][:110], a["source"][:110], a["similarity"]]
                                      for a in json.loads(aligned)], 2).rstrip("\n")]
    return "\n".join(lines) + "\n"


def machine() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, help="originals in the pool (one size per run)")
    parser.add_argument("--queries", type=int, default=100, help="queries of each kind")
    parser.add_argument("--workers", type=int, default=1, help="processes generating texts")
    parser.add_argument("--workdir", type=Path, help="scratch folder for the index")
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--doc", type=Path, help="write the table into this Markdown file")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--keep-index", action="store_true",
                        help="keep the pool's index in --workdir and reuse it if there")
    args = parser.parse_args()
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    if args.pool:
        if args.workdir is None:
            parser.error("--pool needs --workdir")
        args.workdir.mkdir(parents=True, exist_ok=True)
        seed = VALIDATION_SEED if args.calibrate else BENCH_SEED
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        path = args.workdir / f"pool-{seed}-{args.pool}-v{SCHEMA_VERSION}.sqlite"
        load = round(os.getloadavg()[0], 2)  # other work on the machine slows every figure
        seconds = (kept_pool if args.keep_index else build_pool)(
            path, seed, args.pool, args.workers)
        print(f"pool of {args.pool} indexed in {seconds:.0f} s", file=sys.stderr)
        index = SourceIndex(path)
        run = run_queries(index, queries(seed, args.pool, args.queries))
        if args.calibrate:
            results["calibration"] = {"pool": args.pool, "queries": args.queries,
                                      "target_precision": TARGET_PRECISION, "started": started,
                                      **calibrate(run)}
        else:
            results.setdefault("runs", {})[str(args.pool)] = {
                "started": started, "machine": machine(), "queries_per_kind": args.queries,
                "sentence_threshold": alignment.SENTENCE_THRESHOLD,
                "proposal_threshold": alignment.PROPOSAL_THRESHOLD,
                "load_average_at_start": load, "index_seconds": round(seconds, 1),
                "index_mib": round(path.stat().st_size / 2**20, 1),
                **metrics(run, alignment.SENTENCE_THRESHOLD, alignment.PROPOSAL_THRESHOLD),
                "times": times(run), "seed_pair": seed_pair(index)}
        index.close()
        if not args.keep_index:
            path.unlink()
        write_json(args.results, results)
    if args.doc:
        args.doc.write_text(replace_section(args.doc.read_text(encoding="utf-8"), SECTION,
                                            doc_table(results)), encoding="utf-8")


if __name__ == "__main__":
    main()
