"""`newsprov add`: pages written by the project, a page served by the test on 127.0.0.1, the
rewrite seed added as if new, and bad input, which must leave the corpus as it was."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from newsprov.annotate.ingest import Provenance, add
from newsprov.build.export import build
from newsprov.cli import main
from newsprov.core.errors import InputError
from newsprov.core.files import read_json
from newsprov.core.layout import DOCUMENTS_DIR, PRE_DIR, REPO
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import load_corpus
from newsprov.store.release import parquet_files

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
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture
def server() -> Iterator[str]:
    """The fixture pages served over HTTP on 127.0.0.1; yields the base URL."""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(Quiet, directory=str(FIXTURES)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


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
    assert added.candidates == []  # an unrelated story: no source proposed
    assert "trafilatura" in metadata["collection_method"]
    corpus = load_corpus(only_original)
    assert corpus[added.document.id].text == text
    assert list(load_annotation_set(only_original / PRE_DIR, corpus)) == [added.document.id]


def test_re_adding_the_same_page_is_refused(only_original):
    first = add(only_original, str(BRIDGE), STORY)
    before = snapshot(only_original)
    with pytest.raises(InputError, match=f"already in the corpus as {first.document.id}"):
        add(only_original, str(BRIDGE), Provenance(story_group="another"), doc_id="777_x")
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
    for url in (f"{server}/no_such_page.html", f"http://127.0.0.1:{closed}/page.html"):
        result = CliRunner().invoke(main, ["add", url, "--root", str(only_original),
                                           "--story-group", "s"])
        assert result.exit_code == 2
        assert f"error: {url}: unreachable" in result.output
    assert snapshot(only_original) == before


def test_rewrite_seed_proposes_the_original_as_its_source(only_original, repo, tmp_path):
    seed = tmp_path / "rewrite.txt"
    shutil.copy(repo / DOCUMENTS_DIR / REWRITE / "text.txt", seed)
    before = snapshot(only_original)
    with pytest.raises(InputError, match=f"{ORIGINAL}: likely source") as refused:
        add(only_original, str(seed))
    assert "--derived-from" in str(refused.value)
    assert snapshot(only_original) == before

    added = add(only_original, str(seed),
                Provenance(derived_from=ORIGINAL, derivation="machine_rewrite"))
    assert [c.doc_id for c in added.candidates] == [ORIGINAL]
    assert 0.1 <= added.candidates[0].similarity < 0.5
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
    def make(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path
    return make


BAD_INPUT = {
    "not_html": (_write("page.html", b"Just some words, no markup at all.\n"), {}, "not HTML"),
    "empty_extraction": (lambda _: FIXTURES / "script_only.html", {}, "no article text"),
    "binary_file": (_write("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10"), {},
                    "binary file"),
    "unknown_encoding": (_write("cafe.txt", "Café talks in Hanoi.\n".encode("latin-1")), {},
                         "unknown encoding"),
    "undefined_charset": (_write("odd.html", b'<html><head><meta charset="x-no-such">'
                                             b"</head><body><p>Text</p></body></html>"),
                          {}, "unknown encoding 'x-no-such'"),
    "empty_text": (_write("empty.txt", b" \n\n"), {}, "holds no text"),
    "missing_file": (lambda tmp_path: tmp_path / "nowhere.html", {}, "no such file"),
    "existing_id": (lambda _: BRIDGE, {"doc_id": ORIGINAL}, "document id already exists"),
    "no_story_group": (lambda _: BRIDGE, {"given": Provenance()}, "--story-group"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_and_changes_nothing(case, only_original, tmp_path):
    make, options, problem = BAD_INPUT[case]
    source = make(tmp_path)
    before = snapshot(only_original)
    with pytest.raises(InputError, match=problem) as refused:
        add(only_original, str(source), **{"given": STORY, **options})
    assert refused.value.file in (str(source), str(only_original / DOCUMENTS_DIR / ORIGINAL))
    assert snapshot(only_original) == before


def test_build_includes_the_added_document(scratch_repo, tmp_path):
    added = add(scratch_repo, str(BRIDGE), STORY)
    result = CliRunner().invoke(main, ["check", "--root", str(scratch_repo), str(PRE_DIR)])
    assert result.exit_code == 0, result.output
    manifest = build(scratch_repo, tmp_path / "export")     # the expectation suites pass
    documents = pq.read_table(parquet_files(tmp_path / "export", "documents"))
    assert added.document.id in documents["doc_id"].to_pylist()
    assert sum(manifest["tables"]["documents"].values()) == len(load_corpus(scratch_repo))
