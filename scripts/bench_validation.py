"""Benchmark: validation time and peak memory on a large synthetic export, beside the build's.

    python scripts/bench_validation.py [--documents 9000] [--keep DIR]

Generates a synthetic corpus with scripts/synth_corpus.py (every annotation kind, a third of
the documents machine rewrites with claims and evidence), then runs, each in a fresh process
so that its peak resident memory is its own, ``newsprov build`` without validation and
``validate_export`` on the export it wrote. Reports wall time (imports left out) and peak
RSS of both, and the number of span rows validated (mentions, event triggers, span flags and
first occurrences of duplicates, claims, claim evidence: the rows of the ``spans`` frame);
the default size gives at least one million.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_corpus import generate  # a sibling script, not a package module

DOCUMENTS = 9_000  # about 1.05 million span rows with synth_corpus's shapes


def step(name: str, root: Path) -> dict:
    """Run one step in this process; return its figures."""
    if name == "build":
        from newsprov.export import build

        started = time.perf_counter()
        manifest = build(root, root / "data", validate=False)
        figures = {"rows": {table: sum(splits.values())
                            for table, splits in manifest["tables"].items()}}
    else:
        from newsprov.expectations import validate_export

        started = time.perf_counter()
        report = validate_export(root / "data")
        spans = next(o for o in report.outcomes if o.check == "spans: 0 <= start")
        figures = {"passed": report.success, "span_rows": spans.checked,
                   "expectations": len(report.outcomes)}
        if not report.success:
            figures["failures"] = report.summary()
    return {**figures, "seconds": round(time.perf_counter() - started, 1),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10}


def in_child(name: str, root: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, "--step", name, str(root)],
                            check=True, capture_output=True, text=True)
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=DOCUMENTS)
    parser.add_argument("--keep", type=Path, help="generate into this new folder and keep it")
    parser.add_argument("--step", choices=("build", "validate"), help=argparse.SUPPRESS)
    parser.add_argument("root", type=Path, nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.root)))
        return
    temporary = Path(tempfile.mkdtemp(prefix="newsprov-bench-"))
    root = args.keep or temporary / "repository"
    try:
        generate(root, args.documents)
        results = {"documents": args.documents, "build": in_child("build", root),
                   "validate": in_child("validate", root)}
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
