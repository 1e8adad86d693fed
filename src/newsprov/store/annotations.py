"""Stand-off annotation files: one JSON file per document, one record per line.

A file holds ``doc_id``, the ``text_sha256`` of the text it was made on, the document's
``authorship`` judgement and one list per annotation kind of ``schema.RECORD_FIELDS``; each
record has exactly the fields of its Arrow struct, so checking a record against the schema
and exporting it are the same walk. Offsets are Unicode code points, end exclusive.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import pyarrow as pa

from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.files import read_json, write_atomic
from newsprov.core.schema import AnnotationFile
from newsprov.store.corpus import Document, date_problem, is_blank, is_iso639_1

FILE_KEYS = ("doc_id", "text_sha256", "authorship", *schema.ANNOTATION_KINDS)
SPAN_KINDS = ("mentions", "span_flags", "claims")
# A span flag's attribute -> the label that has it (the other labels must not).
FLAG_ATTRIBUTES = {"boilerplate_kind": "boilerplate", "first_occurrence": "duplicate",
                   "language": "foreign_language"}
EVIDENCE_NEEDED = ("supported", "contradicted")    # claim supports that cite the source

def empty_annotations(document: Document) -> AnnotationFile:
    return {"doc_id": document.id, "text_sha256": document.metadata["sha256"],
            "authorship": None, **{kind: [] for kind in schema.ANNOTATION_KINDS}}


# ------------------------------------------------------------------ schema-driven check


def check_value(value: Any, field: pa.Field, where: str) -> None:
    """Check a JSON value against an Arrow field; raise ValueError naming the field path."""
    if value is None:
        if field.nullable:
            return
        raise ValueError(f"{where} is required")
    type_ = field.type
    if pa.types.is_string(type_):
        if not isinstance(value, str):
            raise ValueError(f"{where} must be a string, not {value!r}")
        if field.name in schema.NAME_FIELDS and is_blank(value):
            raise ValueError(f"{where} {value!r} is empty or only whitespace")
    elif pa.types.is_integer(type_):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{where} must be an integer, not {value!r}")
    elif pa.types.is_list(type_):
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list")
        item_field = type_.value_field.with_nullable(False).with_metadata(field.metadata)
        for index, item in enumerate(value):
            check_value(item, item_field, f"{where}[{index}]")
        return
    elif pa.types.is_struct(type_):
        check_struct(value, list(type_), where)
        return
    vocabulary = schema.vocabulary_of(field)
    if vocabulary is not None and value not in vocabulary:
        raise ValueError(f"{where}: unknown label {value!r}; allowed: {vocabulary.names}")


def check_struct(value: Any, fields: list[pa.Field], where: str) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object")
    names = [f.name for f in fields]
    at = f"{where}: " if where else ""
    if missing := [n for n in names if n not in value]:
        raise ValueError(f"{at}missing field(s) {missing}")
    if unknown := sorted(value.keys() - set(names)):
        raise ValueError(f"{at}unknown field(s) {unknown}")
    for field in fields:
        check_value(value[field.name], field, f"{where}.{field.name}" if where else field.name)


def _shape(field: pa.Field, name: str) -> Any:
    """The msgspec type of the JSON values that ``check_value`` accepts for a field."""
    type_ = field.type
    vocabulary = schema.vocabulary_of(field)
    if pa.types.is_list(type_):
        item = type_.value_field.with_nullable(False).with_metadata(field.metadata)
        shape: Any = list[_shape(item, name)]
    elif pa.types.is_struct(type_):
        shape = _struct_shape(name, list(type_))
    elif vocabulary is not None:
        shape = Literal[tuple(vocabulary.names)]
    elif pa.types.is_string(type_) and field.name in schema.NAME_FIELDS:
        shape = Annotated[str, msgspec.Meta(pattern=r"\S")]  # not blank, as check_value
    elif pa.types.is_string(type_):
        shape = str
    elif pa.types.is_integer(type_):
        shape = int
    else:
        shape = Any
    return shape | None if field.nullable else shape


def _struct_shape(name: str, fields: list[pa.Field]) -> type[msgspec.Struct]:
    return msgspec.defstruct(name, [(f.name, _shape(f, f"{name}_{f.name}")) for f in fields],
                             forbid_unknown_fields=True, gc=False)


# The authorship and record lists of a file, as msgspec checks them in C: the quick path of
# a well-formed file. A file that fails it goes through ``check_value`` value by value, which
# names the problem, so errors stay exactly those of the slow path.
FILE_SHAPE_FIELDS = [("authorship", _shape(schema.AUTHORSHIP_FIELD, "authorship")),
                     *((kind, list[_struct_shape(kind, fields)])
                       for kind, fields in schema.RECORD_FIELDS.items())]
FILE_SHAPE = msgspec.defstruct("AnnotationFileShape", FILE_SHAPE_FIELDS, gc=False)


def well_formed(data: AnnotationFile) -> bool:
    try:
        msgspec.convert(data, FILE_SHAPE)
    except msgspec.ValidationError:
        return False
    return True


# ------------------------------------------------------------------ file checks


def records(data: AnnotationFile) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every annotation record of a file with its kind."""
    for kind in schema.ANNOTATION_KINDS:
        for record in data[kind]:
            yield kind, record


def record_owner(record_id: str) -> str | None:
    """The document an annotation id names, ``<doc_id>:<suffix>``; None without a colon. A
    record whose id names another document is checked against that document's ids."""
    owner, colon, _ = record_id.rpartition(":")
    return owner if colon else None


def check_span(span: Mapping[str, Any], text: str, what: str) -> None:
    start, end = span["start"], span["end"]
    if not 0 <= start < end <= len(text):
        raise ValueError(f"{what} offsets [{start}, {end}) are not 0 <= start < end <= "
                         f"{len(text)} (text length)")
    if text[start:end] != span["text"]:
        raise ValueError(f"{what} text {span['text']!r} does not match the document text "
                         f"{text[start:end]!r} at [{start}, {end})")


def check_annotation_file(data: Any, path: Path | str, corpus: Mapping[str, Document],
                          source_annotations: Mapping[str, AnnotationFile] | None = None,
                          name: str | None = None, today: dt.date | None = None,
                          against_source: bool = True) -> AnnotationFile:
    """Check one annotation file against the schema, its document and the corpus; return it
    with its keys in the canonical order (any order is read).

    ``source_annotations`` (the set this file belongs to) resolves events of a derived
    document to the events of its source; without it those references are not checked.
    ``name`` is the document the file is stored under (default: the file name's stem).
    Provenance dates after ``today`` (default: the current date) are refused.
    ``against_source=False`` leaves the checks of a derived document's records against its
    source (claim evidence, source events) to ``check_against_source``: the build runs them
    once every task has read its documents.
    """
    if not isinstance(data, dict):
        raise InputError(path, None, "an annotation file must be a JSON object",
                         check="annotation-not-object")
    if data.keys() != set(FILE_KEYS):
        raise InputError(path, None, f"top-level keys must be {list(FILE_KEYS)} (in any "
                                     f"order), found {list(data)}", check="annotation-keys")
    data = {key: data[key] for key in FILE_KEYS}
    today = today or dt.date.today()
    document = corpus.get(data["doc_id"]) if isinstance(data["doc_id"], str) else None
    if document is None:
        raise InputError(path, None, f"doc_id {data['doc_id']!r} is not a corpus document",
                         check="annotation-document-unknown")
    if (Path(path).stem if name is None else name) != document.id:
        raise InputError(path, None, f"file name does not match doc_id {document.id!r}",
                         check="annotation-file-name")
    if data["text_sha256"] != document.metadata["sha256"]:
        raise InputError(path, None, "text_sha256 differs from the document's sha256: the "
                                     "text was changed after it was annotated",
                         check="annotation-text-changed")
    shaped = well_formed(data)
    try:
        if not shaped:
            check_value(data["authorship"], schema.AUTHORSHIP_FIELD, "authorship")
        if data["authorship"] is not None:
            _check_provenance(data["authorship"]["provenance"], today)
    except ValueError as error:
        raise InputError(path, "authorship", str(error), check="annotation-authorship") from None
    seen: set[str] = set()
    for kind in schema.ANNOTATION_KINDS:
        if not isinstance(data[kind], list):
            raise InputError(path, None, f"{kind} must be a list", check="annotation-kind-not-list")
        for index, record in enumerate(data[kind]):
            try:
                if not shaped:
                    check_struct(record, schema.RECORD_FIELDS[kind], "")
                if record["id"] in seen:
                    raise ValueError("duplicate id")
                seen.add(record["id"])
                _check_provenance(record["provenance"], today)
            except ValueError as error:
                name = record.get("id") if isinstance(record, dict) else None
                name = name if isinstance(name, str) and not is_blank(name) \
                    else f"{kind}[{index}]"
                raise InputError(path, name, f"{kind}: {error}",
                                 check="annotation-record-shape") from None
    mention_ids = _ids(data, "mentions")
    derived_from = document.derived_from

    @functools.cache
    def source_event_ids() -> set[Any] | None:
        if source_annotations is None:
            return None             # not checked
        return raw_record_ids(source_annotations.get(derived_from) or {}, ("events",))

    for kind, record in records(data):
        try:
            _check_record(kind, record, mention_ids, document)
            if against_source and derived_from is not None:
                _check_source_references(kind, record, derived_from,
                                         lambda: corpus[derived_from].text, source_event_ids)
        except ValueError as error:
            raise record_content_error(path, kind, record, error) from None
    return data


def record_content_error(path: Path | str, kind: str, record: dict[str, Any],
                         error: ValueError) -> InputError:
    return InputError(path, record["id"], f"{kind}: {error}", check="annotation-record-content")


def check_against_source(path: Path | str, file_records: Iterable[tuple[str, dict[str, Any]]],
                         derived_from: str, source_text: str, source_event_ids: set[str]
                         ) -> None:
    """The checks ``check_annotation_file(..., against_source=False)`` left out, on the
    records (kind, record) of a checked file of a document derived from ``derived_from``
    (its text and event ids given), in the same order and with the same messages; a record
    needs only the fields these checks read."""
    for kind, record in file_records:
        try:
            _check_source_references(kind, record, derived_from, lambda: source_text,
                                     lambda: source_event_ids)
        except ValueError as error:
            raise record_content_error(path, kind, record, error) from None


def _check_provenance(provenance: Mapping[str, Any], today: dt.date) -> None:
    """The date rule of the metadata dates and of the export's expectations."""
    if found := date_problem(provenance["date"], today):
        raise ValueError(f"provenance.date {found[1]}")


def _ids(data: AnnotationFile, kind: str) -> set[str]:
    return {record["id"] for record in data[kind]}


def _check_record(kind: str, record: dict[str, Any], mention_ids: set[str],
                  document: Document) -> None:
    """The checks of a record within its document."""
    if kind in SPAN_KINDS:
        check_span(record, document.text, "span")
    if kind == "events":
        _check_event(record, mention_ids, document)
    elif kind == "span_flags":
        _check_span_flag(record, document.text)
    elif kind == "claims":
        _check_claim(record, document)


def _check_source_references(kind: str, record: dict[str, Any], derived_from: str,
                             source_text: Callable[[], str],
                             source_event_ids: Callable[[], set[Any] | None]) -> None:
    """The checks of a derived document's record against its source (after its own); the
    source is read only when a record needs it."""
    if kind == "events" and record["source_event_id"] is not None:
        event_ids = source_event_ids()
        if event_ids is not None and record["source_event_id"] not in event_ids:
            raise ValueError(f"source_event_id {record['source_event_id']!r} is not an event "
                             f"of the source document {derived_from!r}")
    elif kind == "claims":
        text = source_text()
        for index, span in enumerate(record["evidence"]):
            check_span(span, text, f"evidence[{index}]")


def _check_event(event: dict[str, Any], mention_ids: set[str], document: Document) -> None:
    check_span(event["trigger"], document.text, "trigger")
    for argument in event["arguments"]:
        if argument["mention_id"] not in mention_ids:
            raise ValueError(f"argument {argument['role']} refers to mention "
                             f"{argument['mention_id']!r}, which is not in this document")
    if event["source_event_id"] is not None and document.derived_from is None:
        raise ValueError("source_event_id is set, but the document is not derived")


def _check_span_flag(flag: dict[str, Any], document_text: str) -> None:
    label = flag["label"]
    for attribute, owner in FLAG_ATTRIBUTES.items():
        if (flag[attribute] is None) == (label == owner):
            need = "requires" if label == owner else "must not have"
            raise ValueError(f"a {label} flag {need} {attribute}")
    if label == "foreign_language" and not is_iso639_1(flag["language"]):
        raise ValueError(f"language {flag['language']!r} is not an ISO 639-1 code")
    if label == "duplicate":
        first = flag["first_occurrence"]
        if not (0 <= first < flag["start"] and
                document_text[first:first + len(flag["text"])] == flag["text"]):
            raise ValueError(f"first_occurrence {first} is not the start of an earlier "
                             "occurrence of the same text")


def _check_claim(claim: dict[str, Any], document: Document) -> None:
    if document.derived_from is None:
        raise ValueError("claims are only made on derived documents")
    if claim["source_doc_id"] != document.derived_from:
        raise ValueError(f"source_doc_id {claim['source_doc_id']!r} is not the document's "
                         f"source {document.derived_from!r}")
    supported = claim["support"] == "supported"
    if supported != (claim["severity"] is None) or supported != (claim["error_type"] is None):
        raise ValueError("severity and error_type are given exactly when the claim is "
                         "not supported")
    if claim["support"] in EVIDENCE_NEEDED and not claim["evidence"]:
        raise ValueError(f"a {claim['support']} claim needs evidence in the source")


# ------------------------------------------------------------------ sets of files


class AnnotationSet:
    """The files of one annotation directory, checked one at a time against a corpus.

    Memory does not grow with the set. The annotations of a derived document's source are
    read again when its events refer to them. Ids must be unique across the set: an id of the
    form ``<doc_id>:<suffix>`` (``suffix`` without ``:``; the form every tool here writes)
    can only clash inside the file of that document, which checks it, so only other ids are
    remembered, and one that names another document is looked up in that document's file.
    """

    def __init__(self, directory: Path, corpus: Mapping[str, Document]) -> None:
        if not directory.is_dir():
            raise InputError(directory, None, "annotation directory not found",
                             check="annotation-dir-not-found")
        self.directory = directory
        self.corpus = corpus
        self.sources = RecordIds(directory)
        self.other_ids: dict[str, Path] = {}

    def path(self, doc_id: str) -> Path:
        return self.directory / f"{doc_id}.json"

    def checked_file_of(self, doc_id: str) -> AnnotationFile | None:
        """The document's file, checked; None if the set has no file for it."""
        path = self.path(doc_id)
        return self.check(path) if path.exists() else None

    def check(self, path: Path) -> AnnotationFile:
        """Read and check one file of the set; raise InputError naming what is wrong."""
        checked = check_annotation_file(read_json(path), path, self.corpus, self.sources)
        for _, record in records(checked):
            self._check_unique(record["id"], checked["doc_id"], path)
        return checked

    def _check_unique(self, record_id: str, doc_id: str, path: Path) -> None:
        owner = record_owner(record_id)
        if owner == doc_id:
            return
        first = self.other_ids.setdefault(record_id, path)
        if first == path and owner is not None and owner in self.corpus and \
                record_id in raw_record_ids(self.sources.get(owner, {})):
            first = self.path(owner)
        if first != path:
            first, second = sorted((first, path))
            raise InputError(second, record_id, f"duplicate id: also used in {first}",
                             check="duplicate-record-id")

    def files_without_document(self, documents: Path) -> list[Path]:
        """Files whose name is not a document folder in ``documents``: each one fails its
        check. One stat per file: no second list of every name in memory."""
        folders = os.fsencode(documents)
        return sorted(self.path(os.fsdecode(stem)) for stem in _json_file_stems(self.directory)
                      if stem.startswith(b".") or not os.path.isdir(os.path.join(folders, stem)))


# What a reference into another file of a set needs: the file's doc_id and record ids.
# msgspec builds only these and skips the rest of the file unparsed.
_RECORD_ID = msgspec.defstruct("RecordId", [("id", Any)], gc=False)
_RECORD_IDS = msgspec.defstruct(
    "RecordIds", [("doc_id", Any), *((kind, list[_RECORD_ID]) for kind in schema.ANNOTATION_KINDS)],
    gc=False)


class RecordIds(Mapping[str, AnnotationFile]):
    """doc_id -> ``{"doc_id": ..., <kind>: [{"id": ...}, ...]}`` of ``<doc_id>.json``, read
    when looked up (a few are kept): the source events that a derived document's events
    name, and the ids that an id naming another document may clash with."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._read = functools.lru_cache(maxsize=16)(self._read_uncached)

    def __getitem__(self, doc_id: str) -> AnnotationFile:
        return self._read(doc_id)

    def _read_uncached(self, doc_id: str) -> AnnotationFile:
        path = self.directory / f"{doc_id}.json"
        if not path.is_file():
            raise KeyError(doc_id)
        try:
            data = msgspec.to_builtins(msgspec.json.decode(path.read_bytes(), type=_RECORD_IDS))
        except msgspec.DecodeError:   # another shape: parse all of it, as the file's own check
            data = read_json(path)
        if not isinstance(data, dict) or data.get("doc_id") != doc_id:
            raise KeyError(doc_id)
        return data

    def __iter__(self) -> Iterator[str]:
        return (os.fsdecode(stem) for stem in _json_file_stems(self.directory))

    def __len__(self) -> int:
        return sum(1 for _ in _json_file_stems(self.directory))


def _json_file_stems(directory: Path) -> Iterator[bytes]:
    with os.scandir(os.fsencode(directory)) as entries:
        for entry in entries:
            if entry.name.endswith(b".json"):
                yield entry.name[:-len(b".json")]


def raw_record_ids(data: AnnotationFile, kinds: Iterable[str] = schema.ANNOTATION_KINDS
                   ) -> set[Any]:
    """Record ids of some kinds of a parsed file that may not have passed its check (the
    file of a derived document's source is read without its own check)."""
    lists = (data.get(kind) for kind in kinds)
    return {record.get("id") for items in lists if isinstance(items, list)
            for record in items if isinstance(record, dict) and
            isinstance(record.get("id"), str)}


def load_annotation_set(directory: Path, corpus: Mapping[str, Document]
                        ) -> dict[str, AnnotationFile]:
    """Every ``<doc_id>.json`` in a directory, checked; ids unique across the set."""
    annotation_set = AnnotationSet(directory, corpus)
    checked = (annotation_set.check(path) for path in sorted(directory.glob("*.json")))
    return {data["doc_id"]: data for data in checked}


def dumps(data: AnnotationFile) -> str:
    """Canonical text of an annotation file: one record per line, so diffs show records."""
    def line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    parts = [f'  "doc_id": {line(data["doc_id"])}',
             f'  "text_sha256": {line(data["text_sha256"])}',
             f'  "authorship": {line(data["authorship"])}']
    for kind in schema.ANNOTATION_KINDS:
        items = ",\n".join(f"    {line(record)}" for record in data[kind])
        parts.append(f'  "{kind}": [\n{items}\n  ]' if items else f'  "{kind}": []')
    return "{\n" + ",\n".join(parts) + "\n}\n"




def write_annotation_file(path: Path, data: AnnotationFile) -> None:
    write_atomic(path, dumps(data))
