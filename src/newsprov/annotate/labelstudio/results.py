"""Label Studio results back into our records, checked: nothing is taken on trust.

Label Studio validates nothing it stores, so a result is read region by region and every
problem is collected with the region it concerns: unknown controls and labels, offsets
outside the text, span texts that differ from the document, attributes and relations that
point to missing regions, relations that mean nothing in the schema, evidence or source-event
spans linked to nothing, required attributes left empty. Region ids made by us
(``<doc_id>:<letter><n>``) are kept as record ids; ids made by Label Studio get the next free
number. Offsets are code points into the task text, as ours; Label Studio has had bugs with
characters outside the Basic Multilingual Plane (HumanSignal/label-studio#1347, #4988), which
the span-text comparison catches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from newsprov.annotate.labelstudio.config import (
    ARGUMENT_ROLES,
    ATTRIBUTES,
    AUTHORSHIP,
    AUTHORSHIP_EVIDENCE,
    AUTHORSHIP_VOCABULARY,
    DOCUMENT_CONTROLS,
    DOCUMENT_FLAG_FIELD,
    DOCUMENT_FLAG_PREFIX,
    EVIDENCE,
    REGION_NAMES,
    REGIONS,
    RESULT_VALUE_KEYS,
    SOURCE_EVENT,
    TEXT,
    AttributeControl,
    RegionControl,
    attributes_of,
)
from newsprov.core import schema
from newsprov.core.schema import AnnotationFile
from newsprov.store.annotations import check_span, empty_annotations
from newsprov.store.corpus import Document

# Provenance of a record read back: given its kind and its fields without provenance.
ProvenanceRule = Callable[[str, dict[str, Any]], dict[str, Any]]
_INVALID = object()  # a value that was entered wrongly (and reported)
_ABSENT = object()   # nothing entered: an empty choice or text box counts as none


class ResultProblems(Exception):
    """What is wrong with a Label Studio result: one message per problem, naming the region."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class _Region:
    id: str
    control: RegionControl
    span: dict[str, Any]
    label: str
    attributes: dict[str, Any] = field(default_factory=dict)
    arguments: list[dict[str, str]] = field(default_factory=list)
    links: list[_Region] = field(default_factory=list)   # evidence or source-event regions
    linked: bool = False


class _ResultReader:
    """Reads one result list, collecting every problem instead of stopping at the first."""

    def __init__(self, document: Document, source: Document | None) -> None:
        self.document = document
        self.source = source
        self.problems: list[str] = []
        self.regions: dict[str, _Region] = {}
        self.ids: set[str] = set()      # ids of regions and document-level results
        self.broken: set[str] = set()   # ids of regions already reported as bad
        self.attribute_items: list[tuple[str, AttributeControl, dict[str, Any]]] = []
        self.relations: list[dict[str, Any]] = []
        self.document_items: dict[str, tuple[str, dict[str, Any]]] = {}

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def read(self, result: Any) -> None:
        if not isinstance(result, list):
            self.problem("result", "must be a list")
            return
        for index, item in enumerate(result):
            self._item(index, item)
        for where, attribute, item in self.attribute_items:
            self._attribute(where, attribute, item)
        for relation in self.relations:
            self._relation(relation)
        for region in self.regions.values():
            if region.control.kind is None and not region.linked:
                self.problem(f"region {region.id!r}", f"this {region.control.name} span is not "
                             "linked to anything")

    def _item(self, index: int, item: Any) -> None:
        if not isinstance(item, dict):
            self.problem(f"result[{index}]", "must be an object")
            return
        if item.get("type") == "relation":
            self.relations.append(item)
            return
        name, result_id = item.get("from_name"), item.get("id")
        if not isinstance(name, str):
            self.problem(f"result[{index}]", f"from_name must be a control name, not {name!r}")
            return
        if not isinstance(result_id, str) or not result_id:
            self.problem(f"result[{index}]", f"{name} results need an id")
            return
        where = f"region {result_id!r}"
        if name in ATTRIBUTES:  # shares the id of the region it describes
            self.attribute_items.append((where, ATTRIBUTES[name], item))
            return
        if result_id in self.ids:
            self.problem(where, "duplicate id")
            return
        self.ids.add(result_id)
        if name in REGIONS:
            self._region(where, REGIONS[name], item)
        elif name in DOCUMENT_CONTROLS and name not in self.document_items:
            self.document_items[name] = (where, item)
        elif name in DOCUMENT_CONTROLS:
            self.problem(where, f"a second {name} result")
        else:
            self.problem(where, f"unknown control {name!r}: it is not in the labeling config")
            self.broken.add(result_id)

    def _value(self, where: str, item: dict[str, Any], type_: str, to_name: str
               ) -> dict[str, Any] | None:
        name = item.get("from_name")
        if item.get("type") != type_:
            self.problem(where, f"{name} results have type {type_!r}, not {item.get('type')!r}")
        elif item.get("to_name") != to_name:
            self.problem(where, f"{name} applies to {to_name!r}, not {item.get('to_name')!r}")
        elif not isinstance(item.get("value"), dict):
            self.problem(where, "value must be an object")
        else:
            return item["value"]
        return None

    def _region(self, where: str, control: RegionControl, item: dict[str, Any]) -> None:
        region_id = item["id"]
        self.broken.add(region_id)  # until it passes every check
        value = self._value(where, item, "labels", control.to_name)
        if value is None:
            return
        labels = value.get("labels")
        if not (isinstance(labels, list) and len(labels) == 1):
            self.problem(where, f"{control.name} regions need exactly one label, not "
                                f"{labels!r}")
            return
        if labels[0] not in control.labels:
            self.problem(where, f"unknown {control.name} label {labels[0]!r}; allowed: "
                                f"{list(control.labels)}")
            return
        text = self.document.text if control.to_name == TEXT else \
            self.source.text if self.source else None
        if text is None:
            self.problem(where, f"{self.document.id} is not a derived document: it has no "
                                f"source text to mark {control.name} spans in")
            return
        span = {key: value.get(key) for key in ("start", "end", "text")}
        if not all(isinstance(span[key], int) for key in ("start", "end")):
            self.problem(where, f"offsets must be integers, not {span['start']!r}, "
                                f"{span['end']!r}")
            return
        try:
            check_span(span, text, "span" if control.to_name == TEXT else "source span")
        except ValueError as error:
            self.problem(where, str(error))
            return
        self.broken.discard(region_id)
        self.regions[region_id] = _Region(region_id, control, span, labels[0])

    def _attribute(self, where: str, attribute: AttributeControl, item: dict[str, Any]
                   ) -> None:
        value = self._value(where, item, attribute.result_type, TEXT)
        if value is None or item.get("id") in self.broken:
            return
        region = self.regions.get(item["id"])
        if region is None:
            self.problem(where, f"{attribute.name} refers to region {item.get('id')!r}, which "
                                "is not in the annotation")
        elif region.control.name != attribute.region:
            self.problem(where, f"{attribute.name} applies to {attribute.region} regions, not "
                                f"to a {region.control.name} region")
        elif (value.get("start"), value.get("end")) != (region.span["start"],
                                                         region.span["end"]):
            self.problem(where, f"{attribute.name} is at [{value.get('start')}, "
                                f"{value.get('end')}) but its region at "
                                f"[{region.span['start']}, {region.span['end']})")
        elif attribute.field.name in region.attributes:
            self.problem(where, f"a second {attribute.name} value")
        else:
            decoded = self._decode(where, attribute.name, attribute.field,
                                   attribute.vocabulary, value.get(attribute.value_key))
            if decoded is not _INVALID and decoded is not _ABSENT:
                region.attributes[attribute.field.name] = decoded

    def _decode(self, where: str, name: str, field_: pa.Field,
                vocabulary: schema.Vocabulary | None, entered: Any) -> Any:
        """The field value of what was entered in a control, _ABSENT or _INVALID (reported)."""
        many = pa.types.is_list(field_.type)
        if entered == []:
            return _ABSENT
        if vocabulary is not None:
            if not isinstance(entered, list) or (len(entered) > 1 and not many):
                needs = "one or more choices" if many else "one choice"
                self.problem(where, f"{name} needs {needs}, not {entered!r}")
                return _INVALID
            if unknown := [c for c in entered if c not in vocabulary]:
                self.problem(where, f"unknown {name} choice {unknown[0]!r}; allowed: "
                                    f"{vocabulary.names}")
                return _INVALID
            return list(entered) if many else entered[0]
        if pa.types.is_integer(field_.type):
            if isinstance(entered, float) and entered.is_integer():
                entered = int(entered)
            if not isinstance(entered, int) or isinstance(entered, bool):
                self.problem(where, f"{name} must be a whole number, not {entered!r}")
                return _INVALID
            return entered
        if not (isinstance(entered, list) and len(entered) == 1 and isinstance(entered[0], str)):
            self.problem(where, f"{name} needs exactly one text, not {entered!r}")
            return _INVALID
        return entered[0]

    def _relation(self, item: dict[str, Any]) -> None:
        ends = (item.get("from_id"), item.get("to_id"))
        where = f"relation {ends[0]!r} -> {ends[1]!r}"
        labels = item.get("labels") or []
        if not all(isinstance(end, str) for end in ends):
            self.problem(where, "from_id and to_id must be region ids")
            return
        if not (isinstance(labels, list) and all(isinstance(label, str) for label in labels)):
            self.problem(where, f"labels must be a list of roles, not {labels!r}")
            return
        if any(end in self.broken for end in ends):
            return
        if missing := [end for end in ends if end not in self.regions]:
            self.problem(where, f"refers to region {missing[0]!r}, which is not in the "
                                "annotation")
            return
        regions = [self.regions[end] for end in ends]
        by_control = {region.control.name: region for region in regions}
        if by_control.keys() == {REGION_NAMES["events"], REGION_NAMES["mentions"]}:
            if not labels:
                self.problem(where, f"an argument needs a role: one of {ARGUMENT_ROLES.names}")
            for role in labels:
                if role not in ARGUMENT_ROLES:
                    self.problem(where, f"unknown argument role {role!r}; allowed: "
                                        f"{ARGUMENT_ROLES.names}")
                    continue
                by_control[REGION_NAMES["events"]].arguments.append(
                    {"role": role, "mention_id": by_control[REGION_NAMES["mentions"]].id})
            return
        for owner, target in ((REGION_NAMES["claims"], EVIDENCE),
                              (REGION_NAMES["events"], SOURCE_EVENT)):
            if by_control.keys() == {owner, target}:
                if labels:
                    self.problem(where, f"links to {target} spans take no role, not "
                                        f"{labels!r}")
                    return
                by_control[owner].links.append(by_control[target])
                by_control[target].linked = True
                return
        names = " and ".join(region.control.name for region in regions)
        self.problem(where, f"relations between {names} regions mean nothing in the schema")

    def document_value(self, name: str) -> Any:
        """The value entered in a document-level control, _ABSENT or _INVALID (reported)."""
        if name not in self.document_items:
            return _ABSENT
        where, item = self.document_items[name]
        value = self._value(where, item, DOCUMENT_CONTROLS[name], TEXT)
        if value is None:
            return _INVALID
        vocabulary = AUTHORSHIP_VOCABULARY if name == AUTHORSHIP else None
        return self._decode(where, name, pa.field(name, pa.string()), vocabulary,
                            value.get(RESULT_VALUE_KEYS[DOCUMENT_CONTROLS[name]]))


def read_result(result: Any, document: Document, source: Document | None,
                source_annotation: AnnotationFile | None, provenance: ProvenanceRule
                ) -> AnnotationFile:
    """The annotation file a Label Studio result describes; ResultProblems lists everything
    wrong with it. ``source_annotation`` resolves a derived document's source events."""
    reader = _ResultReader(document, source)
    reader.read(result)
    data = _records(reader, source_annotation, provenance)
    if reader.problems:
        raise ResultProblems(reader.problems)
    return data


def _records(reader: _ResultReader, source_annotation: AnnotationFile | None,
             provenance: ProvenanceRule) -> AnnotationFile:
    document = reader.document
    data = empty_annotations(document)
    flags = [(name.removeprefix(DOCUMENT_FLAG_PREFIX), item)
             for name, (_, item) in reader.document_items.items()
             if name.startswith(DOCUMENT_FLAG_PREFIX)]
    ids = _record_ids(document.id, [(r.control.kind, r.id) for r in reader.regions.values()
                                    if r.control.kind] +
                      [("document_flags", item.get("id")) for _, item in flags])
    for region in reader.regions.values():
        kind = region.control.kind
        if kind is None:
            continue
        fields = _region_fields(reader, region, ids, source_annotation)
        if fields is not None:
            record = {f.name: fields[f.name] for f in schema.RECORD_FIELDS[kind]
                      if f.name != "provenance"}
            data[kind].append({**record, "provenance": provenance(kind, record)})
    for label, item in flags:
        evidence = reader.document_value(DOCUMENT_FLAG_PREFIX + label)
        if evidence is not _INVALID and evidence is not _ABSENT:
            record = {"id": ids[item.get("id")], DOCUMENT_FLAG_FIELD.name: label,
                      "evidence": evidence}
            data["document_flags"].append(
                {**record, "provenance": provenance("document_flags", record)})
    label, evidence = (reader.document_value(n) for n in (AUTHORSHIP, AUTHORSHIP_EVIDENCE))
    if _INVALID not in (label, evidence):
        if (label is _ABSENT) != (evidence is _ABSENT):
            missing = AUTHORSHIP if label is _ABSENT else AUTHORSHIP_EVIDENCE
            reader.problem("document", f"{AUTHORSHIP} and {AUTHORSHIP_EVIDENCE} go together: "
                                       f"{missing} is missing")
        elif label is not _ABSENT:
            record = {"label": label, "evidence": evidence}
            data["authorship"] = {**record, "provenance": provenance(AUTHORSHIP, record)}
    return data


def _record_ids(doc_id: str, regions: Sequence[tuple[str, Any]]) -> dict[Any, str]:
    """Record id of each region: ids made by us (``<doc_id>:<letter><n>``) are kept, ids made
    by Label Studio get the next free number of their kind, in result order."""
    kept: dict[Any, str] = {}
    used: dict[str, set[int]] = {kind: set() for kind in schema.ID_LETTERS}
    for kind, region_id in regions:
        number = schema.record_number(doc_id, kind, region_id)
        if number is not None:
            kept[region_id] = region_id
            used[kind].add(number)
    for kind, region_id in regions:
        if region_id not in kept:
            number = max(used[kind], default=0) + 1
            used[kind].add(number)
            kept[region_id] = schema.record_id(doc_id, kind, number)
    return kept


def _region_fields(reader: _ResultReader, region: _Region, ids: Mapping[Any, str],
                   source_annotation: AnnotationFile | None) -> dict[str, Any] | None:
    control = region.control
    assert control.kind is not None and control.label_field is not None
    where = f"region {region.id!r}"
    fields: dict[str, Any] = {"id": ids[region.id], control.label_field: region.label}
    if control.span_field:
        fields[control.span_field] = region.span
    else:
        fields.update(region.span)
    for attribute in attributes_of(control.name):
        name = attribute.field.name
        if name in region.attributes:
            fields[name] = region.attributes[name]
        elif pa.types.is_list(attribute.field.type):
            fields[name] = []
        elif attribute.field.nullable:
            fields[name] = None
        else:
            reader.problem(where, f"no {name} given for this {control.name} (control "
                                  f"{attribute.name})")
            return None
    if control.kind == "events":
        fields["arguments"] = [{"role": a["role"], "mention_id": ids[a["mention_id"]]}
                               for a in region.arguments]
        fields["source_event_id"] = _source_event(reader, region, source_annotation)
    elif control.kind == "claims":
        if reader.source is None:
            reader.problem(where, f"claims are only made on derived documents; "
                                  f"{reader.document.id} is not derived")
            return None
        fields["source_doc_id"] = reader.source.id
        fields["evidence"] = [link.span for link in region.links]
    return fields


def _source_event(reader: _ResultReader, region: _Region,
                  source_annotation: AnnotationFile | None) -> str | None:
    """The id of the source event whose trigger the event is linked to."""
    if not region.links:
        return None
    where = f"region {region.id!r}"
    if len(region.links) > 1:
        reader.problem(where, f"linked to {len(region.links)} source events; an event reports "
                              "at most one")
        return None
    span = region.links[0].span
    assert reader.source is not None
    if source_annotation is None:
        reader.problem(where, f"its source event cannot be resolved: there is no annotation "
                              f"of the source document {reader.source.id} in this set")
        return None
    matches = [event["id"] for event in source_annotation["events"]
               if (event["trigger"]["start"], event["trigger"]["end"]) ==
               (span["start"], span["end"])]
    if len(matches) != 1:
        reader.problem(where, f"the source span [{span['start']}, {span['end']}) "
                              f"{span['text']!r} is the trigger of {len(matches)} events of "
                              f"{reader.source.id}, not of one")
        return None
    return matches[0]


def provenance_rule(pushed: Any, annotator: str, updated_at: str | None
                    ) -> ProvenanceRule:
    """A record that comes back exactly as it was pushed keeps its provenance; a record
    made or changed in Label Studio was made by its annotator on the day of the submission."""
    remembered: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for entry in pushed if isinstance(pushed, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("record"), dict):
            record = entry["record"]
            key = (entry.get("kind"), record.get("id"))  # an authorship has no id
            if isinstance(key[0], str) and isinstance(key[1], str | None):
                remembered.setdefault(key, []).append(record)
    submitted = updated_at if isinstance(updated_at, str) else None
    date = (submitted or dt.datetime.now(dt.UTC).isoformat())[:10]

    def rule(kind: str, record: dict[str, Any]) -> dict[str, Any]:
        for candidate in remembered.get((kind, record.get("id")), []):
            if {k: v for k, v in candidate.items() if k != "provenance"} == record:
                return candidate.get("provenance")  # type: ignore[return-value]
        return {"annotator": annotator, "method": "label_studio", "date": date}

    return rule
