"""``newsprov validate``: the expectation suites on an export (imports Great Expectations,
which takes seconds: a module of its own keeps it out of the other commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from newsprov.build.validation import validate_export
from newsprov.cli.options import EXECUTION_OPTIONS, execution_of
from newsprov.core.layout import DATA_DIR, VALIDATION_REPORT


@click.command("validate")
@click.option("--data", "directory", type=click.Path(path_type=Path, file_okay=False,
                                                     exists=True),
              default=DATA_DIR, show_default=True, help="The export folder.")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=f"Where to write the Markdown report (default: {VALIDATION_REPORT} beside "
                   "the export folder); datatrove's statistics go beside it.")
@EXECUTION_OPTIONS
def validate_command(directory: Path, report: Path | None, **execution: Any) -> None:
    """Run the Great Expectations suites on an export; exit 1 if any fails."""
    result = validate_export(directory, execution=execution_of(**execution))
    if result is None:
        click.echo("submitted to Slurm; run the same command with --resume once its jobs "
                   "are done")
        return
    path = report or directory.parent / VALIDATION_REPORT
    result.write(path)
    click.echo(result.summary())
    click.echo(f"report: {path}")
    if not result.success:
        raise click.exceptions.Exit(1)
