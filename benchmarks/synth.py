"""Deterministic synthetic BibTeX for the benchmarks: realistic entries and near-duplicates.

``generate_bib(n, seed, dup_rate)`` returns the text of a .bib file with ``n`` entries that
look like a researcher's real bibliography: ``@string`` macros for venues (some used with
``#`` concatenation), month macros, LaTeX accents and protective braces in names and titles,
a pool of authors that repeat across papers (with spelling variants such as initials), DOIs in
several written forms, page ranges in several dash styles, arXiv preprints in the usual three
forms, and about ``dup_rate`` of entries that are near-duplicates of earlier ones (same paper,
another key, changed case, spacing, DOI prefix or page dashes) for the dedup benchmarks.

The same ``(n, seed, dup_rate)`` always gives the same text.
"""

from __future__ import annotations

import random

_GIVEN = [
    "Ian",
    "Zhengchun",
    "Zizhong",
    "Yuanlai",
    "Tim",
    "Anna",
    "José",
    "Jürgen",
    "Søren",
    "François",
    "Wei-keng",
    "Ana",
    "Maria",
    "Hans",
    "Ming",
    "Xin",
    "Rafael",
    "Ewa",
    "Olga",
    "Pieter",
    "Jan",
    "Li",
    "Kyle",
    "Samuel",
    "Nadia",
    "Chen",
    "Tomás",
    "Zoë",
    "Björn",
    "Ioan",
]
_FAMILY = [
    "Foster",
    "Liu",
    "Kraska",
    "Gürsoy",
    "Müller",
    "Ferreira da Silva",
    "van Renen",
    "De Carlo",
    "Chard",
    "Kettimuthu",
    "Raicu",
    "Lopez",
    "Nguyen",
    "Schmidt",
    "García",
    "Østergaard",
    "Dvořák",
    "Łukasz",
    "Wang",
    "Zhang",
    "Smith",
    "Johnson",
    "Brown",
    "Li",
    "Kumar",
    "Patel",
    "Rossi",
    "Novák",
    "Bäumer",
    "Çelik",
    "Šimek",
    "Öztürk",
    "Peña",
]
# LaTeX spellings of the non-ASCII letters above (how real .bib files write them).
_LATEX = {
    "é": "{\\'e}",
    "ü": '{\\"u}',
    "ø": "{\\o}",
    "Ø": "{\\O}",
    "ç": "\\c{c}",
    "Ç": "\\c{C}",
    "á": "\\'{a}",
    "í": "{\\'\\i}",
    "ó": "{\\'o}",
    "ë": '{\\"e}',
    "ö": '{\\"o}',
    "Ö": '{\\"O}',
    "ä": '{\\"a}',
    "ř": "{\\v{r}}",
    "Š": "{\\v{S}}",
    "Ł": "{\\L}",
    "ñ": "{\\~n}",
}
# Title words, shared with benchmarks/dedup.py.
TITLE_WORDS = [
    "scalable",
    "learned",
    "index",
    "structures",
    "data",
    "transfer",
    "wide",
    "area",
    "networks",
    "distributed",
    "query",
    "optimization",
    "machine",
    "learning",
    "systems",
    "workflow",
    "scheduling",
    "exascale",
    "storage",
    "compression",
    "graph",
    "neural",
    "approximate",
    "streaming",
    "federated",
    "benchmark",
    "cloud",
    "edge",
    "serverless",
    "adaptive",
    "tomography",
    "reconstruction",
    "performance",
    "prediction",
    "model",
    "database",
    "caching",
    "replication",
    "consistency",
    "secure",
    "efficient",
    "robust",
]
_ACRONYMS = ["GPU", "HPC", "SQL", "DNN", "RDMA", "MPI", "FPGA", "LLM", "X-ray", "NVMe"]
_JOURNALS = [
    ("fgcs", "Future Generation Computer Systems"),
    ("pvldb", "Proc. {VLDB} Endow."),
    ("tpds", "{IEEE} Transactions on Parallel and Distributed Systems"),
    ("jpdc", "Journal of Parallel and Distributed Computing"),
    ("tods", "{ACM} Transactions on Database Systems"),
]
_CONFERENCES = [
    "Proceedings of the 2024 International Conference on Management of Data ({SIGMOD})",
    "Proceedings of the {VLDB} Endowment",
    "Proceedings of the International Conference for High Performance Computing, "
    "Networking, Storage and Analysis ({SC})",
    "2021 {IEEE/ACM} Workshop on Extreme-Scale Experiment-in-the-Loop Computing ({XLOOP})",
    "Proceedings of the 30th {ACM} Symposium on Operating Systems Principles",
    "{IEEE} International Parallel and Distributed Processing Symposium ({IPDPS})",
    "Conference on Innovative Data Systems Research ({CIDR})",
]
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _latex(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_GIVEN), rng.choice(_FAMILY)


def _write_name(given: str, family: str, rng: random.Random) -> str:
    """One author as a .bib file would write them: several forms for the same person."""
    g, f = _latex(given), _latex(family)
    form = rng.random()
    if form < 0.45:
        return f"{f}, {g}"
    if form < 0.85:
        return (
            f"{g} {f}" if " " not in family or family.startswith(("van ", "de ")) else f"{f}, {g}"
        )
    initials = ". ".join(part[0] for part in given.split("-")) + "."
    return f"{f}, {initials}"


def _title(rng: random.Random) -> str:
    words = rng.sample(TITLE_WORDS, rng.randint(4, 9))
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), "{" + rng.choice(_ACRONYMS) + "}")
    if rng.random() < 0.1:
        words.append("in $O(n \\log n)$")
    if rng.random() < 0.1:
        words.insert(0, "{\\em On}")
    title = " ".join(words)
    return title[0].upper() + title[1:]


def _doi(rng: random.Random, i: int) -> str:
    return f"10.{rng.choice([1145, 1109, 1016, 14778])}/{rng.randint(1000, 9999)}.{i:06d}"


def _entry(i: int, rng: random.Random, people: list[tuple[str, str]]) -> dict[str, str]:
    """One entry as an ordered dict of field -> already-delimited BibTeX value."""
    kind = rng.random()
    year = rng.randint(2005, 2025)
    authors = [people[min(int(rng.expovariate(1 / 40)), len(people) - 1)]]
    authors += [rng.choice(people) for _ in range(rng.randint(0, 6))]
    fields: dict[str, str] = {}
    names = " and ".join(_write_name(g, f, rng) for g, f in authors)
    if rng.random() < 0.02:
        names += " and others"
    fields["author"] = "{" + names + "}"
    fields["title"] = "{" + _title(rng) + "}"
    if kind < 0.35:
        entry_type = "article"
        macro, _full = rng.choice(_JOURNALS)
        fields["journal"] = macro if rng.random() < 0.8 else f'{macro} # " (Special Issue)"'
        fields["volume"] = str(rng.randint(1, 120))
        fields["number"] = "{" + str(rng.randint(1, 12)) + "}"
    elif kind < 0.85:
        entry_type = "inproceedings"
        fields["booktitle"] = "{" + _latex(rng.choice(_CONFERENCES)) + "}"
        if rng.random() < 0.3:
            fields["publisher"] = "{ACM}" if rng.random() < 0.5 else "{IEEE}"
    else:
        entry_type = "misc"
        arxiv = f"{year % 100:02d}{rng.randint(1, 12):02d}.{rng.randint(1, 29999):05d}"
        form = rng.random()
        if form < 0.4:
            fields["eprint"] = "{" + arxiv + "}"
            fields["archiveprefix"] = "{arXiv}"
        elif form < 0.8:
            fields["journal"] = "{arXiv preprint arXiv:" + arxiv + "}"
        else:
            fields["doi"] = "{10.48550/arXiv." + arxiv + "}"
    fields["year"] = str(year) if rng.random() < 0.7 else "{" + str(year) + "}"
    if rng.random() < 0.5:
        fields["month"] = rng.choice(_MONTHS)
    if entry_type != "misc":
        first = rng.randint(1, 900)
        dash = rng.choice(["--", "-", " - ", "--"])
        fields["pages"] = "{" + f"{first}{dash}{first + rng.randint(5, 20)}" + "}"
        if rng.random() < 0.8:
            doi = _doi(rng, i)
            form = rng.random()
            if form < 0.15:
                doi = "https://doi.org/" + doi
            elif form < 0.2:
                doi = "doi:" + doi.upper()
            fields["doi"] = "{" + doi + "}"
    if rng.random() < 0.05:
        fields["award"] = "{Best Paper Award}"
    if rng.random() < 0.1:
        fields["keywords"] = "{" + ", ".join(rng.sample(TITLE_WORDS, 2)) + "}"
    if rng.random() < 0.2:
        fields["abstract"] = "{" + " ".join(rng.choice(TITLE_WORDS) for _ in range(40)) + ".}"
    fields["__type__"] = entry_type
    return fields


def _near_duplicate(fields: dict[str, str], rng: random.Random) -> dict[str, str]:
    """The same paper as another tool or co-author would have written it."""
    dup = dict(fields)
    title = dup["title"]
    change = rng.random()
    if change < 0.3:
        dup["title"] = title.lower()
    elif change < 0.6:
        dup["title"] = title.replace(" ", "  ", 1)
    else:
        dup["title"] = "{" + title + "}"
    if "doi" in dup and rng.random() < 0.5:
        doi = dup["doi"].strip("{}")
        dup["doi"] = "{https://doi.org/" + doi.removeprefix("https://doi.org/") + "}"
    elif "doi" in dup and rng.random() < 0.3:
        del dup["doi"]
    if "pages" in dup:
        dup["pages"] = dup["pages"].replace("--", "-")
    return dup


def _format(key: str, fields: dict[str, str]) -> str:
    entry_type = fields["__type__"]
    body = ",\n".join(f"  {name} = {value}" for name, value in fields.items() if name != "__type__")
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def generate_bib(n: int, seed: int = 0, dup_rate: float = 0.05) -> str:
    """Return a .bib text with ``n`` entries (about ``dup_rate`` of them near-duplicates)."""
    rng = random.Random(seed)
    people = [_person(rng) for _ in range(max(20, n // 4))]
    people = list(dict.fromkeys(people))
    parts = ["% Synthetic bibliography generated by benchmarks/synth.py\n"]
    parts.append('@preamble{"\\newcommand{\\noopsort}[1]{}"}\n')
    for macro, full in _JOURNALS:
        parts.append(f'@string{{{macro} = "{full}"}}\n')
    made: list[dict[str, str]] = []
    for i in range(n):
        if made and rng.random() < dup_rate:
            fields = _near_duplicate(rng.choice(made), rng)
        else:
            fields = _entry(i, rng, people)
            made.append(fields)
        family = fields["author"].strip("{}").split(" and ")[0].split(",")[0]
        stem = "".join(ch for ch in family.lower() if ch.isascii() and ch.isalpha()) or "anon"
        parts.append(_format(f"{stem}{i}", fields))
    return "\n".join(parts)
