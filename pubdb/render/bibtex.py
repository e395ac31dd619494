"""BibTeX writer: clean entries with a stable field order that import reads back unchanged.

Layout: ``@type{key,`` then one ``  name = {value}`` line per field (two spaces, ``,`` after all
but the last), ``}``, and a blank line between entries. Values are braced except ``month``,
written as a macro (``jun``). Field order: author, editor, title, journal/booktitle, series,
edition, year, month, volume, number, pages, publisher, address, organization, school,
institution, howpublished, note, doi, eprint, archiveprefix, url, keywords, award_name, award,
author+an, abstract, then every other field alphabetically.

What is written back (SPEC section 5): names as ``von Last, Jr, First`` joined by ``and``
(corporate names braced), ``and others`` when the list was truncated, the title from
``title_bibtex`` (the source's protective braces), ``keywords`` from tags, ``award`` from awards
(``award_name`` when an al-folio ``award`` description is kept in ``fields``), ``author+an``
from the student/equal/corresponding marks, ``eprint`` + ``archiveprefix`` from the arXiv id.
Decoded text gets its LaTeX specials escaped again (``&`` -> ``\\&``); math (``$...$``) is kept.
UTF-8 by default; ``latex_escape=True`` spells every non-ASCII character in LaTeX
(``textnorm.unicode_to_latex``), so the file is ASCII wherever LaTeX has a spelling.

The venue text goes to ``journal`` for article-like types and to ``booktitle`` otherwise,
the fields the importer reads it from, so export -> import -> export is byte-identical.
``crossref`` is not written: import already copied the parent's fields into the entry, and
a second import would inherit again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from functools import lru_cache

from pubdb import textnorm
from pubdb.records import AuthorEntry, BibRecord, PersonName
from pubdb.render.escape import split_math

_JOURNAL_TYPES = frozenset({"article", "periodical", "suppperiodical", "review"})
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

FIELD_ORDER: tuple[str, ...] = (
    "author",
    "editor",
    "title",
    "journal",
    "booktitle",
    "series",
    "edition",
    "year",
    "month",
    "volume",
    "number",
    "pages",
    "publisher",
    "address",
    "organization",
    "school",
    "institution",
    "howpublished",
    "note",
    "doi",
    "eprint",
    "archiveprefix",
    "url",
    "keywords",
    "award_name",
    "award",
    "author+an",
    "abstract",
)
_RANK = {name: index for index, name in enumerate(FIELD_ORDER)}
# Import copies a crossref parent's fields into the child; the link is not written back, so
# a re-import does not inherit a second time.
_RESOLVED = frozenset({"crossref"})

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "`": r"\textasciigrave{}",
}
_SPECIALS_TABLE = str.maketrans(_SPECIALS)
# TeX ligatures that decoding would turn into other characters (-- into an en dash, '' into ").
_LIGATURE = re.compile(r"(?<=-)(?=-)|(?<=')(?=')|(?<=`)(?=`)|(?<=[!?])(?=`)")
_BRACE = re.compile(r"(?<!\\)[{}]")


def write_bibtex(records: Iterable[BibRecord], *, latex_escape: bool = False) -> str:
    """BibTeX text for ``records`` in the given order (empty string for none)."""
    entries = [format_entry(record, latex_escape=latex_escape) for record in records]
    return "\n".join(entries)


def format_entry(record: BibRecord, *, latex_escape: bool = False) -> str:
    """One entry, ending with a newline."""
    fields = entry_fields(record, latex_escape=latex_escape)
    lines = [f"@{record.entry_type.lower()}{{{record.key},"]
    for index, (name, value) in enumerate(fields):
        comma = "," if index < len(fields) - 1 else ""
        lines.append(f"  {name} = {value}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def entry_fields(record: BibRecord, *, latex_escape: bool = False) -> list[tuple[str, str]]:
    """(field name, written value with its delimiters) in the stable field order."""

    def text(value: str) -> str:
        return _braced(escape_text(value, latex_escape=latex_escape))

    def raw(value: str) -> str:
        if latex_escape:
            value = textnorm.unicode_to_latex(value, escape_specials=False)
        return _braced(value if _balanced(value) else _escape_braces(value))

    out: dict[str, str] = {}
    if record.authors or record.authors_truncated:
        out["author"] = _braced(
            format_names(
                [a.name for a in record.authors],
                truncated=record.authors_truncated,
                latex_escape=latex_escape,
            )
        )
    if record.editors:
        out["editor"] = _braced(format_names(record.editors, latex_escape=latex_escape))
    title = _title(record, latex_escape)
    if title:
        out["title"] = _braced(title)
    if record.venue_text:
        venue_field = "journal" if record.entry_type.lower() in _JOURNAL_TYPES else "booktitle"
        out[venue_field] = text(record.venue_text)
    for name, value in (("series", record.series), ("edition", record.edition)):
        if value:
            out[name] = text(value)
    if record.year is not None:
        out["year"] = _braced(str(record.year))
    if record.month is not None and 1 <= record.month <= 12:
        out["month"] = _MONTHS[record.month - 1]
    for name, value in (
        ("volume", record.volume),
        ("number", record.number),
        ("pages", record.pages),
    ):
        if value:
            out[name] = raw(value)
    if record.publisher:
        out["publisher"] = text(record.publisher)
    if record.note:
        out["note"] = text(record.note)
    if record.doi:
        out["doi"] = raw(record.doi)
    restated = set()
    if record.arxiv_id and "eprint" not in record.fields:
        # The importer drops eprint/archiveprefix/eprinttype that only restate the arXiv id.
        out["eprint"] = raw(record.arxiv_id)
        out["archiveprefix"] = "{arXiv}"
        restated = {"archiveprefix", "eprinttype"}
    if record.url:
        out["url"] = _braced(_url(record.url))
    if record.tags:
        out["keywords"] = text(", ".join(record.tags))
    if record.awards:
        award_field = "award_name" if "award" in record.fields else "award"
        out[award_field] = text("; ".join(record.awards))
    annotations = format_marks(record.authors)
    if annotations:
        out["author+an"] = _braced(annotations)
    if record.abstract:
        out["abstract"] = text(record.abstract)
    for name, value in record.fields.items():
        name = name.lower()
        # A year or month kept in fields said more than the number ("2021a", "May 15--18").
        if name in restated and value.strip().lower() == "arxiv":
            continue
        if name in _RESOLVED:
            continue
        if name not in out or name in ("year", "month"):
            out[name] = raw(value)
    return sorted(out.items(), key=lambda item: (_RANK.get(item[0], len(_RANK)), item[0]))


def format_names(
    names: Iterable[PersonName], *, truncated: bool = False, latex_escape: bool = False
) -> str:
    """``von Last, Jr, First and ... [and others]`` with each part escaped."""
    parts = [format_name(name, latex_escape=latex_escape) for name in names]
    if truncated:
        parts.append("others")
    return " and ".join(parts)


def format_name(name: PersonName, *, latex_escape: bool = False) -> str:
    """One name in a form that ``names.parse_name_list`` splits back into the same parts.

    Tried in order, the first that reads back as ``name`` wins: ``von Last, Jr, First`` with
    ``and`` and commas braced; the same with the family name braced whole (``{della Rovere}``,
    ``{op 't Hoog}``); the whole name braced (read back as a corporate name, which then
    writes the same text again).
    """
    return _format_name(name, latex_escape)


@lru_cache(maxsize=1 << 14)
def _format_name(name: PersonName, latex_escape: bool) -> str:
    def part(value: str) -> str:
        words = []
        for word in value.split():
            text = escape_text(word, latex_escape=latex_escape).replace(",", "{,}")
            words.append("{" + text + "}" if word.lower() == "and" else text)
        return " ".join(words)

    whole = "{" + escape_text(" ".join(name.display.split()), latex_escape=latex_escape) + "}"
    if name.corporate:
        return "{" + escape_text(name.family, latex_escape=latex_escape) + "}"
    if not name.family:
        return whole
    family = part(name.family)
    plain = PersonName(given=part(name.given), family=family, von=part(name.von), jr=part(name.jr))
    braced = dataclasses.replace(plain, family="{" + family + "}")
    for candidate in (plain.last_first, braced.last_first):
        if _reads_back(candidate, name):
            return candidate
    return whole


def _reads_back(text: str, name: PersonName) -> bool:
    from pubdb.names import parse_name_list

    names, truncated = parse_name_list(text)
    return not truncated and len(names) == 1 and names[0] == name


def format_marks(authors: Iterable[AuthorEntry]) -> str:
    """``2=student; 3=equal,corresponding`` (1-based author positions), or ``""``."""
    items = []
    for position, author in enumerate(authors, start=1):
        marks = [mark for mark in ("student", "equal", "corresponding") if getattr(author, mark)]
        if marks:
            items.append(f"{position}={','.join(marks)}")
    return "; ".join(items)


def escape_text(value: str, *, latex_escape: bool = False) -> str:
    """Decoded text as BibTeX that import decodes back to the same text.

    Specials are escaped (``&`` -> ``\\&``) and TeX ligatures broken with ``{}``. What decoding
    kept as LaTeX is written back as it is, math (``$...$``) and commands it does not know with
    their brace arguments (``\\mkbibemph{Alexiad}``), unless that would not decode to the same
    text (a literal backslash): then everything is escaped. Non-ASCII characters stay as they
    are, or become LaTeX with ``latex_escape``.
    """
    return _escape_text(value, latex_escape)


@lru_cache(maxsize=1 << 16)
def _escape_text(value: str, latex_escape: bool) -> str:
    if not value:
        return ""
    if "\\" not in value and "$" not in value:
        return _plain_text(value, latex_escape)
    target = textnorm.clean_spaces(value)
    for keep_commands, keep_math in ((True, True), (False, True), (False, False)):
        candidate = _escape_pieces(value, latex_escape, keep_commands, keep_math)
        if _balanced(candidate) and (
            textnorm.clean_spaces(textnorm.latex_to_unicode(candidate)) == target
        ):
            return candidate
    return candidate


def _escape_pieces(value: str, latex_escape: bool, keep_commands: bool, keep_math: bool) -> str:
    out = []
    for is_math, segment in split_math(value) if keep_math else [(False, value)]:
        if is_math:
            out.append(_non_ascii(segment, latex_escape))
            continue
        position = 0
        for match in _COMMAND.finditer(segment) if keep_commands else ():
            if not _balanced(match.group()):
                continue
            out.append(_plain_text(segment[position : match.start()], latex_escape))
            out.append(_non_ascii(match.group(), latex_escape))
            position = match.end()
        out.append(_plain_text(segment[position:], latex_escape))
    return "".join(out)


# A control word and the brace groups right after it (two levels of nesting inside).
_GROUP = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_COMMAND = re.compile(r"\\[A-Za-z]+(?:\s*" + _GROUP + r")*")


def _plain_text(text: str, latex_escape: bool) -> str:
    if not text:
        return ""
    if latex_escape:  # unicode_to_latex breaks ligatures itself ("--" -> "-{}-")
        return textnorm.unicode_to_latex(text)
    return _LIGATURE.sub("{}", text.translate(_SPECIALS_TABLE))


def _non_ascii(text: str, latex_escape: bool) -> str:
    return textnorm.unicode_to_latex(text, escape_specials=False) if latex_escape else text


def _title(record: BibRecord, latex_escape: bool) -> str:
    source = record.title_bibtex
    if source and _balanced(source):
        if latex_escape:
            converted = _title_ascii(source)
            # A converted letter right after an unknown command would become its argument
            # (\foo{\'A}); keep such a title in UTF-8 rather than change it.
            if converted == source or (
                textnorm.latex_to_unicode(converted) == textnorm.latex_to_unicode(source)
                and _title_ascii(textnorm.title_bibtex(converted)) == converted
            ):
                return converted
        return source
    return escape_text(record.title, latex_escape=latex_escape) if record.title else ""


def _title_ascii(title_bibtex: str) -> str:
    return textnorm.unicode_to_latex(title_bibtex, escape_specials=False)


def _url(url: str) -> str:
    """A URL as it is (biblatex reads it verbatim); braces encoded, and a backslash before
    ``_%#&~$`` doubled, because import reads ``\\_`` as ``_``."""
    url = url.replace("{", "%7B").replace("}", "%7D")
    return _URL_BACKSLASH.sub(r"\\\\", url)


_URL_BACKSLASH = re.compile(r"\\(?=[_%#&~$])")


def _braced(value: str) -> str:
    return "{" + value + "}"


def _balanced(value: str) -> bool:
    depth = 0
    for match in _BRACE.finditer(value):
        depth += 1 if match.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _escape_braces(value: str) -> str:
    return _BRACE.sub(lambda m: "\\" + m.group(), value)
