"""A persistent index of a pool of possible sources, for finding what a rewrite was made from.

A rewrite keeps its source's facts far more than its words (the seed rewrite shares no word
5-gram with its source), and a fact is who did what to whom, where and when: so a text is
indexed by the names, numbers and content words of its sentences, and by the pairs and
triples of names and numbers that occur in one sentence, each name by its last two words (a
rewrite drops titles: `General Hoang Chien` pairs as `hoang_chien`). Single words and names
are common in a pool of news on the same topics; the co-occurrences are what tells one
report from another of the same week.

The index is one SQLite file: an FTS5 table (compiled into Python's sqlite3) of each text's
features, ranked by BM25, and a table of the texts (zlib-compressed) with their sha256 and
metadata, so that verifying a candidate never reads the corpus. Adding a text writes its own
rows only. A query keeps the query's rarest features whose document frequencies add up to at
most ``POSTINGS_BUDGET``: the postings read per query stay bounded as the pool grows (only the
B-tree look-ups grow, logarithmically), and in a large pool the rarest features are the ones
that point to the source.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import re
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsprov.annotate.detectors import stop_words
from newsprov.core.errors import Failure
from newsprov.core.layout import SOURCE_INDEX
from newsprov.store.corpus import Document, text_sha256

# Words with inner apostrophes, and numbers (`2023`, `1982`).
TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W\d_]+)*")
# A sentence ends at a line break, or at a final mark followed by a space or, where the space
# was dropped (`operations.This`), by a letter.
SENTENCE_END = re.compile(r"\n+|(?<=[.!?])(?:\s+|(?=[^\W\d_]))")
NAMES_PER_SENTENCE = 8  # names and numbers of a sentence that make pairs and triples
MAX_QUERY_TERMS = 24
POSTINGS_BUDGET = 10_000
SCHEMA_VERSION = 2  # bump when features change: an index of another version is rebuilt


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """Start and end of each sentence (stripped of surrounding whitespace), by a regular
    expression: quick enough for every text of a pool, where pysbd is not."""
    start = 0
    for boundary in [*SENTENCE_END.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        piece = text[start:end]
        if piece.strip():
            begin = start + len(piece) - len(piece.lstrip())
            yield begin, begin + len(piece.strip())
        start = boundary.end() if boundary else end


def sentences(text: str) -> Iterator[str]:
    return (text[start:end] for start, end in sentence_spans(text))


def names(sentence: str, stop: frozenset[str]) -> list[str]:
    """Runs of capitalised words (`Hoang_Xuan_Chien`) and numbers of a sentence, lower-cased,
    in order, without repeats. A run ends at anything but a space or a hyphen between its
    words (`Indo-Pacific` is one name; none goes on past `:` or `|`, as title-case headings of
    lists and tables would); a one-word run that is a stop word (`The`, `In`) is dropped."""
    found: list[str] = []
    run: list[str] = []
    end = 0
    for match in [*TOKEN.finditer(sentence), None]:
        token = match.group() if match else ""
        if run and (match is None or not token[:1].isupper()
                    or sentence[end:match.start()].strip(" \t\n-\u2010")):
            if len(run) > 1 or run[0] not in stop:
                found.append("_".join(run))
            run = []
        if token[:1].isupper():
            run.append(token.lower())
        elif token.isdigit():
            found.append(token)
        end = match.end() if match else end
    return list(dict.fromkeys(found))


def name_key(name: str) -> str:
    """A name's last two words: English names are headed at their end, and what a rewrite
    drops or adds is in front (a title, `Defence Minister Hoang Chien` -> `hoang_chien`; a
    qualifier, `Vietnamese`), so the pairs and triples of a report and of its rewrite meet."""
    return "_".join(name.split("_")[-2:])


def features(text: str, language: str) -> Counter[str]:
    """The index terms of a text with their counts: content words, names (whole and by their
    keys) and numbers, and the pairs and triples of the keys of each sentence's names and
    numbers (joined by ``__``)."""
    stop = stop_words(language)
    terms: list[str] = []
    for sentence in sentences(text):
        terms += [word for word in map(str.lower, TOKEN.findall(sentence))
                  if word not in stop and not word.isdigit()]
        found = names(sentence, stop)
        keys = list(dict.fromkeys(map(name_key, found)))
        terms += dict.fromkeys([*found, *keys])
        group = sorted(keys[:NAMES_PER_SENTENCE])
        if len(group) > 1:
            terms += map("__".join, itertools.combinations(group, 2))
            terms += map("__".join, itertools.combinations(group, 3))
    return Counter(terms)


def fts_terms(terms: Counter[str]) -> str:
    """Features as FTS5 document text: each term as often as it occurs; FTS5's tokenizer
    keeps them whole (``_`` is a token character)."""
    return " ".join(terms.elements())


@dataclass(frozen=True)
class Entry:
    doc_id: str
    text: str
    metadata: dict[str, Any]


class SourceIndex:
    """The index file at ``path`` (created if missing).

    ``add(doc_id, text, metadata)`` indexes one text; ``query(text, k)`` gives the ids of the
    ``k`` best BM25 candidates with their scores (higher is better); ``entry(doc_id)`` the
    stored text and metadata; ``by_sha256(sha)`` the id of a stored text.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path)
            # a page cache of 256 MiB (the default is 2 MiB): the B-trees a large build
            # updates stay in memory rather than being reread from the file
            self.db.execute("PRAGMA cache_size = -262144")
            self._create()
        except sqlite3.DatabaseError as error:
            raise Failure(f"the source index {path} cannot be used ({error}); delete it to "
                          f"have it rebuilt") from None

    def _create(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:  # nothing to do: opening an index does not write to it
            return
        if version != 0:
            self.db.executescript("DROP TABLE IF EXISTS texts; DROP TABLE IF EXISTS terms; "
                                  "DROP TABLE IF EXISTS frequencies; DROP TABLE IF EXISTS pool;")
        # `terms` is contentless (the features are computed again from the stored text to
        # delete a row); `frequencies` keeps each term's document count, a B-tree look-up
        # where FTS5's own vocabulary table takes a hundred times longer per term.
        self.db.executescript(f"""
            CREATE TABLE IF NOT EXISTS texts (
                rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE,
                sha256 TEXT NOT NULL, language TEXT NOT NULL, text BLOB NOT NULL,
                metadata TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS texts_sha256 ON texts (sha256);
            CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5(
                features, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '_'");
            CREATE TABLE IF NOT EXISTS frequencies (
                term TEXT PRIMARY KEY, documents INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS pool (documents INTEGER NOT NULL);
            INSERT INTO pool SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM pool);
            PRAGMA user_version = {SCHEMA_VERSION};
        """)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SourceIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def add(self, doc_id: str, text: str, metadata: Mapping[str, Any], language: str = "en"
            ) -> None:
        """Index one text (committed at once)."""
        self.add_many([(doc_id, text, metadata, language)])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction; SQLite's own errors (a full disk, a read-only file) in one line."""
        try:
            with self.db:
                yield
        except sqlite3.DatabaseError as error:
            raise Failure(f"the source index {self.path} cannot be written ({error})") from None

    def add_many(self, items: Iterable[tuple[str, str, Mapping[str, Any], str]]) -> int:
        """Index many (doc_id, text, metadata, language) in one transaction; return
        how many. Document frequencies are summed over the batch and written once per term."""
        frequencies: Counter[str] = Counter()
        count = 0
        with self._transaction():
            for doc_id, text, metadata, language in items:
                cursor = self.db.execute(
                    "INSERT INTO texts (doc_id, sha256, language, text, metadata) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (doc_id, text_sha256(text), language, zlib.compress(text.encode("utf-8")),
                     json.dumps(dict(metadata), ensure_ascii=False)))
                terms = features(text, language)
                self.db.execute("INSERT INTO terms (rowid, features) VALUES (?, ?)",
                                (cursor.lastrowid, fts_terms(terms)))
                frequencies.update(terms.keys())
                count += 1
            if count:
                self._count(frequencies, count)
        return count

    def remove(self, doc_id: str) -> None:
        with self._transaction():
            row = self.db.execute("SELECT rowid, text, language FROM texts WHERE doc_id = ?",
                                  (doc_id,)).fetchone()
            if row:
                rowid, text, language = row
                terms = features(zlib.decompress(text).decode("utf-8"), language)
                self.db.execute("INSERT INTO terms (terms, rowid, features) "
                                "VALUES ('delete', ?, ?)", (rowid, fts_terms(terms)))
                self.db.execute("DELETE FROM texts WHERE rowid = ?", (rowid,))
                self._count(Counter({term: -1 for term in terms}), -1)

    def _count(self, frequencies: Mapping[str, int], documents: int) -> None:
        self.db.executemany(
            "INSERT INTO frequencies VALUES (?, ?) ON CONFLICT (term) DO UPDATE "
            "SET documents = documents + excluded.documents",
            sorted(frequencies.items()))  # in key order: B-tree pages in turn, not at random
        self.db.execute("UPDATE pool SET documents = documents + ?", (documents,))

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return self.db.execute("SELECT documents FROM pool").fetchone()[0]

    def doc_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT doc_id FROM texts")}

    def by_sha256(self, sha256: str) -> str | None:
        row = self.db.execute("SELECT doc_id FROM texts WHERE sha256 = ? ORDER BY doc_id",
                              (sha256,)).fetchone()
        return row[0] if row else None

    def entry(self, doc_id: str) -> Entry:
        row = self.db.execute("SELECT text, metadata FROM texts WHERE doc_id = ?",
                              (doc_id,)).fetchone()
        if row is None:
            raise KeyError(doc_id)
        return Entry(doc_id, zlib.decompress(row[0]).decode("utf-8"), json.loads(row[1]))

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """The number of pool texts that have each term (terms in no text left out)."""
        terms = list(terms)
        found: dict[str, int] = {}
        for start in range(0, len(terms), 500):  # SQLite's limit of variables per statement
            chunk = terms[start:start + 500]
            found.update(self.db.execute(
                f"SELECT term, documents FROM frequencies WHERE documents > 0 AND term IN "
                f"({', '.join('?' * len(chunk))})", chunk))
        return found

    def query_terms(self, text: str, language: str = "en") -> list[str]:
        """The query's terms that are in the pool, rarest first (by the query's weight
        tf * idf), as many as ``MAX_QUERY_TERMS`` and ``POSTINGS_BUDGET`` allow."""
        counts = features(text, language)
        frequencies = self.document_frequencies(counts)
        pool = max(len(self), 1)
        weighted = sorted(frequencies, key=lambda term: (
            -(1 + math.log(counts[term])) * math.log(1 + pool / frequencies[term]), term))
        chosen: list[str] = []
        postings = 0
        for term in weighted[:MAX_QUERY_TERMS]:
            if chosen and postings + frequencies[term] > POSTINGS_BUDGET:
                continue
            chosen.append(term)
            postings += frequencies[term]
        return chosen

    def query(self, text: str, k: int = 10, language: str = "en") -> list[tuple[str, float]]:
        """The ``k`` pool texts that share the most weight of rare features with ``text``, best
        first, as (doc_id, BM25 score); ties by id."""
        terms = self.query_terms(text, language)
        if not terms:
            return []
        expression = " OR ".join(f'"{term}"' for term in terms)
        rows = self.db.execute(
            "SELECT texts.doc_id, -bm25(terms) AS score FROM terms "
            "JOIN texts ON texts.rowid = terms.rowid WHERE terms MATCH ? "
            "ORDER BY score DESC, texts.doc_id LIMIT ?", (expression, k))
        return [(doc_id, float(score)) for doc_id, score in rows]


def corpus_index(root: Path, corpus: Mapping[str, Document]) -> SourceIndex:
    """The source index of the corpus of ``root``, brought up to date with ``corpus`` (whose
    keys are the document folders' names): documents not yet indexed are read and added,
    documents no longer in the corpus dropped. Once built, no other document is read."""
    path = root / SOURCE_INDEX
    if not path.is_file():
        build_index(path, corpus)
    index = SourceIndex(path)
    indexed = index.doc_ids()
    for doc_id in sorted(indexed - set(corpus)):
        index.remove(doc_id)
    new = (corpus[doc_id] for doc_id in corpus if doc_id not in indexed)
    index.add_many((d.id, d.text, d.metadata, d.metadata["language"]) for d in new)
    return index


def build_index(path: Path, corpus: Mapping[str, Document]) -> None:
    """A first index of the whole corpus, written beside ``path`` and renamed into place: a
    build that fails (a full disk, a kill) leaves no index, nor a folder it made."""
    made_folder = not path.parent.exists()
    partial = path.with_name(f".{path.name}.partial")
    try:
        with SourceIndex(partial) as index:
            index.add_many((d.id, d.text, d.metadata, d.metadata["language"])
                           for d in corpus.values())
        os.replace(partial, path)
    except BaseException:
        for leftover in (partial, partial.with_name(f"{partial.name}-journal")):
            leftover.unlink(missing_ok=True)
        if made_folder:
            with contextlib.suppress(FileNotFoundError):  # when making it was what failed
                path.parent.rmdir()
        raise
