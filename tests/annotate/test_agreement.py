"""Agreement between two annotation passes: hand-computed figures on a small corpus, and the
committed report reproduced from the committed passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsprov.annotate.agreement import agreement_report, categorical_agreement
from newsprov.cli import main
from newsprov.core.layout import AGREEMENT_FILE, AGREEMENT_REPORT
from newsprov.store.corpus import Document

SOURCE = "Alpha met Beta in Hanoi on Monday."   # 7 tokens
DERIVED = "Alpha rose. Beta fell. Gamma won."   # 6 tokens, 3 claim units
CORPUS = {
    "src": Document({"id": "src", "derived_from": None, "language": "en"}, SOURCE),
    "der": Document({"id": "der", "derived_from": "src", "language": "en"}, DERIVED),
}


def annotation(authorship: str, **kinds: list[dict]) -> dict[str, Any]:
    return {"authorship": {"label": authorship},
            **{kind: kinds.get(kind, []) for kind in
               ("mentions", "events", "document_flags", "span_flags", "claims")}}


def claim(start: int, end: int, support: str, severity: str | None = None) -> dict[str, Any]:
    return {"start": start, "end": end, "support": support, "severity": severity,
            "error_type": None if support == "supported" else "out_of_article"}


def consult(actor: str, recipient: str | None = None) -> dict[str, Any]:
    arguments = [{"role": "actor", "mention_id": actor}]
    arguments += [{"role": "recipient", "mention_id": recipient}] if recipient else []
    return {"type": "CONSULT", "trigger": {"start": 6, "end": 9}, "modality": "asserted",
            "arguments": arguments}


PASS_A = {
    "src": annotation(
        "human",
        mentions=[{"id": "a1", "start": 0, "end": 5, "type": "PERSON"},
                  {"id": "a2", "start": 10, "end": 14, "type": "PERSON"},
                  {"id": "a3", "start": 18, "end": 23, "type": "GPE"}],
        events=[consult("a1", "a2")],
        document_flags=[{"label": "boilerplate_contaminated"}],
        span_flags=[{"start": 0, "end": 9, "label": "spelling"}]),  # tokens Alpha, met
    "der": annotation(
        "machine", document_flags=[{"label": "template_structure"}],
        claims=[claim(0, 11, "supported"), claim(12, 22, "unsupported", "evident"),
                claim(23, 33, "unsupported", "subtle")]),
}
PASS_B = {
    "src": annotation(
        "human",
        mentions=[{"id": "b1", "start": 0, "end": 5, "type": "PERSON"},
                  {"id": "b2", "start": 10, "end": 14, "type": "ORG"},   # other type
                  {"id": "b3", "start": 18, "end": 22, "type": "GPE"}],  # `Hano`
        events=[consult("b1")],  # the recipient left out
        document_flags=[{"label": "boilerplate_contaminated"}],
        span_flags=[{"start": 0, "end": 5, "label": "spelling"}]),  # token Alpha
    "der": annotation(
        "human",
        claims=[claim(0, 11, "supported"), claim(12, 22, "supported"),
                claim(23, 33, "unsupported", "subtle")]),
}


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return agreement_report(PASS_A, PASS_B, CORPUS)


def test_mentions_strict_and_partial_span_f1(report: dict[str, Any]) -> None:
    micro = report["entities"]["micro"]
    # strict: Alpha agrees; Beta (type) and Hanoi/Hano (boundary) do not: 1/3.
    assert micro["strict"]["f1"] == pytest.approx(1 / 3)
    # partial: Alpha and Beta same span (type ignored), Hano overlaps: (2 + 0.5) / 3.
    assert micro["partial"]["f1"] == pytest.approx(5 / 6)


def test_events_are_aligned_by_trigger_and_arguments_by_mention_span(
        report: dict[str, Any]) -> None:
    events = report["events"]
    assert events["triggers"]["micro"]["strict"]["f1"] == 1.0
    # A: actor Alpha, recipient Beta; B: actor Alpha (other mention id, same span):
    # P 1/1, R 1/2, F1 2/3.
    assert events["arguments"]["f1"] == pytest.approx(2 / 3)
    assert events["modality_agreement"]["units_both"] == 1
    assert events["modality_agreement"]["observed"] == 1.0


def test_span_flags_agree_per_token(report: dict[str, Any]) -> None:
    spelling = report["span_flags"]["tokens"]["spelling"]
    # 13 tokens; A says yes to 2 (Alpha, met), B to 1 (Alpha); they differ on `met`.
    # kappa: p_o = 12/13; p_e = (2/13)(1/13) + (11/13)(12/13) = 134/169;
    # (156 - 134) / (169 - 134) = 22/35.
    # alpha: 26 values, 3 yes and 23 no; D_o = 2/26; D_e = 2 * 3 * 23 / (26 * 25);
    # 1 - (2/26) / (138/650) = 1 - 25/69 = 44/69.
    assert (spelling["units"], spelling["observed"]) == (13, pytest.approx(12 / 13))
    assert spelling["kappa"] == pytest.approx(22 / 35)
    assert spelling["alpha"] == pytest.approx(44 / 69)
    assert list(report["span_flags"]["tokens"]) == ["spelling"]  # only labels in use


def test_document_flags_authorship_and_claims(report: dict[str, Any]) -> None:
    # (document, label) units for the two labels in use: (src, bc) yes/yes, (src, ts)
    # no/no, (der, bc) no/no, (der, ts) yes/no. p_o = 3/4; p_e = (2/4)(1/4) + (2/4)(3/4)
    # = 1/2; kappa = (3/4 - 1/2) / (1/2) = 1/2.
    assert report["document_flags"]["kappa"] == pytest.approx(0.5)
    # Authorship: human/human, machine/human: p_o = 1/2, p_e = (1/2)(1) + (1/2)(0): 0.
    assert report["authorship"]["kappa"] == pytest.approx(0.0)
    support = report["claims"]["support"]
    # Claim units: supported/supported, unsupported/supported, unsupported/unsupported.
    # kappa: p_o = 2/3, p_e = (1/3)(2/3) + (2/3)(1/3) = 4/9: (6/9 - 4/9) / (5/9) = 2/5.
    # alpha: 6 values, 3 each; D_o = 2/6, D_e = 2 * 3 * 3 / (6 * 5) = 3/5: 1 - 5/9 = 4/9.
    assert (support["units"], support["kappa"], support["alpha"]) == \
        (3, pytest.approx(0.4), pytest.approx(4 / 9))
    severity = report["claims"]["severity"]
    # Only the third unit has a severity from both passes: no variation to measure.
    assert (severity["units_both"], severity["observed"], severity["kappa"]) == (1, 1.0, None)


def test_identical_passes_agree_perfectly() -> None:
    report = agreement_report(PASS_A, PASS_A, CORPUS)
    values = [report["entities"]["micro"]["strict"]["f1"],
              report["events"]["arguments"]["f1"],
              report["span_flags"]["tokens"]["spelling"]["kappa"],
              report["document_flags"]["alpha"], report["claims"]["support"]["kappa"]]
    assert values == [1.0] * len(values)


def test_agreement_without_variation_is_undefined_not_perfect() -> None:
    result = categorical_agreement([("no", "no")] * 5)
    assert (result["observed"], result["kappa"], result["alpha"]) == (1.0, None, None)


def test_committed_report_is_reproduced_from_the_committed_passes(
        repo: Path, tmp_path: Path) -> None:
    committed = repo / AGREEMENT_FILE
    out = tmp_path / "agreement.json"
    result = CliRunner().invoke(main, [
        "agreement", "annotations/passes/pass_a", "annotations/passes/pass_b",
        "--root", str(repo), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "| claims | `support` per claim unit |" in result.output
    assert json.loads(out.read_text(encoding="utf-8")) == \
        json.loads(committed.read_text(encoding="utf-8")), \
        f"{committed} is stale: run `newsprov agreement` on the passes"


def test_agreement_leaves_the_committed_report_alone_unless_asked(
        scratch_repo: Path) -> None:
    committed = (scratch_repo / AGREEMENT_FILE).read_bytes()
    result = CliRunner().invoke(main, [
        "agreement", "annotations/passes/pass_a", "annotations/passes/pass_b",
        "--root", str(scratch_repo)])
    assert result.exit_code == 0, result.output
    assert (scratch_repo / AGREEMENT_FILE).read_bytes() == committed
    written = scratch_repo / AGREEMENT_REPORT
    assert json.loads(written.read_text()) == json.loads(committed)
    assert f"wrote {written}" in result.output
