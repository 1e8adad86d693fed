"""The errors the layers raise for the CLI to report in one line, without a traceback."""

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


class Failure(Exception):
    """An operation that could not be completed although its input was accepted: an export
    that fails its expectations, a request a server refused."""
