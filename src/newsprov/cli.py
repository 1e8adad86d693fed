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
    "build": ("newsprov.export", "build_command",
              "Validate corpus and gold annotations and write the Parquet release to data/."),
    "check": ("newsprov.cli", "check_command",
              "Check the corpus and one annotation directory without building."),
    "docs": ("newsprov.datasheet", "docs_command",
             "Regenerate the generated sections of the guidelines, card and datasheet."),
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
