r"""Splitting BibTeX text into blocks: a fast scanner for plain entries, bibtexparser for the rest.

Why a second splitter: bibtexparser's splitter is the reference (it decides what a block is,
where it ends and why a broken one fails), but it walks the text one delimiter at a time in
Python, ~55 us an entry: nearly half of what reading a large file cost. Nearly every block of
a real file is a plain entry ``@type{key, name = value, ...}``; ``split_fast`` recognises those
with one regular expression each (~11 us an entry) and hands every other block to bibtexparser
(``split_bibtexparser``) - the way ``textnorm`` decodes common accents from a table and
leaves the rest to pylatexenc. Both give the same blocks for the same text: the differential
test (``tests/test_bibtex_differential.py``) holds them to it on every corpus file, the
synthetic benchmark bibliography and generated near-BibTeX. ``read_bibtex(...,
splitter="bibtexparser")`` reads with bibtexparser alone.

Why it can be sure. bibtexparser always starts a new block at a line that starts with
``@type{`` or ``@type(`` (it cuts an unfinished block there), so the text is cut into
*segments* at those lines and each segment is split on its own. A segment takes the fast path
only when it is exactly one ``{``-delimited entry that matches ``_ENTRY`` below, followed by
free text without ``@`` (an implicit comment). The grammar reads each character as
bibtexparser does - a brace, quote or comma right after a backslash is not a delimiter (its
marks are ``(?<!\\)``-guarded), braces do not count inside ``"..."`` - so where the grammar
matches, bibtexparser finds the same key, fields, values and end. Every other segment goes
to bibtexparser on its own, with the next segment's ``@type{`` appended so that an unclosed
entry fails exactly as it does in the whole text. Taken by bibtexparser, for example:

- ``@string``, ``@preamble``, ``@comment``; ``(``-delimited blocks; an entry without fields;
- a key or field name with a space, backslash, quote, brace, ``=``, ``#`` or ``@`` in it;
- a value that is not ``{...}``, ``"..."`` or a bare word or number, or such parts joined by
  ``#``; braces nested more than 6 deep; a ``"`` that would close a string right after a
  ``{`` (bibtexparser reads ``{"}`` as a literal quote);
- ``@word{`` or ``@word(`` anywhere inside the entry, an ``@`` in the text after it, white
  space other than space, tab, CR and LF between the parts;
- the text before the first such line (a file's header comment).

Line numbers: bibtexparser does not count a line break right after a backslash (the line
break is one of its ``(?<!\\)``-guarded marks), so after ``title = {A \\`` at the end of a
line every block it reports is a line early. Inside, both paths count as bibtexparser does
(so that no line depends on the path or the cuts); both public functions then turn those
lines into the text's real ones (``_real_lines``), which is what an error message names.
"""

from __future__ import annotations

import itertools
import re
from typing import NamedTuple

import bibtexparser
from bibtexparser.model import Block, ImplicitComment, ParsingFailedBlock

from ._bibtex_values import braced_pattern

# Where bibtexparser always starts a new block: `@type{` or `@type(` at the start of a line.
LINE_BLOCK_START = re.compile(r"^[ \t]*@\w*[ \t]*[{(]", re.MULTILINE)
# The same after a line break: starting with a literal, it is searched for ~4x faster.
_NEXT_LINE_BLOCK_START = re.compile(r"\n[ \t]*+@\w*+[ \t]*+[{(]")
# bibtexparser's block-start mark (without its line-start condition).
_BLOCK_MARK = re.compile(r"@\w*[ \t]*[{(]")
_SPECIAL = ("@comment", "@preamble", "@string")

# The grammar of a plain entry. Possessive quantifiers throughout: it is unambiguous, so
# nothing needs backtracking, and a failed match costs one pass.
_S = r"[ \t\r\n]*+"
# A value: {...} (up to 6 nested groups), "..." (braces are plain text inside quotes to
# bibtexparser; a quote right after `{` does not end it: `{"}`), or a bare word or number;
# parts joined by `#`.
_QUOTED = r'"(?:[^"\\]++|\\++[^\\])*+(?<!\{)"'
_WORD = r'[^\s,{}"=#@\\]++'
_VALUE_PART = "(?:" + braced_pattern(6) + "|" + _QUOTED + "|" + _WORD + ")"
_VALUE = _VALUE_PART + "(?:" + _S + "#" + _S + _VALUE_PART + ")*+"
_FIELD = _S + "(" + _WORD + ")" + _S + "=" + _S + "(" + _VALUE + ")" + _S
_HEAD = r"[ \t]*+(@\w*+[ \t]*+)\{" + _S + r'([^\s,{}"=#@\\]*+)' + _S + ","
# One match captures the type mark, the key and up to _FIELDS (name, value) pairs...
_FIELDS = 16
_ENTRY = re.compile(_HEAD + ("(?:" + _FIELD + r"(?:,|(?=\}))" + ")?+") * _FIELDS + _S + r"\}")
# ... a longer entry is matched whole, then its fields found one by one.
_LONG_ENTRY = re.compile(_HEAD + "(?:" + _FIELD + ",)*+(?:" + _FIELD + ")?" + _S + r"\}")
_ONE_FIELD = re.compile(_FIELD)
_ENTRY_TYPES: dict[str, str] = {}  # "@article " -> "article"


class FastEntry(NamedTuple):
    """An entry as bibtexparser's splitter would give it: its fields' raw values, in order."""

    entry_type: str  # lower case
    key: str
    raw: str
    fields: list[tuple[str, str]]


# A split text: blocks in file order, each with its line (0-based, from the text's start).
Blocks = list[tuple[Block | FastEntry, int]]


def drop_traceback(error: BaseException | None) -> None:
    """A failed block's exception holds the splitter's frame, which holds every block of the
    chunk: a reference cycle that would keep the chunk alive while the collector is off."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        error = error.__context__ or error.__cause__


def _lines(text: str, start: int, end: int) -> int:
    """Line breaks in ``text[start:end]`` as bibtexparser counts them (not after a backslash)."""
    return text.count("\n", start, end) - text.count("\\\n", start, end)


def _real_lines(text: str, blocks: Blocks) -> Blocks:
    """``blocks`` with the lines bibtexparser counts in ``text`` (a line break after a
    backslash not counted) made the text's real lines.

    A counted line holds one real line, or several when all but the last end with a
    backslash; a block gets the first of them: where a block starts (``@type{``, or the free
    text after an entry) a backslash seldom ends the line before.
    """
    if "\\\n" not in text:
        return blocks
    lines = text.split("\n")
    # The real line where each counted line starts.
    starts = [0, *(real for real, line in enumerate(lines[:-1], 1) if not line.endswith("\\"))]
    last = len(starts) - 1
    return [(block, starts[min(line, last)]) for block, line in blocks]


def split_bibtexparser(text: str, lookahead: str = "") -> Blocks:
    """bibtexparser's blocks for ``text``, each with its line.

    ``lookahead`` is the start of the block after the text (``@misc{``): appended, it makes an
    unclosed last entry fail exactly as in the whole file ("Unexpected block start"); the stub
    block it starts (always the last block) is dropped. If bibtexparser raises (a bug on some
    odd input), the text is split again one segment at a time, so that only the segment that
    triggers it is lost.
    """
    return _real_lines(text, _bibtexparser_blocks(text, lookahead))


def _bibtexparser_blocks(text: str, lookahead: str) -> Blocks:
    """:func:`split_bibtexparser` with the lines as bibtexparser counts them."""
    try:
        blocks = bibtexparser.parse_string(text + lookahead, parse_stack=[]).blocks
    except Exception:  # any splitter crash: retry segment by segment
        return _split_segments(text, lookahead, fast=False)
    for block in blocks:
        if isinstance(block, ParsingFailedBlock):
            drop_traceback(block.error)
    if lookahead and blocks:
        blocks = blocks[:-1]
    return [(block, block.start_line or 0) for block in blocks]


def split_fast(text: str, lookahead: str = "") -> Blocks:
    """The same blocks as ``split_bibtexparser(text, lookahead)``, plain entries as
    ``FastEntry`` (see the module docstring for which blocks take the fast path)."""
    return _real_lines(text, _split_segments(text, lookahead, fast=True))


def _split_segments(text: str, lookahead: str, fast: bool) -> Blocks:
    """Cut the text where lines start with ``@type{`` and split each segment on its own."""
    starts = [(m.start() + 1, m.end()) for m in _NEXT_LINE_BLOCK_START.finditer(text)]
    first = LINE_BLOCK_START.match(text)
    starts.insert(0, (0, first.end() if first else 0))
    starts.append((len(text), len(text)))
    escaped_breaks = "\\\n" in text  # line breaks bibtexparser does not count (see top)
    out: Blocks = []
    line = 0
    for (begin, header_end), (end, next_header_end) in itertools.pairwise(starts):
        if not (fast and header_end and _fast_entry(text, begin, end, line, out)):
            next_header = text[end:next_header_end] if end < len(text) else lookahead
            out.extend(_split_segment(text[begin:end], next_header, line))
        line += text.count("\n", begin, end)
        if escaped_breaks:
            line -= text.count("\\\n", begin, end)
    return out


def _split_segment(segment: str, lookahead: str, line: int) -> Blocks:
    """bibtexparser on one segment; a crash fails the segment alone (one failed block)."""
    try:
        blocks = bibtexparser.parse_string(segment + lookahead, parse_stack=[]).blocks
    except Exception as exc:  # the segment that crashes the splitter fails alone
        drop_traceback(exc)
        leading = segment[: len(segment) - len(segment.lstrip())].count("\n")
        failed = ParsingFailedBlock(error=exc, start_line=0, raw=segment.rstrip())
        return [(failed, line + leading)]
    for block in blocks:
        if isinstance(block, ParsingFailedBlock):
            drop_traceback(block.error)
    if lookahead and blocks:
        blocks = blocks[:-1]
    return [(block, line + (block.start_line or 0)) for block in blocks]


def _fast_entry(text: str, begin: int, end: int, line: int, out: Blocks) -> bool:
    """Append the segment ``text[begin:end]`` as a ``FastEntry`` (and its trailing comment)
    if it is a plain entry; False (nothing appended) if bibtexparser must split it."""
    match = _ENTRY.match(text, begin, end)
    if match is not None:
        groups = match.groups()  # mark, key, then (name, value) pairs; absent ones None
        pairs = iter(groups[2 : groups.index(None) if groups[-1] is None else len(groups)])
        fields = list(zip(pairs, pairs, strict=True))
    else:
        match = _LONG_ENTRY.match(text, begin, end)
        if match is None:
            return False
        fields = _ONE_FIELD.findall(text, match.end(2), match.end() - 1)
    mark = match.group(1).lower()
    close = match.end()
    if (
        mark.startswith(_SPECIAL)
        or _BLOCK_MARK.search(text, match.end(1), close) is not None
        or text.find("@", close, end) >= 0
    ):
        return False
    entry_type = _ENTRY_TYPES.get(mark)
    if entry_type is None:  # one string per type, not one per entry
        entry_type = mark[1:].strip()
        if len(_ENTRY_TYPES) < 1024:
            _ENTRY_TYPES[mark] = entry_type
    entry = FastEntry(entry_type, match.group(2), text[match.start(1) : close], fields)
    out.append((entry, line))
    if close < end and not text[close:end].isspace():
        comment = _implicit_comment(text[close:end], line + _lines(text, begin, close))
        if comment is not None:
            out.append(comment)
    return True


def _implicit_comment(text: str, line: int) -> tuple[ImplicitComment, int] | None:
    """The free text after a block, as bibtexparser's ``_end_implicit_comment`` makes it:
    from its first non-space character (whose line it gets), trailing white space cut."""
    start = next((index for index, char in enumerate(text) if not char.isspace()), None)
    if start is None:
        return None
    comment = text[start:].rstrip()
    block = ImplicitComment(start_line=0, raw=comment, comment=comment)
    return block, line + text.count("\n", 0, start)
