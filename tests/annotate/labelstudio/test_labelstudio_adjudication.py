"""Adjudication of annotators' sets into gold: majority decisions, disputes, references
re-pointed at gold records, the agreement report. The passes are variants of the fixture
annotation set made here, each differing in known decisions."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_labelstudio import FIXTURES

from newsprov.annotate.adjudication import adjudicate, adjudicate_sets, decision
from newsprov.cli import main
from newsprov.core.errors import InputError
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import load_annotation_set, write_annotation_file
from newsprov.store.corpus import load_corpus

ORIGINAL, REWRITE = "fx1_original", "fx2_rewrite"
KINDS = ("mentions", "events", "document_flags", "span_flags", "claims")


def variants(corpus) -> dict[str, dict[str, AnnotationFile]]:
    """a: the fixture set. b: no `May 29` mention (so its event loses the time argument), ids
    numbered backwards, another note. c: the AGREE event `future`, claim c2 `subtle`."""
    a = load_annotation_set(FIXTURES / "good.expected" / "alice", corpus)
    b, c = copy.deepcopy(a), copy.deepcopy(a)
    original = b[ORIGINAL]
    original["mentions"] = [m for m in original["mentions"] if m["text"] != "May 29"]
    original["events"][0]["arguments"] = [x for x in original["events"][0]["arguments"]
                                          if x["role"] != "time"]
    renamed = {m["id"]: f"{ORIGINAL}:m{9 - n}" for n, m in enumerate(original["mentions"])}
    for mention in original["mentions"]:
        mention["id"] = renamed[mention["id"]]
    for argument in original["events"][0]["arguments"]:
        argument["mention_id"] = renamed[argument["mention_id"]]
    original["span_flags"][1]["note"] = "another note"
    c[ORIGINAL]["events"][1]["modality"] = "future"
    c[REWRITE]["claims"][1]["severity"] = "subtle"
    return {"a": a, "b": b, "c": c}


def decisions(data: AnnotationFile, kind: str, source: AnnotationFile | None) -> list:
    return sorted(map(repr, (decision(kind, r, data, source) for r in data[kind])))


@pytest.fixture
def corpus():
    return load_corpus(FIXTURES)


def test_majority_of_three_makes_gold(corpus) -> None:
    passes = variants(corpus)
    gold, disputes, left_out = adjudicate(passes, corpus, "lead", "2026-12-01")
    a = passes["a"]
    assert left_out == []
    for doc_id in (ORIGINAL, REWRITE):
        source = corpus[doc_id].derived_from
        for kind in KINDS:  # every decision of a has a majority (a and one other)
            assert decisions(gold[doc_id], kind, gold.get(source)) == \
                decisions(a[doc_id], kind, a.get(source)), (doc_id, kind)
            assert all(r["provenance"] == {"annotator": "lead", "method": "adjudicated",
                                           "date": "2026-12-01"} for r in gold[doc_id][kind])
    assert gold[ORIGINAL]["authorship"] == {**a[ORIGINAL]["authorship"], "provenance": {
        "annotator": "lead", "method": "adjudicated", "date": "2026-12-01"}}
    notes = [f["note"] for f in gold[ORIGINAL]["span_flags"]]
    assert "the site's follow-us prompt" in notes and "another note" not in notes
    assert [m["text"] for m in gold[ORIGINAL]["mentions"]] == ["Vietnam", "Canada", "Hanoi",
                                                              "May 29"]
    assert [m["id"] for m in gold[ORIGINAL]["mentions"]] == [f"{ORIGINAL}:m{n}"
                                                            for n in range(1, 5)]
    [convened] = gold[REWRITE]["events"]
    assert convened["source_event_id"] == next(e["id"] for e in gold[ORIGINAL]["events"]
                                               if e["trigger"]["text"] == "held")
    assert sorted((d["doc_id"], d["kind"], tuple(d["annotators"])) for d in disputes) == [
        (ORIGINAL, "events", ("b",)), (ORIGINAL, "events", ("c",)),
        (REWRITE, "claims", ("c",))]


def test_two_annotators_must_agree(corpus) -> None:
    passes = variants(corpus)
    gold, disputes, _ = adjudicate({"a": passes["a"], "b": passes["b"]}, corpus, "lead",
                                   "2026-12-01")
    assert "May 29" not in [m["text"] for m in gold[ORIGINAL]["mentions"]]
    assert [e["trigger"]["text"] for e in gold[ORIGINAL]["events"]] == ["agreed"]
    # the rewrite's event reports `held`, which is not in gold: it cannot be gold either
    assert gold[REWRITE]["events"] == []
    found = sorted((d["doc_id"], d["kind"], tuple(d["annotators"]), d["problem"])
                   for d in disputes)
    majority = "a majority needs 2"
    assert found == [
        (ORIGINAL, "events", ("a",), f"made by 1 of 2 annotators; {majority}"),
        (ORIGINAL, "events", ("b",), f"made by 1 of 2 annotators; {majority}"),
        (ORIGINAL, "mentions", ("a",), f"made by 1 of 2 annotators; {majority}"),
        (REWRITE, "events", ("a", "b"),
         "its source event (trigger (19, 23)) is not one event of the gold source")]


def test_adjudicate_command_writes_checked_gold_and_agreement(corpus, tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "corpus", tmp_path / "corpus")
    for name, files in variants(corpus).items():
        for doc_id, data in files.items():
            write_annotation_file(tmp_path / "passes" / name / f"{doc_id}.json", data)
    arguments = ["adjudicate", "--root", str(tmp_path), "passes/a", "passes/b", "passes/c",
                 "--adjudicator", "lead", "--date", "2026-12-01", "--out", "gold",
                 "--report", "adjudication.json"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    gold = load_annotation_set(tmp_path / "gold", corpus)
    assert sorted(gold) == [ORIGINAL, REWRITE]
    report = json.loads((tmp_path / "adjudication.json").read_text())
    assert len(report["disputes"]) == 3
    assert [pair["passes"] for pair in report["agreement"]] == [["a", "b"], ["a", "c"],
                                                                ["b", "c"]]
    a_c = report["agreement"][1]
    assert a_c["entities"]["micro"]["strict"]["f1"] == 1.0  # c changed no mention
    assert report["agreement"][0]["entities"]["micro"]["strict"]["f1"] < 1.0

    again = CliRunner().invoke(main, arguments)
    assert again.exit_code == 2
    assert "a gold file exists already; pass --replace to replace it" in again.output


def test_existing_gold_is_replaced_only_when_asked(corpus, tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "corpus", tmp_path / "corpus")
    for name, files in variants(corpus).items():
        for doc_id, data in files.items():
            write_annotation_file(tmp_path / "passes" / name / f"{doc_id}.json", data)
    arguments = {"root": tmp_path, "pass_dirs": [Path("passes/a"), Path("passes/b")],
                 "out": Path("gold"), "adjudicator": "lead", "date": "2026-12-01",
                 "report": Path("adjudication.json")}
    adjudicate_sets(**arguments, replace=False)
    written = {path: path.read_bytes() for path in (tmp_path / "gold").glob("*.json")}
    with pytest.raises(InputError) as caught:
        adjudicate_sets(**arguments, replace=False)
    assert caught.value.check == "gold-file-exists"
    assert {path: path.read_bytes() for path in (tmp_path / "gold").glob("*.json")} == written
