"""`newsprov ls-sync` against servers that are not Label Studio or misbehave (issue 19, item
5): a real HTTP server on 127.0.0.1 in a thread (``http_server``) answers each request as a
case says. Every case ends in one line on stderr, a non-zero exit, no traceback, a bounded
number of requests, the token nowhere in the output (the server echoes the request's headers back)
and nothing written."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from newsprov.annotate.labelstudio import config, sync
from newsprov.cli import main
from newsprov.core.layout import REPO

FIXTURES = REPO / "tests" / "fixtures" / "labelstudio"
TOKEN = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


# A case answers a request with (status, content type, body).
Answer = tuple[int, str, bytes]


def as_json(value: Any, status: int = 200) -> Answer:
    return status, "application/json", json.dumps(value).encode()


@dataclass
class Hostile:
    answer: Callable[[Request], Answer]
    requests: list[Request] = field(default_factory=list)


def handler_of(hostile: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def handle_one(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            parts = urlsplit(self.path)
            request = Request(self.command, parts.path, parse_qs(parts.query),
                              dict(self.headers.items()))
            hostile.requests.append(request)
            status, content_type, body = hostile.answer(request)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = handle_one

    return Handler


def echo_headers(status: int) -> Callable[[Request], Answer]:
    return lambda request: (status, "text/plain",
                            "\n".join(f"{k}: {v}" for k, v in request.headers.items()).encode())


def projects(*items: dict[str, Any], count: int | None = None) -> dict[str, Any]:
    return {"count": len(items) if count is None else count, "next": None, "previous": None,
            "results": list(items)}


OUR_PROJECT = {"id": 7, "title": "NewsProv", "label_config": None}


def project_then(answer: Callable[[Request], Answer]) -> Callable[[Request], Answer]:
    """The project exists with the generated config; ``answer`` answers the rest."""
    def respond(request: Request) -> Answer:
        if request.path == "/api/projects/" and request.method == "GET":
            return as_json(projects({**OUR_PROJECT, "label_config": config.label_config()}))
        if request.path == "/api/tasks/":
            return as_json({"tasks": [], "total": 0, "total_annotations": 0,
                            "total_predictions": 0})
        return answer(request)
    return respond


def endless(request: Request) -> Answer:
    """Whatever the page asked, the same page of another project, and more to come."""
    return as_json({**projects({"id": 1, "title": "Other"}, count=10**6),
                    "next": "http://127.0.0.1/api/projects/?page=2"})


def ever_new(request: Request) -> Answer:
    """A new project on every page of a list that claims a million."""
    page = int(request.query.get("page", ["1"])[0])
    return as_json(projects({"id": page, "title": f"Other {page}"}, count=10**6))


# case -> (answer, command (push or pull), line expected on stderr, most requests)
CASES: dict[str, tuple[Callable[[Request], Answer], str, str, int]] = {
    "empty-object": (lambda r: as_json({}), "push",
                     "listing projects at {url}: the answer has no list of items", 1),
    "empty-list": (lambda r: as_json([]), "push",
                   "listing projects at {url}: not an answer of Label Studio", 1),
    "not-json": (lambda r: (200, "text/html", b"<html><body>Welcome</body></html>"), "push",
                 "listing projects at {url}: the server answered 200: <html>", 1),
    "unauthorised-echoing-headers": (echo_headers(401), "push",
                                     "listing projects at {url}: the server answered 401: ", 1),
    "server-error-echoing-headers": (echo_headers(500), "pull",
                                     "listing projects at {url}: the server answered 500: ", 1),
    "malformed-project-list": (lambda r: as_json({"count": 1, "results": [{"title": 3}]}),
                               "push", "the answer has no project id and title", 1),
    "project-list-repeating": (endless, "push",
                               "listing projects at {url}: page 2 repeats page 1", 2),
    "project-list-without-end": (ever_new, "push",
                                 "the list did not end after 20 pages of 100", 21),
    "created-project-without-id": (
        lambda r: as_json(projects()) if r.method == "GET" else as_json({"title": "NewsProv"}),
        "push", "setting up project 'NewsProv' at {url}: the answer has no project id", 2),
    "import-not-confirmed": (project_then(lambda r: as_json({})), "push",
                             "importing tasks at {url}: the answer has no count of 2 imported "
                             "tasks (found None)", 3),
    "export-not-json": (project_then(lambda r: (200, "application/json", b"[{")
                                     if "/export" in r.path else as_json({})), "pull",
                        "exporting the project at {url}: not an answer of Label Studio "
                        "(JSONDecodeError", 4),
    "export-not-a-task-list": (project_then(lambda r: as_json({})), "pull",
                               "a Label Studio JSON export must be a list of tasks", 4),
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "corpus", tmp_path / "corpus")
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def run(root: Path, command: str, url: str) -> Any:
    argv = ["ls-sync", command, "--root", str(root), "--url", url]
    return CliRunner().invoke(main, argv, env={"LABEL_STUDIO_API_KEY": TOKEN})


def assert_one_line(result: Any, expected: str) -> str:
    assert result.exit_code in (1, 2), (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].lower().startswith("error: "), result.stderr
    assert expected in lines[0], lines[0]
    assert TOKEN not in result.output
    return lines[0]


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_server_gives_one_line(case: str, root: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         http_server: Callable[..., str]) -> None:
    answer, command, expected, most = CASES[case]
    monkeypatch.setattr(sync, "MAX_PAGES", 20)
    hostile = Hostile(answer)
    before = snapshot(root)
    url = http_server(handler_of(hostile))
    line = assert_one_line(run(root, command, url), expected.format(url=url))
    assert 1 <= len(hostile.requests) <= most, [r.path for r in hostile.requests]
    assert all(r.headers.get("Authorization") == f"Token {TOKEN}" for r in hostile.requests)
    if "echoing-headers" in case:   # the token was in the answer: it is not in the line
        assert "Authorization: Token <api key>" in line
    assert snapshot(root) == before


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:{port}", "listing projects at http://127.0.0.1:{port}: ConnectError: "),
    ("127.0.0.1:{port}", "--url '127.0.0.1:{port}' is not an http(s) URL"),
    ("localhost", "--url 'localhost' is not an http(s) URL"),
    ("ftp://127.0.0.1:{port}", "is not an http(s) URL"),
    ("http://", "--url 'http://' is not an http(s) URL"),
])
def test_no_server_gives_one_line(url: str, expected: str, root: Path) -> None:
    """Connection refused (nothing listens on the port) and URLs without an http(s) scheme
    or a host ended in httpx tracebacks."""
    port = free_port()
    for command in ("push", "pull"):
        assert_one_line(run(root, command, url.format(port=port)),
                        expected.format(port=port))


def test_the_token_is_redacted_before_a_long_answer_is_cut(
        root: Path, http_server: Callable[..., str]) -> None:
    """An answer cut in the middle of the token must not leak its first characters."""
    padding = "x" * (sync.MESSAGE_CHARACTERS - 60)
    hostile = Hostile(lambda r: (403, "text/plain",
                                 f"{padding} {r.headers['Authorization']} {padding}".encode()))
    url = http_server(handler_of(hostile))
    line = assert_one_line(run(root, "push", url), "the server answered 403")
    assert TOKEN[:8] not in line and line.endswith(" ...")
