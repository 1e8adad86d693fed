"""``newsprov build`` and ``docs``: the release and its documentation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from newsprov.build.export import build
from newsprov.cli.options import ROOT_OPTION
from newsprov.core.files import naming, read_json, write_atomic
from newsprov.core.layout import (
    CROISSANT,
    DATA_DIR,
    DATASHEET,
    GUIDELINES,
    MANIFEST,
    README,
)
from newsprov.publish.docs import render_guidelines, update_docs


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
    release = out is None or out == root / DATA_DIR  # its docs name its files
    with naming(out or root / DATA_DIR):  # a full disk names no file: name the export
        manifest = build(root, out, validate=not no_validate,
                         after_switch=(lambda manifest: update_docs(root, manifest))
                         if release else None)
    click.echo(summarise(manifest))






@click.command("docs")
@ROOT_OPTION
def docs_command(root: Path) -> None:
    """Regenerate the generated sections of the documentation files from data/."""
    path = root / GUIDELINES
    write_atomic(path, render_guidelines(path.read_text(encoding="utf-8")))
    click.echo(f"wrote {path}")
    update_docs(root, read_json(root / DATA_DIR / MANIFEST))
    click.echo(f"wrote {root / README}, {root / DATASHEET}, {root / CROISSANT}")
