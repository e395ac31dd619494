"""Exports of hostile data: HTML stays inert, LaTeX passes only its allow-list (pdflatex proves it).

Everything goes through the real commands: a hostile .bib is imported with `pubdb import` and
written with `pubdb export`. The LaTeX allow-list is documented in docs/latex-allowlist.md.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pubdb.cli import cli
from pubdb.render.escape import (
    MATH_COMMANDS,
    TEXT_STYLE_COMMANDS,
    TEXT_STYLE_SWITCHES,
    is_harmless_math,
    latex_escape,
    latex_title,
)
from pubdb.textnorm import latex_to_unicode

REPO = Path(__file__).resolve().parents[1]


def _run(database: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(database), *args], catch_exceptions=False)


def _imported(tmp_path: Path, bib: str) -> Path:
    database = tmp_path / "db.sqlite"
    source = tmp_path / "hostile.bib"
    source.write_text(bib, encoding="utf-8")
    result = _run(database, "import", str(source))
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.stdout, result.output
    return database


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

XSS_BIB = r"""
@inproceedings{xss1,
  title = {<script>alert(1)</script> and " onmouseover="alert(2)" x="},
  author = {<img src=x onerror=alert(3)> and Evil, " onmouseover="alert(4)
            and O'Brien, <b>Bold</b>},
  booktitle = {<b>Conf</b> " onmouseover="alert(5)},
  year = 2020,
  url = {javascript:alert(6)}
}
@article{xss2,
  title = {A data URL},
  author = {Doe, Jane},
  journal = {Journal of <script>alert(7)</script>},
  year = 2021,
  url = {data:text/html,<script>alert(8)</script>}
}
@article{xss3,
  title = {Mixed case},
  author = {Doe, Jane},
  journal = {J' onmouseover='alert(9)},
  year = 2021,
  url = {JaVaScRiPt:alert(10)}
}
@article{xss4,
  title = {A quote in the DOI},
  author = {Doe, Jane},
  journal = {J},
  year = 2022,
  doi = {10.1000/x"onmouseover="alert(11)}
}
@article{xss5,
  title = {A quote in the URL},
  author = {Doe, Jane},
  journal = {J},
  year = 2022,
  url = {https://example.org/"onmouseover="alert(12)}
}
"""

HTML_TAGS = {"section", "h3", "ol", "ul", "li", "span", "strong", "cite", "a", "p",
             "html", "head", "meta", "title", "style", "body"}  # fmt: skip


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def _parsed(text: str) -> _Collector:
    collector = _Collector()
    collector.feed(text)
    collector.close()
    return collector


@pytest.mark.parametrize("style", ["cv", "plain"])
@pytest.mark.parametrize("standalone", [False, True], ids=["fragment", "standalone"])
def test_html_export_renders_hostile_titles_names_and_venues_inert(tmp_path, style, standalone):
    database = _imported(tmp_path, XSS_BIB)
    flags = ["--standalone"] if standalone else []
    result = _run(database, "export", "--format", "html", "--style", style, *flags)
    assert result.exit_code == 0, result.output
    page = _parsed(result.stdout)
    tags = {tag for tag, _ in page.tags}
    assert tags <= HTML_TAGS, tags - HTML_TAGS  # no <script>, <img>, <b> from the data
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, attrs)
            assert name in {"class", "value", "data-key", "data-group", "href", "lang",
                            "charset"}, (tag, attrs)  # fmt: skip
            if name == "href":
                assert value is not None and value.startswith(("https://", "http://")), value
    hrefs = sorted(value for tag, attrs in page.tags for name, value in attrs if name == "href")
    assert hrefs == [
        "https://doi.org/10.1000/x%22onmouseover%3D%22alert(11)",
        'https://example.org/"onmouseover="alert(12)',  # the quotes stay inside the attribute
    ]
    text = "".join(page.text)  # the data is there, as text
    for shown in ["<script>alert(1)</script>", '" onmouseover="alert(2)', "<img src=x",
                  "<b>Conf</b>" if style == "plain" else "Jane Doe", "O'Brien"]:  # fmt: skip
        assert shown in text, shown


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.org/paper", True),
        ("http://example.org/paper", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("  javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("vbscript:msgbox(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("file:///etc/passwd", False),
        ("//evil.example.org/x", False),
        ("ftp://example.org/x", False),
        ("https:alert(1)", False),
    ],
    ids=["https", "http", "javascript", "javascript-case", "javascript-spaces",
         "javascript-tab", "vbscript", "data", "file", "scheme-relative", "ftp", "no-host"],
)  # fmt: skip
def test_only_http_https_and_doi_urls_are_linked(tmp_path, url, linked):
    bib = f"@article{{k, title={{T}}, author={{Doe, J.}}, journal={{J}}, year=2020, url={{{url}}}}}"
    database = _imported(tmp_path, bib)
    result = _run(database, "export", "--format", "html")
    links = [value for tag, attrs in _parsed(result.stdout).tags for n, value in attrs
             if n == "href"]  # fmt: skip
    assert links == ([url] if linked else [])


# --------------------------------------------------------------------------------------------
# LaTeX: the allow-list, unit by unit
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"\emph{TomoGAN}: fast", r"\emph{TomoGAN}: fast"),
        (r"{\em Low-dose} \textbf{X-ray \emph{CT}}", r"{\em Low-dose} \textbf{X-ray \emph{CT}}"),
        (r"\textsc{Sql} and \texttt{grep} \textsuperscript{th}",
         r"\textsc{Sql} and \texttt{grep} \textsuperscript{th}"),
        (r"\emph {spaced}", r"\emph{spaced}"),
        (r"\emph{$O(n \log n)$} time", r"\emph{$O(n \log n)$} time"),
        (r"\emph{\input{/etc/passwd}}", r"\emph{\textbackslash{}input\{/etc/passwd\}}"),
        (r"{\em \write18{rm}}", r"{\em \textbackslash{}write18rm}"),
        (r"\emph{$\input{x}$}", r"\emph{\$\textbackslash{}input\{x\}\$}"),
        (r"\emph{G{\"u}rsoy} \& Co", r'\emph{G{\"u}rsoy} \& Co'),
        (r"\emph{unclosed", "unclosed"),
        (r"\emphasis{x}", r"\textbackslash{}emphasis\{x\}"),
        (r"\{\em x\}", r"\{x\}"),  # a switch outside a group is dropped, as in the title
        (r"\emph{$a}b$}", r"\emph{\$a}b\$"),
        (r"\emph{" * 60 + "x" + "}" * 60, r"\emph{" * 50 + "x" + "}" * 50),
    ],
    ids=["emph", "switch-and-nested", "more-styles", "space-before-argument", "math-inside",
         "input-inside", "write18-in-switch", "hostile-math-inside", "accent-and-escape",
         "unclosed", "not-a-style", "escaped-brace-is-no-group", "math-hides-brace",
         "deeper-than-the-limit"],
)  # fmt: skip
def test_latex_title_keeps_text_styles_and_escapes_the_rest(source, expected):
    assert latex_title(source, latex_to_unicode(source)) == expected


def test_latex_title_falls_back_to_the_title():
    assert latex_title("", "A & B") == r"A \& B"
    assert latex_title("No styles {here}", "No styles here") == "No styles here"
    # A source that no longer decodes to the title (edited since) is not used.
    assert latex_title(r"\emph{Old}", "New & improved") == r"New \& improved"


@pytest.mark.parametrize(
    ("segment", "harmless"),
    [
        ("$\\\\}$", False),  # `\\` then a real closing brace: used to pass the brace check
        ("$\\\\{$", False),
        ("$\\{ x \\}$", True),
        ("$\\left( x \\right)$", True),
        ("$\\left( x$", False),  # an unpaired \left stops pdflatex
        ("$a\x0cb$", False),  # ^^L is \par
        ("$a\x1bb$", False),
        ("$a\\$b$", False),
        ("$\\mathrm{O}(n^{2})$", True),
        ("$\\csname input\\endcsname$", False),
        ("$\\expandafter\\x$", False),
    ],
    ids=["backslash-then-close", "backslash-then-open", "escaped-braces", "left-right",
         "unpaired-left", "form-feed", "escape-char", "escaped-dollar", "plain",
         "csname", "expandafter"],
)  # fmt: skip
def test_math_allow_list(segment, harmless):
    assert is_harmless_math(segment) is harmless


def test_latex_escape_drops_control_characters():
    assert latex_escape("a\x0cb\x1bc\x7fd\x85e\tf") == "a bcde f"


def test_style_and_math_allow_lists_hold_nothing_that_reads_writes_or_redefines():
    dangerous = {"input", "include", "write", "immediate", "openout", "openin", "read",
                 "catcode", "def", "edef", "gdef", "let", "csname", "expandafter", "special",
                 "usepackage", "newcommand", "renewcommand", "makeatletter", "jobname",
                 "scantokens", "uppercase", "lowercase", "string", "verb", "url",
                 "href"}  # fmt: skip
    assert not dangerous & (MATH_COMMANDS | TEXT_STYLE_COMMANDS | TEXT_STYLE_SWITCHES)


def test_the_allow_list_is_documented():
    doc = (REPO / "docs" / "latex-allowlist.md").read_text(encoding="utf-8")
    for name in sorted(MATH_COMMANDS | TEXT_STYLE_COMMANDS | TEXT_STYLE_SWITCHES):
        assert f"`\\{name}`" in doc, name
    assert "docs/latex-allowlist.md" in (REPO / "README.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# LaTeX: hostile titles through import and export, then pdflatex
# --------------------------------------------------------------------------------------------

CANARY_TOKEN = "CANARY7f3a9c"


HOSTILE_TITLES = {
    "read1": r"Reads \input{canary} and \include{canary} and \InputIfFileExists{canary}{}{}",
    "read2": r"Math $\input{canary}$ and $^^5cinput{canary}$ and ^^5cinput{canary} $x$",
    "read3": r"\csname input\endcsname{canary} \expandafter\input\string{canary}"
    r" \def\x{\input{canary}}\x",
    "write1": r"\immediate\openout1=pwned.txt \immediate\write1{owned}\immediate\closeout1"
    r" \newwrite\w \write18{touch shell-escaped}",
    "catcode": r"\catcode`\|=0 |input{canary} \makeatletter \@@input canary \endinput",
    "read4": r"\read16 to \x \openin5=canary.tex \read5 to \y \y \lstinputlisting{canary}"
    r" \verbatiminput{canary}",
    "styles": r"\emph{\input{canary}} {\em \input{canary}} \textbf{$\input{canary}$}"
    r" \emph{Allowed} G{\"u}rsoy $O(n \log n)$",
}
HOSTILE_AUTHORS = r"\input{canary}, Mallory and \include{canary}, Eve and G{\"u}rsoy, Do{\u g}a"
HOSTILE_VENUES = [r"\input{canary} Journal", r"\openout1=journal-pwned.txt", "J"]


def _latex_bib(canary: Path) -> str:
    titles = {**HOSTILE_TITLES, "absolute": f"\\input{{{canary}}}"}
    return "\n".join(
        f"@article{{{key},\n  title = {{{title}}},\n  author = {{{HOSTILE_AUTHORS}}},\n"
        f"  journal = {{{HOSTILE_VENUES[number % 3]}}},\n  year = {2020 + number % 3}\n}}"
        for number, (key, title) in enumerate(titles.items())
    )


# Control words the exported fragment may contain: the templates', the allow-lists', and those
# escaping writes (specials, accents and symbols from pylatexenc's table).
TEMPLATE_COMMANDS = {"begin", "end", "item", "emph", "textbf", "subsection", "par", "smallskip",
                     "noindent", "small"}  # fmt: skip
ESCAPE_COMMANDS = {"textbackslash", "textless", "textgreater", "textasciitilde",
                   "textasciicircum", "textbar", "textquoteleft", "textquoteright",
                   "textendash", "textemdash", "ensuremath", "u", "c", "v", "H", "k", "r", "d",
                   "b", "t", "i", "j", "o", "O", "l", "L", "ss", "aa", "AA", "ae",
                   "AE"}  # fmt: skip
FORBIDDEN = {"input", "include", "InputIfFileExists", "csname", "endcsname", "expandafter",
             "string", "def", "immediate", "openout", "write", "closeout", "newwrite",
             "catcode", "makeatletter", "endinput", "read", "openin", "lstinputlisting",
             "verbatiminput"}  # fmt: skip
CONTROL_WORD = re.compile(r"\\([A-Za-z@]+)")


@pytest.mark.parametrize("style", ["cv", "plain"])
def test_latex_export_passes_only_the_allow_list(tmp_path, style):
    database = _imported(tmp_path, _latex_bib(tmp_path / "canary.tex"))
    result = _run(database, "export", "--format", "latex", "--style", style)
    assert result.exit_code == 0, result.output
    latex = result.stdout
    words = set(CONTROL_WORD.findall(latex))
    allowed = TEMPLATE_COMMANDS | ESCAPE_COMMANDS | TEXT_STYLE_COMMANDS | TEXT_STYLE_SWITCHES
    assert words <= allowed | MATH_COMMANDS, words - allowed - MATH_COMMANDS
    assert not words & FORBIDDEN
    assert "^^" not in latex
    assert latex.count("{") == latex.count("}") + latex.count("\\}") - latex.count("\\{")
    for kept in [r"\emph{Allowed}", r"$O(n \log n)$", r'G{\"u}rsoy', r"{\em \textbackslash{}input",
                 r"\emph{\textbackslash{}input\{canary\}}", r"$x$"]:  # fmt: skip
        assert kept in latex, kept


PDFLATEX = shutil.which("pdflatex")
PDFTOTEXT = shutil.which("pdftotext")


def _pdflatex(directory: Path, name: str, texinputs: Path) -> subprocess.CompletedProcess[str]:
    """Compile ``name`` in ``directory`` with shell escape off and paranoid file access; the
    canary's folder is on TeX's search path, so a bare ``\\input{canary}`` would find it."""
    env = dict(os.environ)
    env.update(
        openout_any="p",
        openin_any="p",
        shell_escape="f",
        max_print_line="100000",  # unwrapped log lines: the file names in it stay whole
        TEXINPUTS=f"{texinputs}//{os.pathsep}",
    )
    return subprocess.run(
        [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", name],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=300,
    )


def _canary(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    canary = outside / "canary.tex"
    canary.write_text(f"\\typeout{{{CANARY_TOKEN}}}{CANARY_TOKEN}\n", encoding="utf-8")
    return canary


@pytest.mark.slow
@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not on the PATH")
def test_the_compile_setup_would_see_a_read_or_a_write(tmp_path):
    """The control: unescaped, the same commands do read the canary and write a file, so the
    next test passes because of the escaping, not because TeX could not reach the files."""
    canary = _canary(tmp_path)
    build = tmp_path / "build"
    build.mkdir()
    (build / "raw.tex").write_text(
        "\\documentclass{article}\\begin{document}\\input{canary}"
        "\\immediate\\openout1=pwned.txt\\immediate\\write1{x}\\immediate\\closeout1"
        "\\end{document}\n",
        encoding="utf-8",
    )
    done = _pdflatex(build, "raw.tex", canary.parent)
    assert done.returncode == 0, done.stdout[-3000:]
    log = (build / "raw.log").read_text(errors="replace")
    assert CANARY_TOKEN in log and f"({canary}" in log
    assert (build / "pwned.txt").exists()


@pytest.mark.slow
@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not on the PATH")
@pytest.mark.parametrize("style", ["cv", "plain"])
def test_pdflatex_on_exported_hostile_titles_reads_and_writes_nothing_else(tmp_path, style):
    canary = _canary(tmp_path)
    database = _imported(tmp_path, _latex_bib(canary))
    build = tmp_path / "build"
    build.mkdir()
    result = _run(database, "export", "--format", "latex", "--style", style, "--standalone",
                  "-o", str(build / "list.tex"))  # fmt: skip
    assert result.exit_code == 0, result.output
    done = _pdflatex(build, "list.tex", canary.parent)
    log = (build / "list.log").read_text(errors="replace")
    # TeX logs "(PATH" for every file it opens; the canary's path in a title is only text.
    assert CANARY_TOKEN not in log and f"({canary}" not in log
    assert sorted(p.name for p in build.iterdir()) == ["list.aux", "list.log", "list.pdf",
                                                       "list.tex"]  # fmt: skip
    assert sorted(p.name for p in canary.parent.iterdir()) == ["canary.tex"]
    assert done.returncode == 0, done.stdout[-3000:]
    if PDFTOTEXT is not None:
        text = subprocess.run(
            [PDFTOTEXT, str(build / "list.pdf"), "-"], capture_output=True, text=True, timeout=60
        ).stdout
        assert CANARY_TOKEN not in text
        assert "Allowed" in text and "\\input{canary}" in text  # printed, not run
