"""The scorer on hand-computed cases, `newsprov evaluate` on the released Parquet, malformed
predictions, and the baselines: reproducible, and the README table is what they score."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsprov.bench.baselines import (
    BASELINES,
    MINILM,
    README_SECTION,
    TFIDF,
    ClaimMatcher,
    authorship,
    claim_support,
    entity_spans,
    events,
    metrics_file,
    prediction_file,
    run_baselines,
)
from newsprov.bench.evaluation import (
    TASKS,
    Release,
    read_predictions,
    read_release,
    score,
    write_predictions,
)
from newsprov.cli import main
from newsprov.core.errors import InputError
from newsprov.core.files import read_json
from newsprov.core.layout import (
    BASELINES_DIR,
    BENCHMARK_DOC,
    DATA_DIR,
    LEADERBOARD,
    MANIFEST,
    README,
)
from newsprov.core.metrics import span_scores
from newsprov.store.annotations import records
from newsprov.store.corpus import Document

ORIGINAL, REWRITE = "000_6ed1f7236875d9ca", "004_c1cf42bd939e682c"
FIGURES = ("precision", "recall", "f1", "accuracy", "balanced_accuracy", "macro_f1")


def figures(metrics: Any, path: str = "") -> Iterator[tuple[str, float | None]]:
    """Every figure of a metrics dict (nested), with its path; not their intervals."""
    if isinstance(metrics, dict):
        for key, value in metrics.items():
            if key == "intervals":
                continue
            if key in FIGURES:
                yield f"{path}.{key}", value
            else:
                yield from figures(value, f"{path}.{key}")


def annotation(doc_id: str, **kinds: list[dict]) -> dict[str, Any]:
    """An annotation file with only the fields the scorer reads."""
    authorship = kinds.pop("authorship", None)
    return {"doc_id": doc_id, "authorship": authorship and {"label": authorship},
            **{kind: kinds.get(kind, []) for kind in
               ("mentions", "events", "document_flags", "span_flags", "claims")}}


def mention(id_: str, start: int, end: int, type_: str) -> dict[str, Any]:
    return {"id": id_, "start": start, "end": end, "type": type_}


def event(trigger: tuple[int, int], type_: str, modality: str,
          arguments: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": type_, "trigger": {"start": trigger[0], "end": trigger[1]},
            "modality": modality,
            "arguments": [{"role": role, "mention_id": m} for role, m in arguments]}


def claim(start: int, end: int, support: str) -> dict[str, Any]:
    return {"start": start, "end": end, "support": support}


# A gold set with every layer: document "a" is an original, "b" a derived document.
GOLD = {
    "a": annotation(
        "a", authorship="human",
        mentions=[mention("a:m1", 0, 7, "GPE"), mention("a:m2", 12, 18, "GPE"),
                  mention("a:m3", 20, 30, "PERSON"), mention("a:m4", 40, 50, "ORG")],
        events=[event((31, 35), "CONSULT", "asserted", [("actor", "a:m3"), ("place", "a:m1")]),
                event((52, 58), "AGREE", "future", [("actor", "a:m4")])],
        document_flags=[{"label": "boilerplate_contaminated"}, {"label": "multiple_articles"}],
        span_flags=[{"start": 100, "end": 120, "label": "boilerplate"},
                    {"start": 130, "end": 140, "label": "duplicate"}]),
    "b": annotation(
        "b", authorship="machine",
        document_flags=[{"label": "template_structure"}],
        claims=[claim(0, 10, "supported"), claim(11, 20, "supported"),
                claim(21, 30, "unsupported"), claim(31, 40, "contradicted")]),
}


def test_perfect_predictions_score_one_on_every_metric() -> None:
    found = dict(figures(score(GOLD, GOLD)))
    assert {path.split(".")[1] for path in found} == {
        "entities", "events", "span_flags", "document_flags", "authorship", "claim_support"}
    assert {path: value for path, value in found.items() if value != 1.0} == {}


def test_no_predictions_score_zero_recall() -> None:
    found = dict(figures(score(GOLD, {})))
    recalls = {path: value for path, value in found.items()
               if path.endswith((".recall", "accuracy"))}
    assert recalls and set(recalls.values()) == {0.0}


def test_entities_with_partial_overlaps_wrong_types_and_spurious_spans() -> None:
    predicted = {"a": [mention("p1", 0, 7, "GPE"),     # same span and type: correct
                       mention("p2", 12, 18, "ORG"),   # same span, gold says GPE
                       mention("p3", 20, 25, "PERSON"),  # half of gold [20, 30), same type
                       mention("p4", 60, 65, "DATE")]}   # nothing there in gold
    # gold [40, 50) ORG is missed.
    result = span_scores({"a": GOLD["a"]["mentions"]}, predicted, "type")
    micro = {mode: (r["precision"], r["recall"], r["f1"]) for mode, r in result["micro"].items()}
    # strict: correct p1; incorrect p2 (type), p3 (boundaries); spurious p4; missed m4.
    #   actual = 1 + 2 + 1 = 4, possible = 1 + 2 + 1 = 4: P = R = F1 = 1/4.
    assert micro["strict"] == pytest.approx((1 / 4, 1 / 4, 1 / 4))
    # exact (boundaries only): correct p1, p2; incorrect p3; spurious p4; missed m4: 2/4.
    assert micro["exact"] == pytest.approx((2 / 4, 2 / 4, 2 / 4))
    # partial: correct p1, p2; partial p3 counts 0.5: (2 + 0.5) / 4 = 0.625.
    assert micro["partial"] == pytest.approx((0.625, 0.625, 0.625))
    # type (overlap with the same type): correct p1, p3; incorrect p2: 2/4.
    assert micro["type"] == pytest.approx((2 / 4, 2 / 4, 2 / 4))
    counts = {key: result["micro"]["strict"][key]
              for key in ("correct", "incorrect", "partial", "missed", "spurious")}
    assert counts == {"correct": 1, "incorrect": 2, "partial": 0, "missed": 1, "spurious": 1}
    # Per type, strict: GPE P 1/1, R 1/2, F1 2/3; ORG (p2 spurious, m4 missed) 0, 0, 0;
    # PERSON (p3 incorrect) 0, 0, 0; DATE (p4 spurious) 0, 0, 0.
    strict = {label: r["strict"]["f1"] for label, r in result["per_label"].items()}
    assert strict == pytest.approx({"GPE": 2 / 3, "ORG": 0, "PERSON": 0, "DATE": 0})
    # Macro strict over the four types: P (1+0+0+0)/4, R (1/2)/4, F1 (2/3)/4.
    assert result["macro"]["strict"] == pytest.approx(
        {"precision": 1 / 4, "recall": 1 / 8, "f1": 1 / 6})
    # Macro partial: GPE 1, 1/2, 2/3; PERSON 0.5, 0.5, 0.5; ORG and DATE 0.
    assert result["macro"]["partial"] == pytest.approx(
        {"precision": 1.5 / 4, "recall": 1 / 4, "f1": (2 / 3 + 0.5) / 4})


def test_an_overlapping_prediction_does_not_take_an_exact_match_from_another() -> None:
    gold = {"a": [{"start": 10, "end": 20, "label": "foreign_language"}]}
    # A boilerplate block around the fragment comes first in text order.
    predicted = {"a": [{"start": 0, "end": 30, "label": "boilerplate"},
                       {"start": 10, "end": 20, "label": "foreign_language"}]}
    strict = span_scores(gold, predicted, "label")["micro"]["strict"]
    assert (strict["correct"], strict["spurious"], strict["missed"]) == (1, 1, 0)


def test_events_documents_flags_authorship_and_claims_by_hand() -> None:
    predicted = {
        "a": annotation(
            "a", authorship="machine",
            mentions=[mention("x1", 0, 7, "GPE"), mention("x3", 20, 30, "PERSON")],
            # CONSULT right with one of its two arguments; AGREE at the wrong modality;
            # an invented AID event.
            events=[event((31, 35), "CONSULT", "asserted", [("actor", "x3")]),
                    event((52, 58), "AGREE", "asserted", []),
                    event((70, 75), "AID", "asserted", [])],
            document_flags=[{"label": "boilerplate_contaminated"}]),
        "b": annotation(
            "b", authorship="machine",
            document_flags=[{"label": "template_structure"}, {"label": "unsupported_content"}],
            claims=[claim(0, 10, "supported"), claim(11, 20, "unsupported"),
                    claim(21, 30, "unsupported")]),  # no answer for [31, 40)
    }
    metrics = score(GOLD, predicted)
    events = metrics["events"]
    # Triggers and types: 2 of 3 predicted right, 2 of 2 gold found: P 2/3, R 1, F1 0.8.
    assert events["triggers"]["micro"]["strict"]["f1"] == pytest.approx(0.8)
    # Arguments: gold (CONSULT actor m3, CONSULT place m1, AGREE actor m4); predicted the
    # CONSULT actor at m3's span: P 1/1, R 1/3, F1 0.5.
    assert (events["arguments"]["precision"], events["arguments"]["recall"],
            events["arguments"]["f1"]) == pytest.approx((1, 1 / 3, 0.5))
    # Modality: (CONSULT, asserted) right, (AGREE, asserted) wrong, (AID) spurious:
    # P 1/3, R 1/2, F1 2 * (1/3 * 1/2) / (1/3 + 1/2) = 0.4.
    assert events["modality"]["f1"] == pytest.approx(0.4)
    # Document flags: gold {bc, ma}, {ts}; predicted {bc}, {ts, uc}. TP 2, FP 1, FN 1:
    # micro P = R = F1 = 2/3; per label F1: bc 1, ma 0, ts 1, uc 0: macro F1 0.5.
    flags = metrics["document_flags"]
    assert flags["micro"]["f1"] == pytest.approx(2 / 3)
    assert flags["macro"]["f1"] == pytest.approx(0.5)
    # Authorship: a human -> machine wrong, b machine right: accuracy 1/2; recall human 0,
    # machine 1: balanced accuracy 1/2.
    assert metrics["authorship"]["balanced_accuracy"] == pytest.approx(0.5)
    # Claims: gold S S U C, predicted S U U (none). Recall S 1/2, U 1/1, C 0/1: balanced
    # accuracy 0.5; F1 S 2/3 (P 1, R 1/2), U 2/3 (P 1/2, R 1), C 0: macro F1 4/9.
    support = metrics["claim_support"]
    assert (support["accuracy"], support["balanced_accuracy"], support["macro_f1"]) == \
        pytest.approx((0.5, 0.5, 4 / 9))
    assert support["unanswered"] == 1
    assert {label: r["f1"] for label, r in support["per_class"].items()} == pytest.approx(
        {"supported": 2 / 3, "unsupported": 2 / 3, "contradicted": 0})


# ------------------------------------------------------------------ the released Parquet


@pytest.fixture(scope="module")
def release(repo: Path) -> Release:
    return read_release(repo / DATA_DIR, "test")


def test_evaluate_on_the_release_scores_its_own_gold_as_perfect(
        release: Release, tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    predictions = tmp_path / "gold.jsonl"
    write_predictions(predictions, release.gold)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["evaluate", str(predictions), "--split", "test",
                                       "--dataset-version", release.version])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "gold.metrics.json").read_text(encoding="utf-8"))
    assert metrics["dataset_version"] == release.version
    assert metrics["documents"] == len(release.gold)
    found = dict(figures(metrics))
    scored = {path: value for path, value in found.items() if value is not None}
    assert scored and set(scored.values()) == {1.0}
    assert "| entity recognition | strict micro |" in result.output
    bounds = {tuple(interval) for task in TASKS
              for interval in metrics["intervals"][task]["figures"].values() if interval}
    assert bounds == {(1.0, 1.0)}  # every draw of a perfect system is perfect
    for kind, path in HEADLINE.items():  # a layer with gold records is scored, never n/a
        if any(data[kind] for data in release.gold.values()):
            value = metrics
            for key in path:
                value = value[key]
            assert value == 1.0, (kind, path)


# The headline figure of each annotation layer in the metrics JSON.
HEADLINE = {"mentions": ("entities", "micro", "strict", "f1"),
            "events": ("events", "triggers", "micro", "strict", "f1"),
            "document_flags": ("document_flags", "micro", "f1"),
            "span_flags": ("span_flags", "micro", "strict", "f1"),
            "claims": ("claim_support", "balanced_accuracy")}


def test_evaluate_with_no_predictions_scores_zero_recall(release: Release, tmp_path: Path,
                                                         repo: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(empty), "--data", str(repo / DATA_DIR)])
    assert result.exit_code == 0, result.output
    found = dict(figures(json.loads((tmp_path / "empty.metrics.json").read_text())))
    recalls = [v for path, v in found.items() if path.endswith(".recall") and v is not None]
    assert recalls and set(recalls) == {0.0}


def test_release_of_another_version_or_changed_since_its_manifest_is_refused(
        repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"not 9\.9\.9") as error:
        read_release(repo / DATA_DIR, "test", "9.9.9")
    assert error.value.check == "release-version"
    data = shutil.copytree(repo / DATA_DIR, tmp_path / "data")
    shard = next((data / "documents").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes() + b"\0")
    with pytest.raises(InputError, match="sha256 differs") as error:
        read_release(data, "test")
    assert error.value.file == str(shard)
    assert error.value.check == "release-file-changed"


def remove(path: str) -> Callable[[Path], Any]:
    return lambda data: (data / path).unlink()


SHARD = next(entry["path"] for entry in json.loads(
    (Path(__file__).parents[2] / DATA_DIR / MANIFEST).read_text())["files"]
    if entry["table"] == "mentions")  # its name carries its content hash
# case (the check) -> (break the copied export, split read; file, record named; problem)
BROKEN_RELEASES = {
    "no-release": (remove(MANIFEST), "test", MANIFEST, None, "no release here"),
    "release-file-missing": (remove(SHARD), "test", SHARD, None,
                             f"listed in {MANIFEST} but missing"),
    "split-unknown": (lambda data: None, "dev", MANIFEST, "dev", "unknown split; allowed"),
    "split-empty": (lambda data: None, "train", MANIFEST, "train",
                    "has no documents in this split"),
}


@pytest.mark.parametrize("check", BROKEN_RELEASES)
def test_broken_release_is_refused(check: str, repo: Path, tmp_path: Path) -> None:
    damage, split, file, record, problem = BROKEN_RELEASES[check]
    data = shutil.copytree(repo / DATA_DIR, tmp_path / "data")
    damage(data)
    with pytest.raises(InputError) as error:
        read_release(data, split)
    assert (error.value.file, error.value.record) == (str(data / file), record)
    assert problem in error.value.problem
    assert error.value.check == check


# ------------------------------------------------------------------ malformed predictions


def valid_line(release: Release) -> dict[str, Any]:
    text = release.documents[ORIGINAL].text
    start = text.index("Hanoi")
    return {"doc_id": ORIGINAL, "kind": "mentions", "id": "sys:m1", "start": start,
            "end": start + 5, "text": "Hanoi", "type": "GPE", "entity_id": "ent:hanoi",
            "provenance": {"annotator": "sys", "method": "rule_based", "date": "2026-11-23"}}


def authorship_line(label: str) -> dict[str, Any]:
    return {"doc_id": ORIGINAL, "kind": "authorship", "label": label, "evidence": "",
            "provenance": {"annotator": "sys", "method": "rule_based", "date": "2026-11-23"}}


def same_span_claims(release: Release) -> list[dict[str, Any]]:
    """Two claims of the rewrite on one span (its first gold claim's)."""
    gold = release.gold[REWRITE]["claims"][0]
    return [{**gold, "doc_id": REWRITE, "kind": "claims", "id": f"sys:c{n}"} for n in (1, 2)]


# case -> (change the valid line, or give the lines (a str is written as it is; None writes
# no file); record named; problem; check)
MALFORMED = {
    "unknown-document": (lambda line, _: [{**line, "doc_id": "999_nope"}], "line 1",
                         "doc_id '999_nope' is not a document of the release",
                         "prediction-document"),
    "offsets-outside-the-text": (lambda line, _: [{**line, "end": 10**6}], "line 1 (sys:m1)",
                                 "are not 0 <= start < end", "annotation-record-content"),
    "span-text-mismatch": (lambda line, _: [{**line, "text": "Hue"}], "line 1 (sys:m1)",
                           "does not match the document text", "annotation-record-content"),
    "unknown-label": (lambda line, _: [{**line, "type": "CITY"}], "line 1 (sys:m1)",
                      "unknown label 'CITY'", "annotation-record-shape"),
    "duplicate-id": (lambda line, _: [line, {**line, "start": 0, "end": 7, "text": "Vietnam"}],
                     "line 2 (sys:m1)", "duplicate id: also on line 1", "duplicate-record-id"),
    "unknown-kind": (lambda line, _: [{**line, "kind": "entities"}], "line 1",
                     "kind 'entities' is not one of", "prediction-kind"),
    "missing-field": (lambda line, _: [{k: v for k, v in line.items() if k != "entity_id"}],
                      "line 1 (sys:m1)", "missing field(s) ['entity_id']",
                      "annotation-record-shape"),
    "file-not-found": (lambda line, _: None, None, "prediction file not found",
                       "predictions-not-found"),
    "invalid-json": (lambda line, _: [line, '{"doc_id": '], "line 2", "invalid JSON",
                     "invalid-json"),
    "not-an-object": (lambda line, _: [[line]], "line 1", "a prediction must be a JSON object",
                      "prediction-not-object"),
    "second-authorship": (lambda line, _: [authorship_line("human"), line,
                                           authorship_line("machine")],
                          "line 3", f"a second authorship for {ORIGINAL} (first on line 1)",
                          "second-authorship"),
    "claims-on-one-span": (lambda line, release: same_span_claims(release), "line 2 (sys:c2)",
                           "claims: same span as sys:c1", "claim-same-span"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_predictions_name_the_line_and_record(case: str, release: Release,
                                                        tmp_path: Path) -> None:
    make, record, problem, check = MALFORMED[case]
    path = tmp_path / f"{case}.jsonl"
    lines = make(valid_line(release), release)
    if lines is not None:
        path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                                for line in lines), encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_predictions(path, release.documents)
    assert (error.value.file, error.value.record) == (str(path), record)
    assert problem in error.value.problem
    assert error.value.check == check


def test_invalid_json_line_is_named(release: Release, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(valid_line(release)) + "\n{\"doc_id\": \n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2: invalid JSON") as error:
        read_predictions(path, release.documents)
    assert error.value.check == "invalid-json"


def test_non_utf8_prediction_file_names_its_line(release: Release, tmp_path: Path,
                                                 repo: Path) -> None:
    """Issue 19, item 7: a UnicodeDecodeError traceback before."""
    path = tmp_path / "latin1.jsonl"
    second = json.dumps({**valid_line(release), "id": "sys:m2", "entity_id": "ent:é"},
                        ensure_ascii=False)
    path.write_bytes(json.dumps(valid_line(release)).encode() + b"\n"
                     + second.encode("latin-1") + b"\n")
    with pytest.raises(InputError, match=r"line 2: not valid UTF-8 \(invalid continuation "
                                         r"byte at byte \d+\)") as error:
        read_predictions(path, release.documents)
    assert error.value.check == "invalid-json"
    result = CliRunner().invoke(main, ["evaluate", str(path), "--data", str(repo / DATA_DIR)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: {error.value}"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_line_separators_inside_json_strings_are_accepted(release: Release, tmp_path: Path,
                                                          separator: str) -> None:
    """Issue 19, item 9: lines were split with str.splitlines(), which also splits at these
    characters, raw inside a JSON string (valid JSON)."""
    line = {**valid_line(release), "entity_id": f"ent:hanoi{separator}city"}
    path = tmp_path / "separators.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\r\n", encoding="utf-8")
    assert separator in path.read_text(encoding="utf-8")
    read = read_predictions(path, release.documents)
    assert read[ORIGINAL]["mentions"][0]["entity_id"] == f"ent:hanoi{separator}city"


def test_predictions_round_trip_through_the_jsonl_format(release: Release,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    write_predictions(path, release.gold)
    read = read_predictions(path, release.documents)
    annotated = {doc for doc, data in release.gold.items() if next(records(data), None)
                 or data["authorship"]}  # a document without records has no line
    assert read == {doc: release.gold[doc] for doc in annotated}


# ------------------------------------------------------------------ baselines


def test_entity_patterns_find_values_and_typed_names() -> None:
    text = ("The Ministry of National Defence of Vietnam met Canadian officials on "
            "February 20, 2024 for the third time, with two delegations from Canada.")
    found = [(text[start:end], label) for start, end, label in entity_spans(text, "en")]
    assert found == [("Ministry of National Defence of Vietnam", "ORG"), ("Canadian", "NORP"),
                     ("February 20, 2024", "DATE"), ("third", "ORDINAL"),
                     ("two", "CARDINAL"), ("Canada", "GPE")]


CLAIM_SOURCE = "Alpha signed a trade pact with Beta in March.\nThe weather was mild.\n"
CLAIM_DERIVED = "Alpha signed a trade pact with Beta.\nGamma invaded Delta.\n"


def claim_case() -> tuple[Document, Release]:
    metadata = {"language": "en", "sha256": "", "derivation": None}
    source = Document({**metadata, "id": "s", "derived_from": None}, CLAIM_SOURCE)
    derived = Document({**metadata, "id": "d", "derived_from": "s"}, CLAIM_DERIVED)
    given = [{"start": 0, "end": 36, "text": CLAIM_DERIVED[:36]},
             {"start": 37, "end": 57, "text": CLAIM_DERIVED[37:57]}]
    return derived, Release({"release_date": "2026-11-23"}, "test",
                            {"s": source, "d": derived}, {"d": {"claims": given}})


@pytest.mark.parametrize("matcher", [TFIDF, MINILM], ids=lambda matcher: matcher.name)
def test_claim_baselines_label_given_claims_by_similarity_to_source_units(
        matcher: ClaimMatcher) -> None:
    """The semantic one loads all-MiniLM-L6-v2 from its wheel, offline (HF_HUB_OFFLINE=1 is
    set for every test)."""
    claims = claim_support(matcher, *claim_case())["claims"]
    assert [(c["text"], c["support"]) for c in claims] == [
        ("Alpha signed a trade pact with Beta.", "supported"),
        ("Gamma invaded Delta.", "unsupported")]
    assert claims[0]["evidence"] == [{"start": 0, "end": 45, "text": CLAIM_SOURCE[:45]}]
    assert claims[0]["note"].startswith(f"highest {matcher.measure} with a source unit: ")


def test_event_lexicon_finds_triggers_modality_and_arguments() -> None:
    text = ("Minister Nguyen met Vietnamese officials in Canada in May 2024.\n"
            "The two sides may strengthen cooperation and will sign an accord.\n")
    document = Document({"id": "e", "language": "en", "sha256": "", "derivation": None,
                         "derived_from": None}, text)
    release = Release({"release_date": "2026-11-23"}, "test", {"e": document}, {})
    data = events(document, release)
    mentions = {m["id"]: m["text"] for m in data["mentions"]}
    found = [(e["trigger"]["text"], e["type"], e["modality"],
              sorted((a["role"], mentions[a["mention_id"]]) for a in e["arguments"]))
             for e in data["events"]]
    assert found == [
        ("met", "CONSULT", "asserted", [("actor", "Vietnamese"), ("place", "Canada"),
                                        ("position", "Minister Nguyen"),
                                        ("time", "May 2024")]),
        # `strengthen` carries `cooperation`; `may` makes it hypothetical (the month `May`
        # above does not).
        ("strengthen", "COOPERATE", "hypothetical", []),
        ("sign", "AGREE", "future", []),
        ("accord", "AGREE", "future", [])]


def test_authorship_signals_need_two_of_four() -> None:
    template = ("Introduction\nIt plays a crucial role in paving the way for peace.\n"
                "Conclusion\n| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    plain = "Hanoi (VNA) - The minister met his counterpart on Monday, he said.\n"
    release = Release({"release_date": "2026-11-23"}, "test", {}, {})
    labels = {}
    for name, text in (("template", template), ("plain", plain)):
        document = Document({"id": name, "language": "en", "sha256": "", "derivation": None,
                             "derived_from": None}, text)
        labels[name] = authorship(document, release)["authorship"]
    assert labels["template"]["label"] == "machine"
    assert labels["template"]["evidence"].startswith("3 of 4 signals")
    assert (labels["plain"]["label"], labels["plain"]["evidence"]) == (
        "human", "0 of 4 signals of a generated text")


def test_baselines_are_reproduced_by_one_command(repo: Path, scratch_repo: Path) -> None:
    """Predictions, metrics with intervals, the leaderboard and both generated tables; the
    semantic baseline runs here with its model loaded offline."""
    shutil.copytree(repo / "docs", scratch_repo / "docs")
    run_baselines(scratch_repo, "test")
    paths = [LEADERBOARD, README, BENCHMARK_DOC]
    for name in BASELINES:
        paths += [prediction_file(BASELINES_DIR, name), metrics_file(BASELINES_DIR, name)]
    for path in paths:
        assert (scratch_repo / path).read_bytes() == (repo / path).read_bytes(), \
            f"{path} is stale: run `newsprov baselines`"


def test_every_task_has_a_baseline_on_the_leaderboard(repo: Path) -> None:
    board = read_json(repo / LEADERBOARD)
    assert set(board["tasks"]) == set(TASKS)
    for task, found in board["tasks"].items():
        assert found["baselines"], task
        for entry in found["baselines"]:
            assert entry["interval"][0] <= entry["score"] <= entry["interval"][1], task


def test_claim_support_baselines_are_reported_side_by_side(repo: Path) -> None:
    rows = {entry["baseline"]: entry for entry in
            read_json(repo / LEADERBOARD)["tasks"]["claim_support"]["baselines"]}
    assert set(rows) == {"claim_tfidf", "claim_minilm"}
    readme = (repo / README).read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 20_000
    for name, entry in rows.items():
        shown = re.search(rf"\| claim support \| balanced accuracy \| `{name}` \| ([0-9.]+) \| "
                          r"\[([0-9.]+), ([0-9.]+)\] \|", readme)
        assert shown, name
        assert [float(x) for x in shown.groups()] == pytest.approx(
            [entry["score"], *entry["interval"]], abs=6e-4)


def test_baselines_refuse_a_readme_without_the_generated_section(scratch_repo: Path,
                                                                 repo: Path) -> None:
    shutil.copytree(repo / "docs", scratch_repo / "docs")
    readme = scratch_repo / README
    readme.write_text(readme.read_text(encoding="utf-8").replace(
        f"<!-- BEGIN GENERATED: {README_SECTION} -->", ""), encoding="utf-8")
    with pytest.raises(InputError) as error:
        run_baselines(scratch_repo, "test")
    assert (error.value.file, error.value.record) == (str(readme), README_SECTION)
    assert f"no generated section {README_SECTION!r}" in error.value.problem
    assert error.value.check == "generated-section-missing"
