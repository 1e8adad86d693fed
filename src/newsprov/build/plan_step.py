"""The base of every pipeline's steps: a datatrove step given its command's plan, and the bad
input a task met, recorded for the command to report (an exception would cross process and
Ray boundaries as a traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datatrove.pipeline.base import PipelineStep

from newsprov.core.errors import InputError
from newsprov.core.files import write_atomic


def record_error(path: Path, error: InputError) -> None:
    """Bad input met by a task, for the command to report in one line (not raised across
    processes); ``read_error`` reads it back."""
    write_atomic(path, json.dumps({"file": error.file, "record": error.record,
                                   "problem": error.problem, "check": error.check}))


def read_error(path: Path) -> InputError:
    data = json.loads(path.read_text(encoding="utf-8"))
    return InputError(data["file"], data["record"], data["problem"], check=data["check"])


class PlanStep(PipelineStep):
    """A datatrove step given its command's plan (picklable: it travels to the workers);
    subclasses name themselves with ``name`` and ``type``."""

    def __init__(self, plan: Any) -> None:
        super().__init__()
        self.plan = plan
