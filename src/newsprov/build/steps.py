"""The build's pipeline steps on datatrove, one job each, run by any datatrove executor.

    1. ``ReadDocuments`` (one task per input range): read each document with its gold file,
       once; check each on its own (a gold file against its document only; a collection's
       gold shard on Arrow columns, ``build.columns``, record by record if they find a
       problem, which the per-record checks then name); write the task's
       documents table (Arrow IPC, annotations as typed lists), a small index of the task (id,
       story, source, location) and the record ids that another document could also use.
    2. ``CheckCorpus`` (one task): over the index columns only, the checks across documents:
       ids unique, ``derived_from`` resolving within the story, splits by story; write each
       document's split and where its source is.
    3. ``ExportDocuments`` (one task per input range): check the task's derived documents
       against their sources (read from their tasks' tables: text and event ids), write the
       task's part of every table from its documents table.
    4. ``CheckRecordIds`` (one task): those record ids are unique across the corpus.

A task's outputs depend only on its input range, never on the worker that runs it, so the
export is the same whatever the executor. A step does not raise on bad input: it records the
error (``errors/``) for the build to report in one line (an exception would cross process
and Ray boundaries as a traceback), and the later steps do nothing. A broken gold file is
found in step 1 but reported in step 3 (as before the steps read each input once: after the
checks across documents); its task then writes no table.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq
from tqdm import tqdm

from newsprov.build.columns import foreign_records_in_columns, gold_columns
from newsprov.build.export import (
    BATCH_DOCUMENTS,
    batched_by_split,
    document_row,
    export_metadata,
    rare_garbage_collection,
    write_document_tables,
)
from newsprov.build.inputs import Entry, ShardRange, TaskInput
from newsprov.build.plan_step import PlanStep, record_error
from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.files import write_atomic
from newsprov.core.layout import SPLIT_PLAN
from newsprov.store.annotations import (
    check_against_source,
    check_annotation_file,
    empty_annotations,
    raw_record_ids,
    record_owner,
    records,
)
from newsprov.store.corpus import Document, check_derivation, sorted_range
from newsprov.store.release import Release, released_splits
from newsprov.store.shards import shard_bytes
from newsprov.store.splits import assign_splits, read_split_plan

INDEX_SCHEMA = pa.schema([("doc_id", pa.string()), ("story_group", pa.string()),
                          ("derived_from", pa.string()), ("where", pa.string())])
SPLITS_SCHEMA = pa.schema([("rank", pa.int32()), ("index", pa.int32()), ("doc_id", pa.string()),
                           ("split", pa.string()), ("source_rank", pa.int32())])
RECORDS_SCHEMA = pa.schema([("id", pa.string()), ("doc_id", pa.string()),
                            ("where", pa.string())])
DOCUMENTS_SCHEMA = schema.TABLES["documents"]
# A task's documents table before its splits are known (step 3 sets them), with where each
# gold file is, for the errors of the later checks.
TASK_TABLE_SCHEMA = DOCUMENTS_SCHEMA.append(pa.field("gold_where", pa.string()))
UNSPLIT = ""
# The fields of the records a derived document's source is checked against (the last one
# null: the record refers to nothing), in the check's order of kinds.
_REFERENCE_FIELDS = {"events": ("id", "source_event_id"), "claims": ("id", "evidence")}
SOURCE_REFERENCES = {kind: _REFERENCE_FIELDS[kind] for kind in schema.ANNOTATION_KINDS
                     if kind in _REFERENCE_FIELDS}


@dataclass(frozen=True)
class BuildPlan:
    """Everything a task needs, picklable: the inputs by rank and where outputs go."""

    root: Path
    work: Path                      # the build's work folder
    out: Path                       # the export folder (its released splits)
    tasks: tuple[TaskInput, ...]
    release: Release
    today: dt.date

    def index_file(self, rank: int) -> Path:
        return self.work / "index" / f"{rank:05d}.parquet"

    def table_file(self, rank: int) -> Path:
        return self.work / "documents" / f"{rank:05d}.arrow"

    def broken_gold_file(self, rank: int) -> Path:
        return self.work / "broken-gold" / f"{rank:05d}.json"

    @property
    def splits_file(self) -> Path:
        return self.work / "splits.parquet"

    def parts_dir(self, rank: int) -> Path:
        return self.work / "parts" / f"{rank:05d}"

    def records_file(self, rank: int) -> Path:
        return self.work / "records" / f"{rank:05d}.parquet"

    def error_file(self, step: str, rank: int) -> Path:
        return self.work / "errors" / f"{step}-{rank:05d}.json"

    def recorded_errors(self) -> list[Path]:
        return sorted((self.work / "errors").glob("*.json"))


def write_through_partial(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` the file under a temporary name, then rename it: a killed task leaves no
    file that looks finished."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    write(partial)
    partial.rename(path)


def write_parquet(table: pa.Table, path: Path) -> None:
    write_through_partial(path, lambda partial: pq.write_table(table, partial,
                                                               compression="zstd"))


def write_task_table(table: pa.Table, path: Path) -> None:
    """A task's documents table, in Arrow's IPC format with LZ4: step 3 reads it back whole,
    and for 2,500 documents that takes 0.045 s to write and 0.017 s to read against 0.12 s
    and 0.09 s as zstd Parquet, for 20 MB of work folder instead of 4.5 MB."""
    write_through_partial(path, lambda partial: feather.write_feather(table, partial,
                                                                      compression="lz4"))


def read_task_table(path: Path, columns: list[str] | None = None,
                    ids: list[str] | None = None) -> pa.Table:
    """A task's documents table (``write_task_table``): these columns, these documents."""
    table = feather.read_table(path, columns=columns, memory_map=True)
    return table if ids is None else table.filter(pc.field("doc_id").isin(ids))


class BuildStep(PlanStep):
    """A step of the build: runs ``work(rank)`` unless an earlier step found bad input, and
    records bad input instead of raising it."""

    type = "newsprov build"
    plan: BuildPlan
    across_inputs = False       # one task for the whole input, not one per input range

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        if self.plan.recorded_errors():
            return
        try:
            with self.track_time(unit="task"):
                self.work(rank)
        except InputError as error:
            record_error(self.plan.error_file(self.name, rank), error)
            self.stat_update("input errors")
        yield from ()

    def work(self, rank: int) -> None:
        raise NotImplementedError

    def progress(self, entries: Iterator[Entry], rank: int) -> Iterator[Entry]:
        """A progress bar per task on a terminal only (disable=None): logs stay quiet."""
        return tqdm(entries, desc=f"{self.name} task {rank}", unit=" documents",
                    disable=None, leave=False)


class OtherDocument(Exception):
    """A gold file names a document other than its own: which error that is depends on the
    whole corpus's ids (step 3 tells)."""


class OwnDocument(Mapping[str, Document]):
    """The corpus as step 1 checks a gold file against: its own document only."""

    def __init__(self, document: Document) -> None:
        self.document = document

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id != self.document.id:
            raise OtherDocument(doc_id)
        return self.document

    def __iter__(self) -> Iterator[str]:
        return iter((self.document.id,))

    def __len__(self) -> int:
        return 1


def checked_gold(entry: Entry, corpus: Mapping[str, Document]) -> Any:
    """The entry's gold file checked against its document (not yet against its source)."""
    data = entry.gold()
    assert entry.document is not None       # a gold line past the documents raised above
    if data is None:
        return empty_annotations(entry.document)
    return check_annotation_file(data, entry.gold_where, corpus, name=entry.document.id,
                                 against_source=False)


@dataclass
class TaskRead:
    """What step 1 makes of a task's input."""

    index: list[dict[str, Any]]          # a row of INDEX_SCHEMA per document
    table: pa.Table | None               # TASK_TABLE_SCHEMA; None: a gold file is broken
    foreign: list[dict[str, str]]        # records for step 4 (``foreign_records``)
    broken_gold: int | None = None       # the first entry whose gold file is broken


class ReadDocuments(BuildStep):
    name = "1 read documents"

    def work(self, rank: int) -> None:
        task = self.plan.tasks[rank]
        read = self.read_by_columns(task, rank) if isinstance(task, ShardRange) else None
        if read is None:
            read = self.read_by_records(task, rank)
            self.stat_update("documents checked record by record", value=len(read.index))
        else:
            self.stat_update("documents checked on columns", value=len(read.index))
        self.stat_update("documents", value=len(read.index))
        write_parquet(pa.Table.from_pylist(read.index, schema=INDEX_SCHEMA),
                      self.plan.index_file(rank))
        if read.table is None:
            write_atomic(self.plan.broken_gold_file(rank), json.dumps(read.broken_gold))
            return
        write_task_table(read.table, self.plan.table_file(rank))
        write_parquet(pa.Table.from_pylist(read.foreign, schema=RECORDS_SCHEMA),
                      self.plan.records_file(rank))

    def read_by_columns(self, task: ShardRange, rank: int) -> TaskRead | None:
        """A shard with its gold shard checked on Arrow columns (``build.columns``); None
        when those checks send it to ``read_by_records``."""
        entries = list(self.progress(task.entries(self.plan.today, with_gold=False), rank))
        documents = [entry.document for entry in entries if entry.document is not None]
        gold = task.gold_shard
        columns = gold_columns(documents, shard_bytes(gold) if gold.is_file() else None,
                               self.plan.today)
        if columns is None:
            return None
        rows = [{**document_row(document, empty_annotations(document), UNSPLIT),
                 "gold_where": entry.gold_where}
                for entry, document in zip(entries, documents, strict=True)]
        read_columns = pa.schema([field for field in TASK_TABLE_SCHEMA
                                  if field.name not in columns])
        read = pa.Table.from_pylist(rows, schema=read_columns)
        table = pa.Table.from_arrays([columns[name] if name in columns else read[name]
                                      for name in TASK_TABLE_SCHEMA.names],
                                     schema=TASK_TABLE_SCHEMA)
        return TaskRead([index_row(entry) for entry in entries], table,
                        foreign_records_in_columns(documents, columns,
                                                [entry.gold_where for entry in entries]))

    def read_by_records(self, task: TaskInput, rank: int) -> TaskRead:
        """Each document's gold file checked on its own, record by record."""
        read = TaskRead([], None, [])
        batches: list[pa.Table] = []
        rows: list[dict] = []
        with rare_garbage_collection():
            for entry in self.progress(task.entries(self.plan.today), rank):
                if entry.document is not None:
                    read.index.append(index_row(entry))
                if read.broken_gold is not None:
                    continue                        # its documents are still checked
                try:
                    annotations = checked_gold(entry, OwnDocument(entry.document))
                except (InputError, OtherDocument):
                    read.broken_gold = entry.index
                    continue
                rows.append({**document_row(entry.document, annotations, UNSPLIT),
                             "gold_where": entry.gold_where})
                read.foreign += foreign_records(entry, annotations)
                if len(rows) == BATCH_DOCUMENTS:
                    batches.append(pa.Table.from_pylist(rows, schema=TASK_TABLE_SCHEMA))
                    rows = []
        if read.broken_gold is None:
            batches.append(pa.Table.from_pylist(rows, schema=TASK_TABLE_SCHEMA))
            read.table = pa.concat_tables(batches)
        return read


def index_row(entry: Entry) -> dict[str, Any]:
    assert entry.document is not None
    metadata = entry.document.metadata
    return {"doc_id": entry.document.id, "story_group": metadata["story_group"],
            "derived_from": metadata["derived_from"], "where": entry.where}


def foreign_records(entry: Entry, annotations: Any) -> list[dict]:
    """Records whose id is not of the form ``<own doc_id>:<suffix>`` (step 4 checks them)."""
    assert entry.document is not None
    return [{"id": record["id"], "doc_id": entry.document.id, "where": entry.gold_where}
            for _, record in records(annotations)
            if record_owner(record["id"]) != entry.document.id]


class CheckCorpus(BuildStep):
    """The checks across documents, on the index columns (about 100 bytes a document)."""

    name = "2 check corpus"
    across_inputs = True

    def work(self, rank: int) -> None:
        index = self.index()
        order = pc.sort_indices(index, [("doc_id", "ascending"), ("rank", "ascending"),
                                        ("index", "ascending")])
        index = index.take(order)
        ids, wheres = (index[name].combine_chunks() for name in ("doc_id", "where"))
        check_unique_ids(ids, wheres)
        id_list = ids.to_pylist()  # made once: 70 MB of strings at 1,000,000 documents
        stubs = {doc_id: Document({"id": doc_id, "story_group": story, "derived_from": source},
                                  "")
                 for doc_id, story, source in zip(id_list, index["story_group"].to_pylist(),
                                                  index["derived_from"].to_pylist(),
                                                  strict=True)}
        for row, document in enumerate(stubs.values()):  # the ids are unique: row order
            if document.derived_from is not None:
                check_derivation(document, stubs, wheres[row].as_py())
        splits = assign_splits(stubs, read_split_plan(self.plan.root / SPLIT_PLAN),
                               released_splits(self.plan.out))
        source_row = pc.index_in(index["derived_from"], value_set=ids)
        table = pa.table({
            "rank": index["rank"], "index": index["index"], "doc_id": ids,
            "split": pa.array([splits[doc_id] for doc_id in id_list], pa.string()),
            "source_rank": index["rank"].take(source_row)}, schema=SPLITS_SCHEMA)
        write_parquet(table, self.plan.splits_file)
        self.stat_update("documents", value=len(stubs))

    def index(self) -> pa.Table:
        tables = []
        for rank in range(len(self.plan.tasks)):
            table = pq.read_table(self.plan.index_file(rank))
            tables.append(table.append_column("rank", pa.array([rank] * len(table), pa.int32()))
                          .append_column("index", pa.array(range(len(table)), pa.int32())))
        return pa.concat_tables(tables)


def check_unique_ids(sorted_ids: pa.Array, wheres: pa.Array) -> None:
    """Ids sorted: a duplicate sits next to its twin."""
    if len(sorted_ids) < 2:
        return
    same = pc.equal(sorted_ids.slice(1), sorted_ids.slice(0, len(sorted_ids) - 1))
    duplicates = pc.indices_nonzero(same)
    if len(duplicates):
        at = duplicates[0].as_py()
        raise InputError(wheres[at + 1].as_py(), sorted_ids[at].as_py(),
                         f"document id also used at {wheres[at].as_py()}",
                         check="document-id-duplicate")


class Neighbourhood(Mapping[str, Document]):
    """The corpus as a gold file's check sees it: its own document, the document's source,
    and, for ids of other documents (only ever asked about on the way to an error), an
    empty stand-in found in the id list."""

    def __init__(self, documents: dict[str, Document], all_ids: Any) -> None:
        self.documents = documents
        self.all_ids = all_ids

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id in self.documents:
            return self.documents[doc_id]
        if isinstance(doc_id, str) and len(sorted_range(self.all_ids(), doc_id, doc_id)):
            return Document({"id": doc_id}, "")
        raise KeyError(doc_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)


class ExportDocuments(BuildStep):
    name = "3 export documents"

    def work(self, rank: int) -> None:
        plan = self.plan
        if plan.broken_gold_file(rank).is_file():
            self.raise_broken_gold(rank)
        mine = pq.read_table(plan.splits_file, filters=[("rank", "=", rank)]).sort_by("index")
        documents = read_task_table(plan.table_file(rank))
        self.check_against_sources(documents, mine)
        documents = documents.select(DOCUMENTS_SCHEMA.names)
        parts = plan.parts_dir(rank)
        shutil.rmtree(parts, ignore_errors=True)       # a killed run's leftovers
        split_of = mine["split"].to_pylist()
        batches = ((split, with_split(documents.take(indices), split))
                   for split, indices in batched_by_split(zip(split_of, range(len(split_of)),
                                                              strict=True)))
        writers = write_document_tables(batches, parts, export_metadata(plan.release))
        shards = {f"{table}/{split}": [(str(path.relative_to(parts)), rows)
                                       for path, rows in writer.finish()]
                  for (table, split), writer in writers.items()}
        (parts / "shards.json").write_text(json.dumps(shards, sort_keys=True), encoding="utf-8")
        self.stat_update("documents", value=documents.num_rows)
        self.stat_update("records", value=sum(
            pc.sum(pc.list_value_length(documents[kind])).as_py() or 0
            for kind in schema.ANNOTATION_KINDS))

    def raise_broken_gold(self, rank: int) -> None:
        """Check the broken gold file again, now against the corpus's ids: it raises."""
        broken = json.loads(self.plan.broken_gold_file(rank).read_text(encoding="utf-8"))
        for entry in self.plan.tasks[rank].entries(self.plan.today):
            if entry.index == broken:
                own = {entry.document.id: entry.document} if entry.document else {}
                checked_gold(entry, Neighbourhood(own, self.all_ids))
        raise AssertionError(f"the gold file of entry {broken} of task {rank} passed again")

    def check_against_sources(self, documents: pa.Table, mine: pa.Table) -> None:
        """The derived documents' events and claims against their sources' event ids and
        text (read from the sources' tasks' tables, only those rows and columns)."""
        derived = documents.take(pc.indices_nonzero(pc.is_valid(mine["source_rank"])))
        if not derived.num_rows:
            return
        source_ids = derived["derived_from"].to_pylist()
        sources = self.sources(zip(mine["source_rank"].drop_null().to_pylist(), source_ids,
                                   strict=True))
        referring = {kind: records_by_document(derived[kind], fields, derived.num_rows)
                     for kind, fields in SOURCE_REFERENCES.items()}
        for row, (where, source_id) in enumerate(zip(derived["gold_where"].to_pylist(),
                                                     source_ids, strict=True)):
            if source_id not in sources:
                continue        # its task's gold is broken: that task reports it
            text, event_ids = sources[source_id]
            check_against_source(where, ((kind, record) for kind in SOURCE_REFERENCES
                                         for record in referring[kind][row]),
                                 source_id, text, event_ids)

    def sources(self, located: Iterator[tuple[int, str]]) -> dict[str, tuple[str, set[str]]]:
        """Text and event ids of these sources (task rank, id), by id, from their tasks'
        tables (only those rows and columns)."""
        wanted: dict[int, set[str]] = {}
        for r, doc_id in located:
            wanted.setdefault(r, set()).add(doc_id)
        found: dict[str, tuple[str, set[str]]] = {}
        for r, ids in sorted(wanted.items()):
            path = self.plan.table_file(r)
            if not path.is_file():
                continue
            table = read_task_table(path, ["doc_id", "text", "events"], sorted(ids))
            events = records_by_document(table["events"], ("id",), table.num_rows)
            for doc_id, text, own in zip(table["doc_id"].to_pylist(),
                                         table["text"].to_pylist(), events, strict=True):
                found[doc_id] = (text, {event["id"] for event in own})
        return found

    def all_ids(self) -> pa.Array:
        ids = pq.read_table(self.plan.splits_file, columns=["doc_id"])["doc_id"]
        return ids.combine_chunks().take(pc.array_sort_indices(ids))


def records_by_document(column: pa.ChunkedArray, fields: tuple[str, ...], documents: int
                        ) -> list[list[dict[str, Any]]]:
    """The records of a list column, per document, with only these fields; with more than
    one field, records whose last field is null are left out."""
    lists = column.combine_chunks()
    parents = pc.list_parent_indices(lists)
    flat = pc.list_flatten(lists)
    table = pa.table({name: pc.struct_field(flat, name) for name in fields})
    if len(fields) > 1:
        keep = pc.is_valid(table[fields[-1]])
        table, parents = table.filter(keep), parents.filter(keep)
    grouped: list[list[dict[str, Any]]] = [[] for _ in range(documents)]
    for parent, record in zip(parents.to_pylist(), table.to_pylist(), strict=True):
        grouped[parent].append(record)
    return grouped


def with_split(documents: pa.Table, split: str) -> pa.Table:
    field = DOCUMENTS_SCHEMA.field("split")
    return documents.set_column(DOCUMENTS_SCHEMA.get_field_index("split"), field,
                                pa.array([split] * documents.num_rows, field.type))


class CheckRecordIds(BuildStep):
    """Record ids not of the form ``<own doc_id>:<suffix>`` are unique across the corpus and
    do not clash with an id of the document they name."""

    name = "4 check record ids"
    across_inputs = True

    def work(self, rank: int) -> None:
        foreign = pa.concat_tables(pq.read_table(self.plan.records_file(r))
                                   for r in range(len(self.plan.tasks)))
        first_use: dict[str, str] = {}
        for record_id, where in zip(foreign["id"].to_pylist(), foreign["where"].to_pylist(),
                                    strict=True):
            first = first_use.setdefault(record_id, where)
            if first != where:
                raise_duplicate(record_id, first, where)
        self.check_owners(first_use)

    def check_owners(self, first_use: dict[str, str]) -> None:
        """An id naming another document clashes when that document uses it itself."""
        owners: dict[str, list[str]] = {}
        for record_id in first_use:
            if (owner := record_owner(record_id)) is not None:
                owners.setdefault(owner, []).append(record_id)
        if not owners:
            return
        table = pq.read_table(self.plan.splits_file, columns=["doc_id", "rank"])
        located = table.filter(pc.is_in(table["doc_id"], pa.array(list(owners), pa.string())))
        wanted: dict[int, list[str]] = {}
        for doc_id, r in zip(located["doc_id"].to_pylist(), located["rank"].to_pylist(),
                             strict=True):
            wanted.setdefault(r, []).append(doc_id)
        for r, doc_ids in sorted(wanted.items()):
            owned = read_task_table(self.plan.table_file(r),
                                    ["doc_id", "gold_where", *schema.ANNOTATION_KINDS], doc_ids)
            for row in owned.to_pylist():
                own = raw_record_ids(row)
                for record_id in owners[row["doc_id"]]:
                    if record_id in own:
                        raise_duplicate(record_id, row["gold_where"], first_use[record_id])


def raise_duplicate(record_id: str, where: str, other: str) -> None:
    first, second = sorted((where, other))
    raise InputError(second, record_id, f"duplicate id: also used in {first}",
                     check="duplicate-record-id")


STEPS = (ReadDocuments, CheckCorpus, ExportDocuments, CheckRecordIds)
