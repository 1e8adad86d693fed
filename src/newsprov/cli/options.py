"""Options shared by several commands."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from newsprov.build.execution import EXECUTORS, Execution, SlurmOptions

ROOT_OPTION = click.option("--root", type=click.Path(path_type=Path, file_okay=False),
                           default=Path("."), show_default=True,
                           help="The repository folder.")


def EXECUTION_OPTIONS(command: Callable[..., Any]) -> Callable[..., Any]:
    """--workers, --executor, --resume and the Slurm options of a pipelined command."""
    options = [
        click.option("--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1,
                     show_default="the machine's cores",
                     help="Tasks run at a time (local: processes; Ray, Slurm: at most)."),
        click.option("--executor", type=click.Choice(EXECUTORS), default="local",
                     show_default=True, help="local processes; a Ray cluster (RAY_ADDRESS, "
                     "else a local one); or Slurm jobs (sbatch)."),
        click.option("--resume", is_flag=True,
                     help="Keep the finished tasks of an interrupted run (its inputs "
                          "unchanged) and run the others."),
        click.option("--slurm-partition", default=None, help="Slurm partition."),
        click.option("--slurm-time", default="01:00:00", show_default=True,
                     help="Slurm time limit per job."),
        click.option("--slurm-cpus", type=click.IntRange(min=1), default=1,
                     show_default=True, help="CPUs per Slurm task."),
        click.option("--slurm-mem-per-cpu", type=click.IntRange(min=1), default=2,
                     show_default=True, help="GB of memory per CPU of a Slurm task."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def execution_of(workers: int, executor: str, resume: bool, slurm_partition: str | None,
                 slurm_time: str, slurm_cpus: int, slurm_mem_per_cpu: int) -> Execution:
    slurm = SlurmOptions(slurm_partition, slurm_time, slurm_cpus, slurm_mem_per_cpu) \
        if slurm_partition else None
    return Execution(workers, executor, resume, slurm)
