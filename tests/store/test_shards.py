"""The sharded layout: the converter gives every file back byte for byte, and a collection
written twice is the same bytes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newsprov.cli import main
from newsprov.core.layout import COLLECTION_DIR, DOCUMENTS_DIR, GOLD_DIR
from newsprov.store.shards import collection_to_documents, documents_to_collection


def tree_bytes(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def corpus_files(root: Path) -> dict[str, bytes]:
    return {**tree_bytes(root / DOCUMENTS_DIR),
            **{f"gold/{k}": v for k, v in tree_bytes(root / GOLD_DIR).items()}}


def test_committed_corpus_round_trips_byte_for_byte(repo: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    collection = tmp_path / "collection"
    to_shards = runner.invoke(main, ["convert", "--root", str(repo), "--to", "shards",
                                     "--collection", str(collection)])
    assert to_shards.exit_code == 0, to_shards.output
    back = tmp_path / "back"
    to_documents = runner.invoke(main, ["convert", "--root", str(back), "--to", "documents",
                                        "--collection", str(collection)])
    assert to_documents.exit_code == 0, to_documents.output
    assert corpus_files(back) == corpus_files(repo)


def test_every_file_of_a_document_folder_survives(scratch_repo: Path, tmp_path: Path) -> None:
    """raw.html (any bytes) and raw.txt come back; shards are the same bytes when written
    again, and a document without gold has no gold file after the round trip."""
    folder = next((scratch_repo / DOCUMENTS_DIR).iterdir())
    (folder / "raw.html").write_bytes(b"<html>caf\xe9 \x00</html>")
    (folder / "raw.txt").write_bytes(b"raw text\r\n")
    (scratch_repo / GOLD_DIR / f"{folder.name}.json").unlink()
    first, second = tmp_path / "first", tmp_path / "second"
    assert documents_to_collection(scratch_repo, first, 1) == 2
    documents_to_collection(scratch_repo, second, 1)
    assert tree_bytes(first) == tree_bytes(second)
    assert len(list((first / "documents").iterdir())) == 2        # one document a shard
    back = tmp_path / "back"
    assert collection_to_documents(first, back) == 2
    assert corpus_files(back) == corpus_files(scratch_repo)


def test_convert_refuses_to_overwrite_a_collection(scratch_repo: Path) -> None:
    (scratch_repo / COLLECTION_DIR).mkdir()
    result = CliRunner().invoke(main, ["convert", "--root", str(scratch_repo), "--to",
                                       "shards"])
    assert result.exit_code == 1
    assert "exists; convert into a new folder" in result.output
