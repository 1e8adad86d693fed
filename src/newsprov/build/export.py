"""The release's tables and their publication: corpus + gold annotations -> versioned
Parquet release in ``data/`` (``build.pipeline`` runs the build, its tasks write with this
module's writers).

The export has one nested table (``documents``: one row per document with its annotations
as typed lists) and one flat table per annotation kind (one row per record), each written
per split into shards ``<table>/<split>-NNNNN-of-MMMMM-<hash>.parquet``, plus
``manifest.json``.

Builds are deterministic (same inputs, same bytes: rows in document-id order, no
timestamps) and atomic: everything is written to a staging directory beside ``data/``,
validated, and only then published (``newsprov.build.publication``); a failure leaves the
previous export untouched.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsprov.build.execution import Execution
from newsprov.core import schema
from newsprov.core.errors import Failure, InputError
from newsprov.core.files import file_sha256
from newsprov.core.layout import MANIFEST, VALIDATION_REPORT
from newsprov.core.schema import AnnotationFile
from newsprov.store.corpus import Document
from newsprov.store.release import Release, read_manifest

PARQUET_METADATA_KEY = b"newsprov"
BATCH_DOCUMENTS = 256             # documents of a split converted and written at a time
ROW_GROUP_ROWS = 50_000           # readers skip row groups by their statistics
ROW_GROUP_BYTES = 2 << 20         # Arrow bytes of a writer's rows gathered for one row group
SHARD_ROWS = {"documents": 20_000}  # documents carry the text: smaller shards
DEFAULT_SHARD_ROWS = 1_000_000
GC_ALLOCATIONS = 10_000           # see rare_garbage_collection
SHARD_HASH_DIGITS = 16            # of the shard's sha256, in its name
T = TypeVar("T")










# ------------------------------------------------------------------ rows


def document_row(document: Document, annotations: AnnotationFile, split: str) -> dict:
    metadata = {("doc_id" if k == "id" else k): v for k, v in document.metadata.items()}
    return {**metadata, "split": split, "text": document.text,
            "annotation_status": schema.annotation_status(annotations),
            "authorship": annotations["authorship"],
            **{kind: annotations[kind] for kind in schema.ANNOTATION_KINDS}}


def arrow_tables(rows: list[dict]) -> Iterator[tuple[str, pa.Table]]:
    """The documents table of these rows, then the flat table of each annotation kind."""
    return exploded(pa.Table.from_pylist(rows, schema=schema.TABLES["documents"]))


def exploded(documents: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """A documents table, then the flat table of each annotation kind."""
    yield "documents", documents
    for kind in schema.ANNOTATION_KINDS:
        yield kind, flat_table(documents, kind)


def flat_table(documents: pa.Table, kind: str) -> pa.Table:
    """One row per record of ``kind``: the documents' list column exploded in Arrow, with
    doc_id and split in front (no second conversion of the records from Python)."""
    column = documents.column(kind).combine_chunks()
    parents = pc.list_parent_indices(column)
    fields = pc.list_flatten(column).flatten()
    front = [documents.column(name).take(parents) for name in ("doc_id", "split")]
    return pa.Table.from_arrays([*front, *fields], schema=schema.TABLES[kind])


# ------------------------------------------------------------------ writing


class ShardedWriter:
    """Writes one table of one split as shards of at most ``shard_rows`` rows.

    Rows are gathered until they make a row group (``ROW_GROUP_ROWS`` rows or
    ``ROW_GROUP_BYTES``): a Parquet writer keeps each row group's metadata (about 10 KB)
    until the shard closes, and a batch of a sparse table (document flags: one row per
    document) would otherwise make a row group of a few hundred rows, so that its shard's
    metadata grew with the corpus."""

    def __init__(self, directory: Path, table: str, split: str, metadata: dict) -> None:
        self.directory = directory / table
        self.table = table
        self.split = split
        self.schema = schema.TABLES[table].with_metadata(
            {PARQUET_METADATA_KEY: json.dumps({**metadata, "table": table, "split": split},
                                              sort_keys=True).encode()})
        self.shard_rows = SHARD_ROWS.get(table, DEFAULT_SHARD_ROWS)
        self.shards: list[tuple[Path, int]] = []
        self.writer: pq.ParquetWriter | None = None
        self.rows_in_shard = 0
        self.gathered: list[pa.Table] = []

    def write(self, table: pa.Table) -> None:
        self.gathered.append(table)
        if sum(t.num_rows for t in self.gathered) >= ROW_GROUP_ROWS or \
                sum(t.nbytes for t in self.gathered) >= ROW_GROUP_BYTES:
            self._write_gathered()

    def _write_gathered(self) -> None:
        table = pa.concat_tables(self.gathered).combine_chunks()
        self.gathered = []
        while table.num_rows:
            if self.writer is None or self.rows_in_shard >= self.shard_rows:
                self._open_shard()
            room = self.shard_rows - self.rows_in_shard
            chunk, table = table.slice(0, room), table.slice(room)
            assert self.writer is not None
            self.writer.write_table(chunk, row_group_size=ROW_GROUP_ROWS)
            self.rows_in_shard += chunk.num_rows
            self.shards[-1] = (self.shards[-1][0], self.rows_in_shard)

    def _open_shard(self) -> None:
        self._close_shard()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.split}-{len(self.shards):05d}.partial"
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd",
                                       write_statistics=True)
        self.shards.append((path, 0))
        self.rows_in_shard = 0

    def _close_shard(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def finish(self) -> list[tuple[Path, int]]:
        """Write what is gathered and close: the shards written, unnamed, with their rows."""
        if self.gathered:
            self._write_gathered()
        self._close_shard()
        return self.shards

    def close(self) -> list[dict]:
        """Close, name the shards and describe them for the manifest."""
        return name_shards(self.directory, self.table, self.split, self.finish())


def shard_file_name(split: str, index: int, count: int, sha256: str) -> str:
    """``<split>-NNNNN-of-MMMMM-<hash>.parquet``: the content's hash in the name makes a
    changed shard a new file, so that no cache keyed on file names (as `datasets` is, for a
    local folder) can serve the old rows, and publication never overwrites a file in use."""
    return f"{split}-{index:05d}-of-{count:05d}-{sha256[:SHARD_HASH_DIGITS]}.parquet"


def name_shards(directory: Path, table: str, split: str, shards: list[tuple[Path, int]]
                ) -> list[dict]:
    """Rename the written shards of one table and split (in their order, all in
    ``directory``) to their release names; their manifest entries."""
    entries = []
    for index, (partial, rows) in enumerate(shards):
        sha256 = file_sha256(partial)
        path = directory / shard_file_name(split, index, len(shards), sha256)
        os.rename(partial, path)
        entries.append({"path": str(path.relative_to(directory.parent)),
                        "table": table, "split": split, "rows": rows,
                        "bytes": path.stat().st_size, "sha256": sha256})
    return entries


def export_metadata(release: Release) -> dict[str, str]:
    """What every Parquet file of an export is stamped with."""
    return {"dataset_version": release.version, "schema_version": schema.SCHEMA_VERSION}


def write_tables(items: Iterable[tuple[Document, AnnotationFile, str]], directory: Path,
                 metadata: dict[str, str]) -> dict[tuple[str, str], ShardedWriter]:
    """Write all tables of all splits of these documents into ``directory``; the writers,
    by table and split, to be finished."""
    rows = ((split, document_row(document, annotation_file, split))
            for document, annotation_file, split in items)
    return write_document_tables(
        ((split, pa.Table.from_pylist(batch, schema=schema.TABLES["documents"]))
         for split, batch in batched_by_split(rows)), directory, metadata)


def batched_by_split(items: Iterable[tuple[str, T]]) -> Iterator[tuple[str, list[T]]]:
    """The items of each split in batches of ``BATCH_DOCUMENTS``, each given when it is
    full, the rest at the end (the order decides the export's row groups, so its bytes)."""
    pending: dict[str, list[T]] = {}
    for split, item in items:
        batch = pending.setdefault(split, [])
        batch.append(item)
        if len(batch) == BATCH_DOCUMENTS:
            yield split, pending.pop(split)
    yield from pending.items()


def write_document_tables(batches: Iterable[tuple[str, pa.Table]], directory: Path,
                          metadata: dict[str, str]) -> dict[tuple[str, str], ShardedWriter]:
    """Write batches of the documents table (``batched_by_split``) and the flat tables
    exploded from them into ``directory``; the writers, by table and split, to be finished."""
    writers: dict[tuple[str, str], ShardedWriter] = {}

    def write(table_name: str, split: str, table: pa.Table) -> None:
        if table.num_rows:
            if (table_name, split) not in writers:
                writers[table_name, split] = ShardedWriter(directory, table_name, split,
                                                           metadata)
            writers[table_name, split].write(table)

    for split, documents in batches:
        for table_name, table in exploded(documents):
            write(table_name, split, table)
    return writers


def write_export(items: Iterable[tuple[Document, AnnotationFile, str]], directory: Path,
                 release: Release) -> dict[str, Any]:
    """Write all tables of all splits into ``directory``; return the manifest."""
    writers = write_tables(items, directory, export_metadata(release))
    files = [entry for key in sorted(writers) for entry in writers[key].close()]
    return write_manifest(directory, files, release)


def write_manifest(directory: Path, files: list[dict], release: Release) -> dict[str, Any]:
    tables: dict[str, dict[str, int]] = {}
    for entry in files:
        split_rows = tables.setdefault(entry["table"], {})
        split_rows[entry["split"]] = split_rows.get(entry["split"], 0) + entry["rows"]
    manifest = {"dataset": "newsprov", **export_metadata(release), "release_date": release.date,
                "tables": tables, "files": files}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def check_not_overwriting_release(data_dir: Path, manifest: dict, release: Release) -> None:
    path = data_dir / MANIFEST
    previous = read_manifest(data_dir)
    if previous is None:  # nothing readable to protect: the build restores the release
        return
    same_version = previous.get("dataset_version") == release.version
    if same_version and release.released and previous.get("files") != manifest["files"]:
        raise InputError(path, release.version,
                         "data/ holds released version with different content; bump the "
                         "version in release.json and add a CHANGELOG.md entry",
                         check="released-version-changed")




@contextlib.contextmanager
def rare_garbage_collection() -> Iterator[None]:
    """Parsed files are trees without reference cycles, freed by reference counting: the
    cycle collector's default pass every 700 allocations only costs time (a fifth of a
    build), so it runs a few times less often while the corpus streams through."""
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_ALLOCATIONS, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def validate_staged_export(directory: Path, out: Path, execution: Execution) -> None:
    """Run the Great Expectations suites on ``execution`` and write their report and
    statistics beside ``out``; an export that fails is not published."""
    # Imported here: Great Expectations takes seconds to import, and --no-validate skips it.
    from newsprov.build.validation import validate_export

    report = validate_export(directory, execution=execution)
    if report is None:
        raise Failure("the validation was submitted to Slurm; run the build again with "
                      "--resume once its jobs are done")
    report = replace(report, directory=out)  # its future name
    report.write(out.parent / VALIDATION_REPORT)
    if not report.success:
        raise Failure(
            f"the export fails its expectations; nothing was published\n{report.summary()}"
            f"\nreport: {out.parent / VALIDATION_REPORT}")
