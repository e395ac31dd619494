"""Tests for pubdb.merge: which value each field keeps, conflicts, aliases, authors and marks."""

from __future__ import annotations

import copy

import pytest

from pubdb.merge import FieldConflict, merge_authors, merge_records
from pubdb.names import parse_name
from pubdb.records import AuthorEntry, BibRecord


def authors(*names: str, student: tuple[int, ...] = ()) -> tuple[AuthorEntry, ...]:
    return tuple(AuthorEntry(parse_name(n), student=pos in student) for pos, n in enumerate(names))


def rec(key: str = "keep", **kw) -> BibRecord:
    base = {
        "entry_type": "inproceedings",
        "title": "Learned Index Structures",
        "authors": authors("Ian Foster", "Zhengchun Liu"),
        "year": 2021,
    }
    base.update(kw)
    return BibRecord(key=key, **base)


def conflict_fields(result) -> list[str]:
    return [c.field for c in result.conflicts]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("doi", "10.1145/3299869"),
        ("pages", "1--12"),
        ("volume", "14"),
        ("publisher", "ACM"),
        ("venue_text", "SIGMOD"),
        ("url", "https://example.org/p.pdf"),
        ("abstract", "We learn indexes."),
        ("month", 6),
    ],
)
def test_gap_filled_from_other(field, value):
    result = merge_records(rec(), rec("other", **{field: value}))
    assert getattr(result.record, field) == value
    assert result.conflicts == []


def test_survivor_value_kept_and_disagreement_listed():
    result = merge_records(
        rec(pages="1--12", year=2021, venue_text="SIGMOD"),
        rec("other", pages="5--9", year=2020, venue_text="VLDB"),
    )
    assert (result.record.pages, result.record.year, result.record.venue_text) == (
        "1--12",
        2021,
        "SIGMOD",
    )
    assert result.conflicts == [
        FieldConflict("year", "2021", "2020"),
        FieldConflict("venue_text", "SIGMOD", "VLDB"),
        FieldConflict("pages", "1--12", "5--9"),
    ]


@pytest.mark.parametrize(
    ("field", "kept", "other"),
    [
        ("pages", "1--12", "1-12"),
        ("pages", "1--12", "1 – 12"),
        ("title", "Learned Index Structures", "{L}earned index structures."),
        ("venue_text", "Proc. SIGMOD", "proc.  sigmod"),
        ("doi", "10.1145/ABC", "https://doi.org/10.1145/abc"),
    ],
)
def test_formatting_differences_are_not_conflicts(field, kept, other):
    result = merge_records(rec(**{field: kept}), rec("other", **{field: other}))
    assert result.conflicts == []
    assert getattr(result.record, field) == kept


def test_title_kept_unless_empty():
    result = merge_records(rec(title="Learned Index"), rec("o", title="Learned Index Structures"))
    assert result.record.title == "Learned Index"
    assert conflict_fields(result) == ["title"]
    filled = merge_records(
        rec(title="", title_bibtex=""), rec("o", title="X {GPU}", title_bibtex="X {GPU}")
    )
    assert (filled.record.title, filled.record.title_bibtex) == ("X {GPU}", "X {GPU}")


def test_merged_record_is_a_new_record_with_only_known_fields():
    import dataclasses

    keep = rec(doi="", fields={"note2": "x"})
    merged = merge_records(keep, rec("o", doi="10.1/x", pages="1--2")).record
    assert type(merged) is BibRecord and merged is not keep
    # A record like any other: its attributes are the fields, its fields dict its own.
    assert set(vars(merged)) == {each.name for each in dataclasses.fields(BibRecord)}
    assert (merged.doi, merged.pages, keep.doi, keep.pages) == ("10.1/x", "1--2", "", "")
    assert merged.fields is not keep.fields and merged.fields == {"note2": "x"}


def test_same_title_spelt_alike_or_not_is_no_conflict():
    same = merge_records(rec(title="Learned Index"), rec("o", title="Learned Index"))
    folded = merge_records(rec(title="Learned Index"), rec("o", title="LEARNED {I}ndex"))
    assert conflict_fields(same) == conflict_fields(folded) == []


def test_full_author_list_replaces_truncated_one():
    keep = rec(authors=authors("Ian Foster"), authors_truncated=True)
    other = rec("o", authors=authors("I. Foster", "Zhengchun Liu", "Tim Kraska"))
    result = merge_records(keep, other)
    assert [a.name.family for a in result.record.authors] == ["Foster", "Liu", "Kraska"]
    assert result.record.authors[0].name.given == "Ian"  # the fuller spelling
    assert result.record.authors_truncated is False
    assert "author" not in conflict_fields(result)


def test_truncated_other_list_does_not_shorten_survivor():
    keep = rec(authors=authors("Ian Foster", "Zhengchun Liu", "Tim Kraska"))
    other = rec("o", authors=authors("Foster, I."), authors_truncated=True)
    result = merge_records(keep, other)
    assert len(result.record.authors) == 3
    assert result.record.authors_truncated is False
    assert result.conflicts == []


def test_initials_upgraded_and_marks_united():
    keep = rec(authors=authors("I. Foster", "Z. Liu", student=(1,)))
    other = rec(
        "o",
        authors=(
            AuthorEntry(parse_name("Ian T. Foster"), corresponding=True),
            AuthorEntry(parse_name("Zhengchun Liu"), equal=True),
        ),
    )
    merged = merge_records(keep, other).record.authors
    assert [a.name.display for a in merged] == ["Ian T. Foster", "Zhengchun Liu"]
    assert [(a.student, a.equal, a.corresponding) for a in merged] == [
        (False, False, True),
        (True, True, False),
    ]


def test_different_author_lists_are_a_conflict():
    keep = rec(authors=authors("Ian Foster", "Zhengchun Liu"))
    other = rec("o", authors=authors("Tim Kraska", "Anna Smith", "Bo Li"))
    result = merge_records(keep, other)
    assert [a.name.family for a in result.record.authors] == ["Foster", "Liu"]
    assert result.conflicts == [
        FieldConflict(
            "author", "Foster, Ian and Liu, Zhengchun", "Kraska, Tim and Smith, Anna and Li, Bo"
        )
    ]


def test_merge_authors_handles_empty_lists():
    full = authors("Ian Foster")
    assert merge_authors((), False, full, True) == (full, True, False)
    assert merge_authors(full, False, (), False) == (full, False, False)


def test_publisher_doi_replaces_arxiv_doi_and_arxiv_id_is_kept():
    preprint_first = rec(doi="10.48550/arXiv.2101.00001", entry_type="misc")
    published = rec("pub", doi="10.1145/3299869", entry_type="inproceedings")
    result = merge_records(preprint_first, published)
    assert result.record.doi == "10.1145/3299869"
    assert result.record.arxiv_id == "2101.00001"
    assert result.record.entry_type == "inproceedings"  # a specific type beats misc
    assert "doi" not in conflict_fields(result)


def test_arxiv_id_kept_when_published_survives():
    result = merge_records(
        rec(doi="10.1145/1"), rec("pre", arxiv_id="2101.00001", entry_type="misc")
    )
    assert result.record.arxiv_id == "2101.00001"
    assert result.record.doi == "10.1145/1"
    assert result.record.entry_type == "inproceedings"
    assert result.conflicts == []


def test_different_dois_and_types_are_conflicts():
    result = merge_records(
        rec(doi="10.1/a", entry_type="article"), rec("o", doi="10.1/b", entry_type="inproceedings")
    )
    assert conflict_fields(result) == ["entry_type", "doi"]
    assert result.record.doi == "10.1/a"


def test_tags_and_awards_united_without_duplicates():
    result = merge_records(
        rec(tags=("ml-systems",), awards=("Best Paper Award",)),
        rec("o", tags=("ML-Systems", "databases"), awards=("Best Paper Award", "Test of Time")),
    )
    assert result.record.tags == ("ml-systems", "databases")
    assert result.record.awards == ("Best Paper Award", "Test of Time")


def test_every_key_becomes_an_alias():
    result = merge_records(rec(fields={"ids": "old1"}), rec("other", fields={"ids": "old2, old3"}))
    assert result.alias_keys == ["other", "old2", "old3", "old1"]
    assert merge_records(rec(), rec("keep")).alias_keys == []


def test_extra_fields_united_and_bookkeeping_not_reported():
    result = merge_records(
        rec(fields={"isbn": "1", "file": "a.pdf", "series": "x"}),
        rec("o", fields={"isbn": "2", "file": "b.pdf", "n": "1", "series": "y"}),
    )
    assert result.record.fields == {"isbn": "1", "file": "a.pdf", "series": "x", "n": "1"}
    assert result.conflicts == [FieldConflict("series", "x", "y")]


def test_editors_longer_list_wins():
    keep = rec(editors=(parse_name("A. Editor"),))
    other = rec("o", editors=(parse_name("Ann Editor"), parse_name("Bob Other")))
    result = merge_records(keep, other)
    assert [e.family for e in result.record.editors] == ["Editor", "Other"]


def test_merge_is_pure():
    keep, other = rec(tags=("a",)), rec("o", tags=("b",), doi="10.1/x")
    before = (copy.deepcopy(keep), copy.deepcopy(other))
    merge_records(keep, other)
    assert (keep, other) == before


def _arxiv_record(key: str = "pre") -> BibRecord:
    return rec(
        key,
        entry_type="article",
        arxiv_id="2101.00001",
        venue_text="arXiv preprint arXiv:2101.00001",
        volume="abs/2101.00001",
        year=2020,
    )


def _published_record(key: str = "pub") -> BibRecord:
    return rec(key, doi="10.1145/1", venue_text="SIGMOD", pages="1--12", year=2021)


def test_preprint_values_do_not_conflict_with_the_published_survivor():
    result = merge_records(_published_record(), _arxiv_record())
    assert (result.record.venue_text, result.record.year) == ("SIGMOD", 2021)
    assert result.record.volume == ""  # not arXiv's "abs/..." volume
    assert result.record.arxiv_id == "2101.00001"
    assert result.conflicts == []
    assert result.alias_keys == ["pre"]


def test_kept_preprint_takes_the_publication_details():
    result = merge_records(_arxiv_record(), _published_record())
    record = result.record
    assert record.key == "pre"
    assert (record.venue_text, record.year, record.volume) == ("SIGMOD", 2021, "")
    assert (record.doi, record.arxiv_id, record.entry_type) == (
        "10.1145/1",
        "2101.00001",
        "inproceedings",
    )
    assert result.alias_keys == ["pub"]
