"""Property-based fuzzing of the prediction reader (issue 19): lines of the gold set as
predictions, mutated field by field, arbitrary JSON lines and raw bytes, written as a JSON
Lines file and read against the release's documents. Each file loads or is refused with an
InputError naming it; nothing else may be raised."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from fuzzing import COUNTS, FUZZ, JSON, loads_or_refuses, mutated, report
from hypothesis import example, given
from hypothesis import strategies as st

from newsprov.bench.evaluation import prediction_lines, read_predictions, read_release
from newsprov.core.layout import DATA_DIR

NAME = "prediction reader"


def valid_lines(repo: Path) -> tuple[Any, list[dict[str, Any]]]:
    """The release, and two lines of each kind (the authorship too) of its test gold."""
    release = read_release(repo / DATA_DIR, "test")
    lines: dict[str, list[dict[str, Any]]] = {}
    for line in prediction_lines(release.gold):
        if len(kept := lines.setdefault(line["kind"], [])) < 2:
            kept.append(line)
    return release, [line for kept in lines.values() for line in kept]


def as_file(lines: list[Any]) -> bytes:
    return b"".join((line if isinstance(line, bytes) else
                     json.dumps(line, ensure_ascii=False).encode()) + b"\n" for line in lines)


def test_fuzz_prediction_reader(repo: Path) -> None:
    release, valid = valid_lines(repo)
    base = st.lists(st.sampled_from(valid), min_size=1, max_size=5, unique_by=id)
    line = JSON | st.binary(max_size=40) | st.sampled_from(valid)
    inputs = base.flatmap(mutated) | base.flatmap(lambda lines: mutated(lines, most=1)) | \
        st.lists(line, min_size=1, max_size=4)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "predictions.jsonl"

        @FUZZ
        @given(inputs)
        @example(valid)
        def run(lines: list[Any]) -> None:
            path.write_bytes(as_file(lines))
            loads_or_refuses(NAME, path, lambda: read_predictions(path, release.documents))

        run()
    report(NAME)
    assert COUNTS[NAME]["accepted"] and COUNTS[NAME]["refused"], COUNTS[NAME]
