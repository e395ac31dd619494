"""Importers: one module per input format, each returning normalised records plus problems."""

from __future__ import annotations

from .bibtex import BibtexReadResult, ReadProblem, read_bibtex

__all__ = ["BibtexReadResult", "ReadProblem", "read_bibtex"]
