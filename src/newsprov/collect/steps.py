"""The collection's pipeline steps on datatrove, besides the filters (``collect.filters``).

    1. per input task: ``ReadRecords`` -> the filters -> ``StageDocuments`` (the accepted
       documents of the task, with their text hash and MinHash signature, in a staging file);
    2. one task: ``Deduplicate``: exact duplicates by text hash (the first kept, the others
       skipped with a reason) and near-duplicate groups by MinHash LSH over word 5-grams;
    3. per input task: ``WriteParts``: metadata with every step's provenance, the detectors'
       pre-annotations, source finding against an index of originals (candidate rewrites:
       the proposals, and the claim candidates of the best one), the task's part of the
       sharded collection;
    4. for a collection of originals, one task: ``IndexSources``: the source finder's
       persistent index of the collection (``annotate.source_index``), for the candidates.

A task's outputs depend on its input only (not on the worker that ran it), and each is
written whole or not at all, so a killed run resumes from datatrove's completion markers.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from datasketch import MinHash, MinHashLSH
from datatrove.data import Document

from newsprov.annotate.alignment import (
    ALIGNER,
    CANDIDATES,
    PROPOSAL_THRESHOLD,
    SENTENCE_THRESHOLD,
    Proposal,
    claim_candidates,
    find_sources,
)
from newsprov.annotate.detectors import DETECTORS, WORD, pre_annotations
from newsprov.annotate.ingest import DEFAULT_RIGHTS
from newsprov.annotate.source_index import SourceIndex
from newsprov.build.plan_step import PlanStep
from newsprov.collect.fetch import PoliteFetcher
from newsprov.collect.filters import FILTERS, SkipSamples
from newsprov.collect.records import InputFile
from newsprov.core import schema
from newsprov.core.layout import (
    COLLECT_PROPOSALS,
    COLLECT_SOURCE_INDEX,
    COLLECTION_DOCUMENTS,
    PRE_LAYER,
    SHARD_SUFFIX,
)
from newsprov.store import corpus
from newsprov.store.shards import (
    CollectionWriter,
    ShardWriter,
    document_record,
    read_lines,
)

# Near-duplicates: word 5-gram sets with Jaccard >= 0.8 (a copy with a changed byline or
# footer), by datasketch's MinHash LSH, which picks its bands for that threshold.
NEAR_DUPLICATE_THRESHOLD = 0.8
SHINGLE_WORDS = 5
NUM_PERM = 128
SCHEME = "affine32"         # datasketch's hashing scheme, named to rebuild staged signatures


@dataclass(frozen=True)
class CollectPlan:
    """Everything a task needs, picklable."""

    inputs: tuple[InputFile, ...]
    work: Path
    collection: str                 # the collection's name (sources, candidates, ...)
    today: dt.date
    shard_documents: int
    fetch: PoliteFetcher             # of .urls inputs
    source_index: Path | None = None     # originals to find the sources of documents in
    index_sources: bool = False         # build the source finder's index of the collection

    @property
    def samples(self) -> Path:
        return self.work / "skipped"

    def staged(self, rank: int) -> Path:
        return self.work / "staged" / f"{rank:05d}.jsonl.gz"

    def decisions(self, rank: int) -> Path:
        return self.work / "decisions" / f"{rank:05d}.json"

    def parts(self, rank: int) -> Path:
        return self.work / "parts" / f"{rank:05d}"

    @property
    def index(self) -> Path:
        return self.work / COLLECT_SOURCE_INDEX


class CollectStep(PlanStep):
    """A step of ``newsprov collect``, on the collection's plan."""

    type = "newsprov collect"
    plan: CollectPlan


class ReadRecords(CollectStep):
    """Every record of the task's input as a document (``collect.records``)."""

    name = "read records"

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        for doc in self.plan.inputs[rank].records(self.plan.fetch):
            self.stat_update("records")
            yield doc


def word_shingles(text: str) -> set[str]:
    words = [word.lower() for word in WORD.findall(text)]
    return {" ".join(words[i:i + SHINGLE_WORDS])
            for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}


def signature(text: str) -> MinHash:
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch([shingle.encode("utf-8") for shingle in word_shingles(text)])
    return minhash


class StageDocuments(CollectStep):
    """The accepted documents of a task, with their text hash and MinHash signature."""

    name = "stage documents"

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        writer = ShardWriter(self.plan.staged(rank))
        for doc in data:
            meta = doc.metadata
            writer.write({
                "origin": doc.id, "text": doc.text, "sha256": corpus.text_sha256(doc.text),
                "minhash": signature(doc.text).hashvalues.tolist(),
                "raw": base64.b64encode(meta["raw"]).decode("ascii"),
                **{key: meta[key] for key in ("kind", "url", "content_type", "charset",
                                              "fetched", "extracted", "language",
                                              "language_probability")}})
            self.stat_update("documents")
        writer.close()
        yield from ()


class Deduplicate(CollectStep):
    """Exact duplicates by text hash (the first in input order kept) and near-duplicate
    groups (each named by its first member's hash) over every task's staged documents."""

    name = "deduplicate"

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        seen: dict[str, str] = {}
        index = MinHashLSH(threshold=NEAR_DUPLICATE_THRESHOLD, num_perm=NUM_PERM)
        group_of: dict[str, str] = {}
        with SkipSamples(self.plan.samples) as samples:
            for task in range(len(self.plan.inputs)):
                decisions = []
                for _, staged in read_lines(self.plan.staged(task)):
                    sha = staged["sha256"]
                    if sha in seen:
                        doc = Document(staged["text"], staged["origin"], metadata={
                            "filter_reason": "exact-duplicate", "url": staged["url"],
                            "detail": f"the same text as {seen[sha]}"})
                        samples.write(doc, rank)
                        self.stat_update("dropped", "dropped_exact-duplicate")
                        decisions.append(None)
                        continue
                    seen[sha] = staged["origin"]
                    minhash = MinHash(num_perm=NUM_PERM, hashvalues=staged["minhash"],
                                      scheme=SCHEME)
                    near = sorted(group_of[key] for key in index.query(minhash))
                    group_of[sha] = near[0] if near else sha
                    index.insert(sha, minhash)
                    decisions.append(group_of[sha])
                    self.stat_update("forwarded")
                path = self.plan.decisions(task)
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{path.name}.partial")
                partial.write_text(json.dumps(decisions), encoding="utf-8")
                partial.replace(path)
        yield from ()


def doc_id(sha: str) -> str:
    return sha[:24]


def source_finding_provenance(index: Path) -> dict[str, Any]:
    return {"step": "source finding", "tool": "newsprov", "version": version("newsprov"),
            "settings": {"index": str(index), "retrieval": "BM25 over SQLite FTS5 "
                         "(annotate.source_index)", "candidates": CANDIDATES,
                         "verification": ALIGNER, "sentence_threshold": SENTENCE_THRESHOLD,
                         "proposal_threshold": PROPOSAL_THRESHOLD}}


def step_provenance(staged: dict[str, Any], fetch: Any) -> list[dict[str, Any]]:
    settings: dict[str, Any] = {"input": staged["kind"]}
    if staged["kind"] == "fetched":
        settings.update(robots_txt="respected (urllib.robotparser)", user_agent=fetch.user_agent,
                        **dataclasses.asdict(fetch))
    reader = ({"step": "read records", "tool": "warcio", "version": version("warcio"),
               "settings": {}} if staged["kind"] == "warc" else
              {"step": "read records", "tool": "newsprov", "version": version("newsprov"),
               "settings": settings})
    return [reader, *(f.provenance() for f in FILTERS),
            {"step": "exact dedup", "tool": "newsprov", "version": version("newsprov"),
             "settings": {"key": "sha256 of the text", "kept": "first in input order"}},
            {"step": "near-duplicate grouping", "tool": "datasketch",
             "version": version("datasketch"),
             "settings": {"shingles": f"word {SHINGLE_WORDS}-grams", "num_perm": NUM_PERM,
                          "scheme": SCHEME, "lsh_threshold": NEAR_DUPLICATE_THRESHOLD}},
            {"step": "pre-annotation", "tool": "newsprov", "version": version("newsprov"),
             "settings": {"detectors": sorted(d.annotator for d in DETECTORS.values())}}]


def steps_of(staged: dict[str, Any], plan: CollectPlan) -> list[dict[str, Any]]:
    """Every step that made the document, with its tool, version and settings."""
    steps = step_provenance(staged, plan.fetch)
    if plan.source_index is not None:
        steps.append(source_finding_provenance(plan.source_index))
    return steps


def how(staged: dict[str, Any]) -> str:
    where = f"{staged['url']} " if staged["url"] else ""
    return {"warc": f"response {where}in the WARC record {staged['origin']}",
            "saved page": f"saved page {staged['origin']}",
            "jsonl": f"record {staged['origin']} ({where.strip() or 'no URL'})",
            "fetched": f"fetched from {where}with Python urllib"}[staged["kind"]]


def document_metadata(staged: dict[str, Any], group: str, plan: CollectPlan,
                      proposals: list[Proposal]) -> dict[str, Any]:
    extracted = staged["extracted"]
    is_html = staged["content_type"] != "text/plain"
    unknown: dict[str, str] = {}
    unstated = ("The page's markup does not state it (trafilatura found none); not guessed."
                if is_html else "A plain-text page has no markup that states it; not guessed.")
    url = staged["url"] or extracted["url"]
    for field, value in (("title", extracted["title"]), ("publisher", extracted["publisher"]),
                         ("url", url), ("published", extracted["published"])):
        if value is None:
            unknown[field] = unstated
    if staged["fetched"] is None:
        unknown["collected"] = ("The input does not record when the page was fetched "
                                "(a saved page, or a record without 'fetched').")
    proposed = [p for p in proposals if p.proposed]
    unknown["derived_from"] = unknown["derivation"] = (
        f"Not known: collected into the {plan.collection!r} collection from a crawl; "
        + (f"source finding proposed {proposed[0].describe()}, for annotators to confirm."
           if proposed else "source finding proposed no source." if plan.source_index else
           "no source finding was run on it."))
    steps = steps_of(staged, plan)
    metadata = {
        "id": doc_id(staged["sha256"]), "title": extracted["title"],
        "publisher": extracted["publisher"], "url": url, "published": extracted["published"],
        "language": staged["language"],
        "collection_method": f"newsprov collect: {how(staged)}. Steps: " + "; ".join(
            f"{s['step']} ({s['tool']} {s['version']}"
            + (f", {json.dumps(s['settings'], sort_keys=True)}" if s["settings"] else "") + ")"
            for s in steps) + ".",
        "collected": staged["fetched"], "added": plan.today.isoformat(), "rights": DEFAULT_RIGHTS,
        "sha256": staged["sha256"], "story_group": f"near-duplicates-{doc_id(group)}",
        "derived_from": None, "derivation": None,
        "unknown_fields": [{"field": f, "reason": r} for f, r in unknown.items()],
        "notes": f"Raw input kept as {raw_name(staged)}. The story group is the document's "
                 f"near-duplicate group (word 5-gram Jaccard >= {NEAR_DUPLICATE_THRESHOLD}), "
                 "not a reviewed story. Language identified with probability "
                 f"{staged['language_probability']}. Step provenance: provenance.json."
                 + (f" The page gives {extracted['canonical_url']} as its canonical address."
                    if extracted["canonical_url"] not in (None, url) else ""),
    }
    return {field.name: metadata[field.name] for field in schema.METADATA_FIELDS}


def raw_name(staged: dict[str, Any]) -> str:
    return "raw.txt" if staged["content_type"] == "text/plain" else "raw.html"


class WriteParts(CollectStep):
    """The task's accepted, deduplicated documents as its part of the collection: metadata,
    raw input and step provenance as the document's files, the detectors' flags as its
    ``pre`` attribute layer."""

    name = "write collection"

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        plan = self.plan
        index = SourceIndex(plan.source_index) if plan.source_index else None
        try:
            self.write_part(rank, index)
        finally:
            if index is not None:
                index.close()
        yield from ()

    def write_part(self, rank: int, index: SourceIndex | None) -> None:
        decisions = json.loads(self.plan.decisions(rank).read_text(encoding="utf-8"))
        parts = self.plan.parts(rank)
        partial = parts.with_name(f".{parts.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        writer = CollectionWriter(partial, (PRE_LAYER,), self.plan.shard_documents)
        for (_, staged), group in zip(read_lines(self.plan.staged(rank)), decisions,
                                      strict=True):
            if group is None:
                continue
            proposals = find_sources(index, staged["text"], staged["language"]) \
                if index is not None else []
            metadata = document_metadata(staged, group, self.plan, proposals)
            corpus.check_metadata(metadata, staged["origin"], self.plan.today)
            document = corpus.Document(metadata, staged["text"])
            provenance = {"record": staged["origin"], "steps": steps_of(staged, self.plan)}
            files = {raw_name(staged): base64.b64decode(staged["raw"]),
                     "provenance.json": (json.dumps(provenance, indent=1) + "\n").encode()}
            pre = pre_annotations(document, self.plan.today.isoformat())
            if index is not None:
                files[COLLECT_PROPOSALS] = (json.dumps(
                    [{"doc_id": p.doc_id, "retrieval": p.retrieval, "score": p.score,
                      "proposed": p.proposed} for p in proposals], indent=1) + "\n").encode()
                if proposals and proposals[0].proposed:
                    best = proposals[0]
                    pre["claims"] = claim_candidates(
                        document.id, best.doc_id, best.alignment,
                        index.entry(best.doc_id).text, staged["language"],
                        self.plan.today.isoformat())
                self.stat_update("proposed" if proposals and proposals[0].proposed
                                 else "no source proposed")
            writer.add(document.id, metadata, document.text, files, {PRE_LAYER: pre})
            self.stat_update("documents")
        writer.close()
        shutil.rmtree(parts, ignore_errors=True)
        partial.rename(parts)


class IndexSources(CollectStep):
    """The source finder's index of the collection's documents (one task: SQLite has one
    writer), written under a temporary name and renamed when whole."""

    name = "index sources"

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        partial = self.plan.index.with_name(f".{self.plan.index.name}.partial")
        partial.unlink(missing_ok=True)
        with SourceIndex(partial) as index:
            for task in range(len(self.plan.inputs)):
                folder = self.plan.parts(task) / COLLECTION_DOCUMENTS   # none: no documents
                for shard in sorted(folder.glob(f"*{SHARD_SUFFIX}")):
                    items = [(doc_id, text, metadata, metadata["language"])
                             for doc_id, metadata, text, _ in
                             (document_record(line, f"{shard}:{n}")
                              for n, line in read_lines(shard))]
                    self.stat_update("indexed", value=index.add_many(items))
        partial.rename(self.plan.index)
        yield from ()
