"""The column checks' parts that have a per-record twin give the twin's answer."""

from __future__ import annotations

import pyarrow as pa

from newsprov.build.columns import foreign_records_in_columns
from newsprov.core import schema
from newsprov.store.annotations import record_owner
from newsprov.store.corpus import Document

# Ids that a split at the first colon, a match anywhere or a byte-wise prefix would misread.
DOCUMENT_IDS = ["a", "a:b", "ab", "é", "c"]
RECORD_IDS = {
    "a": ["a:m1", "a:", "a", "ab:m1", "a:b:m1", "b:m1", "m1", "a:m1\n"],
    "a:b": ["a:b:e1", "a:e1", "a:b", "a:b:"],
    "ab": ["ab:x", "a:x", "ab:x:y"],
    "é": ["é:f1", "e:f1", "é:é:f1"],
    "c": [],
}
RECORDS = pa.list_(pa.struct([("id", pa.string())]))


def records(suffix: str | None) -> pa.Array:
    """A kind's column: each document's ids with ``suffix``; no records when None."""
    return pa.array([[] if suffix is None else [{"id": f"{i}{suffix}"} for i in RECORD_IDS[d]]
                     for d in DOCUMENT_IDS], RECORDS)


def test_foreign_records_on_columns_are_those_record_owner_finds() -> None:
    documents = [Document({"id": doc_id}, "") for doc_id in DOCUMENT_IDS]
    wheres = [f"gold.jsonl.gz:{line}" for line in range(1, len(DOCUMENT_IDS) + 1)]
    suffixes = ("", "-2")           # the first two kinds: the order of kinds is kept
    columns = {kind: records(suffixes[n] if n < len(suffixes) else None)
               for n, kind in enumerate(schema.ANNOTATION_KINDS)}
    expected = [{"id": f"{record_id}{suffix}", "doc_id": doc_id, "where": where}
                for doc_id, where in zip(DOCUMENT_IDS, wheres, strict=True)
                for suffix in suffixes
                for record_id in RECORD_IDS[doc_id]
                if record_owner(f"{record_id}{suffix}") != doc_id]
    found = foreign_records_in_columns(documents, columns, wheres)
    assert found == expected
    assert {"id": "a:m1", "doc_id": "a", "where": wheres[0]} not in found
    assert {"id": "a:b:m1", "doc_id": "a", "where": wheres[0]} in found
