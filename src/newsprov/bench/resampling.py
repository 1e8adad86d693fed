"""Uncertainty of the benchmark's figures: percentile-bootstrap confidence intervals, paired
bootstrap intervals of a difference between two systems, and approximate-randomisation
p-values.

**Items.** Each task is scored over items whose scores add up: entity mentions and span flags
as groups of overlapping spans (a gold span with the predicted spans that overlap it,
directly or through another span; a predicted span that overlaps no gold span is a group of
its own), events as groups of overlapping triggers (with the argument and modality tuples of
their events), claims, and documents for document flags and authorship. A group never
crosses another, so the nervaluate counts of the groups add up to those of the documents,
and scoring every item once gives exactly the figures of ``evaluation.score``. Two systems
are compared on the groups of the spans of both.

**Units.** The unit drawn is the document (its items drawn together: a cluster bootstrap)
when the split has at least ``MIN_DOCUMENTS`` documents; otherwise the item, and the result
carries a caveat: items of one document are not independent, so the interval is too narrow.
Document-level tasks always draw documents; with fewer than ``MIN_DOCUMENTS`` the caveat says
how few.

**Intervals.** ``RESAMPLES`` draws of as many units as there are, with replacement, from
numpy's Generator seeded with ``SEED``: ``rng.integers(0, units, (RESAMPLES, units))``, the
draws ``scipy.stats.bootstrap`` makes. Each draw is scored by the scorer's own code, and the
interval is the 2.5th and 97.5th percentile of a figure over the draws (numpy's linear
interpolation): ``scipy.stats.bootstrap(method="percentile")``. It is done here rather than by
scipy so that one set of draws serves every figure of a task and both systems of a
comparison, and so that a draw where a figure is undefined (a class absent from it) is left
out of that figure's interval instead of making it NaN; the result counts such draws.

**Comparisons.** The paired bootstrap scores both systems on the same draws and gives the
interval of the difference A - B. The p-value is approximate randomisation (Noreen 1989;
Riezler and Maxwell 2005): in each of ``RESAMPLES`` draws, seeded with ``SEED``, the two
systems' predictions of each unit are swapped with probability 1/2, and
p = (1 + draws with |difference| >= |observed difference|) / (1 + ``RESAMPLES``): two-sided,
1 for identical systems, at least 1 / (1 + ``RESAMPLES``).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from newsprov.core import schema
from newsprov.core.metrics import (
    COUNTS,
    MODES,
    authorship_label,
    by_document,
    classification_scores,
    event_tuples,
    multilabel_scores,
    set_figures,
    span_counts,
    span_figures,
    span_labels,
    triggers,
)
from newsprov.core.schema import AnnotationFile

RESAMPLES = 1000
SEED = 20261123
CONFIDENCE = 0.95
MIN_DOCUMENTS = 30  # fewer documents than this: items are drawn, not documents
TOLERANCE = 1e-12  # differences closer than this count as equal

FigurePath = tuple[str, ...]  # where a figure is in a task's metrics
Metrics = Callable[[np.ndarray, np.ndarray], dict[str, Any]]


@dataclass(frozen=True)
class TaskSample:
    """One task's items and systems: ``metrics(data, items)`` scores a system's ``data`` (one
    row per item) on the items at the indices ``items`` (repeated as drawn)."""

    item: str  # what one item is, plural: "mentions", "claims", "documents" ...
    documents: np.ndarray  # the document of each item, as an index into the split's documents
    systems: tuple[np.ndarray, ...]
    metrics: Metrics

    def score(self, system: int = 0) -> dict[str, Any]:
        return self.metrics(self.systems[system], np.arange(len(self.documents)))


def _objects(values: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


# ------------------------------------------------------------------ items of each task


def _groups(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (start, end) of each group of spans that overlap, directly or through others."""
    groups: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if groups and start < groups[-1][1]:
            groups[-1] = (groups[-1][0], max(groups[-1][1], end))
        else:
            groups.append((start, end))
    return groups


def _grouped(records: Sequence[Mapping[str, Any]], starts: list[int]) -> list[list[Any]]:
    """``records`` by the group their start falls in (``starts``: the groups' starts)."""
    grouped: list[list[Any]] = [[] for _ in starts]
    for record in records:
        grouped[bisect.bisect_right(starts, record["start"]) - 1].append(record)
    return grouped


def _span_items(gold: Mapping[str, Sequence[Mapping[str, Any]]],
                systems: Sequence[Mapping[str, Sequence[Mapping[str, Any]]]],
                documents: Sequence[str]) -> list[tuple[int, list[list[Any]]]]:
    """Every group of overlapping spans: (document index, [its gold spans, then each
    system's])."""
    items = []
    for number, doc in enumerate(documents):
        sides = [gold.get(doc, ()), *(system.get(doc, ()) for system in systems)]
        groups = _groups([(r["start"], r["end"]) for side in sides for r in side])
        starts = [start for start, _ in groups]
        items += [(number, list(parts)) for parts in
                  zip(*(_grouped(side, starts) for side in sides), strict=True)]
    return items


def span_sample(gold: Mapping[str, Sequence[Mapping[str, Any]]],
                systems: Sequence[Mapping[str, Sequence[Mapping[str, Any]]]],
                documents: Sequence[str], label_key: str, labels: Sequence[str],
                item: str) -> TaskSample:
    order = span_labels([gold, *systems], label_key, labels)
    items = _span_items(gold, systems, documents)
    counts = [np.array([span_counts(parts[0], parts[s], label_key, order) for _, parts in items],
                       dtype=np.int64).reshape(len(items), 1 + len(order), len(MODES),
                                               len(COUNTS))
              for s in range(1, len(systems) + 1)]
    return TaskSample(item, np.array([doc for doc, _ in items], dtype=np.int64), tuple(counts),
                      lambda data, chosen: span_figures(data[chosen].sum(axis=0), order))


def event_sample(gold: Mapping[str, AnnotationFile], systems: Sequence[Mapping[str, Any]],
                 documents: Sequence[str]) -> TaskSample:
    """Groups of overlapping triggers; each holds the argument and modality tuples of the
    events whose trigger starts in it (a tuple matches only at the same trigger span)."""
    sides = [gold, *systems]
    trigger_records = [triggers(side, documents) for side in sides]
    order = span_labels(trigger_records, "type", schema.EVENT_TYPE.names)
    items = _span_items(trigger_records[0], trigger_records[1:], documents)
    item_of = {(documents[doc], record["start"], record["end"]): index
               for index, (doc, parts) in enumerate(items) for part in parts for record in part}

    def tuples(side: Mapping[str, Any], what: str) -> list[Counter]:
        grouped = [Counter() for _ in items]
        for key, count in event_tuples(side, documents, what).items():
            grouped[item_of[key[:3]]][key] += count  # key: (doc, trigger start, end, ...)
        return grouped

    shape = (1 + len(order), len(MODES), len(COUNTS))
    size = int(np.prod(shape))
    gold_tuples = {what: tuples(gold, what) for what in ("arguments", "modality")}
    data = []
    for s, side in enumerate(systems, start=1):
        rows = []
        system_tuples = {what: tuples(side, what) for what in ("arguments", "modality")}
        for index, (_, parts) in enumerate(items):
            row = [span_counts(parts[0], parts[s], "type", order).ravel()]
            for what in ("arguments", "modality"):
                mine, truth = system_tuples[what][index], gold_tuples[what][index]
                row.append(np.array([sum((truth & mine).values()), truth.total(),
                                     mine.total()]))
            rows.append(np.concatenate(row))
        data.append(np.array(rows, dtype=np.int64).reshape(len(items), size + 6))

    def metrics(counts: np.ndarray, chosen: np.ndarray) -> dict[str, Any]:
        total = counts[chosen].sum(axis=0)
        return {"triggers": span_figures(total[:size].reshape(shape), order),
                "arguments": set_figures(*total[size:size + 3]),
                "modality": set_figures(*total[size + 3:])}

    return TaskSample("events", np.array([doc for doc, _ in items], dtype=np.int64),
                      tuple(data), metrics)


def label_sample(item: str, documents: np.ndarray, gold: Sequence[Any],
                 systems: Sequence[Sequence[Any]],
                 score: Callable[[list[Any], list[Any]], dict[str, Any]]) -> TaskSample:
    """Items with one gold value each (a label, a set of labels) and a predicted one. Their
    scores depend only on how often each (gold, predicted) pair occurs, so each such
    multiset is scored once (scikit-learn takes milliseconds per call)."""
    truth = _objects(gold)
    scored: dict[frozenset, dict[str, Any]] = {}

    def metrics(data: np.ndarray, chosen: np.ndarray) -> dict[str, Any]:
        pairs = frozenset(Counter(zip(map(_hashable, truth[chosen]),
                                      map(_hashable, data[chosen]), strict=True)).items())
        if pairs not in scored:
            scored[pairs] = score(list(truth[chosen]), list(data[chosen]))
        return scored[pairs]

    return TaskSample(item, documents, tuple(_objects(system) for system in systems), metrics)


def _hashable(value: Any) -> Any:
    return frozenset(value) if isinstance(value, set) else value


def _support_of(claim: Mapping[str, Any], data: AnnotationFile | None) -> str | None:
    """The support the predictions give the gold claim's span, if any."""
    for predicted in data["claims"] if data else ():
        if (predicted["start"], predicted["end"]) == (claim["start"], claim["end"]):
            return predicted["support"]
    return None


def task_samples(gold: Mapping[str, AnnotationFile],
                 systems: Sequence[Mapping[str, AnnotationFile]],
                 tasks: Sequence[str]) -> dict[str, TaskSample]:
    """Each task's items over the documents of ``gold``, with every system's data."""
    documents = sorted(gold)
    makers: dict[str, Callable[[], TaskSample]] = {
        "entities": lambda: span_sample(
            by_document(gold, "mentions", documents),
            [by_document(system, "mentions", documents) for system in systems], documents,
            "type", schema.ENTITY_TYPE.names, "mentions"),
        "events": lambda: event_sample(gold, systems, documents),
        "span_flags": lambda: span_sample(
            by_document(gold, "span_flags", documents),
            [by_document(system, "span_flags", documents) for system in systems], documents,
            "label", schema.SPAN_FLAG.names, "span flags"),
        "document_flags": lambda: label_sample(
            "documents", np.arange(len(documents)),
            [{flag["label"] for flag in gold[doc]["document_flags"]} for doc in documents],
            [[{flag["label"] for flag in flags} for flags in
              by_document(system, "document_flags", documents).values()]
             for system in systems],
            lambda truth, answers: multilabel_scores(truth, answers,
                                                     schema.DOCUMENT_FLAG.names)),
        "authorship": lambda: _authorship_sample(gold, systems, documents),
        "claim_support": lambda: _claim_sample(gold, systems, documents),
    }
    return {task: makers[task]() for task in tasks}


def _authorship_sample(gold: Mapping[str, AnnotationFile],
                       systems: Sequence[Mapping[str, AnnotationFile]],
                       documents: Sequence[str]) -> TaskSample:
    judged = [number for number, doc in enumerate(documents)
              if gold[doc]["authorship"] is not None]
    return label_sample(
        "documents", np.array(judged, dtype=np.int64),
        [gold[documents[n]]["authorship"]["label"] for n in judged],
        [[authorship_label(system.get(documents[n])) for n in judged] for system in systems],
        lambda truth, answers: classification_scores(truth, answers, schema.AUTHORSHIP.names))


def _claim_sample(gold: Mapping[str, AnnotationFile],
                  systems: Sequence[Mapping[str, AnnotationFile]],
                  documents: Sequence[str]) -> TaskSample:
    claims = [(number, doc, claim) for number, doc in enumerate(documents)
              for claim in gold[doc]["claims"]]
    return label_sample(
        "claims", np.array([number for number, _, _ in claims], dtype=np.int64),
        [claim["support"] for _, _, claim in claims],
        [[_support_of(claim, system.get(doc)) for _, doc, claim in claims]
         for system in systems],
        lambda truth, answers: classification_scores(truth, answers,
                                                     schema.CLAIM_SUPPORT.names))


# ------------------------------------------------------------------ units and draws


@dataclass(frozen=True)
class Units:
    """What is drawn: documents (with all their items) or single items."""

    name: str
    of_item: np.ndarray  # the unit of each item
    count: int
    caveat: str | None

    def items(self, chosen: np.ndarray) -> np.ndarray:
        """The items of the drawn units, each as often as its unit was drawn."""
        if self.name != "documents":
            return chosen
        drawn = np.bincount(chosen, minlength=self.count)
        return np.repeat(np.arange(len(self.of_item)), drawn[self.of_item])

    def describe(self) -> dict[str, Any]:
        return {"unit": self.name, "units": self.count, "caveat": self.caveat}


def resampling_units(sample: TaskSample, documents: int) -> Units:
    if sample.item == "documents" or documents >= MIN_DOCUMENTS:
        caveat = None if documents >= MIN_DOCUMENTS else (
            f"only {documents} documents: an interval over so few units shows little")
        return Units("documents", sample.documents, documents, caveat)
    items = len(sample.documents)
    return Units(sample.item, np.arange(items), items,
                 f"the split has {documents} documents, fewer than {MIN_DOCUMENTS}: "
                 f"{sample.item} of one document are not independent, so the interval is "
                 "too narrow")


def figure(metrics: Mapping[str, Any], path: FigurePath) -> float:
    """The figure at ``path``; NaN where it is undefined or absent."""
    value: Any = metrics
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return float("nan")
        value = value[key]
    return float("nan") if value is None else float(value)


def _figures(sample: TaskSample, data: np.ndarray, items: np.ndarray,
             paths: Sequence[FigurePath]) -> np.ndarray:
    metrics = sample.metrics(data, items)
    return np.array([figure(metrics, path) for path in paths])


def _percentiles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bound per column over the rows where it is defined, and how many rows
    left it undefined."""
    undefined = np.isnan(values).sum(axis=0)
    tail = (1 - CONFIDENCE) / 2 * 100
    low = np.full(values.shape[1], np.nan)
    high = np.full(values.shape[1], np.nan)
    for column in np.flatnonzero(undefined < len(values)):
        defined = values[~np.isnan(values[:, column]), column]
        low[column], high[column] = np.percentile(defined, [tail, 100 - tail])
    return low, high, undefined


def _bootstrap(units: Units, paths: Sequence[FigurePath],
               score: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``score(items)`` of every draw, one row per draw."""
    draws = np.random.default_rng(SEED).integers(0, units.count, (RESAMPLES, units.count))
    return np.array([score(units.items(chosen)) for chosen in draws]).reshape(RESAMPLES,
                                                                               len(paths))


def _interval(low: float, high: float) -> list[float] | None:
    return None if np.isnan(low) else [float(low), float(high)]


def intervals(sample: TaskSample, documents: int, paths: Sequence[FigurePath]) -> dict[str, Any]:
    """The bootstrap interval of each figure at ``paths`` for the sample's first system."""
    units = resampling_units(sample, documents)
    result = units.describe()
    if not units.count or not len(sample.documents):
        return {**result, "figures": {".".join(path): None for path in paths}}
    values = _bootstrap(units, paths,
                        lambda items: _figures(sample, sample.systems[0], items, paths))
    low, high, undefined = _percentiles(values)
    result["figures"] = {".".join(path): _interval(low[i], high[i])
                         for i, path in enumerate(paths)}
    if undefined.any():
        result["undefined_in"] = {".".join(path): int(undefined[i])
                                  for i, path in enumerate(paths) if undefined[i]}
    return result


def comparison(sample: TaskSample, documents: int, paths: Sequence[FigurePath]) -> dict[str, Any]:
    """Systems A and B (the sample's two) per figure: both scores, the difference A - B, its
    paired-bootstrap interval and the approximate-randomisation p-value."""
    a, b = sample.systems
    units = resampling_units(sample, documents)
    everything = np.arange(len(sample.documents))
    observed = [_figures(sample, data, everything, paths) for data in (a, b)]
    difference = observed[0] - observed[1]
    result = units.describe()
    if units.count and len(sample.documents):
        deltas = _bootstrap(units, paths, lambda items: (
            _figures(sample, a, items, paths) - _figures(sample, b, items, paths)))
        low, high, _ = _percentiles(deltas)
        p = _randomisation(sample, units, paths, difference)
    else:
        low = high = p = np.full(len(paths), np.nan)
    result["figures"] = {
        ".".join(path): {"a": _value(observed[0][i]), "b": _value(observed[1][i]),
                         "difference": _value(difference[i]),
                         "interval": _interval(low[i], high[i]), "p": _value(p[i])}
        for i, path in enumerate(paths)}
    return result


def _value(number: float) -> float | None:
    return None if np.isnan(number) else float(number)


def _randomisation(sample: TaskSample, units: Units, paths: Sequence[FigurePath],
                   observed: np.ndarray) -> np.ndarray:
    a, b = sample.systems
    everything = np.arange(len(sample.documents))
    swaps = np.random.default_rng(SEED).random((RESAMPLES, units.count)) < 0.5
    extreme = np.zeros(len(paths))
    defined = np.zeros(len(paths))
    for swap in swaps:
        mask = swap[units.of_item].reshape(-1, *[1] * (a.ndim - 1))
        delta = (_figures(sample, np.where(mask, b, a), everything, paths) -
                 _figures(sample, np.where(mask, a, b), everything, paths))
        defined += ~np.isnan(delta)
        extreme += np.abs(delta) >= np.abs(observed) - TOLERANCE
    p = (1 + extreme) / (1 + defined)
    return np.where(np.isnan(observed), np.nan, p)
