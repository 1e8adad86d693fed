"""A document's text as escaped HTML segments carrying the annotations that cover them.

Offsets are Unicode code points (Python ``str`` indices), while a browser's strings are
UTF-16: the text is cut here, at every start and end of a span, so the page never computes
an offset. Each segment says where it starts (``data-o``, code points) and the selection keys
of every mark covering it (``data-k``), so overlapping spans need no nesting. Everything from
the corpus goes through ``markupsafe.escape``: a document holding ``<script>`` shows it as
text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True)
class Mark:
    """One annotation span as the page shows it."""

    start: int
    end: int
    key: str  # the selection key: selecting a mark highlights every mark with its key
    classes: str  # CSS classes of the text it covers
    label: str = ""  # shown in a tag beside the span ("" for none)
    tag_classes: str = ""
    description: str = ""  # the tag's accessible name
    badge: bool = False  # a focusable button before the span (claims) instead of a tag after


SEGMENT = Markup('<span class="s{}" data-o="{}"{}>{}</span>')
TAG = Markup('<span class="tag {}" data-k="{}" data-label="{}" title="{}"></span>')
BADGE = Markup('<button type="button" class="badge {}" data-k="{}" data-label="{}" '
               'aria-label="{}" title="{}"></button>')


def _tag(mark: Mark) -> Markup:
    if mark.badge:
        return BADGE.format(mark.tag_classes, mark.key, mark.label, mark.description,
                            mark.description)
    return TAG.format(mark.tag_classes, mark.key, mark.label, mark.description)


def render_text(text: str, marks: Iterable[Mark]) -> Markup:
    """``text`` as segments, with each mark's tag after its end (its badge before its
    start)."""
    marks = sorted(marks, key=lambda m: (m.start, -m.end, m.key))
    starting: dict[int, list[Mark]] = defaultdict(list)
    ending: dict[int, list[Mark]] = defaultdict(list)
    for mark in marks:
        if not 0 <= mark.start < mark.end <= len(text):
            raise ValueError(f"mark {mark.key} [{mark.start}, {mark.end}) is outside the text")
        starting[mark.start].append(mark)
        ending[mark.end].append(mark)
    bounds = sorted({0, len(text), *starting, *ending})
    active: list[Mark] = []
    parts: list[Markup] = []
    for position, following in zip(bounds, [*bounds[1:], None], strict=True):
        parts.extend(_tag(mark) for mark in ending[position] if mark.label and not mark.badge)
        active = [mark for mark in active if mark.end > position] + starting[position]
        parts.extend(_tag(mark) for mark in starting[position] if mark.label and mark.badge)
        if following is None:
            break
        classes = "".join(sorted({f" {c}" for mark in active for c in mark.classes.split()}))
        keys = " ".join(dict.fromkeys(mark.key for mark in active))
        parts.append(SEGMENT.format(classes, position,
                                    Markup(' data-k="{}"').format(keys) if keys else "",
                                    text[position:following]))
    return Markup("").join(parts)
