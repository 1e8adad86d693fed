"""croissant.json: valid Croissant 1.1 that mlcroissant reads back as the exported tables."""

from __future__ import annotations

import json
from pathlib import Path

import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest

from newsprov.core import schema
from newsprov.core.files import file_sha256
from newsprov.core.layout import CROISSANT, MANIFEST
from newsprov.publish.croissant import CONFORMS_TO

RAI_FIELDS = ("dataCollection", "dataCollectionRawData", "dataCollectionMissingData",
              "dataPreprocessingProtocol", "dataAnnotationProtocol", "dataAnnotationPlatform",
              "dataAnnotationAnalysis", "annotationsPerItem", "annotatorDemographics",
              "machineAnnotationTools", "personalSensitiveInformation", "dataBiases",
              "dataLimitations", "dataUseCases", "dataReleaseMaintenancePlan")


@pytest.fixture(scope="module")
def dataset(repo: Path) -> mlc.Dataset:
    """Loading validates: mlcroissant raises a ValidationError on any error."""
    return mlc.Dataset(jsonld=str(repo / CROISSANT))


@pytest.fixture(scope="module")
def manifest(repo: Path) -> dict:
    return json.loads((repo / "data" / MANIFEST).read_text())


def test_croissant_is_valid_1_1_with_rai_fields(repo: Path, dataset: mlc.Dataset) -> None:
    assert not dataset.metadata.ctx.issues.errors
    assert dataset.metadata.ctx.is_v1_1()
    jsonld = json.loads((repo / CROISSANT).read_text())
    assert jsonld["conformsTo"] == CONFORMS_TO
    for name in RAI_FIELDS:
        assert jsonld.get(f"rai:{name}"), f"rai:{name} is missing or empty"
    assert "AI agents" in jsonld["rai:annotatorDemographics"]


def test_records_read_through_croissant_are_the_exported_rows(
        repo: Path, dataset: mlc.Dataset, manifest: dict) -> None:
    assert [rs.id for rs in dataset.metadata.record_sets] == list(manifest["tables"])
    for table, splits in manifest["tables"].items():
        key = "doc_id" if table == schema.DEFAULT_TABLE else "id"
        records = list(dataset.records(table))
        assert len(records) == sum(splits.values()), table
        read = sorted(record[f"{table}/{key}"].decode() for record in records)
        files = [repo / "data" / e["path"] for e in manifest["files"] if e["table"] == table]
        assert read == sorted(pq.read_table(files, columns=[key])[key].to_pylist())


def test_every_parquet_file_is_listed_with_its_sha256(repo: Path, manifest: dict) -> None:
    jsonld = json.loads((repo / CROISSANT).read_text())
    listed = {item["contentUrl"]: item for item in jsonld["distribution"]
              if item["@type"] == "cr:FileObject"}
    assert set(listed) == {f"data/{entry['path']}" for entry in manifest["files"]}
    for entry in manifest["files"]:
        item = listed[f"data/{entry['path']}"]
        assert item["sha256"] == entry["sha256"] == file_sha256(repo / item["contentUrl"])
        assert item["contentSize"] == f"{entry['bytes']} B"


def test_fields_follow_the_schema(dataset: mlc.Dataset) -> None:
    for record_set in dataset.metadata.record_sets:
        expected = [f.name for f in schema.TABLES[record_set.id]
                    if not (record_set.id == schema.DEFAULT_TABLE
                            and f.name in schema.ANNOTATION_KINDS)]
        assert [field.name for field in record_set.fields] == expected
        for field in record_set.fields:
            vocabulary = schema.vocabulary_of(schema.TABLES[record_set.id].field(field.name))
            if vocabulary is not None:
                assert ", ".join(vocabulary.names) in field.description
