"""``newsprov add``: a saved web page, a plain-text file or a URL -> a new corpus entry.

The raw input is kept beside the text (``raw.html`` or ``raw.txt``) for provenance. Main text
and metadata come from trafilatura, the language from py3langid; a field the input does not
state stays null with a reason, and nothing is guessed: the encoding must be declared or be
UTF-8, dates come from the page markup only, and the collection date is known only when the
page is fetched here (or given with ``--collected``).

Source matching: an exact copy of a corpus text is refused. Likely sources are found in the
corpus's source index (``source_index``: updated one document at a time, so adding an article
reads no other document) and verified by sentence alignment (``alignment``); those that reach
the proposal threshold are proposed as ``derived_from`` candidates; the person adding the
article confirms one with ``--derived-from`` or declares the article original with
``--not-derived``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
import shutil
import urllib.error
import urllib.request
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from newsprov.annotate.alignment import (
    PROPOSAL_THRESHOLD,
    Proposal,
    align,
    claim_candidates,
    find_sources,
)
from newsprov.annotate.detectors import WORD, identify_language, pre_annotations
from newsprov.annotate.source_index import corpus_index
from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.layout import DOCUMENTS_DIR, METADATA_FILE, PRE_DIR
from newsprov.store.annotations import check_annotation_file, write_annotation_file
from newsprov.store.corpus import (
    CorpusOnDisk,
    Document,
    check_derivation,
    check_metadata,
    is_iso639_1,
    text_sha256,
    write_document,
)

HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
HTML_ELEMENT = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)
META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))
DOC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
MAX_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 30

# What an article body looks like (refused below, unless --accept-any-text): enough words,
# and most of them in lines that end like sentences; page furniture (menus, related links,
# cookie prompts) is short lines without sentence punctuation. The filters of
# datatrove's C4 and Gopher quality rules look at the same two things.
MIN_ARTICLE_WORDS = 50
MIN_SENTENCE_SHARE = 0.5  # of the words, in lines ending like a sentence
SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019\u00bb)\]]*\s*$")

DEFAULT_RIGHTS = ("Not assessed at collection; no licence was recorded. Copyright of the "
                  "publisher is assumed. Included for non-commercial research on content "
                  "provenance; removed on request (DATASHEET.md, Takedown).")


# ------------------------------------------------------------------ reading the input


@dataclass(frozen=True)
class Received:
    """The raw input as received, before decoding."""

    origin: str  # the path or URL as given
    raw: bytes
    is_html: bool
    charset: str | None  # declared by the user or the HTTP response
    url: str | None  # the address it was fetched from (after redirects)
    fetched: dt.date | None

    @property
    def raw_name(self) -> str:
        return "raw.html" if self.is_html else "raw.txt"

    def how(self) -> str:
        if self.url:
            return f"fetched from {self.url} on {self.fetched} with Python urllib"
        kind = "saved HTML page" if self.is_html else "plain-text file"
        return f"{kind} {Path(self.origin).name!r} given to newsprov add"


def receive(source: str, encoding: str | None, today: dt.date) -> Received:
    if re.match(r"https?://", source, re.IGNORECASE):
        return fetch(source, encoding, today)
    path = Path(source)
    if not path.is_file():
        raise InputError(path, None, "no such file", check="input-not-found")
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise InputError(path, None, f"larger than {MAX_BYTES} bytes", check="input-too-large")
    head = raw[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    is_html = path.suffix.lower() in HTML_SUFFIXES or head.startswith((b"<!doctype html",
                                                                       b"<html"))
    return Received(source, raw, is_html, encoding, None, None)


def fetch(url: str, encoding: str | None, today: dt.date) -> Received:
    """GET an http(s) URL: the only use of the network."""
    request = urllib.request.Request(url, headers={"User-Agent": f"newsprov/{version('newsprov')}"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            raw = response.read(MAX_BYTES + 1)
            content_type = response.headers.get_content_type()
            charset = encoding or response.headers.get_content_charset()
            final_url = response.geturl()
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise InputError(url, None, f"unreachable: {reason}", check="url-unreachable") from None
    if len(raw) > MAX_BYTES:
        raise InputError(url, None, f"larger than {MAX_BYTES} bytes", check="input-too-large")
    if content_type not in HTML_TYPES | {"text/plain"}:
        raise InputError(url, None, f"not HTML or plain text (Content-Type {content_type})",
                         check="url-content-type")
    return Received(url, raw, content_type in HTML_TYPES, charset, final_url, today)


def decode(received: Received) -> str:
    """The input as text: by its byte-order mark, its declared charset, or as UTF-8."""
    raw, where = received.raw, received.origin
    bom = next((name for mark, name in BOMS if raw.startswith(mark)), None)
    if bom is None and b"\0" in raw[:8192]:
        raise InputError(where, None, "a binary file, not a web page or text", check="binary-input")
    charset = bom or received.charset
    if charset is None and received.is_html:
        declared = META_CHARSET.search(raw[:4096])
        charset = declared.group(1).decode("ascii") if declared else None
    try:
        codec = codecs.lookup(charset or "utf-8").name
    except LookupError:
        raise InputError(where, None, f"unknown encoding {charset!r}",
                         check="unknown-encoding") from None
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as error:
        problem = (f"not valid {codec} ({error.reason} at byte {error.start})" if charset else
                   "unknown encoding: the input declares none and is not valid UTF-8 "
                   "(give --encoding)")
        raise InputError(where, None, problem, check="unknown-encoding") from None
    return text.removeprefix("\ufeff")


@dataclass(frozen=True)
class Extraction:
    text: str
    title: str | None = None
    publisher: str | None = None
    url: str | None = None  # where it was fetched from, else the page's canonical address
    published: str | None = None
    canonical_url: str | None = None  # the address the page gives for itself


def extract(received: Received, content: str) -> Extraction:
    """The article text and what the page's markup says about it."""
    if not received.is_html:
        if not content.strip():
            raise InputError(received.origin, None, "the file holds no text", check="no-text")
        return Extraction(content, url=received.url)
    if not HTML_ELEMENT.search(content):
        raise InputError(received.origin, None, "not HTML: no <html>, <head> or <body>",
                         check="not-html")
    import trafilatura  # imported here: loading it takes a while

    page = trafilatura.bare_extraction(content, url=received.url, **TRAFILATURA_OPTIONS)
    if page is None or not (page.text or "").strip():
        raise InputError(received.origin, None, "no article text could be extracted",
                         check="nothing-extracted")
    return Extraction(page.text, page.title, page.sitename, received.url or page.url,
                      page.date, page.url)


TRAFILATURA_OPTIONS: dict[str, Any] = {
    "with_metadata": True, "include_comments": False, "include_tables": True,
    "include_images": False, "include_links": False, "deduplicate": False,
    # dates from the page's markup only, not guessed from its text
    "date_extraction_params": {"extensive_search": False, "original_date": True},
}


# ------------------------------------------------------------------ is it an article?


def long_enough(text: str) -> bool | tuple[bool, str]:
    words = len(WORD.findall(text))
    return words >= MIN_ARTICLE_WORDS or \
        (False, f"only {words} words (an article has at least {MIN_ARTICLE_WORDS})")


def in_sentences(text: str) -> bool | tuple[bool, str]:
    counts = [(len(WORD.findall(line)), bool(SENTENCE_END.search(line)))
              for line in text.splitlines()]
    words = sum(n for n, _ in counts)
    share = sum(n for n, ends in counts if ends) / words if words else 0.0
    return share >= MIN_SENTENCE_SHARE or \
        (False, f"{share:.0%} of its words are in lines that end like a sentence (an article "
                f"has at least {MIN_SENTENCE_SHARE:.0%}; menus and link lists have none)")


ARTICLE_FILTERS = (long_enough, in_sentences)


def article_doubts(text: str) -> list[str]:
    """Why the text does not look like an article body (nothing if it does)."""
    return [verdict[1] for check in ARTICLE_FILTERS
            if isinstance(verdict := check(text), tuple)]


# ------------------------------------------------------------------ the new entry


def next_id(corpus: Mapping[str, Document], text: str) -> str:
    """``NNN_<16 hex>``: one more than the highest number in use, then the text's sha256."""
    numbers = [int(m.group(1)) for doc_id in corpus if (m := re.match(r"(\d+)_", doc_id))]
    return f"{max(numbers, default=-1) + 1:03d}_{text_sha256(text)[:16]}"


@dataclass(frozen=True)
class Provenance:
    """What the person adding the article states about it."""

    story_group: str | None = None
    derived_from: str | None = None
    derivation: str | None = None
    not_derived: bool = False
    collected: dt.date | None = None
    rights: str = DEFAULT_RIGHTS


def tool_versions() -> str:
    return ", ".join(f"{name} {version(name)}"
                     for name in ("newsprov", "trafilatura", "htmldate", "py3langid"))


def build_metadata(doc_id: str, received: Received, page: Extraction, language: str,
                   given: Provenance, candidates: list[Proposal], today: dt.date,
                   story_group: str) -> dict[str, Any]:
    unknown: dict[str, str] = {}
    unstated = ("The page's markup does not state it (trafilatura found none); not guessed."
                if received.is_html else
                "A plain-text input has no markup that states it; not guessed from the text.")
    for field, value in (("title", page.title), ("publisher", page.publisher),
                         ("url", page.url), ("published", page.published)):
        if value is None:
            unknown[field] = unstated
    collected = received.fetched or given.collected
    if collected is None:
        unknown["collected"] = ("Added from a saved file; the day it was fetched from the web "
                                "was not recorded.")
    proposed = [c for c in candidates if c.proposed]
    if given.derived_from is None:
        reason = (f"Declared original by the person adding it; source matching had proposed "
                  f"{'; '.join(c.describe() for c in proposed)}." if proposed else
                  f"No source known: source matching found no corpus document with an "
                  f"alignment score >= {PROPOSAL_THRESHOLD} when it was added.")
        unknown["derived_from"] = unknown["derivation"] = reason
    if received.is_html:
        extraction = (f"main text and metadata extracted by trafilatura bare_extraction "
                      f"({', '.join(f'{k}={v}' for k, v in TRAFILATURA_OPTIONS.items())})")
    else:
        extraction = "text stored as received"
    metadata = {
        "id": doc_id, "title": page.title, "publisher": page.publisher, "url": page.url,
        "published": page.published, "language": language,
        "collection_method": f"{received.how()}; {extraction}; language identified by "
                             f"py3langid. Tools: {tool_versions()}.",
        "collected": collected.isoformat() if collected else None,
        "added": today.isoformat(), "rights": given.rights,
        "sha256": text_sha256(page.text), "story_group": story_group,
        "derived_from": given.derived_from, "derivation": given.derivation,
        "unknown_fields": [{"field": field, "reason": reason}
                           for field, reason in unknown.items()],
        "notes": f"Raw input kept as {received.raw_name} (sha256 "
                 f"{hashlib.sha256(received.raw).hexdigest()})."
                 + (f" The page gives {page.canonical_url} as its canonical address."
                    if page.canonical_url not in (None, page.url) else "")
                 + "".join(f" Source matching: {c.describe()}." for c in proposed),
    }
    return {field.name: metadata[field.name] for field in schema.METADATA_FIELDS}


def decide_story(given: Provenance, candidates: list[Proposal],
                 corpus: Mapping[str, Document], where: str, doc_id: str) -> str:
    """The story group, after checking that the person adding decided on the candidates."""
    if given.derived_from and given.not_derived:
        raise InputError(where, doc_id, "--derived-from and --not-derived contradict each other",
                         check="derivation-options-contradict")
    if (given.derived_from is None) != (given.derivation is None):
        raise InputError(where, doc_id, f"--derived-from and --derivation go together; "
                                        f"derivations: {schema.DERIVATION.names}",
                         check="derivation-options-pair")
    proposed = [c for c in candidates if c.proposed]
    if given.derived_from is None and proposed and not given.not_derived:
        raise InputError(where, doc_id, "likely sources are in the corpus: "
                         + "; ".join(c.describe() for c in proposed)
                         + ". Confirm the source with --derived-from ID --derivation KIND, or "
                           "declare the article original with --not-derived",
                         check="source-candidates")
    if given.derived_from is not None:
        source = corpus.get(given.derived_from)
        if source is None:
            raise InputError(where, doc_id,
                             f"--derived-from {given.derived_from!r} is not in the corpus",
                             check="derived-from-unknown")
        return given.story_group or source.metadata["story_group"]
    if not given.story_group:
        raise InputError(where, doc_id, "give --story-group (the story this article reports)",
                         check="story-group-needed")
    return given.story_group


@dataclass(frozen=True)
class Added:
    document: Document
    directory: Path
    pre_path: Path
    flags: list[dict[str, Any]]
    candidates: list[Proposal]  # verified candidates, best first; some may be proposed


def add(root: Path, source: str, given: Provenance | None = None, *,
        doc_id: str | None = None, encoding: str | None = None,
        today: dt.date | None = None) -> Added:
    """Add one article to the corpus of ``root`` with its pre-annotations; on any error
    nothing is written."""
    given = given or Provenance()
    today = today or dt.date.today()
    corpus = CorpusOnDisk(root, today)  # reads a document only when it is looked up
    if doc_id is not None and (not DOC_ID.fullmatch(doc_id) or doc_id in corpus):
        problem = "already exists" if doc_id in corpus else "is not a valid id"
        raise InputError(root / DOCUMENTS_DIR / doc_id, doc_id, f"document id {problem}",
                         check="document-id")
    received = receive(source, encoding, today)
    page = extract(received, decode(received))
    index = corpus_index(root, corpus)
    if duplicate := index.by_sha256(text_sha256(page.text)):
        raise InputError(source, duplicate, f"the same text is already in the corpus as "
                                            f"{duplicate}", check="duplicate-text")
    doc_id = doc_id or next_id(corpus, page.text)
    language, _ = identify_language(page.text)
    if not is_iso639_1(language):
        raise InputError(source, doc_id, f"detected language {language!r} is not ISO 639-1",
                         check="language-not-iso639-1")
    candidates = find_sources(index, page.text, language)
    story_group = decide_story(given, candidates, corpus, source, doc_id)
    metadata = build_metadata(doc_id, received, page, language, given, candidates, today,
                              story_group)
    directory = root / DOCUMENTS_DIR / doc_id
    check_metadata(metadata, directory / METADATA_FILE, today)
    document = Document(metadata, page.text)
    with_new = ChainMap({doc_id: document}, corpus)
    check_derivation(document, with_new, directory / METADATA_FILE)
    pre_path = root / PRE_DIR / f"{doc_id}.json"
    if pre_path.exists():
        raise InputError(pre_path, doc_id, "pre-annotations for this id already exist",
                         check="pre-annotations-exist")
    pre = pre_annotations(document, today.isoformat())
    if given.derived_from is not None:  # the confirmed source's claim candidates
        source_text = with_new[given.derived_from].text
        pre["claims"] = claim_candidates(doc_id, given.derived_from,
                                         align(page.text, source_text, language), source_text,
                                         language, today.isoformat())
    pre = check_annotation_file(pre, pre_path, with_new)
    write_document(root, metadata, page.text, {received.raw_name: received.raw})
    try:
        write_annotation_file(pre_path, pre)
    except BaseException:
        shutil.rmtree(directory)
        raise
    index.add(doc_id, page.text, metadata, language)
    return Added(document, directory, pre_path, pre["span_flags"], candidates)
