"""Dedup benchmark: planted duplicates and look-alikes at 10k and 100k records.

Run: ``.venv/bin/python benchmarks/dedup.py [--sizes 10000 100000] [--seed 7]``

Builds DedupItems directly (titles and names go through the real ``textnorm.title_key`` and
``names.name_match_key``, LaTeX spellings included), runs ``dedup.cluster`` and prints, per
size: pair precision and recall against the planted truth; the seconds spent generating the
items and clustering them (wall, and CPU in brackets, since the machine may be shared); the
import path (``DedupIndex`` build seconds, lookups per second, how often a planted
duplicate's best match is its twin, the index's own memory in MB by tracemalloc, items
excluded, and the CPU seconds of replaying an import's ``best_match`` + ``add`` for every
record from an empty index); the false positives / false negatives by kind.

Planted duplicates (must end up in one sure cluster): ``case_punct`` (case, punctuation,
braces), ``accents_latex`` (accents written as LaTeX in the title, names without accents),
``arxiv_twin`` (an arXiv preprint of a published paper, up to 2 years earlier, with or without
the arXiv id on the published record), ``truncated_authors`` (``and others`` after 1-3 names,
initials), ``abbreviated_venue`` (abbreviated journal/proceedings name, year maybe +1),
``typo`` (one letter wrong in the title), ``same_doi_retitled`` (same DOI, subtitle dropped).

Planted look-alikes (must not be merged): ``part_numbers`` (Part I / Part II), ``venue_year``
(workshop paper and its journal extension a year or two later: expected "possible"),
``erratum`` (erratum/corrigendum of a paper), ``different_doi`` (same title and authors, two
DOIs), ``series`` (same authors and year, one title word different), ``common_title`` (the
same title by other people), ``generic`` (Preface, Editorial, Keynote... by different people
in the same venue and year).

``--db 10000 [100000]`` also times the database path of ``pubdb dedup``: a synthetic file from
``benchmarks/synth.py`` (about 5% near-duplicates: case, spacing, braces, DOI prefix, page
dashes) is imported apart (``--on-duplicate keep``) into a temporary SQLite database, then
``dedup_service.find_clusters`` (what ``pubdb dedup`` runs: ``load_items`` + ``cluster``) and
``merge_sure`` (``--merge``, rolled back) are timed. Its reference count of duplicates is the
number of papers sharing a title key with an earlier one (synth only changes case, spacing
and braces of a duplicate's title).

``--bib FILE...`` measures the dedup side of importing each .bib file (read first, not timed),
in CPU seconds with the collector off (as during an import): building every record's item in
the main process (``item_from_record``) versus in the reader's worker processes
(``incoming_item``) with the main process doing only ``item_with_venue``; the items' share of
pickling chunks of 1000 records with their items (``dumps`` runs in a worker, ``loads`` in the
main process), against pickling the records alone; the memory of the items built in place
versus unpickled with their records (tracemalloc, which at 100k also counts caches of
``textnorm`` refilled while building; and the bytes of the items and of the values only they
hold); and the replay of ``best_match`` + ``add`` for every item from an empty index. The venue
registry is stood in for by one short name per distinct venue text, and a kind from the entry
type.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import random
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pubdb.dedup import DedupIndex, DedupItem, _item_values, choose_survivor, cluster
from pubdb.names import name_match_key
from pubdb.records import PersonName
from pubdb.textnorm import fold, title_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import TITLE_WORDS as _WORDS

_LINKS = ["for", "with", "in", "over", "on", "via", "using", "towards", "beyond"]
_ACCENTED = [  # (Unicode, the LaTeX a .bib file writes)
    ("Müller", '{M\\"u}ller'), ("Dvořák", "Dvo{\\v{r}}{\\'a}k"), ("Peña", "Pe{\\~n}a"),
    ("Gödel", 'G{\\"o}del'), ("Søren", "S{\\o}ren"), ("Érdős", "{\\'E}rd{\\H{o}}s"),
    ("naïve", 'na{\\"i}ve'), ("Zürich", 'Z{\\"u}rich'), ("Öztürk", '{\\"O}zt{\\"u}rk'),
]  # fmt: skip
_GIVEN = [
    "Ian", "Zhengchun", "Zizhong", "Yuanlai", "Tim", "Anna", "José", "Jürgen", "Søren",
    "François", "Ana", "Maria", "Hans", "Ming", "Xin", "Rafael", "Ewa", "Olga", "Pieter", "Jan",
    "Li", "Kyle", "Samuel", "Nadia", "Chen", "Tomás", "Zoë", "Björn", "Ioan", "Rachel", "Omar",
    "Priya", "Kenji", "Lars", "Ines", "Marco", "Elena", "Dmitri", "Aisha", "Hugo", "Mei",
    "Yusuf", "Clara", "Viktor", "Sofia", "Arjun", "Hana", "Pablo", "Greta", "Noah", "Leila"
]  # fmt: skip
_FAMILY = [
    "Foster", "Liu", "Kraska", "Gürsoy", "Müller", "Silva", "Renen", "Carlo", "Chard",
    "Kettimuthu", "Raicu", "Lopez", "Nguyen", "Schmidt", "García", "Østergaard", "Dvořák",
    "Wang", "Zhang", "Smith", "Johnson", "Brown", "Li", "Kumar", "Patel", "Rossi", "Novák",
    "Bäumer", "Çelik", "Šimek", "Öztürk", "Peña", "Tanaka", "Berg", "Costa", "Moreau",
    "Fischer", "Kowalski", "Ivanov", "Haddad", "Okafor", "Lindqvist", "Romano", "Yamamoto",
    "Schneider", "Ahmed", "Duarte", "Hansen", "Petrov", "Weber", "Kaur", "Suzuki", "Martin",
    "Bernard", "Dubois", "Lambert", "Fontaine", "Rey"
]  # fmt: skip
# (short, full name, abbreviation, kind)
_VENUES = [
    ("PVLDB", "Proceedings of the VLDB Endowment", "Proc. VLDB Endow.", "journal"),
    ("TPDS", "IEEE Transactions on Parallel and Distributed Systems",
     "IEEE Trans. Parallel Distrib. Syst.", "journal"),
    ("FGCS", "Future Generation Computer Systems", "Future Gener. Comput. Syst.", "journal"),
    ("TODS", "ACM Transactions on Database Systems", "ACM Trans. Database Syst.", "journal"),
    ("JPDC", "Journal of Parallel and Distributed Computing", "J. Parallel Distrib. Comput.",
     "journal"),
    ("CACM", "Communications of the ACM", "Commun. ACM", "journal"),
    ("SIGMOD", "Proceedings of the International Conference on Management of Data",
     "Proc. Int. Conf. Manag. Data", "conference"),
    ("SC", "International Conference for High Performance Computing, Networking, Storage and "
     "Analysis", "Int. Conf. High Perform. Comput. Netw. Storage Anal.", "conference"),
    ("IPDPS", "IEEE International Parallel and Distributed Processing Symposium",
     "IEEE Int. Parallel Distrib. Process. Symp.", "conference"),
    ("HPDC", "International Symposium on High-Performance Parallel and Distributed Computing",
     "Int. Symp. High-Perform. Parallel Distrib. Comput.", "conference"),
    ("XLOOP", "Workshop on Extreme-Scale Experiment-in-the-Loop Computing",
     "Workshop Extreme-Scale Exp.-in-the-Loop Comput.", "workshop"),
    ("MLSys-WS", "Workshop on Machine Learning for Systems", "Workshop Mach. Learn. Syst.",
     "workshop"),
]  # fmt: skip
_GENERIC = [
    "Preface", "Editorial", "Keynote", "Foreword", "Introduction", "Panel", "Front matter",
    "Index", "Keynote talk", "Introduction to the special issue",
]  # fmt: skip


@cache
def _match_key(given: str, family: str) -> str:
    """Author keys come from the index column ``authors.match_key`` in pubdb, so they are
    computed once per person, not once per authorship."""
    return name_match_key(PersonName(given=given, family=family))


@dataclass
class Planted:
    items: list[DedupItem]
    paper_of: dict[int, int]  # item id -> paper id (same paper id = truly the same paper)
    dup_kind: dict[int, str]  # item id of a planted duplicate -> its kind
    lookalike: dict[frozenset[int], str]  # pair of item ids -> look-alike kind


class _Gen:
    def __init__(self, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = n
        self.items: list[DedupItem] = []
        self.paper_of: dict[int, int] = {}
        self.dup_kind: dict[int, str] = {}
        self.lookalike: dict[frozenset[int], str] = {}
        self.next_paper = 0
        self.next_doi = 0
        people = [(g, f) for g in _GIVEN for f in _FAMILY]
        self.rng.shuffle(people)
        self.people = people
        self.groups = [self.rng.sample(people, 6) for _ in range(max(50, n // 40))]

    # -- building blocks --------------------------------------------------------------------
    def title(self) -> str:
        rng = self.rng
        head = " ".join(rng.sample(_WORDS, rng.randint(3, 5)))
        tail = " ".join(rng.sample(_WORDS, rng.randint(2, 4)))
        text = f"{head} {rng.choice(_LINKS)} {tail}"
        if rng.random() < 0.3:
            text = f"{text}: {' '.join(rng.sample(_WORDS, rng.randint(2, 4)))}"
        if rng.random() < 0.1:
            plain, _ = rng.choice(_ACCENTED)
            text = f"{plain} {text}"
        return text[0].upper() + text[1:]

    def authors(self) -> list[tuple[str, str]]:
        rng = self.rng
        group = rng.choice(self.groups)
        count = rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 6, 8])
        names = rng.sample(group, min(count, len(group)))
        if count > len(group):
            names += rng.sample(self.people, count - len(group))
        return names

    def doi(self) -> str:
        self.next_doi += 1
        return f"10.{1000 + self.next_doi % 7000}/bench.{self.next_doi}"

    def add(self, paper: int, title: str, names, **kw) -> DedupItem:
        ident = len(self.items)
        item = DedupItem(
            id=ident,
            key=f"k{ident}",
            title_key=title_key(title),
            title=title,
            author_keys=tuple(_match_key(g, f) for g, f in names),
            **kw,
        )
        self.items.append(item)
        self.paper_of[ident] = paper
        return item

    def new_paper(self) -> int:
        self.next_paper += 1
        return self.next_paper

    def base(self, **override) -> tuple[int, DedupItem, dict]:
        rng = self.rng
        short, full, _abbr, kind = rng.choice(_VENUES)
        start = rng.randint(1, 900)
        spec = {
            "title": self.title(),
            "names": self.authors(),
            "year": rng.randint(2000, 2024),
            "doi": self.doi() if rng.random() < 0.6 else "",
            "arxiv_id": "",
            "entry_type": "article" if kind == "journal" else "inproceedings",
            "venue": fold(rng.choice([short, full])),
            "venue_kind": kind,
            "pages": f"{start}--{start + rng.randint(5, 20)}",
            "volume": str(rng.randint(1, 60)) if kind == "journal" else "",
            "_full": full,
            "_abbr": _abbr,
        }
        spec.update(override)
        paper = self.new_paper()
        return paper, self.emit(paper, spec), spec

    def emit(self, paper: int, spec: dict) -> DedupItem:
        kw = {k: v for k, v in spec.items() if k not in ("title", "names") and k[0] != "_"}
        return self.add(paper, spec["title"], spec["names"], **kw)

    # -- planted duplicates -----------------------------------------------------------------
    def dup(self, kind: str) -> None:
        rng = self.rng
        paper, orig, spec = self.base()
        d = dict(spec)
        if kind == "case_punct":
            t = spec["title"]
            d["title"] = rng.choice([t.upper(), t.lower(), "{" + t + "}.", t.replace(" ", "  ")])
            if ":" in t:
                d["title"] = d["title"].replace(":", " -")
            d["doi"] = rng.choice(["", spec["doi"]])
        elif kind == "accents_latex":
            plain, latex = rng.choice(_ACCENTED)
            words = spec["title"].split()
            words.insert(rng.randint(0, len(words)), plain)
            spec["title"] = " ".join(words)
            self.items.pop()
            del self.paper_of[orig.id]
            orig = self.emit(paper, spec)
            d["title"] = spec["title"].replace(plain, latex)
            d["names"] = [(fold(g), fold(f)) for g, f in spec["names"]]
            d["doi"] = ""
        elif kind == "arxiv_twin":
            arxiv = f"{rng.randint(15, 24):02d}{rng.randint(1, 12):02d}.{rng.randint(1, 99999):05d}"
            if rng.random() < 0.5:  # the published record knows its preprint
                spec["arxiv_id"] = arxiv
                self.items.pop()
                del self.paper_of[orig.id]
                orig = self.emit(paper, spec)
            d.update(
                doi=rng.choice(["", f"10.48550/arXiv.{arxiv}"]), arxiv_id=arxiv,
                year=spec["year"] - rng.choice([0, 0, 1, 1, 2]), entry_type="misc",
                venue="arxiv", venue_kind="preprint", pages="", volume="",
            )  # fmt: skip
        elif kind == "truncated_authors":
            names = spec["names"]
            if len(names) < 3:
                names = names + self.rng.sample(self.people, 3)
                spec["names"] = names
                self.items.pop()
                del self.paper_of[orig.id]
                orig = self.emit(paper, spec)
            keep = rng.randint(1, min(3, len(names) - 1))
            d["names"] = [(g[0] + ".", f) for g, f in names[:keep]]
            d["authors_truncated"] = True
            d["doi"] = ""
        elif kind == "abbreviated_venue":
            d["venue"] = fold(spec["_abbr"])
            d["venue_kind"] = ""
            d["year"] = spec["year"] + rng.choice([0, 0, 1])
            d["doi"] = ""
        elif kind == "typo":
            words = spec["title"].split()
            idx = max(range(len(words)), key=lambda k: len(words[k]))
            w = words[idx]
            pos = rng.randint(1, len(w) - 2)
            words[idx] = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2 :]
            d["title"] = " ".join(words)
            d["names"] = [(g[0] + ".", f) for g, f in spec["names"]]
            d["doi"] = ""
        elif kind == "same_doi_retitled":
            if not spec["doi"]:
                spec["doi"] = self.doi()
                self.items.pop()
                del self.paper_of[orig.id]
                orig = self.emit(paper, spec)
                d["doi"] = spec["doi"]
            d["title"] = spec["title"].split(":")[0] + ": " + " ".join(rng.sample(_WORDS, 3))
        dup = self.emit(paper, d)
        self.dup_kind[dup.id] = kind

    # -- planted look-alikes ----------------------------------------------------------------
    def lookalike_pair(self, kind: str) -> None:
        rng = self.rng
        _, a, spec = self.base()
        d = dict(spec)
        if kind == "part_numbers":
            n = rng.randint(1, 3)
            roman = ["I", "II", "III", "IV"]
            spec_title = spec["title"]
            self.items.pop()
            del self.paper_of[a.id]
            spec["title"] = f"{spec_title}, Part {roman[n - 1]}"
            a = self.emit(self.next_paper, spec)
            d["title"] = f"{spec_title}, Part {roman[n]}"
            d["year"] = spec["year"] + rng.choice([0, 1])
        elif kind == "venue_year":
            ws = rng.choice([v for v in _VENUES if v[3] == "workshop"])
            jn = rng.choice([v for v in _VENUES if v[3] == "journal"])
            self.items.pop()
            del self.paper_of[a.id]
            spec.update(venue=fold(ws[0]), venue_kind="workshop", entry_type="inproceedings",
                        volume="", doi="")  # fmt: skip
            a = self.emit(self.next_paper, spec)
            d.update(
                venue=fold(jn[0]), venue_kind="journal", entry_type="article", volume="7",
                year=spec["year"] + rng.choice([1, 2]), doi=self.doi(),
            )  # fmt: skip
        elif kind == "erratum":
            d["title"] = (
                rng.choice(["Erratum to: ", "Corrigendum: ", "Correction to: "]) + (spec["title"])
            )
            d["year"] = spec["year"] + rng.choice([0, 1])
            d["doi"] = ""
            d["pages"] = ""
        elif kind == "different_doi":
            if not spec["doi"]:
                self.items.pop()
                del self.paper_of[a.id]
                spec["doi"] = self.doi()
                a = self.emit(self.next_paper, spec)
            d["doi"] = self.doi()
            d["venue"] = fold(rng.choice(_VENUES)[0])
        elif kind == "common_title":
            d["names"] = rng.sample(self.people, len(spec["names"]))
            d["year"] = spec["year"] + rng.choice([0, 3])
            d["venue"] = fold(rng.choice(_VENUES)[0])
            d["doi"] = ""
        elif kind == "series":
            words = spec["title"].split()
            idx = rng.randrange(len(words))
            choices = [w for w in _WORDS if fuzz_far(w, words[idx])]
            words[idx] = rng.choice(choices)
            d["title"] = " ".join(words)
            d["doi"] = ""
            d["pages"] = ""
        b = self.emit(self.new_paper(), d)
        self.lookalike[frozenset((a.id, b.id))] = kind

    def generic(self, per_venue_year: int) -> None:
        rng = self.rng
        short, _full, _abbr, kind = rng.choice(_VENUES)
        year = rng.randint(2000, 2024)
        made = []
        title = rng.choice(_GENERIC)
        for _ in range(per_venue_year):
            names = rng.sample(self.people, rng.randint(1, 3))
            item = self.add(
                self.new_paper(), title, names, year=year, entry_type="inproceedings",
                venue=fold(short), venue_kind=kind, doi=self.doi() if rng.random() < 0.3 else "",
            )  # fmt: skip
            made.append(item.id)
        for x, y in combinations(made, 2):
            self.lookalike[frozenset((x, y))] = "generic"


def fuzz_far(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.ratio(a, b) < 60


DUP_KINDS = ("case_punct", "accents_latex", "arxiv_twin", "truncated_authors",
             "abbreviated_venue", "typo", "same_doi_retitled")  # fmt: skip
LOOKALIKE_KINDS = ("part_numbers", "venue_year", "erratum", "different_doi", "series",
                   "common_title")  # fmt: skip


def generate(n: int, seed: int) -> Planted:
    """``n`` items: ~8% planted duplicates, ~6% look-alike pairs, ~1% generic titles."""
    gen = _Gen(n, seed)
    rng = gen.rng
    plan: list[str] = []
    plan += [f"dup:{DUP_KINDS[k % len(DUP_KINDS)]}" for k in range(int(n * 0.04))]
    plan += [f"look:{LOOKALIKE_KINDS[k % len(LOOKALIKE_KINDS)]}" for k in range(int(n * 0.03))]
    plan += ["generic"] * max(1, int(n * 0.01) // 4)
    rng.shuffle(plan)
    for step in plan:
        if step.startswith("dup:"):
            gen.dup(step[4:])
        elif step.startswith("look:"):
            gen.lookalike_pair(step[5:])
        else:
            gen.generic(4)
    while len(gen.items) < n:
        gen.base()
    return Planted(gen.items, gen.paper_of, gen.dup_kind, gen.lookalike)


def _pairs_of(groups) -> set[frozenset[int]]:
    out: set[frozenset[int]] = set()
    for members in groups:
        for x, y in combinations(sorted(members), 2):
            out.add(frozenset((x, y)))
    return out


def evaluate(planted: Planted, clusters) -> dict:
    by_paper: dict[int, list[int]] = defaultdict(list)
    for ident, paper in planted.paper_of.items():
        by_paper[paper].append(ident)
    truth = _pairs_of(m for m in by_paper.values() if len(m) > 1)
    predicted = _pairs_of(c.ids for c in clusters if c.sure)
    possible = {frozenset(c.ids) for c in clusters if not c.sure}
    tp = truth & predicted
    fp = predicted - truth
    fn = truth - predicted

    def dup_kind(pair: frozenset[int]) -> str:
        return next((planted.dup_kind[i] for i in pair if i in planted.dup_kind), "base")

    fp_kinds = Counter(planted.lookalike.get(p, "accidental") for p in fp)
    fn_kinds = Counter(dup_kind(p) for p in fn)
    fn_possible = Counter(dup_kind(p) for p in fn if p in possible)
    look_possible = Counter(planted.lookalike[p] for p in possible if p in planted.lookalike)
    return {
        "truth": len(truth),
        "predicted": len(predicted),
        "precision": len(tp) / len(predicted) if predicted else 1.0,
        "recall": len(tp) / len(truth) if truth else 1.0,
        "fp": fp_kinds,
        "fn": fn_kinds,
        "fn_possible": fn_possible,
        "look_possible": look_possible,
        "possible": len(possible),
        "examples_fp": sorted(fp, key=sorted)[:3],
        "examples_fn": sorted(fn, key=sorted)[:3],
    }


def import_path(planted: Planted) -> dict:
    """The import side: index every record, then look each planted duplicate up (as import
    does for an incoming record) and count how often the best match is its twin. Then the
    index's own memory (tracemalloc; the items exist already, so: blocks, sorted keys), and a
    replay of what an import does per record from an empty index: ``best_match``, then
    ``add`` (``discard`` + ``add`` of the survivor on a 'same' match)."""
    t0 = time.perf_counter()
    index = DedupIndex(planted.items)
    t1 = time.perf_counter()
    by_id = {item.id: item for item in planted.items}
    hits = 0
    for ident in planted.dup_kind:
        found = index.best_match(by_id[ident])
        if found and found[1].verdict == "same":
            hits += planted.paper_of[found[0].id] == planted.paper_of[ident]
    t2 = time.perf_counter()
    lookups = len(planted.dup_kind)
    del index
    tracemalloc.start()
    index = DedupIndex(planted.items)
    index_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del index
    c3 = time.process_time()
    index = DedupIndex()
    for item in planted.items:
        found = index.best_match(item)
        if found and found[1].verdict == "same":
            index.discard(found[0].id)
            index.add(choose_survivor(found[0], item))
        else:
            index.add(item)
    c4 = time.process_time()
    return {
        "index_build": t1 - t0,
        "lookups_per_s": lookups / (t2 - t1) if t2 > t1 else 0.0,
        "import_recall": hits / lookups if lookups else 1.0,
        "index_mb": index_bytes / 1e6,
        "replay_cpu": c4 - c3,
    }


def database_path(n: int, seed: int) -> dict:
    """Import a synthetic file apart into a fresh SQLite database and time ``pubdb dedup``'s
    service calls on it (the merge is rolled back)."""
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synth import generate_bib

    from pubdb.dedup_service import find_clusters, load_items, merge_sure
    from pubdb.importing import ImportInput, import_files
    from pubdb.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        bib = Path(folder) / "synth.bib"
        bib.write_text(generate_bib(n, seed=seed, dup_rate=0.05), encoding="utf-8")
        store = open_store(str(Path(folder) / "bench.sqlite"))
        try:
            t0 = time.perf_counter()
            with store.transaction() as session:
                import_files(session, [ImportInput(str(bib))], on_duplicate="keep")
            t1 = time.perf_counter()
            with store.transaction(rollback=True) as session:
                t2 = time.perf_counter()
                items = load_items(session)
                t3, c3 = time.perf_counter(), time.process_time()
                clusters = find_clusters(session)  # loads the items again: the whole command
                t4, c4 = time.perf_counter(), time.process_time()
                outcomes = merge_sure(session, clusters)
                t5 = time.perf_counter()
        finally:
            store.dispose()
    sure = [c for c in clusters if c.sure]
    return {
        "papers": len(items),
        "reference": len(items) - len({item.title_key for item in items}),
        "sure": len(sure),
        "away": sum(len(c.ids) - 1 for c in sure),
        "possible": len(clusters) - len(sure),
        "import": t1 - t0,
        "load": t3 - t2,
        "dedup": t4 - t3,
        "dedup_cpu": c4 - c3,
        "merged": len(outcomes),
        "merge": t5 - t4,
    }


def _registry_stand_in(records) -> list[tuple[str, str]]:
    """A (short name, kind) per record, as the venue registry would answer it."""
    shorts: dict[str, str] = {}
    kinds = {"article": "journal", "inproceedings": "conference", "misc": "other"}
    return [
        (
            shorts.setdefault(rec.venue_text, f"V{len(shorts)}") if rec.venue_text else "",
            kinds.get(rec.entry_type.lower(), ""),
        )
        for rec in records
    ]


def bib_file(path: str, chunk: int = 1000) -> dict:
    """The dedup side of importing ``path`` (see the module docstring, ``--bib``)."""
    from pubdb.dedup import INCOMING, incoming_item, item_from_record, item_with_venue
    from pubdb.importers import read_bibtex

    records = read_bibtex(path).records
    venues = _registry_stand_in(records)
    chunks = [slice(i, i + chunk) for i in range(0, len(records), chunk)]
    protocol = pickle.HIGHEST_PROTOCOL
    cpu = time.process_time
    out: dict = {"records": len(records)}
    gc.collect()
    gc.disable()
    try:
        c0 = cpu()
        built = [
            item_from_record(INCOMING, rec, s, k)
            for rec, (s, k) in zip(records, venues, strict=True)
        ]
        c1 = cpu()
        incoming = [incoming_item(rec) for rec in records]
        c2 = cpu()
        pairs = [pickle.dumps((records[c], incoming[c]), protocol) for c in chunks]
        c3 = cpu()
        alone = [pickle.dumps(records[c], protocol) for c in chunks]
        c4 = cpu()
        loaded = [pickle.loads(blob) for blob in pairs]
        c5 = cpu()
        for blob in alone:
            pickle.loads(blob)
        c6 = cpu()
        for (rec, item), (s, k) in zip(_chunk_pairs(loaded), venues, strict=True):
            item_with_venue(item, rec, s, k)
        c7 = cpu()
        out.update(
            main=c1 - c0,
            worker=c2 - c1,
            dumps=(c3 - c2) - (c4 - c3),
            loads=(c5 - c4) - (c6 - c5),
            with_venue=c7 - c6,
            pickled_mb=(sum(map(len, pairs)) - sum(map(len, alone))) / 1e6,
        )
        del built, incoming, loaded
        gc.collect()
        tracemalloc.start()
        built = [
            item_from_record(INCOMING, rec, s, k)
            for rec, (s, k) in zip(records, venues, strict=True)
        ]
        in_place = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        owned_in_place = _owned_bytes(zip(records, built, strict=True))
        del built
        tracemalloc.start()
        loaded = [pickle.loads(blob) for blob in alone]
        records_only = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del loaded
        tracemalloc.start()
        loaded = [pickle.loads(blob) for blob in pairs]
        for (rec, item), (s, k) in zip(_chunk_pairs(loaded), venues, strict=True):
            item_with_venue(item, rec, s, k)
        with_items = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        owned_unpickled = _owned_bytes(_chunk_pairs(loaded))
        del loaded
        out.update(
            in_place_mb=in_place / 1e6,
            unpickled_mb=(with_items - records_only) / 1e6,
            owned_in_place_mb=owned_in_place / 1e6,
            owned_unpickled_mb=owned_unpickled / 1e6,
        )
        items = [
            item_from_record(INCOMING, rec, s, k)
            for rec, (s, k) in zip(records, venues, strict=True)
        ]
        c8 = cpu()
        _replay(items)
        out["replay"] = cpu() - c8
    finally:
        gc.enable()
    return out


def _owned_bytes(pairs: Iterable[tuple]) -> int:
    """``sys.getsizeof`` of the items and of the values they hold that no record holds (the
    title a record and its item share counts with the record), each object once: what the
    items add, untouched by caches that tracemalloc sees refilled at 100k."""
    pairs = list(pairs)
    seen = {id(value) for rec, _ in pairs for value in vars(rec).values()}
    total = 0
    for _, item in pairs:
        total += sys.getsizeof(item)
        for value in _item_values(item):
            parts = (value, *value) if isinstance(value, tuple) else (value,)
            for part in parts:
                if id(part) not in seen:
                    seen.add(id(part))
                    total += sys.getsizeof(part)
    return total


def _chunk_pairs(chunks: list[tuple[list, list]]) -> Iterator[tuple]:
    for records, items in chunks:
        yield from zip(records, items, strict=True)


def _replay(items: list[DedupItem]) -> int:
    """What an import does with each incoming item: look it up, then add it under a new id
    (on a 'same' match: replace the match by the survivor, re-ided)."""
    from pubdb.dedup import INCOMING

    index = DedupIndex()
    merged = 0
    for ref, item in enumerate(items):
        found = index.best_match(item)
        if found and found[1].verdict == "same":
            index.discard(found[0].id)
            survivor = choose_survivor(found[0], item)
            if survivor.id == INCOMING:
                object.__setattr__(survivor, "id", found[0].id)
            index.add(survivor)
            merged += 1
        else:
            object.__setattr__(item, "id", ref)
            index.add(item)
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--examples", action="store_true", help="print a few FP/FN pairs")
    parser.add_argument(
        "--db", type=int, nargs="*", default=[], metavar="N", help="database path sizes"
    )
    parser.add_argument(
        "--bib", nargs="*", default=[], metavar="FILE", help="import-side item costs per file"
    )
    args = parser.parse_args()
    if args.bib:
        print("| file | records | item_from_record cpu s (main) | incoming_item cpu s (workers) "
              "| pickle dumps / loads cpu s | pickled MB | item_with_venue cpu s (main) | "
              "items MB built / unpickled (tracemalloc) | items MB built / unpickled (owned) "
              "| best_match+add replay cpu s |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for path in args.bib:
            r = bib_file(path)
            print(f"| {Path(path).name} | {r['records']} | {r['main']:.2f} | {r['worker']:.2f} | "
                  f"{r['dumps']:.2f} / {r['loads']:.2f} | {r['pickled_mb']:.1f} | "
                  f"{r['with_venue']:.2f} | {r['in_place_mb']:.1f} / {r['unpickled_mb']:.1f} | "
                  f"{r['owned_in_place_mb']:.1f} / {r['owned_unpickled_mb']:.1f} | "
                  f"{r['replay']:.2f} |")  # fmt: skip
        if not args.sizes and not args.db:
            return

    rows = []
    for n in args.sizes:
        t0 = time.perf_counter()
        planted = generate(n, args.seed)
        t1, c1 = time.perf_counter(), time.process_time()
        clusters = cluster(planted.items)
        t2, c2 = time.perf_counter(), time.process_time()
        result = evaluate(planted, clusters)
        result.update(import_path(planted))
        result["dedup_cpu"] = c2 - c1
        rows.append((n, t1 - t0, t2 - t1, result))
        if args.examples:
            by_id = {it.id: it for it in planted.items}
            for label in ("examples_fp", "examples_fn"):
                for pair in result[label]:
                    x, y = sorted(pair)
                    print(label, by_id[x], by_id[y], sep="\n  ")

    print("| records | truth pairs | predicted | precision | recall | possible | generate s | "
          "dedup s (cpu) | index build s | lookups/s | import recall | index MB | "
          "import replay cpu s |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, build, dedup, r in rows:
        print(f"| {n} | {r['truth']} | {r['predicted']} | {r['precision']:.4f} | "
              f"{r['recall']:.4f} | {r['possible']} | {build:.1f} | {dedup:.1f} "
              f"({r['dedup_cpu']:.1f}) | "
              f"{r['index_build']:.1f} | {r['lookups_per_s']:.0f} | "
              f"{r['import_recall']:.4f} | {r['index_mb']:.1f} | "
              f"{r['replay_cpu']:.1f} |")  # fmt: skip
    for n, _, _, r in rows:
        print(f"\n{n} records")
        print(f"  false positives by kind: {dict(r['fp']) or '-'}")
        print(f"  false negatives by kind: {dict(r['fn']) or '-'}"
              f" (of which reported possible: {dict(r['fn_possible']) or '-'})")  # fmt: skip
        print(f"  look-alikes reported possible: {dict(r['look_possible']) or '-'}")

    if args.db:
        print("\n`pubdb dedup` over a database (synthetic file imported with --on-duplicate keep)")
        print("| papers | reference dups | sure clusters | merged away | possible | import s | "
              "load_items s | find_clusters s (cpu) | --merge s | merges/s |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in args.db:
            d = database_path(n, args.seed)
            rate = d["merged"] / d["merge"] if d["merge"] else 0.0
            print(f"| {d['papers']} | {d['reference']} | {d['sure']} | {d['away']} | "
                  f"{d['possible']} | {d['import']:.1f} | {d['load']:.1f} | "
                  f"{d['dedup']:.1f} ({d['dedup_cpu']:.1f}) | {d['merge']:.1f} | "
                  f"{rate:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
