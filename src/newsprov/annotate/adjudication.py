"""Adjudication: merge several annotators' sets into a gold set, with an agreement report.

Each record is reduced to the decision it records: every field but its id, its provenance
and its free text (``FREE_TEXT``), with references replaced by what they point to (an
argument by its role and the mention's span and type, a source event by its trigger span)
and the order of contexts and arguments ignored. A decision goes into gold when a strict
majority of the annotators of the document made it (with two annotators: both). Its free
text and the order of its lists come from the first annotator, in the order given, who made
it. Everything else is a dispute, listed in the report with who made it; the adjudicator
settles disputes by editing the gold file. Gold ids are renumbered in text order, and every
gold record says it was adjudicated, by whom and when. Agreement is
``newsprov.annotate.agreement.agreement_report`` for every pair of annotators.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsprov.annotate.agreement import agreement_report
from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.files import write_json
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import (
    check_annotation_file,
    empty_annotations,
    load_annotation_set,
    write_annotation_file,
)
from newsprov.store.corpus import Document, load_corpus

FREE_TEXT = {"mentions": ("entity_id",), "document_flags": ("evidence",),
             "span_flags": ("note",), "claims": ("note",), "authorship": ("evidence",)}
AUTHORSHIP = "authorship"
Decision = tuple[Any, ...]


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((key, _freeze(item)) for key, item in value.items())
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


def _span(record: Mapping[str, Any]) -> tuple[int, int]:
    span = record.get("trigger", record)
    return span["start"], span["end"]


def _mention_key(mention: Mapping[str, Any]) -> Decision:
    return (*_span(mention), mention["type"])


def decision(kind: str, record: Mapping[str, Any], data: AnnotationFile,
             source: AnnotationFile | None) -> Decision:
    """What a record decides, independent of ids, free text and list order."""
    mentions = {m["id"]: m for m in data["mentions"]}
    source_events = {e["id"]: e for e in (source or {}).get("events", [])}
    items = []
    for name, value in record.items():
        if name in ("id", "provenance") or name in FREE_TEXT.get(kind, ()):
            continue
        if name == "arguments":
            value = sorted((a["role"], *_mention_key(mentions[a["mention_id"]])) for a in value)
        elif name == "source_event_id" and value is not None:
            value = _span(source_events[value]) if value in source_events else ("?", value)
        elif name == "contexts":
            value = sorted(value)
        items.append((name, _freeze(value)))
    return tuple(items)


def _records(kind: str, data: AnnotationFile) -> list[dict[str, Any]]:
    if kind == AUTHORSHIP:
        return [data[AUTHORSHIP]] if data[AUTHORSHIP] is not None else []
    return list(data[kind])


def adjudicate_document(document: Document, passes: Mapping[str, AnnotationFile],
                        sources: Mapping[str, AnnotationFile | None],
                        gold_source: AnnotationFile | None, provenance: dict[str, str]
                        ) -> tuple[AnnotationFile, list[dict[str, Any]]]:
    """The gold file of one document from the annotators' files (in order of preference),
    and its disputes. ``sources`` holds each annotator's file of the document's source,
    ``gold_source`` the gold file of the source (both None for an original document)."""
    needed = len(passes) // 2 + 1
    gold = empty_annotations(document)
    disputes: list[dict[str, Any]] = []
    mention_ids: dict[Decision, str] = {}
    for kind in (*schema.ANNOTATION_KINDS, AUTHORSHIP):
        votes: dict[Decision, list[tuple[str, dict[str, Any]]]] = {}
        for name, data in passes.items():
            for record in _records(kind, data):
                key = decision(kind, record, data, sources[name])
                if all(voter != name for voter, _ in votes.get(key, [])):
                    votes.setdefault(key, []).append((name, record))
        accepted = []
        for voters in votes.values():
            record = {**voters[0][1], "provenance": dict(provenance)}
            problem = None if len(voters) >= needed else \
                f"made by {len(voters)} of {len(passes)} annotators; a majority needs {needed}"
            if problem is None and kind == "events":
                problem = _resolve_event(record, passes[voters[0][0]], mention_ids,
                                         sources[voters[0][0]], gold_source)
            if problem is None:
                accepted.append(record)
            else:
                disputes.append({"doc_id": document.id, "kind": kind, "problem": problem,
                                 "annotators": [voter for voter, _ in voters],
                                 "records": [record_ for _, record_ in voters]})
        if kind == AUTHORSHIP:  # one judgement per annotator: at most one has a majority
            gold[AUTHORSHIP] = accepted[0] if accepted else None
            continue
        gold[kind] = _numbered(kind, document.id, accepted)
        if kind == "mentions":
            mention_ids.update({_mention_key(m): m["id"] for m in gold["mentions"]})
    return gold, disputes


def _resolve_event(event: dict[str, Any], data: AnnotationFile,
                   mention_ids: Mapping[Decision, str], source: AnnotationFile | None,
                   gold_source: AnnotationFile | None) -> str | None:
    """Point an accepted event's references at gold records; the problem if one is missing."""
    mentions = {m["id"]: m for m in data["mentions"]}
    arguments = []
    for argument in event["arguments"]:
        key = _mention_key(mentions[argument["mention_id"]])
        if key not in mention_ids:
            return f"its {argument['role']} mention {key} is not in gold"
        arguments.append({**argument, "mention_id": mention_ids[key]})
    event["arguments"] = arguments
    if event["source_event_id"] is not None:
        source_events = {e["id"]: e for e in (source or {}).get("events", [])}
        trigger = _span(source_events[event["source_event_id"]])
        matches = [e["id"] for e in (gold_source or {}).get("events", [])
                   if _span(e) == trigger]
        if len(matches) != 1:
            return f"its source event (trigger {trigger}) is not one event of the gold source"
        event["source_event_id"] = matches[0]
    return None


def _numbered(kind: str, doc_id: str, accepted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records in text order (document flags in vocabulary order) with fresh ids."""
    if kind == "document_flags":
        accepted.sort(key=lambda r: schema.DOCUMENT_FLAG.names.index(r["label"]))
    else:
        accepted.sort(key=lambda r: (*_span(r), json.dumps(
            {k: v for k, v in r.items() if k not in ("id", "provenance")}, sort_keys=True)))
    return [{**record, "id": schema.record_id(doc_id, kind, number)}
            for number, record in enumerate(accepted, start=1)]


def adjudicate(passes: Mapping[str, Mapping[str, AnnotationFile]],
               corpus: Mapping[str, Document], adjudicator: str, date: str
               ) -> tuple[dict[str, AnnotationFile], list[dict[str, Any]], list[str]]:
    """Gold files of every document at least two annotators annotated (sources first), the
    disputes, and the documents left out because fewer than two annotated them."""
    provenance = {"annotator": adjudicator, "method": "adjudicated", "date": date}
    annotated = sorted({doc for files in passes.values() for doc in files},
                       key=lambda doc: (_depth(corpus, doc), doc))
    gold: dict[str, AnnotationFile] = {}
    disputes: list[dict[str, Any]] = []
    left_out = []
    for doc_id in annotated:
        document = corpus[doc_id]
        files = {name: files[doc_id] for name, files in passes.items() if doc_id in files}
        if len(files) < 2:
            left_out.append(doc_id)
            continue
        source_id = document.derived_from
        sources = {name: passes[name].get(source_id) if source_id else None for name in files}
        gold[doc_id], found = adjudicate_document(
            document, files, sources, gold.get(source_id) if source_id else None, provenance)
        disputes.extend(found)
    return gold, disputes, left_out


def _depth(corpus: Mapping[str, Document], doc_id: str) -> int:
    """How many derivations separate a document from its original."""
    source = corpus[doc_id].derived_from
    return 0 if source is None else 1 + _depth(corpus, source)


def agreement(passes: Mapping[str, Mapping[str, AnnotationFile]],
              corpus: Mapping[str, Document]) -> list[dict[str, Any]]:
    """``agreement.agreement_report`` of every pair of annotators."""
    reports = []
    for name_a, name_b in itertools.combinations(passes, 2):
        report = agreement_report(passes[name_a], passes[name_b], corpus)
        report["passes"] = [name_a, name_b]
        reports.append(report)
    return reports


@dataclass(frozen=True)
class Adjudicated:
    gold: dict[str, AnnotationFile]
    disputes: list[dict[str, Any]]
    left_out: list[str]  # documents fewer than two annotators annotated
    agreement: list[dict[str, Any]]  # of every pair of annotators


def adjudicate_sets(root: Path, pass_dirs: Sequence[Path], out: Path, adjudicator: str,
                    date: str, report: Path, replace: bool) -> Adjudicated:
    """Adjudicate the annotation sets ``pass_dirs`` into gold files under ``root/out``; write
    the disputes and the pairwise agreement to ``root/report``. Every gold file is checked
    before any is written."""
    corpus = load_corpus(root)
    passes = {path.name: load_annotation_set(root / path, corpus) for path in pass_dirs}
    gold, disputes, left_out = adjudicate(passes, corpus, adjudicator, date)
    targets = {doc_id: root / out / f"{doc_id}.json" for doc_id in gold}
    if not replace and (taken := [p for p in targets.values() if p.exists()]):
        raise InputError(taken[0], None, "a gold file exists already; pass --replace to "
                                         "replace it", check="gold-file-exists")
    for doc_id, data in gold.items():  # check all before writing any
        check_annotation_file(data, targets[doc_id], corpus, gold)
    for doc_id, data in gold.items():
        write_annotation_file(targets[doc_id], data)
    reports = agreement(passes, corpus)
    write_json(root / report, {"passes": list(passes), "adjudicator": adjudicator,
                               "date": date, "documents": sorted(gold),
                               "not_adjudicated": left_out, "disputes": disputes,
                               "agreement": reports})
    return Adjudicated(gold, disputes, left_out, reports)
