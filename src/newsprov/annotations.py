"""Stand-off annotation files: one JSON file per document, one record per line.

A file holds ``doc_id``, the ``text_sha256`` of the text it was made on, the document's
``authorship`` judgement and one list per annotation kind of ``schema.RECORD_FIELDS``; each
record has exactly the fields of its Arrow struct, so checking a record against the schema
and exporting it are the same walk. Offsets are Unicode code points, end exclusive.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from newsprov import schema
from newsprov.corpus import Document, is_iso639_1, read_json
from newsprov.errors import InputError

ANNOTATIONS_DIR = Path("annotations")
GOLD_DIR = ANNOTATIONS_DIR / "gold"
PASSES_DIR = ANNOTATIONS_DIR / "passes"
FILE_KEYS = ("doc_id", "text_sha256", "authorship", *schema.ANNOTATION_KINDS)
SPAN_KINDS = ("mentions", "span_flags", "claims")

AnnotationFile = dict[str, Any]


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
    if missing := [n for n in names if n not in value]:
        raise ValueError(f"{where}: missing field(s) {missing}")
    if unknown := sorted(value.keys() - set(names)):
        raise ValueError(f"{where}: unknown field(s) {unknown}")
    for field in fields:
        check_value(value[field.name], field, f"{where}.{field.name}" if where else field.name)


# ------------------------------------------------------------------ file checks


def records(data: AnnotationFile) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every annotation record of a file with its kind."""
    for kind in schema.ANNOTATION_KINDS:
        for record in data[kind]:
            yield kind, record


def check_span(span: Mapping[str, Any], text: str, what: str) -> None:
    start, end = span["start"], span["end"]
    if not 0 <= start < end <= len(text):
        raise ValueError(f"{what} offsets [{start}, {end}) are not 0 <= start < end <= "
                         f"{len(text)} (text length)")
    if text[start:end] != span["text"]:
        raise ValueError(f"{what} text {span['text']!r} does not match the document text "
                         f"{text[start:end]!r} at [{start}, {end})")


def check_annotation_file(data: Any, path: Path, corpus: Mapping[str, Document],
                          source_annotations: Mapping[str, AnnotationFile] | None = None
                          ) -> AnnotationFile:
    """Check one annotation file against the schema, its document and the corpus.

    ``source_annotations`` (the set this file belongs to) resolves events of a derived
    document to the events of its source; without it those references are not checked.
    """
    if not isinstance(data, dict):
        raise InputError(path, None, "an annotation file must be a JSON object")
    if list(data) != list(FILE_KEYS):
        raise InputError(path, None, f"top-level keys must be {list(FILE_KEYS)}, "
                                     f"found {list(data)}")
    document = corpus.get(data["doc_id"])
    if document is None:
        raise InputError(path, None, f"doc_id {data['doc_id']!r} is not a corpus document")
    if path.stem != document.id:
        raise InputError(path, None, f"file name does not match doc_id {document.id!r}")
    if data["text_sha256"] != document.metadata["sha256"]:
        raise InputError(path, None, "text_sha256 differs from the document's sha256: the "
                                     "text was changed after it was annotated")
    try:
        check_value(data["authorship"], schema.AUTHORSHIP_FIELD, "authorship")
        if data["authorship"] is not None:
            _check_provenance(data["authorship"]["provenance"])
    except ValueError as error:
        raise InputError(path, "authorship", str(error)) from None
    seen: set[str] = set()
    for kind in schema.ANNOTATION_KINDS:
        if not isinstance(data[kind], list):
            raise InputError(path, None, f"{kind} must be a list")
        for index, record in enumerate(data[kind]):
            name = record.get("id") if isinstance(record, dict) else None
            name = name if isinstance(name, str) else f"{kind}[{index}]"
            try:
                check_struct(record, schema.RECORD_FIELDS[kind], "")
                if record["id"] in seen:
                    raise ValueError("duplicate id")
                seen.add(record["id"])
                _check_provenance(record["provenance"])
            except ValueError as error:
                raise InputError(path, name, f"{kind}: {error}") from None
    for kind, record in records(data):
        try:
            _check_record(kind, record, data, document, corpus, source_annotations)
        except ValueError as error:
            raise InputError(path, record["id"], f"{kind}: {error}") from None
    return data


def _check_provenance(provenance: Mapping[str, Any]) -> None:
    try:
        dt.date.fromisoformat(provenance["date"])
    except ValueError:
        raise ValueError(f"provenance.date {provenance['date']!r} is not a date") from None


def _ids(data: AnnotationFile, kind: str) -> set[str]:
    return {record["id"] for record in data[kind]}


def _check_record(kind: str, record: dict[str, Any], data: AnnotationFile,
                  document: Document, corpus: Mapping[str, Document],
                  source_annotations: Mapping[str, AnnotationFile] | None) -> None:
    if kind in SPAN_KINDS:
        check_span(record, document.text, "span")
    if kind == "events":
        _check_event(record, data, document, source_annotations)
    elif kind == "span_flags":
        _check_span_flag(record, document.text)
    elif kind == "claims":
        _check_claim(record, document, corpus)


def _check_event(event: dict[str, Any], data: AnnotationFile, document: Document,
                 source_annotations: Mapping[str, AnnotationFile] | None) -> None:
    check_span(event["trigger"], document.text, "trigger")
    mentions = _ids(data, "mentions")
    for argument in event["arguments"]:
        if argument["mention_id"] not in mentions:
            raise ValueError(f"argument {argument['role']} refers to mention "
                             f"{argument['mention_id']!r}, which is not in this document")
    source_event = event["source_event_id"]
    if source_event is None:
        return
    if document.derived_from is None:
        raise ValueError("source_event_id is set, but the document is not derived")
    if source_annotations is not None:
        source = source_annotations.get(document.derived_from)
        if source is None or source_event not in _ids(source, "events"):
            raise ValueError(f"source_event_id {source_event!r} is not an event of the "
                             f"source document {document.derived_from!r}")


def _check_span_flag(flag: dict[str, Any], document_text: str) -> None:
    label = flag["label"]
    attributes = {"boilerplate_kind": "boilerplate", "first_occurrence": "duplicate",
                  "language": "foreign_language"}
    for attribute, owner in attributes.items():
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


def _check_claim(claim: dict[str, Any], document: Document,
                 corpus: Mapping[str, Document]) -> None:
    if document.derived_from is None:
        raise ValueError("claims are only made on derived documents")
    if claim["source_doc_id"] != document.derived_from:
        raise ValueError(f"source_doc_id {claim['source_doc_id']!r} is not the document's "
                         f"source {document.derived_from!r}")
    supported = claim["support"] == "supported"
    if supported != (claim["severity"] is None) or supported != (claim["error_type"] is None):
        raise ValueError("severity and error_type are given exactly when the claim is "
                         "not supported")
    if claim["support"] in ("supported", "contradicted") and not claim["evidence"]:
        raise ValueError(f"a {claim['support']} claim needs evidence in the source")
    source_text = corpus[document.derived_from].text
    for index, span in enumerate(claim["evidence"]):
        check_span(span, source_text, f"evidence[{index}]")


# ------------------------------------------------------------------ sets of files


def load_annotation_set(directory: Path, corpus: Mapping[str, Document]
                        ) -> dict[str, AnnotationFile]:
    """Every ``<doc_id>.json`` in a directory, checked; ids unique across the set."""
    if not directory.is_dir():
        raise InputError(directory, None, "annotation directory not found")
    paths = sorted(directory.glob("*.json"))
    raw = {path: read_json(path) for path in paths}
    by_doc = {data.get("doc_id"): data for data in raw.values() if isinstance(data, dict)}
    owner: dict[str, Path] = {}
    annotations: dict[str, AnnotationFile] = {}
    for path, data in raw.items():
        checked = check_annotation_file(data, path, corpus, by_doc)
        for _, record in records(checked):
            if record["id"] in owner:
                raise InputError(path, record["id"],
                                 f"duplicate id: also used in {owner[record['id']]}")
            owner[record["id"]] = path
        annotations[checked["doc_id"]] = checked
    return annotations


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


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write a file through a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_annotation_file(path: Path, data: AnnotationFile) -> None:
    write_atomic(path, dumps(data))
