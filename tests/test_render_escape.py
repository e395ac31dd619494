"""Tests for pubdb.render.escape: LaTeX and Markdown escaping, math detection, safe links."""

from __future__ import annotations

import pytest

from pubdb.render.escape import (
    is_harmless_math,
    latex_escape,
    markdown_escape,
    safe_link,
    split_math,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", [(False, "plain")]),
        ("a $x^2$ b", [(False, "a "), (True, "$x^2$"), (False, " b")]),
        ("$12M and $3M", [(False, "$12M and $3M")]),
        ("cost $5 $", [(False, "cost $5 $")]),
        ("$a$$b$", [(True, "$a$"), (True, "$b$")]),
        ("\\$x$", [(False, "\\$x$")]),
        ("$\\$x$", [(True, "$\\$x$")]),
    ],
    ids=["none", "inline", "money", "space-before-close", "adjacent", "escaped", "inner-escape"],
)
def test_split_math(text, expected):
    assert split_math(text) == expected


@pytest.mark.parametrize(
    ("segment", "harmless"),
    [
        ("$O(n \\log n)$", True),
        ("$\\mathcal{O}(n^{2})$", True),
        ("$\\alpha_1 + \\beta$", True),
        ("$a \\, b$", True),
        ("$\\input{/etc/passwd}$", False),
        ("$\\write18{rm}$", False),
        ("$\\immediate\\write$", False),
        ("$^^5cinput$", False),
        ("$a % comment$", False),
        ("$a & b$", False),
        ("$#1$", False),
        ("$\\frac{a}{b$", False),
        ("$a}{b$", False),
        ("$\\def\\x{y}$", False),
        ("$\\catcode$", False),
    ],
    ids=[
        "log", "mathcal", "greek", "thin-space", "input", "write18", "immediate", "caret-code",
        "comment", "alignment", "parameter", "unbalanced", "closing-first", "def", "catcode",
    ],
)  # fmt: skip
def test_is_harmless_math(segment, harmless):
    assert is_harmless_math(segment) is harmless


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A & B", "A \\& B"),
        ("100% #1", "100\\% \\#1"),
        ("a_b ~c ^d", "a\\_b \\textasciitilde{}c \\textasciicircum{}d"),
        ("{x} \\y", "\\{x\\} \\textbackslash{}y"),
        ("<a|b>", "\\textless{}a\\textbar{}b\\textgreater{}"),
        ("$x^2$ & $y", "$x^2$ \\& \\$y"),
        ("$\\input{x}$", "\\$\\textbackslash{}input\\{x\\}\\$"),
        ("Gürsoy", "G{\\\"u}rsoy"),
        ("a – b", "a {\\textendash} b"),
        ("α-helix", "{\\ensuremath{\\alpha}}-helix"),
        ("中", "中"),
        ("e\u0301", "{\\'e}"),
    ],
    ids=[
        "amp", "percent-hash", "underscore-tilde-caret", "braces-backslash", "angle-bar",
        "math-kept", "math-hostile", "umlaut", "en-dash", "greek", "unknown-kept", "nfc",
    ],
)  # fmt: skip
def test_latex_escape(text, expected):
    assert latex_escape(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a*b_c", "a\\*b\\_c"),
        ("<script>", "\\<script\\>"),
        ("[link](x)", "\\[link\\](x)"),
        ("`code` ~x~ |", "\\`code\\` \\~x\\~ \\|"),
        ("back\\slash", "back\\\\slash"),
        ("$x_i$ costs $5", "$x_i$ costs \\$5"),
        ("$<b>$", "\\$\\<b\\>\\$"),
        ("Computers & Industrial Engineering", "Computers & Industrial Engineering"),
        ("SIGMOD'24 #1", "SIGMOD'24 #1"),
    ],
    ids=[
        "emphasis", "html", "link", "code-strike-pipe", "backslash", "math-kept",
        "math-with-html", "ampersand", "apostrophe-hash",
    ],
)  # fmt: skip
def test_markdown_escape(text, expected):
    assert markdown_escape(text) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"doi": "10.1145/3626246.3653391"}, "https://doi.org/10.1145/3626246.3653391"),
        ({"doi": "10.1/a b<c>\"d"}, "https://doi.org/10.1/a%20b%3Cc%3E%22d"),
        ({"doi": "10.1/x", "url": "https://x.org"}, "https://doi.org/10.1/x"),
        ({"url": "https://x.org/a?b=1&c=2"}, "https://x.org/a?b=1&c=2"),
        ({"url": "http://x.org"}, "http://x.org"),
        ({"url": "javascript:alert(1)"}, ""),
        ({"url": "JaVaScRiPt:alert(1)"}, ""),
        ({"url": "data:text/html;base64,xx"}, ""),
        ({"url": "ftp://x.org/file"}, ""),
        ({"url": "https:///nohost"}, ""),
        ({"url": "https://x.org/\nx"}, ""),
        ({"url": "javascript:x", "arxiv_id": "2209.01356"}, "https://arxiv.org/abs/2209.01356"),
        ({"arxiv_id": "hep-th/9901001"}, "https://arxiv.org/abs/hep-th/9901001"),
        ({}, ""),
    ],
    ids=[
        "doi", "doi-quoted", "doi-first", "https", "http", "javascript", "javascript-case",
        "data", "ftp", "no-host", "newline", "arxiv-fallback", "arxiv-old", "nothing",
    ],
)  # fmt: skip
def test_safe_link(kwargs, expected):
    assert safe_link(**kwargs) == expected
