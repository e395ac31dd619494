"""``pubdb.venue_service``: resolution from the session's in-memory index (``resolve_ref``),
its alias rows written together (``flush_aliases``), and the same venues as one
``resolve_or_create`` per text. The commands on top are tested in test_venue_cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from pubdb.model import Venue, VenueAlias
from pubdb.venue_service import (
    alias_venue,
    find_venue,
    flush_aliases,
    list_venues,
    resolve_or_create,
    resolve_ref,
)
from pubdb.venues import alias_key
from tests.conftest import reopen

# (venue text, abbr hint, entry type): registry venues with parents and aliases, unknown
# workshops, a hinted text, a text seen twice and a text that means no venue.
TEXTS = [
    ("XLOOP workshop at SC21", "", "inproceedings"),
    ("Future Gener. Comput. Syst.", "", "article"),
    ("Proceedings of the 27th International Symposium on High-Performance Parallel and "
     "Distributed Computing, HPDC 2018", "", "inproceedings"),
    ("AI-Science@HPDC 2018", "", "inproceedings"),
    ("Workshop on Data at SC20", "", "inproceedings"),
    ("Proceedings of the 2nd Workshop on Foo Things", "FOOW", "inproceedings"),
    ("Proceedings of the 1st Workshop on Foo Things, Paris, France", "", "inproceedings"),
    ("XLOOP workshop at SC21", "", "inproceedings"),
    ("arXiv preprint arXiv:2209.01356", "", "misc"),
    ("", "", "misc"),
]  # fmt: skip


def venues_and_aliases(session: Any) -> tuple[list[tuple], list[tuple]]:
    """Every venue and alias row, ids included (same statements in the same order)."""
    venues = session.execute(
        select(
            Venue.id, Venue.short, Venue.name, Venue.kind, Venue.parent_id, Venue.from_registry
        ).order_by(Venue.id)
    ).all()
    aliases = session.execute(
        select(VenueAlias.id, VenueAlias.venue_id, VenueAlias.text, VenueAlias.by_user).order_by(
            VenueAlias.id
        )
    ).all()
    return [tuple(row) for row in venues], [tuple(row) for row in aliases]


@pytest.mark.backends
def test_resolving_from_memory_gives_what_one_call_per_text_gives(db_path: Path, tmp_path):
    store = reopen(db_path)
    try:
        with store.transaction() as session:
            refs = [
                resolve_ref(session, text, hint=hint, entry_type=kind) for text, hint, kind in TEXTS
            ]
            flush_aliases(session)
            bulk = venues_and_aliases(session)
    finally:
        store.dispose()
    one_by_one_db = tmp_path / "one-by-one.sqlite"
    store = reopen(one_by_one_db)
    try:
        with store.transaction() as session:
            venues = [
                resolve_or_create(session, text, hint=hint, entry_type=kind)
                for text, hint, kind in TEXTS
            ]
            one_by_one = venues_and_aliases(session)
    finally:
        store.dispose()
    assert [(r.id, r.short, r.kind) if r else None for r in refs] == [
        (v.id, v.short, v.kind) if v else None for v in venues
    ]
    assert [r.short if r else None for r in refs] == [
        "XLOOP", "FGCS", "HPDC", "AI-Science", "Workshop on Data", "FOOW",
        "FOOW",  # the venue the hinted text made has this text's cleaned name
        "XLOOP", "arXiv", None,
    ]  # fmt: skip
    assert bulk == one_by_one


def test_alias_rows_wait_for_flush_and_go_together(store) -> None:
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO VENUE_ALIASES"):
            statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    with store.transaction() as session:
        for text, hint, kind in TEXTS:
            resolve_ref(session, text, hint=hint, entry_type=kind)
        assert statements == []
        assert session.scalars(select(VenueAlias.text)).all() == []
        flush_aliases(session)
        texts = set(session.scalars(select(VenueAlias.text)))
    # One executemany, or on SQLite multi-row statements of 2**k rows: ~log2(rows) of them.
    assert 1 <= len(statements) <= len(texts).bit_length() < len(texts)
    assert {"XLOOP workshop at SC21", "Future Gener. Comput. Syst."} <= texts


@pytest.mark.parametrize(
    "look",
    [
        pytest.param(lambda session: find_venue(session, "XLOOP workshop at SC21"), id="find"),
        pytest.param(lambda session: list_venues(session), id="list"),
        pytest.param(
            lambda session: resolve_or_create(session, "Workshop on Data at SC20"),
            id="resolve_or_create",
        ),
    ],
)
def test_public_functions_write_pending_aliases_first(store, look) -> None:
    with store.transaction() as session:
        resolve_ref(session, "XLOOP workshop at SC21")
        look(session)
        stored = session.scalars(select(VenueAlias.text_key)).all()
    assert alias_key("XLOOP workshop at SC21") in stored


def test_user_alias_replaces_a_pending_one(store) -> None:
    # `venue alias` right after resolution in the same session: the text's pending row is
    # written first, then moved to the user's venue (not inserted twice).
    text = "Proceedings of the 1st Workshop on Foo Things, Paris, France"
    with store.transaction() as session:
        found = resolve_ref(session, text)
        assert found is not None and found.short == "Workshop on Foo Things"
        alias_venue(session, text, "SC")
        rows = session.execute(
            select(Venue.short, VenueAlias.by_user)
            .join(Venue, Venue.id == VenueAlias.venue_id)
            .where(VenueAlias.text_key == alias_key(text))
        ).all()
        again = resolve_ref(session, text)
    assert rows == [("SC", True)]
    assert again is not None and again.short == "SC"
