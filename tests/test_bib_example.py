"""Checks the example bibliography in bib/ (what the README demo imports) and its CV golden.

Plain bibtexparser 2, no pubdb code: the example must stay a valid, complete copy of the
seed CV's two publication lists, and tests/golden/cv_expected.md must stay consistent with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.middlewares import SeparateCoAuthors

REPO = Path(__file__).resolve().parents[1]
BIB_DIR = REPO / "bib"
GOLDEN = REPO / "tests" / "golden" / "cv_expected.md"

OWNER = "Zhengchun Liu"
TAGS = {
    "ml-systems": "Papers on Machine Learning and Systems",
    "ai-science": "Papers on AI/HPC for Science",
}
EXPECTED_COUNTS = {"ml-systems": 20, "ai-science": 17}

# (cite key, 1-based author position, the student at that position)
EXPECTED_STUDENTS = [
    ("DBLP:conf/sigmod/WuMLNNPSRNK24", 1, "Ziniu Wu"),
    ("ali2022fairdms", 1, "Ahsan Ali"),
    ("liu2021bridge", 2, "Ahsan Ali"),
    ("10.1145/3392717.3392774", 2, "Ryan Lewis"),
    ("liu2019data", 1, "Yuanlai Liu"),
    ("wu2020deep", 1, "Ziling Wu"),
    ("abeykoon2019scientific", 1, "Vibhatha Abeykoon"),
]
EXPECTED_AWARDS = {
    "liu2021bridge",  # XLOOP@SC'21
    "papadimitriou2021endtoend",  # FGCS'21
    "DBLP:conf/mln/LiuKBRF18",  # MLN'18
}

# The only LaTeX the example uses; enough to compare with the golden's decoded text.
_LATEX = [
    ('{\\"u}', "ü"),
    ("{\\u{g}}", "ğ"),
    ("{\\'{\\i}}", "í"),
    ("{\\&}", "&"),
    ("--", "–"),
]


def _decode(text: str) -> str:
    for latex, plain in _LATEX:
        text = text.replace(latex, plain)
    text = text.replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip()


def _display(name: str) -> str:
    """'Last, First' -> 'First Last' (the example has no 'Last, Jr, First' names)."""
    name = _decode(name)
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return f"{first} {last}"
    return name


def _load():
    texts = [path.read_text(encoding="utf-8") for path in sorted(BIB_DIR.glob("*.bib"))]
    return bibtexparser.parse_string(
        "\n\n".join(texts), append_middleware=[SeparateCoAuthors(allow_inplace_modification=True)]
    )


LIBRARY = _load()
ENTRIES = LIBRARY.entries
BY_KEY = {entry.key: entry for entry in ENTRIES}
KEYS = [entry.key for entry in ENTRIES]


def _field(entry, name: str):
    field = entry.fields_dict.get(name)
    return None if field is None else field.value


def _authors(entry) -> list[str]:
    return [_display(name) for name in _field(entry, "author")]


def _tag(entry) -> str:
    return _field(entry, "keywords").strip()


def _annotations(entry) -> dict[int, set[str]]:
    raw = _field(entry, "author+an")
    if raw is None:
        return {}
    marks: dict[int, set[str]] = {}
    for item in raw.split(";"):
        position, _, names = item.strip().partition("=")
        marks[int(position)] = {mark.strip() for mark in names.split(",")}
    return marks


def test_bib_folder_has_files():
    assert sorted(p.name for p in BIB_DIR.glob("*.bib")) == ["publications.bib"]


def test_parses_without_failed_blocks():
    assert LIBRARY.failed_blocks == []


def test_has_every_cv_publication():
    assert len(ENTRIES) == 37


def test_no_duplicate_keys_case_insensitive():
    folded = [key.casefold() for key in KEYS]
    assert len(set(folded)) == len(folded)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("field", ["title", "author", "year"])
def test_entry_has_required_field(key, field):
    value = _field(BY_KEY[key], field)
    assert value, f"{key} lacks {field}"


@pytest.mark.parametrize("key", KEYS)
def test_year_is_four_digits(key):
    assert re.fullmatch(r"(19|20)\d\d", str(_field(BY_KEY[key], "year")).strip())


@pytest.mark.parametrize("key", KEYS)
def test_owner_is_an_author(key):
    assert OWNER in _authors(BY_KEY[key])


@pytest.mark.parametrize("key", KEYS)
def test_keywords_name_exactly_one_known_tag(key):
    assert _tag(BY_KEY[key]) in TAGS


@pytest.mark.parametrize("tag", list(EXPECTED_COUNTS))
def test_tag_counts(tag):
    assert sum(_tag(entry) == tag for entry in ENTRIES) == EXPECTED_COUNTS[tag]


def test_entries_follow_cv_order():
    """ml-systems first, then ai-science; newest first inside each list (CV order)."""
    tags = [_tag(entry) for entry in ENTRIES]
    assert tags == ["ml-systems"] * 20 + ["ai-science"] * 17
    for tag in TAGS:
        years = [int(_field(e, "year")) for e in ENTRIES if _tag(e) == tag]
        assert years == sorted(years, reverse=True), tag


def test_awards():
    awarded = {entry.key: _field(entry, "award") for entry in ENTRIES if _field(entry, "award")}
    assert set(awarded) == EXPECTED_AWARDS
    assert set(awarded.values()) == {"Best Paper Award"}


def test_student_annotations_are_exactly_the_cv_marks():
    found = {
        (entry.key, position)
        for entry in ENTRIES
        for position, marks in _annotations(entry).items()
        if "student" in marks
    }
    assert found == {(key, position) for key, position, _ in EXPECTED_STUDENTS}


@pytest.mark.parametrize(
    ("key", "position", "name"),
    EXPECTED_STUDENTS,
    ids=[f"{name}@{key}" for key, _, name in EXPECTED_STUDENTS],
)
def test_student_annotation_points_at_the_student(key, position, name):
    entry = BY_KEY[key]
    assert _annotations(entry)[position] == {"student"}
    assert _authors(entry)[position - 1] == name


@pytest.mark.parametrize(
    ("key", "arxiv"),
    [("ali2022fairdms", "2204.09805"), ("liu2022masked", "2209.01356")],
    ids=["eprint", "journal-field"],
)
def test_arxiv_ids(key, arxiv):
    entry = BY_KEY[key]
    if _field(entry, "eprint") is not None:
        assert _field(entry, "eprint") == arxiv
        assert _field(entry, "archivePrefix") == "arXiv"
    else:
        assert _field(entry, "journal") == f"arXiv preprint arXiv:{arxiv}"


@pytest.mark.parametrize("key", [k for k in KEYS if _field(BY_KEY[k], "doi")])
def test_doi_is_bare(key):
    assert re.fullmatch(r"10\.\d{4,9}/\S+", _field(BY_KEY[key], "doi"))


def test_latex_and_macros_are_present():
    """The demo must exercise @string, '#', month macros and LaTeX accents."""
    text = (BIB_DIR / "publications.bib").read_text(encoding="utf-8")
    assert re.search(r"journal\s*=\s*fgcs\s*,", text)
    assert re.search(r"=\s*procs\s*#", text)
    assert re.search(r"month\s*=\s*jun\s*,", text)
    assert 'Do{\\u{g}}a G{\\"u}rsoy' in text
    assert len(LIBRARY.strings) == 3
    assert len(LIBRARY.preambles) == 1


# --- the golden CV list -----------------------------------------------------------------


def _golden_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    current = None
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:]
            groups[current] = []
        elif match := re.match(r"(\d+)\. (.*)$", line):
            assert int(match.group(1)) == len(groups[current]) + 1, line
            groups[current].append(match.group(2))
    return groups


def test_golden_has_both_lists_in_tag_order():
    groups = _golden_groups()
    assert list(groups) == list(TAGS.values())
    assert [len(items) for items in groups.values()] == list(EXPECTED_COUNTS.values())


def test_golden_has_a_legend_after_each_list():
    text = GOLDEN.read_text(encoding="utf-8")
    assert text.count("\n\\* student co-author\n") == 2
    assert text.endswith("\\* student co-author\n")


def _golden_cases():
    groups = _golden_groups()
    for tag, title in TAGS.items():
        entries = [e for e in ENTRIES if _tag(e) == tag]
        for number, (entry, line) in enumerate(zip(entries, groups[title], strict=True), 1):
            yield pytest.param(entry.key, line, id=f"{tag}-{number}")


@pytest.mark.parametrize(("key", "line"), list(_golden_cases()))
def test_golden_line_matches_entry(key, line):
    entry = BY_KEY[key]
    students = {pos for pos, marks in _annotations(entry).items() if "student" in marks}
    names = []
    for position, name in enumerate(_authors(entry), 1):
        shown = f"**{name}**" if name == OWNER else name
        names.append(shown + ("*" if position in students else ""))
    title = _decode(_field(entry, "title"))
    assert line.startswith(f"{', '.join(names)}. *{title}*. ")
    assert line.endswith(". **Best Paper Award**.") == (key in EXPECTED_AWARDS)
