"""Benchmark of ``newsprov build`` against the Parquet-writing floor and the ``datasets`` path.

    python scripts/bench_build.py --sizes 10000 100000 1000000 --workdir /tmp/bench \\
        [--results bench.json]

For each size a synthetic corpus is generated (scripts/synth_corpus.py) and these variants
run on it, each in a fresh subprocess so that its peak resident memory (VmHWM) is its own:

- ``build``: ``newsprov.build.export.build(..., validate=False)``: read, check, write;
- ``validate``: ``newsprov.build.validation.validate_export`` of that export, with the number of
  span rows it checked (mentions, triggers, span flags, first occurrences, claims, evidence);
- ``build+validate``: ``build(..., validate=True)``;
- ``floor``: the same rows written with ``pyarrow.parquet`` from already-parsed Python
  objects; the files are read, parsed and given their split untimed, batch by batch, and only
  Arrow conversion and Parquet writing are timed (flat tables exploded in Arrow, as the build
  does: the fastest way we know);
- ``datasets``: ``datasets.Dataset.from_generator(...)`` + ``to_parquet`` for every table,
  what a user would write instead; the time the generator spends reading and parsing is
  measured and subtracted, as for the floor.

Times are wall-clock seconds of the measured part (imports and interpreter start-up left
out); MB/s is megabytes of corpus input (text, metadata and annotation files) per second.
The floor's and the build's tables are compared row by row, and every variant must write the
same number of rows per table. The results go to ``--results`` (JSON), rewritten after every
variant so that a long run stopped midway keeps what it measured; the runs already in that
file are kept unless this run repeats one (same size, same variants), so the sizes, or the
variants of a size too long to run together, can be run one at a time on the same machine;
each run records when it started, and its ratios are between its own variants. The
Markdown table of every run in it goes to stdout, and

    python scripts/bench_build.py --results scripts/bench_build.results.json --readme docs/scale.md

writes that table into the generated ``benchmark`` section of docs/scale.md, running nothing
(``--section benchmark-pipeline`` with ``--results scripts/bench_pipeline.results.json``: the
table of the pipelined build on both layouts).

The sharded layout's variants (``--variants``, not run by default) run on the same corpus
converted to shards of 2,500 documents: ``shards-build``, ``shards-build-w2`` (2 workers),
``build-w2`` (per-document layout, 2 workers), ``shards-validate`` and
``shards-validate-w2`` (1 and 2 workers), ``shards-build+validate-w2`` (all of ``newsprov
build``), ``shards-ray`` (Ray in local mode, 2 CPUs) and the floor of that layout,
``shards-floor`` and ``shards-floor-w2`` (1 and 2 processes): pyarrow's JSON reader over the
shards, the same flat-table explosion and zstd Parquet, timed whole, reading included, no
checks. A build's ratio is to the floor with its number of processes. The exports of
``build-w2``, ``shards-build``, ``shards-build-w2`` and ``shards-ray`` are compared byte for
byte with ``build``'s. A run of sharded variants only has the generator write the shards
directly (no per-document corpus: at 1,000,000 documents it would take 50 GB of disk); its
MB/s is then not given. One size per invocation keeps each run's ratios its own (see
docs/scale.md for the commands).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsprov.build.columns import GOLD_LINE
from newsprov.build.execution import Execution
from newsprov.build.export import (
    BATCH_DOCUMENTS,
    ROW_GROUP_ROWS,
    arrow_tables,
    document_row,
    flat_table,
)
from newsprov.build.pipeline import build
from newsprov.core import schema
from newsprov.core.files import read_json, replace_section, write_atomic
from newsprov.core.layout import COLLECTION_DIR, GOLD_DIR
from newsprov.store.annotations import empty_annotations
from newsprov.store.corpus import CorpusOnDisk
from newsprov.store.shards import Collection, documents_to_collection
from newsprov.store.splits import hashed_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_corpus import generate  # a sibling script, not a package module

# The variants of the per-document layout (the default), then those of the sharded layout
# (the same corpus converted to shards of TASK_DOCUMENTS documents); "-w2": 2 workers (the
# floor: 2 processes), the others 1; "ray": Ray in local mode with 2 CPUs.
DEFAULT_VARIANTS = ("build", "validate", "build+validate", "floor", "datasets")
SHARDED_VARIANTS = ("shards-build", "shards-build-w2", "build-w2", "shards-validate",
                    "shards-validate-w2", "shards-build+validate-w2", "shards-floor",
                    "shards-floor-w2", "shards-ray")
VARIANTS = DEFAULT_VARIANTS + SHARDED_VARIANTS
TASK_DOCUMENTS = 2_500
# The order variants run in. With --jobs 2 the two sequences run side by side: a quicker
# run for correctness (the smoke test), whose timings disturb each other.
# The parallel builds come right after build, whose export they are compared with byte for
# byte, and before the floor, after which it is deleted.
SEQUENCES = (("build", "validate", "build-w2", "shards-build", "shards-validate",
              "shards-validate-w2", "shards-build-w2", "shards-ray", "shards-floor",
              "shards-floor-w2", "floor"),
             ("build+validate", "datasets", "shards-build+validate-w2"))
# Exports no longer needed once a variant has run (disk: a 1M export is gigabytes).
DONE_WITH = {"floor": ("build", "floor"), "build+validate": ("build+validate",),
             "datasets": ("datasets",), "build-w2": ("build-w2",),
             "shards-floor": ("shards-build", "shards-floor"),
             "shards-floor-w2": ("shards-floor-w2",),
             "shards-build-w2": ("shards-build-w2",), "shards-ray": ("shards-ray",),
             "shards-build+validate-w2": ("shards-build+validate-w2",)}
# What each variant's throughput is compared with: the floor of its layout and processes.
FLOOR_OF = {**{v: "floor" for v in DEFAULT_VARIANTS},
            **{v: "shards-floor-w2" if v.endswith(("-w2", "-ray")) else "shards-floor"
               for v in SHARDED_VARIANTS}, "build-w2": "floor"}
# What the 2-worker variants are compared with (1 worker), and Ray (2 local workers).
COUNTERPART = {"build-w2": "build", "shards-build-w2": "shards-build",
               "shards-validate-w2": "shards-validate", "shards-ray": "shards-build-w2"}
# The validations, and the build whose export each reads.
VALIDATED = {"validate": "build", "shards-validate": "shards-build",
             "shards-validate-w2": "shards-build"}
RESULT_PREFIX = "RESULT "
README_SECTION = "benchmark"            # the per-document build before the pipeline
PIPELINE_SECTION = "benchmark-pipeline"  # the pipeline on both layouts (bench_pipeline.results)


# ------------------------------------------------------------------ variants (in the child)


def parsed_rows(corpus_root: Path, seconds: list[float]) -> Iterator[dict]:
    """Rows of the documents table in id order, from files read and parsed without checks
    beyond reading a document's own; the time this takes is added to ``seconds[0]``."""
    started = time.perf_counter()
    corpus = CorpusOnDisk(corpus_root)
    gold = corpus_root / GOLD_DIR
    for doc_id in corpus:
        document = corpus[doc_id]
        path = gold / f"{doc_id}.json"
        annotations = read_json(path) if path.exists() else empty_annotations(document)
        # the synthetic corpus plans no split: every document goes by its story's hash
        row = document_row(document, annotations,
                           hashed_split(document.metadata["story_group"]))
        seconds[0] += time.perf_counter() - started
        yield row
        started = time.perf_counter()


def table_rows(directory: Path) -> dict[str, int]:
    return {table: sum(pq.ParquetFile(path).metadata.num_rows
                       for path in sorted((directory / table).glob("*.parquet")))
            for table in schema.TABLES if (directory / table).is_dir()}


def run_build(corpus: Path, out: Path, validate: bool, workers: int = 1,
              executor: str = "local") -> dict[str, Any]:
    if validate:
        import great_expectations  # noqa: F401  (a fixed 4 s import, not part of the build)
    if executor == "ray":
        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)  # untimed start
    started = time.perf_counter()
    manifest = build(corpus, out, validate=validate, task_documents=TASK_DOCUMENTS,
                     execution=Execution(workers=workers, executor=executor))
    assert manifest is not None
    return {"seconds": time.perf_counter() - started, "rows": table_rows(out),
            "manifest_rows": {t: sum(s.values()) for t, s in manifest["tables"].items()}}


def run_validate(corpus: Path, out: Path, workers: int = 1) -> dict[str, Any]:
    from newsprov.build.validation import validate_export

    started = time.perf_counter()
    report = validate_export(out, execution=Execution(workers=workers))
    seconds = time.perf_counter() - started
    assert report is not None
    spans = next(o for o in report.outcomes if o.check == "spans: 0 <= start")
    return {"seconds": seconds, "success": report.success, "span_rows": spans.checked,
            "expectations": len(report.outcomes)}


def run_floor(corpus: Path, out: Path) -> dict[str, Any]:
    writers: dict[tuple[str, str], pq.ParquetWriter] = {}

    def write(table_name: str, split: str, table: pa.Table) -> None:
        if table.num_rows:
            if (table_name, split) not in writers:
                (out / table_name).mkdir(parents=True, exist_ok=True)
                writers[table_name, split] = pq.ParquetWriter(
                    out / table_name / f"{split}.parquet", table.schema, compression="zstd")
            writers[table_name, split].write_table(table, row_group_size=ROW_GROUP_ROWS)

    def write_documents(split: str, rows: list[dict]) -> None:
        for table_name, table in arrow_tables(rows):
            write(table_name, split, table)

    parsing, seconds = [0.0], 0.0
    pending: dict[str, list[dict]] = {}
    for row in parsed_rows(corpus, parsing):
        rows = pending.setdefault(row["split"], [])
        rows.append(row)
        if len(rows) == BATCH_DOCUMENTS:
            started = time.perf_counter()
            write_documents(row["split"], pending.pop(row["split"]))
            seconds += time.perf_counter() - started
    started = time.perf_counter()
    for split, rows in pending.items():
        write_documents(split, rows)
    for writer in writers.values():
        writer.close()
    return {"seconds": seconds + time.perf_counter() - started, "parsing_seconds": parsing[0],
            "rows": table_rows(out)}


def shard_schemas() -> tuple[pa.Schema, pa.Schema]:
    """The explicit schemas of a documents line and an attributes line, from the export's
    columns (so the JSON reader infers nothing)."""
    columns = schema.TABLES["documents"]
    metadata = pa.struct([columns.field("doc_id" if f.name == "id" else f.name).with_name(f.name)
                          for f in schema.METADATA_FIELDS])
    return (pa.schema([("id", pa.string()), ("text", pa.string()), ("metadata", metadata)]),
            pa.schema(list(GOLD_LINE)))


def floor_shard(shard: Path, gold: Path, out: Path) -> None:
    """One shard to the export's tables: pyarrow's JSON reader, the flat tables exploded in
    Arrow, zstd Parquet; no checks."""
    from pyarrow import json as pajson

    documents_schema, attributes_schema = shard_schemas()

    def read(path: Path, explicit: pa.Schema) -> pa.Table:
        options = pajson.ParseOptions(explicit_schema=explicit,
                                      unexpected_field_behavior="ignore")
        return pajson.read_json(path, parse_options=options,
                                read_options=pajson.ReadOptions(block_size=64 << 20))

    lines, attributes = read(shard, documents_schema), read(gold, attributes_schema)
    metadata = lines["metadata"].combine_chunks()
    annotations = attributes["annotations"].combine_chunks()
    splits = pa.array([hashed_split(story) for story in
                       metadata.field("story_group").to_pylist()], pa.string())
    # The status of each document, from its authorship judgement (schema.annotation_status).
    status = pa.array([schema.annotation_status({"authorship": judgement})
                       for judgement in annotations.field("authorship").to_pylist()],
                      schema.TABLES["documents"].field("annotation_status").type)
    columns = []
    for field in schema.TABLES["documents"]:
        name = "id" if field.name == "doc_id" else field.name
        columns.append(splits if name == "split" else lines["text"] if name == "text"
                       else status if name == "annotation_status"
                       else annotations.field(name) if name in annotations.type.names
                       and name != "doc_id" else metadata.field(name))
    documents = pa.Table.from_arrays(columns, schema=schema.TABLES["documents"])
    for split in schema.SPLIT.names:
        part = documents.filter(pc.equal(documents["split"], split))
        if not part.num_rows:
            continue
        for table_name in schema.TABLES:
            table = part if table_name == "documents" else flat_table(part, table_name)
            if table.num_rows:
                (out / table_name).mkdir(parents=True, exist_ok=True)
                pq.write_table(table, out / table_name / f"{split}-{shard.name}.parquet",
                               compression="zstd", row_group_size=ROW_GROUP_ROWS)


def run_sharded_floor(corpus: Path, out: Path, processes: int) -> dict[str, Any]:
    from multiprocessing import get_context

    collection = Collection(corpus / COLLECTION_DIR)
    shards = collection.shards()
    jobs = [(shard, collection.attribute_shard(shard, GOLD_DIR.name), out) for shard in shards]
    started = time.perf_counter()
    if processes == 1:
        for job in jobs:
            floor_shard(*job)
    else:
        with get_context("forkserver").Pool(processes) as pool:
            pool.starmap(floor_shard, jobs)
    return {"seconds": time.perf_counter() - started, "rows": table_rows(out)}


def run_datasets(corpus: Path, out: Path) -> dict[str, Any]:
    import datasets

    parsing = [0.0]

    def rows(table: str) -> Iterator[dict]:
        for row in parsed_rows(corpus, parsing):
            if table == "documents":
                yield row
            else:
                for record in row[table]:
                    yield {"doc_id": row["doc_id"], "split": row["split"], **record}

    datasets.disable_progress_bars()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=out.parent) as cache:
        for table in schema.TABLES:
            dataset = datasets.Dataset.from_generator(
                rows, gen_kwargs={"table": table}, features=schema.hf_features(table),
                cache_dir=cache)
            (out / table).mkdir(parents=True, exist_ok=True)
            dataset.to_parquet(str(out / table / "all.parquet"))
            del dataset
    return {"seconds": time.perf_counter() - started - parsing[0],
            "parsing_seconds": parsing[0], "rows": table_rows(out)}


def run_variant(variant: str, corpus: Path, out: Path) -> None:
    runs: dict[str, Callable[[Path, Path], dict[str, Any]]] = {
        "build": lambda c, o: run_build(c, o, validate=False),
        "build+validate": lambda c, o: run_build(c, o, validate=True),
        "validate": run_validate, "floor": run_floor, "datasets": run_datasets,
        "build-w2": lambda c, o: run_build(c, o, validate=False, workers=2),
        "shards-build": lambda c, o: run_build(c, o, validate=False),
        "shards-build-w2": lambda c, o: run_build(c, o, validate=False, workers=2),
        "shards-build+validate-w2": lambda c, o: run_build(c, o, validate=True, workers=2),
        "shards-validate": run_validate,
        "shards-validate-w2": lambda c, o: run_validate(c, o, workers=2),
        "shards-floor": lambda c, o: run_sharded_floor(c, o, 1),
        "shards-floor-w2": lambda c, o: run_sharded_floor(c, o, 2),
        "shards-ray": lambda c, o: run_build(c, o, validate=False, workers=2, executor="ray")}
    with WorkerMemory() as workers:
        result = runs[variant](corpus, out)
    print(RESULT_PREFIX + json.dumps({**result, "peak_rss_mb": peak_rss_mb(),
                                      "worker_peak_rss_mb": workers.peak_mb}), flush=True)


class WorkerMemory:
    """The largest resident memory of any process this one started (the workers), sampled
    every 0.2 s while the variant runs: their own VmHWM is gone when they exit. None: the
    variant ran in this process alone."""

    def __init__(self) -> None:
        self.peak_mb: float | None = None
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self.sample, daemon=True)

    def __enter__(self) -> WorkerMemory:
        self.sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.sampler.join()

    def sample(self) -> None:
        me = psutil.Process()
        while not self.done.wait(0.2):
            for child in me.children(recursive=True):
                try:
                    rss = child.memory_info().rss / 2**20
                except psutil.Error:       # it exited between the listing and the reading
                    continue
                self.peak_mb = max(self.peak_mb or 0.0, rss)


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM, the high-water mark of its own address
    space. (``ru_maxrss`` of a child also counts the parent's resident memory at the fork
    that made it, which exec does not reset.)"""
    status = Path("/proc/self/status").read_text(encoding="ascii")
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


# ------------------------------------------------------------------ the benchmark (parent)


def measure(variant: str, corpus: Path, out: Path) -> dict[str, Any]:
    """Run one variant in a fresh interpreter; add its CPU time (all of it, and the kernel's
    part) and what it read from the disk (not the page cache)."""
    command = [sys.executable, __file__, "--variant", variant, "--corpus", str(corpus),
               "--out", str(out)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{variant} failed with exit code {child.returncode}")
    line = next(line for line in output.splitlines() if line.startswith(RESULT_PREFIX))
    result = json.loads(line.removeprefix(RESULT_PREFIX))
    return {**result, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "kernel_cpu_seconds": usage.ru_stime, "disk_read_mb": usage.ru_inblock * 512 / 1e6}


def same_rows(first: Path, second: Path) -> bool:
    """The two exports hold equal tables, split by split, row for row (streamed)."""
    for table in schema.TABLES:
        for split in schema.SPLIT.names:
            if not table_equal(sorted((first / table).glob(f"{split}*.parquet")),
                               sorted((second / table).glob(f"{split}*.parquet"))):
                return False
    return True


def table_equal(first: list[Path], second: list[Path]) -> bool:
    rows = 50_000
    left, right = row_chunks(first, rows), row_chunks(second, rows)
    for a, b in zip(left, right, strict=False):
        if not a.equals(b):
            return False
    return next(left, None) is None and next(right, None) is None


def row_chunks(files: list[Path], rows: int) -> Iterator[pa.Table]:
    """The rows of the files in order, as tables of exactly ``rows`` rows (the last fewer)."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(rows):
            pending.append(batch)
            count += batch.num_rows
            while count >= rows:
                table = pa.Table.from_batches(pending).combine_chunks()
                yield table.slice(0, rows).replace_schema_metadata(None)
                rest = table.slice(rows)
                pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(pending).combine_chunks().replace_schema_metadata(None)


def corpus_bytes(root: Path) -> int:
    return sum(entry.stat().st_size for directory in (root / "corpus", root / "annotations")
               if directory.is_dir() for entry in walk_files(directory))


def walk_files(directory: Path) -> Iterator[os.DirEntry]:
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from walk_files(Path(entry.path))
            else:
                yield entry


def bench_size(documents: int, workdir: Path, jobs: int, variants: tuple[str, ...],
               report: Callable[[dict[str, Any]], None], keep_corpus: bool = False
               ) -> dict[str, Any]:
    """Generate a corpus of ``documents`` (or, with ``keep_corpus``, reuse one a run kept),
    run ``variants`` on it and return the run; ``report`` gets the run so far after every
    variant."""
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    corpus = workdir / f"corpus-{documents}"
    sharded = corpus.with_name(corpus.name + "-shards")
    # Only sharded variants: the generator writes the shards itself (a 1,000,000-document
    # per-document corpus is 50 GB); its input MB are then the shards', and MB/s not given.
    sharded_only = all(v.startswith("shards-") for v in variants)
    generated = sharded if sharded_only else corpus
    generate_seconds = None
    if not (keep_corpus and generated.is_dir()):
        partial = generated.with_name(generated.name + ".partial")  # renamed once complete
        shutil.rmtree(partial, ignore_errors=True)
        started = time.perf_counter()
        generate(partial, documents, layout="shards" if sharded_only else "documents",
                 shard_documents=TASK_DOCUMENTS)
        generate_seconds = time.perf_counter() - started
        partial.rename(generated)
    size = {"documents": documents, "planned_variants": list(variants), "started": started_at,
            "platform": platform.platform(),
            "generate_seconds": generate_seconds,
            "input_mb": None if sharded_only else corpus_bytes(corpus) / 1e6}
    if not sharded_only and any(v.startswith("shards-") for v in variants) \
            and not sharded.is_dir():
        started = time.perf_counter()
        convert_to_shards(corpus, sharded)
        size["convert_seconds"] = time.perf_counter() - started
    if sharded.is_dir():
        size["sharded_input_mb"] = corpus_bytes(sharded) / 1e6
    print(f"[{documents}] corpus: {corpus_bytes(generated) / 1e6:.0f} MB", file=sys.stderr,
          flush=True)

    def output(variant: str) -> Path:                # validate reads the build's export
        name = VALIDATED.get(variant) or variant.replace("+", "-")
        return workdir / f"out-{documents}-{name}" / "data"

    results: dict[str, Any] = {}
    reporting = threading.Lock()             # with --jobs 2, two sequences finish variants

    def summary() -> dict[str, Any]:
        written = [result["rows"] for result in results.values() if "rows" in result]
        built = {}
        if "build" in results:
            built = {"rows": results["build"]["rows"]}
            written.append(results["build"]["manifest_rows"])
        rows_match = all(rows == written[0] for rows in written) and all(
            rows["documents"] == documents for rows in written)
        return {**size, **built, "rows_match": rows_match, "jobs": jobs,
                "variants": {name: results[name] for name in VARIANTS if name in results}}

    def run(sequence: tuple[str, ...]) -> None:
        for variant in (v for v in sequence if v in variants):
            if variant not in VALIDATED:                          # they read a build
                shutil.rmtree(output(variant).parent, ignore_errors=True)
                output(variant).parent.mkdir(parents=True)
            load = os.getloadavg()[0]
            source = sharded if variant.startswith("shards-") else corpus
            result = {**measure(variant, source, output(variant)),
                      "load_average": [load, os.getloadavg()[0]]}
            result["documents_per_second"] = documents / result["seconds"]
            result["mb_per_second"] = size["input_mb"] and size["input_mb"] / result["seconds"]
            print(f"[{documents}] {variant}: {result['seconds']:.1f} s, "
                  f"{result['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
            if variant == "floor" and "build" in variants:
                size["floor_equals_build"] = same_rows(output("build"), output("floor"))
            if variant == "shards-floor" and "shards-build" in variants:
                size["shards_floor_equals_build"] = same_rows(output("shards-build"),
                                                              output("shards-floor"))
            if variant in ("build-w2", "shards-build", "shards-build-w2", "shards-ray") and \
                    "build" in results:
                size[f"{variant}_equals_build"] = same_bytes(output("build"), output(variant))
            for name in DONE_WITH.get(variant, ()):
                size[f"{name}_output_mb"] = sum(
                    f.stat().st_size for f in walk_files(output(name))) / 1e6
                shutil.rmtree(output(name).parent)
            with reporting:
                results[variant] = result
                report(summary())

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(run, SEQUENCES))
    for leftover in workdir.glob(f"out-{documents}-*"):   # a subset of variants ran
        shutil.rmtree(leftover)
    if not keep_corpus:
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.rmtree(sharded, ignore_errors=True)
    return summary()


def convert_to_shards(corpus: Path, sharded: Path) -> None:
    """The corpus as a collection of shards of TASK_DOCUMENTS documents (the converter),
    with the repository files a build reads."""
    sharded.mkdir()
    for name in ("release.json", "CHANGELOG.md", "corpus/splits.json"):
        (sharded / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus / name, sharded / name)
    documents_to_collection(corpus, sharded / COLLECTION_DIR, TASK_DOCUMENTS)


def same_bytes(first: Path, second: Path) -> bool:
    """Two exports are the same files with the same bytes."""
    def files(directory: Path) -> dict[str, Path]:
        return {str(p.relative_to(directory)): p for p in directory.rglob("*") if p.is_file()}
    left, right = files(first), files(second)
    return left.keys() == right.keys() and all(
        left[name].read_bytes() == right[name].read_bytes() for name in left)


def markdown(runs: list[dict[str, Any]]) -> str:
    lines = ["| documents | run started (UTC) | variant | seconds | docs/s | MB/s "
             "| peak RSS (MiB) | worker peak RSS (MiB) | vs floor | vs datasets "
             "| vs 1 worker (Ray: vs local) "
             "| load average (start, end) |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        variants = run["variants"]
        for name, result in variants.items():
            speed = result["documents_per_second"]
            load = ", ".join(f"{value:.1f}" for value in result.get("load_average", ()))
            lines.append(
                f"| {run['documents']:,} | {run.get('started', '-')} | {name} | "
                f"{result['seconds']:,.1f} | {speed:,.0f} | "
                f"{megabytes_per_second(result)} | {result['peak_rss_mb']:.0f} | "
                f"{worker_peak(result)} | "
                f"{ratio(speed, variants.get(FLOOR_OF.get(name, 'floor')))} | "
                f"{ratio(speed, variants.get('datasets'))} | "
                f"{ratio(speed, variants.get(COUNTERPART.get(name, '')))} | "
                f"{load or '-'} |")
    return "\n".join(lines)


def megabytes_per_second(result: dict[str, Any]) -> str:
    """A dash for runs generated as shards: their per-document input size is not known."""
    return f"{result['mb_per_second']:.1f}" if result.get("mb_per_second") else "-"


def worker_peak(result: dict[str, Any]) -> str:
    """A dash for runs from before workers were sampled."""
    peak = result.get("worker_peak_rss_mb")
    return f"{peak:.0f}" if peak else "-"


def readme_table(results: Path) -> str:
    """The body of the benchmark section of docs/scale.md: the table of every run in
    ``results``."""
    return markdown(json.loads(results.read_text(encoding="utf-8"))["runs"]) + "\n"


def ratio(speed: float, reference: dict[str, Any] | None) -> str:
    """``speed`` against a variant's, or a dash where that variant was not run."""
    return f"{speed / reference['documents_per_second']:.2f}x" if reference else "-"


def machine() -> dict[str, Any]:
    """What the runs of one results file share. The platform (the kernel's build, which
    changes from one session to the next on a virtual machine of the same size) is each
    run's own: its ratios are between its own variants."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cores": os.cpu_count(), "memory_gb": round(memory / 2**30),
            "python": platform.python_version(), "pyarrow": pa.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--workdir", type=Path, help="scratch folder for corpora and exports")
    parser.add_argument("--results", type=Path, help="write the results here (JSON)")
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=1,
                        help="2: run the variant sequences side by side (timings disturbed)")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS,
                        default=list(DEFAULT_VARIANTS),
                        help="run these (default: the per-document ones; a validate variant "
                             "needs its build, -w2 and ray variants compare with build)")
    parser.add_argument("--keep-corpus", action="store_true",
                        help="reuse the workdir's corpus of a size if there, and keep it")
    parser.add_argument("--readme", type=Path,
                        help="write the table of --results into this README and run nothing")
    parser.add_argument("--section", default=README_SECTION,
                        help="the README's generated section to write (default: %(default)s)")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        run_variant(args.variant, args.corpus, args.out)
        return
    if args.readme:
        if not args.results:
            parser.error("--readme needs --results")
        text = args.readme.read_text(encoding="utf-8")
        write_atomic(args.readme, replace_section(text, args.section,
                                                  readme_table(args.results)))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newsprov-bench."))
    workdir.mkdir(parents=True, exist_ok=True)
    variants = tuple(args.variants)
    runs = earlier_runs(args.results, args.sizes, variants) if args.results else []

    def save(run: dict[str, Any]) -> None:
        if args.results:
            ordered = sorted([*runs, run], key=run_order)
            results = {"machine": machine(), "runs": ordered}
            write_atomic(args.results, json.dumps(results, indent=2) + "\n")

    for size in args.sizes:
        runs.append(bench_size(size, workdir, args.jobs, variants, save, args.keep_corpus))
    print(markdown(sorted(runs, key=run_order)))


def run_order(run: dict[str, Any]) -> tuple[int, str]:
    return run["documents"], run.get("started", "")  # runs recorded before "started": first


def earlier_runs(path: Path, sizes: list[int], variants: tuple[str, ...]
                 ) -> list[dict[str, Any]]:
    """The runs in an existing results file that a run of ``variants`` at ``sizes`` does not
    repeat, if they were made on this machine."""
    if not path.exists():
        return []
    earlier = json.loads(path.read_text(encoding="utf-8"))
    shared = {key: earlier["machine"].get(key) for key in machine()}
    if shared != machine():
        raise SystemExit(f"{path}: measured on another machine ({shared}); "
                         "give another --results file")
    if "platform" in earlier["machine"]:  # written before each run kept its own
        for run in earlier["runs"]:
            run.setdefault("platform", earlier["machine"]["platform"])
    return [run for run in earlier["runs"] if run["documents"] not in sizes
            or set(run.get("planned_variants", run["variants"])) != set(variants)]


if __name__ == "__main__":
    main()
