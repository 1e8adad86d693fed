"""Validation as a datatrove pipeline: the same report (expectations, counts, examples) for
1 and 2 local workers and Ray in local mode, on an export checked by several tasks that fails
several expectations, one of them across tasks (the flat table against the documents'
lists)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newsprov.build.execution import Execution
from newsprov.build.gxrunner import ValidationReport
from newsprov.build.pipeline import build
from newsprov.build.validation import (
    DEFAULT_TASK_ROWS,
    TASK_ROWS,
    Part,
    Shard,
    plan_parts,
    validate_export,
)
from newsprov.cli import main
from newsprov.core.layout import REPO, VALIDATION_REPORT, VALIDATION_STATS

sys.path.insert(0, str(REPO / "scripts"))
from synth_corpus import generate

DOCUMENTS = 60
FAILED = {"files: sha256 equals the manifest's",
          "tables: the flat table holds the records of the documents lists, in order"}


@pytest.fixture(scope="module")
def broken_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic export whose first mention starts before its text (its file no longer
    matches the manifest's sha256, nor the documents' lists), in files of 15 documents (a
    part gathers several)."""
    root = tmp_path_factory.mktemp("validation") / "corpus"
    generate(root, DOCUMENTS, workers=1)
    out = root.parent / "data"
    build(root, out, validate=False, execution=Execution(workers=1), task_documents=15)
    path = sorted((out / "mentions").glob("*.parquet"))[0]
    table = pq.read_table(path)
    starts = [-1, *table["start"].to_pylist()[1:]]
    pq.write_table(table.set_column(table.column_names.index("start"), "start",
                                    pa.array(starts, table["start"].type)), path)
    return out


def export_shards(export: Path) -> list[Shard]:
    return [Shard(path, path.parent.name, path.name.split("-")[0])
            for path in sorted(export.glob("*/*.parquet"))]


def test_a_part_gathers_the_files_of_a_table_and_split(
        broken_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build writes a file per task, table and split; a part takes their row groups in
    name order, each once, up to the part's rows (a row group is never split)."""
    shards = export_shards(broken_export)
    assert len({(s.table, s.split) for s in shards}) < len(shards)   # several files of one

    def row_groups(parts: tuple[Part, ...], table: str, split: str) -> list[tuple[Path, int]]:
        return [(piece.path, group) for part in parts if (part.table, part.split) == (table, split)
                for piece in part.pieces for group in piece.row_groups]

    documents_parts = []
    for limit in (TASK_ROWS["documents"], 1):
        monkeypatch.setitem(TASK_ROWS, "documents", limit)
        parts = plan_parts(shards)
        for table, split in {(s.table, s.split) for s in shards}:
            files = sorted(s.path for s in shards if (s.table, s.split) == (table, split))
            assert row_groups(parts, table, split) == [
                (path, group) for path in files
                for group in range(pq.ParquetFile(path).metadata.num_row_groups)]
        for part in parts:
            sizes = [pq.ParquetFile(piece.path).metadata.row_group(group).num_rows
                     for piece in part.pieces for group in piece.row_groups]
            assert len(sizes) == 1 or sum(sizes) <= TASK_ROWS.get(part.table, DEFAULT_TASK_ROWS)
        documents_parts.append(sum(part.table == "documents" for part in parts))
    documents_files = sum(s.table == "documents" for s in shards)
    assert documents_parts[0] < documents_files == documents_parts[1]  # a row group a part


def outcomes(report: ValidationReport | None) -> list[dict[str, Any]]:
    assert report is not None
    return [asdict(outcome) for outcome in report.outcomes]


def test_report_is_the_same_for_any_number_of_workers_and_ray(broken_export: Path) -> None:
    shards = export_shards(broken_export)
    assert len(plan_parts(shards)) > 2                    # several tasks check the files
    one = validate_export(broken_export, execution=Execution(workers=1))
    assert one is not None
    assert {o.check for o in one.failures} == FAILED, one.summary()
    assert one.stats["1 check parts"][0]["stats"]["mentions"]["total"] > 0, one.stats  # datatrove's
    two = validate_export(broken_export, execution=Execution(workers=2))
    assert outcomes(two) == outcomes(one)
    assert two is not None and two.markdown() == one.markdown()
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, object_store_memory=200 * 2**20, include_dashboard=False,
             log_to_driver=False)
    try:
        on_ray = validate_export(broken_export, execution=Execution(workers=2, executor="ray"))
    finally:
        ray.shutdown()
    assert outcomes(on_ray) == outcomes(one)
    assert not list(broken_export.parent.glob(".data.validate-work*"))  # removed once merged


def test_validate_command_takes_the_execution_options(broken_export: Path) -> None:
    expected = validate_export(broken_export)
    assert expected is not None
    result = CliRunner().invoke(main, ["validate", "--data", str(broken_export),
                                       "--workers", "2", "--executor", "local"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(expected.summary() + "\nreport: ")
    reports = broken_export.parent / VALIDATION_REPORT.parent
    assert (reports / VALIDATION_REPORT.name).read_text() == expected.markdown()
    stats = json.loads((reports / VALIDATION_STATS.name).read_text())
    assert set(stats) == {"1 check parts", "2 check across documents"}
