"""The inputs of build tasks: a fixed range of documents of one layout.

A task reads either a range of document folders (the per-document layout: ids listed in a file
when the build is planned) or one documents shard of a collection (the sharded layout) with
its gold attributes. Both give the same entries, checked per document; what they do not hold
(other documents) is looked up by location: ``(task rank, index in the task)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

from newsprov.core.errors import InputError
from newsprov.core.files import read_json
from newsprov.core.layout import DOCUMENTS_DIR, GOLD_DIR, METADATA_FILE
from newsprov.store.corpus import Document, checked_document, read_document
from newsprov.store.shards import (
    Collection,
    attribute_record,
    document_record,
    line_location,
    parse_line,
    raw_lines,
)

GOLD_LAYER = GOLD_DIR.name


@dataclass(frozen=True)
class Entry:
    index: int                       # position in its task
    document: Document
    where: str                       # where its metadata is, for errors
    annotations: Any | None = None   # the gold file's content, unchecked (None: no file)
    annotations_where: str = ""      # where that is, for errors


@dataclass(frozen=True)
class FolderRange:
    """Document folders of the per-document layout; their ids are in ``ids_file``."""

    root: Path
    ids_file: Path

    def ids(self) -> list[str]:
        return self.ids_file.read_text(encoding="utf-8").splitlines()

    def entries(self, today: dt.date, gold: bool, wanted: set[int] | None = None
                ) -> Iterator[Entry]:
        directory = self.root / DOCUMENTS_DIR
        for index, doc_id in enumerate(self.ids()):
            if wanted is not None and index not in wanted:
                continue
            document = read_document(directory / doc_id, today)
            where = str(directory / doc_id / METADATA_FILE)
            if not gold:
                yield Entry(index, document, where)
                continue
            path = self.root / GOLD_DIR / f"{doc_id}.json"
            yield Entry(index, document, where, read_json(path) if path.is_file() else None,
                        str(path))


@dataclass(frozen=True)
class ShardRange:
    """One documents shard of a collection, with its gold attributes when it has them."""

    collection: Path
    shard: Path

    def entries(self, today: dt.date, gold: bool, wanted: set[int] | None = None
                ) -> Iterator[Entry]:
        attributes = Collection(self.collection).attribute_shard(self.shard, GOLD_LAYER)
        gold_lines = raw_lines(attributes) if gold and attributes.is_file() else iter(())
        pairs = zip_longest(raw_lines(self.shard), gold_lines)
        for index, (line, gold_line) in enumerate(pairs):
            if wanted is not None and index not in wanted:
                continue
            number = index + 1
            where = line_location(self.shard, number)
            if line is None:
                raise_unaligned(attributes, number)
            doc_id, metadata, text, _ = document_record(parse_line(line, self.shard, number),
                                                        where)
            document = checked_document(metadata, text, doc_id, where, where, "the record id",
                                        today)
            if not gold or not attributes.is_file():
                yield Entry(index, document, where)
                continue
            gold_where = line_location(attributes, number)
            if gold_line is None:
                raise_unaligned(attributes, number)
            annotations = attribute_record(parse_line(gold_line, attributes, number), doc_id,
                                           gold_where)
            yield Entry(index, document, where, annotations, gold_where)


def raise_unaligned(attributes: Path, number: int) -> None:
    raise InputError(line_location(attributes, number), None,
                     "the attributes shard and its documents shard differ in length",
                     check="attribute-not-aligned")


TaskInput = FolderRange | ShardRange
