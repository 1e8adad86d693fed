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


def render_guidelines(text: str) -> str:
    return replace_section(text, "label tables",
                           "\n## 7. Label tables (generated)\n\n" + label_tables() + "\n")


@click.command("docs")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=Path("."))
def docs_command(root: Path) -> None:
    """Regenerate the generated sections of the documentation files."""
    path = root / GUIDELINES
    path.write_text(render_guidelines(path.read_text(encoding="utf-8")), encoding="utf-8")
    click.echo(f"wrote {path}")
