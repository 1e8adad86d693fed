"""``newsprov queue``: the top-ranked (rewrite, source) pairs of a collect run to Label
Studio."""

from __future__ import annotations

from pathlib import Path

import click

from newsprov.cli.labelstudio import server_options
from newsprov.cli.options import ROOT_OPTION
from newsprov.collect.queue import queue


@click.command("queue")
@click.argument("collected", type=click.Path(path_type=Path, file_okay=False, exists=True))
@ROOT_OPTION
@server_options
@click.option("--top", type=click.IntRange(min=1), default=100, show_default=True,
              help="How many pairs to queue, best proposal score first.")
def queue_command(collected: Path, root: Path, url: str, api_key: str, title: str,
                  top: int) -> None:
    """Push the top-ranked (rewrite, source) pairs of COLLECTED (the --out folder of
    `newsprov collect --sources ... --candidates ...`) to Label Studio, pre-annotated, in
    score order; --root is the annotation workspace their documents are written to (pull
    the annotations back with `newsprov ls-sync pull --root` the same folder)."""
    project_id, added = queue(collected, root, top, url, api_key, title)
    click.echo(f"project {title!r} (id {project_id}) at {url}: {len(added)} pairs queued, "
               f"best proposal first; their documents are under {root}")
