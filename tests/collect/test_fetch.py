"""Fetching a URL list politely, against an HTTP server on 127.0.0.1 only: robots.txt
respected, one request per host per interval, retries with back-off, every URL one record
(fetched or skipped with its reason) in the order of the list."""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from newsprov.cli import main
from newsprov.collect.fetch import PoliteFetcher
from newsprov.core.layout import COLLECT_STATS, REPO

sys.path.insert(0, str(REPO / "scripts"))
import synth_crawl  # a script, not a package module

INTERVAL = 0.2


class Site(BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[float, str]]] = []
    flaky_failures = 0

    def do_GET(self) -> None:
        Site.requests.append((time.monotonic(), self.path))
        if self.path == "/robots.txt":
            self.answer(200, "text/plain", b"User-agent: *\nDisallow: /private\n")
        elif self.path.startswith("/news/"):
            number = int(self.path.rsplit("/", 1)[1])
            self.answer(200, "text/html; charset=utf-8",
                        synth_crawl.article_html(number).encode())
        elif self.path == "/flaky" and Site.flaky_failures < 2:
            Site.flaky_failures += 1
            self.answer(503, "text/plain", b"busy")
        elif self.path == "/flaky":
            self.answer(200, "text/html", synth_crawl.article_html(77).encode())
        elif self.path == "/always-busy":
            self.answer(503, "text/plain", b"busy")
        else:
            self.answer(404, "text/plain", b"not found")

    def answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def site() -> Iterator[str]:
    Site.requests, Site.flaky_failures = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def url_list(tmp_path: Path, site: str) -> Path:
    path = tmp_path / "site.urls"
    path.write_text("\n".join([f"{site}/news/1", f"{site}/private/2", f"{site}/flaky",
                               "# a comment", f"{site}/missing", f"{site}/always-busy",
                               "ftp://example.org/x", f"{site}/news/3"]) + "\n")
    return path


def test_fetching_is_polite(tmp_path: Path, site: str) -> None:
    fetcher = PoliteFetcher(concurrency=3, interval=INTERVAL, retries=2, backoff=0.05)
    records = list(fetcher.records(url_list(tmp_path, site)))
    outcome = [(r.metadata["url"].removeprefix(site), r.metadata["problem"],
                r.metadata["status"]) for r in records]
    assert outcome == [("/news/1", None, 200), ("/private/2", "robots-disallowed", None),
                       ("/flaky", None, 200), ("/missing", None, 404),
                       ("/always-busy", "unreachable", None),
                       ("ftp://example.org/x", "invalid-url", None), ("/news/3", None, 200)]
    paths = [path for _, path in Site.requests]
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1
    assert "/private/2" not in paths
    assert paths.count("/flaky") == 3 and paths.count("/always-busy") == 3
    times = sorted(t for t, _ in Site.requests)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= INTERVAL * 0.95, gaps


def test_collect_a_url_list(tmp_path: Path, site: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["collect", str(url_list(tmp_path, site)), "--out",
                                       str(out), "--workers", "1", "--fetch-interval", "0.05"])
    assert result.exit_code == 0, result.output
    stats = json.loads((out / COLLECT_STATS).read_text())
    assert stats == {"records": 7, "accepted": 3, "skipped_total": 4,
                     "skipped": {"http-status": 1, "invalid-url": 1, "robots-disallowed": 1,
                                 "unreachable": 1}}
