"""``newsprov add``, ``detect``, ``agreement`` and ``adjudicate``: growing and annotating the
corpus."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import click

from newsprov.annotate.adjudication import adjudicate_sets
from newsprov.annotate.agreement import pass_agreement
from newsprov.annotate.detectors import detector_of, review_hits
from newsprov.annotate.ingest import DEFAULT_RIGHTS, Provenance, add
from newsprov.cli.options import ROOT_OPTION
from newsprov.core import schema
from newsprov.core.files import markdown_table, write_json
from newsprov.core.layout import (
    ADJUDICATION_REPORT,
    AGREEMENT_FILE,
    AGREEMENT_REPORT,
    GOLD_DIR,
)
from newsprov.publish.datasheet import AGREEMENT_HEADER, agreement_rows

HIT_STATUSES = ("covered", "excepted", "uncovered")


@click.command("add")
@click.argument("source")
@ROOT_OPTION
@click.option("--id", "doc_id", help="Document id (default: next number + text sha256).")
@click.option("--story-group", help="The story the article reports (default: its source's).")
@click.option("--derived-from", help="Confirm the corpus document it was derived from.")
@click.option("--derivation", type=click.Choice(schema.DERIVATION.names),
              help="How it was derived (with --derived-from).")
@click.option("--not-derived", is_flag=True, help="Declare it original despite candidates.")
@click.option("--collected", type=click.DateTime(["%Y-%m-%d"]),
              help="The day a saved file was fetched from the web, if known.")
@click.option("--rights", default=DEFAULT_RIGHTS, help="Rights statement.")
@click.option("--encoding", help="The input's encoding, if it declares none and is not UTF-8.")
@click.option("--accept-any-text", is_flag=True,
              help="Add the text even if it is short or unlike an article body (the notes "
                   "record why it was doubted).")
def add_command(source: str, root: Path, doc_id: str | None, story_group: str | None,
                derived_from: str | None, derivation: str | None, not_derived: bool,
                collected: dt.datetime | None, rights: str, encoding: str | None,
                accept_any_text: bool) -> None:
    """Add the article in SOURCE (a saved HTML page, a text file or an http(s) URL)."""
    given = Provenance(story_group, derived_from, derivation, not_derived,
                       collected.date() if collected else None, rights)
    added = add(root, source, given, doc_id=doc_id, encoding=encoding,
                accept_any_text=accept_any_text)
    for candidate in added.candidates:
        click.echo(f"source matching: {candidate.describe()}")
    click.echo(f"added {added.document.id} ({len(added.document.text)} characters, "
               f"{added.document.metadata['language']}) in {added.directory}; "
               f"{len(added.flags)} rule-based flags in {added.pre_path}")


@click.command("detect")
@click.argument("doc_ids", nargs=-1)
@ROOT_OPTION
@click.option("--write-pre", is_flag=True,
              help="Also write the hits as pre-annotations to annotations/pre/<id>.json.")
def detect_command(doc_ids: tuple[str, ...], root: Path, write_pre: bool) -> None:
    """Run the detectors over DOC_IDS (default: every document) and say of each hit whether a
    gold flag covers it, a reviewed exception excuses it, or it is uncovered."""
    counts: Counter[str] = Counter(dict.fromkeys(HIT_STATUSES, 0))
    for doc_id, status, hit in review_hits(root, doc_ids, write_pre):
        counts[status] += 1
        click.echo(f"{doc_id}\t{status}\t{detector_of(hit).name}\t{hit['label']}\t"
                   f"[{hit['start']}, {hit['end']})\t{hit['text'][:80]!r}")
    click.echo(", ".join(f"{counts[status]} {status}" for status in HIT_STATUSES))


@click.command("agreement")
@click.argument("pass_a", type=click.Path(path_type=Path, file_okay=False))
@click.argument("pass_b", type=click.Path(path_type=Path, file_okay=False))
@ROOT_OPTION
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              default=AGREEMENT_REPORT, show_default=True,
              help=f"The agreement JSON; the committed one is {AGREEMENT_FILE}.")
def agreement_command(pass_a: Path, pass_b: Path, root: Path, out: Path) -> None:
    """Inter-annotator agreement of two annotation passes (directories of annotation files).
    The committed figures change only when asked (--out annotations/agreement.json)."""
    report = pass_agreement(root, pass_a, pass_b)
    write_json(root / out, report)
    click.echo(markdown_table(AGREEMENT_HEADER, agreement_rows(report), 2))
    click.echo(f"wrote {root / out}")


@click.command("adjudicate")
@ROOT_OPTION
@click.argument("pass_dirs", nargs=-1, required=True,
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              default=GOLD_DIR, show_default=True,
              help="Folder of the gold files.")
@click.option("--adjudicator", required=True, help="Name recorded in the gold provenance.")
@click.option("--date", default=lambda: dt.date.today().isoformat(),
              help="Date recorded in the gold provenance (default: today).")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False),
              default=ADJUDICATION_REPORT, show_default=True,
              help="Disputes and pairwise agreement.")
@click.option("--replace", is_flag=True, help="Replace gold files that exist already.")
def adjudicate_command(root: Path, pass_dirs: tuple[Path, ...], out: Path, adjudicator: str,
                       date: str, report: Path, replace: bool) -> None:
    """Merge the annotation sets PASS_DIRS (two or more, in order of preference for free
    text) into gold files; write the disputes and the pairwise agreement to --report."""
    if len(pass_dirs) < 2:
        raise click.UsageError("adjudication needs two or more annotation sets")
    if len({path.name for path in pass_dirs}) < len(pass_dirs):
        raise click.UsageError("annotation sets need distinct folder names")
    result = adjudicate_sets(root, pass_dirs, out, adjudicator, date, report, replace)
    for pair in result.agreement:
        click.echo(f"agreement of {' and '.join(pair['passes'])}:")
        click.echo(markdown_table(AGREEMENT_HEADER, agreement_rows(pair), 2))
    click.echo(f"{len(result.gold)} gold files written to {root / out}; "
               f"{len(result.disputes)} disputes and the agreement in {root / report}"
               + (f"; not adjudicated (fewer than two annotators): "
                  f"{', '.join(result.left_out)}" if result.left_out else ""))
