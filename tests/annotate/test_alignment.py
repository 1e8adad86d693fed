"""Sentence alignment of a rewrite with its source, and the claim candidates it gives, checked
as annotation records of the schema."""

from __future__ import annotations

import json

from newsprov.annotate.alignment import (
    ALIGNER,
    PROPOSAL_THRESHOLD,
    SENTENCE_THRESHOLD,
    align,
    claim_candidates,
)
from newsprov.annotate.detectors import claim_units
from newsprov.core.layout import REPO
from newsprov.store.annotations import check_annotation_file, empty_annotations
from newsprov.store.corpus import load_corpus

ORIGINAL, REWRITE = "000_6ed1f7236875d9ca", "004_c1cf42bd939e682c"
RESULTS = REPO / "scripts" / "bench_sourcefinder.results.json"


def test_every_rewrite_unit_is_paired_and_aligned_units_point_into_the_source():
    corpus = load_corpus(REPO)
    rewrite, source = corpus[REWRITE].text, corpus[ORIGINAL].text
    alignment = align(rewrite, source)
    assert [pair.rewrite for pair in alignment.pairs] == claim_units(rewrite)
    aligned = [pair for pair in alignment.pairs if pair.source is not None]
    assert aligned and len(aligned) < len(alignment.pairs)  # the rewrite invents much
    for pair in alignment.pairs:
        assert (pair.source is not None) == (pair.similarity >= SENTENCE_THRESHOLD)
    for pair in aligned:
        assert source[pair.source.start:pair.source.end] == pair.source.text
    # the headline of the source is the evidence of the rewrite's summary of it
    assert "Vietnam and Canada discuss defence cooperation in Hanoi" in \
        {pair.source.text for pair in aligned}
    unrelated = align(rewrite, (REPO / "tests" / "fixtures" / "html" /
                                "harbour_bridge.html").read_text(encoding="utf-8"))
    assert unrelated.score < alignment.score


def test_claim_candidates_are_valid_claims_of_the_derived_document():
    corpus = load_corpus(REPO)
    rewrite, source = corpus[REWRITE], corpus[ORIGINAL]
    claims = claim_candidates(REWRITE, ORIGINAL, align(rewrite.text, source.text), source.text,
                              date="2026-12-02")
    data = {**empty_annotations(rewrite), "claims": claims}
    check_annotation_file(data, f"{REWRITE}.json", corpus)  # the schema's own check
    supports = {claim["support"] for claim in claims}
    assert supports == {"supported", "unsupported"}
    assert {claim["provenance"]["annotator"] for claim in claims} == {ALIGNER}
    invented = [c for c in claims if c["support"] == "unsupported" and c["severity"] == "evident"]
    assert invented and all("not in the source" in c["note"] for c in invented)


def test_thresholds_are_the_calibrated_ones():
    calibration = json.loads(RESULTS.read_text(encoding="utf-8"))["calibration"]
    calibrated = (calibration["sentence_threshold"], calibration["proposal_threshold"])
    assert calibrated == (SENTENCE_THRESHOLD, PROPOSAL_THRESHOLD)
