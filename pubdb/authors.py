"""One Author row per person: find the record a spelling belongs to, or create it.

"Ian Foster", "Ian T. Foster", "Foster, Ian" and "Foster, I. T." are one person when the
database holds exactly one compatible person under that family name and initial; two people who
share a family name and an initial ("Zhengchun Liu", "Zizhong Liu") never become one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pubdb.model import Author, AuthorVariant
from pubdb.names import family_key, is_more_complete, name_match_key, same_person
from pubdb.records import PersonName
from pubdb.store import BulkInsert, bulk_update, insert_row
from pubdb.textnorm import fold


def person_name(author: Author) -> PersonName:
    return PersonName(
        given=author.given,
        family=author.family,
        von=author.von,
        jr=author.jr,
        corporate=author.is_corporate,
    )


def author_columns(name: PersonName) -> dict[str, object]:
    """The Author columns that describe a spelling (not its id)."""
    return {
        "given": name.given,
        "family": name.family,
        "von": name.von,
        "jr": name.jr,
        "is_corporate": name.corporate,
        "display_name": name.display,
        "match_key": name_match_key(name),
        "family_key": family_key(name),
    }


@dataclass(eq=False)  # compared and hashed by identity: the id changes when a new one is written
class _Known:
    id: int
    name: PersonName


# The columns author_columns fills, in its order.
_NAME_COLUMNS = tuple(author_columns(PersonName()))

_AUTHOR_COLUMNS = (
    Author.id,
    Author.given,
    Author.family,
    Author.von,
    Author.jr,
    Author.is_corporate,
)


class AuthorResolver:
    """Resolves spellings to author ids within one session, loading the candidates once.

    Built for bulk import: the authors under a match key are read in one query the first time
    the key is asked about (or all at once with :meth:`preload_all`), and a better spelling
    ("Ian T. Foster" after "Ian Foster") becomes the author's display name at :meth:`flush`.

    ``deferred=True`` (the importer's batched writes): a new author is not inserted at once;
    :meth:`resolve` returns a provisional negative id and :meth:`flush` inserts every new
    author in one statement; :meth:`real_id` then turns a provisional id into the stored one.
    Without it, new authors are inserted immediately and every id is a stored one.
    """

    def __init__(self, session: Session, *, deferred: bool = False) -> None:
        self.session = session
        self.deferred = deferred
        self._by_key: dict[str, list[_Known]] = defaultdict(list)
        self._by_id: dict[int, _Known] = {}  # stored and provisional ids
        self._loaded_keys: set[str] = set()
        self._preloaded = False
        self._variants: set[tuple[_Known, str]] = set()
        self._resolved: dict[PersonName, _Known] = {}
        self._display_updates: dict[_Known, PersonName] = {}
        self._pending_variants: list[tuple[_Known, str]] = []
        self._new: list[_Known] = []  # deferred mode: created, not yet inserted
        self._next_provisional = -1
        self._insert_authors = BulkInsert(Author.__table__, _NAME_COLUMNS)
        self._insert_variants = BulkInsert(AuthorVariant.__table__, ("author_id", "name", "folded"))
        self._update_names = bulk_update(Author.__table__, _NAME_COLUMNS)

    def _add_known(self, author_id: int, name: PersonName, key: str) -> _Known:
        known = _Known(author_id, name)
        self._by_key[key].append(known)
        self._by_id[author_id] = known
        return known

    def preload_all(self) -> None:
        """Read every author and variant (cheaper than one query per key for big imports).

        Authors already known to this resolver keep their state (a better spelling seen, a
        provisional id), so it may be called at any point.
        """
        for row in self.session.execute(select(*_AUTHOR_COLUMNS)):
            if row.id in self._by_id:
                continue
            name = PersonName(row.given, row.family, row.von, row.jr, row.is_corporate)
            self._add_known(row.id, name, name_match_key(name))
        self._preloaded = True
        by_id = self._by_id
        variants = self.session.execute(select(AuthorVariant.author_id, AuthorVariant.name))
        self._variants.update((by_id[row.author_id], row.name) for row in variants)

    def _candidates(self, key: str) -> list[_Known]:
        if not self._preloaded and key not in self._loaded_keys:
            rows = self.session.connection().execute(
                select(*_AUTHOR_COLUMNS).where(Author.match_key == key)
            )
            for row in rows:
                if row.id not in self._by_id:
                    name = PersonName(row.given, row.family, row.von, row.jr, row.is_corporate)
                    self._add_known(row.id, name, key)
            self._loaded_keys.add(key)
        return self._by_key[key]

    def compatible(self, name: PersonName) -> list[tuple[int, PersonName]]:
        """Every known author this spelling could be."""
        return [
            (known.id, known.name)
            for known in self._candidates(name_match_key(name))
            if same_person(known.name, name)
        ]

    def resolve(self, name: PersonName) -> int:
        """The author id for this spelling, creating the author when nobody fits
        (a provisional id in ``deferred`` mode until :meth:`flush`)."""
        cached = self._resolved.get(name)
        if cached is not None:
            return cached.id
        key = name_match_key(name)
        matches = [known for known in self._candidates(key) if same_person(known.name, name)]
        chosen: _Known | None = None
        if len(matches) == 1:
            chosen = matches[0]
        elif matches:
            # Several people fit ("Foster, I." with an Ian and an Isaac): only an exact
            # spelling decides; otherwise the spelling gets a person of its own.
            exact = [known for known in matches if fold(known.name.display) == fold(name.display)]
            chosen = exact[0] if len(exact) == 1 else None
        if chosen is None:
            if self.deferred:
                chosen = self._add_known(self._next_provisional, name, key)
                self._next_provisional -= 1
                self._new.append(chosen)
            else:
                chosen = self._add_known(
                    insert_row(self.session, Author, author_columns(name)), name, key
                )
        elif is_more_complete(name, chosen.name):
            chosen.name = name
            self._display_updates[chosen] = name
        self._note_variant(chosen, name)
        self._resolved[name] = chosen
        return chosen.id

    def real_id(self, author_id: int) -> int:
        """The stored id of an id :meth:`resolve` returned (after :meth:`flush`)."""
        return self._by_id[author_id].id

    def name_of(self, author_id: int) -> PersonName | None:
        """The best spelling seen so far of a known author (None if this resolver never
        loaded it)."""
        known = self._by_id.get(author_id)
        return known.name if known is not None else None

    def _note_variant(self, known: _Known, name: PersonName) -> None:
        spelling = name.display
        if (known, spelling) in self._variants:
            return
        if not self._preloaded and known.id > 0:
            exists = self.session.connection().scalar(
                select(AuthorVariant.id).where(
                    AuthorVariant.author_id == known.id, AuthorVariant.name == spelling
                )
            )
            if exists is not None:
                self._variants.add((known, spelling))
                return
        self._variants.add((known, spelling))
        self._pending_variants.append((known, spelling))

    def flush(self) -> None:
        """Write new authors (deferred mode), new variants and better display names."""
        conn = self.session.connection()
        if self._new:
            rows = []
            for known in self._new:
                rows.append(tuple(author_columns(known.name).values()))
                self._display_updates.pop(known, None)  # inserted with its best spelling
            ids = self._insert_authors.run_returning_ids(conn, rows)
            for known, author_id in zip(self._new, ids, strict=True):
                known.id = author_id
                self._by_id[author_id] = known
            self._new = []
        if self._pending_variants:
            self._insert_variants.run(
                conn,
                [
                    (known.id, spelling, fold(spelling))
                    for known, spelling in self._pending_variants
                ],
            )
            self._pending_variants = []
        if self._display_updates:
            self._update_names.run(
                conn,
                [
                    (known.id, *author_columns(name).values())
                    for known, name in self._display_updates.items()
                ],
            )
            self._display_updates = {}
