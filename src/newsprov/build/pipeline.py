"""``newsprov build`` as a datatrove pipeline: plan the tasks, run the steps on an executor,
assemble the export in a staging folder, then validate and publish it (``export``).

Tasks own fixed document ranges of the input (``TASK_DOCUMENTS`` folders of the per-document
layout, or one shard of a collection), so the export depends on the input only: the same
bytes for 1 or 2 local workers, Ray or Slurm. Task outputs and datatrove's completion markers
stay in a work folder beside the export until the build is published, so ``--resume`` after
a killed run redoes only the unfinished tasks; ``data/`` is only ever replaced whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from newsprov.build.execution import Execution, planned_run
from newsprov.build.executors import Stage, import_in_workers, run_stages, step_stats
from newsprov.build.export import (
    check_not_overwriting_release,
    name_shards,
    validate_staged_export,
    write_manifest,
)
from newsprov.build.inputs import TASK_DOCUMENTS, FolderRange, ShardRange, TaskInput
from newsprov.build.plan_step import read_error
from newsprov.build.publication import (
    build_lock,
    check_writable,
    publish,
    remove_leftovers,
    staging_folder,
)
from newsprov.build.steps import STEPS, BuildPlan
from newsprov.core.errors import InputError
from newsprov.core.files import write_atomic
from newsprov.core.layout import (
    BUILD_STATS,
    BUILD_WORK_SUFFIX,
    COLLECTION_DIR,
    DATA_DIR,
    DOCUMENTS_DIR,
    GOLD_DIR,
)
from newsprov.store.annotations import AnnotationSet
from newsprov.store.corpus import CorpusOnDisk
from newsprov.store.release import Release, read_release
from newsprov.store.shards import Collection


def build(root: Path, out: Path | None = None, *, validate: bool = True,
          execution: Execution | None = None, collection: Path | None = None,
          task_documents: int | None = None,
          after_switch: Callable[[dict[str, Any]], None] | None = None
          ) -> dict[str, Any] | None:
    """Build the release of the repository at ``root`` into ``out`` (default ``data/``) from
    its per-document corpus and/or a collection of shards (``build.pipeline``).

    The documents are checked and converted by tasks of fixed document ranges, so memory
    does not grow with the corpus; a bad input stops the build before anything is
    published. ``after_switch`` runs once the new manifest is in place and before the old
    shards go (``publication.publish``): it rewrites what else names the files. Returns the
    manifest, or None when the work was submitted to Slurm.
    """
    out = out or root / DATA_DIR
    execution = execution or Execution()    # the validation runs as the build does
    release = read_release(root)
    if validate:    # its steps run after the build's, from the same forkserver
        import_in_workers(execution, "newsprov.build.validation")
    with build_lock(out):
        check_writable(out)
        remove_leftovers(out)
        staging = staging_folder(out)
        try:
            with pipelined_export(root, out, staging, release, execution,
                                  collection, task_documents or TASK_DOCUMENTS) as manifest:
                if manifest is None:                 # submitted to Slurm
                    return None
                check_not_overwriting_release(out, manifest, release)
                if validate:
                    validate_staged_export(staging, out, execution)
                publish(staging, out, manifest, after_switch)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return manifest


def work_dir(out: Path) -> Path:
    return out.parent / f".{out.name}{BUILD_WORK_SUFFIX}"


def plan_tasks(root: Path, collection: Path | None, work: Path,
               task_documents: int) -> tuple[TaskInput, ...]:
    """The input ranges: folders of the per-document layout, then the collection's shards."""
    tasks: list[TaskInput] = []
    if (root / DOCUMENTS_DIR).is_dir() or collection is None:
        corpus = CorpusOnDisk(root)             # raises when there is no corpus at all
        gold_dir = root / GOLD_DIR
        if gold_dir.is_dir():
            gold = AnnotationSet(gold_dir, corpus)
            for path in gold.files_without_document(corpus.directory):
                gold.check(path)                # raises: a file of no document cannot pass
        ids = list(corpus)
        for start in range(0, len(ids), task_documents):
            ids_file = work / "inputs" / f"{len(tasks):05d}.ids"
            write_atomic(ids_file, "".join(f"{i}\n" for i in ids[start:start + task_documents]))
            tasks.append(FolderRange(root, ids_file))
    if collection is not None:
        tasks.extend(ShardRange(collection, shard) for shard in Collection(collection).shards())
    return tuple(tasks)


def fingerprint(tasks: tuple[TaskInput, ...]) -> str:
    """What a resumed build must share with the interrupted one: the same task inputs."""
    digest = hashlib.sha256()
    for task in tasks:
        digest.update(repr(task).encode())
        if isinstance(task, FolderRange):
            digest.update(task.ids_file.read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def pipelined_export(root: Path, out: Path, staging: Path, release: Release,
                     execution: Execution, collection: Path | None, task_documents: int
                     ) -> Iterator[dict[str, Any] | None]:
    """Run the steps and assemble the export in ``staging``; give its manifest (None when
    the steps were submitted to Slurm: ``--resume`` assembles once the jobs are done).

    The work folder is removed when the caller's block ends, or on bad input; it is kept for
    ``--resume`` when the steps did not all finish.
    """
    if collection is None and (root / COLLECTION_DIR).is_dir():
        collection = root / COLLECTION_DIR
    work = work_dir(out)
    if not execution.resume:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    steps_done = False
    try:
        tasks = plan_tasks(root, collection, work, task_documents)
        planned_run(work, fingerprint(tasks), "build")
        plan = BuildPlan(root, work, out, tasks, release, dt.date.today())
        if not run_steps(plan, execution):
            yield None
            return
        steps_done = True
        manifest = assemble(plan, staging)
        write_atomic(out.parent / BUILD_STATS, json.dumps(step_stats(work, STEPS), indent=1) + "\n")
        yield manifest
    except BaseException as error:
        if steps_done or isinstance(error, InputError):
            shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)


def run_steps(plan: BuildPlan, execution: Execution) -> bool:
    """Run the steps in order; False if they were submitted to Slurm instead."""
    def raise_recorded_error() -> None:
        if errors := plan.recorded_errors():
            raise read_error(errors[0])

    stages = [Stage(f"step {step_class.name!r}", [step_class(plan)],
                    1 if step_class.across_inputs else len(plan.tasks))
              for step_class in STEPS]
    return run_stages(stages, plan.work / "logs", execution, "newsprov-build",
                      raise_recorded_error)


def assemble(plan: BuildPlan, staging: Path) -> dict[str, Any]:
    """The tasks' parts, in task order, named as the release's shards; the manifest."""
    parts: dict[tuple[str, str], list[tuple[Path, int]]] = {}
    for rank in range(len(plan.tasks)):
        directory = plan.parts_dir(rank)
        listing = json.loads((directory / "shards.json").read_text(encoding="utf-8"))
        for key, shards in listing.items():
            table, split = key.split("/")
            parts.setdefault((table, split), []).extend(
                (directory / path, rows) for path, rows in shards)
    files = []
    for (table, split), shards in sorted(parts.items()):
        directory = staging / table
        directory.mkdir(parents=True, exist_ok=True)
        files += name_shards(directory, table, split, list(linked(shards, directory, split)))
    return write_manifest(staging, files, plan.release)


def linked(shards: list[tuple[Path, int]], directory: Path, split: str
           ) -> Iterator[tuple[Path, int]]:
    """Hard links of the parts in the staging folder: the work folder stays whole until the
    export is published, so a build killed while assembling still resumes."""
    for number, (path, rows) in enumerate(shards):
        target = directory / f".{split}-{number:05d}.partial"
        os.link(path, target)
        yield target, rows
