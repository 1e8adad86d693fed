"""Each kind of broken input stops the build with an error naming file, record and problem.

The cases start from a small valid annotation set written here (so they do not depend on
the gold set's content) and break exactly one thing; each case is named after its error.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newsprov.build.pipeline import build
from newsprov.cli import main
from newsprov.core.errors import InputError
from newsprov.core.files import read_json
from newsprov.core.layout import (
    BUILD_STATS,
    COLLECTION_ATTRIBUTES,
    COLLECTION_DIR,
    COLLECTION_DOCUMENTS,
    DOCUMENTS_DIR,
    GOLD_DIR,
    RELEASE_FILE,
    SPLIT_PLAN,
)
from newsprov.store.annotations import empty_annotations, load_annotation_set, write_annotation_file
from newsprov.store.corpus import load_corpus, write_document
from newsprov.store.release import parquet_files
from newsprov.store.shards import documents_to_collection, shard_name

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


def record(kind: str, index: int, **changes: object) -> Callable[[dict], object]:
    return lambda data: data[kind][index].update(changes)


def mention(index: int, **changes: object) -> Callable[[dict], object]:
    return record("mentions", index, **changes)


def without_note(data: dict, quoted_null: bool = False) -> None:
    """Claim c1 without its (nullable) note field; with ``quoted_null``, c2's note quotes
    JSON with a null, whose text in the shard looks like the missing key's ``": null``."""
    del data["claims"][0]["note"]
    if quoted_null:
        data["claims"][1]["note"] = 'the source said {"minister": null}'


def change_text_after_annotation(root: Path) -> None:
    """Edit the text and record its new sha256, as a careless correction would."""
    import hashlib

    text_path = root / DOCUMENTS_DIR / ORIGINAL / "text.txt"
    text = text_path.read_text(encoding="utf-8").replace("Hanoi", "Ha Noi", 1)
    text_path.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    edit_json(metadata_file(root, ORIGINAL), lambda m: m.update(sha256=digest))


def metadata(doc_id: str, **changes: object) -> Callable[[Path], None]:
    return lambda root: edit_json(metadata_file(root, doc_id), lambda m: m.update(changes))


def in_metadata(doc_id: str, changes: dict[str, object], problem: str, check: str
                ) -> tuple[Callable[[Path], None], str, str, str, str]:
    """A case that sets fields of a document's metadata.json, which names the document."""
    return metadata(doc_id, **changes), "metadata.json", doc_id, problem, check


def without_reasons(*fields: str) -> Callable[[dict], object]:
    return lambda m: m.update(unknown_fields=[
        entry for entry in m["unknown_fields"] if entry["field"] not in fields])


def derive_original_from_rewrite(root: Path) -> None:
    """Make the source derived from its own rewrite: a derived_from chain that loops."""
    edit_json(metadata_file(root, ORIGINAL), lambda m: (
        m.update(derived_from=REWRITE, derivation="machine_rewrite"),
        without_reasons("derived_from", "derivation")(m)))


def drop_derivation(root: Path) -> None:
    """derived_from without derivation (whose null has a reason, so only the pair fails)."""
    edit_json(metadata_file(root, REWRITE), lambda m: (
        m.update(derivation=None),
        m["unknown_fields"].append({"field": "derivation", "reason": "Not recorded."})))


def remove_released_document(root: Path) -> None:
    shutil.rmtree(root / DOCUMENTS_DIR / REWRITE)
    gold_file(root, REWRITE).unlink()


def rebuild_released_version(root: Path) -> None:
    """Mark the version in release.json released, then change a document's metadata."""
    edit_json(root / RELEASE_FILE, lambda d: d.update(released=True))
    edit_json(metadata_file(root, ORIGINAL), lambda m: m.update(notes="Corrected later."))


def previous_splits(splits: dict[str, str | None]) -> Callable[[Path], None]:
    """Change the splits of documents in the previous export (``out/documents``)."""
    def change(root: Path) -> None:
        for path in parquet_files(root / "out", "documents"):
            table = pq.read_table(path)
            column = [splits.get(doc_id, split) for doc_id, split in
                      zip(table["doc_id"].to_pylist(), table["split"].to_pylist(), strict=True)]
            table = table.set_column(table.schema.get_field_index("split"),
                                     pa.field("split", pa.string()), pa.array(column, pa.string()))
            pq.write_table(table, path)
    return change


# case id -> (how to break the scratch repository, file named, record named, problem, the
# check that refuses it). A plain assignment: scripts/checks_table.py reads its check ids.
CASES = {
    # files
    "invalid-json": (
        lambda r: gold_file(r, ORIGINAL).write_text("{\"doc_id\": ", encoding="utf-8"),
        f"{ORIGINAL}.json", None, "invalid JSON", "invalid-json"),
    # the corpus
    "corpus-not-found": (
        lambda r: shutil.rmtree(r / DOCUMENTS_DIR),
        "documents", None, "corpus directory not found", "corpus-not-found"),
    "document-file-missing": (
        lambda r: (r / DOCUMENTS_DIR / ORIGINAL / "text.txt").unlink(),
        "text.txt", None, "missing file", "document-file-missing"),
    "text-not-utf8": (
        lambda r: (r / DOCUMENTS_DIR / ORIGINAL / "text.txt").write_bytes(b"caf\xe9"),
        "text.txt", None, "not valid UTF-8", "text-not-utf8"),
    "text-empty": (
        lambda r: (r / DOCUMENTS_DIR / ORIGINAL / "text.txt").write_bytes(b""),
        "text.txt", None, "the text is empty or only whitespace", "text-empty"),
    "text-whitespace": (
        lambda r: (r / DOCUMENTS_DIR / ORIGINAL / "text.txt").write_bytes(b" \n\t\n"),
        "text.txt", None, "the text is empty or only whitespace", "text-empty"),
    "id-not-folder-name": (
        metadata(ORIGINAL, id="001_renamed"),
        "metadata.json", "001_renamed", f"does not match the directory name {ORIGINAL!r}",
        "id-not-folder-name"),
    "text-changed-after-collection": (
        lambda r: (r / DOCUMENTS_DIR / ORIGINAL / "text.txt").write_text("edited"),
        "text.txt", ORIGINAL, "does not match the sha256 recorded", "text-changed"),
    "metadata-not-object": (
        lambda r: metadata_file(r, ORIGINAL).write_text("[]", encoding="utf-8"),
        "metadata.json", None, "metadata must be a JSON object", "metadata-not-object"),
    "missing-required-metadata": (
        lambda r: edit_json(metadata_file(r, ORIGINAL), lambda m: m.pop("rights")),
        "metadata.json", ORIGINAL, "missing required metadata field(s): ['rights']",
        "metadata-field-missing"),
    "metadata-field-unknown": in_metadata(
        ORIGINAL, {"editor": "A. Editor"},
        "unknown metadata field(s): ['editor']", "metadata-field-unknown"),
    "metadata-required-null": in_metadata(
        ORIGINAL, {"rights": None},
        "rights is required and may not be null", "metadata-required-null"),
    "unknown-without-reason": (
        lambda r: edit_json(metadata_file(r, ORIGINAL),
                            lambda m: m["unknown_fields"].pop(0)),
        "metadata.json", ORIGINAL, "url is null without a reason", "null-without-reason"),
    "metadata-not-string": in_metadata(
        ORIGINAL, {"title": 2026},
        "title must be a string or null", "metadata-not-string"),
    "value-and-reason": in_metadata(
        ORIGINAL, {"url": "https://vov.vn/"},
        "url has a value and a reason for being unknown", "value-and-reason"),
    "language-not-iso639-1": in_metadata(
        ORIGINAL, {"language": "english"},
        "language 'english' is not an ISO 639-1 code", "language-not-iso639-1"),
    "language-upper-case": in_metadata(
        ORIGINAL, {"language": "EN"},
        "language 'EN' is not an ISO 639-1 code", "language-not-iso639-1"),
    "story-group-empty": in_metadata(
        ORIGINAL, {"story_group": ""},
        "story_group '' is empty or only whitespace", "value-blank"),
    "story-group-blank": in_metadata(
        ORIGINAL, {"story_group": " \t"},
        "story_group ' \\t' is empty or only whitespace", "value-blank"),
    "not-a-date": in_metadata(
        ORIGINAL, {"added": "23 November 2026"},
        "added '23 November 2026' is not a date (YYYY-MM-DD)", "not-a-date"),
    "date-in-future": in_metadata(
        ORIGINAL, {"added": "2999-01-01"},
        "added 2999-01-01 is in the future", "date-in-future"),
    "date-not-in-the-one-form": (  # date.fromisoformat alone reads ISO week dates
        metadata(ORIGINAL, added="2026-W48-1"),
        "metadata.json", ORIGINAL, "added '2026-W48-1' is not a date (YYYY-MM-DD)",
        "not-a-date"),
    "derivation-incomplete": (
        drop_derivation,
        "metadata.json", REWRITE, "derived_from and derivation must be given together",
        "derivation-incomplete"),
    "derivation-unknown": in_metadata(
        REWRITE, {"derivation": "paraphrase"},
        "unknown derivation 'paraphrase'", "derivation-unknown"),
    "unknown-fields-not-list": in_metadata(
        ORIGINAL, {"unknown_fields": {}},
        "unknown_fields must be a list", "unknown-fields-not-list"),
    "unknown-fields-entry": (
        lambda r: edit_json(metadata_file(r, ORIGINAL),
                            lambda m: m["unknown_fields"][0].update(reason=" ")),
        "metadata.json", ORIGINAL, "must be {field, reason}", "unknown-fields-entry"),
    "unknown-fields-not-nullable": (
        lambda r: edit_json(metadata_file(r, ORIGINAL), lambda m: m["unknown_fields"].append(
            {"field": "rights", "reason": "Not known."})),
        "metadata.json", ORIGINAL, "unknown_fields names 'rights', which cannot be null",
        "unknown-fields-not-nullable"),
    "dangling-derived-from": (
        lambda r: edit_json(metadata_file(r, REWRITE), lambda m: m.update(derived_from="nope")),
        "metadata.json", REWRITE, "derived_from 'nope' is not a document in the corpus",
        "derived-from-unknown"),
    "derivation-loop": (
        derive_original_from_rewrite,
        "metadata.json", ORIGINAL, "derived_from chain loops", "derivation-loop"),
    "derivation-other-story": in_metadata(
        REWRITE, {"story_group": "another-story"},
        f"derived from {ORIGINAL!r}, which is in another story group", "derivation-other-story"),
    # annotation files
    "annotation-not-object": (
        lambda r: gold_file(r, ORIGINAL).write_text("[]", encoding="utf-8"),
        f"{ORIGINAL}.json", None, "an annotation file must be a JSON object",
        "annotation-not-object"),
    "annotation-keys": (
        lambda r: edit_json(gold_file(r, ORIGINAL), lambda d: d.pop("authorship")),
        f"{ORIGINAL}.json", None, "top-level keys must be", "annotation-keys"),
    "doc-id-not-a-string": (  # a TypeError (unhashable type) traceback before
        lambda r: edit_json(gold_file(r, ORIGINAL), lambda d: d.update(doc_id=[ORIGINAL])),
        f"{ORIGINAL}.json", None, f"doc_id [{ORIGINAL!r}] is not a corpus document",
        "annotation-document-unknown"),
    "file-of-no-document": (
        lambda r: gold_file(r, "ghost").write_text(json.dumps(
            {**json.loads(gold_file(r, ORIGINAL).read_text(encoding="utf-8")),
             "doc_id": "ghost"}), encoding="utf-8"),
        "ghost.json", None, "doc_id 'ghost' is not a corpus document",
        "annotation-document-unknown"),
    "annotation-file-name": (
        lambda r: shutil.copy(gold_file(r, ORIGINAL), gold_file(r, "copy")),
        "copy.json", None, f"file name does not match doc_id {ORIGINAL!r}",
        "annotation-file-name"),
    "text-changed-after-annotation": (
        change_text_after_annotation,
        f"{ORIGINAL}.json", None, "the text was changed after it was annotated",
        "annotation-text-changed"),
    "annotation-authorship": (
        lambda r: edit_json(gold_file(r, ORIGINAL), lambda d: d.update(authorship="human")),
        f"{ORIGINAL}.json", "authorship", "authorship must be an object",
        "annotation-authorship"),
    "annotation-kind-not-list": (
        lambda r: edit_json(gold_file(r, ORIGINAL), lambda d: d.update(mentions={})),
        f"{ORIGINAL}.json", None, "mentions must be a list", "annotation-kind-not-list"),
    "unknown-label": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(0, type="PERSONA")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m1", "unknown label 'PERSONA'",
        "annotation-record-shape"),
    "record-id-empty": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(0, id="")),
        f"{ORIGINAL}.json", "mentions[0]", "mentions: id '' is empty or only whitespace",
        "annotation-record-shape"),
    "record-id-blank": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(1, id="   ")),
        f"{ORIGINAL}.json", "mentions[1]", "mentions: id '   ' is empty or only whitespace",
        "annotation-record-shape"),
    "annotator-blank": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(
            0, provenance={**PROVENANCE, "annotator": " "})),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m1", "provenance.annotator ' ' is empty",
        "annotation-record-shape"),
    "provenance-date-in-future": (  # `newsprov check` accepted it, the export refused it
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(
            0, provenance={**PROVENANCE, "date": "2999-01-01"})),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m1", "provenance.date 2999-01-01 is in the future",
        "annotation-record-shape"),
    "provenance-date-not-in-the-one-form": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(
            0, provenance={**PROVENANCE, "date": "20261123"})),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m1",
        "provenance.date '20261123' is not a date (YYYY-MM-DD)", "annotation-record-shape"),
    "duplicate-id-in-file": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(1, id=f"{ORIGINAL}:m1")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m1", "duplicate id", "annotation-record-shape"),
    "offsets-out-of-range": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(1, end=99_999)),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m2", "are not 0 <= start < end",
        "annotation-record-content"),
    "offsets-reversed": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(1, start=400, end=300)),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m2", "are not 0 <= start < end",
        "annotation-record-content"),
    "span-text-mismatch": (
        lambda r: edit_json(gold_file(r, ORIGINAL), mention(1, text="Hanoy")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:m2", "does not match the document text",
        "annotation-record-content"),
    "dangling-argument": (
        lambda r: edit_json(gold_file(r, ORIGINAL),
                            lambda d: d["events"][0]["arguments"][0].update(mention_id="x")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:v1", "refers to mention 'x'",
        "annotation-record-content"),
    "dangling-source-event": (
        lambda r: edit_json(gold_file(r, REWRITE),
                            lambda d: d["events"][0].update(source_event_id="nope")),
        f"{REWRITE}.json", f"{REWRITE}:v1", "is not an event of the source document",
        "annotation-record-content"),
    "evidence-not-in-source": (
        lambda r: edit_json(gold_file(r, REWRITE),
                            lambda d: d["claims"][1]["evidence"][0].update(text="in Hue")),
        f"{REWRITE}.json", f"{REWRITE}:c2", "evidence[0] text", "annotation-record-content"),
    "duplicate-id-across-files": (
        lambda r: edit_json(gold_file(r, REWRITE),
                            lambda d: d["claims"][0].update(id=f"{ORIGINAL}:m1")),
        f"{REWRITE}.json", f"{ORIGINAL}:m1", "duplicate id: also used in",
        "duplicate-record-id"),
    # what the per-document files and a shard's columns are checked for alike
    "record-field-missing": (
        lambda r: edit_json(gold_file(r, REWRITE), without_note),
        f"{REWRITE}.json", f"{REWRITE}:c1", "claims: missing field(s) ['note']",
        "annotation-record-shape"),
    "record-field-missing-beside-a-quoted-null": (
        lambda r: edit_json(gold_file(r, REWRITE), lambda d: without_note(d, quoted_null=True)),
        f"{REWRITE}.json", f"{REWRITE}:c1", "claims: missing field(s) ['note']",
        "annotation-record-shape"),
    "list-item-null": (
        lambda r: edit_json(gold_file(r, ORIGINAL), record("events", 0, contexts=[None])),
        f"{ORIGINAL}.json", f"{ORIGINAL}:v1", "events: contexts[0] is required",
        "annotation-record-shape"),
    "unknown-label-in-a-list": (
        lambda r: edit_json(gold_file(r, ORIGINAL), record("events", 0, contexts=["naval"])),
        f"{ORIGINAL}.json", f"{ORIGINAL}:v1", "unknown label 'naval'",
        "annotation-record-shape"),
    "flag-attribute-missing": (
        lambda r: edit_json(gold_file(r, ORIGINAL),
                            record("span_flags", 0, first_occurrence=None)),
        f"{ORIGINAL}.json", f"{ORIGINAL}:f1", "a duplicate flag requires first_occurrence",
        "annotation-record-content"),
    "first-occurrence-elsewhere": (
        lambda r: edit_json(gold_file(r, ORIGINAL), record("span_flags", 0, first_occurrence=0)),
        f"{ORIGINAL}.json", f"{ORIGINAL}:f1", "first_occurrence 0 is not the start of an "
        "earlier occurrence", "annotation-record-content"),
    "foreign-language-code": (
        lambda r: edit_json(gold_file(r, ORIGINAL), record(
            "span_flags", 0, label="foreign_language", first_occurrence=None, language="xx")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:f1", "language 'xx' is not an ISO 639-1 code",
        "annotation-record-content"),
    "source-event-of-an-original": (
        lambda r: edit_json(gold_file(r, ORIGINAL),
                            record("events", 0, source_event_id=f"{REWRITE}:v1")),
        f"{ORIGINAL}.json", f"{ORIGINAL}:v1", "source_event_id is set, but the document is "
        "not derived", "annotation-record-content"),
    "claim-names-another-source": (
        lambda r: edit_json(gold_file(r, REWRITE), record("claims", 0, source_doc_id=REWRITE)),
        f"{REWRITE}.json", f"{REWRITE}:c1", f"source_doc_id {REWRITE!r} is not the "
        "document's source", "annotation-record-content"),
    "supported-claim-with-severity": (
        lambda r: edit_json(gold_file(r, REWRITE), record("claims", 1, severity="subtle")),
        f"{REWRITE}.json", f"{REWRITE}:c2", "severity and error_type are given exactly when",
        "annotation-record-content"),
    "supported-claim-without-evidence": (
        lambda r: edit_json(gold_file(r, REWRITE), record("claims", 1, evidence=[])),
        f"{REWRITE}.json", f"{REWRITE}:c2", "a supported claim needs evidence in the source",
        "annotation-record-content"),
    # splits and releases (the fixture's first build into out/ is the previous release)
    "split-plan-shape": (
        lambda r: (r / SPLIT_PLAN).write_text('{"test": []}', encoding="utf-8"),
        "splits.json", None, 'expected {"stories": {story_group: split}}', "split-plan-shape"),
    "split-unknown": (
        lambda r: (r / SPLIT_PLAN).write_text('{"stories": {"a-story": "dev"}}'),
        "splits.json", "a-story", "unknown split 'dev'", "split-unknown"),
    "released-story-split": (
        previous_splits({REWRITE: "train"}),
        "splits.json", "vn-ca-third-defence-policy-dialogue",
        "released documents of this story are in different splits", "released-story-split"),
    # Only a previous export with documents of no split gets past released-story-split.
    "story-spans-splits": (
        previous_splits({ORIGINAL: None, REWRITE: None}),
        "splits.json", ORIGINAL, "would span splits None and test", "story-spans-splits"),
    "released-document-removed": (
        remove_released_document,
        "splits.json", REWRITE, "a released document is missing from the corpus",
        "released-document-removed"),
    "release-file-shape": (
        lambda r: (r / RELEASE_FILE).write_text('{"version": "1.0.0"}', encoding="utf-8"),
        "release.json", None, 'expected {"version", "date", "released"}',
        "release-file-shape"),
    "changelog-entry": (
        lambda r: edit_json(r / RELEASE_FILE, lambda d: d.update(version="9.9.9")),
        "CHANGELOG.md", "9.9.9", "no CHANGELOG entry", "changelog-entry"),
    "released-version-changed": (
        rebuild_released_version,
        "manifest.json", "1.0.0", "data/ holds released version with different content",
        "released-version-changed"),
}


# ------------------------------------------------------------------ the sharded layout


def as_collection(root: Path) -> None:
    """Replace the per-document corpus and gold set by a collection of one shard holding the
    same files' text as they are (not through the converter, which refuses broken files):
    what a careless collecting tool would write."""
    documents, gold = root / DOCUMENTS_DIR, root / GOLD_DIR
    lines, gold_lines = [], []
    for folder in sorted(documents.iterdir()) if documents.is_dir() else []:
        fields = [f'"id": {json.dumps(folder.name)}']
        if (folder / "text.txt").is_file():
            fields.append(f'"text": {json.dumps((folder / "text.txt").read_text("utf-8"))}')
        metadata = (folder / "metadata.json").read_text("utf-8").replace("\n", " ")
        fields += [f'"metadata": {metadata}',
                   '"files": {}']
        lines.append("{" + ", ".join(fields) + "}\n")
        path = gold / f"{folder.name}.json"
        annotations = path.read_text("utf-8").replace("\n", " ") if path.is_file() else "null"
        gold_lines.append(f'{{"id": {json.dumps(folder.name)}, "annotations": {annotations}}}\n')
    collection = root / COLLECTION_DIR
    collection.mkdir(parents=True)
    if documents.is_dir():
        for folder, content in ((COLLECTION_DOCUMENTS, lines),
                                (f"{COLLECTION_ATTRIBUTES}/gold", gold_lines)):
            (collection / folder).mkdir(parents=True)
            with gzip.open(collection / folder / shard_name(0), "wt", encoding="utf-8") as f:
                f.write("".join(content))
        shutil.rmtree(documents)
    shutil.rmtree(gold, ignore_errors=True)


# Cases whose broken file has no counterpart in a collection, and why.
NOT_IN_A_COLLECTION = {
    "text-not-utf8": "a shard line is JSON, so its text is UTF-8 (its failure is invalid-json)",
    "file-of-no-document": "an attribute layer holds lines aligned with the documents, not "
                           "files (its failure is attribute-not-aligned)",
    "annotation-file-name": "as file-of-no-document",
}
# What a collection reports instead, where it differs: case -> (problem, check).
IN_A_COLLECTION = {
    "document-file-missing": ("a documents line must be an object with keys",
                              "shard-line-shape"),
    "id-not-folder-name": (f"does not match the record id {ORIGINAL!r}", "id-not-folder-name"),
}


def in_a_collection(case: str, file_name: str, record: str | None, problem: str, check: str
                    ) -> tuple[str, str | None, str, str]:
    """What a collection reports for a case (skipped if it has no counterpart): the same
    problem, located at the line of the document (or of its gold attributes) in the shard."""
    if case in NOT_IN_A_COLLECTION:
        pytest.skip(NOT_IN_A_COLLECTION[case])
    problem, check = IN_A_COLLECTION.get(case, (problem, check))
    line = 2 if REWRITE in (record, file_name.removesuffix(".json")) else 1
    if file_name in ("metadata.json", "text.txt"):
        file_name = f"{COLLECTION_DOCUMENTS}/{shard_name(0)}:{line}"
    elif file_name.endswith(".json") and file_name not in ("splits.json", "release.json",
                                                           "manifest.json"):
        file_name = f"{COLLECTION_ATTRIBUTES}/gold/{shard_name(0)}:{line}"
    return file_name, record, problem, check


@pytest.fixture
def valid_repo(scratch_repo: Path) -> Path:
    minimal_gold(scratch_repo)
    build(scratch_repo, out=scratch_repo / "out", validate=False)  # the baseline is valid
    return scratch_repo


@pytest.mark.parametrize("layout", ["documents", "shards"])
@pytest.mark.parametrize("case", CASES)
def test_broken_input_stops_the_build(valid_repo: Path, case: str, layout: str) -> None:
    breaks, file_name, record, problem, check = CASES[case]
    breaks(valid_repo)
    if layout == "shards":
        file_name, record, problem, check = in_a_collection(case, file_name, record, problem,
                                                            check)
        as_collection(valid_repo)
    with pytest.raises(InputError) as caught:
        build(valid_repo, out=valid_repo / "out", validate=False)
    error = caught.value
    assert error.file.endswith(file_name) if layout == "shards" else \
        Path(error.file).name == file_name
    assert error.record == record
    assert problem in error.problem
    assert str(error).startswith(error.file)
    assert error.check == check


def shard_lines(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def rewrite_shard(path: Path, change: Callable[[list[dict]], object]) -> None:
    lines = shard_lines(path)
    change(lines)
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(line) + "\n" for line in lines)


def documents_shard(root: Path) -> Path:
    return root / COLLECTION_DIR / COLLECTION_DOCUMENTS / shard_name(0)


def gold_shard(root: Path) -> Path:
    return root / COLLECTION_DIR / COLLECTION_ATTRIBUTES / "gold" / shard_name(0)


def second_shard_repeating_the_first(root: Path) -> None:
    shutil.copy(documents_shard(root), documents_shard(root).with_name(shard_name(1)))


# Checks of the sharded layout alone: case -> (how to break the collection, the end of the
# file named, record named, problem, check).
SHARD_CASES = {
    "attribute-not-aligned": (
        lambda r: rewrite_shard(gold_shard(r), lambda lines: lines.reverse()),
        f"gold/{shard_name(0)}:1", REWRITE, f"the documents shard has {ORIGINAL!r} on this line",
        "attribute-not-aligned"),
    "shard-line-shape": (
        lambda r: rewrite_shard(documents_shard(r), lambda lines: lines[1].pop("files")),
        f"documents/{shard_name(0)}:2", None, "a documents line must be an object with keys",
        "shard-line-shape"),
    "document-id-duplicate": (
        second_shard_repeating_the_first,
        f"documents/{shard_name(1)}:1", ORIGINAL, "document id also used at",
        "document-id-duplicate"),
}


@pytest.mark.parametrize("case", SHARD_CASES)
def test_broken_collection_stops_the_build(valid_repo: Path, case: str) -> None:
    breaks, file_end, record, problem, check = SHARD_CASES[case]
    as_collection(valid_repo)
    breaks(valid_repo)
    with pytest.raises(InputError) as caught:
        build(valid_repo, out=valid_repo / "out", validate=False)
    error = caught.value
    assert error.file.endswith(file_end)
    assert error.record == record
    assert problem in error.problem
    assert error.check == check


def test_a_valid_collection_is_checked_on_columns_and_builds_as_its_files(
        valid_repo: Path) -> None:
    """The quick path of a gold shard (``build.columns``) on what it could get wrong: no
    judgement (a null authorship), a document without a gold file (a null line), nulls
    and every reference checked; the export is the per-document layout's, byte for byte."""
    gold_file(valid_repo, REWRITE).unlink()
    build(valid_repo, out=valid_repo / "files", validate=False)
    as_collection(valid_repo)
    build(valid_repo, out=valid_repo / "shards", validate=False)
    stats = json.loads((valid_repo / BUILD_STATS).read_text(encoding="utf-8"))
    assert stats["1 read documents"][0]["stats"]["documents checked on columns"]["total"] == 2
    exports = [{path.relative_to(valid_repo / name): path.read_bytes()
                for path in (valid_repo / name).rglob("*") if path.is_file()}
               for name in ("files", "shards")]
    assert exports[0] == exports[1]


# Checks that a build cannot reach, made to fire by the store function that raises them:
# case -> (the call on a scratch repository, file named, record named, problem, check)
DIRECT_CASES = {
    "document-id": (
        lambda r: write_document(r, read_json(metadata_file(r, ORIGINAL)), "another text"),
        ORIGINAL, ORIGINAL, "a document with this id already exists", "document-id"),
    "annotation-dir-not-found": (
        lambda r: load_annotation_set(r / GOLD_DIR.parent / "missing", load_corpus(r)),
        "missing", None, "annotation directory not found", "annotation-dir-not-found"),
    "not-canonical": (
        lambda r: (edit_json(metadata_file(r, ORIGINAL), lambda m: None),
                   documents_to_collection(r, r / COLLECTION_DIR, 10)),
        "metadata.json", None, "not in the canonical form", "not-canonical"),
}


@pytest.mark.parametrize("case", DIRECT_CASES)
def test_broken_input_stops_the_store(scratch_repo: Path, case: str) -> None:
    call, file_name, record, problem, check = DIRECT_CASES[case]
    with pytest.raises(InputError) as caught:
        call(scratch_repo)
    error = caught.value
    assert Path(error.file).name == file_name
    assert error.record == record
    assert problem in error.problem
    assert error.check == check


def test_annotation_keys_in_any_order_are_accepted_and_written_in_order(
        valid_repo: Path) -> None:
    """Issue 19, item 9: another key order was refused (`top-level keys must be [...]`)."""
    path = gold_file(valid_repo, ORIGINAL)
    canonical = path.read_text(encoding="utf-8")
    data = json.loads(canonical)
    path.write_text(json.dumps(dict(reversed(data.items()))), encoding="utf-8")
    loaded = load_annotation_set(valid_repo / GOLD_DIR, load_corpus(valid_repo))[ORIGINAL]
    assert loaded == data and list(loaded) == list(data)
    write_annotation_file(path, loaded)
    assert path.read_text(encoding="utf-8") == canonical
    build(valid_repo, out=valid_repo / "out", validate=False)


def test_check_and_build_refuse_a_future_provenance_date_alike(valid_repo: Path) -> None:
    """Issue 19, item 8: `newsprov check` accepted a provenance date in the future that
    `newsprov build` refused (its expectations); both now apply the loaders' one rule."""
    edit_json(gold_file(valid_repo, ORIGINAL),
              mention(0, provenance={**PROVENANCE, "date": "2999-01-01"}))
    runner = CliRunner()
    checked = runner.invoke(main, ["check", "--root", str(valid_repo)])
    built = runner.invoke(main, ["build", "--root", str(valid_repo)])
    assert checked.exit_code == built.exit_code == 2
    assert checked.output == built.output == (
        f"error: {gold_file(valid_repo, ORIGINAL)}: {ORIGINAL}:m1: mentions: provenance.date "
        "2999-01-01 is in the future\n")
