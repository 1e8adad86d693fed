"""Validation of an export: the suites of ``newsprov.build.expectations`` run by GX, shard by shard.

Every verdict is a GX expectation's; this module computes the check columns the suites
read and hands the frames to ``newsprov.build.gxrunner``, which runs GX and gathers the report.
Memory stays bounded: shards are read in batches, and the cross-document checks keep only id
columns (and the claim-evidence spans waiting for their source's text), spilled to the work
folder of the validation's datatrove pipeline (its steps, made of these checks, are at the end of
this module).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import math
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsprov.build.execution import Execution, planned_run
from newsprov.build.executors import Stage, run_stages, step_stats
from newsprov.build.expectations import (
    DATE_COLUMNS,
    DOCUMENT_COLUMNS,
    KINDS,
    Frame,
    days_after_today,
    label_column,
    read_as_date,
    relaxed,
    table_frames,
)
from newsprov.build.gxrunner import (
    POOL_ROWS,
    Outcome,
    Runner,
    ValidationReport,
    mostly_repeated,
)
from newsprov.build.plan_step import PlanStep
from newsprov.core import schema
from newsprov.core.files import file_sha256, write_atomic
from newsprov.core.layout import MANIFEST, VALIDATION_WORK_SUFFIX
from newsprov.store.corpus import is_blank, parse_date

BATCH_ROWS = {"documents": 500}  # documents carry their text and all their records
DEFAULT_BATCH_ROWS = 50_000
SPILL_BUCKET_ROWS = 500_000  # about the rows of a spill bucket, checked in one piece
SPILL_FLUSH_BYTES = 1 << 20  # rows of a stream gathered before they are cut into buckets
MIN_SPILL_BUCKETS = 16
NOT_A_DATE = "not a YYYY-MM-DD date"
SPAN_COLUMNS = ("start", "end", "text")


# ------------------------------------------------------------------ check columns


class Fingerprint:
    """A digest of a stream of rows that does not depend on how the stream is cut into
    batches, and that parts of the stream computed apart (by the tasks of a pipeline) add up
    to: per leaf column, its validity, lengths and values as a polynomial hash modulo 2**64
    of the values' hashes, which concatenates (``extend``) with the count of the part after."""

    def __init__(self) -> None:
        self.rows = 0
        self.streams: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))  # count, hash

    def add(self, rows: pa.Table | pa.RecordBatch) -> None:
        self.rows += rows.num_rows
        for name, column in zip(rows.schema.names, rows.columns, strict=True):
            for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
                self._add(name, chunk)

    def _add(self, path: str, array: pa.Array) -> None:
        if array.null_count:
            self._extend(f"{path} valid", np.asarray(array.is_valid()).astype(np.uint64))
        else:  # the hash of as many ones, without a pass over them
            self._extend_ones(f"{path} valid", len(array))
        type_ = array.type
        if pa.types.is_struct(type_):
            for child, values in zip(type_, array.flatten(), strict=True):
                self._add(f"{path}.{child.name}", values)
        elif pa.types.is_list(type_):  # a null list (told by its validity) as no items
            self._extend(f"{path} length", _numbers(pc.list_value_length(array)))
            self._add(f"{path}[]", pc.list_flatten(array))
        elif pa.types.is_string(type_):
            array = pc.fill_null(array, "")
            self._extend(f"{path} length", _numbers(pc.binary_length(array)))
            self._extend(path, _string_hashes(array))
        else:
            self._extend(path, _numbers(array))

    def _extend(self, stream: str, values: np.ndarray) -> None:
        count, hash_ = self.streams[stream]
        self.streams[stream] = _concatenated(count, hash_, len(values), _polynomial(values))

    def _extend_ones(self, stream: str, count: int) -> None:
        self.streams[stream] = _concatenated(*self.streams[stream], count,
                                             MIXED_ONE * _geometric(count) % MOD64)

    def extend(self, after: Fingerprint) -> None:
        """This stream followed by ``after``."""
        self.rows += after.rows
        for stream, (count, hash_) in after.streams.items():
            self.streams[stream] = _concatenated(*self.streams[stream], count, hash_)

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "streams": dict(self.streams)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fingerprint:
        fingerprint = cls()
        fingerprint.rows = data["rows"]
        fingerprint.streams.update({k: tuple(v) for k, v in data["streams"].items()})
        return fingerprint

    def __str__(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.streams):
            count, hash_ = self.streams[name]
            digest.update(f"{name}={count}:{hash_:016x};".encode())
        return f"{self.rows} records, fingerprint {digest.hexdigest()[:16]}"


HASH_BASE = 0x9E3779B97F4A7C15  # odd: its powers modulo 2**64 never vanish
BYTE_BASE = 0xC2B2AE3D27D4EB4F  # odd too, so it has an inverse modulo 2**64
MOD64 = 1 << 64
BYTE_BASE_INVERSE = pow(BYTE_BASE, -1, MOD64)
POWERS_CACHED = 1 << 20  # the tables of powers kept: 8 MB for the largest


def _powers(base: int, count: int) -> np.ndarray:
    """base**0 .. base**(count - 1) modulo 2**64 (uint64 arithmetic wraps), read-only: up
    to ``POWERS_CACHED``, a view of a table computed once per power of two of ``count``."""
    if count > POWERS_CACHED:
        return _power_table.__wrapped__(base, count)
    return _power_table(base, 1 << max(count - 1, 0).bit_length())[:count]


@functools.cache
def _power_table(base: int, count: int) -> np.ndarray:
    powers = np.full(count, base, np.uint64)
    powers[0] = 1
    table = np.cumprod(powers, dtype=np.uint64)
    table.flags.writeable = False
    return table


def _mixed(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: nearby values get unrelated hashes."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


MIXED_ONE = int(_mixed(np.ones(1, np.uint64))[0])


def _polynomial(values: np.ndarray) -> int:
    """sum(mix(v_i) * HASH_BASE**(n - 1 - i)) modulo 2**64."""
    with np.errstate(over="ignore"):
        weights = _powers(HASH_BASE, len(values))[::-1]
        return int(np.sum(_mixed(values) * weights, dtype=np.uint64))


def _geometric(count: int) -> int:
    """sum(HASH_BASE**k for k < count) modulo 2**64, by halving: _polynomial of ``count``
    equal values is that times the value's mix."""
    if count == 0:
        return 0
    if count % 2:
        return (_geometric(count - 1) * HASH_BASE + 1) % MOD64
    half = _geometric(count // 2)
    return half * (1 + pow(HASH_BASE, count // 2, MOD64)) % MOD64


def _numbers(array: pa.Array) -> np.ndarray:
    """Numbers or booleans as uint64 (nulls as 0, floats by their bits)."""
    values = array.fill_null(False if pa.types.is_boolean(array.type) else 0).to_numpy(
        zero_copy_only=False)
    if values.dtype.kind == "f":
        values = values.astype(np.float64).view(np.int64)
    return values.astype(np.uint64)


def _concatenated(count: int, hash_: int, after_count: int, after_hash: int
                  ) -> tuple[int, int]:
    return count + after_count, (hash_ * pow(HASH_BASE, after_count, MOD64) + after_hash) % MOD64


def _string_hashes(strings: pa.Array) -> np.ndarray:
    """A hash of each string (no nulls): sum((byte_j + 1) * BYTE_BASE**j) over its bytes.
    A string repeated over many rows (a document id over its records, a label, a
    provenance) is hashed once."""
    if not mostly_repeated(strings):
        return _byte_sums(strings)
    encoded = pc.dictionary_encode(strings)
    return _byte_sums(encoded.dictionary)[encoded.indices.to_numpy()]


def _byte_sums(strings: pa.Array) -> np.ndarray:
    """``_string_hashes`` without a pass per string: strings taken a run of at most
    ``POWERS_CACHED`` bytes at a time (or one longer string)."""
    offsets, data = _string_bytes(strings)
    sums = np.empty(len(strings), np.uint64)
    first = 0
    while first < len(strings):
        after = int(np.searchsorted(offsets, offsets[first] + POWERS_CACHED, "right")) - 1
        after = min(max(after, first + 1), len(strings))
        sums[first:after] = _run_sums(offsets[first:after + 1] - offsets[first],
                                      data[offsets[first]:offsets[after]])
        first = after
    return sums


def _run_sums(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """One running sum over a run's bytes, each weighted by its position in the run; each
    string's difference of that sum brought back to its own start by the inverse power."""
    starts = offsets[:-1]
    with np.errstate(over="ignore"):
        weighted = data.astype(np.uint64)
        weighted += np.uint64(1)
        weighted *= _powers(BYTE_BASE, len(data))
        sums = np.zeros(len(data) + 1, np.uint64)
        np.cumsum(weighted, out=sums[1:])
        return (sums[offsets[1:]] - sums[starts]) * \
            _powers(BYTE_BASE_INVERSE, int(starts.max(initial=0)) + 1)[starts]


def _string_bytes(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's offsets (from 0) and bytes, read from the Arrow buffers."""
    if not len(strings):
        return np.zeros(1, np.int64), np.zeros(0, np.uint8)
    offsets = np.frombuffer(strings.buffers()[1], np.int32, len(strings) + 1,
                            strings.offset * 4).astype(np.int64)
    data = np.frombuffer(strings.buffers()[2] or b"\0", np.uint8)[offsets[0]:offsets[-1]]
    return offsets - offsets[0], data


def _with_date_checks(frame: Frame, today: dt.date) -> pa.Table:
    """Each date column read as a date (the ISO form, or NOT_A_DATE) and as days after
    today; parsed once per distinct value, since a column holds few distinct dates."""
    table = frame.table
    for f in frame.ruled:
        if f.name not in DATE_COLUMNS:
            continue
        values = pc.unique(table.column(f.name)).drop_null()
        dates = [parse_date(value) for value in values.to_pylist()]
        index = pc.index_in(table.column(f.name), value_set=values)
        table = table.append_column(read_as_date(f.name), pa.array(
            [d.isoformat() if d else NOT_A_DATE for d in dates], pa.string()).take(index))
        table = table.append_column(days_after_today(f.name), pa.array(
            [(d - today).days if d else None for d in dates], pa.int32()).take(index))
    return table


def _constant(value: str, rows: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), rows)


def _keys(*parts: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "\x1f")


def _measure(owners: list[str | None], starts: list[int | None], ends: list[int | None]
             ) -> tuple[list[int | None], list[str | None]]:
    """The length of the text each span points into, and the span's slice of it where the
    offsets are valid (invalid offsets are the offset expectations' business)."""
    lengths = [None if owner is None else len(owner) for owner in owners]
    slices = [owner[s:e] if n is not None and s is not None and e is not None and 0 <= s < e <= n
              else None for owner, n, s, e in zip(owners, lengths, starts, ends, strict=True)]
    return lengths, slices


def _span_rows(table: str, doc_ids: pa.Array, ids: pa.Array, starts: pa.Array,
               ends: pa.Array, texts: pa.Array, lengths: list[int | None],
               slices: list[str | None]) -> pa.Table:
    return pa.table({"table": label_column(table, len(ids)), "doc_id": doc_ids, "id": ids,
                     "start": starts, "end": ends, "text": texts,
                     "text length": pa.array(lengths, pa.int64()),
                     "document slice": pa.array(slices, pa.string())})


def _own_spans(table: str, records: pa.RecordBatch, starts: pa.Array, ends: pa.Array,
               texts: pa.Array, owners: list[str | None]) -> pa.Table:
    return _span_rows(table, records.column("doc_id"), records.column("id"), starts, ends,
                      texts, *_measure(owners, starts.to_pylist(), ends.to_pylist()))


def _references(reference: str, doc_ids: pa.Array, ids: pa.Array, targets: pa.Array,
                resolves: pa.Array) -> pa.Table:
    """Reference rows; a missing target is left to the not-null expectations (null)."""
    resolves = pc.if_else(pc.is_valid(targets), pc.fill_null(resolves, False),
                          pa.scalar(None, pa.bool_()))
    return pa.table({"reference": label_column(reference, len(ids)), "doc_id": doc_ids,
                     "id": ids, "target": targets, "resolves": resolves})


# ------------------------------------------------------------------ reading the export


@dataclass(frozen=True)
class Shard:
    """A Parquet file of the export, or some of its row groups (a validation task's part)."""

    path: Path
    table: str
    split: str  # from the file name: what `datasets` loads it as
    row_groups: tuple[int, ...] | None = None  # None: all

    def batches(self, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Batches cast to the relaxed schema (a file that cannot be cast is reported by the
        ``files`` frame and not read)."""
        target = relaxed(schema.TABLES[self.table])
        if columns is not None:
            target = pa.schema([target.field(name) for name in columns])
        parquet = pq.ParquetFile(self.path)
        if any(name not in parquet.schema_arrow.names for name in target.names):
            return
        rows = BATCH_ROWS.get(self.table, DEFAULT_BATCH_ROWS)
        for batch in parquet.iter_batches(batch_size=rows, row_groups=self.row_groups,
                                          columns=target.names):
            try:
                yield batch.cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return


def _schema_difference(path: Path, table: str) -> str | None:
    if table not in schema.TABLES:
        return f"{table!r} is not a table of the schema"
    found = relaxed(pq.read_schema(path).remove_metadata())
    expected = relaxed(schema.TABLES[table])
    if found.equals(expected):
        return None
    missing = [f.name for f in expected if f.name not in found.names]
    extra = [f.name for f in found if f.name not in expected.names]
    if missing or extra:
        return f"missing columns {missing}, unexpected columns {extra}"
    return "; ".join(f"{f.name}: {f.type}, expected {expected.field(f.name).type}"
                     for f in found if f.type != expected.field(f.name).type) or \
        "columns in another order"


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # every file then shows as unlisted
    return manifest if isinstance(manifest, dict) else {}


def check_files(runner: Runner, directory: Path, manifest: dict[str, Any]) -> list[Shard]:
    """The ``files`` frame; returns the shards whose content can be checked."""
    listed = {entry.get("path"): entry for entry in manifest.get("files", [])
              if isinstance(entry, dict)}
    found = {str(p.relative_to(directory)): p for p in sorted(directory.glob("*/*.parquet"))}
    rows: list[dict[str, Any]] = []
    shards = []
    for relative in sorted(listed.keys() | found.keys(), key=str):
        entry, path = listed.get(relative, {}), found.get(relative)
        row = {"path": str(relative), "listed": relative in listed, "exists": path is not None,
               "rows": None, "manifest rows": entry.get("rows"), "sha256": None,
               "manifest sha256": entry.get("sha256"), "read error": None,
               "schema difference": None}
        if path is not None:
            table = path.parent.name
            row["sha256"] = file_sha256(path)
            try:
                row.update(rows=pq.ParquetFile(path).metadata.num_rows,
                           **{"schema difference": _schema_difference(path, table)})
            except (OSError, pa.ArrowException) as error:  # truncated, garbage: reported
                row["read error"] = f"{type(error).__name__}: {error}"
            else:
                if table in schema.TABLES:
                    shards.append(Shard(path, table, path.name.split("-", 1)[0]))
        rows.append(row)
    runner.validate("files", pa.Table.from_pylist(rows, schema=pa.schema([
        ("path", pa.string()), ("listed", pa.bool_()), ("exists", pa.bool_()),
        ("rows", pa.int64()), ("manifest rows", pa.int64()), ("sha256", pa.string()),
        ("manifest sha256", pa.string()), ("read error", pa.string()),
        ("schema difference", pa.string())])))
    return shards


# ------------------------------------------------------------------ the passes


def _buckets(strings: pa.Array, buckets: int) -> np.ndarray:
    """The spill bucket of each string, from its hash (equal strings fall in equal buckets;
    nulls as the empty string)."""
    return (_mixed(_string_hashes(pc.fill_null(strings, ""))) % np.uint64(buckets)
            ).astype(np.int64)


class Spill:
    """Streams of rows written to Arrow IPC files by hash bucket of a key column, so that
    the rows of several streams with equal keys are read back together, one bucket at a
    time: cross-document checks in bounded memory (a hash join, or a uniqueness check, per
    bucket). IPC streams keep nothing per written batch (a Parquet writer keeps every row
    group's metadata until it closes). Rows are gathered up to ``SPILL_FLUSH_BYTES`` per
    stream and then sorted by bucket, so that a batch costs the same whatever the number of
    buckets (cutting each batch with one filter per bucket made validation quadratic)."""

    def __init__(self, directory: Path, rows: int) -> None:
        """``rows``: the most rows a stream will hold; a bucket holds about
        ``SPILL_BUCKET_ROWS`` of them, so memory does not grow with the export."""
        self.directory = directory
        self.count = spill_buckets(rows)
        self.writers: dict[tuple[str, int],
                           tuple[pa.NativeFile, pa.ipc.RecordBatchStreamWriter]] = {}
        self.pending: dict[str, tuple[str, list[pa.Table]]] = {}

    def add(self, stream: str, key: str, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        _, tables = self.pending.setdefault(stream, (key, []))
        tables.append(rows)
        if sum(table.nbytes for table in tables) >= SPILL_FLUSH_BYTES:
            self._flush(stream)

    def _flush(self, stream: str) -> None:
        key, tables = self.pending.pop(stream, ("", []))
        if not tables:
            return
        rows = _concat(tables)
        buckets = _buckets(rows.column(key).combine_chunks(), self.count)
        order = np.argsort(buckets, kind="stable")  # rows keep their order in a bucket
        rows = rows.take(pa.array(order))
        bounds = np.searchsorted(buckets[order], np.arange(self.count + 1))
        for bucket in np.flatnonzero(np.diff(bounds)):
            start, stop = bounds[bucket], bounds[bucket + 1]
            self._writer(stream, int(bucket), rows.schema).write_table(
                rows.slice(start, stop - start))

    def _writer(self, stream: str, bucket: int, schema_: pa.Schema
                ) -> pa.ipc.RecordBatchStreamWriter:
        if (stream, bucket) not in self.writers:
            sink = pa.OSFile(str(self._path(stream, bucket)), "wb")
            self.writers[(stream, bucket)] = sink, pa.ipc.new_stream(
                sink, schema_, options=pa.ipc.IpcWriteOptions(compression="lz4"))
        return self.writers[(stream, bucket)][1]

    def _path(self, stream: str, bucket: int) -> Path:
        return spill_file(self.directory, stream, bucket)

    def close(self) -> None:
        """Write the rows still gathered and close the files: the spill can be read."""
        for stream in list(self.pending):
            self._flush(stream)
        for sink, writer in self.writers.values():
            writer.close()
            sink.close()
        self.writers.clear()

    def buckets(self, *streams: str) -> Iterator[list[pa.Table | None]]:
        """The rows of each stream, a few whole buckets at a time (up to POOL_ROWS rows)."""
        self.close()
        return spilled_buckets([self.directory], range(self.count), *streams)


def spill_buckets(rows: int) -> int:
    return max(MIN_SPILL_BUCKETS, -(-rows // SPILL_BUCKET_ROWS))


def spill_file(directory: Path, stream: str, bucket: int) -> Path:
    return directory / f"{stream}-{bucket}.arrows"


def spilled_buckets(directories: list[Path], buckets: range, *streams: str
                    ) -> Iterator[list[pa.Table | None]]:
    """The rows of each stream that spills in ``directories`` wrote to ``buckets``, a few
    whole buckets at a time (up to POOL_ROWS rows), in the order of the directories."""
    group: list[list[pa.Table]] = [[] for _ in streams]
    for bucket in buckets:
        for tables, stream in zip(group, streams, strict=True):
            for directory in directories:
                path = spill_file(directory, stream, bucket)
                if path.exists():
                    with pa.OSFile(str(path)) as source:
                        tables.append(pa.ipc.open_stream(source).read_all())
        if sum(t.num_rows for t in group[0]) >= POOL_ROWS or bucket == buckets[-1]:
            yield [_concat(tables) if tables else None for tables in group]
            group = [[] for _ in streams]


Fingerprints = dict[tuple[str, str, str], Fingerprint]  # by kind, split, side


@dataclass
class State:
    """What the checks of a part of the export need for the checks across shards: the
    corpus's ids, and what they give them: fingerprints (constant size) and spilled streams
    (on disk)."""

    today: dt.date
    spill: Spill
    ids: CorpusIds
    fingerprints: Fingerprints = field(
        default_factory=lambda: defaultdict(Fingerprint))

    def add_fingerprints(self, side: str, kind: str, records: pa.Table) -> None:
        """Add records of one table, in order, to the fingerprint of their split."""
        splits = records.column("split")
        names = pc.unique(splits).to_pylist()
        for split in names:
            of_split = records if len(names) == 1 else records.filter(
                pc.is_null(splits) if split is None else pc.equal(splits, split))
            self.fingerprints[(kind, str(split), side)].add(of_split)


def _concat(tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables).combine_chunks()


def check_corpus(runner: Runner, documents: list[Shard]) -> CorpusIds:
    """From the id columns of ``documents``: ids unique, derivations resolve and stay in
    their source's split, stories in one split. Returns the ids, and which are sources."""
    columns = ["doc_id", "split", "story_group", "derived_from", "derivation"]
    corpus = _concat([pa.Table.from_batches([batch]) for shard in documents
                      for batch in shard.batches(columns)]
                     or [relaxed(schema.TABLES["documents"]).empty_table().select(columns)])
    doc_ids = corpus["doc_id"].combine_chunks()
    source = pc.index_in(corpus["derived_from"], value_set=doc_ids, skip_nulls=True)
    runner.validate("corpus", pa.table({
        "doc_id": doc_ids, "story_group": corpus["story_group"],
        "source story_group": corpus["story_group"].take(source),
        "derived_from given": pc.is_valid(corpus["derived_from"]),
        "derivation given": pc.is_valid(corpus["derivation"])}))
    stories = corpus.group_by("story_group").aggregate([("split", "count_distinct"),
                                                        ("split", "distinct")])
    runner.validate("stories", pa.table({
        "story_group": stories["story_group"], "splits": stories["split_count_distinct"],
        "split names": pc.binary_join(stories["split_distinct"], ", ")}))
    derived = corpus.filter(pc.is_valid(corpus["derived_from"]))
    resolves = pc.is_in(derived["derived_from"], value_set=doc_ids, skip_nulls=True)
    runner.validate("references", _references("documents.derived_from", derived["doc_id"],
                                              derived["doc_id"], derived["derived_from"],
                                              resolves))
    doc_ids = doc_ids.drop_null()
    return CorpusIds.of(doc_ids, pc.is_in(
        doc_ids, value_set=derived["derived_from"].combine_chunks(), skip_nulls=True))


@dataclass(frozen=True)
class CorpusIds:
    """The corpus's document ids and which are sources of another, in the order of their
    hashes (``_string_hashes``), so that a batch's ids are found by binary search. At
    1,000,000 documents ``pc.is_in`` spent 0.2 to 0.4 s a batch building a hash table of
    every id, and a sorted range does not narrow it: the ids are hashes, a batch's spread
    over the whole range."""

    table: pa.Table  # doc_id, source, hash

    @classmethod
    def of(cls, doc_ids: pa.Array, source: pa.Array) -> CorpusIds:
        hashes = _string_hashes(doc_ids)
        order = np.argsort(hashes, kind="stable")
        return cls(pa.table({"doc_id": doc_ids.take(order), "source": source.take(order),
                             "hash": hashes[order]}))

    @functools.cached_property
    def _columns(self) -> tuple[pa.Array, pa.Array, np.ndarray]:
        return (self.table["doc_id"].combine_chunks(), self.table["source"].combine_chunks(),
                self.table["hash"].combine_chunks().to_numpy())

    def rows(self, values: pa.Array) -> np.ndarray:
        """Each value's row in ``table``, or -1 where it is null or not an id."""
        doc_ids, _, hashes = self._columns
        rows = np.full(len(values), -1, np.int64)
        if not len(hashes):
            return rows
        value_hashes = _string_hashes(values.fill_null(""))
        found = np.searchsorted(hashes, value_hashes)
        found[found == len(hashes)] = 0
        equal = pc.fill_null(pc.equal(values, doc_ids.take(pa.array(found))), False)
        equal = equal.to_numpy(zero_copy_only=False)
        rows[equal] = found[equal]
        # another id with the same hash may follow the one found: looked up the slow way
        clash = ~equal & (hashes[found] == value_hashes) & \
            pc.is_valid(values).to_numpy(zero_copy_only=False)
        if clash.any():
            rows[clash] = pc.index_in(values.filter(pa.array(clash)), value_set=doc_ids
                                      ).fill_null(-1).to_numpy(zero_copy_only=False)
        return rows

    def are_ids(self, values: pa.Array) -> pa.Array:
        return pa.array(self.rows(values) >= 0)

    def are_sources(self, values: pa.Array) -> pa.Array:
        rows = self.rows(values)
        sources = rows >= 0
        sources[sources] = self._columns[1].to_numpy(zero_copy_only=False)[rows[sources]]
        return pa.array(sources)


def check_documents_batch(runner: Runner, state: State, shard: Shard,
                          batch: pa.RecordBatch) -> None:
    for frame in table_frames("documents", batch):
        table = _with_date_checks(frame, state.today)
        if frame.name == "documents":
            texts = batch.column("text").to_pylist()
            table = table.append_column("sha256 of text", pa.array(
                [None if t is None else hashlib.sha256(t.encode()).hexdigest() for t in texts],
                pa.string())).append_column("file split", _constant(shard.split, len(texts)))
            table = table.append_column("text is not blank", pa.array(
                [None if t is None else not is_blank(t) for t in texts], pa.bool_()))
            # the text as its length: all its column rule needs (not null), and light
            table = table.set_column(table.column_names.index("text"), "text",
                                     pc.utf8_length(table.column("text")))
        runner.validate(frame.name, table)
    sources = pa.Table.from_batches([batch.select(["doc_id", "text"])]).filter(
        state.ids.are_sources(batch.column("doc_id")))
    state.spill.add("source texts", "doc_id", sources)
    check_nested_records(runner, state, batch)


def _records(batch: pa.RecordBatch, kind: str) -> tuple[pa.RecordBatch, list[int]]:
    """One kind's records of a documents batch laid out as its flat table, with the row of
    each record's document."""
    column = batch.column(kind)
    parents = pc.list_parent_indices(column)
    records = pc.list_flatten(column)
    names = [*DOCUMENT_COLUMNS, *(f.name for f in schema.RECORD_FIELDS[kind])]
    return pa.RecordBatch.from_arrays(
        [batch.column(name).take(parents) for name in DOCUMENT_COLUMNS] + records.flatten(),
        names=names), parents.to_pylist()


def _items(records: pa.RecordBatch, column: str) -> tuple[pa.RecordBatch, pa.Array]:
    """The items of a list column, each with the record it belongs to."""
    return (records.take(pc.list_parent_indices(records.column(column))),
            pc.list_flatten(records.column(column)))


def check_nested_records(runner: Runner, state: State, batch: pa.RecordBatch) -> None:
    """Spans against the document text, references inside a document and to the source,
    and the fingerprints of the annotation lists."""
    texts = batch.column("text").to_pylist()
    derived_from = batch.column("derived_from")
    records, owners, sources = {}, {}, {}
    for kind in KINDS:
        records[kind], parents = _records(batch, kind)
        owners[kind] = [texts[i] for i in parents]
        sources[kind] = derived_from.take(pa.array(parents, pa.int64()))
        state.add_fingerprints("nested", kind, records[kind])
    mentions, events, flags, claims = (records[k] for k in
                                       ("mentions", "events", "span_flags", "claims"))
    trigger = events.column("trigger")
    duplicates = pc.is_valid(flags.column("first_occurrence"))
    firsts = flags.filter(duplicates)
    first_starts = firsts.column("first_occurrence")
    runner.validate("spans", pa.concat_tables([
        *(_own_spans(kind, records[kind], *(records[kind].column(c) for c in SPAN_COLUMNS),
                     owners[kind]) for kind in ("mentions", "span_flags", "claims")),
        _own_spans("events.trigger", events, *(trigger.field(c) for c in SPAN_COLUMNS),
                   owners["events"]),
        # the first occurrence of a duplicate is a span with the duplicate's text
        _own_spans("span_flags.first_occurrence", firsts, first_starts,
                   pc.add(first_starts, pc.utf8_length(firsts.column("text"))),
                   firsts.column("text"),
                   [o for o, d in zip(owners["span_flags"], duplicates.to_pylist(),
                                      strict=True) if d]),
    ]))
    argument_events, arguments = _items(events, "arguments")
    argument_mentions = arguments.field("mention_id")
    runner.validate("references", pa.concat_tables([
        _references("events.arguments.mention_id", argument_events.column("doc_id"),
                    argument_events.column("id"), argument_mentions,
                    pc.is_in(_keys(argument_events.column("doc_id"), argument_mentions),
                             value_set=_keys(mentions.column("doc_id"), mentions.column("id")),
                             skip_nulls=True)),
        _references("claims.source_doc_id", claims.column("doc_id"), claims.column("id"),
                    claims.column("source_doc_id"),
                    pc.equal(claims.column("source_doc_id"), sources["claims"])),
    ]))
    linked = pc.is_valid(events.column("source_event_id"))
    state.spill.add("links", "source", pa.table({
        "doc_id": events.column("doc_id").filter(linked),
        "id": events.column("id").filter(linked),
        "target": events.column("source_event_id").filter(linked),
        "source": sources["events"].filter(linked)}))
    of_sources = state.ids.are_sources(events.column("doc_id"))
    state.spill.add("source events", "doc_id", pa.table(
        {"doc_id": events.column("doc_id"), "id": events.column("id")}).filter(of_sources))
    evidence_claims, evidence = _items(claims, "evidence")
    state.spill.add("evidence", "source", pa.table({
        "doc_id": evidence_claims.column("doc_id"), "id": evidence_claims.column("id"),
        "source": evidence_claims.column("source_doc_id"),
        **{c: evidence.field(c) for c in SPAN_COLUMNS}}))


def check_flat_batch(runner: Runner, state: State, shard: Shard, batch: pa.RecordBatch
                     ) -> None:
    for frame in table_frames(shard.table, batch):
        table = _with_date_checks(frame, state.today)
        if frame.name == shard.table:
            table = table.append_column("file split", _constant(shard.split, batch.num_rows))
        runner.validate(frame.name, table)
    documents = pc.unique(batch.column("doc_id"))  # checked once per document, not record
    known = state.ids.are_ids(documents)
    runner.validate("references", _references(
        f"{shard.table}.doc_id", documents, pa.nulls(len(documents), pa.string()), documents,
        known))
    # records of documents that do not exist are reported as references alone
    exists = known.take(pc.index_in(batch.column("doc_id"), value_set=documents))
    state.add_fingerprints("flat", shard.table,
                           pa.Table.from_batches([batch]).filter(pc.fill_null(exists, False)))
    state.spill.add("record ids", "id", pa.table({
        "table": _constant(shard.table, batch.num_rows), "id": batch.column("id")}))


Buckets = Callable[..., Iterator[list[pa.Table | None]]]  # Spill.buckets


def check_across_documents(runner: Runner, buckets: Buckets) -> None:
    """Per group of spill buckets: ids unique, claim evidence against its source's text,
    source events resolved."""
    for (ids,) in buckets("record ids"):
        if ids is not None:
            runner.validate_alone("record ids", ids)
    for evidence, texts in buckets("evidence", "source texts"):
        if evidence is None:
            continue
        owners = texts or pa.table({"doc_id": pa.array([], pa.string()),
                                    "text": pa.array([], pa.string())})
        position = pc.index_in(evidence["source"], value_set=owners["doc_id"],
                               skip_nulls=True).to_pylist()
        source_texts = owners["text"].to_pylist()
        runner.validate("spans", _span_rows(
            "claims.evidence", evidence["doc_id"], evidence["id"],
            *(evidence[c] for c in SPAN_COLUMNS),
            *_measure([None if p is None else source_texts[p] for p in position],
                      evidence["start"].to_pylist(), evidence["end"].to_pylist())))
    for links, events in buckets("links", "source events"):
        if links is not None:
            found = pa.array([], pa.string()) if events is None else \
                _keys(events["doc_id"], events["id"])
            runner.validate("references", _references(
                "events.source_event_id", links["doc_id"], links["id"], links["target"],
                pc.is_in(_keys(links["source"], links["target"]), value_set=found,
                         skip_nulls=True)))


def check_tables(runner: Runner, fingerprints: Fingerprints,
                 manifest: dict[str, Any], shards: list[Shard]) -> None:
    """Row counts against the manifest's totals, flat tables against the nested lists."""
    in_files: dict[tuple[str, str], int] = defaultdict(int)
    for shard in shards:
        in_files[(shard.table, shard.split)] += pq.ParquetFile(shard.path).metadata.num_rows
    totals = manifest.get("tables") if isinstance(manifest.get("tables"), dict) else {}
    in_manifest = {(t, s): n for t, splits in totals.items() for s, n in splits.items()}
    kinds_splits = {(kind, split) for kind, split, _ in fingerprints}
    rows = []
    for table, split in sorted(in_files.keys() | in_manifest.keys() | kinds_splits):
        row = {"table": table, "split": split, "rows in files": in_files.get((table, split), 0),
               "rows in manifest": in_manifest.get((table, split), 0)}
        if table in KINDS:
            for side in ("flat", "nested"):
                row[f"{side} records"] = str(fingerprints.get((table, split, side),
                                                              Fingerprint()))
        rows.append(row)
    runner.validate("tables", pa.Table.from_pylist(rows, schema=pa.schema([
        ("table", pa.string()), ("split", pa.string()), ("rows in files", pa.int64()),
        ("rows in manifest", pa.int64()), ("flat records", pa.string()),
        ("nested records", pa.string())])))


# ------------------------------------------------------------------ the pipeline
#
# The validation's steps on datatrove, run by any datatrove executor (``validate_export``
# checks the files and the corpus's id columns first, and merges the steps' outcomes into
# one report afterwards):
#
#   1. ``CheckParts`` (one task per part: a fixed range of row groups of a table's files):
#      the per-shard expectations on the part with the task's own GX runner; writes the
#      part's outcomes and fingerprints, and spills the columns the checks across documents
#      need, by hash bucket.
#   2. ``CheckAcrossDocuments`` (one task per ``ACROSS_TASK_BUCKETS`` spill buckets): the
#      expectations across documents, over those buckets of every part's spill.
#
# Parts follow the export's row groups, never the workers, and outcomes merge in task order,
# so the report is the same whatever the executor. Outputs go to a work folder beside the
# export through temporary names; datatrove's completion markers let --resume skip the
# finished tasks.


TASK_ROWS = {"documents": 5_000}  # rows of a part: enough to fill GX's pools, and tasks
DEFAULT_TASK_ROWS = 1_000_000     # enough for two workers on a small export
ACROSS_TASK_BUCKETS = 8


@dataclass(frozen=True)
class ValidationPlan:
    """Everything a task needs, picklable: the parts by rank and where outputs go."""

    work: Path
    parts: tuple[Part, ...]
    today: dt.date
    spill_rows: int                 # the most rows a spilled stream holds (its buckets)

    @property
    def corpus_file(self) -> Path:
        """The document ids, which are sources and their hashes (``CorpusIds``)."""
        return self.work / "corpus.arrow"

    def spill_dir(self, rank: int) -> Path:
        return self.work / "spill" / f"{rank:05d}"

    def outcomes_file(self, step: int, rank: int) -> Path:
        return self.work / "outcomes" / f"{step}-{rank:05d}.json"

    @property
    def across_tasks(self) -> int:
        return math.ceil(spill_buckets(self.spill_rows) / ACROSS_TASK_BUCKETS)

    def buckets(self, rank: int) -> range:
        start = rank * ACROSS_TASK_BUCKETS
        return range(start, min(start + ACROSS_TASK_BUCKETS, spill_buckets(self.spill_rows)))


@dataclass(frozen=True)
class Part:
    """A validation task's rows: consecutive row groups of a table's files of one split.

    A part spans files: the build writes a file per task, table and split, and with a part
    per file a 1,000,000-document export made 7,200 tasks of about 833 documents."""

    table: str
    split: str
    row_groups: tuple[tuple[Path, int], ...]    # (file, row group), files in name order

    @property
    def pieces(self) -> tuple[Shard, ...]:
        """The part's row groups, a file at a time."""
        return tuple(Shard(path, self.table, self.split, tuple(group for _, group in groups))
                     for path, groups in itertools.groupby(self.row_groups, key=lambda g: g[0]))


def file_row_groups(shards: Iterable[Shard]) -> Iterator[tuple[Path, int, int]]:
    """Each row group of the files: its file, its number and its rows."""
    for shard in shards:
        metadata = pq.ParquetFile(shard.path).metadata
        for group in range(metadata.num_row_groups):
            yield shard.path, group, metadata.row_group(group).num_rows


def plan_parts(shards: list[Shard]) -> tuple[Part, ...]:
    """Parts of up to ``TASK_ROWS`` rows (or one row group), tables in the schema's order and
    files in name order (the order fingerprints add up in)."""
    parts = []
    for table in schema.TABLES:
        limit = TASK_ROWS.get(table, DEFAULT_TASK_ROWS)
        files = sorted((s for s in shards if s.table == table), key=lambda s: s.path)
        for split, split_files in itertools.groupby(files, key=lambda s: s.split):
            row_groups: list[tuple[Path, int]] = []
            rows = 0
            for path, group, group_rows in file_row_groups(split_files):
                if rows and rows + group_rows > limit:
                    parts.append(Part(table, split, tuple(row_groups)))
                    row_groups, rows = [], 0
                row_groups.append((path, group))
                rows += group_rows
            parts.append(Part(table, split, tuple(row_groups)))
    return tuple(parts)


def write_corpus(plan: ValidationPlan, ids: CorpusIds) -> None:
    partial = plan.corpus_file.with_name(f".{plan.corpus_file.name}.partial")
    with pa.OSFile(str(partial), "wb") as sink, \
            pa.ipc.new_file(sink, ids.table.schema) as writer:
        writer.write_table(ids.table)
    partial.rename(plan.corpus_file)


def write_outcomes(path: Path, outcomes: list[Outcome], fingerprints: Fingerprints) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({
        "outcomes": [asdict(outcome) for outcome in outcomes],
        "fingerprints": [[*key, fingerprint.to_json()]
                         for key, fingerprint in fingerprints.items()]}) + "\n")


def read_outcomes(path: Path) -> tuple[list[Outcome], Fingerprints]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return ([Outcome(**outcome) for outcome in data["outcomes"]],
            {(kind, split, side): Fingerprint.from_json(fingerprint)
             for kind, split, side, fingerprint in data["fingerprints"]})


class ValidationStep(PlanStep):
    type = "newsprov validate"
    plan: ValidationPlan

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        with self.track_time(unit="task"):
            self.work(rank)
        yield from ()

    def work(self, rank: int) -> None:
        raise NotImplementedError


class CheckParts(ValidationStep):
    name = "1 check parts"

    def work(self, rank: int) -> None:
        part, spill_dir = self.plan.parts[rank], self.plan.spill_dir(rank)
        partial = spill_dir.with_name(f".{spill_dir.name}.partial")  # renamed once complete
        for leftover in (partial, spill_dir):                # of a task killed before
            shutil.rmtree(leftover, ignore_errors=True)
        partial.mkdir(parents=True)
        with pa.memory_map(str(self.plan.corpus_file)) as source:
            ids = CorpusIds(pa.ipc.open_file(source).read_all())
        state = State(self.plan.today, Spill(partial, self.plan.spill_rows), ids)
        runner = Runner()
        check = check_documents_batch if part.table == "documents" else check_flat_batch
        for piece in part.pieces:
            for batch in piece.batches():
                check(runner, state, piece, batch)
                self.stat_update(part.table, value=batch.num_rows)
        state.spill.close()
        partial.rename(spill_dir)
        write_outcomes(self.plan.outcomes_file(1, rank), runner.finish(), state.fingerprints)


class CheckAcrossDocuments(ValidationStep):
    name = "2 check across documents"

    def work(self, rank: int) -> None:
        runner = Runner()
        spills = [self.plan.spill_dir(part) for part in range(len(self.plan.parts))]
        check_across_documents(runner, functools.partial(spilled_buckets, spills,
                                                         self.plan.buckets(rank)))
        write_outcomes(self.plan.outcomes_file(2, rank), runner.finish(), {})


STEPS = (CheckParts, CheckAcrossDocuments)


def run_steps(plan: ValidationPlan, execution: Execution) -> bool:
    """Run the steps in order; False if they were submitted to Slurm instead."""
    stages = [Stage(f"validation step {step_class.name!r}", [step_class(plan)], tasks)
              for step_class, tasks in zip(STEPS, (len(plan.parts), plan.across_tasks),
                                           strict=True)]
    return run_stages(stages, plan.work / "logs", execution, "newsprov-validate")


def merged_outcomes(plan: ValidationPlan) -> tuple[list[list[Outcome]], Fingerprints]:
    """Every task's outcomes, in step and task order, and the parts' fingerprints added up
    in part order."""
    outcomes, fingerprints = [], {}
    files = [plan.outcomes_file(1, rank) for rank in range(len(plan.parts))] + \
        [plan.outcomes_file(2, rank) for rank in range(plan.across_tasks)]
    for path in files:
        task_outcomes, task_fingerprints = read_outcomes(path)
        outcomes.append(task_outcomes)
        for key, fingerprint in task_fingerprints.items():
            fingerprints.setdefault(key, Fingerprint()).extend(fingerprint)
    return outcomes, fingerprints


def validate_export(directory: Path, today: dt.date | None = None,
                    execution: Execution | None = None) -> ValidationReport | None:
    """Run every suite on the export in ``directory``: the files and the corpus's id columns
    here, the rest as datatrove steps (``validation_steps``) on ``execution`` (default: one
    worker, this process), whose outcomes merge into one report. Their work folder, beside
    the export, is kept for ``--resume`` when tasks did not finish. None when the steps were
    submitted to Slurm (``--resume`` reports once they are done)."""
    execution = execution or Execution(workers=1)
    work = directory.parent / f".{directory.name}{VALIDATION_WORK_SUFFIX}"
    if not execution.resume:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    runner = Runner()
    manifest = _read_manifest(directory)
    shards = check_files(runner, directory, manifest)
    plan = ValidationPlan(work, plan_parts(shards), today or dt.date.today(),
                                sum(pq.ParquetFile(s.path).metadata.num_rows for s in shards))
    planned_run(work, hashlib.sha256(repr((plan, [
        s.path.stat().st_mtime_ns for s in shards])).encode()).hexdigest(), "validate")
    write_corpus(plan, check_corpus(runner, [s for s in shards if s.table == "documents"]))
    if not run_steps(plan, execution):
        return None
    tasks_outcomes, fingerprints = merged_outcomes(plan)
    check_tables(runner, fingerprints, manifest, shards)
    report = runner.report(directory)
    for outcomes in tasks_outcomes:
        for outcome, later in zip(report.outcomes, outcomes, strict=True):
            outcome.absorb(later)
    report.stats = step_stats(work, STEPS)
    shutil.rmtree(work, ignore_errors=True)
    return report


# ------------------------------------------------------------------ the command
