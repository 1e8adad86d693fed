"""A corrupted export: validate reports the broken file; build rebuilds whatever data/ holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsprov.build.pipeline import build
from newsprov.cli import main
from newsprov.core.layout import MANIFEST, VALIDATION_REPORT

READ_CHECK = "files: every Parquet file can be read"


def first_shard(root: Path, table: str) -> Path:
    return sorted((root / "data" / table).glob("*.parquet"))[0]


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def overwrite(path: Path) -> None:
    path.write_bytes(b"not parquet at all\n" * 20)


@pytest.mark.parametrize("corrupt", [truncate, overwrite])
def test_validate_reports_a_broken_shard_in_its_report(scratch_repo: Path,
                                                       corrupt: Callable[[Path], None]) -> None:
    build(scratch_repo, validate=False)
    shard = first_shard(scratch_repo, "mentions")
    corrupt(shard)
    result = CliRunner().invoke(main, ["validate", "--data", str(scratch_repo / "data")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert f"FAILED {READ_CHECK}" in result.output
    report = (scratch_repo / VALIDATION_REPORT).read_text()
    assert f"| files | {READ_CHECK.removeprefix('files: ')} | FAILED |" in report
    assert shard.name in report


def garbage_manifest(root: Path) -> None:
    (root / "data" / MANIFEST).write_text("{not json")


def manifest_of_another_shape(root: Path) -> None:
    (root / "data" / MANIFEST).write_text(json.dumps({"files": "everything"}))


def stray_garbage_shard(root: Path) -> None:
    overwrite(root / "data" / "claims" / "test-99999-of-99999.parquet")


def every_documents_shard_garbage(root: Path) -> None:
    overwrite(first_shard(root, "documents"))


def no_manifest(root: Path) -> None:
    (root / "data" / MANIFEST).unlink()


def empty_data(root: Path) -> None:
    for path in sorted((root / "data").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()


@pytest.mark.parametrize("corrupt", [garbage_manifest, manifest_of_another_shape,
                                     stray_garbage_shard, every_documents_shard_garbage,
                                     no_manifest, empty_data])
def test_build_rebuilds_whatever_state_data_is_in(scratch_repo: Path, fresh_export: Path,
                                                  corrupt: Callable[[Path], None]) -> None:
    build(scratch_repo, validate=False)
    corrupt(scratch_repo)
    result = CliRunner().invoke(main, ["build", "--root", str(scratch_repo)])
    assert result.exit_code == 0, result.output
    assert tree(scratch_repo / "data") == tree(fresh_export)


def test_without_a_readable_export_splits_follow_the_rules_for_new_documents(
        scratch_repo: Path) -> None:
    """Neither the manifest nor the documents shards can be read: nothing says which split
    the documents were released in, so they get the split of the plan (then the hash)."""
    build(scratch_repo, validate=False)
    plan = scratch_repo / "corpus" / "splits.json"
    story = next(iter(json.loads(plan.read_text())["stories"]))
    plan.write_text(json.dumps({"stories": {story: "validation"}}))
    garbage_manifest(scratch_repo)
    every_documents_shard_garbage(scratch_repo)
    assert set(build(scratch_repo, validate=False)["tables"]["documents"]) == {"validation"}


def tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}
