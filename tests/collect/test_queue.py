"""``newsprov queue`` against the real Label Studio server of the suite (``label_studio`` in
tests/conftest.py, shared with tests/annotate/labelstudio; a project of its own): the pairs of
a collect run become tasks in score order with their pre-annotations (detector flags, claim
candidates with evidence), and an annotation made there comes back through the validated
import."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from newsprov.annotate.labelstudio.server import Server
from newsprov.annotate.labelstudio.sync import connect, find_project
from newsprov.cli import main
from newsprov.core.layout import LABELSTUDIO_IMPORT_REPORT, PRE_DIR, REPO
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import load_corpus

sys.path.insert(0, str(REPO / "scripts"))
import synth_crawl  # a script, not a package module


def newsprov(*arguments: str) -> str:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def test_queue_pushes_ranked_pairs_and_annotations_come_back(server_env: Server,
                                                             tmp_path: Path) -> None:
    synth_crawl.write_news_warc(tmp_path / "news.warc", 0, 8)
    synth_crawl.write_pages_warc(tmp_path / "farm.warc", [
        (f"http://farm.example/{n}", synth_crawl.rewrite_html(n)) for n in (2, 5)])
    collected = tmp_path / "collected"
    newsprov("collect", "--sources", str(tmp_path / "news.warc"), "--candidates",
             str(tmp_path / "farm.warc"), "--out", str(collected), "--workers", "2")
    workspace = tmp_path / "workspace"
    title = "queued pairs"
    output = newsprov("queue", str(collected), "--root", str(workspace), "--project", title)
    assert "2 pairs queued" in output
    assert server_env.account is not None
    server = connect(server_env.url, server_env.account.token)
    project = find_project(server, title)
    client = server.client  # the SDK's own client, to read and annotate as a person would
    tasks = sorted(client.tasks.list(project=project.id, fields="all"), key=lambda t: t.id)
    scores = [t.data["newsprov"]["proposal_score"] for t in tasks]
    assert len(tasks) == 2 and scores == sorted(scores, reverse=True)
    corpus = load_corpus(workspace)
    for task in tasks:
        rewrite = corpus[task.data["doc_id"]]
        assert task.data["source_doc_id"] == rewrite.derived_from
        assert task.data["source_text"] == corpus[rewrite.derived_from].text
        [prediction] = task.predictions
        # claim candidates on the rewrite, their evidence on the source, linked by relations
        names = {item.get("from_name") for item in prediction.result}
        assert {"claim", "evidence"} <= names, names
        assert any(item["type"] == "relation" for item in prediction.result)
    task = tasks[0]
    client.annotations.create(id=task.id, result=[dict(item) for item in
                                                  task.predictions[0].result], lead_time=30)
    newsprov("ls-sync", "pull", "--root", str(workspace), "--project", title, "--out",
             "passes", "--annotator", "1=annotator-a")
    report = json.loads((workspace / "passes" / LABELSTUDIO_IMPORT_REPORT).read_text())
    assert report["counts"] == {"in": 1, "imported": 1, "rejected": 0}
    back = load_annotation_set(workspace / "passes" / "annotator-a", corpus)
    sent = load_annotation_set(workspace / PRE_DIR, corpus)
    doc_id = task.data["doc_id"]
    assert back[doc_id]["claims"] and back[doc_id]["claims"] == sent[doc_id]["claims"]
