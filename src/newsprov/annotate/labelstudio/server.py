"""A local Label Studio server on 127.0.0.1, for annotators and for the round-trip tests.

The server lives in its own virtual environment (it pins pyarrow < 25 and Django): its binary
is ``$NEWSPROV_LABEL_STUDIO`` or ``<repo>/.venv-labelstudio/bin/label-studio``, which
``scripts/setup.sh --with-label-studio`` creates. Facts this module relies on (see
``shared/notes/toolchain.md``): ``--internal-host`` is the listen address (``--host`` is not);
a busy port is silently replaced by the next one, so the caller picks a free port and checks
that the server listens on it; the legacy API token must be enabled when the data directory
is first created; the first start runs the database migrations (about 40 s).

Never run ``label-studio --help`` or ``--version``: both start a server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from newsprov.core.layout import LABELSTUDIO_BINARY

BINARY_VARIABLE = "NEWSPROV_LABEL_STUDIO"
HOST = "127.0.0.1"
START_TIMEOUT = 300.0  # seconds; the first start on a fresh data directory migrates the database
STOP_TIMEOUT = 20.0


@dataclass(frozen=True)
class Account:
    """The administrator account created on first start. Never printed or logged."""

    email: str
    password: str
    token: str  # 40 hex characters: a legacy API token

    def __repr__(self) -> str:
        return f"Account(email={self.email!r}, password=<hidden>, token=<hidden>)"


def find_binary() -> Path:
    """The ``label-studio`` executable; a clear error naming both places looked at."""
    configured = os.environ.get(BINARY_VARIABLE)
    candidates = [Path(configured)] if configured else []
    candidates.append(LABELSTUDIO_BINARY)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"no Label Studio server found (looked at: {looked}). Install it with "
        f"`bash scripts/setup.sh --with-label-studio` or set {BINARY_VARIABLE} to the "
        "label-studio executable of a virtual environment with label-studio installed.")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_environment(data_dir: Path, account: Account | None) -> dict[str, str]:
    """The environment of a server process: data, config and home inside ``data_dir``,
    no analytics, no error reporting, no version check; the account if one is given (without
    one, the first visitor signs up in the browser)."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT")
    environment = {name: os.environ[name] for name in keep if name in os.environ}
    environment.update({
        "HOME": str(data_dir / "home"),
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "PYTHONUNBUFFERED": "1",
    })
    if account is not None:
        environment.update({"LABEL_STUDIO_USERNAME": account.email,
                            "LABEL_STUDIO_PASSWORD": account.password,
                            "LABEL_STUDIO_USER_TOKEN": account.token})
    return environment


class Server:
    """A running ``label-studio start`` process listening on 127.0.0.1:``port`` only."""

    def __init__(self, data_dir: Path, port: int, account: Account | None = None,
                 binary: Path | None = None, log: IO[bytes] | None = None) -> None:
        self.data_dir = data_dir
        self.port = port
        self.account = account
        self.binary = binary or find_binary()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> Server:
        (self.data_dir / "home").mkdir(parents=True, exist_ok=True)
        command = [str(self.binary), "start", "--no-browser", "--internal-host", HOST,
                   "--port", str(self.port)]
        # Its own process group, so that stopping it reaches any child it starts.
        self.process = subprocess.Popen(
            command, env=server_environment(self.data_dir, self.account),
            cwd=self.data_dir, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT if self.log else None, start_new_session=True)
        try:
            self._wait_until_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the Label Studio server exited with status "
                                   f"{self.process.returncode} before it was ready")
            if self._healthy():
                self._check_listen_address()
                return
            time.sleep(0.5)
        raise TimeoutError(f"the Label Studio server did not answer {self.url}/health "
                           f"within {timeout:.0f} s")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return json.load(response).get("status") == "UP"
        except (OSError, ValueError):
            return False

    def _check_listen_address(self) -> None:
        """The server must listen where we asked and nowhere else: it moves to the next port
        when ours is taken, and defaults to all interfaces."""
        addresses = sorted(self.listening())
        if addresses != [(HOST, self.port)]:
            raise RuntimeError(f"the Label Studio server listens on {addresses}, "
                               f"not only on {HOST}:{self.port}")

    def listening(self) -> set[tuple[str, int]]:
        """The (address, port) pairs the server's processes listen on."""
        assert self.process is not None
        root = psutil.Process(self.process.pid)
        found: set[tuple[str, int]] = set()
        for process in [root, *root.children(recursive=True)]:
            for connection in process.net_connections(kind="inet"):
                if connection.status == psutil.CONN_LISTEN:
                    found.add((connection.laddr.ip, connection.laddr.port))
        return found

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Server:
        return self if self.process else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
