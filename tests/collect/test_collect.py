"""``newsprov collect`` end to end with 2 local workers on crawls the tests write themselves
(warcio writes the WARC files): every bad case skipped with its counted reason and a
sample, accepted + skipped = records read, the accepted documents whole in the sharded
layout with their provenance, and a run killed before its end resumed."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import random
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import kill_midrun

from newsprov.build.execution import Execution
from newsprov.cli import main
from newsprov.collect.pipeline import collect
from newsprov.collect.queue import ranked_pairs
from newsprov.core.errors import InputError
from newsprov.core.layout import (
    COLLECT_PROPOSALS,
    COLLECT_SKIPPED,
    COLLECT_SOURCE_INDEX,
    COLLECT_STATS,
    REPO,
)
from newsprov.store.corpus import check_metadata
from newsprov.store.shards import Collection, attribute_record, document_record, read_lines

sys.path.insert(0, str(REPO / "scripts"))
import synth_crawl  # a script, not a package module


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["collect", *args, "--workers", "2"])
    assert result.exit_code == 0, result.output
    return result.output


def documents(collection: Path) -> list[tuple[str, dict, str, dict]]:
    found = []
    for shard in Collection(collection).shards():
        pre = Collection(collection).attribute_shard(shard, "pre")
        for (number, line), (_, attribute) in zip(read_lines(shard), read_lines(pre),
                                                  strict=True):
            doc_id, metadata, text, files = document_record(line, f"{shard}:{number}")
            annotations = attribute_record(attribute, doc_id, f"{pre}:{number}")
            assert annotations["doc_id"] == doc_id
            found.append((doc_id, metadata, text, files))
    return found


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("crawl")
    expected = synth_crawl.write_bad_warc(folder / "bad.warc", 100)
    synth_crawl.write_news_warc(folder / "news.warc.gz", 0, 6)
    pages = folder / "pages"
    pages.mkdir()
    for name, html in synth_crawl.pages(3, first=200):
        (pages / name).write_text(html, encoding="utf-8")
    (pages / "notes.txt").write_text(" ".join(synth_crawl.sentence(random.Random(i))
                                              for i in range(8)), encoding="utf-8")
    (pages / "photo.jpg").write_bytes(b"\xff\xd8\xff" + bytes(100))
    records = folder / "records.jsonl"
    records.write_text(
        json.dumps({"url": "http://farm.example/1", "html": synth_crawl.article_html(300),
                    "fetched": "2026-11-30T10:00:00Z"}) + "\n" + "{not json\n"
        + json.dumps({"url": "http://farm.example/2"}) + "\n", encoding="utf-8")
    (folder / "garbage.warc").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)  # a zip
    expected = {**expected, "accepted": expected["accepted"] + 6 + 4 + 1,
                "not-html": expected["not-html"] + 1, "invalid-record": 2, "not-a-warc": 1}
    out = folder / "out"
    run(str(folder / "bad.warc"), str(folder / "news.warc.gz"), str(pages), str(records),
        str(folder / "garbage.warc"), "--out", str(out), "--pages-per-task", "2")
    return out, expected


def test_counts_add_up_with_every_reason(crawl: tuple[Path, dict[str, int]]) -> None:
    out, expected = crawl
    stats = json.loads((out / COLLECT_STATS).read_text())
    skipped = {reason: n for reason, n in expected.items() if reason != "accepted"}
    assert stats["skipped"] == skipped
    assert stats["accepted"] == expected["accepted"] == len(documents(out))
    assert stats["records"] == stats["accepted"] + stats["skipped_total"] == \
        10 + 6 + 5 + 3 + 1


def test_a_sample_of_every_reason_is_kept(crawl: tuple[Path, dict[str, int]]) -> None:
    out, expected = crawl
    for reason in expected.keys() - {"accepted"}:
        samples = [json.loads(line) for path in (out / COLLECT_SKIPPED / reason).glob("*")
                   for line in path.read_text().splitlines()]
        assert samples and all(s["reason"] == reason for s in samples), reason
    huge = (out / COLLECT_SKIPPED / "too-large").glob("*")
    assert [json.loads(p.read_text())["url"] for p in huge] == ["http://news.example/huge"]


def test_accepted_documents_keep_text_raw_input_and_provenance(
        crawl: tuple[Path, dict[str, int]]) -> None:
    out, _ = crawl
    found = documents(out)
    assert len({doc_id for doc_id, *_ in found}) == len(found)
    by_url = {metadata["url"]: (metadata, text, files) for _, metadata, text, files in found}
    metadata, text, files = by_url["http://news.example/3"]
    assert text.startswith("Report 3: the ") and "Copyright News Ltd" not in text
    assert files["raw.html"] == synth_crawl.article_html(3).encode()
    steps = json.loads(files["provenance.json"])["steps"]
    assert [s["tool"] for s in steps][:1] == ["warcio"]
    assert {"trafilatura", "py3langid", "datasketch"} <= {s["tool"] for s in steps}
    assert all(s["version"] for s in steps)
    check_metadata(metadata, "collected", dt.date.today())
    assert metadata["collected"] is not None and metadata["derived_from"] is None
    reasons = {u["field"]: u["reason"] for u in metadata["unknown_fields"]}
    assert {"derived_from", "derivation", "published"} <= reasons.keys()
    saved, = [m for _, m, _, files in found if "raw.txt" in files]
    assert saved["collected"] is None and "collected" in {u["field"] for u in
                                                           saved["unknown_fields"]}
    assert by_url["http://farm.example/1"][0]["collected"] == "2026-11-30"


def read_all(collection: Path) -> list[bytes]:
    return [gzip.decompress(p.read_bytes()) for p in sorted(collection.rglob("*.jsonl.gz"))]


def test_a_killed_run_resumes(tmp_path: Path) -> None:
    """A run killed (SIGKILL, its process group) once some tasks finished resumes with
    --resume, skipping them, to the collection of an uninterrupted run."""
    inputs = []
    for number in range(4):
        inputs.append(str(tmp_path / f"{number}.warc"))
        synth_crawl.write_news_warc(tmp_path / f"{number}.warc", number * 3, 3)
    whole = tmp_path / "whole"
    run(*inputs, "--out", str(whole))
    out = tmp_path / "out"
    markers = out.parent / f".{out.name}.collect-work" / "logs" / "1" / "completions"
    kill_midrun([str(Path(sys.executable).parent / "newsprov"), "collect", *inputs,
                 "--out", str(out), "--workers", "1"],
                lambda: markers.is_dir() and any(markers.iterdir()))
    assert not out.exists()
    finished = len(list(markers.iterdir()))
    assert 1 <= finished < 4
    output = run(*inputs, "--out", str(out), "--resume")
    assert "12 records, 12 accepted" in output
    assert read_all(out) == read_all(whole)


def test_sources_and_candidates(tmp_path: Path) -> None:
    """Originals and candidate rewrites as separate collections: the originals get the
    source finder's index; each rewrite its proposed source first, with claim candidates
    that cite it as pre-annotations, and the proposal in its metadata."""
    synth_crawl.write_news_warc(tmp_path / "news.warc", 0, 8)
    synth_crawl.write_pages_warc(tmp_path / "farm.warc", [
        (f"http://farm.example/{n}", synth_crawl.rewrite_html(n)) for n in (2, 5)])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["collect", "--sources", str(tmp_path / "news.warc"),
                                       "--candidates", str(tmp_path / "farm.warc"),
                                       "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert (out / "sources" / COLLECT_SOURCE_INDEX).is_file()
    sources = {m["url"]: doc_id for doc_id, m, _, _ in documents(out / "sources")}
    assert len(sources) == 8
    rewrites = documents(out / "candidates")
    assert len(rewrites) == 2
    for shard in Collection(out / "candidates").shards():
        pre_shard = Collection(out / "candidates").attribute_shard(shard, "pre")
        for (_, line), (_, attribute) in zip(read_lines(shard), read_lines(pre_shard),
                                             strict=True):
            number = line["metadata"]["url"].rsplit("/", 1)[1]
            source_id = sources[f"http://news.example/{number}"]
            proposals = json.loads(base64.b64decode(line["files"][COLLECT_PROPOSALS]))
            assert proposals[0]["doc_id"] == source_id and proposals[0]["proposed"]
            claims = attribute["annotations"]["claims"]
            assert claims and {c["source_doc_id"] for c in claims} == {source_id}
            assert {c["support"] for c in claims} == {"supported", "unsupported"}
            reason = {u["field"]: u["reason"] for u in line["metadata"]["unknown_fields"]}
            assert source_id in reason["derived_from"]


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as caught:
        collect([tmp_path / "empty"], tmp_path / "out", "collection", Execution(workers=1))
    assert caught.value.check == "no-input-records"
    assert not (tmp_path / "out").exists()


def test_queue_needs_source_proposals(crawl: tuple[Path, dict[str, int]]) -> None:
    out, _ = crawl
    with pytest.raises(InputError) as caught:
        ranked_pairs(out, 5)
    assert caught.value.check == "no-source-proposals"
