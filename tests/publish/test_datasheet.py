"""DATASHEET.md, the README card and croissant.json: generated from the export, never stale."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from newsprov.annotate.agreement import agreement_report
from newsprov.cli import main
from newsprov.core import schema
from newsprov.core.files import section_body, write_json
from newsprov.core.layout import (
    AGREEMENT_FILE,
    CROISSANT,
    DATASHEET,
    GOLD_DIR,
    MANIFEST,
    PASSES_DIR,
    README,
)
from newsprov.publish.datasheet import render_agreement, render_version_history
from newsprov.publish.docs import render_docs
from newsprov.publish.statistics import COUNTED_COLUMN, Statistics, compute_statistics
from newsprov.store.annotations import load_annotation_set, write_annotation_file
from newsprov.store.corpus import load_corpus

# The questions of "Datasheets for Datasets" (Gebru et al.), by a phrase of each.
GEBRU_QUESTIONS = {
    "Motivation": ["For what purpose", "Who created", "Who funded", "other comments"],
    "Composition": [
        "What do the instances", "How many instances", "all possible instances",
        "What data does each instance", "label or target", "information missing",
        "relationships between individual instances", "recommended data splits",
        "errors, sources of noise", "self-contained", "confidential", "offensive",
        "subpopulations", "identify individuals", "sensitive in any way", "other comments"],
    "Collection process": [
        "How was the data", "What mechanisms", "sampling strategy",
        "Who was involved", "Over what timeframe", "ethical review", "relate to people",
        "directly, or obtain it via third parties", "notified", "consent to the collection",
        "revoke their consent", "analysis of the potential impact", "other comments"],
    "Preprocessing, cleaning and labelling": [
        "Was any preprocessing", "raw\" data saved", "software that was used",
        "other comments"],
    "Uses": ["used for any tasks already", "repository that links", "(other) tasks",
             "might impact future uses", "should not be used", "other comments"],
    "Distribution": ["distributed to third parties", "How will the dataset be distributed",
                     "When will the dataset", "copyright or other intellectual property",
                     "third parties imposed", "export controls", "other comments"],
    "Maintenance": ["Who will be supporting", "contacted", "erratum", "be updated",
                    "limits on the retention", "older versions", "extend/augment",
                    "other comments"],
}
QUESTION = re.compile(r"^\*\*(.+?)\*\*\n(.*?)(?=^\*\*|^#|\Z)", re.MULTILINE | re.DOTALL)


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_committed_docs_are_what_the_build_writes(repo: Path, fresh_export: Path) -> None:
    """CI fails when a generated section or croissant.json is stale."""
    manifest = json.loads((fresh_export / MANIFEST).read_text())
    docs = render_docs(repo, fresh_export, manifest)
    assert set(docs) == {README, DATASHEET, CROISSANT}
    for path, content in docs.items():
        assert (repo / path).read_text(encoding="utf-8") == content, \
            f"{path} is stale: run `newsprov build` (or `newsprov docs`) and commit it"


def test_every_datasheet_question_has_an_answer(repo: Path) -> None:
    by_section = sections((repo / DATASHEET).read_text(encoding="utf-8"))
    for section, phrases in GEBRU_QUESTIONS.items():
        answers = {" ".join(question.split()): answer.strip()
                   for question, answer in QUESTION.findall(by_section[section])}
        for phrase in phrases:
            matching = [q for q in answers if phrase.lower() in q.lower()]
            assert matching, f"{section}: no question containing {phrase!r}"
            assert all(answers[q] for q in matching), f"{section}: {matching} unanswered"


def test_answers_were_reviewed_for_this_version(repo: Path) -> None:
    """A new version may change what the prose must say: it has to be reviewed."""
    version = json.loads((repo / "release.json").read_text())["version"]
    text = " ".join((repo / DATASHEET).read_text(encoding="utf-8").split())
    assert f"reviewed against the data of dataset version {version}." in text


def test_statistics_count_what_the_gold_set_holds(repo: Path, fresh_export: Path) -> None:
    """The Parquet-based figures agree with counts taken from the working files."""
    corpus = load_corpus(repo)
    gold = load_annotation_set(repo / GOLD_DIR, corpus)
    manifest = json.loads((fresh_export / MANIFEST).read_text())
    stats = compute_statistics(fresh_export, manifest)
    assert stats.documents == Counter(manifest["tables"]["documents"])
    assert stats.tokens.total() == sum(len(d.text.split()) for d in corpus.values())
    assert stats.derived.total() == sum(d.derived_from is not None for d in corpus.values())
    for kind, column in COUNTED_COLUMN.items():
        expected = Counter(record[column] for data in gold.values() for record in data[kind])
        counted = Counter()
        for (label, _), n in stats.labels[kind].items():
            counted[label] += n
        assert counted == expected, kind
    assert sum(stats.annotators.values()) == sum(
        len(data[kind]) for data in gold.values() for kind in schema.ANNOTATION_KINDS) + sum(
        data["authorship"] is not None for data in gold.values())


def first_labelled_record(gold: dict) -> tuple[str, str, dict]:
    """A mention or event: their labels can change without breaking another rule."""
    for doc_id, data in sorted(gold.items()):
        for kind in ("mentions", "events"):
            if data[kind]:
                return doc_id, kind, data[kind][0]
    raise AssertionError("the gold set has no mention and no event")


def built_statistics(root: Path) -> Statistics:
    """``newsprov build`` into ``root/data`` (which rewrites its docs); count the export."""
    result = CliRunner().invoke(main, ["build", "--root", str(root), "--no-validate"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "data" / MANIFEST).read_text())
    return compute_statistics(root / "data", manifest)


def test_changing_one_annotation_changes_the_statistics(
        scratch_repo: Path, next_version: Callable[[Path, str, str], None]) -> None:
    """The docs of the build before a change are stale after it: CI would fail on them."""
    before = built_statistics(scratch_repo)
    committed = {path: (scratch_repo / path).read_text(encoding="utf-8")
                 for path in (README, DATASHEET)}
    corpus = load_corpus(scratch_repo)
    gold = load_annotation_set(scratch_repo / GOLD_DIR, corpus)
    doc_id, kind, record = first_labelled_record(gold)
    column = COUNTED_COLUMN[kind]
    old = record[column]
    names = schema.vocabulary_of(schema.TABLES[kind].field(column)).names
    record[column] = new = names[(names.index(old) + 1) % len(names)]
    write_annotation_file(scratch_repo / GOLD_DIR / f"{doc_id}.json", gold[doc_id])
    next_version(scratch_repo, "1.0.1", "A label corrected.")  # 1.0.0 is released

    after = built_statistics(scratch_repo)
    split = next(split for (label, split) in before.labels[kind] if label == old)
    assert after.labels[kind][(old, split)] == before.labels[kind][(old, split)] - 1
    assert after.labels[kind][(new, split)] == before.labels[kind][(new, split)] + 1
    for path, text in committed.items():
        rebuilt = (scratch_repo / path).read_text(encoding="utf-8")
        assert section_body(rebuilt, "statistics") != section_body(text, "statistics")
        count = after.labels[kind][(new, split)]
        assert f"| {kind} | `{new}` | {count:,} |" in section_body(rebuilt, "statistics")


def test_provenance_table_states_every_document_and_unknown(repo: Path) -> None:
    table = section_body((repo / DATASHEET).read_text(encoding="utf-8"), "provenance")
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    corpus = load_corpus(repo)
    assert len(rows) == len(corpus)
    for document in corpus.values():
        row = next(line for line in rows if line.startswith(f"| `{document.id}` |"))
        assert document.metadata["sha256"] in row
        for unknown in document.metadata["unknown_fields"]:
            assert unknown["reason"] in row, unknown


def test_version_history_keeps_earlier_versions(repo: Path) -> None:
    manifest = json.loads((repo / "data" / MANIFEST).read_text())
    stats = compute_statistics(repo / "data", manifest)
    width = 4 + len(stats.labels)
    older = "| 0.9.0 | 1.0.0 " + "| 7 " * (width - 2) + "|"
    stale = f"| {stats.version} | 1.0.0 " + "| 99 " * (width - 2) + "|"
    history = render_version_history(f"\n{stale}\n{older}\n", stats)
    rows = [line for line in history.splitlines() if re.match(r"\| \d", line)]
    assert rows[0] == older
    assert len(rows) == 2 and rows[1].startswith(f"| {stats.version} |") and "99" not in rows[1]


def test_agreement_is_rendered_from_its_json(repo: Path, tmp_path: Path) -> None:
    assert "Not computed yet" in render_agreement(tmp_path)
    corpus = load_corpus(repo)
    passes = {name: load_annotation_set(repo / PASSES_DIR / name, corpus)
              for name in ("pass_a", "pass_b")}
    report = {"passes": list(passes), **agreement_report(*passes.values(), corpus)}
    write_json(tmp_path / AGREEMENT_FILE, report)
    rendered = render_agreement(tmp_path)
    f1 = report["entities"]["micro"]["strict"]["f1"]
    assert "| entity mentions | strict span | " in rendered
    assert f" | {f1:.3f} | " in rendered.split("| entity mentions | strict span | ")[1]
