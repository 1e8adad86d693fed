"""The checks of a collection's gold shard on Arrow columns: pyarrow.compute over each
annotation kind's columns, not a Python walk of every record.

They are the quick path of the per-record checks (``store.annotations.check_annotation_file``
with ``against_source=False``), which stay the reference, as msgspec's shape is the quick
path of ``check_value``: a shard whose columns pass every check here is one the per-record
checks accept, record for record; anything flagged, or a line not in the form the collection
writer writes, sends the whole shard back to the per-record checks, which name the first
problem in their own words. So each message is written once, and the checks here only have
to find every problem, not describe it. The tests of bad input hold both paths to that: each
case breaks one thing, which only the per-record checks can report.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import json as pajson

from newsprov.core import schema
from newsprov.store.annotations import (
    EVIDENCE_NEEDED,
    FLAG_ATTRIBUTES,
    SPAN_KINDS,
)
from newsprov.store.corpus import Document, date_problem, is_blank, is_iso639_1

DOCUMENT_COLUMNS = schema.TABLES["documents"]
# An attributes line of the gold layer, typed from the export's columns.
GOLD_LINE = pa.struct([
    pa.field("id", pa.string(), nullable=False),
    pa.field("annotations", pa.struct([
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("text_sha256", pa.string(), nullable=False),
        DOCUMENT_COLUMNS.field("authorship"),
        *(DOCUMENT_COLUMNS.field(kind) for kind in schema.ANNOTATION_KINDS)]))])


def loosened(type_: pa.DataType) -> pa.DataType:
    """The type with every field nullable: pyarrow's JSON reader refuses a null struct
    whose fields are required (a null ``authorship``), so it reads this type, and the
    checks below hold the required fields."""
    if pa.types.is_struct(type_):
        return pa.struct([pa.field(f.name, loosened(f.type), True, f.metadata) for f in type_])
    if pa.types.is_list(type_):
        return pa.list_(pa.field(type_.value_field.name, loosened(type_.value_type)))
    return type_


READ_SCHEMA = pa.schema(list(loosened(GOLD_LINE)))
LINE_START = b'{"id": '          # the collection writer's: "id" first, then "annotations"


def gold_columns(documents: Sequence[Document], shard: bytes | None, today: dt.date
                 ) -> dict[str, pa.Array] | None:
    """The annotation columns of a shard's documents (``authorship``, ``annotation_status``
    and a list column per kind; a document without a gold file gets empty annotations) from
    the bytes of their gold shard (None: the collection has no gold layer); None when the
    per-record checks must read the shard."""
    if shard is None:
        return empty_columns(len(documents))
    lines = shard.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    if len(lines) != len(documents) or not all(line.startswith(LINE_START) for line in lines):
        return None
    try:
        table = pajson.read_json(io.BytesIO(shard), read_options=pajson.ReadOptions(
            use_threads=False, block_size=max(len(shard), 1 << 20)),
            parse_options=pajson.ParseOptions(explicit_schema=READ_SCHEMA,
                                              unexpected_field_behavior="error"))
    except pa.ArrowException:
        return None
    line = table.to_struct_array().combine_chunks()
    shape = Shape()
    if len(line) != len(documents) or not (
            shape.holds(line, pa.field("line", GOLD_LINE, nullable=False))
            and shape.nulls_written(shard) and belong(line, documents)):
        return None
    annotations = pc.struct_field(line, "annotations")
    if not Annotations(annotations, documents).pass_checks(today):
        return None
    authorship = retyped(pc.struct_field(annotations, "authorship"),
                         DOCUMENT_COLUMNS.field("authorship").type)
    return {"authorship": authorship,
            "annotation_status": pa.array(
                [schema.annotation_status({"authorship": judgement})
                 for judgement in authorship.to_pylist()],
                DOCUMENT_COLUMNS.field("annotation_status").type),
            **{kind: retyped(pc.fill_null(pc.struct_field(annotations, kind),
                                          pa.scalar([], loosened(column.type))), column.type)
               for kind in schema.ANNOTATION_KINDS
               for column in (DOCUMENT_COLUMNS.field(kind),)}}


class Shape:
    """What msgspec's shape holds for the per-record checks, on columns: required values
    not null, labels in their vocabulary, names not blank, and every key present (the JSON
    reader reads a missing key as null, which a nullable field allows: see ``nulls_written``)."""

    def __init__(self) -> None:
        self.nulls = 0               # nulls of nullable fields: written, or keys missing

    def holds(self, values: pa.Array, field: pa.Field) -> bool:
        """On the values of ``field`` where its parent is present."""
        if values.null_count:
            if not field.nullable:
                return False
            self.nulls += values.null_count
            values = values.filter(pc.is_valid(values))
        type_ = field.type
        vocabulary = schema.vocabulary_of(field)
        if pa.types.is_struct(type_):
            return all(self.holds(pc.struct_field(values, child.name), child) for child in type_)
        if pa.types.is_list(type_):       # items are required and carry the list's vocabulary
            item = type_.value_field.with_nullable(False).with_metadata(field.metadata)
            return self.holds(pc.list_flatten(values), item)
        if vocabulary is not None:
            return holds(pc.is_in(values, value_set=pa.array(vocabulary.names)))
        if field.name in schema.NAME_FIELDS:    # a letter or digit: not blank; else ask
            maybe_blank = pc.invert(pc.match_substring_regex(values, "[0-9A-Za-z]"))
            return not any(is_blank(name) for name in values.filter(maybe_blank).to_pylist())
        return True

    def nulls_written(self, shard: bytes) -> bool:
        """Every null was written as ``"key": null``, not left out. That text outside a
        string is a key (only schema names: the reader refused others) and a null; inside a
        string its quote is escaped (``\\": null``), which is subtracted."""
        return shard.count(b'": null') - shard.count(b'\\": null') == self.nulls


def belong(line: pa.StructArray, documents: Sequence[Document]) -> bool:
    """Each line is its document's, and so is its file (id and text hash)."""
    ids = pa.array([document.id for document in documents], pa.string())
    hashes = pa.array([document.metadata["sha256"] for document in documents], pa.string())
    files = pc.struct_field(line, "annotations")
    present = pc.is_valid(files)
    return (holds(pc.equal(pc.struct_field(line, "id"), ids))
            and holds(pc.equal(pc.struct_field(files, "doc_id"), ids).filter(present))
            and holds(pc.equal(pc.struct_field(files, "text_sha256"), hashes).filter(present)))


def retyped(array: pa.Array, type_: pa.DataType, nullable: bool = True) -> pa.Array:
    """The array as ``type_``, which it matches but for which fields may be null. A required
    field is null here only under a null parent (the checks saw to that), where the JSON
    reader leaves nulls that a cast or the Parquet writer refuses: they become empty values,
    which nothing reads (Parquet stores nothing under a null)."""
    if not nullable and array.null_count:
        array = pc.fill_null(array, pa.scalar(
            {} if pa.types.is_struct(type_) else [] if pa.types.is_list(type_)
            else "" if pa.types.is_string(type_) else 0, loosened(type_)))
    mask = pc.is_null(array) if array.null_count else None
    if pa.types.is_struct(type_):
        return pa.StructArray.from_arrays(
            [retyped(pc.struct_field(array, f.name), f.type, f.nullable) for f in type_],
            fields=list(type_), mask=mask)
    if pa.types.is_list(type_):
        return pa.ListArray.from_arrays(array.offsets, retyped(array.values, type_.value_type,
                                                               type_.value_field.nullable),
                                        type=type_, mask=mask)
    return array


def empty_columns(documents: int) -> dict[str, pa.Array]:
    return {name: pa.array([None] * documents if name == "authorship" else [[]] * documents,
                           DOCUMENT_COLUMNS.field(name).type)
            for name in ("authorship", "annotation_status", *schema.ANNOTATION_KINDS)}


def holds(mask: pa.Array | pa.ChunkedArray) -> bool:
    """Every value true (a null counts as false)."""
    return bool(pc.all(pc.fill_null(mask, False), min_count=0).as_py())


class Annotations:
    """The annotation files of a shard's documents as one struct column, and the checks of
    ``check_annotation_file`` on it, in the same terms."""

    def __init__(self, files: pa.StructArray, documents: Sequence[Document]) -> None:
        self.files = files
        self.documents = documents
        self.texts = [document.text for document in documents]
        self.derived_from = pa.array([document.derived_from for document in documents],
                                     pa.string())

    def records(self, kind: str) -> tuple[pa.Array, pa.StructArray]:
        """(the document of each record, by position) and the records of one kind."""
        lists = pc.struct_field(self.files, kind)
        return pc.list_parent_indices(lists), pc.list_flatten(lists)

    def pass_checks(self, today: dt.date) -> bool:
        records = {kind: self.records(kind) for kind in schema.ANNOTATION_KINDS}
        return (self.dates_pass(records, today) and self.ids_unique(records)
                and all(self.spans_match(*records[kind]) for kind in SPAN_KINDS)
                and self.events_pass(*records["events"], *records["mentions"])
                and self.span_flags_pass(*records["span_flags"])
                and self.claims_pass(*records["claims"]))

    def dates_pass(self, records: dict[str, tuple[pa.Array, pa.StructArray]],
                   today: dt.date) -> bool:
        """Provenance dates, each distinct one by the per-record checks' own rule."""
        authorship = pc.struct_field(self.files, "authorship").drop_null()
        dates = pa.chunked_array(
            [pc.struct_field(authorship, ["provenance", "date"]),
             *(pc.struct_field(found, ["provenance", "date"]) for _, found in records.values())],
            pa.string())
        return not any(date_problem(date, today) for date in pc.unique(dates).to_pylist())

    @staticmethod
    def ids_unique(records: dict[str, tuple[pa.Array, pa.StructArray]]) -> bool:
        """Record ids unique within each file, across its kinds; asked of the whole shard,
        where an id used by two files is an error too (step 4's)."""
        ids = pa.chunked_array([found.field("id") for _, found in records.values()],
                               pa.string())
        return pc.count_distinct(ids).as_py() == len(ids)

    def spans_match(self, parents: pa.Array, spans: pa.StructArray) -> bool:
        """Offsets in the text (code points) and the span's text equal to that slice."""
        texts = self.texts
        for document, start, end, text in zip(parents.to_pylist(),
                                              spans.field("start").to_pylist(),
                                              spans.field("end").to_pylist(),
                                              spans.field("text").to_pylist(), strict=True):
            whole = texts[document]
            if not 0 <= start < end <= len(whole) or whole[start:end] != text:
                return False
        return True

    def events_pass(self, parents: pa.Array, events: pa.StructArray,
                    mention_parents: pa.Array, mentions: pa.StructArray) -> bool:
        """Triggers in the text, arguments naming mentions of the same file, a source event
        only on a derived document."""
        if not self.spans_match(parents, events.field("trigger")):
            return False
        arguments = events.field("arguments")
        named = pa.table({"document": parents.take(pc.list_parent_indices(arguments)),
                          "id": pc.struct_field(pc.list_flatten(arguments), "mention_id")})
        known = pa.table({"document": mention_parents, "id": mentions.field("id")})
        if named.join(known, ["document", "id"], join_type="left anti").num_rows:
            return False
        derived = pc.is_valid(self.derived_from.take(parents))
        return holds(pc.or_(pc.is_null(events.field("source_event_id")), derived))

    def span_flags_pass(self, parents: pa.Array, flags: pa.StructArray) -> bool:
        """Each label's own attribute given and the others' not; foreign languages as ISO
        639-1 codes; a duplicate's first occurrence an earlier copy of its text."""
        label = flags.field("label")
        for attribute, owner in FLAG_ATTRIBUTES.items():
            if not holds(pc.not_equal(pc.is_null(flags.field(attribute)),
                                      pc.equal(label, owner))):
                return False
        foreign = flags.filter(pc.equal(label, "foreign_language"))
        if not all(is_iso639_1(code) for code in pc.unique(foreign.field("language")).to_pylist()):
            return False
        duplicate = pc.equal(label, "duplicate")
        duplicates = flags.filter(duplicate)
        for document, first, start, text in zip(parents.filter(duplicate).to_pylist(),
                                                duplicates.field("first_occurrence").to_pylist(),
                                                duplicates.field("start").to_pylist(),
                                                duplicates.field("text").to_pylist(), strict=True):
            if not (0 <= first < start and
                    self.texts[document][first:first + len(text)] == text):
                return False
        return True

    def claims_pass(self, parents: pa.Array, claims: pa.StructArray) -> bool:
        """Claims on derived documents only, naming its source; severity and error type
        exactly when not supported; evidence for a supported or contradicted claim."""
        source = self.derived_from.take(parents)
        supported = pc.equal(claims.field("support"), "supported")
        evidence_needed = pc.is_in(claims.field("support"), value_set=pa.array(EVIDENCE_NEEDED))
        return (holds(pc.equal(claims.field("source_doc_id"), source))
                and holds(pc.equal(supported, pc.is_null(claims.field("severity"))))
                and holds(pc.equal(supported, pc.is_null(claims.field("error_type"))))
                and holds(pc.or_(pc.invert(evidence_needed),
                                 pc.greater(pc.list_value_length(claims.field("evidence")), 0))))


def foreign_records_in_columns(documents: Sequence[Document], columns: dict[str, pa.Array],
                               wheres: Sequence[str]) -> list[dict[str, str]]:
    """Records whose id is not of the form ``<own doc_id>:<suffix>`` (as
    ``steps.foreign_records``), in the order of the per-record path: by document, then kind.

    An id's owner is what precedes its last colon (``record_owner``): the first part of the
    id split once at a colon, from the right; an id without a colon names no document."""
    doc_ids = pa.array([document.id for document in documents], pa.string())
    found = []
    for kind in schema.ANNOTATION_KINDS:
        lists = columns[kind]
        ids = pc.struct_field(pc.list_flatten(lists), "id")
        parents = pc.list_parent_indices(lists)
        parts = pc.split_pattern(ids, ":", max_splits=1, reverse=True)
        own = pc.and_(pc.equal(pc.list_value_length(parts), 2),
                      pc.equal(pc.list_element(parts, 0), doc_ids.take(parents)))
        foreign = pc.indices_nonzero(pc.invert(own))
        found += zip(parents.take(foreign).to_pylist(), ids.take(foreign).to_pylist(),
                     strict=True)
    return [{"id": record_id, "doc_id": documents[document].id, "where": wheres[document]}
            for document, record_id in sorted(found, key=lambda pair: pair[0])]
