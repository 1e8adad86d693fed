"""Our stand-off records as Label Studio tasks and results, and back, without loss.

The labeling config is generated from ``schema.RECORD_FIELDS``: every span kind is a
``Labels`` control on the document text; every plain field of a span record becomes a
per-region control of that region (a labelled string a single ``Choices``, a labelled list
a multiple ``Choices``, an integer a ``Number``, a string a ``TextArea``); document flags get
one evidence box per label, authorship a ``Choices`` with an evidence box. References become
relations: an event's arguments are relations to mentions labelled with their role; a
claim's evidence and a derived event's source event are regions in the source text, shown
beside the document, linked by a relation.

Our record ids are the region ids. The task data carries the records we pushed, so that a
record that comes back unchanged keeps its provenance; a record made or changed in Label
Studio is attributed to its Label Studio annotator (``method: label_studio``).

Reading results back is ``results``; task files and exports are ``tasks``; the server
connection is ``sync``; a local server is ``server``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from newsprov.core import schema
from newsprov.core.schema import AnnotationFile

# Task data fields shown by the config.
DOC_ID, TEXT, SOURCE_DOC_ID, SOURCE_TEXT = "doc_id", "text", "source_doc_id", "source_text"
DATA_KEY = "newsprov"  # task data: the records we pushed, to give back their provenance


@dataclass(frozen=True)
class RegionControl:
    """A ``Labels`` control: a span kind of the document, or a helper span in the source."""

    name: str
    kind: str | None           # annotation kind; None for a helper region in the source text
    label_field: str | None    # the record field its label fills
    labels: tuple[str, ...]
    hints: tuple[str, ...]
    to_name: str
    span_field: str | None = None  # the struct field holding the span (an event's trigger)


@dataclass(frozen=True)
class AttributeControl:
    """A per-region control filling one plain field of a span record."""

    name: str
    region: str                 # the RegionControl it describes
    field: pa.Field
    tag: str                    # Choices, Number or TextArea
    vocabulary: schema.Vocabulary | None

    @property
    def result_type(self) -> str:
        return self.tag.lower()

    @property
    def value_key(self) -> str:
        """The key of the result value that holds what was entered."""
        return RESULT_VALUE_KEYS[self.result_type]


RESULT_VALUE_KEYS = {"choices": "choices", "number": "number", "textarea": "text",
                     "labels": "labels"}
# Fields that are not per-region attributes: the span itself, provenance, and references,
# which are relations (arguments, evidence, source_event_id) or follow from the task
# (source_doc_id is always the document's source).
STRUCTURAL_FIELDS = {"id", "start", "end", "text", "trigger", "provenance", "arguments",
                     "evidence", "source_event_id", "source_doc_id"}
REGION_NAMES = {"mentions": "entity", "events": "event", "span_flags": "span_flag",
                "claims": "claim"}
EVIDENCE = "evidence"
SOURCE_EVENT = "source_event"
AUTHORSHIP = "authorship"
AUTHORSHIP_EVIDENCE = "authorship_evidence"
DOCUMENT_FLAG_PREFIX = "document_flag_"


def _label_field(kind: str) -> pa.Field:
    """The field that names what a record is: its first labelled field (type, label,
    support)."""
    return next(f for f in schema.RECORD_FIELDS[kind] if schema.vocabulary_of(f) is not None)


def _span_struct(kind: str) -> str | None:
    """The struct field holding a record's span (an event's trigger), if it has one."""
    return next((f.name for f in schema.RECORD_FIELDS[kind]
                 if pa.types.is_struct(f.type) and f.type.get_field_index("start") >= 0), None)


def _region_controls() -> dict[str, RegionControl]:
    controls = {}
    for kind, name in REGION_NAMES.items():
        field = _label_field(kind)
        vocabulary = schema.vocabulary_of(field)
        assert vocabulary is not None
        span_field = _span_struct(kind)
        controls[name] = RegionControl(
            name, kind, field.name, tuple(vocabulary.names),
            tuple(label.definition for label in vocabulary.labels), TEXT, span_field)
    controls[EVIDENCE] = RegionControl(
        EVIDENCE, None, None, (EVIDENCE,),
        ("A span of the source that supports or contradicts a claim; link the claim to it.",),
        SOURCE_TEXT)
    controls[SOURCE_EVENT] = RegionControl(
        SOURCE_EVENT, None, None, (SOURCE_EVENT,),
        ("The trigger of the source event a derived event reports; link the event to it.",),
        SOURCE_TEXT)
    return controls


def _attribute_controls() -> dict[str, AttributeControl]:
    controls = {}
    for kind, region in REGION_NAMES.items():
        label_field = _label_field(kind).name
        for column in schema.RECORD_FIELDS[kind]:
            if column.name in STRUCTURAL_FIELDS or column.name == label_field:
                continue
            vocabulary = schema.vocabulary_of(column)
            if vocabulary is not None:
                tag = "Choices"
            elif pa.types.is_integer(column.type):
                tag = "Number"
            elif pa.types.is_string(column.type):
                tag = "TextArea"
            else:
                raise TypeError(f"{kind}.{column.name}: no Label Studio control for "
                                f"{column.type}")
            name = f"{region}_{column.name}"
            controls[name] = AttributeControl(name, region, column, tag, vocabulary)
    return controls


REGIONS = _region_controls()
ATTRIBUTES = _attribute_controls()
KIND_REGIONS = {control.kind: control for control in REGIONS.values() if control.kind}
DOCUMENT_FLAG_FIELD = _label_field("document_flags")
DOCUMENT_FLAG_VOCABULARY = schema.vocabulary_of(DOCUMENT_FLAG_FIELD)
AUTHORSHIP_VOCABULARY = schema.vocabulary_of(schema.AUTHORSHIP_FIELD.type.field("label"))
DOCUMENT_CONTROLS = {AUTHORSHIP: "choices", AUTHORSHIP_EVIDENCE: "textarea",
                     **{DOCUMENT_FLAG_PREFIX + name: "textarea"
                        for name in DOCUMENT_FLAG_VOCABULARY.names}}
ARGUMENT_ROLES = schema.vocabulary_of(
    next(f for f in schema.RECORD_FIELDS["events"] if f.name == "arguments")
    .type.value_type.field("role"))
assert DOCUMENT_FLAG_VOCABULARY and AUTHORSHIP_VOCABULARY and ARGUMENT_ROLES


# ------------------------------------------------------------------ labeling config


def _element(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, tag, attributes)


def _header(parent: ET.Element, text: str, size: str = "4") -> None:
    _element(parent, "Header", value=text, size=size)


def label_config() -> str:
    """The Label Studio labeling config, generated from the schema."""
    root = ET.Element("View")
    columns = _element(root, "View", style="display: flex; gap: 1.5em; align-items: "
                                             "flex-start")
    document = _element(columns, "View", style="flex: 1; min-width: 0")
    _header(document, f"${DOC_ID}", "3")
    for control in REGIONS.values():
        if control.to_name == TEXT:
            _labels(document, control)
    _element(document, "Text", name=TEXT, value=f"${TEXT}", granularity="symbol")
    source = _element(columns, "View", style="flex: 1; min-width: 0")
    _header(source, "Source of a derived document: mark the evidence of claims and the "
                    "triggers of source events here")
    _header(source, f"${SOURCE_DOC_ID}", "3")
    for control in REGIONS.values():
        if control.to_name == SOURCE_TEXT:
            _labels(source, control)
    _element(source, "Text", name=SOURCE_TEXT, value=f"${SOURCE_TEXT}",
             granularity="symbol")
    relations = _element(root, "Relations")
    for role in ARGUMENT_ROLES.labels:
        _element(relations, "Relation", value=role.name, hint=role.definition)
    for attribute in ATTRIBUTES.values():
        _attribute(root, attribute)
    _document_controls(root)
    return ET.tostring(root, encoding="unicode")


def _labels(parent: ET.Element, control: RegionControl) -> None:
    labels = _element(parent, "Labels", name=control.name, toName=control.to_name,
                      showInline="true")
    for value, hint in zip(control.labels, control.hints, strict=True):
        _element(labels, "Label", value=value, hint=hint)


def _attribute(parent: ET.Element, attribute: AttributeControl) -> None:
    view = _element(parent, "View", visibleWhen="region-selected",
                    whenTagName=attribute.region)
    description = f"{attribute.field.name} of the selected {attribute.region}"
    if attribute.field.nullable:
        description += " (leave empty if it does not apply)"
    _header(view, description)
    common = {"name": attribute.name, "toName": TEXT, "perRegion": "true"}
    if attribute.vocabulary is not None:
        many = pa.types.is_list(attribute.field.type)
        choices = _element(view, "Choices", **common, choice="multiple" if many else "single",
                           showInline="true")
        for label in attribute.vocabulary.labels:
            _element(choices, "Choice", value=label.name, hint=label.definition)
    elif attribute.tag == "Number":
        _element(view, "Number", **common, min="0")
    else:
        _element(view, "TextArea", **common, maxSubmissions="1", editable="true")


def _document_controls(parent: ET.Element) -> None:
    _header(parent, "Authorship of the document, with the evidence for it")
    choices = _element(parent, "Choices", name=AUTHORSHIP, toName=TEXT, choice="single",
                       showInline="true")
    for label in AUTHORSHIP_VOCABULARY.labels:
        _element(choices, "Choice", value=label.name, hint=label.definition)
    _element(parent, "TextArea", name=AUTHORSHIP_EVIDENCE, toName=TEXT,
             maxSubmissions="1", editable="true", placeholder="evidence for the authorship")
    _header(parent, "Document flags: write the evidence for each flag that applies; leave "
                    "the others empty")
    for label in DOCUMENT_FLAG_VOCABULARY.labels:
        _header(parent, f"{label.name}: {label.definition}", "5")
        _element(parent, "TextArea", name=DOCUMENT_FLAG_PREFIX + label.name, toName=TEXT,
                 maxSubmissions="1", editable="true", placeholder=f"evidence of {label.name}")


# ------------------------------------------------------------------ records -> results


def attributes_of(region: str) -> list[AttributeControl]:
    return [a for a in ATTRIBUTES.values() if a.region == region]


def _span_value(span: Mapping[str, Any]) -> dict[str, Any]:
    return {"start": span["start"], "end": span["end"]}


def _region_result(region_id: str, control: RegionControl, span: Mapping[str, Any],
                   label: str) -> dict[str, Any]:
    return {"id": region_id, "from_name": control.name, "to_name": control.to_name,
            "type": "labels",
            "value": {**_span_value(span), "text": span["text"], "labels": [label]}}


def _attribute_result(region_id: str, attribute: AttributeControl, span: Mapping[str, Any],
                      value: Any) -> dict[str, Any] | None:
    """The per-region result holding a field's value; None when the field is empty."""
    if value is None or value == []:
        return None
    if attribute.result_type == "choices":
        encoded = value if isinstance(value, list) else [value]
    elif attribute.result_type == "textarea":
        encoded = [value]
    else:
        encoded = value
    return {"id": region_id, "from_name": attribute.name, "to_name": TEXT,
            "type": attribute.result_type,
            "value": {**_span_value(span), attribute.value_key: encoded}}


def _relation(from_id: str, to_id: str, labels: list[str]) -> dict[str, Any]:
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": "right",
            "labels": labels}


def _text_result(result_id: str, control: str, text: str) -> dict[str, Any]:
    return {"id": result_id, "from_name": control, "to_name": TEXT, "type": "textarea",
            "value": {"text": [text]}}


def annotation_result(data: AnnotationFile, source_annotation: AnnotationFile | None = None
                      ) -> list[dict[str, Any]]:
    """The Label Studio result of an annotation file. A derived document's events that name
    a source event need the source document's annotation to find that event's trigger."""
    source_events = {e["id"]: e for e in (source_annotation or {}).get("events", [])}
    result: list[dict[str, Any]] = []
    for kind, control in KIND_REGIONS.items():
        for record in data[kind]:
            span = record[control.span_field] if control.span_field else record
            result.append(_region_result(record["id"], control, span,
                                         record[control.label_field]))
            for attribute in attributes_of(control.name):
                item = _attribute_result(record["id"], attribute, span,
                                         record[attribute.field.name])
                if item is not None:
                    result.append(item)
            result.extend(_references(kind, record, source_events))
    for flag in data["document_flags"]:
        result.append(_text_result(flag["id"], DOCUMENT_FLAG_PREFIX + flag["label"],
                                   flag["evidence"]))
    if data["authorship"] is not None:
        authorship = data["authorship"]
        result.append({"id": f"{data['doc_id']}:{AUTHORSHIP}", "from_name": AUTHORSHIP,
                       "to_name": TEXT, "type": "choices",
                       "value": {"choices": [authorship["label"]]}})
        result.append(_text_result(f"{data['doc_id']}:{AUTHORSHIP_EVIDENCE}",
                                   AUTHORSHIP_EVIDENCE, authorship["evidence"]))
    return result


def _references(kind: str, record: Mapping[str, Any],
                source_events: Mapping[str, Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Relations (and the source-text regions they point to) of one record."""
    if kind == "events":
        for argument in record["arguments"]:
            yield _relation(record["id"], argument["mention_id"], [argument["role"]])
        if record["source_event_id"] is not None:
            source_event = source_events.get(record["source_event_id"])
            if source_event is None:
                raise ValueError(f"event {record['id']}: source event "
                                 f"{record['source_event_id']!r} is not in the source "
                                 "document's annotation")
            region_id = f"{record['id']}:{SOURCE_EVENT}"
            yield _region_result(region_id, REGIONS[SOURCE_EVENT], source_event["trigger"],
                                 SOURCE_EVENT)
            yield _relation(record["id"], region_id, [])
    elif kind == "claims":
        for number, span in enumerate(record["evidence"], start=1):
            region_id = f"{record['id']}:{EVIDENCE}{number}"
            yield _region_result(region_id, REGIONS[EVIDENCE], span, EVIDENCE)
            yield _relation(record["id"], region_id, [])
