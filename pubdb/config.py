"""Where the database is: ``--db``, else ``$PUBDB_DB``, else the user's application folder."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DB = "PUBDB_DB"
APP_NAME = "pubdb"
DEFAULT_DB_NAME = "pubdb.sqlite"


def default_db_path() -> Path:
    """``pubdb.sqlite`` in the platform's per-user application folder."""
    from click import get_app_dir

    return Path(get_app_dir(APP_NAME)) / DEFAULT_DB_NAME


def resolve_db_location(option: str | None) -> str:
    """The database the command works on, as a path or a SQLAlchemy URL."""
    if option:
        return option
    from_env = os.environ.get(ENV_DB, "").strip()
    if from_env:
        return from_env
    path = default_db_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from pubdb.errors import DatabaseError

        raise DatabaseError(
            f"{path}: cannot create folder {path.parent} ({exc.strerror or exc}); "
            f"use --db or ${ENV_DB}"
        ) from exc
    return str(path)
