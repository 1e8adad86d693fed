"""The synthetic corpus generator and the build benchmark, end to end (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsprov.core import schema
from newsprov.core.files import replace_section, section_body
from newsprov.core.layout import GOLD_DIR, REPO
from newsprov.store.annotations import load_annotation_set
from newsprov.store.corpus import load_corpus

SCRIPTS = REPO / "scripts"
sys.path.insert(0, str(SCRIPTS))
from bench_build import PIPELINE_SECTION, README_SECTION, earlier_runs, machine, readme_table  # noqa: E402  (scripts, not package modules)
from synth_corpus import STORY_SIZE, generate  # noqa: E402

SMOKE_DOCUMENTS = 10_000     # the million span rows of the validation figure in quality-checks.md
SCALE_DOC = SCRIPTS.parent / "docs" / "scale.md"
RESULTS = SCRIPTS / "bench_build.results.json"
PIPELINE_RESULTS = SCRIPTS / "bench_pipeline.results.json"


def test_synthetic_corpus_passes_every_check_and_says_it_is_synthetic(tmp_path: Path) -> None:
    documents = 5 * STORY_SIZE
    generate(tmp_path / "corpus", documents, workers=1)
    corpus = load_corpus(tmp_path / "corpus")
    gold = load_annotation_set(tmp_path / "corpus" / GOLD_DIR, corpus)
    assert len(corpus) == len(gold) == documents
    for document in corpus.values():
        assert document.id.startswith("synthetic-")
        assert "Synthetic" in document.metadata["collection_method"]
        assert "SYNTHETIC" in document.metadata["notes"]
    derived = {d.id for d in corpus.values() if d.derived_from is not None}
    assert len(derived) == documents // STORY_SIZE
    assert {data["doc_id"] for data in gold.values() if data["claims"]} <= derived
    for kind in schema.ANNOTATION_KINDS:
        assert sum(len(data[kind]) for data in gold.values()) > 0, kind


def test_generator_refuses_to_write_into_the_repository(repo: Path) -> None:
    with pytest.raises(SystemExit, match="inside the repository"):
        generate(repo / "corpus", 3, workers=1)


@pytest.mark.parametrize(("documents", "span_rows"), [
    (10 * STORY_SIZE, 1),
    pytest.param(SMOKE_DOCUMENTS, 1_000_000, marks=pytest.mark.slow, id="smoke-size")])
def test_benchmark_runs_end_to_end(tmp_path: Path, documents: int, span_rows: int) -> None:
    results = tmp_path / "results.json"
    # A run of another size from an earlier invocation on this machine is kept.
    earlier = {"documents": 7, "variants": {}}
    results.write_text(json.dumps({"machine": machine(), "runs": [earlier]}))
    run = subprocess.run(
        [sys.executable, str(SCRIPTS / "bench_build.py"), "--sizes", str(documents),
         "--workdir", str(tmp_path / "work"), "--results", str(results), "--jobs", "2"],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    kept, size = json.loads(results.read_text())["runs"]
    assert kept == earlier
    variants = size["variants"]
    assert set(variants) == {"build", "validate", "build+validate", "floor", "datasets"}
    assert size["rows"]["documents"] == documents
    assert all(size["rows"][kind] > 0 for kind in schema.ANNOTATION_KINDS)
    assert size["rows_match"], "build, floor and datasets wrote different row counts"
    assert size["floor_equals_build"], "the floor's tables differ from the build's"
    assert variants["validate"]["success"]
    assert variants["validate"]["span_rows"] >= span_rows
    for result in variants.values():
        assert result["seconds"] > 0 and result["peak_rss_mb"] > 0
        assert 0 <= result["kernel_cpu_seconds"] <= result["cpu_seconds"]
        assert result["disk_read_mb"] >= 0
    assert f"| {documents:,} | {size['started']} | build |" in run.stdout
    assert not list((tmp_path / "work").iterdir()), "the benchmark leaves its scratch files"


def test_results_of_another_machine_are_not_mixed_in(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"machine": {**machine(), "cores": 64}, "runs": []}))
    with pytest.raises(SystemExit, match="measured on another machine"):
        earlier_runs(results, [10_000], ("build",))


def test_runs_on_another_kernel_build_of_the_machine_keep_their_platform(tmp_path: Path
                                                                          ) -> None:
    """A virtual machine of the same size boots another kernel build from one session to
    the next; its runs stay, each naming the platform it ran on."""
    results = tmp_path / "results.json"
    earlier = {"documents": 7, "variants": {}}
    results.write_text(json.dumps({"machine": {**machine(), "platform": "Linux-6.18.44-fc-v1"},
                                   "runs": [earlier]}))
    assert earlier_runs(results, [10], ("build",)) == [
        {**earlier, "platform": "Linux-6.18.44-fc-v1"}]


def test_a_run_replaces_only_the_run_it_repeats(tmp_path: Path) -> None:
    """Variants of one size too long to run together are kept side by side, each run with
    its own ratios; running the same variants again replaces the earlier run."""
    results = tmp_path / "results.json"
    build_validate = {"documents": 10, "planned_variants": ["build", "validate"],
                      "variants": {}}
    recorded_before_plans = {"documents": 10, "variants": {"build": {}, "floor": {}}}
    other_size = {"documents": 7, "variants": {}}
    results.write_text(json.dumps({"machine": machine(), "runs": [
        build_validate, recorded_before_plans, other_size]}))
    assert earlier_runs(results, [10], ("validate", "build")) == [
        recorded_before_plans, other_size]
    assert earlier_runs(results, [10], ("build", "floor")) == [build_validate, other_size]
    assert earlier_runs(results, [10], ("build",)) == [
        build_validate, recorded_before_plans, other_size]


def test_readme_table_is_the_table_of_the_results_file() -> None:
    readme = SCALE_DOC.read_text(encoding="utf-8")
    assert section_body(readme, README_SECTION) == readme_table(RESULTS), \
        "the benchmark table of docs/scale.md is stale: run bench_build.py --results ... --readme"
    assert section_body(readme, PIPELINE_SECTION) == readme_table(PIPELINE_RESULTS), \
        "the pipeline's table of docs/scale.md is stale: run bench_build.py --results " \
        "scripts/bench_pipeline.results.json --readme docs/scale.md --section " + PIPELINE_SECTION


def test_readme_option_rewrites_a_stale_table(tmp_path: Path) -> None:
    stale = tmp_path / "scale.md"
    text = SCALE_DOC.read_text(encoding="utf-8")
    stale.write_text(replace_section(text, README_SECTION, "| stale |\n"), encoding="utf-8")
    subprocess.run([sys.executable, str(SCRIPTS / "bench_build.py"), "--results", str(RESULTS),
                    "--readme", str(stale)], check=True)
    assert stale.read_text(encoding="utf-8") == replace_section(
        text, README_SECTION, readme_table(RESULTS))


def test_sharded_variants_write_the_build_s_export(tmp_path: Path) -> None:
    """The sharded layout's variants at a small size: the parallel and sharded builds write
    the bytes of the 1-worker build, the sharded floor its rows (no timing asserted)."""
    results = tmp_path / "results.json"
    variants = ["build", "build-w2", "shards-build", "shards-build-w2", "shards-floor",
                "shards-floor-w2"]
    run = subprocess.run(
        [sys.executable, str(SCRIPTS / "bench_build.py"), "--sizes", "120", "--workdir",
         str(tmp_path / "work"), "--results", str(results), "--variants", *variants],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    [size] = json.loads(results.read_text())["runs"]
    assert set(size["variants"]) == set(variants)
    assert size["rows_match"]
    assert size["shards_floor_equals_build"]
    for variant in ("build-w2", "shards-build", "shards-build-w2"):
        assert size[f"{variant}_equals_build"], variant
    assert not list((tmp_path / "work").iterdir()), "the benchmark leaves its scratch files"


def test_ray_task_profile_times_every_task(tmp_path: Path) -> None:
    """profile_ray_tasks.py on a collection of 4 shards: every task of every step timed on
    both executors, and on Ray the parts of the gap between tasks (no timing asserted)."""
    pytest.importorskip("ray")
    repository, results = tmp_path / "corpus", tmp_path / "profile.json"
    generate(repository, 40, layout="shards", shard_documents=10)
    run = subprocess.run(
        [sys.executable, str(SCRIPTS / "profile_ray_tasks.py"), str(repository),
         "--results", str(results)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    profile = json.loads(results.read_text())
    for executor in ("local", "ray"):
        steps = profile[executor]["steps"]
        assert {step: times["tasks"] for step, times in steps.items()} == \
            {"1": 4, "2": 1, "3": 4, "4": 1}
        assert steps["1"]["gap_seconds"] >= 0 and steps["3"]["task_seconds"] > 0
    assert profile["ray"]["steps"]["3"]["actor_start_to_fork"] > 0
    assert "actor_start_to_fork" not in profile["local"]["steps"]["3"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus", "profile.json"], \
        "the profile leaves its scratch folder"
