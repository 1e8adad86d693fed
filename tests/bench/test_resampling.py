"""Confidence intervals and paired tests: intervals computed by hand, `newsprov evaluate` and
`newsprov compare` on the released Parquet, and items whose scores add up to the scorer's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from newsprov.bench.evaluation import (
    TASKS,
    Release,
    compare,
    read_predictions,
    read_release,
    write_predictions,
)
from newsprov.bench.resampling import (
    MIN_DOCUMENTS,
    RESAMPLES,
    SEED,
    comparison,
    intervals,
    label_sample,
    span_sample,
    task_samples,
)
from newsprov.cli import main
from newsprov.core import schema
from newsprov.core.layout import BASELINES_DIR, DATA_DIR
from newsprov.core.metrics import by_document, classification_scores, event_scores, span_scores


@pytest.fixture(scope="module")
def release(repo: Path) -> Release:
    return read_release(repo / DATA_DIR, "test")


def accuracy_sample(correct: list[bool]) -> Any:
    """Claims of one document, each answered right or wrong."""
    gold = ["supported"] * len(correct)
    answers = ["supported" if right else "unsupported" for right in correct]
    return label_sample("claims", np.zeros(len(correct), dtype=np.int64), gold, [answers],
                        lambda truth, given: classification_scores(
                            truth, given, schema.CLAIM_SUPPORT.names))


def test_interval_of_a_tiny_case_is_the_exact_bootstrap_percentiles() -> None:
    # Four claims, one wrong. A draw of four with replacement holds k wrong claims with
    # probability C(4, k) (1/4)^k (3/4)^(4-k): k = 4, 3, 2, 1, 0 with 1, 12, 54, 108, 81 in
    # 256; accuracy (4 - k) / 4. P(accuracy <= 0) = 1/256 < 2.5% < P(<= 0.25) = 13/256, so
    # the 2.5th percentile is 0.25; P(accuracy < 1) = 175/256 < 97.5%, so the 97.5th is 1.
    result = intervals(accuracy_sample([True, True, True, False]), 1, [("accuracy",)])
    assert result["figures"]["accuracy"] == [0.25, 1.0]
    assert (result["unit"], result["units"]) == ("claims", 4)
    assert "not independent" in result["caveat"]


def test_evaluate_gives_the_interval_computed_by_hand(release: Release, tmp_path: Path,
                                                      repo: Path) -> None:
    # The gold claims with every fifth left unanswered (counted wrong): 16 of the 80.
    predicted = {doc: {**data, "claims": [claim for number, claim in enumerate(data["claims"])
                                          if number % 5]}
                 for doc, data in release.gold.items()}
    path = tmp_path / "fifth_wrong.jsonl"
    write_predictions(path, predicted)
    result = CliRunner().invoke(main, ["evaluate", str(path), "--data",
                                       str(repo / DATA_DIR)])
    assert result.exit_code == 0, result.output
    found = json.loads((tmp_path / "fifth_wrong.metrics.json").read_text(encoding="utf-8"))

    # By hand: the claims in document order, as the scorer lists them; draws as documented.
    correct = np.array([number % 5 != 0 for doc in sorted(release.gold)
                        for number, _ in enumerate(release.gold[doc]["claims"])])
    assert (len(correct), int((~correct).sum())) == (80, 16)
    draws = np.random.default_rng(SEED).integers(0, len(correct), (RESAMPLES, len(correct)))
    by_hand = np.percentile(correct[draws].mean(axis=1), [2.5, 97.5])
    # The same as scipy's percentile bootstrap with the same seed.
    scipy_interval = stats.bootstrap((correct.astype(float),), np.mean, n_resamples=RESAMPLES,
                                     method="percentile", rng=np.random.default_rng(SEED))
    assert by_hand == pytest.approx([scipy_interval.confidence_interval.low,
                                     scipy_interval.confidence_interval.high])

    claims = found["intervals"]["claim_support"]
    assert found["claim_support"]["accuracy"] == 0.8
    assert claims["figures"]["accuracy"] == pytest.approx(list(by_hand), abs=1e-4)
    assert (claims["unit"], claims["units"]) == ("claims", 80)
    assert found["intervals"]["resamples"] == RESAMPLES and found["intervals"]["seed"] == SEED
    assert "claim_support: 80 claims resampled; the split has 2 documents, fewer than " \
           f"{MIN_DOCUMENTS}: claims of one document are not independent" in result.output
    assert "| claim support | accuracy |  |  | 0.800 | [" in result.output


def test_items_add_up_to_the_scores_of_whole_documents(release: Release, repo: Path) -> None:
    """Groups of overlapping spans never share a match, so their counts sum to the counts of
    the documents: the figures are those of the document-level scorers."""
    documents = sorted(release.gold)
    for path in sorted((repo / BASELINES_DIR).glob("*.jsonl")):
        predicted = read_predictions(path, release.documents)
        samples = task_samples(release.gold, [predicted], ("entities", "span_flags", "events"))
        for task, kind, key, labels in (
                ("entities", "mentions", "type", schema.ENTITY_TYPE.names),
                ("span_flags", "span_flags", "label", schema.SPAN_FLAG.names)):
            assert samples[task].score() == span_scores(
                by_document(release.gold, kind, documents),
                by_document(predicted, kind, documents), key, labels), (path.name, task)
        assert samples["events"].score() == event_scores(release.gold, predicted, documents)


def test_groups_join_spans_that_overlap_through_another() -> None:
    gold = {"d": [{"start": 0, "end": 10, "type": "ORG"}, {"start": 20, "end": 25, "type": "GPE"}]}
    predicted = {"d": [{"start": 8, "end": 22, "type": "ORG"},  # joins both gold spans
                       {"start": 30, "end": 35, "type": "GPE"}]}  # a group of its own
    sample = span_sample(gold, [predicted], ["d"], "type", schema.ENTITY_TYPE.names, "mentions")
    assert len(sample.documents) == 2
    assert sample.score() == span_scores(gold, predicted, "type")


def test_a_system_compared_with_itself_differs_by_zero_with_p_one(release: Release,
                                                                  repo: Path) -> None:
    path = repo / BASELINES_DIR / "entity_patterns.jsonl"
    result = compare(path, path, release)
    for task in TASKS:
        figures = result["comparison"][task]["figures"]
        assert figures, task
        for key, found in figures.items():
            if found["a"] is None:
                continue
            assert (found["difference"], found["p"]) == (0.0, 1.0), (task, key)
            assert found["interval"] == [0.0, 0.0], (task, key)


def test_gold_against_no_predictions_is_a_significant_difference(
        release: Release, tmp_path: Path, repo: Path) -> None:
    gold, empty = tmp_path / "gold.jsonl", tmp_path / "empty.jsonl"
    write_predictions(gold, release.gold)
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "comparison.json"
    result = CliRunner().invoke(main, ["compare", str(gold), str(empty), "--data",
                                       str(repo / DATA_DIR), "--out", str(out)])
    assert result.exit_code == 0, result.output
    found = json.loads(out.read_text(encoding="utf-8"))["comparison"]
    headlines = {"entities": "micro.strict.f1", "events": "triggers.micro.strict.f1",
                 "span_flags": "micro.strict.f1", "claim_support": "balanced_accuracy"}
    for task, key in headlines.items():
        figures = found[task]["figures"][key]
        assert (figures["a"], figures["b"]) == (1.0, 0.0), task
        assert figures["interval"][0] > 0, task
        assert figures["p"] == pytest.approx(1 / (1 + RESAMPLES), abs=1e-4), task
    # Two documents cannot show a difference: half the ways to swap them give the same
    # absolute difference.
    for task, key in (("document_flags", "micro.f1"), ("authorship", "balanced_accuracy")):
        assert found[task]["figures"][key]["difference"] == 1.0
        assert found[task]["figures"][key]["p"] > 0.05, task
    assert "| claim support | balanced accuracy | 1.000 | 0.000 | 1.000 | [" in result.output


def test_approximate_randomisation_of_a_tiny_case() -> None:
    # Three claims; A answers all right, B the first only. Swapping a unit where both agree
    # changes nothing; the two others flip the difference by 1/3 each. |difference| >= 2/3
    # only when neither or both are swapped: half the draws, so p is about 1/2.
    sample = label_sample("claims", np.zeros(3, dtype=np.int64), ["supported"] * 3,
                          [["supported"] * 3, ["supported", "unsupported", "unsupported"]],
                          lambda truth, given: classification_scores(
                              truth, given, schema.CLAIM_SUPPORT.names))
    result = comparison(sample, 1, [("accuracy",)])["figures"]["accuracy"]
    assert result["difference"] == pytest.approx(2 / 3)
    assert result["p"] == pytest.approx(0.5, abs=0.05)
