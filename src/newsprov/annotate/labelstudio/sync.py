"""Sync with a live Label Studio server through ``label-studio-sdk`` 2.x.

``push`` creates the project from the generated config (or updates the config of an existing
project of the same title) and imports the tasks of documents not yet in it; ``pull``
downloads the project's JSON export and imports it like ``ls-import`` does. The server URL
and API token come from ``--url``/``--api-key`` or ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY``;
the token is handed to the SDK only: never printed, logged or written.

The server is not trusted. The SDK builds its answers without validating them and pages a
list until a page comes back empty, so here every answer used is checked for the shape Label
Studio gives it, lists are paged with a bound (and a page served twice stops them), requests
time out and are retried only when the connection fails, and every failure, transport errors
included, becomes one ``SyncError`` line with the token removed (a server may echo the
request's headers in its answer).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from newsprov.annotate.labelstudio import config
from newsprov.core.errors import Failure

DEFAULT_TITLE = "NewsProv"
PAGE_SIZE = 100
MAX_PAGES = 1_000                 # 100,000 projects or tasks
TIMEOUT_SECONDS = 30.0            # per request
CONNECT_RETRIES = 2               # a refused or dropped connection; an answer is never retried
MESSAGE_CHARACTERS = 500          # of a server's answer quoted in an error
REDACTED = "<api key>"


class SyncError(Failure):
    """A failed request or an answer that is not Label Studio's, in one line without the
    token."""


@dataclass(frozen=True)
class Server:
    """A Label Studio server and the SDK client that talks to it; ``token`` is kept to be
    removed from every message."""

    url: str
    token: str
    client: Any  # label_studio_sdk.LabelStudio (slow import)

    def redact(self, text: str) -> str:
        return text.replace(self.token, REDACTED) if self.token else text


def connect(url: str, api_key: str) -> Server:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError(f"--url {url!r} is not an http(s) URL such as http://127.0.0.1:8080")
    if not api_key.strip():
        raise SyncError("the API key is empty")
    import httpx
    from label_studio_sdk import LabelStudio

    transport = httpx.HTTPTransport(retries=CONNECT_RETRIES)
    http = httpx.Client(transport=transport, timeout=TIMEOUT_SECONDS)
    return Server(url, api_key, LabelStudio(base_url=url.rstrip("/"), api_key=api_key,
                                            httpx_client=http, max_retries=0))


@contextmanager
def _requests(server: Server, what: str) -> Iterator[None]:
    """Turn whatever a request raises into one SyncError line."""
    import httpx
    import pydantic
    from label_studio_sdk.core.api_error import ApiError
    from label_studio_sdk.core.parse_error import ParsingError

    try:
        yield
        return
    except SyncError as error:
        problem = str(error)
    except ApiError as error:
        problem = f"the server answered {error.status_code}: {error.body}"
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as error:
        problem = f"{type(error).__name__}: {error}"
    # The SDK's own reading of answers it cannot use: no Label Studio answers like this.
    except (ParsingError, pydantic.ValidationError, ValueError, TypeError, AttributeError,
            KeyError) as error:
        problem = f"not an answer of Label Studio ({type(error).__name__}: {error})"
    line = " ".join(server.redact(problem).split())  # one line, the token removed first
    if len(line) > MESSAGE_CHARACTERS:
        line = line[:MESSAGE_CHARACTERS] + " ..."
    raise SyncError(f"{what} at {server.redact(server.url)}: {line}") from None


def _answer(condition: bool, what: str) -> None:
    if not condition:
        raise SyncError(f"the answer has no {what}")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _every_page(pager: Any, total: Callable[[Any], Any]) -> list[Any]:
    """The items of an SDK pager, for at most MAX_PAGES pages, until the list's total
    (``total(response)``) is reached; a page served twice ends it with an error."""
    items: list[Any] = []
    previous = None
    for number, page in enumerate(pager.iter_pages(), start=1):
        expected = total(page.response)
        _answer(isinstance(page.items, list) and isinstance(expected, int), "list of items")
        if number > MAX_PAGES:
            raise SyncError(f"the list did not end after {MAX_PAGES} pages of {PAGE_SIZE}")
        ids = [getattr(item, "id", None) for item in page.items]
        if ids and ids == previous:
            raise SyncError(f"page {number} repeats page {number - 1}: the server ignores "
                            "paging")
        previous = ids
        items.extend(page.items)
        if len(items) >= expected:
            break
    return items


def find_project(server: Server, title: str) -> Any | None:
    with _requests(server, "listing projects"):
        projects = _every_page(server.client.projects.list(title=title, page_size=PAGE_SIZE),
                               lambda response: getattr(response, "count", None))
        for project in projects:
            _answer(_is_id(getattr(project, "id", None)) and
                    isinstance(getattr(project, "title", None), str), "project id and title")
        found = [p for p in projects if p.title == title]
    if len(found) > 1:
        raise SyncError(f"{len(found)} projects are titled {title!r}; rename all but one")
    return found[0] if found else None


def ensure_project(server: Server, title: str) -> int:
    """The id of the project titled ``title``, created or updated to the generated config."""
    label_config = config.label_config()
    project = find_project(server, title)
    with _requests(server, f"setting up project {title!r}"):
        if project is None:
            project = server.client.projects.create(title=title, label_config=label_config)
            _answer(_is_id(getattr(project, "id", None)), "project id")
        elif project.label_config != label_config:
            server.client.projects.update(project.id, label_config=label_config)
    return project.id


def project_doc_ids(server: Server, project_id: int) -> set[str]:
    with _requests(server, "listing tasks"):
        tasks = _every_page(server.client.tasks.list(project=project_id, page_size=PAGE_SIZE),
                            lambda response: getattr(response, "total", None))
        for task in tasks:
            _answer(isinstance(getattr(task, "data", None), dict), "task data")
        return {task.data.get(config.DOC_ID) for task in tasks}


def push(server: Server, project_id: int, tasks: list[dict[str, Any]]) -> list[str]:
    """Import the tasks of documents not yet in the project; their doc ids."""
    present = project_doc_ids(server, project_id)
    new = [task for task in tasks if task["data"][config.DOC_ID] not in present]
    if new:
        with _requests(server, "importing tasks"):
            answer = server.client.projects.import_tasks(id=project_id, request=new)
            count, queued = getattr(answer, "task_count", None), (answer.model_extra or {})
            # Label Studio Enterprise queues an import and answers with its id.
            _answer(count == len(new) or _is_id(queued.get("import")),
                    f"count of {len(new)} imported tasks (found {count!r})")
    return [task["data"][config.DOC_ID] for task in new]


def pull(server: Server, project_id: int) -> list[dict[str, Any]]:
    """The project's JSON export: every task with its annotations and drafts (its shape is
    checked by the import)."""
    with _requests(server, "exporting the project"):
        return json.loads(server.client.projects.exports.as_binary(project_id, "JSON"))
