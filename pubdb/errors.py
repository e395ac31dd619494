"""Domain exceptions: each carries the one line the user sees; the CLI maps them to exit 1."""

from __future__ import annotations


class PubdbError(Exception):
    """Base for every error that is the user's input or data, not a bug in pubdb."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(PubdbError):
    """A file or value the user gave cannot be read (names the file, line and problem)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class DatabaseError(PubdbError):
    """The database cannot be opened, is newer than this pubdb, or cannot be migrated."""


class NotFoundError(PubdbError):
    """A cite key, author, venue or tag the user named does not exist."""


class AmbiguousError(PubdbError):
    """A name matches several records; the message lists the candidates."""


class QueryError(PubdbError):
    """A query term cannot be parsed; the message says which fields exist."""
