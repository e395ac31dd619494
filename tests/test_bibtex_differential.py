"""Differential tests: the fast paths give exactly what bibtexparser gives.

``pubdb.importers._bibtex_split.split_fast`` (a regex scanner for plain entries, bibtexparser
for every other block) must give the same blocks as bibtexparser's splitter alone, and
``read_bibtex(splitter="fast")`` the same result as ``read_bibtex(splitter="bibtexparser")``:
records, problems, preamble, comments, strings, entry count. Likewise
``pubdb.names.split_name_list`` (its shortcuts) and pubdb's own name-list scanner
(``pubdb.names._split_names``), and that scanner and bibtexparser's
``split_multiple_persons_names``, which differ only where a name after " and " starts with an
escape (pubdb keeps it, bibtexparser skips it).

Inputs: every file under ``../shared/corpora`` (skipped when the folder is missing), the
synthetic benchmark bibliography (``benchmarks/synth.py``), hypothesis-generated entries that
sit on the border of what the fast path accepts (escapes, quotes, nesting, odd white space,
``@`` inside entries, ``(``-blocks, broken entries), and the fuzz tests' near-BibTeX.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest
from bibtexparser.middlewares.names import split_multiple_persons_names
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ExplicitComment,
    ImplicitComment,
    ParsingFailedBlock,
    Preamble,
    String,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_import import near_bibtex

from pubdb.errors import InputError
from pubdb.importers import bibtex as bibtex_module
from pubdb.importers import read_bibtex
from pubdb.importers._bibtex_split import FastEntry, split_bibtexparser, split_fast
from pubdb.names import (
    _name_spans,  # the scanner the shortcuts must match
    _split_names,
    parse_name,
    parse_name_list,
    split_name_list,
)
from tests.conftest import synthetic_bib

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
CORPUS_FILES = sorted(path for path in CORPORA.rglob("*") if path.is_file())
EXAMPLES = int(os.environ.get("PUBDB_FUZZ_EXAMPLES", "200"))
DIFF = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)


def block_view(blocks: list) -> list[tuple]:
    """Blocks as comparable tuples; bibtexparser's duplicate wrappers unwrapped (pubdb does)."""
    view = []
    for block, line in blocks:
        if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
            block = block.ignore_error_block
        if isinstance(block, FastEntry):
            view.append(("entry", line, block.entry_type, block.key, block.raw, block.fields))
        elif isinstance(block, Entry):
            fields = [(field.key, field.value) for field in block.fields]
            view.append(("entry", line, block.entry_type, block.key, block.raw, fields))
        elif isinstance(block, ParsingFailedBlock):
            reason = bibtex_module._failure_reason(block.error)
            view.append(("failed", line, block.raw, reason))
        elif isinstance(block, String):
            view.append(("string", line, block.key, block.value, block.raw))
        elif isinstance(block, Preamble):
            view.append(("preamble", line, block.value, block.raw))
        elif isinstance(block, ExplicitComment | ImplicitComment):
            view.append((type(block).__name__, line, block.comment, block.raw))
        else:  # pragma: no cover - a block type this test does not know
            raise AssertionError(f"unexpected block {block!r}")
    return view


def result_view(source: str | Path, **kwargs) -> tuple | str:
    try:
        result = read_bibtex(source, **kwargs)
    except InputError as error:
        return str(error)
    return (
        result.records, result.problems, result.preamble, result.comments, result.strings,
        result.entry_count, result.encoding,
    )  # fmt: skip


def assert_same_split(text: str, lookahead: str = "") -> None:
    fast = block_view(split_fast(text, lookahead))
    reference = block_view(split_bibtexparser(text, lookahead))
    assert fast == reference


def assert_same_read(text: str, **kwargs) -> None:
    fast = result_view("t.bib", text=text, splitter="fast", **kwargs)
    reference = result_view("t.bib", text=text, splitter="bibtexparser", **kwargs)
    assert fast == reference


# --------------------------------------------------------------------------------------------
# Corpora and the synthetic benchmark file
# --------------------------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpora at {CORPORA}")
@pytest.mark.parametrize(
    "path", CORPUS_FILES, ids=[str(p.relative_to(CORPORA)) for p in CORPUS_FILES] or None
)
def test_corpus_file_reads_the_same_on_both_paths(path: Path, monkeypatch):
    reference = result_view(path, splitter="bibtexparser", workers=1)
    assert result_view(path, splitter="fast", workers=1) == reference
    # cut into many chunks: still the same (line numbers, lookahead at every cut)
    monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", 3000)
    assert result_view(path, splitter="fast", workers=1) == reference
    text = path.read_bytes().decode("latin-1")
    assert_same_split(text)


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "two-workers"])
def test_synthetic_file_reads_the_same_on_both_paths(workers, monkeypatch):
    text = synthetic_bib(1500, seed=7)
    assert_same_split(text)
    reference = result_view("s.bib", text=text, splitter="bibtexparser", workers=1)
    monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", 20_000)
    monkeypatch.setattr(bibtex_module, "_PARALLEL_MIN_CHARS", 0)
    assert len(bibtex_module._chunk_bounds(text)) > 10
    fast = result_view("s.bib", text=text, splitter="fast", workers=workers)
    assert fast == reference
    records = reference[0]
    assert len(records) == 1500 and records[0].source.raw.startswith("@")


def test_nearly_every_synthetic_entry_takes_the_fast_path():
    blocks = split_fast(synthetic_bib(500, seed=1))
    entries = [b for b, _ in blocks if isinstance(b, FastEntry | Entry | DuplicateFieldKeyBlock)]
    assert len(entries) == 500
    assert sum(isinstance(b, FastEntry) for b in entries) == 500


# --------------------------------------------------------------------------------------------
# Generated entries on the border of the fast path
# --------------------------------------------------------------------------------------------

WHITE = st.sampled_from(["", " ", "  ", "\n", "\t", "\r\n", "\n  ", "\xa0", "\x0c", "\u2003"])
VALUE_PIECES = ["x", "Title", " ", "{", "}", "\\", "\\{", "\\}", "\\\\", '"', '\\"', '{"}', "#",
                ",", "=", "@", "@misc{", "\n@misc{", "\n  @x(", "\n@comment{", "(", ")", "%",
                "\n", "\\\n", "é", "and", "\t", "\r", "\x0b"]  # fmt: skip
CONTENT = st.lists(st.sampled_from(VALUE_PIECES), max_size=8).map("".join)


@st.composite
def braced(draw: st.DrawFn, depth: int = 0) -> str:
    parts = draw(st.lists(st.one_of(CONTENT, st.just("@")), max_size=3))
    if depth < 8 and draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), draw(braced(depth + 1)))
    return "{" + "".join(parts) + "}"


PART = st.one_of(
    braced(),
    braced(),
    CONTENT.map(lambda s: '"' + s + '"'),
    st.sampled_from(["2020", "jan", "foo", "x y", "x\\y", "a,b", "{}", '""', "{x", "x}"]),
    CONTENT,
)
VALUE = st.lists(PART, min_size=1, max_size=3).flatmap(
    lambda parts: st.sampled_from([" # ", "#", " #\n ", " ", ""]).map(lambda sep: sep.join(parts))
)
NAME = st.sampled_from(["title", "author", "Title", "author+an", "x-y", "a b", "", "t=x",
                        "t\\x", "@x", "y{", "ü", "crossref", "year"])  # fmt: skip
KEY = st.sampled_from(["k1", "K1", "dup", "", "a b", "ü", "x@y", "x\\y", "{k}", "k=1", 'k"',
                       "k#", "k(", "k)"])  # fmt: skip
TYPE = st.sampled_from(["article", "Article", "misc", "inproceedings", "string", "comment",
                        "preamble", "x-y", "", "commentary", "Strings", "ü"])  # fmt: skip


@st.composite
def entry(draw: st.DrawFn) -> str:
    opener, closer = draw(st.sampled_from([("{", "}")] * 6 + [("(", ")"), ("{", ")"), ("{", "")]))
    fields = draw(st.lists(st.tuples(NAME, WHITE, WHITE, VALUE), max_size=5))
    separator = draw(st.sampled_from([",", ",\n  ", ", ", ",,", "", ";"]))
    body = separator.join(f"{name}{w1}={w2}{value}" for name, w1, w2, value in fields)
    trailing = draw(st.sampled_from(["", ",", ",\n", "\n"]))
    head = draw(st.sampled_from(["@", "@", " @", "\t@", "@ ", "\x0c@"]))
    w = draw(WHITE)
    return f"{head}{draw(TYPE)}{opener}{w}{draw(KEY)}{w},{body}{trailing}{closer}"


BETWEEN = st.sampled_from(["\n", "\n\n", "\n% a comment\n", "\nfree text @ here\n", " junk ",
                           "\\\n", "}\n", "\n\n\\\n\n", " ", "", "\n@\n", "\r\n"])  # fmt: skip


@st.composite
def bib_text(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(st.tuples(entry(), BETWEEN), max_size=6))
    return draw(BETWEEN) + "".join(block + between for block, between in blocks)


@DIFF
@given(text=bib_text(), lookahead=st.sampled_from(["", "@misc{", "  @article(", "@comment{"]))
def test_generated_entries_split_the_same(text, lookahead):
    if lookahead and not text.endswith("\n"):
        text += "\n"  # a lookahead only ever follows a line break
    assert_same_split(text, lookahead)


@DIFF
@given(text=bib_text())
def test_generated_entries_read_the_same(text):
    assert_same_read(text, workers=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bibtex_module, "_CHUNK_CHARS", 40)
        assert_same_read(text, workers=1)


@DIFF
@given(text=near_bibtex())
def test_fuzzed_near_bibtex_reads_the_same(text):
    assert_same_split(text)
    assert_same_read(text, workers=1)


def test_the_fast_path_takes_plain_entries_and_declines_the_rest():
    plain = '@Article{k1,\n  title = {A {B} \\{C\\}} # "q {\\"o}" # jan,\n  year = 2020,\n}\n'
    [(block, line)] = split_fast(plain)
    assert isinstance(block, FastEntry) and line == 0
    assert block == FastEntry(
        "article", "k1", plain.rstrip(), [("title", '{A {B} \\{C\\}} # "q {\\"o}" # jan'),
                                          ("year", "2020")],
    )  # fmt: skip
    declined = [
        "@string{a = {x}}\n",  # not an entry
        "@misc(k, title = {x})\n",  # ( delimiters
        "@misc{k, title = {x\n@misc{y}}\n",  # a block start inside
        '@misc{k, title = "x{"}y"}\n',  # {"} is a literal quote to bibtexparser
        "@misc{k, title = {x}}\nmail@example{.org}\n",  # an @ after it
        "@misc{k, title = {x},\xa0year = 1}\n",  # odd white space
        "@misc{k, ti tle = {x}}\n",  # a space in a field name
    ]
    for text in declined:
        assert not any(isinstance(b, FastEntry) for b, _ in split_fast(text)), text
        assert_same_split(text)


def test_lines_follow_bibtexparser_after_a_backslash_line_break(monkeypatch):
    # bibtexparser does not count a line break right after a backslash; lines must not
    # depend on the path nor on where chunks are cut, and no cut may invent a failed entry.
    text = "".join(f"@misc{{k{i},\n  title = {{A \\\\\n B}},\n}}\n\n" for i in range(60))
    reference = result_view("b.bib", text=text, splitter="bibtexparser")
    monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", 100)
    for splitter in ("fast", "bibtexparser"):
        assert result_view("b.bib", text=text, splitter=splitter) == reference
    assert len(reference[0]) == 60 and reference[1] == []


def test_unknown_splitter_is_refused():
    with pytest.raises(ValueError, match="splitter"):
        read_bibtex("x.bib", text="@misc{a, title = {A}}", splitter="pybtex")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Name lists
# --------------------------------------------------------------------------------------------

NAME_PIECES = ["a", "A", "n", "N", "d", "D", "and", "AND", "And", " ", "  ", "\t", "\n", "\r",
               "{", "}", "\\", "x", "~", "\xa0", " and ", "\\'", '{\\"u}', "others", ",",
               "\\{", "\\}", "Andrea", "\\\\", " and}", "{\\v{S}}", " a\\", "Li, X.",
               "et al.", "\\c{C}elik", "\\'E", " and \\'Emile", ' and \\"{U}nal',
               " AND\n \\c{C}"]  # fmt: skip
PIECED_LIST = st.lists(st.sampled_from(NAME_PIECES), max_size=25).map("".join)
# Lists of names, many starting with an escape, between separators of every kind.
LIST_NAME = st.lists(st.sampled_from([*NAME_PIECES[:-3], "Zola", "Li, X."]), max_size=4)
ESCAPED_NAME = st.tuples(
    st.sampled_from(["\\'", "\\c", '\\"', "\\\\", "\\", "\\{", "\\}", "\\ ", "\\\n", "\\a"]),
    LIST_NAME.map("".join),
).map("".join)
LISTED = st.one_of(ESCAPED_NAME, LIST_NAME.map("".join))
SEPARATOR = st.sampled_from([" and ", " AND ", " and\n  ", "\tAnd  ", " and\r\n"])
ESCAPED_LIST = st.tuples(LISTED, st.lists(st.tuples(SEPARATOR, LISTED), max_size=4)).map(
    lambda parts: parts[0] + "".join(separator + name for separator, name in parts[1])
)

LEADING_ESCAPES = re.compile(r"^(?:\\.|\\$)+", re.DOTALL)


def bibtexparser_reading(value: str) -> list[str]:
    """bibtexparser's split as pubdb's scanner predicts it: bibtexparser reads an escape where
    a name after a separator starts (backslash and the character after it) as if it were
    white space, and starts the name after it (or, with no word after it, not at all)."""
    names = value.strip(" \r\n\t")
    if not names:
        return []
    blanked = names
    while escapes := [s for s, _ in _name_spans(blanked)[1:] if blanked[s] == "\\"]:
        for at in escapes:
            blanked = blanked[:at] + "  "[: len(blanked) - at] + blanked[at + 2 :]
    return [names[start:end] for start, end in _name_spans(blanked)]


def assert_differs_from_bibtexparser_only_by_kept_escapes(value: str) -> None:
    ours, theirs = _split_names(value), split_multiple_persons_names(value)
    escaped = [name for name in ours[1:] if name.startswith("\\")]
    if not escaped:
        assert ours == theirs
        return
    assert theirs == bibtexparser_reading(value)
    if all(
        (rest := LEADING_ESCAPES.sub("", name)) and rest[0] not in " \t\r\n}" for name in escaped
    ):
        # the usual case (a word follows the escape): the same names, less the escapes
        assert theirs == [ours[0], *(LEADING_ESCAPES.sub("", name) for name in ours[1:])]
        assert ours != theirs


@DIFF
@given(value=st.one_of(PIECED_LIST, ESCAPED_LIST))
def test_name_lists_split_the_same(value):
    assert split_name_list(value) == _split_names(value)


@DIFF
@given(value=st.one_of(PIECED_LIST, ESCAPED_LIST))
def test_name_lists_parse_like_the_scanner_splits(value):
    # parse_name_list splits on its own (with what it remembered about each name)
    names, truncated = [], False
    for raw in _split_names(value):
        if raw.strip().lower() in ("others", "et al.", "et al", "et. al.", "{others}"):
            truncated = True
        elif (name := parse_name(raw)).family or name.given:
            names.append(name)
    assert parse_name_list(value) == (names, truncated)


@DIFF
@given(value=st.text(max_size=60))
def test_any_text_name_list_splits_the_same(value):
    assert split_name_list(value) == _split_names(value)
    assert_differs_from_bibtexparser_only_by_kept_escapes(value)


@DIFF
@given(value=st.one_of(PIECED_LIST, ESCAPED_LIST))
def test_scanner_is_bibtexparsers_but_keeps_escapes_starting_names(value):
    assert_differs_from_bibtexparser_only_by_kept_escapes(value)


@pytest.mark.parametrize(
    ("value", "ours", "theirs"),
    [
        pytest.param("A and \\'Emile Zola", ["A", "\\'Emile Zola"], ["A", "Emile Zola"], id="word"),
        pytest.param("A and \\c{C}elik", ["A", "\\c{C}elik"], ["A", "{C}elik"], id="brace"),
        pytest.param("A AND\n \\\\\\'E", ["A", "\\\\\\'E"], ["A", "E"], id="two-escapes"),
        pytest.param("A and \\", ["A", "\\"], ["A and \\"], id="at-the-end"),
        pytest.param("A and \\x and B", ["A", "\\x", "B"], ["A", "and B"], id="space-after"),
        pytest.param("A and \\x} B", ["A", "\\x} B"], ["A and \\x} B"], id="brace-after"),
        pytest.param("\\'Emile and B", ["\\'Emile", "B"], ["\\'Emile", "B"], id="first-name"),
    ],
)
def test_bibtexparser_reading_is_predicted(value: str, ours: list[str], theirs: list[str]):
    assert _split_names(value) == split_name_list(value) == ours
    assert split_multiple_persons_names(value) == bibtexparser_reading(value) == theirs
    assert_differs_from_bibtexparser_only_by_kept_escapes(value)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpora at {CORPORA}")
def test_corpus_name_lists_split_the_same():
    values = []
    for path in CORPUS_FILES:
        result = result_view(path, splitter="bibtexparser", workers=1)
        if isinstance(result, str):
            continue
        for block, _line in split_bibtexparser(path.read_bytes().decode("latin-1")):
            if isinstance(block, DuplicateFieldKeyBlock):
                block = block.ignore_error_block
            if isinstance(block, Entry):
                values += [f.value.strip("{}\"") for f in block.fields
                           if f.key.lower() in ("author", "editor")]  # fmt: skip
    assert len(values) > 500
    for value in values:
        assert split_name_list(value) == _split_names(value), value
        assert_differs_from_bibtexparser_only_by_kept_escapes(value)
