"""Test data builders: ORM rows for a small publication database, written without the importer.

The folded columns are computed with the same functions the importer uses
(``pubdb.authors.author_columns``, ``textnorm.title_key``, ``records.fold_cite_key``...), so queries
see what they would see after a real import. ``build_library`` makes the shared fixture: a
slice of the seed CV (owner Zhengchun Liu, students, awards, tags, workshops under SC) plus a
few papers that exercise the corners (an undated paper, a title full of SQL, an accented
author, aliases with colons).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from pubdb.authors import author_columns
from pubdb.model import (
    Author,
    Authorship,
    AuthorVariant,
    Award,
    CiteKeyAlias,
    ImportBatch,
    Owner,
    Paper,
    PaperRelation,
    PaperSource,
    Tag,
    Venue,
    VenueAlias,
)
from pubdb.names import parse_name
from pubdb.records import fold_cite_key
from pubdb.textnorm import fold, title_key
from pubdb.venues import alias_key


def add_venue(
    session: Session,
    short: str,
    *,
    name: str = "",
    kind: str = "conference",
    parent: Venue | None = None,
    aliases: Iterable[str] = (),
) -> Venue:
    venue = Venue(short=short, short_key=fold(short), name=name or short, kind=kind, parent=parent)
    venue.aliases = [VenueAlias(text=text, text_key=alias_key(text)) for text in aliases]
    session.add(venue)
    return venue


def add_author(session: Session, name: str, *, variants: Iterable[str] = ()) -> Author:
    """An author from one spelling (``"Ian T. Foster"``), with the spellings seen as variants."""
    person = parse_name(name)
    author = Author(**author_columns(person))
    spellings = dict.fromkeys([person.display, *variants])
    author.variants = [AuthorVariant(name=text, folded=fold(text)) for text in spellings]
    session.add(author)
    return author


@dataclass(frozen=True)
class By:
    """An author in a paper's list, with the marks of that authorship."""

    author: Author
    student: bool = False
    equal: bool = False
    corresponding: bool = False
    written_as: str = ""


def add_paper(
    session: Session,
    key: str,
    title: str,
    *,
    year: int | None = None,
    venue: Venue | None = None,
    authors: Sequence[Author | By] = (),
    entry_type: str = "inproceedings",
    tags: Iterable[Tag] = (),
    awards: Iterable[str | tuple[str, int]] = (),
    aliases: Iterable[str] = (),
    **columns: object,
) -> Paper:
    paper = Paper(
        key=key,
        key_folded=fold_cite_key(key),
        entry_type=entry_type,
        title=title,
        title_bibtex=title,
        title_key=title_key(title),
        year=year,
        venue=venue,
        venue_text=venue.name if venue is not None else str(columns.pop("venue_text", "")),
        **columns,
    )
    entries = [item if isinstance(item, By) else By(item) for item in authors]
    paper.authorships = [
        Authorship(
            position=position,
            author=entry.author,
            written_as=entry.written_as,
            student=entry.student,
            equal=entry.equal,
            corresponding=entry.corresponding,
        )
        for position, entry in enumerate(entries, start=1)
    ]
    paper.tags = list(tags)
    paper.awards = [
        Award(text=award) if isinstance(award, str) else Award(text=award[0], year=award[1])
        for award in awards
    ]
    paper.aliases = [CiteKeyAlias(key=alias, key_folded=fold_cite_key(alias)) for alias in aliases]
    session.add(paper)
    return paper


def set_owner(session: Session, author: Author) -> Owner:
    owner = Owner(author=author)
    session.add(owner)
    return owner


@dataclass
class Library:
    """What ``build_library`` made, by short name / family name / cite key."""

    venues: dict[str, Venue] = field(default_factory=dict)
    authors: dict[str, Author] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    papers: dict[str, Paper] = field(default_factory=dict)


# The cite keys of the fixture, newest first (the default `list` order: -year, then key).
LIBRARY_KEYS = (
    "nathan2024scaling",
    "vanrenen2024tpc",
    "wu2024stage",
    "liu2023freetrain",
    "liu2022sinogram",
    "liu2021bridge",
    "papadimitriou2021endtoend",
    "liu2020tomogan",
    "patel2020job",
    "wu2020lowdose",
    "liu2019transfer",
    "kraska2018case",
    "liu2018mln",
    "obrien2017tables",
    "liu2014generalized",
)

HOSTILE_TITLE = "Robert'); DROP TABLE papers;-- 100% Safe_Names for O'Brien"


def build_library(session: Session) -> Library:
    """The shared fixture database (see the module docstring); flushes, does not commit."""
    lib = Library()
    v = lib.venues
    v["SIGMOD"] = add_venue(
        session,
        "SIGMOD",
        name="ACM SIGMOD International Conference on Management of Data",
        aliases=["SIGMOD Conference", "Proceedings of the ACM on Management of Data"],
    )
    v["VLDB"] = add_venue(
        session,
        "VLDB",
        name="International Conference on Very Large Data Bases",
        aliases=["Proc. VLDB Endow.", "PVLDB"],
    )
    v["SC"] = add_venue(
        session,
        "SC",
        name="International Conference for High Performance Computing, Networking, "
        "Storage and Analysis",
    )
    v["XLOOP"] = add_venue(
        session,
        "XLOOP",
        name="Workshop on Extreme-Scale Experiment-in-the-Loop Computing",
        kind="workshop",
        parent=v["SC"],
    )
    v["AI4S"] = add_venue(
        session,
        "AI4S",
        name="Workshop on Artificial Intelligence and Machine Learning for Scientific Applications",
        kind="workshop",
        parent=v["SC"],
    )
    v["FGCS"] = add_venue(
        session, "FGCS", name="Future Generation Computer Systems", kind="journal"
    )
    v["CCGrid"] = add_venue(
        session,
        "CCGrid",
        name="IEEE/ACM International Symposium on Cluster, Cloud and Internet Computing",
    )
    v["MLN"] = add_venue(
        session, "MLN", name="International Conference on Machine Learning for Networking"
    )
    v["arXiv"] = add_venue(session, "arXiv", name="arXiv", kind="preprint")
    v["ICS"] = add_venue(session, "ICS", name="International Conference on Supercomputing")

    a = lib.authors
    for handle, name, variants in [
        ("Liu", "Zhengchun Liu", ["Liu, Zhengchun"]),
        ("Yuanlai", "Yuanlai Liu", []),
        ("Chen", "Zizhong Chen", []),
        ("Kraska", "Tim Kraska", ["T. Kraska"]),
        ("Foster", "Ian T. Foster", ["Ian Foster", "Foster, I. T."]),
        ("Kettimuthu", "Rajkumar Kettimuthu", []),
        ("Renen", "Alexander van Renen", []),
        ("Nathan", "Vikram Nathan", []),
        ("Ziniu", "Ziniu Wu", []),
        ("Ziling", "Ziling Wu", []),
        ("Ali", "Ahsan Ali", []),
        ("Patel", "Tirthak Patel", []),
        ("Papadimitriou", "George Papadimitriou", []),
        ("Silva", "Rafael Ferreira da Silva", []),
        ("Gürsoy", "Doğa Gürsoy", ["Doga Gursoy"]),
        ("Bicer", "Tekin Bicer", []),
        ("Beutel", "Alex Beutel", []),
        ("O'Brien", "Sean O'Brien", []),
        ("Luque", "Emilio Luque", []),
    ]:
        a[handle] = add_author(session, name, variants=variants)
    set_owner(session, a["Liu"])

    t = lib.tags
    t["ml-systems"] = Tag(name="ml-systems", title="Papers on Machine Learning and Systems")
    t["ai-science"] = Tag(name="ai-science", title="Papers on AI/HPC for Science")
    session.add_all(t.values())

    p = lib.papers
    p["vanrenen2024tpc"] = add_paper(
        session,
        "vanrenen2024tpc",
        "Why TPC is not enough: An analysis of the Amazon Redshift fleet",
        year=2024,
        venue=v["VLDB"],
        authors=[a["Renen"], a["Liu"], a["Kraska"]],
        entry_type="article",
        tags=[t["ml-systems"]],
        doi="10.14778/3681954.3682031",
    )
    p["nathan2024scaling"] = add_paper(
        session,
        "nathan2024scaling",
        "Intelligent Scaling in Amazon Redshift",
        year=2024,
        venue=v["SIGMOD"],
        authors=[a["Nathan"], a["Liu"], a["Kraska"]],
        tags=[t["ml-systems"]],
        aliases=["DBLP:conf/sigmod/NathanSLRKHPSNK24"],
        doi="10.1145/3626246.3653394",
        pages="269--279",
        publisher="ACM",
    )
    p["wu2024stage"] = add_paper(
        session,
        "wu2024stage",
        "Stage: Query Execution Time Prediction in Amazon Redshift",
        year=2024,
        venue=v["SIGMOD"],
        authors=[By(a["Ziniu"], student=True, equal=True), a["Liu"], a["Kraska"]],
        tags=[t["ml-systems"]],
    )
    p["liu2023freetrain"] = add_paper(
        session,
        "liu2023freetrain",
        "FreeTrain: A Framework to Utilize Unused Supercomputer Nodes for Training Neural Networks",
        year=2023,
        venue=v["CCGrid"],
        authors=[By(a["Liu"], corresponding=True), a["Kettimuthu"], a["Foster"]],
        tags=[t["ml-systems"]],
    )
    p["liu2022sinogram"] = add_paper(
        session,
        "liu2022sinogram",
        "Masked Sinogram Model with Transformer for ill-Posed Computed Tomography "
        "Reconstruction: a Preliminary Study",
        year=2022,
        venue=v["arXiv"],
        authors=[a["Liu"], a["Kettimuthu"], a["Foster"]],
        entry_type="misc",
        tags=[t["ai-science"]],
        arxiv_id="2209.01356",
    )
    p["liu2021bridge"] = add_paper(
        session,
        "liu2021bridge",
        "Bridge Data Center AI Systems with Edge Computing for Actionable Information Retrieval",
        year=2021,
        venue=v["XLOOP"],
        authors=[a["Liu"], By(a["Ali"], student=True), a["Foster"]],
        tags=[t["ml-systems"]],
        awards=["Best Paper Award"],
    )
    p["papadimitriou2021endtoend"] = add_paper(
        session,
        "papadimitriou2021endtoend",
        "End-to-End Online Performance Data Capture and Analysis for Scientific Workflows",
        year=2021,
        venue=v["FGCS"],
        authors=[a["Papadimitriou"], a["Silva"], a["Liu"], a["Foster"]],
        entry_type="article",
        awards=[("2021 Best Paper Award", 2021)],
        volume="117",
        pages="387--400",
        doi="10.1016/j.future.2020.11.024",
    )
    p["liu2020tomogan"] = add_paper(
        session,
        "liu2020tomogan",
        "TomoGAN: Low-Dose Synchrotron X-Ray Tomography with Generative Adversarial Networks",
        year=2020,
        authors=[a["Liu"], a["Bicer"], a["Gürsoy"], a["Foster"]],
        entry_type="article",
        tags=[t["ai-science"]],
        venue_text="Journal of the Optical Society of America A",
        volume="37",
        number="3",
    )
    p["patel2020job"] = add_paper(
        session,
        "patel2020job",
        "Job Characteristics on Large-Scale Systems: Long-Term Analysis, Quantification, "
        "and Implications",
        year=2020,
        venue=v["SC"],
        authors=[a["Patel"], a["Kettimuthu"], a["Liu"]],
        tags=[t["ml-systems"]],
    )
    p["wu2020lowdose"] = add_paper(
        session,
        "wu2020lowdose",
        "Deep Learning-based Low-dose Tomography Reconstruction with Hybrid-dose Measurements",
        year=2020,
        venue=v["AI4S"],
        authors=[By(a["Ziling"], student=True), a["Bicer"], a["Liu"], a["Foster"]],
        tags=[t["ai-science"]],
    )
    p["liu2019transfer"] = add_paper(
        session,
        "liu2019transfer",
        "Data transfer between scientific facilities – bottleneck analysis, insights and "
        "optimizations",
        year=2019,
        venue=v["CCGrid"],
        authors=[By(a["Yuanlai"], student=True), a["Liu"], a["Chen"], a["Foster"]],
        tags=[t["ml-systems"]],
    )
    p["kraska2018case"] = add_paper(
        session,
        "kraska2018case",
        "The Case for Learned Index Structures",
        year=2018,
        venue=v["SIGMOD"],
        authors=[a["Kraska"], a["Beutel"]],
        aliases=["KraskaBCDP18"],
        doi="10.1145/3183713.3196909",
    )
    p["liu2018mln"] = add_paper(
        session,
        "liu2018mln",
        "Building a Wide-Area Data Transfer Performance Predictor: An Empirical Study",
        year=2018,
        venue=v["MLN"],
        authors=[a["Liu"], a["Kettimuthu"], By(a["Foster"], written_as="Foster, I. T.")],
        tags=[t["ml-systems"]],
        awards=["Best Paper Award"],
    )
    p["obrien2017tables"] = add_paper(
        session,
        "obrien2017tables",
        HOSTILE_TITLE,
        year=2017,
        authors=[a["O'Brien"]],
        entry_type="misc",
        note="50% of this note is _underscored_",
    )
    p["liu2014generalized"] = add_paper(
        session,
        "liu2014generalized",
        "A Generalized Agent-Based Model to Simulate Emergency Departments",
        venue=v["ICS"],
        authors=[a["Liu"], a["Luque"]],
        fields={"address": "Venice, Italy", "conferencetitle": "SIMUL 2014"},
    )
    session.flush()

    # Related versions and provenance.
    session.add(
        PaperRelation(
            from_paper_id=p["liu2019transfer"].id,
            to_paper_id=p["liu2018mln"].id,
            kind="extended-version-of",
        )
    )
    batch = ImportBatch(
        path="bib/liu.bib",
        sha256="0" * 64,
        imported_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    session.add(batch)
    for line, key in [(12, "nathan2024scaling"), (40, "kraska2018case")]:
        session.add(
            PaperSource(
                paper=p[key], batch=batch, cite_key=key, line=line, raw="@x{}", raw_sha256=key
            )
        )
    session.add(
        PaperSource(
            paper=p["nathan2024scaling"],
            batch=batch,
            cite_key="DBLP:conf/sigmod/NathanSLRKHPSNK24",
            line=97,
            raw="@y{}",
            raw_sha256="dblp",
            merged_from_key="DBLP:conf/sigmod/NathanSLRKHPSNK24",
        )
    )
    session.flush()
    return lib
