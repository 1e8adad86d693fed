"""The Label Studio config, the record <-> result conversion and the import of hand-made
exports (tests/fixtures/labelstudio: a two-document fixture corpus, a good export with the
annotation files it must give, and one bad export per rejection, named after it).

The round trip through a real server is in test_labelstudio_server.py.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from label_studio_sdk.label_interface import LabelInterface

from newsprov.annotate.labelstudio import config
from newsprov.annotate.labelstudio.results import provenance_rule, read_result
from newsprov.annotate.labelstudio.tasks import build_tasks, import_export, task
from newsprov.cli import main
from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.layout import LABELSTUDIO_IMPORT_REPORT, REPO
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import load_corpus

FIXTURES = REPO / "tests" / "fixtures" / "labelstudio"

ENTITY_LABELS = str(schema.ENTITY_TYPE.names)
ROLES = str(schema.ARGUMENT_ROLE.names)


def annotation_sets() -> list[Path]:
    """Every annotation set of the repository: gold and each independent pass."""
    sets = [REPO / "annotations" / "gold", *sorted((REPO / "annotations" / "passes").glob("*"))]
    return [path for path in sets if path.is_dir() and any(path.glob("*.json"))]


# ------------------------------------------------------------------ config


def test_config_labels_come_from_the_schema() -> None:
    root = ET.fromstring(config.label_config())
    labels = {element.get("name"): [child.get("value") for child in element]
              for element in root.iter() if element.tag in ("Labels", "Choices")}
    assert labels["entity"] == schema.ENTITY_TYPE.names
    assert labels["event"] == schema.EVENT_TYPE.names
    assert labels["span_flag"] == schema.SPAN_FLAG.names
    assert labels["claim"] == schema.CLAIM_SUPPORT.names
    assert labels["event_modality"] == schema.EVENT_MODALITY.names
    assert labels["event_contexts"] == schema.EVENT_CONTEXT.names
    assert labels["span_flag_boilerplate_kind"] == schema.BOILERPLATE_KIND.names
    assert labels["claim_severity"] == schema.CLAIM_SEVERITY.names
    assert labels["claim_error_type"] == schema.CLAIM_ERROR.names
    assert labels["authorship"] == schema.AUTHORSHIP.names
    assert [r.get("value") for r in root.iter("Relation")] == schema.ARGUMENT_ROLE.names
    text_areas = {element.get("name") for element in root.iter("TextArea")}
    assert {f"document_flag_{label}" for label in schema.DOCUMENT_FLAG.names} <= text_areas
    assert {"entity_entity_id", "span_flag_language", "span_flag_note", "claim_note",
            "authorship_evidence"} <= text_areas
    assert [n.get("name") for n in root.iter("Number")] == ["span_flag_first_occurrence"]


def test_every_labelled_record_field_has_a_control() -> None:
    """A labelled column added to the schema must reach the config (or be structural)."""
    controls = config.ATTRIBUTES.keys() | config.REGIONS.keys()
    for kind, fields in schema.RECORD_FIELDS.items():
        if kind not in config.REGION_NAMES:
            continue
        region = config.REGION_NAMES[kind]
        for path, field, _ in schema.labelled_columns(fields):
            if "." in path or field.name == config.KIND_REGIONS[kind].label_field:
                continue
            assert f"{region}_{field.name}" in controls, (kind, path)


def test_config_is_read_alike_by_the_sdk() -> None:
    interface = LabelInterface(config.label_config())
    for name, control in config.REGIONS.items():
        assert interface.get_control(name).labels == list(control.labels)
        assert interface.get_control(name).to_name == [control.to_name]
    for name, attribute in config.ATTRIBUTES.items():
        assert interface.get_control(name).tag == attribute.tag


# ------------------------------------------------------------------ conversion


@pytest.mark.parametrize("directory", annotation_sets(), ids=lambda p: p.name)
def test_records_survive_results(directory: Path) -> None:
    """Every record of every set of the repository, through a result and back, field by field;
    the SDK's validator accepts every result."""
    corpus = load_corpus(REPO)
    files = load_annotation_set(directory, corpus)
    interface = LabelInterface(config.label_config())
    for doc_id, data in files.items():
        document = corpus[doc_id]
        source_id = document.derived_from
        pushed = task(document, corpus, files)["data"][config.DATA_KEY]["pushed"]
        result = config.annotation_result(data, files.get(source_id))
        assert interface.validate_prediction({"result": result}, return_errors=True) == []
        back = read_result(
            result, document, corpus[source_id] if source_id else None, files.get(source_id),
            provenance_rule(pushed, "nobody", "2000-01-01"))
        assert back == data


def test_changed_and_new_records_are_attributed_to_the_label_studio_annotator() -> None:
    corpus = load_corpus(FIXTURES)
    files = load_annotation_set(FIXTURES / "good.expected" / "alice", corpus)
    data = files["fx1_original"]
    pushed = task(corpus["fx1_original"], corpus, files)["data"][config.DATA_KEY]["pushed"]
    result = config.annotation_result(data)
    result[0]["value"]["labels"] = ["LOC"]  # fx1_original:m1, Vietnam, was GPE
    new = config.annotation_result({**data, "mentions": [{
        **data["mentions"][1], "id": "LsMade01"}], "events": [], "span_flags": [],
        "document_flags": [], "authorship": None})
    back = read_result(result + new, corpus["fx1_original"], None, None,
                                   provenance_rule(pushed, "carol", "2026-12-01T10:00:00Z"))
    by_id = {m["id"]: m for m in back["mentions"]}
    made_here = {"annotator": "carol", "method": "label_studio", "date": "2026-12-01"}
    assert by_id["fx1_original:m1"]["type"] == "LOC"
    assert by_id["fx1_original:m1"]["provenance"] == made_here
    assert by_id["fx1_original:m5"] == {**data["mentions"][1], "id": "fx1_original:m5",
                                        "provenance": made_here}
    assert by_id["fx1_original:m2"] == data["mentions"][1]  # unchanged: provenance kept


# ------------------------------------------------------------------ import


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "corpus", tmp_path / "corpus")
    return tmp_path


def ls_import(root: Path, export: Path, *options: str) -> tuple[int, str, dict | None]:
    result = CliRunner().invoke(main, ["ls-import", "--root", str(root), str(export),
                                       "--out", "sets", *options])
    report = root / "sets" / LABELSTUDIO_IMPORT_REPORT
    return result.exit_code, result.output, json.loads(report.read_text()) \
        if report.exists() else None


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every annotation file under a folder, by path (the import report left out)."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != LABELSTUDIO_IMPORT_REPORT}


def test_good_export_gives_one_set_per_annotator(fixture_repo: Path) -> None:
    code, output, report = ls_import(fixture_repo, FIXTURES / "good.json",
                                     "--annotator", "7=alice", "--annotator", "8=bob")
    assert code == 0, output
    assert snapshot(fixture_repo / "sets") == snapshot(FIXTURES / "good.expected")
    assert report is not None
    assert report["counts"] == {"in": 3, "imported": 3, "rejected": 0}
    assert [(s["annotator"], s["doc_id"], s["lead_time"], s["updated_at"])
            for s in report["imported"]] == [
        ("alice", "fx1_original", 312.5, "2026-11-20T09:30:00.000000Z"),
        ("bob", "fx1_original", 40.0, "2026-11-20T09:30:00.000000Z"),
        ("alice", "fx2_rewrite", 655.25, "2026-11-20T09:30:00.000000Z")]


TEXT_1 = (FIXTURES / "corpus/documents/fx1_original/text.txt").read_text(encoding="utf-8")
# bad export -> (reasons of its one rejected submission, submissions imported)
BAD_EXPORTS = {
    "unknown-label": [f"region 'Wq1': unknown entity label 'COUNTRY'; allowed: "
                      f"{ENTITY_LABELS}"],
    "offsets-outside-text": [f"region 'Wq3': span offsets [170, 190) are not 0 <= start < end "
                             f"<= {len(TEXT_1)} (text length)"],
    "span-text-mismatch": ["region 'Wq3': span text 'Hanoy' does not match the document text "
                           "'Hanoi' at [63, 68)"],
    "relation-to-missing-region": ["relation 'Ev1' -> 'Gone1': refers to region 'Gone1', "
                                   "which is not in the annotation"],
    "argument-without-role": [f"relation 'Ev1' -> 'Wq3': an argument needs a role: one of "
                              f"{ROLES}"],
    "meaningless-relation": ["relation 'Wq1' -> 'Wq3': relations between entity and entity "
                             "regions mean nothing in the schema"],
    "authorship-without-evidence": ["document: authorship and authorship_evidence go together: "
                                    "authorship_evidence is missing"],
    "unknown-control": ["region 'Zz1': unknown control 'sentiment': it is not in the "
                        "labeling config"],
    "attribute-of-missing-region": [
        "region 'Lost1': entity_entity_id refers to region 'Lost1', which is not in the "
        "annotation",
        "region 'Wq1': no entity_id given for this entity (control entity_entity_id)"],
    "missing-entity-id": ["region 'Wq1': no entity_id given for this entity (control "
                          "entity_entity_id)"],
    "claim-on-original-document": ["region 'Cc1': claims are only made on derived documents; "
                                   "fx1_original is not derived"],
    "duplicate-flag-without-first-occurrence": [
        "fx1_original:f1: span_flags: a duplicate flag requires first_occurrence"],
    "unlinked-evidence": ["region 'Xv1': this evidence span is not linked to anything"],
    "unresolved-source-event": ["region 'Xe1': its source event cannot be resolved: there is "
                                "no annotation of the source document fx1_original in this "
                                "set"],
    "skipped": ["skipped: the annotator cancelled this task"],
    "empty": ["empty annotation: submitted without any result"],
    "draft": ["draft: saved but never submitted"],
    "duplicate-submission": ["duplicate submission: ls-user-7 also submitted annotation 202 "
                             "(task 21) for fx1_original; only the latest is imported"],
    "not-a-corpus-document": ["task document 'fx9_missing' is not a corpus document"],
    "text-changed": ["the task text differs from the corpus text of fx1_original: the "
                     "offsets would point elsewhere"],
    "not-a-newsprov-task": ["the task has no data.doc_id: it was not made by newsprov"],
}


def test_every_bad_export_has_a_case() -> None:
    assert sorted(p.stem for p in (FIXTURES / "bad").glob("*.json")) == sorted(BAD_EXPORTS)


@pytest.mark.parametrize("name", sorted(BAD_EXPORTS))
def test_bad_export_is_rejected_with_its_reason(fixture_repo: Path, name: str) -> None:
    export = FIXTURES / "bad" / f"{name}.json"
    ls_import(fixture_repo, FIXTURES / "good.json", "--annotator", "7=alice",
              "--annotator", "8=bob")
    before = snapshot(fixture_repo / "sets")

    code, output, report = ls_import(fixture_repo, export, "--strict")
    assert code == 1 and "strict: nothing written" in output
    assert snapshot(fixture_repo / "sets") == before
    assert report is not None and report["counts"]["in"] == 3  # the good import's, unchanged

    code, output, report = ls_import(fixture_repo, export)
    assert code == 0, output
    assert report is not None
    [rejected] = report["rejected"]
    assert rejected["reasons"] == BAD_EXPORTS[name]
    imported = report["counts"]["imported"]
    assert report["counts"] == {"in": 1 + imported, "imported": imported, "rejected": 1}
    after = snapshot(fixture_repo / "sets")
    if name == "duplicate-submission":  # the latest submission is imported, the other not
        assert after.keys() - before.keys() == {"ls-user-7/fx1_original.json"}
        assert [s["annotation"] for s in report["imported"]] == [202]
    else:
        assert after == before


def test_rejected_submission_leaves_the_annotators_file_alone(fixture_repo: Path) -> None:
    names = ["--annotator", "7=alice", "--annotator", "8=bob"]
    ls_import(fixture_repo, FIXTURES / "good.json", *names)
    before = snapshot(fixture_repo / "sets")
    code, _, report = ls_import(fixture_repo, FIXTURES / "bad" / "span-text-mismatch.json",
                                *names)
    assert code == 0 and report is not None and report["counts"]["rejected"] == 1
    assert snapshot(fixture_repo / "sets") == before


def test_export_that_is_not_a_task_list_is_an_input_error(fixture_repo: Path) -> None:
    export = fixture_repo / "export.json"
    export.write_text('{"tasks": []}')
    code, output, _ = ls_import(fixture_repo, export)
    assert code == 2
    assert f"{export}: a Label Studio JSON export must be a list of tasks" in output


def test_task_and_export_inputs_are_checked(fixture_repo: Path) -> None:
    with pytest.raises(InputError) as caught:
        import_export(fixture_repo, {"tasks": []}, fixture_repo / "export.json",
                      Path("sets"), {}, False, None)
    assert caught.value.check == "export-not-task-list"
    assert not (fixture_repo / "sets").exists()
    with pytest.raises(InputError) as caught:
        build_tasks(fixture_repo, ["no-such-document"], None, [], False)
    assert (caught.value.check, caught.value.record) == ("document-unknown", "no-such-document")
