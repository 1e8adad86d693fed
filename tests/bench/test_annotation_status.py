"""An article added without annotations is published with its annotation status and not
scored as gold: a correct prediction on it is no error, and the skipped count is reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner

from newsprov.bench.evaluation import read_release, write_predictions
from newsprov.build.pipeline import build
from newsprov.cli import main
from newsprov.core import schema
from newsprov.core.layout import DATA_DIR, MANIFEST, SPLIT_PLAN
from newsprov.publish.statistics import compute_statistics, render_statistics
from newsprov.store.corpus import text_sha256, write_document

ADDED = "005_0000000000000000"
TEXT = "Hanoi hosted the third defence policy dialogue on Monday.\n"


def add_unannotated_article(root: Path) -> None:
    """What `newsprov add` leaves: a document of the seed story (split test), no gold file."""
    story = next(iter(json.loads((root / SPLIT_PLAN).read_text())["stories"]))
    write_document(root, {
        "id": ADDED, "title": "Dialogue", "publisher": "Example", "url":
        "https://example.org/dialogue", "published": "2026-11-01", "language": "en",
        "collection_method": "Written for the tests.", "collected": "2026-11-02",
        "added": "2026-11-23", "rights": "Public domain.", "sha256": text_sha256(TEXT),
        "story_group": story, "derived_from": None, "derivation": None,
        "unknown_fields": [{"field": "derived_from", "reason": "An original."},
                           {"field": "derivation", "reason": "An original."}],
        "notes": "Test document."}, TEXT)


def test_an_added_article_is_not_gold_until_annotated(
        scratch_repo: Path, tmp_path: Path,
        next_version: Callable[[Path, str, str], None]) -> None:
    add_unannotated_article(scratch_repo)
    next_version(scratch_repo, "1.1.0", "An article added, not yet annotated.")
    manifest = build(scratch_repo, validate=True)
    data = scratch_repo / DATA_DIR
    documents = pq.read_table([data / e["path"] for e in manifest["files"]
                               if e["table"] == "documents"],
                              columns=["doc_id", "split", "annotation_status"]).to_pylist()
    status = {row["doc_id"]: row["annotation_status"] for row in documents}
    assert status[ADDED] == []
    annotated = [doc_id for doc_id in status if doc_id != ADDED]
    for doc_id in annotated:
        assert [s["layer"] for s in status[doc_id]] == schema.ANNOTATION_LAYER.names
        assert {s["annotator"] for s in status[doc_id]} == {"agent-adjudicator"}

    # The gold, predicted perfectly, plus a correct mention on the unannotated article.
    release = read_release(data, "test")
    assert set(release.gold) == set(status)
    predictions = tmp_path / "predictions.jsonl"
    write_predictions(predictions, {doc_id: release.gold[doc_id] for doc_id in annotated})
    with predictions.open("a") as stream:
        stream.write(json.dumps({"doc_id": ADDED, "kind": "mentions", "id": f"{ADDED}:m1",
                                 "start": 0, "end": 5, "text": "Hanoi", "type": "GPE",
                                 "entity_id": "ent:hanoi", "provenance": {
                                     "annotator": "system", "method": "rule_based",
                                     "date": "2026-11-23"}}) + "\n")
    result = CliRunner().invoke(main, ["evaluate", str(predictions), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "2 documents scored, 1 not completely annotated and skipped" in result.output
    metrics = json.loads(predictions.with_name("predictions.metrics.json").read_text())
    assert (metrics["documents"], metrics["documents_not_annotated"]) == (2, 1)
    assert metrics["entities"]["micro"]["strict"]["precision"] == 1.0  # no spurious mention

    stats = compute_statistics(data, json.loads((data / MANIFEST).read_text()))
    assert (stats.documents["test"], stats.annotated["test"]) == (3, 2)
    assert "| completely annotated documents | 2 | 2 |" in render_statistics(stats)
