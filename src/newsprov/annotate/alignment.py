"""Verifying a candidate source by sentence alignment, and the claims it suggests.

Each claim unit of the rewrite (``detectors.claim_units``: sentences, list items, table rows)
is compared with each sentence of the source by the cosine of TF-IDF vectors of character
3- to 5-grams within words (scikit-learn): character n-grams survive what rewriting does to
words (case errors, dropped spaces, `defence`/`defense`), and the IDF, fitted on the two texts'
units, discounts what every sentence of either text shares. A unit that names two or more
names or numbers (``source_index.names``) takes the mean of that cosine and the share of its
names the source sentence has, compared by their last two words (``source_index.name_key``):
a paraphrase keeps who did what to whom, and where, if not every title. A rewrite unit
aligns with its most similar source sentence when the similarity reaches
``SENTENCE_THRESHOLD``; the proposal score of the pair is the share of the characters of the
rewrite's units with names that are aligned, weighted by similarity (stock sentences without
names, which many texts share, are no evidence of a source).
Both thresholds were chosen on a synthetic validation set (``scripts/bench_sourcefinder.py
--calibrate``), never on the seed pair or the test split.

An aligned unit becomes a candidate ``supported`` claim with the source unit as its evidence;
an unaligned one a candidate ``unsupported`` claim (out of the article; ``evident`` when it
names a name or number the source does not, else ``subtle``). These are pre-annotations for
annotators to confirm or correct, recorded as the work of this module with its version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from newsprov.annotate.detectors import Span, claim_units, stop_words
from newsprov.annotate.source_index import SourceIndex, name_key, names, sentence_spans
from newsprov.core import schema

ALIGNER = "newsprov.alignment/char_tfidf_v2"  # bump the version when the behaviour changes
SENTENCE_THRESHOLD = 0.45
PROPOSAL_THRESHOLD = 0.2503
CANDIDATES = 10  # sources retrieved and verified per query


@dataclass(frozen=True)
class SentencePair:
    rewrite: Span
    source: Span | None  # the most similar source unit, None when below the threshold
    similarity: float


@dataclass(frozen=True)
class Alignment:
    pairs: list[SentencePair]  # one per claim unit of the rewrite, in text order
    score: float
    names: list[set[str]]  # the names and numbers of each unit (what the score counts)


def source_units(text: str) -> list[Span]:
    """The sentences of every line of a source, headlines included (a headline is often the
    best evidence), by ``source_index``'s regular expression: quick for many candidates."""
    return [Span(start, end, text[start:end]) for start, end in sentence_spans(text)]


def align(rewrite: str, source: str, language: str = "en") -> Alignment:
    """Align the claim units of ``rewrite`` with the sentences of ``source``."""
    return align_units(claim_units(rewrite, language), source, language)


def align_units(units: list[Span], source: str, language: str = "en") -> Alignment:
    """Align claim units of a rewrite (segmented once for all its candidates) with the
    sentences of ``source``."""
    sources = source_units(source)
    if not units or not sources:
        return Alignment([SentencePair(unit, None, 0.0) for unit in units], 0.0,
                         [set() for _ in units])
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    vectors = vectorizer.fit_transform([unit.text for unit in (*units, *sources)])
    similarity = (vectors[:len(units)] @ vectors[len(units):].T).toarray()
    stop = stop_words(language)
    unit_names = [set(names(unit.text, stop)) for unit in units]
    source_keys = [set(map(name_key, names(sentence.text, stop))) for sentence in sources]
    for row, found in enumerate(unit_names):
        if len(found) >= 2:  # who and whom, or where: the share of them the sentence has
            keys = set(map(name_key, found))  # `Hoang Chien` is `General Hoang Chien`
            shares = np.array([len(keys & other) / len(keys) for other in source_keys])
            similarity[row] = (similarity[row] + shares) / 2
    pairs = []
    for row, unit in zip(similarity, units, strict=True):
        best = int(row.argmax())
        aligned = row[best] >= SENTENCE_THRESHOLD
        pairs.append(SentencePair(unit, sources[best] if aligned else None,
                                  round(float(row[best]), 4)))
    return Alignment(pairs, proposal_score(pairs, unit_names, SENTENCE_THRESHOLD), unit_names)


def proposal_score(pairs: list[SentencePair], unit_names: list[set[str]],
                   sentence_threshold: float) -> float:
    """The share of the characters of the rewrite's units that name someone or something
    (stock sentences without names, shared by many texts, are no evidence), weighted by the
    similarity of those that align."""
    named = [(len(pair.rewrite.text), pair.similarity)
             for pair, found in zip(pairs, unit_names, strict=True) if found]
    total = sum(length for length, _ in named)
    covered = sum(length * s for length, s in named if s >= sentence_threshold)
    return round(covered / total, 4) if total else 0.0


@dataclass(frozen=True)
class Proposal:
    doc_id: str
    retrieval: float  # BM25 of the index
    alignment: Alignment

    @property
    def score(self) -> float:
        return self.alignment.score

    @property
    def proposed(self) -> bool:
        return self.score >= PROPOSAL_THRESHOLD

    def describe(self) -> str:
        aligned = sum(pair.source is not None for pair in self.alignment.pairs)
        kind = "proposed source" if self.proposed else "candidate below the threshold"
        return (f"{self.doc_id}: {kind}, alignment score {self.score:.2f} (threshold "
                f"{PROPOSAL_THRESHOLD}), {aligned} of {len(self.alignment.pairs)} sentences "
                f"aligned")


def find_sources(index: SourceIndex, text: str, language: str = "en",
                 k: int = CANDIDATES) -> list[Proposal]:
    """The ``k`` best candidates of the index for ``text``, verified by alignment and ranked
    by the proposal score (then by retrieval score)."""
    units = claim_units(text, language)
    verified = [Proposal(doc_id, retrieval,
                         align_units(units, index.entry(doc_id).text, language))
                for doc_id, retrieval in index.query(text, k, language)]
    return sorted(verified, key=lambda p: (-p.score, -p.retrieval, p.doc_id))


def claim_candidates(doc_id: str, source_doc_id: str, alignment: Alignment, source: str,
                     language: str = "en", date: str | None = None, first_number: int = 1
                     ) -> list[dict[str, Any]]:
    """Claim records (schema ``claims``) of the rewrite ``doc_id`` from its alignment with
    ``source_doc_id`` (whose text is ``source``), numbered from ``first_number``."""
    provenance = {"annotator": ALIGNER, "method": "rule_based",
                  "date": date or dt.date.today().isoformat()}
    stop = stop_words(language)
    source_names = set(names(source, stop))
    records = []
    for number, pair in enumerate(alignment.pairs, start=first_number):
        unit = pair.rewrite
        record: dict[str, Any] = {
            "id": schema.record_id(doc_id, "claims", number),
            "start": unit.start, "end": unit.end, "text": unit.text,
            "source_doc_id": source_doc_id, "provenance": provenance}
        if pair.source is not None:
            record.update(support="supported", severity=None, error_type=None,
                          evidence=[pair.source._asdict()],
                          note=f"candidate: aligned with similarity {pair.similarity:.2f}")
        else:
            new = set(names(unit.text, stop)) - source_names
            record.update(support="unsupported", severity="evident" if new else "subtle",
                          error_type="out_of_article", evidence=[],
                          note=f"candidate: no source sentence reaches similarity "
                               f"{SENTENCE_THRESHOLD} (best {pair.similarity:.2f})"
                               + (f"; names or numbers not in the source: "
                                  f"{', '.join(sorted(new))}" if new else ""))
        records.append({field.name: record[field.name]
                         for field in schema.RECORD_FIELDS["claims"]})
    return records
