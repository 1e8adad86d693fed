"""Property-based fuzzing of the Label Studio import (issue 19): the good export of the
fixtures mutated field by field, and arbitrary JSON, imported into a scratch repository.
Each export is imported (every submission imported or rejected with its reasons) or refused
with an InputError naming it; nothing else may be raised, and nothing is half-written: a
refused export writes nothing, an imported one exactly its annotators' files and the
report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fuzzing import COUNTS, FUZZ, JSON, loads_or_refuses, mutated, report
from hypothesis import example, given

from newsprov.annotate.labelstudio.tasks import import_export
from newsprov.core.layout import LABELSTUDIO_IMPORT_REPORT, REPO

FIXTURES = REPO / "tests" / "fixtures" / "labelstudio"
NAME = "Label Studio import"


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_fuzz_label_studio_import(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "corpus", tmp_path / "corpus")
    valid = json.loads((FIXTURES / "good.json").read_text(encoding="utf-8"))
    export_name, out = Path("export.json"), Path("imported")
    corpus_files = files(tmp_path)
    outcomes = {"imported": 0, "rejected": 0}

    @FUZZ
    @given(mutated(valid) | mutated(valid, most=1) | JSON)
    @example(valid)
    def run(export: Any) -> None:
        result: list[Any] = []
        try:
            verdict = loads_or_refuses(NAME, export_name, lambda: result.append(import_export(
                tmp_path, export, export_name, out, {}, False, None)))
            written = files(tmp_path) - corpus_files
            if verdict == "refused":
                assert written == set()
                return
            outcome, wrote = result[0]
            assert wrote
            assert written == {f"{out}/{annotator}/{doc_id}.json"
                               for annotator, doc_id in outcome.files} | \
                {f"{out}/{LABELSTUDIO_IMPORT_REPORT}"}
            assert outcome.counts["in"] == outcome.counts["imported"] + outcome.counts["rejected"]
            outcomes["imported"] += outcome.counts["imported"]
            outcomes["rejected"] += outcome.counts["rejected"]
        finally:
            shutil.rmtree(tmp_path / out, ignore_errors=True)

    run()
    line = report(NAME)
    print(f"{line}; submissions in the accepted exports: {outcomes['imported']} imported, "
          f"{outcomes['rejected']} rejected")
    assert COUNTS[NAME]["accepted"] and COUNTS[NAME]["refused"], COUNTS[NAME]
    assert outcomes["imported"] and outcomes["rejected"], outcomes


@pytest.fixture(autouse=True)
def _quiet_sdk_warnings(recwarn: pytest.WarningsRecorder) -> None:
    """The SDK's label interface warns about odd results; the warnings are not failures."""
