"""How a pipeline (the build's, the validation's, ...) runs, never what it writes: the
executor, its workers, resuming."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datatrove.utils.stats import PipelineStats

from newsprov.build.executors import LocalExecutor, RayExecutor
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


def make_executor(pipeline: list[Any], tasks: int, logging_dir: Path, execution: Execution,
                  previous: Any, job: str = "newsprov-build") -> Any:
    """The datatrove executor of one stage (its steps run in turn on each task's documents;
    ``newsprov collect`` runs its stages on it too); local and Ray ones print nothing of
    datatrove's (``build.executors``). Ray and Slurm are imported here: they are optional."""
    if execution.executor == "local":
        return LocalExecutor(pipeline, tasks=tasks, workers=min(execution.workers, tasks),
                             logging_dir=str(logging_dir))
    if execution.executor == "ray":
        try:
            import ray
        except ImportError:
            raise Failure("--executor ray needs the 'ray' extra: pip install "
                          "'newsprov[ray]'") from None
        if not ray.is_initialized():
            ray.init()                          # RAY_ADDRESS, or a local cluster
        # One task per Ray job (datatrove's default): a job runs its tasks at once, a process
        # each, whatever CPUs it reserved.
        return RayExecutor(pipeline, tasks=tasks, workers=execution.workers,
                           logging_dir=str(logging_dir), cpus_per_task=1, mem_per_cpu_gb=1)
    if execution.executor == "slurm":
        from datatrove.executor.slurm import SlurmPipelineExecutor

        if execution.slurm is None:
            raise Failure("--executor slurm needs --slurm-partition")
        options = execution.slurm
        return SlurmPipelineExecutor(
            pipeline, tasks=tasks, workers=execution.workers, time=options.time,
            partition=options.partition, cpus_per_task=options.cpus_per_task,
            mem_per_cpu_gb=options.mem_per_cpu_gb, sbatch_args=options.sbatch_args,
            job_name=f"{job}-{logging_dir.name}", logging_dir=str(logging_dir),
            venv_path=str(Path(sys.prefix) / "bin" / "activate"), depends=previous)
    raise Failure(f"unknown executor {execution.executor!r}; use one of {EXECUTORS}")


def logged_stats(logs: Path) -> PipelineStats:
    """datatrove's statistics of every task of a stage logged in ``logs``, resumed ones
    included (its own ``stats.json`` has only the tasks of the last run)."""
    total = PipelineStats()
    for path in sorted((logs / "stats").glob("*.json")):
        total += PipelineStats.from_json(json.loads(path.read_text(encoding="utf-8")))
    return total


def step_stats(work: Path, steps: Sequence[Any]) -> dict[str, Any]:
    """datatrove's statistics of every step of ``steps`` (logged in ``work/logs/<number>``),
    summed over its tasks."""
    return {step_class.name: json.loads(logged_stats(work / "logs" / f"{number + 1}").to_json())
            for number, step_class in enumerate(steps)}
