"""``newsprov baselines``: every baseline's predictions, metrics and the leaderboard. A module
of its own: the semantic baseline imports PyTorch, which ``evaluate`` and ``compare`` do not
need."""

from __future__ import annotations

from pathlib import Path

import click

from newsprov.bench.baselines import run_baselines
from newsprov.cli.options import ROOT_OPTION


@click.command("baselines")
@ROOT_OPTION
@click.option("--split", default="test", show_default=True, help="The split to predict.")
def baselines_command(root: Path, split: str) -> None:
    """Write every baseline's predictions to baselines/, score them, update the README."""
    for name, path in run_baselines(root, split).items():
        click.echo(f"{name}: wrote {path} and {path.with_suffix('.metrics.json')}")
