"""Duplicates in the database: find clusters, merge papers, undo a merge, list disagreements.

The service side of ``pubdb dedup``, ``pubdb merge`` and ``pubdb unmerge`` (and the dedup
view the importer compares incoming records with). Every function works inside the caller's
session, which is one transaction: it changes everything it reports, or nothing.

- :func:`load_items` - a :class:`~pubdb.dedup.DedupItem` per stored paper, built by
  :func:`pubdb.dedup.build_item` exactly as :func:`~pubdb.dedup.item_from_record` builds an
  incoming record's, read with a few Core queries (100k papers in about a second).
- :func:`find_clusters` - sure and possible clusters among all (or the queried) papers; papers
  linked by a ``not-duplicate`` relation are never put together.
- :func:`merge_papers` - fold one paper into another: the survivor's record becomes
  ``merge.merge_records(survivor, other)`` (marks, awards and tags united), the other's cite
  key and aliases become the survivor's aliases, its sources move over with
  ``merged_from_key`` set, its relations are re-pointed, and its row is deleted.
- :func:`unmerge` - undo that for one merged-away key, from its stored raw source(s).
- :func:`paper_conflicts` - what a paper's sources disagree on, recomputed from their raw text.

Unmerge rule. ``unmerge KEY`` (KEY an alias of paper P) takes P's sources whose
``merged_from_key`` is KEY (or, for an entry that lost its key when a published version took
over the record at import, P's unmarked sources read under KEY) and:

1. re-creates the paper KEY from them (parsed again; several are merged as import would);
2. moves those source rows to it (``merged_from_key`` cleared on the ones written as KEY), and
   the aliases that were their cite keys;
3. gives P back only what is still evidenced: each value of P equal to what the restored
   entry says and different from what P's remaining sources say is set to the remaining
   sources' value (a page range, DOI, venue, author list, ``fields`` entry, award or tag the
   merge took from the restored entry). Everything else on P stays as it is, hand-made marks,
   awards and tags included;
4. links the two papers ``not-duplicate`` so that ``dedup`` never proposes them again.

What unmerge cannot bring back: annotations made by hand on the merged-away paper before the
merge (marks, awards, tags, ``import --tag``): the database kept them only united on P, where
they stay.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from pubdb.dedup import (
    SAME_SCORE,
    Cluster,
    DedupItem,
    build_item,
    choose_survivor,
    cluster,
    item_from_record,
)
from pubdb.errors import InputError, NotFoundError, PubdbError
from pubdb.merge import FieldConflict, merge_records
from pubdb.model import (
    Author,
    Authorship,
    Award,
    CiteKeyAlias,
    Editorship,
    ImportBatch,
    Paper,
    PaperRelation,
    PaperSource,
    Venue,
)
from pubdb.records import AuthorEntry, BibRecord, fold_cite_key
from pubdb.store import insert_rows
from pubdb.textnorm import fold, normalize_doi

NOT_DUPLICATE = "not-duplicate"


# --------------------------------------------------------------------------------------------
# The dedup view of stored papers
# --------------------------------------------------------------------------------------------


def load_items(session: Session, paper_ids: Iterable[int] | None = None) -> list[DedupItem]:
    """A :class:`DedupItem` per stored paper (or per paper in ``paper_ids``), in id order.

    Built with :func:`pubdb.dedup.build_item` from the stored columns exactly as
    :func:`pubdb.dedup.item_from_record` builds an incoming record's: the resolved venue's
    short name and kind (the kind guessed from the venue text and entry type when the venue
    has none), the authors' match keys (the editors' when there are no authors), and the raw
    ``doi`` field when the paper has no readable DOI.
    """
    wanted = None if paper_ids is None else set(paper_ids)
    # Core rows on the session's connection: the ORM's result layer would double the cost.
    execute = session.connection().execute
    match_keys = dict(execute(select(Author.id, Author.match_key)).all())
    people: dict[int, list[str]] = defaultdict(list)
    rows = execute(
        select(Authorship.paper_id, Authorship.author_id).order_by(
            Authorship.paper_id, Authorship.position
        )
    ).all()  # one fetchall: row-by-row fetching costs more than the rows
    for paper_id, author_id in rows:
        people[paper_id].append(match_keys[author_id])
    editors: dict[int, list[str]] = defaultdict(list)
    rows = execute(
        select(Editorship.paper_id, Editorship.author_id).order_by(
            Editorship.paper_id, Editorship.position
        )
    ).all()
    for paper_id, author_id in rows:
        if paper_id not in people:
            editors[paper_id].append(match_keys[author_id])
    stmt = (
        select(
            Paper.id,
            Paper.key,
            Paper.title_key,
            Paper.title,
            Paper.year,
            Paper.doi,
            Paper.arxiv_id,
            Paper.entry_type,
            Paper.authors_truncated,
            Paper.pages,
            Paper.volume,
            Paper.number,
            Venue.short,
            Venue.kind,
            Paper.venue_text,
            # The raw doi field only matters when there is no readable DOI.
            Paper.fields["doi"].as_string(),
        )
        .outerjoin(Venue, Venue.id == Paper.venue_id)
        .order_by(Paper.id)
    )
    empty: list[str] = []
    items = []
    for (
        paper_id,
        key,
        normalised_title,
        title,
        year,
        doi,
        arxiv_id,
        entry_type,
        truncated,
        pages,
        volume,
        number,
        short,
        kind,
        venue_text,
        doi_field,
    ) in execute(stmt).all():
        if wanted is not None and paper_id not in wanted:
            continue
        items.append(
            build_item(
                paper_id,
                key=key,
                title=title,
                title_key_value=normalised_title,
                year=year,
                doi=doi or "",
                arxiv_id=arxiv_id or "",
                entry_type=entry_type,
                venue_short=short or "",
                venue_text=venue_text,
                venue_kind=kind or "",
                author_keys=people.get(paper_id, empty),
                editor_keys=editors.get(paper_id, empty),
                authors_truncated=truncated,
                pages=pages,
                volume=volume,
                number=number,
                doi_field="" if doi else (doi_field or ""),
            )
        )
    return items


def not_duplicate_pairs(session: Session) -> set[frozenset[int]]:
    """Pairs of paper ids linked by a ``not-duplicate`` relation (either direction)."""
    rows = session.execute(
        select(PaperRelation.from_paper_id, PaperRelation.to_paper_id).where(
            PaperRelation.kind == NOT_DUPLICATE
        )
    )
    return {frozenset((a, b)) for a, b in rows}


def query_paper_ids(session: Session, query: Sequence[str]) -> set[int] | None:
    """Ids of the papers a ``list``-style query matches (None: no query, every paper).

    Raises ``QueryError`` for a malformed query, and ``PubdbError`` when this pubdb has no
    query module.
    """
    if not query:
        return None
    try:
        from pubdb.papers import search
    except ImportError as exc:  # pragma: no cover - the query module ships with pubdb
        raise PubdbError("this pubdb cannot run queries: dedup takes no QUERY") from exc
    return {paper_id for paper_id, _ in search(session, list(query))}


def find_clusters(
    session: Session, query: Sequence[str] = (), threshold: float = SAME_SCORE
) -> list[Cluster]:
    """Sure clusters then possible pairs among the papers ``query`` matches (all without one),
    each with its score and reasons (:func:`pubdb.dedup.cluster`)."""
    items = load_items(session, query_paper_ids(session, query))
    return cluster(items, threshold, apart=not_duplicate_pairs(session))


# --------------------------------------------------------------------------------------------
# Finding papers by key
# --------------------------------------------------------------------------------------------


def paper_by_key(session: Session, key: str) -> Paper:
    """The paper whose cite key or any alias is ``key`` (case-insensitive)."""
    folded = fold_cite_key(key)
    paper = session.scalars(select(Paper).where(Paper.key_folded == folded)).first()
    if paper is None:
        paper = session.scalars(
            select(Paper).join(CiteKeyAlias).where(CiteKeyAlias.key_folded == folded)
        ).first()
    if paper is None:
        raise NotFoundError(f"no paper with key {key!r}")
    return paper


# --------------------------------------------------------------------------------------------
# Merging
# --------------------------------------------------------------------------------------------


@dataclass
class MergeOutcome:
    """One paper folded into another."""

    key: str  # the survivor's cite key
    other: str  # the merged-away paper's cite key (now an alias of ``key``)
    aliases: list[str] = field(default_factory=list)  # keys that now resolve to ``key``
    sources: int = 0  # source rows moved to the survivor
    conflicts: list[FieldConflict] = field(default_factory=list)
    reasons: tuple[str, ...] = ()  # why dedup merged them (empty for a merge by hand)
    score: float | None = None


class _Writer:
    """A :class:`pubdb.paperio.PaperWriter` whose venue lookup knows the papers at hand."""

    def __init__(self, session: Session) -> None:
        from pubdb.authors import AuthorResolver
        from pubdb.paperio import PaperWriter

        self.session = session
        self._known: dict[tuple[str, str], int | None] = {}
        self.writer = PaperWriter(session, AuthorResolver(session), self._venue_id)

    def know(self, record: BibRecord, venue_id: int | None) -> None:
        """A record whose venue (text, hint) is already resolved to ``venue_id``."""
        self._known.setdefault((record.venue_text, record.venue_hint), venue_id)

    def _venue_id(self, record: BibRecord) -> int | None:
        found = (record.venue_text, record.venue_hint)
        if found not in self._known:
            from pubdb.venue_service import resolve_or_create

            venue = resolve_or_create(
                self.session,
                record.venue_text,
                hint=record.venue_hint,
                entry_type=record.entry_type.lower(),
            )
            self._known[found] = venue.id if venue is not None else None
        return self._known[found]


def _award_years(session: Session, paper_ids: Sequence[int]) -> dict[str, int]:
    years: dict[str, int] = {}
    rows = session.execute(
        select(Award.text, Award.year).where(Award.paper_id.in_(paper_ids)).order_by(Award.id)
    )
    for text, year in rows:
        if year is not None:
            years.setdefault(fold(text), year)
    return years


def _restore_award_years(session: Session, paper_id: int, years: dict[str, int]) -> None:
    """The writer re-inserts awards from their texts; put back the years they had."""
    if not years:
        return
    for award_id, text in session.execute(
        select(Award.id, Award.text).where(Award.paper_id == paper_id)
    ):
        year = years.get(fold(text))
        if year is not None:
            session.execute(update(Award).where(Award.id == award_id).values(year=year))


def _repoint_relations(session: Session, old_id: int, new_id: int) -> None:
    """Relations of paper ``old_id`` now belong to ``new_id``; a relation that would link a
    paper with itself, or repeat one the survivor has, is dropped."""
    rows = session.execute(
        select(
            PaperRelation.id,
            PaperRelation.from_paper_id,
            PaperRelation.to_paper_id,
            PaperRelation.kind,
        ).where(or_(PaperRelation.from_paper_id == old_id, PaperRelation.to_paper_id == old_id))
    ).all()
    existing = set(
        session.execute(
            select(
                PaperRelation.from_paper_id, PaperRelation.to_paper_id, PaperRelation.kind
            ).where(or_(PaperRelation.from_paper_id == new_id, PaperRelation.to_paper_id == new_id))
        ).all()
    )
    for relation_id, source, target, kind in rows:
        source = new_id if source == old_id else source
        target = new_id if target == old_id else target
        if source == target or (source, target, kind) in existing:
            session.execute(delete(PaperRelation).where(PaperRelation.id == relation_id))
            continue
        existing.add((source, target, kind))
        session.execute(
            update(PaperRelation)
            .where(PaperRelation.id == relation_id)
            .values(from_paper_id=source, to_paper_id=target)
        )


def merge_papers(
    session: Session,
    keep_id: int,
    other_id: int,
    *,
    reasons: tuple[str, ...] = (),
    score: float | None = None,
    writer: _Writer | None = None,
) -> MergeOutcome:
    """Fold paper ``other_id`` into paper ``keep_id`` (which stays, under its own key).

    ``writer``: one shared by many merges (its author, tag and venue lookups stay loaded).
    """
    from pubdb.paperio import load_papers, record_from_paper

    if keep_id == other_id:
        raise InputError("both keys name the same paper: nothing to merge")
    papers = load_papers(session, [keep_id, other_id])
    if len(papers) != 2:
        raise NotFoundError("paper to merge not found")
    keep, other = papers
    keep_key, other_key = keep.key, other.key
    keep_record, other_record = record_from_paper(keep), record_from_paper(other)
    result = merge_records(keep_record, other_record)
    years = _award_years(session, [keep_id, other_id])

    writer = writer if writer is not None else _Writer(session)
    writer.know(keep_record, keep.venue_id)
    writer.know(other_record, other.venue_id)

    # The other's sources and aliases move over; its relations are re-pointed; then its row
    # goes (authorships, editorships, awards and tags cascade), freeing its key for an alias.
    session.execute(
        update(PaperSource)
        .where(PaperSource.paper_id == other_id, PaperSource.merged_from_key.is_(None))
        .values(merged_from_key=other_key)
    )
    moved = session.execute(
        update(PaperSource).where(PaperSource.paper_id == other_id).values(paper_id=keep_id)
    ).rowcount
    old_aliases = list(
        session.scalars(select(CiteKeyAlias.key).where(CiteKeyAlias.paper_id == other_id))
    )
    session.execute(
        update(CiteKeyAlias).where(CiteKeyAlias.paper_id == other_id).values(paper_id=keep_id)
    )
    _repoint_relations(session, other_id, keep_id)
    session.execute(Paper.__table__.delete().where(Paper.__table__.c.id == other_id))
    session.expunge(other)

    writer.writer.replace(keep_id, result.record)
    writer.writer.finish()
    added = writer.writer.add_aliases(
        keep_id, [k for k in result.alias_keys if fold_cite_key(k) != fold_cite_key(keep_key)]
    )
    _restore_award_years(session, keep_id, years)
    session.expire_all()
    return MergeOutcome(
        key=keep_key,
        other=other_key,
        aliases=[*added, *old_aliases],
        sources=moved or 0,
        conflicts=list(result.conflicts),
        reasons=reasons,
        score=score,
    )


def merge_by_keys(session: Session, keep_key: str, other_key: str) -> MergeOutcome:
    """``pubdb merge KEEP OTHER``: any cite key or alias names either paper."""
    keep = paper_by_key(session, keep_key)
    other = paper_by_key(session, other_key)
    if keep.id == other.id:
        raise InputError(f"{keep_key} and {other_key} are the same paper ({keep.key})")
    return merge_papers(session, keep.id, other.id)


def merge_sure(session: Session, clusters: Iterable[Cluster]) -> list[MergeOutcome]:
    """Merge every sure cluster into its survivor (the cluster's first id)."""
    outcomes = []
    writer = _Writer(session)
    for found in clusters:
        if not found.sure:
            continue
        survivor = int(found.survivor)
        for other in found.ids[1:]:
            pair = next(
                (p for p in found.pairs if {p.a, p.b} == {survivor, other}),
                next((p for p in found.pairs if other in (p.a, p.b)), None),
            )
            outcomes.append(
                merge_papers(
                    session,
                    survivor,
                    int(other),
                    reasons=pair.decision.reasons if pair is not None else found.reasons,
                    score=pair.decision.score if pair is not None else found.score,
                    writer=writer,
                )
            )
    return outcomes


# --------------------------------------------------------------------------------------------
# Reading stored sources back
# --------------------------------------------------------------------------------------------


class SourceReader:
    """Parses stored raw entries back into records.

    A raw entry alone lacks the file's ``@string`` macros and ``crossref`` targets; when
    reading it alone reports such a problem and the imported file is still where it was,
    unchanged (same SHA-256), the whole file is read instead and the entry taken from it.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._files: dict[int, dict[tuple[int | None, str], BibRecord] | None] = {}

    def record(self, source: PaperSource) -> BibRecord:
        """The record ``source`` holds; ``InputError`` when its text cannot be read."""
        from pubdb.importers.bibtex import read_bibtex

        label = source.batch.path if source.batch is not None else "<source>"
        if not source.raw.strip():
            raise InputError(f"no stored text for entry {source.cite_key}", path=label)
        result = read_bibtex(label, text=source.raw)
        if result.records and not result.problems:
            return result.records[0]
        whole = self._from_file(source)
        if whole is not None:
            return whole
        if result.records:
            return result.records[0]
        reason = result.failed[0].reason if result.failed else "no entry in the stored text"
        raise InputError(f"cannot read the stored entry {source.cite_key}: {reason}", path=label)

    def _from_file(self, source: PaperSource) -> BibRecord | None:
        batch: ImportBatch | None = source.batch
        if batch is None:
            return None
        if batch.id not in self._files:
            self._files[batch.id] = _read_whole(batch)
        found = self._files[batch.id]
        if found is None:
            return None
        return found.get((source.line, source.cite_key))


def _read_whole(batch: ImportBatch) -> dict[tuple[int | None, str], BibRecord] | None:
    from pubdb.importers.bibtex import read_bibtex

    path = Path(batch.path)
    try:
        if not path.is_file():
            return None
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != batch.sha256:
            return None
        result = read_bibtex(path, text=data, encoding=batch.encoding)
    except (OSError, PubdbError):
        return None
    return {(rec.source.line if rec.source else None, rec.key): rec for rec in result.records}


def _combine(records: Sequence[BibRecord], key: str) -> BibRecord:
    """Several entries of one paper as one record, merged the way import merges them."""
    merged = records[0]
    item = item_from_record(0, merged)
    for record in records[1:]:
        other = item_from_record(1, record)
        if choose_survivor(item, other) is other:
            merged, record = record, merged
        merged = merge_records(merged, record).record
        item = item_from_record(0, merged)
    return dataclasses.replace(merged, key=key)


# --------------------------------------------------------------------------------------------
# Unmerge
# --------------------------------------------------------------------------------------------


@dataclass
class UnmergeOutcome:
    """A merged-away entry made a paper again."""

    key: str  # the restored paper's key
    survivor: str  # the paper it was merged into
    sources: int  # source rows moved back
    aliases: list[str] = field(default_factory=list)  # other aliases that moved with it
    reverted: list[str] = field(default_factory=list)  # survivor fields given back


_SCALARS = (
    "entry_type", "year", "month", "venue_text", "volume", "number", "pages", "publisher",
    "series", "edition", "doi", "arxiv_id", "url", "abstract", "note",
)  # fmt: skip


def _norm(name: str, value: Any) -> Any:
    if value is None or value == "":
        return ""
    if name == "doi":
        return normalize_doi(str(value))
    if name == "arxiv_id":
        return str(value).lower().removeprefix("arxiv:")
    if isinstance(value, str):
        return fold(value)
    return value


def _people(authors: Sequence[AuthorEntry]) -> list[str]:
    from pubdb.names import name_match_key

    return [name_match_key(a.name) for a in authors]


def revert_contributions(
    current: BibRecord, removed: BibRecord, remaining: BibRecord
) -> tuple[BibRecord, list[str]]:
    """``current`` without what only ``removed`` gave it (see the module's unmerge rule).

    A value is given back when ``current`` holds what ``removed`` says and ``remaining`` (the
    survivor's other sources) says something else; it becomes ``remaining``'s value. Returns
    the new record and the names of the fields changed.
    """
    changes: dict[str, Any] = {}
    changed: list[str] = []
    title = _norm("title", current.title)
    if (
        title
        and title == _norm("title", removed.title)
        and remaining.title
        and _norm("title", remaining.title) != title
    ):
        changes["title"] = remaining.title
        changes["title_bibtex"] = remaining.title_bibtex
        changed.append("title")
    for name in _SCALARS:
        value = getattr(current, name)
        mine = _norm(name, value)
        if mine == "" or mine != _norm(name, getattr(removed, name)):
            continue
        if _norm(name, getattr(remaining, name)) != mine:
            changes[name] = getattr(remaining, name)
            changed.append(name)
    if "venue_text" in changes:
        changes["venue_hint"] = remaining.venue_hint
    people = _people(current.authors)
    if people and people == _people(removed.authors) and _people(remaining.authors) != people:
        from pubdb.names import same_person

        authors = []
        for entry in remaining.authors:
            twin = next((a for a in current.authors if same_person(a.name, entry.name)), None)
            if twin is not None:  # keep the marks set on the survivor
                entry = dataclasses.replace(
                    entry,
                    student=entry.student or twin.student,
                    equal=entry.equal or twin.equal,
                    corresponding=entry.corresponding or twin.corresponding,
                )
            authors.append(entry)
        changes["authors"] = tuple(authors)
        changes["authors_truncated"] = remaining.authors_truncated
        changed.append("author")
    fields = dict(current.fields)
    for name, value in current.fields.items():
        if name in removed.fields and fold(str(removed.fields[name])) == fold(str(value)):
            theirs = remaining.fields.get(name)
            if theirs is None:
                del fields[name]
                changed.append(name)
            elif fold(str(theirs)) != fold(str(value)):
                fields[name] = theirs
                changed.append(name)
    if fields != current.fields:
        changes["fields"] = fields
    for name in ("awards", "tags"):
        ours = getattr(current, name)
        gone = {fold(x) for x in getattr(removed, name)} - {
            fold(x) for x in getattr(remaining, name)
        }
        kept = tuple(x for x in ours if fold(x) not in gone)
        if kept != ours:
            changes[name] = kept
            changed.append(name)
    return dataclasses.replace(current, **changes), changed


def unmerge(session: Session, key: str) -> UnmergeOutcome:
    """Make the entry merged away under ``key`` a paper again (see the module docstring)."""
    from pubdb.paperio import load_papers, record_from_paper

    folded = fold_cite_key(key)
    alias = session.scalars(select(CiteKeyAlias).where(CiteKeyAlias.key_folded == folded)).first()
    if alias is None:
        own = session.scalar(select(Paper.key).where(Paper.key_folded == folded))
        if own is not None:
            raise InputError(
                f"{own} is a paper's own cite key; unmerge takes the key of an entry merged "
                "into a paper (an alias: see `pubdb show`)"
            )
        raise NotFoundError(f"no paper with key {key!r}")
    paper_id, restored_key = alias.paper_id, alias.key
    sources = list(
        session.scalars(
            select(PaperSource).where(PaperSource.paper_id == paper_id).order_by(PaperSource.id)
        )
    )
    group = [
        s for s in sources if s.merged_from_key and fold_cite_key(s.merged_from_key) == folded
    ] or [s for s in sources if not s.merged_from_key and fold_cite_key(s.cite_key) == folded]
    (paper,) = load_papers(session, [paper_id])
    if not group:
        raise InputError(
            f"{restored_key} is an alias of {paper.key} with no stored entry of its own "
            "(a renamed key, not a merge): nothing to unmerge"
        )
    rest = [s for s in sources if s not in group]
    if not rest:
        raise InputError(
            f"every stored entry of {paper.key} is {restored_key}'s: nothing would be left"
        )
    reader = SourceReader(session)
    restored = _combine([reader.record(s) for s in group], restored_key)
    try:
        remaining: BibRecord | None = _combine([reader.record(s) for s in rest], paper.key)
    except InputError:
        remaining = None  # the survivor's own sources are unreadable: keep it as it is

    current = record_from_paper(paper)
    survivor_key = paper.key
    writer = _Writer(session)
    writer.know(current, paper.venue_id)
    reverted: list[str] = []
    if remaining is not None:
        updated, reverted = revert_contributions(current, restored, remaining)
        if reverted:
            years = _award_years(session, [paper_id])
            writer.writer.replace(paper_id, updated)
            _restore_award_years(session, paper_id, years)

    # Aliases that were the restored entries' cite keys (or their biblatex ids) go with them.
    keys = {fold_cite_key(s.cite_key) for s in group} | {
        fold_cite_key(k) for k in restored.fields.get("ids", "").split(",") if k.strip()
    }
    keys.discard(folded)
    moving = list(
        session.scalars(
            select(CiteKeyAlias).where(
                CiteKeyAlias.paper_id == paper_id, CiteKeyAlias.key_folded.in_(keys)
            )
        )
    )
    session.execute(delete(CiteKeyAlias).where(CiteKeyAlias.id == alias.id))
    session.flush()
    new_id = writer.writer.insert(restored, restored_key)
    writer.writer.finish()
    for moved in moving:
        session.execute(
            update(CiteKeyAlias).where(CiteKeyAlias.id == moved.id).values(paper_id=new_id)
        )
    for source in group:
        own = fold_cite_key(source.cite_key) == folded
        session.execute(
            update(PaperSource)
            .where(PaperSource.id == source.id)
            .values(paper_id=new_id, merged_from_key=None if own else source.cite_key)
        )
    insert_rows(
        session,
        PaperRelation,
        [
            {
                "from_paper_id": new_id,
                "to_paper_id": paper_id,
                "kind": NOT_DUPLICATE,
                "note": f"unmerged from {survivor_key}",
            }
        ],
    )
    session.expire_all()
    return UnmergeOutcome(
        key=restored_key,
        survivor=survivor_key,
        sources=len(group),
        aliases=[m.key for m in moving],
        reverted=reverted,
    )


# --------------------------------------------------------------------------------------------
# Disagreements between a paper's sources
# --------------------------------------------------------------------------------------------


def paper_conflicts(session: Session, paper_id: int) -> list[FieldConflict]:
    """What a paper's stored sources say differently from the paper (``show`` lists them).

    Recomputed from the raw sources: each is parsed again and folded into the paper's current
    record with :func:`pubdb.merge.merge_records`; its conflicts are the disagreements, each
    with ``source`` = the entry's cite key. Unreadable sources are skipped; a paper with a
    single source has none.
    """
    from pubdb.paperio import load_papers, record_from_paper

    sources = list(
        session.scalars(
            select(PaperSource).where(PaperSource.paper_id == paper_id).order_by(PaperSource.id)
        )
    )
    if len(sources) < 2:
        return []
    papers = load_papers(session, [paper_id])
    if not papers:
        return []
    current = record_from_paper(papers[0])
    reader = SourceReader(session)
    found: list[FieldConflict] = []
    seen: set[tuple[str, str]] = set()
    for source in sources:
        try:
            record = reader.record(source)
        except InputError:
            continue
        for conflict in merge_records(current, record).conflicts:
            mark = (conflict.field, fold(conflict.other))
            if mark not in seen:
                seen.add(mark)
                found.append(dataclasses.replace(conflict, source=source.cite_key))
    return found


__all__ = [
    "MergeOutcome",
    "SourceReader",
    "UnmergeOutcome",
    "find_clusters",
    "load_items",
    "merge_by_keys",
    "merge_papers",
    "merge_sure",
    "not_duplicate_pairs",
    "paper_by_key",
    "paper_conflicts",
    "query_paper_ids",
    "revert_contributions",
    "unmerge",
]
