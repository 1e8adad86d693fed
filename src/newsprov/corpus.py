"""Raw articles and their provenance: ``corpus/documents/<id>/{text.txt,metadata.json}``.

The text file is stored exactly as collected (bytes decoded as UTF-8, nothing normalised);
character offsets of every annotation are Unicode code points into it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry

from newsprov import schema
from newsprov.errors import InputError

DOCUMENTS_DIR = Path("corpus/documents")
TEXT_FILE = "text.txt"
METADATA_FILE = "metadata.json"
DATE_FIELDS = ("published", "collected", "added")


@dataclass(frozen=True)
class Document:
    metadata: dict[str, Any]
    text: str

    @property
    def id(self) -> str:
        return self.metadata["id"]

    @property
    def derived_from(self) -> str | None:
        return self.metadata["derived_from"]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_iso639_1(code: object) -> bool:
    return isinstance(code, str) and len(code) == 2 and \
        pycountry.languages.get(alpha_2=code) is not None


def read_json(path: Path) -> Any:
    """Parse a JSON file, turning a syntax error into an InputError that names the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(path, None, f"invalid JSON: {error}") from None


def read_document(directory: Path, today: dt.date | None = None) -> Document:
    """Read and check one corpus entry."""
    metadata_path = directory / METADATA_FILE
    text_path = directory / TEXT_FILE
    for path in (metadata_path, text_path):
        if not path.is_file():
            raise InputError(path, None, "missing file")
    metadata = read_json(metadata_path)
    try:
        text = text_path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(text_path, None, f"not valid UTF-8: {error}") from None
    check_metadata(metadata, metadata_path, today or dt.date.today())
    if metadata["id"] != directory.name:
        raise InputError(metadata_path, metadata["id"],
                         f"id does not match the directory name {directory.name!r}")
    if text_sha256(text) != metadata["sha256"]:
        raise InputError(text_path, metadata["id"],
                         "text does not match the sha256 recorded in metadata.json "
                         "(the text was changed after it was collected)")
    return Document(metadata, text)


def check_metadata(metadata: Any, path: Path, today: dt.date) -> None:
    """Check the fields of one metadata record against the schema."""
    if not isinstance(metadata, dict):
        raise InputError(path, None, "metadata must be a JSON object")
    record = str(metadata.get("id", "<no id>"))
    expected = {field.name for field in schema.METADATA_FIELDS}
    if missing := sorted(expected - metadata.keys()):
        raise InputError(path, record, f"missing required metadata field(s): {missing}")
    if unexpected := sorted(metadata.keys() - expected):
        raise InputError(path, record, f"unknown metadata field(s): {unexpected}")
    reasons = _unknown_reasons(metadata, path, record)
    for name in (f.name for f in schema.METADATA_FIELDS if f.name != "unknown_fields"):
        value = metadata[name]
        if value is None:
            if name not in schema.NULLABLE_METADATA:
                raise InputError(path, record, f"{name} is required and may not be null")
            if name not in reasons:
                raise InputError(path, record,
                                 f"{name} is null without a reason in unknown_fields")
        elif not isinstance(value, str):
            raise InputError(path, record, f"{name} must be a string or null")
        elif name in reasons:
            raise InputError(path, record, f"{name} has a value and a reason for being unknown")
    if not is_iso639_1(metadata["language"]):
        raise InputError(path, record,
                         f"language {metadata['language']!r} is not an ISO 639-1 code")
    for name in DATE_FIELDS:
        if metadata[name] is not None:
            _check_date(metadata[name], name, path, record, today)
    if (metadata["derived_from"] is None) != (metadata["derivation"] is None):
        raise InputError(path, record, "derived_from and derivation must be given together")
    if metadata["derivation"] is not None and metadata["derivation"] not in schema.DERIVATION:
        raise InputError(path, record, f"unknown derivation {metadata['derivation']!r}; "
                                       f"allowed: {schema.DERIVATION.names}")


def _unknown_reasons(metadata: dict[str, Any], path: Path, record: str) -> dict[str, str]:
    entries = metadata["unknown_fields"]
    if not isinstance(entries, list):
        raise InputError(path, record, "unknown_fields must be a list")
    reasons: dict[str, str] = {}
    for entry in entries:
        if not (isinstance(entry, dict) and entry.keys() == {"field", "reason"}
                and isinstance(entry["reason"], str) and entry["reason"].strip()):
            raise InputError(path, record,
                             f"unknown_fields entry {entry!r} must be {{field, reason}}")
        if entry["field"] not in schema.NULLABLE_METADATA:
            raise InputError(path, record,
                             f"unknown_fields names {entry['field']!r}, which cannot be null")
        reasons[entry["field"]] = entry["reason"]
    return reasons


def _check_date(value: str, name: str, path: Path, record: str, today: dt.date) -> None:
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(path, record, f"{name} {value!r} is not a date (YYYY-MM-DD)") from None
    if date > today:
        raise InputError(path, record, f"{name} {value} is in the future")


def load_corpus(root: Path, today: dt.date | None = None) -> dict[str, Document]:
    """Every document under ``root/corpus/documents``, checked, keyed and sorted by id."""
    directory = root / DOCUMENTS_DIR
    if not directory.is_dir():
        raise InputError(directory, None, "corpus directory not found")
    documents = {d.name: read_document(d, today)
                 for d in sorted(directory.iterdir())
                 if d.is_dir() and not d.name.startswith(".")}
    check_derivations(documents.values(), directory)
    return documents


def check_derivations(documents: Iterable[Document], directory: Path) -> None:
    """Every ``derived_from`` names a document of the same story, and no chain loops."""
    by_id = {d.id: d for d in documents}
    for document in by_id.values():
        seen = {document.id}
        source_id = document.derived_from
        while source_id is not None:
            path = directory / document.id / METADATA_FILE
            source = by_id.get(source_id)
            if source is None:
                raise InputError(path, document.id,
                                 f"derived_from {source_id!r} is not a document in the corpus")
            if source_id in seen:
                raise InputError(path, document.id, "derived_from chain loops")
            if source.metadata["story_group"] != document.metadata["story_group"]:
                raise InputError(path, document.id,
                                 f"derived from {source_id!r}, which is in another story group")
            seen.add(source_id)
            source_id = source.derived_from


def write_document(root: Path, metadata: dict[str, Any], text: str,
                   raw_files: dict[str, bytes] | None = None) -> Path:
    """Add a corpus entry atomically: it appears whole or not at all."""
    directory = root / DOCUMENTS_DIR / metadata["id"]
    if directory.exists():
        raise InputError(directory, metadata["id"], "a document with this id already exists")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{metadata['id']}.", dir=directory.parent))
    try:
        (staging / TEXT_FILE).write_bytes(text.encode("utf-8"))
        (staging / METADATA_FILE).write_text(
            json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        for name, content in (raw_files or {}).items():
            (staging / name).write_bytes(content)
        os.rename(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory
