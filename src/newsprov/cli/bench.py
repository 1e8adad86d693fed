"""``newsprov evaluate`` and ``compare``: the benchmark's scorer."""

from __future__ import annotations

from pathlib import Path

import click

from newsprov.bench.evaluation import (
    TASKS,
    caveats,
    compare,
    comparison_table,
    evaluate,
    metrics_table,
    read_release,
)
from newsprov.core import schema
from newsprov.core.files import write_json
from newsprov.core.layout import DATA_DIR

SPLIT_OPTION = click.option("--split", type=click.Choice(schema.SPLIT.names), default="test",
                            show_default=True, help="The split whose gold is scored.")
DATA_OPTION = click.option("--data", "data_dir",
                           type=click.Path(path_type=Path, file_okay=False), default=DATA_DIR,
                           show_default=True, help="The released Parquet export.")
VERSION_OPTION = click.option("--dataset-version", default=None,
                              help="Refuse to score unless the release is this version.")


@click.command("evaluate")
@click.argument("predictions", type=click.Path(path_type=Path))
@SPLIT_OPTION
@DATA_OPTION
@VERSION_OPTION
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The metrics JSON (default: PREDICTIONS with suffix .metrics.json).")
def evaluate_command(predictions: Path, split: str, data_dir: Path,
                     dataset_version: str | None, out: Path | None) -> None:
    """Score PREDICTIONS (JSON Lines of annotation records, or an annotation directory)
    against the gold annotations of a split of the released Parquet export, with a
    bootstrap confidence interval for every figure."""
    metrics = evaluate(predictions, read_release(data_dir, split, dataset_version))
    out = out or predictions.with_name(predictions.name.removesuffix(".jsonl") +
                                       ".metrics.json")
    write_json(out, metrics)
    lines = "\n".join(caveats(metrics["intervals"]))
    click.echo(f"newsprov {metrics['dataset_version']}, split {split}, "
               f"{metrics['documents']} documents scored, {metrics['documents_not_annotated']} "
               f"not completely annotated and skipped\n\n{metrics_table(metrics)}\n"
               f"Resampled units:\n{lines}\nwrote {out}")


@click.command("compare")
@click.argument("first", metavar="A", type=click.Path(path_type=Path))
@click.argument("second", metavar="B", type=click.Path(path_type=Path))
@SPLIT_OPTION
@DATA_OPTION
@VERSION_OPTION
@click.option("--task", "tasks", type=click.Choice(TASKS), multiple=True,
              help="Compare only this task (repeatable; default: every task).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the comparison JSON here.")
def compare_command(first: Path, second: Path, split: str, data_dir: Path,
                    dataset_version: str | None, tasks: tuple[str, ...],
                    out: Path | None) -> None:
    """Compare systems A and B (prediction files) on the same units: per figure, the
    difference A - B, its paired-bootstrap interval and an approximate-randomisation
    p-value."""
    result = compare(first, second, read_release(data_dir, split, dataset_version),
                     tasks or TASKS)
    if out is not None:
        write_json(out, result)
    lines = "\n".join(caveats(result["comparison"], tasks or TASKS))
    click.echo(f"newsprov {result['dataset_version']}, split {split}, "
               f"{result['documents']} documents; A = {first.name}, B = {second.name}\n\n"
               f"{comparison_table(result)}\nResampled units:\n{lines}"
               + (f"\nwrote {out}" if out else ""))
