"""Rule-based quality detectors and the claim-unit segmenter.

One implementation serves three users: the completeness tests of the gold annotation (every
hit must be covered by a gold flag of the detector's label, or be a reviewed exception),
the pre-annotation of new documents (``annotations/pre/``, imported into Label Studio as
predictions) and the rule-based baseline of the benchmark.

Each detector is a small subclass of ``Detector``, shaped like datatrove's filters: its
``name``, the span_flag ``label`` of its hits (checked against the schema when the class is
defined) and one method ``find`` from a parsed text to hits. ``flag_records`` turns hits into
span-flag records of the schema (``method: rule_based``, annotator
``newsprov.detectors/<name>_v<version>``). Bump a detector's ``version`` whenever its
behaviour changes, so that records written by the old behaviour can be told apart; the plain
name stays the key of the exceptions file and of ``newsprov detect``. Texts are read as one
paragraph, heading, list item or table row per line, which is how trafilatura and the seed
files write them.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import justext
import pycountry
import pysbd
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from tld import is_tld

from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.files import read_json
from newsprov.core.layout import DOCUMENTS_DIR, EXCEPTIONS_FILE, GOLD_DIR, PRE_DIR
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import (
    check_span,
    empty_annotations,
    load_annotation_set,
    write_annotation_file,
)
from newsprov.store.corpus import Document, is_iso639_1, load_corpus

ANNOTATOR_PREFIX = "newsprov.detectors/"
EXCEPTION_KEYS = ("detector", "doc_id", "start", "end", "text", "reason")

# A fragment is flagged as foreign only when py3langid is this sure and the fragment has this
# many words: short lines (headings, names, table cells) are classified unreliably.
FOREIGN_MIN_PROBABILITY = 0.9
FOREIGN_MIN_WORDS = 3
TITLE_CASE_LETTERS = 4  # APA title case capitalises every word this long


class Span(NamedTuple):
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    boilerplate_kind: str | None = None
    first_occurrence: int | None = None
    language: str | None = None
    note: str | None = None


# ------------------------------------------------------------------ reading the text

# Letters, with inner apostrophes (U+2019 too): a possessive is part of its word.
WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
BULLET = re.compile(r"[-*\u2022\u2013]\s+|\d{1,3}[.)]\s+")  # -, *, bullet, en dash, 1. 1)
CLOSING = "\"')]\u2019\u201d\u00bb"  # quotes and brackets that may follow the final mark
TERMINAL = ".!?:;…"
# A sentence mark (or comma, semicolon, colon) with a word glued to both sides:
# `America,officials`, `operations.This`. Sentence-final marks also end a claim unit.
GLUED = re.compile(r"(?<![^\W_])([^\W_]+)([.,;:!?])([^\W\d_][^\W_]*)")
SENTENCE_FINAL = ".!?"


class Line(NamedTuple):
    start: int
    end: int
    text: str
    kind: str  # heading, paragraph, bullet, table_header, table_separator, table_row

    @property
    def content(self) -> Span:
        """The line without a bullet marker and surrounding whitespace."""
        stripped = self.text.lstrip()
        marker = BULLET.match(stripped) if self.kind == "bullet" else None
        offset = len(self.text) - len(stripped) + (marker.end() if marker else 0)
        return strip_span(self.start + offset, self.text[offset:])


def is_table_separator(line: str) -> bool:
    return "|" in line and "---" in line and set(line.strip()) <= set("|-: ")


def strip_span(start: int, text: str) -> Span:
    stripped = text.strip()
    begin = start + len(text) - len(text.lstrip())
    return Span(begin, begin + len(stripped), stripped)


def classify_lines(text: str) -> list[Line]:
    """Every non-empty line with its kind. A table is a run of two or more lines with pipes
    that includes a separator row; its first line is the header row."""
    raw = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\r\n]+", text)
           if m.group().strip()]
    lines: list[Line] = []
    index = 0
    while index < len(raw):
        run_end = index
        while run_end < len(raw) and "|" in raw[run_end][2] and \
                _consecutive(text, raw, index, run_end):
            run_end += 1
        block = raw[index:run_end]
        if len(block) >= 2 and any(is_table_separator(line) for *_, line in block):
            lines.append(Line(*block[0], "table_header"))
            lines.extend(Line(*row, "table_separator" if is_table_separator(row[2])
                              else "table_row") for row in block[1:])
            index = run_end
            continue
        lines.append(Line(*raw[index], _line_kind(raw[index][2])))
        index += 1
    return lines


def _consecutive(text: str, raw: list[tuple[int, int, str]], first: int, index: int) -> bool:
    """Whether raw line ``index`` follows the previous one with no blank line between."""
    return index == first or text[raw[index - 1][1]:raw[index][0]].count("\n") == 1


def _line_kind(line: str) -> str:
    if BULLET.match(line.lstrip()):
        return "bullet"
    return "paragraph" if line.rstrip().rstrip(CLOSING)[-1:] in TERMINAL else "heading"


@functools.cache
def _segmenter(language: str) -> pysbd.Segmenter:
    try:
        return pysbd.Segmenter(language=language, clean=False)
    except ValueError:  # no rules for this language: the English rules are the best default
        return pysbd.Segmenter(language="en", clean=False)


def missing_spaces(text: str) -> Iterator[re.Match[str]]:
    """Marks glued to two words that are a missing space, not an abbreviation (`e.g`), an
    acronym (`VOV.VN`), a number or part of an address (`vov.vn`, `www.`, a URL or e-mail):
    `America,officials`, `operations.This`, `capabilities.discussions`."""
    for match in GLUED.finditer(text):
        left, mark, right = match.groups()
        token = _token_around(text, match.start(), match.end())
        if "/" in token or "@" in token or token.lower().startswith("www."):
            continue
        if mark in ",;:!?":
            if not left.isdigit():
                yield match
        elif len(left) >= 2 and left[-1].islower() and right[1:].islower() and \
                not (right.islower() and is_tld(right)):  # the public suffix list of `tld`
            yield match


def _token_around(text: str, start: int, end: int) -> str:
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def sentences(line: Span, language: str) -> list[Span]:
    """Sentences of one line (pysbd), also split where a sentence-final mark has no space
    after it (`operations.This`): the glued words belong to two sentences."""
    cuts = [m.start(3) for m in missing_spaces(line.text) if m.group(2) in SENTENCE_FINAL]
    spans: list[Span] = []
    cursor = 0
    for piece in _segmenter(language).segment(line.text):
        begin = line.text.index(piece, cursor)
        cursor = begin + len(piece)
        bounds = [begin, *(cut for cut in cuts if begin < cut < cursor), cursor]
        spans.extend(strip_span(line.start + a, line.text[a:b])
                     for a, b in itertools.pairwise(bounds))
    return [span for span in spans if span.text]


class Parsed:
    """A text read once for all detectors: lines, their kinds and their sentences."""

    def __init__(self, text: str, language: str) -> None:
        self.text = text
        self.language = language
        self.lines = classify_lines(text)

    @functools.cached_property
    def sentences(self) -> dict[int, list[Span]]:
        """The sentences of each paragraph line, by the line's start."""
        return {line.start: sentences(line.content, self.language)
                for line in self.lines if line.kind == "paragraph"}


def claim_units(text: str, language: str = "en") -> list[Span]:
    """The units a derived document's claims must cover (guidelines, section 6): sentences,
    list items without their marker, table body rows; not headings, header or separator
    rows."""
    parsed = Parsed(text, language)
    units: list[Span] = []
    for line in parsed.lines:
        if line.kind == "paragraph":
            units.extend(parsed.sentences[line.start])
        elif line.kind in ("bullet", "table_row"):
            units.append(line.content)
    return units


# ------------------------------------------------------------------ detectors


class Detector(ABC):
    """One rule: its hits are span flags of ``label`` (what a gold flag covering a hit must
    have), recorded as the work of ``annotator``."""

    name: ClassVar[str]
    label: ClassVar[str]
    version: ClassVar[int] = 1  # bump whenever the detector's behaviour changes

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.label not in schema.SPAN_FLAG:  # fail where the detector is written
            raise ValueError(f"detector {cls.name}: {cls.label!r} is not a span_flag label")

    @property
    def annotator(self) -> str:
        return f"{ANNOTATOR_PREFIX}{self.name}_v{self.version}"

    @abstractmethod
    def find(self, parsed: Parsed) -> Iterator[Hit]:
        """The hits in one parsed text."""


class DuplicateLines(Detector):
    name = "duplicate_lines"
    label = "duplicate"

    def find(self, parsed: Parsed) -> Iterator[Hit]:
        """A line repeating an earlier line of the same text; markup-only lines (a table
        separator) are broken markup, not duplicates."""
        first: dict[str, int] = {}
        for line in parsed.lines:
            content = line.content
            if line.kind == "table_separator" or not WORD.search(content.text):
                continue
            if content.text in first:
                yield Hit(content.start, content.end, first_occurrence=first[content.text])
            else:
                first[content.text] = content.start


class MissingSpace(Detector):
    name = "missing_space"
    label = "orthography_whitespace"

    def find(self, parsed: Parsed) -> Iterator[Hit]:
        """No space after a sentence mark, comma, semicolon or colon between two words; the
        span is the two words with the mark (`America,officials`)."""
        for match in missing_spaces(parsed.text):
            yield Hit(match.start(), match.end())


def _first_word(span: Span) -> Span | None:
    match = WORD.match(span.text)
    return Span(span.start + match.start(), span.start + match.end(), match.group()) \
        if match else None


def _lower_case(word: Span | None) -> bool:
    """A word that starts in lower case and is not written in camel case (`iPhone`)."""
    return word is not None and word.text[0].islower() and word.text.islower()


class LowerCaseStarts(Detector):
    name = "lower_case_starts"
    label = "orthography_case"

    def find(self, parsed: Parsed) -> Iterator[Hit]:
        """A sentence, heading or list item that starts in lower case; also the description
        of a `Label: description` list item in lower case when most items of its list start
        theirs in upper case. The span is the word."""
        starts: list[Span] = []
        for line in parsed.lines:
            if line.kind in ("heading", "bullet"):
                starts.append(line.content)
        for spans in parsed.sentences.values():
            starts.extend(spans)
        for start in sorted(starts):
            word = _first_word(start)
            if _lower_case(word):
                yield Hit(word.start, word.end, note="starts in lower case")
        for items in _lists(parsed.lines):
            descriptions = [_first_word(_after_label(item.content)) for item in items]
            written = [word for word in descriptions if word is not None]
            if sum(not _lower_case(word) for word in written) * 2 > len(written):
                for word in written:
                    if _lower_case(word):
                        yield Hit(word.start, word.end,
                                  note="item description in lower case; most items of the "
                                       "list start theirs in upper case")


def _lists(lines: Sequence[Line]) -> Iterator[list[Line]]:
    for is_item, run in itertools.groupby(lines, key=lambda line: line.kind == "bullet"):
        if is_item:
            yield list(run)


def _after_label(item: Span) -> Span:
    label, colon, rest = item.text.partition(": ")
    if not colon or len(label.split()) > 8:
        return Span(item.end, item.end, "")
    return strip_span(item.start + len(label) + 2, rest)


class HeadingCase(Detector):
    name = "heading_case"
    label = "orthography_case"

    def find(self, parsed: Parsed) -> Iterator[Hit]:
        """A lower-case word in an English title-case heading. In title case (APA style)
        every word of four letters or more is capitalised; a heading with exactly one such
        word in lower case and at least four capitalised is title case with one miscased word
        (`Bilateral military Relations`), not sentence case."""
        if parsed.language != "en":
            return
        for line in parsed.lines:
            if line.kind != "heading":
                continue
            major = [Span(line.start + m.start(), line.start + m.end(), m.group())
                     for m in WORD.finditer(line.text) if len(m.group()) >= TITLE_CASE_LETTERS]
            lower = [word for word in major if _lower_case(word)]
            if len(lower) == 1 and len(major) - 1 >= 4:
                yield Hit(lower[0].start, lower[0].end,
                          note="lower-case word in a title-case heading")


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """jusText's stop-word list of an ISO 639-1 language (it ships 100), else none."""
    entry = pycountry.languages.get(alpha_2=language)
    name = entry.name if entry else None
    return frozenset(justext.get_stoplist(name)) if name in justext.get_stoplists() \
        else frozenset()


@functools.cache
def _language_identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify_language(text: str) -> tuple[str, float]:
    """Language code and probability by py3langid (which ships its model); most codes are
    ISO 639-1, a few of its 142 languages have only three-letter codes (`yue`)."""
    language, probability = _language_identifier().classify(text)
    return language, float(probability)


class ForeignLanguage(Detector):
    name = "foreign_language"
    label = "foreign_language"

    def find(self, parsed: Parsed) -> Iterator[Hit]:
        """Sentences, headings and list items in another language than the document's,
        adjacent ones of the same language merged into one fragment. Languages without an
        ISO 639-1 code (py3langid also knows `yue`, `pcm` ...) cannot be recorded and are
        left out."""
        units = [line.content for line in parsed.lines if line.kind in ("heading", "bullet")]
        units += [span for spans in parsed.sentences.values() for span in spans]
        pending: Hit | None = None
        for unit in sorted(units):
            language, probability = identify_language(unit.text)
            foreign = (language != parsed.language and probability >= FOREIGN_MIN_PROBABILITY
                       and len(WORD.findall(unit.text)) >= FOREIGN_MIN_WORDS
                       and is_iso639_1(language))  # a flag records a two-letter code
            if pending and foreign and language == pending.language and \
                    not parsed.text[pending.end:unit.start].strip():
                pending = Hit(pending.start, unit.end, language=language)
                continue
            if pending:
                yield pending
            pending = Hit(unit.start, unit.end, language=language) if foreign else None
        if pending:
            yield pending


def tables(lines: Sequence[Line]) -> Iterator[list[Line]]:
    """The lines of each table, from its header row to its last row."""
    table: list[Line] = []
    for line in lines:
        if line.kind == "table_header" or not line.kind.startswith("table_"):
            if table:
                yield table
            table = [line] if line.kind == "table_header" else []
        else:
            table.append(line)
    if table:
        yield table


class PipeTables(Detector):
    name = "pipe_tables"
    label = "broken_markup"

    def find(self, parsed: Parsed) -> Iterator[Hit]:
        """A markdown pipe table left in the plain text, from its header row to its last
        row."""
        for table in tables(parsed.lines):
            rows = [row for row in table if row.kind != "table_separator"]
            open_rows = sum(not row.text.lstrip().startswith("|") for row in rows)
            note = f"{open_rows} of {len(rows)} rows without a leading pipe" if open_rows \
                else "pipe table markup in plain text"
            yield Hit(table[0].content.start, table[-1].content.end, note=note)


# Page furniture recognised by fixed phrases. Related-content headings as page templates
# print them; interface prompts to follow or share; C4's cookie and policy substrings
# (Raffel et al. 2020, as in datatrove's C4QualityFilter); VOV's Vietnamese follow prompt
# ("Mời quý độc giả theo dõi ... trên": readers are invited to follow ... on).
RELATED_HEADING = re.compile(
    r"(related|related (articles|news|stories|posts|content)|read (more|also)|see also|"
    r"more (stories|news)|you (may|might) also like|recommended( for you)?|most (read|popular))"
    r"\s*:?", re.IGNORECASE)
INTERFACE_PHRASES = re.compile(
    r"\b(follow us|like us on|share (this|on|via)|subscribe to our|sign up for our|"
    r"cookie policy|uses cookies|use of cookies|use cookies|privacy policy|terms of use)\b|"
    r"\btheo dõi\b.*\btrên\b", re.IGNORECASE)
INTERFACE_MAX_WORDS = 25


class BoilerplatePhrases(Detector):
    name = "boilerplate_phrases"
    label = "boilerplate"

    def find(self, parsed: Parsed) -> Iterator[Hit]:
        """A related-content heading opens a block that runs to the end of the text (such
        blocks close the page); a short line with an interface prompt or a cookie/policy
        notice is an interface string."""
        for line in parsed.lines:
            content = line.content
            if RELATED_HEADING.fullmatch(content.text):
                yield Hit(content.start, len(parsed.text.rstrip()),
                          boilerplate_kind="related_links",
                          note=f"related-content heading {content.text!r} to the end of the "
                               f"text")
                return
            if INTERFACE_PHRASES.search(content.text) and \
                    len(content.text.split()) <= INTERFACE_MAX_WORDS:
                yield Hit(content.start, content.end, boilerplate_kind="interface_string")


DETECTORS: dict[str, Detector] = {detector.name: detector for detector in (
    DuplicateLines(), MissingSpace(), LowerCaseStarts(), HeadingCase(), ForeignLanguage(),
    PipeTables(), BoilerplatePhrases(),
)}
_BY_ANNOTATOR: dict[str, Detector] = {d.annotator: d for d in DETECTORS.values()}


def flag_records(doc_id: str, text: str, language: str, date: str | None = None
                 ) -> list[dict[str, Any]]:
    """Every detector's hits as span-flag records, in text order, ids ``<doc_id>:f<n>``."""
    parsed = Parsed(text, language)
    found = sorted(((detector, hit) for detector in DETECTORS.values()
                    for hit in detector.find(parsed)),
                   key=lambda pair: (pair[1].start, pair[1].end, pair[0].name))
    provenance_date = date or dt.date.today().isoformat()
    return [{
        "id": schema.record_id(doc_id, "span_flags", number), "start": hit.start, "end": hit.end,
        "text": text[hit.start:hit.end], "label": detector.label,
        "boilerplate_kind": hit.boilerplate_kind, "first_occurrence": hit.first_occurrence,
        "language": hit.language, "note": hit.note,
        "provenance": {"annotator": detector.annotator, "method": "rule_based",
                       "date": provenance_date},
    } for number, (detector, hit) in enumerate(found, start=1)]


def detector_of(record: Mapping[str, Any]) -> Detector:
    """The detector that wrote a span-flag record; a KeyError for any other annotator (an
    older version of a detector included)."""
    return _BY_ANNOTATOR[record["provenance"]["annotator"]]


def pre_annotations(document: Document, date: str | None = None) -> AnnotationFile:
    """An annotation file holding the detectors' flags, ready for Label Studio."""
    data = empty_annotations(document)
    data["span_flags"] = flag_records(document.id, document.text,
                                      document.metadata["language"], date)
    return data


# ------------------------------------------------------------------ completeness


def overlaps(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def read_exceptions(path: Path, corpus: Mapping[str, Document]) -> list[dict[str, Any]]:
    """Reviewed detector hits that need no flag, each with the reason; checked against the
    texts so that an exception cannot drift from the hit it excuses."""
    if not path.is_file():
        return []
    entries = read_json(path)
    if not isinstance(entries, list):
        raise InputError(path, None, "expected a list of exceptions", check="exceptions-shape")
    for index, entry in enumerate(entries):
        record = f"exceptions[{index}]"
        if not isinstance(entry, dict) or list(entry) != list(EXCEPTION_KEYS):
            raise InputError(path, record, f"an exception has exactly the keys "
                                           f"{list(EXCEPTION_KEYS)}", check="exception-keys")
        if entry["detector"] not in DETECTORS:
            raise InputError(path, record, f"unknown detector {entry['detector']!r}; known: "
                                           f"{sorted(DETECTORS)}",
                             check="exception-detector-unknown")
        if entry["doc_id"] not in corpus:
            raise InputError(path, record, f"doc_id {entry['doc_id']!r} is not in the corpus",
                             check="exception-document-unknown")
        if not (isinstance(entry["reason"], str) and entry["reason"].strip()):
            raise InputError(path, record, "an exception needs a reason", check="exception-reason")
        try:
            check_span(entry, corpus[entry["doc_id"]].text, "exception")
        except (ValueError, TypeError) as error:
            raise InputError(path, record, str(error), check="exception-span") from None
    return entries


def hit_status(hit: Mapping[str, Any], flags: Sequence[Mapping[str, Any]],
               exceptions: Sequence[Mapping[str, Any]]) -> str:
    """``covered`` by an overlapping flag of the detector's label, ``excepted`` by a reviewed
    exception of the same document, else ``uncovered``."""
    if any(flag["label"] == hit["label"] and overlaps(flag, hit) for flag in flags):
        return "covered"
    key = (detector_of(hit).name, hit["start"], hit["end"])
    if any((e["detector"], e["start"], e["end"]) == key for e in exceptions):
        return "excepted"
    return "uncovered"


def uncovered_hits(hits: Sequence[Mapping[str, Any]], flags: Sequence[Mapping[str, Any]],
                   exceptions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Hits of one document that neither a flag nor an exception accounts for."""
    return [hit for hit in hits if hit_status(hit, flags, exceptions) == "uncovered"]


def stale_exceptions(hits: Sequence[Mapping[str, Any]],
                     exceptions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Exceptions of one document that excuse no current hit."""
    found = {(detector_of(hit).name, hit["start"], hit["end"]) for hit in hits}
    return [e for e in exceptions if (e["detector"], e["start"], e["end"]) not in found]


def claim_problems(units: Sequence[Span], claims: Sequence[Mapping[str, Any]]) -> list[str]:
    """What keeps the claims from tiling the claim units (``claim_units``): a unit with a
    word outside every claim, a claim outside every unit, two claims that overlap."""
    covered = bytearray(max([0, *(u.end for u in units), *(c["end"] for c in claims)]))
    for claim in claims:
        covered[claim["start"]:claim["end"]] = b"\1" * (claim["end"] - claim["start"])

    def uncovered(unit: Span) -> bool:
        return any(0 in covered[unit.start + m.start():unit.start + m.end()]
                   for m in WORD.finditer(unit.text))

    problems = [f"unit [{u.start}, {u.end}) not covered by a claim: {u.text!r}"
                for u in units if uncovered(u)]
    spans = [{"start": u.start, "end": u.end} for u in units]
    problems += [f"claim {c['id']} covers no claim unit: {c['text']!r}" for c in claims
                 if not any(overlaps(c, unit) for unit in spans)]
    ordered = sorted(claims, key=lambda c: (c["start"], c["end"]))
    problems += [f"claims {a['id']} and {b['id']} overlap"
                 for a, b in itertools.pairwise(ordered) if overlaps(a, b)]
    return problems


def review_hits(root: Path, doc_ids: Sequence[str], write_pre: bool = False
                ) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Run the detectors over ``doc_ids`` (default: every document): each hit with its
    document and whether a gold flag covers it, a reviewed exception excuses it, or it is
    uncovered. With ``write_pre``, also write each document's hits as pre-annotations."""
    corpus = load_corpus(root)
    if unknown := sorted(set(doc_ids) - corpus.keys()):
        raise InputError(root / DOCUMENTS_DIR, unknown[0], "not a document of the corpus",
                         check="document-unknown")
    gold = load_annotation_set(root / GOLD_DIR, corpus) if (root / GOLD_DIR).is_dir() else {}
    exceptions = read_exceptions(root / EXCEPTIONS_FILE, corpus)
    for doc_id in doc_ids or corpus:
        data = pre_annotations(corpus[doc_id])
        flags = gold[doc_id]["span_flags"] if doc_id in gold else []
        excused = [e for e in exceptions if e["doc_id"] == doc_id]
        for hit in data["span_flags"]:
            yield doc_id, hit_status(hit, flags, excused), hit
        if write_pre:
            write_annotation_file(root / PRE_DIR / f"{doc_id}.json", data)
