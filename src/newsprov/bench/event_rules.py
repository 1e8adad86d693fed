"""The event-detection baseline's rules: a lexicon of trigger words per PLOVER type, cue words
for modality, and arguments from the mentions of the same sentence.

The rules were written from the definitions of the label tables (``schema.EVENT_TYPE``,
``EVENT_MODALITY``, ``ARGUMENT_ROLE``) and the type and modality rules of the annotation
guidelines (section 3) before the baseline was first scored, and were not changed after: the
corpus has no training or validation split to tune them on. The guidelines quote the seed
documents, which are the test split, so the rules are not blind to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from newsprov.annotate.detectors import Parsed, Span

# Trigger words per PLOVER type: the verbs and nouns of each type's definition, with their
# inflections and nominalisations. A word matches in any case.
TRIGGERS: dict[str, str] = {
    "AGREE": r"agreed-upon|agree(?:s|d|ing|ment|ments)?|sign(?:s|ed|ing)?|accords?",
    "CONSULT": r"meet(?:s|ing|ings)?|met|visit(?:s|ed|ing)?|talks|dialog(?:ue)?s?|"
               r"discuss(?:es|ed|ing|ion|ions)?|consult(?:s|ed|ing|ation|ations)?|"
               r"convene(?:s|d)?|convening|attend(?:s|ed|ing)?|summits?|conferences?",
    "SUPPORT": r"support(?:s|ed|ing)?|prais(?:e|es|ed|ing)|endors(?:e|es|ed|ing|ement)|"
               r"congratulat(?:e|es|ed|ing|ion|ions)|appreciat(?:e|es|ed|ing|ion)|"
               r"welcom(?:e|es|ed|ing)",
    "CONCEDE": r"concede(?:s|d)?|concessions?|apologi[sz](?:e|es|ed|ing)|yield(?:s|ed)?|"
               r"eas(?:e|es|ed|ing) restrictions",
    "COOPERATE": r"cooperat(?:e|es|ed|ing|ion)|co-operat(?:e|es|ed|ing|ion)|"
                 r"collaborat(?:e|es|ed|ing|ion|ions)|coordinat(?:e|es|ed|ing|ion)|"
                 r"work(?:s|ed|ing)? together|exercises?|drills?|training|"
                 r"shar(?:e|es|ed|ing)|exchang(?:e|es|ed|ing)",
    "AID": r"aid(?:s|ed)?|assist(?:s|ed|ing|ance)?|provid(?:e|es|ed|ing)|donat(?:e|es|ed|ion|"
           r"ions)|transfer(?:s|red|ring)?|relief",
    "RETREAT": r"withdr(?:aw|aws|awn|awal|ew)|releas(?:e|es|ed|ing)|de-?escalat(?:e|es|ed|"
               r"ing|ion)",
    "REQUEST": r"ask(?:s|ed|ing)?|urg(?:e|es|ed|ing)|call(?:s|ed|ing)? (?:on|for)|"
               r"suggest(?:s|ed|ing|ion|ions)?|request(?:s|ed|ing)?|propos(?:e|es|ed|al|als)|"
               r"recommend(?:s|ed|ing|ation|ations)?",
    "ACCUSE": r"accus(?:e|es|ed|ing|ation|ations)|critici[sz](?:e|es|ed|ing)|criticism|"
              r"blam(?:e|es|ed|ing)|denounc(?:e|es|ed|ing)|condemn(?:s|ed|ing|ation)?",
    "REJECT": r"reject(?:s|ed|ing|ion)?|refus(?:e|es|ed|ing|al)|den(?:y|ies|ied|ying)|"
              r"dismiss(?:es|ed|ing)?",
    "THREATEN": r"threat(?:s|en|ens|ened|ening)?|warn(?:s|ed|ing)?",
    "SANCTION": r"sanction(?:s|ed|ing)?|embargo(?:es|ed)?|expel(?:s|led|ling)?",
    "PROTEST": r"protest(?:s|ed|ing)?|demonstrat(?:ion|ions)|rall(?:y|ies|ied)|boycott(?:s|ed)?",
    "MOBILIZE": r"mobili[sz](?:e|es|ed|ing|ation)|alert",
    "COERCE": r"arrest(?:s|ed|ing)?|seiz(?:e|es|ed|ing|ure)|detain(?:s|ed|ing)?|"
              r"censor(?:s|ed|ing|ship)?|repress(?:es|ed|ing|ion)?",
    "ASSAULT": r"attack(?:s|ed|ing)?|bomb(?:s|ed|ing|ings)?|kill(?:s|ed|ing|ings)?|"
               r"abduct(?:s|ed|ing|ion)?|shell(?:ed|ing)",
}
TRIGGER = re.compile("|".join(rf"(?P<{label}>\b(?:{words})\b)"
                              for label, words in TRIGGERS.items()), re.IGNORECASE)
# `exchange views` is CONSULT (guidelines: exchanging views, discussing); other exchanges
# COOPERATE.
EXCHANGE_VIEWS = re.compile(r"exchang\w*\s+(?:of\s+)?views", re.IGNORECASE)
# A verb of keeping, increasing or carrying out right before an event noun is its trigger
# (guidelines: `continue to strengthen cooperation` -> `strengthen`).
CARRIER = re.compile(r"\b(?:maintain|sustain|strengthen|enhanc|expand|increas|promot|implement|"
                     r"deploy)\w*\s+(?:\w+\s+){0,2}$", re.IGNORECASE)

# Modality cues, as the guidelines list them, in any case but `may` (`May` is a month); the
# cue nearest before the trigger in its sentence decides, and without one an event is
# asserted.
MODALITY_CUES: dict[str, str] = {
    "negated": r"not|no|never|n't|neither|nor|without|failed to",
    "hypothetical": r"(?-i:may)|might|could|would|can|potential(?:ly)?|possible|possibly|"
                    r"opportunit(?:y|ies)|if|benefits? of",
    "future": r"will|shall|plan(?:s|ned)? to|planned|upcoming|next|scheduled|expected to|"
              r"set to|agreed to",
    "desired": r"hope(?:s|d)?|seek(?:s|ing)?|wish(?:es|ed)?|want(?:s|ed)?|should|need(?:s|ed)?|"
               r"must|urg(?:e|es|ed)|suggest(?:s|ed)? that|recommend(?:s|ed|ations?)?|"
               r"call(?:s|ed)? (?:on|for)|aim(?:s|ed)? (?:at|to)|continue to|commit(?:s|ted)? to",
}
MODALITY = re.compile("|".join(rf"(?P<{label}>\b(?:{words})\b)"
                               for label, words in MODALITY_CUES.items()), re.IGNORECASE)

# Argument roles by the mention's type; a place is a location named after `in` or `at`.
ACTOR_TYPES = {"PERSON", "ORG", "GPE", "NORP"}
PLACE_TYPES = {"GPE", "LOC", "FAC"}
PLACE_BEFORE = re.compile(r"\b(?:in|at)\s+(?:the\s+)?$", re.IGNORECASE)


class Trigger(NamedTuple):
    start: int
    end: int
    type: str
    modality: str


class Mention(NamedTuple):
    start: int
    end: int
    type: str
    id: str


def text_units(parsed: Parsed) -> list[tuple[Span, str]]:
    """Sentences of paragraphs, and headings, list items and table rows, each with the text
    that introduces it: a list item's is the last line before its list."""
    units: list[tuple[Span, str]] = []
    introduction = ""
    for line in parsed.lines:
        if line.kind == "paragraph":
            units += [(sentence, "") for sentence in parsed.sentences[line.start]]
        elif line.kind != "table_separator":
            units.append((line.content, introduction if line.kind == "bullet" else ""))
        if line.kind not in ("bullet", "table_separator", "table_row"):
            introduction = line.content.text
    return units


def modality(before: str, introduction: str) -> str:
    """The modality of the nearest cue in ``before`` (the unit up to the trigger), else of
    the last cue of the text introducing a list item, else asserted."""
    for text in (before, introduction):
        cues = list(MODALITY.finditer(text))
        if cues:
            return cues[-1].lastgroup or "asserted"
    return "asserted"


def triggers(unit: Span, introduction: str) -> Iterator[Trigger]:
    for match in TRIGGER.finditer(unit.text):
        label = match.lastgroup or ""
        start, end = match.start(), match.end()
        if label == "COOPERATE" and EXCHANGE_VIEWS.match(unit.text, start):
            label = "CONSULT"
        carrier = CARRIER.search(unit.text[:start])
        if carrier:  # the verb carries the event noun: the verb is the trigger
            verb = re.match(r"\w+", carrier.group())
            start, end = carrier.start(), carrier.start() + (verb.end() if verb else 0)
        yield Trigger(unit.start + start, unit.start + end, label,
                      modality(unit.text[:start], introduction))


def arguments(unit: Span, text: str, mentions: Sequence[Mention]) -> list[dict[str, str]]:
    """Every mention of the unit with a role its type allows: TITLE the position, DATE the
    time, a location after `in`/`at` the place, a person, organisation, country or group an
    actor."""
    found = []
    for mention in mentions:
        if not unit.start <= mention.start < unit.end:
            continue
        if mention.type == "TITLE":
            role = "position"
        elif mention.type == "DATE":
            role = "time"
        elif mention.type in PLACE_TYPES and PLACE_BEFORE.search(text[unit.start:mention.start]):
            role = "place"
        elif mention.type in ACTOR_TYPES:
            role = "actor"
        else:
            continue
        found.append({"role": role, "mention_id": mention.id})
    return found


def events(parsed: Parsed, mentions: Sequence[Mention]) -> Iterator[tuple[Trigger,
                                                                          list[dict[str, str]]]]:
    """Every trigger of the text, once per span, with its arguments."""
    seen: set[tuple[int, int]] = set()
    for unit, introduction in text_units(parsed):
        for trigger in triggers(unit, introduction):
            if (trigger.start, trigger.end) not in seen:
                seen.add((trigger.start, trigger.end))
                yield trigger, arguments(unit, parsed.text, mentions)
