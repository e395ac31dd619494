"""Query safety through the command line: hostile query text is data, never SQL or FTS5 syntax.

A small .bib with titles full of quotes, semicolons, ``%``, ``_``, backslashes, ``*``, ``^``
and the FTS5 words NEAR / AND / OR / NOT is imported with ``pubdb import``; then ``pubdb list
--format keys`` with SQL injections (``'; DROP TABLE papers; --``, ``" OR 1=1 --``,
``year:2020 OR 1=1``), LIKE wildcards and FTS5 operators must print exactly the papers whose
titles (or keys, authors...) hold that text, and nothing else, or fail with one line and
exit 1; the database is intact afterwards. Each case runs on the FTS5 title index and on the
LIKE fallback (a copy of the database without the index).

tests/test_query.py covers the query builder on the factory library; this adds the CLI path,
an imported database and the FTS5 syntax.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pubdb.cli import cli

BIB = r"""
@inproceedings{obrien2020robert,
  author = {O'Brien, Robert and Liu, Zhengchun},
  title = {Robert'); DROP TABLE papers;-- and 100% Safe_Names},
  booktitle = {SIGMOD},
  year = {2020}
}
@article{half2019percent,
  author = {Half, Percy},
  title = {Fifty 50% of Under_scores Are Not Wildcards},
  journal = {VLDB Journal},
  year = {2019}
}
@misc{path2018windows,
  author = {Path, Winnie},
  title = {Paths Like C:\temp and Back\slashes},
  year = {2018}
}
@inproceedings{near2021edge,
  author = {Near, Ned},
  title = {NEAR the Edge: OR Else, NOT AND},
  booktitle = {SC},
  year = {2021}
}
@article{quote2017marks,
  author = {Quote, Quinn},
  title = {Quote "Marks" Everywhere; Semicolons Too},
  journal = {Communications of the ACM},
  year = {2017}
}
@inproceedings{kraska2018case,
  author = {Kraska, Tim},
  title = {The Case for Learned Index Structures},
  booktitle = {SIGMOD},
  year = {2018}
}
@misc{star2016caret,
  author = {Star, Stella},
  title = {A Star* and a Caret^ in Titles},
  year = {2016}
}
@article{nearly2015duplicates,
  author = {Dupont, Dana},
  title = {Near-Duplicate Detection},
  journal = {VLDB Journal},
  year = {2020}
}
"""

ALL = {
    "obrien2020robert",
    "half2019percent",
    "path2018windows",
    "near2021edge",
    "quote2017marks",
    "kraska2018case",
    "star2016caret",
    "nearly2015duplicates",
}
TABLES = {
    "papers",
    "authors",
    "authorships",
    "venues",
    "tags",
    "paper_tags",
    "awards",
    "paper_sources",
    "import_batches",
    "alembic_version",
}


@pytest.fixture(scope="module", params=["fts5", "like"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The imported fixture; ``like``: a copy without the FTS5 title index (the fallback)."""
    folder = tmp_path_factory.mktemp(f"query-safety-{request.param}")
    bib = folder / "hostile.bib"
    bib.write_text(BIB, encoding="utf-8")
    path = folder / "hostile.sqlite"
    result = pubdb(path, "import", str(bib))
    assert "8 added" in result.output and "0 failed" in result.output
    if request.param == "like":
        with sqlite3.connect(path) as conn:
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
                conn.execute(f"DROP TRIGGER {name}")
            conn.execute("DROP TABLE papers_fts")
    return path


def pubdb(path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(path), *args], catch_exceptions=False)


def listed(path: Path, *terms: str) -> set[str]:
    result = pubdb(path, "list", "--format", "keys", *terms)
    assert result.exit_code == 0, result.output
    keys = result.stdout.split()
    assert len(keys) == len(set(keys))
    return set(keys)


# (arguments of `pubdb list`, keys it must print)
CASES: list[tuple[list[str], set[str]]] = [
    # SQL injections: the text is searched for, as title words or literally
    (["'; DROP TABLE papers; --"], {"obrien2020robert"}),
    (["Robert'); DROP TABLE papers;--"], {"obrien2020robert"}),
    (['" OR 1=1 --'], set()),
    (["' OR '1'='1"], set()),
    (["1=1"], set()),
    (["OR 1=1"], set()),
    (["year:2020", "OR", "1=1"], set()),  # three terms, ANDed
    (["year:2020", "OR"], set()),
    (["year:2021", "OR"], {"near2021edge"}),
    (["author:O'Brien"], {"obrien2020robert"}),
    (["author:' OR 1=1 --"], set()),
    (["venue:SIGMOD' OR '1'='1"], set()),
    (["key:' OR 1=1 --"], set()),
    (["tag:'; DROP TABLE tags; --"], set()),
    (["type:misc' OR 'a'='a"], set()),
    (["award:' OR 1=1 --"], set()),
    (["doi:' OR 1=1 --"], set()),
    (["papers_fts"], set()),
    # quotes and semicolons
    (["'"], {"obrien2020robert"}),
    ([";"], {"obrien2020robert", "quote2017marks"}),
    (['"marks"'], {"quote2017marks"}),
    (['"drop table"'], {"obrien2020robert"}),
    (['"a'], {"star2016caret"}),  # an unbalanced quote closes at the end
    # LIKE wildcards are literal characters
    (["%"], {"obrien2020robert", "half2019percent"}),
    (["_"], {"obrien2020robert", "half2019percent"}),
    (["50%"], {"half2019percent"}),
    (["safe_names"], {"obrien2020robert"}),
    (["-%"], ALL - {"obrien2020robert", "half2019percent"}),
    (["-_"], ALL - {"obrien2020robert", "half2019percent"}),
    (["key:%"], set()),
    (["key:_"], set()),
    (["key:%2020%"], set()),
    (["key:obrien2020robert"], {"obrien2020robert"}),
    (["key:obrien2020rober_"], set()),
    (["author:%"], set()),
    (["author:_"], set()),
    (["venue:%"], set()),
    (["venue:S_GMOD"], set()),
    (["tag:%"], set()),
    (["award:%"], set()),
    # backslashes
    (["\\"], {"path2018windows"}),
    (["back\\slashes"], {"path2018windows"}),
    (["\\%"], set()),
    (["\\_"], set()),
    # FTS5 syntax: operators are words, special characters are text
    (["NEAR"], {"near2021edge", "nearly2015duplicates"}),
    (["near"], {"near2021edge", "nearly2015duplicates"}),
    (["NEAR(edge"], set()),
    (["NEAR(edge else)"], set()),
    (["edge NEAR/2 else"], set()),
    (["AND"], {"near2021edge", "obrien2020robert", "path2018windows", "star2016caret"}),
    (["OR"], {"near2021edge"}),
    (["NOT"], {"near2021edge", "half2019percent"}),
    (["-NOT"], ALL - {"near2021edge", "half2019percent"}),
    (['"OR"'], {"near2021edge"}),
    (["title:NOT"], {"near2021edge", "half2019percent"}),
    (["edge OR else"], {"near2021edge"}),
    (["learned OR edge"], set()),
    (["learned NOT index"], set()),
    (["*"], {"star2016caret"}),
    (["star*"], {"star2016caret"}),
    (["^"], {"star2016caret"}),
    (["^caret"], {"star2016caret"}),
    (["title_key:edge"], set()),
    (["{"], set()),
    (["(", ")"], set()),
]


@pytest.mark.parametrize(("terms", "keys"), CASES, ids=[" ".join(t) for t, _ in CASES])
def test_hostile_term_lists_the_right_papers(database: Path, terms: list[str], keys: set[str]):
    assert listed(database, *terms) == keys


@pytest.mark.parametrize(
    "term",
    ["year:2020 OR 1=1", "year:2020; DROP TABLE papers", '"', '""', "C:\\temp", "-"],
)
def test_malformed_term_is_one_line_exit_1(database: Path, term: str):
    result = pubdb(database, "list", "--format", "keys", term)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error: bad query term")


def test_hostile_query_exports_only_its_papers(database: Path):
    result = pubdb(database, "export", "--format", "bibtex", "'; DROP TABLE papers; --")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("@") == 1
    assert "@inproceedings{obrien2020robert," in result.stdout


def test_database_is_intact_after_hostile_queries(database: Path):
    for terms, _ in CASES:
        pubdb(database, "list", *terms)
        pubdb(database, "dedup", *terms)
    assert listed(database) == ALL
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert tables >= TABLES
        assert conn.execute("SELECT count(*) FROM papers").fetchone() == (len(ALL),)
        title = "SELECT title FROM papers WHERE key = 'obrien2020robert'"
        assert conn.execute(title).fetchone() == (
            "Robert'); DROP TABLE papers;– and 100% Safe_Names",
        )
