"""Running frames through the GX suites of ``newsprov.build.expectations``, and the report.

``Runner`` pools the rows of each frame, validates a pool with GX when it is full and merges
the results per expectation over all runs into ``Outcome``s; for an expectation that fails,
GX is asked again for the failing rows, named by the columns that identify them.
"""

from __future__ import annotations

import functools
import gc
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
import great_expectations.execution_engine.pandas_execution_engine as gx_pandas_engine
import great_expectations.expectations as gxe
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from newsprov.build.expectations import suites
from newsprov.core.files import write_atomic
from newsprov.core.layout import VALIDATION_STATS

POOL_ROWS = 100_000
POOL_BYTES = 64 << 20
COLLECT_BYTES = 128 << 20  # see Runner._run
EXAMPLES = 5  # failing rows shown per expectation


# ------------------------------------------------------------------ the report


@dataclass
class Outcome:
    """One expectation over every batch of its frame."""

    frame: str
    description: str
    success: bool = True
    checked: int = 0
    failed: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def check(self) -> str:
        return f"{self.frame}: {self.description}"

    def absorb(self, later: Outcome) -> None:
        """Add the outcome of the same expectation on later rows (another task's)."""
        self.success = self.success and later.success
        self.checked += later.checked
        self.failed += later.failed
        self.examples += later.examples[:max(0, EXAMPLES - len(self.examples))]


@dataclass
class ValidationReport:
    directory: Path
    outcomes: list[Outcome]
    stats: dict[str, Any] = field(default_factory=dict)  # datatrove's, per validation step

    @property
    def success(self) -> bool:
        return all(outcome.success for outcome in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]

    def summary(self) -> str:
        frames = len({outcome.frame for outcome in self.outcomes})
        lines = [f"{self.directory}: {len(self.outcomes)} expectations on {frames} tables, "
                 f"{len(self.failures)} failed"]
        for outcome in self.failures:
            lines.append(f"FAILED {outcome.check} ({outcome.failed} of {outcome.checked} rows)")
            lines.extend(f"    {example}" for example in outcome.examples)
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        """The Markdown report at ``path``, datatrove's statistics beside it."""
        write_atomic(path, self.markdown())
        write_atomic(path.parent / VALIDATION_STATS.name, json.dumps(self.stats, indent=1) + "\n")

    def markdown(self) -> str:
        verdict = "passes" if self.success else f"FAILS {len(self.failures)} expectations"
        lines = [f"# Validation of `{self.directory}`", "",
                 f"The export {verdict} (Great Expectations {gx.__version__}; "
                 f"{len(self.outcomes)} expectations).", "",
                 "| table | expectation | result | rows checked | failing rows | examples |",
                 "| --- | --- | --- | --: | --: | --- |"]
        for o in sorted(self.outcomes, key=lambda o: (o.success, o.frame, o.description)):
            examples = "<br>".join(e.replace("|", "\\|") for e in o.examples)
            lines.append(f"| {o.frame} | {o.description} | {'ok' if o.success else 'FAILED'} "
                         f"| {o.checked} | {o.failed} | {examples} |")
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ running GX


@dataclass(frozen=True)
class Suites:
    """The GX objects: one ephemeral context, a suite and a validation definition per frame."""

    definitions: dict[str, gx.ValidationDefinition]
    keys: dict[str, tuple[str, ...]]
    expectations: dict[str, gxe.Expectation]  # by check
    frames: dict[str, str]  # frame of each check
    compared: dict[str, frozenset[str]]  # columns of the pair expectations of each frame


@functools.cache
def gx_suites() -> Suites:
    """Set up once per process: the suites do not change between validations."""
    # GX fingerprints each frame it is given below this many bytes (pandas' hash of every
    # row, 40% of its CPU time here) for a batch marker that nothing here reads.
    gx_pandas_engine.HASH_THRESHOLD = 0
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(),
                               progress_bars=ProgressBarsConfig(globally=False))
    context = gx.get_context(mode="ephemeral", project_config=config)
    batches = context.data_sources.add_pandas("export").add_dataframe_asset(
        "frame").add_batch_definition_whole_dataframe("frame")
    result = Suites({}, {}, {}, {}, {})
    for frame, (keys, expectations) in suites().items():
        suite = context.suites.add(gx.ExpectationSuite(name=frame, expectations=expectations))
        result.definitions[frame] = context.validation_definitions.add(
            gx.ValidationDefinition(name=frame, data=batches, suite=suite))
        result.keys[frame] = keys
        result.compared[frame] = frozenset(
            getattr(e, side) for e in expectations for side in ("column_A", "column_B")
            if hasattr(e, side))
        for expectation in suite.expectations:
            result.expectations[expectation.meta["check"]] = expectation
            result.frames[expectation.meta["check"]] = frame
    return result


class Runner:
    """Validates frames with GX and merges the results per expectation. Rows of a frame are
    pooled up to ``POOL_ROWS`` rows, so that many small shards do not cost one GX run each;
    all pools together hold at most ``POOL_BYTES``."""

    def __init__(self) -> None:
        self.suites = gx_suites()
        self.outcomes = {check: Outcome(frame, check.removeprefix(f"{frame}: "))
                         for check, frame in self.suites.frames.items()}
        self.pools: dict[str, list[pa.Table]] = defaultdict(list)

    def validate(self, frame: str, table: pa.Table) -> None:
        self.pools[frame].append(table)
        if sum(t.num_rows for t in self.pools[frame]) >= POOL_ROWS:
            self._run(frame)
        while sum(t.nbytes for pool in self.pools.values() for t in pool) > POOL_BYTES:
            self._run(max(self.pools, key=lambda f: sum(t.nbytes for t in self.pools[f])))

    def validate_alone(self, frame: str, table: pa.Table) -> None:
        """Validate ``table`` in one GX run of its own (for frame-wide rules: unique)."""
        self._run(frame)
        self.pools[frame].append(table)
        self._run(frame)

    def finish(self) -> list[Outcome]:
        """Validate what is pooled; the outcomes so far."""
        for frame in list(self.pools):
            self._run(frame)
        return list(self.outcomes.values())

    def report(self, directory: Path) -> ValidationReport:
        return ValidationReport(directory, self.finish())

    def _run(self, frame: str) -> None:
        pool = self.pools.pop(frame, [])
        if not pool:
            return
        table = pa.concat_tables(pool, promote_options="permissive")
        if table.num_rows == 0:
            return
        data = _to_pandas(table, self.suites.compared[frame])
        batch_parameters = {"dataframe": data}
        definition = self.suites.definitions[frame]
        result = definition.run(batch_parameters=batch_parameters, result_format="BOOLEAN_ONLY")
        # GX leaves each run's frame in reference cycles. Python's collector counts objects,
        # not the Arrow buffers they hold, so without this the frames pile up (gigabytes at
        # 100k documents) before it runs.
        if pa.total_allocated_bytes() > COLLECT_BYTES:
            gc.collect()
        failed = []
        for expectation_result in result.results:
            outcome = self.outcomes[expectation_result.expectation_config.meta["check"]]
            outcome.checked += len(data)
            if not expectation_result.success:
                outcome.success = False
                failed.append(outcome)
        if failed:  # ask GX again, this time for the failing rows
            batch = definition.data.get_batch(batch_parameters=batch_parameters)
            result_format = {"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES,
                             "unexpected_index_column_names": list(self.suites.keys[frame])}
            for outcome in failed:
                self._explain(outcome, batch.validate(self.suites.expectations[outcome.check],
                                                      result_format=result_format))

    @staticmethod
    def _explain(outcome: Outcome, result: Any) -> None:
        details = result.result
        if result.exception_info.get("raised_exception"):
            outcome.examples.append(f"error: {result.exception_info['exception_message']}")
            return
        outcome.failed += details.get("unexpected_count") or 0
        for row in details.get("partial_unexpected_index_list") or []:
            if len(outcome.examples) < EXAMPLES:
                outcome.examples.append(", ".join(f"{k}={_show(v)}" for k, v in row.items()))


def _to_pandas(table: pa.Table, compared: frozenset[str]) -> pd.DataFrame:
    """Arrow-backed columns, but integers as NumPy floats (nulls as NaN), since GX compares
    only NumPy numbers vectorised, and strings repeated over many rows as categories, since
    GX hashes every frame and categories are cheap to hash (not the ``compared`` columns of
    pair expectations: pandas cannot compare a category column with a missing value)."""
    floats = pa.schema([f.with_type(pa.float64()) if pa.types.is_integer(f.type) else f
                        for f in table.schema])
    table = table.cast(floats)
    for index, f in enumerate(table.schema):
        column = table.column(index)
        if pa.types.is_string(f.type) and f.name not in compared and mostly_repeated(column):
            table = table.set_column(index, f.name, pc.dictionary_encode(column))
    return table.to_pandas(
        types_mapper=lambda type_: None if type_ == pa.float64() or pa.types.is_dictionary(type_)
        else pd.ArrowDtype(type_))


def mostly_repeated(column: pa.Array | pa.ChunkedArray) -> bool:
    """Whether a column's first thousand values hold at most a quarter as many distinct ones:
    an id repeated over a document's records, a label, a provenance."""
    sample = column.slice(0, 1_000)
    return pc.count_distinct(sample).as_py() * 4 <= len(sample)


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # integer columns are validated as floats (see _run)
    text = "null" if value is None or value is pd.NA or value != value else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
