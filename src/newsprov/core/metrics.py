"""Scores of predicted annotations against reference annotations: spans, multisets of
tuples, label sets and one-label classifications. The benchmark scorer and the agreement
between annotation passes both use them.

Spans are scored with ``nervaluate`` in the four SemEval-2013 task 9.1 modes: ``strict``
(same boundaries and label), ``exact`` (same boundaries), ``partial`` (overlap counts half)
and ``type`` (overlap and same label; nervaluate's ``ent_type``). A figure is ``None`` when
there is nothing to score (no reference and no predicted items); otherwise 0/0 is 0
(nervaluate's and scikit-learn's ``zero_division=0``).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from nervaluate import Evaluator
from nervaluate.entities import EvaluationResult
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    precision_recall_fscore_support,
)
from sklearn.preprocessing import MultiLabelBinarizer

from newsprov.core import schema
from newsprov.core.schema import AnnotationFile

MODES = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
COUNTS = ("correct", "incorrect", "partial", "missed", "spurious")  # nervaluate's counts
NO_ANSWER = "(none)"  # the prediction of a unit the system did not label

Records = Mapping[str, Sequence[Mapping[str, Any]]]  # doc_id -> records of one kind



def _figures(precision: float, recall: float, f1: float, defined: bool) -> dict[str, Any]:
    if not defined:
        return {"precision": None, "recall": None, "f1": None}
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def _mean(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None


def _entities(records: Sequence[Mapping[str, Any]], label_key: str) -> list[dict[str, Any]]:
    """Spans as nervaluate reads them (ends inclusive), in text order."""
    return sorted(({"label": r[label_key], "start": r["start"], "end": r["end"] - 1}
                   for r in records), key=lambda e: (e["start"], e["end"]))


def span_counts(gold: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]],
                label_key: str, order: Sequence[str]) -> np.ndarray:
    """nervaluate's counts of the spans of one document (or of any part of one that no span
    crosses): an integer array (1 + labels, modes, counts), row 0 pooling every label of
    ``order``, then one row per label; modes as MODES, counts as COUNTS. Counts of several
    documents add up, as nervaluate adds them (``span_figures``)."""
    counts = np.zeros((1 + len(order), len(MODES), len(COUNTS)), dtype=np.int64)
    true = _entities(gold, label_key)
    labelled = {(e["start"], e["end"], e["label"]) for e in true}
    spans = {(start, end) for start, end, _ in labelled}
    # nervaluate matches greedily in prediction order: a prediction that only overlaps a gold
    # span would take it from a later one matching it exactly, so those come first.
    pred = sorted(_entities(predicted, label_key), key=lambda e: (
        (e["start"], e["end"], e["label"]) not in labelled,
        (e["start"], e["end"]) not in spans))
    if not order or not (true or pred):
        return counts
    results = Evaluator([true], [pred], tags=list(order), loader="dict").evaluate()
    rows = [results["overall"], *(results["entities"].get(label, {}) for label in order)]
    for row, found in enumerate(rows):
        for mode, name in enumerate(MODES.values()):
            if (result := found.get(name)) is not None:
                counts[row, mode] = [getattr(result, count) for count in COUNTS]
    return counts


def span_figures(counts: np.ndarray, order: Sequence[str]) -> dict[str, Any]:
    """Micro, macro and per-label figures from summed ``span_counts``, by nervaluate's
    formulas (``partial`` and ``type`` count a partial match half); the labels scored are
    those of ``order`` with a span on either side."""

    def figures(row: np.ndarray, mode: int, name: str) -> dict[str, Any]:
        result = EvaluationResult(**{count: int(n) for count, n in zip(COUNTS, row[mode],
                                                                       strict=True)})
        result.compute_metrics(partial_or_type=name in ("partial", "ent_type"))
        return {**_figures(result.precision, result.recall, result.f1,
                           bool(result.actual or result.possible)),
                **{count: getattr(result, count) for count in COUNTS}}

    present = [(label, row) for label, row in zip(order, counts[1:], strict=True)
               if row[0].any()]  # strict mode counts every span of the label once
    micro = {mode: figures(counts[0], i, name) for i, (mode, name) in enumerate(MODES.items())}
    per_label = {label: {mode: figures(row, i, name)
                         for i, (mode, name) in enumerate(MODES.items())}
                 for label, row in present}
    macro = {mode: {measure: _mean([per_label[label][mode][measure] for label in per_label])
                    for measure in ("precision", "recall", "f1")} for mode in MODES}
    return {"micro": micro, "macro": macro, "per_label": per_label}


def span_labels(sides: Sequence[Records], label_key: str,
                labels: Sequence[str] | None = None) -> list[str]:
    """The labels with a span on some side, in the order of ``labels`` (else sorted)."""
    present = {record[label_key] for side in sides for records in side.values()
               for record in records}
    return [label for label in (labels or sorted(present)) if label in present]


def span_scores(gold: Records, predicted: Records, label_key: str = "type",
                labels: Sequence[str] | None = None) -> dict[str, Any]:
    """SemEval-2013 9.1 span scores of ``predicted`` against ``gold`` (doc_id -> records
    with ``start``, ``end`` and a label under ``label_key``; ends exclusive).

    Returns ``{"micro": {mode: figures}, "macro": {mode: figures},
    "per_label": {label: {mode: figures}}}`` for the modes strict, exact, partial and type;
    figures of micro and per-label results include nervaluate's counts.
    """
    order = span_labels([gold, predicted], label_key, labels)
    total = sum((span_counts(gold.get(doc, ()), predicted.get(doc, ()), label_key, order)
                 for doc in sorted(gold.keys() | predicted.keys())),
                np.zeros((1 + len(order), len(MODES), len(COUNTS)), dtype=np.int64))
    return span_figures(total, order)


def set_figures(correct: int, n_gold: int, n_predicted: int) -> dict[str, Any]:
    """Precision, recall and F1 of ``correct`` items among ``n_predicted`` and ``n_gold``."""
    precision = correct / n_predicted if n_predicted else 0.0
    recall = correct / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {**_figures(precision, recall, f1, bool(n_gold or n_predicted)),
            "gold": int(n_gold), "predicted": int(n_predicted), "correct": int(correct)}


def set_scores(gold: Counter, predicted: Counter) -> dict[str, Any]:
    """Precision, recall and F1 of predicted items (tuples) against gold, as multisets."""
    return set_figures(sum((gold & predicted).values()), gold.total(), predicted.total())


def multilabel_scores(gold: Sequence[set[str]], predicted: Sequence[set[str]],
                      labels: Sequence[str]) -> dict[str, Any]:
    """Per-label, micro and macro P/R/F1 of label sets, one set per document."""
    present = [label for label in labels if any(label in s for s in [*gold, *predicted])]
    if not present:
        none = _figures(0, 0, 0, False)
        return {"micro": none, "macro": none, "per_label": {}}
    binarizer = MultiLabelBinarizer(classes=present)
    y_true, y_pred = binarizer.fit_transform(gold), binarizer.transform(predicted)

    def average(kind: str | None) -> Any:
        return precision_recall_fscore_support(y_true, y_pred, average=kind, zero_division=0)

    precision, recall, f1, support = average(None)
    return {"micro": _figures(*average("micro")[:3], True),
            "macro": _figures(*average("macro")[:3], True),
            "per_label": {label: {**_figures(precision[i], recall[i], f1[i], True),
                                  "support": int(support[i])}
                          for i, label in enumerate(present)}}


def classification_scores(gold: Sequence[str], predicted: Sequence[str | None],
                          labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, balanced accuracy, per-class and macro F1 of one label per unit; a unit
    without a prediction (None) is wrong."""
    answers = [NO_ANSWER if label is None else label for label in predicted]
    present = [label for label in labels if label in gold or label in answers]
    result: dict[str, Any] = {"units": len(gold), "unanswered": answers.count(NO_ANSWER)}
    if not gold:
        return {**result, "accuracy": None, "balanced_accuracy": None, "macro_f1": None,
                "per_class": {}}
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, answers, labels=present, average=None, zero_division=0)
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true": intended
        warnings.simplefilter("ignore", UserWarning)
        balanced = balanced_accuracy_score(gold, answers)
    return {**result, "accuracy": float(accuracy_score(gold, answers)),
            "balanced_accuracy": float(balanced), "macro_f1": float(np.mean(f1)),
            "per_class": {label: {**_figures(precision[i], recall[i], f1[i], True),
                                  "support": int(support[i])}
                          for i, label in enumerate(present)}}


# ------------------------------------------------------------------ annotation files


def by_document(files: Mapping[str, AnnotationFile], kind: str,
                documents: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    return {doc: list(files[doc][kind]) if doc in files else [] for doc in documents}


def triggers(files: Mapping[str, AnnotationFile], documents: Sequence[str]) -> Records:
    return {doc: [{**event["trigger"], "type": event["type"]} for event in events]
            for doc, events in by_document(files, "events", documents).items()}


def event_tuples(files: Mapping[str, AnnotationFile], documents: Sequence[str],
                 what: str) -> Counter:
    """Events as (doc, trigger start, end, type, modality), or one (doc, trigger start,
    end, type, role, argument start, end) per argument; spans stand for mentions."""
    items: Counter = Counter()
    for doc in documents:
        if doc not in files:
            continue
        mentions = {m["id"]: (m["start"], m["end"]) for m in files[doc]["mentions"]}
        for event in files[doc]["events"]:
            trigger = (doc, event["trigger"]["start"], event["trigger"]["end"], event["type"])
            if what == "modality":
                items[(*trigger, event["modality"])] += 1
            else:
                items.update((*trigger, a["role"], *mentions[a["mention_id"]])
                             for a in event["arguments"])
    return items


def event_scores(gold: Mapping[str, AnnotationFile], predicted: Mapping[str, AnnotationFile],
                 documents: Sequence[str]) -> dict[str, Any]:
    return {"triggers": span_scores(triggers(gold, documents), triggers(predicted, documents),
                                    "type", schema.EVENT_TYPE.names),
            **{what: set_scores(event_tuples(gold, documents, what),
                                event_tuples(predicted, documents, what))
               for what in ("arguments", "modality")}}


def authorship_label(data: AnnotationFile | None) -> str | None:
    return data["authorship"]["label"] if data and data["authorship"] else None
