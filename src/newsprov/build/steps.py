"""The build's pipeline steps on datatrove, one job each, run by any datatrove executor.

    1. ``IndexDocuments`` (one task per input range): read and check each document on its
       own; write a small index of the task (id, story, source, location).
    2. ``CheckCorpus`` (one task): over the index columns only, the checks across documents:
       ids unique, ``derived_from`` resolving within the story, splits by story; write each
       document's split and where its source is.
    3. ``ExportDocuments`` (one task per input range): check each gold file against its
       document (and its source, read by location), write the task's part of every table and
       the record ids that another document could also use.
    4. ``CheckRecordIds`` (one task): those record ids are unique across the corpus.

A task's outputs depend only on its input range, never on the worker that runs it, so the
export is the same whatever the executor. A step does not raise on bad input: it records the
error (``errors/``) for the build to report in one line (an exception would cross process
and Ray boundaries as a traceback), and the later steps do nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datatrove.pipeline.base import PipelineStep
from tqdm import tqdm

from newsprov.build.export import export_metadata, rare_garbage_collection, write_tables
from newsprov.build.inputs import Entry, TaskInput
from newsprov.core.errors import InputError
from newsprov.core.layout import SPLIT_PLAN
from newsprov.store.annotations import (
    check_annotation_file,
    empty_annotations,
    raw_record_ids,
    records,
)
from newsprov.store.corpus import Document, check_derivation, sorted_range
from newsprov.store.release import Release, released_splits
from newsprov.store.splits import assign_splits, read_split_plan

INDEX_SCHEMA = pa.schema([("doc_id", pa.string()), ("story_group", pa.string()),
                          ("derived_from", pa.string()), ("where", pa.string())])
SPLITS_SCHEMA = pa.schema([("rank", pa.int32()), ("index", pa.int32()), ("doc_id", pa.string()),
                           ("split", pa.string()), ("source_rank", pa.int32()),
                           ("source_index", pa.int32())])
RECORDS_SCHEMA = pa.schema([("id", pa.string()), ("doc_id", pa.string()),
                            ("where", pa.string())])


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


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write through a temporary name: a killed task leaves no file that looks finished."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(table, partial, compression="zstd")
    partial.rename(path)


def read_error(path: Path) -> InputError:
    data = json.loads(path.read_text(encoding="utf-8"))
    return InputError(data["file"], data["record"], data["problem"], check=data["check"])


class PlanStep(PipelineStep):
    """A datatrove step given its command's plan (picklable: it travels to the workers);
    subclasses name themselves with ``name`` and ``type``."""

    def __init__(self, plan: Any) -> None:
        super().__init__()
        self.plan = plan


class BuildStep(PlanStep):
    """A step of the build: runs ``work(rank)`` unless an earlier step found bad input, and
    records bad input instead of raising it."""

    type = "newsprov build"
    plan: BuildPlan

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        if self.plan.recorded_errors():
            return
        try:
            with self.track_time(unit="task"):
                self.work(rank)
        except InputError as error:
            path = self.plan.error_file(self.name, rank)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"file": error.file, "record": error.record,
                                        "problem": error.problem, "check": error.check}),
                            encoding="utf-8")
            self.stat_update("input errors")
        yield from ()

    def work(self, rank: int) -> None:
        raise NotImplementedError

    def progress(self, entries: Iterator[Entry], rank: int) -> Iterator[Entry]:
        """A progress bar per task on a terminal only (disable=None): logs stay quiet."""
        return tqdm(entries, desc=f"{self.name} task {rank}", unit=" documents",
                    disable=None, leave=False)


class IndexDocuments(BuildStep):
    name = "1 index documents"

    def work(self, rank: int) -> None:
        rows = []
        for entry in self.progress(self.plan.tasks[rank].entries(self.plan.today, gold=False),
                                   rank):
            metadata = entry.document.metadata
            rows.append({"doc_id": entry.document.id, "story_group": metadata["story_group"],
                         "derived_from": metadata["derived_from"], "where": entry.where})
            self.stat_update("documents")
        write_parquet(pa.Table.from_pylist(rows, schema=INDEX_SCHEMA),
                      self.plan.index_file(rank))


class CheckCorpus(BuildStep):
    """The checks across documents, on the index columns (about 100 bytes a document)."""

    name = "2 check corpus"

    def work(self, rank: int) -> None:
        index = self.index()
        order = pc.sort_indices(index, [("doc_id", "ascending"), ("rank", "ascending"),
                                        ("index", "ascending")])
        index = index.take(order)
        ids = index["doc_id"].combine_chunks()
        check_unique_ids(ids, index["where"].combine_chunks())
        stubs = {doc_id: Document({"id": doc_id, "story_group": story, "derived_from": source},
                                  "")
                 for doc_id, story, source in zip(ids.to_pylist(),
                                                  index["story_group"].to_pylist(),
                                                  index["derived_from"].to_pylist(),
                                                  strict=True)}
        wheres = dict(zip(ids.to_pylist(), index["where"].to_pylist(), strict=True))
        for document in stubs.values():
            if document.derived_from is not None:
                check_derivation(document, stubs, wheres[document.id])
        splits = assign_splits(stubs, read_split_plan(self.plan.root / SPLIT_PLAN),
                               released_splits(self.plan.out))
        location = {doc_id: (r, i) for doc_id, r, i in zip(
            ids.to_pylist(), index["rank"].to_pylist(), index["index"].to_pylist(), strict=True)}
        sources = [location.get(stubs[doc_id].derived_from, (None, None))
                   for doc_id in ids.to_pylist()]
        table = pa.table({
            "rank": index["rank"], "index": index["index"], "doc_id": ids,
            "split": pa.array([splits[doc_id] for doc_id in ids.to_pylist()], pa.string()),
            "source_rank": pa.array([r for r, _ in sources], pa.int32()),
            "source_index": pa.array([i for _, i in sources], pa.int32())},
            schema=SPLITS_SCHEMA)
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
        mine = pq.read_table(plan.splits_file, filters=[("rank", "=", rank)]).sort_by("index")
        split_of = mine["split"].to_pylist()
        sources = self.sources(mine)
        parts = plan.parts_dir(rank)
        shutil.rmtree(parts, ignore_errors=True)       # a killed run's leftovers
        foreign: list[dict] = []
        entries = self.progress(plan.tasks[rank].entries(plan.today, gold=True), rank)

        def items() -> Iterator[tuple[Document, Any, str]]:
            for entry in entries:
                annotations = self.checked(entry, sources, foreign)
                self.stat_update("documents")
                self.stat_update("records", value=sum(1 for _ in records(annotations)))
                yield entry.document, annotations, split_of[entry.index]

        with rare_garbage_collection():
            writers = write_tables(items(), parts, export_metadata(plan.release))
        shards = {f"{table}/{split}": [(str(path.relative_to(parts)), rows)
                                       for path, rows in writer.finish()]
                  for (table, split), writer in writers.items()}
        (parts / "shards.json").write_text(json.dumps(shards, sort_keys=True), encoding="utf-8")
        write_parquet(pa.Table.from_pylist(foreign, schema=RECORDS_SCHEMA),
                      plan.records_file(rank))

    def checked(self, entry: Entry, sources: dict[str, Entry], foreign: list[dict]) -> Any:
        document = entry.document
        if entry.annotations is None:
            return empty_annotations(document)
        source = sources.get(document.derived_from) if document.derived_from else None
        corpus = Neighbourhood({document.id: document,
                                **({source.document.id: source.document} if source else {})},
                               self.all_ids)
        source_annotations = {source.document.id: source.annotations or
                              empty_annotations(source.document)} if source else {}
        checked = check_annotation_file(entry.annotations, entry.annotations_where, corpus,
                                        source_annotations, name=document.id)
        for _, record in records(checked):
            if record["id"].rpartition(":")[0] != document.id:
                foreign.append({"id": record["id"], "doc_id": document.id,
                                "where": entry.annotations_where})
        return checked

    def sources(self, mine: pa.Table) -> dict[str, Entry]:
        """The source documents of this task's derived documents, with their gold files,
        read from their tasks' inputs (only the entries asked for are parsed)."""
        wanted: dict[int, set[int]] = {}
        for r, i in zip(mine["source_rank"].to_pylist(), mine["source_index"].to_pylist(),
                        strict=True):
            if r is not None:
                wanted.setdefault(r, set()).add(i)
        return {entry.document.id: entry
                for r, indices in sorted(wanted.items())
                for entry in self.plan.tasks[r].entries(self.plan.today, gold=True,
                                                        wanted=indices)}

    def all_ids(self) -> pa.Array:
        ids = pq.read_table(self.plan.splits_file, columns=["doc_id"])["doc_id"]
        return ids.combine_chunks().take(pc.array_sort_indices(ids))


class CheckRecordIds(BuildStep):
    """Record ids not of the form ``<own doc_id>:<suffix>`` are unique across the corpus and
    do not clash with an id of the document they name."""

    name = "4 check record ids"

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
            owner, colon, _ = record_id.rpartition(":")
            if colon:
                owners.setdefault(owner, []).append(record_id)
        if not owners:
            return
        table = pq.read_table(self.plan.splits_file, columns=["doc_id", "rank", "index"])
        located = table.filter(pc.is_in(table["doc_id"], pa.array(list(owners), pa.string())))
        wanted: dict[int, set[int]] = {}
        for r, i in zip(located["rank"].to_pylist(), located["index"].to_pylist(), strict=True):
            wanted.setdefault(r, set()).add(i)
        for r, indices in sorted(wanted.items()):
            for entry in self.plan.tasks[r].entries(self.plan.today, gold=True, wanted=indices):
                own = raw_record_ids(entry.annotations or {})
                for record_id in owners[entry.document.id]:
                    if record_id in own:
                        raise_duplicate(record_id, entry.annotations_where,
                                        first_use[record_id])


def raise_duplicate(record_id: str, where: str, other: str) -> None:
    first, second = sorted((where, other))
    raise InputError(second, record_id, f"duplicate id: also used in {first}",
                     check="duplicate-record-id")


STEPS = (IndexDocuments, CheckCorpus, ExportDocuments, CheckRecordIds)
