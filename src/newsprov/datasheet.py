"""Generated documentation: label tables, dataset-card YAML and statistics sections.

Generated text lives between ``<!-- BEGIN GENERATED: name -->`` and
``<!-- END GENERATED: name -->`` markers in hand-written Markdown files, so prose and
generated figures sit side by side and a check can tell when the figures are stale.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from newsprov import schema


def replace_section(text: str, name: str, body: str) -> str:
    """Replace the body of the marked section ``name``; the markers must exist."""
    pattern = re.compile(
        rf"(<!-- BEGIN GENERATED: {re.escape(name)} -->\n).*?(<!-- END GENERATED: "
        rf"{re.escape(name)} -->)", re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no generated section {name!r}")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text, count=1)


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


def render_readme(text: str, manifest: dict) -> str:
    """Replace the README's YAML front matter."""
    if not FRONT_MATTER.match(text):
        raise ValueError("README.md must start with YAML front matter between '---' lines")
    front_matter = f"---\n{card_front_matter(manifest).rstrip()}\n---\n"
    return FRONT_MATTER.sub(lambda _: front_matter, text, count=1)


def render_guidelines(text: str) -> str:
    return replace_section(text, "label tables",
                           "\n## 7. Label tables (generated)\n\n" + label_tables() + "\n")


def update_docs(root: Path, manifest: dict) -> None:
    """Rewrite the generated parts of the README card from an export's manifest."""
    from newsprov.annotations import write_atomic

    path = root / README
    write_atomic(path, render_readme(path.read_text(encoding="utf-8"), manifest))


@click.command("docs")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=Path("."))
def docs_command(root: Path) -> None:
    """Regenerate the generated sections of the documentation files."""
    path = root / GUIDELINES
    path.write_text(render_guidelines(path.read_text(encoding="utf-8")), encoding="utf-8")
    click.echo(f"wrote {path}")
