"""Counts of an export (documents, tokens, records per label and split, annotators), read
from the cheap columns of its Parquet files, and their Markdown table for the card and the
datasheet."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newsprov.core import schema
from newsprov.core.files import markdown_table

# The label column counted for each annotation kind ("mentions per entity type", ...).
COUNTED_COLUMN = {"mentions": "type", "events": "type", "document_flags": "label",
                  "span_flags": "label", "claims": "support"}


TOKENS = ("Tokens are the whitespace-separated words of `documents.text` (Python "
          "`str.split()`).")


@dataclass
class Statistics:
    """Counts of one export, per split, read from its Parquet files."""

    version: str
    schema_version: str
    documents: Counter[str] = field(default_factory=Counter)
    derived: Counter[str] = field(default_factory=Counter)
    annotated: Counter[str] = field(default_factory=Counter)  # every layer complete
    tokens: Counter[str] = field(default_factory=Counter)
    # layer ("mentions", ..., "authorship") -> (label, split) -> records
    labels: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)
    annotators: Counter[tuple[str, str]] = field(default_factory=Counter)  # (id, method)

    @property
    def splits(self) -> list[str]:
        return [split for split in schema.SPLIT.names if self.documents[split]]

    def records(self, layer: str) -> Counter[str]:
        """Records of a layer per split."""
        counts: Counter[str] = Counter()
        for (_, split), n in self.labels[layer].items():
            counts[split] += n
        return counts


def layer_vocabulary(layer: str) -> schema.Vocabulary:
    if layer == "authorship":
        return schema.AUTHORSHIP
    vocabulary = schema.vocabulary_of(schema.TABLES[layer].field(COUNTED_COLUMN[layer]))
    assert vocabulary is not None
    return vocabulary


def _group_counts(table: pa.Table, keys: list[str]) -> Counter[tuple]:
    grouped = table.group_by(keys).aggregate([([], "count_all")]).to_pylist()
    return Counter({tuple(row[key] for key in keys): row["count_all"] for row in grouped})


def table_files(data_dir: Path, manifest: dict, table: str) -> list[Path]:
    return [data_dir / entry["path"] for entry in manifest["files"] if entry["table"] == table]


def compute_statistics(data_dir: Path, manifest: dict) -> Statistics:
    """Count documents, tokens and labels per split from the export's cheap columns."""
    stats = Statistics(manifest["dataset_version"], manifest["schema_version"])
    authorship: Counter[tuple[str, str]] = Counter()
    columns = ["split", "text", "derived_from", "authorship", "annotation_status"]
    layers = len(schema.ANNOTATION_LAYER.names)
    for path in table_files(data_dir, manifest, schema.DEFAULT_TABLE):
        for batch in pq.ParquetFile(path).iter_batches(columns=columns):
            for row in batch.to_pylist():
                split = row["split"]
                stats.documents[split] += 1
                stats.derived[split] += row["derived_from"] is not None
                stats.annotated[split] += len(row["annotation_status"]) == layers
                stats.tokens[split] += len(row["text"].split())
                if row["authorship"] is not None:
                    authorship[(row["authorship"]["label"], split)] += 1
                    provenance = row["authorship"]["provenance"]
                    stats.annotators[(provenance["annotator"], provenance["method"])] += 1
    for kind, column in COUNTED_COLUMN.items():
        stats.labels[kind] = Counter()
        files = table_files(data_dir, manifest, kind)
        if files:
            table = pq.read_table(files, columns=["split", column, "provenance"]).flatten()
            stats.labels[kind] = Counter({(label, split): n for (split, label), n
                                          in _group_counts(table, ["split", column]).items()})
            stats.annotators.update(_group_counts(
                table, ["provenance.annotator", "provenance.method"]))
    stats.labels["authorship"] = authorship
    return stats


def number_text(n: int) -> str:
    return f"{n:,}"


def render_statistics(stats: Statistics) -> str:
    """Totals and label counts per split, as Markdown."""
    splits = stats.splits

    def cells(counts: Counter[str]) -> list[str]:
        return [number_text(counts[split]) for split in splits] + [number_text(counts.total())]

    totals = [["documents", *cells(stats.documents)],
              ["derived documents", *cells(stats.derived)],
              ["completely annotated documents", *cells(stats.annotated)],
              ["tokens", *cells(stats.tokens)],
              *([layer, *cells(stats.records(layer))] for layer in stats.labels)]
    label_rows, unused = [], []
    for layer, counts in stats.labels.items():
        vocabulary = layer_vocabulary(layer)
        empty = []
        for label in vocabulary.names:
            by_split = Counter({split: counts[(label, split)] for split in splits})
            if by_split.total():
                label_rows.append([layer, f"`{label}`", *cells(by_split)])
            else:
                empty.append(f"`{label}`")
        if empty:
            unused.append(f"- {layer} (`{vocabulary.name}`): {', '.join(empty)}\n")
    return (f"\nDataset version {stats.version} (schema {stats.schema_version}), counted "
            f"from the Parquet export in `data/` by `newsprov build`. {TOKENS}\n\n"
            + markdown_table(["", *splits, "total"], totals, 1) + "\n"
            + markdown_table(["layer", "label", *splits, "total"], label_rows, 2)
            + ("\nLabels with no records:\n\n" + "".join(unused) if unused else "") + "\n")


def summarise(stats: Statistics) -> str:
    return (f"Version {stats.version}: {stats.documents.total():,} documents "
            f"({stats.derived.total():,} derived from another document of the corpus), "
            f"{stats.tokens.total():,} tokens, splits: {', '.join(stats.splits)}.")
