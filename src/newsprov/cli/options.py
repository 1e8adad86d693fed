"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

ROOT_OPTION = click.option("--root", type=click.Path(path_type=Path, file_okay=False),
                           default=Path("."), show_default=True,
                           help="The repository folder.")
