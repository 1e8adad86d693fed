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
from pathlib import Path
from typing import Any

import click

from newsprov import labelstudio
from newsprov.annotations import write_atomic
from newsprov.cli import ROOT_OPTION
from newsprov.lsfiles import (
    ANNOTATOR_OPTION,
    OUT_OPTION,
    REPORT_OPTION,
    STRICT_OPTION,
    build_tasks,
    import_export,
    parse_annotator_names,
    task_options,
)

DEFAULT_TITLE = "NewsProv"


class SyncError(click.ClickException):
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
    config = labelstudio.label_config()
    project = find_project(client, title)
    with _requests(f"setting up project {title!r}"):
        if project is None:
            return client.projects.create(title=title, label_config=config).id
        if project.label_config != config:
            client.projects.update(project.id, label_config=config)
    return project.id


def project_doc_ids(client: Any, project_id: int) -> set[str]:
    with _requests("listing tasks"):
        return {task.data.get(labelstudio.DOC_ID) for task in client.tasks.list(project=project_id)}


def push(client: Any, project_id: int, tasks: list[dict[str, Any]]) -> list[str]:
    """Import the tasks of documents not yet in the project; their doc ids."""
    present = project_doc_ids(client, project_id)
    new = [task for task in tasks if task["data"][labelstudio.DOC_ID] not in present]
    if new:
        with _requests("importing tasks"):
            client.projects.import_tasks(id=project_id, request=new)
    return [task["data"][labelstudio.DOC_ID] for task in new]


def pull(client: Any, project_id: int) -> list[dict[str, Any]]:
    """The project's JSON export: every task with its annotations and drafts."""
    with _requests("exporting the project"):
        return json.loads(client.projects.exports.as_binary(project_id, "JSON"))


# ------------------------------------------------------------------ commands

SERVER_OPTIONS = [
    click.option("--url", envvar="LABEL_STUDIO_URL", required=True, show_envvar=True,
                 help="Label Studio server URL."),
    click.option("--api-key", envvar="LABEL_STUDIO_API_KEY", required=True, show_envvar=True,
                 show_default=False, help="API token (prefer the environment variable)."),
    click.option("--project", "title", default=DEFAULT_TITLE, show_default=True,
                 help="Project title."),
]


def server_options(command: Any) -> Any:
    for option in reversed(SERVER_OPTIONS):
        command = option(command)
    return command


@click.group("ls-sync")
def sync_command() -> None:
    """Push tasks to a Label Studio server or pull its annotations."""


@sync_command.command("push")
@ROOT_OPTION
@server_options
@task_options
def push_command(root: Path, url: str, api_key: str, title: str, doc_ids: tuple[str, ...],
                 annotations: Path | None, predictions: tuple[Path, ...],
                 pre_annotate: bool) -> None:
    """Create or update the project and add the tasks of DOC_IDS (default: all) not yet in
    it."""
    tasks = build_tasks(root, doc_ids, annotations, predictions, pre_annotate)
    client = connect(url, api_key)
    project_id = ensure_project(client, title)
    added = push(client, project_id, tasks)
    skipped = len(tasks) - len(added)
    click.echo(f"project {title!r} (id {project_id}) at {url}: {len(added)} tasks added"
               + (f", {skipped} already there (not changed)" if skipped else ""))


@sync_command.command("pull")
@ROOT_OPTION
@server_options
@OUT_OPTION
@ANNOTATOR_OPTION
@STRICT_OPTION
@REPORT_OPTION
@click.option("--save-export", type=click.Path(path_type=Path, dir_okay=False),
              help="Also keep the downloaded export in this file.")
def pull_command(root: Path, url: str, api_key: str, title: str, out: Path,
                 annotators: tuple[str, ...], strict: bool, report: Path | None,
                 save_export: Path | None) -> None:
    """Download the project's annotations and import them, one set per annotator."""
    names = parse_annotator_names(annotators)
    client = connect(url, api_key)
    project = find_project(client, title)
    if project is None:
        raise SyncError(f"no project titled {title!r} at {url}")
    export = pull(client, project.id)
    if save_export is not None:
        write_atomic(save_export, json.dumps(export, ensure_ascii=False) + "\n")
    import_export(root, export, save_export or Path(f"{url} project {project.id}"), out,
                  names, strict, report)
