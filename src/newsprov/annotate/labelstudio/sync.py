"""Sync with a live Label Studio server through ``label-studio-sdk`` 2.x.

``push`` creates the project from the generated config (or updates the config of an existing
project of the same title) and imports the tasks of documents not yet in it; ``pull``
downloads the project's JSON export and imports it like ``ls-import`` does. The server URL
and API token come from ``--url``/``--api-key`` or ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY``;
the token is handed to the SDK only: never printed, logged or written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from newsprov.annotate.labelstudio import config
from newsprov.core.errors import Failure

DEFAULT_TITLE = "NewsProv"


class SyncError(Failure):
    """A failed request, described without the request itself (its headers hold the token)."""


def connect(url: str, api_key: str) -> Any:  # -> label_studio_sdk.LabelStudio (slow import)
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=url.rstrip("/"), api_key=api_key)


@contextmanager
def _requests(what: str) -> Iterator[None]:
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except ApiError as error:
        raise SyncError(f"{what}: the server answered {error.status_code}: "
                        f"{str(error.body)[:500]}") from None
    except OSError as error:  # httpx transport errors are OSErrors underneath
        raise SyncError(f"{what}: {type(error).__name__}: {error}") from None


def find_project(client: Any, title: str) -> Any | None:
    with _requests("listing projects"):
        found = [p for p in client.projects.list(title=title) if p.title == title]
    if len(found) > 1:
        raise SyncError(f"{len(found)} projects are titled {title!r}; rename all but one")
    return found[0] if found else None


def ensure_project(client: Any, title: str) -> int:
    """The id of the project titled ``title``, created or updated to the generated config."""
    label_config = config.label_config()
    project = find_project(client, title)
    with _requests(f"setting up project {title!r}"):
        if project is None:
            return client.projects.create(title=title, label_config=label_config).id
        if project.label_config != label_config:
            client.projects.update(project.id, label_config=label_config)
    return project.id


def project_doc_ids(client: Any, project_id: int) -> set[str]:
    with _requests("listing tasks"):
        return {task.data.get(config.DOC_ID) for task in client.tasks.list(project=project_id)}


def push(client: Any, project_id: int, tasks: list[dict[str, Any]]) -> list[str]:
    """Import the tasks of documents not yet in the project; their doc ids."""
    present = project_doc_ids(client, project_id)
    new = [task for task in tasks if task["data"][config.DOC_ID] not in present]
    if new:
        with _requests("importing tasks"):
            client.projects.import_tasks(id=project_id, request=new)
    return [task["data"][config.DOC_ID] for task in new]


def pull(client: Any, project_id: int) -> list[dict[str, Any]]:
    """The project's JSON export: every task with its annotations and drafts."""
    with _requests("exporting the project"):
        return json.loads(client.projects.exports.as_binary(project_id, "JSON"))


# ------------------------------------------------------------------ commands
