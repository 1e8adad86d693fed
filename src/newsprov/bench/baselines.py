"""Baselines of the benchmark: simple systems whose scores a real system should beat.

Every baseline reads the documents of one split from the released Parquet export and writes
its output in the prediction format (``evaluation.read_predictions``). ``newsprov
baselines`` writes all predictions to ``baselines/<name>.jsonl``, scores each with
``newsprov evaluate`` into ``baselines/<name>.metrics.json`` and regenerates the README's
baseline table. The output is deterministic: the provenance date is the release date.

- ``quality_detectors``: the rule-based detectors of ``newsprov.annotate.detectors`` (the same code
  as the pre-annotation and the completeness tests) as span flags; a document flag when a
  detector implying it fires (``DOCUMENT_FLAG_RULES``).
- ``claim_tfidf`` and ``claim_minilm``: the claims are given (the gold claim spans: the task is
  labelling them). Each claim is compared with every claim unit of the source (sentences,
  list items, table rows: ``detectors.claim_units``), by TF-IDF cosine (the vectoriser
  fitted on the source units and the claims of the pair, the language's stop words removed)
  or by the cosine of all-MiniLM-L6-v2 sentence embeddings (``semantic``). At or above the
  matcher's threshold the claim is ``supported`` with the best source unit as evidence, else
  ``unsupported``; never ``contradicted``. The required severity and error type of an
  unsupported claim are fixed (``evident``, ``out_of_article``) and not scored.
- ``entity_patterns``: no officially distributed NER model installs from PyPI (spaCy's
  pipelines are released outside PyPI; flair, GLiNER and stanza download weights at run
  time), so entities come from patterns: dates, percentages, money, ordinals and cardinals
  by regular expressions, then runs of capitalised words typed by ``name_type``.
- ``event_lexicon``: triggers, modality and arguments by the rules of ``event_rules``.
- ``authorship_signals``: ``machine`` when at least two of four signals of a generated text
  fire (stock headings, pipe tables, filler phrases, claim units without a source match).

Every rule and threshold was fixed before the baseline was first scored, not tuned: the
corpus has no training or validation split. docs/benchmark.md describes each.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pycountry
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from newsprov.annotate.detectors import (
    DETECTORS,
    Parsed,
    claim_units,
    detector_of,
    flag_records,
    stop_words,
)
from newsprov.bench import event_rules
from newsprov.bench.evaluation import (
    INTERVAL_HEADER,
    TASK_NAMES,
    Release,
    compare,
    evaluate,
    interval_cell,
    read_release,
    summary_rows,
    write_predictions,
)
from newsprov.bench.resampling import figure
from newsprov.bench.semantic import MODEL_NAME, cosine_similarities
from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.files import (
    markdown_table,
    replace_section,
    section_body,
    write_atomic,
    write_json,
)
from newsprov.core.layout import BASELINES_DIR, BENCHMARK_DOC, DATA_DIR, LEADERBOARD, README
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import empty_annotations
from newsprov.store.corpus import Document

ANNOTATOR_PREFIX = "newsprov.baselines/"
SUPPORT_THRESHOLD = 0.3
README_SECTION = "baselines"
METRICS_SECTION = "baseline-metrics"  # in docs/benchmark.md


@dataclass(frozen=True)
class Baseline:
    name: str
    tasks: tuple[str, ...]  # the tasks of the metrics JSON it is reported on
    predict: Callable[[Document, Release], AnnotationFile]

    def predictions(self, release: Release) -> dict[str, AnnotationFile]:
        """Its annotation file for every document of the release's split."""
        return {doc_id: self.predict(release.documents[doc_id], release)
                for doc_id in release.gold}


def _provenance(name: str, release: Release) -> dict[str, str]:
    return {"annotator": ANNOTATOR_PREFIX + name, "method": "rule_based",
            "date": release.manifest["release_date"]}


# ------------------------------------------------------------------ quality flags

# The document flag a detector's hits imply: boilerplate in the text contaminates it, and a
# markdown table left in plain text is the mark of a generated template article.
DOCUMENT_FLAG_RULES = {"boilerplate_phrases": "boilerplate_contaminated",
                       "pipe_tables": "template_structure"}


def quality_flags(document: Document, release: Release) -> AnnotationFile:
    data = empty_annotations(document)
    data["span_flags"] = flag_records(document.id, document.text, document.metadata["language"],
                                      release.manifest["release_date"])
    fired: dict[str, list[str]] = {}
    for flag in data["span_flags"]:
        fired.setdefault(detector_of(flag).name, []).append(flag["text"])
    implied = [(detector, label) for detector, label in DOCUMENT_FLAG_RULES.items()
               if detector in fired]
    data["document_flags"] = [
        {"id": schema.record_id(document.id, "document_flags", number),
         "label": label,
         "evidence": f"the {detector} detector fired {len(fired[detector])} time(s), first "
                     f"on {fired[detector][0][:60]!r}",
         "provenance": _provenance("quality_detectors", release)}
        for number, (detector, label) in enumerate(implied, start=1)]
    return data


# ------------------------------------------------------------------ claim support


@dataclass(frozen=True)
class ClaimMatcher:
    """How a claim baseline compares claims with source units, and its threshold."""

    name: str  # the baseline's
    measure: str  # the similarity, as the note of a prediction names it
    threshold: float  # fixed before scoring
    similarities: Callable[[list[str], list[str], str], np.ndarray]  # claims x units


def tfidf_similarities(claims: list[str], units: list[str], language: str) -> np.ndarray:
    """TF-IDF cosine, the vectoriser fitted on the units and claims of the pair, the
    language's stop words removed."""
    vectorizer = TfidfVectorizer(stop_words=_stop_words(language))
    matrix = vectorizer.fit_transform(units + claims)
    return linear_kernel(matrix[len(units):], matrix[:len(units)])  # rows are unit-norm


def minilm_similarities(claims: list[str], units: list[str], language: str) -> np.ndarray:
    return cosine_similarities(claims, units)


TFIDF = ClaimMatcher("claim_tfidf", "TF-IDF cosine", SUPPORT_THRESHOLD, tfidf_similarities)
# sentence-transformers' own default for "these sentences are similar"
# (util.community_detection's threshold), taken as it is: nothing was tuned.
MINILM = ClaimMatcher("claim_minilm", f"{MODEL_NAME} cosine", 0.75, minilm_similarities)


def claim_support(matcher: ClaimMatcher, document: Document, release: Release
                  ) -> AnnotationFile:
    data = empty_annotations(document)
    claims = release.gold[document.id]["claims"]  # the claim spans are the task's input
    if document.derived_from is None or not claims:
        return data
    source = release.documents[document.derived_from]
    units = claim_units(source.text, source.metadata["language"])
    similarity = matcher.similarities([claim["text"] for claim in claims],
                                      [unit.text for unit in units],
                                      document.metadata["language"])
    for number, (claim, row) in enumerate(zip(claims, similarity, strict=True), 1):
        best = int(row.argmax())
        supported = row[best] >= matcher.threshold
        data["claims"].append({
            "id": schema.record_id(document.id, "claims", number),
            "start": claim["start"], "end": claim["end"], "text": claim["text"],
            "support": "supported" if supported else "unsupported",
            "severity": None if supported else "evident",
            "error_type": None if supported else "out_of_article",
            "source_doc_id": source.id,
            "evidence": [units[best]._asdict()] if supported else [],
            "note": f"highest {matcher.measure} with a source unit: {row[best]:.3f}",
            "provenance": _provenance(matcher.name, release)})
    return data


def _stop_words(language: str) -> list[str] | None:
    """The language's stop words as the vectoriser tokenises them (words of 2+ characters)."""
    words = sorted(word for word in stop_words(language) if re.fullmatch(r"\w\w+", word))
    return words or None


# ------------------------------------------------------------------ authorship

# Stock headings of generated template articles; filler phrases of generated prose.
STOCK_HEADING = re.compile(
    r"(?:introduction|background|overview|summary|(?:in )?conclusion|key \w.*|future \w.*|"
    r"challenges\b.*|recommendations\b.*|looking ahead|the road ahead|implications\b.*)",
    re.IGNORECASE)
FILLER = re.compile(
    r"\b(?:plays? an? (?:crucial|vital|key|pivotal|important) role|in today's|"
    r"it is (?:important|worth noting|crucial|essential) to|pav(?:e|es|ing) the way|"
    r"underscores? the importance|a testament to|far-reaching|ever-(?:evolving|changing)|"
    r"navigat\w+ the complexities|in an increasingly|multifaceted|delv(?:e|es|ing))\b",
    re.IGNORECASE)
MIN_STOCK_HEADINGS = 2
MIN_FILLER = 2
MIN_INVENTED_SHARE = 0.5  # of a derived document's claim units unmatched in its source
MACHINE_SIGNALS = 2  # signals needed to say machine


def authorship_signals(document: Document, release: Release) -> dict[str, str]:
    """The signals of a generated text that fire, each with its evidence: stock headings,
    pipe tables, filler phrases, and for a derived document the share of its claim units
    that the TF-IDF rule of ``claim_tfidf`` finds in no source unit."""
    parsed = Parsed(document.text, document.metadata["language"])
    headings = [line.content.text for line in parsed.lines
                if line.kind == "heading" and STOCK_HEADING.fullmatch(line.content.text)]
    tables = list(DETECTORS["pipe_tables"].find(parsed))
    filler = FILLER.findall(document.text)
    fired = {}
    if len(headings) >= MIN_STOCK_HEADINGS:
        fired["stock headings"] = f"{len(headings)} stock headings ({headings[0]!r} ...)"
    if tables:
        fired["pipe tables"] = f"{len(tables)} pipe table(s)"
    if len(filler) >= MIN_FILLER:
        fired["filler"] = f"{len(filler)} filler phrases ({filler[0]!r} ...)"
    if document.derived_from is not None:
        source = release.documents[document.derived_from]
        units = [unit.text for unit in claim_units(document.text,
                                                   document.metadata["language"])]
        source_units = [unit.text for unit in claim_units(source.text,
                                                          source.metadata["language"])]
        if units and source_units:
            best = TFIDF.similarities(units, source_units,
                                      document.metadata["language"]).max(axis=1)
            share = float((best < TFIDF.threshold).mean())
            if share >= MIN_INVENTED_SHARE:
                fired["invented content"] = (f"{share:.0%} of its claim units match no "
                                             "source unit")
    return fired


def authorship(document: Document, release: Release) -> AnnotationFile:
    data = empty_annotations(document)
    fired = authorship_signals(document, release)
    machine = len(fired) >= MACHINE_SIGNALS
    data["authorship"] = {
        "label": "machine" if machine else "human",
        "evidence": (f"{len(fired)} of 4 signals of a generated text"
                     + (": " + "; ".join(fired.values()) if fired else "")),
        "provenance": _provenance("authorship_signals", release)}
    return data


# ------------------------------------------------------------------ entities

MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|"
         r"November|December)")
NUMBER = r"\d+(?:[.,]\d+)*"
# Value mentions; where two overlap, the earlier pattern wins.
VALUE_PATTERNS = {label: re.compile(pattern) for label, pattern in {
    "DATE": rf"\b{MONTH}\s+\d{{1,2}}(?:\s*[-\u2013]\s*\d{{1,2}})?(?:,?\s+\d{{4}})?\b|"
            rf"\b\d{{1,2}}\s+{MONTH}(?:\s+\d{{4}})?\b|\b{MONTH}\s+\d{{4}}\b|"
            r"\b(?:1[89]|20)\d{2}\b",
    "PERCENT": rf"\b{NUMBER}\s?(?:%|per ?cent\b)",
    "MONEY": rf"[$\u20ac\u00a3]\s?{NUMBER}(?:\s(?:million|billion|trillion))?|"
             rf"\b{NUMBER}(?:\s(?:million|billion|trillion))?\s(?:USD|dollars|euros|VND)\b",
    "ORDINAL": r"\b(?:[Ff]irst|[Ss]econd|[Tt]hird|[Ff]ourth|[Ff]ifth|[Ss]ixth|[Ss]eventh|"
               r"[Ee]ighth|[Nn]inth|[Tt]enth|\d+(?:st|nd|rd|th))\b",
    "CARDINAL": rf"\b(?:{NUMBER}|two|three|four|five|six|seven|eight|nine|ten|dozens?|"
                r"hundreds?|thousands?|millions?|billions?)\b",
}.items()}
# A name is a run of capitalised words (acronyms, hyphenated and dotted names included:
# VOV.VN, Asia-Pacific; abbreviated titles with their period: Gen.) joined by spaces or by
# `of`, `the`, `for`, `on` before another capitalised word.
ABBREVIATION = r"(?:Sen|Gen|Lieu|Lt|Col|Maj|Capt|Adm|Dr|Mr|Mrs|Ms|Prof|St)\."
CAPITALISED = rf"(?:{ABBREVIATION}|[A-Z]\w*(?:[.-][A-Za-z0-9]\w*)*)"
NAME = re.compile(rf"{CAPITALISED}(?:(?:[ \t]+(?:of|the|for|on))*[ \t]+{CAPITALISED})*")
# Keywords that type a name: a title opens it, the other kinds end it (its head noun).
TITLE_WORDS = {"Minister", "President", "General", "Lieutenant", "Colonel", "Major",
               "Ambassador", "Chairman", "Chairwoman", "Director", "Deputy", "Secretary",
               "Senator", "Admiral", "Commander", "Chief", "Vice", "Senior", "Prime", "PM",
               "Sen.", "Gen.", "Lieu.", "Lt."}
HEAD_WORDS = {
    "ORG": {"Ministry", "Department", "Agency", "Assembly", "Council", "Committee", "Army",
            "Navy", "Forces", "Force", "Party", "Bank", "University", "Institute",
            "Organisation", "Organization", "Union", "Corporation", "Company", "Group",
            "Office", "Commission", "Association", "Academy", "Government", "Parliament"},
    "EVENT": {"Dialogue", "Summit", "Conference", "Forum", "Meeting", "Exhibition", "Expo",
              "War", "Games", "Festival", "Congress", "Olympics"},
    "LAW": {"Convention", "Treaty", "Act", "Law", "Declaration", "Code", "Charter",
            "Accord", "Protocol"},
    "LOC": {"Sea", "Ocean", "River", "Mountains", "Asia", "Pacific", "Region", "Gulf",
            "Strait", "Bay", "Africa", "Europe", "America", "Peninsula", "Island", "Islands"},
}
SENTENCE_END = ".!?:\n\"'\u201c\u2018("  # after these, a capital may only open a sentence
DEMONYM = re.compile(r"[A-Z][a-z]+(?:ese|ian|ish|ean|an)s?")


@functools.cache
def _countries() -> frozenset[str]:
    """Country names (pycountry: ISO 3166 names, common and official ones), compared without
    spaces and case so that `Vietnam` meets ISO's `Viet Nam`."""
    names = set()
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            if name := getattr(country, attribute, None):
                names.add(_key(name))
    return frozenset(names)


def _key(name: str) -> str:
    return re.sub(r"[\s-]", "", name).lower()


def name_type(name: str) -> str:
    """TITLE if a title word opens the name; ORG, EVENT, LAW or LOC by its head word (the
    last word before `of`, `for`, `on`: `Ministry of Defence`); GPE for a country; NORP for
    a demonym; ORG for an acronym; else PERSON."""
    words = name.split()
    if words[0] in TITLE_WORDS:
        return "TITLE"
    head = re.split(r"\s(?:of|for|on)\s", name)[0].split()[-1]
    for label, heads in HEAD_WORDS.items():
        if head in heads:
            return label
    if _key(name) in _countries():
        return "GPE"
    if len(words) == 1 and DEMONYM.fullmatch(name):
        return "NORP"
    if len(words) == 1 and sum(c.isupper() for c in name) >= 2:
        return "ORG"
    return "PERSON"


def entity_spans(text: str, language: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, type) of every pattern mention, in text order, none overlapping."""
    taken: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or b <= start for a, b, _ in taken)

    for label, pattern in VALUE_PATTERNS.items():
        taken += [(m.start(), m.end(), label) for m in pattern.finditer(text)
                  if free(m.start(), m.end())]
    common = stop_words(language)
    for match in NAME.finditer(text):
        words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", match.group())]
        opens_sentence = text[:match.start()].rstrip(" \t")[-1:] in ("", *SENTENCE_END)
        while opens_sentence and words and words[0][2].lower() in common:  # `The`, `In` ...
            words.pop(0)
        if not words:
            continue
        start, end = match.start() + words[0][0], match.start() + words[-1][1]
        if free(start, end):
            taken.append((start, end, name_type(text[start:end])))
    yield from sorted(taken)


def _mentions(document: Document, release: Release, name: str) -> list[dict[str, Any]]:
    return [{"id": schema.record_id(document.id, "mentions", number),
             "start": start, "end": end, "text": document.text[start:end], "type": label,
             "entity_id": "ent:" + re.sub(r"\W+", "-", document.text[start:end].lower()
                                          ).strip("-"),
             "provenance": _provenance(name, release)}
            for number, (start, end, label) in enumerate(
                entity_spans(document.text, document.metadata["language"]), start=1)]


def entities(document: Document, release: Release) -> AnnotationFile:
    data = empty_annotations(document)
    data["mentions"] = _mentions(document, release, "entity_patterns")
    return data


# ------------------------------------------------------------------ events


def events(document: Document, release: Release) -> AnnotationFile:
    """Triggers from the lexicon of ``event_rules``; arguments from the pattern mentions
    (``entity_spans``) of the same sentence, which are written too."""
    data = empty_annotations(document)
    data["mentions"] = _mentions(document, release, "event_lexicon")
    mentions = [event_rules.Mention(m["start"], m["end"], m["type"], m["id"])
                for m in data["mentions"]]
    parsed = Parsed(document.text, document.metadata["language"])
    data["events"] = [{
        "id": schema.record_id(document.id, "events", number), "type": trigger.type,
        "trigger": {"start": trigger.start, "end": trigger.end,
                    "text": document.text[trigger.start:trigger.end]},
        "modality": trigger.modality, "contexts": [], "arguments": arguments,
        "source_event_id": None, "provenance": _provenance("event_lexicon", release)}
        for number, (trigger, arguments) in enumerate(event_rules.events(parsed, mentions),
                                                      start=1)]
    return data


BASELINES: dict[str, Baseline] = {baseline.name: baseline for baseline in (
    Baseline("quality_detectors", ("span_flags", "document_flags"), quality_flags),
    Baseline("claim_tfidf", ("claim_support",), functools.partial(claim_support, TFIDF)),
    Baseline("claim_minilm", ("claim_support",), functools.partial(claim_support, MINILM)),
    Baseline("entity_patterns", ("entities",), entities),
    Baseline("event_lexicon", ("events",), events),
    Baseline("authorship_signals", ("authorship",), authorship),
)}


# ------------------------------------------------------------------ running and reporting

# The figure each task's leaderboard ranks by, and how the table names it.
HEADLINES: dict[str, tuple[str, tuple[str, ...]]] = {
    "entities": ("strict micro F1", ("micro", "strict", "f1")),
    "events": ("trigger + type micro F1", ("triggers", "micro", "strict", "f1")),
    "span_flags": ("strict micro F1", ("micro", "strict", "f1")),
    "document_flags": ("micro F1", ("micro", "f1")),
    "authorship": ("balanced accuracy", ("balanced_accuracy",)),
    "claim_support": ("balanced accuracy", ("balanced_accuracy",)),
}
ALPHA = 0.05  # a difference from the best with p below this is marked significant


def prediction_file(directory: Path, name: str) -> Path:
    return directory / f"{name}.jsonl"


def metrics_file(directory: Path, name: str) -> Path:
    return directory / f"{name}.metrics.json"


def leaderboard(directory: Path, release: Release, scores: dict[str, dict[str, Any]]
                ) -> dict[str, Any]:
    """Per task, its baselines by their headline figure with its interval (from ``scores``:
    each baseline's metrics), and each one's comparison with the best
    (``evaluation.compare`` on that task)."""
    tasks = {}
    for task, (measure, path) in HEADLINES.items():
        key = ".".join(path)
        entries = []
        for name in (name for name, baseline in BASELINES.items() if task in baseline.tasks):
            metrics = scores[name]
            entries.append({"baseline": name, "score": figure(metrics[task], path),
                            "interval": metrics["intervals"][task]["figures"][key]})
        entries.sort(key=lambda entry: -entry["score"])  # stable: ties keep BASELINES order
        best = entries[0]["baseline"]
        for entry in entries[1:]:
            found = compare(prediction_file(directory, best),
                            prediction_file(directory, entry["baseline"]), release,
                            [task])["comparison"][task]["figures"][key]
            entry["versus_best"] = {"difference": -found["difference"],
                                    "interval": [-found["interval"][1], -found["interval"][0]],
                                    "p": found["p"]}
        units = scores[best]["intervals"][task]
        tasks[task] = {"measure": measure, "figure": key, "unit": units["unit"],
                       "units": units["units"], "baselines": entries}
    return {"dataset_version": release.version, "split": release.split,
            "documents": len(release.gold), "alpha": ALPHA, "tasks": tasks}


def _versus_best(entry: dict[str, Any]) -> str:
    found = entry.get("versus_best")
    if found is None:
        return "best"
    verdict = "significant" if found["p"] < ALPHA else "not significant"
    difference = found["difference"] + 0.0  # no -0.000
    return f"{difference:+.3f}, p = {found['p']:.3f} ({verdict})"


def leaderboard_section(board: dict[str, Any]) -> str:
    """The README's leaderboard: each task's headline figure per baseline, its interval, and
    its difference from the task's best with the approximate-randomisation p-value."""
    rows = [(TASK_NAMES[task], found["measure"],
             f"`{entry['baseline']}`", entry["score"], interval_cell(entry["interval"]),
             f"{found['units']} {found['unit']}", _versus_best(entry))
            for task, found in board["tasks"].items() for entry in found["baselines"]]
    table = markdown_table(["task", "measure", "baseline", "score", "95% CI", "unit",
                            "vs best"], rows, 3)
    return (f"\nDataset version {board['dataset_version']}, split `{board['split']}`, "
            f"{board['documents']} documents. Intervals: percentile bootstrap over the "
            "unit shown (items stand in for documents, so they are too narrow); vs best: "
            "approximate randomisation, significant at p < "
            f"{board['alpha']}.\n\n{table}\n")


def metrics_section(scores: dict[str, dict[str, Any]]) -> str:
    """Every figure of each baseline's tasks, with its interval (docs/benchmark.md)."""
    rows = []
    for name, baseline in BASELINES.items():
        rows += [(f"`{name}`", *row) for row in summary_rows(scores[name], baseline.tasks)]
    return "\n" + markdown_table(["baseline", "task", "measure", "P", "R", "F1 / score",
                                   INTERVAL_HEADER], rows, 3) + "\n"


def _section_of(path: Path, name: str) -> None:
    """Refuse a file without the generated section ``name``."""
    try:
        section_body(path.read_text(encoding="utf-8"), name)
    except ValueError as error:
        raise InputError(path, name, str(error), check="generated-section-missing") from None


def _write_section(path: Path, name: str, body: str) -> None:
    write_atomic(path, replace_section(path.read_text(encoding="utf-8"), name, body))


def run_baselines(root: Path, split: str) -> dict[str, Path]:
    """Write and score every baseline's predictions on the release in ``root/data``;
    write the leaderboard and regenerate the README's and the benchmark doc's tables."""
    release = read_release(root / DATA_DIR, split)
    sections = {root / README: README_SECTION, root / BENCHMARK_DOC: METRICS_SECTION}
    for path, name in sections.items():  # before hours of work, not after
        _section_of(path, name)
    directory = root / BASELINES_DIR
    written, scores = {}, {}
    for name, baseline in BASELINES.items():
        path = prediction_file(directory, name)
        write_predictions(path, baseline.predictions(release))
        scores[name] = evaluate(path, release)
        write_json(metrics_file(directory, name), scores[name])
        written[name] = path
    board = leaderboard(directory, release, scores)
    write_json(root / LEADERBOARD, board)
    # Tables from the figures as computed: the JSON files round them to DIGITS decimals.
    _write_section(root / README, README_SECTION, leaderboard_section(board))
    _write_section(root / BENCHMARK_DOC, METRICS_SECTION, metrics_section(scores))
    return written
