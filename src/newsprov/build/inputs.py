"""The inputs of build tasks: a fixed range of documents of one layout.

A task reads either a range of document folders (the per-document layout: ids listed in a file
when the build is planned) or one documents shard of a collection (the sharded layout) with
its gold attributes. Both give the same entries, checked per document, each input read once;
what a task does not hold (other documents) is looked up by location in the tables the
tasks wrote: ``(task rank, index in the task)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import zip_longest
from pathlib import Path
from typing import Any

from newsprov.build.export import SHARD_ROWS
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
TASK_DOCUMENTS = SHARD_ROWS["documents"]    # documents of the per-document layout per task


@dataclass(frozen=True)
class Entry:
    """A document of a task with its gold file, read on demand (``gold``): a broken gold file
    is a later step's error than a broken document."""

    index: int                       # position in its task
    document: Document | None        # None: a gold line past the documents shard's end
    where: str                       # where its metadata is, for errors
    gold: Callable[[], Any]          # the gold file's content, unchecked (None: no file)
    gold_where: str = ""             # where that is, for errors


def no_gold() -> None:
    return None


@dataclass(frozen=True)
class FolderRange:
    """Document folders of the per-document layout; their ids are in ``ids_file``."""

    root: Path
    ids_file: Path

    def ids(self) -> list[str]:
        return self.ids_file.read_text(encoding="utf-8").splitlines()

    def entries(self, today: dt.date) -> Iterator[Entry]:
        directory = self.root / DOCUMENTS_DIR
        for index, doc_id in enumerate(self.ids()):
            document = read_document(directory / doc_id, today)
            path = self.root / GOLD_DIR / f"{doc_id}.json"
            yield Entry(index, document, str(directory / doc_id / METADATA_FILE),
                        partial(read_json, path) if path.is_file() else no_gold, str(path))


@dataclass(frozen=True)
class ShardRange:
    """One documents shard of a collection, with its gold attributes when it has them."""

    collection: Path
    shard: Path

    @property
    def gold_shard(self) -> Path:
        return Collection(self.collection).attribute_shard(self.shard, GOLD_LAYER)

    def entries(self, today: dt.date, with_gold: bool = True) -> Iterator[Entry]:
        """``with_gold=False``: the documents only, with where their gold lines are (the
        caller reads the gold shard itself)."""
        attributes = self.gold_shard
        has_gold = attributes.is_file()
        pairs = zip_longest(raw_lines(self.shard),
                            raw_lines(attributes) if has_gold and with_gold else ())
        for index, (line, gold_line) in enumerate(pairs):
            number = index + 1
            where = line_location(self.shard, number)
            gold_where = line_location(attributes, number) if has_gold else ""
            if line is None:
                yield Entry(index, None, where, partial(raise_unaligned, attributes, number),
                            gold_where)
                return
            doc_id, metadata, text, _ = document_record(parse_line(line, self.shard, number),
                                                        where)
            document = checked_document(metadata, text, doc_id, where, where, "the record id",
                                        today)
            gold = partial(gold_record, attributes, gold_line, number, doc_id) \
                if has_gold and with_gold else no_gold
            yield Entry(index, document, where, gold, gold_where)


def gold_record(attributes: Path, line: bytes | None, number: int, doc_id: str) -> Any:
    if line is None:
        raise_unaligned(attributes, number)
    return attribute_record(parse_line(line, attributes, number), doc_id,
                            line_location(attributes, number))


def raise_unaligned(attributes: Path, number: int) -> None:
    raise InputError(line_location(attributes, number), None,
                     "the attributes shard and its documents shard differ in length",
                     check="attribute-not-aligned")


TaskInput = FolderRange | ShardRange
