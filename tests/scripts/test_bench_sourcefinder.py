"""The source-finder benchmark and its rewrite transformation, end to end on a small pool
(no timing asserted), and its table in docs/scale.md generated from the results file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from newsprov.annotate.source_index import SCHEMA_VERSION
from newsprov.core.files import replace_section
from newsprov.core.layout import REPO

SCRIPTS = REPO / "scripts"
sys.path.insert(0, str(SCRIPTS))
from bench_sourcefinder import SECTION, doc_table  # noqa: E402  (scripts, not package modules)
from synth_corpus import original  # noqa: E402
from transform_rewrite import transform  # noqa: E402

RESULTS = SCRIPTS / "bench_sourcefinder.results.json"
SCALE_DOC = REPO / "docs" / "scale.md"


def test_the_table_is_generated_from_the_results_file():
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    text = SCALE_DOC.read_text(encoding="utf-8")
    assert replace_section(text, SECTION, doc_table(results)) == text, \
        "stale: python scripts/bench_sourcefinder.py --results ... --doc docs/scale.md"
    run = results["runs"]["10000"]
    assert run["seed_pair"]["rank_of_original"] == 1


def test_the_transformation_rewrites_like_the_seed_and_is_reproducible():
    source = original(0, 0)[0].text
    rewrite = transform(source, 7)
    assert rewrite == transform(source, 7) != transform(source, 8)
    lines = rewrite.splitlines()
    assert lines[-2] == "In Conclusion"
    assert "held talks with" in source and "held talks with" not in rewrite  # paraphrased
    assert any("|" in line for seed in range(5) for line in transform(source, seed).splitlines())


def small_run(tmp_path: Path, *options: str) -> dict:
    results = tmp_path / "results.json"
    shutil.copy(RESULTS, results)
    subprocess.run([sys.executable, str(SCRIPTS / "bench_sourcefinder.py"), "--pool", "400",
                    "--queries", "4", "--workdir", str(tmp_path / "work"), "--results",
                    str(results), *options], check=True, capture_output=True)
    return json.loads(results.read_text(encoding="utf-8"))["runs"]["400"]


def test_a_small_run_scores_every_kind_of_query(tmp_path: Path):
    run = small_run(tmp_path)
    assert run["kinds"]["synthetic"]["queries"] == run["kinds"]["transformed"]["queries"] == 4
    assert run["kinds"]["synthetic"]["recall@10"] == 1.0
    assert run["seed_pair"]["rank_of_original"] == 1
    assert not list((tmp_path / "work").iterdir())


def test_a_kept_index_is_reused_as_it_was_built(tmp_path: Path):
    first = small_run(tmp_path, "--keep-index")
    kept = sorted(path.name for path in (tmp_path / "work").iterdir())
    assert [name for name in kept if name.endswith(".sqlite")] == [
        f"pool-0-400-v{SCHEMA_VERSION}.sqlite"]
    second = small_run(tmp_path, "--keep-index")  # the seed original added and removed again
    assert second["index_seconds"] == first["index_seconds"]
    assert (second["kinds"], second["seed_pair"]) == (first["kinds"], first["seed_pair"])
