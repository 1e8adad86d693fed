"""Generated documentation: label tables, dataset card, datasheet sections, Croissant.

Generated text lives between ``<!-- BEGIN GENERATED: name -->`` and
``<!-- END GENERATED: name -->`` markers in hand-written Markdown files, so prose and
generated figures sit side by side and a check can tell when the figures are stale.
After a build into ``data/``, ``update_docs`` rewrites the README's card YAML and statistics,
the generated sections of DATASHEET.md and ``croissant.json``, all from the export itself
(its manifest and the cheap columns of its Parquet files), never from the working files.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.parquet as pq

from newsprov import schema
from newsprov.corpus import read_json


def _section(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- BEGIN GENERATED: {re.escape(name)} -->\n)(.*?)(<!-- END "
                      rf"GENERATED: {re.escape(name)} -->)", re.DOTALL)


def section_body(text: str, name: str) -> str:
    """The body of the marked section ``name``; the markers must exist."""
    match = _section(name).search(text)
    if match is None:
        raise ValueError(f"no generated section {name!r}")
    return match.group(2)


def replace_section(text: str, name: str, body: str) -> str:
    """Replace the body of the marked section ``name``; the markers must exist."""
    section_body(text, name)
    return _section(name).sub(lambda m: m.group(1) + body + m.group(3), text, count=1)


def label_tables() -> str:
    """One Markdown table per vocabulary of the schema."""
    parts = []
    for vocabulary in schema.VOCABULARIES.values():
        rows = "\n".join(f"| `{label.name}` | {label.definition} |"
                         for label in vocabulary.labels)
        parts.append(f"### `{vocabulary.name}`\n\n{vocabulary.description}\n\n"
                     f"| label | definition |\n|---|---|\n{rows}\n")
    return "\n".join(parts)


GUIDELINES = Path("annotations/GUIDELINES.md")
README = Path("README.md")

CARD_FIXED = {
    "pretty_name": "NewsProv",
    "license": "other",
    "license_name": "newsprov-mixed",
    "license_link": "DATASHEET.md#distribution",
    "language": ["en"],
    "multilinguality": "monolingual",
    "annotations_creators": ["machine-generated"],
    "language_creators": ["found", "machine-generated"],
    "source_datasets": ["original"],
    "task_categories": ["token-classification", "text-classification"],
    "task_ids": ["named-entity-recognition", "fact-checking"],
    "tags": ["provenance", "content-farms", "machine-rewritten-news", "event-extraction",
             "stand-off-annotation"],
}


def size_category(documents: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M")):
        if documents < limit:
            return name
    return "1M<n<10M"


def card_front_matter(manifest: dict) -> str:
    """The dataset card's YAML: configs and features per exported table."""
    from datasets.info import DatasetInfo, DatasetInfosDict
    from huggingface_hub import DatasetCardData

    configs = [{"config_name": table, **({"default": True} if table == schema.DEFAULT_TABLE
                                         else {}),
                "data_files": [{"split": split, "path": f"data/{table}/{split}-*.parquet"}
                               for split in splits]}
               for table, splits in manifest["tables"].items()]
    documents = sum(manifest["tables"][schema.DEFAULT_TABLE].values())
    card = DatasetCardData(**CARD_FIXED, size_categories=[size_category(documents)],
                           configs=configs)
    DatasetInfosDict({table: DatasetInfo(features=schema.hf_features(table), config_name=table)
                      for table in manifest["tables"]}).to_dataset_card_data(card)
    return card.to_yaml()


FRONT_MATTER = re.compile(r"\A---\n(?:.*?\n)?---\n", re.DOTALL)


def render_guidelines(text: str) -> str:
    return replace_section(text, "label tables",
                           "\n## 7. Label tables (generated)\n\n" + label_tables() + "\n")


# ------------------------------------------------------------------ statistics

# The label column counted for each annotation kind ("mentions per entity type", ...).
COUNTED_COLUMN = {"mentions": "type", "events": "type", "document_flags": "label",
                  "span_flags": "label", "claims": "support"}
TOKENS = ("Tokens are the whitespace-separated words of `documents.text` (Python "
          "`str.split()`).")
VERSION_ROW = re.compile(r"^\| (\d+)\.(\d+)\.(\d+) \|.*$", re.MULTILINE)


@dataclass
class Statistics:
    """Counts of one export, per split, read from its Parquet files."""

    version: str
    schema_version: str
    documents: Counter[str] = field(default_factory=Counter)
    derived: Counter[str] = field(default_factory=Counter)
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
    columns = ["split", "text", "derived_from", "authorship"]
    for path in table_files(data_dir, manifest, schema.DEFAULT_TABLE):
        for batch in pq.ParquetFile(path).iter_batches(columns=columns):
            for row in batch.to_pylist():
                split = row["split"]
                stats.documents[split] += 1
                stats.derived[split] += row["derived_from"] is not None
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


def _number(n: int) -> str:
    return f"{n:,}"


def markdown_table(header: list[str], rows: list[list[str]], numeric_from: int) -> str:
    """``evaluation.markdown_table``, imported when needed: it pulls in scikit-learn."""
    from newsprov.evaluation import markdown_table as table

    return table(header, rows, numeric_from)


def render_statistics(stats: Statistics) -> str:
    """Totals and label counts per split, as Markdown."""
    splits = stats.splits

    def cells(counts: Counter[str]) -> list[str]:
        return [_number(counts[split]) for split in splits] + [_number(counts.total())]

    totals = [["documents", *cells(stats.documents)],
              ["derived documents", *cells(stats.derived)],
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


def _version(row: str) -> tuple[int, ...]:
    match = VERSION_ROW.match(row)
    assert match is not None
    return tuple(map(int, match.groups()))


def render_version_history(previous: str, stats: Statistics) -> str:
    """One row of totals per dataset version: earlier rows are kept, this version's replaced."""
    header = ["version", "schema", "documents", "tokens", *stats.labels]
    cells = [stats.version, stats.schema_version, _number(stats.documents.total()),
             _number(stats.tokens.total()),
             *(_number(stats.records(layer).total()) for layer in stats.labels)]
    current = "| " + " | ".join(cells) + " |"
    rows = {match.group(0) for match in VERSION_ROW.finditer(previous)}
    rows = {row for row in rows if _version(row) != _version(current)} | {current}
    return "\n" + markdown_table(header, [], 2) + "".join(f"{row}\n" for row in
                                                  sorted(rows, key=_version)) + "\n"


def summarise(stats: Statistics) -> str:
    return (f"Version {stats.version}: {stats.documents.total():,} documents "
            f"({stats.derived.total():,} derived from another document of the corpus), "
            f"{stats.tokens.total():,} tokens, splits: {', '.join(stats.splits)}.")


def render_annotators(stats: Statistics) -> str:
    rows = [[f"`{annotator}`", f"`{method}`", _number(n)]
            for (annotator, method), n in sorted(stats.annotators.items())]
    return "\n" + markdown_table(["annotator", "method", "records"], rows, 2) + "\n"


# ------------------------------------------------------------------ provenance table

PROVENANCE_COLUMNS = {"doc_id": "document", "title": "title", "publisher": "publisher",
                      "url": "URL", "published": "published", "collected": "collected",
                      "added": "added to corpus", "collection_method": "how obtained",
                      "rights": "rights", "sha256": "sha256", "derived_from": "derived from",
                      "derivation": "derivation"}


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _provenance_value(document: dict, column: str) -> str:
    """A metadata value; a null says why (``unknown_fields``): unknown, or not applicable."""
    value = document[column]
    if value is not None:
        return f"`{value}`" if column in ("doc_id", "sha256", "derived_from") else _cell(value)
    reason = next(item["reason"] for item in document["unknown_fields"]
                  if item["field"] == column)
    status = "none" if reason.startswith("Not applicable") else "unknown"
    return f"*{status}:* {_cell(reason)}"


def render_provenance(data_dir: Path, manifest: dict) -> str:
    columns = [*PROVENANCE_COLUMNS, "unknown_fields"]
    files = table_files(data_dir, manifest, schema.DEFAULT_TABLE)
    documents = pq.read_table(files, columns=columns).to_pylist()
    rows = [[_provenance_value(document, column) for column in PROVENANCE_COLUMNS]
            for document in documents]
    header = list(PROVENANCE_COLUMNS.values())
    return "\n" + markdown_table(header, rows, len(header)) + "\n"


# ------------------------------------------------------------------ agreement


def render_agreement(root: Path) -> str:
    """The headline figures of ``newsprov agreement``'s JSON (the agreement module's rows)."""
    from newsprov.agreement import AGREEMENT_FILE, AGREEMENT_HEADER, agreement_rows

    path = root / AGREEMENT_FILE
    if not path.is_file():
        return f"\nNot computed yet: `{AGREEMENT_FILE}` does not exist.\n\n"
    report = read_json(path)
    return (f"\nPasses {' and '.join(f'`{name}`' for name in report['passes'])}, "
            f"{len(report['documents'])} documents, from `{AGREEMENT_FILE}`:\n\n"
            + markdown_table(AGREEMENT_HEADER, agreement_rows(report), 2) + "\n")


# ------------------------------------------------------------------ the documents

DATASHEET = Path("DATASHEET.md")


def render_readme(text: str, manifest: dict, stats: Statistics) -> str:
    """Replace the README's YAML front matter and its statistics section."""
    if not FRONT_MATTER.match(text):
        raise ValueError("README.md must start with YAML front matter between '---' lines")
    front_matter = f"---\n{card_front_matter(manifest).rstrip()}\n---\n"
    text = FRONT_MATTER.sub(lambda _: front_matter, text, count=1)
    return replace_section(text, "statistics", render_statistics(stats))


def render_datasheet(text: str, root: Path, data_dir: Path, manifest: dict,
                     stats: Statistics) -> str:
    sections = {"provenance": render_provenance(data_dir, manifest),
                "statistics": render_statistics(stats),
                "version history": render_version_history(
                    section_body(text, "version history"), stats),
                "annotators": render_annotators(stats),
                "agreement": render_agreement(root)}
    for name, body in sections.items():
        text = replace_section(text, name, body)
    return text


def render_docs(root: Path, data_dir: Path, manifest: dict) -> dict[Path, str]:
    """The generated documentation of the export in ``data_dir``: path -> new content.

    README.md and DATASHEET.md are rendered when ``root`` has them (a synthetic corpus may
    have neither); croissant.json is generated whole.
    """
    from newsprov import croissant

    stats = compute_statistics(data_dir, manifest)
    docs = {}
    if (readme := _read_if_present(root / README)) is not None:
        docs[README] = render_readme(readme, manifest, stats)
    if (datasheet := _read_if_present(root / DATASHEET)) is not None:
        docs[DATASHEET] = render_datasheet(datasheet, root, data_dir, manifest, stats)
    annotators = {annotator for annotator, _ in stats.annotators}
    docs[croissant.CROISSANT] = croissant.render(manifest, annotators, summarise(stats))
    return docs


def _read_if_present(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def update_docs(root: Path, manifest: dict) -> None:
    """Rewrite every generated part of the docs from the export in ``root/data``."""
    from newsprov.annotations import write_atomic
    from newsprov.export import DATA_DIR

    for path, content in render_docs(root, root / DATA_DIR, manifest).items():
        write_atomic(root / path, content)


@click.command("docs")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=Path("."))
def docs_command(root: Path) -> None:
    """Regenerate the generated sections of the documentation files from data/."""
    from newsprov.croissant import CROISSANT
    from newsprov.export import DATA_DIR, MANIFEST

    path = root / GUIDELINES
    path.write_text(render_guidelines(path.read_text(encoding="utf-8")), encoding="utf-8")
    click.echo(f"wrote {path}")
    update_docs(root, read_json(root / DATA_DIR / MANIFEST))
    click.echo(f"wrote {root / README}, {root / DATASHEET}, {root / CROISSANT}")
