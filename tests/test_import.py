"""`pubdb import`: database state after imports, re-imports, duplicates, failures and options."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from pubdb.model import (
    Author,
    Authorship,
    Award,
    CiteKeyAlias,
    ImportBatch,
    Paper,
    PaperSource,
    Tag,
    Venue,
)
from pubdb.store import open_store
from tests.conftest import CORPORA, REPO

EXAMPLE = REPO / "bib" / "publications.bib"


def count(db_path: Path, model) -> int:
    store = open_store(str(db_path))
    try:
        with store.transaction() as session:
            return session.scalar(select(func.count()).select_from(model))
    finally:
        store.dispose()


def query(db_path: Path, stmt):
    store = open_store(str(db_path))
    try:
        with store.transaction() as session:
            return session.execute(stmt).all()
    finally:
        store.dispose()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ARTICLE = """@article{{{key},
  author = {{{author}}},
  title = {{{title}}},
  journal = {{Future Generation Computer Systems}},
  year = {{{year}}},
  {extra}
}}
"""


def article(
    key="liu2018",
    author="Liu, Zhengchun and Foster, Ian",
    title="Towards a Smart Data Transfer Node",
    year=2018,
    extra="",
) -> str:
    return ARTICLE.format(key=key, author=author, title=title, year=year, extra=extra)


def test_example_bibliography_imports_every_paper_once(run_cli, db_path):
    result = run_cli("import", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "37 entries: 37 added, 0 merged" in result.stdout
    assert count(db_path, Paper) == 37
    assert count(db_path, Award) == 3
    assert count(db_path, PaperSource) == 37
    students = query(db_path, select(Authorship).where(Authorship.student.is_(True)))
    assert len(students) == 7
    tags = dict(
        query(
            db_path,
            select(Tag.name, func.count()).join(Tag.papers).group_by(Tag.name),
        )
    )
    assert tags == {"ml-systems": 20, "ai-science": 17}
    # One Zhengchun Liu, whatever the spelling in each source.
    assert len(query(db_path, select(Author.id).where(Author.display_name == "Zhengchun Liu"))) == 1


def test_reimport_adds_and_changes_nothing(run_cli, db_path):
    assert run_cli("import", str(EXAMPLE)).exit_code == 0
    batches = count(db_path, ImportBatch)
    again = run_cli("import", str(EXAMPLE))
    assert again.exit_code == 0, again.output
    assert "0 added, 0 merged, 0 skipped, 37 unchanged, 0 failed" in again.stdout
    assert count(db_path, Paper) == 37
    assert count(db_path, ImportBatch) == batches
    assert count(db_path, PaperSource) == 37


def test_dry_run_writes_nothing(run_cli, db_path):
    result = run_cli("import", "--dry-run", str(EXAMPLE))
    assert result.exit_code == 0
    assert "37 added" in result.stdout and "dry run" in result.stdout
    assert count(db_path, Paper) == 0
    assert count(db_path, Author) == 0


def test_stdin(run_cli, db_path):
    result = run_cli("import", "-", input=article())
    assert result.exit_code == 0, result.output
    assert query(db_path, select(Paper.key)) == [("liu2018",)]
    (path,) = query(db_path, select(ImportBatch.path))[0]
    assert path == "<stdin>"


def test_tag_option(run_cli, db_path, tmp_path):
    bib = write(tmp_path, "a.bib", article())
    assert run_cli("import", "--tag", "mine", "--tag", "fgcs", str(bib)).exit_code == 0
    names = {row[0] for row in query(db_path, select(Tag.name))}
    assert names == {"mine", "fgcs"}


def test_failed_entry_reported_and_rest_imported(run_cli, db_path, tmp_path):
    broken = "@article{broken, title = {Unclosed\n\n"
    bib = write(
        tmp_path,
        "mixed.bib",
        article()
        + "\n"
        + article(key="dup").replace("Towards a Smart Data Transfer Node", "Another title")
        + broken,
    )
    result = run_cli("import", str(bib))
    assert result.exit_code == 0, result.output
    assert "failed: " in result.stderr and "mixed.bib:" in result.stderr
    assert count(db_path, Paper) == 2


def test_strict_aborts_everything(run_cli, db_path, tmp_path):
    good = write(tmp_path, "good.bib", article())
    bad = write(
        tmp_path, "bad.bib", article(key="x", title="Other") + "@article{broken, title = {x\n"
    )
    result = run_cli("import", "--strict", str(good), str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "bad.bib" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert count(db_path, Paper) == 0


@pytest.mark.parametrize("content", [b"\x00\x01\x02binary\xff\xfe" * 50, b"just some text\n"])
def test_not_bibtex_is_one_clear_error(run_cli, db_path, tmp_path, content):
    path = tmp_path / "data.bib"
    path.write_bytes(content)
    result = run_cli("import", str(path))
    assert result.exit_code == 1
    assert "data.bib" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_file_and_folder(run_cli, tmp_path):
    assert run_cli("import", str(tmp_path / "nope.bib")).exit_code == 1
    result = run_cli("import", str(tmp_path))
    assert result.exit_code == 1
    assert "folder" in result.stderr


def test_same_doi_merges_and_keeps_alias(run_cli, db_path, tmp_path):
    a = write(
        tmp_path,
        "dblp.bib",
        article(key="DBLP:journals/fgcs/LiuKFB18", extra="doi = {10.1016/j.future.2018.06.033},"),
    )
    b = write(
        tmp_path,
        "scholar.bib",
        article(
            key="liu2018towards",
            author="Z. Liu and I. Foster",
            title="Towards a smart data transfer node",
            extra="doi = {https://doi.org/10.1016/J.FUTURE.2018.06.033}, pages = {10--18},",
        ),
    )
    assert run_cli("import", str(a)).exit_code == 0
    result = run_cli("import", str(b))
    assert result.exit_code == 0, result.output
    assert "1 merged" in result.stdout
    assert "liu2018towards into DBLP:journals/fgcs/LiuKFB18" in result.stdout
    assert count(db_path, Paper) == 1
    assert query(db_path, select(Paper.pages)) == [("10--18",)]
    assert query(db_path, select(CiteKeyAlias.key)) == [("liu2018towards",)]
    assert count(db_path, PaperSource) == 2


def test_on_duplicate_skip_and_keep(run_cli, db_path, tmp_path):
    a = write(tmp_path, "a.bib", article(extra="doi = {10.1/x},"))
    b = write(tmp_path, "b.bib", article(key="other", extra="doi = {10.1/x},"))
    assert run_cli("import", str(a)).exit_code == 0
    skipped = run_cli("import", "--on-duplicate", "skip", str(b))
    assert "1 skipped" in skipped.stdout
    assert count(db_path, Paper) == 1
    kept = run_cli("import", "--on-duplicate", "keep", str(b))
    assert "1 added" in kept.stdout
    assert count(db_path, Paper) == 2


def test_key_taken_by_a_different_paper_gets_a_suffix(run_cli, db_path, tmp_path):
    a = write(tmp_path, "a.bib", article(key="liu2018"))
    b = write(
        tmp_path,
        "b.bib",
        article(
            key="LIU2018", title="Transferring a Petabyte in a Day", author="Kettimuthu, Rajkumar"
        ),
    )
    assert run_cli("import", str(a)).exit_code == 0
    result = run_cli("import", str(b))
    assert "imported as LIU2018-2" in result.stdout
    assert sorted(k for (k,) in query(db_path, select(Paper.key))) == ["LIU2018-2", "liu2018"]


def test_authors_one_record_per_person(run_cli, db_path, tmp_path):
    bib = write(
        tmp_path,
        "people.bib",
        article(key="a", author="Ian Foster and Zhengchun Liu", title="Alpha")
        + article(key="b", author="Foster, Ian T. and Liu, Zizhong", title="Beta")
        + article(
            key="c", author='Foster, I. T. and Yuanlai Liu and G{\\"u}rsoy, Doga', title="Gamma"
        )
        + article(key="d", author="Doga Gursoy", title="Delta"),
    )
    assert run_cli("import", str(bib)).exit_code == 0
    names = sorted(name for (name,) in query(db_path, select(Author.display_name)))
    assert names == ["Doga Gürsoy", "Ian T. Foster", "Yuanlai Liu", "Zhengchun Liu", "Zizhong Liu"]


def test_venue_resolved_from_booktitle(run_cli, db_path):
    assert run_cli("import", str(EXAMPLE)).exit_code == 0
    shorts = {short for (short,) in query(db_path, select(Venue.short).join(Venue.papers))}
    assert {"SIGMOD", "VLDB", "HPDC", "XLOOP", "FGCS"} <= shorts


@pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not present")
def test_every_real_world_file_imports_and_accounts_for_every_entry(tmp_path):
    from pubdb.errors import InputError
    from pubdb.importers.bibtex import read_bibtex
    from pubdb.importing import ImportInput, import_files

    files = sorted((CORPORA / "real-world").rglob("*.bib"))
    assert len(files) > 50
    readable = []
    for path in files:
        try:
            read_bibtex(path)
        except InputError:
            continue  # one clear error for the whole file (tests/test_corpora.py)
        readable.append(ImportInput(str(path)))
    store = open_store(str(tmp_path / "corpora.sqlite"))
    try:
        with store.transaction() as session:
            report = import_files(session, readable)
    finally:
        store.dispose()
    assert len(report.files) == len(readable)
    for file_report in report.files:
        assert file_report.accounted == file_report.entries, file_report.path
    assert report.total("added") > 5000
