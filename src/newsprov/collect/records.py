"""Reading crawl inputs as datatrove documents: one document per input record, whatever is
wrong with it. A reader never drops a record and never raises on its content: what it found
wrong is put in ``metadata["problem"]`` for a filter to skip with that reason, so that
accepted + skipped = records read.

Inputs: WARC / WARC.gz files (warcio), folders of saved ``.html``/``.txt`` pages, JSON Lines
of ``{url, html or text, fetched}`` records, and ``.urls`` files (one URL a line, fetched
politely by ``collect.fetch``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datatrove.data import Document
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsprov.annotate.ingest import HTML_SUFFIXES, MAX_BYTES

WARC_SUFFIXES = (".warc", ".warc.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
URLS_SUFFIX = ".urls"
TEXT_SUFFIXES = {".txt"}
PAGE_RECORD_TYPES = {"response", "resource"}


def record(origin: str, raw: bytes | None, *, kind: str, url: str | None = None,
           content_type: str | None = None, charset: str | None = None,
           fetched: str | None = None, record_type: str = "response", status: int | None = None,
           problem: str | None = None, detail: str | None = None) -> Document:
    """One input record as a datatrove document (its text is filled in by extraction)."""
    return Document(text="", id=origin, metadata={
        "origin": origin, "kind": kind, "url": url, "content_type": content_type,
        "charset": charset, "fetched": fetched, "record_type": record_type, "status": status,
        "raw": raw, "problem": problem, "detail": detail})


def read_limited(stream: Any) -> tuple[bytes, bool]:
    """At most MAX_BYTES of a stream, and whether there was more (the rest is not read)."""
    raw = stream.read(MAX_BYTES + 1)
    return raw[:MAX_BYTES], len(raw) > MAX_BYTES


# ------------------------------------------------------------------ WARC


def warc_records(path: Path) -> Iterator[Document]:
    with path.open("rb") as stream:
        records = iter(ArchiveIterator(stream, arc2warc=True))
        number = 0
        while True:
            number += 1
            origin = f"{path}#record {number}"
            try:
                item = next(records)
            except StopIteration:
                return
            except (ArchiveLoadFailed, EOFError, OSError, ValueError) as error:
                # warcio cannot read a record header: the file is not a WARC file, or it ends
                # in a damaged record; nothing after it can be read.
                yield record(origin, None, kind="warc",
                             problem="not-a-warc" if number == 1 else "truncated-record",
                             detail=f"{type(error).__name__}: {error}")
                return
            yield warc_record(item, origin)


def warc_record(item: Any, origin: str) -> Document:
    headers = item.rec_headers
    url = headers.get_header("WARC-Target-URI")
    fetched = (headers.get_header("WARC-Date") or "")[:10] or None
    record_type = item.rec_type
    http = item.http_headers
    content_type = charset = None
    status = None
    if http is not None and record_type == "response":
        declared = http.get_header("Content-Type") or ""
        content_type = declared.split(";")[0].strip().lower() or None
        charset = next((part.split("=", 1)[1].strip(" \"'") for part in declared.split(";")[1:]
                        if part.strip().lower().startswith("charset=")), None)
        code = http.get_statuscode() or ""
        status = int(code) if code.isdigit() else None
    elif record_type == "resource":
        content_type = (headers.get_header("Content-Type") or "").split(";")[0].strip() or None
    common = dict(kind="warc", url=url, content_type=content_type, charset=charset,
                  fetched=fetched, record_type=record_type, status=status)
    if record_type not in PAGE_RECORD_TYPES:
        item.content_stream().read()
        return record(origin, None, **common)
    try:
        raw, more = read_limited(item.content_stream())
    except (EOFError, OSError, ValueError) as error:
        return record(origin, None, **common, problem="truncated-record",
                      detail=f"{type(error).__name__}: {error}")
    if more:
        return record(origin, None, **common, problem="too-large",
                      detail=f"larger than {MAX_BYTES} bytes")
    if item.raw_stream.limit > 0:   # the record declares more bytes than the file holds
        return record(origin, None, **common, problem="truncated-record",
                      detail=f"{item.raw_stream.limit} bytes of the declared Content-Length "
                             "missing")
    return record(origin, raw, **common)


# ------------------------------------------------------------------ saved pages


def saved_pages(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def saved_page(path: Path) -> Document:
    suffix = path.suffix.lower()
    content_type = ("text/html" if suffix in HTML_SUFFIXES else
                    "text/plain" if suffix in TEXT_SUFFIXES else None)
    with path.open("rb") as stream:
        raw, more = read_limited(stream)
    if more:
        return record(str(path), None, kind="saved page", content_type=content_type,
                      problem="too-large", detail=f"larger than {MAX_BYTES} bytes")
    return record(str(path), raw, kind="saved page", content_type=content_type)


# ------------------------------------------------------------------ JSON Lines


def jsonl_records(path: Path) -> Iterator[Document]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as stream:
        try:
            for number, line in enumerate(stream, start=1):
                yield jsonl_record(line, f"{path}:{number}")
        except (EOFError, OSError) as error:
            yield record(f"{path}:end", None, kind="jsonl", problem="truncated-record",
                         detail=f"{type(error).__name__}: {error}")


def jsonl_record(line: bytes, origin: str) -> Document:
    try:
        item = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return record(origin, None, kind="jsonl", problem="invalid-record",
                      detail=f"not JSON: {error}")
    has_page = isinstance(item, dict) and (isinstance(item.get("html"), str)
                                           or isinstance(item.get("text"), str))
    if not has_page or not isinstance(item.get("url"), (str, type(None))) \
            or not isinstance(item.get("fetched"), (str, type(None))):
        return record(origin, None, kind="jsonl", problem="invalid-record",
                      detail="a record is an object {url, html or text, fetched}")
    is_html = isinstance(item.get("html"), str)
    raw = (item["html"] if is_html else item["text"]).encode("utf-8")
    common = dict(kind="jsonl", url=item.get("url"), charset="utf-8",
                  content_type="text/html" if is_html else "text/plain",
                  fetched=(item.get("fetched") or "")[:10] or None)
    if len(raw) > MAX_BYTES:
        return record(origin, None, **common, problem="too-large",
                      detail=f"larger than {MAX_BYTES} bytes")
    return record(origin, raw, **common)


# ------------------------------------------------------------------ tasks


@dataclass(frozen=True)
class InputFile:
    """A task's input: one WARC, JSON Lines or URL-list file, or a range of saved pages."""

    path: Path
    pages: tuple[Path, ...] = ()    # saved pages: the files of this task

    def records(self, fetcher: Any) -> Iterator[Document]:
        """Every record of the input; ``fetcher`` (a ``fetch.PoliteFetcher``) gets the
        pages of a URL list."""
        name = self.path.name.lower()
        if self.pages:
            yield from map(saved_page, self.pages)
        elif name.endswith(WARC_SUFFIXES):
            yield from warc_records(self.path)
        elif name.endswith(JSONL_SUFFIXES):
            yield from jsonl_records(self.path)
        elif name.endswith(URLS_SUFFIX):
            yield from fetcher.records(self.path)
        else:
            yield record(str(self.path), None, kind="file", problem="unknown-input",
                         detail=f"not a {', '.join((*WARC_SUFFIXES, *JSONL_SUFFIXES))}, "
                                f"{URLS_SUFFIX} file or a folder of saved pages")


def plan_inputs(paths: list[Path], pages_per_task: int) -> list[InputFile]:
    """One task per file; a folder of saved pages in ranges of ``pages_per_task`` files."""
    tasks: list[InputFile] = []
    for path in paths:
        if path.is_dir():
            pages = saved_pages(path)
            tasks += [InputFile(path, tuple(pages[start:start + pages_per_task]))
                      for start in range(0, len(pages), pages_per_task)]
        else:
            tasks.append(InputFile(path))
    return tasks
