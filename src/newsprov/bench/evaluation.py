"""The benchmark scorer (``newsprov evaluate``); ``newsprov.annotate.agreement`` compares
two annotation passes with the same span scores (``newsprov.core.metrics``).

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
the manifest's sha256s and version. Only documents whose every layer is complete
(``annotation_status``) are gold; the others are skipped and counted
(``documents_not_annotated``). Spans (entity mentions, span flags, event triggers) are
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

**Uncertainty.** ``evaluate`` adds a bootstrap confidence interval for every figure of its
table, and ``compare`` scores two systems on the same units with a paired bootstrap and
approximate randomisation: ``newsprov.bench.resampling`` says how.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from newsprov.bench.resampling import (
    CONFIDENCE,
    RESAMPLES,
    SEED,
    comparison,
    intervals,
    task_samples,
)
from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.files import file_sha256, markdown_table, write_atomic
from newsprov.core.layout import MANIFEST
from newsprov.core.metrics import MODES
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import (
    check_annotation_file,
    empty_annotations,
    load_annotation_set,
    records,
)
from newsprov.store.corpus import Document
from newsprov.store.release import release_files, released_manifest

PREDICTION_KINDS = ("authorship", *schema.ANNOTATION_KINDS)



# ------------------------------------------------------------------ the release


@dataclass(frozen=True)
class Release:
    """The released export: every document, and the gold annotation of one split."""

    manifest: dict[str, Any]
    split: str
    documents: dict[str, Document]
    gold: dict[str, AnnotationFile]  # documents of the split only
    # The layers each document of the split has complete (``annotation_status``).
    complete_layers: dict[str, set[str]] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.manifest["dataset_version"]


def read_release(data_dir: Path, split: str, version: str | None = None) -> Release:
    """Documents and gold annotations of ``split`` from the Parquet export in ``data_dir``."""
    manifest_path = data_dir / MANIFEST
    manifest = released_manifest(data_dir)
    if version is not None and manifest["dataset_version"] != version:
        raise InputError(manifest_path, None, f"the release is version "
                                              f"{manifest['dataset_version']}, not {version}",
                         check="release-version")
    if split not in schema.SPLIT:
        raise InputError(manifest_path, split, f"unknown split; allowed: {schema.SPLIT.names}",
                         check="split-unknown")
    documents: dict[str, Document] = {}
    gold: dict[str, AnnotationFile] = {}
    complete: dict[str, set[str]] = {}
    for row in pq.read_table(release_files(data_dir, manifest, "documents", None),
                             columns=[*_METADATA_COLUMNS.values(), "split", "text",
                                      "authorship", "annotation_status"]
                             ).to_pylist():
        metadata = {field: row[column] for field, column in _METADATA_COLUMNS.items()}
        document = Document(metadata, row["text"])
        documents[document.id] = document
        if row["split"] == split:
            gold[document.id] = {**empty_annotations(document), "authorship": row["authorship"]}
            complete[document.id] = {status["layer"] for status in row["annotation_status"]}
    if not gold:
        raise InputError(manifest_path, split, f"version {manifest['dataset_version']} has "
                                               "no documents in this split", check="split-empty")
    for kind in schema.ANNOTATION_KINDS:
        paths = release_files(data_dir, manifest, kind, split)
        for row in pq.read_table(paths).to_pylist() if paths else []:
            doc_id = row.pop("doc_id")
            del row["split"]
            gold[doc_id][kind].append(row)
    return Release(manifest, split, documents, gold, complete)


_METADATA_COLUMNS = {field.name: "doc_id" if field.name == "id" else field.name
                     for field in schema.METADATA_FIELDS}


# ------------------------------------------------------------------ predictions


def read_predictions(path: Path, documents: Mapping[str, Document]) -> dict[str, AnnotationFile]:
    """A JSON Lines prediction file (or an annotation directory), checked against
    ``documents``; errors name the line and the record."""
    if path.is_dir():
        return load_annotation_set(path, documents)
    if not path.is_file():
        raise InputError(path, None, "prediction file not found", check="predictions-not-found")
    files: dict[str, AnnotationFile] = {}
    lines: dict[str, dict[str, int]] = {}  # doc_id -> record name -> line number
    seen: dict[str, int] = {}  # record id -> line number
    for number, line in enumerate(_jsonl_lines(path), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(path, where, f"invalid JSON: {error}", check="invalid-json") from None
        if not isinstance(item, dict):
            raise InputError(path, where, "a prediction must be a JSON object",
                             check="prediction-not-object")
        doc_id, kind = item.pop("doc_id", None), item.pop("kind", None)
        if kind not in PREDICTION_KINDS:
            raise InputError(path, where, f"kind {kind!r} is not one of {list(PREDICTION_KINDS)}",
                             check="prediction-kind")
        document = documents.get(doc_id) if isinstance(doc_id, str) else None
        if document is None:
            raise InputError(path, where, f"doc_id {doc_id!r} is not a document of the release",
                             check="prediction-document")
        data = files.setdefault(doc_id, empty_annotations(document))
        names = lines.setdefault(doc_id, {})
        if kind == "authorship":
            if "authorship" in names:
                raise InputError(path, where, f"a second authorship for {doc_id} (first on "
                                              f"line {names['authorship']})",
                                 check="second-authorship")
            data["authorship"], names["authorship"] = item, number
            continue
        names[f"{kind}[{len(data[kind])}]"] = number  # how the check names an id-less record
        record_id = item.get("id")
        if isinstance(record_id, str):
            if record_id in seen:
                raise InputError(path, f"{where} ({record_id})",
                                 f"duplicate id: also on line {seen[record_id]}",
                                 check="duplicate-record-id")
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
            raise InputError(path, record, error.problem, check=error.check) from None
    return files


def _jsonl_lines(path: Path) -> list[str]:
    """The lines of a JSON Lines file: decoded as UTF-8 (an error names its line) and split
    at "\n" only, since JSON strings may hold U+2028, U+0085 and the other breaks that
    ``str.splitlines`` also splits at."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise InputError(path, f"line {line}", f"not valid UTF-8 ({error.reason} at byte "
                                               f"{error.start})", check="invalid-json") from None
    return text.split("\n")


def _check_claim_spans(data: AnnotationFile) -> None:
    """A claim is matched to gold by its span: two claims of one span cannot be scored."""
    spans: dict[tuple[int, int], str] = {}
    for claim in data["claims"]:
        key = (claim["start"], claim["end"])
        if key in spans:
            raise InputError(data["doc_id"], claim["id"],
                             f"claims: same span as {spans[key]}; claims are given units",
                             check="claim-same-span")
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


# ------------------------------------------------------------------ the tasks

TASKS = ("entities", "events", "span_flags", "document_flags", "authorship", "claim_support")


def score(gold: Mapping[str, AnnotationFile],
          predicted: Mapping[str, AnnotationFile]) -> dict[str, Any]:
    """Every task's metrics over the documents of ``gold``: each task's items
    (``resampling.task_samples``) scored once each."""
    return {task: sample.score() for task, sample in task_samples(gold, [predicted],
                                                                  TASKS).items()}


def _prediction_file(path: Path) -> dict[str, Any]:
    return {"file": path.name, "sha256": file_sha256(path) if path.is_file() else None}


def _header(release: Release) -> dict[str, Any]:
    return {"dataset_version": release.version,
            "schema_version": release.manifest["schema_version"], "split": release.split}


def _method(test: str) -> dict[str, Any]:
    return {"method": test, "confidence": CONFIDENCE, "resamples": RESAMPLES, "seed": SEED}


def completely_annotated(release: Release) -> dict[str, AnnotationFile]:
    """The gold of the documents whose every layer is complete: a layer that nobody has
    annotated is not gold, and a correct prediction on it is no error."""
    layers = set(schema.ANNOTATION_LAYER.names)
    return {doc_id: data for doc_id, data in release.gold.items()
            if release.complete_layers.get(doc_id) == layers}


def evaluate(predictions: Path, release: Release) -> dict[str, Any]:
    """Score a prediction file against the release's gold: the metrics JSON, with the
    bootstrap interval of every figure of its table."""
    predicted = read_predictions(predictions, release.documents)
    gold = completely_annotated(release)
    samples = task_samples(gold, [predicted], TASKS)
    metrics = {task: sample.score() for task, sample in samples.items()}
    return {**_header(release), "predictions": _prediction_file(predictions),
            "documents": len(gold), "documents_not_annotated": len(release.gold) - len(gold),
            **metrics,
            "intervals": {**_method("percentile bootstrap"), **{
                task: intervals(sample, len(gold), figure_paths(task, metrics[task]))
                for task, sample in samples.items()}}}


def compare(first: Path, second: Path, release: Release,
            tasks: Sequence[str] = TASKS) -> dict[str, Any]:
    """Two prediction files scored on the same units: per figure of the tasks' tables, both
    scores, the difference A - B with its paired-bootstrap interval, and the
    approximate-randomisation p-value."""
    systems = [read_predictions(path, release.documents) for path in (first, second)]
    gold = completely_annotated(release)
    compared = {}
    for task, sample in task_samples(gold, systems, tasks).items():
        scores = [sample.score(system) for system in (0, 1)]
        specs = list(dict.fromkeys(spec for metrics in scores
                                   for spec in TASK_ROWS[task](metrics)))
        paths = list(dict.fromkeys(path for metrics in scores
                                   for path in figure_paths(task, metrics)))
        compared[task] = {**comparison(sample, len(gold), paths),
                          "rows": [[name, measure, ".".join(headline(path, *scores))]
                                   for name, measure, path in specs]}
    return {**_header(release), "a": _prediction_file(first), "b": _prediction_file(second),
            "documents": len(gold), "documents_not_annotated": len(release.gold) - len(gold),
            "comparison": {**_method("paired bootstrap; approximate randomisation"),
                           **compared}}


# ------------------------------------------------------------------ tables

# A row of a table: task, measure, and where its figures are in the task's metrics (a dict
# of precision, recall and f1, or one score).
RowSpec = tuple[str, str, tuple[str, ...]]
PRF = ("precision", "recall", "f1")


def _span_rows(task: str) -> list[RowSpec]:
    return [*((task, f"{mode} micro", ("micro", mode)) for mode in MODES),
            *((task, f"{mode} macro", ("macro", mode)) for mode in ("strict", "partial"))]


def _class_rows(task: str, scores: Mapping[str, Any]) -> list[RowSpec]:
    return [(task, "accuracy", ("accuracy",)),
            (task, "balanced accuracy", ("balanced_accuracy",)),
            (task, "macro F1", ("macro_f1",)),
            *((task, f"F1 {label}", ("per_class", label)) for label in scores["per_class"])]


# The tasks of the metrics JSON, how a table names each, and its rows (from its metrics).
TASK_NAMES = {"entities": "entity recognition", "events": "event detection",
              "span_flags": "span flags", "document_flags": "document flags",
              "authorship": "authorship", "claim_support": "claim support"}
EVENTS = TASK_NAMES["events"]
TASK_ROWS: dict[str, Callable[[Mapping[str, Any]], list[RowSpec]]] = {
    "entities": lambda m: _span_rows(TASK_NAMES["entities"]),
    "events": lambda m: [
        (EVENTS, "trigger (exact) micro", ("triggers", "micro", "exact")),
        (EVENTS, "trigger + type (strict) micro", ("triggers", "micro", "strict")),
        (EVENTS, "trigger + type (strict) macro", ("triggers", "macro", "strict")),
        (EVENTS, "arguments with roles", ("arguments",)),
        (EVENTS, "trigger + type + modality", ("modality",))],
    "span_flags": lambda m: _span_rows(TASK_NAMES["span_flags"]),
    "document_flags": lambda m: [(TASK_NAMES["document_flags"], average, (average,))
                                 for average in ("micro", "macro")],
    "authorship": lambda m: _class_rows(TASK_NAMES["authorship"], m),
    "claim_support": lambda m: _class_rows(TASK_NAMES["claim_support"], m),
}


def _value_at(task_metrics: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = task_metrics
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _is_prf(task_metrics: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    return isinstance(_value_at(task_metrics, path), Mapping)


def headline(path: tuple[str, ...], *task_metrics: Mapping[str, Any]) -> tuple[str, ...]:
    """The figure a row ranks by: its F1, or its one score."""
    return (*path, "f1") if any(_is_prf(m, path) for m in task_metrics) else path


def figure_paths(task: str, task_metrics: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """Every figure of the task's rows."""
    return [path + ((measure,) if _is_prf(task_metrics, path) else ())
            for *_, path in TASK_ROWS[task](task_metrics)
            for measure in (PRF if _is_prf(task_metrics, path) else ("",))]


def interval_cell(interval: Sequence[float] | None) -> str:
    return "n/a" if interval is None else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


# task, measure, P, R, F1 or score, its interval; None is an undefined figure, "" a figure
# that does not apply
Row = tuple[str, str, float | str | None, float | str | None, float | None, str]


def summary_rows(metrics: Mapping[str, Any], tasks: Sequence[str] = TASKS) -> list[Row]:
    rows: list[Row] = []
    for task in tasks:
        task_metrics, found = metrics[task], metrics["intervals"][task]["figures"]
        for name, measure, path in TASK_ROWS[task](task_metrics):
            value = _value_at(task_metrics, path)
            interval = interval_cell(found[".".join(headline(path, task_metrics))])
            rows.append((name, measure, *(value[key] for key in PRF), interval)
                        if isinstance(value, Mapping) else (name, measure, "", "", value,
                                                            interval))
    return rows


INTERVAL_HEADER = f"{CONFIDENCE:.0%} CI"


def metrics_table(metrics: Mapping[str, Any]) -> str:
    return markdown_table(["task", "measure", "P", "R", "F1 / score", INTERVAL_HEADER],
                          summary_rows(metrics), 2)


def caveats(result: Mapping[str, Any], tasks: Sequence[str] = TASKS) -> list[str]:
    """One line per task: the unit resampled, and the caveat that goes with it."""
    return [f"{task}: {found['units']} {found['unit']} resampled"
            + (f"; {found['caveat']}" if found["caveat"] else "")
            for task in tasks if (found := result[task])]


def comparison_table(result: Mapping[str, Any]) -> str:
    """The F1 or score of each row of the compared tasks: A, B, A - B, its interval, p."""
    rows = []
    for found in result["comparison"].values():
        if not isinstance(found, Mapping):
            continue  # the method's settings
        for name, measure, key in found["rows"]:
            figures = found["figures"][key]
            rows.append((name, measure, figures["a"], figures["b"], figures["difference"],
                         interval_cell(figures["interval"]),
                         "n/a" if figures["p"] is None else f"{figures['p']:.3f}"))
    return markdown_table(["task", "measure", "A", "B", "A - B", INTERVAL_HEADER, "p"], rows,
                          2)


# ------------------------------------------------------------------ commands
