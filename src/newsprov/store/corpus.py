"""Raw articles and their provenance: ``corpus/documents/<id>/{text.txt,metadata.json}``.

The text file is stored exactly as collected (bytes decoded as UTF-8, nothing normalised);
character offsets of every annotation are Unicode code points into it.
"""

from __future__ import annotations

import array
import bisect
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.files import naming, read_json
from newsprov.core.layout import DOCUMENTS_DIR, METADATA_FILE, TEXT_FILE

DATE_FIELDS = ("published", "collected", "added")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RECENT_DOCUMENTS = 16             # documents CorpusOnDisk keeps after reading them


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
    """A two-letter ISO 639-1 code, lower case as the standard writes it (pycountry's
    lookup alone ignores case)."""
    return isinstance(code, str) and len(code) == 2 and code.isascii() and code.islower() \
        and pycountry.languages.get(alpha_2=code) is not None


def parse_date(value: object) -> dt.date | None:
    """A ``YYYY-MM-DD`` date, else None: the one date form of the data, for the loaders and
    the export's expectations alike (``fromisoformat`` alone also reads ``20261123`` and
    ``2026-W48-1``)."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def date_problem(value: object, today: dt.date) -> tuple[str, str] | None:
    """What is wrong with a date field, as (check id, problem), or None."""
    date = parse_date(value)
    if date is None:
        return "not-a-date", f"{value!r} is not a date (YYYY-MM-DD)"
    if date > today:
        return "date-in-future", f"{value} is in the future"
    return None


def is_blank(value: str) -> bool:
    return not value.strip()



def read_document(directory: Path, today: dt.date | None = None) -> Document:
    """Read and check one corpus entry."""
    metadata_path = directory / METADATA_FILE
    text_path = directory / TEXT_FILE
    for path in (metadata_path, text_path):
        if not path.is_file():
            raise InputError(path, None, "missing file", check="document-file-missing")
    metadata = read_json(metadata_path)
    try:
        text = text_path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(text_path, None, f"not valid UTF-8: {error}",
                         check="text-not-utf8") from None
    return checked_document(metadata, text, directory.name, metadata_path, text_path,
                            "the directory name", today)


def checked_document(metadata: Any, text: str, name: str, metadata_path: Path | str,
                     text_path: Path | str, name_is: str, today: dt.date | None = None
                     ) -> Document:
    """Check one document read from any layout; ``name`` is what the layout stores it under
    (``name_is`` says what that is, for the error)."""
    if is_blank(text):
        raise InputError(text_path, None, "the text is empty or only whitespace",
                         check="text-empty")
    check_metadata(metadata, metadata_path, today or dt.date.today())
    if metadata["id"] != name:
        raise InputError(metadata_path, metadata["id"],
                         f"id does not match {name_is} {name!r}", check="id-not-folder-name")
    if text_sha256(text) != metadata["sha256"]:
        raise InputError(text_path, metadata["id"],
                         "text does not match the sha256 recorded in metadata.json "
                         "(the text was changed after it was collected)", check="text-changed")
    return Document(metadata, text)


def check_metadata(metadata: Any, path: Path | str, today: dt.date) -> None:
    """Check the fields of one metadata record against the schema."""
    if not isinstance(metadata, dict):
        raise InputError(path, None, "metadata must be a JSON object", check="metadata-not-object")
    record = str(metadata.get("id", "<no id>"))
    expected = {field.name for field in schema.METADATA_FIELDS}
    if missing := sorted(expected - metadata.keys()):
        raise InputError(path, record, f"missing required metadata field(s): {missing}",
                         check="metadata-field-missing")
    if unexpected := sorted(metadata.keys() - expected):
        raise InputError(path, record, f"unknown metadata field(s): {unexpected}",
                         check="metadata-field-unknown")
    reasons = _unknown_reasons(metadata, path, record)
    for name in (f.name for f in schema.METADATA_FIELDS if f.name != "unknown_fields"):
        value = metadata[name]
        if value is None:
            if name not in schema.NULLABLE_METADATA:
                raise InputError(path, record, f"{name} is required and may not be null",
                                 check="metadata-required-null")
            if name not in reasons:
                raise InputError(path, record,
                                 f"{name} is null without a reason in unknown_fields",
                                 check="null-without-reason")
        elif not isinstance(value, str):
            raise InputError(path, record, f"{name} must be a string or null",
                             check="metadata-not-string")
        elif name in reasons:
            raise InputError(path, record, f"{name} has a value and a reason for being unknown",
                             check="value-and-reason")
        elif name in schema.NAME_FIELDS and is_blank(value):
            raise InputError(path, record, f"{name} {value!r} is empty or only whitespace",
                             check="value-blank")
    if not is_iso639_1(metadata["language"]):
        raise InputError(path, record,
                         f"language {metadata['language']!r} is not an ISO 639-1 code",
                         check="language-not-iso639-1")
    for name in DATE_FIELDS:
        if metadata[name] is not None:
            _check_date(metadata[name], name, path, record, today)
    if (metadata["derived_from"] is None) != (metadata["derivation"] is None):
        raise InputError(path, record, "derived_from and derivation must be given together",
                         check="derivation-incomplete")
    if metadata["derivation"] is not None and metadata["derivation"] not in schema.DERIVATION:
        raise InputError(path, record, f"unknown derivation {metadata['derivation']!r}; "
                                       f"allowed: {schema.DERIVATION.names}",
                         check="derivation-unknown")


def _unknown_reasons(metadata: dict[str, Any], path: Path | str, record: str) -> dict[str, str]:
    entries = metadata["unknown_fields"]
    if not isinstance(entries, list):
        raise InputError(path, record, "unknown_fields must be a list",
                         check="unknown-fields-not-list")
    reasons: dict[str, str] = {}
    for entry in entries:
        if not (isinstance(entry, dict) and entry.keys() == {"field", "reason"}
                and isinstance(entry["reason"], str) and entry["reason"].strip()):
            raise InputError(path, record,
                             f"unknown_fields entry {entry!r} must be {{field, reason}}",
                             check="unknown-fields-entry")
        if entry["field"] not in schema.NULLABLE_METADATA:
            raise InputError(path, record,
                             f"unknown_fields names {entry['field']!r}, which cannot be null",
                             check="unknown-fields-not-nullable")
        reasons[entry["field"]] = entry["reason"]
    return reasons


def _check_date(value: str, name: str, path: Path | str, record: str,
                today: dt.date) -> None:
    if found := date_problem(value, today):
        check, problem = found
        if check == "not-a-date":
            raise InputError(path, record, f"{name} {problem}", check="not-a-date")
        raise InputError(path, record, f"{name} {problem}", check="date-in-future")


class CorpusOnDisk(Mapping[str, Document]):
    """The documents under ``root/corpus/documents``, read and checked when looked up.

    Memory does not grow with the corpus: it holds the sorted ids as one Arrow array (about
    the bytes of the ids) and the few documents read last, which serves the lookups of a
    derived document's source while the derived document is checked. Iteration is in id
    order; the keys are the folder names listed when it was made.
    """

    def __init__(self, root: Path, today: dt.date | None = None) -> None:
        self.directory = root / DOCUMENTS_DIR
        if not self.directory.is_dir():
            raise InputError(self.directory, None, "corpus directory not found",
                             check="corpus-not-found")
        self.today = today
        self.ids = sorted_names(document_folders(self.directory))
        self._recent: OrderedDict[str, Document] = OrderedDict()

    def __getitem__(self, doc_id: str) -> Document:
        document = self._recent.get(doc_id)
        if document is None:
            if doc_id not in self:
                raise KeyError(doc_id)
            document = read_document(self.directory / doc_id, self.today)
            self._recent[doc_id] = document
            if len(self._recent) > RECENT_DOCUMENTS:
                self._recent.popitem(last=False)
        self._recent.move_to_end(doc_id)
        return document

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, str):
            return False
        name = os.fsencode(doc_id)
        return len(sorted_range(self.ids, name, name)) > 0

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self.ids), 4096):
            yield from map(os.fsdecode, self.ids.slice(start, 4096).to_pylist())

    def __len__(self) -> int:
        return len(self.ids)


def sorted_names(names: Iterable[bytes]) -> pa.LargeBinaryArray:
    """Many file names as one sorted Arrow array: a few bytes over the names themselves,
    where a Python list of ``str`` takes about 60 more per name. The names are gathered into
    one byte buffer and its offsets (not ``pa.array`` of lists of names, whose builders leave
    about three times the array's size behind). Byte order is ``sorted()``'s order for UTF-8
    names."""
    data, offsets = bytearray(), array.array("q", [0])
    for name in names:
        data += name
        offsets.append(len(data))
    unsorted = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return unsorted.take(pc.array_sort_indices(unsorted))


def sorted_range(values: pa.Array, low: Any, high: Any) -> pa.Array:
    """The slice of a sorted Arrow array whose values lie between ``low`` and ``high``
    (Python values, both included), found by bisection."""
    def key(scalar: pa.Scalar) -> Any:
        return scalar.as_py()
    start = bisect.bisect_left(values, low, key=key)
    return values.slice(start, bisect.bisect_right(values, high, lo=start, key=key) - start)


def document_folders(directory: Path) -> Iterator[bytes]:
    with os.scandir(os.fsencode(directory)) as entries:
        for entry in entries:
            if entry.is_dir() and not entry.name.startswith(b"."):
                yield entry.name


def load_corpus(root: Path, today: dt.date | None = None) -> dict[str, Document]:
    """Every document under ``root/corpus/documents``, checked, keyed and sorted by id."""
    corpus = CorpusOnDisk(root, today)
    documents = {doc_id: read_document(corpus.directory / doc_id, today) for doc_id in corpus}
    check_derivations(documents.values(), corpus.directory)
    return documents


def check_derivations(documents: Iterable[Document], directory: Path) -> None:
    """Every ``derived_from`` names a document of the same story, and no chain loops."""
    by_id = {d.id: d for d in documents}
    for document in by_id.values():
        check_derivation(document, by_id, directory / document.id / METADATA_FILE)


def check_derivation(document: Document, corpus: Mapping[str, Document], path: Path | str
                     ) -> None:
    """The document's ``derived_from`` chain stays in the corpus and its story, and ends;
    ``path`` is where its metadata is stored, for the error."""
    seen = {document.id}
    source_id = document.derived_from
    while source_id is not None:
        source = corpus.get(source_id)
        if source is None:
            raise InputError(path, document.id,
                             f"derived_from {source_id!r} is not a document in the corpus",
                             check="derived-from-unknown")
        if source_id in seen:
            raise InputError(path, document.id, "derived_from chain loops", check="derivation-loop")
        if source.metadata["story_group"] != document.metadata["story_group"]:
            raise InputError(path, document.id,
                             f"derived from {source_id!r}, which is in another story group",
                             check="derivation-other-story")
        seen.add(source_id)
        source_id = source.derived_from


def write_document(root: Path, metadata: dict[str, Any], text: str,
                   raw_files: dict[str, bytes] | None = None) -> Path:
    """Add a corpus entry atomically: it appears whole or not at all."""
    directory = root / DOCUMENTS_DIR / metadata["id"]
    if directory.exists():
        raise InputError(directory, metadata["id"], "a document with this id already exists",
                         check="document-id")
    with naming(directory, instead_of_temporary=True):
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
