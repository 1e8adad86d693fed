"""The agreement between two annotation passes (``newsprov agreement``).

**Agreement units** (``agreement_report``), over the documents both passes annotated:

- entity mentions, event triggers, span flags: span P/R/F1 of pass B against pass A, as
  ``newsprov.bench.evaluation`` scores a system against gold (F1 is symmetric in the two passes
  for strict and exact matching);
- event modality: events of the two passes with the same trigger span are units;
- span flags: every whitespace-delimited token of the text is a unit; for each label
  either pass used, a pass says yes for a token when one of its flags of that label
  overlaps the token. ``pooled`` takes every (token, label) pair of those labels as a unit;
- document flags: every (document, label) pair, for the labels either pass used, is a unit
  with a yes/no decision;
- authorship: every document is a unit;
- claims: the claim units of the derived document (``detectors.claim_units``: sentences,
  list items, table rows, which the claims of both passes tile) are the units; a unit takes
  the ``support`` (``severity``, ``error_type``) of the pass's claim overlapping it most; a
  unit no claim overlaps, or a claim without the field, is a missing value.

Categorical agreement is Cohen's kappa (scikit-learn) over the units both passes labelled and
Krippendorff's alpha (nominal, ``krippendorff``) over all units, missing values allowed;
each is ``null`` when its units show fewer than two distinct values (no variation to agree
on). The JSON of ``newsprov agreement`` (``annotations/agreement.json``) holds ``passes``,
``documents``, ``entities`` (``span_scores``), ``events`` (``triggers``, ``arguments``,
``modality``, ``modality_agreement``), ``span_flags`` (``spans``, ``tokens`` per label,
``tokens_pooled``), ``document_flags``, ``authorship`` and ``claims`` (``support``,
``severity``, ``error_type``); each categorical entry has ``units``, ``units_both``,
``observed`` (the share of ``units_both`` on which the passes agree), ``kappa``, ``alpha``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

from newsprov.annotate.detectors import claim_units
from newsprov.core import schema
from newsprov.core.metrics import authorship_label, by_document, event_scores, span_scores
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import Document, load_corpus


def categorical_agreement(pairs: Sequence[tuple[str | None, str | None]]) -> dict[str, Any]:
    """Agreement of two coders on units (A's value, B's value; None when missing)."""
    both = [(a, b) for a, b in pairs if a is not None and b is not None]
    values = sorted({value for pair in pairs for value in pair if value is not None})
    varied = len(values) >= 2
    result = {"units": len(pairs), "units_both": len(both),
              "observed": sum(a == b for a, b in both) / len(both) if both else None}
    # kappa is undefined (0/0) unless the units labelled by both show two values
    kappa = cohen_kappa_score(*zip(*both, strict=True)) \
        if len({value for pair in both for value in pair}) >= 2 else None
    alpha = None
    if varied:
        code = {value: float(index) for index, value in enumerate(values)}
        data = np.array([[np.nan if v is None else code[v] for v in side]
                         for side in zip(*pairs, strict=True)])
        with np.errstate(invalid="ignore", divide="ignore"):  # undefined: nan, then null
            alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal",
                                       value_domain=list(code.values()))
    return {**result, "kappa": _finite(kappa), "alpha": _finite(alpha)}


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


TOKEN = re.compile(r"\S+")


def _overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
    return max(0, min(a["end"], b["end"]) - max(a["start"], b["start"]))


def token_decisions(text: str, flags: Sequence[Mapping[str, Any]], label: str) -> list[str]:
    """For each token of the text: ``yes`` if a flag of ``label`` overlaps it."""
    covered = np.zeros(len(text) + 1, dtype=np.int32)
    for flag in flags:
        if flag["label"] == label:
            covered[flag["start"]] += 1
            covered[flag["end"]] -= 1
    inside = np.cumsum(covered) > 0
    return ["yes" if inside[m.start():m.end()].any() else "no" for m in TOKEN.finditer(text)]


def _claim_value(unit: Mapping[str, Any], claims: Sequence[Mapping[str, Any]],
                 field: str) -> str | None:
    best = max(claims, key=lambda claim: _overlap(claim, unit), default=None)
    return best[field] if best is not None and _overlap(best, unit) > 0 else None


def agreement_report(set_a: Mapping[str, AnnotationFile], set_b: Mapping[str, AnnotationFile],
                     corpus: Mapping[str, Document]) -> dict[str, Any]:
    """Agreement of two annotation passes; units as in the module docstring."""
    docs = sorted(set_a.keys() & set_b.keys())
    a, b = ({doc: side[doc] for doc in docs} for side in (set_a, set_b))
    flag_labels = [label for label in schema.SPAN_FLAG.names
                   if any(f["label"] == label for side in (a, b) for doc in docs
                          for f in side[doc]["span_flags"])]
    tokens = {label: [pair for doc in docs for pair in zip(
        *(token_decisions(corpus[doc].text, side[doc]["span_flags"], label) for side in (a, b)),
        strict=True)] for label in flag_labels}
    doc_flags = [label for label in schema.DOCUMENT_FLAG.names
                 if any(f["label"] == label for side in (a, b) for doc in docs
                        for f in side[doc]["document_flags"])]
    modalities = [(x["modality"], y["modality"]) for doc in docs for x in a[doc]["events"]
                  for y in b[doc]["events"] if _same_span(x["trigger"], y["trigger"])]
    units = [(doc, unit._asdict()) for doc in docs if corpus[doc].derived_from is not None
             for unit in claim_units(corpus[doc].text, corpus[doc].metadata["language"])]
    return {
        "documents": docs,
        "entities": span_scores(by_document(a, "mentions", docs),
                                by_document(b, "mentions", docs), "type",
                                schema.ENTITY_TYPE.names),
        "events": {**event_scores(a, b, docs), "modality_agreement": categorical_agreement(
            modalities)},
        "span_flags": {
            "spans": span_scores(by_document(a, "span_flags", docs),
                                 by_document(b, "span_flags", docs), "label",
                                 schema.SPAN_FLAG.names),
            "tokens": {label: categorical_agreement(pairs) for label, pairs in tokens.items()},
            "tokens_pooled": categorical_agreement([p for pairs in tokens.values()
                                                    for p in pairs])},
        "document_flags": categorical_agreement([
            tuple("yes" if any(f["label"] == label for f in side[doc]["document_flags"])
                  else "no" for side in (a, b)) for doc in docs for label in doc_flags]),
        "authorship": categorical_agreement([(authorship_label(a[doc]), authorship_label(b[doc]))
                                             for doc in docs]),
        "claims": {field: categorical_agreement([
            (_claim_value(unit, a[doc]["claims"], field),
             _claim_value(unit, b[doc]["claims"], field)) for doc, unit in units])
            for field in ("support", "severity", "error_type")},
    }


def _same_span(x: Mapping[str, Any], y: Mapping[str, Any]) -> bool:
    return (x["start"], x["end"]) == (y["start"], y["end"])







def pass_agreement(root: Path, pass_a: Path, pass_b: Path) -> dict[str, Any]:
    """The agreement report of two annotation directories of the repository at ``root``."""
    corpus = load_corpus(root)
    return {"passes": [pass_a.name, pass_b.name],
            **agreement_report(load_annotation_set(root / pass_a, corpus),
                               load_annotation_set(root / pass_b, corpus), corpus)}
