"""Shared fixtures: the repository, an isolated Hugging Face cache, a fresh build, a run
killed mid-way, local HTTP servers, the real Label Studio server."""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil
import pytest
from datasets import config as datasets_config

from newsprov.annotate.labelstudio.server import Account, Server, find_binary, free_port

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(autouse=True)
def isolated_hf_cache(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`datasets` must neither read nor write ~/.cache nor reach the network, and each test
    starts with an empty cache. `datasets` reads HF_HOME once, when first imported (before
    any fixture), so its settings are patched as well as the environment of subprocesses."""
    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    for name, value in (("HF_CACHE_HOME", str(home)), ("HF_DATASETS_CACHE", home / "datasets"),
                        ("HF_MODULES_CACHE", home / "modules"),
                        ("DOWNLOADED_DATASETS_PATH", home / "datasets" / "downloads"),
                        ("EXTRACTED_DATASETS_PATH", home / "datasets" / "downloads" / "extracted"),
                        ("HF_HUB_OFFLINE", True), ("HF_DATASETS_OFFLINE", True)):
        monkeypatch.setattr(datasets_config, name, value)


def copy_repo_inputs(target: Path) -> Path:
    """A scratch copy of everything a build reads (and the committed export)."""
    for name in ("corpus", "annotations", "data"):
        shutil.copytree(REPO / name, target / name)
    for name in ("release.json", "CHANGELOG.md", "README.md", "DATASHEET.md"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, target / name)
    return target


@pytest.fixture
def copy_inputs() -> Callable[[Path], Path]:
    """``copy_repo_inputs``, for tests that need several scratch copies."""
    return copy_repo_inputs


def bump_version(root: Path, version: str, change: str) -> None:
    """Start an unreleased version with its CHANGELOG entry: what a change to a released
    version needs before it is built."""
    (root / "release.json").write_text(json.dumps(
        {"version": version, "date": "2026-12-24", "released": False}))
    with (root / "CHANGELOG.md").open("a", encoding="utf-8") as changelog:
        changelog.write(f"\n## [{version}] - 2026-12-24\n\n{change}\n")


@pytest.fixture
def next_version() -> Callable[[Path, str, str], None]:
    """``bump_version``, for tests that change a released version's content."""
    return bump_version


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    """A writable copy of the repository's inputs, for tests that change or break them."""
    return copy_repo_inputs(tmp_path / "repo")


@pytest.fixture(scope="session")
def fresh_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release rebuilt from the committed inputs into a temporary folder."""
    from newsprov.build.pipeline import build

    out = tmp_path_factory.mktemp("export") / "data"
    build(REPO, out)
    return out


def kill_midrun(command: list[str], started: Callable[[], bool]) -> None:
    """Run ``command`` in a process group of its own and SIGKILL the whole group once
    ``started()`` holds; return when none of its processes lives on (a worker still dying
    could still write)."""
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while not started() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    while group_lives(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def group_lives(group: int) -> bool:
    """Whether a process of ``group`` is still running (zombies have let go of their files)."""
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == group and process.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except ProcessLookupError:
            continue
    return False



@pytest.fixture
def http_server() -> Iterator[Callable[..., str]]:
    """Starts an HTTP server on 127.0.0.1, in a thread, for the rest of the test: called with
    a request handler class (and its options), gives the server's base URL. Requests are not
    logged: the commands under test write their one line on stderr."""
    running: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(handler: type[BaseHTTPRequestHandler], **options: Any) -> str:
        quiet = type(handler.__name__, (handler,), {"log_message": lambda self, *args: None})
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(quiet, **options))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The suite's one real Label Studio server on 127.0.0.1 (its first start migrates a
    fresh database: about 40 s), from ``$NEWSPROV_LABEL_STUDIO`` or
    ``.venv-labelstudio/bin/label-studio``; without one its tests fail (they are the bar of
    the Label Studio workflow, not optional). It gets a random account and token that are
    never printed, and is stopped at the end of the session. Each test works in a project
    of its own."""
    binary, missing = server_binary()
    if binary is None:
        pytest.fail(missing, pytrace=False)
    account = Account("newsprov-tests@example.com", secrets.token_urlsafe(18),
                      secrets.token_hex(20))
    directory = tmp_path_factory.mktemp("label-studio")
    log_path = directory / "server.log"
    with log_path.open("wb") as log:
        server = Server(directory / "data", free_port(), account, binary, log)
        failure = start_server(server)
        if failure:
            log.flush()
            tail = log_path.read_text(errors="replace")[-3000:]
            pytest.fail(f"{failure}\n--- server log (end) ---\n{tail}", pytrace=False)
        try:
            yield server
        finally:
            server.stop()


def server_binary() -> tuple[Path | None, str]:
    """The server executable, or None and why (failing inside ``except`` would print the
    message twice)."""
    try:
        return find_binary(), ""
    except FileNotFoundError as error:
        return None, str(error)


def start_server(server: Server) -> str | None:
    """Start the server; what went wrong, if anything."""
    try:
        server.start()
    except (RuntimeError, TimeoutError) as error:
        return str(error)
    return None


@pytest.fixture
def server_env(label_studio: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    """The server's URL and token in the environment, where ``ls-sync`` reads them."""
    assert label_studio.account is not None
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.account.token)
    return label_studio
