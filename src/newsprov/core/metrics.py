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


def span_scores(gold: Records, predicted: Records, label_key: str = "type",
                labels: Sequence[str] | None = None) -> dict[str, Any]:
    """SemEval-2013 9.1 span scores of ``predicted`` against ``gold`` (doc_id -> records
    with ``start``, ``end`` and a label under ``label_key``; ends exclusive).

    Returns ``{"micro": {mode: figures}, "macro": {mode: figures},
    "per_label": {label: {mode: figures}}}`` for the modes strict, exact, partial and type;
    figures of micro and per-label results include nervaluate's counts.
    """
    documents = sorted(gold.keys() | predicted.keys())

    def entities(side: Records, doc: str) -> list[dict[str, Any]]:  # nervaluate: end inclusive
        return sorted(({"label": r[label_key], "start": r["start"], "end": r["end"] - 1}
                       for r in side.get(doc, ())), key=lambda e: (e["start"], e["end"]))

    def matched_first(doc: str, true: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """nervaluate matches greedily in prediction order: a prediction that only overlaps a
        gold span would take it from a later one matching it exactly, so those come first."""
        labelled = {(e["start"], e["end"], e["label"]) for e in true}
        spans = {(start, end) for start, end, _ in labelled}
        return sorted(entities(predicted, doc), key=lambda e: (
            (e["start"], e["end"], e["label"]) not in labelled,
            (e["start"], e["end"]) not in spans))

    true = [entities(gold, doc) for doc in documents]
    pred = [matched_first(doc, spans) for doc, spans in zip(documents, true, strict=True)]
    present = {e["label"] for doc in true + pred for e in doc}
    order = [label for label in (labels or sorted(present)) if label in present]
    results = Evaluator(true, pred, tags=order, loader="dict").evaluate() if order else {}

    def figures(result: Any) -> dict[str, Any]:
        if result is None:  # no labelled span on either side
            return {**_figures(0, 0, 0, False), **dict.fromkeys(COUNTS, 0)}
        return {**_figures(result.precision, result.recall, result.f1,
                           bool(result.actual or result.possible)),
                **{name: getattr(result, name) for name in COUNTS}}

    micro = {mode: figures(results.get("overall", {}).get(name)) for mode, name in MODES.items()}
    per_label = {label: {mode: figures(results["entities"][label][name])
                         for mode, name in MODES.items()} for label in order}
    macro = {mode: {measure: _mean([per_label[label][mode][measure] for label in order])
                    for measure in ("precision", "recall", "f1")} for mode in MODES}
    return {"micro": micro, "macro": macro, "per_label": per_label}


def set_scores(gold: Counter, predicted: Counter) -> dict[str, Any]:
    """Precision, recall and F1 of predicted items (tuples) against gold, as multisets."""
    correct = sum((gold & predicted).values())
    n_gold, n_predicted = gold.total(), predicted.total()
    precision = correct / n_predicted if n_predicted else 0.0
    recall = correct / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {**_figures(precision, recall, f1, bool(n_gold or n_predicted)),
            "gold": n_gold, "predicted": n_predicted, "correct": correct}


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
