"""Shared fixtures: the repository, an isolated Hugging Face cache, a fresh build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(autouse=True)
def isolated_hf_cache(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`datasets` must neither read nor write ~/.cache nor reach the network."""
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf_home")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def copy_repo_inputs(target: Path) -> Path:
    """A scratch copy of everything a build reads (and the committed export)."""
    for name in ("corpus", "annotations", "data"):
        shutil.copytree(REPO / name, target / name)
    for name in ("release.json", "CHANGELOG.md", "README.md", "DATASHEET.md"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, target / name)
    return target


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
