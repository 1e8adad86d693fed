"""``newsprov pre-annotate``: the detectors over a collection, as its ``pre`` layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from newsprov.cli.options import EXECUTION_OPTIONS, execution_of
from newsprov.collect.preannotate import pre_annotate, stats_file


@click.command("pre-annotate")
@click.argument("collection", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Replace the collection's pre layer if it has one.")
@EXECUTION_OPTIONS
def pre_annotate_command(collection: Path, force: bool, **execution: Any) -> None:
    """Run every detector over each document of COLLECTION (the sharded layout) and write the
    hits as its attributes/pre layer, one task per documents shard."""
    stats = pre_annotate(collection, execution_of(**execution), force)
    if stats is None:
        click.echo("submitted to Slurm; when the jobs are done, run the same command with "
                   "--resume (and without --executor slurm) to install the layer")
        return
    hits = ", ".join(f"{key.removeprefix('hits_')} {n}" for key, n in stats.items()
                     if key.startswith("hits_"))
    click.echo(f"{stats.get('documents', 0)} documents pre-annotated in {collection} "
               f"(hits: {hits or 'none'}); statistics in {stats_file(collection)}")
