"""Release information: the data version of ``release.json`` with its CHANGELOG entry, and
the splits of the export currently in ``data/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def parquet_files(data_dir: Path, table: str) -> list[Path]:
    return sorted((data_dir / table).glob("*.parquet"))


def released_splits(data_dir: Path) -> dict[str, str]:
    """Document -> split of the export currently in ``data/`` (empty if there is none)."""
    files = parquet_files(data_dir, "documents")
    if not files:
        return {}
    table = pq.read_table(files, columns=["doc_id", "split"])
    return dict(zip(table["doc_id"].to_pylist(), table["split"].to_pylist(), strict=True))


def read_manifest(data_dir: Path) -> dict:
    """The manifest of the export in ``data_dir``."""
    path = data_dir / MANIFEST
    if not path.is_file():
        raise InputError(path, None, "no release here: run `newsprov build`", check="no-release")
    return read_json(path)


def release_files(data_dir: Path, manifest: dict, table: str, split: str | None) -> list[Path]:
    """The manifest's files of a table (of one split), each checked against its sha256."""
    paths = []
    for entry in manifest["files"]:
        if entry["table"] != table or split not in (None, entry["split"]):
            continue
        path = data_dir / entry["path"]
        if not path.is_file():
            raise InputError(path, None, f"listed in {MANIFEST} but missing",
                             check="release-file-missing")
        if file_sha256(path) != entry["sha256"]:
            raise InputError(path, None, f"sha256 differs from {MANIFEST}: the file was "
                                         "changed after the release was built",
                             check="release-file-changed")
        paths.append(path)
    return paths
