"""Field-level merge policy: fold a duplicate record into the one that stays (pure, no DB).

``merge_records(keep, other)`` keeps the survivor's values and fills every gap from the other
record, taking the most complete value where one is clearly more complete (a full author list
over one cut short by ``and others``, full given names over initials, a publisher DOI over an
arXiv DOI, a specific entry type over ``misc``, a publication's venue/volume/pages over a
preprint's). Tags and awards are united, the arXiv id is kept, the other's cite key (and any
biblatex ``ids``) become aliases, and every real disagreement is listed as a
:class:`FieldConflict` (both records stay in the sources, so nothing is lost; ``show`` lists
the conflicts).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pubdb.names import is_more_complete, same_person
from pubdb.records import AuthorEntry, BibRecord, PersonName
from pubdb.textnorm import fold, normalize_doi, normalize_pages, title_key

# Fields that are bookkeeping of one tool or one copy: merged (keep's value wins) but never
# reported as conflicts, because they differ between any two exports of the same paper.
BOOKKEEPING_FIELDS = frozenset(
    {
        "file", "date-added", "date-modified", "timestamp", "biburl", "bibsource", "owner",
        "creationdate", "modificationdate", "urldate", "ids", "mendeley-groups", "groups",
        "__markedentry", "added-at", "interhash", "intrahash", "citedby", "cited-by",
        "times-cited", "unique-id", "da", "language", "langid", "isbn", "issn",
    }
)  # fmt: skip
# Entry types that say "some document" rather than where it appeared: any specific type wins.
VAGUE_TYPES = frozenset({"misc", "unpublished", "online", "preprint", "electronic", ""})

# Fields that say where a paper appeared (a preprint's values describe arXiv instead).
PUBLICATION_FIELDS = frozenset(
    {"venue_text", "venue_hint", "volume", "number", "pages", "publisher", "series", "edition"}
)

_ARXIV_DOI_RE = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_ARXIV_VENUE_RE = re.compile(r"\b(arxiv|corr|preprint)\b")


@dataclass(frozen=True)
class FieldConflict:
    """Two records disagree on a field; ``kept`` is in the merged record, ``other`` is not.

    ``source`` names where ``other`` comes from when known (the cite key of a stored entry:
    ``dedup_service.paper_conflicts`` sets it).
    """

    field: str
    kept: str
    other: str
    source: str = ""


@dataclass
class MergeResult:
    """The merged record, the disagreements, and the keys that must resolve to it."""

    record: BibRecord
    conflicts: list[FieldConflict] = field(default_factory=list)
    alias_keys: list[str] = field(default_factory=list)


def _pages_key(value: str) -> str:
    return normalize_pages(value)


def _text_key(value: str) -> str:
    return fold(value)


def _doi_key(value: str) -> str:
    return normalize_doi(value) if value else ""


def _arxiv_key(value: str) -> str:
    value = value.strip().lower().removeprefix("arxiv:")
    return re.sub(r"v\d+$", "", value)


def _is_arxiv_doi(doi: str) -> bool:
    return bool(_ARXIV_DOI_RE.match(_doi_key(doi)))


# Plain text fields: (name, comparison key). The survivor's value stays unless it is empty.
_TEXT_FIELDS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("venue_text", _text_key),
    ("venue_hint", _text_key),
    ("volume", _text_key),
    ("number", _text_key),
    ("pages", _pages_key),
    ("publisher", _text_key),
    ("series", _text_key),
    ("edition", _text_key),
    ("url", str.strip),
    ("abstract", _text_key),
    ("note", _text_key),
)


def _authors_text(authors: Sequence[AuthorEntry], truncated: bool) -> str:
    text = " and ".join(a.name.last_first for a in authors)
    return f"{text} and others" if truncated else text


def _match_people(base: Sequence[PersonName], alt: Sequence[PersonName]) -> list[int | None]:
    """For each name in ``base`` the index of the same person in ``alt`` (position first)."""
    used: set[int] = set()
    found: list[int | None] = []
    for pos, name in enumerate(base):
        hit: int | None = None
        if pos < len(alt) and pos not in used and same_person(name, alt[pos]):
            hit = pos
        else:
            hit = next(
                (k for k, o in enumerate(alt) if k not in used and same_person(name, o)), None
            )
        if hit is not None:
            used.add(hit)
        found.append(hit)
    return found


def merge_authors(
    keep: Sequence[AuthorEntry],
    keep_truncated: bool,
    other: Sequence[AuthorEntry],
    other_truncated: bool,
) -> tuple[tuple[AuthorEntry, ...], bool, bool]:
    """Merged author list, whether it is still truncated, and whether the lists disagree.

    The longer list wins when the shorter one is a truncation of it (``and others``, or the
    same first authors cut short); otherwise the survivor's list stays. Each kept author takes
    the more complete spelling of the matching person (``names.is_more_complete``: full given
    names over initials, accents kept) and the union of the marks (student, equal
    contribution, corresponding) from both records.
    """
    if not keep:
        return tuple(other), other_truncated, False
    if not other:
        return tuple(keep), keep_truncated, False
    keep_names = [a.name for a in keep]
    other_names = [a.name for a in other]
    prefix = min(len(keep), len(other))
    same_prefix = all(same_person(keep_names[k], other_names[k]) for k in range(prefix))
    disagree = False
    other_is_base = (
        len(other) > len(keep) and same_prefix and (keep_truncated or not other_truncated)
    )
    if other_is_base:
        base, alt, truncated = list(other), list(keep), other_truncated
    else:
        base, alt, truncated = list(keep), list(other), keep_truncated
        if len(other) > len(keep) and not same_prefix:
            disagree = True
        if len(other) < len(keep) and not (other_truncated or same_prefix):
            disagree = True
        if len(other) == len(keep) and keep_truncated != other_truncated:
            truncated = keep_truncated and other_truncated
    matches = _match_people([a.name for a in base], [a.name for a in alt])
    shorter = min(len(base), len(alt))
    if sum(m is not None for m in matches) < shorter:
        disagree = True
    merged: list[AuthorEntry] = []
    for entry, hit in zip(base, matches, strict=True):
        if hit is None:
            merged.append(entry)
            continue
        twin = alt[hit]
        # The survivor's spelling is the reference (``twin`` when the other list is the base).
        kept_entry, other_entry = (twin, entry) if other_is_base else (entry, twin)
        name = kept_entry.name
        if is_more_complete(other_entry.name, name):  # J. Smith -> James Smith, Gursoy -> Gürsoy
            name = other_entry.name
        merged.append(
            AuthorEntry(
                name=name,
                student=entry.student or twin.student,
                equal=entry.equal or twin.equal,
                corresponding=entry.corresponding or twin.corresponding,
            )
        )
    return tuple(merged), truncated, disagree


def _union(a: Sequence[str], b: Sequence[str]) -> tuple[str, ...]:
    seen = {fold(x) for x in a}
    out = list(a)
    for x in b:
        if fold(x) not in seen:
            seen.add(fold(x))
            out.append(x)
    return tuple(out)


def merge_records(keep: BibRecord, other: BibRecord) -> MergeResult:
    """Fold ``other`` into ``keep`` (the survivor, see ``dedup.choose_survivor``)."""
    conflicts: list[FieldConflict] = []
    changes: dict[str, object] = {}

    def conflict(name: str, kept: object, rejected: object) -> None:
        conflicts.append(FieldConflict(name, str(kept), str(rejected)))

    # Where it appeared: a published record's venue, volume, pages... beat a preprint's, which
    # describe arXiv. Kept preprint + published other (``pubdb merge PREPRINT PUBLISHED``): the
    # other's values win; published survivor + preprint other: the preprint's are not offered.
    keep_pre, other_pre = _preprint_only(keep), _preprint_only(other)
    take_publication = keep_pre and not other_pre
    ignore_publication = other_pre and not keep_pre

    # Entry type: a specific type beats misc/unpublished (filling a gap, not a conflict).
    kt, ot = keep.entry_type.lower(), other.entry_type.lower()
    if kt != ot:
        if (kt in VAGUE_TYPES or take_publication) and ot not in VAGUE_TYPES:
            changes["entry_type"] = other.entry_type
        elif ot not in VAGUE_TYPES and not ignore_publication:
            conflict("entry_type", keep.entry_type, other.entry_type)

    # Title: the survivor's, unless it has none.
    if not keep.title and other.title:
        changes["title"] = other.title
        changes["title_bibtex"] = other.title_bibtex
    elif (
        keep.title
        and other.title
        and keep.title != other.title  # most duplicates: no need to normalise both
        and title_key(keep.title) != title_key(other.title)
    ):
        conflict("title", keep.title, other.title)

    authors, truncated, disagree = merge_authors(
        keep.authors, keep.authors_truncated, other.authors, other.authors_truncated
    )
    changes["authors"] = authors
    changes["authors_truncated"] = truncated
    if disagree:
        conflict(
            "author",
            _authors_text(keep.authors, keep.authors_truncated),
            _authors_text(other.authors, other.authors_truncated),
        )

    if not keep.editors and other.editors:
        changes["editors"] = other.editors
    elif keep.editors and other.editors:
        if len(other.editors) > len(keep.editors) and all(
            same_person(k, o) for k, o in zip(keep.editors, other.editors, strict=False)
        ):
            changes["editors"] = other.editors
        elif len(keep.editors) != len(other.editors) or not all(
            same_person(k, o) for k, o in zip(keep.editors, other.editors, strict=False)
        ):
            conflict(
                "editor",
                " and ".join(e.last_first for e in keep.editors),
                " and ".join(e.last_first for e in other.editors),
            )

    for name in ("year", "month"):
        kv, ov = getattr(keep, name), getattr(other, name)
        if ov is not None and (kv is None or (take_publication and kv != ov)):
            changes[name] = ov
        elif kv is not None and ov is not None and kv != ov and not ignore_publication:
            conflict(name, kv, ov)

    # The venue hint is the resolved venue's short name (stored papers) or an ``abbr``-like
    # field: it is derived from the venue, so it is never a disagreement of its own, and two
    # spellings of one venue ("Future Gener. Comput. Syst." / "Future Generation Computer
    # Systems", both FGCS) are none either.
    same_venue = bool(keep.venue_hint) and _text_key(keep.venue_hint) == _text_key(other.venue_hint)
    for name, norm in _TEXT_FIELDS:
        kv, ov = getattr(keep, name), getattr(other, name)
        publication = name in PUBLICATION_FIELDS
        if publication and take_publication:
            changes[name] = ov  # even empty: arXiv's "abs/2101.00001" is no journal volume
        elif publication and ignore_publication:
            continue
        elif not kv and ov:
            changes[name] = ov
        elif kv and ov and norm(kv) != norm(ov):
            if name == "venue_hint" or (name == "venue_text" and same_venue):
                continue
            conflict(name, kv, ov)

    # DOI and arXiv id: a publisher DOI beats an arXiv DOI, whose id then lives in arxiv_id.
    kd, od = _doi_key(keep.doi), _doi_key(other.doi)
    arxiv_candidates = [keep.arxiv_id, other.arxiv_id]
    for doi in (kd, od):
        match = _ARXIV_DOI_RE.match(doi)
        if match:
            arxiv_candidates.append(match.group(1))
    if not kd and od:
        changes["doi"] = other.doi
    elif kd and od and kd != od:
        if _is_arxiv_doi(kd) and not _is_arxiv_doi(od):
            changes["doi"] = other.doi
        elif not _is_arxiv_doi(od):
            conflict("doi", keep.doi, other.doi)
    arxiv = next((a for a in arxiv_candidates if a), "")
    if arxiv and not keep.arxiv_id:
        changes["arxiv_id"] = arxiv
    elif (
        keep.arxiv_id and other.arxiv_id and _arxiv_key(keep.arxiv_id) != _arxiv_key(other.arxiv_id)
    ):
        conflict("arxiv_id", keep.arxiv_id, other.arxiv_id)

    changes["awards"] = _union(keep.awards, other.awards)
    changes["tags"] = _union(keep.tags, other.tags)

    fields = dict(keep.fields)
    for name, value in other.fields.items():
        mine = fields.get(name, "")
        if not mine and value:
            fields[name] = value
        elif mine and value and name not in BOOKKEEPING_FIELDS and fold(mine) != fold(value):
            conflict(name, mine, value)
    changes["fields"] = fields

    aliases: list[str] = []
    for alias in [other.key, *_ids(other), *_ids(keep)]:
        if alias and alias != keep.key and alias not in aliases:
            aliases.append(alias)

    return MergeResult(dataclasses.replace(keep, **changes), conflicts, aliases)


def _preprint_only(rec: BibRecord) -> bool:
    """An arXiv/CoRR record with no publisher DOI and no other venue."""
    doi = _doi_key(rec.doi)
    if doi and not _ARXIV_DOI_RE.match(doi):
        return False
    venue = fold(rec.venue_text)
    arxiv_venue = bool(_ARXIV_VENUE_RE.search(venue))
    if venue and not arxiv_venue:
        return False
    return bool(rec.arxiv_id or doi or arxiv_venue)


def _ids(rec: BibRecord) -> list[str]:
    """biblatex ``ids = {old1, old2}``: keys the record was cited by before."""
    return [k.strip() for k in rec.fields.get("ids", "").split(",") if k.strip()]
