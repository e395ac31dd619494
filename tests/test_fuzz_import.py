"""Hostile input for `pubdb import`: fuzzed text and near-BibTeX, deep nesting, huge fields.

Properties (hypothesis; ``PUBDB_FUZZ_EXAMPLES`` sets the budget, 200 per property by default):

- ``read_bibtex`` raises nothing but ``InputError``, and every entry-like block ends as a record
  or as a failure (``entry_count == len(records) + len(failed)``); problem messages are one line;
- ``import_files`` accounts for every entry (``FileReport.accounted == entries``);
- ``pubdb import`` exits 0 or 1, never with a traceback: on 1 standard error is one ``Error:``
  line, on 0 each file's counts add up to its entries and standard error holds only
  ``warning:``/``failed:`` lines.

Deep nesting (10,000 levels) and a 10 MB field run in a subprocess that reports its own peak
memory, so the bound is measured, not guessed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubdb import textnorm
from pubdb.cli import cli
from pubdb.errors import InputError
from pubdb.importers.bibtex import read_bibtex
from pubdb.importing import ImportInput, import_files
from pubdb.names import parse_name_list
from pubdb.store import open_store

EXAMPLES = int(os.environ.get("PUBDB_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

ENTRY_TYPES = ["article", "inproceedings", "misc", "book", "phdthesis", "proceedings",
               "Article", "STRING", "string", "preamble", "comment", "", "x-y"]  # fmt: skip
FIELD_NAMES = ["title", "author", "editor", "year", "month", "journal", "booktitle",
               "crossref", "doi", "url", "eprint", "archiveprefix", "pages", "note",
               "author+an", "Title", "AUTHOR", "keywords", "award", "", "x y",
               "tit=le"]  # fmt: skip
PIECES = ["{", "}", "(", ")", '"', ",", "=", "#", "%", "@", "\\", "\n", " ", "\t", "\r", "$",
          "~", "--", "''", "``", "&", "_", "^", "^^", "\\'", '\\"', "\\emph{", "\\c ",
          "\\input{", "\\write18{", " and ", "and others", ", Jr.,", "\x1b", "\x7f", "\x0c",
          "\u202e", "\ufeff", "\u00e9", "e\u0301", "\U0001f600", "jan", "#jan#"]  # fmt: skip
WORDS = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=8)
PLAIN_WORDS = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters='{}"\\%'), max_size=8
)
LATEXY = st.lists(st.one_of(st.sampled_from(PIECES), WORDS, WORDS), max_size=12).map("".join)
# Invalid UTF-8 (a lone byte, a truncated sequence, an encoded surrogate), a BOM, a NUL.
BAD_BYTES = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe9", b"\x80\x80", b"\xfe\xff",
             b"\xef\xbb\xbf", b"\x00"]  # fmt: skip


def _huge(piece_and_count: tuple[str, int]) -> str:
    piece, count = piece_and_count
    return "{" + piece * count + "}"


def values() -> st.SearchStrategy[str]:
    """A field value: braced, quoted, a number, a macro, raw junk, or a huge run; ``#`` joins."""
    pieces = st.sampled_from(["x", "{", "}", "{x}", "\\'", "a and ", "\\emph{", "$"])
    atoms = [
        LATEXY.map(lambda s: "{" + s + "}"),
        LATEXY.map(lambda s: '"' + s + '"'),
        st.integers(-5, 30000).map(str),
        st.sampled_from(["jan", "dec", "foo", "a", "b", "conf"]),
        LATEXY,
        st.tuples(pieces, st.integers(1000, 50_000)).map(_huge),
    ]
    return st.lists(st.one_of(*atoms), min_size=1, max_size=3).map(" # ".join)


def field_pairs() -> st.SearchStrategy[tuple[str, str]]:
    return st.tuples(st.one_of(st.sampled_from(FIELD_NAMES), WORDS), values())


@st.composite
def near_entry(draw: st.DrawFn) -> str:
    """Something like a BibTeX block, with odd delimiters, keys, separators and ``@``s."""
    kind = draw(st.sampled_from(ENTRY_TYPES))
    opener, closer = draw(st.sampled_from([("{", "}"), ("(", ")"), ("{", ""), ("{", ")"),
                                           ("", "}")]))  # fmt: skip
    if kind.lower() == "string":
        name = draw(st.sampled_from(["a", "b", "conf", "jan"]))
        return f"@{kind}{opener}{name} = {draw(values())}{closer}"
    if kind.lower() == "preamble":
        return f"@{kind}{opener}{draw(values())}{closer}"
    key = draw(st.one_of(st.sampled_from(["k", "K", "a1", "dup", "", "a b", "x{y", "ü"]), WORDS))
    fields = draw(st.lists(field_pairs(), max_size=6))
    separator = draw(st.sampled_from([",\n  ", ", ", ",,", "\n", " , "]))
    body = separator.join(f"{name} = {value}" for name, value in fields)
    at = draw(st.sampled_from(["@", "@", "@ ", "@@", " @"]))
    return f"{at}{kind}{opener}{key}{separator}{body}{closer}"


SAFE_PIECES = [p for p in PIECES if not any(c in p for c in '{}"\\%')]
HOSTILE_PIECES = ["\\emph{x}", "{\\'e}", "\\input{/etc/passwd}", "$x^2$", "{ABC}", "<script>",
                  '" onmouseover="']  # fmt: skip
FLAT = st.lists(
    st.one_of(
        st.sampled_from(SAFE_PIECES + HOSTILE_PIECES),
        PLAIN_WORDS,
    ),
    max_size=10,
).map("".join)
# Venue names longer than the database's key columns, sharing their first 100+ characters.
LONG_NAMES = st.integers(20, 140).map(lambda n: "Proceedings of the " + "Long " * n)
NAMES = ["Smith, John", "J. Smith", "{Barnes and Noble}", "von Neumann, J.", "Müller, Ö.",
         "others", "", "A", "\\'Eva Dupont", '{\\"U}ber, X.', "<b>Evil</b>"]  # fmt: skip


@st.composite
def clean_entry(draw: st.DrawFn) -> str:
    """A well-formed entry with hostile content: these get imported, merged, deduplicated."""
    kind = draw(st.sampled_from(["article", "inproceedings", "misc", "book", "phdthesis"]))
    key = draw(st.sampled_from(["k1", "k2", "K1", "dup", "smith2020", "ü-key", "a:b/c"]))
    fields = {
        "author": " and ".join(draw(st.lists(st.sampled_from(NAMES), max_size=4))),
        "title": draw(FLAT),
        "year": draw(st.sampled_from(["2020", "2021", "20x", "", "99999"])),
    }
    extra = st.sampled_from(["journal", "booktitle", "doi", "url", "pages", "month", "note",
                             "crossref", "eprint"])  # fmt: skip
    fields.update(draw(st.dictionaries(extra, st.one_of(FLAT, LONG_NAMES), max_size=3)))
    body = ",\n  ".join(f"{name} = {{{value}}}" for name, value in fields.items())
    return f"@{kind}{{{key},\n  {body}\n}}"


@st.composite
def near_bibtex(draw: st.DrawFn) -> str:
    """Blocks, junk and comments joined, then a few characters inserted or deleted anywhere."""
    part = st.one_of(clean_entry(), near_entry(), near_entry(), LATEXY,
                     st.sampled_from(["\n", "%comment\n", "@", "@comment{x}"]))  # fmt: skip
    text = draw(st.sampled_from(["\n", "\n\n", "", " "])).join(draw(st.lists(part, max_size=8)))
    for _ in range(draw(st.integers(0, 3))):
        if not text:
            break
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:position] + draw(st.sampled_from(PIECES)) + text[position:]
        else:
            text = text[:position] + text[position + 1 :]
    return text


@st.composite
def near_bibtex_bytes(draw: st.DrawFn) -> bytes:
    """Near-BibTeX as UTF-8 with invalid byte sequences (or a BOM, a NUL) spliced in."""
    data = draw(near_bibtex()).encode("utf-8")
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.sampled_from(BAD_BYTES)) + data[position:]
    return data


ANY_INPUT = st.one_of(
    near_bibtex_bytes(),
    near_bibtex_bytes(),
    st.binary(max_size=400),
    st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
)

# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

ON_DUPLICATE = st.sampled_from(["merge", "skip", "keep"])
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@FUZZ
@given(data=ANY_INPUT)
def test_read_bibtex_raises_only_input_errors_and_accounts_for_every_entry(data):
    try:
        result = read_bibtex("fuzz.bib", text=data, workers=1)
    except InputError as exc:
        assert str(exc).startswith("fuzz.bib") and not _CONTROL.search(str(exc))
        return
    assert result.entry_count == len(result.records) + len(result.failed)
    for problem in result.problems:
        assert not _CONTROL.search(problem.reason + problem.key), problem


@FUZZ
@given(text=near_bibtex())
def test_read_bibtex_of_text_raises_only_input_errors(text):
    try:
        result = read_bibtex("fuzz.bib", text=text, workers=1)
    except InputError:
        return
    assert result.entry_count == len(result.records) + len(result.failed)


def test_import_files_accounts_for_every_entry(tmp_path):
    store = open_store(str(tmp_path / "fuzz.sqlite"))

    @FUZZ
    @given(first=ANY_INPUT, second=ANY_INPUT, on_duplicate=ON_DUPLICATE)
    def check(first, second, on_duplicate):
        inputs = [ImportInput(path="a.bib", data=first), ImportInput(path="b.bib", data=second)]
        try:
            with store.transaction(rollback=True) as session:
                report = import_files(session, inputs, on_duplicate=on_duplicate)
        except InputError:
            return
        assert len(report.files) == 2
        for file_report in report.files:
            assert file_report.accounted == file_report.entries, file_report

    try:
        check()
    finally:
        store.dispose()


REPORT_LINE = re.compile(
    r"^(?P<path>.+?)(?: \[[\w-]+\])?: (?P<entries>\d+) entries: (?P<added>\d+) added, "
    r"(?P<merged>\d+) merged, (?P<skipped>\d+) skipped, (?P<unchanged>\d+) unchanged, "
    r"(?P<failed>\d+) failed$"
)


def test_cli_import_never_shows_a_traceback(tmp_path):
    database = tmp_path / "fuzz.sqlite"
    bib = tmp_path / "in.bib"

    @FUZZ
    @given(data=ANY_INPUT, on_duplicate=ON_DUPLICATE)
    def check(data, on_duplicate):
        bib.write_bytes(data)
        result = CliRunner().invoke(
            cli, ["--db", str(database), "import", "--on-duplicate", on_duplicate, str(bib)]
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # hypothesis shows the input and the traceback
        assert result.exit_code in (0, 1)
        assert "Traceback" not in result.output
        if result.exit_code == 1:
            lines = result.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"Error: {bib}: "), result.stderr
            return
        match = REPORT_LINE.match(result.stdout.splitlines()[0])
        assert match, result.stdout
        counts = {name: int(value) for name, value in match.groupdict().items() if name != "path"}
        entries = counts.pop("entries")
        assert entries == sum(counts.values()), result.stdout
        for line in result.stderr.splitlines():
            assert line.startswith(("warning: ", "failed: ")), line

    check()


# --------------------------------------------------------------------------------------------
# What the fuzzing found (kept as plain regression tests)
# --------------------------------------------------------------------------------------------

DEEP = 10_000
DEEP_IDS = ["braces", "emph", "switch", "braced-accents", "accent-chain", "cedilla-chain",
            "foreignlanguage"]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "decoded"),
    [
        ("{" * DEEP + "Deep" + "}" * DEEP, "Deep"),
        ("\\emph{" * DEEP + "x" + "}" * DEEP, "x"),
        ("{\\em " * DEEP + "x" + "}" * DEEP, "x"),
        ("\\'{" * DEEP + "e" + "}" * DEEP, None),
        ("\\'" * DEEP + "e", "\\'" * DEEP + "e"),
        ("\\c " * DEEP + "c", None),
        ("\\foreignlanguage{" * DEEP + "}" * DEEP, ""),
    ],
    ids=DEEP_IDS,
)
def test_deep_nesting_decodes_without_recursion_error(value, decoded):
    # Each nesting level used to cost the decoder a few Python frames: RecursionError.
    text = textnorm.latex_to_unicode(value)
    if decoded is not None:
        assert text == decoded
    assert textnorm.title_key(value) is not None
    assert textnorm.protected_words(value) is not None
    assert textnorm.title_bibtex(value) is not None
    assert parse_name_list(value + " and B. Cee")[0]


@pytest.mark.parametrize(
    ("value", "decoded"),
    [
        ("{" * 50 + "x" + "}" * 50, "x"),
        ("\\'\\^e", "ế"),
        ("\\'" * 3 + "e", "é\u0301\u0301"),
        ('{\\"{o}}', "ö"),
    ],
    ids=["fifty-braces", "accent-on-accent", "three-accents", "nested-accent"],
)
def test_shallow_nesting_is_decoded_as_before(value, decoded):
    assert textnorm.latex_to_unicode(value) == decoded


def test_field_names_and_keys_cannot_break_report_lines():
    text = (
        "@article{k,\n  \n@articlek\ntitle = {} # }\n"  # a field name with a line break
        "@article{a\x1bb, title={escape in the key}}\n"
        "@article{a b, title={space in the key}}\n"
        "@conference_at{4, key with spaces = thing}\n"  # bibtex-tidy keeps this field
    )
    result = read_bibtex("x.bib", text=text)
    assert result.entry_count == 4
    assert [r.key for r in result.records] == ["k", "4"]
    assert result.records[0].fields == {"@articlek title": "{} #"}
    assert result.records[1].fields == {"key with spaces": "thing"}
    assert [p.key for p in result.failed] == ["a\\x1bb", "a b"]
    assert all("contains a space or a control character" in p.reason for p in result.failed)
    for problem in result.problems:
        assert not _CONTROL.search(problem.reason + problem.key), problem


def test_standard_input_with_invalid_utf8_is_read_like_a_file(tmp_path):
    # Text from stdin carried the bytes as surrogates, which crashed the digest.
    result = CliRunner().invoke(
        cli,
        ["--db", str(tmp_path / "db.sqlite"), "import", "-"],
        input=b"@article{a, title={Caf\xe9 \xff}}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<stdin> [cp1252]: 1 entries: 1 added")
    assert "not valid UTF-8" in result.stderr


@pytest.mark.parametrize("same_file", [True, False], ids=["one-file", "two-imports"])
def test_a_venue_name_longer_than_its_column_is_found_again(tmp_path, same_file):
    long_name = "Journal of " + "x" * 200
    first = f"@article{{a, title={{A}}, journal={{{long_name}}}, year=2020}}\n"
    second = f"@article{{b, title={{B}}, journal={{{long_name}y}}, year=2021}}\n"
    files = [first + second] if same_file else [first, first.replace("{a,", "{c,") + second]
    database = tmp_path / "db.sqlite"
    for number, text in enumerate(files):
        bib = tmp_path / f"{number}.bib"
        bib.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(
            cli, ["--db", str(database), "import", str(bib)], catch_exceptions=False
        )
        assert result.exit_code == 0


# --------------------------------------------------------------------------------------------
# Deep nesting and a 10 MB field, in a subprocess that reports its peak memory
# --------------------------------------------------------------------------------------------

MEMORY_BOUND_KB = 1024 * 1024  # 1 GB: a resource bound, generous for a 20 MB input

_RUNNER = """
import json, resource, sys
from click.testing import CliRunner
from pubdb.cli import cli
result = CliRunner().invoke(cli, sys.argv[1:])
print(json.dumps({
    "exit_code": result.exit_code,
    "stdout": result.stdout,
    "stderr": result.stderr,
    "exception": repr(result.exception) if result.exception else None,
    "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
"""


def _hostile_file(path: Path) -> int:
    n = DEEP
    entries = [
        "@article{deep, title={" + "{" * n + "Deep" + "}" * n + "}, author={" + "{" * n + "A"
        + "}" * n + " and B. Cee}, journal={J" + "{" * n + "}" * n + "}, year=2020}",
        "@article{accents, title={" + "\\'{" * n + "e" + "}" * n + "}, author={X, Y}, year=2021}",
        "@article{chain, title={" + "\\'" * n + "e}, year=2022}",
        "@article{styles, title={" + "\\emph{" * n + "x" + "}" * n + "}, note={$" + "{" * n
        + "}" * n + "$}}",
        "@article{unclosed, title={" + "{" * n + "}",
        "@article{huge, title={Huge}, abstract={" + "word " * 2_000_000 + "}, year=2020}",
        "@article{hugetitle, title={" + "x" * 10_000_000 + "}}",
        "@article{after, title={Read after all that}, year=2023}",
    ]  # fmt: skip
    path.write_text("\n".join(entries) + "\n", encoding="utf-8")
    return len(entries)


@pytest.mark.slow
def test_deep_nesting_and_a_10mb_field_import_in_bounded_memory(tmp_path):
    bib = tmp_path / "hostile.bib"
    count = _hostile_file(bib)
    database = tmp_path / "db.sqlite"
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, "--db", str(database), "import", str(bib)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.splitlines()[-1])
    assert outcome["exception"] is None, outcome
    assert outcome["exit_code"] == 0
    assert "RecursionError" not in outcome["stdout"] + outcome["stderr"]
    first = outcome["stdout"].splitlines()[0]
    assert first.endswith(
        f"{count} entries: {count - 1} added, 0 merged, 0 skipped, 0 unchanged, 1 failed"
    ), first
    assert "hostile.bib:5: cannot parse" in outcome["stderr"]  # only the unclosed one
    assert outcome["maxrss_kb"] < MEMORY_BOUND_KB, outcome["maxrss_kb"]
