"""The annotation layers of one document as marks, details and lists for a page.

Selection keys tie marks together across the two texts of a page: a claim and its evidence
in the source share ``c:<claim id>``; the mentions of one cross-document entity share
``e:<entity id>``; a rewrite's event and the source event it restates share ``v:<source
event id>``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from newsprov.core.schema import AnnotationFile
from newsprov.view.marks import Mark

# The layers a reader can toggle, in the order the legend lists them.
LAYERS = {"claims": "claims and their evidence", "mentions": "entity mentions",
          "events": "event triggers", "span_flags": "span flags"}
# A symbol besides the colour, for readers who cannot tell the colours apart.
SUPPORT_SYMBOL = {"supported": "✓", "unsupported": "?", "contradicted": "✗"}
DIFFERS = "≠ "  # prefixes the tag of a record the other annotation set lacks


def claim_key(claim: Mapping[str, Any]) -> str:
    return f"c:{claim['id']}"


def entity_key(mention: Mapping[str, Any]) -> str:
    return f"e:{mention['entity_id'] or mention['id']}"


def event_key(event: Mapping[str, Any]) -> str:
    return f"v:{event['source_event_id'] or event['id']}"


def flag_key(flag: Mapping[str, Any]) -> str:
    return f"f:{flag['id']}"


def claim_label(claim: Mapping[str, Any]) -> str:
    severity = f" · {claim['severity']}" if claim["severity"] else ""
    return f"{SUPPORT_SYMBOL[claim['support']]} {claim['support']}{severity}"


def attributes(record: Mapping[str, Any], names: Iterable[str]) -> list[tuple[str, str]]:
    """The record's fields among ``names`` that have a value, as (name, text)."""
    rows = []
    for name in names:
        value = record.get(name)
        if value not in (None, [], ""):
            rows.append((name.replace("_", " "),
                         ", ".join(map(str, value)) if isinstance(value, list) else str(value)))
    return rows


@dataclass
class Detail:
    """What the details panel shows for a selection key."""

    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Layers:
    """The marks of one text and the details of their keys."""

    marks: list[Mark] = field(default_factory=list)
    details: dict[str, Detail] = field(default_factory=dict)

    def add(self, mark: Mark, detail: Detail) -> None:
        self.marks.append(mark)
        self.details.setdefault(mark.key, detail)


@dataclass(frozen=True)
class Difference:
    """How a record shows whether the other set of a comparison lacks it."""

    text_class: str = ""  # on the text it covers
    tag_class: str = ""  # on its tag
    prefix: str = ""  # before its label


def _difference(record: Mapping[str, Any], layer: str, differing: AbstractSet[str]
                ) -> Difference:
    if record["id"] not in differing:
        return Difference()
    return Difference(f" diff-{layer}", " diff", DIFFERS)


def document_layers(annotations: AnnotationFile, differing: AbstractSet[str] = frozenset()
                    ) -> Layers:
    """Marks for the mentions, events, span flags and claims of one document; records whose
    id is in ``differing`` are marked as missing from the other set of a comparison."""
    layers = Layers()
    mentions_of: dict[str, list[str]] = defaultdict(list)
    for mention in annotations["mentions"]:
        mentions_of[entity_key(mention)].append(mention["text"])
    for mention in annotations["mentions"]:
        d = _difference(mention, "mentions", differing)
        key, type_ = entity_key(mention), mention["type"]
        layers.add(Mark(mention["start"], mention["end"], key,
                        f"L-mentions ent-{type_}{d.text_class}", d.prefix + type_,
                        f"t-mentions{d.tag_class}", f"{type_} mention {mention['text']}"),
                   Detail(f"Entity {mention['entity_id'] or mention['id']} ({type_})",
                          [("mentions", " · ".join(dict.fromkeys(mentions_of[key])))]))
    for event in annotations["events"]:
        d = _difference(event, "events", differing)
        trigger = event["trigger"]
        label = f"{event['type']} · {event['modality']}"
        arguments = ", ".join(f"{a['role']}: {a['mention_id']}" for a in event["arguments"])
        layers.add(Mark(trigger["start"], trigger["end"], event_key(event),
                        f"L-events{d.text_class}", d.prefix + label, f"t-events{d.tag_class}",
                        f"event {label}: {trigger['text']}"),
                   Detail(f"Event {event['id']}: {event['type']}",
                          [("trigger", trigger["text"]), ("modality", event["modality"]),
                           *attributes(event, ["contexts", "source_event_id"]),
                           *([("arguments", arguments)] if arguments else [])]))
    for flag in annotations["span_flags"]:
        d = _difference(flag, "span_flags", differing)
        layers.add(Mark(flag["start"], flag["end"], flag_key(flag),
                        f"L-span_flags flag-{flag['label']}{d.text_class}",
                        d.prefix + flag["label"], f"t-span_flags{d.tag_class}",
                        f"span flag {flag['label']}"),
                   Detail(f"Span flag {flag['id']}: {flag['label']}",
                          [("text", flag["text"]),
                           *attributes(flag, ["boilerplate_kind", "first_occurrence",
                                              "language", "note"])]))
    for claim in annotations["claims"]:
        d = _difference(claim, "claims", differing)
        support = f"sup-{claim['support']} sev-{claim['severity'] or 'none'}"
        label = claim_label(claim)
        layers.add(Mark(claim["start"], claim["end"], claim_key(claim),
                        f"L-claims {support}{d.text_class}", d.prefix + label,
                        f"t-claims {support}{d.tag_class}", f"claim {claim['id']}: {label}",
                        badge=True),
                   claim_detail(claim))
    return layers


def claim_detail(claim: Mapping[str, Any]) -> Detail:
    return Detail(f"Claim {claim['id']}: {claim_label(claim)}",
                  [("text", claim["text"]),
                   *attributes(claim, ["error_type", "note"]),
                   ("evidence", f"{len(claim['evidence'])} span(s) of {claim['source_doc_id']}")])


def evidence_layers(derived: AnnotationFile) -> Layers:
    """The evidence spans, in the source, of a derived document's claims."""
    layers = Layers()
    for claim in derived["claims"]:
        for span in claim["evidence"]:
            layers.add(Mark(span["start"], span["end"], claim_key(claim),
                            f"L-claims L-evidence sup-{claim['support']}"),
                       claim_detail(claim))
    return layers


def flagged_claims(annotations: AnnotationFile) -> list[Mapping[str, Any]]:
    """The claims the margin lists: unsupported or contradicted."""
    return [claim for claim in annotations["claims"] if claim["support"] != "supported"]


def layer_counts(annotations: AnnotationFile) -> dict[str, int]:
    return {kind: len(annotations[kind]) for kind in
            ("mentions", "events", "document_flags", "span_flags", "claims")}
