"""`pubdb db copy DEST`: copy every record of one database into another, ids and all.

The typical use is moving a personal SQLite file into a lab's PostgreSQL database (or back).
Every table of the schema is copied row by row with Core, parents before children
(``Base.metadata.sorted_tables``), keeping ids, so papers, authors and their spellings,
authorships with their marks, editors, venues with their aliases and workshops, awards, tags
with their titles and order, cite-key aliases, import batches, raw sources, paper relations and
the owner arrive exactly as they were.

The destination is created and migrated to head first. The rule that makes a second run add
nothing: the destination must be empty (no pubdb records), or already hold exactly the
source's records, in which case nothing is written. A destination holding anything else is
refused (to add papers to a database that has others, import them there). The copy is one
transaction on each side: the destination holds everything or nothing, and the source is held
against writers while it is read so the copy is consistent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table, exists, func, insert, select, update
from sqlalchemy.orm import Session

from pubdb.errors import DatabaseError
from pubdb.model import Base
from pubdb.store import Store, reset_id_sequences

BATCH_ROWS = 5000


@dataclass
class CopyReport:
    """Rows copied per table (in copy order); ``already`` = the destination held them all."""

    destination: str
    rows: dict[str, int] = field(default_factory=dict)
    already: bool = False

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_tables() -> list[Table]:
    """Every table of the schema, each after the tables it refers to."""
    return list(Base.metadata.sorted_tables)


def _self_references(table: Table) -> list[str]:
    """Columns that point into their own table (a venue's parent): filled in afterwards."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _normal(table: Table) -> Any:
    """A row -> comparable, insertable values: timestamps as aware UTC datetimes (SQLite
    returns them naive, PostgreSQL in its session's time zone)."""
    stamps = [c.name for c in table.columns if isinstance(c.type, DateTime)]

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        for name in stamps:
            value = row[name]
            if isinstance(value, datetime):
                row[name] = (
                    value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
                )
        return row

    return convert


def _rows(session: Session, table: Table) -> Iterator[dict[str, Any]]:
    """Every row of ``table`` in primary-key order, as plain dicts."""
    convert = _normal(table)
    statement = select(table).order_by(*table.primary_key.columns)
    result = session.execute(statement.execution_options(yield_per=BATCH_ROWS))
    for row in result.mappings():
        yield convert(dict(row))


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _is_empty(session: Session, tables: Sequence[Table]) -> bool:
    return not any(session.scalar(select(exists().select_from(table))) for table in tables)


def _first_difference(source: Session, destination: Session, tables: Sequence[Table]) -> str:
    """The first table whose rows differ between the two databases ("" when none does)."""
    for table in tables:
        counted = select(func.count()).select_from(table)
        if source.scalar(counted) != destination.scalar(counted):
            return table.name
        for ours, theirs in zip(_rows(source, table), _rows(destination, table), strict=True):
            if ours != theirs:
                return table.name
    return ""


def _copy_table(source: Session, destination: Session, table: Table) -> int:
    later = _self_references(table)
    pending: list[dict[str, Any]] = []
    copied = 0
    for batch in _batches(_rows(source, table)):
        if later:
            pending.extend(
                {"id": row["id"], **{name: row[name] for name in later}}
                for row in batch
                if any(row[name] is not None for name in later)
            )
            batch = [{**row, **dict.fromkeys(later)} for row in batch]
        destination.execute(insert(table), batch)
        copied += len(batch)
    for row in pending:
        destination.execute(
            update(table).where(table.c.id == row["id"]).values({name: row[name] for name in later})
        )
    return copied


def copy_database(source: Store, destination: Store) -> CopyReport:
    """Copy every record of ``source`` into ``destination`` (see the module docstring).

    Raises ``DatabaseError`` when the destination is the source itself, or holds records
    that are not exactly the source's.
    """
    if source.engine.url == destination.engine.url:
        raise DatabaseError(f"{destination.location}: is the database being copied")
    tables = copy_tables()
    report = CopyReport(destination=destination.location)
    with source.transaction() as src, destination.transaction() as dst:
        if not _is_empty(dst, tables):
            differs = _first_difference(src, dst, tables)
            if differs:
                raise DatabaseError(
                    f"{destination.location}: already holds other records (table {differs} "
                    "differs); db copy fills an empty database only — import the papers "
                    "there instead, or copy into a new database"
                )
            report.already = True
            return report
        for table in tables:
            report.rows[table.name] = _copy_table(src, dst, table)
        reset_id_sequences(dst, tables)
    return report
