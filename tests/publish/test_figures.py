"""The figures of the docs: drawn by the build from the export and the results files, with
bytes that depend only on the data, and never stale in the repository."""

from __future__ import annotations

import json
from pathlib import Path

from newsprov.core.files import read_json, write_json
from newsprov.core.layout import AGREEMENT_FILE, DATA_DIR, MANIFEST
from newsprov.publish.docs import update_docs
from newsprov.publish.figures import (
    AGREEMENT_FIGURE,
    CLAIMS_FIGURE,
    LABELS_FIGURE,
    SCALE_FIGURE,
    render_figures,
)

FIGURES = {LABELS_FIGURE, CLAIMS_FIGURE, AGREEMENT_FIGURE, SCALE_FIGURE}


def test_committed_figures_are_what_the_build_draws(repo: Path, fresh_export: Path) -> None:
    """CI fails when a figure is stale."""
    manifest = json.loads((fresh_export / MANIFEST).read_text())
    figures = render_figures(repo, fresh_export, manifest)
    assert set(figures) == FIGURES
    for path, svg in figures.items():
        assert (repo / path).read_text(encoding="utf-8") == svg, \
            f"{path} is stale: run `newsprov build` (or `newsprov docs`) and commit it"


def test_figures_are_drawn_from_their_data(repo: Path, scratch_repo: Path) -> None:
    manifest = read_json(scratch_repo / DATA_DIR / MANIFEST)
    before = render_figures(scratch_repo, scratch_repo / DATA_DIR, manifest)
    assert FIGURES - set(before) == {SCALE_FIGURE}  # no benchmark results in the scratch copy
    labels = before[LABELS_FIGURE]
    for label in ("GPE", "COOPERATE", "generic_filler", "unsupported", "machine"):
        assert f">{label}</text>" in labels
    assert ">FAC</text>" not in labels  # a label without records has no bar
    assert ">004_c1cf42bd939e682c</text>" in before[CLAIMS_FIGURE]
    report = read_json(scratch_repo / AGREEMENT_FILE)
    report["claims"]["error_type"]["kappa"] = 0.5
    write_json(scratch_repo / AGREEMENT_FILE, report)
    after = render_figures(scratch_repo, scratch_repo / DATA_DIR, manifest)
    assert ">0.648</text>" in before[AGREEMENT_FIGURE]
    assert ">0.500</text>" in after[AGREEMENT_FIGURE]
    assert ">0.648</text>" not in after[AGREEMENT_FIGURE]
    assert after[LABELS_FIGURE] == labels  # the same data, the same bytes


def test_the_build_writes_the_figures_into_the_docs(scratch_repo: Path) -> None:
    update_docs(scratch_repo, read_json(scratch_repo / DATA_DIR / MANIFEST))
    for path in FIGURES - {SCALE_FIGURE}:
        assert (scratch_repo / path).read_text(encoding="utf-8").startswith("<?xml")
