"""Faults of the environment end in one line naming the file, a non-zero exit and nothing
half-written (issue 19, item 7): a read-only clone (PermissionError from build, validate,
evaluate and add) and a full disk (ENOSPC from build and add), each on a real file system
and through the real ``newsprov`` command."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_repo_inputs

from newsprov.core.layout import BASELINES_DIR, REPO

NEWSPROV = str(Path(sys.executable).with_name("newsprov"))
PAGE = REPO / "tests" / "fixtures" / "html" / "harbour_bridge.html"
ADD = ["add", str(PAGE), "--not-derived", "--story-group", "harbour-bridge"]


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``, files with their sha256."""
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            if path.is_file() else "folder" for path in sorted(root.rglob("*"))}


def as_user_without_override(argv: list[str]) -> list[str]:
    """Run as a user whom permission bits stop: root keeps its uid (the interpreter may live
    in root's home) but loses the capabilities that override file permissions."""
    if os.geteuid() != 0:
        return argv
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *argv]


def set_writable(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~bits)


@pytest.fixture
def read_only_clone(tmp_path: Path) -> Path:
    clone = copy_repo_inputs(tmp_path / "clone")
    shutil.copy2(REPO / BASELINES_DIR / "entity_patterns.jsonl", clone / "predictions.jsonl")
    set_writable(clone, False)
    yield clone
    set_writable(clone, True)


@pytest.mark.parametrize(("argv", "created"), [
    (["build"], ".data.lock"),
    (["validate"], ".data.validate-work"),  # the validation pipeline's work folder
    (["evaluate", "predictions.jsonl"], "predictions.metrics.json"),
    (ADD, ".newsprov"),  # the source index, built at the clone's first add
])
def test_read_only_clone_gives_one_line(read_only_clone: Path, argv: list[str],
                                        created: str) -> None:
    before = snapshot(read_only_clone)
    result = subprocess.run(as_user_without_override([NEWSPROV, *argv]), cwd=read_only_clone,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot create "), result.stderr
    assert created in lines[0] and lines[0].endswith(": Permission denied")
    assert snapshot(read_only_clone) == before


FULL_DISK = r"""
set -eu
mount -t tmpfs -o size=2m tmpfs "$DISK"
cp -r "$INPUTS"/. "$DISK"
cd "$DISK"
dd if=/dev/zero of=filler bs=4k 2>/dev/null || true   # until the disk is full
for step in build add; do
  if [ $step = build ]; then set -- build; else set -- $ADD; fi
  set +e; "$NEWSPROV" "$@" 2>"$OUT/$step.stderr"; echo $? >"$OUT/$step.status"; set -e
  find . -mindepth 1 | sort | while read -r path; do
    if [ -f "$path" ]; then sha256sum "$path"; else echo "folder $path"; fi
  done >"$OUT/$step.files"
done
"""


def test_full_disk_gives_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    """The clone on a 2 MB tmpfs filled to the last block (in a user and mount namespace of
    its own, so no privilege is needed on the host): build and add fail on ENOSPC."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is needed to mount a small file system")
    inputs, disk, out = copy_repo_inputs(tmp_path / "inputs"), tmp_path / "disk", tmp_path
    disk.mkdir()
    result = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "bash", "-c", FULL_DISK],
        env={**os.environ, "DISK": str(disk), "INPUTS": str(inputs), "OUT": str(out),
             "NEWSPROV": NEWSPROV, "ADD": " ".join(ADD)},
        capture_output=True, text=True, timeout=600)
    if "mount" in result.stderr and result.returncode != 0:
        pytest.skip(f"no tmpfs in a user namespace here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    listing = (out / "build.files").read_text().splitlines()
    assert (out / "add.files").read_text().splitlines() == listing  # add left nothing either
    files = {line.split()[-1] for line in listing}
    assert "./data/manifest.json" in files and "./filler" in files
    assert not [f for f in files if "staging" in f or f.startswith("./corpus/documents/005")]
    # add builds the clone's source index first (SQLite says "disk is full").
    # build names the first file it could not write: the export or its work folder's.
    for step, named, problem in (("build", ("error: data: ", "error: .data.work/"),
                                  "No space left on device"),
                                 ("add", "Error: the source index ", "disk is full")):
        assert (out / f"{step}.status").read_text().strip() == "1"
        lines = (out / f"{step}.stderr").read_text().splitlines()
        assert len(lines) == 1 and lines[0].startswith(named), lines
        assert problem in lines[0]
    committed = {f"./{p.relative_to(inputs)}": hashlib.sha256(p.read_bytes()).hexdigest()
                 for p in inputs.rglob("*") if p.is_file()}
    found = {line.split()[1]: line.split()[0] for line in listing
             if not line.startswith("folder")}
    assert {path: found.get(path) for path in committed} == committed  # nothing changed
