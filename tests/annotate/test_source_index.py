"""The source index and `newsprov add` on it: the seed rewrite among 10,000 synthetic
originals, and adding an article without reading any other document's files."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsprov.annotate.alignment import ALIGNER
from newsprov.annotate.ingest import Provenance, add
from newsprov.annotate.source_index import SourceIndex, corpus_index, features
from newsprov.core.errors import Failure
from newsprov.core.files import read_json
from newsprov.core.layout import DOCUMENTS_DIR, REPO, SOURCE_INDEX, TEXT_FILE
from newsprov.store.corpus import CorpusOnDisk, text_sha256, write_document

sys.path.insert(0, str(REPO / "scripts"))
from synth_corpus import STORY_SIZE, metadata, original

ORIGINAL, REWRITE = "000_6ed1f7236875d9ca", "004_c1cf42bd939e682c"
DISTRACTORS = 10_000
BRIDGE = REPO / "tests" / "fixtures" / "html" / "harbour_bridge.html"

# Paths opened while recording (an audit hook cannot be removed: it records only when asked).
OPENED: list[str] | None = None


def _record_opens(event: str, args: tuple) -> None:
    if OPENED is not None and event in ("open", "sqlite3.connect") and \
            isinstance(args[0], (str, bytes, Path)):
        OPENED.append(str(Path(args[0] if not isinstance(args[0], bytes)
                               else args[0].decode()).resolve()))


sys.addaudithook(_record_opens)


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus of the seed original and 10,000 synthetic originals (one of each story of the
    generator: no two of one story), indexed in one transaction as `add` would index them
    one by one."""
    root = tmp_path_factory.mktemp("big") / "repo"
    shutil.copytree(REPO / DOCUMENTS_DIR / ORIGINAL, root / DOCUMENTS_DIR / ORIGINAL)
    documents = []
    for story in range(DISTRACTORS):
        draft, _ = original(0, story * STORY_SIZE)
        documents.append((metadata(draft, story, None), draft.text))
        write_document(root, *documents[-1])
    with corpus_index(root, {}) as index:
        index.add_many((meta["id"], text, meta, "en") for meta, text in documents)
    corpus_index(root, CorpusOnDisk(root)).close()  # indexes the one left: the seed original
    return root


def test_the_seed_original_comes_first_among_10000_synthetic_originals(big_corpus, tmp_path):
    seed = tmp_path / "rewrite.txt"
    shutil.copy(REPO / DOCUMENTS_DIR / REWRITE / TEXT_FILE, seed)
    with SourceIndex(big_corpus / SOURCE_INDEX) as index:
        assert len(index) == DISTRACTORS + 1
    added = add(big_corpus, str(seed), Provenance(derived_from=ORIGINAL,
                                                  derivation="machine_rewrite"))
    first = added.candidates[0]
    assert first.doc_id == ORIGINAL
    assert first.score > 0 and all(c.score < first.score for c in added.candidates[1:])
    # the claim candidates of the confirmed source are in the pre-annotations, checked
    claims = read_json(added.pre_path)["claims"]
    assert claims and {c["provenance"]["annotator"] for c in claims} == {ALIGNER}
    source = (big_corpus / DOCUMENTS_DIR / ORIGINAL / TEXT_FILE).read_text(encoding="utf-8")
    supported = [c for c in claims if c["support"] == "supported"]
    assert supported and all(source[e["start"]:e["end"]] == e["text"]
                             for c in supported for e in c["evidence"])
    with SourceIndex(big_corpus / SOURCE_INDEX) as index:  # the new document is indexed
        assert index.by_sha256(added.document.metadata["sha256"]) == added.document.id


@pytest.fixture
def recorded_opens() -> Iterator[list[str]]:
    global OPENED
    OPENED = []
    try:
        yield OPENED
    finally:
        OPENED = None


def test_adding_an_article_reads_no_other_document(big_corpus, recorded_opens):
    documents = (big_corpus / DOCUMENTS_DIR).resolve()
    added = add(big_corpus, str(BRIDGE), Provenance(story_group="harbour-bridge"))
    assert not any(c.proposed for c in added.candidates)
    read = {Path(path).relative_to(documents).parts[0] for path in recorded_opens
            if Path(path).is_relative_to(documents)}
    own = added.document.id  # its files are written in a staging folder .<id>.<random>
    assert read and all(name == own or name.startswith(f".{own}.") for name in read)
    assert any(path.endswith("source-index.sqlite") for path in recorded_opens)


def test_the_index_follows_the_corpus_and_persists(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(REPO / DOCUMENTS_DIR / ORIGINAL, root / DOCUMENTS_DIR / ORIGINAL)
    with corpus_index(root, CorpusOnDisk(root)) as index:  # built on first use
        assert index.doc_ids() == {ORIGINAL}
        text = index.entry(ORIGINAL).text
        assert index.by_sha256(text_sha256(text)) == ORIGINAL
        assert index.query(text, 3)[0][0] == ORIGINAL
    shutil.rmtree(root / DOCUMENTS_DIR / ORIGINAL)
    with corpus_index(root, CorpusOnDisk(root)) as index:  # a removed document is dropped
        assert len(index) == 0 and index.query(text) == [] and index.by_sha256(
            text_sha256(text)) is None


def test_features_are_names_numbers_and_their_co_occurrences():
    terms = features("Anna Abara held talks with Hanoi in Lima on 3 May.The rest.", "en")
    assert {"anna_abara", "hanoi", "lima", "3", "anna_abara__hanoi", "hanoi__lima",
            "anna_abara__hanoi__lima", "talks"} <= terms.keys()
    assert "rest" in terms and not any("rest" in t and "__" in t for t in terms)


def test_a_name_pairs_by_its_last_two_words_and_ends_at_punctuation():
    titled = features("Defence Minister Hoang Chien urged Hanoi in Lima.", "en")
    plain = features("Hoang Chien pressed Hanoi in Lima.", "en")
    assert "defence_minister_hoang_chien" in titled and "hoang_chien" in titled
    assert "hanoi__hoang_chien__lima" in titled.keys() & plain.keys()
    heading = features("Joint Military Exercises: Increasing drills | Indo-Pacific |", "en")
    assert {"joint_military_exercises", "indo_pacific"} <= heading.keys()
    assert not any(t.startswith("joint_military_exercises_") for t in heading)


def test_a_broken_index_file_is_named_with_what_to_do(tmp_path):
    path = tmp_path / "index.sqlite"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(Failure, match=f"the source index {path} cannot be used .*delete it"):
        SourceIndex(path)
