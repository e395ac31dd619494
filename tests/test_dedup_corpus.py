"""bibtex-tidy's duplicate-detection and merge cases (../shared/corpora/duplicates) run through
pubdb's reader, dedup and merge.

How bibtex-tidy's ``duplicates`` rules map onto pubdb (``manifest.json`` lists the options and
assertions of each case):

- ``key`` (same cite key, case-insensitive): not a dedup question in pubdb. ``read_bibtex``
  keeps the first entry and reports each later one as a "duplicate key" error (its raw text
  kept), which the import report shows; a re-used key is no evidence of the same paper
  (``duplicate-merge-keys``: same key, different title and author, is not merged).
- ``doi`` (identical DOI text): dedup's DOI block. The same DOI is "same" when the titles
  agree and only "possible" when they do not (a copy-paste error in one record). These fixture
  DOIs (``1``, ``1.1``) are not DOIs, so the reader keeps them as text; equal ``doi`` texts
  still count as a shared identifier, different ones prove nothing.
- ``citation`` (first author's family name + title + ``number``, compared case-sensitively):
  dedup's title blocks and scoring, with case, accents, LaTeX and punctuation folded, authors
  compared by family name + first initial, and the year, venue, volume/issue guards on top.
  bibtex-tidy counts 2 in ``duplicate-entries.03`` because ``something blah BLAH.`` differs in
  case from the others; pubdb folds case and merges all four (3 merges).
- ``abstract`` (first 100 characters of the abstract): pubdb does not use abstracts (often
  missing, and two versions of a paper may differ there). In ``duplicate-entries.04`` pubdb
  flags the two records titled ``bar`` (possible only: no authors, no year) instead of the two
  with the same abstract.
- ``merge`` strategies: pubdb's merge is bibtex-tidy's ``combine`` (the survivor's values win,
  its gaps are filled from the other record) with the survivor chosen by completeness; ``first``
  / ``last`` / ``overwrite`` have no equivalent (``pubdb merge KEEP OTHER`` picks the key that
  stays, and disagreeing values are kept in the sources and listed as conflicts).

``flagged`` below = duplicate-key read errors + records merged away by sure clusters + possible
pairs: what the import report and ``pubdb dedup`` would show the user. Where pubdb's reading
agrees with bibtex-tidy's rule, it equals bibtex-tidy's warning count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from pubdb.dedup import cluster, item_from_record, sure_pairs
from pubdb.merge import merge_records

CASES_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "duplicates"
pytestmark = pytest.mark.skipif(not CASES_DIR.is_dir(), reason="shared/corpora not present")

read_bibtex = pytest.importorskip("pubdb.importers.bibtex").read_bibtex


@dataclass(frozen=True)
class Case:
    file: str
    tidy_rule: str
    tidy_warnings: int
    key_errors: int = 0
    sure: tuple[frozenset[str], ...] = ()
    possible: tuple[frozenset[str], ...] = ()
    agrees_with_tidy: bool = True


def _set(*keys: str) -> frozenset[str]:
    return frozenset(keys)


CASES = [
    Case("duplicate-entries.01.input.bib", "key", 1, key_errors=1),
    Case("duplicate-entries.02.input.bib", "doi", 1, possible=(_set("a", "b"),)),
    Case("duplicate-entries.03.input.bib", "citation", 2, sure=(_set("a", "b", "c", "d"),),
         agrees_with_tidy=False),
    Case("duplicate-entries.04.input.bib", "abstract", 1, possible=(_set("b", "c"),),
         agrees_with_tidy=False),
    Case("duplicate-merge-1.01.input.bib", "all", 4, key_errors=1,
         sure=(_set("Smith2009", "Smith2009a", "Smith2009b"),
               _set("miles1984qualitative", "dupe1"))),
    Case("duplicate-merge-2.01.input.bib", "all", 1, sure=(_set("Hess2012a", "Hess2012b"),)),
    Case("duplicate-merge-combine.01.input.bib", "all", 1, sure=(_set("sweig42", "sweigdd42"),)),
    Case("duplicate-merge-first.01.input.bib", "all", 1, sure=(_set("sweig42", "sweigdd42"),)),
    Case("duplicate-merge-last.01.input.bib", "all", 1, sure=(_set("sweig42", "sweigdd42"),)),
    Case("duplicate-merge-overwrite.01.input.bib", "all", 1,
         sure=(_set("sweig42", "sweigdd42"),)),
    Case("duplicate-merge-keys.01.input.bib", "key", 1, key_errors=1),
]  # fmt: skip


def _run(path: Path):
    result = read_bibtex(path)
    items = [item_from_record(pos, rec) for pos, rec in enumerate(result.records)]
    return result, cluster(items)


def test_every_manifest_case_is_covered():
    manifest = json.loads((CASES_DIR / "manifest.json").read_text(encoding="utf-8"))
    inputs = {lit for spec in manifest["specs"] for lit in spec["literals"] if ".input." in lit}
    assert inputs == {case.file for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.file.removesuffix(".input.bib") for c in CASES])
def test_duplicate_case(case: Case):
    result, clusters = _run(CASES_DIR / case.file)
    key_errors = [p for p in result.errors if "duplicate key" in p.reason]
    assert len(key_errors) == case.key_errors
    sure = {frozenset(c.keys) for c in clusters if c.sure}
    possible = {frozenset(c.keys) for c in clusters if not c.sure}
    assert sure == set(case.sure)
    assert possible == set(case.possible)
    flagged = len(key_errors) + sure_pairs(clusters) + len(possible)
    if case.agrees_with_tidy:
        assert flagged == case.tidy_warnings


def test_numbered_and_different_entries_are_not_flagged():
    """bibtex-tidy issues #11 and #364: Raku2/Raku10 and foo1/foo2 are different papers."""
    _, clusters = _run(CASES_DIR / "duplicate-entries.03.input.bib")
    flagged = {key for c in clusters for key in c.keys}
    assert flagged.isdisjoint({"Raku2", "Raku10", "foo1", "foo2"})


def _record(path: Path, key: str):
    return next(r for r in read_bibtex(path).records if r.key == key)


def test_combine_merge_matches_bibtex_tidy_output():
    path = CASES_DIR / "duplicate-merge-combine.01.input.bib"
    merged = merge_records(_record(path, "sweig42"), _record(path, "sweigdd42"))
    expected = _record(CASES_DIR / "duplicate-merge-combine.02.output.bib", "sweig42")
    for name in ("key", "entry_type", "title", "year", "month", "publisher", "fields"):
        assert getattr(merged.record, name) == getattr(expected, name), name
    assert [a.name for a in merged.record.authors] == [a.name for a in expected.authors]
    assert merged.alias_keys == ["sweigdd42"]
    assert merged.conflicts == []  # "The impossible BOOK" differs only in case


def test_merge_1_fills_gaps_like_bibtex_tidy():
    path = CASES_DIR / "duplicate-merge-1.01.input.bib"
    out = CASES_DIR / "duplicate-merge-1.02.output.bib"
    merged = merge_records(_record(path, "miles1984qualitative"), _record(path, "dupe1"))
    expected = _record(out, "miles1984qualitative")
    assert merged.record.title == expected.title  # the survivor's title, not "...sourcebooka"
    assert [a.name for a in merged.record.authors] == [a.name for a in expected.authors]
    assert [c.field for c in merged.conflicts] == ["title", "venue_text"]


def test_merge_2_journal_version_survives_and_conflicts_are_listed():
    path = CASES_DIR / "duplicate-merge-2.01.input.bib"
    _, clusters = _run(path)
    (hess,) = [c for c in clusters if c.sure]
    assert hess.keys[0] == "Hess2012a"  # the record with a DOI survives
    merged = merge_records(_record(path, "Hess2012a"), _record(path, "Hess2012b"))
    assert merged.record.doi == "10.1016/j.tra.2011.11.008"
    assert merged.record.url  # filled from Hess2012b, as bibtex-tidy's combine does
    assert {"entry_type", "venue_text", "pages"} <= {c.field for c in merged.conflicts}
