"""Property-based fuzzing of the annotation loader and the metadata loader (issue 19): the
seed documents' gold files and metadata, mutated field by field, and arbitrary JSON or
bytes, written to a scratch repository and read as the build reads them. Each input loads
or is refused with an InputError naming its file; nothing else may be raised."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fuzzing import COUNTS, FUZZ, JSON, loads_or_refuses, mutated, report
from hypothesis import example, given
from hypothesis import strategies as st

from newsprov.core.layout import DOCUMENTS_DIR, GOLD_DIR, METADATA_FILE
from newsprov.core.schema import ANNOTATION_KINDS
from newsprov.store.annotations import AnnotationSet
from newsprov.store.corpus import load_corpus

DOC_IDS = ("000_6ed1f7236875d9ca", "004_c1cf42bd939e682c")  # an original and its rewrite


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, repo: Path) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    for name in ("corpus", "annotations"):
        shutil.copytree(repo / name, root / name)
    return root


def small(annotations: dict[str, Any]) -> dict[str, Any]:
    """A few records of each kind (the mentions the kept events name among them): a base
    whose every field a few hundred mutations reach."""
    kept = {kind: annotations[kind][:2] for kind in ANNOTATION_KINDS}
    named = {argument["mention_id"] for event in kept["events"]
             for argument in event["arguments"]}
    kept["mentions"] = [m for i, m in enumerate(annotations["mentions"])
                        if i < 2 or m["id"] in named]
    return {**annotations, **kept}


def encoded(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False).encode()


def fuzz_file(name: str, path: Path, load: Any, valid: Any,
              inputs: st.SearchStrategy[Any]) -> None:
    """Write each input to ``path``, load it, and put the file back as it was; the valid
    input itself is the first example. An error names a file of the input's folder or of
    the corpus folder of the other documents (a derivation, a text against its sha256)."""
    original = path.read_bytes()

    @FUZZ
    @given(inputs)
    @example(valid)
    def run(value: Any) -> None:
        path.write_bytes(encoded(value))
        try:
            loads_or_refuses(name, path.parent.parent, load)
        finally:
            path.write_bytes(original)

    run()
    report(name)
    assert COUNTS[name]["accepted"] and COUNTS[name]["refused"], COUNTS[name]


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_fuzz_annotation_loader(root: Path, doc_id: str) -> None:
    corpus = load_corpus(root)
    path = root / GOLD_DIR / f"{doc_id}.json"
    full = path.read_bytes()
    valid = small(json.loads(full))
    path.write_text(json.dumps(valid), encoding="utf-8")
    inputs = mutated(valid) | mutated(valid, most=1) | JSON | st.binary(max_size=64)
    try:
        fuzz_file(f"annotation loader ({doc_id})", path,
                  lambda: AnnotationSet(root / GOLD_DIR, corpus).check(path), valid, inputs)
    finally:
        path.write_bytes(full)  # the source of the other document's references


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_fuzz_metadata_loader(root: Path, doc_id: str) -> None:
    path = root / DOCUMENTS_DIR / doc_id / METADATA_FILE
    valid = json.loads(path.read_text(encoding="utf-8"))
    inputs = mutated(valid) | mutated(valid, most=1) | JSON | st.binary(max_size=64)
    fuzz_file(f"metadata loader ({doc_id})", path, lambda: load_corpus(root), valid, inputs)
