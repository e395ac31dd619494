"""Venue resolution benchmark: 100k venue strings as a real import sees them.

Run: ``.venv/bin/python benchmarks/venues.py [--n 100000] [--seed 5] [--bib FILE_OR_DIR ...]``

Builds a pool of realistic venue strings — DBLP, ACM, IEEE Xplore, Springer, Elsevier, Google
Scholar and arXiv wordings of ~60 venues, each with varying years, ordinals, cities and dates,
plus journal strings with volume/pages and unknown venues — and draws N of them with a Zipf-like
weight, so a few venues dominate and many strings repeat, as in a real bibliography. About 5% of
the draws carry an explicit ``abbr`` hint. Every pool string knows the venue it names, so the
run also reports how many draws resolved to the expected venue.

Prints: the registry load time; a cold pass (every cache empty) and a warm pass over the same N
draws with the number of distinct strings, total seconds, microseconds per entry and the
resolution-cache hit rate; the uncached cost per distinct string; and how many draws resolved to
a known venue.

``--bib`` adds a table for real files (a folder: every ``.bib`` under it): the distinct (venue
text, hint, entry type) triples their entries carry — what an import resolves, once each — and
the cost of resolving them all with every per-text cache empty (best of three).

Every time is CPU time of this process (``time.process_time``): the figures stay comparable on a
machine shared with other work. "Every cache empty" means the per-text caches (the registry's and
the text helpers'); the registry itself stays loaded, as it does during an import.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pubdb import venues

CITIES = [
    ("Tempe, AZ, USA", "Tempe, AZ"),
    ("Barcelona, Spain", "Barcelona Spain"),
    ("Paris, France", "Paris France"),
    ("Denver, CO, USA", "Denver, CO"),
    ("St. Louis, MO, USA", "St. Louis, MO"),
    ("Virtual Event", "Virtual Event"),
    ("Shanghai, China", "Shanghai China"),
    ("Amsterdam, The Netherlands", "Amsterdam Netherlands"),
    ("Melbourne, Australia", "Melbourne VIC Australia"),
    ("Seattle, WA, USA", "Seattle, WA"),
]
MONTHS = ["June 11-15", "November 9-19", "May 1-4", "September 5-8", "July 13-18"]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# (short, full proceedings name, first year) -> DBLP / ACM / IEEE / Scholar forms per year.
CONFERENCES = [
    (
        "HPDC",
        "International Symposium on High-Performance Parallel and Distributed Computing",
        1992,
    ),
    ("SIGMOD", "International Conference on Management of Data", 1975),
    ("CCGrid", "IEEE/ACM International Symposium on Cluster, Cloud and Internet Computing", 2001),
    ("CLUSTER", "IEEE International Conference on Cluster Computing", 1999),
    ("ICS", "ACM International Conference on Supercomputing", 1987),
    ("ICDCS", "IEEE International Conference on Distributed Computing Systems", 1981),
    ("eScience", "IEEE International Conference on e-Science", 2005),
    ("ICIP", "IEEE International Conference on Image Processing", 1994),
    ("IPDPS", "IEEE International Parallel and Distributed Processing Symposium", 1987),
    ("ICPP", "International Conference on Parallel Processing", 1972),
    ("KDD", "ACM SIGKDD Conference on Knowledge Discovery and Data Mining", 1995),
    ("ICDE", "IEEE International Conference on Data Engineering", 1984),
    ("CIKM", "ACM International Conference on Information and Knowledge Management", 1992),
    ("SOSP", "ACM Symposium on Operating Systems Principles", 1967),
    ("EuroSys", "European Conference on Computer Systems", 2006),
    ("ICML", "International Conference on Machine Learning", 1984),
    ("CVPR", "IEEE/CVF Conference on Computer Vision and Pattern Recognition", 1983),
    ("ICSE", "International Conference on Software Engineering", 1975),
    ("CCS", "ACM SIGSAC Conference on Computer and Communications Security", 1993),
    ("CHI", "CHI Conference on Human Factors in Computing Systems", 1982),
    ("INFOCOM", "IEEE Conference on Computer Communications", 1982),
    ("STOC", "Annual ACM SIGACT Symposium on Theory of Computing", 1969),
    ("EMNLP", "Conference on Empirical Methods in Natural Language Processing", 1996),
    ("WSC", "Winter Simulation Conference", 1968),
    ("ICCS", "International Conference on Computational Science", 2001),
]
SC_NAME = (
    "International Conference for High Performance Computing, Networking, Storage and Analysis"
)
WORKSHOPS = [
    ("XLOOP", "SC", "IEEE/ACM Annual Workshop on Extreme-scale Experiment-in-the-Loop Computing"),
    ("DLS", "SC", "IEEE/ACM Workshop on Deep Learning on Supercomputers"),
    (
        "AI4S",
        "SC",
        "IEEE/ACM Workshop on Artificial Intelligence and Machine Learning for "
        "Scientific Applications",
    ),
    ("AI-Science", "HPDC", "International Workshop on Autonomous Infrastructure for Science"),
    ("SNTA", "HPDC", "International Workshop on Systems and Network Telemetry and Analytics"),
    ("WORKS", "SC", "Workshop on Workflows in Support of Large-Scale Science"),
]
JOURNALS = [
    ("FGCS", ["Future Gener. Comput. Syst.", "Future Generation Computer Systems"]),
    (
        "TPDS",
        [
            "{IEEE} Trans. Parallel Distributed Syst.",
            "IEEE Transactions on Parallel and Distributed Systems",
        ],
    ),
    ("VLDB", ["Proc. {VLDB} Endow.", "Proceedings of the VLDB Endowment"]),
    (
        "TOMPECS",
        [
            "{ACM} Trans. Model. Perform. Evaluation Comput. Syst.",
            "ACM Transactions on Modeling and Performance Evaluation of Computing Systems",
        ],
    ),
    ("Nat. Commun.", ["Nature Communications", "Nat. Commun."]),
    ("IUCrJ", ["IUCrJ"]),
    ("JOSA A", ["J. Opt. Soc. Am. A", "Journal of the Optical Society of America A", "JOSA A"]),
    ("MLST", ["Machine Learning: Science and Technology", "Mach. Learn.: Sci. Technol."]),
    ("GMD", ["Geoscientific Model Development", "Geosci. Model Dev."]),
    ("Front. Phys.", ["Frontiers in Physics", "Front. Phys."]),
    ("CAIE", ["Computers & Industrial Engineering", "Comput. Ind. Eng."]),
    ("Procedia CS", ["Procedia Computer Science", "Procedia Comput. Sci."]),
    ("JPDC", ["J. Parallel Distributed Comput.", "Journal of Parallel and Distributed Computing"]),
    (
        "CCPE",
        ["Concurr. Comput. Pract. Exp.", "Concurrency and Computation: Practice and Experience"],
    ),
    ("JMLR", ["J. Mach. Learn. Res.", "Journal of Machine Learning Research"]),
    ("CACM", ["Commun. ACM", "Communications of the ACM"]),
    ("IEEE Access", ["IEEE Access"]),
    ("Sci. Rep.", ["Scientific Reports", "Sci. Rep."]),
]
PREPRINTS = ["arXiv preprint arXiv:{a}.{b:05d}", "CoRR", "ArXiv e-prints", "arXiv"]


def build_pool(rng: random.Random) -> list[tuple[str, str, str]]:
    """(text, hint, expected short) variants; hints are al-folio abbr values; the expected short
    is "" for venues the registry does not know."""
    pool: list[tuple[str, str, str]] = []
    for short, name, first in CONFERENCES:
        for year in range(2008, 2025):
            n = year - first + 1
            city, acm_city = rng.choice(CITIES)
            month = rng.choice(MONTHS)
            yy = year % 100
            numbered = name.replace("International", f"{ordinal(n)} International", 1)
            texts = [
                f"Proceedings of the {ordinal(n)} {name}, {{{short}}} {year}, {city}, "
                f"{month}, {year}",
                f"{short} '{yy:02d}: Proceedings of the {ordinal(n)} {name}",
                f"{short} '{yy:02d}: {year} {name}, {acm_city}, {month.split()[0]}, {year}",
                f"{year} {numbered} ({short})",
                f"Proceedings of the {year} {name}",
                f"{{{short}}}",
            ]
            pool += [(text, "", short) for text in texts]
            pool.append((f"{short} {year}", short, short))
    for year in range(2008, 2025):
        yy = year % 100
        city = rng.choice(CITIES)[0]
        texts = [
            f"SC '{yy:02d}: Proceedings of the {SC_NAME}",
            f"SC{yy:02d}: {SC_NAME}",
            f"Proceedings of the {SC_NAME}, {{SC}} {year}, {city}, "
            f"November {rng.randint(10, 18)}-{rng.randint(19, 22)}, {year}",
        ]
        pool += [(text, "", "SC") for text in texts]
        for short, parent, name in WORKSHOPS:
            numbered = name.replace("Workshop", f"{ordinal(year - 2015)} Workshop", 1)
            pool += [
                (f"{year} {numbered} ({short})", "", short),
                (f"{short}@{parent} {year}", "", short),
                (f"{short} workshop at {parent}{yy:02d}", "", short),
                (
                    f"Proceedings of the {name}, {short}@{parent} {year}, {rng.choice(CITIES)[0]}",
                    f"{short}@{parent}",
                    short,
                ),
            ]
    for short, forms in JOURNALS:
        for form in forms:
            pool.append((form, "", short))
            for _ in range(6):
                volume = f"Vol. {rng.randint(1, 120)}, {rng.randint(2008, 2024)}"
                pool.append((f"{form}, {volume}", "", short))
    for _ in range(300):
        form = rng.choice(PREPRINTS)
        pool.append((form.format(a=rng.randint(1501, 2412), b=rng.randint(1, 29999)), "", "arXiv"))
    for i in range(400):  # venues nobody has heard of
        text = (
            f"Proceedings of the {ordinal(rng.randint(1, 30))} Workshop on Topic {i}, "
            f"{rng.choice(CITIES)[0]}, {rng.choice(MONTHS)}, {rng.randint(2008, 2024)}"
        )
        pool.append((text, "", ""))
    return list(dict.fromkeys(pool))


def clear_caches(registry: venues.VenueRegistry | None = None) -> None:
    """Empty the per-text caches: the module helpers' (not the one-off loads: the shipped
    registry, pylatexenc's tables) and the registry's own."""
    from pubdb import textnorm

    for module in (venues, textnorm):
        for name in dir(module):
            fn = getattr(module, name)
            if hasattr(fn, "cache_clear") and (fn.cache_info().maxsize or 0) > 1:
                fn.cache_clear()
    for attribute in vars(registry).values() if registry is not None else ():
        if hasattr(attribute, "cache_clear"):
            attribute.cache_clear()


def bib_triples(paths: list[Path]) -> dict[str, list[tuple[str, str, str]]]:
    """The distinct (venue text, hint, lower-case entry type) of each file's entries, in order:
    the keys the importer resolves once each."""
    from pubdb.errors import PubdbError
    from pubdb.importers.bibtex import read_bibtex

    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.bib")) if path.is_dir() else [path]
    found: dict[str, list[tuple[str, str, str]]] = {}
    for path in files:
        try:
            records = read_bibtex(path, workers=1).records
        except PubdbError:
            continue
        triples = [(r.venue_text, r.venue_hint, r.entry_type.lower()) for r in records]
        found[str(path)] = list(dict.fromkeys(triples))
    return found


def resolve_cold(registry: venues.VenueRegistry, triples: list[tuple[str, str, str]]) -> float:
    """CPU seconds to resolve every triple (and its alias key, as import does), caches empty;
    the best of three runs."""
    best = float("inf")
    for _ in range(3):
        clear_caches(registry)
        start = time.process_time()
        for text, hint, entry_type in triples:
            venues.alias_key(text)
            venues.resolve_venue(text, hint=hint, entry_type=entry_type, registry=registry)
        best = min(best, time.process_time() - start)
    return best


def run(draws: list[tuple[str, str, str]]) -> tuple[float, int, int]:
    """Seconds for resolving every draw; how many came out known; how many as expected."""
    resolve = venues.resolve_venue
    start = time.process_time()
    found = [resolve(text, hint=hint) for text, hint, _ in draws]
    seconds = time.process_time() - start
    known = sum(1 for m in found if m is not None and m.known)
    right = sum(
        1
        for m, (_, _, expected) in zip(found, draws, strict=True)
        if (m.short if m is not None and m.known else "") == expected
    )
    return seconds, known, right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--bib", type=Path, nargs="*", default=[], help=".bib files or folders")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = build_pool(rng)
    rng.shuffle(pool)
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(pool))]
    draws = rng.choices(pool, weights=weights, k=args.n)
    distinct = len(set(draws))

    clear_caches()
    venues.default_registry.cache_clear()
    venues.builtin_venues.cache_clear()
    t0 = time.process_time()
    registry = venues.default_registry()
    load = time.process_time() - t0

    cold, known, right = run(draws)
    info = registry.cache_info()
    cold_hit = info.hits / max(1, info.hits + info.misses)
    warm, _, _ = run(draws)
    info2 = registry.cache_info()
    warm_hit = (info2.hits - info.hits) / max(
        1, (info2.hits + info2.misses) - (info.hits + info.misses)
    )

    sample = list(dict.fromkeys(draws))[:2000]
    per_distinct = resolve_cold(registry, [(text, hint, "") for text, hint, _ in sample]) / len(
        sample
    )

    print(f"venue registry: {len(registry)} venues, loaded and indexed in {load * 1000:.0f} ms")
    print(
        f"pool of {len(pool)} realistic strings; {args.n} draws, {distinct} distinct; "
        f"{known / args.n:.1%} resolved to a known venue, {right / args.n:.2%} to the expected one"
    )
    print()
    header = (
        f"{'pass':<8} {'entries':>8} {'distinct':>9} {'CPU s':>9} {'us/entry':>9} "
        f"{'cache hits':>11}"
    )
    print(header)
    print("-" * len(header))
    for label, secs, hit in (("cold", cold, cold_hit), ("warm", warm, warm_hit)):
        print(
            f"{label:<8} {args.n:>8} {distinct:>9} {secs:>9.3f} {secs / args.n * 1e6:>9.2f} "
            f"{hit:>10.1%}"
        )
    print()
    print(
        f"uncached resolution: {per_distinct * 1e6:.0f} us per distinct string "
        f"({len(sample)} strings, every cache empty)"
    )
    print(
        f"cost per 100k entries: {cold / args.n * 100_000:.2f} s cold, "
        f"{warm / args.n * 100_000:.3f} s warm"
    )
    if args.bib:
        print_bib_table(registry, args.bib)


def print_bib_table(registry: venues.VenueRegistry, paths: list[Path]) -> None:
    """One row per file given, and one per folder (all its files together)."""
    rows: list[tuple[str, list[tuple[str, str, str]]]] = []
    for path in paths:
        found = bib_triples([path])
        everything = [t for triples in found.values() for t in triples]
        label = f"{path.name} ({len(found)} files)" if path.is_dir() else path.name
        rows.append((label, list(dict.fromkeys(everything))))
    print()
    header = f"{'file':<40} {'distinct':>9} {'CPU s':>8} {'us/distinct':>12}"
    print(header)
    print("-" * len(header))
    for label, triples in rows:
        seconds = resolve_cold(registry, triples)
        per = seconds / max(1, len(triples)) * 1e6
        print(f"{label[:40]:<40} {len(triples):>9} {seconds:>8.3f} {per:>12.0f}")


if __name__ == "__main__":
    main()
