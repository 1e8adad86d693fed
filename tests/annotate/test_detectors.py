"""The rule-based detectors on the two real seed texts, and on small texts for their limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsprov.annotate.detectors import (
    DETECTORS,
    Detector,
    claim_problems,
    claim_units,
    detector_of,
    flag_records,
    hit_status,
    pre_annotations,
    read_exceptions,
    review_hits,
    stale_exceptions,
)
from newsprov.core.errors import InputError
from newsprov.store.annotations import check_annotation_file
from newsprov.store.corpus import Document, load_corpus

ORIGINAL, REWRITE = "000_6ed1f7236875d9ca", "004_c1cf42bd939e682c"
DATE = "2026-11-23"


@pytest.fixture(scope="module")
def corpus(repo: Path) -> dict[str, Document]:
    return load_corpus(repo)


@pytest.fixture(scope="module")
def hits(corpus: dict[str, Document]) -> dict[str, list[dict]]:
    return {doc_id: flag_records(doc_id, d.text, d.metadata["language"], DATE)
            for doc_id, d in corpus.items()}


def by(hits: list[dict], detector: str) -> list[dict]:
    return [h for h in hits if h["provenance"]["annotator"] == DETECTORS[detector].annotator]


def texts(hits: list[dict], detector: str) -> list[str]:
    return [h["text"] for h in by(hits, detector)]


def detect(text: str, detector: str, language: str = "en") -> list[str]:
    return texts(flag_records("x", text, language, DATE), detector)


# ------------------------------------------------------------------ the original (000)


def test_vietnamese_prompt_is_foreign_and_an_interface_string(hits, corpus):
    prompt = "Mời quý độc giả theo dõi VOV.VN trên"
    foreign = by(hits[ORIGINAL], "foreign_language")
    assert [(h["text"], h["language"]) for h in foreign] == [(prompt, "vi")]
    interface = [h for h in by(hits[ORIGINAL], "boilerplate_phrases")
                 if h["boilerplate_kind"] == "interface_string"]
    assert [h["text"] for h in interface] == [prompt]
    assert foreign[0]["start"] == corpus[ORIGINAL].text.index(prompt)


def test_related_block_runs_from_its_heading_to_the_end(hits, corpus):
    text = corpus[ORIGINAL].text
    [related] = [h for h in by(hits[ORIGINAL], "boilerplate_phrases")
                 if h["boilerplate_kind"] == "related_links"]
    assert related["start"] == text.index("\nRelated\n") + 1
    assert related["end"] == len(text.rstrip())


def test_repeated_related_lines_are_duplicates_of_their_first_copy(hits, corpus):
    text = corpus[ORIGINAL].text
    headline = "Vietnam seeks stronger legislative ties with Canada"
    first = text.index(headline)
    copies = [h for h in by(hits[ORIGINAL], "duplicate_lines") if h["text"] == headline]
    assert len(copies) == text.count(headline) - 1 == 3
    assert {h["first_occurrence"] for h in copies} == {first}
    assert all(h["start"] > first for h in copies)
    for hit in by(hits[ORIGINAL], "duplicate_lines"):
        start = hit["first_occurrence"]
        assert text[start:start + len(hit["text"])] == hit["text"]
        assert text.index(hit["text"]) == start  # the first copy itself is not flagged


def test_original_has_no_whitespace_case_or_table_hits(hits):
    """`VOV.VN`, `Sen. Lieu. Gen.` and the English headlines are not errors."""
    for detector in ("missing_space", "lower_case_starts", "heading_case", "pipe_tables"):
        assert texts(hits[ORIGINAL], detector) == [], detector


# ------------------------------------------------------------------ the rewrite (004)


def test_missing_spaces_in_the_rewrite(hits):
    assert texts(hits[REWRITE], "missing_space") == [
        "America,officials", "operations.This", "capabilities.discussions", "grow,defence",
        "dynamics.Key", "side,there", "interests.One"]


def test_lower_case_starts_in_the_rewrite(hits):
    found = texts(hits[REWRITE], "lower_case_starts")
    # sentence starts (one glued to the previous sentence), a bullet item, the text after
    # `In Conclusion`, and item descriptions where the rest of the list is capitalised
    for word in ("discussions", "addressing", "defense", "the", "improving", "tensions",
                 "sharing"):
        assert word in found
    assert len(found) == 7


def test_lower_case_word_in_title_case_headings(hits):
    assert texts(hits[REWRITE], "heading_case") == ["military", "defence"]


def test_each_pipe_table_is_one_flag_from_header_to_last_row(hits, corpus):
    text = corpus[REWRITE].text
    tables = by(hits[REWRITE], "pipe_tables")
    headers = ["Focus Area | Potential Impact |", "Key Initiative | Expected Outcome |",
               "Opportunities | Potential Benefits |"]
    last_rows = ["Training Programs | Strengthening Vietnam\u2019s defense capabilities and "
                 "expertise. |", "Training & Development | Elevated skill levels |",
                 "Humanitarian Missions | Strengthened Regional Ties |"]
    assert [h["start"] for h in tables] == [text.index(header) for header in headers]
    assert [h["text"].splitlines()[-1] for h in tables] == last_rows
    assert all("without a leading pipe" in h["note"] for h in tables)


def test_rewrite_has_no_duplicate_or_foreign_hits(hits):
    """Its three identical `---|---|` separator rows are markup, not duplicates."""
    assert texts(hits[REWRITE], "duplicate_lines") == []
    assert texts(hits[REWRITE], "foreign_language") == []


# ------------------------------------------------------------------ records and units


def test_pre_annotations_are_valid_annotation_files(corpus):
    for document in corpus.values():
        data = pre_annotations(document, DATE)
        check_annotation_file(data, Path(f"{document.id}.json"), corpus)
        assert data["span_flags"]
        assert {f["provenance"]["method"] for f in data["span_flags"]} == {"rule_based"}
        assert [f["start"] for f in data["span_flags"]] == \
            sorted(f["start"] for f in data["span_flags"])


def test_detector_labels_come_from_the_schema():
    assert {d.label for d in DETECTORS.values()} <= {
        "duplicate", "orthography_whitespace", "orthography_case", "foreign_language",
        "broken_markup", "boilerplate"}


def test_a_detector_with_a_label_outside_the_schema_cannot_be_defined():
    with pytest.raises(ValueError, match="typos: 'typo' is not a span_flag label"):
        class Typos(Detector):
            name = "typos"
            label = "typo"

            def find(self, parsed):
                yield from ()


def test_provenance_names_the_detector_version_and_maps_back(hits):
    for name, detector in DETECTORS.items():
        assert detector.name == name
        assert detector.annotator == f"newsprov.detectors/{name}_v{detector.version}"
        record = {"provenance": {"annotator": detector.annotator}}
        assert detector_of(record) is detector
    found = [h for doc_hits in hits.values() for h in doc_hits]
    assert {detector_of(h).name for h in found} == set(DETECTORS)  # each one fires somewhere
    with pytest.raises(KeyError):
        detector_of({"provenance": {"annotator": "newsprov.detectors/missing_space"}})


def test_claim_units_of_the_rewrite(corpus):
    text = corpus[REWRITE].text
    units = claim_units(text)
    assert all(text[u.start:u.end] == u.text for u in units)
    found = [u.text for u in units]
    assert "In Conclusion" not in found  # headings are not claims
    assert not any(u.startswith(("- ", "---")) or "Focus Area" in u for u in found)
    assert "Joint exercises | Increased operational readiness |" in found
    assert "Capacity Building: Offering training programs and resources to bolster " \
           "Vietnam\u2019s defence capabilities." in found
    assert any(u.endswith("peacekeeping operations.") for u in found)  # `operations.This`
    assert any(u.startswith("This growing partnership") for u in found)
    assert any(u.startswith("discussions also included") for u in found)


# ------------------------------------------------------------------ limits, on small texts


def test_missing_space_ignores_abbreviations_numbers_and_addresses():
    text = ("The U.S. and VOV.VN reported 1,000 cases, e.g. in Hanoi. See vov.vn or "
            "https://example.org/a,b for more. Ratio 3:2 held.")
    assert detect(text, "missing_space") == []
    assert detect("It rose.Then it fell;later it rose", "missing_space") == \
        ["rose.Then", "fell;later"]


def test_lower_case_items_are_accepted_when_the_whole_list_is_lower_case():
    text = ("Key points:\n- Speed: faster delivery.\n- Cost: lower prices.\n"
            "- Scope: wider reach.\n")
    assert detect(text, "lower_case_starts") == []


def test_adjacent_foreign_sentences_are_one_fragment():
    english = "The delegation visited the port and met local officials on Monday."
    vietnamese = ("Thủ tướng Phạm Minh Chính đã tham dự hội nghị thượng đỉnh tại Viêng Chăn. "
                  "Ông đã gặp lãnh đạo các nước để thảo luận về hợp tác kinh tế.")
    hits = flag_records("x", f"{english}\n{vietnamese}\n{english}\n", "en", DATE)
    assert [(h["text"], h["language"]) for h in by(hits, "foreign_language")] == \
        [(vietnamese, "vi")]


def test_short_lines_are_not_judged_foreign():
    """py3langid calls `Hà Nội` Vietnamese with probability 0.94: a name, not a fragment."""
    text = "Hà Nội\nThủ tướng\nIn Conclusion\nThe talks were held in Hà Nội on Monday.\n"
    assert detect(text, "foreign_language") == []
    assert detect("Mời quý độc giả\n", "foreign_language") == ["Mời quý độc giả"]


def test_cookie_and_follow_prompts_are_interface_strings():
    text = ("Bridge reopens\nThe bridge reopened on Friday.\n"
            "This website uses cookies to improve your experience.\n"
            "Follow us on Facebook\nShare prices rose on Friday.\n")
    assert detect(text, "boilerplate_phrases") == [
        "This website uses cookies to improve your experience.", "Follow us on Facebook"]


# ------------------------------------------------------------------ the completeness checks


def test_a_hit_is_covered_only_by_an_overlapping_flag_of_its_label(hits):
    hit = by(hits[REWRITE], "missing_space")[0]  # America,officials
    def flag(label, start, end):
        return {"label": label, "start": start, "end": end}
    inside = (hit["start"] + 3, hit["start"] + 5)
    assert hit_status(hit, [flag("orthography_whitespace", *inside)], []) == "covered"
    assert hit_status(hit, [flag("orthography_case", *inside)], []) == "uncovered"
    assert hit_status(hit, [flag("orthography_whitespace", 0, hit["start"])], []) == "uncovered"
    exception = {"detector": "missing_space", "start": hit["start"], "end": hit["end"]}
    assert hit_status(hit, [], [exception]) == "excepted"
    assert stale_exceptions([hit], [exception]) == []
    assert stale_exceptions([hit], [{**exception, "end": hit["end"] + 1}])


def test_exceptions_are_checked_against_the_text(tmp_path, corpus):
    path = tmp_path / "exceptions.json"
    text = corpus[REWRITE].text
    start = text.index("America,officials")
    entry = {"detector": "missing_space", "doc_id": REWRITE, "start": start,
             "end": start + 17, "text": "America,officials", "reason": "reviewed"}
    path.write_text(json.dumps([entry]), encoding="utf-8")
    assert read_exceptions(path, corpus) == [entry]
    for broken, problem, check in (
            ({"text": "America, officials"}, "does not match", "exception-span"),
            ({"reason": " "}, "needs a reason", "exception-reason"),
            ({"detector": "spelling"}, "unknown detector", "exception-detector-unknown"),
            ({"doc_id": "999_x"}, "not in the corpus", "exception-document-unknown"),
            ({"extra": 1}, "exactly the keys", "exception-keys")):
        path.write_text(json.dumps([{**entry, **broken}]), encoding="utf-8")
        with pytest.raises(InputError, match=problem) as caught:
            read_exceptions(path, corpus)
        assert (caught.value.check, caught.value.record) == (check, "exceptions[0]")
    path.write_text(json.dumps(entry), encoding="utf-8")
    with pytest.raises(InputError, match="expected a list") as caught:
        read_exceptions(path, corpus)
    assert caught.value.check == "exceptions-shape"


def test_detect_refuses_a_document_not_in_the_corpus(repo):
    with pytest.raises(InputError) as caught:
        list(review_hits(repo, ["999_x"]))
    assert (caught.value.check, caught.value.record) == ("document-unknown", "999_x")


def test_claims_must_tile_the_claim_units(corpus):
    units = claim_units(corpus[REWRITE].text)
    claims = [{"id": f"c{i}", "start": u.start, "end": u.end, "text": u.text}
              for i, u in enumerate(units)]
    assert claim_problems(units, claims) == []
    assert claim_problems(units, claims[1:]) == [
        f"unit [{units[0].start}, {units[0].end}) not covered by a claim: {units[0].text!r}"]
    heading = corpus[REWRITE].text.index("In Conclusion")
    stray = {"id": "h", "start": heading, "end": heading + 13, "text": "In Conclusion"}
    assert claim_problems(units, [*claims, stray]) == [
        "claim h covers no claim unit: 'In Conclusion'"]
    doubled = {**claims[0], "id": "c0b"}
    assert claim_problems(units, [*claims, doubled]) == ["claims c0 and c0b overlap"]
