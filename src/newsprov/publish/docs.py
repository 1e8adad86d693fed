"""Every generated part of the documentation, rewritten after a build into ``data/``: the
README's card YAML and statistics, the generated sections of DATASHEET.md,
``croissant.json`` and the label tables of the guidelines, all from the export itself (its
manifest and the cheap columns of its Parquet files), never from the working files.
"""

from __future__ import annotations

from pathlib import Path

from newsprov.core import schema
from newsprov.core.files import replace_section, write_atomic
from newsprov.core.layout import CROISSANT, DATA_DIR, DATASHEET, README
from newsprov.publish import croissant
from newsprov.publish.card import render_readme
from newsprov.publish.datasheet import render_datasheet
from newsprov.publish.figures import render_figures
from newsprov.publish.statistics import compute_statistics, summarise


def label_tables() -> str:
    """One Markdown table per vocabulary of the schema."""
    parts = []
    for vocabulary in schema.VOCABULARIES.values():
        rows = "\n".join(f"| `{label.name}` | {label.definition} |"
                         for label in vocabulary.labels)
        parts.append(f"### `{vocabulary.name}`\n\n{vocabulary.description}\n\n"
                     f"| label | definition |\n|---|---|\n{rows}\n")
    return "\n".join(parts)


def render_guidelines(text: str) -> str:
    return replace_section(text, "label tables",
                           "\n## 7. Label tables (generated)\n\n" + label_tables() + "\n")


def render_docs(root: Path, data_dir: Path, manifest: dict) -> dict[Path, str]:
    """The generated documentation of the export in ``data_dir``: path -> new content.

    README.md and DATASHEET.md are rendered when ``root`` has them (a synthetic corpus may
    have neither); croissant.json is generated whole.
    """
    stats = compute_statistics(data_dir, manifest)
    docs = {}
    if (readme := _read_if_present(root / README)) is not None:
        docs[README] = render_readme(readme, manifest, stats)
    if (datasheet := _read_if_present(root / DATASHEET)) is not None:
        docs[DATASHEET] = render_datasheet(datasheet, root, data_dir, manifest, stats)
    annotators = {annotator for annotator, _ in stats.annotators}
    docs[CROISSANT] = croissant.render(manifest, annotators, summarise(stats))
    return docs


def _read_if_present(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def update_docs(root: Path, manifest: dict) -> None:
    """Rewrite every generated part of the docs, and the figures, from the export in
    ``root/data``."""
    for path, content in {**render_docs(root, root / DATA_DIR, manifest),
                          **render_figures(root, root / DATA_DIR, manifest)}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(root / path, content)
