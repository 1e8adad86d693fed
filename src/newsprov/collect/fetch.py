"""Fetching a list of URLs politely, for ``newsprov collect``: robots.txt respected
(``urllib.robotparser``), a few requests at a time to different hosts, one at a time to a
host and ``interval`` seconds (or the host's Crawl-delay, if longer) between the end of one
and the start of the next, retries with exponential back-off on timeouts, refused
connections, 429 and 5xx answers.

Every URL gives one record (``collect.records``) in the order of the list, whatever
happened: a URL that robots.txt disallows, that stays unreachable or that is not a URL is a
record with that problem, skipped with its reason by the filters. Limits hold within one
``.urls`` file (one task); give one file per host to keep them across workers.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

from datatrove.data import Document

from newsprov.annotate.ingest import MAX_BYTES
from newsprov.collect.records import record

RETRY_STATUSES = {429, 500, 502, 503, 504}


class Retry(Exception):
    """An answer that says to try again later (or none)."""


class Unreachable(Exception):
    """No answer after the retries (or an answer that says to retry, every time)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    more: bool              # the body was longer than MAX_BYTES (the rest is not read)
    url: str                # after redirects


@dataclass(frozen=True)
class PoliteFetcher:
    """The fetching settings (picklable; each task keeps its own hosts' state)."""

    concurrency: int = 4
    interval: float = 1.0           # seconds between two requests to one host
    retries: int = 3
    backoff: float = 1.0            # seconds before the first retry, doubled at each
    timeout: float = 30.0

    @property
    def user_agent(self) -> str:
        return f"newsprov/{version('newsprov')}"

    def records(self, path: Path) -> Iterator[Document]:
        urls = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        session = _Session(self)
        listed = [(number, url) for number, url in enumerate(urls, start=1)
                  if url and not url.startswith("#")]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            yield from pool.map(lambda item: session.record(f"{path}:{item[0]}", item[1]),
                                listed)


class _Session:
    """One task's state: each host's robots.txt, its turn (a lock held for a request) and
    when its turn comes again."""

    def __init__(self, settings: PoliteFetcher) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.next_request: dict[str, float] = {}
        self.turns: dict[str, threading.Lock] = {}
        self.robots_locks: dict[str, threading.Lock] = {}
        self.robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def record(self, origin: str, url: str) -> Document:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return record(origin, None, kind="fetched", url=url, problem="invalid-url",
                          detail="not an http(s) URL with a host")
        host = f"{parts.scheme}://{parts.netloc}"
        robots = self.robots_of(host)
        if robots is None:
            return record(origin, None, kind="fetched", url=url, problem="robots-unreachable",
                          detail=f"{host}/robots.txt did not answer; nothing is fetched "
                                 "from a host whose rules are unknown")
        if not robots.can_fetch(self.settings.user_agent, url):
            return record(origin, None, kind="fetched", url=url, problem="robots-disallowed",
                          detail=f"{host}/robots.txt disallows it")
        today = dt.date.today().isoformat()
        try:
            answer = self.get(host, url)
        except Unreachable as error:
            return record(origin, None, kind="fetched", url=url, fetched=today,
                          problem="unreachable", detail=str(error))
        declared = answer.headers.get("content-type", "")
        content_type = declared.split(";")[0].strip().lower() or None
        charset = next((p.split("=", 1)[1].strip(" \"'") for p in declared.split(";")[1:]
                        if p.strip().lower().startswith("charset=")), None)
        common = dict(kind="fetched", url=answer.url, content_type=content_type,
                      charset=charset, fetched=today, status=answer.status)
        if answer.more:
            return record(origin, None, **common, problem="too-large",
                          detail=f"larger than {MAX_BYTES} bytes")
        return record(origin, answer.body, **common)

    def robots_of(self, host: str) -> urllib.robotparser.RobotFileParser | None:
        with self.lock:
            host_lock = self.robots_locks.setdefault(host, threading.Lock())
        with host_lock:
            if host not in self.robots:
                self.robots[host] = self.read_robots(host)
        return self.robots[host]

    def read_robots(self, host: str) -> urllib.robotparser.RobotFileParser | None:
        """A host's rules; no robots.txt (4xx) allows everything (RFC 9309); none known
        after the retries (5xx, no connection) is None."""
        parser = urllib.robotparser.RobotFileParser(f"{host}/robots.txt")
        try:
            answer = self.get(host, f"{host}/robots.txt")
        except Unreachable:
            return None
        lines = answer.body.decode("utf-8", "replace").splitlines() \
            if answer.status == 200 else []
        parser.parse(lines)
        return parser

    def request(self, host: str, url: str) -> Answer:
        """One request when the host's turn comes; its next turn ``interval`` after."""
        with self.lock:
            turn = self.turns.setdefault(host, threading.Lock())
        with turn:
            time.sleep(max(0.0, self.next_request.get(host, 0.0) - time.monotonic()))
            try:
                return self.send(url)
            finally:
                robots = self.robots.get(host)
                delay = robots.crawl_delay(self.settings.user_agent) if robots else None
                self.next_request[host] = time.monotonic() + max(self.settings.interval,
                                                                 float(delay or 0))

    def get(self, host: str, url: str) -> Answer:
        settings = self.settings
        problem = ""
        for attempt in range(settings.retries + 1):
            if attempt:
                time.sleep(settings.backoff * 2 ** (attempt - 1))
            try:
                return self.request(host, url)
            except Retry as error:
                problem = str(error)
        raise Unreachable(f"{problem} after {settings.retries + 1} attempts")

    def send(self, url: str) -> Answer:
        """A GET; an answer to retry (timeout, no connection, 429, 5xx) raises Retry."""
        request = urllib.request.Request(url, headers={"User-Agent": self.settings.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                body = response.read(MAX_BYTES + 1)
                return Answer(response.status, {k.lower(): v for k, v in
                                                response.headers.items()},
                              body[:MAX_BYTES], len(body) > MAX_BYTES, response.geturl())
        except urllib.error.HTTPError as error:
            if error.code not in RETRY_STATUSES:
                return Answer(error.code, {k.lower(): v for k, v in error.headers.items()},
                              b"", False, url)
            raise Retry(f"HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise Retry(f"{type(error).__name__}: {getattr(error, 'reason', error)}") from None
