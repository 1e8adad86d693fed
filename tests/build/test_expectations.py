"""The Great Expectations suites: the committed export passes, and every expectation bites.

The bite tests corrupt a copy of a complete export (every annotation kind, every optional
attribute, a derived document, two splits) in exactly the way one expectation guards against,
by rewriting real Parquet files, and assert that validation fails on that expectation alone.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import great_expectations.expectations as gxe
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newsprov.build import validation
from newsprov.build.expectations import (
    ISO_639_1,
    PROVENANCE_FRAME,
    not_blank_regex,
    relaxed,
    suites,
)
from newsprov.build.export import write_export
from newsprov.build.gxrunner import ValidationReport
from newsprov.build.pipeline import assemble, build
from newsprov.build.validation import validate_export
from newsprov.cli import main
from newsprov.core import schema
from newsprov.core.files import file_sha256
from newsprov.core.layout import GOLD_DIR, MANIFEST, VALIDATION_REPORT
from newsprov.store.annotations import write_annotation_file
from newsprov.store.corpus import (
    Document,
    is_blank,
    load_corpus,
    text_sha256,
    write_document,
)
from newsprov.store.release import Release

SOURCE = "000_6ed1f7236875d9ca"
DERIVED = "004_c1cf42bd939e682c"
PLAIN = "900_0000000000000000"  # an extra original with no annotations, in another split
PROVENANCE = {"annotator": "test", "method": "adjudicated", "date": "2026-11-23"}
Corruption = Callable[[Path], None]


# ------------------------------------------------------------------ a complete export


def span(text: str, needle: str, occurrence: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return {"start": start, "end": start + len(needle), "text": needle}


def mention(doc_id: str, text: str, index: int, needle: str, type_: str) -> dict[str, Any]:
    return {"id": f"{doc_id}:m{index}", **span(text, needle), "type": type_,
            "entity_id": f"ent:{needle.lower()}", "provenance": PROVENANCE}


def event(doc_id: str, index: int, trigger: dict, contexts: list[str],
          arguments: list[tuple[str, int]], source_event_id: str | None = None) -> dict:
    return {"id": f"{doc_id}:e{index}", "type": "CONSULT", "trigger": trigger,
            "modality": "asserted", "contexts": contexts,
            "arguments": [{"role": role, "mention_id": f"{doc_id}:m{m}"}
                          for role, m in arguments],
            "source_event_id": source_event_id, "provenance": PROVENANCE}


def span_flag(doc_id: str, index: int, where: dict, label: str, **attributes: Any) -> dict:
    return {"id": f"{doc_id}:f{index}", **where, "label": label,
            **{"boilerplate_kind": None, "first_occurrence": None, "language": None,
               "note": None, **attributes}, "provenance": PROVENANCE}


def gold_set(source: str, derived: str) -> dict[str, dict[str, Any]]:
    """Annotations of the two seed documents using every kind and optional attribute. The
    first record of each kind is referenced by nothing, so corrupting it breaks one rule."""
    duplicate = "Vietnam seeks stronger legislative ties with Canada"
    names = [("VOV.VN", "ORG"), ("Vietnam", "GPE"), ("Canada", "GPE"), ("Hanoi", "GPE")]
    consult = [("actor", 1), ("actor", 2), ("place", 3)]
    return {
        SOURCE: {
            "authorship": {"label": "human", "evidence": "A wire report.",
                           "provenance": PROVENANCE},
            "mentions": [mention(SOURCE, source, i, n, t) for i, (n, t) in enumerate(names)],
            "events": [event(SOURCE, 0, span(source, "reviewed"), ["military"], []),
                       event(SOURCE, 1, span(source, "discuss"), ["military", "diplomatic"],
                             consult)],
            "document_flags": [{"id": f"{SOURCE}:d0", "label": "boilerplate_contaminated",
                                "evidence": "A Related block follows the article.",
                                "provenance": PROVENANCE}],
            "span_flags": [
                span_flag(SOURCE, 0, span(source, "Mời quý độc giả theo dõi VOV.VN trên"),
                          "foreign_language", language="vi"),
                span_flag(SOURCE, 1, span(source, duplicate, 1), "duplicate",
                          first_occurrence=span(source, duplicate)["start"]),
                span_flag(SOURCE, 2, span(source, "Related"), "boilerplate",
                          boilerplate_kind="related_links"),
            ],
            "claims": [],
        },
        DERIVED: {
            "authorship": {"label": "machine", "evidence": "Template headings.",
                           "provenance": PROVENANCE},
            "mentions": [mention(DERIVED, derived, i, n, t)
                         for i, (n, t) in enumerate(names) if i],
            "events": [event(DERIVED, 0, span(derived, "convened"), ["diplomatic"], consult,
                             source_event_id=f"{SOURCE}:e1")],
            "document_flags": [{"id": f"{DERIVED}:d0", "label": "template_structure",
                                "evidence": "Stock headings.", "provenance": PROVENANCE}],
            "span_flags": [span_flag(DERIVED, 0, span(derived, "Growing Defence Partnership"),
                                     "template_heading")],
            "claims": [
                {"id": f"{DERIVED}:c0", **span(derived, "officials from Vietnam and Canada "
                                                        "convened in Hanoi"),
                 "support": "supported", "severity": None, "error_type": None,
                 "source_doc_id": SOURCE, "note": None, "provenance": PROVENANCE,
                 "evidence": [span(source, "Vietnam and Canada discuss defence cooperation "
                                           "in Hanoi")]},
                {"id": f"{DERIVED}:c1", **span(derived, "This meeting marks a pivotal moment "
                                                        "in bilateral relations"),
                 "support": "unsupported", "severity": "subtle", "error_type": "out_of_article",
                 "source_doc_id": SOURCE, "evidence": [], "note": None,
                 "provenance": PROVENANCE},
            ],
        },
    }


def add_plain_document(root: Path) -> None:
    text = "A plain report with no annotations.\n"
    write_document(root, {
        "id": PLAIN, "title": "A plain report", "publisher": "Example", "url":
        "https://example.org/plain", "published": "2026-11-01", "language": "en",
        "collection_method": "Written for the tests.", "collected": "2026-11-02",
        "added": "2026-11-23", "rights": "Public domain.", "sha256": text_sha256(text),
        "story_group": "plain-story", "derived_from": None, "derivation": None,
        "unknown_fields": [{"field": "derived_from", "reason": "An original."},
                           {"field": "derivation", "reason": "An original."}],
        "notes": "Test document."}, text)


@pytest.fixture(scope="session")
def complete_export(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real build (validated) of the seed corpus plus PLAIN with a complete gold set."""
    root = tmp_path_factory.mktemp("complete")
    shutil.copytree(repo / "corpus", root / "corpus")
    for name in ("release.json", "CHANGELOG.md"):
        shutil.copy2(repo / name, root / name)
    add_plain_document(root)
    (root / "corpus" / "splits.json").write_text(json.dumps({"stories": {
        "vn-ca-third-defence-policy-dialogue": "test", "plain-story": "validation"}}))
    corpus = load_corpus(root)
    gold = gold_set(corpus[SOURCE].text, corpus[DERIVED].text)
    for doc_id, records in gold.items():
        write_annotation_file(root / GOLD_DIR / f"{doc_id}.json", {
            "doc_id": doc_id, "text_sha256": corpus[doc_id].metadata["sha256"], **records})
    out = root / "data"
    build(root, out)
    return out


@pytest.fixture
def export(complete_export: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(complete_export, copy)
    return copy


# ------------------------------------------------------------------ rewriting Parquet


def shards(export: Path, table: str) -> list[Path]:
    return sorted((export / table).glob("*.parquet"))


def file_split(path: Path) -> str:
    return path.name.split("-", 1)[0]


def write_rows(path: Path, rows: list[dict], schema_: pa.Schema) -> None:
    """Write rows with the table's schema, or with every column nullable when they hold a
    null where the schema has none (Parquet refuses it, or stores an empty list)."""
    try:
        pq.write_table(pa.Table.from_pylist(rows, schema=schema_), path)
        if pq.read_table(path).to_pylist() == rows:
            return
    except pa.ArrowInvalid:
        pass
    pq.write_table(pa.Table.from_pylist(rows, schema=relaxed(schema_)), path)


def refresh_manifest(export: Path) -> None:
    """Make manifest.json describe the files as they now are, as the build would."""
    manifest = json.loads((export / MANIFEST).read_text())
    files, tables = [], {}
    for path in sorted(export.glob("*/*.parquet")):
        rows = pq.ParquetFile(path).metadata.num_rows
        files.append({"path": str(path.relative_to(export)), "table": path.parent.name,
                      "split": file_split(path), "rows": rows, "bytes": path.stat().st_size,
                      "sha256": file_sha256(path)})
        split_rows = tables.setdefault(path.parent.name, {})
        split_rows[file_split(path)] = split_rows.get(file_split(path), 0) + rows
    manifest.update(files=files, tables=tables)
    (export / MANIFEST).write_text(json.dumps(manifest, indent=2))


def edit_manifest(export: Path, edit: Callable[[dict], None]) -> None:
    manifest = json.loads((export / MANIFEST).read_text())
    edit(manifest)
    (export / MANIFEST).write_text(json.dumps(manifest, indent=2))


def edit_table(export: Path, table: str, edit: Callable[[list[dict]], None]) -> None:
    """Change the rows of every shard of a table in place and refresh the manifest."""
    for path in shards(export, table):
        parquet = pq.read_table(path)
        rows = parquet.to_pylist()
        edit(rows)
        write_rows(path, rows, parquet.schema)
    refresh_manifest(export)


def documents_first_plain(export: Path) -> list[dict]:
    rows = [row for path in shards(export, "documents") for row in pq.read_table(path).to_pylist()]
    return sorted(rows, key=lambda row: row["doc_id"] != PLAIN)


def relayout(export: Path, edit: Callable[[list[dict]], None]) -> None:
    """Change document rows and write the whole export again with the build's writer, so
    the flat tables, the file names and the manifest follow (for corruptions that move rows
    between splits)."""
    rows = [row for path in shards(export, "documents") for row in pq.read_table(path).to_pylist()]
    edit(rows)
    manifest = json.loads((export / MANIFEST).read_text())
    for path in export.glob("*/*.parquet"):
        path.unlink()
    write_export([item_of(row) for row in rows], export,
                 Release(manifest["dataset_version"], manifest["release_date"], False))


def item_of(row: dict) -> tuple[Document, dict, str]:
    """A documents row as the build's (document, annotations, split)."""
    metadata = {f.name: row["doc_id" if f.name == "id" else f.name]
                for f in schema.METADATA_FIELDS}
    annotations = {"authorship": row["authorship"],
                   **{kind: row[kind] for kind in schema.ANNOTATION_KINDS}}
    return Document(metadata, row["text"]), annotations, row["split"]


def row_of(rows: list[dict], doc_id: str) -> dict:
    return next(row for row in rows if row["doc_id"] == doc_id)


def on_document(doc_id: str, change: Callable[[dict], None]) -> Corruption:
    def corrupt(export: Path) -> None:
        edit_table(export, "documents",
                   lambda rows: [change(row) for row in rows if row["doc_id"] == doc_id])
    return corrupt


def on_record(kind: str, record_id: str, change: Callable[[dict], None]) -> Corruption:
    """Change one annotation record the same way in the documents lists and its flat table."""
    def corrupt(export: Path) -> None:
        edit_table(export, "documents", lambda rows: [
            change(record) for row in rows for record in row[kind] if record["id"] == record_id])
        edit_table(export, kind,
                   lambda rows: [change(row) for row in rows if row["id"] == record_id])
    return corrupt


def setter(root: dict, parts: list[str], column: str) -> Callable[[Any], None] | None:
    """A setter of the first non-null value at the frame path ``parts`` (lists and nullable
    structs) and the dotted ``column`` inside ``root``; None if there is none."""
    if parts:
        value = root.get(parts[0])
        children = value if isinstance(value, list) else [value]
        for index, child in enumerate(children):
            if isinstance(child, str):  # an item of a list of labels
                return lambda new, items=value, i=index: items.__setitem__(i, new)
            if isinstance(child, dict) and (found := setter(child, parts[1:], column)):
                return found
        return None
    *outer, name = column.split(".")
    holder: Any = root
    for part in outer:
        holder = holder.get(part) if holder else None
    if not holder or holder.get(name) is None:
        return None
    return lambda new: holder.__setitem__(name, new)


def on_column(frame: str, column: str, value: Any) -> Corruption:
    """Set ``column`` of the first row of ``frame`` that has it (PLAIN's first for the
    documents frames), in the documents table and, for an annotation, in its flat table."""
    table, *parts = frame.split(".")

    def corrupt(export: Path) -> None:
        rows = documents_first_plain(export)
        if table == "documents":
            doc_id = next(row["doc_id"] for row in rows if setter(row, parts, column))
            on_document(doc_id, lambda row: setter(row, parts, column)(value))(export)
            return
        record = next(r for row in rows for r in row[table] if setter(r, parts, column))
        on_record(table, record["id"], lambda r: setter(r, parts, column)(value))(export)
    return corrupt


def column_rule_corruption(frame: str, expectation: gxe.Expectation) -> Corruption:
    """What breaks a rule derived from the schema (see ``expectations.column_rules``)."""
    if isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull):
        value = None
    elif isinstance(expectation, gxe.ExpectColumnValuesToBeInSet):
        value = "zz" if expectation.value_set == ISO_639_1 else "NOT_A_LABEL"
    elif isinstance(expectation, gxe.ExpectColumnValuesToMatchRegex):  # a name
        value = " \t\x0b\xa0\u3000"  # whitespace to Python, not all of it to RE2's \\s
    elif isinstance(expectation, gxe.ExpectColumnPairValuesToBeEqual):  # a date, read as one
        value = "2026-02-30"
    elif isinstance(expectation, gxe.ExpectColumnValuesToBeBetween):  # a date, in days
        value = "2999-01-01"
    else:
        raise AssertionError(f"no corruption for {expectation.meta['check']}")
    column = getattr(expectation, "column", None) or expectation.column_A
    column = column.removesuffix(" days after today")
    if frame == PROVENANCE_FRAME:  # shared by all records: break a mention's
        frame, column = "mentions", f"provenance.{column}"
    return on_column(frame, column, value)


# ------------------------------------------------------------------ corruptions of the checks


def add_listed_missing_file(export: Path) -> None:
    edit_manifest(export, lambda m: m["files"].append({
        "path": "mentions/test-00001-of-00002.parquet", "table": "mentions", "split": "test",
        "rows": 0, "bytes": 0, "sha256": "0" * 64}))


def add_unlisted_file(export: Path) -> None:
    pq.write_table(schema.TABLES["documents"].empty_table(),
                   export / "documents" / "train-00000-of-00001.parquet")


def add_garbage_file(export: Path) -> None:
    """A listed shard that is not Parquet (a truncated or overwritten file)."""
    path = export / "document_flags" / "validation-00000-of-00001.parquet"
    path.write_bytes(b"PAR1 garbage")
    edit_manifest(export, lambda m: m["files"].append({
        "path": str(path.relative_to(export)), "table": "document_flags",
        "split": "validation", "bytes": path.stat().st_size, "sha256": file_sha256(path)}))


def first_file_entry(change: Callable[[dict], None]) -> Corruption:
    return lambda export: edit_manifest(export, lambda m: change(
        next(f for f in m["files"] if f["table"] == "mentions")))


def widen_start_column(export: Path) -> None:
    path = shards(export, "mentions")[0]
    table = pq.read_table(path)
    index = table.schema.get_field_index("start")
    pq.write_table(table.set_column(index, pa.field("start", pa.int64(), nullable=False),
                                    table["start"].cast(pa.int64())), path)
    refresh_manifest(export)


def flat_only(kind: str, edit: Callable[[list[dict]], None]) -> Corruption:
    return lambda export: edit_table(export, kind, edit)


def rename_first_shard(table: str) -> Corruption:
    """Put a table's first shard under another split's name, rows unchanged."""
    def corrupt(export: Path) -> None:
        path = shards(export, table)[0]
        other = next(s for s in schema.SPLIT.names if s != file_split(path))
        path.rename(path.with_name(path.name.replace(file_split(path), other, 1)))
        refresh_manifest(export)
    return corrupt


def orphan_row(kind: str) -> Corruption:
    """A copy of a flat row, with a new id, whose document does not exist."""
    return flat_only(kind, lambda rows: rows.append(
        {**rows[0], "doc_id": "ghost", "id": "ghost:1"}))


def blank_text(row: dict) -> None:
    """A text of whitespace only, with its own sha256: nothing but the text is wrong."""
    row.update(text=" \n", sha256=text_sha256(" \n"))


def text_length(export: Path, doc_id: str) -> int:
    return len(row_of(documents_first_plain(export), doc_id)["text"])


def end_past_text(export: Path) -> None:
    end = text_length(export, SOURCE) + 5
    on_record("mentions", f"{SOURCE}:m0", lambda r: r.update(end=end))(export)


SPECIFIC: dict[str, list[Corruption]] = {
    "files: every file listed in manifest.json exists": [add_listed_missing_file],
    "files: every Parquet file is listed in manifest.json": [add_unlisted_file],
    "files: rows equal the manifest's": [first_file_entry(lambda f: f.update(rows=f["rows"] + 1))],
    "files: sha256 equals the manifest's": [first_file_entry(lambda f: f.update(sha256="0" * 64))],
    "files: every Parquet file can be read": [add_garbage_file],
    "files: columns and types are the schema's": [widen_start_column],
    "tables: rows equal the manifest's totals": [lambda export: edit_manifest(
        export, lambda m: m["tables"]["mentions"].update(test=99))],
    "tables: the flat table holds the records of the documents lists, in order": [
        flat_only("mentions", lambda rows: rows[0].update(entity_id="ent:other")),
        flat_only("events", lambda rows: rows.pop()),
        flat_only("claims", lambda rows: rows[0]["evidence"][0].update(text="other")),
    ],
    "spans: 0 <= start": [on_record("mentions", f"{SOURCE}:m0", lambda r: r.update(start=-1))],
    "spans: start < end": [
        on_record("mentions", f"{SOURCE}:m0", lambda r: r.update(end=r["start"])),
        on_record("events", f"{SOURCE}:e0",
                  lambda r: r["trigger"].update(end=r["trigger"]["start"])),
    ],
    "spans: end <= text length": [end_past_text],
    "spans: text equals the document slice": [
        on_record("mentions", f"{SOURCE}:m0", lambda r: r.update(text="VOV.VM")),
        on_record("span_flags", f"{SOURCE}:f1",
                  lambda r: r.update(first_occurrence=r["first_occurrence"] + 1)),
        on_record("claims", f"{DERIVED}:c0", lambda r: r["evidence"][0].update(text="Hanoi")),
    ],
    "references: every reference resolves": [
        on_record("events", f"{SOURCE}:e1", lambda r: r["arguments"][0].update(mention_id="m9")),
        on_record("events", f"{DERIVED}:e0", lambda r: r.update(source_event_id="ghost")),
        on_record("claims", f"{DERIVED}:c0", lambda r: r.update(source_doc_id="ghost")),
        on_document(DERIVED, lambda row: row.update(derived_from="ghost")),
        orphan_row("mentions"),
        orphan_row("claims"),
    ],
    "corpus: doc_id is unique": [lambda export: edit_table(export, "documents", lambda rows: [
        rows.append(dict(row)) for row in list(rows) if row["doc_id"] == PLAIN])],
    "corpus: a derived document is in its source's story group": [
        on_document(DERIVED, lambda row: row.update(story_group="another story"))],
    "corpus: derived_from and derivation are given together": [
        on_document(DERIVED, lambda row: row.update(derivation=None))],
    "documents: text is not empty or only whitespace": [on_document(PLAIN, blank_text)],
    "stories: in one split": [on_document(PLAIN, lambda row: row.update(
        story_group="vn-ca-third-defence-policy-dialogue"))],
    "record ids: id is unique across all tables": [
        on_record("span_flags", f"{SOURCE}:f0", lambda r: r.update(id=f"{SOURCE}:m0"))],
    "documents: sha256 equals the sha256 of text": [
        on_document(PLAIN, lambda row: row.update(sha256="0" * 64))],
    "documents: split is in vocabulary split": [lambda export: relayout(
        export, lambda rows: row_of(rows, PLAIN).update(split="NOT_A_SPLIT"))],
    **{f"{table}: split equals the split of its file": [rename_first_shard(table)]
       for table in schema.TABLES},
}


def cases() -> list[Any]:
    result = []
    for frame, (_, expectations) in suites().items():
        for expectation in expectations:
            check = expectation.meta["check"]
            corruptions = SPECIFIC.get(check) or [column_rule_corruption(frame, expectation)]
            result += [pytest.param(check, corrupt, id=f"{check} #{n}")
                       for n, corrupt in enumerate(corruptions)]
    return result


# ------------------------------------------------------------------ tests


def test_committed_export_passes(repo: Path) -> None:
    report = validate_export(repo / "data")
    assert report.success, report.summary()
    assert {o.frame for o in report.outcomes if o.checked} >= {"files", "documents", "spans"}


def test_complete_export_passes_with_every_frame_checked(complete_export: Path) -> None:
    report = validate_export(complete_export)
    assert report.success, report.summary()
    unchecked = {o.frame for o in report.outcomes if o.checked == 0}
    assert unchecked == set(), f"frames with no rows in the test export: {unchecked}"


def test_corruption_helpers_change_nothing_else(complete_export: Path, export: Path) -> None:
    relayout(export, lambda rows: None)
    edit_table(export, "mentions", lambda rows: None)
    for path in complete_export.rglob("*.parquet"):
        relative = path.relative_to(complete_export)
        assert pq.read_table(export / relative).equals(pq.read_table(path)), relative
    assert json.loads((export / MANIFEST).read_text())["tables"] == \
        json.loads((complete_export / MANIFEST).read_text())["tables"]


def test_every_check_has_a_corruption() -> None:
    checks = {e.meta["check"] for _, expectations in suites().values() for e in expectations}
    assert set(SPECIFIC) <= checks, set(SPECIFIC) - checks


@pytest.mark.parametrize(("check", "corrupt"), cases())
def test_each_expectation_bites(export: Path, check: str, corrupt: Corruption) -> None:
    corrupt(export)
    report = validate_export(export)
    assert [o.check for o in report.failures] == [check], report.summary()
    failure = report.failures[0]
    assert failure.failed >= 1 and failure.examples, failure
    assert failure.check in report.summary()


def test_the_not_blank_rule_agrees_with_the_input_checks() -> None:
    """The names' rule, as GX runs it on pandas, calls blank what ``is_blank`` does."""
    spaces = [c for c in map(chr, range(0x3001)) if c.isspace()]
    values = ["", "a", "\u200b", *spaces, *(f"{c}a{c}" for c in spaces), "".join(spaces)]
    matched = pd.Series(values, dtype="str").str.contains(not_blank_regex())
    assert matched.tolist() == [not is_blank(v) for v in values]


def test_validate_command_reports_and_exits_non_zero(export: Path) -> None:
    runner = CliRunner()
    passed = runner.invoke(main, ["validate", "--data", str(export)])
    assert passed.exit_code == 0, passed.output
    report = export.parent / VALIDATION_REPORT
    assert "The export passes" in report.read_text()
    on_document(PLAIN, lambda row: row.update(language="zz"))(export)
    failed = runner.invoke(main, ["validate", "--data", str(export)])
    assert failed.exit_code == 1
    assert "FAILED documents: language is an ISO 639-1 code (1 of 3 rows)" in failed.output
    assert f"doc_id='{PLAIN}'" in failed.output
    assert "| documents | language is an ISO 639-1 code | FAILED | 3 | 1 |" in report.read_text()


def test_build_does_not_publish_an_export_that_fails(scratch_repo: Path) -> None:
    def assemble_then_corrupt(plan: Any, staging: Path) -> dict:
        manifest = assemble(plan, staging)
        edit_table(staging, "documents", lambda rows: rows[0].update(sha256="0" * 64))
        return manifest

    before = {p: p.read_bytes() for p in (scratch_repo / "data").rglob("*") if p.is_file()}
    with mock.patch("newsprov.build.pipeline.assemble", assemble_then_corrupt), \
            pytest.raises(Exception, match="nothing was published") as error:
        build(scratch_repo)
    assert "documents: sha256 equals the sha256 of text" in str(error.value)
    assert before == {p: p.read_bytes() for p in (scratch_repo / "data").rglob("*")
                      if p.is_file()}
    report = (scratch_repo / VALIDATION_REPORT).read_text(encoding="utf-8")
    assert f"# Validation of `{scratch_repo / 'data'}`" in report
    assert "| documents | sha256 equals the sha256 of text | FAILED |" in report


def test_report_lists_every_expectation(repo: Path) -> None:
    report = validate_export(repo / "data")
    assert isinstance(report, ValidationReport)
    table_rows = [line for line in report.markdown().splitlines() if line.startswith("| ")]
    assert len(table_rows) == 2 + len(report.outcomes)


def test_spill_reads_back_every_row_once_with_equal_keys_together(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows flushed in many pieces come back whole: each key's rows of both streams in one
    group, in the order they were added."""
    monkeypatch.setattr(validation, "SPILL_FLUSH_BYTES", 1)  # every add is cut into buckets
    monkeypatch.setattr(validation, "POOL_ROWS", 1)          # every bucket is its own group
    spill = validation.Spill(tmp_path, rows=40 * validation.SPILL_BUCKET_ROWS)
    keys = [f"doc-{row % 97}" for row in range(3_000)]
    for start in range(0, 3_000, 250):
        chunk = range(start, start + 250)
        spill.add("records", "doc_id", pa.table({"doc_id": [keys[r] for r in chunk],
                                                 "row": list(chunk)}))
        spill.add("documents", "id", pa.table({"id": [f"doc-{r % 97}" for r in chunk[:5]]}))
    groups = [(records.to_pylist(), [] if documents is None else documents["id"].to_pylist())
              for records, documents in spill.buckets("records", "documents")
              if records is not None]
    assert len(groups) > 10                                   # the keys were spread
    assert sorted(row["row"] for rows, _ in groups for row in rows) == list(range(3_000))
    for rows, document_ids in groups:
        assert [row["row"] for row in rows] == sorted(row["row"] for row in rows)
        assert {row["doc_id"] for row in rows} >= set(document_ids)
    key_groups = [{row["doc_id"] for row in rows} for rows, _ in groups]
    assert sum(len(group) for group in key_groups) == len(set(keys))  # no key in two groups
