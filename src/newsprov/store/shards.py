"""The sharded corpus layout for large collections (Dolma-style documents and attributes).

A collection folder holds ``documents/<shard>.jsonl.gz``, one line per document
(``{"id", "text", "metadata", "files"}``: the document folder's ``text.txt`` and
``metadata.json`` as values, every other file of the folder base64-encoded under its name),
and ``attributes/<layer>/<shard>.jsonl.gz`` beside it (``gold``, ``pre``): line-aligned with
the documents shard of the same name, one ``{"id", "annotations"}`` line per document, the
annotation file's content or null. The contract is in docs/data-format.md.

Shards are written in document-id order with gzip's timestamp and file name left out, so the
same documents give the same bytes. Errors name ``<shard>:<line>`` as their file.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from newsprov.core.errors import InputError
from newsprov.core.files import read_json
from newsprov.core.layout import (
    COLLECTION_ATTRIBUTES,
    COLLECTION_DOCUMENTS,
    DOCUMENTS_DIR,
    GOLD_DIR,
    METADATA_FILE,
    PRE_DIR,
    SHARD_SUFFIX,
    TEXT_FILE,
)
from newsprov.store.annotations import dumps, write_annotation_file
from newsprov.store.corpus import document_folders, write_document

DOCUMENT_KEYS = ("id", "text", "metadata", "files")
ATTRIBUTE_KEYS = ("id", "annotations")
_LINE = msgspec.json.Decoder()


def shard_name(index: int) -> str:
    return f"{index:05d}{SHARD_SUFFIX}"


def line_location(path: Path, line: int) -> str:
    """How errors name a record of a shard: ``<path>:<line>`` (1-based, as editors count)."""
    return f"{path}:{line}"


def encode_files(files: dict[str, bytes]) -> dict[str, str]:
    return {name: base64.b64encode(content).decode("ascii")
            for name, content in sorted(files.items())}


def decode_files(files: dict[str, str]) -> dict[str, bytes]:
    return {name: base64.b64decode(content) for name, content in files.items()}


def metadata_json(metadata: Any) -> str:
    """The canonical text of ``metadata.json`` (the form ``corpus.write_document`` writes)."""
    return json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Collection:
    """A collection folder: its documents shards and the attribute layers beside them."""

    directory: Path

    def shards(self) -> list[Path]:
        folder = self.directory / COLLECTION_DOCUMENTS
        if not folder.is_dir():
            raise InputError(folder, None, "corpus directory not found", check="corpus-not-found")
        return sorted(p for p in folder.iterdir() if p.name.endswith(SHARD_SUFFIX))

    def attribute_shard(self, documents_shard: Path, layer: str) -> Path:
        return self.directory / COLLECTION_ATTRIBUTES / layer / documents_shard.name


def read_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed value)`` of every line of a gzip JSON Lines shard."""
    for number, line in enumerate(raw_lines(path), start=1):
        yield number, parse_line(line, path, number)


def raw_lines(path: Path) -> list[bytes]:
    """The lines of a gzip shard (``shard_bytes``)."""
    return list(io.BytesIO(shard_bytes(path)))


def shard_bytes(path: Path) -> bytes:
    """A gzip shard decompressed in one go (line by line, gzip's small reads cost a build a
    fifth of its time); a shard is one task's range, so it fits in memory."""
    return gzip.decompress(path.read_bytes())


def parse_line(line: bytes, path: Path, number: int) -> Any:
    try:
        return _LINE.decode(line)
    except msgspec.DecodeError:
        try:
            return json.loads(line.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InputError(line_location(path, number), None, f"invalid JSON: {error}",
                             check="invalid-json") from None


def document_record(line: Any, where: str) -> tuple[str, dict[str, Any], str, dict[str, bytes]]:
    """id, metadata, text and other files of one documents line, its shape checked."""
    if not (isinstance(line, dict) and list(line) == list(DOCUMENT_KEYS)
            and isinstance(line["id"], str) and isinstance(line["text"], str)
            and isinstance(line["files"], dict)):
        raise InputError(where, None, f"a documents line must be an object with keys "
                                      f"{list(DOCUMENT_KEYS)} (id and text strings)",
                         check="shard-line-shape")
    return line["id"], line["metadata"], line["text"], decode_files(line["files"])


def attribute_record(line: Any, doc_id: str, where: str) -> Any:
    """The annotation file held by one attributes line, which must be the line of ``doc_id``."""
    if not (isinstance(line, dict) and list(line) == list(ATTRIBUTE_KEYS)):
        raise InputError(where, None, f"an attributes line must be an object with keys "
                                      f"{list(ATTRIBUTE_KEYS)}", check="shard-line-shape")
    if line["id"] != doc_id:
        raise InputError(where, line["id"] if isinstance(line["id"], str) else None,
                         f"attributes line is not aligned: the documents shard has "
                         f"{doc_id!r} on this line", check="attribute-not-aligned")
    return line["annotations"]


class ShardWriter:
    """Writes one gzip JSON Lines shard, deterministically, through a temporary file that is
    renamed into place when closed (a shard appears whole or not at all)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        self.file = self.partial.open("wb")
        self.stream = gzip.GzipFile(filename="", mode="wb", fileobj=self.file, mtime=0)
        self.text = io.TextIOWrapper(self.stream, encoding="utf-8", newline="\n")

    def write(self, record: dict[str, Any]) -> None:
        self.text.write(json.dumps(record, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.text.close()
        self.file.close()
        os.replace(self.partial, self.path)


class CollectionWriter:
    """Writes a collection: documents with their attribute layers, ``shard_documents`` per
    shard, in the order given, numbering shards from ``first_shard`` (so that several writers
    can share a collection). Reusable by any tool that collects."""

    def __init__(self, directory: Path, layers: tuple[str, ...], shard_documents: int,
                 first_shard: int = 0) -> None:
        self.collection = Collection(directory)
        self.layers = layers
        self.shard_documents = shard_documents
        self.shard_index = first_shard - 1
        self.in_shard = 0
        self.writers: dict[str, ShardWriter] = {}

    def add(self, doc_id: str, metadata: Any, text: str, files: dict[str, bytes],
            annotations: dict[str, Any | None]) -> None:
        """One document; ``annotations`` maps a layer to the document's file content or None."""
        if not self.writers or self.in_shard == self.shard_documents:
            self._next_shard()
        self.writers["documents"].write({"id": doc_id, "text": text, "metadata": metadata,
                                         "files": encode_files(files)})
        for layer in self.layers:
            self.writers[layer].write({"id": doc_id, "annotations": annotations.get(layer)})
        self.in_shard += 1

    def _next_shard(self) -> None:
        self._close_shard()
        self.shard_index += 1
        self.in_shard = 0
        name = shard_name(self.shard_index)
        self.writers["documents"] = ShardWriter(
            self.collection.directory / COLLECTION_DOCUMENTS / name)
        for layer in self.layers:
            self.writers[layer] = ShardWriter(
                self.collection.directory / COLLECTION_ATTRIBUTES / layer / name)

    def _close_shard(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers = {}

    def close(self) -> None:
        self._close_shard()


# ------------------------------------------------------------------ converting layouts


def annotation_layers(root: Path) -> dict[str, Path]:
    """The annotation layers a collection carries: layer name -> its per-document folder."""
    return {folder.name: root / folder for folder in (GOLD_DIR, PRE_DIR)}


def canonical_text(path: Path, canonical: str) -> None:
    """A converted file must come back byte for byte: refuse one that would not."""
    if path.read_bytes() != canonical.encode("utf-8"):
        raise InputError(path, None, "not in the canonical form the converter writes back "
                                     "(json.dumps, indent 2; annotation files: one record a "
                                     "line): converting it would change its bytes",
                         check="not-canonical")


def canonical_annotations(data: Any) -> str:
    try:
        return dumps(data)
    except (KeyError, TypeError):      # not an annotation file's shape: it has no canonical form
        return ""


def documents_to_collection(root: Path, directory: Path, shard_documents: int) -> int:
    """Write the per-document corpus of ``root`` with its annotation layers as a collection
    in ``directory``; the number of documents. Every file comes back byte for byte."""
    corpus = root / DOCUMENTS_DIR
    if not corpus.is_dir():
        raise InputError(corpus, None, "corpus directory not found", check="corpus-not-found")
    layers = {name: folder for name, folder in annotation_layers(root).items()
              if folder.is_dir()}
    names = [os.fsdecode(name) for name in sorted(document_folders(corpus))]
    for name, folder in layers.items():
        for path in sorted(folder.glob("*.json")):
            if not (corpus / path.stem).is_dir():
                raise InputError(path, None, f"no document {path.stem!r}: the {name} layer "
                                             "of a collection holds its documents' files only",
                                 check="not-canonical")
    writer = CollectionWriter(directory, tuple(layers), shard_documents)
    for name in names:
        folder = corpus / name
        metadata = read_json(folder / METADATA_FILE)
        canonical_text(folder / METADATA_FILE, metadata_json(metadata))
        try:
            text = (folder / TEXT_FILE).read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(folder / TEXT_FILE, None, f"not valid UTF-8: {error}",
                             check="text-not-utf8") from None
        files = {path.name: path.read_bytes() for path in sorted(folder.iterdir())
                 if path.name not in (TEXT_FILE, METADATA_FILE)}
        annotations = {}
        for layer, layer_folder in layers.items():
            path = layer_folder / f"{name}.json"
            annotations[layer] = read_json(path) if path.is_file() else None
            if annotations[layer] is not None:
                canonical_text(path, canonical_annotations(annotations[layer]))
        writer.add(name, metadata, text, files, annotations)
    writer.close()
    return len(names)


def collection_to_documents(directory: Path, root: Path) -> int:
    """Write a collection as per-document folders and annotation files under ``root``
    (none of which may exist yet); the number of documents."""
    collection = Collection(directory)
    layers = annotation_layers(root)
    count = 0
    for shard in collection.shards():
        present = {layer: collection.attribute_shard(shard, layer) for layer in layers}
        attribute_lines = {layer: read_lines(path) for layer, path in present.items()
                           if path.is_file()}
        for number, line in read_lines(shard):
            where = line_location(shard, number)
            doc_id, metadata, text, files = document_record(line, where)
            write_document_files(root, doc_id, metadata, text, files)
            for layer, lines in attribute_lines.items():
                _, attribute = next(lines)
                annotations = attribute_record(attribute, doc_id,
                                               line_location(present[layer], number))
                if annotations is not None:
                    path = layers[layer] / f"{doc_id}.json"
                    if path.exists():
                        raise InputError(path, doc_id, "the file exists already",
                                         check="document-id")
                    write_annotation_file(path, annotations)
            count += 1
    return count


def write_document_files(root: Path, doc_id: str, metadata: Any, text: str,
                         files: dict[str, bytes]) -> None:
    if not isinstance(metadata, dict) or metadata.get("id") != doc_id:
        raise InputError(doc_id, doc_id, "the record's metadata id is not its id",
                         check="id-not-folder-name")
    write_document(root, metadata, text, files)
