"""Where a build's time goes between tasks, on Ray in local mode against the local executor.

    python scripts/profile_ray_tasks.py REPOSITORY [--workers 2] [--results profile.json]

Builds REPOSITORY (a sharded collection: ``scripts/synth_corpus.py --layout shards``, outside
the repository) into a scratch folder beside it, once with datatrove's local executor and
once on Ray in local mode (as ``bench_build.py``'s ``shards-ray``), with the same workers. Each
task records, in its own process, when it started and ended and when its process and that
process's parent started (``/proc``): on Ray the parent is the task's Ray actor, whose process
datatrove has Ray start for each task, and the task runs in a process the actor forks. Prints
per executor and step the tasks' mean seconds and the mean gap in a worker's slot between one
task's end and the next one's start, and on Ray that gap's parts: until the actor's process
starts, from there until it forks the task's process, and from the fork to the task.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from newsprov.build import executors
from newsprov.build.execution import Execution
from newsprov.build.pipeline import build

RECORDS = "NEWSPROV_PROFILE_RECORDS"       # the file each task appends its line to


def process_start(pid: int) -> float:
    """When process ``pid`` started, on the clock of ``time.time()`` (``/proc``, in ticks)."""
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


def timed(run: Any, executor: Any, rank: int, *args: Any, **options: Any) -> Any:
    """``run(executor, rank, ...)``, the task, with its line of times appended."""
    started = time.time()
    stats = run(executor, rank, *args, **options)
    record = {"step": Path(executor.logging_dir.path).name, "rank": rank, "start": started,
              "end": time.time(), "process_start": process_start(os.getpid()),
              "parent_start": process_start(os.getppid())}
    with open(os.environ[RECORDS], "a", encoding="utf-8") as sink:
        sink.write(json.dumps(record) + "\n")
    return stats


# Defined here, so pickled by value into the workers (cloudpickle for Ray, dill locally),
# where ``super()`` would not find the class: the base is named instead.
LOCAL, RAY, MAKE_EXECUTOR = executors.LocalExecutor, executors.RayExecutor, executors.make_executor


class TimedLocalExecutor(LOCAL):
    def _run_for_rank(self, rank: int, *args: Any, **options: Any) -> Any:
        return timed(LOCAL._run_for_rank, self, rank, *args, **options)


class TimedRayExecutor(RAY):
    def _run_for_rank(self, rank: int, *args: Any, **options: Any) -> Any:
        return timed(RAY._run_for_rank, self, rank, *args, **options)


def timed_executor(*args: Any, **options: Any) -> Any:
    """``executors.make_executor``'s executor, its tasks timed."""
    executor = MAKE_EXECUTOR(*args, **options)
    executor.__class__ = {LOCAL: TimedLocalExecutor, RAY: TimedRayExecutor}[type(executor)]
    return executor


def profile(repository: Path, executor: str, workers: int, scratch: Path) -> dict[str, Any]:
    records = scratch / f"{executor}.jsonl"
    records.unlink(missing_ok=True)
    os.environ[RECORDS] = str(records)         # inherited by the workers, Ray's included
    if executor == "ray":
        import ray

        ray.init(num_cpus=workers, object_store_memory=200 * 2**20,  # only the executor
                 include_dashboard=False, log_to_driver=False)
    started = time.perf_counter()
    build(repository, scratch / executor, validate=False,
          execution=Execution(workers=workers, executor=executor))
    seconds = time.perf_counter() - started
    if executor == "ray":
        ray.shutdown()
    tasks = [json.loads(line) for line in records.read_text(encoding="utf-8").splitlines()]
    steps = sorted({t["step"] for t in tasks})
    return {"seconds": seconds,
            "steps": {step: slot_gaps([t for t in tasks if t["step"] == step], workers,
                                      processes=executor == "ray") for step in steps}}


def slot_gaps(tasks: list[dict[str, Any]], workers: int, processes: bool) -> dict[str, Any]:
    """Each task after the first ``workers`` takes the slot of the earliest end not yet
    taken: the gap is from that end to its start; with ``processes`` (a process per task,
    on Ray), the parts of the gap as above."""
    tasks = sorted(tasks, key=lambda t: t["start"])
    ends = sorted(t["end"] for t in tasks)
    later = list(zip(tasks[workers:], ends, strict=False))
    mean = statistics.fmean
    times = {"tasks": len(tasks), "task_seconds": mean(t["end"] - t["start"] for t in tasks),
             "gap_seconds": mean(t["start"] - end for t, end in later) if later else None}
    if processes:
        times |= {"end_to_actor_start":
                  mean(t["parent_start"] - end for t, end in later) if later else None,
                  "actor_start_to_fork": mean(t["process_start"] - t["parent_start"]
                                              for t in tasks),
                  "fork_to_task": mean(t["start"] - t["process_start"] for t in tasks)}
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repository", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--results", type=Path)
    args = parser.parse_args()
    scratch = args.repository.parent / f"{args.repository.name}.profile"
    scratch.mkdir(exist_ok=True)
    executors.make_executor = timed_executor
    results = {executor: profile(args.repository, executor, args.workers, scratch)
               for executor in ("local", "ray")}
    shutil.rmtree(scratch)
    for executor, result in results.items():
        print(f"{executor}: {result['seconds']:.1f} s", file=sys.stderr)
        for step, parts in result["steps"].items():
            print(f"  step {step}: " + ", ".join(
                f"{name} {value:.2f}" if isinstance(value, float) else f"{name} {value}"
                for name, value in parts.items()), file=sys.stderr)
    if args.results:
        args.results.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
