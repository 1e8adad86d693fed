"""The errors the layers raise for the CLI to report in one line, without a traceback, and
the registry of every input check: each ``InputError`` names the check that refused the
input, so ``docs/quality-checks.md`` can list every check with the test that shows it
firing (``scripts/checks_table.py``)."""

from __future__ import annotations

from pathlib import Path

# Every input check: id -> what it requires of the input.
INPUT_CHECKS: dict[str, str] = {
    # files
    "invalid-json": "A JSON file (or a line of JSON Lines) is valid UTF-8 JSON.",
    # the corpus
    "corpus-not-found": "The corpus folder `corpus/documents/` exists.",
    "document-file-missing": "A document folder holds `text.txt` and `metadata.json`.",
    "text-not-utf8": "A document's text is valid UTF-8.",
    "text-empty": "A document's text is not empty or only whitespace.",
    "id-not-folder-name": "A document's metadata `id` is the name of its folder.",
    "text-changed": "A document's text matches the sha256 recorded when it was collected.",
    "metadata-not-object": "`metadata.json` is a JSON object.",
    "metadata-field-missing": "Every metadata field of the schema is present.",
    "metadata-field-unknown": "No metadata field outside the schema.",
    "metadata-required-null": "A required metadata field is not null.",
    "null-without-reason": "A null metadata field has a reason in `unknown_fields`.",
    "metadata-not-string": "A metadata field is a string or null.",
    "value-and-reason": "A metadata field with a value has no reason for being unknown.",
    "value-blank": "A document's id and story group are not empty or only whitespace.",
    "language-not-iso639-1": "A document's language is an ISO 639-1 code.",
    "derivation-incomplete": "`derived_from` and `derivation` are given together.",
    "derivation-unknown": "A derivation is one of the schema's derivations.",
    "unknown-fields-not-list": "`unknown_fields` is a list.",
    "unknown-fields-entry": "Each `unknown_fields` entry is `{field, reason}`.",
    "unknown-fields-not-nullable": "`unknown_fields` names only fields that may be null.",
    "not-a-date": "A date field is a `YYYY-MM-DD` date.",
    "date-in-future": "A date is not in the future.",
    "derived-from-unknown": "`derived_from` names a document of the corpus.",
    "derivation-loop": "A chain of `derived_from` does not loop.",
    "derivation-other-story": "A derived document is in its source's story group.",
    "document-id": "A new document's id is valid and not taken.",
    "document-id-duplicate": "A document id appears once in the corpus (all layouts together).",
    "shard-line-shape": "A line of a collection shard has the keys of the sharded layout.",
    "attribute-not-aligned": "An attributes line is the line of the same document as the "
                             "documents shard's line.",
    "not-canonical": "A file to convert is in the canonical form the converter writes back.",
    # annotation files
    "annotation-dir-not-found": "An annotation directory exists.",
    "annotation-not-object": "An annotation file is a JSON object.",
    "annotation-keys": "An annotation file has exactly the top-level keys of the format.",
    "annotation-document-unknown": "An annotation file's `doc_id` is a corpus document.",
    "annotation-file-name": "An annotation file is named after its `doc_id`.",
    "annotation-text-changed": "An annotation file's `text_sha256` is its document's sha256.",
    "annotation-authorship": "The authorship judgement has the schema's fields and labels.",
    "annotation-kind-not-list": "Each annotation kind is a list of records.",
    "annotation-record-shape": "A record has its kind's fields, types, labels and provenance, "
                               "and an id unique in its file.",
    "annotation-record-content": "A record's offsets are in the text, its span texts equal "
                                 "the text, and its references resolve (arguments, source "
                                 "events, evidence in the source).",
    "duplicate-record-id": "A record id is unique across the corpus (or the prediction file).",
    # splits and releases
    "split-plan-shape": "`corpus/splits.json` is `{\"stories\": {story_group: split}}`.",
    "split-unknown": "A split is one of the schema's splits.",
    "released-story-split": "The released documents of a story are in one split.",
    "story-spans-splits": "A story never spans two splits.",
    "released-document-removed": "A released document is still in the corpus.",
    "release-file-shape": "`release.json` is `{version, date, released}`.",
    "changelog-entry": "CHANGELOG.md has an entry for the version in `release.json`.",
    "released-version-changed": "A released version is not rebuilt with other content.",
    # adding articles
    "input-not-found": "The file to add exists.",
    "input-too-large": "The input to add is at most 20 MiB.",
    "url-unreachable": "The URL to add answers.",
    "url-content-type": "The URL serves HTML or plain text.",
    "binary-input": "The input to add is a web page or text, not a binary file.",
    "unknown-encoding": "The input's encoding is declared and known, or it is UTF-8.",
    "no-text": "A text file to add holds text.",
    "not-html": "An HTML input has an `<html>`, `<head>` or `<body>` element.",
    "nothing-extracted": "A web page has article text to extract.",
    "not-an-article": "The text to add looks like an article body: at least 50 words, most "
                      "of them in lines that end like sentences (or `--accept-any-text`).",
    "derivation-options-contradict": "`--derived-from` and `--not-derived` are not both given.",
    "derivation-options-pair": "`--derived-from` and `--derivation` are given together.",
    "source-candidates": "An article with likely sources in the corpus is confirmed as "
                         "derived or declared original.",
    "story-group-needed": "An original article is given its story group.",
    "duplicate-text": "The text to add is not in the corpus already.",
    "pre-annotations-exist": "The new document's pre-annotation file does not exist yet.",
    # collecting crawls
    "no-input-records": "The folders given to `newsprov collect` hold files.",
    "no-source-proposals": "The candidates queued were collected with source finding.",
    # detectors
    "exceptions-shape": "`annotations/detector_exceptions.json` is a list.",
    "exception-keys": "A detector exception has exactly its keys.",
    "exception-detector-unknown": "A detector exception names a detector.",
    "exception-document-unknown": "A detector exception names a corpus document.",
    "exception-reason": "A detector exception has a reason.",
    "exception-span": "A detector exception's span is in the text and its text equals it.",
    "document-unknown": "Document ids given to a command are corpus documents.",
    # Label Studio and adjudication
    "export-not-task-list": "A Label Studio export is a list of tasks.",
    "gold-file-exists": "Adjudication replaces gold files only with `--replace`.",
    # the benchmark
    "no-release": "The export to score or view has a manifest.",
    "release-file-missing": "Every file the manifest lists exists.",
    "release-file-changed": "Every file the manifest lists has its recorded sha256.",
    "release-version": "The release is the version asked for.",
    "split-empty": "The split to score has documents.",
    "predictions-not-found": "The prediction file exists.",
    "prediction-not-object": "A prediction is a JSON object.",
    "prediction-kind": "A prediction's `kind` is an annotation kind or `authorship`.",
    "prediction-document": "A prediction's `doc_id` is a document of the release.",
    "second-authorship": "A document has at most one predicted authorship.",
    "claim-same-span": "Two predicted claims of a document do not share a span.",
    # the viewer
    "view-annotation-dirs": "`newsprov view` compares at most two annotation directories.",
    "generated-section-missing": "A file with generated text has its section markers.",
}


class InputError(Exception):
    """Input that cannot be accepted. ``str()`` reads ``file: record: problem``; ``check``
    is the id of the input check that refused it."""

    def __init__(self, file: Path | str, record: str | None, problem: str, *,
                 check: str) -> None:
        if check not in INPUT_CHECKS:
            raise ValueError(f"unknown input check {check!r}")
        self.file = str(file)
        self.record = record
        self.problem = problem
        self.check = check
        where = f"{_one_line(self.file)}: {_one_line(record)}" if record else \
            _one_line(self.file)
        super().__init__(f"{where}: {problem}")


def _one_line(name: str) -> str:
    """A name from the input as it is, or quoted with escapes if it would break the line or
    hide a character (a record id of a newline, a tab, U+2028)."""
    return name if name.isprintable() else repr(name)


class Failure(Exception):
    """An operation that could not be completed although its input was accepted: an export
    that fails its expectations, a request a server refused."""
