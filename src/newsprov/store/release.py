"""Release information: the data version of ``release.json`` with its CHANGELOG entry, and
the splits of the export currently in ``data/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newsprov.core.errors import InputError
from newsprov.core.files import file_sha256, read_json
from newsprov.core.layout import CHANGELOG, MANIFEST, RELEASE_FILE


@dataclass(frozen=True)
class Release:
    version: str
    date: str
    released: bool


def read_release(root: Path) -> Release:
    path = root / RELEASE_FILE
    data = read_json(path) if path.is_file() else None
    if not isinstance(data, dict) or set(data) != {"version", "date", "released"}:
        raise InputError(path, None, 'expected {"version", "date", "released"}',
                         check="release-file-shape")
    release = Release(**data)
    changelog = root / CHANGELOG
    if f"## [{release.version}]" not in changelog.read_text(encoding="utf-8"):
        raise InputError(changelog, release.version,
                         "no CHANGELOG entry '## [<version>]' for the version in release.json",
                         check="changelog-entry")
    return release


def read_manifest(data_dir: Path) -> dict[str, Any] | None:
    """The manifest of the export in ``data_dir``; None if there is none or it is not a
    manifest (a broken export is rebuilt, not refused)."""
    try:
        manifest = read_json(data_dir / MANIFEST)
    except (OSError, InputError):
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("path"), str)
            and isinstance(entry.get("table"), str) for entry in files):
        return None
    return manifest


def listed_files(data_dir: Path, manifest: dict[str, Any], table: str | None = None
                 ) -> list[Path]:
    """The manifest's files (of one table)."""
    return [data_dir / entry["path"] for entry in manifest["files"]
            if table in (None, entry["table"])]


def parquet_files(data_dir: Path, table: str) -> list[Path]:
    """The Parquet files of a table: those the manifest lists, or every one in the table's
    folder when there is no readable manifest."""
    manifest = read_manifest(data_dir)
    if manifest is None:
        return sorted((data_dir / table).glob("*.parquet"))
    return listed_files(data_dir, manifest, table)


def released_splits(data_dir: Path) -> dict[str, str]:
    """Document -> split of the export currently in ``data/`` (empty if there is none).

    A shard that cannot be read (garbage, truncated, missing) adds nothing: its documents
    get their split by the rules for new documents, which gave them that split in the first
    place unless ``corpus/splits.json`` changed since."""
    splits: dict[str, str] = {}
    for path in parquet_files(data_dir, "documents"):
        try:
            table = pq.read_table(path, columns=["doc_id", "split"])
        except (OSError, pa.ArrowException):
            continue
        splits.update(zip(table["doc_id"].to_pylist(), table["split"].to_pylist(),
                          strict=True))
    return splits


def released_manifest(data_dir: Path) -> dict[str, Any]:
    """The manifest of the release in ``data_dir``, for its readers (scoring, viewing): a
    missing or broken one is refused, where the build (``read_manifest``) rebuilds."""
    manifest = read_manifest(data_dir)
    if manifest is None:
        raise InputError(data_dir / MANIFEST, None, "no release here: run "
                         "`newsprov build`", check="no-release")
    return manifest


def release_files(data_dir: Path, manifest: dict, table: str, split: str | None) -> list[Path]:
    """The manifest's files of a table (of one split), each checked against its sha256."""
    entries = {data_dir / entry["path"]: entry for entry in manifest["files"]}
    paths = [path for path in listed_files(data_dir, manifest, table)
             if split in (None, entries[path]["split"])]
    for path in paths:
        if not path.is_file():
            raise InputError(path, None, f"listed in {MANIFEST} but missing",
                             check="release-file-missing")
        if file_sha256(path) != entries[path]["sha256"]:
            raise InputError(path, None, f"sha256 differs from {MANIFEST}: the file was "
                                         "changed after the release was built",
                             check="release-file-changed")
    return paths
