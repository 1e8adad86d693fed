"""The benchmark scorer (``newsprov evaluate``); ``newsprov.agreement`` compares two annotation
passes with the same span scores.

**Prediction format.** A system's output is a JSON Lines file: one annotation record per
line, the record exactly as in an annotation file (the fields of its struct in
``schema.RECORD_FIELDS``, provenance included) plus ``doc_id`` and ``kind`` (``mentions``,
``events``, ``document_flags``, ``span_flags``, ``claims``, or ``authorship`` for the
document's judgement ``{label, evidence, provenance}``). Lines are grouped into one
annotation file per document and checked by ``annotations.check_annotation_file`` (labels,
offsets, span texts, references, ids unique across the file), against the documents of the
release. An annotation directory (``<doc_id>.json`` files, as ``annotations/gold/``) is read
as the same records, so a system's output and an annotation pass are interchangeable.

**Metrics.** Gold comes from the released Parquet tables (``read_release``), checked against
the manifest's sha256s and version. Spans (entity mentions, span flags, event triggers) are
scored with ``nervaluate`` in the four SemEval-2013 task 9.1 modes: ``strict`` (same
boundaries and label), ``exact`` (same boundaries), ``partial`` (overlap counts half) and
``type`` (overlap and same label; nervaluate's ``ent_type``). nervaluate matches greedily
in prediction order, so predictions matching a gold span exactly (with its label, then
without) are put first. Micro figures pool all spans; macro figures are the mean of the
per-label precision, recall and F1 over the labels present in gold or predictions. Event
arguments and modality are scored as multisets of tuples (trigger span, type, role, argument
mention span: mention ids differ between systems) and (trigger span, type, modality).
Document flags are multi-label (scikit-learn, per label, micro and macro). Authorship and
claim support are classifications of given units: each gold claim is matched to the
predicted claim with the same span, each document with a gold authorship to the predicted
one; a missing prediction is wrong. A figure is ``null`` when there is nothing to score (no
gold and no predicted items); otherwise 0/0 is 0 (nervaluate's and scikit-learn's
``zero_division=0``).
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np
import pyarrow.parquet as pq
from nervaluate import Evaluator
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    precision_recall_fscore_support,
)
from sklearn.preprocessing import MultiLabelBinarizer

from newsprov import schema
from newsprov.annotations import (
    AnnotationFile,
    check_annotation_file,
    empty_annotations,
    load_annotation_set,
    records,
    write_atomic,
)
from newsprov.corpus import Document, read_json
from newsprov.errors import InputError
from newsprov.export import DATA_DIR, MANIFEST, file_sha256

PREDICTION_KINDS = ("authorship", *schema.ANNOTATION_KINDS)
MODES = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
COUNTS = ("correct", "incorrect", "partial", "missed", "spurious")  # nervaluate's counts
NO_ANSWER = "(none)"  # the prediction of a unit the system did not label
DIGITS = 4  # figures in the JSON files are rounded to this many decimals

Records = Mapping[str, Sequence[Mapping[str, Any]]]  # doc_id -> records of one kind


# ------------------------------------------------------------------ the release


@dataclass(frozen=True)
class Release:
    """The released export: every document, and the gold annotation of one split."""

    manifest: dict[str, Any]
    split: str
    documents: dict[str, Document]
    gold: dict[str, AnnotationFile]  # documents of the split only

    @property
    def version(self) -> str:
        return self.manifest["dataset_version"]


def _release_files(data_dir: Path, manifest: dict, table: str, split: str | None) -> list[Path]:
    """The manifest's files of a table (of one split), each checked against its sha256."""
    paths = []
    for entry in manifest["files"]:
        if entry["table"] != table or split not in (None, entry["split"]):
            continue
        path = data_dir / entry["path"]
        if not path.is_file():
            raise InputError(path, None, f"listed in {MANIFEST} but missing")
        if file_sha256(path) != entry["sha256"]:
            raise InputError(path, None, f"sha256 differs from {MANIFEST}: the file was "
                                         "changed after the release was built")
        paths.append(path)
    return paths


def read_release(data_dir: Path, split: str, version: str | None = None) -> Release:
    """Documents and gold annotations of ``split`` from the Parquet export in ``data_dir``."""
    manifest_path = data_dir / MANIFEST
    if not manifest_path.is_file():
        raise InputError(manifest_path, None, "no release here: run `newsprov build`")
    manifest = read_json(manifest_path)
    if version is not None and manifest["dataset_version"] != version:
        raise InputError(manifest_path, None, f"the release is version "
                                              f"{manifest['dataset_version']}, not {version}")
    if split not in schema.SPLIT:
        raise InputError(manifest_path, split, f"unknown split; allowed: {schema.SPLIT.names}")
    documents: dict[str, Document] = {}
    gold: dict[str, AnnotationFile] = {}
    for row in pq.read_table(_release_files(data_dir, manifest, "documents", None),
                             columns=[*_METADATA_COLUMNS.values(), "split", "text",
                                      "authorship"]
                             ).to_pylist():
        metadata = {field: row[column] for field, column in _METADATA_COLUMNS.items()}
        document = Document(metadata, row["text"])
        documents[document.id] = document
        if row["split"] == split:
            gold[document.id] = {**empty_annotations(document), "authorship": row["authorship"]}
    if not gold:
        raise InputError(manifest_path, split, f"version {manifest['dataset_version']} has "
                                               "no documents in this split")
    for kind in schema.ANNOTATION_KINDS:
        paths = _release_files(data_dir, manifest, kind, split)
        for row in pq.read_table(paths).to_pylist() if paths else []:
            doc_id = row.pop("doc_id")
            del row["split"]
            gold[doc_id][kind].append(row)
    return Release(manifest, split, documents, gold)


_METADATA_COLUMNS = {field.name: "doc_id" if field.name == "id" else field.name
                     for field in schema.METADATA_FIELDS}


# ------------------------------------------------------------------ predictions


def read_predictions(path: Path, documents: Mapping[str, Document]) -> dict[str, AnnotationFile]:
    """A JSON Lines prediction file (or an annotation directory), checked against
    ``documents``; errors name the line and the record."""
    if path.is_dir():
        return load_annotation_set(path, documents)
    if not path.is_file():
        raise InputError(path, None, "prediction file not found")
    files: dict[str, AnnotationFile] = {}
    lines: dict[str, dict[str, int]] = {}  # doc_id -> record name -> line number
    seen: dict[str, int] = {}  # record id -> line number
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(path, where, f"invalid JSON: {error}") from None
        if not isinstance(item, dict):
            raise InputError(path, where, "a prediction must be a JSON object")
        doc_id, kind = item.pop("doc_id", None), item.pop("kind", None)
        if kind not in PREDICTION_KINDS:
            raise InputError(path, where, f"kind {kind!r} is not one of {list(PREDICTION_KINDS)}")
        document = documents.get(doc_id) if isinstance(doc_id, str) else None
        if document is None:
            raise InputError(path, where, f"doc_id {doc_id!r} is not a document of the release")
        data = files.setdefault(doc_id, empty_annotations(document))
        names = lines.setdefault(doc_id, {})
        if kind == "authorship":
            if "authorship" in names:
                raise InputError(path, where, f"a second authorship for {doc_id} (first on "
                                              f"line {names['authorship']})")
            data["authorship"], names["authorship"] = item, number
            continue
        names[f"{kind}[{len(data[kind])}]"] = number  # how the check names an id-less record
        record_id = item.get("id")
        if isinstance(record_id, str):
            if record_id in seen:
                raise InputError(path, f"{where} ({record_id})",
                                 f"duplicate id: also on line {seen[record_id]}")
            seen[record_id] = names[record_id] = number
        data[kind].append(item)
    for doc_id, data in files.items():
        try:
            # The check wants a path named after the document; errors are re-addressed below.
            check_annotation_file(data, path / doc_id, documents, files)
            _check_claim_spans(data)
        except InputError as error:
            line = lines[doc_id].get(error.record or "")
            record = f"line {line} ({error.record})" if line else error.record
            raise InputError(path, record, error.problem) from None
    return files


def _check_claim_spans(data: AnnotationFile) -> None:
    """A claim is matched to gold by its span: two claims of one span cannot be scored."""
    spans: dict[tuple[int, int], str] = {}
    for claim in data["claims"]:
        key = (claim["start"], claim["end"])
        if key in spans:
            raise InputError(data["doc_id"], claim["id"],
                             f"claims: same span as {spans[key]}; claims are given units")
        spans[key] = claim["id"]


def prediction_lines(annotations: Mapping[str, AnnotationFile]) -> Iterator[dict[str, Any]]:
    """The JSON Lines items of an annotation set, in document order."""
    for doc_id, data in sorted(annotations.items()):
        if data["authorship"] is not None:
            yield {"doc_id": doc_id, "kind": "authorship", **data["authorship"]}
        for kind, record in records(data):
            yield {"doc_id": doc_id, "kind": kind, **record}


def write_predictions(path: Path, annotations: Mapping[str, AnnotationFile]) -> None:
    write_atomic(path, "".join(json.dumps(item, ensure_ascii=False) + "\n"
                               for item in prediction_lines(annotations)))


# ------------------------------------------------------------------ metric primitives


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



# ------------------------------------------------------------------ the tasks


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


def score(gold: Mapping[str, AnnotationFile],
          predicted: Mapping[str, AnnotationFile]) -> dict[str, Any]:
    """Every task's metrics over the documents of ``gold``."""
    documents = sorted(gold)
    claims = [(claim, predicted.get(doc)) for doc in documents for claim in gold[doc]["claims"]]
    judged = [doc for doc in documents if gold[doc]["authorship"] is not None]
    return {
        "entities": span_scores(by_document(gold, "mentions", documents),
                                by_document(predicted, "mentions", documents), "type",
                                schema.ENTITY_TYPE.names),
        "events": event_scores(gold, predicted, documents),
        "span_flags": span_scores(by_document(gold, "span_flags", documents),
                                  by_document(predicted, "span_flags", documents), "label",
                                  schema.SPAN_FLAG.names),
        "document_flags": multilabel_scores(
            *([{flag["label"] for flag in flags}
               for flags in by_document(side, "document_flags", documents).values()]
              for side in (gold, predicted)), schema.DOCUMENT_FLAG.names),
        "authorship": classification_scores(
            [gold[doc]["authorship"]["label"] for doc in judged],
            [authorship_label(predicted.get(doc)) for doc in judged], schema.AUTHORSHIP.names),
        "claim_support": classification_scores(
            [claim["support"] for claim, _ in claims],
            [_support_of(claim, data) for claim, data in claims], schema.CLAIM_SUPPORT.names),
    }


def authorship_label(data: AnnotationFile | None) -> str | None:
    return data["authorship"]["label"] if data and data["authorship"] else None


def _support_of(claim: Mapping[str, Any], data: AnnotationFile | None) -> str | None:
    """The support the predictions give the gold claim's span, if any."""
    for predicted in data["claims"] if data else ():
        if (predicted["start"], predicted["end"]) == (claim["start"], claim["end"]):
            return predicted["support"]
    return None


def evaluate(predictions: Path, release: Release) -> dict[str, Any]:
    """Score a prediction file against the release's gold: the metrics JSON."""
    predicted = read_predictions(predictions, release.documents)
    return {"dataset_version": release.version,
            "schema_version": release.manifest["schema_version"], "split": release.split,
            "predictions": {"file": predictions.name,
                            "sha256": file_sha256(predictions) if predictions.is_file()
                            else None},
            "documents": len(release.gold), **score(release.gold, predicted)}


# ------------------------------------------------------------------ tables

# task, measure, P, R, F1 or score; None is an undefined figure, "" a figure that does not apply
Row = tuple[str, str, float | str | None, float | str | None, float | None]


def _prf(task: str, measure: str, figures: Mapping[str, Any]) -> Row:
    return task, measure, figures["precision"], figures["recall"], figures["f1"]


def _span_rows(task: str, scores: Mapping[str, Any]) -> list[Row]:
    return [*(_prf(task, f"{mode} micro", scores["micro"][mode]) for mode in MODES),
            *(_prf(task, f"{mode} macro", scores["macro"][mode]) for mode in ("strict",
                                                                               "partial"))]


def _class_rows(task: str, scores: Mapping[str, Any]) -> list[Row]:
    return [(task, "accuracy", "", "", scores["accuracy"]),
            (task, "balanced accuracy", "", "", scores["balanced_accuracy"]),
            (task, "macro F1", "", "", scores["macro_f1"]),
            *(_prf(task, f"F1 {label}", figures)
              for label, figures in scores["per_class"].items())]


# The tasks of the metrics JSON and how each shows in a table.
TASK_ROWS: dict[str, Callable[[Mapping[str, Any]], list[Row]]] = {
    "entities": lambda m: _span_rows("entity recognition", m["entities"]),
    "events": lambda m: [
        _prf("event detection", "trigger (exact) micro", m["events"]["triggers"]["micro"]["exact"]),
        _prf("event detection", "trigger + type (strict) micro",
             m["events"]["triggers"]["micro"]["strict"]),
        _prf("event detection", "trigger + type (strict) macro",
             m["events"]["triggers"]["macro"]["strict"]),
        _prf("event detection", "arguments with roles", m["events"]["arguments"]),
        _prf("event detection", "trigger + type + modality", m["events"]["modality"])],
    "span_flags": lambda m: _span_rows("span flags", m["span_flags"]),
    "document_flags": lambda m: [_prf("document flags", f"{average}",
                                      m["document_flags"][average])
                                 for average in ("micro", "macro")],
    "authorship": lambda m: _class_rows("authorship", m["authorship"]),
    "claim_support": lambda m: _class_rows("claim support", m["claim_support"]),
}


def summary_rows(metrics: Mapping[str, Any], tasks: Sequence[str] = tuple(TASK_ROWS)
                 ) -> list[Row]:
    return [row for task in tasks for row in TASK_ROWS[task](metrics)]


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]],
                   numeric_from: int) -> str:
    """A Markdown table; columns from ``numeric_from`` on are right-aligned figures (None is
    an undefined figure, a string is shown as it is)."""
    align = ["---" if i < numeric_from else "--:" for i in range(len(header))]
    lines = [list(header), align,
             *([cell if isinstance(cell, str) else _cell(cell) for cell in row] for row in rows)]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines) + "\n"


def metrics_table(metrics: Mapping[str, Any]) -> str:
    return markdown_table(["task", "measure", "P", "R", "F1 / score"], summary_rows(metrics),
                          2)


# ------------------------------------------------------------------ commands


def rounded(value: Any) -> Any:
    """A JSON value with its floats rounded to DIGITS decimals (stable, readable files)."""
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item) for item in value]
    return value


def write_json(path: Path, value: Any) -> None:
    write_atomic(path, json.dumps(rounded(value), indent=1, ensure_ascii=False) + "\n")


@click.command("evaluate")
@click.argument("predictions", type=click.Path(path_type=Path))
@click.option("--split", type=click.Choice(schema.SPLIT.names), default="test",
              show_default=True, help="The split whose gold is scored.")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
              default=DATA_DIR, show_default=True, help="The released Parquet export.")
@click.option("--dataset-version", default=None,
              help="Refuse to score unless the release is this version.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The metrics JSON (default: PREDICTIONS with suffix .metrics.json).")
def evaluate_command(predictions: Path, split: str, data_dir: Path,
                     dataset_version: str | None, out: Path | None) -> None:
    """Score PREDICTIONS (JSON Lines of annotation records, or an annotation directory)
    against the gold annotations of a split of the released Parquet export."""
    metrics = evaluate(predictions, read_release(data_dir, split, dataset_version))
    out = out or predictions.with_name(predictions.name.removesuffix(".jsonl") +
                                       ".metrics.json")
    write_json(out, metrics)
    click.echo(f"newsprov {metrics['dataset_version']}, split {split}, "
               f"{metrics['documents']} documents\n\n{metrics_table(metrics)}\nwrote {out}")


