"""The corpus's ids as validation looks them up (by binary search on their hashes): the same
answers as a hash table of every id, nulls and strangers included, and when two ids share
a hash."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc

from newsprov.build.validation import CorpusIds, _string_hashes


def thue_morse(length: int, letters: str) -> str:
    return "".join(letters[bin(i).count("1") % 2] for i in range(length))


# a polynomial hash modulo 2**64 with an odd base cannot tell these two apart
CLASH = (thue_morse(2048, "ab"), thue_morse(2048, "ba"))


def expected(ids: list[str], sources: set[str], values: pa.Array) -> tuple[list, list]:
    known = pc.fill_null(pc.is_in(values, value_set=pa.array(ids, pa.string())), False)
    of_sources = pc.fill_null(pc.is_in(values, value_set=pa.array(sorted(sources),
                                                                  pa.string())), False)
    return known.to_pylist(), of_sources.to_pylist()


def corpus_ids(ids: list[str], sources: set[str]) -> CorpusIds:
    return CorpusIds.of(pa.array(ids, pa.string()),
                        pa.array([i in sources for i in ids], pa.bool_()))


def test_the_lookup_agrees_with_a_hash_table_of_every_id() -> None:
    generator = random.Random(18)
    ids = [f"synthetic-{generator.getrandbits(64):016x}" for _ in range(5_000)] + \
        ["", "Hà Nội", "a\x00", "a"]
    sources = set(generator.sample(ids, 700)) | {"a\x00"}
    strangers = [f"synthetic-{generator.getrandbits(64):016x}" for _ in range(300)]
    values = pa.array(generator.sample(ids, 2_000) + strangers + [None, "a\x00\x00", "Hà"],
                      pa.string())
    lookup = corpus_ids(ids, sources)
    known, of_sources = expected(ids, sources, values)
    assert lookup.are_ids(values).to_pylist() == known
    assert lookup.are_sources(values).to_pylist() == of_sources
    assert sum(known) == 2_000 and sum(of_sources) > 200


def test_ids_that_share_a_hash_are_told_apart() -> None:
    assert _string_hashes(pa.array(CLASH))[0] == _string_hashes(pa.array(CLASH))[1]
    for ids in ([CLASH[0], "x", CLASH[1]], [CLASH[1], CLASH[0]], [CLASH[0]], [CLASH[1]]):
        values = pa.array([*CLASH, "x", None], pa.string())
        lookup = corpus_ids(ids, {CLASH[1]})
        known, of_sources = expected(ids, {CLASH[1]} & set(ids), values)
        assert lookup.are_ids(values).to_pylist() == known, ids
        assert lookup.are_sources(values).to_pylist() == of_sources, ids


def test_an_empty_corpus_knows_no_id() -> None:
    lookup = corpus_ids([], set())
    values = pa.array(["a", None, ""], pa.string())
    assert lookup.are_ids(values).to_pylist() == [False] * 3
    assert lookup.are_sources(values).to_pylist() == [False] * 3
    assert lookup.are_ids(pa.array([], pa.string())).to_pylist() == []
