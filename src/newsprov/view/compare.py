"""Disagreements of two annotation sets of one document: the records of each that the other
lacks. Records are matched by what they say (span and labels), not by id, since two passes
number their records independently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from newsprov.core.schema import AnnotationFile

# What a record of each kind says; two records saying the same thing agree.
SIGNATURE = {
    "mentions": lambda r: (r["start"], r["end"], r["type"]),
    "events": lambda r: (r["trigger"]["start"], r["trigger"]["end"], r["type"], r["modality"]),
    "document_flags": lambda r: (r["label"],),
    "span_flags": lambda r: (r["start"], r["end"], r["label"]),
    "claims": lambda r: (r["start"], r["end"], r["support"], r["severity"], r["error_type"]),
}


def signatures(annotations: AnnotationFile, kind: str) -> set[tuple[Any, ...]]:
    return {SIGNATURE[kind](record) for record in annotations[kind]}


def only_in(first: AnnotationFile, second: AnnotationFile) -> dict[str, list[Mapping[str, Any]]]:
    """Per kind, the records of ``first`` that no record of ``second`` matches."""
    differing = {}
    for kind, signature in SIGNATURE.items():
        theirs = signatures(second, kind)
        differing[kind] = [record for record in first[kind] if signature(record) not in theirs]
    return differing


def authorship_label(annotations: AnnotationFile) -> str | None:
    return annotations["authorship"]["label"] if annotations["authorship"] else None
