"""pubdb.export_service: papers in the database -> RenderRecords -> the exported text."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubdb.errors import NotFoundError
from pubdb.export_service import (
    ExportOptions,
    export,
    export_document,
    export_records,
    tag_sections,
)
from pubdb.importing import ImportInput, import_files
from pubdb.owner import set_owner

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cv_store(store):
    from pubdb.annotate import order_tags, set_tag_title

    with store.transaction() as session:
        import_files(session, [ImportInput(path=str(REPO / "bib" / "publications.bib"))])
        set_owner(session, "Zhengchun Liu")
        set_tag_title(session, "ai-science", "Papers on AI/HPC for Science")
        order_tags(session, ["ai-science", "ml-systems"])
    return store


def test_records_come_in_import_order_with_owner_and_venue(cv_store):
    with cv_store.transaction() as session:
        records = export_records(session)
    assert len(records) == 37
    assert records[0].record.key == "DBLP:journals/pvldb/RenenHPVDNLSKK24"
    first = records[0]
    assert first.owner.index(True) == 6  # Zhengchun Liu is the 7th author
    assert sum(first.owner) == 1
    assert (first.venue.short, first.venue.shorthand) == ("VLDB", "VLDB'24")
    bridge = next(r for r in records if r.record.key == "liu2021bridge")
    assert bridge.venue.kind == "workshop" and bridge.venue.parent_short == "SC"
    assert bridge.venue.shorthand == "XLOOP@SC'21"
    assert bridge.record.authors[1].student


def test_written_names_are_kept(cv_store):
    with cv_store.transaction() as session:
        records = export_records(session, ["year:2023"])
    names = {a.name.display for r in records for a in r.record.authors}
    assert {"Ian Foster", "Ian T. Foster"} <= names


def test_highlight_picks_other_authors(cv_store):
    with cv_store.transaction() as session:
        records = export_records(session, ["key:liu2021bridge"], highlight="Ian Foster")
        assert records[0].owner[-1] and not records[0].owner[0]
        with pytest.raises(NotFoundError):
            export_records(session, highlight="Nobody Here")


def test_tag_sections_and_grouping(cv_store):
    with cv_store.transaction() as session:
        titles, order = tag_sections(session)
        assert titles == {"ai-science": "Papers on AI/HPC for Science"}
        assert order == ["ai-science", "ml-systems"]
        document = export_document(session, (), ExportOptions(group_by="tag"))
    assert [(g.title, len(g.entries)) for g in document.groups] == [
        ("Papers on AI/HPC for Science", 17),
        ("ml-systems", 20),
    ]


def test_export_text(cv_store):
    with cv_store.transaction() as session:
        text = export(session, ["key:liu2021bridge"], ExportOptions(fmt="text"))
    assert text.startswith("1. Zhengchun Liu, Ahsan Ali*, ")
    assert text.endswith("XLOOP@SC'21. Best Paper Award.\n\n* student co-author\n")
