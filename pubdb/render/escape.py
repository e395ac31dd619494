"""Escaping data for the list formats: LaTeX (source math kept when harmless), Markdown, links.

Math from the source (``$O(n \\log n)$``) passes through to LaTeX only when it is made of
plain symbols and an allow-list of math commands; anything else in it (``\\input``,
``\\write18``, ``^^`` character codes, ``%``, ``#``, ``&``, unbalanced braces) makes the whole
segment ordinary text, escaped character by character.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from urllib.parse import quote, urlsplit

# `$`, then a non-space, up to the next `$` that follows a non-space and is not followed by a
# digit (pandoc's rule), so "$12M and $3M" is money, not math.
_MATH = re.compile(r"(?<!\\)\$(?=[^\s$])((?:\\.|[^$\\])*?)(?<=[^\s\\])\$(?!\d)")

_LATEX_SPECIALS = {
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
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_LATEX_TABLE = str.maketrans(_LATEX_SPECIALS)

_MATH_COMMANDS = frozenset(
    """
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu
    xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta
    Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
    times cdot cdots ldots dots vdots ddots le leq ge geq ne neq approx sim simeq cong equiv
    pm mp div ast star circ bullet infty partial nabla sum prod coprod int iint oint in ni
    notin subset subseteq supset supseteq cup cap bigcup bigcap setminus emptyset varnothing
    forall exists nexists neg lnot land lor wedge vee oplus otimes odot to gets rightarrow
    leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow mapsto implies iff uparrow
    downarrow log ln lg exp sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh min
    max lim liminf limsup sup inf det arg deg dim ker gcd Pr mod bmod pmod
    mathrm mathbf mathit mathcal mathsf mathtt mathbb mathfrak boldsymbol operatorname text
    textrm textit textbf textsf texttt emph frac dfrac tfrac sqrt binom left right big Big
    bigg Bigg bigl bigr Bigl Bigr langle rangle lceil rceil lfloor rfloor lvert rvert lVert
    rVert vert Vert mid parallel perp propto ll gg prec succ preceq succeq sqsubseteq
    hat widehat bar overline underline tilde widetilde vec dot ddot check breve acute grave
    prime ell hbar imath jmath Re Im aleph top bot dagger ddagger quad qquad dots
    """.split()  # noqa: SIM905
)
_MATH_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_MATH_SYMBOL_COMMANDS = frozenset(",;:! {}|\\")


def split_math(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_math, segment) pieces; math segments keep their ``$`` delimiters."""
    pieces: list[tuple[bool, str]] = []
    last = 0
    for match in _MATH.finditer(text):
        if match.start() > last:
            pieces.append((False, text[last : match.start()]))
        pieces.append((True, match.group(0)))
        last = match.end()
    if last < len(text):
        pieces.append((False, text[last:]))
    return pieces


def is_harmless_math(segment: str) -> bool:
    """True when a ``$...$`` segment can be copied into LaTeX as it is."""
    inner = segment[1:-1]
    if any(c in inner for c in "%#&\n") or "^^" in inner:
        return False
    depth = 0
    for char, previous in zip(inner, " " + inner, strict=False):
        if previous == "\\":
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    if depth:
        return False
    for match in _MATH_COMMAND.finditer(inner):
        name = match.group(1)
        if name.isalpha():
            if name not in _MATH_COMMANDS:
                return False
        elif name not in _MATH_SYMBOL_COMMANDS:
            return False
    return True


@cache
def _encoder():  # type: ignore[no-untyped-def]
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    return UnicodeToLatexEncoder(
        non_ascii_only=True,
        replacement_latex_protection="braces-all",
        unknown_char_policy="keep",
        unknown_char_warning=False,
    )


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _latex_non_ascii(text: str) -> str:
    return _NON_ASCII.sub(lambda m: _encoder().unicode_to_latex(m.group(0)), text)


def latex_escape(text: str) -> str:
    """``text`` as LaTeX source that prints it: specials escaped, non-ASCII as LaTeX macros."""
    text = unicodedata.normalize("NFC", text)
    out = []
    for is_math, segment in split_math(text):
        if is_math and is_harmless_math(segment):
            out.append(_latex_non_ascii(segment))
        else:
            out.append(_latex_non_ascii(segment.translate(_LATEX_TABLE)))
    return "".join(out)


_MARKDOWN_SPECIALS = "\\`*_[]<>~$|"
_MARKDOWN_TABLE = str.maketrans({c: "\\" + c for c in _MARKDOWN_SPECIALS})


def markdown_escape(text: str) -> str:
    """``text`` as Markdown that prints it (CommonMark backslash escapes; harmless math kept)."""
    out = []
    for is_math, segment in split_math(text):
        if is_math and is_harmless_math(segment) and not any(c in segment for c in "<>`"):
            out.append(segment)
        else:
            out.append(segment.translate(_MARKDOWN_TABLE))
    return "".join(out)


def safe_link(*, doi: str = "", url: str = "", arxiv_id: str = "") -> str:
    """The link a title may carry: DOI, else an http(s) URL, else arXiv; never another scheme."""
    doi = doi.strip()
    if doi:
        return "https://doi.org/" + quote(doi, safe="/:;()._-")
    url = url.strip()
    if url and not any(c.isspace() or ord(c) < 32 for c in url):
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts and parts.scheme.lower() in ("http", "https") and parts.netloc:
            return url
    arxiv_id = arxiv_id.strip()
    if arxiv_id:
        return "https://arxiv.org/abs/" + quote(arxiv_id, safe="/.-")
    return ""
