"""``newsprov pre-annotate``: every detector over a collection's documents, as its ``pre``
attribute layer, on the build's engine (local workers, Ray or Slurm).

One task per documents shard reads the shard as the build does (each document checked:
``build.inputs.ShardRange``) and writes the shard's ``attributes/pre`` shard into the work
folder beside the collection, through a temporary name. A task's output depends on its
shard and the run's date only, so the layer has the same bytes whatever runs it. Only when
every task has finished without bad input does the layer replace the collection's (one
rename): a bad document or a killed run leaves the collection as it was, and ``--resume``
redoes only the unfinished tasks (datatrove's completion markers; the date of the
interrupted run is kept in the work folder).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsprov.annotate.detectors import detector_of, pre_annotations
from newsprov.build.execution import Execution, planned_run
from newsprov.build.executors import Stage, logged_stats, run_stages
from newsprov.build.inputs import ShardRange
from newsprov.build.plan_step import PlanStep, read_error, record_error
from newsprov.core.errors import Failure, InputError
from newsprov.core.files import write_atomic
from newsprov.core.layout import (
    COLLECTION_ATTRIBUTES,
    PRE_ANNOTATE_STATS,
    PRE_ANNOTATE_WORK_SUFFIX,
    PRE_LAYER,
)
from newsprov.store.shards import ATTRIBUTE_KEYS, Collection, ShardWriter


@dataclass(frozen=True)
class PreAnnotatePlan:
    """Everything a task needs, picklable: the shards by rank and where outputs go."""

    collection: Path
    shards: tuple[Path, ...]
    work: Path
    date: dt.date                   # the pre-annotations' provenance date (and today's checks)

    @property
    def layer(self) -> Path:
        """The new layer, one shard per task, renamed into the collection when whole."""
        return self.work / PRE_LAYER

    @property
    def logs(self) -> Path:
        return self.work / "logs"

    def error_file(self, rank: int) -> Path:
        return self.work / "errors" / f"{rank:05d}.json"

    def recorded_errors(self) -> list[Path]:
        return sorted((self.work / "errors").glob("*.json"))


class DetectShard(PlanStep):
    """The detectors' flags of every document of one shard, line-aligned with it; bad input
    is recorded for the run to report in one line, not raised across processes."""

    name = "detect"
    type = "newsprov pre-annotate"
    plan: PreAnnotatePlan

    def run(self, data: Any = None, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        shard = self.plan.shards[rank]
        writer = ShardWriter(self.plan.layer / shard.name)
        try:
            with self.track_time(unit="task"):
                self.detect(shard, writer)
        except InputError as error:     # the layer is then never installed
            record_error(self.plan.error_file(rank), error)
        writer.close()
        yield from ()

    def detect(self, shard: Path, writer: ShardWriter) -> None:
        for entry in ShardRange(self.plan.collection, shard).entries(self.plan.date):
            if entry.document is None:      # gold lines beyond the documents: the build's error
                break
            annotations = pre_annotations(entry.document, self.plan.date.isoformat())
            writer.write(dict(zip(ATTRIBUTE_KEYS, (entry.document.id, annotations),
                                  strict=True)))
            self.stat_update("documents")
            for flag in annotations["span_flags"]:
                self.stat_update(f"hits_{detector_of(flag).name}")


def work_dir(collection: Path) -> Path:
    return collection.parent / f".{collection.name}{PRE_ANNOTATE_WORK_SUFFIX}"


def stats_file(collection: Path) -> Path:
    return collection.parent / str(PRE_ANNOTATE_STATS).format(collection=collection.name)


def pre_annotate(collection: Path, execution: Execution, force: bool = False
                 ) -> dict[str, int] | None:
    """Write the ``pre`` layer of ``collection``; the run's counts (``documents``,
    ``hits_<detector>``), or None when the tasks were submitted to Slurm (``--resume``
    installs the layer)."""
    shards = tuple(Collection(collection).shards())
    if not shards:
        raise Failure(f"{collection} holds no documents shards")
    layer = collection / COLLECTION_ATTRIBUTES / PRE_LAYER
    if layer.exists() and not force:
        raise Failure(f"{layer} exists already; pre-annotate with --force to replace it")
    work = work_dir(collection)
    if not execution.resume:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    plan = PreAnnotatePlan(collection, shards, work,
                           planned_date(work, shards, dt.date.today()))
    if not run_tasks(plan, execution):
        return None
    stats = logged_stats(plan.logs / "1")
    install(plan, layer)
    write_atomic(stats_file(collection), json.dumps(
        {DetectShard.name: json.loads(stats.to_json())}, indent=1) + "\n")
    shutil.rmtree(work)
    return {key: int(getattr(metric, "total", metric))
            for step in stats.stats for key, metric in sorted(step.stats.items())}


def run_tasks(plan: PreAnnotatePlan, execution: Execution) -> bool:
    """Run a task per shard; False if they were submitted to Slurm instead."""
    def raise_recorded_error() -> None:
        if errors := plan.recorded_errors():
            error = read_error(errors[0])
            shutil.rmtree(plan.work)                # bad input: nothing to resume
            raise error

    stage = Stage(f"step {DetectShard.name!r}", [DetectShard(plan)], len(plan.shards))
    return run_stages([stage], plan.logs, execution, "newsprov-pre-annotate",
                      raise_recorded_error)


def planned_date(work: Path, shards: tuple[Path, ...], today: dt.date) -> dt.date:
    """The run's date: a resumed run keeps the interrupted one's, and must have its shards."""
    digest = hashlib.sha256(repr([(shard.name, shard.stat().st_size, shard.stat().st_mtime_ns)
                                  for shard in shards]).encode()).hexdigest()
    return dt.date.fromisoformat(
        planned_run(work, digest, "pre-annotate", date=today.isoformat())["date"])


def install(plan: PreAnnotatePlan, layer: Path) -> None:
    """The new layer in place of the old one: the old one is moved into the work folder
    first (a directory cannot replace another in one rename), then the new one renamed in."""
    if layer.exists():
        replaced = plan.work / f"replaced-{PRE_LAYER}"
        shutil.rmtree(replaced, ignore_errors=True)     # left by a run killed after its swap
        layer.rename(replaced)
    layer.parent.mkdir(parents=True, exist_ok=True)
    plan.layer.rename(layer)
