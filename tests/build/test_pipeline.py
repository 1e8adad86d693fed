"""The build as a datatrove pipeline: the same bytes whatever runs it (1 or 2 local workers,
Ray in local mode), on both layouts; a killed build resumes to the same export; the Slurm
executor is wired (a stub ``sbatch`` records what it is given: this checks the wiring, not a
cluster)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import kill_midrun

from newsprov.build.execution import Execution, SlurmOptions
from newsprov.build.executors import EXECUTOR_LOG
from newsprov.build.pipeline import build, work_dir
from newsprov.core.layout import BUILD_STATS, COLLECTION_DIR, DOCUMENTS_DIR, REPO
from newsprov.store.shards import documents_to_collection

sys.path.insert(0, str(REPO / "scripts"))
from synth_corpus import generate

DOCUMENTS = 60               # synthetic documents: a few tasks, a few seconds
TASK_DOCUMENTS = 16          # four tasks; stories (of three) cross task boundaries


def tree_bytes(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def sharded(root: Path, target: Path) -> Path:
    """The same corpus in the sharded layout (the converter, shards as large as tasks)."""
    target.mkdir()
    for name in ("release.json", "CHANGELOG.md"):
        (target / name).write_bytes((root / name).read_bytes())
    (target / "corpus").mkdir()
    (target / "corpus" / "splits.json").write_bytes((root / "corpus" / "splits.json").read_bytes())
    documents_to_collection(root, target / COLLECTION_DIR, TASK_DOCUMENTS)
    return target


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("pipeline")
    documents = base / "documents"
    generate(documents, DOCUMENTS, workers=1)
    return {"documents": documents, "shards": sharded(documents, base / "shards")}


@pytest.fixture(scope="module")
def reference(corpora: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
              ) -> dict[str, bytes]:
    """The export of one local worker from the per-document layout."""
    out = tmp_path_factory.mktemp("reference") / "data"
    build(corpora["documents"], out, validate=False, execution=Execution(workers=1),
          task_documents=TASK_DOCUMENTS)
    return tree_bytes(out)


def built(root: Path, out: Path, execution: Execution) -> dict[str, bytes]:
    build(root, out, validate=False, execution=execution, task_documents=TASK_DOCUMENTS)
    assert not work_dir(out).exists()
    return tree_bytes(out)


@pytest.mark.parametrize("layout", ["documents", "shards"])
@pytest.mark.parametrize("workers", [1, 2])
def test_export_is_the_same_for_any_number_of_workers_and_either_layout(
        corpora: dict[str, Path], reference: dict[str, bytes], tmp_path: Path,
        layout: str, workers: int) -> None:
    export = built(corpora[layout], tmp_path / "data", Execution(workers=workers))
    assert sum(name.startswith("documents/train-") for name in export) == 4  # a part a task
    assert export == reference
    # A collection's gold shards are checked on columns, per-document files record by record.
    stats = json.loads((tmp_path / BUILD_STATS).read_text(encoding="utf-8"))
    checked = {name: counts["total"]
               for name, counts in stats["1 read documents"][0]["stats"].items()
               if name.startswith("documents checked")}
    how = "on columns" if layout == "shards" else "record by record"
    assert checked == {f"documents checked {how}": DOCUMENTS}


def test_ray_in_local_mode_writes_the_same_export(
        corpora: dict[str, Path], reference: dict[str, bytes], tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, object_store_memory=200 * 2**20, include_dashboard=False,
             log_to_driver=False)
    try:
        for layout, root in corpora.items():
            export = built(root, tmp_path / layout / "data",
                           Execution(workers=2, executor="ray"))
            assert export == reference, layout
    finally:
        ray.shutdown()


def test_both_layouts_at_once(corpora: dict[str, Path], tmp_path: Path) -> None:
    """The curated part in folders and a bulk collection in shards build together."""
    root = tmp_path / "both"
    generate(root, 6, workers=1, seed=1)
    out = tmp_path / "data"
    manifest = build(root, out, validate=False, task_documents=TASK_DOCUMENTS,
                     collection=corpora["shards"] / COLLECTION_DIR)
    assert manifest is not None
    assert sum(manifest["tables"]["documents"].values()) == 6 + DOCUMENTS


def test_the_console_shows_nothing_of_datatrove(corpora: dict[str, Path], tmp_path: Path
                                                ) -> None:
    """datatrove's messages stay in the work folder's logs, in the command's process and in
    the workers' alike: a build prints its summary, a build of bad input its one line."""
    root = tmp_path / "corpus"
    shutil.copytree(corpora["documents"], root)
    command = [str(Path(sys.executable).parent / "newsprov"), "build", "--root", str(root),
               "--no-validate", "--workers", "2", "--task-documents", str(TASK_DOCUMENTS)]
    built = subprocess.run([*command, "--out", str(tmp_path / "data")], capture_output=True,
                           text=True)
    assert built.returncode == 0 and built.stderr == ""
    assert built.stdout.splitlines()[0].startswith("newsprov ")
    assert "datatrove" not in built.stdout
    broken = sorted((root / DOCUMENTS_DIR).iterdir())[DOCUMENTS // 2] / "metadata.json"
    broken.write_text("{", encoding="utf-8")
    refused = subprocess.run([*command, "--out", str(tmp_path / "refused")],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith(f"error: {broken}: invalid JSON")
    assert refused.stderr.count("\n") == 1


# ------------------------------------------------------------------ resuming


def completions(out: Path, step: int) -> list[Path]:
    return sorted((work_dir(out) / "logs" / str(step) / "completions").glob("*"))


def test_a_killed_build_resumes_to_the_same_export(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    generate(root, 300, workers=1)
    reference = tmp_path / "reference"
    build(root, reference, validate=False, execution=Execution(workers=1), task_documents=20)
    out = tmp_path / "data"
    command = [str(Path(sys.executable).parent / "newsprov"), "build", "--root", str(root),
               "--out", str(out), "--no-validate", "--workers", "2", "--task-documents", "20"]
    kill_midrun(command, lambda: bool(completions(out, 3)))
    finished = completions(out, 3)
    assert 0 < len(finished) < 15, "killed while the export step was running"
    assert not out.exists()                          # nothing was published
    # The resumed build's log of step 3, read while its work folder is there (publishing
    # removes it).
    logged: list[str] = []
    build(root, out, validate=False, execution=Execution(workers=2, resume=True),
          task_documents=20, after_switch=lambda manifest: logged.append(
              (work_dir(out) / "logs" / "3" / EXECUTOR_LOG).read_text(encoding="utf-8")))
    assert f"Skipping {len(finished)} already completed tasks" in logged[0]
    assert tree_bytes(out) == tree_bytes(reference)


# ------------------------------------------------------------------ Slurm


SBATCH_STUB = """#!/bin/sh
# Records its command line and the submitted script; answers as sbatch does.
n=$(ls "$SBATCH_RECORD" | grep -c args)
printf '%s\\n' "$@" > "$SBATCH_RECORD/$n.args"
for last; do :; done
cp "$last" "$SBATCH_RECORD/$n.script"
echo "Submitted batch job $((1000 + n))"
"""

SCONTROL_STUB = """#!/bin/sh
# 'scontrol show hostnames <nodelist>', which a job asks for its nodes.
echo localhost
"""


def test_slurm_executor_submits_the_steps_as_dependent_jobs(
        corpora: dict[str, Path], reference: dict[str, bytes], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The wiring, not a cluster: a stub sbatch on PATH records the jobs; running each job's
    command as Slurm would (array index in the environment), then ``--resume``, publishes
    the export of a local build."""
    bin_dir, record = tmp_path / "bin", tmp_path / "submitted"
    bin_dir.mkdir()
    record.mkdir()
    for name, script in (("sbatch", SBATCH_STUB), ("scontrol", SCONTROL_STUB)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod((bin_dir / name).stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SBATCH_RECORD", str(record))
    out = tmp_path / "data"
    manifest = build(corpora["shards"], out, validate=False, task_documents=TASK_DOCUMENTS,
                     execution=Execution(workers=2, executor="slurm",
                                         slurm=SlurmOptions("cpu", time="00:30:00")))
    assert manifest is None and not out.exists()
    # each step: its job array, then datatrove's job merging the step's statistics
    scripts = [(record / f"{n}.script").read_text() for n in range(8)]
    arguments = [(record / f"{n}.args").read_text().split("\n") for n in range(8)]
    steps = scripts[0::2]
    arrays = ["--array=0-3%2", "--array=0-0%2", "--array=0-3%2", "--array=0-0%2"]
    for number, (script, array) in enumerate(zip(steps, arrays, strict=True), start=1):
        assert "#SBATCH --partition=cpu" in script
        assert "#SBATCH --time=00:30:00" in script
        assert f"#SBATCH {array}" in script
        logs = work_dir(out) / "logs" / str(number)
        assert f"launch_pickled_pipeline {logs}/executor.pik" in script
        assert (logs / "executor.pik").is_file()
        assert f"source {sys.prefix}/bin/activate" in script
    for number in range(1, 4):                       # step n+1 waits for step n
        assert f"--dependency=afterok:{1000 + 2 * (number - 1)}" in arguments[2 * number]
    assert not (record / "8.args").exists()
    launch = Path(sys.executable).parent / "launch_pickled_pipeline"
    for number, array in enumerate(arrays, start=1):
        for index in range(int(array.split("-")[-1].split("%")[0]) + 1):
            subprocess.run([str(launch), str(work_dir(out) / "logs" / str(number) /
                                             "executor.pik")],
                           env={**os.environ, "SLURM_ARRAY_TASK_ID": str(index),
                                "SLURM_NODELIST": "localhost"},
                           check=True, capture_output=True)
    build(corpora["shards"], out, validate=False, task_documents=TASK_DOCUMENTS,
          execution=Execution(workers=1, resume=True))
    assert tree_bytes(out) == reference
