"""Import benchmark, phase 1: reading .bib files (no database yet) at 1k/10k/100k entries.

Usage: ``.venv/bin/python benchmarks/import.py [--sizes 1000 10000 100000] [--seed 0]``

For each size a synthetic file from ``benchmarks/synth.py`` is written to a temporary folder
and each reader runs in its own subprocess, so the peak RSS is per run:

- ``bibtexparser``: ``bibtexparser.parse_string(text)`` with its default stack (strings and
  enclosing resolved; no LaTeX decoding, no names) - the bare parse;
- ``pybtex``: ``pybtex.database.parse_string(text, "bibtex")`` when pybtex is importable (it is
  not a pubdb dependency; the column is skipped otherwise);
- ``read_bibtex/1``: ``pubdb.importers.read_bibtex(path, workers=1)``, one process;
- ``read_bibtex``: ``read_bibtex(path)`` with its automatic worker processes.

Printed per run: wall seconds, CPU seconds (this process + its workers), entries per second,
peak RSS of the process and of its largest worker (MB). Targets: the whole import (this reader
plus the database) 100k entries in at most 15 s and 500 MB; this reader should take at most
about 8 s of that.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
READERS = ("bibtexparser", "pybtex", "read_bibtex/1", "read_bibtex")


def _measure(reader: str, path: str) -> dict:
    """Run one reader in this (fresh) process and return its numbers."""
    text = Path(path).read_text(encoding="utf-8")
    cpu0 = time.process_time()
    start = time.perf_counter()
    if reader == "bibtexparser":
        import bibtexparser

        count = len(bibtexparser.parse_string(text).entries)
    elif reader == "pybtex":
        from pybtex.database import parse_string

        count = len(parse_string(text, "bibtex").entries)
    else:
        from pubdb.importers import read_bibtex

        workers = 1 if reader.endswith("/1") else None
        result = read_bibtex(path, workers=workers)
        count = len(result.records)
    wall = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu0 + children.ru_utime + children.ru_stime
    return {
        "seconds": wall,
        "cpu": cpu,
        "entries": count,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_rss_mb": children.ru_maxrss / 1024,
    }


def _available(reader: str) -> bool:
    if reader != "pybtex":
        return True
    try:
        import pybtex  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(*args.measure)))
        return

    sys.path.insert(0, str(HERE))
    from synth import generate_bib

    readers = [reader for reader in READERS if _available(reader)]
    skipped = [reader for reader in READERS if reader not in readers]
    note = f"; skipped: {', '.join(skipped)}" if skipped else ""
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.2f}{note}")
    header = (
        f"{'entries':>8} {'MB':>6}  {'reader':<14} {'wall s':>7} {'cpu s':>7} "
        f"{'entries/s':>10} {'RSS MB':>7} {'+worker':>8}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"synth-{size}.bib"
            path.write_text(generate_bib(size, seed=args.seed), encoding="utf-8")
            megabytes = path.stat().st_size / 1e6
            for reader in readers:
                run = subprocess.run(
                    [sys.executable, __file__, "--measure", reader, str(path)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                numbers = json.loads(run.stdout)
                worker = f"{numbers['worker_rss_mb']:8.0f}" if numbers["worker_rss_mb"] else " " * 8
                print(
                    f"{size:>8} {megabytes:6.1f}  {reader:<14} {numbers['seconds']:7.2f} "
                    f"{numbers['cpu']:7.2f} {numbers['entries'] / numbers['seconds']:10.0f} "
                    f"{numbers['rss_mb']:7.0f} {worker}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
