"""The round trip through a real Label Studio server on 127.0.0.1: the suite's one server
(``label_studio`` in tests/conftest.py), each test in its own project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_labelstudio import FIXTURES, REPO, annotation_sets, snapshot

from newsprov.annotate.detectors import pre_annotations
from newsprov.annotate.labelstudio import config
from newsprov.annotate.labelstudio.results import provenance_rule, read_result
from newsprov.annotate.labelstudio.server import HOST, Server
from newsprov.annotate.labelstudio.sync import connect, find_project
from newsprov.annotate.labelstudio.tasks import pre_annotation_version
from newsprov.cli import main
from newsprov.core import schema
from newsprov.core.layout import LABELSTUDIO_IMPORT_REPORT
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import load_corpus


def newsprov(*arguments: str) -> str:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def assert_token_nowhere(server: Server, outputs: list[str], root: Path) -> None:
    assert server.account is not None
    token = server.account.token
    assert not [output for output in outputs if token in output]
    assert not [p for p in root.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]


def test_server_listens_on_loopback_only(label_studio: Server) -> None:
    assert label_studio.listening() == {(HOST, label_studio.port)}


@pytest.mark.parametrize("directory", annotation_sets(), ids=lambda p: p.name)
def test_annotation_set_round_trip(server_env: Server, scratch_repo: Path,
                                   directory: Path) -> None:
    """Push a set (gold first) as annotations of every document, pull it back: the pulled
    files equal the set's files field by field, and byte for byte."""
    set_dir = directory.relative_to(REPO)
    title = f"round trip {directory.name}"
    outputs = [newsprov("ls-sync", "push", "--root", str(scratch_repo), "--project", title,
                        "--annotations", str(set_dir)),
               newsprov("ls-sync", "pull", "--root", str(scratch_repo), "--project", title,
                        "--out", "pulled", "--annotator", "1=round-trip",
                        "--save-export", str(scratch_repo / "export.json"))]
    corpus = load_corpus(scratch_repo)
    pushed = load_annotation_set(scratch_repo / set_dir, corpus)
    pulled = load_annotation_set(scratch_repo / "pulled" / "round-trip", corpus)
    assert pulled.keys() == pushed.keys()
    for doc_id, data in pushed.items():
        assert pulled[doc_id]["authorship"] == data["authorship"]
        for kind in schema.ID_LETTERS:
            assert len(pulled[doc_id][kind]) == len(data[kind]), (doc_id, kind)
            for back, sent in zip(pulled[doc_id][kind], data[kind], strict=True):
                assert back == sent
    assert snapshot(scratch_repo / "pulled" / "round-trip") == snapshot(scratch_repo / set_dir)
    report = json.loads((scratch_repo / "pulled" / LABELSTUDIO_IMPORT_REPORT).read_text())
    assert report["counts"] == {"in": len(pushed), "imported": len(pushed), "rejected": 0}
    assert len(report["tasks_without_submissions"]) == len(corpus) - len(pushed)
    assert_token_nowhere(server_env, outputs, scratch_repo)


def test_pre_annotations_are_predictions(server_env: Server, scratch_repo: Path) -> None:
    title = "pre-annotations"
    output = newsprov("ls-sync", "push", "--root", str(scratch_repo), "--project", title,
                      "--pre-annotate")
    assert_token_nowhere(server_env, [output], scratch_repo)
    corpus = load_corpus(scratch_repo)
    assert server_env.account is not None
    server = connect(server_env.url, server_env.account.token)
    tasks = list(server.client.tasks.list(project=find_project(server, title).id, fields="all"))
    assert sorted(t.data["doc_id"] for t in tasks) == sorted(corpus)
    for task in tasks:
        document = corpus[task.data["doc_id"]]
        [prediction] = task.predictions
        assert prediction.model_version == pre_annotation_version()
        pushed = task.data[config.DATA_KEY]["pushed"]
        back = read_result(prediction.result, document, None, None,
                                       provenance_rule(pushed, "nobody", None))
        dates = {entry["record"]["provenance"]["date"] for entry in pushed} or {None}
        [date] = dates
        assert back == pre_annotations(document, date)
    again = newsprov("ls-sync", "push", "--root", str(scratch_repo), "--project", title,
                     "--pre-annotate")
    assert f"0 tasks added, {len(corpus)} already there (not changed)" in again


def test_work_done_in_label_studio_comes_back_attributed(server_env: Server,
                                                         tmp_path: Path) -> None:
    """An annotator opens a pushed annotation, changes a label and adds a mention, and
    submits: the later submission is imported (the first is reported as a duplicate), the
    changed and the new record are the annotator's, the untouched ones keep their
    provenance."""
    shutil.copytree(FIXTURES / "corpus", tmp_path / "corpus")
    shutil.copytree(FIXTURES / "good.expected" / "alice", tmp_path / "alice")
    title = "edited in label studio"
    newsprov("ls-sync", "push", "--root", str(tmp_path), "--project", title,
             "--annotations", "alice")
    assert server_env.account is not None
    server = connect(server_env.url, server_env.account.token)
    client = server.client
    project = find_project(server, title)
    [task] = [t for t in client.tasks.list(project=project.id, fields="all")
              if t.data["doc_id"] == "fx1_original"]
    [first] = task.annotations
    result = [dict(item) for item in first["result"]]
    result[0] = {**result[0], "value": {**result[0]["value"], "labels": ["LOC"]}}
    result.append({"id": "aB3dE5gH7j", "from_name": "entity", "to_name": "text",
                   "type": "labels", "value": {"start": 63, "end": 68, "text": "Hanoi",
                                               "labels": ["GPE"]}})
    result.append({"id": "aB3dE5gH7j", "from_name": "entity_entity_id", "to_name": "text",
                   "type": "textarea", "value": {"start": 63, "end": 68,
                                                 "text": ["ent:hanoi"]}})
    client.annotations.create(id=task.id, result=result, lead_time=12.5)
    newsprov("ls-sync", "pull", "--root", str(tmp_path), "--project", title, "--out", "pulled",
             "--annotator", "1=carol")

    report = json.loads((tmp_path / "pulled" / LABELSTUDIO_IMPORT_REPORT).read_text())
    assert report["counts"] == {"in": 3, "imported": 2, "rejected": 1}
    [rejected] = report["rejected"]
    assert rejected["annotation"] == first["id"]
    assert rejected["reasons"][0].startswith("duplicate submission: carol also submitted")
    corpus = load_corpus(tmp_path)
    sent = load_annotation_set(tmp_path / "alice", corpus)["fx1_original"]
    back = load_annotation_set(tmp_path / "pulled" / "carol", corpus)["fx1_original"]
    by_id = {mention["id"]: mention for mention in back["mentions"]}
    [edited] = [r for r in report["imported"] if r["doc_id"] == "fx1_original"]
    carol = {"annotator": "carol", "method": "label_studio",
             "date": edited["updated_at"][:10]}
    assert by_id["fx1_original:m1"] == {**sent["mentions"][0], "type": "LOC",
                                        "provenance": carol}
    assert by_id["fx1_original:m5"] == {**sent["mentions"][2], "id": "fx1_original:m5",
                                        "provenance": carol}
    assert back["mentions"][1:4] == sent["mentions"][1:4]
    assert {k: v for k, v in back.items() if k != "mentions"} == \
        {k: v for k, v in sent.items() if k != "mentions"}
