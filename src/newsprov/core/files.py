"""File helpers shared by every layer: JSON in and out, atomic writes, sha256, Markdown
tables and the generated sections of hand-written Markdown files.

Generated text lives between ``<!-- BEGIN GENERATED: name -->`` and
``<!-- END GENERATED: name -->`` markers, so prose and generated figures sit side by side and
a test can tell when the figures are stale.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from newsprov.core.errors import InputError

JSON = msgspec.json.Decoder()
DIGITS = 4  # figures in the JSON files we write are rounded to this many decimals


def read_json(path: Path) -> Any:
    """Parse a JSON file, turning a syntax error into an InputError that names the file.

    msgspec parses (three times faster, the same values); text it refuses goes to the
    standard library, which gives the error message or a value msgspec has no form for
    (NaN, 1e400).
    """
    try:
        text = path.read_text(encoding="utf-8")
        try:
            return JSON.decode(text)
        except msgspec.DecodeError:
            return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(path, None, f"invalid JSON: {error}", check="invalid-json") from None


@contextlib.contextmanager
def naming(path: Path, *, instead_of_temporary: bool = False) -> Iterator[None]:
    """Make an OSError raised inside name ``path`` if it names no file itself (a write that
    fills the disk names none), so that the command's one line says where it failed; with
    ``instead_of_temporary``, also instead of the temporary file a write goes through."""
    try:
        yield
    except OSError as error:
        if error.filename is None or instead_of_temporary:
            error.filename = str(path)
        raise


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write a file through a temporary file in the same directory and a rename: readers
    see the old file or the new one, and a failed write leaves no temporary file."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with naming(path, instead_of_temporary=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Hidden and ignored by git (.gitignore: .*.partial), should a kill leave it behind.
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                             dir=path.parent)
        try:
            os.fchmod(handle, 0o666 & ~current_umask())  # mkstemp's 0600 hides it from others
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def rounded(value: Any) -> Any:
    """A JSON value with its floats rounded to DIGITS decimals (stable, readable files)."""
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item) for item in value]
    return value


def write_json(path: Path, value: Any) -> None:
    write_atomic(path, json.dumps(rounded(value), indent=1, ensure_ascii=False) + "\n")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------ Markdown


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]],
                   numeric_from: int) -> str:
    """A Markdown table; columns from ``numeric_from`` on are right-aligned figures (None is
    an undefined figure, a string is shown as it is)."""
    align = ["---" if i < numeric_from else "--:" for i in range(len(header))]
    lines = [list(header), align,
             *([cell if isinstance(cell, str) else _cell(cell) for cell in row] for row in rows)]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines) + "\n"


def _section(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- BEGIN GENERATED: {re.escape(name)} -->\n)(.*?)(<!-- END "
                      rf"GENERATED: {re.escape(name)} -->)", re.DOTALL)


def section_body(text: str, name: str) -> str:
    """The body of the marked section ``name``; the markers must exist."""
    match = _section(name).search(text)
    if match is None:
        raise ValueError(f"no generated section {name!r}")
    return match.group(2)


def replace_section(text: str, name: str, body: str) -> str:
    """Replace the body of the marked section ``name``; the markers must exist."""
    section_body(text, name)
    return _section(name).sub(lambda m: m.group(1) + body + m.group(3), text, count=1)
