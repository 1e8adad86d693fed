"""How a build runs (never what it writes): the executor, its workers, resuming."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

EXECUTORS = ("local", "ray", "slurm")


@dataclass(frozen=True)
class SlurmOptions:
    partition: str
    time: str = "01:00:00"
    cpus_per_task: int = 1
    mem_per_cpu_gb: int = 2
    sbatch_args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Execution:
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    executor: str = "local"          # one of EXECUTORS
    resume: bool = False             # keep the finished tasks of an interrupted build
    slurm: SlurmOptions | None = None
