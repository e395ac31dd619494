"""Tests for pubdb.dedup: signals, guards, blocking, the import index, clustering, items."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import pickle
import random
import sys
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from pubdb import dedup
from pubdb.dedup import (
    WINDOW,
    DedupIndex,
    DedupItem,
    choose_survivor,
    cluster,
    find_candidates,
    incoming_item,
    is_generic_title,
    item_from_record,
    item_with_venue,
    notice_kind,
    score_pair,
    title_numbers,
    venues_compatible,
)
from pubdb.errors import InputError
from pubdb.importers import read_bibtex
from pubdb.names import name_match_key, parse_name
from pubdb.records import AuthorEntry, BibRecord
from pubdb.textnorm import fold, title_key
from tests.conftest import synthetic_bib

TITLE = "Learned Index Structures for Wide Area Data Transfer Scheduling"
AUTHORS = ("Ian Foster", "Zhengchun Liu", "Rajkumar Kettimuthu")
_ids = itertools.count(1)


def item(
    title: str = TITLE,
    *,
    authors: tuple[str, ...] = AUTHORS,
    year: int | None = 2021,
    venue: str = "",
    **kw,
) -> DedupItem:
    ident = next(_ids)
    return DedupItem(
        id=ident,
        key=kw.pop("key", f"key{ident}"),
        title_key=title_key(title),
        title=title,
        year=year,
        venue=fold(venue),
        author_keys=tuple(name_match_key(parse_name(a)) for a in authors),
        **kw,
    )


def reasons(decision) -> str:
    return " | ".join(decision.reasons)


# -- signals ---------------------------------------------------------------------------------


def test_same_doi_is_same_with_reason():
    d = score_pair(item(doi="10.1/x"), item("Something else entirely about data", doi="10.1/x"))
    assert d.verdict == "possible"  # the same DOI on unrelated titles is a copy-paste error
    d = score_pair(item(doi="10.1/x"), item(TITLE + ": extended", doi="10.1/x", authors=()))
    assert d.verdict == "same"
    assert d.score == 100
    assert "same DOI 10.1/x" in d.reasons


def test_arxiv_doi_equals_arxiv_id():
    pre = item(doi="10.48550/arXiv.2101.00001", venue_kind="preprint", entry_type="misc")
    pub = item(arxiv_id="arXiv:2101.00001v2", doi="10.1145/3299869")
    d = score_pair(pre, pub)
    assert d.verdict == "same"
    assert "same arXiv id 2101.00001" in d.reasons
    assert any(r.startswith("preprint of") for r in d.reasons)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(TITLE.upper(), id="case"),
        pytest.param(
            "{Learned} {I}ndex Structures for Wide-Area Data Transfer Scheduling.",
            id="braces-punct",
        ),
        pytest.param(
            "The Learned Index Structures for Wide Area Data Transfer Scheduling", id="leading-the"
        ),
        pytest.param("Learned Index Structures for Wide Area Data Transfer Schedulling", id="typo"),
        pytest.param(
            "Learned index structures for wide area data-transfer scheduling", id="hyphen"
        ),
    ],
)
def test_title_variants_are_same(other):
    d = score_pair(item(), item(other))
    assert d.verdict == "same", reasons(d)
    assert any(r.startswith("titles ") and "similar" in r for r in d.reasons)


def test_accents_vs_latex_are_same():
    a = item("Gödel numbering for naïve query engines", authors=("Jürgen Müller",))
    b = item('G{\\"o}del Numbering for Na{\\"\\i}ve Query Engines', authors=('J. M{\\"u}ller',))
    d = score_pair(a, b)
    assert d.verdict == "same", reasons(d)
    assert d.score == 100


@pytest.mark.parametrize(
    ("y1", "y2", "verdict", "reason"),
    [
        pytest.param(2021, 2021, "same", "same year 2021", id="same-year"),
        pytest.param(2021, 2022, "same", "years 2021/2022 within 1", id="one-apart"),
        pytest.param(2019, 2022, "possible", "years 2019/2022 more than 1 apart", id="three-apart"),
        pytest.param(2021, None, "same", "year unknown", id="unknown"),
    ],
)
def test_year_compatibility(y1, y2, verdict, reason):
    d = score_pair(item(year=y1), item(year=y2))
    assert d.verdict == verdict, reasons(d)
    assert reason in d.reasons


@pytest.mark.parametrize(
    ("other_authors", "truncated", "verdict", "reason"),
    [
        pytest.param(AUTHORS, False, "same", "authors overlap 3/3 (family+initial)", id="equal"),
        pytest.param(
            ("I. Foster", "Z. Liu", "R. Kettimuthu"),
            False,
            "same",
            "authors overlap 3/3 (family+initial)",
            id="initials",
        ),
        pytest.param(
            ("Liu, Zhengchun", "Foster, Ian", "Kettimuthu, R."),
            False,
            "same",
            "authors overlap 3/3 (family+initial)",
            id="reordered",
        ),
        pytest.param(
            ("Ian Foster",),
            True,
            "same",
            "authors overlap 1/1 (family+initial) (one list truncated)",
            id="and-others",
        ),
        pytest.param(
            ("Ian Foster", "Tim Kraska", "Anna Smith"),
            False,
            "possible",
            "authors overlap 1/3 (family+initial)",
            id="one-of-three",
        ),
        pytest.param(
            ("Tim Kraska", "Anna Smith"),
            False,
            "different",
            "no authors in common (0/2)",
            id="none-in-common",
        ),
        pytest.param(
            ("Yuanlai Liu",), False, "different", "no authors in common (0/1)", id="other-initial"
        ),
        pytest.param((), False, "possible", "no authors to compare", id="missing"),
    ],
)
def test_author_overlap(other_authors, truncated, verdict, reason):
    d = score_pair(item(), item(authors=other_authors, authors_truncated=truncated))
    assert d.verdict == verdict, reasons(d)
    assert reason in d.reasons


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("Proc. VLDB Endow.", "Proceedings of the VLDB Endowment", True, id="pvldb"),
        pytest.param(
            "IEEE Trans. Knowl. Data Eng.",
            "IEEE Transactions on Knowledge and Data Engineering",
            True,
            id="tkde",
        ),
        pytest.param("Commun. ACM", "Communications of the ACM", True, id="cacm"),
        pytest.param("sigmod", "sigmod", True, id="equal"),
        pytest.param(
            "Future Generation Computer Systems",
            "Journal of Parallel and Distributed Computing",
            False,
            id="different",
        ),
        pytest.param("", "SIGMOD", None, id="unknown"),
        pytest.param(
            "SIGMOD",
            "Proceedings of the International Conference on Management of Data",
            None,
            id="short-name",
        ),
        pytest.param("NASA", "The Astrophysical Journal", False, id="other-word"),
    ],
)
def test_venues_compatible(a, b, expected):
    assert venues_compatible(fold(a), fold(b)) is expected


def test_abbreviated_venue_one_year_apart_is_same():
    a = item(venue="Proc. VLDB Endow.", year=2021)
    b = item(venue="Proceedings of the VLDB Endowment", venue_kind="journal", year=2022)
    assert score_pair(a, b).verdict == "same"


def test_pages_signal():
    same = score_pair(item(pages="10--20"), item(pages="10-20"))
    assert "same first page 10" in same.reasons
    differ = score_pair(item(pages="10--20"), item(pages="1--26"))
    assert "pages differ (10--20 vs 1--26)" in differ.reasons
    assert differ.score < same.score


# -- preprints -------------------------------------------------------------------------------


def _published() -> DedupItem:
    return item(
        doi="10.14778/1",
        entry_type="article",
        venue="PVLDB",
        venue_kind="journal",
        year=2022,
        pages="1--12",
    )


def _preprint(year: int = 2020) -> DedupItem:
    return item(arxiv_id="2003.01234", entry_type="misc", venue="arXiv", year=year)


def test_preprint_matches_published_with_reason():
    d = score_pair(_preprint(2020), _published())
    assert d.verdict == "same", reasons(d)
    assert any(r.startswith("preprint of") for r in d.reasons)


def test_preprint_too_early_is_only_possible():
    d = score_pair(_preprint(2016), _published())
    assert d.verdict == "possible"
    assert "preprint 2016 too far from publication 2022" in d.reasons


@pytest.mark.parametrize("order", ["preprint-first", "published-first"])
def test_published_version_survives(order):
    pre, pub = _preprint(), _published()
    a, b = (pre, pub) if order == "preprint-first" else (pub, pre)
    assert choose_survivor(a, b) is pub


def test_survivor_prefers_complete_record_then_the_stored_one():
    bare = item()
    full = item(doi="10.1/x", pages="1--2", venue="SIGMOD", entry_type="inproceedings")
    assert choose_survivor(bare, full) is full
    twin = item()
    assert choose_survivor(bare, twin) is bare


# -- guards ----------------------------------------------------------------------------------


def test_different_dois_are_different():
    d = score_pair(item(doi="10.1/a"), item(doi="10.1/b"))
    assert d.verdict == "different"
    assert "different DOIs 10.1/a vs 10.1/b" in d.reasons


def test_arxiv_doi_does_not_count_as_a_different_doi():
    d = score_pair(item(doi="10.48550/arXiv.2003.01234", year=2020), item(doi="10.1/b"))
    assert d.verdict == "same", reasons(d)


def test_different_arxiv_ids_are_different():
    d = score_pair(item(arxiv_id="2003.01234"), item(arxiv_id="2003.09999"))
    assert d.verdict == "different"


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        pytest.param(
            f"{TITLE}, Part I",
            f"{TITLE}, Part II",
            "part numbers differ (I vs II)",
            id="part-roman",
        ),
        pytest.param(
            f"{TITLE} (Part One)",
            f"{TITLE} (Part Two)",
            "part numbers differ (One vs Two)",
            id="part-words",
        ),
        pytest.param(f"{TITLE} II", f"{TITLE} III", "part numbers differ (II vs III)", id="roman"),
        pytest.param(
            f"{TITLE} v2", f"{TITLE} v3", "numbers in titles differ (v2 vs v3)", id="version"
        ),
        pytest.param(
            f"{TITLE} 2019", f"{TITLE} 2020", "numbers in titles differ (2019 vs 2020)", id="year"
        ),
        pytest.param(TITLE, f"{TITLE} 2", "numbers in titles differ (none vs 2)", id="one-side"),
    ],
)
def test_number_guard(a, b, reason):
    d = score_pair(item(a), item(b))
    assert d.verdict == "different"
    assert reason in d.reasons


@pytest.mark.parametrize(
    ("title", "numbers"),
    [
        ("Part I", ("1",)),
        ("Part 1", ("1",)),
        ("What I learned from CV and XL models", ()),
        ("GPT-4 in 2023", ("2023", "4")),
        ("Volume IV", ("4",)),
        ("Transportation research Part B", ("B",)),
        ('Series {M\\"u}ller', ()),
    ],
)
def test_title_numbers(title, numbers):
    assert title_numbers(title) == numbers


def test_number_words_are_numbers():
    d = score_pair(
        item(f"{TITLE}: first quarterly report"), item(f"{TITLE}: fourth quarterly report")
    )
    assert d.verdict == "different"
    assert "part numbers differ (first vs fourth)" in d.reasons


def test_part_i_equals_part_1():
    assert score_pair(item(f"{TITLE}: Part I"), item(f"{TITLE}, part 1")).verdict == "same"


GENERIC = [
    "Preface",
    "Introduction",
    "Editorial",
    "Keynote",
    "Foreword",
    "Panel",
    "Front matter",
    "Index",
    "Keynote talk",
    "Introduction to the special issue",
]


@pytest.mark.parametrize("title", GENERIC)
def test_generic_titles_never_merge_on_title(title):
    assert is_generic_title(title_key(title))
    other_people = score_pair(item(title, authors=("Ann Smith",)), item(title, authors=("Bo Li",)))
    assert other_people.verdict == "different"
    other_year = score_pair(item(title, year=2020), item(title, year=2021))
    assert other_year.verdict == "different"
    assert f"generic title {title!r} needs DOI" in other_year.reasons
    everything = score_pair(item(title, venue="SIGMOD"), item(title, venue="SIGMOD"))
    assert everything.verdict == "possible"
    with_doi = score_pair(item(title, doi="10.1/p"), item(title, doi="10.1/p"))
    assert with_doi.verdict == "same"


def test_specific_title_starting_with_generic_word_is_not_generic():
    assert not is_generic_title(title_key("Introduction to Algorithms"))
    assert not is_generic_title(title_key("Panel: the future of learned database systems"))


def test_same_title_different_venue_and_year_is_possible():
    ws = item(venue="XLOOP", venue_kind="workshop", entry_type="inproceedings", year=2020)
    jn = item(venue="FGCS", venue_kind="journal", entry_type="article", year=2021)
    d = score_pair(ws, jn)
    assert d.verdict == "possible"
    assert d.conflict
    assert (
        "same title, different venue (workshop vs journal) and year (2020/2021) → possible "
        "duplicate (extended version?)" in d.reasons
    )


def test_same_title_different_venue_unknown_year_is_possible():
    conf = item(venue="Proc. AAAI", entry_type="inproceedings", year=None, pages="10--15")
    jn = item(venue="Artificial Intelligence", entry_type="article", year=1988, pages="1--30")
    d = score_pair(conf, jn)
    assert d.verdict == "possible" and d.conflict
    assert any("year unknown → possible duplicate" in r for r in d.reasons)


def test_same_title_different_venue_same_year_is_same():
    ws = item(venue="XLOOP", venue_kind="workshop", year=2021)
    jn = item(venue="FGCS", venue_kind="journal", year=2021)
    d = score_pair(ws, jn)
    assert d.verdict == "same"
    assert "venues differ (xloop vs fgcs)" in d.reasons


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [
        ("Erratum to: ", "erratum"),
        ("Corrigendum: ", "erratum"),
        ("Correction to: ", "erratum"),
        ("Retraction note: ", "retraction"),
        ("Comment on ", "comment"),
        ("Reply to ", "comment"),
    ],
)
def test_erratum_apart_from_its_paper(prefix, kind):
    notice = item(prefix + TITLE)
    assert notice_kind(notice.title_key) == kind
    d = score_pair(item(), notice)
    assert d.verdict == "different"
    assert f"{kind} vs paper" in d.reasons


def test_substituted_word_is_only_possible():
    a = item("Learned cardinality estimation for graph queries")
    b = item("Learned cardinality estimation for stream queries")
    d = score_pair(a, b)
    assert d.verdict == "possible"
    assert "titles differ in words: 'graph' vs 'stream'" in d.reasons


def test_subtitle_is_only_possible():
    a = item("Learned cardinality estimation for graph queries")
    b = item("Learned cardinality estimation for graph queries: an experimental survey")
    assert score_pair(a, b).verdict == "possible"


@pytest.mark.parametrize(
    ("field", "x", "y", "reason"),
    [
        ("volume", "45", "46", "volumes differ (45 vs 46)"),
        ("number", "1", "2", "issue numbers differ (1 vs 2)"),
    ],
)
def test_volume_and_issue_guard(field, x, y, reason):
    d = score_pair(
        item(entry_type="article", **{field: x}), item(entry_type="article", **{field: y})
    )
    assert d.verdict == "different"
    assert reason in d.reasons


def test_thesis_and_paper_are_only_possible():
    d = score_pair(item(entry_type="phdthesis"), item(entry_type="article"))
    assert d.verdict == "possible"


def test_threshold_controls_same():
    a, b = item(), item(TITLE.replace("Scheduling", "Schedulling"))
    assert score_pair(a, b).verdict == "same"
    assert score_pair(a, b, threshold=100).verdict == "possible"


def test_unrelated_titles_are_different():
    d = score_pair(item(), item("Byzantine consensus for geo replicated ledgers"))
    assert d.verdict == "different"


# -- blocking --------------------------------------------------------------------------------


def _filler(n: int, seed: int = 0) -> list[DedupItem]:
    """Unrelated titles: six words drawn from sixty, as in a real bibliography."""
    rng = random.Random(seed)
    words = [
        f"{a}{b}"
        for a in ("data", "graph", "query", "cloud", "model", "index")
        for b in ("base", "flow", "plan", "store", "mesh", "net", "log", "set", "map", "bench")
    ]
    return [
        item(" ".join(rng.sample(words, 6)), authors=("X Y",), year=rng.randint(2000, 2020))
        for _ in range(n)
    ]


def _pairs(items: list[DedupItem]) -> set[tuple[int | str, int | str]]:
    return {(items[i].id, items[j].id) for i, j in find_candidates(items)}


def test_blocking_finds_every_kind_of_twin_among_filler():
    filler = _filler(600)
    doi_a, doi_b = item("Alpha", doi="10.1/z"), item("Omega", doi="10.1/z")
    ax_a, ax_b = item("One", arxiv_id="2101.1"), item("Two", doi="10.48550/arXiv.2101.1")
    ex_a, ex_b = item("Exact twin title here"), item("exact twin title here!")
    ty_a, ty_b = item(TITLE), item(TITLE.replace("Transfer", "Tranfser"))
    fw_a, fw_b = (
        item("Lerned index structures for caching"),
        item("Learned index structures for caching"),
    )
    items = [
        *filler,
        doi_a,
        ax_a,
        ex_a,
        ty_a,
        fw_a,
        *_filler(300, 1),
        doi_b,
        ax_b,
        ex_b,
        ty_b,
        fw_b,
    ]
    pairs = _pairs(items)
    for a, b in [(doi_a, doi_b), (ax_a, ax_b), (ex_a, ex_b), (ty_a, ty_b), (fw_a, fw_b)]:
        assert (a.id, b.id) in pairs
    assert len(pairs) < len(items)  # nothing like all pairs (~400k)


def test_blocking_respects_year_window_for_fuzzy_pairs():
    a = item(year=2000)
    b = item(TITLE.replace("Transfer", "Tranfser"), year=2000 + dedup.YEAR_WINDOW + 1)
    assert _pairs([a, b]) == set()


def test_large_generic_block_stays_linear():
    prefaces = [item("Preface", authors=(f"Editor{k} Person",), year=2020) for k in range(300)]
    pairs = _pairs(prefaces)
    assert 0 < len(pairs) <= 300 * dedup.MAX_BLOCK


# -- clustering ------------------------------------------------------------------------------


def test_cluster_groups_sure_and_reports_possible():
    pub, pre, copy = _published(), _preprint(), item(TITLE.lower(), year=2022)
    ws = item(venue="XLOOP", venue_kind="workshop", year=2019, entry_type="inproceedings")
    other = item("Byzantine consensus for geo replicated ledgers")
    clusters = cluster([pre, ws, copy, other, pub])
    sure = [c for c in clusters if c.sure]
    assert len(sure) == 1
    assert sure[0].ids[0] == pub.id  # the published version survives
    assert set(sure[0].ids) == {pub.id, pre.id, copy.id}
    possible = [c for c in clusters if not c.sure]
    assert [set(c.ids) & {ws.id} for c in possible] == [{ws.id}]
    assert possible[0].reasons


def test_cluster_never_chains_two_different_records():
    a = item(doi="10.1/a")
    b = item()  # matches both on title, has no DOI
    c = item(doi="10.1/c")
    clusters = cluster([a, b, c])
    sure = [c for c in clusters if c.sure]
    assert len(sure) == 1
    assert b.id in sure[0].ids
    assert not {a.id, c.id} <= set(sure[0].ids)
    refused = [c for c in clusters if not c.sure]
    assert any("not merged" in r for c in refused for r in c.reasons)


def test_cluster_threshold():
    a, b = item(), item(TITLE.replace("Scheduling", "Schedulling"))
    assert [c.sure for c in cluster([a, b])] == [True]
    assert [c.sure for c in cluster([a, b], threshold=100)] == [False]


def test_cluster_reasons_name_the_pairs():
    items = [item(key="a"), item(key="b"), item(key="c", year=2022)]
    (c,) = cluster(items)
    assert c.sure and len(c.ids) == 3 and len(c.pairs) == 2
    assert all(" ~ " in r for r in c.reasons)
    assert dedup.sure_pairs([c]) == 2


@pytest.mark.parametrize(
    "marked",
    [("a", "b"), ("a", "c")],
    ids=["pair-marked-apart", "chain-ends-marked-apart"],
)
def test_cluster_never_joins_papers_marked_apart(marked):
    items = [item(key="a"), item(key="b"), item(key="c")]
    ids = {it.key: it.id for it in items}
    apart = {frozenset(ids[k] for k in marked)}
    clusters = cluster(items, apart=apart)
    for found in clusters:
        assert not {ids[k] for k in marked} <= set(found.ids), found
    assert cluster(items)[0].sure and len(cluster(items)[0].ids) == 3  # without the mark
    # The third record still joins one of the two.
    assert any(c.sure and len(c.ids) == 2 for c in clusters)


# -- building items --------------------------------------------------------------------------


def _record(**kw) -> BibRecord:
    base = {
        "key": "liu2021",
        "entry_type": "article",
        "title": "Learned Index {Structures}",
        "authors": (
            AuthorEntry(parse_name("Ian Foster")),
            AuthorEntry(parse_name("Liu, Zhengchun")),
        ),
        "year": 2021,
        "doi": "https://doi.org/10.1145/ABC",
        "venue_text": "Future Generation Computer Systems",
    }
    base.update(kw)
    return BibRecord(**base)


def test_item_from_record():
    it = item_from_record(7, _record(), venue_short="FGCS", venue_kind="journal")
    assert it.id == 7 and it.key == "liu2021"
    assert it.title_key == "learned index structures"
    assert it.doi == "10.1145/abc"
    assert it.venue == "fgcs" and it.venue_kind == "journal"
    assert it.author_keys == (
        name_match_key(parse_name("Ian Foster")),
        name_match_key(parse_name("Zhengchun Liu")),
    )
    assert not it.is_preprint


@pytest.mark.parametrize(
    ("kw", "kind"),
    [
        pytest.param(
            {"doi": "", "arxiv_id": "2101.00001", "venue_text": "arXiv preprint"},
            "preprint",
            id="arxiv",
        ),
        pytest.param(
            {"doi": "10.48550/arXiv.2101.00001", "venue_text": ""}, "preprint", id="arxiv-doi"
        ),
        pytest.param(
            {"entry_type": "inproceedings", "venue_text": "Proc. of SIGMOD"},
            "conference",
            id="inproceedings",
        ),
        pytest.param(
            {"entry_type": "inproceedings", "venue_text": "Workshop on ML for Systems"},
            "workshop",
            id="workshop",
        ),
        pytest.param({}, "journal", id="article"),
    ],
)
def test_item_from_record_infers_venue_kind(kw, kind):
    assert item_from_record(1, _record(**kw)).venue_kind == kind


def test_build_item_is_what_item_from_record_builds():
    rec = _record(editors=(parse_name("Jane Editor"),), fields={"doi": "n/a"})
    built = dedup.build_item(
        3,
        key=rec.key,
        title=rec.title,
        title_key_value=title_key(rec.title),
        year=rec.year,
        doi="10.1145/abc",
        entry_type="article",
        venue_short="FGCS",
        venue_text=rec.venue_text,
        venue_kind="journal",
        author_keys=[name_match_key(a.name) for a in rec.authors],
        editor_keys=[name_match_key(parse_name("Jane Editor"))],
    )
    assert built == item_from_record(3, rec, venue_short="FGCS", venue_kind="journal")


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        pytest.param(
            {"authors": (), "editors": (parse_name("Jane Editor"),)},
            {"author_keys": ("editor|j",)},
            id="editors-stand-in",
        ),
        pytest.param(
            {"doi": "", "fields": {"doi": "1.1"}}, {"doi": "", "doi_text": "1.1"}, id="doi-text"
        ),
        pytest.param(
            {"fields": {"doi": "1.1"}}, {"doi": "10.1145/abc", "doi_text": ""}, id="doi-wins"
        ),
        pytest.param({"title": "x" * 800}, {"title_key": "x" * 500}, id="title-key-cut"),
        pytest.param({"venue_text": "", "venue_hint": "FGCS"}, {"venue": "fgcs"}, id="venue-hint"),
    ],
)
def test_item_from_record_fields(kw, expected):
    built = item_from_record(1, _record(**kw))
    for name, value in expected.items():
        assert getattr(built, name) == value


def test_venue_kind_other_is_guessed():
    assert item_from_record(1, _record(), venue_kind="other").venue_kind == "journal"


# -- incremental index (import) --------------------------------------------------------------


def test_index_best_match_prefers_same_then_score():
    stored = [
        item(key="ws", venue="XLOOP", venue_kind="workshop", year=2019),
        item(key="pub", doi="10.14778/1", venue="PVLDB", venue_kind="journal", year=2022),
        *_filler(200),
    ]
    index = DedupIndex(stored)
    assert len(index) == len(stored)
    incoming = item(TITLE.replace("Scheduling", "Schedulling"), year=2022)
    found = index.best_match(incoming)
    assert found is not None
    other, decision = found
    assert other.key == "pub" and decision.verdict == "same"
    assert index.best_match(item("Byzantine consensus for geo replicated ledgers")) is None


def test_index_add_and_discard_keep_it_current():
    index = DedupIndex(_filler(50))
    first = item(doi="10.1/x")
    assert index.best_match(first) is None
    index.add(first)
    assert first.id in index
    twin = item(TITLE.lower(), doi="10.1/x")
    assert index.best_match(twin)[0] is first
    index.discard(first.id)
    index.discard(first.id)  # unknown ids are ignored
    assert first.id not in index
    assert index.best_match(twin) is None
    replaced = dataclasses.replace(first, title_key=title_key("Something else entirely"))
    index.add(first)
    index.add(replaced)  # same id: replaces
    assert len(index) == 51
    assert index.best_match(item()) is None


def test_index_finds_what_batch_blocking_finds():
    rng = random.Random(3)
    items = _filler(300, 5)
    for base in rng.sample(items, 40):
        words = base.title.split()
        pos = rng.randrange(len(words))
        word = words[pos]
        words[pos] = word[0] + word[2] + word[1] + word[3:]  # a typo somewhere in the title
        items.append(item(" ".join(words), authors=("X Y",), year=base.year))
    batch = set(find_candidates(items))
    assert len(batch) >= 40
    for i, j in batch:
        index = DedupIndex(items[:j])
        assert items[i] in index.candidates(items[j])


# -- the index's data structures ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sorted_list_behaves_like_a_sorted_python_list(monkeypatch, seed):
    monkeypatch.setattr(dedup._SortedList, "CHUNK", 3)  # many chunks, splits and empties
    rng = random.Random(seed)
    initial = {f"{rng.randrange(1000):03d}" for _ in range(20)}
    values = dedup._SortedList(initial)
    reference = sorted(initial)
    for _ in range(400):
        value = f"{rng.randrange(1000):03d}"
        if rng.random() < 0.55 and value not in reference:
            at, pos = values.window(value, 1)[2:]
            if at >= 0 and rng.random() < 0.5:
                values.insert_at(at, pos, value)  # where the lookup found it
            else:
                values.add(value)
            reference.append(value)
            reference.sort()
        elif rng.random() < 0.5 and reference:
            gone = rng.choice(reference)
            values.remove(gone)
            reference.remove(gone)
        elif value not in reference:
            values.remove(value)  # absent: no error
        assert list(values) == reference and len(values) == len(reference)
        for count in (1, 2, 8):
            pos = next((k for k, v in enumerate(reference) if v >= value), len(reference))
            window, split = values.around(value, count)
            assert window == reference[max(0, pos - count) : pos + count]
            assert split == min(pos, count)
    assert dedup._SortedList().around("x", 8) == ([], 0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sorted_pairs_behave_like_a_sorted_python_list_of_pairs(monkeypatch, seed):
    monkeypatch.setattr(dedup._SortedPairs, "CHUNK", 3)  # many chunks, splits and empties
    rng = random.Random(seed)

    def pair() -> tuple[str, str]:  # few texts: many pairs share one (anagram titles)
        return f"{rng.randrange(40):02d}", f"{rng.randrange(30):02d}"

    initial = {pair() for _ in range(20)}
    pairs = dedup._SortedPairs(initial)
    reference = sorted(initial)
    for _ in range(500):
        value = pair()
        if rng.random() < 0.55 and value not in reference:
            pairs.add(*value)
            reference.append(value)
            reference.sort()
        elif rng.random() < 0.5 and reference:
            gone = rng.choice(reference)
            pairs.remove(*gone)
            reference.remove(gone)
        elif value not in reference:
            pairs.remove(*value)  # absent: no error
        assert list(pairs) == reference and len(pairs) == len(reference)
        text = value[0]
        for count in (1, 2, 8):
            pos = next((k for k, v in enumerate(reference) if v >= (text, "")), len(reference))
            texts, keys, split, at, place = pairs.window(text, count)
            expected = reference[max(0, pos - count) : pos + count]
            assert list(zip(texts, keys, strict=True)) == expected
            assert split == min(pos, count)
            if reference:  # the place found: that of (text, "") in the whole order
                chunks = pairs._texts
                assert sum(map(len, chunks[:at])) + place == pos
    assert dedup._SortedPairs().window("x", 8) == ([], [], 0, -1, 0)


def _reference_candidates(stored: list[DedupItem], new: DedupItem) -> set[int | str]:
    """What DedupIndex.candidates must return, computed the slow, obvious way: the exact
    blocks, then each sorted order as one plain list of ``(order(key), key)`` pairs and the
    WINDOW pairs on each side of ``(order(new key), "")``."""
    found = set()
    for other in stored:
        if (
            (new.publisher_doi and new.publisher_doi == other.publisher_doi)
            or (new.arxiv and new.arxiv == other.arxiv)
            or (new.doi_text and new.doi_text == other.doi_text)
            or (
                new.title_key
                and dedup._title_block(new, nospace=True) == dedup._title_block(other, nospace=True)
            )
        ):
            found.add(other.id)
    if new.title_key and not new.generic:
        keys = {other.title_key for other in stored if other.title_key and not other.generic}
        near = set()
        for number, order in enumerate(dedup._ORDERS):
            entries = sorted((order(key), key) for key in keys)
            text = order(new.title_key)
            pos = next((k for k, e in enumerate(entries) if e >= (text, "")), len(entries))
            for other_text, key in entries[max(0, pos - dedup.WINDOW) : pos + dedup.WINDOW]:
                if fuzz.ratio(text, other_text) >= dedup.TITLE_CANDIDATE_MIN:
                    near.add(key)
                if number == 0 and (
                    dedup._prefix_words(key, new.title_key)
                    or dedup._prefix_words(new.title_key, key)
                ):
                    near.add(key)
        found |= {
            other.id
            for other in stored
            if other.title_key in near and dedup._years_near(new, other)
        }
    found.discard(new.id)
    return found


def test_index_candidates_are_exactly_the_windows(monkeypatch):
    """Adds, replacements and discards in random order; after each step the index's
    candidates for a probe equal the obvious computation over what is stored."""
    monkeypatch.setattr(dedup._SortedList, "CHUNK", 4)
    monkeypatch.setattr(dedup._SortedPairs, "CHUNK", 4)
    rng = random.Random(11)
    pool = _filler(120, 2)
    for base in rng.sample(pool, 30):  # typos, moved words, subtitles, shared DOIs, twins
        words = base.title.split()
        variants = [
            " ".join([*words[:2], words[2][0] + words[2][2] + words[2][1] + words[2][3:]]),
            " ".join([words[0][0] + words[0][2] + words[0][1] + words[0][3:], *words[1:]]),
            " ".join(words[1:] + words[:1]),
            f"{base.title}: with a subtitle here",
            base.title.upper(),
        ]
        pool.append(item(rng.choice(variants), authors=("X Y",), year=base.year))
    pool += [item("Preface", year=2001, authors=(a,)) for a in ("A B", "C D", "E F")]
    pool += [item(f"Paper {n} about clouds", doi="10.1/shared") for n in range(3)]
    pool += [item("Pre-training of clouds", year=2003), item("Pretraining of clouds")]
    index = DedupIndex(pool[:60])
    stored = {it.id: it for it in pool[:60]}
    fuzzy = 0
    for step in range(300):
        action = rng.random()
        if action < 0.5:
            new = rng.choice(pool)
            index.add(new)
            stored[new.id] = new
        elif action < 0.6 and stored:
            old = stored[rng.choice(list(stored))]
            new = dataclasses.replace(old, title_key=rng.choice(pool).title_key)
            index.add(new)  # same id: replaces
            stored[new.id] = new
        elif stored:
            gone = rng.choice(list(stored))
            index.discard(gone)
            del stored[gone]
        probe = rng.choice(pool)
        expected = _reference_candidates(list(stored.values()), probe)
        assert {c.id for c in index.candidates(probe)} == expected, step
        assert len(index) == len(stored)
        fuzzy += any(stored[i].title_key != probe.title_key for i in expected)
    assert fuzzy >= 10  # the windows were exercised, not only the exact blocks


def _assert_orders_sorted(index: DedupIndex, stored: dict) -> None:
    keys = {it.title_key for it in stored.values() if it.title_key and not it.generic}
    assert list(index._plain) == sorted(keys)
    assert list(index._reversed) == sorted(key[::-1] for key in keys)
    assert list(index._by_words) == sorted((dedup._sorted_words(key), key) for key in keys)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_index_lookup_then_add_is_what_an_add_alone_does(monkeypatch, seed):
    """What an import does: look an incoming item up, then add it under its new id (the
    lookup's places reused), sometimes with the index changed in between (the places are
    then stale and not used). The three orders stay exactly sorted, and candidates stay the
    obvious computation."""
    monkeypatch.setattr(dedup._SortedList, "CHUNK", 3)
    monkeypatch.setattr(dedup._SortedPairs, "CHUNK", 3)
    rng = random.Random(seed)
    pool = _filler(60, seed)
    for base in rng.sample(pool, 20):
        words = base.title.split()
        rng.shuffle(words)  # an anagram title: the same word-sorted key
        pool.append(item(" ".join(words), authors=("X Y",), year=base.year))
        pool.append(item(f"{base.title}: with a subtitle", authors=("X Y",), year=base.year))
    pool += [item("Preface", year=2001, authors=(a,)) for a in ("A B", "C D")]
    pool += [item(f"Paper {n} about clouds", doi="10.1/shared") for n in range(3)]
    pool += [item("Graph data flow model"), item("model flow data Graph"), item("")]
    index = DedupIndex(pool[:10])
    stored = {it.id: it for it in pool[:10]}
    refs = itertools.count(10_000)
    for step in range(400):
        incoming = dataclasses.replace(rng.choice(pool), id=dedup.INCOMING)
        index.best_match(incoming)
        action = rng.random()
        if action < 0.15 and stored:  # a merge: the matched item goes, another comes
            gone = rng.choice(list(stored))
            index.discard(gone)
            del stored[gone]
        elif action < 0.25:
            incoming = dataclasses.replace(rng.choice(pool), id=dedup.INCOMING)  # other key
        elif action < 0.3 and stored:  # the same id again: replaced
            incoming = dataclasses.replace(incoming, id=rng.choice(list(stored)))
        added = copy.copy(incoming)
        if added.id == dedup.INCOMING:
            object.__setattr__(added, "id", next(refs))  # what the importer does
        index.add(added)
        stored[added.id] = added
        _assert_orders_sorted(index, stored)
        probe = rng.choice(pool)
        assert {c.id for c in index.candidates(probe)} == _reference_candidates(
            list(stored.values()), probe
        ), step
    assert len(index) == len(stored)


def test_cut_short_is_the_walk_over_the_whole_window():
    rng = random.Random(4)
    vocab = ["a", "b", "ab", "ba", "abc"]
    for _ in range(3000):
        title_key = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 7)))
        keys = {" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 7))) for _ in range(30)}
        keys |= {" ".join(title_key.split()[:n]) for n in range(1, 7)}  # its own prefixes
        below = sorted(key for key in keys if key < title_key)
        window = below[-dedup.WINDOW :]
        expected = [
            key
            for key in window
            if title_key.startswith(key) and dedup._prefix_words(key, title_key)
        ]
        assert dedup._cut_short(title_key, window, len(window)) == expected, title_key


def test_notice_kind_is_the_word_and_prefix_rule():
    def reference(key: str) -> str:
        for word in key.split():
            if word in dedup._NOTICE_WORDS:
                return dedup._NOTICE_WORDS[word]
        for prefix, kind in dedup._NOTICE_PREFIXES:
            if key == prefix or key.startswith(prefix + " "):
                return kind
        return "paper"

    rng = random.Random(6)
    vocab = [
        *dedup._NOTICE_WORDS,
        *(word for prefix, _ in dedup._NOTICE_PREFIXES for word in prefix.split()),
        "paper", "erratumx", "xerratum", "", "\u00a0", "\t", "\n", "\x1c", "\u3000", "\u200b",
    ]  # fmt: skip
    for _ in range(20000):
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 5))]
        key = rng.choice([" ", " ", "", "\t", "\u00a0", "\u200b"]).join(words)
        assert notice_kind(key) == reference(key), repr(key)


def test_index_best_match_tie_goes_to_the_record_added_first():
    first, second = item(doi="10.1/t"), item(doi="10.1/t")
    index = DedupIndex([first, second])
    assert index.best_match(item(doi="10.1/t"))[0] is first
    index.discard(first.id)
    index.add(first)
    assert index.best_match(item(doi="10.1/t"))[0] is second


def test_item_copy_keeps_every_value_and_can_be_re_ided():
    original = item(TITLE + " Part II", doi="10.48550/arXiv.2101.00001", pages="3--9")
    assert original.numbers == ("2",)  # cached now
    twin = copy.copy(original)
    assert twin == original and twin is not original
    for name in dedup._ITEM_SLOTS:
        assert getattr(twin, name) == getattr(original, name), name
    object.__setattr__(twin, "id", "other")  # what the importer does to re-id an item
    assert twin.id == "other" and original.id != "other"
    assert (twin.arxiv, twin.publisher_doi, twin.first_page) == ("2101.00001", "", "3")


def test_items_share_repeated_strings():
    a = item_from_record(1, _record(key="a"), venue_short="FGCS", venue_kind="journal")
    b = item_from_record(2, _record(key="b"), venue_short="FGCS", venue_kind="journal")
    assert a.author_keys == b.author_keys
    assert all(x is y for x, y in zip(a.author_keys, b.author_keys, strict=True))
    assert a.venue is b.venue and a.entry_type is b.entry_type


# -- items built in the reader's worker processes -----------------------------------------------

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
CORPUS_FILES = sorted(CORPORA.rglob("*.bib")) if CORPORA.is_dir() else []
# (venue_short, venue_kind) as the registry may give them: nothing, both, a kind that says
# nothing, a short name alone, a kind alone.
REGISTRY = [("", ""), ("FGCS", "journal"), ("", "other"), ("SIGMOD", "other"), ("", "workshop")]


def _slots(it: DedupItem) -> dict[str, object]:
    return dict(zip(dedup._ITEM_SLOTS, dedup._item_values(it), strict=True))


def _check_worker_items(records: list[BibRecord]) -> None:
    """For each record and registry answer: the worker's item completed in the main process
    is item_from_record's, slot by slot; a pickle round trip keeps every slot."""
    assert records
    given = [each.name for each in dataclasses.fields(DedupItem) if each.init]
    for number, rec in enumerate(records):
        assert _slots(incoming_item(rec)) == _slots(item_from_record(dedup.INCOMING, rec))
        # build_item fills the slots itself: what the dataclass's own __init__ makes.
        made = item_from_record(dedup.INCOMING, rec)
        assert type(made) is DedupItem
        assert _slots(DedupItem(**{name: getattr(made, name) for name in given})) == _slots(made)
        for short, kind in REGISTRY:
            expected = item_from_record(dedup.INCOMING, rec, venue_short=short, venue_kind=kind)
            built = incoming_item(rec)
            done = item_with_venue(built, rec, short, kind)
            assert done is built  # completed in place
            assert _slots(done) == _slots(expected), (rec.key, short, kind)
        # As it comes from a worker process (each registry answer in turn).
        short, kind = REGISTRY[number % len(REGISTRY)]
        travelled = pickle.loads(pickle.dumps(incoming_item(rec), pickle.HIGHEST_PROTOCOL))
        assert _slots(item_with_venue(travelled, rec, short, kind)) == _slots(
            item_from_record(dedup.INCOMING, rec, venue_short=short, venue_kind=kind)
        )
        built = incoming_item(rec)
        assert _slots(pickle.loads(pickle.dumps(built))) == _slots(built)
        built.numbers, built.notice  # noqa: B018 - the caches filled travel too
        assert _slots(pickle.loads(pickle.dumps(built))) == _slots(built)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpora at {CORPORA}")
@pytest.mark.parametrize(
    "path", CORPUS_FILES, ids=[str(p.relative_to(CORPORA)) for p in CORPUS_FILES] or None
)
def test_worker_items_are_item_from_record_for_every_corpus_record(path: Path):
    try:
        records = read_bibtex(path, workers=1).records
    except InputError:
        pytest.skip("not a readable .bib file (its own tests say why)")
    if not records:
        pytest.skip("no entries")
    _check_worker_items(records)


def test_worker_items_are_item_from_record_for_synthetic_records():
    _check_worker_items(
        read_bibtex("synth.bib", text=synthetic_bib(2000, seed=3), workers=1).records
    )


def test_pickle_puts_every_slot_back_in_its_place():
    made = object.__new__(DedupItem)  # a distinct value in every slot
    for number, (name, setter) in enumerate(
        zip(dedup._ITEM_SLOTS, dedup._SLOT_SETTERS, strict=True)
    ):
        value = {"year": 3000 + number, "author_keys": (f"a|{number}",)}.get(name, f"v{number}")
        setter(made, value)
    back = pickle.loads(pickle.dumps(made))
    assert type(back) is DedupItem and back == made and hash(back) == hash(made)
    assert _slots(back) == _slots(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.title = "changed"  # still frozen


def test_item_with_venue_takes_a_key_generated_later():
    rec = _record(key="")
    built = incoming_item(rec)
    rec.key = "foster2021learned"  # what the reader does after the workers
    done = item_with_venue(built, rec, "FGCS", "journal")
    assert done.key == "foster2021learned"
    assert _slots(done) == _slots(item_from_record(dedup.INCOMING, rec, "FGCS", "journal"))


def test_unpickled_items_share_strings_again():
    records = [_record(key=k, volume="12", number="3", pages="1--9") for k in ("a", "b")]
    made = [item_from_record(n, rec, "FGCS", "journal") for n, rec in enumerate(records)]
    a, b = (pickle.loads(pickle.dumps(it)) for it in made)  # two pickles: no shared memo
    for name in ("entry_type", "venue", "venue_kind", "volume", "number", "year"):
        assert getattr(a, name) is getattr(b, name), name
    assert a.venue is sys.intern("fgcs")
    assert all(x is y for x, y in zip(a.author_keys, b.author_keys, strict=True))
    assert a.author_keys[0] is made[0].author_keys[0]
    # The record's own strings again once completed (one copy of a title in memory).
    done = item_with_venue(a, records[0], "FGCS", "journal")
    assert done.title is records[0].title and done.pages is records[0].pages
    assert done.key is records[0].key


@pytest.mark.parametrize(
    ("stored", "incoming"),
    [
        pytest.param(
            "Cmopression of scientific data streams",
            "Compression of scientific data streams",
            id="early-typo-reversed-order",
        ),
        pytest.param(
            "Scientific data streams compression",
            "Compression of scientific data streams",
            id="moved-words-word-order",
        ),
        pytest.param(
            "Learned index structures",
            "Learned index structures: a survey of methods",
            id="subtitle-added",
        ),
        pytest.param(
            "Learned index structures: a survey of methods",
            "Learned index structures",
            id="subtitle-dropped",
        ),
    ],
)
def test_index_finds_each_kind_of_near_title(stored, incoming):
    # Titles that sort between the two spellings in plain order ("cmo..." < "cn..." <
    # "com...") and in word order, so only the order made for the case brings them together.
    between = [item(f"Cn{n} zx{n} zy{n} zz{n}", authors=("X Y",)) for n in range(3 * WINDOW)]
    target = item(stored)
    index = DedupIndex([*between, target, *_filler(100, 4)])
    assert target in index.candidates(item(incoming))


def test_index_exact_matches_are_the_shared_dois_arxiv_ids_doi_texts_and_titles():
    by_doi = item("One title", doi="10.1/A")
    by_arxiv = item("Two title", arxiv_id="2101.00001v2")
    by_text = item("Three title", doi_text="not a doi")
    by_title = item("Pre-training at scale")
    preface_2020 = item("Preface", year=2020)
    preface_2021 = item("Preface", year=2021)
    index = DedupIndex([by_doi, by_arxiv, by_text, by_title, preface_2020, preface_2021])
    assert index.exact_matches([]) == set()
    incoming = [
        item("Other", doi="10.1/a"),  # DOIs compare in lower case
        item("Other", doi="10.48550/arXiv.2101.00001"),  # the arXiv id of an arXiv DOI
        item("Other", doi_text="not a doi"),
        item("Pretraining at scale"),  # spaces aside
        item("Preface", year=2021),  # generic titles: the same year only
        item("Unrelated title entirely"),
    ]
    assert index.exact_matches(incoming) == {
        by_doi.id, by_arxiv.id, by_text.id, by_title.id, preface_2021.id
    }  # fmt: skip
    # What the lookup of each one finds among its candidates first.
    for each in incoming:
        matches = index.exact_matches([each])
        assert matches <= {candidate.id for candidate in index.candidates(each)}


def test_item_carries_its_sorted_words_and_the_index_never_sorts_them(monkeypatch):
    moved = item("Scientific data streams compression")
    assert moved.words_key == "compression data scientific streams"
    already = item("A b c")
    assert already.words_key is already.title_key  # no second copy when nothing moves
    assert pickle.loads(pickle.dumps(moved)).words_key == moved.words_key
    items = [*_filler(200, 6), item("Compression of scientific data streams")]
    index = DedupIndex(items[:100])

    def sorting(_key: str) -> str:
        raise AssertionError("the index sorted a title's words itself")

    # Items are made (in an import: in the reader's workers) before the index sees them.
    monkeypatch.setattr(dedup, "_sorted_words", sorting)
    for each in items[100:]:
        index.best_match(each)
        index.add(each)
    index.discard(items[0].id)
    assert items[-1] in index.candidates(moved)


def test_similar_titles_is_process_extract_with_fuzz_ratio():
    # Exactly 80% (4 of 5 letters) is in, as with fuzz.ratio; the best comes first.
    assert dedup._similar_titles("abcde", ["abcdx", "abxyz", "abcde"]) == [2, 0]
    rng = random.Random(5)
    for _ in range(2000):
        text = "".join(rng.choice("abc de") for _ in range(rng.randint(1, 20)))
        others = [
            "".join(rng.choice("abc de") for _ in range(rng.randint(0, 20))) for _ in range(8)
        ]
        expected = process.extract(
            text, others, scorer=fuzz.ratio, score_cutoff=dedup.TITLE_CANDIDATE_MIN, limit=None
        )
        assert dedup._similar_titles(text, others) == [pos for _, _, pos in expected]
