"""One Author row per person: find the record a spelling belongs to, or create it.

"Ian Foster", "Ian T. Foster", "Foster, Ian" and "Foster, I. T." are one person when the
database holds exactly one compatible person under that family name and initial; two people who
share a family name and an initial ("Zhengchun Liu", "Zizhong Liu") never become one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pubdb.model import Author, AuthorVariant
from pubdb.names import family_key, is_more_complete, name_match_key, same_person
from pubdb.records import PersonName
from pubdb.store import insert_row, insert_rows
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


@dataclass
class _Known:
    id: int
    name: PersonName


class AuthorResolver:
    """Resolves spellings to author ids within one session, loading the candidates once.

    Built for bulk import: every author under the match keys it is asked about is read in one
    query per key the first time, new authors are inserted with Core, and a better spelling
    ("Ian T. Foster" after "Ian Foster") becomes the author's display name.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_key: dict[str, list[_Known]] = defaultdict(list)
        self._loaded_keys: set[str] = set()
        self._variants: set[tuple[int, str]] = set()
        self._resolved: dict[PersonName, int] = {}
        self._display_updates: dict[int, PersonName] = {}
        self._pending_variants: list[dict[str, object]] = []

    def preload_all(self) -> None:
        """Read every author and variant (cheaper than one query per key for big imports)."""
        rows = self.session.execute(
            select(
                Author.id, Author.given, Author.family, Author.von, Author.jr, Author.is_corporate
            )
        )
        self._by_key.clear()
        for row in rows:
            name = PersonName(row.given, row.family, row.von, row.jr, row.is_corporate)
            self._by_key[name_match_key(name)].append(_Known(row.id, name))
        self._loaded_keys = {"*"}
        variants = self.session.execute(select(AuthorVariant.author_id, AuthorVariant.name))
        self._variants = {(row.author_id, row.name) for row in variants}

    def _candidates(self, key: str) -> list[_Known]:
        if "*" not in self._loaded_keys and key not in self._loaded_keys:
            rows = self.session.execute(
                select(
                    Author.id,
                    Author.given,
                    Author.family,
                    Author.von,
                    Author.jr,
                    Author.is_corporate,
                ).where(Author.match_key == key)
            )
            for row in rows:
                name = PersonName(row.given, row.family, row.von, row.jr, row.is_corporate)
                self._by_key[key].append(_Known(row.id, name))
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
        """The author id for this spelling, creating the author when nobody fits."""
        cached = self._resolved.get(name)
        if cached is not None:
            return cached
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
            author_id = insert_row(self.session, Author, author_columns(name))
            chosen = _Known(author_id, name)
            self._by_key[key].append(chosen)
        elif is_more_complete(name, chosen.name):
            chosen.name = name
            self._display_updates[chosen.id] = name
        self._note_variant(chosen.id, name)
        self._resolved[name] = chosen.id
        return chosen.id

    def _note_variant(self, author_id: int, name: PersonName) -> None:
        spelling = name.display
        if (author_id, spelling) in self._variants:
            return
        if "*" not in self._loaded_keys:
            exists = self.session.scalar(
                select(AuthorVariant.id).where(
                    AuthorVariant.author_id == author_id, AuthorVariant.name == spelling
                )
            )
            if exists is not None:
                self._variants.add((author_id, spelling))
                return
        self._variants.add((author_id, spelling))
        self._pending_variants.append(
            {"author_id": author_id, "name": spelling, "folded": fold(spelling)}
        )

    def flush(self) -> None:
        """Write new variants and better display names."""
        if self._pending_variants:
            insert_rows(self.session, AuthorVariant, self._pending_variants)
            self._pending_variants = []
        for author_id, name in self._display_updates.items():
            self.session.execute(
                update(Author).where(Author.id == author_id).values(**author_columns(name))
            )
        self._display_updates = {}
