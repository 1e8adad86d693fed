"""The figures of the docs, drawn as SVG after a build: label distributions per layer and
split and claim support per derived document (from the export), agreement per layer between
the passes (``annotations/agreement.json``) and the benchmark's throughput and memory against
corpus size (``scripts/bench_build.results.json``).

The bytes depend only on the data: matplotlib's SVG ids are salted with a fixed string, the
file carries no date, and text stays text (``svg.fonttype: none``), so a test can tell a
stale figure from a fresh one by comparing bytes.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import pyarrow.parquet as pq
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from newsprov.core import schema
from newsprov.core.files import read_json
from newsprov.core.layout import AGREEMENT_FILE, BENCHMARK_RESULTS, FIGURES_DIR
from newsprov.publish.datasheet import agreement_rows
from newsprov.publish.statistics import (
    Statistics,
    compute_statistics,
    layer_vocabulary,
    table_files,
)

STYLE = {"svg.hashsalt": "newsprov", "svg.fonttype": "none", "font.size": 9,
         "axes.spines.top": False, "axes.spines.right": False}
# Okabe-Ito colours, each with a hatch, so that no reader depends on telling colours apart.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
HATCHES = ["", "//", "\\\\", "xx", "--", "++", "||"]
SUPPORT_STYLE = {"supported": ("#0072B2", ""), "unsupported": ("#E69F00", "//"),
                 "contradicted": ("#CC79A7", "xx")}

LABELS_FIGURE = FIGURES_DIR / "labels.svg"
AGREEMENT_FIGURE = FIGURES_DIR / "agreement.svg"
CLAIMS_FIGURE = FIGURES_DIR / "claims.svg"
SCALE_FIGURE = FIGURES_DIR / "scale.svg"


def svg(draw: Callable[..., Figure], *data: Any) -> str:
    """The figure ``draw(*data)`` as SVG, drawn and saved in the style above."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        draw(*data).savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _stacked_bars(axes: Axes, names: Sequence[str], series: Mapping[str, Sequence[float]],
                  styles: Mapping[str, tuple[str, str]]) -> None:
    """Horizontal bars, one per name, stacked by series, first name on top."""
    left = [0.0] * len(names)
    positions = range(len(names))
    for series_name, values in series.items():
        colour, hatch = styles[series_name]
        axes.barh(positions, values, left=left, color=colour, hatch=hatch,
                  edgecolor="#1a1a1a", linewidth=0.4, label=series_name)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(list(positions), list(names))
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def labels_figure(stats: Statistics) -> Figure:
    """Records per label of each layer, stacked by split; labels without records left out."""
    splits = stats.splits
    styles = {split: (COLOURS[i], HATCHES[i]) for i, split in enumerate(schema.SPLIT.names)}
    layers = {layer: [label for label in layer_vocabulary(layer).names
                      if any(counts[(label, split)] for split in splits)]
              for layer, counts in stats.labels.items()}
    layers = {layer: labels for layer, labels in layers.items() if labels}
    heights = [max(len(labels), 1) for labels in layers.values()]
    figure = new_figure(7, 0.22 * sum(heights) + 0.6 * len(layers) + 0.5)
    axes_list = figure.subplots(len(layers), 1, gridspec_kw={"height_ratios": heights},
                                squeeze=False)[:, 0]
    for axes, (layer, labels) in zip(axes_list, layers.items(), strict=True):
        counts = stats.labels[layer]
        _stacked_bars(axes, labels, {split: [counts[(label, split)] for label in labels]
                                     for split in splits}, styles)
        axes.set_title(layer, loc="left", fontsize=9, fontweight="bold")
    axes_list[0].legend(title="split", loc="lower right")
    axes_list[-1].set_xlabel("records")
    figure.suptitle(f"Labels per layer and split, version {stats.version}", x=0.02, ha="left")
    return figure


def agreement_figure(report: Mapping[str, Any]) -> Figure:
    """Headline agreement of the two passes per layer: F1 of spans, Cohen's kappa of
    labels."""
    rows = [(f"{layer}: {measure.replace('`', '')}", f1, kappa)
            for layer, measure, _, f1, _, kappa, _ in agreement_rows(report)]
    figure = new_figure(7, 0.2 * len(rows) + 1.2)
    axes = figure.subplots()
    for index, (_, f1, kappa) in enumerate(rows):
        value, is_f1 = (f1, True) if f1 != "" else (kappa, False)
        if value is None:  # undefined (no variation): no bar
            continue
        axes.barh(index, value, color=COLOURS[0] if is_f1 else COLOURS[1],
                  hatch="" if is_f1 else "//", edgecolor="#1a1a1a", linewidth=0.4)
        axes.text(value + 0.01, index, f"{value:.3f}", va="center", fontsize=7)
    axes.set_yticks(range(len(rows)), [name for name, _, _ in rows])
    axes.invert_yaxis()
    axes.set_xlim(0, 1.1)
    axes.set_xlabel("agreement")
    axes.legend(handles=[Patch(facecolor=COLOURS[0], edgecolor="#1a1a1a",
                               label="span F1 (B against A)"),
                         Patch(facecolor=COLOURS[1], hatch="//", edgecolor="#1a1a1a",
                               label="Cohen's kappa")],
                loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False)
    axes.set_title(f"Agreement of passes {' and '.join(report['passes'])}, "
                   f"{len(report['documents'])} documents", loc="left", pad=22)
    return figure


def claim_support(data_dir: Path, manifest: dict) -> dict[str, Counter[str]]:
    """Claims per support label of each derived document."""
    files = table_files(data_dir, manifest, "claims")
    support: dict[str, Counter[str]] = defaultdict(Counter)
    if files:
        for row in pq.read_table(files, columns=["doc_id", "support"]).to_pylist():
            support[row["doc_id"]][row["support"]] += 1
    return dict(sorted(support.items()))


def claims_figure(support: Mapping[str, Counter[str]], version: str) -> Figure:
    documents = list(support)
    figure = new_figure(7, 0.3 * len(documents) + 1.3)
    axes = figure.subplots()
    _stacked_bars(axes, documents, {label: [support[d][label] for d in documents]
                                    for label in schema.CLAIM_SUPPORT.names}, SUPPORT_STYLE)
    axes.set_xlabel("claims")
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, frameon=False)
    axes.set_title(f"Claim support per derived document, version {version}", loc="left",
                   pad=22)
    return figure


def scale_figure(results: Mapping[str, Any]) -> Figure:
    """Throughput and peak memory of each variant against corpus size: a marker per run, a
    line through the mean of each size."""
    points: dict[str, dict[int, list[tuple[float, float]]]] = defaultdict(
        lambda: defaultdict(list))
    for run in results["runs"]:
        for variant, figures in run["variants"].items():
            points[variant][run["documents"]].append(
                (figures["documents_per_second"], figures["peak_rss_mb"]))
    figure = new_figure(7, 3.2)
    throughput, memory = figure.subplots(1, 2)
    for index, (variant, by_size) in enumerate(points.items()):
        sizes = sorted(by_size)
        style = {"color": COLOURS[index % len(COLOURS)], "marker": "osD^v<>"[index % 7]}
        for axes, column in ((throughput, 0), (memory, 1)):
            axes.plot(sizes, [sum(p[column] for p in by_size[s]) / len(by_size[s])
                              for s in sizes], label=variant, linewidth=1, **style)
            axes.plot([s for s in sizes for _ in by_size[s]],
                      [p[column] for s in sizes for p in by_size[s]], linestyle="none",
                      markerfacecolor="none", **style)
    for axes, label in ((throughput, "documents per second"), (memory, "peak RSS (MiB)")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("corpus size (documents)")
        axes.set_ylabel(label)
        axes.grid(True, which="major", linewidth=0.3)
    throughput.legend(fontsize=7)
    figure.suptitle("scripts/bench_build.py: throughput and memory against corpus size",
                    x=0.02, ha="left")
    return figure


def render_figures(root: Path, data_dir: Path, manifest: dict) -> dict[Path, str]:
    """Every figure whose input exists: path -> SVG."""
    figures = {LABELS_FIGURE: svg(labels_figure, compute_statistics(data_dir, manifest)),
               CLAIMS_FIGURE: svg(claims_figure, claim_support(data_dir, manifest),
                                  manifest["dataset_version"])}
    if (root / AGREEMENT_FILE).is_file():
        figures[AGREEMENT_FIGURE] = svg(agreement_figure, read_json(root / AGREEMENT_FILE))
    if (root / BENCHMARK_RESULTS).is_file():
        figures[SCALE_FIGURE] = svg(scale_figure, read_json(root / BENCHMARK_RESULTS))
    return figures
