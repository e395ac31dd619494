"""Real-world .bib files (read in place from ../shared/corpora) go through read_bibtex safely.

For every file: no traceback, nothing printed, and the accounting rule holds - every entry in
the file is either a record or exactly one failed-entry error - with the entry count checked
against bibtexparser's own unchunked split of the same text.
"""

from __future__ import annotations

import logging
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

from pubdb.errors import InputError
from pubdb.importers import read_bibtex
from pubdb.importers.bibtex import _block_kind

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
FILES = sorted(CORPORA.glob("real-world/**/*.bib")) + sorted(CORPORA.glob("duplicates/*.bib"))


def _bibtexparser_entry_count(text: str) -> int:
    """Entry-like blocks as bibtexparser alone sees them (no chunking, no pubdb)."""
    count = 0
    for block in bibtexparser.parse_string(text, parse_stack=[]).blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            block = block.ignore_error_block
        if isinstance(block, Entry):
            count += 1
        elif isinstance(block, ParsingFailedBlock):
            inner = block.ignore_error_block
            if isinstance(inner, Entry) or _block_kind(block.raw or "")[0] == "entry":
                count += 1
    return count


@pytest.mark.skipif(not FILES, reason=f"no corpora at {CORPORA}")
@pytest.mark.parametrize(
    "path", FILES, ids=[str(path.relative_to(CORPORA)) for path in FILES] or None
)
def test_corpus_file_is_read_and_accounted_for(path: Path, capfd: pytest.CaptureFixture[str]):
    logging.getLogger("bibtexparser").setLevel(logging.WARNING)
    try:
        result = read_bibtex(path)
    except InputError as error:
        # Only files with no @ block at all may be refused, with the one-line message.
        assert "@" not in path.read_text(encoding="latin-1")
        assert str(error) == f"{path}: not a BibTeX file (no @entry found)"
        return
    finally:
        out, err = capfd.readouterr()
        assert (out, err) == ("", "")

    assert result.entry_count == len(result.records) + len(result.failed)
    assert all(problem.line for problem in result.failed)
    assert [p.reason for p in result.problems if p.reason.startswith("cannot normalise")] == []
    text = path.read_bytes().decode(result.encoding)
    assert result.entry_count == _bibtexparser_entry_count(text.removeprefix("\ufeff"))
    for record in result.records:
        assert record.key
        assert record.source is not None and record.source.raw.lstrip().startswith("@")
        assert "others" not in [entry.name.family.lower() for entry in record.authors]
