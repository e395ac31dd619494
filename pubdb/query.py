"""The query language of `pubdb list` and `export` (SPEC section 4): terms -> one SQLAlchemy select.

A query is a sequence of terms, ANDed::

    venue:SIGMOD year:2019..2021 author:kraska -tag:survey learned "index structures"

- ``field:value`` terms (see ``FIELDS``); the field name is case-insensitive and the value is
  everything after the first colon, so ``key:DBLP:conf/sigmod/X18`` works.
- A bare word searches the title (each title word starting with it: ``learn`` finds
  "learned"); a ``"quoted phrase"`` searches whole title words in that order.
- A leading ``-`` negates a term: ``-venue:arXiv``, ``-"survey"``.
- Each command-line argument is one term, so the shell's quotes group words
  (``author:"van Renen"`` reaches pubdb as ``author:van Renen``). An argument that itself holds
  double quotes or several ``field:`` terms (``'venue:SC year:2021 "edge computing"'``) is split
  like a search box: spaces separate terms, double quotes group words.

Matching uses the store's folded columns (``authors.family_key``/``match_key``,
``author_variants.folded``, ``venues.short_key``, ``venue_aliases.text_key``,
``papers.title_key``, ``key_folded``) with values folded in Python the same way, so accents and
case are handled identically on every database, and every value is a bound parameter.

Title search: SQLite uses the FTS5 table ``papers_fts`` over ``papers.title_key`` (migration
0002) when it exists; other databases, or a SQLite built without FTS5, use ``LIKE`` on
``title_key`` with the same word-prefix semantics. ``title_search_uses_fts`` is the one place
that decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    column,
    exists,
    func,
    not_,
    or_,
    select,
    table,
    text,
    true,
    union,
)

from pubdb.errors import QueryError
from pubdb.records import fold_cite_key
from pubdb.tables import (
    author_variants,
    authors,
    authorships,
    awards,
    cite_key_aliases,
    owner,
    paper_tags,
    papers,
    tags,
    venue_aliases,
    venues,
)
from pubdb.textnorm import fold, normalize_doi, title_key

__all__ = [
    "FIELDS",
    "FTS_TABLE",
    "SORTS",
    "AuthorResolver",
    "Query",
    "Term",
    "apply_sort",
    "build_select",
    "fts_available",
    "parse_query",
    "title_search_uses_fts",
]

# Field name -> what it matches. The order is the order error messages and help list them.
FIELDS: dict[str, str] = {
    "author": "an author, any stored spelling (author:kraska, author:'Tim Kraska')",
    "venue": "short name, full name or alias (venue:SIGMOD); venue:SC+ adds SC's workshops",
    "year": "year:2024, year:2019..2021, year:2019.., year:..2018",
    "title": "words in the title (what a bare word searches)",
    "type": "entry type (type:article)",
    "tag": "a tag (tag:ml-systems); tag: alone = has any tag",
    "award": "has an award (award:) or one whose text contains the value (award:best)",
    "student": "has a student co-author (student:), or this one (student:liu)",
    "owner": "the owner is an author (owner:), the first (owner:first) or the last (owner:last)",
    "key": "the cite key or any former key",
    "doi": "the DOI in any written form; doi: alone = has a DOI",
    "arxiv": "the arXiv id; arxiv: alone = has an arXiv id",
}
# Fields whose value may be empty (``award:`` means "has an award").
_EMPTY_OK = frozenset({"venue", "tag", "award", "student", "owner", "doi", "arxiv"})
_OWNER_POSITIONS = ("", "first", "last")

# `--sort` values -> see ``apply_sort``.
SORTS = ("-year", "year", "title", "venue", "key")

# The FTS5 table over papers.title_key (migration 0002); SQLite names its shadow tables
# papers_fts_data, papers_fts_idx... Keep in sync with migrations/versions/0002_title_search.py.
FTS_TABLE = "papers_fts"
_fts = table(FTS_TABLE, column("rowid", Integer), column("title_key", Text))

_YEAR = re.compile(r"\d{4}")
_YEAR_RANGE = re.compile(r"(\d{4})?\.\.(\d{4})?")
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:|https?://arxiv\.org/abs/)", re.IGNORECASE)
_ARXIV_VERSION = re.compile(r"v\d+$")
_NOT_ALNUM = re.compile(r"[\W_]+")
# Lower-case name particles: ``author:"van Renen"`` is a family name, not given + family.
_PARTICLES = frozenset(
    {"van", "von", "vom", "zu", "de", "der", "den", "del", "della", "dei", "di", "da", "das"}
    | {"do", "dos", "du", "la", "le", "ter", "ten", "af", "av"}
)


@dataclass(frozen=True)
class Term:
    """One parsed query term. ``field`` is a key of ``FIELDS`` (bare words are ``title``)."""

    field: str
    value: str = ""
    negated: bool = False
    # Title: a "quoted phrase" (whole words); otherwise the last word may be a word prefix.
    exact: bool = False
    # Year bounds, inclusive; None = open.
    low: int | None = None
    high: int | None = None
    # venue:SC+ — the venue and the venues whose parent it is.
    children: bool = False

    def __str__(self) -> str:
        sign = "-" if self.negated else ""
        if self.field == "title" and self.exact:
            return f'{sign}"{self.value}"'
        if self.field == "title":
            return f"{sign}{self.value}"
        value = f'"{self.value}"' if any(ch.isspace() for ch in self.value) else self.value
        return f"{sign}{self.field}:{value}{'+' if self.children else ''}"


@dataclass(frozen=True)
class Query:
    """Terms ANDed together; iterate it for the terms. An empty query matches every paper."""

    terms: tuple[Term, ...] = ()

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __str__(self) -> str:
        return " ".join(str(term) for term in self.terms)


# ------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------


def _fields_hint() -> str:
    return "fields: " + ", ".join(f"{name}:" for name in FIELDS)


def _error(token: str, reason: str) -> QueryError:
    return QueryError(f"bad query term {token!r}: {reason} ({_fields_hint()})")


def _split(argument: str) -> list[str]:
    """Search-box splitting: whitespace separates terms, double quotes group words."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in argument:
        if ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        tokens.append("".join(current))
    return tokens


def _holds_several_terms(argument: str) -> bool:
    pieces = argument.split()
    for piece in pieces[1:]:
        match = _FIELD.fullmatch(piece.removeprefix("-"))
        if match and match.group(1).lower() in FIELDS:
            return True
    return False


def tokenize(argument: str) -> list[str]:
    """The term texts in one command-line argument (see the module docstring)."""
    stripped = argument.strip()
    if not stripped:
        return []
    if '"' in stripped or _holds_several_terms(stripped):
        return _split(stripped)
    return [stripped]


def _parse_year(token: str, value: str) -> tuple[int | None, int | None]:
    if _YEAR.fullmatch(value):
        return int(value), int(value)
    match = _YEAR_RANGE.fullmatch(value)
    if match is None or (match.group(1) is None and match.group(2) is None):
        raise _error(token, "a year is four digits or a range: " + FIELDS["year"])
    low = int(match.group(1)) if match.group(1) else None
    high = int(match.group(2)) if match.group(2) else None
    if low is not None and high is not None and low > high:
        raise _error(token, f"the range {low}..{high} is empty")
    return low, high


def parse_term(token: str) -> Term:
    """One term text (``-venue:SC+``, ``"learned index"``, ``kraska``) -> a ``Term``."""
    body = token
    negated = False
    if body.startswith("-"):
        negated = True
        body = body[1:]
    if not body.strip():
        raise _error(token, "nothing to search for")
    if body.startswith('"'):
        value = " ".join(body.replace('"', " ").split())
        if not value:
            raise _error(token, "empty quotes")
        return Term("title", value, negated=negated, exact=True)
    match = _FIELD.fullmatch(body)
    if match is None:
        value = " ".join(body.replace('"', " ").split())
        return Term("title", value, negated=negated)
    field = match.group(1).lower()
    value = " ".join(match.group(2).replace('"', " ").split())
    if field not in FIELDS:
        raise _error(token, f"unknown field {field!r}; to search titles for it, quote it")
    if not value and field not in _EMPTY_OK:
        raise _error(token, f"{field}: needs a value")
    term = Term(field, value, negated=negated)
    if field == "year":
        low, high = _parse_year(token, value)
        return replace(term, low=low, high=high)
    if field == "owner":
        position = value.lower()
        if position not in _OWNER_POSITIONS:
            raise _error(token, "owner: takes first or last (or nothing: any position)")
        return replace(term, value=position)
    if field == "type":
        return replace(term, value=value.lower())
    if field == "title" and match.group(2).lstrip().startswith('"'):
        return replace(term, exact=True)
    if field == "venue" and len(value) > 1 and value.endswith("+"):
        return replace(term, value=value[:-1], children=True)
    return term


def parse_query(terms: Sequence[str] | str) -> Query:
    """Command-line arguments (or one search-box string) -> a ``Query``.

    Raises ``QueryError`` with one line naming the bad term and the fields that exist.
    """
    arguments = [terms] if isinstance(terms, str) else list(terms)
    return Query(tuple(parse_term(token) for arg in arguments for token in tokenize(arg)))


# ------------------------------------------------------------------------------------------
# Folding the values the way the store folded its columns
# ------------------------------------------------------------------------------------------


def _venue_keys(value: str) -> list[str]:
    """``venues.short_key`` is the folded short name; ``venue_aliases.text_key`` is
    ``venues.alias_key`` of the text."""
    from pubdb.venues import alias_key

    return _unique([fold(value), alias_key(value)])


def _unique(values: Sequence[str]) -> list[str]:
    return [value for value in dict.fromkeys(values) if value]


# ------------------------------------------------------------------------------------------
# Building the select
# ------------------------------------------------------------------------------------------


def title_search_uses_fts(dialect_name: str, fts: bool | None = None) -> bool:
    """The one decision between FTS5 and the portable ``LIKE`` fallback for title words.

    ``fts`` says whether the FTS table exists (``fts_available``); None assumes it does on
    SQLite (migration 0002 creates it whenever the SQLite library has FTS5).
    """
    if dialect_name != "sqlite":
        return False
    return True if fts is None else fts


def fts_available(connection: Any) -> bool:
    """Whether this database has the title FTS table (a Connection or a Session)."""
    bind = connection if hasattr(connection, "dialect") else connection.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    found = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": FTS_TABLE},
    )
    return found.first() is not None


def _year(term: Term) -> ColumnElement[bool]:
    year = papers.c.year
    clauses: list[ColumnElement[bool]] = [year.is_not(None)]
    if term.low is not None and term.low == term.high:
        clauses.append(year == term.low)
    else:
        if term.low is not None:
            clauses.append(year >= term.low)
        if term.high is not None:
            clauses.append(year <= term.high)
    return and_(*clauses)


def _venue(term: Term) -> ColumnElement[bool]:
    venue_id = papers.c.venue_id
    if not term.value:
        return venue_id.is_not(None)
    v = venues.c
    keys = _venue_keys(term.value)
    matches: list[ColumnElement[bool]] = [
        v.short_key.in_(keys),
        func.lower(v.name) == term.value.lower(),
        v.id.in_(select(venue_aliases.c.venue_id).where(venue_aliases.c.text_key.in_(keys))),
    ]
    if "@" in term.value:  # the shorthand form: XLOOP@SC
        child, _, parent = term.value.partition("@")
        parent_venue = venues.alias()
        matches.append(
            v.parent_id.in_(
                select(parent_venue.c.id).where(parent_venue.c.short_key.in_(_venue_keys(parent)))
            )
            & v.short_key.in_(_venue_keys(child))
        )
    named = select(v.id).where(or_(*matches))
    if term.children:
        named = select(v.id).where(or_(v.id.in_(named), v.parent_id.in_(named)))
    return and_(venue_id.is_not(None), venue_id.in_(named))


AuthorResolver = Callable[[str], Collection[int]]


def _author_ids(value: str, resolver: AuthorResolver | None) -> Select[Any]:
    """Ids of the authors ``value`` names; every branch is an indexed lookup.

    One word is a family name (``kraska``, ``gursoy``, ``renen``); several words are a full
    name in any form (``Tim Kraska``, ``Kraska, T.``) or a family name with particles
    (``van Renen``). A spelling stored as a variant always matches.
    """
    a = authors.c
    folded = fold(value)
    words = _NOT_ALNUM.sub(" ", folded.replace("'", "").replace("’", "")).split()
    family_keys = _unique([folded, "".join(words)])
    variants = _unique([folded, " ".join(folded.replace(".", " ").split())])
    branches: list[Select[Any]] = [
        select(a.id).where(a.family_key.in_(family_keys)),
        select(author_variants.c.author_id).where(author_variants.c.folded.in_(variants)),
    ]
    if len(words) > 1:
        from pubdb.names import family_key, name_match_key, parse_name

        name = parse_name(value)
        if resolver is not None:
            # Exact: the people same_person() accepts among the family|initial candidates
            # (so "Zizhong Liu" never finds Zhengchun Liu).
            branches.append(select(a.id).where(a.id.in_(sorted(resolver(value)))))
        else:
            branches.append(select(a.id).where(a.match_key == name_match_key(name)))
        if all(word in _PARTICLES for word in words[:-1]):  # "van Renen", "da Silva"
            branches.append(select(a.id).where(a.family_key == family_key(name)))
    return union(*branches)


def _author(term: Term, resolver: AuthorResolver | None) -> ColumnElement[bool]:
    by = authorships.c
    return papers.c.id.in_(
        select(by.paper_id).where(by.author_id.in_(_author_ids(term.value, resolver)))
    )


def _owner(term: Term, owner_ids: Collection[int] | None) -> ColumnElement[bool]:
    mine = authorships.alias()
    other = authorships.alias()
    owners: Any = select(owner.c.author_id) if owner_ids is None else sorted(owner_ids)
    found = select(mine.c.paper_id).where(mine.c.author_id.in_(owners))
    if term.value == "first":
        found = found.where(
            ~exists().where(other.c.paper_id == mine.c.paper_id, other.c.position < mine.c.position)
        )
    elif term.value == "last":
        found = found.where(
            ~exists().where(other.c.paper_id == mine.c.paper_id, other.c.position > mine.c.position)
        )
    return papers.c.id.in_(found)


def _student(term: Term, resolver: AuthorResolver | None) -> ColumnElement[bool]:
    by = authorships.c
    found = select(by.paper_id).where(by.student == true())
    if term.value:
        found = found.where(by.author_id.in_(_author_ids(term.value, resolver)))
    return papers.c.id.in_(found)


def _tag(term: Term) -> ColumnElement[bool]:
    found = select(paper_tags.c.paper_id)
    if term.value:
        named = select(tags.c.id).where(
            or_(tags.c.name == term.value, func.lower(tags.c.name) == term.value.lower())
        )
        found = found.where(paper_tags.c.tag_id.in_(named))
    return papers.c.id.in_(found)


def _award(term: Term) -> ColumnElement[bool]:
    found = select(awards.c.paper_id)
    if term.value:
        found = found.where(awards.c.text.icontains(term.value, autoescape=True))
    return papers.c.id.in_(found)


def _key(term: Term) -> ColumnElement[bool]:
    key = fold_cite_key(term.value.strip())
    aliases = cite_key_aliases.c
    return or_(
        papers.c.key_folded == key,
        papers.c.id.in_(select(aliases.paper_id).where(aliases.key_folded == key)),
    )


def _doi(term: Term) -> ColumnElement[bool]:
    doi = papers.c.doi
    if not term.value:
        return and_(doi.is_not(None), doi != "")
    return and_(doi.is_not(None), doi == (normalize_doi(term.value) or term.value.lower()))


def _arxiv(term: Term) -> ColumnElement[bool]:
    arxiv_id = papers.c.arxiv_id
    if not term.value:
        return and_(arxiv_id.is_not(None), arxiv_id != "")
    arxiv = _ARXIV_VERSION.sub("", _ARXIV_PREFIX.sub("", term.value.strip()))
    return and_(arxiv_id.is_not(None), arxiv_id.in_(_unique([arxiv, arxiv.lower()])))


def _fts_phrase(term: Term) -> str | None:
    """The FTS5 query for a title term, or None when it has no words (only punctuation).

    title_key leaves only letters, digits and spaces, so no FTS5 syntax can get through.
    """
    words = title_key(term.value)
    if not words:
        return None
    return f'"{words}"' if term.exact else f'"{words}"*'


def _fts_match(expression: str) -> ColumnElement[bool]:
    return papers.c.id.in_(select(_fts.c.rowid).where(_fts.c.title_key.op("MATCH")(expression)))


def _title(term: Term, use_fts: bool) -> ColumnElement[bool]:
    if use_fts and (phrase := _fts_phrase(term)) is not None:
        return _fts_match(phrase)
    words = title_key(term.value)
    if not words:
        # Nothing but punctuation (', ;, %, _): titles holding that text literally.
        return papers.c.title.contains(term.value, autoescape=True)
    padded = " " + papers.c.title_key + " "
    wanted = f" {words} " if term.exact else f" {words}"
    return padded.contains(wanted, autoescape=True)


def _type(term: Term) -> ColumnElement[bool]:
    return papers.c.entry_type == term.value


_BUILDERS = {
    "venue": _venue,
    "year": _year,
    "type": _type,
    "tag": _tag,
    "award": _award,
    "key": _key,
    "doi": _doi,
    "arxiv": _arxiv,
}


def condition(
    term: Term,
    *,
    use_fts: bool,
    owner_ids: Collection[int] | None = None,
    author_resolver: AuthorResolver | None = None,
) -> ColumnElement[bool]:
    """The WHERE clause for one term (negation included). NULL-safe: ``-year:2024`` keeps
    papers without a year, ``-venue:X`` papers without a venue."""
    if term.field == "title":
        clause = _title(term, use_fts)
    elif term.field == "owner":
        clause = _owner(term, owner_ids)
    elif term.field == "author":
        clause = _author(term, author_resolver)
    elif term.field == "student":
        clause = _student(term, author_resolver)
    else:
        clause = _BUILDERS[term.field](term)
    return not_(clause) if term.negated else clause


def build_select(
    query: Query | Sequence[str],
    *,
    dialect_name: str,
    fts: bool | None = None,
    owner_ids: Collection[int] | None = None,
    author_resolver: AuthorResolver | None = None,
) -> Select[Any]:
    """One ``select(papers)`` (the Core table :data:`pubdb.tables.papers`) filtered by every
    term, bound parameters only, unsorted; pick columns with ``with_only_columns``.

    ``dialect_name`` (``session.get_bind().dialect.name``) and ``fts`` (``fts_available``)
    choose the title search; see ``title_search_uses_fts``. ``owner_ids`` are the author
    records that are the owner (``pubdb.owner.owner_author_ids``: the linked author plus the
    records matching the owner's spellings); None means the linked author only.
    ``author_resolver`` maps a full name (``author:Tim Kraska``) to the ids of the people it
    can be (``pubdb.papers`` passes one that applies ``names.same_person``); without it a full
    name matches everyone with the same family name and first initial.
    """
    if not isinstance(query, Query):
        query = parse_query(query)
    use_fts = title_search_uses_fts(dialect_name, fts)
    statement = select(papers)
    phrases: list[str] = []
    for term in query:
        phrase = _fts_phrase(term) if use_fts and term.field == "title" else None
        if phrase is not None and not term.negated:
            phrases.append(phrase)  # one MATCH for all title words: FTS5 intersects them
            continue
        clause = condition(
            term, use_fts=use_fts, owner_ids=owner_ids, author_resolver=author_resolver
        )
        statement = statement.where(clause)
    if phrases:
        statement = statement.where(_fts_match(" AND ".join(phrases)))
    return statement


def apply_sort(statement: Select[Any], sort: str = "-year") -> Select[Any]:
    """Order a papers select: ``-year`` (default, newest first), ``year``, ``title``,
    ``venue`` (short name, then newest first) or ``key``; ties by key, undated papers last."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r} (sorts: {', '.join(SORTS)})")
    p = papers.c
    undated = p.year.is_(None)
    if sort == "-year":
        order = [undated, p.year.desc()]
    elif sort == "year":
        order = [undated, p.year]
    elif sort == "title":
        order = [p.title_key]
    elif sort == "venue":
        venue = venues.alias()
        statement = statement.join(venue, p.venue_id == venue.c.id, isouter=True)
        order = [venue.c.short_key.is_(None), venue.c.short_key, undated, p.year.desc()]
    else:
        order = []
    return statement.order_by(*order, p.key_folded)
