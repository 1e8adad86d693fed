"""The one error type for bad input: it names the file, the record and the problem."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Input that cannot be accepted. ``str()`` reads ``file: record: problem``."""

    def __init__(self, file: Path | str, record: str | None, problem: str) -> None:
        self.file = str(file)
        self.record = record
        self.problem = problem
        where = f"{self.file}: {record}" if record else self.file
        super().__init__(f"{where}: {problem}")
