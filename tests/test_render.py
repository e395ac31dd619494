"""Tests for pubdb.render: the document builder, the list templates, goldens and escaping."""

from __future__ import annotations

import dataclasses
import html.parser
import shutil
import subprocess
from pathlib import Path

import pytest
from render_cases import (
    HOSTILE_TITLE,
    OWNER,
    TAG_ORDER,
    TAG_TITLES,
    check_golden,
    cv_records,
    hostile_records,
)

from pubdb.errors import InputError
from pubdb.records import AuthorEntry, BibRecord, PersonName
from pubdb.render import (
    FORMATS,
    LIST_FORMATS,
    RENDERERS,
    ListDocument,
    RenderRecord,
    VenueView,
    build_document,
    render,
)
from pubdb.render.data import classify, fallback_shorthand

REPO = Path(__file__).resolve().parents[1]
EXTENSIONS = {"markdown": "md", "latex": "tex", "html": "html", "text": "txt"}


def _record(key: str, year: int | None, *, month: int | None = None, **kw) -> RenderRecord:
    return RenderRecord(
        record=BibRecord(key=key, entry_type="article", year=year, month=month, **kw)
    )


def _keys(document: ListDocument) -> list[list[str]]:
    return [[e.key for e in g.entries] for g in document.groups]


def _numbers(document: ListDocument) -> list[list[int | None]]:
    return [[e.number for e in g.entries] for g in document.groups]


def _cv_document(style: str = "cv") -> ListDocument:
    return build_document(
        cv_records(), group_by="tag", tag_titles=TAG_TITLES, tag_order=TAG_ORDER, style=style
    )


# --------------------------------------------------------------------------------------------
# build_document
# --------------------------------------------------------------------------------------------


def test_order_year_keeps_input_order_within_a_year():
    records = [
        _record("a2020", 2020, month=1),
        _record("b2021", 2021),
        _record("c2020", 2020, month=12),
        _record("undated", None),
        _record("d2021", 2021, month=5),
    ]
    document = build_document(records)
    assert _keys(document) == [["b2021", "d2021", "a2020", "c2020", "undated"]]


def test_order_date_sorts_by_year_month_then_title():
    records = [
        _record("nomonth", 2021, title="Alpha"),
        _record("may", 2021, month=5, title="Zeta"),
        _record("may-b", 2021, month=5, title="Beta"),
        _record("undated", None, title="Aardvark"),
        _record("old", 2019, month=12),
    ]
    document = build_document(records, order="date")
    assert _keys(document) == [["may-b", "may", "nomonth", "old", "undated"]]


@pytest.mark.parametrize(
    ("numbering", "expected"),
    [
        ("forward", [[1, 2, 3, 4, 5], [1, 2, 3]]),
        ("reverse", [[5, 4, 3, 2, 1], [3, 2, 1]]),
        ("continuous", [[1, 2, 3, 4, 5], [6, 7, 8]]),
        ("none", [[None] * 5, [None] * 3]),
    ],
    ids=["forward", "reverse", "continuous", "none"],
)
def test_numbering(numbering, expected):
    document = build_document(
        cv_records(),
        group_by="tag",
        tag_titles=TAG_TITLES,
        tag_order=TAG_ORDER,
        numbering=numbering,
    )
    assert _numbers(document) == expected


def test_group_by_tag_uses_titles_and_order():
    document = _cv_document()
    assert [(g.key, g.title) for g in document.groups] == [
        ("ml-systems", "Papers on Machine Learning and Systems"),
        ("ai-science", "Papers on AI/HPC for Science"),
    ]
    reordered = build_document(cv_records(), group_by="tag", tag_order=["ai-science"])
    assert [(g.key, g.title) for g in reordered.groups] == [
        ("ai-science", "ai-science"),
        ("", "Other Publications"),
    ]


def test_group_by_tag_lists_a_paper_once_in_its_first_section():
    both = _record("both", 2020, tags=("b", "a"))
    only_b = _record("only-b", 2020, tags=("b",))
    untagged = _record("none", 2020)
    document = build_document([both, only_b, untagged], group_by="tag", tag_order=["a", "b"])
    assert [(g.key, [e.key for e in g.entries]) for g in document.groups] == [
        ("a", ["both"]),
        ("b", ["only-b"]),
        ("", ["none"]),
    ]
    every_tag = build_document([both, only_b], group_by="tag")
    assert [g.key for g in every_tag.groups] == ["a", "b"]


def test_group_by_year_and_type():
    by_year = build_document(cv_records(), group_by="year")
    assert [g.title for g in by_year.groups] == ["2024", "2023", "2022", "2021"]
    by_type = build_document(cv_records(), group_by="type")
    assert [(g.key, g.title, len(g.entries)) for g in by_type.groups] == [
        ("journal", "Journal Articles", 4),
        ("conference", "Conference Papers", 2),
        ("workshop", "Workshop Papers", 1),
        ("preprint", "Preprints", 1),
    ]
    undated = build_document([_record("x", None)], group_by="year")
    assert [(g.key, g.title) for g in undated.groups] == [("undated", "Undated")]


@pytest.mark.parametrize(
    ("argument", "value"),
    [("group_by", "venue"), ("numbering", "backwards"), ("style", "apa"), ("order", "title")],
    ids=["group_by", "numbering", "style", "order"],
)
def test_bad_option_is_rejected(argument, value):
    with pytest.raises(ValueError, match=argument):
        build_document(cv_records(), **{argument: value})


def test_legend_lists_the_marks_used_per_group_and_not_in_plain():
    document = _cv_document()
    assert document.groups[0].legend == ("* student co-author",)
    assert document.groups[1].legend == ("† equal contribution", "‡ corresponding author")
    assert document.legend == (
        "* student co-author",
        "† equal contribution",
        "‡ corresponding author",
    )
    plain = _cv_document("plain")
    assert plain.legend == ()
    assert all(g.legend == () for g in plain.groups)
    assert all(a.marks == "" for e in plain.entries for a in e.authors)


def test_authors_carry_owner_and_marks():
    stage = next(e for e in _cv_document().entries if e.key == "wu2024stage")
    assert [(a.display, a.is_owner, a.marks) for a in stage.authors[:3]] == [
        ("Ziniu Wu", False, "*"),
        ("Ryan Marcus", False, ""),
        ("Zhengchun Liu", True, ""),
    ]
    assert stage.authors[2].name == OWNER


@pytest.mark.parametrize(
    ("key", "kind", "cv", "plain"),
    [
        ("vanrenen2024why", "conference", "VLDB'24", "International Conference on Very Large "
         "Data Bases, 2024"),
        ("wu2024stage", "conference", "SIGMOD'24", "ACM SIGMOD International Conference on "
         "Management of Data, 2024"),
        ("liu2021bridge", "workshop", "XLOOP@SC'21", "Workshop on Extreme-Scale "
         "Experiment-in-the-Loop Computing, 2021"),
        ("liu2021design", "journal", "ACM Transactions on Modeling and Performance Evaluation of "
         "Computing Systems, Vol. 6, No. 1, pp. 1–30, 2021", None),
        ("papadimitriou2021endtoend", "journal", "Future Generation Computer Systems, Vol. 117, "
         "pp. 387–400, 2021", None),
        ("liu2022masked", "preprint", "arXiv:2209.01356", "arXiv:2209.01356, 2022"),
        ("liu2022braggnn", "journal", "IUCrJ, Vol. 9, No. 1, pp. 104–113, 2022", None),
        ("babu2023deep", "journal", "Nature Communications, Vol. 14, p. 7059, 2023", None),
    ],
    ids=["vldb", "sigmod-fallback", "workshop", "journal", "fgcs", "preprint", "iucrj", "page"],
)  # fmt: skip
def test_venue_display(key, kind, cv, plain):
    cv_entry = next(e for e in _cv_document().entries if e.key == key)
    plain_entry = next(e for e in _cv_document("plain").entries if e.key == key)
    assert cv_entry.kind == kind
    assert cv_entry.venue_display == cv
    assert plain_entry.venue_display == (plain or cv)


@pytest.mark.parametrize(
    ("entry_type", "venue_kind", "venue_text", "arxiv", "expected"),
    [
        ("article", None, "Nature", "", "journal"),
        ("article", None, "arXiv preprint arXiv:2101.00001", "2101.00001", "preprint"),
        ("article", None, "CoRR", "", "preprint"),
        ("article", None, "", "2101.00001", "preprint"),
        ("inproceedings", None, "Proc. X", "", "conference"),
        ("inproceedings", "workshop", "Proc. X", "", "workshop"),
        ("incollection", None, "Book", "", "book"),
        ("phdthesis", None, "", "", "thesis"),
        ("techreport", None, "", "", "report"),
        ("misc", None, "", "2101.00001", "preprint"),
        ("misc", None, "", "", "other"),
        ("misc", "other", "", "", "other"),
    ],
    ids=[
        "article", "arxiv-journal", "corr", "arxiv-only", "inproceedings", "venue-kind",
        "incollection", "phdthesis", "techreport", "misc-arxiv", "misc", "venue-other",
    ],
)  # fmt: skip
def test_classify(entry_type, venue_kind, venue_text, arxiv, expected):
    venue = VenueView(short="X", kind=venue_kind) if venue_kind else None
    assert classify(entry_type, venue, venue_text, arxiv) == expected


@pytest.mark.parametrize(
    ("venue", "year", "expected"),
    [
        (VenueView(short="SIGMOD"), 2024, "SIGMOD'24"),
        (VenueView(short="XLOOP", parent_short="SC"), 2021, "XLOOP@SC'21"),
        (VenueView(short="ICCS"), 2005, "ICCS'05"),
        (VenueView(short="ICCS"), None, "ICCS"),
        (VenueView(), 2020, ""),
        (None, 2020, ""),
    ],
    ids=["plain", "workshop", "zero-pad", "no-year", "no-short", "no-venue"],
)
def test_fallback_shorthand(venue, year, expected):
    assert fallback_shorthand(venue, year) == expected


@pytest.mark.parametrize(
    ("entry_type", "fields", "expected"),
    [
        ("phdthesis", {"school": "Universitat Aut{\\`o}noma de Barcelona"},
         "PhD thesis, Universitat Autònoma de Barcelona, 2016"),
        ("techreport", {"institution": "ANL"}, "ANL, Technical Report 7, 2016"),
        ("misc", {"howpublished": "Blog post"}, "Blog post, 2016"),
    ],
    ids=["thesis", "report", "misc"],
)  # fmt: skip
def test_venue_from_fields(entry_type, fields, expected):
    record = BibRecord(
        key="k", entry_type=entry_type, title="T", year=2016, fields=fields,
        number="7" if entry_type == "techreport" else "",
    )  # fmt: skip
    entry = build_document([RenderRecord(record=record)]).entries[0]
    assert entry.venue_display == expected


def test_whitespace_in_data_never_starts_a_line():
    record = BibRecord(key="k", entry_type="article", title="A\n\n# Heading\n1. item", year=2020)
    text = RENDERERS["markdown"]([RenderRecord(record=record)])
    assert text == "1. *A # Heading 1. item*. 2020.\n"


def test_map_strings_drops_the_source():
    document = _cv_document()
    assert document.entries[0].source is not None
    escaped = RENDERERS["text"]  # any renderer: the template never sees sources
    assert escaped(document)
    from pubdb.render.data import map_strings

    copy = map_strings(document, str.upper)
    assert copy.entries[0].source is None
    assert copy.entries[0].title == document.entries[0].title.upper()
    assert copy.entries[0].number == document.entries[0].number


# --------------------------------------------------------------------------------------------
# Golden files: every list format and style on the fixture, plus csl-json and bibtex
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["cv", "plain"])
@pytest.mark.parametrize("fmt", LIST_FORMATS)
def test_golden_lists(fmt, style):
    text = RENDERERS[fmt](_cv_document(style))
    check_golden(f"render_{style}.{EXTENSIONS[fmt]}", text)


def test_golden_latex_standalone():
    check_golden("render_cv_standalone.tex", RENDERERS["latex"](_cv_document(), standalone=True))


def test_golden_csl_json():
    check_golden("render.csl.json", RENDERERS["csl-json"](_cv_document()))


@pytest.mark.parametrize("latex_escape", [False, True], ids=["utf8", "latex"])
def test_golden_bibtex(latex_escape):
    text = RENDERERS["bibtex"](_cv_document(), latex_escape=latex_escape)
    check_golden(f"render{'_ascii' if latex_escape else ''}.bib", text)


def test_cv_golden_from_the_example_bibliography():
    """bib/publications.bib rendered as the seed CV: tests/golden/cv_expected.md exactly."""
    from pubdb.importers.bibtex import read_bibtex
    from pubdb.names import parse_name, same_person
    from pubdb.venues import resolve_venue

    owner = parse_name("Zhengchun Liu")
    items = []
    for r in read_bibtex(REPO / "bib" / "publications.bib", workers=1).records:
        match = resolve_venue(r.venue_text, hint=r.venue_hint, entry_type=r.entry_type)
        venue = VenueView(
            short=match.short,
            name=match.name,
            kind=match.kind,
            parent_short=match.parent or "",
            shorthand=match.shorthand(r.year),
        )
        owners = tuple(same_person(a.name, owner) for a in r.authors)
        items.append(RenderRecord(record=r, venue=venue, owner=owners))
    document = build_document(items, group_by="tag", tag_titles=TAG_TITLES, tag_order=TAG_ORDER)
    expected = (REPO / "tests" / "golden" / "cv_expected.md").read_text(encoding="utf-8")
    assert RENDERERS["markdown"](document) == expected


# --------------------------------------------------------------------------------------------
# Registry and templates
# --------------------------------------------------------------------------------------------


def test_registry_has_every_format_with_one_signature():
    assert set(FORMATS) == {"markdown", "latex", "html", "text", "csl-json", "bibtex"}
    for fmt in FORMATS:
        text = RENDERERS[fmt](cv_records(), style="cv", template=None)
        assert isinstance(text, str) and text.endswith("\n")


def test_records_are_one_forward_numbered_group():
    text = RENDERERS["text"](cv_records()[:2], style="plain")
    assert text.startswith("1. Alexander van Renen")
    assert "\n2. Ziniu Wu, " in text


def test_render_unknown_format_is_an_input_error():
    with pytest.raises(InputError, match="unknown format 'docx'"):
        render("docx", cv_records())
    assert render("text", cv_records()[:1]).startswith("1. ")


def test_numbering_none_gives_bullets():
    document = build_document(cv_records()[:1], numbering="none")
    assert RENDERERS["markdown"](document).startswith("- Alexander")
    assert "\\begin{itemize}\n  \\item Alexander" in RENDERERS["latex"](document)
    assert '<ul class="pub-list">' in RENDERERS["html"](document)


def test_reverse_numbering_in_html_and_latex():
    document = build_document(cv_records()[:3], numbering="reverse")
    assert [line[:12] for line in RENDERERS["latex"](document).splitlines()[1:4]] == [
        "  \\item[3.] ",
        "  \\item[2.] ",
        "  \\item[1.] ",
    ]
    assert '<li class="pub pub-conference" value="3"' in RENDERERS["html"](document)


def test_et_al_gets_one_period():
    babu = [r for r in cv_records() if r.record.key == "babu2023deep"]
    assert "Zhengchun Liu**, et al. *Deep Learning" in RENDERERS["markdown"](babu)
    assert "Zhengchun Liu, et al. Deep Learning" in RENDERERS["text"](babu)


def test_title_ending_in_punctuation_gets_no_extra_period():
    record = BibRecord(key="k", entry_type="article", title="Why not?", venue_text="J", year=2020)
    assert "*Why not?* J, 2020." in RENDERERS["markdown"]([RenderRecord(record=record)])


def test_user_template_receives_the_document(tmp_path):
    template = tmp_path / "mine.j2"
    template.write_text(
        "{% for g in document.groups %}[{{ g.title }}]\n"
        "{% for e in g.entries %}{{ e.number }}|{{ e.title }}|{{ e.venue_display }}\n"
        "{% endfor %}{% endfor %}",
        encoding="utf-8",
    )
    text = RENDERERS["markdown"](_cv_document(), template=template)
    lines = text.splitlines()
    assert lines[0] == "[Papers on Machine Learning and Systems]"
    assert lines[1] == "1|Why TPC is not enough: An analysis of the Amazon Redshift fleet|VLDB'24"
    assert lines[7] == (
        "1|Deep Learning at the Edge Enables Real-time Streaming Ptychographic Imaging"
        "|Nature Communications, Vol. 14, p. 7059, 2023"
    )


def test_user_template_data_is_escaped_for_its_format(tmp_path):
    template = tmp_path / "t.j2"
    template.write_text("{% for e in document.entries %}{{ e.title }}{% endfor %}\n")
    assert "&lt;script&gt;" in RENDERERS["html"](hostile_records(), template=template)
    latex = RENDERERS["latex"](hostile_records(), template=template)
    assert "\\textbackslash{}input\\{/etc/passwd\\}" in latex


def test_user_template_can_import_the_shipped_macros(tmp_path):
    template = tmp_path / "t.j2"
    template.write_text('{% include "markdown_cv.md.j2" %}')
    assert RENDERERS["markdown"](_cv_document(), template=template) == RENDERERS["markdown"](
        _cv_document()
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% for x in %}", "t.j2:1: template error"),
        ("{{ document.nope }}", "t.j2: template error"),
    ],
    ids=["syntax", "undefined"],
)
def test_user_template_errors_are_input_errors(tmp_path, source, message):
    template = tmp_path / "t.j2"
    template.write_text(source)
    with pytest.raises(InputError, match=message):
        RENDERERS["text"](cv_records(), template=template)


def test_missing_template_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read template"):
        RENDERERS["text"](cv_records(), template=tmp_path / "missing.j2")


@pytest.mark.parametrize("fmt", ["csl-json", "bibtex"])
def test_template_with_data_formats_is_refused(tmp_path, fmt):
    with pytest.raises(InputError, match="--template works with"):
        RENDERERS[fmt](cv_records(), template=tmp_path / "t.j2")


# --------------------------------------------------------------------------------------------
# Hostile strings
# --------------------------------------------------------------------------------------------


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("style", ["cv", "plain"])
def test_html_escapes_every_data_string(style):
    text = RENDERERS["html"](build_document(hostile_records(), style=style))
    parser = _Collector()
    parser.feed(text)
    assert set(parser.tags) <= {"section", "ol", "ul", "li", "span", "strong", "cite", "a", "h3"}
    assert "script" not in parser.tags and "b" not in parser.tags and "i" not in parser.tags
    assert {name for name, _ in parser.attrs} <= {
        "class",
        "value",
        "data-key",
        "data-group",
        "href",
    }
    assert "onmouseover" not in {name for name, _ in parser.attrs}
    assert "href" not in {name for name, _ in parser.attrs}  # javascript: is never linked
    shown = "".join(parser.text)
    assert "<script>alert(1)</script>" in shown
    assert '" onmouseover="alert(1)' in shown or style == "plain"


def test_html_links_only_doi_and_http():
    record = BibRecord(key="k", entry_type="article", title="T", doi='10.1/a<b>"c')
    text = RENDERERS["html"]([RenderRecord(record=record)])
    assert '<a href="https://doi.org/10.1/a%3Cb%3E%22c">T</a>' in text
    for url, linked in [
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("http://x.org/a?b=1&c=2", True),
        ("HTTPS://X.ORG", True),
        ("https://x.org/a b", False),
        ("//x.org", False),
    ]:
        record = BibRecord(key="k", entry_type="article", title="T", url=url)
        text = RENDERERS["html"]([RenderRecord(record=record)])
        assert ("<a href=" in text) is linked, url


def test_latex_escapes_every_special_character():
    text = RENDERERS["latex"](build_document(hostile_records()))
    assert "\\input{" not in text and "\\write18" not in text and "\\end{document}" not in text
    assert "^^" not in text
    for escaped in [
        "\\textless{}script\\textgreater{}",
        "\\& 100\\% \\#1 a\\_b \\textasciitilde{}x\\textasciicircum{}y",
        "\\textbackslash{}input\\{/etc/passwd\\}",
        "$O(n \\log n)$",  # harmless math from the source is kept
        "\\$\\textbackslash{}input\\{/etc/passwd\\}\\$",  # math with \input is not
        "\\{braces\\}",
        "\\textbf{Mal\\textless{}b\\textgreater{} O'Ry \\& Co\\_\\{x\\}}",
        "X\\textasciicircum{}\\textasciicircum{}5cinput",
        "\\{Barnes\\} \\& \\textbackslash{}Noble",
        "\\textbf{\\textless{}b\\textgreater{}Best\\textless{}/b\\textgreater{} \\& 100\\%}",
    ]:
        assert escaped in text, escaped


def test_markdown_escapes_markup_in_data():
    text = RENDERERS["markdown"](build_document(hostile_records()))
    assert "<script>" not in text and "<b>" not in text
    assert "\\<script\\>" in text
    assert "a\\_b \\~x^y" in text
    assert "$O(n \\log n)$" in text
    assert "\\$\\\\input\\{/etc/passwd}\\$" not in text  # not math-like: escaped char by char


PDFLATEX = shutil.which("pdflatex")


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not on the PATH")
@pytest.mark.parametrize("style", ["cv", "plain"])
@pytest.mark.parametrize("which", ["cv", "hostile"])
def test_latex_compiles_with_pdflatex(tmp_path, style, which):
    records = cv_records() if which == "cv" else hostile_records()
    accents = BibRecord(
        key="accents",
        entry_type="article",
        title="Ptycho-Tomography: Ångström — ½ ≥ “quoted” α-helix ✉ 中",
        authors=(AuthorEntry(PersonName(given="Doğa", family="Gürsoy"), equal=True),),
        venue_text="Revista Española",
        year=2021,
    )
    document = build_document(
        [*records, RenderRecord(record=accents)], group_by="year", style=style
    )
    source = RENDERERS["latex"](document, standalone=True)
    (tmp_path / "list.tex").write_text(source, encoding="utf-8")
    result = subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "list.tex"],
        cwd=tmp_path,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "list.pdf").exists()
    assert not (tmp_path / "passwd.tex").exists()


def test_hostile_title_survives_in_text_unchanged():
    text = RENDERERS["text"](hostile_records())
    assert HOSTILE_TITLE in text


def test_entries_are_frozen():
    entry = _cv_document().entries[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.title = "x"  # type: ignore[misc]
