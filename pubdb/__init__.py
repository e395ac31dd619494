"""pubdb: a publication database and BibTeX manager for researchers."""

__version__ = "0.1.0"
