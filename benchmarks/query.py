"""Query benchmark: `pubdb list` on a 100k-paper SQLite database, in-process and as a process.

Builds the database directly with Core ``executemany`` (the shipped venue registry, ~30k
authors with family-name collisions, 100k papers, ~4 authors each, tags, awards, alias keys,
students, an owner), then measures:

- in-process, for ten typical queries: ``search`` (parse + build + run the select, every
  matching id and key) and ``table rows`` (``search_rows``: what `pubdb list` renders, the
  first 50 rows), median of ``--runs`` runs each, a fresh Core connection per run (``list``
  reads through ``Store.connect``, without the ORM);
- the whole ``pubdb list venue:X year:Y`` and ``pubdb show KEY`` processes (subprocess, stdout
  to a pipe), median of 5, next to what no code of ours can remove
  (``python -c "import click, sqlalchemy"``).

Usage: ``.venv/bin/python benchmarks/query.py [--papers 100000] [--db PATH_OR_URL] [--runs 20]``.
``--db`` keeps (and reuses) the generated database: a SQLite path, or a URL such as
``postgresql+psycopg://...`` (an empty database there is filled). Prints a table; asserts
nothing.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from pubdb.papers import search, search_rows
from pubdb.store import Store, open_store
from pubdb.tables import (
    author_variants,
    authors,
    authorships,
    awards,
    cite_key_aliases,
    owner,
    paper_tags,
    papers,
    tags,
    venue_aliases,
    venues,
)
from pubdb.textnorm import fold, title_key
from pubdb.venues import alias_key, builtin_venues

REPO = Path(__file__).resolve().parents[1]

QUERIES = [
    ["venue:SIGMOD", "year:2024"],
    ["year:2019..2021"],
    ["author:kraska"],
    ["author:Tim Kraska"],
    ["tag:ml-systems"],
    ["learned", "index"],
    ['"query optimization"'],
    ["owner:first", "year:2020.."],
    ["venue:SC+", "year:2021"],
    ["award:best"],
    ["-venue:arXiv", "type:article", "year:2023"],
    ["key:alias-00042"],
]

_WORDS = (  # noqa: SIM905 (a word list reads better as text)
    "scalable learned index structures data transfer wide area networks distributed query "
    "optimization machine learning systems workflow scheduling exascale storage compression "
    "graph neural approximate streaming federated benchmark cloud edge serverless adaptive "
    "tomography reconstruction performance prediction model database caching replication "
    "consistency secure efficient robust vector search retrieval augmented generation "
    "transaction processing concurrency control memory disaggregated hardware acceleration "
    "gpu fpga kernel compiler runtime cardinality estimation cost join ordering sampling "
    "sketches privacy differential fairness interpretability benchmarking reproducible "
    "scientific computing instruments synchrotron x-ray imaging deep generative adversarial"
).split()
_GIVEN = (  # noqa: SIM905
    "Tim Ian Zhengchun Yuanlai Anna José Jürgen Søren François Ana Maria Hans Ming Xin Rafael "
    "Ewa Olga Pieter Jan Li Kyle Samuel Nadia Chen Tomás Zoë Björn Ioan Wei Andreas Viktor "
    "Mohammad Priya Ravi Sara Elena Lukas Hiroshi Yuki Fatima Omar Carlos Lucía Mateo Ingrid"
).split()
_SYLLABLES = "ka ras li u fo ster ne ma ro ti sa ve lo din ber gu ha mi tan zo ri cel ba".split()  # noqa: SIM905


def _families(rng: random.Random, count: int) -> list[str]:
    names = {"Kraska", "Foster", "Liu", "Kettimuthu", "Gürsoy", "Müller"}
    while len(names) < count:
        parts = rng.randint(2, 4)
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize())
    return sorted(names)


def build(path: str | Path, count: int, seed: int = 7) -> Store:
    """A fresh database at ``path`` with ``count`` generated papers."""
    rng = random.Random(seed)
    store = open_store(str(path))
    with store.transaction() as session:
        # Venues: the shipped registry (parents second, once their ids exist).
        registry = builtin_venues()
        rows = [
            {"short": v.short, "short_key": fold(v.short), "name": v.name, "kind": v.kind}
            for v in registry
        ]
        session.execute(insert(venues), rows)
        venue_ids = {short: i for short, i in session.execute(select(venues.c.short, venues.c.id))}
        for v in registry:
            if v.parent and v.parent in venue_ids:
                session.execute(
                    venues.update()
                    .where(venues.c.id == venue_ids[v.short])
                    .values(parent_id=venue_ids[v.parent])
                )
        aliases: dict[str, dict[str, object]] = {}
        for v in registry:
            for text in (v.name, *v.aliases):
                aliases.setdefault(alias_key(text), {"venue_id": venue_ids[v.short], "text": text})
        session.execute(
            insert(venue_aliases),
            [{"text_key": k, "by_user": False, **a} for k, a in aliases.items()],
        )
        kinds = {v.short: v.kind for v in registry}
        shorts = sorted(venue_ids)
        popular = ["SIGMOD", "VLDB", "SC", "ICDE", "HPDC", "CIDR", "IPDPS", "XLOOP", "arXiv"]
        popular = [s for s in popular if s in venue_ids]

        # Authors: ~30k people, family names shared by several of them.
        families = _families(rng, 9000)
        people = {("Tim", "Kraska"), ("Ian", "Foster"), ("Zhengchun", "Liu")}
        while len(people) < max(count * 3 // 10, 10):
            people.add((rng.choice(_GIVEN), rng.choice(families)))
        people_list = sorted(people)
        author_rows = [
            {
                "given": g,
                "family": f,
                "von": "",
                "jr": "",
                "is_corporate": False,
                "display_name": f"{g} {f}",
                "match_key": f"{fold(f)}|{fold(g)[0]}",
                "family_key": fold(f),
            }
            for g, f in people_list
        ]
        session.execute(insert(authors), author_rows)
        author_ids = {
            (g, f): i
            for i, g, f in session.execute(select(authors.c.id, authors.c.given, authors.c.family))
        }
        session.execute(
            insert(author_variants),
            [
                {"author_id": author_ids[p], "name": f"{p[0]} {p[1]}", "folded": fold(" ".join(p))}
                for p in people_list
            ],
        )
        owner_id = author_ids[("Zhengchun", "Liu")]
        session.execute(insert(owner), [{"author_id": owner_id}])
        all_authors = list(author_ids.values())
        stars = [author_ids[("Tim", "Kraska")], author_ids[("Ian", "Foster")], owner_id]

        # Papers.
        paper_rows_ = []
        for i in range(count):
            year = min(2025, max(1990, int(rng.triangular(1990, 2026, 2022))))
            short = rng.choice(popular) if rng.random() < 0.3 else rng.choice(shorts)
            kind = kinds[short]
            title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 11))).capitalize()
            key = f"p{i:06d}{year}"
            paper_rows_.append(
                {
                    "key": key,
                    "key_folded": key,
                    "entry_type": {"journal": "article", "preprint": "misc"}.get(
                        kind, "inproceedings"
                    ),
                    "title": title,
                    "title_bibtex": title,
                    "title_key": title_key(title),
                    "year": year,
                    "venue_id": venue_ids[short],
                    "venue_text": short,
                    "doi": f"10.1000/bench.{i}" if rng.random() < 0.7 else None,
                    "arxiv_id": f"{year % 100:02d}01.{i:05d}" if kind == "preprint" else None,
                }
            )
        session.execute(insert(papers), paper_rows_)
        paper_ids = list(session.scalars(select(papers.c.id).order_by(papers.c.id)))

        authorship_rows, tagged, award_rows, alias_rows = [], [], [], []
        session.execute(
            insert(tags), [{"name": n, "title": ""} for n in ["ml-systems", *map(str, range(19))]]
        )
        tag_ids = list(session.scalars(select(tags.c.id)))
        for n, paper_id in enumerate(paper_ids):
            chosen = rng.sample(all_authors, rng.randint(1, 8))
            if rng.random() < 0.01:
                chosen = [rng.choice(stars), *(a for a in chosen if a not in stars)]
                rng.shuffle(chosen)
            for position, author_id in enumerate(chosen, start=1):
                authorship_rows.append(
                    {
                        "paper_id": paper_id,
                        "position": position,
                        "author_id": author_id,
                        "student": rng.random() < 0.02,
                    }
                )
            if rng.random() < 0.1:
                tagged.append({"paper_id": paper_id, "tag_id": rng.choice(tag_ids)})
            if rng.random() < 0.005:
                award_rows.append({"paper_id": paper_id, "text": "Best Paper Award"})
            if n % 10 == 0:
                alias_rows.append(
                    {"paper_id": paper_id, "key": f"alias-{n // 10:05d}", "key_folded": ""}
                )
        for row in alias_rows:
            row["key_folded"] = str(row["key"]).casefold()
        session.execute(insert(authorships), authorship_rows)
        session.execute(insert(paper_tags), tagged)
        session.execute(insert(awards), award_rows)
        session.execute(insert(cite_key_aliases), alias_rows)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return store


def _median_ms(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _process_s(args: list[str], runs: int = 5) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the process, in seconds.

    CPU time is the steadier number on a busy machine: it leaves out time spent waiting.
    """
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _filled(location: str) -> bool:
    """A kept database to reuse: an existing SQLite file, or a URL's database with papers."""
    if "://" not in location:
        return Path(location).exists()
    store = open_store(location)
    try:
        with store.transaction(write=False) as session:
            return bool(session.scalar(select(func.count()).select_from(papers)))
    finally:
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--db", help="keep (and reuse) the database here: a path or a URL")
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()

    folder = None
    if options.db is None:
        folder = tempfile.TemporaryDirectory()
        path = str(Path(folder.name) / "bench.sqlite")
    else:
        path = options.db
    started = time.perf_counter()
    store = open_store(path) if _filled(path) else build(path, options.papers)
    built = time.perf_counter() - started
    with store.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(papers))
        links = conn.scalar(select(func.count()).select_from(authorships))
    print(f"database: {path} ({count} papers, {links} authorships; ready in {built:.1f} s)")
    print()

    def run_search(terms: list[str]) -> int:
        with store.connect() as conn:
            return len(search(conn, terms))

    def run_rows(terms: list[str]) -> int:
        with store.connect() as conn:
            return len(search_rows(conn, terms, limit=50))

    header = f"{'query':<40} {'matches':>8} {'search ms':>10} {'50 rows ms':>11}"
    print(header)
    print("-" * len(header))
    medians = []
    for terms in QUERIES:
        matches = run_search(terms)
        search_ms = _median_ms(lambda t=terms: run_search(t), options.runs)
        rows_ms = _median_ms(lambda t=terms: run_rows(t), options.runs)
        medians.append(search_ms)
        print(f"{' '.join(terms):<40} {matches:>8} {search_ms:>10.2f} {rows_ms:>11.2f}")
    print("-" * len(header))
    print(f"{'median over the queries':<40} {'':>8} {statistics.median(medians):>10.2f}")
    store.dispose()

    pubdb = str(Path(sys.executable).with_name("pubdb"))
    where = ["--db", str(path)]
    processes = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("pubdb --help", [pubdb, "--help"]),
        (
            'python -c "import click, sqlalchemy" (the floor)',
            [sys.executable, "-c", "import click, sqlalchemy"],
        ),
        ("pubdb list venue:SIGMOD year:2024", [pubdb, *where, "list", "venue:SIGMOD", "year:2024"]),
        (
            "pubdb list venue:SIGMOD year:2024 --format keys",
            [pubdb, *where, "list", "venue:SIGMOD", "year:2024", "--format", "keys"],
        ),
        ("pubdb show alias-00042", [pubdb, *where, "show", "alias-00042"]),
    ]
    print()
    print(f"{'process (median of 5)':<58} {'wall s':>7} {'cpu s':>7}")
    print("-" * 74)
    for label, args in processes:
        wall, cpu = _process_s(args)
        print(f"{label:<58} {wall:>7.3f} {cpu:>7.3f}")
    print(f"(load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])})")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
