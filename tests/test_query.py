"""The query language: parsing, every field against the fixture library, negation, ranges,
errors, hostile input, both title-search backends, sorting, index use and the FTS index."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from factories import HOSTILE_TITLE, LIBRARY_KEYS, add_paper, build_library
from sqlalchemy import delete, func, select, text, update

from pubdb.errors import QueryError
from pubdb.model import Paper
from pubdb.papers import owner_ids, paper_rows, people_named, search, search_rows
from pubdb.query import (
    FIELDS,
    FTS_TABLE,
    SORTS,
    Query,
    Term,
    apply_sort,
    build_select,
    fts_available,
    parse_query,
    title_search_uses_fts,
    tokenize,
)
from pubdb.records import fold_cite_key
from pubdb.store import Store, open_store

ALL = frozenset(LIBRARY_KEYS)
SIGMOD = {"nathan2024scaling", "wu2024stage", "kraska2018case"}
KRASKA = {"nathan2024scaling", "vanrenen2024tpc", "wu2024stage", "kraska2018case"}
FOSTER = {
    "liu2023freetrain",
    "liu2022sinogram",
    "liu2021bridge",
    "papadimitriou2021endtoend",
    "liu2020tomogan",
    "wu2020lowdose",
    "liu2019transfer",
    "liu2018mln",
}
OWNER = ALL - {"kraska2018case", "obrien2017tables"}
REDSHIFT = {"nathan2024scaling", "vanrenen2024tpc", "wu2024stage"}
ML_SYSTEMS = {
    "vanrenen2024tpc",
    "nathan2024scaling",
    "wu2024stage",
    "liu2023freetrain",
    "liu2021bridge",
    "patel2020job",
    "liu2019transfer",
    "liu2018mln",
}
TAGGED = ML_SYSTEMS | {"liu2022sinogram", "liu2020tomogan", "wu2020lowdose"}
AWARDED = {"liu2021bridge", "papadimitriou2021endtoend", "liu2018mln"}
STUDENTS = {"wu2024stage", "liu2021bridge", "wu2020lowdose", "liu2019transfer"}
HAS_DOI = {"vanrenen2024tpc", "nathan2024scaling", "papadimitriou2021endtoend", "kraska2018case"}
NO_VENUE = {"liu2020tomogan", "obrien2017tables"}
HOSTILE = {"obrien2017tables"}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    store = open_store(str(tmp_path_factory.mktemp("query") / "library.sqlite"))
    with store.transaction() as session:
        build_library(session)
    yield store
    store.dispose()


def matching(store: Store, terms: Sequence[str] | str, *, fts: bool = True) -> set[str]:
    """Keys matching ``terms`` with the FTS5 index (fts=True) or the LIKE fallback."""
    with store.transaction() as session:
        statement = build_select(
            parse_query(terms),
            dialect_name="sqlite",
            fts=fts,
            owner_ids=owner_ids(session),
            author_resolver=lambda value: people_named(session, value),
        )
        return set(session.scalars(statement.with_only_columns(Paper.key)))


# (terms, expected keys). Each single-term case is also checked negated: -term = ALL - result.
CASES: list[tuple[list[str], set[str]]] = [
    # venue: short name, case, alias, full name, workshops only with +, shorthand, any
    (["venue:SIGMOD"], SIGMOD),
    (["venue:sigmod"], SIGMOD),
    (["venue:SIGMOD Conference"], SIGMOD),
    (['venue:"Proceedings of the ACM on Management of Data"'], SIGMOD),
    (["venue:ACM SIGMOD International Conference on Management of Data"], SIGMOD),
    (["venue:PVLDB"], {"vanrenen2024tpc"}),
    (["venue:SC"], {"patel2020job"}),
    (["venue:SC+"], {"patel2020job", "liu2021bridge", "wu2020lowdose"}),
    (["venue:sc+"], {"patel2020job", "liu2021bridge", "wu2020lowdose"}),
    (["venue:XLOOP"], {"liu2021bridge"}),
    (["venue:XLOOP@SC"], {"liu2021bridge"}),
    (["venue:XLOOP@VLDB"], set()),
    (["venue:"], ALL - NO_VENUE),
    (["venue:Nowhere"], set()),
    # year: one, ranges, open ends; undated papers never match a year
    (["year:2024"], REDSHIFT),
    (
        ["year:2019..2021"],
        {
            "liu2021bridge",
            "papadimitriou2021endtoend",
            "liu2020tomogan",
            "patel2020job",
            "wu2020lowdose",
            "liu2019transfer",
        },
    ),
    (["year:2023.."], REDSHIFT | {"liu2023freetrain"}),
    (["year:..2017"], HOSTILE),
    (["year:2017..2017"], HOSTILE),
    (["year:1990..2010"], set()),
    # author: family name, any case and accents, full names in any form, variants
    (["author:kraska"], KRASKA),
    (["author:KRASKA"], KRASKA),
    (["author:Tim Kraska"], KRASKA),
    (["author:Kraska, T."], KRASKA),
    (['author:"T. Kraska"'], KRASKA),
    (["author:gursoy"], {"liu2020tomogan"}),
    (["author:Gürsoy"], {"liu2020tomogan"}),
    (["author:GÜRSOY"], {"liu2020tomogan"}),
    (["author:Doga Gursoy"], {"liu2020tomogan"}),
    (["author:van Renen"], {"vanrenen2024tpc"}),
    (["author:renen"], {"vanrenen2024tpc"}),
    (["author:da Silva"], {"papadimitriou2021endtoend"}),
    (["author:Foster, I. T."], FOSTER),
    (["author:Ian Foster"], FOSTER),
    (["author:foster"], FOSTER),
    (["author:o'brien"], HOSTILE),
    (["author:Yuanlai Liu"], {"liu2019transfer"}),
    (["author:Zizhong Liu"], set()),  # not Zhengchun Liu, though both are liu|z
    (["author:Z. Liu"], OWNER),
    (["author:liu"], OWNER),
    (["author:kras"], set()),  # fragments are not names
    # owner: position in the author list
    (["owner:"], OWNER),
    (
        ["owner:first"],
        {
            "liu2023freetrain",
            "liu2022sinogram",
            "liu2021bridge",
            "liu2020tomogan",
            "liu2018mln",
            "liu2014generalized",
        },
    ),
    (["owner:FIRST"], {k for k in OWNER if k.startswith("liu2") and k != "liu2019transfer"}),
    (["owner:last"], {"patel2020job"}),
    # type, tag, award, student
    (["type:article"], {"vanrenen2024tpc", "papadimitriou2021endtoend", "liu2020tomogan"}),
    (["type:ARTICLE"], {"vanrenen2024tpc", "papadimitriou2021endtoend", "liu2020tomogan"}),
    (["type:misc"], {"liu2022sinogram", "obrien2017tables"}),
    (["tag:ml-systems"], ML_SYSTEMS),
    (["tag:ML-Systems"], ML_SYSTEMS),
    (["tag:"], TAGGED),
    (["tag:nothing"], set()),
    (["award:"], AWARDED),
    (["award:best"], AWARDED),
    (["award:BEST paper"], AWARDED),
    (["award:2021"], {"papadimitriou2021endtoend"}),
    (["student:"], STUDENTS),
    (["student:Ahsan Ali"], {"liu2021bridge"}),
    (["student:liu"], {"liu2019transfer"}),
    (["student:foster"], set()),
    # key: any alias, any case, colons in the value
    (["key:nathan2024scaling"], {"nathan2024scaling"}),
    (["key:NATHAN2024Scaling"], {"nathan2024scaling"}),
    (["key:DBLP:conf/sigmod/NathanSLRKHPSNK24"], {"nathan2024scaling"}),
    (["key:dblp:conf/sigmod/nathanslrkhpsnk24"], {"nathan2024scaling"}),
    (["key:KraskaBCDP18"], {"kraska2018case"}),
    (["key:nathan2024"], set()),
    # doi / arxiv: any written form
    (["doi:10.1145/3626246.3653394"], {"nathan2024scaling"}),
    (["doi:https://doi.org/10.1145/3626246.3653394"], {"nathan2024scaling"}),
    (["doi:DOI:10.1145/3626246.3653394"], {"nathan2024scaling"}),
    (["doi:"], HAS_DOI),
    (["arxiv:2209.01356"], {"liu2022sinogram"}),
    (["arxiv:arXiv:2209.01356v2"], {"liu2022sinogram"}),
    (["arxiv:"], {"liu2022sinogram"}),
    # titles: word prefixes, quoted whole words, phrases, case and punctuation folded
    (["redshift"], REDSHIFT),
    (["REDSHIFT"], REDSHIFT),
    (["red"], REDSHIFT),
    (['"red"'], set()),
    (['"amazon redshift"'], REDSHIFT),
    (['"redshift amazon"'], set()),
    (["amazon redshift"], REDSHIFT),
    (["title:redshift"], REDSHIFT),
    (["amazon", "fleet"], {"vanrenen2024tpc"}),
    (["tomography"], {"liu2022sinogram", "liu2020tomogan", "wu2020lowdose"}),
    (["x-ray"], {"liu2020tomogan"}),
    (["low-dose"], {"liu2020tomogan", "wu2020lowdose"}),
    (["bottleneck"], {"liu2019transfer"}),
    (['"learned index structures"'], {"kraska2018case"}),
    (["zebra"], set()),
    # SQL-hostile input is data: it finds the paper whose title holds it, nothing else
    (["'"], HOSTILE),
    ([";"], HOSTILE),
    (["%"], HOSTILE),
    (["_"], HOSTILE),
    (["');"], HOSTILE),
    (["DROP TABLE"], HOSTILE),
    (["drop", "table"], HOSTILE),
    (['"; DROP TABLE papers;--"'], HOSTILE),
    (["o'brien"], HOSTILE),
    (["venue:'; DROP TABLE papers; --"], set()),
    (["author:Robert'); DROP TABLE papers;--"], set()),
    (["tag:%"], set()),
    (["tag:_"], set()),
    (["key:%"], set()),
    (["award:%"], set()),
    (["award:_"], set()),
    (["type:%"], set()),
    # several terms are ANDed; one argument may hold several terms
    ([], ALL),
    (["venue:SIGMOD", "year:2024"], {"nathan2024scaling", "wu2024stage"}),
    (["venue:SIGMOD year:2024"], {"nathan2024scaling", "wu2024stage"}),
    (['venue:SC+ "edge computing"'], {"liu2021bridge"}),
    (["author:kraska", "-venue:SIGMOD"], {"vanrenen2024tpc"}),
    (["owner:first", "award:"], {"liu2021bridge", "liu2018mln"}),
    (["student:", "year:..2020"], {"wu2020lowdose", "liu2019transfer"}),
    (["-tomography", "year:2020"], {"patel2020job"}),
    (["tag:ml-systems", "-owner:first", "-author:kraska"], {"patel2020job", "liu2019transfer"}),
]


def _id(terms: list[str]) -> str:
    return " ".join(terms) or "(empty)"


@pytest.mark.parametrize("fts", [True, False], ids=["fts5", "like"])
@pytest.mark.parametrize(("terms", "expected"), CASES, ids=[_id(t) for t, _ in CASES])
def test_term_finds_papers(library: Store, terms: list[str], expected: set[str], fts: bool):
    assert matching(library, terms, fts=fts) == expected


SINGLE = [(t[0], e) for t, e in CASES if len(t) == 1 and len(parse_query(t)) == 1]


@pytest.mark.parametrize(("term", "expected"), SINGLE, ids=[t for t, _ in SINGLE])
def test_negated_term_finds_the_rest(library: Store, term: str, expected: set[str]):
    # NULL-safe: -year:... keeps undated papers, -venue:... papers without a venue.
    assert matching(library, ["-" + term]) == ALL - expected


def test_full_names_without_a_resolver_use_family_and_initial(library: Store):
    with library.transaction() as session:
        statement = build_select(["author:Tim Kraska"], dialect_name="sqlite")
        assert set(session.scalars(statement.with_only_columns(Paper.key))) == KRASKA


def test_negation_keeps_papers_without_the_value(library: Store):
    assert matching(library, ["-year:2017..2024"]) == {"liu2014generalized"}
    assert matching(library, ["-venue:"]) == NO_VENUE
    assert matching(library, ["-doi:"]) == ALL - HAS_DOI


def test_hostile_terms_leave_the_database_intact(library: Store):
    for terms in (["venue:'; DROP TABLE papers; --"], ["'); DROP TABLE papers;--"]):
        matching(library, terms)
    with library.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Paper)) == len(ALL)
        titles = session.scalars(select(Paper.title).where(Paper.key == "obrien2017tables"))
        assert list(titles) == [HOSTILE_TITLE]


def test_bound_parameters_only():
    statement = build_select(
        ["venue:x'y", "author:o'brien", "'; DROP", "key:a%b", "award:_"], dialect_name="sqlite"
    )
    sql = str(statement.compile())
    for fragment in ("x'y", "o'brien", "DROP", "a%b"):
        assert fragment not in sql


# ------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------

PARSES = [
    ("venue:SIGMOD", Term("venue", "SIGMOD")),
    ("VENUE:SIGMOD", Term("venue", "SIGMOD")),
    ("venue:SC+", Term("venue", "SC", children=True)),
    ("-venue:arXiv", Term("venue", "arXiv", negated=True)),
    ("year:2024", Term("year", "2024", low=2024, high=2024)),
    ("year:2019..2021", Term("year", "2019..2021", low=2019, high=2021)),
    ("year:2019..", Term("year", "2019..", low=2019)),
    ("year:..2018", Term("year", "..2018", high=2018)),
    ("-year:..2018", Term("year", "..2018", negated=True, high=2018)),
    ("key:DBLP:conf/sigmod/X18", Term("key", "DBLP:conf/sigmod/X18")),
    ('author:"van Renen"', Term("author", "van Renen")),
    ("author:van Renen", Term("author", "van Renen")),
    ("owner:Last", Term("owner", "last")),
    ("owner:", Term("owner", "")),
    ("type:Article", Term("type", "article")),
    ("award:", Term("award", "")),
    ("learned", Term("title", "learned")),
    ("learned index", Term("title", "learned index")),
    ('"learned index"', Term("title", "learned index", exact=True)),
    ('-"learned index"', Term("title", "learned index", negated=True, exact=True)),
    ('"re:invent"', Term("title", "re:invent", exact=True)),
    ("title:learn", Term("title", "learn")),
    ('title:"learned index"', Term("title", "learned index", exact=True)),
    ("-tomography", Term("title", "tomography", negated=True)),
]


@pytest.mark.parametrize(("text", "term"), PARSES, ids=[t for t, _ in PARSES])
def test_parse_term(text: str, term: Term):
    assert parse_query([text]).terms == (term,)


TOKENS = [
    ("venue:SIGMOD", ["venue:SIGMOD"]),
    ("learned index", ["learned index"]),  # the shell grouped it: one phrase
    ("author:van Renen", ["author:van Renen"]),
    ("venue:SC year:2021", ["venue:SC", "year:2021"]),
    ("learned -venue:arXiv", ["learned", "-venue:arXiv"]),
    ('venue:SC "edge computing" -x', ["venue:SC", '"edge computing"', "-x"]),
    ('author:"van Renen" year:2024', ['author:"van Renen"', "year:2024"]),
    ('"unclosed quote', ['"unclosed quote']),
    ("   ", []),
]


@pytest.mark.parametrize(("argument", "tokens"), TOKENS, ids=[a or "blank" for a, _ in TOKENS])
def test_tokenize(argument: str, tokens: list[str]):
    assert tokenize(argument) == tokens


def test_one_string_query_and_round_trip():
    query = parse_query('venue:SC+ year:2019..2021 author:"van Renen" -"edge computing" learn')
    assert [t.field for t in query] == ["venue", "year", "author", "title", "title"]
    assert str(query) == 'venue:SC+ year:2019..2021 author:"van Renen" -"edge computing" learn'
    assert parse_query(str(query)) == query
    assert parse_query([]) == Query()
    assert len(parse_query(["a", "b"])) == 2


ERRORS = [
    ("year:20x4", "year:20x4"),
    ("year:2021..2019", "empty"),
    ("year:..", "year:.."),
    ("year:", "needs a value"),
    ("year:24", "four digits"),
    ("foo:bar", "unknown field 'foo'"),
    ("re:invent", "unknown field 're'"),
    ("-colour:red", "unknown field 'colour'"),
    ("owner:middle", "owner:middle"),
    ("author:", "needs a value"),
    ("key:", "needs a value"),
    ("type:", "needs a value"),
    ("-", "nothing to search for"),
    ('""', "empty quotes"),
]


@pytest.mark.parametrize(("term", "says"), ERRORS, ids=[t for t, _ in ERRORS])
def test_bad_term_is_one_line_naming_it_and_the_fields(term: str, says: str):
    with pytest.raises(QueryError) as caught:
        parse_query([term])
    message = caught.value.message
    assert "\n" not in message
    assert repr(term) in message
    assert says in message
    assert all(f"{field}:" in message for field in FIELDS)


# ------------------------------------------------------------------------------------------
# Sorting, limits, backends
# ------------------------------------------------------------------------------------------


def _sorted_keys(store: Store, sort: str, terms: Sequence[str] = (), limit=None) -> list[str]:
    with store.transaction() as session:
        return [key for _, key in search(session, terms, sort=sort, limit=limit)]


def test_default_sort_is_newest_first_then_key_undated_last(library: Store):
    assert _sorted_keys(library, "-year") == list(LIBRARY_KEYS)


def test_sort_orders(library: Store):
    by_year = _sorted_keys(library, "year")
    assert by_year[:2] == ["obrien2017tables", "kraska2018case"]
    assert by_year[-1] == "liu2014generalized"  # undated: last either way
    assert _sorted_keys(library, "key") == sorted(LIBRARY_KEYS)
    by_title = _sorted_keys(library, "title")
    # By the normalised title: leading articles do not count ("The Case" sorts under C).
    assert by_title[:3] == ["liu2021bridge", "liu2018mln", "kraska2018case"]
    by_venue = _sorted_keys(library, "venue", ["venue:SC+"])
    assert by_venue == ["wu2020lowdose", "patel2020job", "liu2021bridge"]  # AI4S, SC, XLOOP
    assert _sorted_keys(library, "venue")[-2:] == ["liu2020tomogan", "obrien2017tables"]


ROW_QUERIES = [
    [],
    ["venue:SIGMOD", "year:2024"],
    ["venue:SC+"],
    ["owner:first"],
    ["author:Tim Kraska"],
    ["learned", "-tag:survey"],
    ["-venue:"],
]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("terms", ROW_QUERIES, ids=_id)
def test_search_rows_are_the_rows_of_the_search(library: Store, terms: list[str], sort: str):
    # `list` reads its table in one query (search_rows) on a Core connection; it must give
    # exactly the rows of the search, in its order, owner marks included, as on a Session.
    with library.connect() as conn:
        rows = search_rows(conn, terms, sort=sort)
        limited = search_rows(conn, terms, sort=sort, limit=2)
        on_connection = search(conn, terms, sort=sort)
    with library.transaction(write=False) as session:
        found = search(session, terms, sort=sort)
        expected = paper_rows(session, [paper_id for paper_id, _ in found])
        assert search_rows(session, terms, sort=sort) == expected
    assert on_connection == found
    assert rows == expected and limited == expected[:2]
    assert found, "nothing was compared"


def test_owner_marks_in_rows(library: Store):
    with library.connect() as conn:
        owners = owner_ids(conn)
        rows = search_rows(conn, [])
    marked = {(row.key, cell.name) for row in rows for cell in row.authors if cell.owner}
    assert {name for _, name in marked} == {"Zhengchun Liu"}
    assert len(marked) == len(OWNER) and owners
    with library.transaction(write=False) as session:
        assert owner_ids(session) == owners


def test_limit(library: Store):
    assert _sorted_keys(library, "-year", limit=2) == list(LIBRARY_KEYS[:2])
    assert _sorted_keys(library, "-year", limit=0) == []


def test_sorts_and_unknown_sort():
    assert SORTS == ("-year", "year", "title", "venue", "key")
    with pytest.raises(QueryError, match="unknown sort"):
        apply_sort(build_select([], dialect_name="sqlite"), "colour")


def test_backend_choice_is_by_dialect():
    assert title_search_uses_fts("sqlite")
    assert not title_search_uses_fts("sqlite", fts=False)
    assert not title_search_uses_fts("postgresql")
    assert not title_search_uses_fts("postgresql", fts=True)
    pg = str(build_select(["learned"], dialect_name="postgresql").compile())
    assert FTS_TABLE not in pg and "LIKE" in pg
    lite = str(build_select(["learned"], dialect_name="sqlite").compile())
    assert FTS_TABLE in lite and "MATCH" in lite


def test_title_words_share_one_fts_match():
    def matches(terms: list[str]) -> int:
        return str(build_select(terms, dialect_name="sqlite").compile()).count("MATCH")

    assert matches(["learned", "index", '"structures"', "year:2018"]) == 1
    assert matches(["learned", "-index"]) == 2
    assert matches(["learned", "%"]) == 1  # punctuation: LIKE on the title


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_every_case_compiles_for_other_databases(dialect: str):
    # No SQLite-only SQL outside the FTS branch: every query compiles elsewhere.
    import importlib

    module = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
    for terms, _ in CASES:
        statement = apply_sort(build_select(terms, dialect_name=dialect), "venue")
        sql = str(statement.compile(dialect=module.dialect()))
        assert FTS_TABLE not in sql and "MATCH" not in sql


@pytest.mark.parametrize(
    ("key", "folded"),
    [
        ("Kraska18", "kraska18"),
        ("DBLP:conf/SIGMOD/X", "dblp:conf/sigmod/x"),
        ("Straße20", "strasse20"),
    ],
)
def test_cite_keys_fold_like_bibtex_compares_them(key, folded):
    # One rule for import, lookups and queries (pubdb.records.fold_cite_key).
    assert fold_cite_key(key) == folded == fold_cite_key(f" {key.upper()} ")


# ------------------------------------------------------------------------------------------
# Indexes and the FTS5 table
# ------------------------------------------------------------------------------------------

INDEXED = [
    ["venue:SIGMOD"],
    ["venue:SC+"],
    ["year:2024"],
    ["year:2019..2021"],
    ["author:kraska"],
    ["author:Tim Kraska"],
    ["tag:ml-systems"],
    ["key:KraskaBCDP18"],
    ["doi:10.1145/3626246.3653394"],
    ["owner:first"],
    ["learned"],
    ["venue:SIGMOD", "year:2024"],
    ["student:"],
]


@pytest.mark.parametrize("terms", INDEXED, ids=_id)
def test_query_searches_an_index_not_a_papers_scan(library: Store, terms: list[str]):
    with library.transaction() as session:
        statement = build_select(
            terms,
            dialect_name="sqlite",
            owner_ids=owner_ids(session),
            author_resolver=lambda value: people_named(session, value),
        )
        sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = [row[3] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql))]
    # "SCAN papers_fts VIRTUAL TABLE INDEX 0:M0" is the FTS index answering MATCH: fine.
    assert not any(step.split()[:2] == ["SCAN", "papers"] for step in plan), plan
    assert any(step.split()[:2] == ["SEARCH", "papers"] for step in plan), plan


def test_student_query_reads_the_marked_authorships_alone(library: Store):
    """``student:`` walks the partial index of the marked authorships, not all of them."""
    with library.transaction() as session:
        statement = build_select(["student:"], dialect_name="sqlite")
        sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = " | ".join(row[3] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "SCAN authorships USING INDEX ix_authorships_student" in plan, plan


def test_fts_table_exists_at_head(library: Store):
    with library.engine.connect() as conn:
        assert fts_available(conn)
    with library.transaction() as session:
        assert fts_available(session)
        triggers = session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'papers'")
        )
        assert {f"{FTS_TABLE}_ai", f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au"} <= set(triggers)


def test_fts_index_follows_inserts_updates_and_deletes(db_path: Path):
    store = open_store(str(db_path))
    try:
        with store.transaction() as session:
            add_paper(session, "p1", "Quantum Widgets", year=2020)
        assert matching(store, ["widget"]) == {"p1"}
        with store.transaction() as session:
            session.execute(
                update(Paper).where(Paper.key == "p1").values(title_key="classical gadgets")
            )
        assert matching(store, ["widget"]) == set()
        assert matching(store, ["gadget"]) == {"p1"}
        with store.transaction() as session:
            session.execute(delete(Paper).where(Paper.key == "p1"))
        assert matching(store, ["gadget"]) == set()
        with store.transaction() as session:
            integrity = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('integrity-check')"
            session.execute(text(integrity))
    finally:
        store.dispose()


def test_upgrade_from_0001_indexes_existing_titles(db_path: Path):
    from alembic import command

    from pubdb.store import alembic_config, database_url, make_engine

    engine = make_engine(database_url(str(db_path)))
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    with engine.begin() as conn:
        conn.execute(
            Paper.__table__.insert().values(
                key="old",
                key_folded="old",
                entry_type="misc",
                title="Old Title",
                title_key="old title",
            )
        )
    engine.dispose()
    store = open_store(str(db_path))  # upgrades 0001 -> head
    try:
        assert matching(store, ["title"]) == {"old"}
    finally:
        store.dispose()
