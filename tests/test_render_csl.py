"""Tests for pubdb.render.csl: CSL-JSON items that pandoc's citeproc and Zotero read."""

from __future__ import annotations

import json

import pytest
from render_cases import cv_records, hostile_records

from pubdb.records import AuthorEntry, BibRecord, PersonName
from pubdb.render import RenderRecord, VenueView
from pubdb.render.csl import csl_item, csl_name, csl_type, write_csl_json

# CSL 1.0.2 item types and the variables pubdb writes, with their JSON shapes.
CSL_TYPES = {
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing",
    "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage",
}  # fmt: skip
STRING_VARIABLES = {
    "id", "type", "title", "container-title", "container-title-short", "publisher", "volume",
    "issue", "page", "number", "DOI", "URL", "abstract", "note", "keyword", "genre",
    "collection-title", "edition",
}  # fmt: skip
NAME_VARIABLES = {"author", "editor"}
NAME_PARTS = {"family", "given", "non-dropping-particle", "suffix", "literal"}


def _check_item(item: dict) -> None:
    assert item["type"] in CSL_TYPES
    for name, value in item.items():
        if name in NAME_VARIABLES:
            for person in value:
                assert set(person) <= NAME_PARTS and person
                assert ("literal" in person) != ("family" in person)
        elif name == "issued":
            (parts,) = value["date-parts"]
            assert all(isinstance(p, int) for p in parts) and 1 <= len(parts) <= 3
        else:
            assert name in STRING_VARIABLES, name
            assert isinstance(value, str) and value.strip() == value and value


def test_output_is_valid_csl_json():
    text = write_csl_json(cv_records() + hostile_records())
    items = json.loads(text)
    assert [item["id"] for item in items][:2] == ["vanrenen2024why", "wu2024stage"]
    for item in items:
        _check_item(item)
    assert text.endswith("]\n")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("vanrenen2024why", "paper-conference"),
        ("liu2021bridge", "paper-conference"),
        ("liu2021design", "article-journal"),
        ("liu2022masked", "article"),
    ],
    ids=["conference", "workshop", "journal", "preprint"],
)
def test_type_of_cv_records(key, expected):
    item = next(r for r in cv_records() if r.record.key == key)
    assert csl_type(item) == expected


@pytest.mark.parametrize(
    ("entry_type", "expected"),
    [
        ("incollection", "chapter"),
        ("inbook", "chapter"),
        ("book", "book"),
        ("phdthesis", "thesis"),
        ("techreport", "report"),
        ("misc", "document"),
    ],
    ids=["incollection", "inbook", "book", "thesis", "report", "misc"],
)
def test_type_from_entry_type(entry_type, expected):
    record = RenderRecord(record=BibRecord(key="k", entry_type=entry_type))
    assert csl_type(record) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (PersonName(given="Ian T.", family="Foster"), {"family": "Foster", "given": "Ian T."}),
        (
            PersonName(given="Alexander", von="van", family="Renen"),
            {"family": "Renen", "given": "Alexander", "non-dropping-particle": "van"},
        ),
        (
            PersonName(given="Martin", family="King", jr="Jr."),
            {"family": "King", "given": "Martin", "suffix": "Jr."},
        ),
        (PersonName(family="Barnes and Noble", corporate=True), {"literal": "Barnes and Noble"}),
        (PersonName(family="Plato"), {"family": "Plato"}),
    ],
    ids=["plain", "particle", "suffix", "corporate", "mononym"],
)
def test_names(name, expected):
    assert csl_name(name) == expected


def test_journal_item_fields():
    item = csl_item(next(r for r in cv_records() if r.record.key == "liu2022braggnn"))
    assert item == {
        "id": "liu2022braggnn",
        "type": "article-journal",
        "title": "BraggNN: Fast X-ray Bragg Peak Analysis Using Deep Learning",
        "author": item["author"],
        "issued": {"date-parts": [[2022]]},
        "container-title": "IUCrJ",
        "issue": "1",
        "volume": "9",
        "page": "104-113",
        "DOI": "10.1107/S2052252521011258",
        "keyword": "ai-science",
    }
    assert item["author"][0] == {"family": "Liu", "given": "Zhengchun"}


def test_conference_item_has_container_and_short_name():
    item = csl_item(next(r for r in cv_records() if r.record.key == "wu2024stage"))
    assert item["container-title"].startswith("Companion of the 2024")
    assert item["container-title-short"] == "SIGMOD"
    assert item["issued"] == {"date-parts": [[2024, 6]]}


def test_preprint_item_names_arxiv():
    item = csl_item(next(r for r in cv_records() if r.record.key == "liu2022masked"))
    assert item["publisher"] == "arXiv"
    assert item["number"] == "arXiv:2209.01356"
    assert item["URL"] == "https://arxiv.org/abs/2209.01356"
    assert "container-title" not in item


def test_thesis_and_report_use_publisher_and_genre():
    thesis = RenderRecord(
        record=BibRecord(key="t", entry_type="phdthesis", venue_text="UAB", year=2016)
    )
    assert csl_item(thesis) == {
        "id": "t",
        "type": "thesis",
        "issued": {"date-parts": [[2016]]},
        "publisher": "UAB",
        "genre": "PhD thesis",
    }
    report = RenderRecord(
        record=BibRecord(key="r", entry_type="techreport", venue_text="ANL", number="42")
    )
    assert csl_item(report) == {"id": "r", "type": "report", "publisher": "ANL", "number": "42"}


def test_editors_and_venue_name_fallback():
    record = BibRecord(
        key="k",
        entry_type="incollection",
        authors=(AuthorEntry(PersonName(given="A", family="B")),),
        editors=(PersonName(given="C", family="D"),),
    )
    item = csl_item(RenderRecord(record=record, venue=VenueView(short="LNCS", name="Lecture")))
    assert item["editor"] == [{"family": "D", "given": "C"}]
    assert item["container-title"] == "Lecture"
