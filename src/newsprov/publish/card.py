"""The dataset card: README.md's YAML front matter (configs and `datasets` features of every
exported table, for ``datasets.load_dataset(<repo>, <config>)``) and its statistics."""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from newsprov.core import schema
from newsprov.core.files import replace_section
from newsprov.core.layout import DATA_DIR
from newsprov.publish.statistics import Statistics, render_statistics

CARD_FIXED = {
    "pretty_name": "NewsProv",
    "license": "other",
    "license_name": "newsprov-mixed",
    "license_link": "DATASHEET.md#distribution",
    "language": ["en"],
    "multilinguality": "monolingual",
    "annotations_creators": ["machine-generated"],
    "language_creators": ["found", "machine-generated"],
    "source_datasets": ["original"],
    "task_categories": ["token-classification", "text-classification"],
    "task_ids": ["named-entity-recognition", "fact-checking"],
    "tags": ["provenance", "content-farms", "machine-rewritten-news", "event-extraction",
             "stand-off-annotation"],
}


def size_category(documents: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M")):
        if documents < limit:
            return name
    return "1M<n<10M"


def split_files(manifest: dict, table: str, split: str) -> list[str]:
    """The exact files of a config's split, never a pattern: their names carry their content
    hash, so `datasets`, whose cache of a local folder keys on the card's data files (not
    on the files' content), loads a new release afresh, and a stray file is not loaded."""
    return [f"{DATA_DIR.as_posix()}/{entry['path']}" for entry in manifest["files"]
            if (entry["table"], entry["split"]) == (table, split)]


def one_or_all(paths: list[str]) -> str | list[str]:
    return paths[0] if len(paths) == 1 else paths  # one file a line, as the card was


def card_front_matter(manifest: dict) -> str:
    """The dataset card's YAML: configs and features per exported table."""
    from datasets.info import DatasetInfo, DatasetInfosDict
    from huggingface_hub import DatasetCardData

    configs = [{"config_name": table, **({"default": True} if table == schema.DEFAULT_TABLE
                                         else {}),
                "data_files": [{"split": split, "path": one_or_all(split_files(manifest, table,
                                                                               split))}
                               for split in splits]}
               for table, splits in manifest["tables"].items()]
    documents = sum(manifest["tables"][schema.DEFAULT_TABLE].values())
    card = DatasetCardData(**CARD_FIXED, size_categories=[size_category(documents)],
                           configs=configs)
    DatasetInfosDict({table: DatasetInfo(features=schema.hf_features(table), config_name=table)
                      for table in manifest["tables"]}).to_dataset_card_data(card)
    data = card.to_dict()
    lines = [yaml.dump({key: value for key, value in data.items() if key != "dataset_info"},
                       sort_keys=False, default_flow_style=None, width=100).rstrip(),
             "dataset_info:"]
    for info in data["dataset_info"]:
        lines.append(f"- config_name: {info['config_name']}")
        lines += [f"  {key}: {_inline(value)}" for key, value in info.items()
                  if key not in ("config_name", "features")]
        lines += ["  features:", *(f"  - {_inline(feature)}" for feature in info["features"])]
    return "\n".join(lines) + "\n"


def _inline(value: Any) -> str:
    """YAML on one line: one feature a line keeps the card small (the README is the card)."""
    return yaml.dump(value, sort_keys=False, default_flow_style=True, width=math.inf).strip()


FRONT_MATTER = re.compile(r"\A---\n(?:.*?\n)?---\n", re.DOTALL)


def render_readme(text: str, manifest: dict, stats: Statistics) -> str:
    """Replace the README's YAML front matter and its statistics section."""
    if not FRONT_MATTER.match(text):
        raise ValueError("README.md must start with YAML front matter between '---' lines")
    front_matter = f"---\n{card_front_matter(manifest).rstrip()}\n---\n"
    text = FRONT_MATTER.sub(lambda _: front_matter, text, count=1)
    return replace_section(text, "statistics", render_statistics(stats))
