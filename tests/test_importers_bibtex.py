"""Tests for pubdb.importers.bibtex: reading .bib files into records and problems, losing none."""

from __future__ import annotations

import io
import itertools
import sys
import time
from pathlib import Path

import bibtexparser
import pytest

from pubdb.errors import InputError
from pubdb.importers import BibtexReadResult, ReadProblem, _bibtex_record, read_bibtex
from pubdb.importers import bibtex as bibtex_module
from pubdb.importers._bibtex_text import decode_bytes
from pubdb.importers._bibtex_values import StringTable, evaluate, parse_month, parse_year
from pubdb.records import PersonName, SourceRef
from tests.conftest import synthetic_bib

DATA = Path(__file__).resolve().parent / "data" / "bibtex"


def read(name: str, **kwargs) -> BibtexReadResult:
    result = read_bibtex(DATA / name, **kwargs)
    assert result.entry_count == len(result.records) + len(result.failed)
    return result


def by_key(result: BibtexReadResult) -> dict:
    return {record.key: record for record in result.records}


def reasons(result: BibtexReadResult, severity: str | None = None) -> list[str]:
    return [p.reason for p in result.problems if severity in (None, p.severity)]


def text_result(text: str, **kwargs) -> BibtexReadResult:
    result = read_bibtex("-", text=text, **kwargs)
    assert result.entry_count == len(result.records) + len(result.failed)
    return result


# --------------------------------------------------------------------------------------------
# @string, #, months
# --------------------------------------------------------------------------------------------


def test_string_concatenation_and_macros():
    result = read("strings.bib")
    records = by_key(result)
    assert records["concat"].venue_text == "Future Generation Computer Systems (Special Issue)"
    assert records["concat"].month == 12
    # a macro built from another macro with `#`, keeping the space inside the quotes
    assert records["nested"].venue_text == "Proceedings of the Conference on Data 2020"
    assert records["nested"].title == "Nested Strings"
    # a redefinition applies from its line on
    assert records["redefined"].venue_text == "FGCS"
    assert result.strings == {
        "fgcs": "FGCS",
        "Proc": "Proceedings of the",
        "conf": "Proceedings of the Conference on {Data}",
    }
    assert result.preamble == ["\\newcommand{\\noopsort}[1]{}\\newcommand{\\x}{y}"]
    assert reasons(result) == [
        "field publisher: undefined @string macro 'undefinedmacro'; kept as text",
        "@string fgcs redefined (first at line 2); the new value applies from here on",
    ]
    assert records["nested"].publisher == "undefinedmacro"


MONTHS = [
    ("m1", 1, None),  # jan
    ("m2", 12, None),  # Dec
    ("m3", 5, None),  # "May"
    ("m4", 5, None),  # 5
    ("m5", 6, None),  # {June}
    ("m6", 9, None),  # {Sept.}
    ("m7", 5, "May 15--18"),
    ("m8", None, "Spring"),
    ("m9", 3, None),  # a @string defined after its use
]


@pytest.mark.parametrize(("key", "month", "kept"), MONTHS, ids=[m[0] for m in MONTHS])
def test_months(key, month, kept):
    record = by_key(read("months.bib"))[key]
    assert record.month == month
    assert record.fields.get("month") == kept


def test_unreadable_month_warns():
    assert reasons(read("months.bib")) == ["month 'Spring' is not a month; kept as text"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2021", (2021, True)), ("{2021}", (2021, True)), ("2021a", (2021, False)),
     ("in press", (None, False)), ("2019--2020", (2019, False))],
    ids=["plain", "braced", "suffix", "words", "range"],
)  # fmt: skip
def test_parse_year(text, expected):
    assert parse_year(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("January", (1, True)), ("feb", (2, True)), ("12", (12, True)), ("13", (None, False)),
     ("{Oct.}", (10, True)), ("15 July", (7, False)), ("", (None, False))],
    ids=["name", "abbr", "number", "bad-number", "braced-dot", "day", "empty"],
)  # fmt: skip
def test_parse_month(text, expected):
    assert parse_month(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{A {B} C}", ("A {B} C", [])),
        ('"A {"}B"', ('A {"}B', [])),
        ("2020", ("2020", [])),
        ("jan", ("January", [])),
        ('x # " y" # {z}', ("X yz", [])),
        ("{a} # {b}", ("ab", [])),
        ("{multi\n   line}", ("multi line", [])),
        ("nomacro", ("nomacro", ["undefined @string macro 'nomacro'; kept as text"])),
        ("{a} # ", ("{a} #", ["cannot evaluate '{a} #'; kept as written"])),
        ("{unbalanced", ("{unbalanced", ["unbalanced value '{unbalanced'; kept as written"])),
    ],
    ids=["braces", "quotes", "number", "month-macro", "concat", "braced-concat", "whitespace",
         "undefined", "dangling-hash", "unbalanced"],
)  # fmt: skip
def test_evaluate(raw, expected):
    strings = StringTable()
    strings.define("X", 1, "X")
    assert evaluate(raw, strings, 10) == expected
    assert evaluate(raw, strings, 10) == expected  # (a macro name's value is remembered)


def test_evaluated_macro_names_follow_redefinitions_and_lines():
    strings = StringTable()
    strings.define("conf", 5, "{First}")
    assert evaluate("conf", strings, 1) == ("{First}", [])  # before it: the first definition
    assert evaluate("Conf", strings, 9) == ("{First}", [])
    assert evaluate("jan", strings, 9) == ("January", [])
    strings.define("conf", 8, "Second  one ")
    strings.define("jan", 20, "Janvier")
    assert [evaluate("conf", strings, line)[0] for line in (1, 7, 8, 30)] == [
        "{First}", "{First}", "Second one", "Second one"]  # fmt: skip
    assert evaluate("jan", strings, 30) == ("Janvier", [])
    assert evaluate("later", strings, 30)[1] == ["undefined @string macro 'later'; kept as text"]
    strings.define("later", 40, "L")
    assert evaluate("later", strings, 30) == ("L", [])
    # without a table (or an empty one), only the built-in months
    for table in (None, StringTable()):
        assert evaluate("Dec", table, 1) == ("December", [])
        assert evaluate("conf", table, 1) == (
            "conf", ["undefined @string macro 'conf'; kept as text"])  # fmt: skip


# --------------------------------------------------------------------------------------------
# crossref
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crossref_child_first.bib", "crossref_parent_first.bib"])
def test_crossref_inherits_whatever_the_order(name):
    records = by_key(read(name))
    child = records["child"]
    assert child.venue_text in ("Proceedings of the Über Conference", "Proc. Über 2020")
    assert [e.display for e in child.editors] == ["Ann Smith", "Richard Roe"]
    assert child.publisher == "ACM"
    assert child.fields["crossref"] == "conf2020"
    assert child.title == "A Child Paper"


def test_crossref_details():
    child = by_key(read("crossref_child_first.bib"))["child"]
    # the parent's title becomes the booktitle; parent-only fields are not inherited
    assert child.venue_text == "Proceedings of the Über Conference"
    assert (child.year, child.month, child.pages) == (2020, 7, "1--10")
    assert child.fields == {"crossref": "conf2020", "address": "New York"}
    assert child.doi == "" and child.tags == ()
    parent_first = read("crossref_parent_first.bib")
    records = by_key(parent_first)
    # the parent's booktitle wins over its title; the child's own year wins over the parent's
    assert records["child"].venue_text == "Proc. Über 2020"
    assert records["child"].year == 2021
    assert records["orphan"].fields == {"crossref": "missing"}
    assert reasons(parent_first) == [
        "crossref 'missing' is not an entry of this file; nothing inherited"
    ]


def test_crossref_chain_and_cycle():
    text = (
        "@inproceedings{a, title = {A}, crossref = {b}}\n"
        "@proceedings{b, title = {B}, crossref = {c}}\n"
        "@book{c, title = {C}, publisher = {P}, year = 1999}\n"
        "@misc{x, title = {X}, crossref = {y}}\n"
        "@misc{y, title = {Y}, crossref = {x}}\n"
    )
    result = text_result(text)
    records = by_key(result)
    assert (records["a"].venue_text, records["a"].publisher, records["a"].year) == ("B", "P", 1999)
    assert records["b"].venue_text == "C"
    assert len(result.records) == 5
    assert reasons(result) == [
        "crossref cycle (x -> y -> x); inherited up to where it repeats",
        "crossref cycle (y -> x -> y); inherited up to where it repeats",
    ]
    assert records["x"].fields == {"crossref": "y"}  # y's title is not inherited


# --------------------------------------------------------------------------------------------
# duplicate keys, repeated fields, parse errors, generated keys
# --------------------------------------------------------------------------------------------


def test_duplicate_keys_keep_the_first_and_report_the_rest():
    result = read("duplicates.bib")
    assert [r.key for r in result.records] == ["Smith2020", "same", "other"]
    assert by_key(result)["Smith2020"].title == "First"
    failed = result.failed
    assert [(p.line, p.key, p.reason) for p in failed] == [
        (7, "smith2020", "duplicate key 'smith2020' (first at line 1 as 'Smith2020'); "
                         "this entry was not imported"),
        (14, "same", "duplicate key 'same' (first at line 13, identical entry); "
                     "this entry was not imported"),
    ]  # fmt: skip
    assert failed[0].raw.startswith("@article{smith2020,") and "Second" in failed[0].raw
    assert result.entry_count == 5


def test_repeated_fields_keep_the_first_value_and_the_others_apart():
    result = read("duplicates.bib")
    other = by_key(result)["other"]
    assert other.title == "One"
    assert other.note == "n"
    assert other.fields == {"title_2": "Two", "title_3": "Three"}
    assert [p.reason for p in result.warnings] == [
        "field title repeated: the first value is used, the later one kept as title_2",
        "field title repeated: the first value is used, the later one kept as title_3",
        "field note repeated with the same value; one kept",
    ]


def test_parse_errors_are_reported_with_line_and_the_rest_is_read():
    result = read("errors.bib")
    assert [(p.line, p.key, p.kind, p.severity) for p in result.failed] == [
        (3, "broken", "entry", "error"),
        (5, "nocomma", "entry", "error"),
    ]
    assert result.failed[0].reason.startswith("cannot parse: Unexpected block start: '@article'")
    assert result.failed[1].reason == "cannot parse: Expected comma after entry key, but found ="
    assert result.entry_count == 9
    assert [r.key for r in result.records] == [
        "good1", "good2", "foster2021scalablea", "foster2021scalable", "foster2021scalableb",
        "paren", "dated",
    ]  # fmt: skip
    assert str(result.failed[0]).startswith(f"{DATA / 'errors.bib'}:3: error: [broken] cannot")


def test_generated_keys_and_other_entry_forms():
    result = read("errors.bib")
    records = by_key(result)
    assert "entry has no cite key; generated 'foster2021scalablea'" in reasons(result)
    assert records["foster2021scalableb"].title == "The Scalable Thing"
    assert records["good2"].year is None and records["good2"].fields == {"year": "in press"}
    assert (records["paren"].year, records["paren"].fields) == (2019, {"year": "2019a"})
    assert records["paren"].title == "Parenthesised (entry)"
    assert (records["dated"].year, records["dated"].month) == (2018, 4)
    assert "jabref-meta: databaseType:bibtex;" in result.comments
    assert "Free text between entries is a comment too." in result.comments


def test_source_keeps_path_line_and_raw_text():
    result = read("duplicates.bib")
    source = by_key(result)["Smith2020"].source
    assert source.path == str(DATA / "duplicates.bib")
    assert source.line == 1
    assert source.raw == "@article{Smith2020,\n  author = {Smith, John},\n  title = {First},\n" \
                         "  year = 2020,\n}"  # fmt: skip


def test_field_names_are_case_insensitive():
    result = text_result("@ARTICLE{K, TITLE = {T}, Author = {Doe, J.}, YEAR = 2020, Foo = {x}}")
    record = result.records[0]
    assert (record.entry_type, record.title, record.year) == ("article", "T", 2020)
    assert record.authors[0].name == PersonName(given="J.", family="Doe")
    assert record.fields == {"foo": "x"}


# --------------------------------------------------------------------------------------------
# Encodings, binary and non-BibTeX input, stdin
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "title", "author"),
    [
        ("bom.bib", "utf-8-sig", "Byte Order Mark", "Jörg Müller"),
        ("latin1.bib", "cp1252", "Café naïve", "Jörg Müller"),
        ("cp1252.bib", "cp1252", "“Smart” Quotes – and Dashes", "Jiží Dvošák"),
        ("latin9.bib", "iso8859-15", "Šome title", "Edward Encalcer"),
    ],
    ids=["utf8-bom", "latin1", "cp1252", "declared-latin9"],
)
def test_encodings(name, encoding, title, author):
    result = read(name)
    assert result.encoding == encoding
    record = result.records[0]
    assert record.title == title
    assert record.authors[0].name.display == author
    warnings = [p for p in result.problems if p.kind == "file"]
    if encoding.startswith("utf-8"):
        assert warnings == []
    else:
        assert len(warnings) == 1
        assert f"read as {encoding}" in warnings[0].reason
        assert warnings[0].reason.startswith("not valid UTF-8")


def test_encoding_override():
    result = read("latin1.bib", encoding="latin-1")
    assert result.encoding == "iso8859-1"
    assert result.records[0].title == "Café naïve"
    assert [p for p in result.problems if p.kind == "file"] == []
    with pytest.raises(InputError, match=r"latin1\.bib:3: cannot be read as utf-8 \(byte 0xfc\)"):
        read_bibtex(DATA / "latin1.bib", encoding="utf-8")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_bibtex(DATA / "latin1.bib", encoding="klingon")


def test_utf16_with_bom():
    data = "@misc{u, title = {Ünïcode}}".encode("utf-16")
    result = read_bibtex("x.bib", text=data)
    assert result.encoding == "utf-16" and result.records[0].title == "Ünïcode"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a BibTeX file (binary data)"),
        (b"%PDF-1.5\n" + bytes(range(1, 32)) * 50, "not a BibTeX file (binary data)"),
        (b"This is a plain text file.\nNo entries here.\n", "not a BibTeX file (no @entry found)"),
        (b"<script>alert(1)</script>", "not a BibTeX file (no @entry found)"),
    ],
    ids=["png", "control-characters", "plain-text", "html"],
)
def test_non_bibtex_input_gets_one_clear_error(tmp_path, content, message):
    path = tmp_path / "input.bib"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        read_bibtex(path)
    assert str(error.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    "content", [b"", b"  \n\n", b"% only comments\n%% nothing else\n", b"@comment{just this}"],
    ids=["empty", "blank", "percent-comments", "comment-block"],
)  # fmt: skip
def test_empty_bibliographies_are_not_errors(tmp_path, content):
    path = tmp_path / "empty.bib"
    path.write_bytes(content)
    result = read_bibtex(path)
    assert (result.records, result.entry_count, result.failed) == ([], 0, [])


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match=r"nope\.bib: cannot read \(No such file or directory\)"):
        read_bibtex(tmp_path / "nope.bib")
    with pytest.raises(InputError, match="is a directory"):
        read_bibtex(tmp_path)


def test_stdin_text_and_bytes(monkeypatch):
    result = read_bibtex("-", text="@misc{s, title = {From stdin}}")
    assert result.path == "<stdin>"
    assert result.records[0].source.path == "<stdin>"
    assert result.records[0].title == "From stdin"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"@misc{b, title={Caf\xe9}}")))
    result = read_bibtex("-")
    assert result.records[0].title == "Café" and result.encoding == "cp1252"


def test_decode_bytes_prefers_utf8_over_a_stale_declaration():
    data = "% Encoding: ISO-8859-1\n@misc{a, title = {Über}}".encode()
    assert decode_bytes(data, "x.bib").encoding == "utf-8"


# --------------------------------------------------------------------------------------------
# Names and marks
# --------------------------------------------------------------------------------------------


def test_names_are_split_before_decoding():
    record = read("names.bib").records[0]
    names = [entry.name for entry in record.authors]
    assert names == [
        PersonName(family="Barnes and Noble", corporate=True),
        PersonName(given="Doğa", family="Gürsoy"),
        PersonName(given="Rafael", von="Ferreira da", family="Silva"),
        PersonName(given="Wei-keng", family="Liao"),
        PersonName(given="Francesco De", family="Carlo"),
        PersonName(given="Alexander", von="van", family="Renen"),
        PersonName(given="John", family="Smith", jr="Jr."),
        PersonName(given="I. T.", family="Foster"),
    ]
    assert record.authors_truncated is True  # `and others`, never an author named "others"
    assert record.editors == (PersonName(given="Jörg", family="Müller"),)


def test_author_annotations_become_marks():
    result = read("names.bib")
    record = result.records[0]
    marks = [(a.student, a.equal, a.corresponding) for a in record.authors[:4]]
    assert marks == [(False, False, False), (True, False, False), (False, False, False),
                     (False, True, True)]  # fmt: skip
    assert "author+an" not in record.fields
    assert reasons(result) == ["author+an: author 12 does not exist (the entry has 8); ignored"]


# --------------------------------------------------------------------------------------------
# SPEC section 5 conventions and identifiers
# --------------------------------------------------------------------------------------------


def test_alfolio_conventions():
    records = by_key(read("conventions.bib"))
    alfolio = records["alfolio"]
    assert alfolio.title == "TomoGAN: Low-Dose X-Ray Tomography with GANs"
    assert alfolio.title_bibtex == "{TomoGAN}: Low-Dose {X-Ray} Tomography with {GAN}s"
    assert alfolio.venue_text == (
        "2021 IEEE/ACM Workshop on Extreme-Scale Experiment-in-the-Loop Computing (XLOOP)"
    )
    assert alfolio.venue_hint == "XLOOP@SC"
    assert alfolio.awards == ("Best Paper Award",)
    assert alfolio.tags == ("ml-systems", "hpc", "imaging", "selected")
    assert alfolio.authors[0].student and not alfolio.authors[1].student
    assert alfolio.fields == {
        "abbr": "XLOOP@SC",
        "award": "Received the best paper award at the workshop.",
        "bibtex_show": "true",
    }
    awards = records["awards"]
    assert awards.awards == ("Best Paper Award", "Editor's Choice")
    assert awards.venue_hint == "FGCS"
    assert awards.tags == ()
    assert awards.fields == {"shortjournal": "FGCS", "selected": "false"}


IDENTIFIERS = [
    ("eprint", "arxiv_id", "2209.01356"),
    ("preprint", "arxiv_id", "2209.01356"),
    ("preprint", "venue_text", "arXiv preprint arXiv:2209.01356"),
    ("arxivdoi", "arxiv_id", "2209.01356"),
    ("arxivdoi", "doi", "10.48550/arxiv.2209.01356"),
    ("arxivurl", "arxiv_id", "2209.01356"),
    ("versioned", "arxiv_id", "2209.01356"),
    ("doiurl", "doi", "10.1145/3299869.3319863"),
    ("doiprefix", "doi", "10.1145/abc.def"),
    ("dxdoi", "doi", "10.14778/3476249.3476252"),
    ("doiinurl", "doi", "10.1109/xloop54565.2021.00007"),
    ("notadoi", "doi", ""),
    ("pages1", "pages", "300--309"),
    ("pages2", "pages", "300--309"),
    ("pages3", "pages", "e1234"),
    ("url", "url", "https://example.org/a_b?x=1&y=2"),
]


@pytest.mark.parametrize(
    ("key", "attribute", "expected"), IDENTIFIERS, ids=[f"{k}-{a}" for k, a, _ in IDENTIFIERS]
)
def test_identifiers(key, attribute, expected):
    assert getattr(by_key(read("identifiers.bib"))[key], attribute) == expected


def test_identifier_fields_left_in_fields():
    records = by_key(read("identifiers.bib"))
    assert records["eprint"].fields == {"primaryclass": "cs.DC"}  # eprint+prefix -> arxiv_id
    # a versioned eprint says more than the id: kept as written
    assert records["versioned"].fields == {"eprint": "2209.01356v3", "archiveprefix": "arXiv"}
    assert records["notadoi"].fields == {"doi": "n/a"}


# --------------------------------------------------------------------------------------------
# The pipeline order (module docstring) and the machinery around bibtexparser
# --------------------------------------------------------------------------------------------


def test_pipeline_order_matters():
    text = (
        '@string{who = "{Barnes and Noble} and M{\\"u}ller, J{\\"o}rg"}\n'
        '@string{when = "mar"}\n'
        '@proceedings{p, title = {Proc. of the {\\"U}ber Conf}, year = 2020}\n'
        "@inproceedings{c, author = who, month = when, crossref = {P}, Title = {T}}\n"
    )
    record = by_key(text_result(text))["c"]
    # strings before names; names split before decoding (the corporate name stays whole)
    assert [a.name.display for a in record.authors] == ["Barnes and Noble", "Jörg Müller"]
    # strings before months
    assert record.month == 3
    # keys compared case-insensitively; crossref before decoding: the inherited booktitle is
    # decoded like the child's own fields
    assert record.venue_text == "Proc. of the Über Conf"
    assert record.year == 2020


@pytest.mark.parametrize(
    ("splitter", "expected"),
    [("fast", [[]]), ("bibtexparser", [[], []])],
    ids=["fast-path-fallback", "bibtexparser-only"],
)
def test_bibtexparser_middlewares_are_not_used(monkeypatch, splitter, expected):
    calls = []
    real = bibtexparser.parse_string

    def spy(text, parse_stack=None, **kwargs):
        calls.append(parse_stack)
        return real(text, parse_stack=parse_stack, **kwargs)

    monkeypatch.setattr(bibtexparser, "parse_string", spy)
    # the fast path splits the plain entry itself and hands the (-entry to bibtexparser
    text_result("@misc{a, title = {A}}\n@misc(b, title = {B})", splitter=splitter)
    text_result("@misc{a, title = {A}}", splitter=splitter)
    assert calls == expected


@pytest.mark.parametrize("splitter", ["fast", "bibtexparser"])
def test_a_splitter_crash_costs_only_the_block_that_causes_it(monkeypatch, splitter):
    real = bibtexparser.parse_string

    def fragile(text, parse_stack=None, **kwargs):
        if "poison" in text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(text, parse_stack=parse_stack, **kwargs)

    monkeypatch.setattr(bibtexparser, "parse_string", fragile)
    # b is (-delimited, so the fast path gives it to bibtexparser too
    text = "@misc{a, title = {A}}\n\n@misc(b, title = {poison})\n@misc{c, title = {C}}\n"
    result = text_result(text, splitter=splitter)
    assert [r.key for r in result.records] == ["a", "c"]
    assert [(p.line, p.key, p.reason) for p in result.failed] == [
        (3, "b", "cannot parse: RecursionError: maximum recursion depth exceeded")
    ]


def test_records_are_the_same_built_by_keyword(monkeypatch):
    # normalise_entry passes BibRecord's fields by position while their order is as expected
    fields = {
        "title": "T",
        "author": "A. Smith and others",
        "year": "2021a",
        "volume": "{3}",
        "pages": "1 - 2",
        "doi": "doi:10.1/X",
        "note": "n",
        "keywords": "a; b",
        "z": "z",
    }
    source = SourceRef("x.bib", 1, "@misc{k, ...}")
    warnings: list[str] = []
    assert _bibtex_record._POSITIONAL, "BibRecord's fields moved: update _RECORD_FIELDS"
    positional = _bibtex_record.normalise_entry("k", "misc", fields, source, warnings.append)
    monkeypatch.setattr(_bibtex_record, "_POSITIONAL", False)
    keyword = _bibtex_record.normalise_entry("k", "misc", fields, source, warnings.append)
    assert positional == keyword
    assert (keyword.volume, keyword.pages, keyword.doi, keyword.tags) == (
        "3", "1--2", "10.1/x", ("a", "b"))  # fmt: skip
    assert keyword.fields == {"z": "z", "year": "2021a"}


def test_a_normalisation_crash_costs_only_its_entry(monkeypatch):
    real = bibtex_module.normalise_entry

    def fragile(key, *args, **kwargs):
        if key == "bad":
            raise ValueError("boom")
        return real(key, *args, **kwargs)

    monkeypatch.setattr(bibtex_module, "normalise_entry", fragile)
    result = text_result("@misc{good, title={G}}\n@misc{bad, title={B}}\n")
    assert [r.key for r in result.records] == ["good"]
    assert [p.reason for p in result.failed] == ["cannot normalise entry (ValueError: boom)"]


def test_chunk_bounds_cut_only_where_bibtexparser_starts_a_block(monkeypatch):
    monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", 10)
    text = "@misc{a,\n title = {x\n@not a block start}}\n  @misc{b, title={y}}\n@misc{c}"
    bounds = bibtex_module._chunk_bounds(text)
    assert [text[c.start : c.end] for c in bounds] == [
        "@misc{a,\n title = {x\n@not a block start}}\n",
        "  @misc{b, title={y}}\n",
        "@misc{c}",
    ]
    assert [(c.line, c.lookahead) for c in bounds] == [(0, "  @misc{"), (3, "@misc{"), (4, "")]


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "two-workers"])
def test_chunked_and_parallel_reading_give_the_same_result(monkeypatch, workers):
    text = synthetic_bib(400, seed=3)
    # unclosed entries right before many of the chunk cuts: must fail the same way
    text = text.replace("\n@inproceedings{", "\n@misc{open, title = {unclosed\n@inproceedings{")
    text += "\n@string{late = {Late Macro}}\n@misc{late1, title = late}\n@misc{zz, title = {x}\n"
    whole = read_bibtex("s.bib", text=text, workers=1)
    monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", 5000)
    chunked = read_bibtex("s.bib", text=text, workers=workers)
    bounds = bibtex_module._chunk_bounds(text)
    assert len(bounds) > 10
    assert any(chunk.lookahead == "@inproceedings{" for chunk in bounds)  # cut after an open one
    assert chunked.records == whole.records
    assert chunked.problems == whole.problems
    assert (chunked.entry_count, chunked.strings, chunked.preamble, chunked.comments) == (
        whole.entry_count, whole.strings, whole.preamble, whole.comments,
    )  # fmt: skip
    opened = text.count("@misc{open,")
    assert whole.entry_count == 402 + opened == len(whole.records) + len(whole.failed)
    assert len(whole.failed) == opened + 1  # one more: the unclosed entry at the end
    assert {p.reason for p in whole.failed if p.key == "open"} == {
        "cannot parse: Unexpected block start: '@inproceedings'. Was still looking for "
        "field-value closing '}'"
    }
    assert by_key(whole)["late1"].title == "Late Macro"


def test_read_problem_text():
    problem = ReadProblem("refs.bib", 12, "k", "something odd", "warning")
    assert str(problem) == "refs.bib:12: warning: [k] something odd"
    assert not problem.fails_entry
    assert str(ReadProblem("refs.bib", None, "", "bad file", "error", "file")) == (
        "refs.bib: error: bad file"
    )
    assert ReadProblem("r", 1, "k", "x", "error").fails_entry


def test_a_dead_worker_pool_falls_back_to_this_process(monkeypatch):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class DeadPool:
        def submit(self, *args, **kwargs):
            future: Future = Future()
            future.set_exception(BrokenProcessPool("a worker died"))
            return future

        def shutdown(self, **kwargs):
            pass

    monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", 200)
    monkeypatch.setattr(bibtex_module, "_start_pool", lambda count: DeadPool())
    text = "".join(f"@misc{{k{i}, title = {{Title number {i}}}}}\n" for i in range(100))
    result = read_bibtex("dead.bib", text=text, workers=3)
    assert [r.key for r in result.records] == [f"k{i}" for i in range(100)]


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "bibtexparser"])
def test_failed_blocks_leave_no_reference_cycles(fast):
    # The collector is off while reading (speed); a cycle would keep a whole chunk alive.
    import gc

    text = "@misc{a, title = {x}}\n@misc{broken, title = {y}\n"
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        job = bibtex_module._Job("t.bib", StringTable(), fast=fast)
        items, _count = bibtex_module._split_chunk(text, 0, "@misc{", job)
        del items
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


def test_names_from_worker_processes_are_shared_again():
    import pickle

    from pubdb.records import AuthorEntry, BibRecord, sharing_names

    def record(*authors: AuthorEntry) -> BibRecord:
        return BibRecord(key="k", entry_type="misc", authors=authors, editors=(authors[0].name,))

    def author(family: str, **marks: bool) -> AuthorEntry:
        return AuthorEntry(PersonName(given="Ian", family=family), **marks)

    # Two chunks, each pickled on its own as a worker process sends it.
    chunk1 = pickle.dumps([record(author("Foster"), author("Liu")), record(author("Foster"))])
    chunk2 = pickle.dumps([record(author("Foster"), author("Foster", student=True))])
    with sharing_names():
        first, second = pickle.loads(chunk1)
        (third,) = pickle.loads(chunk2)
    assert first.authors[0] is second.authors[0] is third.authors[0]  # across chunks too
    assert first.authors[0].name is first.editors[0] is third.authors[1].name
    assert third.authors[1] == author("Foster", student=True)  # marks kept apart
    assert third.authors[1] is not third.authors[0]
    assert first.authors[1] == author("Liu") and first.authors[1] is not first.authors[0]
    # Outside a reader, unpickling makes copies as usual, equal to the originals.
    (again,) = pickle.loads(chunk2)
    assert again == third and again.authors[0] is not third.authors[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe sizes are Linux's")
def test_worker_pool_pipes_hold_a_whole_chunk():
    import fcntl

    from pubdb.importers import bibtex

    pool = bibtex._start_pool(1)
    assert pool is not None
    try:
        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        wanted = min(bibtex._PIPE_BYTES, limit)
        assert wanted >= 2 * bibtex._CHUNK_CHARS  # a chunk's text fits in one piece
        for end in (pool._call_queue._reader, pool._result_queue._reader):
            assert fcntl.fcntl(end.fileno(), fcntl.F_GETPIPE_SZ) >= wanted
        assert pool.submit(sum, [1, 2]).result(timeout=60) == 3
    finally:
        pool.shutdown()


def test_records_survive_pickling_and_copying_with_every_field():
    import copy
    import dataclasses
    import pickle

    from pubdb.records import AuthorEntry, BibRecord, SourceRef

    # A different value in every field (types aside): a field lost or swapped shows.
    full = BibRecord(**{
        each.name: value
        for each, value in zip(dataclasses.fields(BibRecord), itertools.count(), strict=False)
    } | {
        "authors": (AuthorEntry(PersonName("Ian", "Foster"), student=True),),
        "editors": (PersonName("Rajkumar", "Kettimuthu"),),
        "awards": ("Best Paper",), "tags": ("hpc",), "fields": {"isbn": "1"},
        "source": SourceRef("a.bib", 3, "@misc{k}"),
    })  # fmt: skip
    default = BibRecord(key="k", entry_type="misc")
    for record in (full, default):
        for twin in (pickle.loads(pickle.dumps(record)), copy.copy(record), copy.deepcopy(record)):
            assert twin == record
            assert dataclasses.astuple(twin) == dataclasses.astuple(record)
    assert copy.deepcopy(full).fields is not full.fields
    assert copy.copy(full).fields is full.fields


def test_names_unpickled_from_worker_processes_are_shared(monkeypatch):
    from pubdb.importers.bibtex import stream_bibtex

    monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", 5000)
    monkeypatch.setattr(bibtex_module, "_PARALLEL_MIN_CHARS", 0)
    read_here: list[range] = []  # the lines of the chunks this process read itself
    timed_here = bibtex_module._ChunkReader._timed_here

    def spying_timed_here(self, index):
        chunk = self.bounds[index]
        read_here.append(range(chunk.line + 1, chunk.line + 2 + self.text.count("\n", *chunk[:2])))
        return timed_here(self, index)

    monkeypatch.setattr(bibtex_module._ChunkReader, "_timed_here", spying_timed_here)
    text = synthetic_bib(400, seed=3)
    stream = stream_bibtex("s.bib", text=text, workers=2)
    records = []
    for batch, _ in stream.batches():
        records += [record for record, _ in batch]
        time.sleep(0.02)  # a caller slower than reading: the workers read nearly every chunk
    from_workers = [r for r in records if not any(r.source.line in lines for lines in read_here)]
    objects = {id(entry.name): entry.name for r in from_workers for entry in r.authors}
    # One object per name in the records the workers read; without the sharing, a copy per
    # chunk (~1,500 objects for these ~180 names).
    assert len(records) == 400 and len(from_workers) > 300
    assert len(objects) == len(set(objects.values())) > 100


def _key_and_title(record) -> tuple[str, str]:
    """A ``prepare`` for the stream tests (module level: worker processes run it)."""
    return record.key, record.title


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "worker-processes"])
def test_stream_hands_out_records_as_chunks_are_read(monkeypatch, workers):
    from pubdb.importers.bibtex import stream_bibtex

    text = synthetic_bib(300, seed=5)
    # A crossref child (its parent comes last) holds back itself and everything after it.
    child_at = text.index("\n@", len(text) * 2 // 3)
    text = (
        text[:child_at]
        + "\n@inproceedings{child, title = {Child}, crossref = {parent}}\n"
        + text[child_at:]
        + "\n@proceedings{parent, title = {Parent Proceedings}, year = 2020}\n"
    )
    whole = read_bibtex("s.bib", text=text, workers=1)
    monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", 5000)
    if workers > 1:
        monkeypatch.setattr(bibtex_module, "_PARALLEL_MIN_CHARS", 0)
    stream = stream_bibtex("s.bib", text=text, workers=workers, prepare=_key_and_title)
    with pytest.raises(RuntimeError):
        stream.result()
    batches = list(stream.batches())
    records = [record for batch, _ in batches for record, _ in batch]
    assert records == whole.records
    # every record comes with what prepare made of it, with its final key
    assert all(prepared == (r.key, r.title) for batch, _ in batches for r, prepared in batch)
    # records arrive chunk by chunk up to the child; the child and the rest at the end
    sizes = [len(batch) for batch, _ in batches]
    assert len(batches) == len(bibtex_module._chunk_bounds(text)) + 1
    assert sizes[0] > 0 and sum(sizes[:-1]) == [r.key for r in records].index("child")
    positions = [position for _, position in batches]
    assert positions == sorted(positions) and positions[-1] == stream.size == len(text)
    assert by_key(whole)["child"].venue_text == "Parent Proceedings"
    result = stream.result()
    assert result.records == [] and result.problems == whole.problems
    assert result.entry_count == whole.entry_count


def _small_chunks_counted(monkeypatch, entries: int) -> tuple[str, list[str]]:
    """A text of ``entries`` short entries read in chunks of 2 KB with worker processes, and
    the list where each chunk this process reads itself appends "here"."""
    text = "".join(
        f"@misc{{k{n}, title = {{Entry number {n} of a timed caller}}, year = 2020}}\n"
        for n in range(entries)
    )
    monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", 2000)
    monkeypatch.setattr(bibtex_module, "_PARALLEL_MIN_CHARS", 0)
    events: list[str] = []
    process_here = bibtex_module._ChunkReader._process_here

    def counted(self, index):
        events.append("here")
        return process_here(self, index)

    monkeypatch.setattr(bibtex_module._ChunkReader, "_process_here", counted)
    return text, events


def test_a_slow_caller_leaves_the_reading_to_the_workers(monkeypatch):
    # A caller that takes longer over a batch than a chunk takes to read (an import storing
    # records) gets every chunk from the workers once timings are known: reading one here
    # would only hold it up. (While the workers start, this process reads: it is idle.)
    import time

    from pubdb.importers.bibtex import stream_bibtex

    text, events = _small_chunks_counted(monkeypatch, 4000)
    stream = stream_bibtex("slow.bib", text=text, workers=2)
    keys = []
    for batch, _ in stream.batches():
        events.append("batch")
        keys.extend(record.key for record, _ in batch)
        time.sleep(0.01)  # far longer than reading a 2 KB chunk takes
    assert keys == [f"k{n}" for n in range(4000)]
    after_first = events[events.index("batch") :]
    assert "here" not in after_first
    assert after_first.count("batch") > 10  # many chunks came from the workers meanwhile


def test_a_caller_slow_every_few_batches_counts_as_slow(monkeypatch):
    # An import is slow over the batch that writes and quick over the few between: while it
    # waits for a worker's chunk after a quick batch, reading one here would still hold it
    # up. Every chunk is made to look unfinished once the caller has its first batch, and
    # reading a chunk here to take 10 ms (per character, as measured), so that only the
    # caller's timing decides, whatever the machine's load. The first chunk holds an
    # @string, so this process reads it (as in an import): the reading time is known from
    # then on (unknown, it reads whenever it waits).
    import time
    from concurrent.futures import Future

    from pubdb.importers.bibtex import stream_bibtex

    text, events = _small_chunks_counted(monkeypatch, 2000)
    text = "@string{where = {Somewhere}}\n" + text
    done = Future.done
    monkeypatch.setattr(Future, "done", lambda self: done(self) and "batch" not in events)
    monkeypatch.setattr(
        bibtex_module._ChunkReader,
        "_timed_here",
        lambda self, index: (self._process_here(index), 0.01 / bibtex_module._CHUNK_CHARS),
    )
    keys = []
    for number, (batch, _) in enumerate(
        stream_bibtex("uneven.bib", text=text, workers=2).batches()
    ):
        events.append("batch")
        keys.extend(record.key for record, _ in batch)
        if number % 3 == 0:
            time.sleep(0.03)  # writing: longer than reading a chunk takes (10 ms)
    assert keys == [f"k{n}" for n in range(2000)]
    assert "here" not in events[events.index("batch") :]


@pytest.mark.parametrize("splitter", ["fast", "bibtexparser"])
@pytest.mark.parametrize("chunk_chars", [None, 60], ids=["one-chunk", "small-chunks"])
def test_lines_are_the_real_ones_after_a_backslash_at_a_line_end(
    monkeypatch, splitter, chunk_chars
):
    # bibtexparser does not count a line break right after a backslash: every line after
    # `title = {x \\` was reported one early (and one more per such line break).
    if chunk_chars is not None:
        monkeypatch.setattr(bibtex_module, "_CHUNK_CHARS", chunk_chars)
    text = (
        "@string{ev = {x \\\\\n y}}\n"
        "@misc{a,\n  title = {x \\\\\n  y},\n  note = {a \\\n b}\n}\n\n"
        "@misc{b,\n  title = {broken\n}\n"
        "@misc{c, title = {ok}}\n"
        "@misc{a, title = {dup}}\n"
        "@misc{d, title = {z} # undefined}\n"
    )

    def real_line(marker: str, occurrence: int = 1) -> int:
        at = -1
        for _ in range(occurrence):
            at = text.index(marker, at + 1)
        return text.count("\n", 0, at) + 1

    result = read_bibtex("l.bib", text=text, workers=1, splitter=splitter)
    assert {record.key: record.source.line for record in result.records} == {
        "a": real_line("@misc{a"),
        "c": real_line("@misc{c"),
        "d": real_line("@misc{d"),
    }
    lines = {(problem.key, problem.line) for problem in result.problems}
    assert ("b", real_line("@misc{b")) in lines
    assert ("a", real_line("@misc{a", 2)) in lines  # the duplicate key
    assert ("d", real_line("@misc{d")) in lines  # the undefined macro
