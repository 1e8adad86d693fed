"""Split assignment: by story, frozen once released.

The rule, applied to each document in this order:

1. A document that a previous release put in a split stays there, forever.
2. A document whose story group already has a released document goes to that split.
3. A document of a story group listed in ``corpus/splits.json`` goes to the listed split.
4. Otherwise the story group is hashed: the first 8 hex digits of sha256(story_group),
   as a number modulo 100, below 80 train, below 90 validation, else test.

Every document of a story therefore lands in one split, and a derived document, which
must share its source's story group (``corpus.check_derivations``), lands with its source.
The assignment is checked against these invariants before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from newsprov.core import schema
from newsprov.core.errors import InputError
from newsprov.core.files import read_json
from newsprov.core.layout import SPLIT_PLAN
from newsprov.store.corpus import Document


def read_split_plan(path: Path) -> dict[str, str]:
    """The story-group -> split table of ``corpus/splits.json`` (empty if absent)."""
    if not path.is_file():
        return {}
    plan = read_json(path)
    stories = plan.get("stories") if isinstance(plan, dict) else None
    if not isinstance(stories, dict):
        raise InputError(path, None, 'expected {"stories": {story_group: split}}',
                         check="split-plan-shape")
    for story, split in stories.items():
        if split not in schema.SPLIT:
            raise InputError(path, story, f"unknown split {split!r}; allowed: "
                                          f"{schema.SPLIT.names}", check="split-unknown")
    return stories


def hashed_split(story_group: str) -> str:
    bucket = int(hashlib.sha256(story_group.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if bucket < 80 else "validation" if bucket < 90 else "test"


def assign_splits(documents: Mapping[str, Document], plan: Mapping[str, str],
                  released: Mapping[str, str]) -> dict[str, str]:
    """Split of every document; ``released`` maps doc ids of earlier releases to splits."""
    story_split: dict[str, str] = {}
    for doc_id, split in released.items():
        if doc_id in documents:
            story = documents[doc_id].metadata["story_group"]
            if story_split.setdefault(story, split) != split:
                raise InputError(SPLIT_PLAN, story,
                                 "released documents of this story are in different splits",
                                 check="released-story-split")
    assignment = {}
    for doc_id, document in documents.items():
        story = document.metadata["story_group"]
        split = released.get(doc_id) or story_split.get(story) or plan.get(story) \
            or hashed_split(story)
        if story_split.setdefault(story, split) != split:
            raise InputError(SPLIT_PLAN, doc_id,
                             f"story {story!r} would span splits {story_split[story]} "
                             f"and {split}", check="story-spans-splits")
        assignment[doc_id] = split
    for doc_id in released.keys() - documents.keys():
        raise InputError(SPLIT_PLAN, doc_id, "a released document is missing from the corpus; "
                                             "released documents are never removed silently",
                         check="released-document-removed")
    return assignment
