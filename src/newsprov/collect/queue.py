"""``newsprov queue``: the top-ranked (rewrite, source) pairs of a collection run, as Label
Studio tasks through the existing sync, best proposal first.

A pair is a candidate rewrite whose best source proposal (``source-proposals.json``, written
by ``collect``) reaches the proposal threshold, ranked by that score. The queue keeps its
pairs as a workspace in the per-document layout (``--root``): the rewrite with its proposed
source as ``derived_from`` and the source's story group, stated in its notes as the
proposal under review, and the collection's pre-annotations (detector flags, claim
candidates with evidence) beside them. Tasks are built from it by ``labelstudio.tasks`` and
pushed by ``labelstudio.sync`` in score order (Label Studio lists tasks in import order); what
annotators submit comes back with ``newsprov ls-sync pull --root <the same workspace>``,
checked against it by the existing validated import.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsprov.annotate.labelstudio import config
from newsprov.annotate.labelstudio.sync import connect, ensure_project, push
from newsprov.annotate.labelstudio.tasks import task
from newsprov.core.errors import InputError
from newsprov.core.layout import COLLECT_PROPOSALS, DOCUMENTS_DIR, PRE_DIR, PRE_LAYER
from newsprov.store.annotations import load_annotation_set, write_annotation_file
from newsprov.store.corpus import Document, load_corpus, write_document
from newsprov.store.shards import Collection, attribute_record, document_record, read_lines

QUEUE_VERSION = "newsprov.queue"       # the model version of the tasks' pre-annotations
# The derivation a content-farm candidate is queued under, for annotators to confirm or
# correct (the workspace's schema needs one beside derived_from).
QUEUED_DERIVATION = "machine_rewrite"


@dataclass(frozen=True)
class Collected:
    """A document of a collection with its ``pre`` annotation file."""

    metadata: dict[str, Any]
    text: str
    files: dict[str, bytes]
    pre: Any


def collected(directory: Path) -> Iterator[Collected]:
    collection = Collection(directory)
    for shard in collection.shards():
        pre_shard = collection.attribute_shard(shard, PRE_LAYER)
        for (number, line), (_, attribute) in zip(read_lines(shard), read_lines(pre_shard),
                                                  strict=True):
            doc_id, metadata, text, files = document_record(line, f"{shard}:{number}")
            yield Collected(metadata, text, files,
                            attribute_record(attribute, doc_id, f"{pre_shard}:{number}"))


@dataclass(frozen=True)
class Pair:
    rewrite: Collected
    source_id: str
    score: float


def ranked_pairs(candidates: Path, top: int) -> list[Pair]:
    """The ``top`` rewrites whose best proposal is proposed, highest score first."""
    pairs = []
    for document in collected(candidates):
        if COLLECT_PROPOSALS not in document.files:
            raise InputError(candidates, document.metadata["id"], "no source proposals: "
                             "collect the candidates with source finding (--sources or "
                             "--source-index)", check="no-source-proposals")
        proposals = json.loads(document.files[COLLECT_PROPOSALS])
        if proposals and proposals[0]["proposed"]:
            pairs.append(Pair(document, proposals[0]["doc_id"], proposals[0]["score"]))
    pairs.sort(key=lambda p: (-p.score, p.rewrite.metadata["id"]))
    return pairs[:top]


def queued_metadata(rewrite: Collected, source: Collected, score: float) -> dict[str, Any]:
    """The rewrite's metadata in the workspace: the proposal as its derivation, said so."""
    metadata = copy.deepcopy(rewrite.metadata)
    metadata.update(derived_from=source.metadata["id"], derivation=QUEUED_DERIVATION,
                    story_group=source.metadata["story_group"])
    metadata["unknown_fields"] = [u for u in metadata["unknown_fields"]
                                  if u["field"] not in ("derived_from", "derivation")]
    metadata["notes"] += (f" Queued for annotation: derived_from is the source proposed by "
                          f"source finding (alignment score {score:.4f}) and derivation "
                          f"{QUEUED_DERIVATION!r} is assumed for a content-farm candidate; "
                          "both are under review by annotators, not confirmed.")
    return metadata


def write_workspace(root: Path, pairs: list[Pair], sources: Path) -> None:
    """The pairs' documents and pre-annotations under ``root`` (those already there are
    kept as they are)."""
    wanted = {pair.source_id for pair in pairs}
    by_id = {d.metadata["id"]: d for d in collected(sources) if d.metadata["id"] in wanted}
    for pair in pairs:
        source = by_id.get(pair.source_id)
        if source is None:
            raise InputError(sources, pair.source_id, "the proposed source is not in the "
                             "sources collection", check="document-unknown")
        for metadata, document in ((source.metadata, source),
                                   (queued_metadata(pair.rewrite, source, pair.score),
                                    pair.rewrite)):
            if (root / DOCUMENTS_DIR / metadata["id"]).exists():
                continue
            raw = {name: content for name, content in document.files.items()
                   if name.startswith("raw.") or name == "provenance.json"}
            write_document(root, metadata, document.text, raw)
            write_annotation_file(root / PRE_DIR / f"{metadata['id']}.json", document.pre)


def queue_tasks(root: Path, pairs: list[Pair]) -> list[dict[str, Any]]:
    """The tasks of the pairs, in score order, pre-annotated; the score in the task data."""
    corpus = load_corpus(root)
    pre = {QUEUE_VERSION: load_annotation_set(root / PRE_DIR, corpus)}
    tasks = []
    for pair in pairs:
        document: Document = corpus[pair.rewrite.metadata["id"]]
        item = task(document, corpus, None, pre)
        item["data"][config.DATA_KEY]["proposal_score"] = pair.score
        tasks.append(item)
    return tasks


def queue(collected_dir: Path, root: Path, top: int, url: str, api_key: str,
          title: str) -> tuple[int, list[str]]:
    """Push the ``top`` pairs of a collect run's ``sources``/``candidates`` to the project
    ``title``; its id and the doc ids of the tasks added (those already there are kept)."""
    pairs = ranked_pairs(collected_dir / "candidates", top)
    write_workspace(root, pairs, collected_dir / "sources")
    tasks = queue_tasks(root, pairs)
    client = connect(url, api_key)
    project_id = ensure_project(client, title)
    return project_id, push(client, project_id, tasks)
