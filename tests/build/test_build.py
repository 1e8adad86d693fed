"""The dataset build: loading with `datasets`, determinism, atomicity, versions, splits."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest

from newsprov.build.pipeline import build
from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.files import file_sha256
from newsprov.core.layout import GOLD_DIR, MANIFEST
from newsprov.store.annotations import empty_annotations, load_annotation_set, records
from newsprov.store.corpus import load_corpus

VIETNAMESE = "Mời quý độc giả theo dõi VOV.VN trên"


def tree_bytes(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_committed_export_is_what_the_build_writes(repo: Path, fresh_export: Path) -> None:
    """CI fails when data/ is stale: a fresh build must be byte-identical to the commit."""
    assert tree_bytes(fresh_export) == tree_bytes(repo / "data")


def test_build_is_deterministic(repo: Path, fresh_export: Path, tmp_path: Path) -> None:
    second = build(repo, tmp_path / "data")
    assert tree_bytes(tmp_path / "data") == tree_bytes(fresh_export)
    assert second == json.loads((fresh_export / MANIFEST).read_text())


def test_manifest_describes_every_file(fresh_export: Path) -> None:
    manifest = json.loads((fresh_export / MANIFEST).read_text())
    listed = {entry["path"] for entry in manifest["files"]}
    assert listed == {str(p.relative_to(fresh_export))
                      for p in fresh_export.rglob("*.parquet")}
    for entry in manifest["files"]:
        path = fresh_export / entry["path"]
        parquet = pq.ParquetFile(path)
        assert parquet.metadata.num_rows == entry["rows"]
        assert file_sha256(path) == entry["sha256"]
        stamp = json.loads(parquet.schema_arrow.metadata[b"newsprov"])
        assert stamp["dataset_version"] == manifest["dataset_version"]
        assert stamp["schema_version"] == schema.SCHEMA_VERSION
        assert parquet.schema_arrow.remove_metadata() == \
            schema.TABLES[entry["table"]].remove_metadata()


def load_config(repo: Path, config: str) -> datasets.DatasetDict:
    return datasets.load_dataset(str(repo), config)


def label_names(value: object, feature: object) -> object:
    """Turn ClassLabel integers back into label names, recursively."""
    if value is None:
        return None
    if isinstance(feature, datasets.ClassLabel):
        return feature.int2str(value)
    if isinstance(feature, datasets.List):
        return [label_names(v, feature.feature) for v in value]
    if isinstance(feature, dict):
        return {k: label_names(value[k], f) for k, f in feature.items()}
    return value


def test_every_config_loads_with_datasets(repo: Path) -> None:
    manifest = json.loads((repo / "data" / MANIFEST).read_text())
    for table, splits in manifest["tables"].items():
        loaded = load_config(repo, table)
        assert {split: loaded[split].num_rows for split in loaded} == splits
        assert loaded[next(iter(splits))].features == schema.hf_features(table)


def test_every_gold_annotation_arrives_unchanged(repo: Path) -> None:
    corpus = load_corpus(repo)
    gold = load_annotation_set(repo / GOLD_DIR, corpus)
    expected = {(kind, record["id"]): {"doc_id": doc_id, **record}
                for doc_id, data in gold.items() for kind, record in records(data)}
    arrived = {}
    for kind in schema.ANNOTATION_KINDS:
        if not any(data[kind] for data in gold.values()):
            continue
        for split in (loaded := load_config(repo, kind)):
            features = loaded[split].features
            for row in loaded[split]:
                row = label_names(row, features)
                assert row.pop("split") == split
                arrived[(kind, row["id"])] = row
    assert arrived == expected
    vietnamese_start = corpus["000_6ed1f7236875d9ca"].text.index(VIETNAMESE)
    inside = [r for (kind, _), r in arrived.items() if kind in ("mentions", "span_flags")
              and r["doc_id"] == "000_6ed1f7236875d9ca"
              and vietnamese_start <= r["start"] < vietnamese_start + len(VIETNAMESE)]
    assert inside, "the gold set annotates spans inside the Vietnamese string"


def test_nested_documents_table_matches_corpus_and_gold(repo: Path) -> None:
    corpus = load_corpus(repo)
    gold = load_annotation_set(repo / GOLD_DIR, corpus)
    loaded = load_config(repo, "documents")
    seen = set()
    for split in loaded:
        features = loaded[split].features
        for row in loaded[split]:
            row = label_names(row, features)
            document = corpus[row["doc_id"]]
            annotations = gold.get(document.id) or empty_annotations(document)
            seen.add(document.id)
            assert row["text"] == document.text
            assert row["sha256"] == document.metadata["sha256"]
            for kind in schema.ANNOTATION_KINDS:
                assert row[kind] == annotations[kind]
            assert row["authorship"] == annotations["authorship"]
    assert seen == set(corpus)


# ------------------------------------------------------------------ atomicity and releases


def break_first_mention(root: Path) -> Path:
    path = sorted((root / GOLD_DIR).glob("*.json"))[0]
    data = json.loads(path.read_text())
    data["mentions"][0]["start"] = -1
    path.write_text(json.dumps(data))
    return path


def test_failed_build_leaves_previous_export_untouched(scratch_repo: Path) -> None:
    before = tree_bytes(scratch_repo / "data")
    break_first_mention(scratch_repo)
    with pytest.raises(InputError):
        build(scratch_repo, validate=False)
    assert tree_bytes(scratch_repo / "data") == before
    assert sorted(p.name for p in scratch_repo.iterdir() if p.name.startswith(".")) == \
        [".data.lock"]  # kept, empty: removing a lock file lets two builds hold a lock


def set_release(root: Path, version: str, released: bool) -> None:
    (root / "release.json").write_text(json.dumps(
        {"version": version, "date": "2026-11-23", "released": released}))


def relabel_first_entity(root: Path) -> None:
    path = root / GOLD_DIR / "000_6ed1f7236875d9ca.json"
    data = json.loads(path.read_text())
    data["mentions"][0]["entity_id"] += "-corrected"
    path.write_text(json.dumps(data))


def test_released_version_is_never_overwritten_with_other_content(scratch_repo: Path) -> None:
    version = json.loads((scratch_repo / "release.json").read_text())["version"]
    set_release(scratch_repo, version, released=True)
    build(scratch_repo, validate=False)        # same content: rebuilding is fine
    relabel_first_entity(scratch_repo)
    before = tree_bytes(scratch_repo / "data")
    with pytest.raises(InputError, match="bump the version"):
        build(scratch_repo, validate=False)
    assert tree_bytes(scratch_repo / "data") == before
    set_release(scratch_repo, "1.0.1", released=True)
    with pytest.raises(InputError, match="no CHANGELOG entry"):
        build(scratch_repo, validate=False)
    with (scratch_repo / "CHANGELOG.md").open("a") as changelog:
        changelog.write("\n## [1.0.1] - 2026-11-23\n\nCorrected an entity id.\n")
    manifest = build(scratch_repo, validate=False)
    assert manifest["dataset_version"] == "1.0.1"


def test_released_documents_never_move_split(scratch_repo: Path) -> None:
    plan = scratch_repo / "corpus" / "splits.json"
    story = next(iter(json.loads(plan.read_text())["stories"]))
    plan.write_text(json.dumps({"stories": {story: "train"}}))
    manifest = build(scratch_repo, validate=False)
    assert set(manifest["tables"]["documents"]) == {"test"}


def test_unreleased_story_goes_to_its_planned_split(scratch_repo: Path) -> None:
    plan = scratch_repo / "corpus" / "splits.json"
    story = next(iter(json.loads(plan.read_text())["stories"]))
    plan.write_text(json.dumps({"stories": {story: "validation"}}))
    manifest = build(scratch_repo, out=scratch_repo / "elsewhere", validate=False)
    assert set(manifest["tables"]["documents"]) == {"validation"}
