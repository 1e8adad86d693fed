"""``newsprov evaluate`` and ``baselines``: the benchmark."""

from __future__ import annotations

from pathlib import Path

import click

from newsprov.bench.baselines import run_baselines
from newsprov.bench.evaluation import evaluate, metrics_table, read_release
from newsprov.cli.options import ROOT_OPTION
from newsprov.core import schema
from newsprov.core.files import write_json
from newsprov.core.layout import DATA_DIR


@click.command("evaluate")
@click.argument("predictions", type=click.Path(path_type=Path))
@click.option("--split", type=click.Choice(schema.SPLIT.names), default="test",
              show_default=True, help="The split whose gold is scored.")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
              default=DATA_DIR, show_default=True, help="The released Parquet export.")
@click.option("--dataset-version", default=None,
              help="Refuse to score unless the release is this version.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The metrics JSON (default: PREDICTIONS with suffix .metrics.json).")
def evaluate_command(predictions: Path, split: str, data_dir: Path,
                     dataset_version: str | None, out: Path | None) -> None:
    """Score PREDICTIONS (JSON Lines of annotation records, or an annotation directory)
    against the gold annotations of a split of the released Parquet export."""
    metrics = evaluate(predictions, read_release(data_dir, split, dataset_version))
    out = out or predictions.with_name(predictions.name.removesuffix(".jsonl") +
                                       ".metrics.json")
    write_json(out, metrics)
    click.echo(f"newsprov {metrics['dataset_version']}, split {split}, "
               f"{metrics['documents']} documents scored, {metrics['documents_not_annotated']} "
               f"not completely annotated and skipped\n\n{metrics_table(metrics)}\nwrote {out}")


@click.command("baselines")
@ROOT_OPTION
@click.option("--split", default="test", show_default=True, help="The split to predict.")
def baselines_command(root: Path, split: str) -> None:
    """Write every baseline's predictions to baselines/, score them, update the README."""
    for name, path in run_baselines(root, split).items():
        click.echo(f"{name}: wrote {path} and {path.with_suffix('.metrics.json')}")
