"""Label Studio files: task JSON going out, JSON exports coming back.

An export is read submission by submission (one annotation of one task). Each submission is
imported whole into its annotator's set (``<out>/<annotator>/<doc_id>.json``) or rejected
whole with every reason found: a partial annotation would be silently incomplete. Counts
always add up: submissions in = imported + rejected. The import report (who, when, lead time
of every submission, the reason of every rejection) is written beside the sets; with
``strict``, any rejection means nothing is written at all.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from newsprov.annotate.detectors import pre_annotations
from newsprov.annotate.labelstudio import config, results
from newsprov.core.errors import InputError
from newsprov.core.files import write_atomic
from newsprov.core.layout import DOCUMENTS_DIR, LABELSTUDIO_IMPORT_REPORT
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import (
    check_annotation_file,
    load_annotation_set,
    records,
    write_annotation_file,
)
from newsprov.store.corpus import Document, load_corpus

ANNOTATOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

# An annotation set per document id; predictions are such sets keyed by model version.
AnnotationSet = Mapping[str, AnnotationFile]


# ------------------------------------------------------------------ tasks out


def _pushed(data: AnnotationFile | None) -> list[dict[str, Any]]:
    """The records of a file as the task remembers them, to give back their provenance."""
    if data is None:
        return []
    pushed = [{"kind": kind, "record": record} for kind, record in records(data)]
    if data["authorship"] is not None:
        pushed.append({"kind": config.AUTHORSHIP, "record": data["authorship"]})
    return pushed


def task(document: Document, corpus: Mapping[str, Document],
         annotations: AnnotationSet | None = None,
         predictions: Mapping[str, AnnotationSet] | None = None) -> dict[str, Any]:
    """The Label Studio task of a document, with its annotation from ``annotations`` (if
    any) as a submitted annotation and its file of each prediction set as a prediction."""
    source = corpus[document.derived_from] if document.derived_from else None
    attached = [(None, annotations)] if annotations else []
    attached += list((predictions or {}).items())
    data = {
        config.DOC_ID: document.id, config.TEXT: document.text,
        config.SOURCE_DOC_ID: source.id if source else "",
        config.SOURCE_TEXT: source.text if source else "",
        config.DATA_KEY: {"pushed": [entry for _, files in attached
                                          for entry in _pushed(files.get(document.id))]},
    }
    result: dict[str, Any] = {"data": data}
    for model_version, files in attached:
        if document.id not in files:
            continue
        source_file = files.get(source.id) if source else None
        item = {"result": config.annotation_result(files[document.id], source_file)}
        if model_version is None:
            result["annotations"] = [item]
        else:
            result.setdefault("predictions", []).append({**item, "model_version": model_version})
    return result


# ------------------------------------------------------------------ exports in


@dataclass
class Submission:
    """One annotation (or draft) of one task in a Label Studio export."""

    task_id: Any
    annotation_id: Any
    doc_id: str | None
    annotator: str
    created_at: str | None
    updated_at: str | None
    lead_time: float | None
    result: Any
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"task": self.task_id, "annotation": self.annotation_id, "doc_id": self.doc_id,
                "annotator": self.annotator, "created_at": self.created_at,
                "updated_at": self.updated_at, "lead_time": self.lead_time}


@dataclass
class ImportResult:
    files: dict[tuple[str, str], AnnotationFile] = field(default_factory=dict)
    imported: list[Submission] = field(default_factory=list)
    rejected: list[Submission] = field(default_factory=list)
    tasks_without_submissions: list[Any] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"in": len(self.imported) + len(self.rejected), "imported": len(self.imported),
                "rejected": len(self.rejected)}

    def report(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "imported": [{**s.summary(), "file": f"{s.annotator}/{s.doc_id}.json"}
                         for s in self.imported],
            "rejected": [{**s.summary(), "reasons": s.problems} for s in self.rejected],
            "tasks_without_submissions": self.tasks_without_submissions,
        }


def annotator_name(completed_by: Any, names: Mapping[int, str]) -> str:
    """The annotator of a submission: a name given for its Label Studio user id, else
    ``ls-user-<id>`` (exports name users by id; emails are not copied into the data)."""
    user_id = completed_by.get("id") if isinstance(completed_by, dict) else completed_by
    if isinstance(user_id, int) and user_id in names:
        return names[user_id]
    return f"ls-user-{user_id}"


def read_export(export: Any, corpus: Mapping[str, Document], names: Mapping[int, str],
                existing: Mapping[tuple[str, str], AnnotationFile], path: Path
                ) -> ImportResult:
    """Check every submission of an export; ``existing`` holds the annotators' files already
    on disk, which resolve the source events of a derived document annotated earlier."""
    if not isinstance(export, list) or not all(isinstance(t, dict) for t in export):
        raise InputError(path, None, "a Label Studio JSON export must be a list of tasks",
                         check="export-not-task-list")
    outcome = ImportResult()
    submissions: list[tuple[Submission, dict[str, Any]]] = []
    for task_item in export:
        found = list(_submissions(task_item, corpus, names))
        if not found:
            outcome.tasks_without_submissions.append(task_item.get("id"))
        submissions.extend(found)
    _reject_duplicates([s for s, _ in submissions if not s.problems])
    # Sources before the documents derived from them, so source events resolve.
    submissions.sort(key=lambda pair: _is_derived(pair[0].doc_id, corpus))
    for submission, task_item in submissions:
        if not submission.problems:
            _read_submission(submission, task_item, corpus, outcome, existing)
        (outcome.rejected if submission.problems else outcome.imported).append(submission)
    return outcome


def _is_derived(doc_id: str | None, corpus: Mapping[str, Document]) -> bool:
    document = corpus.get(doc_id) if doc_id else None
    return bool(document and document.derived_from)


def _submissions(task_item: dict[str, Any], corpus: Mapping[str, Document],
                 names: Mapping[int, str]) -> Iterable[tuple[Submission, dict[str, Any]]]:
    task_problem = _task_problem(task_item, corpus)
    data = task_item.get("data") if isinstance(task_item.get("data"), dict) else {}
    doc_id = data.get(config.DOC_ID) if isinstance(data.get(config.DOC_ID), str) else None
    for key, draft in (("annotations", False), ("drafts", True)):
        items = task_item.get(key) or []
        for item in items if isinstance(items, list) else [items]:
            if not isinstance(item, dict):
                item = {"result": item}
            submission = Submission(
                task_item.get("id"), item.get("id"), doc_id,
                annotator_name(item.get("completed_by", item.get("user")), names),
                item.get("created_at"), item.get("updated_at"), item.get("lead_time"),
                item.get("result"))
            if task_problem:
                submission.problems.append(task_problem)
            elif draft:
                submission.problems.append("draft: saved but never submitted")
            elif item.get("was_cancelled"):
                submission.problems.append("skipped: the annotator cancelled this task")
            elif not item.get("result"):
                submission.problems.append("empty annotation: submitted without any result")
            elif not ANNOTATOR_NAME.fullmatch(submission.annotator):
                submission.problems.append(f"annotator name {submission.annotator!r} is not "
                                           "usable as a folder name")
            yield submission, task_item


def _task_problem(task_item: dict[str, Any], corpus: Mapping[str, Document]) -> str | None:
    data = task_item.get("data")
    if not isinstance(data, dict) or not isinstance(data.get(config.DOC_ID), str):
        return "the task has no data.doc_id: it was not made by newsprov"
    document = corpus.get(data[config.DOC_ID])
    if document is None:
        return f"task document {data[config.DOC_ID]!r} is not a corpus document"
    if data.get(config.TEXT) != document.text:
        return (f"the task text differs from the corpus text of {document.id}: the offsets "
                "would point elsewhere")
    source = corpus[document.derived_from] if document.derived_from else None
    if source and data.get(config.SOURCE_TEXT) != source.text:
        return f"the task source text differs from the corpus text of {source.id}"
    return None


def _reject_duplicates(submissions: list[Submission]) -> None:
    """Of several submissions by one annotator for one document, the latest is imported."""
    latest: dict[tuple[str, str | None], Submission] = {}
    for submission in submissions:
        key = (submission.annotator, submission.doc_id)
        kept = latest.get(key)
        if kept is None or (str(submission.updated_at), str(submission.annotation_id)) > \
                (str(kept.updated_at), str(kept.annotation_id)):
            latest[key] = submission
    for submission in submissions:
        kept = latest[(submission.annotator, submission.doc_id)]
        if submission is not kept:
            submission.problems.append(
                f"duplicate submission: {submission.annotator} also submitted annotation "
                f"{kept.annotation_id} (task {kept.task_id}) for {submission.doc_id}; only the "
                "latest is imported")


def _read_submission(submission: Submission, task_item: dict[str, Any],
                     corpus: Mapping[str, Document], outcome: ImportResult,
                     existing: Mapping[tuple[str, str], AnnotationFile]) -> None:
    assert submission.doc_id is not None
    document = corpus[submission.doc_id]
    source_id = document.derived_from
    key = (submission.annotator, source_id or "")
    source_annotation = outcome.files.get(key, existing.get(key)) if source_id else None
    remembered = task_item["data"].get(config.DATA_KEY)
    pushed = remembered.get("pushed") if isinstance(remembered, dict) else None
    rule = results.provenance_rule(pushed, submission.annotator, submission.updated_at)
    try:
        data = results.read_result(submission.result, document,
                                  corpus[source_id] if source_id else None,
                                  source_annotation, rule)
        check_annotation_file(data, Path(submission.annotator, f"{document.id}.json"), corpus,
                              {source_id: source_annotation} if source_annotation else None)
    except results.ResultProblems as problems:
        submission.problems.extend(problems.problems)
        return
    except InputError as error:
        submission.problems.append(f"{error.record}: {error.problem}" if error.record
                                   else error.problem)
        return
    if errors := _label_interface().validate_prediction({"result": submission.result},
                                                          return_errors=True):
        submission.problems.extend(f"Label Studio check: {error}" for error in errors)
        return
    outcome.files[(submission.annotator, document.id)] = data


@functools.cache
def _label_interface() -> Any:
    from label_studio_sdk.label_interface import LabelInterface

    return LabelInterface(config.label_config())


def existing_sets(out: Path, corpus: Mapping[str, Document]
                  ) -> dict[tuple[str, str], AnnotationFile]:
    """The annotators' files already under ``out``, keyed by (annotator, doc_id)."""
    found: dict[tuple[str, str], AnnotationFile] = {}
    for directory in sorted(p for p in out.glob("*") if p.is_dir()) if out.is_dir() else []:
        for doc_id, data in load_annotation_set(directory, corpus).items():
            found[(directory.name, doc_id)] = data
    return found


def write_import(outcome: ImportResult, out: Path, report: Path | None = None,
                 strict: bool = False) -> bool:
    """Write the imported files and the report; with ``strict``, nothing at all unless every
    submission was imported. Returns whether anything was written."""
    if strict and outcome.rejected:
        return False
    for (annotator, doc_id), data in sorted(outcome.files.items()):
        write_annotation_file(out / annotator / f"{doc_id}.json", data)
    write_atomic(report or out / LABELSTUDIO_IMPORT_REPORT,
                 json.dumps(outcome.report(), indent=2, ensure_ascii=False) + "\n")
    return True


# ------------------------------------------------------------------ commands


def build_tasks(root: Path, doc_ids: Iterable[str], annotations: Path | None,
                predictions: Iterable[Path], pre_annotate: bool) -> list[dict[str, Any]]:
    """Tasks of DOC_IDS (default: every document) with the chosen sets attached."""
    corpus = load_corpus(root)
    chosen = list(doc_ids) or list(corpus)
    if unknown := [doc_id for doc_id in chosen if doc_id not in corpus]:
        raise InputError(root / DOCUMENTS_DIR, unknown[0], "not a document of the corpus",
                         check="document-unknown")
    attached = load_annotation_set(root / annotations, corpus) if annotations else None
    predicted = {path.name: load_annotation_set(root / path, corpus) for path in predictions}
    if pre_annotate:
        predicted[pre_annotation_version()] = _pre_annotations(corpus, chosen)
    return [task(corpus[doc_id], corpus, attached, predicted) for doc_id in chosen]


def pre_annotation_version() -> str:
    return f"newsprov.detectors@{version('newsprov')}"


def _pre_annotations(corpus: Mapping[str, Document], doc_ids: list[str]
                     ) -> dict[str, AnnotationFile]:
    return {doc_id: pre_annotations(corpus[doc_id]) for doc_id in doc_ids}


def import_export(root: Path, export: Any, export_name: Path, out: Path,
                  names: Mapping[int, str], strict: bool, report: Path | None
                  ) -> tuple[ImportResult, bool]:
    """Import a parsed export into ``root/out``: the outcome, and whether anything was
    written (with ``strict``, nothing is unless every submission was imported)."""
    corpus = load_corpus(root)
    outcome = read_export(export, corpus, names, existing_sets(root / out, corpus),
                          export_name)
    return outcome, write_import(outcome, root / out, report and root / report, strict)
