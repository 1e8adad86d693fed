"""The ``newsprov`` command: the only layer that imports click. Each command lives in the
module of this package named after its job and is imported only when run, so ``newsprov
--help`` stays fast (no datasets or GX import). A command declares the optional extras it
needs; without them it says which to install instead of failing on an import."""

from __future__ import annotations

import errno
import importlib
import importlib.metadata
import os
import sys
from dataclasses import dataclass

import click
from packaging.requirements import Requirement

from newsprov.core.errors import Failure, InputError


@dataclass(frozen=True)
class Command:
    module: str  # in newsprov.cli
    attribute: str
    help: str  # shown by --help without importing the module
    extras: tuple[str, ...] = ()  # optional dependency groups of pyproject.toml it needs


COMMANDS: dict[str, Command] = {
    "add": Command("annotate", "add_command",
                   "Add an article from a saved web page, a text file or a URL, with "
                   "provenance.", ("ingest",)),
    "build": Command("build", "build_command",
                     "Validate corpus and gold annotations and write the Parquet release to "
                     "data/."),
    "check": Command("check", "check_command",
                     "Check the corpus and one annotation directory without building."),
    "collect": Command("collect", "collect_command",
                       "Collect crawled pages (WARC, saved pages, JSON Lines) into sharded "
                       "collections, on the build's engine.", ("ingest", "collect")),
    "pre-annotate": Command("preannotate", "pre_annotate_command",
                            "Run the detectors over a collection, one task per shard, as its "
                            "pre layer.", ("ingest",)),
    "queue": Command("queue", "queue_command",
                     "Push the top-ranked (rewrite, source) pairs of a collect run to Label "
                     "Studio, pre-annotated.", ("labelstudio", "ingest", "collect")),
    "convert": Command("convert", "convert_command",
                       "Convert the corpus between the per-document and the sharded layout."),
    "docs": Command("build", "docs_command",
                    "Regenerate the generated sections of the guidelines, card and datasheet."),
    "detect": Command("annotate", "detect_command",
                      "Run the rule-based quality detectors; show hits the gold flags miss.",
                      ("ingest",)),
    "ls-config": Command("labelstudio", "config_command",
                         "Print the Label Studio labeling config generated from the schema."),
    "ls-export": Command("labelstudio", "export_command",
                         "Write Label Studio tasks, with annotations or pre-annotations "
                         "attached.", ("labelstudio", "ingest")),
    "ls-import": Command("labelstudio", "import_command",
                         "Import a Label Studio JSON export: checked, one annotation set per "
                         "annotator.", ("labelstudio", "ingest")),
    "ls-sync": Command("labelstudio", "sync_command",
                       "Push tasks to a Label Studio server or pull its annotations.",
                       ("labelstudio", "ingest")),
    "adjudicate": Command("annotate", "adjudicate_command",
                          "Merge annotators' sets into a gold set, with an agreement report.",
                          ("ingest", "bench")),
    "evaluate": Command("bench", "evaluate_command",
                        "Score predictions against the gold of a split of the released "
                        "Parquet.", ("bench",)),
    "compare": Command("bench", "compare_command",
                       "Compare two systems' predictions: differences, paired-bootstrap "
                       "intervals, p-values.", ("bench",)),
    "baselines": Command("baselines", "baselines_command",
                         "Write and score every baseline's predictions; update the README "
                         "table.", ("ingest", "bench", "models")),
    "agreement": Command("annotate", "agreement_command",
                         "Agreement of two annotation passes: span F1, kappa and alpha, as "
                         "JSON.", ("ingest", "bench")),
    "view": Command("view", "view_command",
                    "Write a static site of the export: each rewrite beside its source."),
    "validate": Command("validate", "validate_command",
                        "Run the Great Expectations suites on an export; exit 1 on any "
                        "failure."),
}


def missing_distributions(extra: str) -> list[str]:
    """The packages of an optional extra (as pyproject.toml declares it) not installed."""
    missing = []
    for line in importlib.metadata.requires("newsprov") or []:
        requirement = Requirement(line)
        if requirement.marker is None or not requirement.marker.evaluate({"extra": extra}):
            continue
        try:
            importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement.name)
    return missing


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = COMMANDS.get(cmd_name)
        if command is None:
            return None
        for extra in command.extras:
            if missing := missing_distributions(extra):
                click.echo(f"error: newsprov {cmd_name} needs the '{extra}' extra (missing: "
                           f"{', '.join(missing)}): pip install 'newsprov[{extra}]'", err=True)
                sys.exit(3)
        module = importlib.import_module(f"newsprov.cli.{command.module}")
        return getattr(module, command.attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name].help) for name in sorted(COMMANDS)])

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
        except Failure as error:  # reported as click reports its own errors
            raise click.ClickException(str(error)) from None
        except OSError as error:  # a read-only folder, a full disk: what failed, and where
            click.echo(f"error: {describe_os_error(error)}", err=True)
            sys.exit(1)


def describe_os_error(error: OSError) -> str:
    """One line: the file, then the system's reason (``strerror``, else the message of a
    library such as pyarrow, whose I/O errors are OSErrors without one)."""
    files = [str(f) for f in (error.filename, error.filename2) if f is not None]
    reason = error.strerror or str(error)
    if not files:
        return reason
    where = " -> ".join(files)
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and \
            not os.path.lexists(files[0]):
        where = f"cannot create {where}"
    return f"{where}: {reason}"


@click.group(cls=LazyGroup)
@click.version_option(package_name="newsprov")
def main() -> None:
    """NewsProv: an annotated news-provenance corpus."""
