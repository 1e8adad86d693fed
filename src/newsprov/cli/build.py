"""``newsprov build`` and ``docs``: the release and its documentation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from newsprov.build.inputs import TASK_DOCUMENTS
from newsprov.build.pipeline import build
from newsprov.cli.options import EXECUTION_OPTIONS, ROOT_OPTION, execution_of
from newsprov.core.files import naming, read_json, write_atomic
from newsprov.core.layout import (
    COLLECTION_DIR,
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
@click.option("--collection", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=None, help=f"A collection in the sharded layout to build with the "
                                 f"per-document corpus (default: <root>/{COLLECTION_DIR} if "
                                 "it exists).")
@click.option("--task-documents", type=click.IntRange(min=1), default=TASK_DOCUMENTS,
              show_default=True, help="Document folders per task (a collection: one shard "
                                      "per task). Part of the input: it sets the shards.")
@EXECUTION_OPTIONS
def build_command(root: Path, out: Path | None, no_validate: bool, collection: Path | None,
                  task_documents: int, **execution: Any) -> None:
    """Validate corpus and gold annotations and write the Parquet release."""
    release = out is None or out == root / DATA_DIR  # its docs name its files
    with naming(out or root / DATA_DIR):  # a full disk names no file: name the export
        manifest = build(root, out, validate=not no_validate, collection=collection,
                         execution=execution_of(**execution), task_documents=task_documents,
                         after_switch=(lambda manifest: update_docs(root, manifest))
                         if release else None)
    if manifest is None:
        click.echo("submitted to Slurm; when the jobs are done, run the same command with "
                   "--resume (and without --executor slurm) to publish the export")
        return
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
