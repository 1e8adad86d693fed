"""``newsprov view``: the static viewer of the export."""

from __future__ import annotations

from pathlib import Path

import click

from newsprov.core.errors import InputError
from newsprov.core.layout import DATA_DIR, SITE_DIR
from newsprov.view.documents import read_annotation_dir, read_export
from newsprov.view.site import AnnotationSet, render_site, write_site


@click.command("view")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
              default=DATA_DIR, show_default=True, help="The Parquet export to show.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=SITE_DIR,
              show_default=True, help="Where to write the site (replaced if it is one).")
@click.option("--annotations", "annotation_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="An annotation directory to show instead of the export's annotations "
                   "(compared with them); given twice, the two are compared.")
def view_command(data_dir: Path, out: Path, annotation_dirs: tuple[Path, ...]) -> None:
    """Write a static site of the export: each rewrite beside its source, every layer."""
    if len(annotation_dirs) > 2:
        raise InputError(annotation_dirs[2], None, "at most two annotation directories can "
                                                   "be compared", check="view-annotation-dirs")
    export = read_export(data_dir)
    exported = AnnotationSet(f"export {export.version}", export.annotations)
    names = [directory.name for directory in annotation_dirs]
    if len(set(names)) < len(names):  # two folders of one name: tell them by their paths
        names = [str(directory) for directory in annotation_dirs]
    given = [AnnotationSet(name, read_annotation_dir(directory, export))
             for name, directory in zip(names, annotation_dirs, strict=True)]
    shown = given[0] if given else exported
    compared = None
    if len(given) == 1:
        compared = (exported, given[0])
    elif len(given) == 2:
        compared = (given[0], given[1])
    count = write_site(render_site(export, shown, compared), out)
    click.echo(f"wrote {count} pages to {out}; open {out / 'index.html'} in a browser")
