"""Fixed RenderRecords for the render tests: a few papers of the seed CV, plus hostile strings."""

from __future__ import annotations

import os
from pathlib import Path

from pubdb.records import AuthorEntry, BibRecord, PersonName
from pubdb.render import RenderRecord, VenueView

OWNER = PersonName(given="Zhengchun", family="Liu")

TAG_TITLES = {
    "ml-systems": "Papers on Machine Learning and Systems",
    "ai-science": "Papers on AI/HPC for Science",
}
TAG_ORDER = ("ml-systems", "ai-science")


def _name(text: str) -> PersonName:
    """``Given [von] Family`` with a lower-case von part, enough for these fixtures."""
    words = text.split()
    von = [w for w in words[1:-1] if w[:1].islower()]
    given = [w for w in words[:-1] if w not in von]
    return PersonName(given=" ".join(given), von=" ".join(von), family=words[-1])


def _authors(text: str, **marks: set[int]) -> tuple[AuthorEntry, ...]:
    """Authors from ``"A B; C D"``; marks map a mark name to 1-based positions."""
    out = []
    for position, item in enumerate(text.split(";"), start=1):
        flags = {mark: position in where for mark, where in marks.items()}
        out.append(AuthorEntry(name=_name(item.strip()), **flags))
    return tuple(out)


def _owner(record: BibRecord) -> tuple[bool, ...]:
    return tuple(a.name == OWNER for a in record.authors)


VLDB = VenueView(
    short="VLDB",
    name="International Conference on Very Large Data Bases",
    kind="conference",
    shorthand="VLDB'24",
)
SIGMOD = VenueView(
    short="SIGMOD",
    name="ACM SIGMOD International Conference on Management of Data",
    kind="conference",
)  # no shorthand: the fallback SHORT'YY is used
XLOOP = VenueView(
    short="XLOOP",
    name="Workshop on Extreme-Scale Experiment-in-the-Loop Computing",
    kind="workshop",
    parent_short="SC",
    shorthand="XLOOP@SC'21",
)
TOMPECS = VenueView(
    short="TOMPECS",
    name="ACM Transactions on Modeling and Performance Evaluation of Computing Systems",
    kind="journal",
)
FGCS = VenueView(short="FGCS", name="Future Generation Computer Systems", kind="journal")


def cv_records() -> list[RenderRecord]:
    """Eight papers of the seed CV across both of its lists (tags ml-systems, ai-science)."""
    records = [
        (
            BibRecord(
                key="vanrenen2024why",
                entry_type="inproceedings",
                title="Why TPC is not enough: An analysis of the Amazon Redshift fleet",
                authors=_authors(
                    "Alexander van Renen; Dominik Horn; Pascal Pfeil; Kapil Eknath Vaidya;"
                    " Wenjian Dong; Murali Narayanaswamy; Zhengchun Liu; Gaurav Saxena;"
                    " Andreas Kipf; Tim Kraska"
                ),
                year=2024,
                month=8,
                venue_text="Proceedings of the VLDB Endowment",
                tags=("ml-systems",),
            ),
            VLDB,
        ),
        (
            BibRecord(
                key="wu2024stage",
                entry_type="inproceedings",
                title="Stage: Query Execution Time Prediction in Amazon Redshift",
                authors=_authors(
                    "Ziniu Wu; Ryan Marcus; Zhengchun Liu; Parimarjan Negi; Vikram Nathan;"
                    " Pascal Pfeil; Gaurav Saxena; Mohammad Rahman;"
                    " Balakrishnan Narayanaswamy; Tim Kraska",
                    student={1},
                ),
                year=2024,
                month=6,
                venue_text="Companion of the 2024 International Conference on Management of Data",
                pages="280--294",
                doi="10.1145/3626246.3653391",
                tags=("ml-systems",),
            ),
            SIGMOD,
        ),
        (
            BibRecord(
                key="liu2021bridge",
                entry_type="inproceedings",
                title=(
                    "Bridge Data Center AI Systems with Edge Computing for Actionable"
                    " Information Retrieval"
                ),
                authors=_authors(
                    "Zhengchun Liu; Ahsan Ali; Peter Kenesei; Antonino Miceli; Hemant Sharma;"
                    " Nicholas Schwarz; Dennis Trujillo; Hyunseung Yoo; Ryan Coffee;"
                    " Ryan Herbst; Jana Thayer; Chun Hong Yoon; Ian Foster",
                    student={2},
                ),
                year=2021,
                month=11,
                venue_text="2021 3rd Annual Workshop on Extreme-scale Experiment-in-the-Loop"
                " Computing (XLOOP)",
                awards=("Best Paper Award",),
                tags=("ml-systems",),
            ),
            XLOOP,
        ),
        (
            BibRecord(
                key="liu2021design",
                entry_type="article",
                title=(
                    "Design and Evaluation of a Simple Data Interface for Efficient Data"
                    " Transfer Across Diverse Storage"
                ),
                authors=_authors(
                    "Zhengchun Liu; Rajkumar Kettimuthu; Joaquin Chung;"
                    " Rachana Ananthakrishnan; Michael Link; Ian Foster"
                ),
                year=2021,
                venue_text="ACM Transactions on Modeling and Performance Evaluation of"
                " Computing Systems",
                volume="6",
                number="1",
                pages="1--30",
                tags=("ml-systems",),
            ),
            TOMPECS,
        ),
        (
            BibRecord(
                key="papadimitriou2021endtoend",
                entry_type="article",
                title=(
                    "End-to-End Online Performance Data Capture and Analysis for Scientific"
                    " Workflows"
                ),
                authors=_authors(
                    "George Papadimitriou; Cong Wang; Karan Vahi; Rafael Ferreira da Silva;"
                    " Anirban Mandal; Zhengchun Liu; Rajiv Mayani; Mats Rynge; Mariam Kiran;"
                    " Vickie E. Lynch; Rajkumar Kettimuthu; Ewa Deelman; Jeffrey S. Vetter;"
                    " Ian Foster"
                ),
                year=2021,
                venue_text="Future Generation Computer Systems",
                volume="117",
                pages="387--400",
                awards=("2021 Best Paper Award",),
                tags=("ml-systems",),
            ),
            FGCS,
        ),
        (
            BibRecord(
                key="liu2022masked",
                entry_type="article",
                title=(
                    "Masked Sinogram Model with Transformer for ill-Posed Computed Tomography"
                    " Reconstruction: a Preliminary Study"
                ),
                authors=_authors("Zhengchun Liu; Rajkumar Kettimuthu; Ian Foster"),
                year=2022,
                month=9,
                venue_text="arXiv preprint arXiv:2209.01356",
                arxiv_id="2209.01356",
                tags=("ai-science",),
            ),
            None,
        ),
        (
            BibRecord(
                key="liu2022braggnn",
                entry_type="article",
                title="BraggNN: Fast X-ray Bragg Peak Analysis Using Deep Learning",
                authors=_authors(
                    "Zhengchun Liu; Hemant Sharma; Jun-Sang Park; Peter Kenesei;"
                    " Antonino Miceli; Jonathan Almer; Rajkumar Kettimuthu; Ian Foster",
                    corresponding={1},
                ),
                year=2022,
                venue_text="IUCrJ",
                volume="9",
                number="1",
                pages="104--113",
                doi="10.1107/S2052252521011258",
                tags=("ai-science",),
            ),
            None,
        ),
        (
            BibRecord(
                key="babu2023deep",
                entry_type="article",
                title="Deep Learning at the Edge Enables Real-time Streaming Ptychographic Imaging",
                authors=_authors(
                    "Anakha V Babu; Tao Zhou; Saugat Kandel; Tekin Bicer; Zhengchun Liu",
                    equal={1, 2},
                ),
                authors_truncated=True,
                year=2023,
                venue_text="Nature Communications",
                volume="14",
                pages="7059",
                url="https://www.nature.com/articles/s41467-023-41496-z",
                tags=("ai-science",),
            ),
            None,
        ),
    ]
    return [RenderRecord(record=r, venue=v, owner=_owner(r)) for r, v in records]


HOSTILE_TITLE = (
    "<script>alert(1)</script> & 100% #1 a_b ~x^y \\input{/etc/passwd} \\write18{rm -rf /}"
    ' $O(n \\log n)$ $\\input{/etc/passwd}$ "quoted" {braces}'
)


def hostile_records() -> list[RenderRecord]:
    """One record whose every string tries to break out of its format."""
    record = BibRecord(
        key="evil_key%#",
        entry_type="inproceedings",
        title=HOSTILE_TITLE,
        authors=(
            AuthorEntry(name=PersonName(given="Mal<b>", family="O'Ry & Co_{x}")),
            AuthorEntry(name=PersonName(given='" onmouseover="alert(1)', family="X^^5cinput")),
            AuthorEntry(name=PersonName(family="{Barnes} & \\Noble", corporate=True)),
        ),
        year=2020,
        venue_text="Proc. of <i>Evil</i> $5 & ~Co~ \\end{document}",
        pages="1--2",
        url="javascript:alert(1)",
        awards=("<b>Best</b> & 100%",),
        tags=("x",),
    )
    return [RenderRecord(record=record, venue=None, owner=(True, False, False))]


GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with tests/golden/NAME; ``PUBDB_UPDATE_GOLDEN=1`` rewrites the file."""
    path = GOLDEN / name
    if os.environ.get("PUBDB_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.exists(), f"{path} is missing; run with PUBDB_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"
