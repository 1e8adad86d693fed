"""Each kind of broken input stops the build with an error naming file, record and problem.

The cases start from a small valid annotation set written here (so they do not depend on
the gold set's content) and break exactly one thing; each case is named after its error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from newsprov.build.export import build
from newsprov.core.errors import InputError
from newsprov.core.layout import DOCUMENTS_DIR, GOLD_DIR
from newsprov.store.annotations import empty_annotations, write_annotation_file
from newsprov.store.corpus import load_corpus

ORIGINAL, REWRITE = "000_6ed1f7236875d9ca", "004_c1cf42bd939e682c"
PROVENANCE = {"annotator": "test-suite", "method": "independent_pass", "date": "2026-11-23"}


def span(text: str, needle: str, occurrence: int = 0) -> dict:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return {"start": start, "end": start + len(needle), "text": needle}


def minimal_gold(root: Path) -> None:
    """A valid gold set using every kind of reference, replacing the repository's."""
    corpus = load_corpus(root)
    original, rewrite = corpus[ORIGINAL], corpus[REWRITE]
    a, b = empty_annotations(original), empty_annotations(rewrite)
    a["mentions"] = [
        {"id": f"{ORIGINAL}:m1", **span(original.text, "Hoang Xuan Chien"), "type": "PERSON",
         "entity_id": "ent:hoang-xuan-chien", "provenance": PROVENANCE},
        {"id": f"{ORIGINAL}:m2", **span(original.text, "Hanoi"), "type": "GPE",
         "entity_id": "ent:hanoi", "provenance": PROVENANCE},
    ]
    a["events"] = [{
        "id": f"{ORIGINAL}:v1", "type": "CONSULT", "trigger": span(original.text, "reviewed"),
        "modality": "asserted", "contexts": ["military", "diplomatic"],
        "arguments": [{"role": "actor", "mention_id": f"{ORIGINAL}:m1"},
                      {"role": "place", "mention_id": f"{ORIGINAL}:m2"}],
        "source_event_id": None, "provenance": PROVENANCE}]
    repeated = "Vietnam seeks stronger legislative ties with Canada"
    a["span_flags"] = [{
        "id": f"{ORIGINAL}:f1", **span(original.text, repeated, 1), "label": "duplicate",
        "boilerplate_kind": None, "first_occurrence": span(original.text, repeated)["start"],
        "language": None, "note": None, "provenance": PROVENANCE}]
    b["events"] = [{
        "id": f"{REWRITE}:v1", "type": "CONSULT", "trigger": span(rewrite.text, "convened"),
        "modality": "asserted", "contexts": ["military"], "arguments": [],
        "source_event_id": f"{ORIGINAL}:v1", "provenance": PROVENANCE}]
    b["claims"] = [{
        "id": f"{REWRITE}:c1",
        **span(rewrite.text, "This meeting marks a pivotal moment in bilateral relations"),
        "support": "unsupported", "severity": "subtle", "error_type": "predicate",
        "source_doc_id": ORIGINAL, "evidence": [], "note": None, "provenance": PROVENANCE}, {
        "id": f"{REWRITE}:c2", **span(rewrite.text, "convened in Hanoi"),
        "support": "supported", "severity": None, "error_type": None,
        "source_doc_id": ORIGINAL, "evidence": [span(original.text, "in Hanoi on February 20")],
        "note": None, "provenance": PROVENANCE}]
    gold = root / GOLD_DIR
    for path in gold.glob("*.json"):
        path.unlink()
    write_annotation_file(gold / f"{ORIGINAL}.json", a)
    write_annotation_file(gold / f"{REWRITE}.json", b)


def edit_json(path: Path, change: Callable[[dict], object]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def gold_file(root: Path, doc_id: str) -> Path:
    return root / GOLD_DIR / f"{doc_id}.json"


def metadata_file(root: Path, doc_id: str) -> Path:
    return root / DOCUMENTS_DIR / doc_id / "metadata.json"


def mention(index: int, **changes: object) -> Callable[[dict], object]:
    return lambda data: data["mentions"][index].update(changes)


def change_text_after_annotation(root: Path) -> None:
    """Edit the text and record its new sha256, as a careless correction would."""
    import hashlib

    text_path = root / DOCUMENTS_DIR / ORIGINAL / "text.txt"
    text = text_path.read_text(encoding="utf-8").replace("Hanoi", "Ha Noi", 1)
    text_path.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    edit_json(metadata_file(root, ORIGINAL), lambda m: m.update(sha256=digest))


# case id -> (how to break the scratch repository, file named, record named, problem)
CASES: dict[str, tuple[Callable[[Path], None], str, str | None, str]] = {
    "invalid-json": (
        lambda r: gold_file(r, ORIGINAL).write_text("{\"doc_id\": ", encoding="utf-8"),
        f"{ORIGINAL}.json", None, "invalid JSON"),
    "offsets-out-of-range": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(1, end=99_999)),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m2", "are not 0 <= start < end"),
    "offsets-reversed": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(1, start=400, end=300)),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m2", "are not 0 <= start < end"),
    "span-text-mismatch": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(1, text="Hanoy")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m2", "does not match the document text"),
    "unknown-label": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(0, type="PERSONA")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m1", "unknown label 'PERSONA'"),
    "duplicate-id-in-file": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(1, id=f"{ORIGINAL}:m1")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m1", "duplicate id"),
    "duplicate-id-across-files": (
        lambda r: edit_json(gold_file(r, REWRITE),
                            lambda d: d["claims"][0].update(id=f"{ORIGINAL}:m1")),
        f"{REWRITE}.json", f"{ORIGINAL}:m1", "duplicate id: also used in"),
    "file-of-no-document": (
        lambda r: gold_file(r, "ghost").write_text(json.dumps(
            {**json.loads(gold_file(r, ORIGINAL).read_text(encoding="utf-8")),
             "doc_id": "ghost"}), encoding="utf-8"),
        "ghost.json", None, "doc_id 'ghost' is not a corpus document"),
    "dangling-argument": (
        lambda r: edit_json(gold_file(r, ORIGINAL),
                            lambda d: d["events"][0]["arguments"][0].update(mention_id="x")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:v1", "refers to mention 'x'"),
    "dangling-source-event": (
        lambda r: edit_json(gold_file(r, REWRITE),
                            lambda d: d["events"][0].update(source_event_id="nope")),
        f"{REWRITE}.json", f"{REWRITE}:v1", "is not an event of the source document"),
    "evidence-not-in-source": (
        lambda r: edit_json(gold_file(r, REWRITE),
                            lambda d: d["claims"][1]["evidence"][0].update(text="in Hue")),
        f"{REWRITE}.json", f"{REWRITE}:c2", "evidence[0] text"),
    "dangling-derived-from": (
        lambda r: edit_json(metadata_file(r, REWRITE), lambda m: m.update(derived_from="nope")),
        "metadata.json", REWRITE, "derived_from 'nope' is not a document in the corpus"),
    "missing-required-metadata": (
        lambda r: edit_json(metadata_file(r, ORIGINAL), lambda m: m.pop("rights")),
        "metadata.json", ORIGINAL, "missing required metadata field(s): ['rights']"),
    "unknown-without-reason": (
        lambda r: edit_json(metadata_file(r, ORIGINAL),
                            lambda m: m["unknown_fields"].pop(0)),
        "metadata.json", ORIGINAL, "url is null without a reason"),
    "text-changed-after-collection": (
        lambda r: (r / DOCUMENTS_DIR / ORIGINAL / "text.txt").write_text("edited"),
        "text.txt", ORIGINAL, "does not match the sha256 recorded"),
    "text-changed-after-annotation": (
        change_text_after_annotation,
        f"{ORIGINAL}.json", None, "the text was changed after it was annotated"),
}


@pytest.fixture
def valid_repo(scratch_repo: Path) -> Path:
    minimal_gold(scratch_repo)
    build(scratch_repo, out=scratch_repo / "out", validate=False)  # the baseline is valid
    return scratch_repo


@pytest.mark.parametrize("case", CASES)
def test_broken_input_stops_the_build(valid_repo: Path, case: str) -> None:
    breaks, file_name, record, problem = CASES[case]
    breaks(valid_repo)
    with pytest.raises(InputError) as caught:
        build(valid_repo, out=valid_repo / "out", validate=False)
    error = caught.value
    assert Path(error.file).name == file_name
    assert error.record == record
    assert problem in error.problem
    assert str(error).startswith(error.file)
