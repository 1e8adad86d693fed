"""How a pipeline (the build's, the validation's, ...) runs, never what it writes: the
executor, its workers, resuming. Light to import (every command's options use it); what
needs datatrove is in ``build.executors``, which only the pipelines import."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from newsprov.core.errors import Failure
from newsprov.core.files import write_atomic

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


def planned_run(work: Path, digest: str, command: str, **recorded: str) -> dict[str, str]:
    """The plan of a run of ``newsprov <command>`` (its inputs' ``digest`` and ``recorded``)
    in ``work/plan.json``: the interrupted run's when resuming, which must have had the same
    inputs; else written now."""
    path = work / "plan.json"
    if path.is_file():
        planned = json.loads(path.read_text(encoding="utf-8"))
        if planned["inputs"] != digest:
            raise Failure(f"the inputs changed since the interrupted run ({work}); "
                          f"newsprov {command} again without --resume")
        return planned
    planned = {"inputs": digest, **recorded}
    write_atomic(path, json.dumps(planned) + "\n")
    return planned
