"""Every path of the repository layout, in one place.

Paths are relative to the repository folder (the commands' ``--root``), except ``REPO``:
the checkout this package is installed from, where the set-up scripts keep the Label
Studio server's own virtual environment.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]  # src/newsprov/core/layout.py -> the checkout

# The corpus: one folder per document.
DOCUMENTS_DIR = Path("corpus/documents")
TEXT_FILE = "text.txt"
METADATA_FILE = "metadata.json"
SPLIT_PLAN = Path("corpus/splits.json")

# The sharded layout of large collections (docs/data-format.md): a collection folder holds
# documents/<shard>.jsonl.gz and attributes/<layer>/<shard>.jsonl.gz. The build reads the
# collection here when it exists (or one named by --collection).
COLLECTION_DIR = Path("corpus/collection")
COLLECTION_DOCUMENTS = "documents"
COLLECTION_ATTRIBUTES = "attributes"
SHARD_SUFFIX = ".jsonl.gz"
# What newsprov collect writes beside a collection's shards: the run's statistics and a
# sample of the skipped records of each reason; its work folder (kept for --resume) is
# beside the collection, named after it with this suffix.
COLLECT_STATS = "collect-stats.json"
COLLECT_SKIPPED = "skipped"
COLLECT_WORK_SUFFIX = ".collect-work"
# A collection of originals carries the source finder's index of its documents; a document
# of candidate rewrites carries, among its files, the sources proposed for it.
COLLECT_SOURCE_INDEX = "source-index.sqlite"
COLLECT_PROPOSALS = "source-proposals.json"
# The source finder's index of every corpus text (annotate/source_index.py): derived from the
# corpus, not committed; built on first use, then updated one document at a time.
SOURCE_INDEX = Path(".newsprov/source-index.sqlite")

# Stand-off annotations.
ANNOTATIONS_DIR = Path("annotations")
GOLD_DIR = ANNOTATIONS_DIR / "gold"
PASSES_DIR = ANNOTATIONS_DIR / "passes"
PRE_DIR = ANNOTATIONS_DIR / "pre"
EXCEPTIONS_FILE = ANNOTATIONS_DIR / "detector_exceptions.json"
AGREEMENT_FILE = ANNOTATIONS_DIR / "agreement.json"
GUIDELINES = ANNOTATIONS_DIR / "GUIDELINES.md"
LABELSTUDIO_IMPORT_REPORT = "labelstudio-import.json"  # in the folder of the imported sets

# The release.
RELEASE_FILE = Path("release.json")
CHANGELOG = Path("CHANGELOG.md")
DATA_DIR = Path("data")
MANIFEST = "manifest.json"  # in the export folder
BASELINES_DIR = Path("baselines")

# Reports: build artefacts beside the export folder, not committed.
REPORTS_DIR = Path("reports")
VALIDATION_REPORT = REPORTS_DIR / "validation.md"
BUILD_STATS = REPORTS_DIR / "build-stats.json"     # datatrove's per-step statistics
# The build's task outputs and completion markers (kept for --resume): beside the export
# folder, named after it with this suffix.
BUILD_WORK_SUFFIX = ".work"
ADJUDICATION_REPORT = REPORTS_DIR / "adjudication.json"

# Documentation with generated sections.
README = Path("README.md")
DATASHEET = Path("DATASHEET.md")
CROISSANT = Path("croissant.json")
QUALITY_CHECKS = Path("docs/quality-checks.md")

# The Label Studio server for annotators (scripts/labelstudio_server.sh).
LABELSTUDIO_DATA_DIR = REPO / ".labelstudio"
LABELSTUDIO_BINARY = REPO / ".venv-labelstudio" / "bin" / "label-studio"
