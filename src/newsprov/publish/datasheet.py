"""The generated sections of DATASHEET.md: provenance of every document, statistics,
version history, annotators and the agreement between the annotation passes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from newsprov.core import schema
from newsprov.core.files import markdown_table, read_json, replace_section, section_body
from newsprov.core.layout import AGREEMENT_FILE
from newsprov.publish.statistics import Statistics, number_text, render_statistics, table_files

# ------------------------------------------------------------------ statistics

VERSION_ROW = re.compile(r"^\| (\d+)\.(\d+)\.(\d+) \|.*$", re.MULTILINE)


















def _version(row: str) -> tuple[int, ...]:
    match = VERSION_ROW.match(row)
    assert match is not None
    return tuple(map(int, match.groups()))


def render_version_history(previous: str, stats: Statistics) -> str:
    """One row of totals per dataset version: earlier rows are kept, this version's replaced."""
    header = ["version", "schema", "documents", "tokens", *stats.labels]
    cells = [stats.version, stats.schema_version, number_text(stats.documents.total()),
             number_text(stats.tokens.total()),
             *(number_text(stats.records(layer).total()) for layer in stats.labels)]
    current = "| " + " | ".join(cells) + " |"
    rows = {match.group(0) for match in VERSION_ROW.finditer(previous)}
    rows = {row for row in rows if _version(row) != _version(current)} | {current}
    return "\n" + markdown_table(header, [], 2) + "".join(f"{row}\n" for row in
                                                  sorted(rows, key=_version)) + "\n"




def render_annotators(stats: Statistics) -> str:
    rows = [[f"`{annotator}`", f"`{method}`", number_text(n)]
            for (annotator, method), n in sorted(stats.annotators.items())]
    return "\n" + markdown_table(["annotator", "method", "records"], rows, 2) + "\n"


# ------------------------------------------------------------------ provenance table

PROVENANCE_COLUMNS = {"doc_id": "document", "title": "title", "publisher": "publisher",
                      "url": "URL", "published": "published", "collected": "collected",
                      "added": "added to corpus", "collection_method": "how obtained",
                      "rights": "rights", "sha256": "sha256", "derived_from": "derived from",
                      "derivation": "derivation"}




def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _provenance_value(document: dict, column: str) -> str:
    """A metadata value; a null says why (``unknown_fields``): unknown, or not applicable."""
    value = document[column]
    if value is not None:
        return f"`{value}`" if column in ("doc_id", "sha256", "derived_from") else _cell(value)
    reason = next(item["reason"] for item in document["unknown_fields"]
                  if item["field"] == column)
    status = "none" if reason.startswith("Not applicable") else "unknown"
    return f"*{status}:* {_cell(reason)}"


def render_provenance(data_dir: Path, manifest: dict) -> str:
    columns = [*PROVENANCE_COLUMNS, "unknown_fields"]
    files = table_files(data_dir, manifest, schema.DEFAULT_TABLE)
    documents = pq.read_table(files, columns=columns).to_pylist()
    rows = [[_provenance_value(document, column) for column in PROVENANCE_COLUMNS]
            for document in documents]
    header = list(PROVENANCE_COLUMNS.values())
    return "\n" + markdown_table(header, rows, len(header)) + "\n"


# ------------------------------------------------------------------ agreement


AGREEMENT_HEADER = ["layer", "measure", "records A / B, or units", "F1", "observed", "kappa",
                    "alpha"]


def agreement_rows(report: Mapping[str, Any]) -> list[tuple]:
    """The headline figures of an agreement report, as rows under AGREEMENT_HEADER."""
    def f1(layer: str, measure: str, figures: Mapping[str, Any]) -> tuple:
        if "gold" in figures:  # set_scores
            gold, predicted = figures["gold"], figures["predicted"]
        else:  # span_scores
            matched = figures["correct"] + figures["incorrect"] + figures["partial"]
            gold, predicted = matched + figures["missed"], matched + figures["spurious"]
        return layer, measure, f"{gold} / {predicted}", figures["f1"], "", "", ""

    def coded(layer: str, measure: str, result: Mapping[str, Any]) -> tuple:
        return (layer, measure, str(result["units_both"]), "", result["observed"],
                result["kappa"], result["alpha"])

    events, flags = report["events"], report["span_flags"]
    return [
        *(f1("entity mentions", f"{mode} span", report["entities"]["micro"][mode])
          for mode in ("strict", "partial")),
        f1("events", "trigger span", events["triggers"]["micro"]["exact"]),
        f1("events", "trigger span + type", events["triggers"]["micro"]["strict"]),
        f1("events", "arguments with roles", events["arguments"]),
        coded("events", "modality of same-trigger events", events["modality_agreement"]),
        *(f1("span flags", f"{mode} span", flags["spans"]["micro"][mode])
          for mode in ("strict", "partial")),
        coded("span flags", "(token, label), pooled", flags["tokens_pooled"]),
        *(coded("span flags", f"token, `{label}`", result)
          for label, result in flags["tokens"].items()),
        coded("document flags", "(document, label)", report["document_flags"]),
        coded("authorship", "document", report["authorship"]),
        *(coded("claims", f"`{field}` per claim unit", result)
          for field, result in report["claims"].items()),
    ]


def render_agreement(root: Path) -> str:
    """The headline figures of ``newsprov agreement``'s JSON (the agreement module's rows)."""
    path = root / AGREEMENT_FILE
    if not path.is_file():
        return f"\nNot computed yet: `{AGREEMENT_FILE}` does not exist.\n\n"
    report = read_json(path)
    return (f"\nPasses {' and '.join(f'`{name}`' for name in report['passes'])}, "
            f"{len(report['documents'])} documents, from `{AGREEMENT_FILE}`:\n\n"
            + markdown_table(AGREEMENT_HEADER, agreement_rows(report), 2) + "\n")


# ------------------------------------------------------------------ the documents





def render_datasheet(text: str, root: Path, data_dir: Path, manifest: dict,
                     stats: Statistics) -> str:
    sections = {"provenance": render_provenance(data_dir, manifest),
                "statistics": render_statistics(stats),
                "version history": render_version_history(
                    section_body(text, "version history"), stats),
                "annotators": render_annotators(stats),
                "agreement": render_agreement(root)}
    for name, body in sections.items():
        text = replace_section(text, name, body)
    return text






