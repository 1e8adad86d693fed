"""``newsprov validate``: the expectation suites on an export (imports Great Expectations,
which takes seconds: a module of its own keeps it out of the other commands)."""

from __future__ import annotations

from pathlib import Path

import click

from newsprov.build.validation import validate_export
from newsprov.core.files import write_atomic
from newsprov.core.layout import DATA_DIR, VALIDATION_REPORT


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
