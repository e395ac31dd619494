"""Venues in the database: the resolve-or-create step import uses, and `pubdb venue`'s
list / show / add / alias / merge.

Keys (shared with ``pubdb.query``): ``venues.short_key`` is ``fold(short)`` and
``venue_aliases.text_key`` is ``pubdb.venues.alias_key(text)``, both cut to their column's
length (``short_key``, ``text_key``). An alias with ``by_user`` set was made by
``venue alias`` (or is a merged venue's name) and is the user's word: resolution consults it
before the registry. Import adds an alias row (``by_user`` unset) for each venue
text it resolved, so the same text is found directly next time and ``venue:`` queries match it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from pubdb.errors import InputError, NotFoundError
from pubdb.model import Paper, Venue, VenueAlias
from pubdb.store import BulkInsert
from pubdb.textnorm import fold
from pubdb.venues import (
    KINDS,
    VenueInfo,
    VenueMatch,
    VenueRegistry,
    alias_key,
    alias_keys,
    default_registry,
    resolve_venue,
    shorthand,
)

__all__ = [
    "AliasResult",
    "MergeResult",
    "VenueDetails",
    "VenueRef",
    "VenueRow",
    "add_venue",
    "alias_venue",
    "find_venue",
    "flush_aliases",
    "get_venue",
    "list_venues",
    "merge_venues",
    "resolve_or_create",
    "resolve_ref",
    "short_key",
    "show_venue",
]

# BibTeX fields that carry an explicit venue hint (the importer's ``venue_hint``): a paper with
# one keeps the venue the hint names, whatever aliases say (the hint comes first).
_HINT_FIELDS = ("abbr", "shortjournal", "shortbooktitle", "eventtitle")
_INDEX = "pubdb.venue_service.index"


# The lengths of venues.short_key and venue_aliases.text_key: keys are cut to them both when
# stored and when looked up, so a very long venue text is found again.
SHORT_KEY_LENGTH = 100
TEXT_KEY_LENGTH = 500


def short_key(short: str) -> str:
    """The stored, unique form of a short name: ``SIGMOD`` and ``sigmod`` are one venue."""
    return fold(short.strip())[:SHORT_KEY_LENGTH]


def text_key(text: str) -> str:
    """The stored, unique form of an alias text (``venues.alias_key``, cut to the column)."""
    return alias_key(text)[:TEXT_KEY_LENGTH]


# --------------------------------------------------------------------------------------------
# A per-session index (one command = one session): resolution works from memory
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VenueRef:
    """A database venue as resolution gives it (no ORM object: an import resolves thousands)."""

    id: int
    short: str
    kind: str


# The venue_aliases columns of a pending alias row, in order.
_ALIAS_COLUMNS = ("venue_id", "text", "text_key", "by_user")


@dataclass
class _Index:
    """Every venue and alias of the database, read once per session and kept current by this
    module. Alias rows resolution adds (``by_user`` unset) wait in ``pending`` and are written
    together by :func:`flush_aliases`: by the public functions before they return or read
    ``venue_aliases`` themselves, by an import at its own flushes."""

    venues: dict[int, VenueRef] = field(default_factory=dict)
    shorts: dict[str, int] = field(default_factory=dict)  # short_key -> venue id
    aliases: dict[str, int] = field(default_factory=dict)  # text_key -> venue id
    user: dict[str, str] = field(default_factory=dict)  # text_key -> short (by_user aliases)
    pending: list[tuple[int, str, str, bool]] = field(default_factory=list)  # _ALIAS_COLUMNS
    insert_aliases: BulkInsert = field(
        default_factory=lambda: BulkInsert(VenueAlias.__table__, _ALIAS_COLUMNS)
    )

    @classmethod
    def load(cls, session: Session) -> _Index:
        index = cls()
        rows = session.execute(select(Venue.id, Venue.short_key, Venue.short, Venue.kind))
        for vid, key, short, kind in rows:
            index.shorts[key] = vid
            index.venues[vid] = VenueRef(vid, short, kind)
        rows = session.execute(select(VenueAlias.text_key, VenueAlias.venue_id, VenueAlias.by_user))
        for key, vid, by_user in rows:
            index.aliases[key] = vid
            if by_user and vid in index.venues:
                index.user[key] = index.venues[vid].short
        return index


def _index(session: Session) -> _Index:
    found = session.info.get(_INDEX)
    if found is None:
        found = session.info[_INDEX] = _Index.load(session)
    return found


def flush_aliases(session: Session) -> None:
    """Write the alias rows resolution left pending (:func:`resolve_ref`) in one statement."""
    index = session.info.get(_INDEX)
    if index is not None and index.pending:
        index.insert_aliases.run(session.connection(), index.pending)
        index.pending = []


def _forget_index(session: Session) -> None:
    flush_aliases(session)
    session.info.pop(_INDEX, None)


def _venue(session: Session, venue_id: int) -> Venue:
    venue = session.get(Venue, venue_id)
    assert venue is not None
    return venue


# --------------------------------------------------------------------------------------------
# Finding and creating
# --------------------------------------------------------------------------------------------


def find_venue(session: Session, name: str) -> Venue | None:
    """The database venue ``name`` means: its short name (any case), ``XLOOP@SC``, an alias
    (any text that was resolved to it), or its full name."""
    name = name.strip()
    if not name:
        return None
    flush_aliases(session)
    if "@" in name:
        child, _, parent = name.partition("@")
        venue = find_venue(session, child)
        return venue if venue is not None and find_venue(session, parent) is not None else None
    venue = session.scalar(select(Venue).where(Venue.short_key == short_key(name)))
    if venue is not None:
        return venue
    key = text_key(name)
    if key:
        venue = session.scalar(
            select(Venue)
            .join(VenueAlias, VenueAlias.venue_id == Venue.id)
            .where(VenueAlias.text_key == key)
        )
        if venue is not None:
            return venue
    return session.scalars(
        select(Venue).where(func.lower(Venue.name) == name.lower()).order_by(Venue.id)
    ).first()


def get_venue(session: Session, name: str, *, registry: VenueRegistry | None = None) -> Venue:
    """Like ``find_venue``; a registry venue not in the database yet is added. Raises
    ``NotFoundError`` when nothing is called ``name``."""
    venue = find_venue(session, name)
    if venue is not None:
        return venue
    reg = registry if registry is not None else default_registry()
    info = reg.lookup(name)
    if info is not None:
        venue_id = _ensure(session, info.short, reg).id
        flush_aliases(session)
        return _venue(session, venue_id)
    raise NotFoundError(f"no venue {name!r}; `pubdb venue list` shows the known ones")


def _add_alias(
    session: Session,
    venue: Venue | VenueRef,
    text: str,
    *,
    by_user: bool,
    replace: bool = False,
) -> bool:
    """An alias row for ``text`` -> ``venue``; an existing row for another venue is kept unless
    ``replace``. True when a row was added or changed. A new row resolution adds (``by_user``
    unset) is written by :func:`flush_aliases`; the user's at once."""
    key = text_key(text)
    if not key:
        return False
    index = _index(session)
    owner = index.aliases.get(key)
    if owner is not None and not by_user and not replace:
        return False  # the text means a venue already (this one or another): it stays so
    if owner is not None:
        flush_aliases(session)
        row = session.scalar(select(VenueAlias).where(VenueAlias.text_key == key))
        if row is None:  # the index is stale: another command removed it
            owner = None
        elif owner == venue.id:
            if by_user and not row.by_user:
                row.by_user = True
                index.user[key] = venue.short
                return True
            return False
        elif not replace:
            return False
        else:
            row.venue_id = venue.id
            row.text = text
            row.by_user = by_user or row.by_user
            index.aliases[key] = venue.id
            if row.by_user:
                index.user[key] = venue.short
            return True
    index.aliases[key] = venue.id
    if by_user:
        index.user[key] = venue.short
        session.execute(
            insert(VenueAlias),
            [{"venue_id": venue.id, "text": text, "text_key": key, "by_user": True}],
        )
    else:
        index.pending.append((venue.id, text, key, False))
    return True


def _create(
    session: Session,
    *,
    short: str,
    name: str,
    kind: str,
    parent_id: int | None,
    from_registry: bool,
) -> VenueRef:
    # Core insert on the session's connection: a bulk import creates thousands of venues, and
    # the ORM's work per statement would dominate its venue cost.
    key = short_key(short)
    kind = kind if kind in KINDS else "other"
    table = Venue.__table__
    venue_id = (
        session.connection()
        .execute(
            insert(table).returning(table.c.id),
            {
                "short": short[:100],
                "short_key": key,
                "name": name,
                "kind": kind,
                "parent_id": parent_id,
                "from_registry": from_registry,
            },
        )
        .scalar_one()
    )
    index = _index(session)
    index.shorts[key] = venue_id
    venue = index.venues[venue_id] = VenueRef(venue_id, short[:100], kind)
    return venue


def _from_registry(
    session: Session, info: VenueInfo, reg: VenueRegistry, parent: str | None
) -> VenueRef:
    parent_venue = _ensure(session, parent, reg) if parent else None
    venue = _create(
        session,
        short=info.short,
        name=info.name,
        kind=info.kind,
        parent_id=parent_venue.id if parent_venue is not None else None,
        from_registry=True,
    )
    for text in (info.name, *info.aliases):
        _add_alias(session, venue, text, by_user=False)
    return venue


def _existing(session: Session, short: str) -> VenueRef | None:
    index = _index(session)
    found = index.shorts.get(short_key(short))
    if found is None:
        found = index.aliases.get(text_key(short))  # a venue merged into another
    return index.venues[found] if found is not None else None


def _ensure(session: Session, short: str, reg: VenueRegistry) -> VenueRef:
    """The database venue with this short name; a registry venue (with its parent) or else a
    bare conference is created when it is missing."""
    venue = _existing(session, short)
    if venue is not None:
        return venue
    info = reg.get(short)
    if info is not None:
        return _from_registry(session, info, reg, info.parent)
    return _create(
        session, short=short, name=short, kind="conference", parent_id=None, from_registry=False
    )


def _venue_for_match(session: Session, match: VenueMatch, reg: VenueRegistry) -> VenueRef:
    index = _index(session)
    venue = _existing(session, match.short)
    if venue is None and not match.known and match.name and match.name != match.short:
        found = index.aliases.get(text_key(match.name))
        venue = index.venues[found] if found is not None else None
    if venue is not None:
        return venue
    info = reg.get(match.short) if match.known else None
    parent = match.parent if match.kind == "workshop" else None
    if info is not None:
        return _from_registry(session, info, reg, parent)
    parent_venue = _ensure(session, parent, reg) if parent else None
    venue = _create(
        session,
        short=match.short,
        name=match.name or match.short,
        kind=match.kind,
        parent_id=parent_venue.id if parent_venue is not None else None,
        from_registry=False,
    )
    if match.name and match.name != match.short:
        _add_alias(session, venue, match.name, by_user=False)
    return venue


def resolve_ref(
    session: Session,
    text: str,
    *,
    hint: str = "",
    entry_type: str = "",
    registry: VenueRegistry | None = None,
) -> VenueRef | None:
    """The venue of a paper whose booktitle/journal is ``text`` (and ``abbr``-like ``hint``).

    Without a hint, a stored alias of the text decides (the user's, or what an earlier import
    resolved it to); otherwise ``pubdb.venues.resolve_venue`` runs with the user's aliases, and
    the venue it names is found in the database by short name (or as a merged venue's alias) or
    created — from the registry with its name, kind, parent and aliases, or from the cleaned
    text. The text becomes an alias of the venue. None when there is no venue at all.

    Works from the session's index; the alias rows it adds wait for :func:`flush_aliases`
    (the caller's to call: an import resolves thousands of texts).
    """
    reg = registry if registry is not None else default_registry()
    text = text or ""
    index = _index(session)
    if not hint.strip():
        found = index.aliases.get(text_key(text)) if text.strip() else None
        if found is not None:
            return index.venues[found]
    match = resolve_venue(
        text, hint=hint, entry_type=entry_type, user_aliases=index.user, registry=reg
    )
    if match is None:
        return None
    venue = _venue_for_match(session, match, reg)
    if text.strip() and not hint.strip():
        _add_alias(session, venue, text, by_user=False)
    return venue


def resolve_or_create(
    session: Session,
    text: str,
    *,
    hint: str = "",
    entry_type: str = "",
    registry: VenueRegistry | None = None,
) -> Venue | None:
    """:func:`resolve_ref`, its aliases written, as the ORM object."""
    ref = resolve_ref(session, text, hint=hint, entry_type=entry_type, registry=registry)
    flush_aliases(session)
    return _venue(session, ref.id) if ref is not None else None


# --------------------------------------------------------------------------------------------
# venue list / show
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VenueRow:
    """One line of `venue list`."""

    short: str
    name: str
    kind: str
    parent: str | None
    papers: int
    aliases: int


def _paper_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Paper.venue_id, func.count(Paper.id))
        .where(Paper.venue_id.is_not(None))
        .group_by(Paper.venue_id)
    )
    return {vid: n for vid, n in rows}


def list_venues(session: Session, *, kind: str | None = None) -> list[VenueRow]:
    """Every venue in the database with its paper count: most papers first, then by name."""
    flush_aliases(session)
    counts = _paper_counts(session)
    alias_counts = {
        vid: n
        for vid, n in session.execute(
            select(VenueAlias.venue_id, func.count()).group_by(VenueAlias.venue_id)
        )
    }
    statement = select(Venue)
    if kind:
        statement = statement.where(Venue.kind == kind)
    venues = session.scalars(statement).all()
    parents = {v.id: v.short for v in session.scalars(select(Venue))}
    rows = [
        VenueRow(
            short=v.short,
            name=v.name,
            kind=v.kind,
            parent=parents.get(v.parent_id) if v.parent_id is not None else None,
            papers=counts.get(v.id, 0),
            aliases=alias_counts.get(v.id, 0),
        )
        for v in venues
    ]
    rows.sort(key=lambda r: (-r.papers, r.short.casefold()))
    return rows


@dataclass(frozen=True)
class VenueDetails:
    """Everything `venue show` prints."""

    short: str
    name: str
    kind: str
    parent: str | None
    workshops: tuple[str, ...]
    from_registry: bool
    aliases: tuple[tuple[str, bool], ...]  # (text, set by the user)
    papers: tuple[tuple[str, int | None, str, str], ...]  # (key, year, title, shorthand)


def show_venue(session: Session, name: str) -> VenueDetails:
    """One venue in full: its parent, workshops, aliases and papers (newest first)."""
    venue = find_venue(session, name)
    if venue is None:
        raise NotFoundError(f"no venue {name!r} in the database; `pubdb venue list` shows them")
    parent = venue.parent.short if venue.parent is not None else None
    workshops = tuple(sorted((c.short for c in venue.children), key=str.casefold))
    aliases = tuple(
        (a.text, a.by_user)
        for a in sorted(venue.aliases, key=lambda a: (not a.by_user, a.text.casefold()))
    )
    papers = session.execute(
        select(Paper.key, Paper.year, Paper.title)
        .where(Paper.venue_id == venue.id)
        .order_by(Paper.year.desc().nulls_last(), Paper.key)
    ).all()
    return VenueDetails(
        short=venue.short,
        name=venue.name,
        kind=venue.kind,
        parent=parent,
        workshops=workshops,
        from_registry=venue.from_registry,
        aliases=aliases,
        papers=tuple(
            (key, year, title, shorthand(venue.short, venue.kind, year, parent))
            for key, year, title in papers
        ),
    )


# --------------------------------------------------------------------------------------------
# venue add / alias / merge
# --------------------------------------------------------------------------------------------


def add_venue(
    session: Session,
    short: str,
    *,
    name: str,
    kind: str,
    parent: str | None = None,
    registry: VenueRegistry | None = None,
) -> Venue:
    """A new venue the user names. Its full name becomes one of the user's aliases, so imports
    that write the name resolve to it. The parent may be a database or registry venue."""
    reg = registry if registry is not None else default_registry()
    short = short.strip()
    if not short or "@" in short:
        raise InputError(
            f"venue short name {short!r}: give a name without '@' (XLOOP, not XLOOP@SC)"
        )
    if kind not in KINDS:
        raise InputError(f"venue kind {kind!r}: use one of {', '.join(KINDS)}")
    existing = session.scalar(select(Venue).where(Venue.short_key == short_key(short)))
    if existing is not None:
        raise InputError(
            f"venue {existing.short} already exists ({existing.name}); add another text for it "
            f"with `pubdb venue alias TEXT {existing.short}`"
        )
    parent_venue = None
    if parent:
        if short_key(parent) == short_key(short):
            raise InputError(f"venue {short} cannot be its own parent")
        parent_venue = get_venue(session, parent, registry=reg)
    venue = _create(
        session,
        short=short,
        name=name.strip() or short,
        kind=kind,
        parent_id=parent_venue.id if parent_venue is not None else None,
        from_registry=False,
    )
    # The user's own word for the venue: its short name and full name (a by_user alias also
    # marks the venue as the user's, so `venue alias` never tidies it away).
    _add_alias(session, venue, short, by_user=True, replace=True)
    if name.strip() and name.strip() != short:
        _add_alias(session, venue, name.strip(), by_user=True, replace=True)
    flush_aliases(session)
    return _venue(session, venue.id)


@dataclass(frozen=True)
class AliasResult:
    """What `venue alias` did: the venue, the venue the text meant before (if another), the
    papers moved to the venue, the matching papers kept because an explicit hint names their
    venue, and the venues import had made from these texts that are now empty and were folded
    into the venue."""

    venue: str
    text: str
    previous: str | None
    moved: tuple[str, ...]
    kept: tuple[str, ...]
    removed: tuple[str, ...] = ()


def _has_hint(paper_fields: dict | None) -> bool:
    return any(str((paper_fields or {}).get(name, "")).strip() for name in _HINT_FIELDS)


def alias_venue(
    session: Session, text: str, short: str, *, registry: VenueRegistry | None = None
) -> AliasResult:
    """Make ``text`` mean venue ``short`` (the user's word: it wins over the registry) and move
    the papers whose venue text it matches — except those with an explicit ``abbr``-like hint."""
    reg = registry if registry is not None else default_registry()
    key = text_key(text)
    if not key:
        raise InputError(f"alias text {text!r} has no letters or digits")
    venue = get_venue(session, short, registry=reg)
    before = _index(session).aliases.get(key)
    if before is not None:
        previous: str | None = _venue(session, before).short
    else:  # not in the database yet: what the registry would have made of it
        meant = resolve_venue(text, registry=reg)
        previous = meant.short if meant is not None and meant.known else None
    if previous is not None and short_key(previous) == venue.short_key:
        previous = None
    _add_alias(session, venue, text, by_user=True, replace=True)
    moved: list[str] = []
    kept: list[str] = []
    rows = session.execute(
        select(Paper.id, Paper.key, Paper.venue_id, Paper.venue_text, Paper.fields).where(
            Paper.venue_text != ""
        )
    ).all()
    left: set[int] = set()
    for pid, pkey, vid, venue_text, paper_fields in rows:
        if key not in {k[:TEXT_KEY_LENGTH] for k in alias_keys(venue_text)}:
            continue
        if vid == venue.id:
            continue
        if _has_hint(paper_fields):
            kept.append(pkey)
            continue
        session.execute(update(Paper).where(Paper.id == pid).values(venue_id=venue.id))
        moved.append(pkey)
        if vid is not None:
            left.add(vid)
    removed = _fold_empty_placeholders(session, left, venue)
    return AliasResult(
        venue.short, text, previous, tuple(sorted(moved)), tuple(sorted(kept)), removed
    )


def _fold_empty_placeholders(session: Session, venue_ids: set[int], into: Venue) -> tuple[str, ...]:
    """Venues import made from cleaned text (not from the registry, not the user's, no
    workshops) that lost their last paper: their alias texts move to ``into`` and they go."""
    flush_aliases(session)
    removed: list[str] = []
    for vid in sorted(venue_ids):
        if session.scalar(select(func.count(Paper.id)).where(Paper.venue_id == vid)):
            continue
        placeholder = session.get(Venue, vid)
        if placeholder is None or placeholder.from_registry:
            continue
        if session.scalar(select(func.count(Venue.id)).where(Venue.parent_id == vid)):
            continue
        by_user = select(func.count(VenueAlias.id)).where(
            VenueAlias.venue_id == vid, VenueAlias.by_user.is_(True)
        )
        if session.scalar(by_user):
            continue
        removed.append(placeholder.short)
        session.flush()
        session.execute(
            update(VenueAlias).where(VenueAlias.venue_id == vid).values(venue_id=into.id)
        )
        session.expunge(placeholder)
        session.execute(delete(Venue).where(Venue.id == vid))
    if removed:
        session.expire_all()
        _forget_index(session)
    return tuple(removed)


@dataclass(frozen=True)
class MergeResult:
    """What `venue merge` did."""

    kept: str
    removed: str
    papers: int
    aliases: int
    workshops: int


def merge_venues(
    session: Session, keep: str, other: str, *, registry: VenueRegistry | None = None
) -> MergeResult:
    """``other`` is the same venue as ``keep``: its papers, aliases and workshops move to
    ``keep``, its short and full name become aliases of ``keep``, and it is removed."""
    reg = registry if registry is not None else default_registry()
    gone = find_venue(session, other)
    if gone is None:
        raise NotFoundError(f"no venue {other!r} in the database; `pubdb venue list` shows them")
    kept = get_venue(session, keep, registry=reg)
    if kept.id == gone.id:
        raise InputError(f"{keep!r} and {other!r} are the same venue ({kept.short})")
    session.flush()
    papers = session.execute(
        update(Paper).where(Paper.venue_id == gone.id).values(venue_id=kept.id)
    ).rowcount
    aliases = session.execute(
        update(VenueAlias).where(VenueAlias.venue_id == gone.id).values(venue_id=kept.id)
    ).rowcount
    workshops = session.execute(
        update(Venue)
        .where(Venue.parent_id == gone.id, Venue.id != kept.id)
        .values(parent_id=kept.id)
    ).rowcount
    if kept.parent_id == gone.id:
        kept.parent_id = gone.parent_id if gone.parent_id != kept.id else None
    gone_short, gone_name, gone_id = gone.short, gone.name, gone.id
    session.flush()
    session.expunge(gone)
    session.execute(delete(Venue).where(Venue.id == gone_id))
    session.expire_all()
    _forget_index(session)
    for text in (gone_short, gone_name):
        if text and text_key(text) not in (text_key(kept.short), ""):
            _add_alias(session, kept, text, by_user=True, replace=True)
    _forget_index(session)
    return MergeResult(kept.short, gone_short, papers or 0, aliases or 0, workshops or 0)
