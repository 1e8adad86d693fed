"""The collection's filters, one job each in datatrove's style: ``filter(doc) -> True |
(False, reason)``. datatrove counts every drop as ``dropped_<reason>`` in the step's
statistics; ``SkipSamples`` keeps the first few records of each reason for inspection.

A filter that passes a record may fill in what it found (the decoded page, the text, the
language) for the next one; each records its settings for the document's provenance.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from newsprov.annotate.detectors import identify_language
from newsprov.annotate.ingest import (
    HTML_TYPES,
    TRAFILATURA_OPTIONS,
    Received,
    article_doubts,
    decode,
    extract,
)
from newsprov.core.errors import InputError
from newsprov.store.corpus import is_iso639_1

SAMPLES_PER_REASON = 5
SAMPLE_CHARS = 2000
PAGE_TYPES = HTML_TYPES | {"text/plain"}


class SkipSamples:
    """datatrove's exclusion writer interface (a context manager with ``write(doc, rank)``):
    the first ``SAMPLES_PER_REASON`` records of each reason of a task, as JSON Lines in
    ``<folder>/<reason>/<rank>.jsonl``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.kept: dict[str, int] = {}

    def __enter__(self) -> SkipSamples:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, doc: Document, rank: int = 0) -> None:
        reason = doc.metadata.get("filter_reason") or "unknown"
        if self.kept.get(reason, 0) >= SAMPLES_PER_REASON:
            return
        self.kept[reason] = self.kept.get(reason, 0) + 1
        raw = doc.metadata.get("raw") or b""
        path = self.folder / reason / f"{rank:05d}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.kept[reason] == 1:
            path.unlink(missing_ok=True)       # a resumed task starts its samples again
        sample = {"origin": doc.id, "reason": reason, "detail": doc.metadata.get("detail"),
                  "url": doc.metadata.get("url"),
                  "content_type": doc.metadata.get("content_type"), "raw_bytes": len(raw),
                  "raw_start": raw[:SAMPLE_CHARS].decode("utf-8", "replace"),
                  "text_start": doc.text[:SAMPLE_CHARS]}
        with path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(sample, ensure_ascii=False) + "\n")


class CollectFilter(BaseFilter):
    """A filter of the collection; ``settings`` go into each document's provenance."""

    tool = "newsprov"
    settings: ClassVar[dict[str, Any]] = {}

    def __init__(self, samples: Path) -> None:
        super().__init__(exclusion_writer=SkipSamples(samples))  # type: ignore[arg-type]

    @classmethod
    def provenance(cls) -> dict[str, Any]:
        return {"step": cls.name, "tool": cls.tool, "version": version(cls.tool),
                "settings": cls.settings}


def skip(doc: Document, reason: str, detail: str) -> tuple[bool, str]:
    doc.metadata["detail"] = detail
    return False, reason


class ReadableRecord(CollectFilter):
    """What the reader found wrong: a truncated record, a page over the size limit, a line
    that is not a record."""

    name = "readable record"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return doc.metadata["problem"] is None or (False, doc.metadata["problem"])


class PageRecord(CollectFilter):
    """A WARC response or resource (not a request, warcinfo or metadata record), answered
    200 OK when it was fetched over HTTP."""

    name = "page record"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if doc.metadata["record_type"] not in ("response", "resource"):
            return skip(doc, "not-a-page-record", f"a WARC {doc.metadata['record_type']} record")
        status = doc.metadata["status"]
        return status in (None, 200) or skip(doc, "http-status", f"HTTP status {status}")


class HtmlOrText(CollectFilter):
    name = "HTML or text"
    settings: ClassVar[dict[str, Any]] = {"content_types": sorted(PAGE_TYPES)}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        content_type = doc.metadata["content_type"]
        return content_type in PAGE_TYPES or \
            skip(doc, "not-html", f"content type {content_type or 'unknown'}")


def received(doc: Document) -> Received:
    return Received(doc.id, doc.metadata["raw"], doc.metadata["content_type"] in HTML_TYPES,
                    doc.metadata["charset"], doc.metadata["url"], None)


class DecodedPage(CollectFilter):
    """The page's bytes as text, by its byte-order mark, declared charset or as UTF-8
    (``ingest.decode``): a binary body or bytes that are not in the declared encoding are
    skipped, never guessed."""

    name = "decoded page"
    settings: ClassVar[dict[str, Any]] = {
        "encoding": "byte-order mark, else the declared charset (HTTP, then <meta>), else "
                    "UTF-8; never guessed"}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        try:
            doc.metadata["page"] = decode(received(doc))
        except InputError as error:
            reason = "binary-body" if error.check == "binary-input" else "wrong-encoding"
            return skip(doc, reason, error.problem)
        return True


class ExtractedText(CollectFilter):
    """The article text and the page's metadata by trafilatura (``ingest.extract``)."""

    name = "extraction"
    tool = "trafilatura"
    settings: ClassVar[dict[str, Any]] = {"function": "bare_extraction",
                **{k: str(v) if isinstance(v, dict) else v
                   for k, v in TRAFILATURA_OPTIONS.items()}}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        try:
            page = extract(received(doc), doc.metadata.pop("page"))
        except InputError as error:
            reason = "not-html" if error.check == "not-html" else "nothing-extracted"
            return skip(doc, reason, error.problem)
        doc.text = page.text
        doc.metadata["extracted"] = {"title": page.title, "publisher": page.publisher,
                                     "url": page.url, "published": page.published,
                                     "canonical_url": page.canonical_url}
        return True


class ArticleBody(CollectFilter):
    """A page with no article (navigation, banners and related links only): the rule of
    ``newsprov add`` (``ingest.article_doubts``)."""

    name = "article body"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        doubts = article_doubts(doc.text)
        return not doubts or skip(doc, "no-article", "; ".join(doubts))


class Language(CollectFilter):
    name = "language"
    tool = "py3langid"
    settings: ClassVar[dict[str, Any]] = {"normalised_probabilities": True,
                                          "accepted": "ISO 639-1 codes"}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        language, probability = identify_language(doc.text)
        if not is_iso639_1(language):
            return skip(doc, "language-not-iso639-1", f"identified as {language!r}")
        doc.metadata["language"] = language
        doc.metadata["language_probability"] = round(probability, 4)
        return True


FILTERS: tuple[type[CollectFilter], ...] = (ReadableRecord, PageRecord, HtmlOrText,
                                            DecodedPage, ExtractedText, ArticleBody, Language)

