"""``newsprov view`` in a real Chromium, from file://: claims with their labels, evidence and
entity highlighting, a hostile document shown as text at the right offsets, no network."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from playwright.sync_api import BrowserContext, Page, Route, sync_playwright

from newsprov.build.pipeline import build
from newsprov.cli import main
from newsprov.cli.view import view_command
from newsprov.core.errors import InputError
from newsprov.core.layout import DATA_DIR, DOCUMENTS_DIR, GOLD_DIR, REPO, REPORTS_DIR, SPLIT_PLAN
from newsprov.store.annotations import write_annotation_file
from newsprov.store.corpus import text_sha256
from newsprov.view.compare import only_in
from newsprov.view.documents import read_annotation_dir, read_export
from newsprov.view.layers import claim_label

SOURCE, DERIVED = "000_6ed1f7236875d9ca", "004_c1cf42bd939e682c"
# The flags keep Chromium from calling home (updates, sync, field trials) during the tests.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
SCREENSHOTS = REPO / REPORTS_DIR / "screenshots"  # not committed: for review


def chromium_executable() -> str:
    found = os.environ.get("NEWSPROV_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("no chromium on PATH: run `bash scripts/setup.sh` (it installs the "
                    "chromium package) or set NEWSPROV_CHROMIUM")
    return found


class Browser:
    """One browser for the session; ``requests`` holds every URL any page asked for."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.requests: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route: Route) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    def open(self, path: Path, width: int = 1600, height: int = 1000
             ) -> tuple[Page, list[str]]:
        """A new page showing ``path``, and the script errors and dialogs it raises."""
        page = self.context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
        page.goto(path.as_uri())
        return page, errors


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield Browser(context)
        finally:
            context.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=False)


def view(*argv: str) -> None:
    result = CliRunner().invoke(main, ["view", *argv])
    assert result.exit_code == 0, result.output


def export_rows(data_dir: Path) -> dict[str, dict[str, Any]]:
    return {row["doc_id"]: row for row in pq.read_table(data_dir / "documents").to_pylist()}


@pytest.fixture(scope="module")
def site(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    view("--data", str(repo / DATA_DIR), "--out", str(out),
         "--annotations", str(repo / "annotations/passes/pass_a"),
         "--annotations", str(repo / "annotations/passes/pass_b"))
    gold_out = out.with_name("gold")
    view("--data", str(repo / DATA_DIR), "--out", str(gold_out))
    return gold_out


def ranges(page: Page, selector: str) -> list[tuple[int, int]]:
    """The code-point ranges of the segments matching ``selector``, adjacent ones merged."""
    segments = page.eval_on_selector_all(
        selector, "els => els.map(e => [Number(e.dataset.o), e.textContent])")
    merged: list[list[int]] = []
    for offset, text in segments:
        end = offset + len(text)  # Python counts code points, as the offsets do
        if merged and merged[-1][1] == offset:
            merged[-1][1] = end
        else:
            merged.append([offset, end])
    return [(start, end) for start, end in merged]


def union(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def shown_text(page: Page, pane: str) -> list[tuple[int, str]]:
    return page.eval_on_selector_all(
        f"#{pane} .text .s", "els => els.map(e => [Number(e.dataset.o), e.textContent])")


def test_every_claim_of_the_seed_rewrite_is_shown_with_its_label(
        site: Path, repo: Path, browser: Browser) -> None:
    claims = export_rows(repo / DATA_DIR)[DERIVED]["claims"]
    page, errors = browser.open(site / f"pair-{DERIVED}.html")
    screenshot(page, "pair-seed-rewrite")
    shown = page.eval_on_selector_all("#derived .badge", """els => els.map(el => [el.dataset.k,
        getComputedStyle(el, '::before').content, el.getAttribute('aria-label'),
        el.checkVisibility()])""")
    badges = {key: (content, name, visible) for key, content, name, visible in shown}
    segments = page.eval_on_selector_all(
        "#derived .s[data-k]", "els => els.map(e => [e.dataset.k.split(' '), Number(e.dataset.o), "
                               "e.textContent])")
    for claim in claims:
        content, name, visible = badges[f"c:{claim['id']}"]
        assert visible
        assert content == json.dumps(claim_label(claim), ensure_ascii=False)
        assert claim["support"] in name
        covered = [(o, o + len(t)) for keys, o, t in segments if f"c:{claim['id']}" in keys]
        assert union(covered) == [(claim["start"], claim["end"])]
    assert page.locator("#derived .badge").count() == len(claims)
    assert errors == []


def test_selecting_a_claim_highlights_exactly_its_evidence_spans(
        site: Path, repo: Path, browser: Browser) -> None:
    claims = export_rows(repo / DATA_DIR)[DERIVED]["claims"]
    with_evidence = [claim for claim in claims if claim["evidence"]]
    without = next(claim for claim in claims if not claim["evidence"])
    assert len(with_evidence) >= 5
    page, errors = browser.open(site / f"pair-{DERIVED}.html")
    for claim in [*with_evidence, without]:
        page.locator(f'#derived .badge[data-k="c:{claim["id"]}"]').click()
        evidence = union((span["start"], span["end"]) for span in claim["evidence"])
        assert ranges(page, "#source .s.sel") == evidence
        assert ranges(page, "#derived .s.sel") == [(claim["start"], claim["end"])]
        if evidence:  # scrolled into view in the source pane
            first = page.locator("#source .s.sel").first
            pane, box = page.locator("#source").bounding_box(), first.bounding_box()
            assert pane["y"] <= box["y"] <= pane["y"] + pane["height"]
        assert claim["id"] in page.locator("#details").inner_text()
    screenshot(page, "pair-claim-selected")
    assert errors == []


def test_selecting_an_entity_highlights_its_mentions_in_both_documents(
        site: Path, repo: Path, browser: Browser) -> None:
    rows = export_rows(repo / DATA_DIR)
    entity = "ent:vietnam"
    expected = {doc_id: union((m["start"], m["end"]) for m in rows[doc_id]["mentions"]
                              if m["entity_id"] == entity) for doc_id in (SOURCE, DERIVED)}
    assert expected[SOURCE] and expected[DERIVED]
    page, errors = browser.open(site / f"pair-{DERIVED}.html")
    page.locator(f'#derived .tag[data-k="e:{entity}"]').first.click()
    assert ranges(page, "#derived .s.sel") == expected[DERIVED]
    assert ranges(page, "#source .s.sel") == expected[SOURCE]
    # a click on the text of a mention inside a claim selects the mention, not the claim
    page.locator("#derived .s.sel").nth(1).click()
    assert ranges(page, "#source .s.sel") == expected[SOURCE]
    screenshot(page, "pair-entity-selected")
    assert errors == []


def test_events_and_span_flags_link_and_describe(site: Path, repo: Path,
                                                 browser: Browser) -> None:
    rows = export_rows(repo / DATA_DIR)
    source_events = {event["id"]: event for event in rows[SOURCE]["events"]}
    event = next(e for e in rows[DERIVED]["events"] if e["source_event_id"])
    restated = source_events[event["source_event_id"]]["trigger"]
    page, errors = browser.open(site / f"pair-{DERIVED}.html")
    page.locator(f'#derived .tag[data-k="v:{event["source_event_id"]}"]').first.click()
    assert (restated["start"], restated["end"]) in ranges(page, "#source .s.sel")
    assert (event["trigger"]["start"], event["trigger"]["end"]) in ranges(
        page, "#derived .s.sel")
    assert event["modality"] in page.locator("#details").inner_text()
    flag = next(f for f in rows[DERIVED]["span_flags"] if f["note"])
    tag = page.locator(f'#derived .tag[data-k="f:{flag["id"]}"]')
    assert tag.evaluate("el => getComputedStyle(el, '::before').content") == f'"{flag["label"]}"'
    tag.click()
    assert ranges(page, "#derived .s.sel") == [(flag["start"], flag["end"])]
    details = page.locator("#details").inner_text()
    assert flag["label"] in details and flag["note"] in details
    assert errors == []


def test_the_source_scrolls_with_the_rewrite(site: Path, repo: Path, browser: Browser) -> None:
    """Scrolled together by alignment: the evidence of the first claim in view of the
    rewrite (of those with evidence) comes to the same height in the source."""
    claims = export_rows(repo / DATA_DIR)[DERIVED]["claims"]
    with_evidence = [c for c in claims if c["evidence"]]
    page, errors = browser.open(site / f"pair-{DERIVED}.html")
    page.evaluate("""key => {
        const pane = document.querySelector('#derived');
        const badge = pane.querySelector(`.badge[data-k="${key}"]`);
        pane.scrollTop += badge.getBoundingClientRect().top - pane.getBoundingClientRect().top
            - 40;
    }""", f'c:{with_evidence[len(with_evidence) // 2]["id"]}')
    page.wait_for_timeout(200)
    heights = page.evaluate("""() => {
        const top = document.querySelector('#derived').getBoundingClientRect().top;
        for (const badge of document.querySelectorAll('#derived .badge')) {
            const y = badge.getBoundingClientRect().top;
            const evidence = document.querySelector(
                `#source .s[data-k~="${badge.dataset.k}"]`);
            if (y >= top && evidence) return [y, evidence.getBoundingClientRect().top];
        }
    }""")
    assert page.evaluate("document.querySelector('#source').scrollTop") > 0
    assert abs(heights[0] - heights[1]) < 5
    assert errors == []


def test_keyboard_layers_and_200_percent_zoom(site: Path, browser: Browser) -> None:
    page, errors = browser.open(site / f"pair-{DERIVED}.html", width=800, height=600)
    page.keyboard.press("j")
    first = page.locator("#derived .badge").first.get_attribute("data-k")
    assert page.evaluate("document.activeElement.dataset.k") == first
    assert page.locator("#derived .badge.sel").count() == 1
    page.keyboard.press("Escape")
    assert page.locator(".sel").count() == 0
    page.locator('input[data-layer="mentions"]').uncheck()
    assert not page.locator("#derived .tag.t-mentions").first.is_visible()
    # 800 CSS pixels is a 1600-pixel window at 200%: one column, nothing cut off sideways
    derived = page.locator("#derived").bounding_box()
    source = page.locator("#source").bounding_box()
    assert source["y"] > derived["y"] and source["x"] == derived["x"]
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    screenshot(page, "pair-200-percent")
    assert errors == []


def test_each_page_loads_with_no_request_leaving_the_machine(
        site: Path, browser: Browser) -> None:
    pages = sorted(site.glob("*.html")) + sorted(site.with_name("site").glob("*.html"))
    assert {path.name for path in pages} >= {"index.html", f"pair-{DERIVED}.html",
                                             f"document-{SOURCE}.html",
                                             f"compare-{DERIVED}.html"}
    before = len(browser.requests)
    for path in pages:
        page, errors = browser.open(path)
        screenshot(page, f"{path.parent.name}-{path.stem}")
        assert errors == [], path
        page.close()
    requested = browser.requests[before:]
    assert {path.as_uri() for path in pages} <= set(requested)  # the log sees every load
    assert [url for url in requested if not url.startswith("file://")] == []


def test_comparison_marks_every_disagreement(repo: Path, site: Path) -> None:
    release = read_export(repo / DATA_DIR)
    a = read_annotation_dir(repo / "annotations/passes/pass_a", release)[DERIVED]
    b = read_annotation_dir(repo / "annotations/passes/pass_b", release)[DERIVED]
    page = (site.with_name("site") / f"compare-{DERIVED}.html").read_text(encoding="utf-8")
    texts = page[page.index('<main id="main"'):]
    differing = [r for side in (only_in(a, b), only_in(b, a)) for kind, records in side.items()
                 if kind != "document_flags" for r in records]
    assert differing  # the passes do disagree on the rewrite
    assert texts.count('data-label="≠ ') == len(differing)


# ------------------------------------------------------------------ a hostile document

HOSTILE_SOURCE = ("Titel </div><script>window.__pwned = 1</script>\n"
                  "שלום עולם 😀 Vietnam 🇻🇳 &amp; &lt;b&gt; said the minister.\n")
HOSTILE_REWRITE = ("😀😀 <img src=x onerror=\"window.__pwned = 2\"> مرحبا "
                   "Vietnam </div><script>alert('x')</script> said so.\n")
PROVENANCE = {"annotator": "test-fixture", "method": "rule_based", "date": "2026-11-23"}


def span(text: str, piece: str) -> dict[str, Any]:
    start = text.index(piece)  # a code-point offset
    return {"start": start, "end": start + len(piece), "text": piece}


def mention(doc_id: str, n: int, text: str, piece: str, type_: str, entity: str) -> dict:
    return {"id": f"{doc_id}:m{n}", **span(text, piece), "type": type_, "entity_id": entity,
            "provenance": PROVENANCE}


def add_hostile_documents(root: Path) -> tuple[str, str]:
    source, rewrite = "900_hostile_source", "901_hostile_rewrite"
    for doc_id, text, derived_from in ((source, HOSTILE_SOURCE, None),
                                       (rewrite, HOSTILE_REWRITE, source)):
        folder = root / DOCUMENTS_DIR / doc_id
        folder.mkdir(parents=True)
        (folder / "text.txt").write_text(text, encoding="utf-8")
        unknown = [] if derived_from else [{"field": "derived_from", "reason": "An original."},
                                           {"field": "derivation", "reason": "An original."}]
        (folder / "metadata.json").write_text(json.dumps({
            "id": doc_id, "title": "<script>window.__pwned = 3</script></td>",
            "publisher": "Example & <b>Co</b>", "url": "https://example.org/x",
            "published": "2026-11-01", "language": "en", "collection_method": "Test.",
            "collected": "2026-11-02", "added": "2026-11-23", "rights": "Test.",
            "sha256": text_sha256(text), "story_group": "hostile-story",
            "derived_from": derived_from,
            "derivation": "machine_rewrite" if derived_from else None,
            "unknown_fields": unknown, "notes": "A hostile test document."}),
            encoding="utf-8")
    plan = json.loads((root / SPLIT_PLAN).read_text())
    plan["stories"]["hostile-story"] = "test"
    (root / SPLIT_PLAN).write_text(json.dumps(plan))
    empty = {"authorship": None, "mentions": [], "events": [], "document_flags": [],
             "span_flags": [], "claims": []}
    write_annotation_file(root / GOLD_DIR / f"{source}.json", {
        "doc_id": source, "text_sha256": text_sha256(HOSTILE_SOURCE), **empty,
        "mentions": [mention(source, 1, HOSTILE_SOURCE, "שלום", "GPE", "ent:shalom"),
                     mention(source, 2, HOSTILE_SOURCE, "Vietnam", "GPE", "ent:hostile-vn"),
                     mention(source, 3, HOSTILE_SOURCE, "Vietnam 🇻🇳", "LOC", "ent:flagged")]})
    write_annotation_file(root / GOLD_DIR / f"{rewrite}.json", {
        "doc_id": rewrite, "text_sha256": text_sha256(HOSTILE_REWRITE), **empty,
        "mentions": [mention(rewrite, 1, HOSTILE_REWRITE, "Vietnam", "GPE", "ent:hostile-vn"),
                     mention(rewrite, 2, HOSTILE_REWRITE, "مرحبا", "PERSON", "ent:marhaba")],
        "claims": [{"id": f"{rewrite}:c1", **span(HOSTILE_REWRITE, "Vietnam </div><script>"),
                    "support": "supported", "severity": None, "error_type": None,
                    "source_doc_id": source, "note": "<b>not bold</b>",
                    "evidence": [span(HOSTILE_SOURCE, "😀 Vietnam 🇻🇳 &amp;")],
                    "provenance": PROVENANCE}]})
    return source, rewrite


@pytest.fixture(scope="module")
def hostile_site(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    for name in ("corpus", "annotations"):
        shutil.copytree(repo / name, root / name)
    for name in ("release.json", "CHANGELOG.md"):
        shutil.copy2(repo / name, root / name)
    add_hostile_documents(root)
    build(root, root / DATA_DIR, validate=False)
    view("--data", str(root / DATA_DIR), "--out", str(root / "site"))
    return root


def test_a_hostile_document_renders_as_text_at_the_right_offsets(
        hostile_site: Path, browser: Browser) -> None:
    rows = export_rows(hostile_site / DATA_DIR)
    rewrite, source = rows["901_hostile_rewrite"], rows["900_hostile_source"]
    page, errors = browser.open(hostile_site / "site" / "pair-901_hostile_rewrite.html")
    screenshot(page, "pair-hostile")
    assert errors == []
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script").count() == 1 and page.locator("img").count() == 0
    for pane, row in (("derived", rewrite), ("source", source)):
        segments = shown_text(page, pane)
        assert "".join(text for _, text in segments) == row["text"]
        for offset, text in segments:
            assert row["text"][offset:offset + len(text)] == text
        for record in row["mentions"]:
            assert (record["start"], record["end"]) in ranges(
                page, f'#{pane} .s[data-k~="e:{record["entity_id"]}"]')
    assert "<script>window.__pwned = 3</script></td>" in page.locator(".page-head").inner_text()
    page.locator('#derived .badge[data-k="c:901_hostile_rewrite:c1"]').click()
    evidence = rewrite["claims"][0]["evidence"][0]
    assert ranges(page, "#source .s.sel") == [(evidence["start"], evidence["end"])]
    assert "<b>not bold</b>" in page.locator("#details").inner_text()
    vietnam = (HOSTILE_SOURCE.index("Vietnam"), HOSTILE_SOURCE.index("Vietnam") + 7)
    page.locator('#derived .tag[data-k="e:ent:hostile-vn"]').click()
    assert ranges(page, "#source .s.sel") == [vietnam]
    # a click on a mention inside another selects the inner one
    page.locator('#source .s[data-k~="e:ent:flagged"]').first.click()
    assert ranges(page, "#source .s.sel") == [vietnam]
    # the page's policy runs its own script only, whatever gets into the page
    assert page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.__injected = 1';
        document.body.append(script);
        return window.__injected;
    }""") is None
    index, index_errors = browser.open(hostile_site / "site" / "index.html")
    assert index_errors == [] and index.evaluate("window.__pwned") is None
    assert "Example & <b>Co</b>" in index.inner_text("main")
    screenshot(index, "index-hostile")


# ------------------------------------------------------------------ the command


def test_view_refuses_a_folder_it_did_not_write(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["view", "--data", str(repo / DATA_DIR), "--out", str(out)])
    assert result.exit_code == 1
    assert "not empty and not a site written by `newsprov view`" in result.output
    assert (out / "notes.txt").read_text() == "keep me"


def test_view_without_an_export_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["view", "--data", str(tmp_path), "--out",
                                       str(tmp_path / "site")])
    assert result.exit_code == 2
    assert result.output == f"error: {tmp_path / 'manifest.json'}: no release here: run " \
                            "`newsprov build`\n"


def test_view_compares_at_most_two_annotation_sets(repo: Path, tmp_path: Path) -> None:
    passes = [str(repo / "annotations/passes" / name) for name in ("pass_a", "pass_b", "pass_a")]
    with pytest.raises(InputError) as caught:
        view_command.main(["--data", str(repo / DATA_DIR), "--out", str(tmp_path / "site"),
                           *(arg for path in passes for arg in ("--annotations", path))],
                          standalone_mode=False)
    assert caught.value.check == "view-annotation-dirs"
    assert not (tmp_path / "site").exists()


def test_view_refuses_annotations_of_another_text(repo: Path, tmp_path: Path) -> None:
    """An annotation directory is checked against the export's texts before anything is
    written."""
    annotations = tmp_path / "pass"
    shutil.copytree(repo / "annotations/passes/pass_a", annotations)
    path = annotations / f"{DERIVED}.json"
    path.write_text(path.read_text(encoding="utf-8").replace(
        export_rows(repo / DATA_DIR)[DERIVED]["sha256"], "0" * 64), encoding="utf-8")
    result = CliRunner().invoke(main, ["view", "--data", str(repo / DATA_DIR), "--out",
                                       str(tmp_path / "site"), "--annotations",
                                       str(annotations)])
    assert result.exit_code == 2
    assert result.output == (f"error: {path}: text_sha256 differs from the document's sha256: "
                             "the text was changed after it was annotated\n")
    assert not (tmp_path / "site").exists()
