"""``newsprov collect`` on the build's engine: plan one task per input, run the three stages
(``collect.steps``) on the executor of the build (local workers, Ray or Slurm), then move
the tasks' parts into the collection folder, numbered in task order, with the run's
statistics: records read, accepted, and skipped by reason, which must add up.

The work folder (staging files, datatrove's logs and completion markers) is kept until the
collection is in place, so ``--resume`` after a killed run redoes only the unfinished tasks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsprov.build.execution import Execution, planned_run
from newsprov.build.executors import Stage, logged_stats, run_stages
from newsprov.collect.fetch import PoliteFetcher
from newsprov.collect.filters import FILTERS
from newsprov.collect.records import plan_inputs
from newsprov.collect.steps import (
    CollectPlan,
    Deduplicate,
    IndexSources,
    ReadRecords,
    StageDocuments,
    WriteParts,
)
from newsprov.core.errors import Failure, InputError
from newsprov.core.files import write_atomic
from newsprov.core.layout import (
    COLLECT_SKIPPED,
    COLLECT_SOURCE_INDEX,
    COLLECT_STATS,
    COLLECT_WORK_SUFFIX,
    COLLECTION_ATTRIBUTES,
    COLLECTION_DOCUMENTS,
    PRE_LAYER,
)
from newsprov.store.shards import shard_name

PAGES_PER_TASK = 1000       # saved pages of a folder per task
SHARD_DOCUMENTS = 2500      # documents per shard of a task's part


@dataclass(frozen=True)
class CollectStats:
    records: int
    accepted: int
    skipped: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "accepted": self.accepted,
                "skipped": dict(sorted(self.skipped.items())),
                "skipped_total": sum(self.skipped.values())}


def work_dir(out: Path) -> Path:
    return out.parent / f".{out.name}{COLLECT_WORK_SUFFIX}"


def collect(inputs: list[Path], out: Path, name: str, execution: Execution,
            today: dt.date | None = None, fetch: PoliteFetcher | None = None,
            pages_per_task: int = PAGES_PER_TASK, shard_documents: int = SHARD_DOCUMENTS,
            source_index: Path | None = None, index_sources: bool = False
            ) -> CollectStats | None:
    """Collect ``inputs`` into the collection ``out`` (which must not exist); its statistics,
    or None when the stages were submitted to Slurm (``--resume`` finishes the run).

    ``source_index``: find each document's sources in that index of originals;
    ``index_sources``: give the collection the source finder's index of its documents."""
    if source_index is not None and not source_index.is_file():
        raise InputError(source_index, None, "no source index here", check="input-not-found")
    for path in inputs:
        if not path.exists():
            raise InputError(path, None, "no such file or folder", check="input-not-found")
    if out.exists():
        raise Failure(f"{out} exists already; collect into a new folder")
    work = work_dir(out)
    if not execution.resume:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    tasks = plan_inputs(inputs, pages_per_task)
    if not tasks:
        raise InputError(inputs[0], None, "no input records: the folders hold no files",
                         check="no-input-records")
    planned_run(work, hashlib.sha256(repr(tasks).encode()).hexdigest(), "collect")
    plan = CollectPlan(tuple(tasks), work, name, today or dt.date.today(), shard_documents,
                       fetch or PoliteFetcher(), source_index, index_sources)
    if not run_stages(stages(plan), work / "logs", execution, "newsprov-collect"):
        return None
    stats = run_stats(plan)
    if stats.records != stats.accepted + sum(stats.skipped.values()):
        raise Failure(f"records were lost: {stats.records} read, {stats.accepted} accepted, "
                      f"{sum(stats.skipped.values())} skipped; the work folder {work} is kept")
    assemble(plan, out, stats)
    shutil.rmtree(work)
    return stats


def stages(plan: CollectPlan) -> list[Stage]:
    """Each stage's steps and number of tasks."""
    per_input = len(plan.inputs)
    pipelines = [([ReadRecords(plan), *(f(plan.samples) for f in FILTERS),
                   StageDocuments(plan)], per_input),
                 ([Deduplicate(plan)], 1),
                 ([WriteParts(plan)], per_input),
                 *([([IndexSources(plan)], 1)] if plan.index_sources else [])]
    return [Stage(f"stage {number}", pipeline, tasks)
            for number, (pipeline, tasks) in enumerate(pipelines, start=1)]


def stage_totals(logs: Path) -> dict[str, int]:
    """datatrove's counters of one stage, summed over its steps and tasks."""
    total = logged_stats(logs)
    counts: dict[str, int] = {}
    for step in total.stats:
        for key, metric in step.stats.items():
            if key == "records" or key.startswith("dropped_") or \
                    (key == "documents" and step.name.endswith(WriteParts.name)):
                counts[key] = counts.get(key, 0) + int(getattr(metric, "total", metric))
    return counts


def run_stats(plan: CollectPlan) -> CollectStats:
    counts: dict[str, int] = {}
    for number in range(1, len(stages(plan)) + 1):
        for key, value in stage_totals(plan.work / "logs" / str(number)).items():
            counts[key] = counts.get(key, 0) + value
    return CollectStats(counts.pop("records", 0), counts.pop("documents", 0),
                        {key.removeprefix("dropped_"): n for key, n in counts.items()})


def assemble(plan: CollectPlan, out: Path, stats: CollectStats) -> None:
    """The tasks' shards renumbered in task order, the statistics and the skip samples, in a
    staging folder renamed to ``out``: the collection appears whole or not at all. Shards
    are hard-linked, so the work folder stays whole until then (a run killed here resumes)."""
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / COLLECTION_DOCUMENTS).mkdir(parents=True)
    number = 0
    for rank in range(len(plan.inputs)):
        part = plan.parts(rank)
        for shard in sorted((part / COLLECTION_DOCUMENTS).glob("*")):
            target = shard_name(number)
            os.link(shard, staging / COLLECTION_DOCUMENTS / target)
            layer = staging / COLLECTION_ATTRIBUTES / PRE_LAYER
            layer.mkdir(parents=True, exist_ok=True)
            os.link(part / COLLECTION_ATTRIBUTES / PRE_LAYER / shard.name, layer / target)
            number += 1
    if plan.index_sources:
        os.link(plan.index, staging / COLLECT_SOURCE_INDEX)
    if plan.samples.is_dir():
        shutil.copytree(plan.samples, staging / COLLECT_SKIPPED)
    write_atomic(staging / COLLECT_STATS, json.dumps(stats.as_dict(), indent=1) + "\n")
    staging.rename(out)
