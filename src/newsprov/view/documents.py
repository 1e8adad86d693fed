"""What the site shows: the documents of the Parquet export, with the export's annotations
or those of an annotation directory checked against the export's texts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from newsprov.core import schema
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import empty_annotations, load_annotation_set
from newsprov.store.corpus import Document
from newsprov.store.release import release_files, released_manifest

ANNOTATION_COLUMNS = ("authorship", *schema.ANNOTATION_KINDS)


@dataclass(frozen=True)
class Export:
    """The export's documents (metadata and text, in id order) and its annotations."""

    manifest: dict[str, Any]
    documents: dict[str, Document]
    annotations: dict[str, AnnotationFile]

    @property
    def version(self) -> str:
        return self.manifest["dataset_version"]


def read_export(data_dir: Path) -> Export:
    """The documents table of the export in ``data_dir``, its files checked against the
    manifest."""
    manifest = released_manifest(data_dir)
    rows = pq.read_table(release_files(data_dir, manifest, schema.DEFAULT_TABLE, None)
                         ).to_pylist()
    documents, annotations = {}, {}
    for row in sorted(rows, key=lambda row: row["doc_id"]):
        metadata = {("id" if column == "doc_id" else column): value
                    for column, value in row.items()
                    if column not in ("text", *ANNOTATION_COLUMNS)}
        documents[row["doc_id"]] = Document(metadata, row["text"])
        annotations[row["doc_id"]] = {"doc_id": row["doc_id"], "text_sha256": row["sha256"],
                                      **{column: row[column] for column in ANNOTATION_COLUMNS}}
    return Export(manifest, documents, annotations)


def read_annotation_dir(directory: Path, export: Export) -> dict[str, AnnotationFile]:
    """Every file of an annotation directory, checked as ``newsprov check`` checks it but
    against the export's texts; a document without a file has no annotations."""
    found = load_annotation_set(directory, export.documents)
    return {doc_id: found.get(doc_id) or empty_annotations(document)
            for doc_id, document in export.documents.items()}

