"""``newsprov build``, ``validate``, ``check`` and ``docs``: the release and its checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from newsprov.build.export import build
from newsprov.build.validation import validate_export
from newsprov.cli.options import ROOT_OPTION
from newsprov.core import schema
from newsprov.core.files import read_json, write_atomic
from newsprov.core.layout import (
    CROISSANT,
    DATA_DIR,
    DATASHEET,
    GOLD_DIR,
    GUIDELINES,
    MANIFEST,
    README,
    VALIDATION_REPORT,
)
from newsprov.publish.docs import render_guidelines, update_docs
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import load_corpus


def summarise(manifest: Mapping[str, Any]) -> str:
    lines = [f"newsprov {manifest['dataset_version']} (schema {manifest['schema_version']})"]
    for table, splits in manifest["tables"].items():
        lines.append(f"  {table:15} " + ", ".join(f"{s}: {n}" for s, n in splits.items()))
    return "\n".join(lines)


@click.command("build")
@ROOT_OPTION
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where to write the export (default: <root>/data).")
@click.option("--no-validate", is_flag=True, help="Skip the expectation suites.")
def build_command(root: Path, out: Path | None, no_validate: bool) -> None:
    """Validate corpus and gold annotations and write the Parquet release."""
    manifest = build(root, out, validate=not no_validate)
    if out is None or out == root / DATA_DIR:  # the release: its docs follow it
        update_docs(root, manifest)
    click.echo(summarise(manifest))


@click.command("validate")
@click.option("--data", "directory", type=click.Path(path_type=Path, file_okay=False,
                                                     exists=True),
              default=DATA_DIR, show_default=True, help="The export folder.")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=f"Where to write the Markdown report (default: {VALIDATION_REPORT} beside "
                   "the export folder).")
def validate_command(directory: Path, report: Path | None) -> None:
    """Run the Great Expectations suites on an export; exit 1 if any fails."""
    result = validate_export(directory)
    path = report or directory.parent / VALIDATION_REPORT
    write_atomic(path, result.markdown())
    click.echo(result.summary())
    click.echo(f"report: {path}")
    if not result.success:
        raise click.exceptions.Exit(1)


@click.command("check")
@ROOT_OPTION
@click.argument("annotation_dir", type=click.Path(path_type=Path, file_okay=False),
                default=GOLD_DIR)
def check_command(root: Path, annotation_dir: Path) -> None:
    """Check the corpus and ANNOTATION_DIR (default: the gold set)."""
    corpus = load_corpus(root)
    annotations = load_annotation_set(root / annotation_dir, corpus)
    counts = {kind: sum(len(a[kind]) for a in annotations.values())
              for kind in schema.ANNOTATION_KINDS}
    click.echo(f"ok: {len(corpus)} documents, {len(annotations)} annotation files, "
               + ", ".join(f"{n} {kind}" for kind, n in counts.items()))


@click.command("docs")
@ROOT_OPTION
def docs_command(root: Path) -> None:
    """Regenerate the generated sections of the documentation files from data/."""
    path = root / GUIDELINES
    path.write_text(render_guidelines(path.read_text(encoding="utf-8")), encoding="utf-8")
    click.echo(f"wrote {path}")
    update_docs(root, read_json(root / DATA_DIR / MANIFEST))
    click.echo(f"wrote {root / README}, {root / DATASHEET}, {root / CROISSANT}")
