"""Publication of a build into data/: fresh `datasets` loads after a rebuild, no window
without a readable export when a build is killed, a lock, permissions, leftovers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newsprov.build.pipeline import build
from newsprov.build.publication import build_lock
from newsprov.cli import main
from newsprov.core.errors import Failure
from newsprov.core.files import file_sha256
from newsprov.core.layout import GOLD_DIR, MANIFEST
from newsprov.publish.card import FRONT_MATTER
from newsprov.store.release import read_manifest

FIRST = "000_6ed1f7236875d9ca"


def cli_build(root: Path, *options: str) -> None:
    result = CliRunner().invoke(main, ["build", "--root", str(root), "--no-validate", *options])
    assert result.exit_code == 0, result.output


Bump = Callable[[Path, str, str], None]


def relabel_first_entity(root: Path, next_version: Bump, suffix: str = "-corrected") -> None:
    """A correction: a patch version of the released 1.0.0."""
    path = root / GOLD_DIR / f"{FIRST}.json"
    data = json.loads(path.read_text())
    data["mentions"][0]["entity_id"] += suffix
    path.write_text(json.dumps(data))
    next_version(root, "1.0.1", "An entity id corrected.")


def first_entity(root: Path) -> str:
    mentions = datasets.load_dataset(str(root), "mentions")["test"]
    return mentions.filter(lambda row: row["id"] == f"{FIRST}:m1")[0]["entity_id"]


def card_paths(root: Path) -> list[str]:
    """Every data file the README's configs name."""
    import yaml

    match = FRONT_MATTER.match((root / "README.md").read_text())
    assert match
    card = yaml.safe_load(match.group(0).strip("-\n"))
    paths = []
    for config in card["configs"]:
        for files in config["data_files"]:
            path = files["path"]
            paths += [path] if isinstance(path, str) else path
    return paths


# ------------------------------------------------------------------ item 1: stale loads


def test_a_rebuilt_release_loads_fresh_from_the_real_cache(scratch_repo: Path,
                                                           next_version: Bump) -> None:
    """`datasets` keys its cache of a local folder on the card's data files: with a pattern
    (``test-*.parquet``) a rebuild kept its name and the old rows came from the cache."""
    cli_build(scratch_repo)
    before = first_entity(scratch_repo)
    relabel_first_entity(scratch_repo, next_version)
    cli_build(scratch_repo)
    assert first_entity(scratch_repo) == before + "-corrected"
    assert all(path.startswith("data/") and "*" not in path for path in card_paths(scratch_repo))


def test_a_clone_in_a_folder_of_the_same_name_loads_its_own_rows(
        tmp_path: Path, copy_inputs: Callable[[Path], Path], next_version: Bump) -> None:
    first = copy_inputs(tmp_path / "a" / "newsprov")
    second = copy_inputs(tmp_path / "b" / "newsprov")
    relabel_first_entity(second, next_version, "-second-clone")
    cli_build(first)
    cli_build(second)
    assert first_entity(first) != first_entity(second)
    assert first_entity(second).endswith("-second-clone")


def test_a_stray_parquet_file_is_not_loaded(scratch_repo: Path) -> None:
    cli_build(scratch_repo)
    claims = scratch_repo / "data" / "claims"
    rows = datasets.load_dataset(str(scratch_repo), "claims")["test"].num_rows
    shutil.copy(next(claims.glob("*.parquet")), claims / "test-stray.parquet")
    assert datasets.load_dataset(str(scratch_repo), "claims")["test"].num_rows == rows == 80


def test_a_file_replaced_by_garbage_never_loads_other_rows(scratch_repo: Path) -> None:
    """From the cache, a shard's name promises its content: the released rows or an error,
    never the garbage's; `newsprov validate` names the file (tests/build/test_broken_export)."""
    cli_build(scratch_repo)
    expected = first_entity(scratch_repo)
    shard = next((scratch_repo / "data" / "mentions").glob("*.parquet"))
    shard.write_bytes(b"garbage" * 100)
    assert first_entity(scratch_repo) == expected      # the cached rows of this very name
    shutil.rmtree(datasets.config.HF_DATASETS_CACHE)
    with pytest.raises(Exception):  # noqa: B017 - whatever `datasets` raises, no rows
        first_entity(scratch_repo)


def test_the_readme_shows_a_load_call_with_a_path_and_how_to_run_newsprov(repo: Path) -> None:
    """``load_dataset(".")`` fails in `datasets` (no dataset name from "."): show a path;
    the set-up scripts install `newsprov` into .venv, which is not on the PATH."""
    readme = (repo / "README.md").read_text()
    assert 'load_dataset("path/to/newsprov", "documents")' in readme
    assert "source .venv/bin/activate" in readme and "`.venv/bin/newsprov`" in readme
    with pytest.raises(ValueError, match="dataset_name"):
        datasets.load_dataset(".", "documents")


# ------------------------------------------------------------------ item 6: on disk


def git(root: Path, *arguments: str) -> str:
    return subprocess.run(["git", "-C", str(root), *arguments], check=True,
                          capture_output=True, text=True).stdout


def git_repo(root: Path) -> Path:
    """The scratch repository as a git checkout with the project's .gitignore."""
    shutil.copy(Path(__file__).parents[2] / ".gitignore", root / ".gitignore")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "inputs")
    return root


def assert_readable(root: Path) -> None:
    """data/ has a manifest whose files are all there and intact, the card names only files
    that exist, and `datasets` loads the release through the card."""
    data = root / "data"
    manifest = read_manifest(data)
    assert manifest is not None
    for entry in manifest["files"]:
        assert file_sha256(data / entry["path"]) == entry["sha256"]
    assert all((root / path).is_file() for path in card_paths(root))
    loaded = datasets.load_dataset(str(root), "mentions")
    assert {split: loaded[split].num_rows for split in loaded} == manifest["tables"]["mentions"]


# A build run in a child that kills itself (SIGKILL) at the n-th call of one function; the
# file operations (renames, unlinks, rmtree) are counted from the start of publication only,
# so that the pipeline's own work files do not shift the phases.
KILLER = """
import os, pathlib, shutil, signal, sys
from newsprov.build import export, pipeline
from newsprov.cli import main
target, nth = sys.argv[1], int(sys.argv[2])
owner, name = {"assemble": (pipeline, "assemble"), "sha256": (export, "file_sha256"),
               "rename": (os, "replace"), "unlink": (pathlib.Path, "unlink"),
               "rmtree": (shutil, "rmtree")}[target]
original, calls, publishing = getattr(owner, name), [], []
def killing(*arguments, **options):
    if publishing or target in ("assemble", "sha256"):
        calls.append(1)
        if len(calls) == nth:
            os.kill(os.getpid(), signal.SIGKILL)
    return original(*arguments, **options)
setattr(owner, name, killing)
publish = pipeline.publish
def publishing_then(*arguments, **options):
    publishing.append(1)
    return publish(*arguments, **options)
pipeline.publish = publishing_then
main(["build", "--root", sys.argv[3], "--no-validate", "--workers", "1"])
"""

# Each phase: before the export is assembled, while shards are named, before each rename
# (the changed shards' moves into data/, the manifest switch, the card, datasheet and
# croissant), while old shards are removed, while the staging folder is removed.
PHASES = [("assemble", 1), ("sha256", 3), *(("rename", n) for n in range(1, 7)),
          ("unlink", 1), ("unlink", 2), ("rmtree", 1)]
KILLED = {False: 9, True: 11}  # phases that happen: no old shard to remove when nothing changed


def killed_build(root: Path, target: str, nth: int) -> int:
    return subprocess.run([sys.executable, "-c", KILLER, target, str(nth), str(root)],
                          capture_output=True).returncode


# Changed data goes through every phase (old shards removed too); the same data's variant is
# slow.
@pytest.mark.parametrize("changed", [pytest.param(False, marks=pytest.mark.slow), True],
                         ids=["same-data", "changed-data"])
def test_a_build_killed_at_any_phase_leaves_a_readable_export(
        tmp_path: Path, copy_inputs: Callable[[Path], Path], next_version: Bump,
        changed: bool) -> None:
    """Killed at each phase, data/ stays readable, git sees no leftover, and the next build
    gives what an uninterrupted build gives."""
    template = copy_inputs(tmp_path / "template")
    cli_build(template)          # data/ and the card as this code writes them, committed
    git_repo(template)
    if changed:
        relabel_first_entity(template, next_version)
        git(template, "commit", "-qam", "an entity id corrected")
    reference = tmp_path / "reference"
    shutil.copytree(template, reference)
    cli_build(reference)
    killed = 0
    for target, nth in PHASES:
        root = tmp_path / f"{target}-{nth}"
        shutil.copytree(template, root)
        code = killed_build(root, target, nth)
        assert code in (0, -signal.SIGKILL), (target, nth, code)
        killed += code == -signal.SIGKILL
        assert_readable(root)
        status = git(root, "status", "--porcelain", "--untracked-files=all").splitlines()
        if not changed:
            assert status == [], (target, nth)
        assert all(line[3:].startswith(("data/", "docs/figures/"))
                   or line[3:] in ("README.md", "DATASHEET.md", "croissant.json")
                   for line in status), (target, nth, status)
        cli_build(root)
        assert tree(root / "data") == tree(reference / "data"), (target, nth)
        assert (root / "README.md").read_bytes() == (reference / "README.md").read_bytes()
        assert git(root, "status", "--porcelain") == git(reference, "status", "--porcelain")
    assert killed == KILLED[changed]  # the phases did happen


def tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_second_build_stops_while_one_runs(scratch_repo: Path) -> None:
    before = tree(scratch_repo / "data")
    with build_lock(scratch_repo / "data"), pytest.raises(Failure, match="another build"):
        build(scratch_repo, validate=False)
    assert tree(scratch_repo / "data") == before
    build(scratch_repo, validate=False)  # the lock went with its holder


def test_a_read_only_export_is_refused_and_left_as_it_is(scratch_repo: Path,
                                                         next_version: Bump) -> None:
    data = scratch_repo / "data"
    before = tree(data)
    relabel_first_entity(scratch_repo, next_version)
    data.chmod(0o555)
    try:
        with pytest.raises(Failure, match="not writable"):
            build(scratch_repo, validate=False)
        assert tree(data) == before
    finally:
        data.chmod(0o755)
    assert not list(scratch_repo.glob(".data.*/"))
    build(scratch_repo, validate=False)  # nothing left that blocks the next build


def test_the_export_is_readable_by_others_under_the_umask(scratch_repo: Path) -> None:
    shutil.rmtree(scratch_repo / "data")
    previous = os.umask(0o022)
    try:
        cli_build(scratch_repo)
    finally:
        os.umask(previous)
    for path in [scratch_repo / "data", *(scratch_repo / "data").rglob("*"),
                 scratch_repo / "README.md"]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), path


def test_leftovers_of_a_killed_build_are_removed(scratch_repo: Path) -> None:
    staging = scratch_repo / ".data.staging.killed"
    (staging / "claims").mkdir(parents=True)
    (staging / "claims" / "test-00000.partial").write_bytes(b"half")
    (scratch_repo / "data" / ".manifest.json.tmp123").write_text("{")
    build(scratch_repo, validate=False)
    assert not staging.exists()
    assert not list((scratch_repo / "data").glob(".*"))
    manifest = json.loads((scratch_repo / "data" / MANIFEST).read_text())
    assert all(pq.ParquetFile(scratch_repo / "data" / entry["path"]).metadata.num_rows
               == entry["rows"] for entry in manifest["files"])
