"""``newsprov ls-config``, ``ls-export``, ``ls-import`` and ``ls-sync``: the Label Studio
round trip."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from newsprov.annotate.labelstudio import config
from newsprov.annotate.labelstudio.sync import (
    DEFAULT_TITLE,
    SyncError,
    connect,
    ensure_project,
    find_project,
    pull,
    push,
)
from newsprov.annotate.labelstudio.tasks import (
    ANNOTATOR_NAME,
    ImportResult,
    build_tasks,
    import_export,
)
from newsprov.cli.options import ROOT_OPTION
from newsprov.core.files import read_json, write_atomic
from newsprov.core.layout import LABELSTUDIO_IMPORT_REPORT, PASSES_DIR

ANNOTATOR_OPTION = click.option(
    "--annotator", "annotators", multiple=True, metavar="ID=NAME",
    help="Name for a Label Studio user id (default: ls-user-<id>); repeatable.")
STRICT_OPTION = click.option("--strict", is_flag=True,
                             help="Write nothing unless every submission can be imported.")
OUT_OPTION = click.option("--out", type=click.Path(path_type=Path, file_okay=False),
                          default=PASSES_DIR, show_default=True,
                          help="Folder of the annotators' sets, relative to --root.")
REPORT_OPTION = click.option("--report", type=click.Path(path_type=Path, dir_okay=False),
                             help=f"Import report (default: <out>/{LABELSTUDIO_IMPORT_REPORT}).")
SERVER_OPTIONS = [
    click.option("--url", envvar="LABEL_STUDIO_URL", required=True, show_envvar=True,
                 help="Label Studio server URL."),
    click.option("--api-key", envvar="LABEL_STUDIO_API_KEY", required=True, show_envvar=True,
                 show_default=False, help="API token (prefer the environment variable)."),
    click.option("--project", "title", default=DEFAULT_TITLE, show_default=True,
                 help="Project title."),
]


def options(*decorators: Callable[..., Any]) -> Callable[..., Any]:
    """Apply ``decorators`` as if stacked in this order above a command."""
    def apply(command: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command
    return apply


server_options = options(*SERVER_OPTIONS)
# What goes into tasks; shared by ls-export and ls-sync push.
task_options = options(
    click.argument("doc_ids", nargs=-1),
    click.option("--annotations", type=click.Path(path_type=Path, file_okay=False),
                 help="Attach this set's files as submitted annotations."),
    click.option("--predictions", multiple=True,
                 type=click.Path(path_type=Path, file_okay=False),
                 help="Attach this set's files as predictions (model version: the folder "
                      "name); repeatable."),
    click.option("--pre-annotate", is_flag=True,
                 help="Attach the rule-based detectors' flags as predictions."),
)
import_options = options(OUT_OPTION, ANNOTATOR_OPTION, STRICT_OPTION, REPORT_OPTION)


def parse_annotator_names(pairs: Iterable[str]) -> dict[int, str]:
    names = {}
    for pair in pairs:
        user_id, _, name = pair.partition("=")
        if not (user_id.isdigit() and ANNOTATOR_NAME.fullmatch(name)):
            raise click.BadParameter(f"{pair!r} is not ID=NAME (a Label Studio user id and a "
                                     "name of letters, digits, '.', '_' or '-')")
        names[int(user_id)] = name
    return names


def report_import(outcome: ImportResult, written: bool, root: Path, out: Path,
                  report: Path | None) -> None:
    """Say what an import did; exit 1 when ``--strict`` kept it from writing anything."""
    counts = outcome.counts
    click.echo(f"{counts['in']} submissions: {counts['imported']} imported, "
               f"{counts['rejected']} rejected; {len(outcome.tasks_without_submissions)} "
               "tasks without submissions")
    for submission in outcome.rejected:
        click.echo(f"rejected: task {submission.task_id}, annotation "
                   f"{submission.annotation_id} ({submission.doc_id}, {submission.annotator}): "
                   + "; ".join(submission.problems), err=True)
    if written:
        click.echo(f"wrote {len(outcome.files)} files under {root / out} and the report "
                   f"{report or out / LABELSTUDIO_IMPORT_REPORT}")
    else:
        click.echo("strict: nothing written", err=True)
        sys.exit(1)


@click.command("ls-config")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the config to this file instead of standard output.")
def config_command(out: Path | None) -> None:
    """Print the Label Studio labeling config generated from the schema."""
    label_config = config.label_config()
    if out is None:
        click.echo(label_config)
    else:
        write_atomic(out, label_config + "\n")


@click.command("ls-export")
@ROOT_OPTION
@task_options
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The task JSON file to write (import it in Label Studio).")
def export_command(root: Path, doc_ids: tuple[str, ...], annotations: Path | None,
                   predictions: tuple[Path, ...], pre_annotate: bool, out: Path) -> None:
    """Write Label Studio tasks for DOC_IDS (default: every document)."""
    tasks = build_tasks(root, doc_ids, annotations, predictions, pre_annotate)
    write_atomic(out, json.dumps(tasks, ensure_ascii=False) + "\n")
    click.echo(f"wrote {len(tasks)} tasks to {out}")


@click.command("ls-import")
@ROOT_OPTION
@click.argument("export_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@import_options
def import_command(root: Path, export_file: Path, out: Path, annotators: tuple[str, ...],
                   strict: bool, report: Path | None) -> None:
    """Import a Label Studio JSON export: one annotation set per annotator under --out."""
    outcome, written = import_export(root, read_json(export_file), export_file, out,
                                     parse_annotator_names(annotators), strict, report)
    report_import(outcome, written, root, out, report)


@click.group("ls-sync")
def sync_command() -> None:
    """Push tasks to a Label Studio server or pull its annotations."""


@sync_command.command("push")
@ROOT_OPTION
@server_options
@task_options
def push_command(root: Path, url: str, api_key: str, title: str, doc_ids: tuple[str, ...],
                 annotations: Path | None, predictions: tuple[Path, ...],
                 pre_annotate: bool) -> None:
    """Create or update the project and add the tasks of DOC_IDS (default: all) not yet in
    it."""
    tasks = build_tasks(root, doc_ids, annotations, predictions, pre_annotate)
    server = connect(url, api_key)
    project_id = ensure_project(server, title)
    added = push(server, project_id, tasks)
    skipped = len(tasks) - len(added)
    click.echo(f"project {title!r} (id {project_id}) at {url}: {len(added)} tasks added"
               + (f", {skipped} already there (not changed)" if skipped else ""))


@sync_command.command("pull")
@ROOT_OPTION
@server_options
@import_options
@click.option("--save-export", type=click.Path(path_type=Path, dir_okay=False),
              help="Also keep the downloaded export in this file.")
def pull_command(root: Path, url: str, api_key: str, title: str, out: Path,
                 annotators: tuple[str, ...], strict: bool, report: Path | None,
                 save_export: Path | None) -> None:
    """Download the project's annotations and import them, one set per annotator."""
    names = parse_annotator_names(annotators)
    server = connect(url, api_key)
    project = find_project(server, title)
    if project is None:
        raise SyncError(f"no project titled {title!r} at {url}")
    export = pull(server, project.id)
    if save_export is not None:
        write_atomic(save_export, json.dumps(export, ensure_ascii=False) + "\n")
    outcome, written = import_export(
        root, export, save_export or Path(f"{url} project {project.id}"), out, names, strict,
        report)
    report_import(outcome, written, root, out, report)
