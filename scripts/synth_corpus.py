"""Synthetic NewsProv corpora for benchmarks: N documents in the repository's input format.

    python scripts/synth_corpus.py OUT_DIR --documents 100000 [--workers 2] [--seed 0]

writes ``OUT_DIR/corpus/documents/<id>/{text.txt,metadata.json}``, ``annotations/gold/<id>.json``
(or, with ``--layout shards``, the same documents as a collection in ``corpus/collection``),
``corpus/splits.json``, ``release.json`` and ``CHANGELOG.md`` with the package's own writers,
so every file is in the format ``newsprov build`` reads. Nothing here is news: ids start with
``synthetic-``, and publisher, collection method, rights and notes say the text was generated
by this script. OUT_DIR must be new or empty and outside the repository.

Shapes follow the seed gold set (annotations/passes): article lengths are log-normal around
3,000 characters; about a third of the documents are machine rewrites of another document of
their story; one entity mention per ~30 characters, one event per ~130 characters (with
actor, recipient, place, time and position arguments), a quality flag per ~800 characters,
document flags where the text calls for them, and on rewrites one claim per rewritten
sentence, judged against the source with evidence spans in the source text. Every document
is generated from ``(seed, index)`` alone, so workers can share the work and a corpus is
the same whatever the number of workers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsprov.build.inputs import TASK_DOCUMENTS as SHARD_DOCUMENTS
from newsprov.core.layout import (
    CHANGELOG,
    COLLECTION_DIR,
    DOCUMENTS_DIR,
    GOLD_DIR,
    RELEASE_FILE,
    SPLIT_PLAN,
)
from newsprov.store.annotations import empty_annotations, write_annotation_file
from newsprov.store.corpus import Document, text_sha256, write_document
from newsprov.store.shards import CollectionWriter, shard_name

REPOSITORY = Path(__file__).resolve().parent.parent
STORY_SIZE = 3                   # two original reports and a machine rewrite of the first
MEDIAN_CHARS, LENGTH_SIGMA, MIN_CHARS, MAX_CHARS = 3_000, 0.6, 600, 30_000
EVENT_SENTENCE_SHARE = 0.35      # the other sentences are background without an event
FLAW_SHARE = 0.06                # sentences that carry a span-level quality flaw
ADDED = "2026-01-01"
ANNOTATOR = {"annotator": "synthetic-generator", "method": "rule_based", "date": ADDED}
RELEASE = {"version": "0.0.0-synthetic", "date": ADDED, "released": False}

FIRST_NAMES = ("Anna", "Bao", "Carlos", "Dara", "Elena", "Farid", "Grace", "Hoang", "Ines",
               "Jonas", "Kemal", "Lina", "Minh", "Nadia", "Omar", "Priya", "Quentin", "Rosa")
LAST_NAMES = ("Abara", "Brandt", "Chien", "Duarte", "Eklund", "Fofana", "Garcia", "Haddad",
              "Ito", "Jensen", "Kowalski", "Le", "Moreau", "Nguyen", "Okafor", "Petrov")
TITLES = ("Defence Minister", "Foreign Minister", "Prime Minister", "Deputy Minister",
          "General", "Ambassador", "Senator", "Chief of Staff")
ORGANISATIONS = ("the Ministry of Defence", "the United Nations", "the Trade Council",
                 "the Coast Guard", "the National Assembly", "the Harbour Authority",
                 "the Red Cross", "the Central Bank", "the Port Workers Union")
PLACES = ("Hanoi", "Ottawa", "Lagos", "Lisbon", "Jakarta", "Nairobi", "Oslo", "Lima",
          "Manila", "Warsaw", "Accra", "Seoul", "Quito", "Tunis")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
# event type -> (how a report says it, how a rewrite says it)
EVENTS = {
    "CONSULT": ("held talks with", "engaged in dialogue with"),
    "AGREE": ("signed an agreement with", "reached a landmark accord with"),
    "SUPPORT": ("praised", "voiced strong support for"),
    "REQUEST": ("urged", "called upon"),
    "ACCUSE": ("accused", "levelled accusations against"),
    "REJECT": ("rejected a proposal from", "firmly turned down"),
    "COOPERATE": ("agreed to cooperate with", "pledged closer collaboration with"),
    "AID": ("sent aid to", "delivered assistance to"),
    "THREATEN": ("threatened", "issued warnings to"),
    "SANCTION": ("imposed sanctions on", "penalised"),
}
CONTEXTS = ("military", "diplomatic", "economic", "maritime", "humanitarian", "security")
BACKGROUND = (
    "The meeting took place behind closed doors.",
    "Officials did not give further details.",
    "Both sides described the discussions as frank and constructive.",
    "Observers said the talks had been planned for several months.",
    "A joint statement is expected later this week.",
    "The delegations also visited a training centre outside the capital.",
)
# label -> sentences with the flawed part in [brackets], and the flag's extra attributes
FLAWS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "spelling": (("The [goverment] has not commented on the report.",
                  "Talks will continue next [wensday], officials said."), {}),
    "orthography_whitespace": (("Officials said the talks went [well.They] gave no details.",),
                               {}),
    "grammar": (("The [ministers was] in agreement on most points.",), {}),
    "punctuation": (("[However the] details of the plan remain unclear.",), {}),
    "boilerplate": (("[Follow us on social media for the latest news.]",),
                    {"boilerplate_kind": "interface_string"}),
    "foreign_language": (("[Mời quý độc giả theo dõi tin tức.]",), {"language": "vi"}),
}
REWRITE_FILLER = "This development underscores the growing importance of the partnership."


def document_id(seed: int, index: int) -> str:
    return "synthetic-" + hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()[:16]


@dataclass
class Draft:
    """A document's text and stand-off records, built sentence by sentence."""

    doc_id: str
    text: str = ""
    records: dict[str, list[dict]] = field(default_factory=lambda: {
        kind: [] for kind in ("mentions", "events", "document_flags", "span_flags", "claims")})

    def add(self, kind: str, record: dict) -> str:
        letter = {"mentions": "m", "events": "v", "document_flags": "d", "span_flags": "f",
                  "claims": "c"}[kind]
        record_id = f"{self.doc_id}:{letter}{len(self.records[kind]) + 1}"
        self.records[kind].append({"id": record_id, **record, "provenance": ANNOTATOR})
        return record_id

    def write(self, piece: str) -> dict:
        """Append text; return its span."""
        if self.text:
            self.text += " "
        start = len(self.text)
        self.text += piece
        return {"start": start, "end": len(self.text), "text": piece}

    def mention(self, piece: str, type_: str) -> str:
        entity = "synthetic-ent:" + piece.lower().removeprefix("the ").replace(" ", "-")
        return self.add("mentions", {**self.write(piece), "type": type_, "entity_id": entity})

    def span_flag(self, span: dict, label: str, **attributes: Any) -> None:
        self.add("span_flags", {**span, "label": label, "boilerplate_kind": None,
                                "first_occurrence": None, "language": None, "note": None,
                                **attributes})


@dataclass(frozen=True)
class Fact:
    """One event sentence of an original report, kept so a rewrite can restate it."""

    event_id: str
    type: str
    actor: str
    recipient: str
    place: str | None
    span: dict


def target_length(rng: random.Random) -> int:
    length = rng.lognormvariate(math.log(MEDIAN_CHARS), LENGTH_SIGMA)
    return int(min(MAX_CHARS, max(MIN_CHARS, length)))


def event_sentence(draft: Draft, rng: random.Random) -> Fact:
    """'<Title> <Person> of <Org> <verb> <Place> in <Place> on <Date>, ...' with its records."""
    start = len(draft.text) + (1 if draft.text else 0)
    arguments = []
    if rng.random() < 0.5:
        arguments.append(("position", draft.mention(rng.choice(TITLES), "TITLE")))
    actor = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    arguments.append(("actor", draft.mention(actor, "PERSON")))
    if rng.random() < 0.5:
        draft.write("of")
        draft.mention(rng.choice(ORGANISATIONS), "ORG")
    type_ = rng.choice(list(EVENTS))
    trigger = draft.write(EVENTS[type_][0])
    recipient = rng.choice(PLACES)
    arguments.append(("recipient", draft.mention(recipient, "GPE")))
    place = None
    if rng.random() < 0.6:
        draft.write("in")
        place = rng.choice(PLACES)
        arguments.append(("place", draft.mention(place, "GPE")))
    if rng.random() < 0.5:
        draft.write("on")
        date = f"{rng.randint(1, 28)} {rng.choice(MONTHS)}"
        arguments.append(("time", draft.mention(date, "DATE")))
    if rng.random() < 0.3:
        draft.text += ","
        draft.write("a deal worth")
        draft.mention(f"${rng.randint(2, 900)} million", "MONEY")
    draft.text += "."
    event_id = draft.add("events", {
        "type": type_, "trigger": trigger, "modality": "asserted",
        "contexts": sorted(rng.sample(CONTEXTS, rng.randint(1, 2))),
        "arguments": [{"role": role, "mention_id": m} for role, m in arguments],
        "source_event_id": None})
    span = {"start": start, "end": len(draft.text), "text": draft.text[start:]}
    return Fact(event_id, type_, actor, recipient, place, span)


def flawed_sentence(draft: Draft, rng: random.Random) -> None:
    label = rng.choice(list(FLAWS))
    sentences, attributes = FLAWS[label]
    before, flawed, after = rng.choice(sentences).replace("]", "[").split("[")
    start = draft.write(before + flawed + after)["start"] + len(before)
    draft.span_flag({"start": start, "end": start + len(flawed), "text": flawed}, label,
                    **attributes)


def original(seed: int, index: int) -> tuple[Draft, list[Fact]]:
    rng = random.Random(f"{seed}:{index}")
    draft = Draft(document_id(seed, index))
    length, facts, background = target_length(rng), [], []
    while len(draft.text) < length:
        roll = rng.random()
        if roll < FLAW_SHARE:
            flawed_sentence(draft, rng)
        elif roll < FLAW_SHARE + EVENT_SENTENCE_SHARE:
            facts.append(event_sentence(draft, rng))
        elif background and roll > 0.97:      # the same sentence again, verbatim
            first = rng.choice(background)
            draft.span_flag(draft.write(first["text"]), "duplicate",
                            first_occurrence=first["start"])
        else:
            background.append(draft.write(rng.choice(BACKGROUND)))
    labels = {flag["label"] for flag in draft.records["span_flags"]}
    if "boilerplate" in labels:
        draft.add("document_flags", {"label": "boilerplate_contaminated",
                                     "evidence": "An interface string inside the text."})
    return draft, facts


def rewrite(seed: int, index: int, source: Draft, facts: list[Fact]) -> Draft:
    """A machine rewrite: each fact restated, some distorted or invented, template filler."""
    rng = random.Random(f"{seed}:{index}")
    draft = Draft(document_id(seed, index))
    for fact in facts:
        roll = rng.random()
        start = len(draft.text) + (1 if draft.text else 0)
        place = fact.place
        if place is not None and roll < 0.1:       # contradicted: the wrong place
            place = rng.choice([p for p in PLACES if p != fact.place])
        actor = draft.mention(fact.actor, "PERSON")
        trigger = draft.write(EVENTS[fact.type][1])
        recipient = draft.mention(fact.recipient, "GPE")
        arguments = [("actor", actor), ("recipient", recipient)]
        if place is not None:
            draft.write("in")
            arguments.append(("place", draft.mention(place, "GPE")))
        draft.text += "."
        draft.add("events", {
            "type": fact.type, "trigger": trigger, "modality": "asserted",
            "contexts": ["diplomatic"],
            "arguments": [{"role": role, "mention_id": m} for role, m in arguments],
            "source_event_id": fact.event_id})
        sentence = {"start": start, "end": len(draft.text), "text": draft.text[start:]}
        wrong = place != fact.place
        draft.add("claims", {
            **sentence, "support": "contradicted" if wrong else "supported",
            "severity": "evident" if wrong else None,
            "error_type": "circumstance" if wrong else None,
            "source_doc_id": source.doc_id, "evidence": [fact.span],
            "note": "The place differs from the source." if wrong else None})
        if rng.random() < 0.25:
            filler = draft.write(REWRITE_FILLER)
            draft.span_flag(filler, "generic_filler")
            draft.add("claims", {**filler, "support": "unsupported", "severity": "subtle",
                                 "error_type": "out_of_article", "source_doc_id": source.doc_id,
                                 "evidence": [], "note": None})
    draft.span_flag(draft.write("In Conclusion"), "template_heading")
    draft.write(REWRITE_FILLER)
    draft.add("document_flags", {"label": "unattributed_derivation",
                                 "evidence": f"Restates {source.doc_id} without naming it."})
    if any(c["support"] != "supported" for c in draft.records["claims"]):
        draft.add("document_flags", {"label": "unsupported_content",
                                     "evidence": "Claims its source does not support."})
    return draft


def metadata(draft: Draft, story: int, source: Draft | None) -> dict[str, Any]:
    return {
        "id": draft.doc_id, "title": None, "publisher": "Synthetic News (not a publisher)",
        "url": None, "published": None, "language": "en",
        "collection_method": "Synthetic: generated by scripts/synth_corpus.py for benchmarks; "
                             "not collected, not news.",
        "collected": None, "added": ADDED,
        "rights": "Synthetic text generated for benchmarks; no rights reserved.",
        "sha256": text_sha256(draft.text), "story_group": f"synthetic-story-{story:07d}",
        "derived_from": source.doc_id if source else None,
        "derivation": "machine_rewrite" if source else None,
        "unknown_fields": [{"field": name, "reason": "A synthetic document has none."}
                           for name in ("title", "url", "published", "collected")] + [
            {"field": name, "reason": "Not applicable: an original synthetic report."}
            for name in ("derived_from", "derivation") if source is None],
        "notes": "SYNTHETIC benchmark document; never part of a NewsProv release.",
    }


def make_one(seed: int, index: int) -> tuple[Document, dict]:
    """Document ``index`` and its gold annotations."""
    story, position = divmod(index, STORY_SIZE)
    draft, facts = original(seed, story * STORY_SIZE if position == STORY_SIZE - 1 else index)
    source = None
    if position == STORY_SIZE - 1:
        source, draft = draft, rewrite(seed, index, draft, facts)
    document = Document(metadata(draft, story, source), draft.text)
    authorship = {"label": "machine" if source else "human",
                  "evidence": "Synthetic: known by construction.", "provenance": ANNOTATOR}
    return document, {**empty_annotations(document), "authorship": authorship, **draft.records}


def write_one(root: Path, seed: int, index: int) -> int:
    """Write document ``index`` and its gold file; return the bytes written."""
    document, annotations = make_one(seed, index)
    directory = write_document(root, document.metadata, document.text)
    gold = root / GOLD_DIR / f"{document.id}.json"
    write_annotation_file(gold, annotations)
    return sum(p.stat().st_size for p in (*directory.iterdir(), gold))


def write_range(root: Path, seed: int, start: int, stop: int) -> int:
    return sum(write_one(root, seed, index) for index in range(start, stop))


def write_shard(root: Path, seed: int, start: int, stop: int, shard: int) -> int:
    """Write documents ``start`` to ``stop`` as shard number ``shard`` of the collection, in
    id order; return its bytes."""
    documents = sorted((make_one(seed, index) for index in range(start, stop)),
                       key=lambda pair: pair[0].id)
    writer = CollectionWriter(root / COLLECTION_DIR, (GOLD_DIR.name,), stop - start, shard)
    for document, gold in documents:
        writer.add(document.id, document.metadata, document.text, {}, {GOLD_DIR.name: gold})
    writer.close()
    return sum(p.stat().st_size for p in (root / COLLECTION_DIR).rglob(shard_name(shard)))


def generate(root: Path, documents: int, *, seed: int = 0, workers: int | None = None,
             layout: str = "documents", shard_documents: int = SHARD_DOCUMENTS) -> int:
    """Write a synthetic corpus of ``documents`` documents into ``root`` in the per-document
    layout or as a collection of shards (``layout="shards"``); return its bytes."""
    root = root.resolve()
    if root == REPOSITORY or REPOSITORY in root.parents:
        sys.exit(f"refusing to write synthetic documents inside the repository: {root}")
    if root.exists() and any(root.iterdir()):
        sys.exit(f"refusing to write into a folder that is not empty: {root}")
    (root / SPLIT_PLAN).parent.mkdir(parents=True, exist_ok=True)
    (root / SPLIT_PLAN).write_text(json.dumps({"stories": {}}) + "\n", encoding="utf-8")
    (root / RELEASE_FILE).write_text(json.dumps(RELEASE, indent=2) + "\n", encoding="utf-8")
    (root / CHANGELOG).write_text(f"# Changelog\n\n## [{RELEASE['version']}] - {ADDED}\n\n"
                                  "Synthetic benchmark corpus; not a release.\n",
                                  encoding="utf-8")
    chunk = shard_documents if layout == "shards" else 2_000
    starts = range(0, documents, chunk)
    stops = [min(s + chunk, documents) for s in starts]
    with ProcessPoolExecutor(workers or os.cpu_count()) as pool:
        if layout == "shards":
            sizes = pool.map(write_shard, [root] * len(starts), [seed] * len(starts), starts,
                             stops, range(len(starts)))
        else:
            (root / DOCUMENTS_DIR).mkdir(parents=True, exist_ok=True)
            (root / GOLD_DIR).mkdir(parents=True, exist_ok=True)
            sizes = pool.map(write_range, [root] * len(starts), [seed] * len(starts), starts,
                             stops)
        return sum(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a new or empty folder outside the repository")
    parser.add_argument("--documents", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--layout", choices=("documents", "shards"), default="documents",
                        help="per-document folders, or a collection of shards in "
                             f"{COLLECTION_DIR}")
    parser.add_argument("--shard-documents", type=int, default=SHARD_DOCUMENTS)
    args = parser.parse_args()
    size = generate(args.out, args.documents, seed=args.seed, workers=args.workers,
                    layout=args.layout, shard_documents=args.shard_documents)
    print(f"{args.documents} synthetic documents, {size / 1e6:.1f} MB, in {args.out}")


if __name__ == "__main__":
    main()
