"""Publishing a finished export into ``data/`` so that a reader never finds it unreadable.

Shard names carry a hash of their content (``export.shard_name``), so a new release is new
files and a file never changes under its name. Publication therefore never removes or
rewrites a file a reader may be using before the new release is complete:

1. the new shards are moved from the staging folder into ``data/`` beside the old ones (a
   shard of the same name is the same content and stays);
2. ``manifest.json`` is replaced in one rename: the switch;
3. the caller's ``after_switch`` rewrites what else names the files (the README's configs);
4. only then are the old shards removed.

A kill at any moment leaves ``data/`` with a manifest (and a card) naming files that are all
there and intact. What a killed build leaves behind (its staging folder, unlisted shards,
temporary files) is hidden, ignored by git, and removed by the next build, which holds
``.data.lock`` (an ``flock``) so that two builds never publish at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from newsprov.core import schema
from newsprov.core.errors import Failure
from newsprov.core.files import current_umask, file_sha256, write_atomic
from newsprov.core.layout import EXPORT_LOCK, EXPORT_STAGING, MANIFEST
from newsprov.store.release import listed_files

LOCK_GRACE_SECONDS = 2.0


def beside(out: Path, name: str) -> str:
    """A name of ``core.layout`` for a file beside the export folder ``out``."""
    return name.format(export=out.name)


@contextlib.contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Hold ``.data.lock`` for the whole build; a second build stops within
    ``LOCK_GRACE_SECONDS``. The kernel releases an ``flock`` when its holder dies, so a killed
    build leaves no stale lock, but not always at once: a build resumed right after a kill -9
    of its process group found the lock still held for some 30 ms here, hence the grace."""
    path = out.parent / beside(out, EXPORT_LOCK)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        deadline = time.monotonic() + LOCK_GRACE_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise Failure(f"another build of {out} is running (it holds {path}); "
                                  "wait for it to finish") from None
                time.sleep(0.05)
        yield


def check_writable(out: Path) -> None:
    """A read-only export is the user's choice: refuse, in one line, before any work."""
    folders = [out.parent, *([out, *(p for p in out.iterdir() if p.is_dir())]
                             if out.is_dir() else [])]
    for folder in folders:
        # No write bit at all is a read-only folder even for root, whom os.access lets write.
        if not os.access(folder, os.W_OK | os.X_OK) or not folder.stat().st_mode & 0o222:
            raise Failure(f"{folder} is not writable; {out} is left as it is: make it "
                          "writable, or build elsewhere with --out")


def remove_leftovers(out: Path) -> None:
    """What killed builds left: staging folders beside ``out`` and the temporary file of
    the manifest inside it. Only called with the lock held, so no running build owns them."""
    for leftover in out.parent.glob(beside(out, EXPORT_STAGING) + "*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for temporary in out.glob(f".{MANIFEST}.*"):  # write_atomic's, of a killed switch
        temporary.unlink()


def staging_folder(out: Path) -> Path:
    """A new folder beside ``out`` (same file system: moving a shard is a rename) with the
    permissions of any folder the user makes (``mkdtemp`` makes it 0700)."""
    path = Path(tempfile.mkdtemp(prefix=beside(out, EXPORT_STAGING), dir=out.parent))
    path.chmod(0o777 & ~current_umask())
    return path


def publish(staging: Path, out: Path, manifest: dict[str, Any],
            after_switch: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Move the export in ``staging`` into ``out`` in the order of the module docstring."""
    out.mkdir(exist_ok=True)
    for entry in manifest["files"]:
        target = out / entry["path"]
        if target.is_file() and file_sha256(target) == entry["sha256"]:
            continue  # the same name is the same content: readers keep their file
        target.parent.mkdir(exist_ok=True)
        os.replace(staging / entry["path"], target)
    write_atomic(out / MANIFEST, (staging / MANIFEST).read_bytes())
    if after_switch is not None:
        after_switch(manifest)
    remove_unlisted_shards(out, manifest)
    shutil.rmtree(staging, ignore_errors=True)


def remove_unlisted_shards(out: Path, manifest: dict[str, Any]) -> None:
    """Every Parquet file of a table folder that the manifest does not list: the previous
    release's shards, a stray copy, a half-published build's. Other files are left."""
    listed = set(listed_files(out, manifest))
    for table in schema.TABLES:
        folder = out / table
        for path in folder.glob("*.parquet"):
            if path not in listed:
                path.unlink()
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()

