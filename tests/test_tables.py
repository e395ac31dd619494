"""pubdb.tables: the Core tables are the ORM's tables, and the ORM's annotations match them.

The migrated schema is compared with ``Base.metadata`` in tests/test_store.py (SQLite and
PostgreSQL); here: every ``Mapped[...]`` column annotation in pubdb.model names a column of the
class's table with the nullability the annotation says, and every column is annotated.
"""

from __future__ import annotations

import typing

import pytest
from sqlalchemy import inspect

from pubdb import model, tables

CLASSES = sorted(
    (cls for cls in vars(model).values() if isinstance(cls, type) and issubclass(cls, model.Base)),
    key=lambda cls: cls.__name__,
)
CLASSES.remove(model.Base)


def test_one_metadata_holds_every_table():
    assert model.Base.metadata is tables.metadata
    mapped = {cls.__table__.name for cls in CLASSES}
    assert mapped | {"paper_tags"} == set(tables.metadata.tables)
    assert model.paper_tags is tables.paper_tags
    assert dict(tables.metadata.naming_convention) == model.NAMING_CONVENTION


def _column_annotations(cls: type) -> dict[str, typing.Any]:
    """Annotation name -> the type inside ``Mapped[...]``, for annotations that are columns."""
    hints = typing.get_type_hints(cls, vars(model))
    relationships = set(inspect(cls).relationships.keys())
    return {
        name: typing.get_args(hint)[0]
        for name, hint in hints.items()
        if typing.get_origin(hint) is model.Mapped and name not in relationships
    }


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_annotations_match_the_table(cls: type):
    table = cls.__table__
    annotated = _column_annotations(cls)
    assert set(annotated) == set(table.columns.keys())
    for name, python_type in annotated.items():
        optional = type(None) in typing.get_args(python_type)
        assert optional == table.columns[name].nullable, f"{cls.__name__}.{name}"
        assert getattr(cls, name).property.columns == [table.columns[name]]
