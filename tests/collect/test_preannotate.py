"""``newsprov pre-annotate``: the detectors over a collection as its ``pre`` layer, the same
bytes for 1 or 2 local workers and Ray, the hits ``newsprov detect`` finds; a killed run
resumed to the same bytes; an existing layer kept without --force; a bad document refused
with nothing changed; the collection still builds."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import kill_midrun

from newsprov.build.execution import Execution
from newsprov.build.pipeline import build
from newsprov.cli import main
from newsprov.collect.preannotate import pre_annotate, stats_file, work_dir
from newsprov.core.files import read_json
from newsprov.core.layout import COLLECTION_ATTRIBUTES, COLLECTION_DIR, PRE_DIR, PRE_LAYER, REPO
from newsprov.store.shards import Collection, attribute_record, read_lines, shard_name

sys.path.insert(0, str(REPO / "scripts"))
from synth_corpus import generate

DOCUMENTS = 60
SHARD_DOCUMENTS = 16        # four shards: four tasks


def tree_bytes(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def layer(collection: Path) -> dict[str, bytes]:
    return tree_bytes(collection / "attributes" / "pre")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository of synthetic documents in the per-document layout."""
    root = tmp_path_factory.mktemp("preannotate") / "documents"
    generate(root, DOCUMENTS, workers=1)
    return root


@pytest.fixture
def collection(synthetic: Path, tmp_path: Path) -> Path:
    """The same documents as a collection with their gold layer (the converter)."""
    result = CliRunner().invoke(main, ["convert", "--root", str(synthetic), "--to", "shards",
                                       "--collection", str(tmp_path / "collection"),
                                       "--shard-documents", str(SHARD_DOCUMENTS)])
    assert result.exit_code == 0, result.output
    return tmp_path / "collection"


def pre_annotated(collection: Path, execution: Execution) -> dict[str, bytes]:
    stats = pre_annotate(collection, execution)
    assert stats is not None and stats["documents"] == DOCUMENTS
    assert not work_dir(collection).exists()
    assert len(read_json(stats_file(collection))["detect"]) == 1
    return layer(collection)


def test_same_bytes_for_1_and_2_workers_with_the_hits_of_detect(
        synthetic: Path, collection: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(collection, other)
    one = pre_annotated(collection, Execution(workers=1))
    assert list(one) == [shard_name(n) for n in range(4)]
    assert pre_annotated(other, Execution(workers=2)) == one
    detected = tmp_path / "detected"
    shutil.copytree(synthetic, detected)
    result = CliRunner().invoke(main, ["detect", "--root", str(detected), "--write-pre"])
    assert result.exit_code == 0, result.output
    hits = 0
    for shard in Collection(collection).shards():
        pre = Collection(collection).attribute_shard(shard, "pre")
        for (number, line), (_, attribute) in zip(read_lines(shard), read_lines(pre),
                                                  strict=True):
            annotations = attribute_record(attribute, line["id"], f"{pre}:{number}")
            assert annotations == read_json(detected / PRE_DIR / f"{line['id']}.json")
            hits += len(annotations["span_flags"])
    assert hits > 0


def test_ray_in_local_mode_writes_the_same_bytes(collection: Path, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    other = tmp_path / "other"
    shutil.copytree(collection, other)
    reference = pre_annotated(collection, Execution(workers=1))
    ray.init(num_cpus=2, object_store_memory=200 * 2**20, include_dashboard=False,
             log_to_driver=False)
    try:
        assert pre_annotated(other, Execution(workers=2, executor="ray")) == reference
    finally:
        ray.shutdown()


def test_an_existing_layer_is_kept_without_force(collection: Path) -> None:
    pre_annotate(collection, Execution(workers=1))
    before = tree_bytes(collection)
    result = CliRunner().invoke(main, ["pre-annotate", str(collection), "--workers", "1"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "exists already" in result.output
    assert "--force" in result.output
    assert tree_bytes(collection) == before
    result = CliRunner().invoke(main, ["pre-annotate", str(collection), "--workers", "1",
                                       "--force"])
    assert result.exit_code == 0, result.output
    assert f"{DOCUMENTS} documents pre-annotated" in result.output
    assert tree_bytes(collection) == before


def changed_text(line: bytes) -> bytes:
    return line.replace(b'"text": "', b'"text": "Changed. ', 1)


def not_json(line: bytes) -> bytes:
    return b'{"id": "cut short\n'


@pytest.mark.parametrize(("corrupt", "problem"), [
    (changed_text, "{id}: text does not match the sha256 recorded in metadata.json (the text "
                   "was changed after it was collected)"),
    (not_json, "invalid JSON: "),
])
def test_a_bad_shard_line_is_refused_and_nothing_changes(
        collection: Path, corrupt: Callable[[bytes], bytes], problem: str) -> None:
    """One located line, exit 2; neither the old layer nor its statistics change."""
    pre_annotate(collection, Execution(workers=1))
    shard = collection / "documents" / shard_name(2)
    lines = gzip.decompress(shard.read_bytes()).splitlines(keepends=True)
    doc_id = json.loads(lines[2])["id"]
    lines[2] = corrupt(lines[2])
    shard.write_bytes(gzip.compress(b"".join(lines), mtime=0))
    before = tree_bytes(collection.parent)
    result = CliRunner().invoke(main, ["pre-annotate", str(collection), "--workers", "2",
                                       "--force"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {shard}:3: {problem.format(id=doc_id)}")
    assert result.output.count("\n") == 1
    assert tree_bytes(collection.parent) == before
    assert not work_dir(collection).exists()


def completions(collection: Path) -> list[Path]:
    return sorted((work_dir(collection) / "logs" / "1" / "completions").glob("*"))


def test_a_killed_run_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    root = tmp_path / "root"
    generate(root, 300, workers=1, layout="shards", shard_documents=20)
    collection = root / COLLECTION_DIR
    reference = tmp_path / "reference"
    shutil.copytree(collection, reference)
    pre_annotate(reference, Execution(workers=1))
    command = [str(Path(sys.executable).parent / "newsprov"), "pre-annotate", str(collection),
               "--workers", "2"]
    kill_midrun(command, lambda: bool(completions(collection)))
    finished = completions(collection)
    assert 0 < len(finished) < 15, "killed while the tasks were running"
    assert not (collection / "attributes" / "pre").exists()     # nothing was installed
    shards = list(Collection(collection).shards())
    done = [shards[int(marker.name)].name for marker in finished]
    written = {name: file_identity(work_dir(collection) / PRE_LAYER / name) for name in done}
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    # the finished tasks' shards were installed as written, not redone (a rename keeps them)
    installed = collection / COLLECTION_ATTRIBUTES / PRE_LAYER
    assert {name: file_identity(installed / name) for name in done} == written
    assert layer(collection) == layer(reference)


def file_identity(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_ino, status.st_mtime_ns


def test_the_pre_annotated_collection_builds_as_before(tmp_path: Path) -> None:
    """Pre-annotations are not gold: the export does not change."""
    root = tmp_path / "root"
    generate(root, DOCUMENTS, workers=1, layout="shards", shard_documents=SHARD_DOCUMENTS)
    build(root, tmp_path / "before", validate=False, task_documents=SHARD_DOCUMENTS)
    pre_annotate(root / COLLECTION_DIR, Execution(workers=2))
    result = CliRunner().invoke(main, [
        "build", "--root", str(root), "--collection", str(root / COLLECTION_DIR), "--out",
        str(tmp_path / "after"), "--no-validate", "--task-documents", str(SHARD_DOCUMENTS)])
    assert result.exit_code == 0, result.output
    assert tree_bytes(tmp_path / "after") == tree_bytes(tmp_path / "before")
