"""pubdb.owner: who is highlighted (a table of name pairs), owner_author_ids, `owner set/show`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pubdb.authors import AuthorResolver
from pubdb.model import Author, Authorship, Owner, OwnerVariant, Paper
from pubdb.names import parse_name
from pubdb.owner import OwnerMatcher, owner_author_ids, set_owner, show_owner
from pubdb.paperio import PaperWriter
from pubdb.records import AuthorEntry, BibRecord
from tests.conftest import reopen

ZL = "Zhengchun Liu"

# (owner, owner's variants, a name as some source wrote it, is it the owner?)
MATCHES: list[tuple[str, tuple[str, ...], str, bool]] = [
    # The owner's own name, however a source spells it.
    (ZL, (), "Zhengchun Liu", True),
    (ZL, (), "Liu, Zhengchun", True),
    (ZL, (), "Zhèngchūn Liú", True),
    (ZL, (), "Zh{\\`e}ngchun Liu", True),
    (ZL, (), "Zh\\`{e}ngch\\=un Li\\'u", True),
    (ZL, (), "{Zhengchun} {Liu}", True),
    (ZL, (), "ZHENGCHUN LIU", True),
    (ZL, (), "Zheng-chun Liu", True),
    (ZL, (), "Zheng Chun Liu", True),
    (ZL, (), "Liu, Jr., Zhengchun", True),
    # Initials only when listed as a variant.
    (ZL, (), "Liu, Z.", False),
    (ZL, (), "Z. Liu", False),
    (ZL, ("Liu, Z.",), "Liu, Z.", True),
    (ZL, ("Liu, Z.",), "Z. Liu", True),
    (ZL, ("Z. Liu",), "Liu, Z", True),
    (ZL, ("Z. Liu",), "Liu, Zhengchun", True),
    # Other people: the seed's Liu and Wu co-authors, and near misses.
    (ZL, (), "Yuanlai Liu", False),
    (ZL, ("Liu, Z.",), "Yuanlai Liu", False),
    (ZL, ("Liu, Z.",), "Y. Liu", False),
    (ZL, (), "Zizhong Liu", False),
    (ZL, ("Liu, Z.",), "Zizhong Liu", False),
    (ZL, ("Z. Liu",), "Liu, Zizhong", False),
    (ZL, (), "Zizhong Chen", False),
    (ZL, (), "Qing Liu", False),
    (ZL, (), "Liu Zhengchun", False),  # BibTeX: a person whose family name is Zhengchun
    (ZL, (), "Zhengchun Li", False),
    (ZL, (), "Zhengchen Liu", False),
    (ZL, (), "Liu", False),
    (ZL, (), "Ziniu Wu", False),
    (ZL, (), "Ziling Wu", False),
    (ZL, (), "John Wu", False),
    # Another owner: the Wus never meet each other.
    ("Ziniu Wu", (), "Wu, Ziniu", True),
    ("Ziniu Wu", (), "Ziling Wu", False),
    ("Ziniu Wu", (), "John Wu", False),
    ("Ziniu Wu", ("Z. Wu",), "Ziling Wu", False),
    ("Ziniu Wu", ("Z. Wu",), "Wu, Z.", True),
    # Middle names may be missing, never different; particles split either way.
    ("Ian Foster", (), "Ian T. Foster", True),
    ("Ian T. Foster", (), "Ian K. Foster", False),
    ("Ian Foster", (), "Foster, I. T.", False),
    ("Ian Foster", ("I. Foster",), "Foster, I. T.", True),
    ("Francesco De Carlo", (), "De Carlo, Francesco", True),
    ("Alexander van Renen", (), "van Renen, Alexander", True),
    ("Doga Gursoy", (), 'Do{\\u{g}}a G{\\"u}rsoy', True),
]


@pytest.mark.parametrize(
    ("owner", "variants", "written", "expected"),
    MATCHES,
    ids=[
        f"{o}{'+' + '+'.join(v) if v else ''}~{w}={'yes' if e else 'no'}" for o, v, w, e in MATCHES
    ],
)
def test_owner_matching(owner: str, variants: tuple[str, ...], written: str, expected: bool):
    matcher = OwnerMatcher.from_text(owner, variants)
    assert matcher.matches(parse_name(written)) is expected
    assert matcher(parse_name(written)) is expected


def test_table_is_big_enough():
    assert len(MATCHES) >= 25
    assert sum(1 for *_, expected in MATCHES if expected) >= 10
    assert sum(1 for *_, expected in MATCHES if not expected) >= 10


# --------------------------------------------------------------------------------------------
# The database side
# --------------------------------------------------------------------------------------------


def add_papers(store, papers: list[tuple[str, list[str]]]) -> None:
    """Write papers the way import does (AuthorResolver links spellings to people)."""
    with store.transaction() as session:
        resolver = AuthorResolver(session)
        writer = PaperWriter(session, resolver, lambda record: None)
        for key, names in papers:
            record = BibRecord(
                key=key,
                entry_type="article",
                title=f"Paper {key}",
                authors=tuple(AuthorEntry(parse_name(n)) for n in names),
                year=2020,
            )
            writer.insert(record, key)
        writer.finish()


def author_id(session, display: str) -> int:
    return session.scalars(select(Author.id).where(Author.display_name == display)).one()


def highlighted_positions(session, key: str) -> list[int]:
    ids = owner_author_ids(session)
    paper = session.scalars(select(Paper).where(Paper.key == key)).one()
    return [a.position for a in paper.authorships if a.author_id in ids]


TWO_LIUS = [
    ("liu2019transfer", ["Yuanlai Liu", "Zhengchun Liu", "Rajkumar Kettimuthu", "Zizhong Chen"]),
    ("liu2018study", ["Zhengchun Liu", "Ian Foster", "Yuanlai Liu"]),
    ("other2020", ["Zizhong Liu", "Qing Liu"]),
    ("initials2021", ["Liu, Z.", "Wu, Ziniu"]),
]


def test_no_owner_highlights_nobody(store):
    add_papers(store, TWO_LIUS)
    with store.transaction() as session:
        assert owner_author_ids(session) == set()
        assert show_owner(session).owner is None


def test_two_lius_highlight_only_the_owner(store):
    add_papers(store, TWO_LIUS)
    with store.transaction() as session:
        set_owner(session, "Liu, Zhengchun")
    with store.transaction() as session:
        assert highlighted_positions(session, "liu2019transfer") == [2]
        assert highlighted_positions(session, "liu2018study") == [1]
        assert highlighted_positions(session, "other2020") == []
        # "Liu, Z." (its own author record: import could not tell which Liu) is not listed.
        assert highlighted_positions(session, "initials2021") == []
        assert owner_author_ids(session) == {author_id(session, "Zhengchun Liu")}


def test_variant_adds_the_initials_record_but_no_other_liu(store):
    add_papers(store, TWO_LIUS)
    with store.transaction() as session:
        result = set_owner(session, "Zhengchun Liu", ["Liu, Z."])
    assert result.variants_added == ("Liu, Z.",)
    with store.transaction() as session:
        assert highlighted_positions(session, "initials2021") == [1]
        assert highlighted_positions(session, "other2020") == []
        assert highlighted_positions(session, "liu2019transfer") == [2]
        ids = owner_author_ids(session)
        assert ids == {author_id(session, "Zhengchun Liu"), author_id(session, "Z. Liu")}
        info = show_owner(session)
        assert info.papers == 3
        assert [c.name for c in info.highlighted] == ["Zhengchun Liu", "Z. Liu"]


def test_owner_set_creates_the_author_and_imports_link_to_it(store):
    with store.transaction() as session:
        result = set_owner(session, "Zh{\\`e}ngchun Liu")
    assert result.created_author
    with store.transaction() as session:
        owner = session.scalars(select(Owner)).one()
        assert owner.author.display_name == "Zhèngchun Liu"
        assert owner.author.match_key == "liu|z"
        created_id = owner.author_id
    add_papers(store, [("later2024", ["Ryan Marcus", "Liu, Zhèngchun"])])
    with store.transaction() as session:
        paper = session.scalars(select(Paper).where(Paper.key == "later2024")).one()
        assert paper.authorships[1].author_id == created_id
        assert highlighted_positions(session, "later2024") == [2]


def test_several_compatible_authors_say_which_was_chosen(store):
    add_papers(
        store,
        [
            ("a", ["Zhengchun Liu"]),
            ("b", ["Zizhong Liu"]),
            ("c", ["Zizhong Liu", "Ian Foster"]),
        ],
    )
    with store.transaction() as session:
        result = set_owner(session, "Z. Liu")
        zhengchun, zizhong = author_id(session, "Zhengchun Liu"), author_id(session, "Zizhong Liu")
    # Exact spelling first, then full names, then the most papers: Zizhong has two.
    assert result.owner.id == zizhong
    assert [c.id for c in result.others] == [zhengchun]
    with store.transaction() as session:
        result = set_owner(session, "Z. Liu", author_id=zhengchun)
    assert result.owner.name == "Zhengchun Liu"
    assert result.previous == "Zizhong Liu"
    with store.transaction() as session:
        assert session.scalars(select(Owner.author_id)).one() == zhengchun
        assert owner_author_ids(session) == {zhengchun}


def test_exact_spelling_wins_over_paper_count(store):
    # With two Z. Lius known, import gives "Z. Liu" a record of its own.
    add_papers(
        store, [("a", ["Zhengchun Liu", "Zizhong Liu"]), ("b", ["Z. Liu"]), ("c", ["Z. Liu"])]
    )
    with store.transaction() as session:
        result = set_owner(session, "Zhengchun Liu")
    assert result.owner.name == "Zhengchun Liu"
    assert [c.name for c in result.others] == ["Z. Liu"]


def test_owner_set_replaces_variants(store):
    with store.transaction() as session:
        first = set_owner(session, ZL, ["Liu, Z.", "Z. Liu", "Zhengchun Liu, Jr."])
    # "Z. Liu" is the same spelling as "Liu, Z.": kept once.
    assert first.variants == ("Liu, Z.", "Zhengchun Liu, Jr.")
    with store.transaction() as session:
        result = set_owner(session, ZL, ["Z. C. Liu", "Zhengchun Liu, Jr."])
    assert result.variants_removed == ("Liu, Z.",)
    assert result.variants_added == ("Z. C. Liu",)
    with store.transaction() as session:
        names = session.scalars(select(OwnerVariant.name).order_by(OwnerVariant.id)).all()
        assert names == ["Zhengchun Liu, Jr.", "Z. C. Liu"]
        assert len(session.scalars(select(Owner)).all()) == 1


# --------------------------------------------------------------------------------------------
# The commands
# --------------------------------------------------------------------------------------------


def test_cli_owner_set_and_show(run_cli, db_path, store):
    add_papers(store, TWO_LIUS)
    result = run_cli("owner", "set", "Zhengchun Liu", "--variant", "Liu, Z.")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("owner: #")
    assert "Zhengchun Liu (2 papers)" in result.stdout
    assert "variants: Liu, Z." in result.stdout
    shown = run_cli("owner", "show")
    assert shown.exit_code == 0
    assert shown.stdout.splitlines()[0].startswith("owner: Zhengchun Liu (#")
    assert "variants: Liu, Z." in shown.stdout
    assert "papers: 3" in shown.stdout
    reopened = reopen(db_path)
    try:
        with reopened.transaction() as session:
            owner = session.scalars(select(Owner)).one()
            assert owner.author.display_name == "Zhengchun Liu"
            assert [v.name for v in owner.variants] == ["Liu, Z."]
    finally:
        reopened.dispose()


def test_cli_owner_set_tells_how_to_choose_another(run_cli, store):
    add_papers(store, [("a", ["Zhengchun Liu"]), ("b", ["Zizhong Liu"])])
    result = run_cli("owner", "set", "Liu, Z.")
    assert result.exit_code == 0
    assert "also compatible" in result.stderr
    assert "--author-id" in result.stderr
    with store.transaction() as session:
        other = author_id(session, "Zizhong Liu")
    chosen = run_cli("owner", "set", "Liu, Z.", "--author-id", str(other))
    assert chosen.exit_code == 0
    assert "Zizhong Liu" in chosen.stdout.splitlines()[0]


def test_cli_owner_set_incompatible_author_id_changes_nothing(run_cli, store):
    add_papers(store, [("a", ["Zhengchun Liu", "Ian Foster"])])
    run_cli("owner", "set", "Zhengchun Liu")
    with store.transaction() as session:
        foster = author_id(session, "Ian Foster")
    result = run_cli("owner", "set", "Zhengchun Liu", "--author-id", str(foster))
    assert result.exit_code == 1
    assert "cannot be" in result.stderr
    with store.transaction() as session:
        assert session.scalars(select(Owner)).one().author.display_name == "Zhengchun Liu"


def test_cli_owner_show_without_owner(run_cli):
    result = run_cli("owner", "show")
    assert result.exit_code == 0
    assert "no owner set" in result.stdout


def test_authorship_link_decides(store):
    """An authorship linked to the owner's record is the owner's, whatever it was written as."""
    add_papers(store, [("a", ["Zhengchun Liu"])])
    with store.transaction() as session:
        set_owner(session, ZL)
        authorship = session.scalars(select(Authorship)).one()
        authorship.written_as = "Liu, Z."
    with store.transaction() as session:
        assert highlighted_positions(session, "a") == [1]
