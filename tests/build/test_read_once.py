"""The build reads each input once: every shard line and every gold file is parsed by the
first step only; the later steps read the tables it wrote. A broken gold file found then is
still reported after the checks across documents, as a build that read it later did."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from test_pipeline import DOCUMENTS, TASK_DOCUMENTS, generate, sharded

from newsprov.build import inputs, steps
from newsprov.build.execution import Execution
from newsprov.build.pipeline import build
from newsprov.core.errors import InputError
from newsprov.core.files import read_json
from newsprov.core.layout import COLLECTION_DIR, DOCUMENTS_DIR, GOLD_DIR, METADATA_FILE
from newsprov.store import shards


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("read-once") / "documents"
    generate(root, DOCUMENTS, workers=1)
    return root


def counted(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> Counter[str]:
    """Count the calls of ``module.name`` by their first argument's file name."""
    calls: Counter[str] = Counter()
    original = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[Path(str(args[0])).name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_each_shard_is_read_once(corpus: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = sharded(corpus, tmp_path / "shards")
    reads = counted(monkeypatch, inputs, "raw_lines")            # documents shards
    gold_reads = counted(monkeypatch, steps, "shard_bytes")        # gold shards, whole
    parses = counted(monkeypatch, inputs, "parse_line")
    build(root, tmp_path / "data", validate=False, execution=Execution(workers=1))
    names = {p.name for p in (root / COLLECTION_DIR).rglob("*.jsonl.gz")}
    assert len(names) == -(-DOCUMENTS // TASK_DOCUMENTS)
    assert set(reads) == set(gold_reads) == names
    assert set(reads.values()) == set(gold_reads.values()) == {1}
    assert sum(parses.values()) == DOCUMENTS     # each documents line once; the gold lines
    #                                              go to pyarrow's JSON reader (build.columns)


def test_each_gold_file_is_read_once(corpus: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    reads = counted(monkeypatch, inputs, "read_json")
    build(corpus, tmp_path / "data", validate=False, execution=Execution(workers=1),
          task_documents=TASK_DOCUMENTS)
    gold = {p.name for p in (corpus / GOLD_DIR).glob("*.json")}
    assert gold and set(reads) == gold and set(reads.values()) == {1}


def test_a_broken_gold_file_is_reported_after_the_checks_across_documents(
        corpus: Path, tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    shutil.copytree(corpus, root)
    first, *folders = sorted((root / DOCUMENTS_DIR).iterdir())
    (root / GOLD_DIR / f"{first.name}.json").write_text("{", encoding="utf-8")  # read: step 1
    derived = next(folder for folder in reversed(folders)
                   if read_json(folder / METADATA_FILE)["derived_from"])
    metadata = read_json(derived / METADATA_FILE)
    metadata["derived_from"] = "no-such-document"                              # step 2's error
    (derived / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    with pytest.raises(InputError) as raised:
        build(root, tmp_path / "data", validate=False, execution=Execution(workers=1),
              task_documents=TASK_DOCUMENTS)
    assert raised.value.check == "derived-from-unknown"


def test_shard_lines_keep_their_ends(tmp_path: Path) -> None:
    """Read in one go, lines are as a gzip stream gives them (an error's column counts)."""
    path = tmp_path / "s.jsonl.gz"
    writer = shards.ShardWriter(path)
    writer.write({"a": 1})
    writer.write({"b": 2})
    writer.close()
    assert shards.raw_lines(path) == [b'{"a": 1}\n', b'{"b": 2}\n']
