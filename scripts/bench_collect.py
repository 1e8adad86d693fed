"""Collection throughput: pages per second from WARC to a sharded collection, 1 and 2 workers.

Writes synthetic news pages (scripts/synth_crawl.py) into WARC.gz files of ``--pages-per-file``
responses, then times ``newsprov collect`` on them (a subprocess, as a user runs it) with each
``--workers`` count, and records pages/s, pages/s per worker and the speed-up of 2 workers
over 1. Every run replaces the run of the same size in the results file; ``--doc`` writes the
table of the results file into docs/collect.md.

    python scripts/bench_collect.py --pages 400 --results scripts/bench_collect.results.json
    python scripts/bench_collect.py --results scripts/bench_collect.results.json \
        --doc docs/collect.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsprov.core.files import markdown_table, replace_section, write_atomic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_crawl import write_news_warc  # a sibling script, not a package module

DOC_SECTION = "collect-benchmark"
NEWSPROV = Path(sys.executable).parent / "newsprov"


def machine() -> dict[str, Any]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cores": os.cpu_count(), "memory_gb": round(memory / 2**30),
            "python": platform.python_version(), "platform": platform.platform()}


def write_crawl(folder: Path, pages: int, per_file: int) -> list[Path]:
    files = []
    for number, first in enumerate(range(0, pages, per_file)):
        path = folder / f"crawl-{number:05d}.warc.gz"
        write_news_warc(path, first, min(per_file, pages - first))
        files.append(path)
    return files


def time_collect(files: list[Path], out: Path, workers: int) -> dict[str, Any]:
    started = time.perf_counter()
    subprocess.run([str(NEWSPROV), "collect", *map(str, files), "--out", str(out),
                    "--workers", str(workers)], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    stats = json.loads((out / "collect-stats.json").read_text(encoding="utf-8"))
    return {"workers": workers, "seconds": round(seconds, 2), "records": stats["records"],
            "accepted": stats["accepted"],
            "pages_per_second": round(stats["records"] / seconds, 2),
            "pages_per_second_per_worker": round(stats["records"] / seconds / workers, 2)}


def run(pages: int, per_file: int, workdir: Path) -> dict[str, Any]:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    # the machine's load when the run started: other work on it slows every figure
    load = round(os.getloadavg()[0], 2)
    files = write_crawl(workdir, pages, per_file)
    runs = [time_collect(files, workdir / f"out-{workers}", workers) for workers in (1, 2)]
    return {"pages": pages, "pages_per_file": per_file, "started": started,
            "load_average_at_start": load, "runs": runs,
            "speedup_2_over_1": round(runs[0]["seconds"] / runs[1]["seconds"], 2)}


def doc_table(results: Path) -> str:
    data = json.loads(results.read_text(encoding="utf-8"))
    rows = [[f"{size['pages']:,}", str(r["workers"]), r["seconds"], r["pages_per_second"],
             r["pages_per_second_per_worker"],
             size["speedup_2_over_1"] if r["workers"] == 2 else None,
             size.get("load_average_at_start")]
            for size in data["sizes"] for r in size["runs"]]
    info = data["machine"]
    return (markdown_table(["WARC pages", "workers", "seconds", "pages/s", "pages/s per worker",
                            "2 workers / 1", "load at start"], rows, 2)
            + f"\nMachine: {info['cores']} cores, {info['memory_gb']} GB, Python "
              f"{info['python']} (from `{results.name}`; wall time of the whole command, "
              "start-up included).\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="*", default=[])
    parser.add_argument("--pages-per-file", type=int, default=100)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--doc", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()
    data = json.loads(args.results.read_text(encoding="utf-8")) if args.results.is_file() \
        else {"machine": machine(), "sizes": []}
    for pages in args.pages:
        workdir = Path(tempfile.mkdtemp(prefix="bench-collect-"))
        try:
            size = run(pages, args.pages_per_file, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        data["machine"] = machine()
        data["sizes"] = sorted([s for s in data["sizes"] if s["pages"] != pages] + [size],
                               key=lambda s: s["pages"])
        write_atomic(args.results, json.dumps(data, indent=1) + "\n")
        print(json.dumps(size))
    if args.doc:
        text = args.doc.read_text(encoding="utf-8")
        write_atomic(args.doc, replace_section(text, DOC_SECTION, doc_table(args.results)))


if __name__ == "__main__":
    main()
