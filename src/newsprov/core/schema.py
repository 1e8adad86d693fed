"""The label schema: the one source of truth for every label and every exported column.

Everything else is derived from what is defined here: the Arrow schemas of the Parquet
tables, the `datasets` Features (labels become ``ClassLabel``), the Label Studio config, the
Great Expectations suites and the label tables in ``annotations/GUIDELINES.md``.

A column that takes its values from a vocabulary carries the vocabulary's name in its Arrow
field metadata (key ``newsprov.vocabulary``), so every consumer finds the allowed labels from
the column itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

# Bump the major part for any change that alters a column or removes/renames a label;
# adding a label is a minor change. The data version lives in ``release.json``.
SCHEMA_VERSION = "1.0.0"

VOCABULARY_KEY = b"newsprov.vocabulary"


@dataclass(frozen=True)
class Label:
    name: str
    definition: str


@dataclass(frozen=True)
class Vocabulary:
    name: str
    description: str
    labels: tuple[Label, ...]

    @property
    def names(self) -> list[str]:
        return [label.name for label in self.labels]

    def __contains__(self, name: object) -> bool:
        return name in self.names


def _vocabulary(name: str, description: str, *labels: tuple[str, str]) -> Vocabulary:
    return Vocabulary(name, description, tuple(Label(n, d) for n, d in labels))


ENTITY_TYPE = _vocabulary(
    "entity_type",
    "Entity mention types: the 18 OntoNotes 5 types plus TITLE for job titles and ranks (ACE).",
    ("PERSON", "People, including fictional ones, named by name."),
    ("NORP", "Nationalities, religious or political groups (Vietnamese, Canadian)."),
    ("FAC", "Buildings, airports, highways, bridges and other named facilities."),
    ("ORG", "Companies, agencies, institutions, ministries, alliances and other named "
            "organisations."),
    ("GPE", "Countries, cities, states: geopolitical entities with a government."),
    ("LOC", "Non-GPE locations: regions, seas, mountain ranges, bodies of water."),
    ("PRODUCT", "Objects, vehicles, foods and other named products."),
    ("EVENT", "Named hurricanes, battles, wars, sports events, trade shows, summits."),
    ("WORK_OF_ART", "Titles of books, songs and other works."),
    ("LAW", "Named documents made into laws, treaties and conventions."),
    ("LANGUAGE", "Any named language."),
    ("DATE", "Absolute or relative dates or periods."),
    ("TIME", "Times smaller than a day."),
    ("PERCENT", "Percentages, including '%'."),
    ("MONEY", "Monetary values, including unit."),
    ("QUANTITY", "Measurements, as of weight or distance."),
    ("ORDINAL", "'first', 'second', 'third' ..."),
    ("CARDINAL", "Numerals that do not fall under another type."),
    ("TITLE", "Job titles, positions and military ranks (ACE job-title values)."),
)

EVENT_TYPE = _vocabulary(
    "event_type",
    "PLOVER event types (Political Language Ontology for Verifiable Event Records).",
    ("AGREE", "Agree to, sign or conclude an agreement, or express intent to do so."),
    ("CONSULT", "Meet, visit, hold talks, dialogues or phone calls; discuss; exchange views."),
    ("SUPPORT", "Express support for, praise, endorse or congratulate another actor."),
    ("CONCEDE", "Yield, ease restrictions, apologise, give in to demands."),
    ("COOPERATE", "Cooperate or intend to cooperate (military, economic, intelligence ...)."),
    ("AID", "Provide or receive material, military, humanitarian or technical aid."),
    ("RETREAT", "Withdraw forces, de-escalate, release persons or property."),
    ("REQUEST", "Ask, urge, call on or suggest that another actor do something."),
    ("ACCUSE", "Accuse, criticise, blame, denounce."),
    ("REJECT", "Reject, refuse, deny a request, proposal or accusation."),
    ("THREATEN", "Threaten with force, sanctions or other action."),
    ("SANCTION", "Impose sanctions, embargoes, expel, break relations."),
    ("PROTEST", "Demonstrate, rally, strike, boycott."),
    ("MOBILIZE", "Mobilise or increase forces or police, put on alert."),
    ("COERCE", "Arrest, seize, restrict, censor, repress."),
    ("ASSAULT", "Use of physical force: attack, bomb, kill, abduct."),
)

ARGUMENT_ROLE = _vocabulary(
    "argument_role",
    "Roles of event arguments (PLOVER actor and recipient, ACE place, time and position).",
    ("actor", "Who does it: the initiator of the event (PLOVER actor)."),
    ("recipient", "At whom or what it is directed (PLOVER recipient); co-participants of "
                  "symmetric events such as a dialogue are each an actor."),
    ("place", "Where it happens."),
    ("time", "When it happens."),
    ("position", "The title or position an actor holds in the event (ACE Position)."),
)

EVENT_MODALITY = _vocabulary(
    "event_modality",
    "Whether the event is reported as having happened or only as planned, hoped for, "
    "possible or denied (PLOVER auxiliary modes).",
    ("asserted", "Reported as having happened or as happening."),
    ("future", "Planned, scheduled or announced for the future."),
    ("desired", "Hoped for, wished, urged or suggested by someone; not yet happening."),
    ("hypothetical", "Possible, conditional or speculative (may, could, would)."),
    ("negated", "Reported as not having happened."),
)

EVENT_CONTEXT = _vocabulary(
    "event_context",
    "PLOVER contexts: the domain an event belongs to (an event may have several).",
    ("military", "Armed forces, defence ministries, military training, exercises, equipment."),
    ("intelligence", "Intelligence gathering and sharing."),
    ("diplomatic", "Relations between states: visits, dialogues, partnerships, treaties."),
    ("economic", "Trade, investment, industry, budgets."),
    ("cyber", "Cyber security and cyber operations."),
    ("legislative", "Parliaments and legislators."),
    ("executive", "Heads of government and the executive branch."),
    ("peacekeeping", "United Nations or other peacekeeping operations."),
    ("maritime", "Seas, maritime disputes and maritime security."),
    ("humanitarian", "Disaster relief and humanitarian assistance."),
    ("technology", "Technology transfer, defence industry, research."),
    ("security", "Security cooperation not covered by a more specific context."),
)

AUTHORSHIP = _vocabulary(
    "authorship",
    "The annotator's judgement of who wrote a document, with evidence.",
    ("human", "Written by a person (journalist or editor)."),
    ("machine", "Generated or rewritten by a language model or spinner."),
    ("mixed", "Human text with machine-written parts, or the reverse."),
    ("unknown", "The evidence does not allow a judgement."),
)

DOCUMENT_FLAG = _vocabulary(
    "document_flag",
    "Document-level content-quality flags.",
    ("boilerplate_contaminated", "Page furniture (related links, interface strings, "
                                 "teasers) is mixed into the article text."),
    ("multiple_articles", "The text holds more than one article (an appended teaser or a "
                          "second story)."),
    ("template_structure", "Built from a generic template: stock headings, bullet lists "
                           "and tables that restate the text."),
    ("unattributed_derivation", "Derived from another article without naming its source."),
    ("unsupported_content", "Contains claims that its source does not support or "
                            "contradicts."),
)

SPAN_FLAG = _vocabulary(
    "span_flag",
    "Span-level content-quality flags.",
    ("boilerplate", "Page furniture that is not article text; its kind is recorded."),
    ("duplicate", "Text repeated verbatim; first_occurrence is the start offset of its "
                  "first occurrence."),
    ("foreign_language", "A fragment in a language other than the document's; its ISO "
                         "639-1 code is recorded."),
    ("spelling", "A misspelt word (ERRANT SPELL)."),
    ("orthography_case", "Wrong letter case, such as a sentence or bullet item starting in "
                         "lower case or a proper noun in lower case (ERRANT ORTH)."),
    ("orthography_whitespace", "Missing or extra whitespace, such as no space after a "
                               "sentence-final punctuation mark (ERRANT ORTH)."),
    ("punctuation", "Missing, extra or wrong punctuation (ERRANT PUNCT)."),
    ("grammar", "An agreement or other grammatical error (FRANK GramE)."),
    ("broken_markup", "Markup that did not survive extraction: malformed table rows, "
                      "stray separators."),
    ("template_heading", "A stock heading of a generated article ('In Conclusion', "
                         "'Key Areas of ...')."),
    ("generic_filler", "A sentence that says nothing specific to the story (stock "
                       "phrases of generated text)."),
)

BOILERPLATE_KIND = _vocabulary(
    "boilerplate_kind",
    "Kinds of boilerplate span.",
    ("related_links", "A block of links or teasers to other articles."),
    ("interface_string", "Text of the page interface: buttons, prompts to follow or share."),
    ("navigation", "Menus, breadcrumbs, section names."),
    ("teaser", "The headline and lead of another article appended to this one."),
)

CLAIM_SUPPORT = _vocabulary(
    "claim_support",
    "Support of a claim of a derived document by its source (RAGTruth conflict / baseless).",
    ("supported", "The source states or directly entails it."),
    ("unsupported", "The source neither states nor entails it (RAGTruth baseless info)."),
    ("contradicted", "The source states something incompatible with it (RAGTruth "
                     "conflict)."),
)

CLAIM_SEVERITY = _vocabulary(
    "claim_severity",
    "How visible an unsupported or contradicted claim is (RAGTruth evident / subtle).",
    ("evident", "A reader comparing with the source sees it at once: a new fact, name, "
                "number or event."),
    ("subtle", "A shift in emphasis, certainty, scope or attribution that needs a close "
               "reading to notice."),
)

CLAIM_ERROR = _vocabulary(
    "claim_error",
    "FRANK factual-error categories of an unsupported or contradicted claim.",
    ("predicate", "Wrong or invented predicate: what was done or said (PredE)."),
    ("entity", "Wrong or invented participant (EntE)."),
    ("circumstance", "Wrong or invented time, place or manner (CircE)."),
    ("coreference", "A pronoun or reference to the wrong entity (CorefE)."),
    ("discourse_link", "Wrong causal or temporal link between statements (LinkE)."),
    ("out_of_article", "Information that is not in the source at all (OutE)."),
)

DERIVATION = _vocabulary(
    "derivation",
    "How a derived document was made from its source.",
    ("machine_rewrite", "Rewritten from the source by a language model or spinner."),
    ("human_rewrite", "Rewritten by a person."),
    ("translation", "Translated from the source."),
    ("syndication", "Republished verbatim or nearly so."),
)

ANNOTATION_METHOD = _vocabulary(
    "annotation_method",
    "How an annotation record was made.",
    ("independent_pass", "One annotator's pass from the guidelines and the text alone."),
    ("adjudicated", "Decided by an adjudicator comparing independent passes."),
    ("rule_based", "Produced by a rule-based detector (pre-annotation)."),
    ("label_studio", "Made in Label Studio and imported."),
)

ANNOTATION_LAYER = _vocabulary(
    "annotation_layer",
    "The layers of a document's annotation; a layer is complete or not annotated at all.",
    ("authorship", "The judgement of who wrote the document."),
    ("mentions", "Entity mentions and their clusters."),
    ("events", "Events with their arguments and modality."),
    ("document_flags", "Document-level quality flags."),
    ("span_flags", "Span-level quality flags."),
    ("claims", "The claims of a derived document judged against its source (none for an "
               "original)."),
)

SPLIT = _vocabulary(
    "split",
    "Dataset splits.",
    ("train", "For training."),
    ("validation", "For model selection."),
    ("test", "For reporting scores."),
)

VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        ENTITY_TYPE, EVENT_TYPE, ARGUMENT_ROLE, EVENT_MODALITY, EVENT_CONTEXT, AUTHORSHIP,
        DOCUMENT_FLAG, SPAN_FLAG, BOILERPLATE_KIND, CLAIM_SUPPORT, CLAIM_SEVERITY,
        CLAIM_ERROR, DERIVATION, ANNOTATION_METHOD, ANNOTATION_LAYER, SPLIT,
    )
}


# --------------------------------------------------------------------------- columns


def _labelled(name: str, vocabulary: Vocabulary, *, nullable: bool = False,
              as_list: bool = False) -> pa.Field:
    type_ = pa.list_(pa.string()) if as_list else pa.string()
    return pa.field(name, type_, nullable=nullable,
                    metadata={VOCABULARY_KEY: vocabulary.name.encode()})


def _string(name: str, *, nullable: bool = False) -> pa.Field:
    return pa.field(name, pa.string(), nullable=nullable)


def _offset(name: str) -> pa.Field:
    return pa.field(name, pa.int32(), nullable=False)


PROVENANCE = pa.field("provenance", pa.struct([
    _string("annotator"),
    _labelled("method", ANNOTATION_METHOD),
    _string("date"),
]), nullable=False)

SPAN = [_offset("start"), _offset("end"), _string("text")]

# Record fields of each annotation kind, without the document columns (doc_id, split) that
# the flat tables add in front and the nested document table leaves out.
RECORD_FIELDS: dict[str, list[pa.Field]] = {
    "mentions": [
        _string("id"), *SPAN, _labelled("type", ENTITY_TYPE), _string("entity_id"),
        PROVENANCE,
    ],
    "events": [
        _string("id"), _labelled("type", EVENT_TYPE),
        pa.field("trigger", pa.struct(SPAN), nullable=False),
        _labelled("modality", EVENT_MODALITY),
        _labelled("contexts", EVENT_CONTEXT, as_list=True),
        pa.field("arguments", pa.list_(pa.struct([
            _labelled("role", ARGUMENT_ROLE), _string("mention_id"),
        ])), nullable=False),
        _string("source_event_id", nullable=True),
        PROVENANCE,
    ],
    "document_flags": [
        _string("id"), _labelled("label", DOCUMENT_FLAG), _string("evidence"), PROVENANCE,
    ],
    "span_flags": [
        _string("id"), *SPAN, _labelled("label", SPAN_FLAG),
        _labelled("boilerplate_kind", BOILERPLATE_KIND, nullable=True),
        pa.field("first_occurrence", pa.int32(), nullable=True),
        _string("language", nullable=True),
        _string("note", nullable=True),
        PROVENANCE,
    ],
    "claims": [
        _string("id"), *SPAN, _labelled("support", CLAIM_SUPPORT),
        _labelled("severity", CLAIM_SEVERITY, nullable=True),
        _labelled("error_type", CLAIM_ERROR, nullable=True),
        _string("source_doc_id"),
        pa.field("evidence", pa.list_(pa.struct(SPAN)), nullable=False),
        _string("note", nullable=True),
        PROVENANCE,
    ],
}
ANNOTATION_KINDS = tuple(RECORD_FIELDS)

# An annotation file: doc_id, text_sha256, authorship and a list of records per kind.
AnnotationFile = dict[str, Any]

# Record ids are ``<doc_id>:<letter><n>``: the kind's letter, numbered from 1 per document.
ID_LETTERS = {"mentions": "m", "events": "v", "document_flags": "d", "span_flags": "f",
              "claims": "c"}


def record_id(doc_id: str, kind: str, number: int) -> str:
    return f"{doc_id}:{ID_LETTERS[kind]}{number}"


def record_number(doc_id: str, kind: str, value: object) -> int | None:
    """The number of ``value`` if it is a record id of ``kind`` in ``doc_id``, else None."""
    match = re.fullmatch(rf"{re.escape(doc_id)}:{ID_LETTERS[kind]}(\d+)", str(value))
    return int(match.group(1)) if match else None

# Which layers of a document are completely annotated, and by whom: only those are gold (a
# document added without annotations has none, and is not scored). A gold file with an
# authorship judgement is adjudicated: it completes every layer, signed by the judgement's
# annotator (the records' provenance says how each was made).
ANNOTATION_STATUS_FIELD = pa.field("annotation_status", pa.list_(pa.struct([
    _labelled("layer", ANNOTATION_LAYER), _string("annotator"),
])), nullable=False)


def annotation_status(annotations: AnnotationFile) -> list[dict[str, Any]]:
    """The ``annotation_status`` of a document's gold annotation (see the field above)."""
    judgement = annotations["authorship"]
    if judgement is None:
        return []
    return [{"layer": layer, "annotator": judgement["provenance"]["annotator"]}
            for layer in ANNOTATION_LAYER.names]


AUTHORSHIP_FIELD = pa.field("authorship", pa.struct([
    _labelled("label", AUTHORSHIP), _string("evidence"), PROVENANCE,
]), nullable=True)

# Document metadata. Each nullable field that is null must have a reason in
# ``unknown_fields``: a null is a statement that nobody knows, never an omission.
METADATA_FIELDS: list[pa.Field] = [
    _string("id"),
    _string("title", nullable=True),
    _string("publisher", nullable=True),
    _string("url", nullable=True),
    _string("published", nullable=True),
    _string("language"),
    _string("collection_method"),
    _string("collected", nullable=True),
    _string("added"),
    _string("rights"),
    _string("sha256"),
    _string("story_group"),
    _string("derived_from", nullable=True),
    _labelled("derivation", DERIVATION, nullable=True),
    pa.field("unknown_fields", pa.list_(pa.struct([
        _string("field"), _string("reason"),
    ])), nullable=False),
    _string("notes"),
]
NULLABLE_METADATA = [f.name for f in METADATA_FIELDS if f.nullable]

DOCUMENT_COLUMNS = [_string("doc_id"), _labelled("split", SPLIT)]

TABLES: dict[str, pa.Schema] = {
    "documents": pa.schema([
        *(f if f.name != "id" else _string("doc_id") for f in METADATA_FIELDS),
        _labelled("split", SPLIT),
        _string("text"),
        ANNOTATION_STATUS_FIELD,
        AUTHORSHIP_FIELD,
        *(pa.field(kind, pa.list_(pa.struct(fields)), nullable=False)
          for kind, fields in RECORD_FIELDS.items()),
    ]),
    **{kind: pa.schema([*DOCUMENT_COLUMNS, *fields]) for kind, fields in RECORD_FIELDS.items()},
}
DEFAULT_TABLE = "documents"


# Columns that name something (a record, a document, an entity, a story, an annotator):
# never empty or only whitespace. References to them need no rule of their own: they must
# resolve to such a name.
NAME_FIELDS = frozenset({"id", "doc_id", "entity_id", "story_group", "annotator"})


def vocabulary_of(field: pa.Field) -> Vocabulary | None:
    """The vocabulary a column takes its labels from, if any."""
    name = (field.metadata or {}).get(VOCABULARY_KEY)
    return VOCABULARIES[name.decode()] if name else None


def labelled_columns(schema: pa.Schema | list[pa.Field],
                     prefix: str = "") -> Iterator[tuple[str, pa.Field, Vocabulary]]:
    """Every labelled column, nested ones included, as (dotted path, field, vocabulary)."""
    for field in schema:
        path = prefix + field.name
        vocabulary = vocabulary_of(field)
        if vocabulary is not None:
            yield path, field, vocabulary
            continue
        type_ = field.type
        if pa.types.is_list(type_):
            type_ = type_.value_type
        if pa.types.is_struct(type_):
            yield from labelled_columns(list(type_), path + ".")


def hf_features(table: str):  # -> datasets.Features; imported lazily: datasets is slow
    """The `datasets` Features of an exported table: labelled columns become ClassLabel."""
    from datasets import ClassLabel, Features, List
    from datasets.features.features import generate_from_arrow_type

    def convert(field: pa.Field):
        vocabulary = vocabulary_of(field)
        type_ = field.type
        if vocabulary is not None:
            label = ClassLabel(names=vocabulary.names)
            return List(label) if pa.types.is_list(type_) else label
        if pa.types.is_list(type_):
            return List(convert(type_.value_field))
        if pa.types.is_struct(type_):
            return {child.name: convert(child) for child in type_}
        return generate_from_arrow_type(type_)

    return Features({field.name: convert(field) for field in TABLES[table]})
