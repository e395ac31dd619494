"""Import benchmark: reading .bib files alone, and `pubdb import` end to end, at 1k/10k/100k.

Usage: ``.venv/bin/python benchmarks/import.py [--sizes 1000 10000 100000] [--seed 0]
[--db URL] [--skip-parse]``

For each size a synthetic file from ``benchmarks/synth.py`` is written to a temporary folder
and every run happens in its own subprocess, so the peak RSS is per run:

- ``bibtexparser``: ``bibtexparser.parse_string(text)`` with its default stack (strings and
  enclosing resolved; no LaTeX decoding, no names) - the bare parse;
- ``pybtex``: ``pybtex.database.parse_string(text, "bibtex")`` when pybtex is importable (it is
  not a pubdb dependency; the row is skipped otherwise);
- ``read_bibtex/1``: ``pubdb.importers.read_bibtex(path, workers=1)``, one process;
- ``read_bibtex``: ``read_bibtex(path)`` with its automatic worker processes;
- ``pubdb import``: the command line ``pubdb --db DB import FILE`` into a fresh database
  (reading, venues, authors, dedup, writing, commit);
- ``re-import``: the same command on the same file again (nothing changes: every entry is
  "unchanged"); only for sizes up to 10k;
- ``+1k into big``: after the largest size, ``pubdb import`` of another 1k file (other seed)
  into that database: the fixed cost of an import into a big database (its cite keys, entry
  digests, dedup index and authors are read at start).

Printed per run: wall seconds, CPU seconds (the process and all its children, from
``getrusage``: wall time on a shared machine is noisy, CPU time much less), entries per second
(wall), and peak RSS in MB: for the reader rows the measuring process and its largest worker;
for the ``pubdb`` rows the largest process of the command (``RUSAGE_CHILDREN``: the command or
one of its reader workers; the command itself is the largest).

``--db URL``: run the ``pubdb`` rows against this database instead of a temporary SQLite file;
it is EMPTIED (every pubdb table dropped) before each fresh import. Targets: 100k entries end to
end in at most 15 s and 500 MB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
READERS = ("bibtexparser", "pybtex", "read_bibtex/1", "read_bibtex")
REIMPORT_MAX = 10_000


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


def _pubdb_command() -> list[str]:
    found = shutil.which("pubdb", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-c", "from pubdb.cli import main; main()"]


def _measure_import(db: str, path: str) -> dict:
    """Run ``pubdb --db DB import PATH`` as this process's only child; return its numbers."""
    start = time.perf_counter()
    run = subprocess.run(
        [*_pubdb_command(), "--db", db, "import", path], capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"pubdb import failed ({run.returncode}):\n{run.stderr}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = run.stdout.splitlines()[0] if run.stdout else ""
    return {
        "seconds": wall,
        "cpu": children.ru_utime + children.ru_stime,
        "entries": int(summary.split(" entries:")[0].rsplit(" ", 1)[-1]) if summary else 0,
        "rss_mb": children.ru_maxrss / 1024,
        "worker_rss_mb": 0.0,
        "summary": summary,
    }


def _empty_database(url: str) -> None:
    """Drop every pubdb table (and Alembic's) so the next ``pubdb`` run starts fresh."""
    from sqlalchemy import text

    from pubdb.model import Base
    from pubdb.store import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


def _available(reader: str) -> bool:
    if reader != "pybtex":
        return True
    try:
        import pybtex  # noqa: F401
    except ImportError:
        return False
    return True


class _Table:
    header = (
        f"{'entries':>8} {'MB':>6}  {'run':<16} {'wall s':>7} {'cpu s':>7} "
        f"{'entries/s':>10} {'RSS MB':>7} {'+worker':>8}"
    )

    def __init__(self) -> None:
        print(self.header)
        print("-" * len(self.header))

    def row(self, size: int, megabytes: float, label: str, numbers: dict) -> None:
        worker = f"{numbers['worker_rss_mb']:8.0f}" if numbers["worker_rss_mb"] else " " * 8
        rate = numbers["entries"] / numbers["seconds"] if numbers["seconds"] else 0.0
        print(
            f"{size:>8} {megabytes:6.1f}  {label:<16} {numbers['seconds']:7.2f} "
            f"{numbers['cpu']:7.2f} {rate:10.0f} {numbers['rss_mb']:7.0f} {worker}",
            flush=True,
        )


def _child(*args: str) -> dict:
    run = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        raise SystemExit(run.stderr or run.stdout)
    return json.loads(run.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database for the pubdb rows (EMPTIED before each fresh import); "
        "default: a new temporary SQLite file per size",
    )
    parser.add_argument("--skip-parse", action="store_true", help="only the pubdb rows")
    parser.add_argument("--measure", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--measure-import", nargs=2, metavar=("DB", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(*args.measure)))
        return
    if args.measure_import:
        print(json.dumps(_measure_import(*args.measure_import)))
        return

    sys.path.insert(0, str(HERE))
    from synth import generate_bib

    readers = [] if args.skip_parse else [reader for reader in READERS if _available(reader)]
    skipped = [reader for reader in READERS if reader not in readers and not args.skip_parse]
    note = f"; skipped: {', '.join(skipped)}" if skipped else ""
    load = os.getloadavg()[0]
    where = "SQLite (temporary file)" if args.db is None else "given --db"
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.2f}, "
        f"database: {where}{note}"
    )
    table = _Table()
    with tempfile.TemporaryDirectory() as folder:
        db = ""
        for size in args.sizes:
            path = Path(folder) / f"synth-{size}.bib"
            path.write_text(generate_bib(size, seed=args.seed), encoding="utf-8")
            megabytes = path.stat().st_size / 1e6
            for reader in readers:
                table.row(size, megabytes, reader, _child("--measure", reader, str(path)))
            if args.db is None:
                db = str(Path(folder) / f"import-{size}.sqlite")
            else:
                db = args.db
                _empty_database(db)
            table.row(size, megabytes, "pubdb import", _child("--measure-import", db, str(path)))
            if size <= REIMPORT_MAX:
                numbers = _child("--measure-import", db, str(path))
                table.row(size, megabytes, "re-import", numbers)
            path.unlink()
        if db and args.sizes:
            path = Path(folder) / "synth-extra-1000.bib"
            path.write_text(generate_bib(1000, seed=args.seed + 1), encoding="utf-8")
            numbers = _child("--measure-import", db, str(path))
            label = f"+1k into {max(args.sizes) // 1000}k"
            table.row(1000, path.stat().st_size / 1e6, label, numbers)


if __name__ == "__main__":
    main()
