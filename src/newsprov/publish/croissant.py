"""``croissant.json``: MLCommons Croissant 1.1 metadata of the export, with the RAI fields.

Built with mlcroissant's Python API, which checks the description while building it, from
the export's manifest (files, sha256, row counts), the Arrow schemas of ``schema.TABLES``
(record sets and fields) and the statistics of the export (annotator ids). The prose of the
Responsible-AI fields summarises DATASHEET.md, which has the full answers.

Each exported table is one record set read from a FileSet (the table's shards, by name);
every Parquet file is also listed as a FileObject with its sha256. Struct columns become
sub-fields (read with a JSONPath on the column), list columns are arrays. The annotation
lists of the nested ``documents`` table (lists of records that hold lists themselves) are
not described field by field: the flat record sets hold the same records, joined by doc_id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import mlcroissant as mlc
import pyarrow as pa

from newsprov.core import schema
from newsprov.publish.card import CARD_FIXED

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
PARQUET = "application/x-parquet"
CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"

DESCRIPTION = (
    "Original news articles and the machine-rewritten copies that content farms publish of "
    "them, linked to their sources, with stand-off annotations: typed entity mentions "
    "clustered across documents, PLOVER events with arguments and modality, content-quality "
    "flags, and the claims of each rewrite judged against its source. See DATASHEET.md.")

TEXT_TERMS = (
    "News text (documents.text): copyright of its publishers. NewsProv has no licence for "
    "it; it is included unchanged for non-commercial research on content provenance, and "
    "redistribution beyond that is not granted by NewsProv. Removed on request: open an "
    "issue in the project's repository. See DATASHEET.md, Distribution.")

MACHINE_ANNOTATORS = (
    "AI agents: instances of an Anthropic Claude language model working as annotators in "
    "the project's development environment, from annotations/GUIDELINES.md and the texts "
    "alone; two independent passes (agent-a, agent-b) and an adjudicating agent "
    "(agent-adjudicator).")

RAI_TEXT: dict[str, str | list[str]] = {
    "data_collection": (
        "Two plain-text extractions of web pages, received as seed files of the project "
        "(shared/seeds/) and stored byte-identical: a VOV.VN (Voice of Vietnam) report and a "
        "text that the seed provider describes as a machine rewrite of it. The extraction "
        "tool, the pages' URLs, publication dates and collection dates were not recorded."),
    "data_collection_raw_data": (
        "The stored texts are the raw data as received (plain text; no HTML was received). "
        "Each document's sha256 is in its metadata and in the documents table."),
    "data_collection_missing_data": (
        "Unknown metadata is null, with the reason in the document's unknown_fields: both "
        "documents' URLs, publication and collection dates, and the rewrite's publisher and "
        "title."),
    "data_preprocessing_protocol": [
        "None: texts are kept byte-identical, page furniture included; quality problems are "
        "annotated as flags instead of being cleaned. Offsets are Unicode code points into "
        "the stored text, end exclusive."],
    "data_annotation_protocol": [
        "annotations/GUIDELINES.md (entities: OntoNotes 5 types plus TITLE; events: PLOVER "
        "types, ACE/PLOVER roles, modality, contexts; span and document quality flags; claims "
        "of the rewrite judged supported / unsupported / contradicted against the source, "
        "after RAGTruth and FRANK). Two independent passes (annotators agent-a and agent-b, "
        "annotations/passes/pass_a and pass_b) made from the guidelines and the texts alone, "
        "adjudicated into annotations/gold by an adjudicating agent (agent-adjudicator)."],
    "data_annotation_platform": [
        "The project's development environment, in which the AI agents worked; annotations "
        "are stored as stand-off JSON files and validated by the project's loader "
        "(newsprov check, newsprov build)."],
    "data_annotation_analysis": [
        "Agreement between the two independent passes, computed by `newsprov agreement "
        "annotations/passes/pass_a annotations/passes/pass_b` (annotations/agreement.json): "
        "span F1, Cohen's kappa and Krippendorff's alpha; the figures are in DATASHEET.md, "
        "Agreement. How disagreements were decided: annotations/ADJUDICATION.md."],
    "annotations_per_item": (
        "Every document was annotated in two independent passes; the gold set holds one "
        "adjudicated set of records per document."),
    "annotator_demographics": [
        "Not applicable: all annotations were made by AI agents (instances of an Anthropic "
        "Claude language model). There were no human annotators and no crowd workers."],
    "personal_sensitive_information": [
        "Names, titles and official activities of public officials (deputy defence "
        "ministers, military officers, legislators, an ambassador, a prime minister) as "
        "reported in news text, and governments' stated political positions. No contact "
        "details, identification numbers, health or financial data of anyone."],
    "data_biases": [
        "Two documents of one story (Vietnam-Canada defence cooperation) from one publisher "
        "and one rewrite: topic, source, language (English) and rewrite style are not varied "
        "at all.",
        "All annotators are instances of the same language model, so errors of the two passes "
        "may be correlated and agreement may overstate reliability."],
    "data_limitations": [
        "A tiny seed, not a sample of anything: no figure computed on it generalises to news, "
        "to content farms or to the publisher.",
        "Only a test split: there is no training data.",
        "URLs and dates of the documents are unknown; the rewrite's publisher is unknown."],
    "data_use_cases": [
        "Research on content provenance, machine-rewrite detection, claim verification against "
        "a source, and entity/event extraction on noisy news text; evaluation only.",
        "Not to be used to train systems that produce content-farm rewrites, to make claims "
        "about the real people named, to make claims about the publisher's practices, or as "
        "a representative sample of news."],
    "data_release_maintenance_plan": (
        "Semantic versions in release.json with a CHANGELOG.md entry each; a released version "
        "is never overwritten. Corrections and takedown requests: open an issue in the "
        "project's repository. See DATASHEET.md, Maintenance."),
}


# ------------------------------------------------------------------ record sets


def _data_type(type_: pa.DataType) -> str:
    if pa.types.is_string(type_):
        return mlc.DataType.TEXT
    if pa.types.is_int32(type_):
        return mlc.DataType.INT32
    if pa.types.is_int64(type_):
        return mlc.DataType.INT64
    raise ValueError(f"no Croissant data type for Arrow type {type_}")


def _field(ctx: mlc.Context, field: pa.Field, field_id: str, file_set: str, column: str,
           json_path: str | None) -> mlc.Field:
    """A Croissant field for an Arrow field: structs get sub-fields, lists are arrays.

    Sub-fields read the top-level ``column`` and pick their value with ``json_path``;
    mlcroissant applies the path to each element when the column holds a list.
    """
    type_ = field.type
    is_array = pa.types.is_list(type_)
    if is_array:
        type_ = type_.value_type
    vocabulary = schema.vocabulary_of(field)
    common: dict[str, Any] = {"ctx": ctx, "id": field_id, "name": field.name}
    if is_array:
        if json_path is not None:  # a JSONPath yields one value per element, not a list
            raise ValueError(f"{field_id}: lists inside records are not described")
        common["is_array"] = True
    if pa.types.is_struct(type_):
        prefix = "" if json_path is None else json_path + "."
        return mlc.Field(**common, sub_fields=[
            _field(ctx, child, f"{field_id}/{child.name}", file_set, column,
                   prefix + child.name)
            for child in type_])
    source = mlc.Source(ctx=ctx, file_set=file_set, extract=mlc.Extract(ctx=ctx, column=column),
                        transforms=[mlc.Transform(ctx=ctx, json_path=json_path)]
                        if json_path else [])
    if vocabulary is not None:
        common["description"] = (f"{vocabulary.description} One of: "
                                 f"{', '.join(vocabulary.names)}.")
    return mlc.Field(**common, data_types=[_data_type(type_)], source=source)


def _described_columns(table: str) -> Iterable[pa.Field]:
    for field in schema.TABLES[table]:
        if table == schema.DEFAULT_TABLE and field.name in schema.ANNOTATION_KINDS:
            continue  # described by the flat record set of that kind
        yield field


def record_set(ctx: mlc.Context, table: str) -> mlc.RecordSet:
    file_set = f"{table}-parquet"
    key = "doc_id" if table == schema.DEFAULT_TABLE else "id"
    description = (
        "One record per document: metadata, provenance, text and authorship judgement; its "
        "annotation lists are in the flat record sets." if table == schema.DEFAULT_TABLE
        else f"One record per annotation of kind {table}, with its document id and split.")
    return mlc.RecordSet(
        ctx=ctx, id=table, name=table, description=description, key=[f"{table}/{key}"],
        fields=[_field(ctx, field, f"{table}/{field.name}", file_set, field.name, None)
                for field in _described_columns(table)])


def distribution(ctx: mlc.Context, manifest: Mapping[str, Any]
                 ) -> list[mlc.FileObject | mlc.FileSet]:
    files = [mlc.FileObject(ctx=ctx, id=f"data/{entry['path']}", name=entry["path"],
                            content_url=f"data/{entry['path']}",
                            content_size=f"{entry['bytes']} B", encoding_formats=[PARQUET],
                            sha256=entry["sha256"],
                            description=f"{entry['table']}, split {entry['split']}: "
                                        f"{entry['rows']} rows.")
             for entry in manifest["files"]]
    file_sets = [mlc.FileSet(ctx=ctx, id=f"{table}-parquet", name=f"{table}-parquet",
                             description=f"The Parquet shards of table {table}, all splits.",
                             encoding_formats=[PARQUET],
                             includes=[f"data/{entry['path']}" for entry in manifest["files"]
                                       if entry["table"] == table])  # no stray file
                 for table in manifest["tables"]]
    return files + file_sets


# ------------------------------------------------------------------ dataset


def citation(manifest: Mapping[str, Any]) -> str:
    version = manifest["dataset_version"]
    return (f"@misc{{newsprov_{version.replace('.', '_')},\n"
            f"  title = {{NewsProv: news articles and their machine rewrites with provenance "
            f"and stand-off annotations}},\n"
            f"  author = {{{{The NewsProv project}}}},\n"
            f"  year = {{{manifest['release_date'][:4]}}},\n"
            f"  note = {{Dataset version {version}}}\n}}")


def croissant_metadata(manifest: Mapping[str, Any], annotators: Iterable[str],
                       summary: str) -> dict[str, Any]:
    """The Croissant JSON-LD of an export: ``summary`` says what this version holds."""
    ctx = mlc.Context(conforms_to=CONFORMS_TO)
    tools = [MACHINE_ANNOTATORS, "Annotator ids in the exported records' provenance: "
             + ", ".join(sorted(annotators)) + "."]
    metadata = mlc.Metadata(
        ctx=ctx, name=CARD_FIXED["pretty_name"], description=f"{DESCRIPTION} {summary}",
        version=manifest["dataset_version"],
        date_published=manifest["release_date"], cite_as=citation(manifest),
        creators=[mlc.Organization(ctx=ctx, name="The NewsProv project")],
        keywords=CARD_FIXED["tags"], in_language=CARD_FIXED["language"],
        license=[mlc.CreativeWork(ctx=ctx, name="Annotations: CC BY 4.0", url=CC_BY_4),
                 mlc.CreativeWork(ctx=ctx, name="News text: publishers' copyright, no licence",
                                  description=TEXT_TERMS)],
        distribution=distribution(ctx, manifest),
        record_sets=[record_set(ctx, table) for table in manifest["tables"]],
        machine_annotation_tools=tools, **RAI_TEXT)
    return metadata.to_json()


def render(manifest: Mapping[str, Any], annotators: Iterable[str], summary: str) -> str:
    return json.dumps(croissant_metadata(manifest, annotators, summary), indent=2,
                      ensure_ascii=False) + "\n"
