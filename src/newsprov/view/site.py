"""The static site: an index, a page per document, a page per derived document beside its
source and, for two annotation sets, a page per document comparing them. Pages are rendered
with Jinja2 (autoescaping on); the style and the script are inlined, and a Content Security
Policy lets only their own hashes run or apply, so a page loads nothing and runs nothing
else."""

from __future__ import annotations

import base64
import hashlib
import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from newsprov.core import schema
from newsprov.core.errors import Failure
from newsprov.core.files import write_atomic
from newsprov.core.schema import AnnotationFile
from newsprov.store.corpus import Document
from newsprov.view.compare import authorship_label, only_in
from newsprov.view.documents import Export
from newsprov.view.layers import (
    LAYERS,
    Detail,
    Layers,
    claim_label,
    document_layers,
    evidence_layers,
    flagged_claims,
    layer_counts,
)
from newsprov.view.marks import render_text

SITE_MARKER = ".newsprov-site"  # marks a folder this module may clear and rewrite


@dataclass(frozen=True)
class AnnotationSet:
    """Annotations of every document of the release, under the name the pages show."""

    name: str
    annotations: dict[str, AnnotationFile]


def page_of(kind: str, doc_id: str) -> str:
    return quote(f"{kind}-{doc_id}.html")


def document_reason(document: Document, field: str) -> str:
    reasons = {entry["field"]: entry["reason"] for entry in document.metadata["unknown_fields"]}
    return reasons.get(field, "no reason recorded")


def _hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("newsprov.view"),
                              autoescape=select_autoescape(default=True),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    static = files("newsprov.view") / "static"
    css = (static / "viewer.css").read_text(encoding="utf-8")
    js = (static / "viewer.js").read_text(encoding="utf-8")
    environment.globals.update(
        css=Markup(css), js=Markup(js), style_hash=_hash(css), script_hash=_hash(js),
        layers=LAYERS, page_of=page_of, document_reason=document_reason,
        claim_label=claim_label, comparing=False)
    return environment


def _text(document: Document, *layers: Layers) -> Markup:
    return render_text(document.text, [mark for layer in layers for mark in layer.marks])


def _details(*layers: Layers) -> dict[str, Detail]:
    merged: dict[str, Detail] = {}
    for layer in layers:
        for key, detail in layer.details.items():
            merged.setdefault(key, detail)
    return merged


def render_site(export: Export, shown: AnnotationSet,
                compared: tuple[AnnotationSet, AnnotationSet] | None = None
                ) -> Iterator[tuple[str, str]]:
    """Every page of the site as (file name, HTML), one at a time."""
    environment = _environment()
    environment.globals.update(version=export.version, shown_name=shown.name)
    annotations = shown.annotations
    documents = export.documents
    derived_of: dict[str, list[str]] = defaultdict(list)
    for document in documents.values():
        if document.derived_from:
            derived_of[document.derived_from].append(document.id)
    stories: dict[str, list[Document]] = defaultdict(list)
    for document in sorted(documents.values(), key=lambda d: (d.derived_from or d.id, d.id)):
        stories[document.metadata["story_group"]].append(document)
    yield "index.html", environment.get_template("index.html").render(
        manifest=export.manifest, stories=dict(sorted(stories.items())),
        splits=[split for split in schema.SPLIT.names
                if any(split in by_split for by_split in export.manifest["tables"].values())],
        annotations=annotations,
        counts={doc_id: layer_counts(a) for doc_id, a in annotations.items()},
        compare_names=[s.name for s in compared] if compared else [])
    for document in documents.values():
        layers = document_layers(annotations[document.id])
        yield page_of("document", document.id), environment.get_template(
            "document.html").render(document=document, annotations=annotations[document.id],
                                    pairs=derived_of[document.id],
                                    html=_text(document, layers), details=_details(layers))
        if document.derived_from:
            yield page_of("pair", document.id), _pair_page(
                environment, document, documents[document.derived_from], annotations)
        if compared:
            yield page_of("compare", document.id), _compare_page(
                environment, document, *compared)


def _pair_page(environment: Environment, derived: Document, source: Document,
               annotations: dict[str, AnnotationFile]) -> str:
    derived_layers = document_layers(annotations[derived.id])
    source_layers = document_layers(annotations[source.id])
    evidence = evidence_layers(annotations[derived.id])
    return environment.get_template("pair.html").render(
        derived=derived, source=source, derived_annotations=annotations[derived.id],
        source_annotations=annotations[source.id],
        derived_html=_text(derived, derived_layers),
        source_html=_text(source, source_layers, evidence),
        details=_details(derived_layers, evidence, source_layers),
        flagged=flagged_claims(annotations[derived.id]))


def _compare_page(environment: Environment, document: Document, left: AnnotationSet,
                  right: AnnotationSet) -> str:
    ours, theirs = left.annotations[document.id], right.annotations[document.id]
    only_left, only_right = only_in(ours, theirs), only_in(theirs, ours)
    # Two sets may number different records alike: what differs is known per side.
    left_differing, right_differing = _ids(only_left), _ids(only_right)
    left_layers = document_layers(ours, left_differing)
    right_layers = document_layers(theirs, right_differing)
    return environment.get_template("compare.html").render(
        document=document, left=ours, right=theirs, left_name=left.name,
        right_name=right.name, left_differing=left_differing,
        right_differing=right_differing, comparing=True,
        left_html=_text(document, left_layers), right_html=_text(document, right_layers),
        details=_details(left_layers, right_layers),
        disagreements={kind: (only_left[kind], only_right[kind]) for kind in only_left},
        authorship=(authorship_label(ours), authorship_label(theirs)))


def _ids(records: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {record["id"] for kind in records.values() for record in kind}


def write_site(pages: Iterable[tuple[str, str]], out: Path) -> int:
    """Write the pages into ``out``, replacing a site written there before, and count them;
    a folder that holds anything else is refused, so no file of the user's is deleted."""
    if out.exists() and any(out.iterdir()) and not (out / SITE_MARKER).is_file():
        raise Failure(f"{out}: not empty and not a site written by `newsprov view`; "
                      "give another --out")
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / SITE_MARKER).write_text("written by newsprov view\n", encoding="utf-8")
    count = 0
    try:
        for name, html in pages:
            write_atomic(staging / name, html)
            count += 1
    except BaseException:  # nothing half-written is left behind
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return count
