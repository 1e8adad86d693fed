"""Property-based fuzzing shared by the loaders' fuzz tests (issue 19): hypothesis strategies
for arbitrary JSON and for valid records mutated field by field, and the contract every
loader keeps: an input loads, or raises the project's ``InputError`` with a located message
(the file first, one line); any other exception fails the test.

The runs are deterministic (``derandomize``, no example database written into the
repository) and modest; each test keeps its counts in ``COUNTS`` and prints them.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from newsprov.core.errors import InputError

FUZZ = settings(max_examples=300, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])

# Values that sit on the edges of the rules: blanks, separators, dates, big numbers, types.
EDGES = st.sampled_from([
    "", " ", "\t\n", "\u2028", "\u0085", "x" * 300, "EN", "en", "zz", "2999-01-01",
    "20261123", "2026-W48-1", "2026-02-30", "PERSON", "human", "test", "supported",
    -1, 0, 1, 2**31, 2**63, 1.5, float("inf"), True, False, None, [], {}, [None], {"": None},
])
SCALARS = (st.none() | st.booleans() | st.integers(-(2**64), 2**64) |
           st.floats(allow_nan=False) | st.text(max_size=12) | EDGES)
JSON = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4) |
                    st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=10)

Path_ = tuple[Any, ...]


def paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    """The path of every node under ``value`` (keys of objects, indices of lists)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def _parent(value: Any, path: Path_) -> Any:
    for step in path[:-1]:
        value = value[step]
    return value


def like(value: Any) -> st.SearchStrategy[Any]:
    """Another value of the type of ``value``."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(min(-1, value - 3), value + 3)
    if isinstance(value, str):
        return st.text(max_size=20) | EDGES.filter(lambda edge: isinstance(edge, str))
    return EDGES | JSON


@st.composite
def mutated(draw: st.DrawFn, valid: Any, most: int = 3) -> Any:
    """``valid`` with one to ``most`` of its fields replaced (by an edge value or arbitrary
    JSON), deleted, or joined by an unknown field."""
    value = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, most))):
        targets = paths(value)
        if not targets:
            return value
        path = draw(st.sampled_from(targets))
        parent, last = _parent(value, path), path[-1]
        change = draw(st.sampled_from(["like", "like", "replace", "delete", "add"]))
        if change == "like":  # a value of the same type: the checks beyond the types
            parent[last] = draw(like(parent[last]))
        elif change == "replace":
            parent[last] = draw(EDGES | JSON)
        elif change == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(JSON)
        else:
            parent.append(draw(JSON))
    return value


COUNTS: dict[str, Counter[str]] = {}


def loads_or_refuses(name: str, file: Path | str, load: Callable[[], Any]) -> str:
    """Run ``load``: "accepted", or "refused" with an InputError located in ``file``."""
    counts = COUNTS.setdefault(name, Counter())
    counts["tried"] += 1
    try:
        load()
    except InputError as error:
        message = str(error)
        assert error.file.startswith(str(file)), (error.file, file)
        assert message.startswith(error.file) and error.problem, message
        assert "\n" not in message, message
        counts["refused"] += 1
        return "refused"
    counts["accepted"] += 1
    return "accepted"


def report(name: str) -> str:
    counts = COUNTS.get(name, Counter())
    line = (f"fuzz {name}: {counts['tried']} inputs tried, {counts['accepted']} accepted, "
            f"{counts['refused']} refused")
    print(line)
    return line
