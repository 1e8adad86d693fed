"""``newsprov check``: the corpus and one annotation directory, without building."""

from __future__ import annotations

from pathlib import Path

import click

from newsprov.cli.options import ROOT_OPTION
from newsprov.core import schema
from newsprov.core.layout import GOLD_DIR
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import load_corpus


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
