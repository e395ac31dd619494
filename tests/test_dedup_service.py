"""pubdb.dedup_service: stored items equal incoming ones, the unmerge give-back rule, source
conflicts, and reading stored entries back (with the file's @string macros when it is there)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select

from pubdb import dedup_service
from pubdb.dedup import item_from_record
from pubdb.importers.bibtex import read_bibtex
from pubdb.importing import ImportInput, import_files
from pubdb.merge import FieldConflict
from pubdb.model import Paper, PaperSource, Venue
from pubdb.names import parse_name
from pubdb.records import AuthorEntry, BibRecord
from pubdb.store import Store, open_store

LONG_TITLE = " ".join(["Scalable learned index structures for data transfer"] * 14)

PARITY = rf"""
@string{{fgcs = {{Future Generation Computer Systems}}}}
@article{{plain, author = {{Liu, Zhengchun and Foster, Ian}}, title = {{Towards a Smart Node}},
  journal = fgcs, year = 2018, doi = {{https://doi.org/10.1016/J.FUTURE.2018.06.033}},
  pages = {{10--18}}, volume = {{89}}, number = {{2}}}}
@proceedings{{edited, editor = {{Jane Editor and Bob Chair}}, title = {{Proceedings of Things}},
  booktitle = {{Proceedings of Things}}, year = 2020}}
@misc{{preprint, author = {{Ada Lovelace}}, title = {{Notes on an Engine}}, year = 2021,
  eprint = {{2101.00001v2}}, archivePrefix = {{arXiv}}}}
@article{{arxivdoi, author = {{Ada Lovelace}}, title = {{More Notes}}, year = 2021,
  journal = {{arXiv preprint arXiv:2102.00002}}, doi = {{10.48550/arXiv.2102.00002}}}}
@article{{baddoi, author = {{Grace Hopper}}, title = {{Compilers}}, year = 1952, doi = {{1.1}},
  journal = {{Journal of Odd Things}}}}
@inproceedings{{workshop, author = {{Zhengchun Liu}}, title = {{BraggNN}}, year = 2021,
  booktitle = {{Workshop on Extreme-Scale Experiment-in-the-Loop Computing (XLOOP)}}}}
@misc{{novenue, author = {{Nobody Known}}, title = {{A Note Without a Venue}}}}
@article{{long, author = {{Kettimuthu, Rajkumar and others}}, title = {{{LONG_TITLE}}},
  journal = {{FGCS}}, year = 2019}}
@techreport{{report, author = {{{{Argonne National Laboratory}}}}, title = {{Annual Report}},
  institution = {{Argonne}}, year = 2017}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def opened(tmp_path: Path):
    store = open_store(str(tmp_path / "db.sqlite"))
    yield store
    store.dispose()


def import_text(store: Store, path: Path, on_duplicate: str = "keep") -> None:
    with store.transaction() as session:
        import_files(session, [ImportInput(str(path))], on_duplicate=on_duplicate)  # type: ignore[arg-type]


def test_stored_items_equal_incoming_items(opened: Store, tmp_path: Path):
    bib = write(tmp_path, "parity.bib", PARITY)
    import_text(opened, bib)
    records = {rec.key: rec for rec in read_bibtex(bib).records}
    with opened.transaction() as session:
        stored = {item.key: item for item in dedup_service.load_items(session)}
        venues = dict(
            (key, (short or "", kind or ""))
            for key, short, kind in session.execute(
                select(Paper.key, Venue.short, Venue.kind).outerjoin(
                    Venue, Venue.id == Paper.venue_id
                )
            )
        )
    assert set(stored) == set(records)
    for key, record in records.items():
        short, kind = venues[key]
        incoming = item_from_record(stored[key].id, record, venue_short=short, venue_kind=kind)
        assert stored[key] == incoming, key
    # The corners this file is about really are there.
    assert stored["edited"].author_keys == ("editor|j", "chair|b")
    assert stored["baddoi"].doi_text == "1.1"
    assert stored["preprint"].arxiv_id == "2101.00001" and stored["preprint"].is_preprint
    assert stored["arxivdoi"].arxiv == "2102.00002"
    assert stored["workshop"].venue_kind == "workshop"
    assert len(stored["long"].title_key) == 500 and stored["long"].authors_truncated


def test_load_items_restricted_to_ids(opened: Store, tmp_path: Path):
    import_text(opened, write(tmp_path, "parity.bib", PARITY))
    with opened.transaction() as session:
        ids = dict(session.execute(select(Paper.key, Paper.id)).all())
        items = dedup_service.load_items(session, {ids["plain"], ids["report"]})
    assert sorted(item.key for item in items) == ["plain", "report"]


# -- the unmerge give-back rule ----------------------------------------------------------------


def rec(**kw) -> BibRecord:
    base = {
        "key": "k",
        "entry_type": "article",
        "title": "Towards a Smart Data Transfer Node",
        "authors": (
            AuthorEntry(parse_name("Zhengchun Liu")),
            AuthorEntry(parse_name("Ian Foster")),
        ),
        "year": 2018,
        "venue_text": "Future Generation Computer Systems",
    }
    base.update(kw)
    return BibRecord(**base)


@pytest.mark.parametrize(
    ("current", "removed", "remaining", "expected", "changed"),
    [
        pytest.param(
            {"pages": "10--18"}, {"pages": "10--18"}, {}, {"pages": ""}, ["pages"], id="gap-filled"
        ),
        pytest.param(
            {"pages": "10--18"}, {"pages": "10--18"}, {"pages": "10--18"}, {}, [], id="both-say-so"
        ),
        pytest.param(
            {"pages": "10--18"}, {"pages": "1--5"}, {"pages": "10--18"}, {}, [], id="survivors-own"
        ),
        pytest.param(
            {"doi": "10.1/x", "venue_text": "FGCS", "entry_type": "article", "year": 2019},
            {"doi": "10.1/X", "venue_text": "FGCS", "entry_type": "article", "year": 2019},
            {"doi": "10.48550/arXiv.1", "venue_text": "arXiv", "entry_type": "misc"},
            {"doi": "10.48550/arXiv.1", "venue_text": "arXiv", "entry_type": "misc", "year": 2018},
            ["entry_type", "year", "venue_text", "doi"],
            id="publication-taken-over",
        ),
        pytest.param(
            {"awards": ("Best Paper",), "tags": ("mine", "theirs")},
            {"awards": ("best paper",), "tags": ("theirs",)},
            {},
            {"awards": (), "tags": ("mine",)},
            ["awards", "tags"],
            id="awards-and-tags",
        ),
        pytest.param(
            {"fields": {"isbn": "1", "note2": "x"}},
            {"fields": {"isbn": "1", "note2": "y"}},
            {"fields": {"isbn": "2"}},
            {"fields": {"isbn": "2", "note2": "x"}},
            ["isbn"],
            id="fields",
        ),
    ],
)
def test_revert_contributions(current, removed, remaining, expected, changed):
    result, names = dedup_service.revert_contributions(
        rec(**current), rec(**removed), rec(**remaining)
    )
    assert result == dataclasses.replace(rec(**current), **expected)
    assert names == changed


def test_revert_authors_keeps_marks_set_on_the_survivor():
    full = (
        AuthorEntry(parse_name("Zhengchun Liu"), student=True),
        AuthorEntry(parse_name("Ian Foster")),
        AuthorEntry(parse_name("Rajkumar Kettimuthu")),
    )
    short = (AuthorEntry(parse_name("Liu, Z.")),)
    result, names = dedup_service.revert_contributions(
        rec(authors=full),
        rec(authors=full),
        rec(authors=short, authors_truncated=True),
    )
    assert names == ["author"]
    assert result.authors_truncated
    assert [(a.name.family, a.student) for a in result.authors] == [("Liu", True)]


# -- conflicts and stored sources --------------------------------------------------------------

TWINS = r"""
@string{fgcs = {Future Generation Computer Systems}}
@article{dblp, author = {Zhengchun Liu and Ian Foster}, title = {Towards a Smart Node},
  journal = fgcs, year = 2018, pages = {10--18}, doi = {10.1/node}}
@article{scholar, author = {Liu, Z. and Foster, I.}, title = {Towards a smart node},
  journal = {Future Gener. Comput. Syst.}, year = 2018, pages = {11--19}, doi = {10.1/NODE},
  publisher = {Elsevier}}
"""


def test_paper_conflicts_lists_what_sources_disagree_on(opened: Store, tmp_path: Path):
    import_text(opened, write(tmp_path, "twins.bib", TWINS), on_duplicate="merge")
    with opened.transaction() as session:
        (paper_id,) = session.scalars(select(Paper.id)).all()
        conflicts = dedup_service.paper_conflicts(session, paper_id)
    assert FieldConflict("pages", "10--18", "11--19", source="scholar") in conflicts
    assert {c.field for c in conflicts} == {"pages", "venue_text"}


def test_single_source_has_no_conflicts(opened: Store, tmp_path: Path):
    import_text(opened, write(tmp_path, "one.bib", TWINS.split("@article{scholar")[0]))
    with opened.transaction() as session:
        (paper_id,) = session.scalars(select(Paper.id)).all()
        assert dedup_service.paper_conflicts(session, paper_id) == []


@pytest.mark.parametrize("file_kept", [True, False], ids=["file-unchanged", "file-gone"])
def test_source_reader_uses_the_file_for_macros(opened: Store, tmp_path: Path, file_kept):
    bib = write(tmp_path, "twins.bib", TWINS)
    import_text(opened, bib)
    if not file_kept:
        bib.write_text(TWINS.replace("Smart", "Clever"), encoding="utf-8")
    with opened.transaction() as session:
        source = session.scalars(select(PaperSource).where(PaperSource.cite_key == "dblp")).one()
        record = dedup_service.SourceReader(session).record(source)
    expected = "Future Generation Computer Systems" if file_kept else "fgcs"
    assert record.key == "dblp" and record.venue_text == expected
    assert record.pages == "10--18"


def test_unmerge_rereads_the_file_for_macros(opened: Store, tmp_path: Path):
    import_text(opened, write(tmp_path, "twins.bib", TWINS), on_duplicate="merge")
    with opened.transaction() as session:
        # "dblp" was stored first and survives: unmerge the twin merged into it.
        outcome = dedup_service.unmerge(session, "scholar")
    assert outcome.key == "scholar" and outcome.survivor == "dblp"
    assert outcome.reverted == ["publisher"]
    with opened.transaction() as session:
        rows = dict(session.execute(select(Paper.key, Paper.venue_text)).all())
    assert rows == {
        "dblp": "Future Generation Computer Systems",
        "scholar": "Future Gener. Comput. Syst.",
    }
