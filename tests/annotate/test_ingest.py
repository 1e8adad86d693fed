"""`newsprov add`: pages written by the project, a page served by the test on 127.0.0.1, the
rewrite seed added as if new, and bad input, which must leave the corpus as it was."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import sys
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newsprov.annotate.ingest import MAX_BYTES, Provenance, add
from newsprov.annotate.source_index import corpus_index
from newsprov.build.pipeline import build
from newsprov.cli import main
from newsprov.core.errors import InputError
from newsprov.core.files import read_json
from newsprov.core.layout import DOCUMENTS_DIR, PRE_DIR, REPO
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import CorpusOnDisk, load_corpus, write_document
from newsprov.store.release import parquet_files

sys.path.insert(0, str(REPO / "scripts"))
from synth_corpus import STORY_SIZE, make_one

FIXTURES = REPO / "tests" / "fixtures" / "html"
BRIDGE = FIXTURES / "harbour_bridge.html"
ORIGINAL, REWRITE = "000_6ed1f7236875d9ca", "004_c1cf42bd939e682c"
STORY = Provenance(story_group="harbour-bridge")
ARTICLE = [
    "The Old Harbour bridge reopened to traffic on Friday morning after a two-year repair",
    "The repair cost 41 million euros, four million more than planned,",
    "asked the council to extend the free parking scheme that was introduced during the works.",
]
FURNITURE = ["cookie", "Accept all", "Sport", "Weather", "Subscribe", "Related articles",
             "Ferry timetable", "Divers find deeper scour", "Follow us", "rights reserved",
             "Privacy policy", "By Ana Ribeiro"]


@pytest.fixture
def only_original(repo: Path, tmp_path: Path) -> Path:
    """A scratch repository whose corpus holds only the original seed article."""
    root = tmp_path / "repo"
    shutil.copytree(repo / DOCUMENTS_DIR / ORIGINAL, root / DOCUMENTS_DIR / ORIGINAL)
    corpus_index(root, CorpusOnDisk(root)).close()  # its source index, as after a first add
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture
def server(http_server: Callable[..., str]) -> str:
    """The fixture pages served over HTTP on 127.0.0.1; the base URL."""
    return http_server(SimpleHTTPRequestHandler, directory=str(FIXTURES))


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to the test's own server go straight to 127.0.0.1, never through a proxy."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def test_saved_page_keeps_the_article_and_drops_the_furniture(only_original):
    added = add(only_original, str(BRIDGE), STORY)
    text = added.document.text
    assert all(sentence in text for sentence in ARTICLE)
    assert [word for word in FURNITURE if word.lower() in text.lower()] == []
    assert (added.directory / "raw.html").read_bytes() == BRIDGE.read_bytes()
    metadata = added.document.metadata
    assert (metadata["title"], metadata["publisher"], metadata["url"], metadata["published"],
            metadata["language"]) == (
        "Harbour bridge reopens after two-year repair", "Coastline Gazette",
        "https://gazette.example.org/news/2025/03/harbour-bridge-reopens", "2025-03-14", "en")
    assert metadata["added"] == dt.date.today().isoformat()
    unknown = {entry["field"] for entry in metadata["unknown_fields"]}
    assert unknown == {"collected", "derived_from", "derivation"}  # nothing else is null
    assert not any(c.proposed for c in added.candidates)  # an unrelated story
    assert "trafilatura" in metadata["collection_method"]
    corpus = load_corpus(only_original)
    assert corpus[added.document.id].text == text
    assert list(load_annotation_set(only_original / PRE_DIR, corpus)) == [added.document.id]


def test_re_adding_the_same_page_is_refused(only_original):
    first = add(only_original, str(BRIDGE), STORY)
    before = snapshot(only_original)
    with pytest.raises(InputError, match=f"already in the corpus as {first.document.id}") \
            as refused:
        add(only_original, str(BRIDGE), Provenance(story_group="another"), doc_id="777_x")
    assert (refused.value.file, refused.value.record) == (str(BRIDGE), first.document.id)
    assert refused.value.check == "duplicate-text"
    assert snapshot(only_original) == before


def test_url_served_on_loopback(only_original, server):
    url = f"{server}/harbour_bridge.html"
    result = CliRunner().invoke(main, ["add", url, "--root", str(only_original),
                                       "--story-group", "harbour-bridge"])
    assert result.exit_code == 0, result.output
    [directory] = [d for d in (only_original / DOCUMENTS_DIR).iterdir() if d.name != ORIGINAL]
    metadata = read_json(directory / "metadata.json")
    assert metadata["url"] == url
    assert "gives https://gazette.example.org/news/2025/03/harbour-bridge-reopens as its " \
           "canonical address" in metadata["notes"]
    assert metadata["collected"] == dt.date.today().isoformat()  # the day it was fetched
    assert metadata["collection_method"].startswith(f"fetched from {url}")
    assert (directory / "raw.html").read_bytes() == BRIDGE.read_bytes()
    assert all(sentence in (directory / "text.txt").read_text() for sentence in ARTICLE)
    assert f"added {directory.name}" in result.output


def test_missing_page_and_closed_port_are_unreachable(only_original, server):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    before = snapshot(only_original)
    for url, problem, check in (
            (f"{server}/no_such_page.html", "unreachable", "url-unreachable"),
            (f"http://127.0.0.1:{closed}/page.html", "unreachable", "url-unreachable"),
            (f"{server}/README.md", "not HTML or plain text (Content-Type text/markdown)",
             "url-content-type")):
        result = CliRunner().invoke(main, ["add", url, "--root", str(only_original),
                                           "--story-group", "s"])
        assert result.exit_code == 2
        assert f"error: {url}: {problem}" in result.output
        with pytest.raises(InputError) as refused:
            add(only_original, url, Provenance(story_group="s"))
        assert refused.value.file == url
        assert refused.value.problem.startswith(problem)
        assert refused.value.check == check
    assert snapshot(only_original) == before


def test_a_proposed_source_must_be_confirmed_or_declined(only_original, tmp_path):
    source, _ = make_one(0, 0)  # a synthetic original and its synthetic rewrite
    write_document(only_original, source.metadata, source.text)
    rewrite = tmp_path / "rewrite.txt"
    rewrite.write_text(make_one(0, STORY_SIZE - 1)[0].text, encoding="utf-8")
    corpus_index(only_original, CorpusOnDisk(only_original)).close()  # indexes the source
    before = snapshot(only_original)  # a refused article changes nothing, not even the index
    with pytest.raises(InputError, match=f"{source.id}: proposed source") as refused:
        add(only_original, str(rewrite))
    assert "--derived-from" in str(refused.value)
    assert refused.value.check == "source-candidates"
    assert snapshot(only_original) == before
    added = add(only_original, str(rewrite), Provenance(story_group="s", not_derived=True))
    assert f"Source matching: {source.id}: proposed source" in added.document.metadata["notes"]


def test_rewrite_seed_finds_the_original_and_is_added_as_its_rewrite(only_original, repo,
                                                                     tmp_path):
    seed = tmp_path / "rewrite.txt"
    shutil.copy(repo / DOCUMENTS_DIR / REWRITE / "text.txt", seed)
    added = add(only_original, str(seed),
                Provenance(derived_from=ORIGINAL, derivation="machine_rewrite"))
    assert [c.doc_id for c in added.candidates] == [ORIGINAL]
    assert added.candidates[0].score > 0
    metadata = added.document.metadata
    original = load_corpus(only_original)[ORIGINAL].metadata
    assert (metadata["derived_from"], metadata["derivation"], metadata["story_group"]) == \
        (ORIGINAL, "machine_rewrite", original["story_group"])
    assert metadata["sha256"] == read_json(repo / DOCUMENTS_DIR / REWRITE /
                                           "metadata.json")["sha256"]
    assert (added.directory / "raw.txt").read_bytes() == seed.read_bytes()
    assert "America,officials" in [flag["text"] for flag in added.flags]
    assert {f["provenance"]["method"] for f in added.flags} == {"rule_based"}


def _write(name: str, content: bytes):
    def make(tmp_path: Path, root: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path
    return make


def _too_large(tmp_path: Path, root: Path) -> Path:
    path = tmp_path / "huge.txt"
    with path.open("wb") as file:
        file.truncate(MAX_BYTES + 1)
    return path


def _pre_annotations_of(doc_id: str):
    def make(tmp_path: Path, root: Path) -> Path:
        (root / PRE_DIR).mkdir(parents=True)
        (root / PRE_DIR / f"{doc_id}.json").write_text("{}\n")
        return BRIDGE
    return make


def _bridge(tmp_path: Path, root: Path) -> Path:
    return BRIDGE


# case -> (the input, options of add, problem, check, where the error points if not the input)
BAD_INPUT = {
    "not_html": (_write("page.html", b"Just some words, no markup at all.\n"), {}, "not HTML",
                 "not-html", None),
    "empty_extraction": (lambda *_: FIXTURES / "script_only.html", {}, "no article text",
                         "nothing-extracted", None),
    "binary_file": (_write("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10"), {},
                    "binary file", "binary-input", None),
    "unknown_encoding": (_write("cafe.txt", "Café talks in Hanoi.\n".encode("latin-1")), {},
                         "unknown encoding", "unknown-encoding", None),
    "undefined_charset": (_write("odd.html", b'<html><head><meta charset="x-no-such">'
                                             b"</head><body><p>Text</p></body></html>"),
                          {}, "unknown encoding 'x-no-such'", "unknown-encoding", None),
    "empty_text": (_write("empty.txt", b" \n\n"), {}, "holds no text", "no-text", None),
    "missing_file": (lambda tmp_path, _: tmp_path / "nowhere.html", {}, "no such file",
                     "input-not-found", None),
    "too_large": (_too_large, {}, f"larger than {MAX_BYTES} bytes", "input-too-large", None),
    "existing_id": (_bridge, {"doc_id": ORIGINAL}, "document id already exists", "document-id",
                    DOCUMENTS_DIR / ORIGINAL),
    "invalid_id": (_bridge, {"doc_id": "-bad id"}, "document id is not a valid id",
                   "document-id", DOCUMENTS_DIR / "-bad id"),
    "no_story_group": (_bridge, {"given": Provenance()}, "--story-group", "story-group-needed",
                       None),
    "derived_and_not_derived": (
        _bridge, {"given": Provenance(derived_from=ORIGINAL, derivation="machine_rewrite",
                                      not_derived=True)},
        "--derived-from and --not-derived contradict", "derivation-options-contradict", None),
    "derived_from_without_derivation": (
        _bridge, {"given": Provenance(derived_from=ORIGINAL)},
        "--derived-from and --derivation go together", "derivation-options-pair", None),
    "derivation_without_derived_from": (
        _bridge, {"given": Provenance(story_group="s", derivation="machine_rewrite")},
        "--derived-from and --derivation go together", "derivation-options-pair", None),
    "derived_from_unknown": (
        _bridge, {"given": Provenance(derived_from="999_nowhere", derivation="machine_rewrite")},
        "--derived-from '999_nowhere' is not in the corpus", "derived-from-unknown", None),
    # py3langid answers `yue` (no ISO 639-1 code) for written Cantonese
    "cantonese": (_write("yue.txt", "佢哋今日去咗街市買嘢食。我哋唔知佢幾時返嚟。"
                                    "呢個係好重要嘅事。\n".encode()), {},
                  "detected language 'yue' is not ISO 639-1", "language-not-iso639-1", None),
    # issue 19, item 3: page furniture was stored as a 5- to 250-character "article"
    "furniture_only": (lambda *_: FIXTURES / "furniture_only.html", {},
                       r"does not look like an article body: only 34 words \(an article has "
                       r"at least 50\); 0% of its words are in lines that end like a sentence"
                       r".*add it with --accept-any-text", "not-an-article", None),
    "a_few_words": (_write("note.txt", b"Bridge reopened today.\n"), {},
                    "only 3 words", "not-an-article", None),
    "headlines_only": (_write("links.txt", "\n".join(
        f"Harbour news item {n} about the bridge, the ferry and the new quay" for n in range(8)
    ).encode()), {}, r"^[^;]*0% of its words are in lines that end like a sentence",
                       "not-an-article", None),
    "pre_annotations_exist": (_pre_annotations_of("777_x"), {"doc_id": "777_x"},
                              "pre-annotations for this id already exist",
                              "pre-annotations-exist", PRE_DIR / "777_x.json"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_and_changes_nothing(case, only_original, tmp_path):
    make, options, problem, check, where = BAD_INPUT[case]
    source = make(tmp_path, only_original)
    before = snapshot(only_original)
    with pytest.raises(InputError, match=problem) as refused:
        add(only_original, str(source), **{"given": STORY, **options})
    expected = str(only_original / where) if where else str(source)
    assert refused.value.file == expected
    assert refused.value.check == check
    assert snapshot(only_original) == before


def test_build_includes_the_added_document(scratch_repo, tmp_path):
    added = add(scratch_repo, str(BRIDGE), STORY)
    result = CliRunner().invoke(main, ["check", "--root", str(scratch_repo), str(PRE_DIR)])
    assert result.exit_code == 0, result.output
    manifest = build(scratch_repo, tmp_path / "export")     # the expectation suites pass
    documents = pq.read_table(parquet_files(tmp_path / "export", "documents"))
    assert added.document.id in documents["doc_id"].to_pylist()
    assert sum(manifest["tables"]["documents"].values()) == len(load_corpus(scratch_repo))


def test_furniture_is_added_only_when_asked_and_says_so(only_original):
    """The override of the article check, named in the refusal, works and is recorded."""
    page = FIXTURES / "furniture_only.html"
    runner = CliRunner()
    argv = ["add", str(page), "--root", str(only_original), "--story-group", "harbour"]
    refused = runner.invoke(main, argv)
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1 and "--accept-any-text" in refused.stderr
    accepted = runner.invoke(main, [*argv, "--accept-any-text"])
    assert accepted.exit_code == 0, accepted.output
    [added] = [d for d in load_corpus(only_original).values() if d.id != ORIGINAL]
    assert added.text.startswith("Home\nNews\nSport")
    assert "Added with --accept-any-text although only 34 words" in added.metadata["notes"]
