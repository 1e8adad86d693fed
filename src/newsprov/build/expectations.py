"""Data-quality expectations: the Great Expectations suites an export must pass.

An export (``<table>/<split>-*.parquet`` + ``manifest.json``) is cut into flat frames, one
row per thing checked, and each frame has a GX suite:

- every exported table, with structs as dotted columns and each list as its own frame (one
  row per item); the column rules come from ``schema.TABLES`` (non-nullable -> not null,
  labelled -> in its vocabulary, ``language`` -> ISO 639-1, date columns -> a valid date not
  in the future). The annotation lists of ``documents`` are not checked twice: the flat
  tables are, and ``tables`` asserts that they hold exactly the records of the lists;
- frames of computed check columns for what a built-in cannot see in one row: ``files``
  (manifest vs the files), ``tables`` (row counts, flat vs nested), ``spans`` (offsets and
  span text vs the document slice), ``references``, ``corpus`` and ``stories`` (ids, splits)
  and ``record ids``. ``newsprov.build.validation`` computes them and runs the suites.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import great_expectations.expectations as gxe
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from newsprov.core import schema
from newsprov.store.corpus import DATE_FIELDS

DATE_COLUMNS = frozenset({*DATE_FIELDS, "date"})  # "date": of the provenance frame
ISO_639_1 = sorted(language.alpha_2 for language in pycountry.languages
                   if hasattr(language, "alpha_2"))
KINDS = schema.ANNOTATION_KINDS
DOCUMENT_COLUMNS = [f.name for f in schema.DOCUMENT_COLUMNS]
# Frames that are not a part of an exported table, with the columns that identify a row.
PROVENANCE_FRAME = "provenance"
SHARED_FRAME_KEYS = {PROVENANCE_FRAME: ("table", "doc_id", "id")}
CHECK_FRAME_KEYS: dict[str, tuple[str, ...]] = {
    "files": ("path",),
    "tables": ("table", "split"),
    "spans": ("table", "doc_id", "id"),
    "references": ("reference", "doc_id", "id", "target"),
    "corpus": ("doc_id",),
    "stories": ("story_group", "split names"),
    "record ids": ("table", "id"),
}


# ------------------------------------------------------------------ frames of the tables


@dataclass(frozen=True)
class Frame:
    name: str
    table: pa.Table
    ruled: list[pa.Field]  # schema fields of the columns that get the column rules


def split_frames(name: str, arrays: list[pa.Array], fields: list[pa.Field],
                 keys: dict[str, pa.Array], unruled: frozenset[str],
                 checked_elsewhere: frozenset[str] = frozenset()) -> Iterator[Frame]:
    """Cut columns into flat frames: a non-nullable struct becomes dotted columns, a nullable
    struct a frame of the rows that have it, a list a length column plus a frame of its
    items; ``keys`` are carried into those frames to name their rows. The provenance every
    record and judgement carries goes to one frame, ``provenance``, for all tables."""
    columns: dict[str, pa.Array] = dict(keys)
    ruled: list[pa.Field] = []
    children: list[tuple[str, list[pa.Array], list[pa.Field], dict[str, pa.Array]]] = []

    def walk(prefix: str, field_: pa.Field, array: pa.Array) -> None:
        path = prefix + field_.name
        type_ = field_.type
        if field_.name == schema.PROVENANCE.name and type_.equals(schema.PROVENANCE.type):
            rows = len(array)
            owner = {"table": label_column(name, rows), "doc_id": keys["doc_id"],
                     "id": keys.get("id", pa.nulls(rows, pa.string()))}
            children.append((PROVENANCE_FRAME, array.flatten(), list(type_), owner))
        elif pa.types.is_struct(type_) and not field_.nullable:
            for child, child_array in zip(type_, array.flatten(), strict=True):
                walk(path + ".", child, child_array)
        elif pa.types.is_struct(type_):
            present = array.is_valid()
            children.append((f"{name}.{path}", array.filter(present).flatten(), list(type_),
                             {k: v.filter(present) for k, v in keys.items()}))
        elif pa.types.is_list(type_):
            columns[path] = pc.list_value_length(array)
            ruled.append(pa.field(path, pa.int32(), field_.nullable))
            if path in checked_elsewhere:
                return
            items = pc.list_flatten(array)
            parents = pc.list_parent_indices(array)
            item_key = {k: v.take(parents) for k, v in keys.items()}
            if pa.types.is_struct(type_.value_type):
                children.append((f"{name}.{path}", items.flatten(), list(type_.value_type),
                                 item_key))
            else:  # items of a labelled list take the list's vocabulary
                item = pa.field(field_.name, type_.value_type, False, field_.metadata)
                children.append((f"{name}.{path}", [items], [item], item_key))
        else:
            columns[path] = array
            ruled.append(field_.with_name(path))

    for field_, array in zip(fields, arrays, strict=True):
        walk("", field_, array)
    yield Frame(name, pa.table(columns), [f for f in ruled if f.name not in unruled])
    for child_name, child_arrays, child_fields, child_keys in children:
        yield from split_frames(child_name, child_arrays, child_fields, child_keys,
                                frozenset(child_keys))


def label_column(value: str, rows: int) -> pa.Array:
    """A constant naming the table of a row, dictionary-encoded: GX hashes every frame it
    validates, and a categorical column costs nothing to hash."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int32)), [value])


def table_keys(table: str) -> tuple[str, ...]:
    return ("doc_id",) if table == "documents" else ("doc_id", "id")


def table_frames(table: str, batch: pa.RecordBatch) -> Iterator[Frame]:
    """The frames of a batch of an exported table (cast to ``relaxed(schema.TABLES[table])``)."""
    if table == "documents":
        unruled, elsewhere = frozenset(), frozenset(KINDS)
    else:  # doc_id and split are the document's: checked through `tables` and `corpus`
        unruled, elsewhere = frozenset(DOCUMENT_COLUMNS), frozenset()
    yield from split_frames(table, batch.columns, list(schema.TABLES[table]),
                            {k: batch.column(k) for k in table_keys(table)}, unruled,
                            elsewhere)


def relaxed(type_: Any) -> Any:
    """A schema, field or type with every field nullable and no field metadata: the shape
    compared with a file's schema (nulls are the expectations' business) and the target a
    file is cast to before it is checked."""
    if isinstance(type_, pa.Schema):
        return pa.schema([relaxed(f) for f in type_])
    if isinstance(type_, pa.Field):
        return pa.field(type_.name, relaxed(type_.type))
    if pa.types.is_struct(type_):
        return pa.struct([relaxed(f) for f in type_])
    if pa.types.is_list(type_):
        return pa.list_(relaxed(type_.value_field))
    return type_


# ------------------------------------------------------------------ the suites


def _expect(name: str, check: str, **kwargs: Any) -> gxe.Expectation:
    """A GX expectation; ``meta.check`` keys its results (GX does not keep their order)."""
    return getattr(gxe, name)(**kwargs, meta={"check": check})


def column_rules(frame: str, fields: Iterable[pa.Field]) -> list[gxe.Expectation]:
    """The expectations the schema implies for each column of a frame."""
    rules = []
    for f in fields:
        where = f"{frame}: {f.name}"
        if not f.nullable:
            rules.append(_expect("ExpectColumnValuesToNotBeNull", f"{where} is not null",
                                 column=f.name))
        vocabulary = schema.vocabulary_of(f)
        if vocabulary is not None:
            rules.append(_expect("ExpectColumnValuesToBeInSet",
                                 f"{where} is in vocabulary {vocabulary.name}", column=f.name,
                                 value_set=vocabulary.names))
        if f.name.rsplit(".", 1)[-1] in schema.NAME_FIELDS:
            rules.append(_expect("ExpectColumnValuesToMatchRegex",
                                 f"{where} is not empty or only whitespace", column=f.name,
                                 regex=not_blank_regex()))
        if f.name == "language":
            rules.append(_expect("ExpectColumnValuesToBeInSet", f"{where} is an ISO 639-1 code",
                                 column=f.name, value_set=ISO_639_1))
        if f.name in DATE_COLUMNS:
            rules.append(_pair_equal(f"{where} is a YYYY-MM-DD date", f.name,
                                     read_as_date(f.name)))
            rules.append(_expect("ExpectColumnValuesToBeBetween",
                                 f"{where} is not in the future",
                                 column=days_after_today(f.name), max_value=0))
    return rules


@functools.cache
def not_blank_regex() -> str:
    """A character that is not whitespace, whitespace being what ``str.strip`` removes (as
    for ``is_blank``), listed: pandas runs ``\\S`` through Python's ``re`` a value at a time
    (RE2's differs), a class of listed characters through pyarrow's RE2 (5 times as fast)."""
    return "[^" + "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) + "]"


def read_as_date(column: str) -> str:
    return f"{column} read as a date"


def days_after_today(column: str) -> str:
    return f"{column} days after today"


def _pair_equal(check: str, a: str, b: str) -> gxe.Expectation:
    return _expect("ExpectColumnPairValuesToBeEqual", check, column_A=a, column_B=b,
                   ignore_row_if="either_value_is_missing")


def _all_true(check: str, column: str) -> gxe.Expectation:
    return _expect("ExpectColumnValuesToBeInSet", check, column=column, value_set=[True])


def specific_rules(frame: str) -> list[gxe.Expectation]:
    """Record- and export-level rules, on check columns computed by the passes below."""
    rules: dict[str, list[gxe.Expectation]] = {
        "files": [
            _all_true("files: every file listed in manifest.json exists", "exists"),
            _all_true("files: every Parquet file is listed in manifest.json", "listed"),
            _pair_equal("files: rows equal the manifest's", "rows", "manifest rows"),
            _pair_equal("files: sha256 equals the manifest's", "sha256", "manifest sha256"),
            _expect("ExpectColumnValuesToBeNull", "files: every Parquet file can be read",
                    column="read error"),
            _expect("ExpectColumnValuesToBeNull", "files: columns and types are the schema's",
                    column="schema difference"),
        ],
        "tables": [
            _pair_equal("tables: rows equal the manifest's totals", "rows in files",
                        "rows in manifest"),
            _pair_equal("tables: the flat table holds the records of the documents lists, in "
                        "order", "flat records", "nested records"),
        ],
        "spans": [
            _expect("ExpectColumnValuesToBeBetween", "spans: 0 <= start", column="start",
                    min_value=0),
            _expect("ExpectColumnPairValuesAToBeGreaterThanB", "spans: start < end",
                    column_A="end", column_B="start", ignore_row_if="either_value_is_missing"),
            _expect("ExpectColumnPairValuesAToBeGreaterThanB", "spans: end <= text length",
                    column_A="text length", column_B="end", or_equal=True,
                    ignore_row_if="either_value_is_missing"),
            _pair_equal("spans: text equals the document slice", "text", "document slice"),
        ],
        "references": [_all_true("references: every reference resolves", "resolves")],
        "corpus": [
            _expect("ExpectColumnValuesToBeUnique", "corpus: doc_id is unique", column="doc_id"),
            # with one split per story, this puts a derived document in its source's split
            _pair_equal("corpus: a derived document is in its source's story group",
                        "story_group", "source story_group"),
            _pair_equal("corpus: derived_from and derivation are given together",
                        "derived_from given", "derivation given"),
        ],
        "stories": [_expect("ExpectColumnValuesToBeBetween", "stories: in one split",
                            column="splits", max_value=1)],
        "record ids": [_expect("ExpectColumnValuesToBeUnique",
                               "record ids: id is unique across all tables", column="id")],
        "documents": [_pair_equal("documents: sha256 equals the sha256 of text", "sha256",
                                  "sha256 of text"),
                      _all_true("documents: text is not empty or only whitespace",
                                "text is not blank")],
    }
    if frame in schema.TABLES:
        rules.setdefault(frame, []).append(_pair_equal(
            f"{frame}: split equals the split of its file", "split", "file split"))
    return rules.get(frame, [])


def suites() -> dict[str, tuple[tuple[str, ...], list[gxe.Expectation]]]:
    """Every frame with the columns naming its rows and its expectations."""
    result = {}
    for table, strict in schema.TABLES.items():
        empty = pa.RecordBatch.from_pylist([], schema=relaxed(strict))
        for frame in table_frames(table, empty):
            keys = SHARED_FRAME_KEYS.get(frame.name) or table_keys(table)
            result[frame.name] = (keys, column_rules(frame.name, frame.ruled)
                                  + specific_rules(frame.name))
    for frame, keys in CHECK_FRAME_KEYS.items():
        result[frame] = (keys, specific_rules(frame))
    return result
