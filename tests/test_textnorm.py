"""Tests for pubdb.textnorm: LaTeX <-> Unicode, protection, folding, keys, DOI/arXiv/pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pubdb import textnorm
from pubdb.textnorm import (
    arxiv_id_from,
    clean_spaces,
    fold,
    latex_to_unicode,
    normalize_doi,
    normalize_pages,
    protected_words,
    strip_braces,
    title_bibtex,
    title_key,
    unicode_to_latex,
)

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"

# ------------------------------------------------------------------------------------------
# latex_to_unicode
# ------------------------------------------------------------------------------------------

DECODE_CASES = [
    ("brace-umlaut", r"{\"o}", "ö"),
    ("umlaut-arg", r"\"{o}", "ö"),
    ("acute-arg", r"\'{e}", "é"),
    ("acute-bare", r"\'e", "é"),
    ("acute-space", r"\' e", "é"),
    ("grave", r"\`a", "à"),
    ("circumflex", r"\^o", "ô"),
    ("dotless-i", r"{\i}", "ı"),
    ("acute-dotless-i", r"\'{\i}", "í"),
    ("acute-dotless-i-bare", r"\'\i", "í"),
    ("umlaut-dotless-i", r"{\"{\i}}", "ï"),
    ("ampersand", r"Smith \& Sons", "Smith & Sons"),
    ("eszett", r"{\ss}", "ß"),
    ("eszett-in-word", r"Stra\ss e", "Straße"),
    ("cedilla", r"\c{c}", "ç"),
    ("cedilla-space", r"Fran\c cois", "François"),
    ("breve", r"\u{g}", "ğ"),
    ("caron", r"\v{s}", "š"),
    ("caron-space", r"\v s", "š"),
    ("caron-capital-braced", r"{\v{S}}eve\v{c}ek", "Ševeček"),
    ("tilde", r"\~n", "ñ"),
    ("tilde-arg", r"Brand\~{a}o", "Brandão"),
    ("ring-aa", r"\aa", "å"),
    ("ring-AA", r"{\AA}ngstr{\"o}m", "Ångström"),
    ("ring-r", r"\r{u}", "ů"),
    ("slash-o", r"L{\o}fstedt", "Løfstedt"),
    ("slash-l", r"Bogus{\l}aw", "Bogusław"),
    ("AE", r"\AE", "Æ"),
    ("oe", r"{\oe}uvre", "œuvre"),
    ("hungarian", r"Erd\H{o}s", "Erdős"),
    ("ogonek", r"\k{a}", "ą"),
    ("dot-above", r"\.Z", "Ż"),
    ("macron", r"\=a", "ā"),
    ("dot-below", r"\d{s}", "ṣ"),
    ("nested-accents", r"{\'{\"u}}", "ǘ"),
    ("en-dash", "300--309", "300–309"),
    ("em-dash", "a---b", "a—b"),
    ("four-hyphens", "a----b", "a—-b"),
    ("single-hyphen", "Low-Dose", "Low-Dose"),
    ("tie-is-space", r"D.~E.~Knuth", "D. E. Knuth"),
    ("percent", r"50\%", "50%"),
    ("dollar", r"\$12M", "$12M"),
    ("underscore", r"foo\_bar", "foo_bar"),
    ("hash", r"C\#", "C#"),
    ("escaped-braces", r"\{x\}", "{x}"),
    ("textendash", r"1990\textendash{}2000", "1990–2000"),
    ("textemdash", r"a\textemdash b", "a— b"),
    ("textquoteright", r"don\textquoteright{}t", "don’t"),
    ("double-quotes", "``quoted''", "“quoted”"),
    ("single-quotes", "`quoted'", "‘quoted'"),
    ("apostrophe-kept", "O'Brien's", "O'Brien's"),
    ("protective-braces", r"{TomoGAN}: Low-Dose {X-Ray}", "TomoGAN: Low-Dose X-Ray"),
    ("double-braced-title", r"{{BraggNN}: Fast}", "BraggNN: Fast"),
    ("empty-group", r"Hef{}feron", "Hefferon"),
    ("textit", r"\textit{in situ}", "in situ"),
    ("emph", r"An \emph{Empirical} Study", "An Empirical Study"),
    ("textbf", r"\textbf{Bold}", "Bold"),
    ("em-switch", r"{\em in vivo} data", "in vivo data"),
    ("bf-switch", r"{\bf X}", "X"),
    ("textsc-nested-accent", r"\textsc{G{\"o}del}", "Gödel"),
    ("noopsort", r"{\noopsort{b}}Zed", "Zed"),
    ("uppercase", r"\MakeUppercase{abc}", "ABC"),
    ("superscript-digits", r"10\textsuperscript{3}", "10³"),
    ("superscript-letters-verbatim", r"5\textsuperscript{th}", r"5\textsuperscript{th}"),
    ("url", r"\url{http://x.org/a_b}", "http://x.org/a_b"),
    ("latex-logo-space", r"\LaTeX{} and \LaTeX is", "LaTeX and LaTeX is"),
    ("ldots", r"Wait\ldots", "Wait…"),
    ("pylatexenc-fallback-langle", r"\langle x \rangle", "⟨ x ⟩"),
    ("pylatexenc-fallback-greek", r"\alpha-helix", "α-helix"),
    ("math-dollar", r"The $\alpha$-model of $O(n^2)$", r"The $\alpha$-model of $O(n^2)$"),
    ("math-display", r"$$x_1$$ rest", r"$$x_1$$ rest"),
    ("math-paren", r"\(a_{i}\) and \[b\]", r"\(a_{i}\) and \[b\]"),
    ("math-escaped-dollar", r"$a\$b$ c", r"$a\$b$ c"),
    ("unbalanced-dollar", "costs $5", "costs $5"),
    ("unknown-with-arg", r"\mathcal{X} and \foo{bar}", r"\mathcal{X} and \foo{bar}"),
    ("unknown-with-opt-arg", r"\foo[1]{bar} x", r"\foo[1]{bar} x"),
    ("unknown-bare", r"\frobnicate x", r"\frobnicate x"),
    ("unbalanced-open", r"a {b", "a b"),
    ("stray-close", "a } b", "a  b"),
    ("trailing-backslash", "a\\", "a\\"),
    ("control-space", r"Mr.\ Smith", "Mr. Smith"),
    ("thin-space", r"P.{\,}G.", "P. G."),
    ("nbsp-command", r"a\nobreakspace{}b", "a\u00a0b"),
    ("spacing-accent", r"\~{}user", "~user"),
    ("discretionary-hyphen", r"data\-base", "database"),
    ("plain-unicode", "Gürsoy – ok", "Gürsoy – ok"),
]


@pytest.mark.parametrize(
    ("latex", "expected"), [c[1:] for c in DECODE_CASES], ids=[c[0] for c in DECODE_CASES]
)
def test_latex_to_unicode(latex: str, expected: str) -> None:
    assert latex_to_unicode(latex) == expected


def test_fast_path_returns_input_unchanged() -> None:
    text = "A Plain Title With Hyphen-Words and O'Brien"
    assert latex_to_unicode(text) is text


# ------------------------------------------------------------------------------------------
# protection: protected_words and title_bibtex
# ------------------------------------------------------------------------------------------

PROTECTION_CASES = [
    (
        "tomogan",
        r"{TomoGAN}: Low-Dose {X-Ray} Tomography",
        ["TomoGAN", "X-Ray"],
        r"{TomoGAN}: Low-Dose {X-Ray} Tomography",
    ),
    ("special-char-not-protected", r"{\"U}ber {BraggNN}", ["BraggNN"], r"Über {BraggNN}"),
    ("accent-in-protected", r"{G{\"o}del} Numbers", ["Gödel"], r"{Gödel} Numbers"),
    ("nested", r"{The {GPU} Era}", ["The GPU Era"], r"{The {GPU} Era}"),
    ("whole-title", r"{Deep Learning at the Edge}", ["Deep Learning at the Edge"], None),
    ("command-arg-not-listed", r"\emph{Foo} Bar", [], r"\emph{Foo} Bar"),
    ("math-kept", r"{$\alpha$} and $\beta$", ["$\\alpha$"], r"{$\alpha$} and $\beta$"),
    ("escapes-kept", r"Data \& {AI} --- 50\%", ["AI"], r"Data \& {AI} --- 50\%"),
    ("letters-decoded", r"Stra\ss e {\o}", [], "Straße ø"),
    ("unknown-verbatim", r"\foo{\"o} {\'E}cole", [], r"\foo{\"o} École"),
    ("empty-group", r"A{}B", [], "A{}B"),
]


@pytest.mark.parametrize(
    ("latex", "words", "bibtex"),
    [c[1:] for c in PROTECTION_CASES],
    ids=[c[0] for c in PROTECTION_CASES],
)
def test_protected_words_and_title_bibtex(latex: str, words: list[str], bibtex: str | None) -> None:
    assert protected_words(latex) == words
    expected_bibtex = latex if bibtex is None else bibtex
    assert title_bibtex(latex) == expected_bibtex
    # title_bibtex is still BibTeX: it decodes to the same title and protects the same words.
    assert latex_to_unicode(title_bibtex(latex)) == latex_to_unicode(latex)
    assert protected_words(title_bibtex(latex)) == words


_ATOMS = st.sampled_from(
    [
        "a",
        "B",
        " ",
        "-",
        "--",
        "'",
        "``",
        "''",
        "~",
        r"\"o",
        r"{\"U}",
        r"\'{e}",
        r"\c{c}",
        r"{\ss}",
        r"\o",
        r"\i",
        r"\&",
        r"\%",
        "$x^2$",
        r"\textendash{}",
        r"\v s",
        "GPU",
        r"\foo{x}",
        "{}",
    ]
)
# Balanced LaTeX built from the atoms: groups, special characters and command arguments.
_LATEX = st.recursive(
    st.lists(_ATOMS, max_size=6).map("".join),
    lambda inner: st.one_of(
        inner.map(lambda x: "{" + x + "}"),
        inner.map(lambda x: "{\\" + '"' + x + "}"),
        inner.map(lambda x: "\\emph{" + x + "}"),
        inner.map(lambda x: "{\\em " + x + "}"),
        st.lists(inner, max_size=4).map("".join),
    ),
    max_leaves=12,
)


@given(_LATEX)
def test_title_bibtex_decodes_like_the_source(latex: str) -> None:
    assert latex_to_unicode(title_bibtex(latex)) == latex_to_unicode(latex)
    assert protected_words(title_bibtex(latex)) == protected_words(latex)


@given(st.text(alphabet="ab -'{}"))
def test_text_whose_only_latex_is_braces_decodes_like_the_decoder(text: str) -> None:
    # latex_to_unicode drops the braces without running the decoder (a fast path)
    assert latex_to_unicode(text) == textnorm._Decoder(text).run(0, 0)[0]


@given(st.text())
def test_any_text_is_handled_without_errors(text: str) -> None:
    assert isinstance(latex_to_unicode(text), str)
    assert isinstance(title_bibtex(text), str)
    assert isinstance(protected_words(text), list)
    assert isinstance(title_key(text), str)


# ------------------------------------------------------------------------------------------
# unicode_to_latex
# ------------------------------------------------------------------------------------------

ENCODE_CASES = [
    ("acute", "é", r"{\'e}"),
    ("umlaut-name", "Gürsoy", r"G{\"u}rsoy"),
    ("cedilla", "ç", r"{\c{c}}"),
    ("caron", "Š", r"{\v{S}}"),
    ("eszett", "ß", r"{\ss}"),
    ("slash-o", "ø", r"{\o}"),
    ("ring-a", "å", r"{\aa}"),
    ("dotless-i", "ı", r"{\i}"),
    ("i-acute", "í", r"{\'i}"),
    ("double-accent", "ǘ", r"{\'{\"u}}"),
    ("ampersand", "R&D", r"R\&D"),
    ("specials", "50% $5 #1 a_b {x}", r"50\% \$5 \#1 a\_b \{x\}"),
    ("backslash", "a\\b", r"a\textbackslash{}b"),
    ("tilde", "~user", r"\textasciitilde{}user"),
    ("en-dash", "300–309", "300--309"),
    ("em-dash", "a—b", "a---b"),
    ("double-hyphen-kept", "a--b", "a-{}-b"),
    ("hyphen-then-en-dash", "a-–b", "a-{}--b"),
    ("typographic-quotes", "“q” ‘s’", r"``q'' `s\textquoteright{}"),
    ("apostrophes", "''", "'{}'"),
    ("nbsp", "a\u00a0b", r"a\nobreakspace{}b"),
    ("cjk-kept", "刘正春", "刘正春"),
]


@pytest.mark.parametrize(
    ("text", "latex"), [c[1:] for c in ENCODE_CASES], ids=[c[0] for c in ENCODE_CASES]
)
def test_unicode_to_latex(text: str, latex: str) -> None:
    assert unicode_to_latex(text) == latex
    assert latex_to_unicode(latex) == text


def test_unicode_to_latex_without_specials_keeps_latex() -> None:
    assert unicode_to_latex(r"{Über} \& 300--309", escape_specials=False) == (
        r"{{\"U}ber} \& 300--309"
    )


_LATIN = "".join(chr(c) for c in range(0xA0, 0x180) if chr(c) not in "\u00ad")
_ASCII_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
# Characters with a LaTeX text spelling (the output must be pure ASCII for them).
_REPRESENTABLE = (
    "".join(ch for ch in _LATIN if ch not in "ĸŉſĲĳĿŀĦħŦŧŉ") + _ASCII_PRINTABLE + "\n–—“”‘’…"
)


@given(st.text(alphabet=_LATIN + _ASCII_PRINTABLE + "\n\t–—“”‘’…€\u0301\u00ad刘"))
def test_unicode_latex_round_trip(text: str) -> None:
    assert latex_to_unicode(unicode_to_latex(text)) == text


@given(st.text(alphabet=_REPRESENTABLE))
def test_unicode_to_latex_is_ascii_for_latin_text(text: str) -> None:
    assert unicode_to_latex(text).isascii()


# ------------------------------------------------------------------------------------------
# braces, fold, title_key, spaces
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{TomoGAN}: {X-Ray}", "TomoGAN: X-Ray", id="protective"),
        pytest.param(r"\{literal\} {x}", r"\{literal\} x", id="escaped-kept"),
        pytest.param("no braces", "no braces", id="none"),
    ],
)
def test_strip_braces(text: str, expected: str) -> None:
    assert strip_braces(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Gürsoy", "gursoy", id="umlaut"),
        pytest.param(r"G{\"u}rsoy", "gursoy", id="latex-umlaut"),
        pytest.param("GURSOY", "gursoy", id="caps"),
        pytest.param("Straße", "strasse", id="eszett"),
        pytest.param("Løfstedt", "lofstedt", id="slash-o"),
        pytest.param("Bogusław", "boguslaw", id="slash-l"),
        pytest.param("  Many \n  spaces\t", "many spaces", id="spaces"),
        pytest.param("ﬁle", "file", id="ligature"),
        pytest.param("Ångström", "angstrom", id="ring"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_makes_accent_spellings_equal() -> None:
    assert fold("Gürsoy") == fold(r"G{\"u}rsoy") == fold("Gursoy") == fold(r"G\"{u}rsoy")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        pytest.param(
            r"The {TomoGAN}: Low-Dose {X-Ray} Tomography",
            "tomogan low dose x ray tomography",
            id="braces-and-article",
        ),
        pytest.param("A Simple Data Interface", "simple data interface", id="a"),
        pytest.param("An Empirical Study", "empirical study", id="an"),
        pytest.param("Another Study", "another study", id="not-an-article"),
        pytest.param("The", "the", id="only-article"),
        pytest.param(
            r"{\"U}ber Alles --- Everything", "uber alles everything", id="accents-dashes"
        ),
        pytest.param(
            "Why TPC is not enough: An analysis",
            "why tpc is not enough an analysis",
            id="inner-an-kept",
        ),
        pytest.param("Men's   Health,\n  Again!", "mens health again", id="apostrophe-spaces"),
        pytest.param(r"Deep Learning: \emph{A} Review", "deep learning a review", id="command"),
        pytest.param("Über alles", "uber alles", id="unicode"),
    ],
)
def test_title_key(title: str, expected: str) -> None:
    assert title_key(title) == expected


def test_title_key_equates_latex_and_unicode_spellings() -> None:
    assert title_key(r"{\"U}ber {GPU}s") == title_key("Über GPUs") == title_key("uber gpus")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("  a  b\n\tc  ", "a b c", id="runs"),
        pytest.param("clean", "clean", id="clean"),
        pytest.param("", "", id="empty"),
    ],
)
def test_clean_spaces(value: str, expected: str) -> None:
    assert clean_spaces(value) == expected


# ------------------------------------------------------------------------------------------
# DOI, arXiv, pages
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("10.1145/3626246.3653394", "10.1145/3626246.3653394", id="plain"),
        pytest.param(
            "https://doi.org/10.1107/S2052252521011258", "10.1107/s2052252521011258", id="https"
        ),
        pytest.param(
            "http://dx.doi.org/10.1016/J.FUTURE.2020.11.024",
            "10.1016/j.future.2020.11.024",
            id="dx",
        ),
        pytest.param("doi:10.1364/JOSAA.375595", "10.1364/josaa.375595", id="doi-colon"),
        pytest.param("DOI: 10.1364/JOSAA.375595", "10.1364/josaa.375595", id="doi-colon-space"),
        pytest.param("  10.1109/ CLUSTER.2022.00053 \n", "10.1109/cluster.2022.00053", id="spaces"),
        pytest.param(r"10.1000/abc\_def", "10.1000/abc_def", id="escaped-underscore"),
        pytest.param(
            "https://dl.acm.org/doi/abs/10.1145/3448016.3457542",
            "10.1145/3448016.3457542",
            id="publisher-url",
        ),
        pytest.param("https://doi.org/10.1000%2Fxyz", "10.1000/xyz", id="url-encoded"),
        pytest.param("HTTPS://WWW.DOI.ORG/10.1/AB.;", "10.1/ab", id="upper-prefix-trailing"),
        pytest.param("urn:doi:10.1/x", "10.1/x", id="urn"),
        pytest.param("https://doi.org/doi:10.1/x", "10.1/x", id="two-prefixes"),
        pytest.param("doi:\t10.1/x", "10.1/x", id="doi-colon-tab"),
        pytest.param("10.1/a{B}", "10.1/ab", id="braces"),
        pytest.param("10.1/a\u00a0b", "10.1/ab", id="no-break-space"),
        pytest.param("", "", id="empty"),
    ],
)
def test_normalize_doi(value: str, expected: str) -> None:
    assert normalize_doi(value) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"eprint": "2209.01356", "archivePrefix": "arXiv"}, "2209.01356", id="eprint-prefix"
        ),
        pytest.param(
            {"eprint": "2209.01356v2", "archiveprefix": "arXiv"}, "2209.01356", id="eprint-version"
        ),
        pytest.param(
            {"eprint": "arXiv:2204.09805", "eprinttype": "arxiv"},
            "2204.09805",
            id="eprint-arxiv-colon",
        ),
        pytest.param({"eprint": "2204.09805"}, "2204.09805", id="bare-new-id"),
        pytest.param(
            {"eprint": "hep-th/9901001v3", "archivePrefix": "arXiv"},
            "hep-th/9901001",
            id="old-style",
        ),
        pytest.param(
            {"eprint": "math.GT/0309136", "archivePrefix": "arXiv"},
            "math.GT/0309136",
            id="old-style-subject",
        ),
        pytest.param({"eprint": "hal-01234567", "archivePrefix": "HAL"}, "", id="hal"),
        pytest.param({"eprint": "2204.09805", "archivePrefix": "HAL"}, "", id="prefix-says-hal"),
        pytest.param(
            {"journal": "arXiv preprint arXiv:2209.01356"}, "2209.01356", id="journal-preprint"
        ),
        pytest.param(
            {"journal": "ArXiv", "volume": "abs/2204.09805"}, "2204.09805", id="semantic-scholar"
        ),
        pytest.param({"journal": "CoRR", "volume": "abs/1906.01234"}, "1906.01234", id="dblp-corr"),
        pytest.param(
            {"journal": "{arXiv} e-prints", "note": "arXiv:1001.01234v1"}, "1001.01234", id="note"
        ),
        pytest.param({"doi": "10.48550/arXiv.2209.01356"}, "2209.01356", id="arxiv-doi"),
        pytest.param(
            {"doi": "https://doi.org/10.48550/ARXIV.2209.01356"}, "2209.01356", id="arxiv-doi-url"
        ),
        pytest.param({"url": "https://arxiv.org/abs/2209.01356v1"}, "2209.01356", id="abs-url"),
        pytest.param({"url": "http://arxiv.org/pdf/2209.01356.pdf"}, "2209.01356", id="pdf-url"),
        pytest.param(
            {"url": "https://arxiv.org/abs/hep-th/9901001"}, "hep-th/9901001", id="old-url"
        ),
        pytest.param({"journal": "Nature Communications", "volume": "14"}, "", id="journal"),
        pytest.param({"doi": "10.1038/s41467-023-41496-z"}, "", id="other-doi"),
        pytest.param({}, "", id="empty"),
    ],
)
def test_arxiv_id_from(fields: dict[str, str], expected: str) -> None:
    assert arxiv_id_from(fields) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("300 - 309", "300--309", id="spaced"),
        pytest.param("300-309", "300--309", id="hyphen"),
        pytest.param("300–309", "300--309", id="en-dash"),
        pytest.param("300—309", "300--309", id="em-dash"),
        pytest.param("300 -- 309", "300--309", id="spaced-double"),
        pytest.param("300---309", "300--309", id="triple"),
        pytest.param("300  -  309", "300--309", id="spaced-wide"),
        pytest.param("300 - ", "300--", id="open-range"),
        pytest.param("300-", "300-", id="open-hyphen"),
        pytest.param("300 309", "300 309", id="no-dash"),
        pytest.param("300--309", "300--309", id="already"),
        pytest.param("pp. 300-309", "300--309", id="pp-prefix"),
        pytest.param("387-400, 410-412", "387--400, 410--412", id="list"),
        pytest.param("e1-e7", "e1--e7", id="article-numbers"),
        pytest.param("A-12", "A-12", id="page-label"),
        pytest.param("7059", "7059", id="single"),
        pytest.param("  167 -\n 178 ", "167--178", id="newline"),
        pytest.param(r"10\textendash{}18", "10--18", id="latex-dash"),
    ],
)
def test_normalize_pages(value: str, expected: str) -> None:
    assert normalize_pages(value) == expected


# ------------------------------------------------------------------------------------------
# real-world corpora: every field value decodes without an exception
# ------------------------------------------------------------------------------------------


def _corpus_field_values() -> list[str]:
    import bibtexparser

    values: list[str] = []
    for path in sorted((CORPORA / "real-world").rglob("*.bib")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            library = bibtexparser.parse_string(text)
        except Exception:  # a broken file is the importer's business, not this module's
            continue
        for entry in library.entries:
            values.extend(str(field.value) for field in entry.fields)
    return values


@pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")
def test_real_world_fields_decode_without_errors() -> None:
    values = _corpus_field_values()
    assert len(values) > 1000
    for value in values:
        decoded = latex_to_unicode(value)
        assert isinstance(decoded, str)
        assert latex_to_unicode(title_bibtex(value)) == decoded, value
        protected_words(value)
        title_key(value)
