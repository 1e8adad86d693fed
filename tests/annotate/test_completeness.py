"""Completeness of the gold annotation, checked by independent rule-based detectors.

Every detector hit must be covered by a gold span flag of the detector's label that overlaps
it, or be listed with a reason in ``annotations/detector_exceptions.json``; every claim unit
of a derived document (sentence, list item, table body row) must be covered by gold claims.
The last tests show that the checks have teeth: removing any one gold flag that a hit
depends on, or any one claim, makes them fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsprov.annotate.detectors import (
    claim_problems,
    claim_units,
    flag_records,
    overlaps,
    read_exceptions,
    stale_exceptions,
    uncovered_hits,
)
from newsprov.core.layout import EXCEPTIONS_FILE, GOLD_DIR, REPO
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import Document, load_corpus

CORPUS = load_corpus(REPO)
DERIVED = [doc_id for doc_id, d in CORPUS.items() if d.derived_from is not None]


@pytest.fixture(scope="module")
def gold(repo: Path) -> dict[str, AnnotationFile]:
    return load_annotation_set(repo / GOLD_DIR, CORPUS)


@pytest.fixture(scope="module")
def exceptions(repo: Path) -> list[dict]:
    return read_exceptions(repo / EXCEPTIONS_FILE, CORPUS)


@pytest.fixture(scope="module")
def hits() -> dict[str, list[dict]]:
    return {doc_id: flag_records(doc_id, d.text, d.metadata["language"])
            for doc_id, d in CORPUS.items()}


def gold_file(gold: dict[str, AnnotationFile], doc_id: str) -> AnnotationFile:
    assert doc_id in gold, f"no gold annotation file for {doc_id}"
    return gold[doc_id]


def missed(doc_id: str, hits: list[dict], flags: list[dict], exceptions: list[dict]
           ) -> list[str]:
    excused = [e for e in exceptions if e["doc_id"] == doc_id]
    return [f"{h['provenance']['annotator']} {h['label']} [{h['start']}, {h['end']}) "
            f"{h['text'][:60]!r}" for h in uncovered_hits(hits, flags, excused)]


def units_of(document: Document) -> list:
    return claim_units(document.text, document.metadata["language"])


@pytest.mark.parametrize("doc_id", sorted(CORPUS))
def test_every_detector_hit_is_flagged_or_excepted(doc_id, gold, hits, exceptions):
    flags = gold_file(gold, doc_id)["span_flags"]
    assert missed(doc_id, hits[doc_id], flags, exceptions) == []


@pytest.mark.parametrize("doc_id", sorted(CORPUS))
def test_no_exception_is_stale(doc_id, hits, exceptions):
    excused = [e for e in exceptions if e["doc_id"] == doc_id]
    assert stale_exceptions(hits[doc_id], excused) == []


@pytest.mark.parametrize("doc_id", DERIVED)
def test_every_claim_unit_of_a_rewrite_is_claimed(doc_id, gold):
    claims = gold_file(gold, doc_id)["claims"]
    assert claim_problems(units_of(CORPUS[doc_id]), claims) == []


def test_removing_a_flag_that_a_hit_depends_on_is_caught(gold, hits, exceptions):
    checked = 0
    for doc_id in sorted(CORPUS):
        flags = gold_file(gold, doc_id)["span_flags"]
        assert missed(doc_id, hits[doc_id], flags, exceptions) == []
        for flag in flags:
            if any(h["label"] == flag["label"] and overlaps(h, flag) for h in hits[doc_id]):
                rest = [f for f in flags if f is not flag]
                assert missed(doc_id, hits[doc_id], rest, exceptions), \
                    f"{flag['id']} removed, yet every hit is still covered"
                checked += 1
    assert checked, "no gold flag covers a detector hit"


@pytest.mark.parametrize("doc_id", DERIVED)
def test_removing_any_claim_is_caught(doc_id, gold):
    claims = gold_file(gold, doc_id)["claims"]
    units = units_of(CORPUS[doc_id])
    assert claims and claim_problems(units, claims) == []
    for claim in claims:
        rest = [c for c in claims if c is not claim]
        assert claim_problems(units, rest), f"{claim['id']} removed, yet every unit is claimed"
