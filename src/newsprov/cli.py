"""The ``newsprov`` command. Subcommands live in the module that does their job and are
imported only when run, so ``newsprov --help`` stays fast (no datasets or GX import)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from newsprov.errors import InputError

# name -> (module, attribute, one-line help shown by --help without importing the module)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "add": ("newsprov.ingest", "add_command",
            "Add an article from a saved web page, a text file or a URL, with provenance."),
    "build": ("newsprov.export", "build_command",
              "Validate corpus and gold annotations and write the Parquet release to data/."),
    "check": ("newsprov.cli", "check_command",
              "Check the corpus and one annotation directory without building."),
    "docs": ("newsprov.datasheet", "docs_command",
             "Regenerate the generated sections of the guidelines, card and datasheet."),
    "detect": ("newsprov.detectors", "detect_command",
               "Run the rule-based quality detectors; show hits the gold flags miss."),
    "ls-config": ("newsprov.lsfiles", "config_command",
                  "Print the Label Studio labeling config generated from the schema."),
    "ls-export": ("newsprov.lsfiles", "export_command",
                  "Write Label Studio tasks, with annotations or pre-annotations attached."),
    "ls-import": ("newsprov.lsfiles", "import_command",
                  "Import a Label Studio JSON export: checked, one annotation set per annotator."),
    "ls-sync": ("newsprov.lssync", "sync_command",
                "Push tasks to a Label Studio server or pull its annotations."),
    "adjudicate": ("newsprov.adjudication", "adjudicate_command",
                   "Merge annotators' sets into a gold set, with an agreement report."),
    "evaluate": ("newsprov.evaluation", "evaluate_command",
                 "Score predictions against the gold of a split of the released Parquet."),
    "baselines": ("newsprov.baselines", "baselines_command",
                  "Write and score every baseline's predictions; update the README table."),
    "agreement": ("newsprov.agreement", "agreement_command",
                  "Agreement of two annotation passes: span F1, kappa and alpha, as JSON."),
    "validate": ("newsprov.validation", "validate_command",
                 "Run the Great Expectations suites on an export; exit 1 on any failure."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in sorted(COMMANDS)])

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)


@click.group(cls=LazyGroup)
@click.version_option(package_name="newsprov")
def main() -> None:
    """NewsProv: an annotated news-provenance corpus."""


ROOT_OPTION = click.option("--root", type=click.Path(path_type=Path, file_okay=False),
                           default=Path("."), show_default=True,
                           help="The repository folder.")


@click.command("check")
@ROOT_OPTION
@click.argument("annotation_dir", type=click.Path(path_type=Path, file_okay=False),
                default=Path("annotations/gold"))
def check_command(root: Path, annotation_dir: Path) -> None:
    """Check the corpus and ANNOTATION_DIR (default: the gold set)."""
    from newsprov.annotations import load_annotation_set
    from newsprov.corpus import load_corpus

    corpus = load_corpus(root)
    annotations = load_annotation_set(root / annotation_dir, corpus)
    counts = {kind: sum(len(a[kind]) for a in annotations.values())
              for kind in ("mentions", "events", "document_flags", "span_flags", "claims")}
    click.echo(f"ok: {len(corpus)} documents, {len(annotations)} annotation files, "
               + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
