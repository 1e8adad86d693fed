"""``newsprov convert``: the corpus between the per-document and the sharded layout."""

from __future__ import annotations

from pathlib import Path

import click

from newsprov.build.inputs import TASK_DOCUMENTS
from newsprov.cli.options import ROOT_OPTION
from newsprov.core.errors import Failure
from newsprov.core.layout import COLLECTION_DIR
from newsprov.store.shards import collection_to_documents, documents_to_collection


@click.command("convert")
@ROOT_OPTION
@click.option("--to", "target", type=click.Choice(["shards", "documents"]), required=True,
              help="shards: the per-document corpus and its annotation layers into a "
                   "collection; documents: a collection into per-document folders.")
@click.option("--collection", type=click.Path(path_type=Path, file_okay=False), default=None,
              help=f"The collection folder (default: <root>/{COLLECTION_DIR}).")
@click.option("--shard-documents", type=click.IntRange(min=1), default=TASK_DOCUMENTS,
              show_default=True, help="Documents per shard (one build task each).")
def convert_command(root: Path, target: str, collection: Path | None,
                    shard_documents: int) -> None:
    """Convert the corpus between layouts, losslessly (a round trip gives the same bytes)."""
    collection = collection or root / COLLECTION_DIR
    if target == "shards":
        if collection.exists():
            raise Failure(f"{collection} exists; convert into a new folder")
        count = documents_to_collection(root, collection, shard_documents)
        click.echo(f"wrote {count} documents to {collection}")
    else:
        count = collection_to_documents(collection, root)
        click.echo(f"wrote {count} documents under {root}")
