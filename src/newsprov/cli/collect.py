"""``newsprov collect``: crawled pages -> sharded collections, on the build's engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from newsprov.cli.options import EXECUTION_OPTIONS, execution_of
from newsprov.collect.fetch import PoliteFetcher
from newsprov.collect.pipeline import PAGES_PER_TASK, CollectStats, collect
from newsprov.core.layout import COLLECT_SOURCE_INDEX

INPUT = click.Path(path_type=Path, exists=True)


def describe(name: str, out: Path, stats: CollectStats) -> str:
    skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(stats.skipped.items()))
    return (f"{name}: {stats.records} records, {stats.accepted} accepted into {out}, "
            f"{sum(stats.skipped.values())} skipped" + (f" ({skipped})" if skipped else ""))


@click.command("collect")
@click.argument("inputs", nargs=-1, type=INPUT)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="The collection to write (a new folder); with --sources/--candidates, "
                   "the folder of the two collections.")
@click.option("--sources", multiple=True, type=INPUT,
              help="A crawl of news sites (the originals): collected into <out>/sources.")
@click.option("--candidates", multiple=True, type=INPUT,
              help="A crawl of content-farm sites (candidate rewrites): collected into "
                   "<out>/candidates.")
@click.option("--source-index", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, help="Find the sources of the collected documents in this index "
              "of originals (default with --candidates: the index of <out>/sources).")
@click.option("--pages-per-task", type=click.IntRange(min=1), default=PAGES_PER_TASK,
              show_default=True, help="Saved pages of a folder per task.")
@click.option("--fetch-concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="Requests at a time, per .urls file.")
@click.option("--fetch-interval", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between two requests to one host (or its Crawl-delay).")
@click.option("--fetch-retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Retries of a timeout, refused connection, 429 or 5xx, with back-off "
                   "from 1 s, doubled at each.")
@EXECUTION_OPTIONS
def collect_command(inputs: tuple[Path, ...], out: Path, sources: tuple[Path, ...],
                    candidates: tuple[Path, ...], source_index: Path | None,
                    pages_per_task: int, fetch_concurrency: int,
                    fetch_interval: float, fetch_retries: int, **execution: Any) -> None:
    """Collect WARC/WARC.gz files, folders of saved .html/.txt pages, JSON Lines of
    {url, html or text, fetched} records and .urls files (one URL a line, fetched politely:
    robots.txt, rate limits, retries) into the sharded collection layout."""
    fetch = PoliteFetcher(fetch_concurrency, fetch_interval, fetch_retries)
    runs = [(name, list(paths), out / name)
            for name, paths in (("sources", sources), ("candidates", candidates)) if paths]
    if inputs:
        if runs:
            raise click.UsageError("give inputs either as arguments or with "
                                   "--sources/--candidates, not both")
        runs = [("collection", list(inputs), out)]
    if not runs:
        raise click.UsageError("give the inputs to collect")
    for name, paths, target in runs:
        index = source_index
        if name == "candidates" and index is None \
                and (out / "sources" / COLLECT_SOURCE_INDEX).is_file():
            index = out / "sources" / COLLECT_SOURCE_INDEX
        stats = collect(paths, target, name, execution_of(**execution), fetch=fetch,
                        pages_per_task=pages_per_task, source_index=index,
                        index_sources=name == "sources")
        if stats is None:
            click.echo(f"{name}: submitted to Slurm; when the jobs are done, run the same "
                       "command with --resume (and without --executor slurm)")
            continue
        click.echo(describe(name, target, stats))
