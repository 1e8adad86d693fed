"""Shared fixtures: the repository, an isolated Hugging Face cache, a fresh build."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from datasets import config as datasets_config

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(autouse=True)
def isolated_hf_cache(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`datasets` must neither read nor write ~/.cache nor reach the network, and each test
    starts with an empty cache. `datasets` reads HF_HOME once, when first imported (before
    any fixture), so its settings are patched as well as the environment of subprocesses."""
    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    for name, value in (("HF_CACHE_HOME", str(home)), ("HF_DATASETS_CACHE", home / "datasets"),
                        ("HF_MODULES_CACHE", home / "modules"),
                        ("DOWNLOADED_DATASETS_PATH", home / "datasets" / "downloads"),
                        ("EXTRACTED_DATASETS_PATH", home / "datasets" / "downloads" / "extracted"),
                        ("HF_HUB_OFFLINE", True), ("HF_DATASETS_OFFLINE", True)):
        monkeypatch.setattr(datasets_config, name, value)


def copy_repo_inputs(target: Path) -> Path:
    """A scratch copy of everything a build reads (and the committed export)."""
    for name in ("corpus", "annotations", "data"):
        shutil.copytree(REPO / name, target / name)
    for name in ("release.json", "CHANGELOG.md", "README.md", "DATASHEET.md"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, target / name)
    return target


@pytest.fixture
def copy_inputs() -> Callable[[Path], Path]:
    """``copy_repo_inputs``, for tests that need several scratch copies."""
    return copy_repo_inputs


def bump_version(root: Path, version: str, change: str) -> None:
    """Start an unreleased version with its CHANGELOG entry: what a change to a released
    version needs before it is built."""
    (root / "release.json").write_text(json.dumps(
        {"version": version, "date": "2026-12-24", "released": False}))
    with (root / "CHANGELOG.md").open("a", encoding="utf-8") as changelog:
        changelog.write(f"\n## [{version}] - 2026-12-24\n\n{change}\n")


@pytest.fixture
def next_version() -> Callable[[Path, str, str], None]:
    """``bump_version``, for tests that change a released version's content."""
    return bump_version


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    """A writable copy of the repository's inputs, for tests that change or break them."""
    return copy_repo_inputs(tmp_path / "repo")


@pytest.fixture(scope="session")
def fresh_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release rebuilt from the committed inputs into a temporary folder."""
    from newsprov.build.pipeline import build

    out = tmp_path_factory.mktemp("export") / "data"
    build(REPO, out)
    return out
