"""Benchmark: pubdb.textnorm.latex_to_unicode against pylatexenc on realistic BibTeX strings.

Generates N title and author-name strings (half each; ~20% with LaTeX accents, protective braces,
some math, dashes and escapes; author names drawn from a pool so they repeat the way they do in
a real bibliography) and prints a table of seconds and microseconds per string for:

- latex_to_unicode with an empty cache ("cold": repeats within the run still hit the cache),
- latex_to_unicode again over the same strings ("warm"),
- the decoder without the cache (fast path still applies),
- pylatexenc's LatexNodes2Text().latex_to_text (what bibtexparser's LatexDecodingMiddleware uses).

Run: .venv/bin/python benchmarks/latex_decode.py [--n 100000] [--pylatexenc-sample N]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from pubdb import textnorm

GIVEN = [
    "Zhengchun",
    "Ian",
    "Rajkumar",
    "Tekin",
    "Tim",
    "Andreas",
    "Ryan",
    "Peter",
    "Maria",
    "José",
    "Wei-keng",
    "Yuanlai",
    "Ziniu",
    "Qing",
    "Jana",
    "Doğa",
    "Francesco",
    "Alexander",
    "Hemant",
    "Antonino",
    "Nageswara S. V.",
    "Michael E.",
    "A. J.",
    "Emilio",
    "Dolores",
    "Rafael",
]
FAMILY = [
    "Liu",
    "Foster",
    "Kettimuthu",
    "Bicer",
    "Kraska",
    "Kipf",
    "Coffee",
    "Kenesei",
    "Müller",
    "García",
    "Liao",
    "Wu",
    "Chen",
    "Thayer",
    "Gürsoy",
    "De Carlo",
    "van Renen",
    "Sharma",
    "Miceli",
    "Rao",
    "Papka",
    "Wisniewski",
    "Luque",
    "Rexachs",
    "Ferreira da Silva",
    "Øster",
    "Łukasz",
    "Šimek",
    "Dvořák",
    "Ñúñez",
    "Straße",
    "Björk",
    "Çelik",
    "Ağca",
]
LATEX_ACCENTS = {
    "ü": r"{\"u}",
    "ö": r"{\"o}",
    "é": r"{\'e}",
    "í": r"{\'\i}",
    "ñ": r"\~{n}",
    "ç": r"\c{c}",
    "ğ": r"\u{g}",
    "š": r"\v{s}",
    "Š": r"{\v{S}}",
    "ř": r"\v{r}",
    "ú": r"\'u",
    "ß": r"{\ss}",
    "Ø": r"{\O}",
    "Ł": r"{\L}",
    "ö ": r"\"o ",
    "Ç": r"\c{C}",
}
WORDS = [
    "learning",
    "deep",
    "data",
    "transfer",
    "performance",
    "wide",
    "area",
    "network",
    "scientific",
    "workflows",
    "edge",
    "computing",
    "model",
    "training",
    "inference",
    "streaming",
    "tomography",
    "reconstruction",
    "neural",
    "systems",
    "analysis",
    "scalable",
    "distributed",
    "storage",
    "query",
    "optimization",
    "autonomous",
    "infrastructure",
    "prediction",
    "characterization",
    "framework",
    "evaluation",
    "simulation",
    "efficient",
    "real-time",
]
PROTECTED = ["{GPU}", "{TomoGAN}", "{BraggNN}", "{X-Ray}", "{HPC}", "{Amazon Redshift}", "{AI}"]
EXTRAS = [r"\& ", "--- ", r"$O(n^2)$ ", r"\emph{in situ} ", "``quoted'' ", r"50\% "]


def _latexify(text: str, rng: random.Random) -> str:
    out = text
    for char, latex in LATEX_ACCENTS.items():
        if char in out:
            out = out.replace(char, latex)
    if out == text and rng.random() < 0.5:  # an ASCII name written with a LaTeX accent anyway
        out = out.replace("e", r"\'e", 1)
    return out


def make_strings(n: int, seed: int = 20240601) -> list[str]:
    rng = random.Random(seed)
    pool = [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}" for _ in range(4000)]
    weights = [1.0 / (rank + 1) for rank in range(len(pool))]  # Zipf: names repeat
    strings: list[str] = []
    for index in range(n):
        accented = rng.random() < 0.2
        if index % 2:  # one author name, as the importer decodes them after splitting
            text = rng.choices(pool, weights)[0]
            if rng.random() < 0.4:
                text = ", ".join(reversed(text.rsplit(" ", 1)))
        else:
            words = [rng.choice(WORDS).capitalize() for _ in range(rng.randint(4, 12))]
            if rng.random() < 0.3:
                words.insert(rng.randrange(len(words)), rng.choice(PROTECTED))
            if rng.random() < 0.15:
                words.insert(rng.randrange(len(words)), rng.choice(EXTRAS).strip())
            if accented:
                words.insert(rng.randrange(len(words)), rng.choice(["Über", "Gödel", "Café"]))
            text = " ".join(words)
        strings.append(_latexify(text, rng) if accented else text)
    return strings


def _time(function: Callable[[str], str], strings: list[str]) -> float:
    start = time.perf_counter()
    for text in strings:
        function(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of strings")
    parser.add_argument(
        "--pylatexenc-sample",
        type=int,
        default=0,
        help="time pylatexenc on only the first N strings (0 = all of them)",
    )
    args = parser.parse_args()

    strings = make_strings(args.n)
    needs = sum(1 for s in strings if textnorm._NEEDS_DECODING.search(s))
    distinct = len(set(strings))

    textnorm._decode_cached.cache_clear()
    rows: list[tuple[str, int, float]] = []
    rows.append(
        ("latex_to_unicode, cold cache", len(strings), _time(textnorm.latex_to_unicode, strings))
    )
    rows.append(
        ("latex_to_unicode, warm cache", len(strings), _time(textnorm.latex_to_unicode, strings))
    )
    cached = textnorm._decode_cached
    textnorm._decode_cached = textnorm._decode  # latex_to_unicode without its cache
    try:
        uncached = _time(textnorm.latex_to_unicode, strings)
    finally:
        textnorm._decode_cached = cached
    rows.append(("decoder without cache", len(strings), uncached))
    hard = [text for text in strings if textnorm._NEEDS_DECODING.search(text)]
    rows.append(("  ... only strings needing it", len(hard), _time(textnorm._decode, hard)))

    from pylatexenc.latex2text import LatexNodes2Text

    converter = LatexNodes2Text()
    sample = strings[: args.pylatexenc_sample] if args.pylatexenc_sample else strings
    rows.append(("pylatexenc LatexNodes2Text", len(sample), _time(converter.latex_to_text, sample)))

    print(
        f"{len(strings)} strings, {distinct} distinct, {needs} need decoding "
        f"({100 * needs / len(strings):.0f}%)"
    )
    print(f"{'method':<32} {'strings':>9} {'seconds':>9} {'µs/string':>10}")
    for label, count, seconds in rows:
        print(f"{label:<32} {count:>9} {seconds:>9.3f} {1e6 * seconds / count:>10.2f}")
    ours = rows[0][2] / rows[0][1]
    theirs = rows[-1][2] / rows[-1][1]
    print(f"pylatexenc per string / latex_to_unicode (cold) per string: {theirs / ours:.0f}x")


if __name__ == "__main__":
    main()
