"""The fingerprint that compares the flat tables with the documents' lists: the same for the
same rows however they are cut into batches, tasks and runs of bytes, and different when a
value, a string's byte, a string boundary or a null changes."""

from __future__ import annotations

import pyarrow as pa
import pytest

from newsprov.build import validation
from newsprov.build.validation import Fingerprint

ROWS = pa.table({
    "id": [f"synthetic-{i:06d}:m{i % 7}" for i in range(300)],
    "label": ["PERSON", "ORG", "GPE"] * 100,                 # repeated: hashed once each
    "text": ["Bảo Ito", "", None, "Hà Nội\u3000", "ab", "c"] * 50,
    "start": list(range(300)),
    "evidence": [[{"start": i, "text": "x" * (i % 5)}] if i % 3 else None
                 for i in range(300)],
})


def fingerprint(*parts: pa.Table) -> str:
    """The parts fingerprinted apart, then put end to end (as the tasks' are)."""
    whole = Fingerprint()
    for part in parts:
        fingerprint = Fingerprint()
        for batch in part.to_batches(max_chunksize=37):
            fingerprint.add(batch)
        whole.extend(fingerprint)
    return str(whole)


@pytest.mark.parametrize("run_bytes", [1, 5, 64, validation.POWERS_CACHED])
def test_the_same_rows_give_the_same_fingerprint_however_cut(
        monkeypatch: pytest.MonkeyPatch, run_bytes: int) -> None:
    whole = Fingerprint()
    whole.add(ROWS.combine_chunks())
    expected = str(whole)
    monkeypatch.setattr(validation, "POWERS_CACHED", run_bytes)
    assert fingerprint(ROWS) == expected
    assert fingerprint(ROWS.slice(0, 101), ROWS.slice(101, 2), ROWS.slice(103)) == expected
    # the same strings at other places in their buffers
    shifted = pa.concat_tables([ROWS.slice(290), ROWS]).slice(10)
    assert fingerprint(shifted) == expected


@pytest.mark.parametrize("column, row, value", [
    ("text", 0, "Bảo Itô"),           # one byte of one string
    ("text", 2, ""),                 # a null made empty
    ("id", 5, "synthetic-000005:m6"),
    ("start", 7, 8),
    ("label", 4, "PERSON"),
])
def test_a_changed_value_changes_the_fingerprint(column: str, row: int, value: object
                                                 ) -> None:
    values = ROWS[column].to_pylist()
    values[row] = value
    changed = ROWS.set_column(ROWS.column_names.index(column), column,
                              pa.array(values, ROWS[column].type))
    assert fingerprint(changed) != fingerprint(ROWS)


def test_a_moved_string_boundary_changes_the_fingerprint() -> None:
    texts = ROWS["text"].to_pylist()
    assert texts[4:6] == ["ab", "c"]
    texts[4:6] = ["a", "bc"]
    changed = ROWS.set_column(ROWS.column_names.index("text"), "text", pa.array(texts))
    assert fingerprint(changed) != fingerprint(ROWS)
