"""Annotations survive BibTeX: marks, awards and tags set by commands export and re-import."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from pubdb.cli import cli
from pubdb.model import Author, Authorship, Award, Paper, Tag
from pubdb.store import open_store

REPO = Path(__file__).resolve().parents[1]
BIB = REPO / "bib" / "publications.bib"


def annotations(db: Path) -> dict[str, tuple]:
    """Per cite key: (marks by author display name, award texts, tag names)."""
    store = open_store(str(db))
    try:
        with store.transaction() as session:
            out = {}
            for paper in session.scalars(select(Paper)):
                marks = tuple(
                    (a.author.display_name, a.student, a.equal, a.corresponding)
                    for a in paper.authorships
                    if a.student or a.equal or a.corresponding
                )
                out[paper.key] = (
                    marks,
                    tuple(sorted(award.text for award in paper.awards)),
                    tuple(sorted(tag.name for tag in paper.tags)),
                )
            return out
    finally:
        store.dispose()


def run(db: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_marks_awards_and_tags_round_trip(tmp_path: Path):
    first, second = tmp_path / "first.sqlite", tmp_path / "second.sqlite"
    run(first, "import", str(BIB))
    run(first, "mark", "liu2023freetrain", "Kettimuthu", "--equal")
    run(first, "mark", "liu2023freetrain", "Ian Foster", "--corresponding")
    run(first, "award", "add", "liu2023freetrain", "Best Student Paper Finalist")
    run(first, "tag", "add", "liu2023freetrain", "selected", "hpc")
    exported = tmp_path / "export.bib"
    run(first, "export", "--format", "bibtex", "-o", str(exported))
    text = exported.read_text(encoding="utf-8")
    assert "author+an = {2=equal; 4=corresponding}" in text
    run(second, "import", str(exported))
    before, after = annotations(first), annotations(second)
    assert after == before
    freetrain = after["liu2023freetrain"]
    assert ("Rajkumar Kettimuthu", False, True, False) in freetrain[0]
    assert "Best Student Paper Finalist" in freetrain[1]
    assert {"hpc", "selected", "ml-systems"} <= set(freetrain[2])
    # Students from the example bibliography came through too.
    store = open_store(str(second))
    try:
        with store.transaction() as session:
            students = session.scalars(
                select(Author.display_name)
                .join(Authorship, Authorship.author_id == Author.id)
                .where(Authorship.student.is_(True))
            ).all()
            assert "Yuanlai Liu" in students
            assert session.scalar(select(Award.id).limit(1)) is not None
            assert session.scalar(select(Tag.id).where(Tag.name == "hpc")) is not None
    finally:
        store.dispose()
