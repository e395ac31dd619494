"""The owner: whose CV this is, which author records are them, and setting or showing it.

Highlighting is decided on people, never by a pattern over rendered text:

- an authorship is the owner's when its author is the owner's ``Author`` (the link), or when
  that author's name matches one of the owner's spellings;
- the owner's spellings are the owner author's name plus the explicit variants
  (``pubdb owner set NAME --variant V``);
- a name matches a spelling by :func:`pubdb.names.same_person` with ``initials=False``: case,
  accents, braces, hyphens, ``Last, First`` / ``First Last`` and missing middle names are
  folded, but a first name given only as an initial ("Liu, Z.") matches only a spelling that
  is itself written with that initial, i.e. an explicit variant. So "Zizhong Liu", "Yuanlai
  Liu" and "Liu Zhengchun" (BibTeX reads that as a person whose family name is Zhengchun) are
  never the owner "Zhengchun Liu", and on a paper with two Lius only the owner is highlighted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from sqlalchemy import func, select

from pubdb.errors import InputError, NotFoundError
from pubdb.names import family_key, parse_name, same_person
from pubdb.records import PersonName
from pubdb.tables import authors, authorships, owner_variants
from pubdb.tables import owner as owner_table
from pubdb.textnorm import clean_spaces, fold

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from pubdb.model import Owner

    # Reading the owner works on a Core Connection (`pubdb list`) or a Session;
    # ``set_owner`` changes ORM objects and needs a Session.
    Db: TypeAlias = Connection | Session

__all__ = [
    "AuthorCandidate",
    "OwnerInfo",
    "OwnerMatcher",
    "OwnerSetResult",
    "load_owner_matcher",
    "matching_author_ids",
    "owner_author_ids",
    "parse_person",
    "set_owner",
    "show_owner",
]


def parse_person(text: str, *, what: str = "name") -> PersonName:
    """One person's name as the user typed it (any usual form, LaTeX allowed), or InputError."""
    cleaned = clean_spaces(text)
    if not cleaned:
        raise InputError(f"empty {what}")
    name = parse_name(cleaned)
    if not (name.family or name.given):
        raise InputError(f"{what} {text!r} is not a person's name")
    return name


@dataclass(frozen=True)
class OwnerMatcher:
    """Decides whether a name is the owner (or any person given by a name and its variants).

    ``author_id`` is the linked author record (None for an ad-hoc matcher, e.g. export's
    ``--highlight``). ``matches`` works on plain names, so renderers can use it without a
    database.
    """

    name: PersonName
    variants: tuple[PersonName, ...] = ()
    author_id: int | None = None

    @property
    def spellings(self) -> tuple[PersonName, ...]:
        return (self.name, *self.variants)

    def matches(self, name: PersonName) -> bool:
        """Whether ``name`` is one of this person's spellings (see the module docstring)."""
        if not (name.family or name.given):
            return False
        return any(same_person(name, spelling, initials=False) for spelling in self.spellings)

    def __call__(self, name: PersonName) -> bool:
        return self.matches(name)

    def family_keys(self) -> set[str]:
        return {family_key(spelling) for spelling in self.spellings} - {""}

    @classmethod
    def from_text(cls, name: str, variants: Iterable[str] = ()) -> OwnerMatcher:
        """A matcher for a name typed by the user (export's ``--highlight``)."""
        return cls(
            name=parse_person(name),
            variants=tuple(parse_person(v, what="variant") for v in variants),
        )


def _owner_row(session: Session) -> Owner | None:
    from pubdb.model import Owner

    return session.scalars(select(Owner).order_by(Owner.id).limit(1)).first()


class _Stored(NamedTuple):
    """The owner as stored: the linked author, their name, the variant texts in order."""

    author_id: int
    name: PersonName
    variants: tuple[str, ...]


def _stored_owner(db: Db) -> _Stored | None:
    """The (first) owner row with its author and variants, in one query."""
    a = authors.c
    rows = db.execute(
        select(
            owner_table.c.id,
            owner_table.c.author_id,
            a.given,
            a.family,
            a.von,
            a.jr,
            a.is_corporate,
            owner_variants.c.name,
        )
        .join(authors, owner_table.c.author_id == a.id)
        .join(owner_variants, owner_variants.c.owner_id == owner_table.c.id, isouter=True)
        .order_by(owner_table.c.id, owner_variants.c.id)
    ).all()
    if not rows:
        return None
    first = rows[0]
    return _Stored(
        author_id=first.author_id,
        name=PersonName(first.given, first.family, first.von, first.jr, first.is_corporate),
        variants=tuple(r.name for r in rows if r.id == first.id and r.name is not None),
    )


def load_owner_matcher(db: Db) -> OwnerMatcher | None:
    """The owner's matcher, or None when no owner is set."""
    stored = _stored_owner(db)
    if stored is None:
        return None
    variants = tuple(parse_name(text) for text in stored.variants)
    return OwnerMatcher(
        name=stored.name,
        variants=tuple(v for v in variants if v.family or v.given),
        author_id=stored.author_id,
    )


def _authors_under(db: Db, keys: Iterable[str]) -> list[tuple[int, PersonName]]:
    wanted = sorted(set(keys))
    if not wanted:
        return []
    a = authors.c
    rows = db.execute(
        select(a.id, a.given, a.family, a.von, a.jr, a.is_corporate).where(a.family_key.in_(wanted))
    )
    return [
        (row.id, PersonName(row.given, row.family, row.von, row.jr, row.is_corporate))
        for row in rows
    ]


def matching_author_ids(db: Db, matcher: OwnerMatcher) -> set[int]:
    """Every author record that is this person: the linked one plus every matching name."""
    ids = {
        author_id
        for author_id, name in _authors_under(db, matcher.family_keys())
        if matcher.matches(name)
    }
    if matcher.author_id is not None:
        ids.add(matcher.author_id)
    return ids


def owner_author_ids(db: Db) -> set[int]:
    """The author ids to highlight as the owner (empty when no owner is set).

    Renderers and queries test ``authorship.author_id in owner_author_ids(db)``.
    """
    matcher = load_owner_matcher(db)
    return set() if matcher is None else matching_author_ids(db, matcher)


# --------------------------------------------------------------------------------------------
# owner set / owner show
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorCandidate:
    """An author record as a person picks among them: id, name and how many papers."""

    id: int
    name: str
    papers: int

    def describe(self) -> str:
        count = f"{self.papers} paper" + ("" if self.papers == 1 else "s")
        return f"#{self.id} {self.name} ({count})"


@dataclass(frozen=True)
class OwnerSetResult:
    """What `owner set` changed.

    ``others`` are further author records compatible with NAME that were not chosen (the CLI
    says how to pick one instead); ``highlighted`` are the records now shown as the owner.
    """

    owner: AuthorCandidate
    created_author: bool
    previous: str | None
    variants: tuple[str, ...]
    variants_added: tuple[str, ...]
    variants_removed: tuple[str, ...]
    others: tuple[AuthorCandidate, ...] = ()
    highlighted: tuple[AuthorCandidate, ...] = ()
    changed: bool = True


@dataclass(frozen=True)
class OwnerInfo:
    """What `owner show` prints; ``owner`` is None when none is set."""

    owner: AuthorCandidate | None
    variants: tuple[str, ...] = ()
    highlighted: tuple[AuthorCandidate, ...] = ()
    papers: int = 0
    unmatched_variants: tuple[str, ...] = field(default=())


def _paper_counts(db: Db, author_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(author_ids))
    if not ids:
        return {}
    by = authorships.c
    rows = db.execute(
        select(by.author_id, func.count(func.distinct(by.paper_id)))
        .where(by.author_id.in_(ids))
        .group_by(by.author_id)
    )
    counts = {author_id: 0 for author_id in ids}
    counts.update({row[0]: row[1] for row in rows})
    return counts


def _candidates(db: Db, ids: Iterable[int]) -> list[AuthorCandidate]:
    ids = sorted(set(ids))
    if not ids:
        return []
    counts = _paper_counts(db, ids)
    rows = db.execute(select(authors.c.id, authors.c.display_name).where(authors.c.id.in_(ids)))
    names = {author_id: name for author_id, name in rows}
    return [AuthorCandidate(i, names[i], counts.get(i, 0)) for i in ids if i in names]


def _same_text(a: PersonName, b: PersonName) -> bool:
    def key(name: PersonName) -> str:
        return " ".join(fold(name.display).replace(".", " ").split())

    return key(a) == key(b)


def _variant_key(text: str) -> str:
    """Spellings that are the same name ("Liu, Z." and "Z. Liu") are one variant."""
    name = parse_name(clean_spaces(text))
    return " ".join(fold(name.display).replace(".", " ").split())


def set_owner(
    session: Session, name: str, variants: Sequence[str] = (), *, author_id: int | None = None
) -> OwnerSetResult:
    """Make the person ``name`` the owner, with exactly ``variants`` as extra spellings.

    The owner is an existing author record compatible with ``name`` (the exact spelling first,
    then a full-name match, then the one with the most papers) or ``author_id`` when given;
    when none exists the author is created, so later imports link to it.
    """
    from pubdb.authors import author_columns
    from pubdb.model import Author, Owner, OwnerVariant

    wanted = parse_person(name)
    parsed_variants: list[tuple[str, PersonName]] = []
    seen: set[str] = set()
    for text in variants:
        parsed = parse_person(text, what="variant")
        cleaned = clean_spaces(text)
        if _variant_key(cleaned) in seen:
            continue
        seen.add(_variant_key(cleaned))
        parsed_variants.append((cleaned, parsed))

    compatible = [
        (i, n) for i, n in _authors_under(session, [family_key(wanted)]) if same_person(n, wanted)
    ]
    counts = _paper_counts(session, [i for i, _ in compatible])

    def rank(item: tuple[int, PersonName]) -> tuple[int, int, int, int]:
        i, n = item
        return (
            0 if _same_text(n, wanted) else 1,
            0 if same_person(n, wanted, initials=False) else 1,
            -counts.get(i, 0),
            i,
        )

    compatible.sort(key=rank)
    created = False
    if author_id is not None:
        chosen = session.get(Author, author_id)
        if chosen is None:
            raise NotFoundError(f"no author #{author_id}")
        if author_id not in {i for i, _ in compatible}:
            raise InputError(
                f"author #{author_id} is {chosen.display_name}, which cannot be {wanted.display!r}"
            )
    elif compatible:
        chosen = session.get_one(Author, compatible[0][0])
    else:
        chosen = Author(**author_columns(wanted))
        session.add(chosen)
        session.flush()
        created = True

    owner = _owner_row(session)
    previous: str | None = None
    previous_id: int | None = None
    old_variants: list[str] = []
    if owner is None:
        owner = Owner(author=chosen)
        session.add(owner)
    else:
        previous, previous_id = owner.author.display_name, owner.author_id
        old_variants = [v.name for v in sorted(owner.variants, key=lambda v: v.id)]
        owner.author = chosen
    old_keys = {_variant_key(v): v for v in old_variants}
    new_keys = {_variant_key(text): text for text, _ in parsed_variants}
    kept = {_variant_key(v.name): v for v in owner.variants}
    rows = []
    for key, text in new_keys.items():
        row = kept.get(key) or OwnerVariant(name=text)
        row.name = text  # the spelling given last
        rows.append(row)
    owner.variants = rows
    session.flush()

    matcher = load_owner_matcher(session)
    assert matcher is not None
    highlighted_ids = matching_author_ids(session, matcher)
    chosen_candidate = _candidates(session, [chosen.id])[0]
    others = [
        c
        for c in _candidates(session, [i for i, _ in compatible if i != chosen.id])
        if c.id not in highlighted_ids
    ]
    others.sort(key=lambda c: (-c.papers, c.id))
    return OwnerSetResult(
        owner=chosen_candidate,
        created_author=created,
        previous=previous,
        variants=tuple(new_keys.values()),
        variants_added=tuple(t for k, t in new_keys.items() if k not in old_keys),
        variants_removed=tuple(t for k, t in old_keys.items() if k not in new_keys),
        others=tuple(others),
        highlighted=tuple(_candidates(session, highlighted_ids)),
        changed=previous_id != chosen.id or set(old_keys) != set(new_keys),
    )


def show_owner(db: Db) -> OwnerInfo:
    """The owner, their variants, and the author records and papers highlighted as them."""
    stored = _stored_owner(db)
    matcher = load_owner_matcher(db)
    if stored is None or matcher is None:
        return OwnerInfo(owner=None)
    ids = matching_author_ids(db, matcher)
    by = authorships.c
    papers = db.scalar(
        select(func.count(func.distinct(by.paper_id))).where(by.author_id.in_(sorted(ids)))
    )
    # A variant that matches no author record is worth saying (a typo, or nothing imported yet).
    names = dict(_authors_under(db, matcher.family_keys()))
    variants = list(stored.variants)
    unmatched = tuple(
        text
        for text in variants
        if not any(
            same_person(n, parse_name(text), initials=False) for i, n in names.items() if i in ids
        )
    )
    return OwnerInfo(
        owner=_candidates(db, [stored.author_id])[0],
        variants=tuple(variants),
        highlighted=tuple(_candidates(db, ids)),
        papers=int(papers or 0),
        unmatched_variants=unmatched,
    )
