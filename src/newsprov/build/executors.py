"""datatrove's executors for a stage (``make_executor``) and its statistics read back; the
local and Ray ones with nothing of datatrove's on the terminal.

datatrove prints each task's start, pipeline and statistics (about 90 lines for a
two-document build, before a command's one line on bad input). Here a task's messages go to
its log file only (``logs/task_XXXXX.log`` in the step's logging folder) and the executor's
own (tasks skipped and completed, the step's statistics) to ``executor.log`` beside it, in
every process that runs the step: the command's, the local workers and Ray's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import datatrove.utils.logging as datatrove_logging
import multiprocess
from datatrove.executor import LocalPipelineExecutor, RayPipelineExecutor
from datatrove.io import DataFolder, get_datafolder
from datatrove.utils.stats import PipelineStats

from newsprov.build.execution import EXECUTORS, Execution
from newsprov.core.errors import Failure

EXECUTOR_LOG = "executor.log"       # in a step's logging folder
_WORKER_MODULES: set[str] = set()   # what the forkserver imports (``import_in_workers``)


@contextlib.contextmanager
def datatrove_console(stream: IO[str]) -> Iterator[None]:
    """datatrove's console is ``stream`` in this process while the block runs; closed after.

    datatrove gives loguru its logging module's ``sys.stderr`` as console, for each task
    (``add_task_logger``) and after it (``setup_default_logger``). Our progress bars write
    on ``sys.stderr`` too, so only that module's view of it changes."""
    terminal = datatrove_logging.sys
    datatrove_logging.sys = types.SimpleNamespace(stderr=stream)
    datatrove_logging.setup_default_logger()        # its console handler, now on stream
    try:
        yield
    finally:
        datatrove_logging.sys = terminal
        datatrove_logging.setup_default_logger()
        stream.close()


def executor_log(logging_dir: DataFolder) -> contextlib.AbstractContextManager[None]:
    return datatrove_console(logging_dir.open(EXECUTOR_LOG, "a"))


class QuietConsole:
    """Runs a step with datatrove's executor messages in ``executor.log`` and each task's
    in its log file only (datatrove also copies them to the console)."""

    logging_dir: DataFolder

    def run(self) -> Any:
        with executor_log(self.logging_dir):
            return super().run()

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1
                      ) -> PipelineStats:
        # datatrove copies to the console what the task's log file has in full
        with datatrove_console(open(os.devnull, "w")):
            return super()._run_for_rank(rank, local_rank, node_rank)


def import_in_workers(execution: Execution, *modules: str) -> None:
    """Local workers start from a forkserver that has imported ``modules`` (and those named
    before), so that the workers of each stage do not import them again: importing the
    validation takes 2.2 s (Great Expectations), paid by each worker of both its stages. The
    forkserver starts with a process's first pool, with the modules named by then. With one
    worker the tasks run in this process, and the forkserver only starts datatrove's queue
    manager: it imports nothing."""
    if execution.executor != "local" or execution.workers == 1:
        return
    _WORKER_MODULES.update(modules)
    multiprocess.set_forkserver_preload(sorted(_WORKER_MODULES))


@contextlib.contextmanager
def default_start_method(method: str) -> Iterator[None]:
    """``multiprocess`` starts processes with ``method`` while the block runs (unless told
    otherwise), then as before."""
    previous = multiprocess.get_start_method(allow_none=True)
    multiprocess.set_start_method(method, force=True)
    try:
        yield
    finally:
        multiprocess.set_start_method(previous, force=True)


class LocalExecutor(QuietConsole, LocalPipelineExecutor):
    def run(self) -> Any:
        """datatrove starts its task queue's manager process in ``multiprocess``'s default
        context: a fork, on Linux. A fork of a process that runs threads (pyarrow's pools;
        Ray's and gRPC's after a Ray run) can crash the child: CI saw "double free or
        corruption" and the build's connection to its queue reset. The manager starts from
        the forkserver, as datatrove's pool of workers does."""
        with default_start_method(self.start_method):
            return super().run()

    def _launch_run_for_rank(self, rank: int, ranks_q: Any, completed: Any = None,
                             completed_lock: Any = None) -> PipelineStats:
        """In a worker process: the count of finished tasks it logs after each task goes to
        ``executor.log`` too."""
        with executor_log(self.logging_dir):
            return super()._launch_run_for_rank(rank, ranks_q, completed, completed_lock)


class RayExecutor(QuietConsole, RayPipelineExecutor):
    def __init__(self, pipeline: list[Any], *, logging_dir: str, **options: Any) -> None:
        # It warns that a logging folder on a local file system must be shared by the nodes.
        with executor_log(get_datafolder(logging_dir)):
            super().__init__(pipeline, logging_dir=logging_dir, **options)

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1
                      ) -> PipelineStats:
        """In the process that datatrove's Ray worker forks for the task (a pool of a
        process per task of the job, left by ``terminate()``). Those processes inherit Ray's
        SIGTERM handler, which never ran in one waiting on the pool's queue: the Ray worker
        then waited for it forever (1 run in 4 of the Ray tests under load; py-spy showed the
        pool's process in ``SemLock.__enter__`` and the worker in ``Pool.terminate``). Dying
        on SIGTERM is what the pool expects of its processes."""
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        return super()._run_for_rank(rank, local_rank, node_rank)


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


@dataclass(frozen=True)
class Stage:
    """One executor's run: a pipeline of steps on each of ``tasks`` tasks."""

    name: str                       # as a message names it: "step 'read'", "stage 2"
    pipeline: list[Any]
    tasks: int


def no_recorded_errors() -> None:
    """Tasks whose bad input stops a run in them, or is only counted."""


def run_stages(stages: Sequence[Stage], logs: Path, execution: Execution, job: str,
               raise_recorded_error: Callable[[], None] = no_recorded_errors) -> bool:
    """Run the stages in turn (but those of no task), stage ``n`` logging in ``logs/<n>``;
    False if they were submitted to Slurm instead, as a chain of jobs each depending on the
    one before.

    After each stage ``raise_recorded_error`` raises the bad input its tasks recorded (one
    line, not a traceback from another process), and tasks that did not finish stop the run
    for ``--resume``."""
    import_in_workers(execution, *{type(step).__module__ for stage in stages
                                   for step in stage.pipeline})
    previous = None
    for number, stage in enumerate(stages, start=1):
        if not stage.tasks:
            continue
        executor = make_executor(stage.pipeline, stage.tasks, logs / str(number), execution,
                                 previous, job=job)
        previous = executor
        if execution.executor == "slurm":
            continue
        executor.run()
        raise_recorded_error()
        if incomplete := executor.get_incomplete_ranks(skip_completed=True):
            raise Failure(f"{len(incomplete)} task(s) of {stage.name} did not finish; their "
                          f"logs are in {logs / str(number)}; run again with --resume")
    if execution.executor == "slurm":
        assert previous is not None
        previous.run()                          # launches the chain of dependent jobs
        return False
    return True


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
