"""`pubdb import`: database state after imports, re-imports, duplicates, failures and options."""

from __future__ import annotations

import sqlite3
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


def test_reimport_of_an_unchanged_file_loads_no_dedup_index(run_cli, monkeypatch):
    # Every entry is stored already: nothing to match, so the stored papers' dedup items
    # (100k papers: ~1.5 s) are never read.
    import pubdb.dedup_service

    assert run_cli("import", str(EXAMPLE)).exit_code == 0
    loads = []
    load_items = pubdb.dedup_service.load_items

    def counting_load_items(*args, **kwargs):
        loads.append(args)
        return load_items(*args, **kwargs)

    monkeypatch.setattr(pubdb.dedup_service, "load_items", counting_load_items)
    again = run_cli("import", str(EXAMPLE))
    assert "0 added, 0 merged, 0 skipped, 37 unchanged, 0 failed" in again.stdout
    assert loads == []
    changed = EXAMPLE.read_text(encoding="utf-8") + article(
        key="brandnew2024", title="A Paper Nobody Wrote Before"
    )
    assert run_cli("import", "-", input=changed).exit_code == 0
    assert len(loads) == 1  # a new entry is matched against the stored ones


def test_prepare_record_leaves_out_what_an_entry_stored_already_does_not_need(monkeypatch):
    # A re-import skips every entry whose raw text is stored: the reader's workers need not
    # build its dedup item or resolve its venue.
    import pubdb.importing
    from pubdb.importers.bibtex import read_bibtex
    from pubdb.importing import prepare_record

    record = read_bibtex("a.bib", text=article()).records[0]
    digest, too_long, item, venue = prepare_record(record)
    assert too_long is None and item is not None and venue is not None
    monkeypatch.setattr(pubdb.importing, "_stored_digests", {digest})
    assert prepare_record(record) == (digest, None, None, None)


def test_reimport_with_worker_processes_changes_nothing(db_path, tmp_path, monkeypatch):
    # The workers are forked with the stored digests: the stored entries they read come
    # without a dedup item or venue match (never needed: the importer skips them), and a
    # changed entry is still prepared and imported.
    import pubdb.importing
    from pubdb.importers import bibtex
    from pubdb.importing import Importer, ImportInput, import_files

    monkeypatch.setattr(bibtex, "_CHUNK_CHARS", 2048)
    monkeypatch.setattr(bibtex, "_PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(bibtex, "_process_count", lambda workers, size: 2)
    chunks_here: list[int] = []
    timed_here = bibtex._ChunkReader._timed_here

    def counting(self, index):
        chunks_here.append(index)
        return timed_here(self, index)

    monkeypatch.setattr(bibtex._ChunkReader, "_timed_here", counting)
    prepared_items: dict[str, bool] = {}
    import_record = Importer.import_record

    def spying(self, record, batch_id, report, prepared=None):
        prepared_items[record.key] = prepared is not None and prepared[2] is not None
        return import_record(self, record, batch_id, report, prepared)

    first = write(tmp_path, "many.bib", _entries(60))
    second = write(tmp_path, "again.bib", _entries(60).replace("{Author7, Ann", "{Author7, Anna"))
    store = open_store(str(db_path))
    try:
        reports = []
        for bib in (first, second):
            if bib is second:
                chunks_here.clear()
                monkeypatch.setattr(Importer, "import_record", spying)
            with store.transaction() as session:
                reports.append(import_files(session, [ImportInput(str(bib))]).files[0])
            assert pubdb.importing._stored_digests == frozenset()  # reset after each file
        with store.transaction() as session:
            state = database_state(session)
    finally:
        store.dispose()
    assert len(reports[0].added) == 61
    assert len(reports[1].unchanged) == 60 and len(reports[1].merged) == 1
    assert len(state["papers"]) == 61
    # Workers read part of the file, and only the changed entry came with a dedup item.
    assert len(chunks_here) < len(bibtex._chunk_bounds(second.read_text(encoding="utf-8")))
    assert {key for key, has_item in prepared_items.items() if has_item} == {"paper7"}
    assert len(prepared_items) == 61


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


def test_a_large_file_reads_every_author_before_its_first_entry(
    run_cli, db_path, tmp_path, monkeypatch
):
    """From PRELOAD_AUTHORS_MIN entries on, the stored authors are read in one query before
    the first record, not one query per family name and initial; people come out the same."""
    import pubdb.importing
    from pubdb.authors import AuthorResolver

    assert run_cli("import", str(EXAMPLE)).exit_code == 0
    bib = write(
        tmp_path,
        "people.bib",
        article(key="a", author="Ian Foster and Zhengchun Liu", title="Alpha")
        + article(key="b", author="Foster, Ian T. and Liu, Zizhong", title="Beta")
        + article(key="c", author='Kettimuthu, R. and G{\\"u}rsoy, Doga', title="Gamma"),
    )
    preloaded_at: list[int] = []  # how many spellings were resolved when it happened
    resolved: list[object] = []
    preload_all, resolve = AuthorResolver.preload_all, AuthorResolver.resolve

    def spying_preload_all(self):
        preloaded_at.append(len(resolved))
        preload_all(self)

    def spying_resolve(self, name):
        resolved.append(name)
        return resolve(self, name)

    monkeypatch.setattr(AuthorResolver, "preload_all", spying_preload_all)
    monkeypatch.setattr(AuthorResolver, "resolve", spying_resolve)
    monkeypatch.setattr(pubdb.importing, "PRELOAD_AUTHORS_MIN", 3)
    assert run_cli("import", str(bib)).exit_code == 0
    assert preloaded_at == [0] and len(resolved) == 6
    preloaded = sorted(name for (name,) in query(db_path, select(Author.display_name)))

    fresh = tmp_path / "fresh.sqlite"
    monkeypatch.setattr(pubdb.importing, "PRELOAD_AUTHORS_MIN", 1000)  # one query per key
    for each in (EXAMPLE, bib):
        assert run_cli("--db", str(fresh), "import", str(each)).exit_code == 0
    assert preloaded_at == [0]  # not again
    assert sorted(name for (name,) in query(fresh, select(Author.display_name))) == preloaded


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


# -- batched writes: the result does not depend on where the batches fall ---------------------

BOUNDARY = """@article{liu2018preprint,
  author = {Liu, Zhengchun and Foster, Ian},
  title = {Towards a Smart Data Transfer Node},
  journal = {arXiv preprint arXiv:1805.00001},
  year = {2018},
}
@article{alpha2018,
  author = {Kettimuthu, Rajkumar and Foster, I.},
  title = {Transferring a Petabyte in a Day},
  journal = {Future Generation Computer Systems},
  doi = {10.1016/j.future.2018.05.051},
  year = {2018},
}
@article{beta2014,
  author = {G{\\"u}rsoy, Doga and De Carlo, Francesco},
  title = {TomoPy: a framework for the analysis of synchrotron tomographic data},
  journal = {Journal of Synchrotron Radiation},
  year = {2014},
}
@inproceedings{gamma2020,
  author = {Chard, Kyle and Foster, Ian},
  title = {Globus Compute: Federated Function as a Service},
  booktitle = {Proceedings of the 29th International Symposium on High-Performance
               Parallel and Distributed Computing},
  year = {2020},
  pages = {1--12},
}
@inproceedings{gamma2020scholar,
  author = {K. Chard and I. T. Foster},
  title = {Globus compute: federated function as a service},
  booktitle = {HPDC},
  year = {2020},
  award = {Best Paper},
}
@article{liu2018fgcs,
  author = {Liu, Zhengchun and Foster, Ian T.},
  title = {Towards a Smart Data Transfer Node},
  journal = {Future Generation Computer Systems},
  volume = {89},
  pages = {10--18},
  doi = {10.1016/j.future.2018.06.033},
  year = {2018},
}
@article{alpha2018dblp,
  author = {Rajkumar Kettimuthu and Ian Foster},
  title = {Transferring a petabyte in a day},
  journal = {Future Gener. Comput. Syst.},
  doi = {https://doi.org/10.1016/J.FUTURE.2018.05.051},
  volume = {88},
  year = {2018},
  keywords = {data transfer},
}
@inproceedings{gamma2020dblp,
  author = {Kyle Chard and Ian T. Foster},
  title = {Globus Compute: Federated Function as a Service},
  booktitle = {HPDC},
  year = {2020},
  doi = {10.1145/3588195.3592993},
}
"""


def database_state(session) -> dict[str, object]:
    """Everything an import writes, by cite key and name (ids differ between runs)."""
    key_of = dict(session.execute(select(Paper.id, Paper.key)).all())
    name_of = dict(session.execute(select(Author.id, Author.display_name)).all())
    return {
        "papers": sorted(
            session.execute(
                select(
                    Paper.key, Paper.entry_type, Paper.title, Paper.pages, Paper.volume, Paper.doi
                )
            ).all()
        ),
        "authorships": sorted(
            (key_of[row.paper_id], row.position, name_of[row.author_id], row.written_as)
            for row in session.execute(select(Authorship)).scalars()
        ),
        "authors": sorted(name_of.values()),
        "aliases": sorted(
            (key_of[paper_id], key)
            for paper_id, key in session.execute(select(CiteKeyAlias.paper_id, CiteKeyAlias.key))
        ),
        "sources": sorted(
            (key_of[row.paper_id], row.cite_key, row.merged_from_key or "")
            for row in session.execute(select(PaperSource)).scalars()
        ),
        "awards": sorted(
            (key_of[paper_id], text)
            for paper_id, text in session.execute(select(Award.paper_id, Award.text))
        ),
        "tags": sorted(
            (paper.key, tag.name) for paper in session.scalars(select(Paper)) for tag in paper.tags
        ),
    }


def test_paper_values_fill_every_paper_column_but_key_and_timestamps():
    from pubdb.paperio import PAPER_COLUMNS, paper_columns
    from pubdb.records import BibRecord

    written_by_the_database = {"id", "key", "key_folded", "created_at", "updated_at"}
    assert set(PAPER_COLUMNS) == set(Paper.__table__.columns.keys()) - written_by_the_database
    assert len(PAPER_COLUMNS) == len(set(PAPER_COLUMNS))
    record = BibRecord(
        key="k", entry_type="Article", title="T", year=2020, month=3, venue_text="V",
        volume="1", number="2", pages="3--4", publisher="P", series="S", edition="E",
        doi="10.1/x", arxiv_id="2101.00001", url="u", abstract="a", note="n",
        authors_truncated=True, fields={"isbn": "i"},
    )  # fmt: skip
    columns = paper_columns(record, 7, normalised_title="t")
    assert columns == {
        "entry_type": "article", "title": "T", "title_bibtex": "T", "title_key": "t",
        "year": 2020, "month": 3, "venue_id": 7, "venue_text": "V", "volume": "1",
        "number": "2", "pages": "3--4", "publisher": "P", "series": "S", "edition": "E",
        "doi": "10.1/x", "arxiv_id": "2101.00001", "url": "u", "abstract": "a", "note": "n",
        "authors_truncated": True, "fields": {"isbn": "i"},
    }  # fmt: skip


def import_with_batch_size(
    location: str, bib: Path, batch_size: int, monkeypatch
) -> tuple[dict, list, int]:
    """Import ``bib`` in batches of ``batch_size``: (state, merges, stored papers read back
    one by one, not prefetched)."""
    from pubdb.importing import ImportInput, import_files
    from pubdb.paperio import BatchWriter

    reads = []
    load = BatchWriter._load

    def counting_load(self, paper_ids, slots=1):
        if slots == 1:
            reads.extend(paper_ids)
        return load(self, paper_ids, slots)

    monkeypatch.setattr(BatchWriter, "_load", counting_load)
    store = open_store(location)
    try:
        with store.transaction() as session:
            report = import_files(session, [ImportInput(str(bib))], batch_size=batch_size)
        with store.transaction() as session:
            state = database_state(session)
    finally:
        store.dispose()
    merged = [(entry.key, entry.into) for entry in report.files[0].merged]
    return state, merged, len(reads)


@pytest.mark.parametrize(
    ("batch_size", "stored_reads"),
    [
        # 1: every paper is written at once, so every merge reads its paper back.
        pytest.param(1, 4, id="batch-1-all-flushed"),
        # 3: liu2018preprint, alpha2018, beta2014 are written before gamma2020 arrives;
        # gamma2020scholar merges into gamma2020 while it is still pending (in memory), then
        # liu2018fgcs and alpha2018dblp merge into written papers, the flush after them writes
        # gamma2020, and gamma2020dblp merges into the paper the first two gamma entries made.
        pytest.param(3, 3, id="batch-3-straddling"),
        # 1000: everything pending until the end: no paper is read back.
        pytest.param(1000, 0, id="batch-1000-all-pending"),
    ],
)
def test_merges_across_a_batch_boundary(db_path, tmp_path, monkeypatch, batch_size, stored_reads):
    bib = write(tmp_path, "boundary.bib", BOUNDARY)
    state, merged, reads = import_with_batch_size(str(db_path), bib, batch_size, monkeypatch)
    assert reads == stored_reads
    assert merged == [
        ("gamma2020scholar", "gamma2020"),
        # the published version takes over its preprint's record and key
        ("liu2018fgcs", "liu2018fgcs"),
        ("alpha2018dblp", "alpha2018"),
        ("gamma2020dblp", "gamma2020"),
    ]
    papers = {row[0]: row[1:] for row in state["papers"]}
    assert sorted(papers) == ["alpha2018", "beta2014", "gamma2020", "liu2018fgcs"]
    assert papers["liu2018fgcs"] == (
        "article",
        "Towards a Smart Data Transfer Node",
        "10--18",
        "89",
        "10.1016/j.future.2018.06.033",
    )
    assert papers["alpha2018"][3:] == ("88", "10.1016/j.future.2018.05.051")
    assert papers["gamma2020"][2:] == ("1--12", "", "10.1145/3588195.3592993")
    assert state["aliases"] == [
        ("alpha2018", "alpha2018dblp"),
        ("gamma2020", "gamma2020dblp"),
        ("gamma2020", "gamma2020scholar"),
        ("liu2018fgcs", "liu2018preprint"),
    ]
    assert state["sources"] == [
        ("alpha2018", "alpha2018", ""),
        ("alpha2018", "alpha2018dblp", "alpha2018dblp"),
        ("beta2014", "beta2014", ""),
        ("gamma2020", "gamma2020", ""),
        ("gamma2020", "gamma2020dblp", "gamma2020dblp"),
        ("gamma2020", "gamma2020scholar", "gamma2020scholar"),
        ("liu2018fgcs", "liu2018fgcs", "liu2018fgcs"),
        ("liu2018fgcs", "liu2018preprint", ""),
    ]
    assert state["awards"] == [("gamma2020", "Best Paper")]
    assert state["tags"] == [("alpha2018", "data transfer")]
    # One person per author, under the most complete spelling seen.
    assert state["authors"] == [
        "Doga Gürsoy",
        "Francesco De Carlo",
        "Ian T. Foster",
        "Kyle Chard",
        "Rajkumar Kettimuthu",
        "Zhengchun Liu",
    ]
    # And everything else (who wrote what, under which spelling) is what one batch gives.
    if batch_size != 1000:
        reference_db = str(tmp_path / "reference.sqlite")
        reference, _, _ = import_with_batch_size(reference_db, bib, 1000, monkeypatch)
        assert state == reference


def spy_on_prefetch(monkeypatch) -> list[int]:
    """The refs of the papers every BatchWriter.prefetch read back, in order, as it goes."""
    from pubdb.paperio import BatchWriter

    prefetched: list[int] = []
    prefetch = BatchWriter.prefetch

    def counting_prefetch(self, refs):
        prefetch(self, refs)
        prefetched.extend(self._prefetched)

    monkeypatch.setattr(BatchWriter, "prefetch", counting_prefetch)
    return prefetched


def test_merges_find_their_written_papers_prefetched(db_path, tmp_path, monkeypatch):
    """Read in many small pieces and written one paper at a time, every merge target was
    written when the piece with its duplicate came: read back ahead with the piece's
    likely targets, none alone, and the result is what one batch gives."""
    import pubdb.importers.bibtex as bibtex

    prefetched = spy_on_prefetch(monkeypatch)
    monkeypatch.setattr(bibtex, "_CHUNK_CHARS", 16)  # a piece per entry
    bib = write(tmp_path, "boundary.bib", BOUNDARY)
    state, merged, reads = import_with_batch_size(str(db_path), bib, 1, monkeypatch)
    assert reads == 0
    assert len(prefetched) == 4  # liu2018preprint, alpha2018, gamma2020 (twice)
    monkeypatch.undo()
    reference, reference_merged, _ = import_with_batch_size(
        str(tmp_path / "reference.sqlite"), bib, 1000, monkeypatch
    )
    assert (state, merged) == (reference, reference_merged)


TWICE_MERGED = """
@article{cats2020, title = {Deep Learning for Cats}, author = {Smith, John},
  journal = {Journal of Cats}, year = 2020}
@article{dogs2019, title = {Shallow Learning for Dogs}, author = {Doe, Jane},
  journal = {Journal of Dogs}, year = 2019}
@article{cats2020doi, title = {Deep learning for cats}, author = {Smith, J.},
  journal = {Journal of Cats}, year = 2020, doi = {10.1234/cats}}
@article{cats2020pages, title = {Deep Learning for Cats}, author = {Smith, John},
  journal = {Journal of Cats}, year = 2020, pages = {1--10}}
"""


def test_a_prefetched_paper_merged_twice_in_one_batch_keeps_both_merges(
    db_path, tmp_path, monkeypatch
):
    """The reader's second batch brings two duplicates of a paper written before it: the
    first merge reads the prefetched paper and rewrites it (written at once: batch size 1),
    the second must merge into that rewrite, not into the copy prefetched before it."""
    from pubdb.importers.bibtex import stream_bibtex
    from pubdb.importing import Importer, prepare_record

    bib = write(tmp_path, "cats.bib", TWICE_MERGED)
    prefetched = spy_on_prefetch(monkeypatch)

    def run(location: str, batch_size: int, groups: list[int]) -> tuple[dict, list]:
        store = open_store(location)
        try:
            with store.transaction() as session:
                stream = stream_bibtex(str(bib), prepare=prepare_record)
                records = [each for batch, _ in stream.batches() for each in batch]
                batches, start = [], 0
                for size in groups:
                    batches.append((records[start : start + size], start + size))
                    start += size
                importer = Importer(session, batch_size=batch_size)
                report = importer.import_stream(stream, batches, "digest")
            with store.transaction() as session:
                state = database_state(session)
        finally:
            store.dispose()
        return state, [(entry.key, entry.into) for entry in report.merged]

    state, merged = run(str(db_path), 1, [2, 2])
    assert len(prefetched) == 1  # cats2020, for both duplicates
    reference, reference_merged = run(str(tmp_path / "reference.sqlite"), 1000, [4])
    assert (
        merged == reference_merged == [("cats2020doi", "cats2020"), ("cats2020pages", "cats2020")]
    )
    cats = {row[0]: row[1:] for row in state["papers"]}["cats2020"]
    assert "10.1234/cats" in cats and "1--10" in cats  # neither merge lost
    assert state == reference


@pytest.mark.parametrize("batch_size", [1, 3], ids=["batch-1", "batch-3"])
def test_ids_by_returning_give_the_same_import(db_path, tmp_path, monkeypatch, batch_size):
    # Where ids cannot be reserved (pubdb.store.reserve_ids: None), new papers and authors get
    # theirs from INSERT ... RETURNING instead: the import is the same.
    import pubdb.store

    bib = write(tmp_path, "boundary.bib", BOUNDARY)
    reference_db = str(tmp_path / "reference.sqlite")
    reference = import_with_batch_size(reference_db, bib, batch_size, monkeypatch)
    monkeypatch.setattr(pubdb.store, "reserve_ids", lambda *args: None)
    portable = import_with_batch_size(str(db_path), bib, batch_size, monkeypatch)
    assert portable[:2] == reference[:2]


def test_merges_find_papers_whose_ids_differ_from_their_refs(db_path, tmp_path, monkeypatch):
    # The writer names new papers largest id + 1, + 2...; on PostgreSQL a removed newest paper
    # leaves the id sequence ahead, so the ids they get differ: merges must still find them.
    from pubdb.store import insert_row

    store = open_store(str(db_path))
    try:
        with store.transaction() as session:
            row = {"key": "gone", "key_folded": "gone", "entry_type": "misc"}
            gone = insert_row(session, Paper, row)
            session.execute(Paper.__table__.delete().where(Paper.id == gone))
    finally:
        store.dispose()
    bib = write(tmp_path, "boundary.bib", BOUNDARY)
    state, merged, _ = import_with_batch_size(str(db_path), bib, 1, monkeypatch)
    reference = import_with_batch_size(str(tmp_path / "reference.sqlite"), bib, 1, monkeypatch)
    assert (state, merged) == reference[:2]


def test_show_lists_where_merged_sources_disagree(run_cli, tmp_path):
    a = write(tmp_path, "a.bib", article(extra="doi = {10.1/x}, volume = {89},"))
    b = write(tmp_path, "b.bib", article(key="other", extra="doi = {10.1/x}, volume = {90},"))
    assert run_cli("import", str(a)).exit_code == 0
    assert "1 merged" in run_cli("import", str(b)).stdout
    shown = run_cli("show", "other")
    assert shown.exit_code == 0, shown.output
    assert "conflicts" in shown.stdout
    assert "volume: kept '89'; other says '90'" in shown.stdout


def test_overlong_values_fail_that_entry_only(run_cli, db_path, tmp_path):
    long_pages = article(key="long", title="Long pages", extra="pages = {" + "1" * 150 + "},")
    bib = write(tmp_path, "long.bib", long_pages + article())
    result = run_cli("import", str(bib))
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout and "1 failed" in result.stdout
    assert "long.bib:1: pages is 150 characters long (at most 100)" in result.stderr
    assert query(db_path, select(Paper.key)) == [("liu2018",)]


def _name(**parts: str):
    from pubdb.records import PersonName

    return PersonName(**{"given": "Ian", "family": "Foster", **parts})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({}, None, id="nothing-long"),
        pytest.param({"pages": "1" * 100, "doi": "d" * 250}, None, id="at-the-limits"),
        pytest.param({"pages": "1" * 101}, "pages is 101 characters long (at most", id="pages"),
        pytest.param({"key": "k" * 251}, "key is 251 characters long (at most 250)", id="key"),
        pytest.param({"arxiv_id": "1" * 101}, "arxiv_id is 101 characters", id="arxiv"),
        pytest.param(
            {"authors": "given", "part": "g" * 251},
            "a name's given part is 251 characters long (at most 250)",
            id="author-given",
        ),
        pytest.param({"authors": "von", "part": "v" * 100}, None, id="author-von-at-limit"),
        pytest.param(
            {"editors": "jr", "part": "j" * 101},
            "a name's jr part is 101 characters long (at most 100)",
            id="editor-jr",
        ),
    ],
)
def test_overlong_value(change, reason):
    from pubdb.importing import overlong_value
    from pubdb.records import AuthorEntry, BibRecord

    change = dict(change)
    part = change.pop("part", "")
    authors = (AuthorEntry(_name()),)
    editors = (_name(),)
    if "authors" in change:
        authors = (AuthorEntry(_name()), AuthorEntry(_name(**{change.pop("authors"): part})))
    if "editors" in change:
        editors = (_name(**{change.pop("editors"): part}),)
    record = BibRecord(
        key=change.pop("key", "foster2020"),
        entry_type="article",
        authors=authors,
        editors=editors,
        **change,
    )
    found = overlong_value(record)
    if reason is None:
        assert found is None
    else:
        assert found is not None and found.startswith(reason) and found.endswith("not imported")


def _entries(count: int, *, crossref_at: int | None = None, keyless_at: int | None = None) -> str:
    """``count`` distinct articles; one may point at a proceedings at the end (crossref,
    child first as BibTeX wants it), one may have no key."""
    parts = []
    for number in range(count):
        key = "" if number == keyless_at else f"paper{number}"
        extra = "crossref = {proc}," if number == crossref_at else ""
        parts.append(
            f"@inproceedings{{{key},\n  author = {{Author{number}, Ann and Other, Bob}},\n"
            f"  title = {{Study number {number} of streaming imports}},\n"
            f"  year = {{{2000 + number % 20}}},\n  {extra}\n}}\n"
        )
    parts.append("@proceedings{proc,\n  title = {Proceedings of Chunks},\n  year = {2020}\n}\n")
    return "\n".join(parts)


def _import_events(
    db: str, bib: Path, monkeypatch, *, processes: bool = False
) -> tuple[list[str], dict, list]:
    """Import ``bib`` read in small chunks (``processes``: by worker processes too, whatever
    the machine); (events in order, database state, progress calls)."""
    from pubdb.importers import bibtex
    from pubdb.importing import Importer, ImportInput, import_files

    events: list[str] = []
    feed, import_record = bibtex._Assembler.feed, Importer.import_record

    def logged_feed(self, *args):
        events.append("read")
        return feed(self, *args)

    def logged_import(self, record, *args, **kwargs):
        events.append(f"store {record.key}")
        return import_record(self, record, *args, **kwargs)

    monkeypatch.setattr(bibtex, "_CHUNK_CHARS", 2048)
    if processes:
        monkeypatch.setattr(bibtex, "_PARALLEL_MIN_CHARS", 0)
        monkeypatch.setattr(bibtex, "_process_count", lambda workers, size: 2)
    monkeypatch.setattr(bibtex._Assembler, "feed", logged_feed)
    monkeypatch.setattr(Importer, "import_record", logged_import)
    calls: list[tuple[str, int, int]] = []
    store = open_store(db)
    try:
        with store.transaction() as session:
            import_files(session, [ImportInput(str(bib))], progress=lambda *a: calls.append(a))
        with store.transaction() as session:
            state = database_state(session)
    finally:
        store.dispose()
    return events, state, calls


@pytest.mark.parametrize("processes", [False, True], ids=["one-process", "worker-processes"])
def test_records_are_stored_while_the_file_is_still_read(db_path, tmp_path, monkeypatch, processes):
    bib = write(tmp_path, "many.bib", _entries(60))
    events, state, calls = _import_events(str(db_path), bib, monkeypatch, processes=processes)
    assert events.index("store paper0") < len(events) - events[::-1].index("read") - 1
    assert len(state["papers"]) == 61
    # Progress after each part: positions grow to the file's size (in characters).
    size = len(bib.read_text(encoding="utf-8"))
    positions = [position for _, position, _ in calls]
    assert len(calls) > 3 and positions == sorted(positions) and positions[-1] == size
    assert {(path, total) for path, _, total in calls} == {(str(bib), size)}


@pytest.mark.parametrize(
    ("crossref_at", "keyless_at"),
    [(5, None), (None, 5), (40, 3)],
    ids=["crossref-holds-back-the-rest", "keyless-holds-back-the-rest", "both"],
)
def test_entries_that_need_the_whole_file_wait_for_it(
    db_path, tmp_path, monkeypatch, crossref_at, keyless_at
):
    # An entry with a crossref (its parent comes later) or without a key (its generated key
    # must clear every key of the file) is stored after the whole file is read, and so is
    # every entry after it: the order of the file, and so the import, stays the same.
    bib = write(tmp_path, "wait.bib", _entries(60, crossref_at=crossref_at, keyless_at=keyless_at))
    events, state, _ = _import_events(str(db_path), bib, monkeypatch)
    first_waiting = min(n for n in (crossref_at, keyless_at) if n is not None)
    last_read = len(events) - events[::-1].index("read") - 1
    stored = [event for event in events if event.startswith("store")]
    assert stored[first_waiting] == events[last_read + 1]
    assert events.index(f"store paper{first_waiting - 1}") < last_read
    reference, _, _ = import_with_batch_size(str(tmp_path / "ref.sqlite"), bib, 1000, monkeypatch)
    assert state == reference
    papers = {row[0]: row for row in state["papers"]}
    if crossref_at is not None:
        assert f"paper{crossref_at}" in papers
    if keyless_at is not None:
        assert f"paper{keyless_at}" not in papers and len(papers) == 61


def test_progress_bars_only_for_large_inputs():
    import io

    from pubdb.cli.importing import PROGRESS_MIN_CHARS, ProgressBars

    out = io.StringIO()
    with ProgressBars(out) as bars:
        bars("small.bib", 10, 100)
        assert bars.bar is None
        size = PROGRESS_MIN_CHARS * 2
        bars("big.bib", size // 2, size)
        assert (bars.path, bars.bar.pos) == ("big.bib", size // 2)
        bars("big.bib", size, size)
        assert bars.bar.pos == size
        bars("next.bib", 5, size)
        assert (bars.path, bars.bar.pos) == ("next.bib", 5)
    assert bars.bar is None
    assert "big.bib" in out.getvalue() and "next.bib" in out.getvalue()


def test_import_command_shows_a_bar_for_a_large_file_on_a_terminal(run_cli, tmp_path, monkeypatch):
    import pubdb.cli.importing as command

    monkeypatch.setattr(command, "PROGRESS_MIN_CHARS", 1000)
    calls: list[tuple[str, int, int]] = []
    shown = command.ProgressBars.__call__

    def recording(self, path, position, size):
        calls.append((path, position, size))
        shown(self, path, position, size)

    monkeypatch.setattr(command.ProgressBars, "__call__", recording)
    big = write(tmp_path, "big.bib", _entries(30))
    run_cli("import", str(big))
    assert calls == []  # stderr is no terminal here: no bar, no progress calls
    monkeypatch.setattr(command.ProgressBars, "visible", property(lambda self: True))
    result = run_cli("import", str(write(tmp_path, "other.bib", _entries(30))))
    assert calls and calls[-1][1:] == (calls[-1][2], len(_entries(30)))
    assert str(tmp_path / "other.bib") in result.stderr


def test_prepare_record_resolves_the_venue_text_with_the_shipped_registry():
    # What the reader's worker processes work out for a record includes its venue match.
    from pubdb.importers.bibtex import read_bibtex
    from pubdb.importing import prepare_record
    from pubdb.venues import default_registry

    text = article(extra="") + article(key="nojournal").replace(
        "  journal = {Future Generation Computer Systems},\n", ""
    )
    with_venue, without = read_bibtex("v.bib", text=text).records
    venue = prepare_record(with_venue)[3]
    assert venue is not None and venue.short == "FGCS"
    assert venue is default_registry().resolve("Future Generation Computer Systems", "article")
    assert prepare_record(without)[3] is None


def test_the_import_takes_the_venue_match_a_worker_worked_out(db_path, tmp_path, monkeypatch):
    # The importing process does not resolve again a venue text the worker resolved: it takes
    # the match prepare_record gives (here a made-up one, which resolving could not give).
    import pubdb.importing
    from pubdb.importing import ImportInput, import_files
    from pubdb.venues import VenueMatch, default_registry

    made_up = VenueMatch(
        short="MADEUP", name="Made Up Venue", kind="workshop", parent=None,
        source="registry", matched_text="Future Generation Computer Systems",
    )  # fmt: skip
    prepare = pubdb.importing.prepare_record
    monkeypatch.setattr(
        pubdb.importing, "prepare_record", lambda record: (*prepare(record)[:3], made_up)
    )
    monkeypatch.setattr(default_registry(), "_remembered", {})  # made up: forget it after
    bib = write(tmp_path, "a.bib", article())
    store = open_store(str(db_path))
    try:
        with store.transaction() as session:
            import_files(session, [ImportInput(str(bib))])
            shorts = session.scalars(select(Venue.short).join(Paper.venue)).all()
    finally:
        store.dispose()
    assert shorts == ["MADEUP"]


def test_a_large_import_builds_the_indexes_once_at_the_end(tmp_path, monkeypatch):
    # A file at least as large as the database (and over DEFER_INDEXES_MIN_ENTRIES entries)
    # is imported with the secondary indexes dropped and built again at the end (SQLite):
    # the same data, and the same schema afterwards.
    import pubdb.importing
    from pubdb.store import DeferredIndexes

    bib = write(tmp_path, "boundary.bib", BOUNDARY)
    reference_db = tmp_path / "reference.sqlite"
    monkeypatch.setattr(pubdb.importing, "DEFER_INDEXES_MIN_ENTRIES", 10**9)
    reference = import_with_batch_size(str(reference_db), bib, 3, monkeypatch)[:2]

    deferred = []
    defer = DeferredIndexes.defer

    def spying_defer(self):
        defer(self)
        deferred.append(self.deferred)

    monkeypatch.setattr(DeferredIndexes, "defer", spying_defer)
    monkeypatch.setattr(pubdb.importing, "DEFER_INDEXES_MIN_ENTRIES", 3)
    db = tmp_path / "deferred.sqlite"
    assert import_with_batch_size(str(db), bib, 3, monkeypatch)[:2] == reference
    assert deferred and all(deferred)
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
    with sqlite3.connect(db) as conn, sqlite3.connect(reference_db) as kept_current:
        assert conn.execute(schema).fetchall() == kept_current.execute(schema).fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # The full-text index, rebuilt at the end, holds every title (raises if not).
        conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('integrity-check')")

    # A re-import writes nothing: nothing to defer the indexes for.
    deferred.clear()
    import_with_batch_size(str(db), bib, 3, monkeypatch)
    assert deferred == []
    # A file with fewer entries than the database has papers: kept current as usual.
    small = "".join(
        article(f"small{n}", title=f"A Small Addition Number {n}", year=2000 + n) for n in range(3)
    )
    state, _, _ = import_with_batch_size(
        str(db), write(tmp_path, "small.bib", small), 3, monkeypatch
    )
    assert len(state["papers"]) == 7 and deferred == []


def test_a_dry_run_leaves_deferred_indexes_to_the_rollback(tmp_path, monkeypatch):
    # Building the indexes again only for the rollback to drop that work would cost ~1 s at
    # 100k entries: a dry run (the command's --dry-run passes it) leaves them to the rollback.
    import pubdb.importing
    from pubdb.importing import ImportInput, import_files
    from pubdb.store import DeferredIndexes

    restored = []
    monkeypatch.setattr(DeferredIndexes, "restore", lambda self: restored.append(self.deferred))
    monkeypatch.setattr(pubdb.importing, "DEFER_INDEXES_MIN_ENTRIES", 3)
    bib = write(tmp_path, "boundary.bib", BOUNDARY)
    db = tmp_path / "dry.sqlite"
    store = open_store(str(db))
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
    try:
        with sqlite3.connect(db) as conn:
            before = conn.execute(schema).fetchall()
        with store.transaction(rollback=True) as session:
            import_files(session, [ImportInput(str(bib))], batch_size=3, dry_run=True)
            indexes = session.connection().exec_driver_sql(schema).all()
            assert len(indexes) < len(before)  # dropped, and not built again
        assert restored == []
        with sqlite3.connect(db) as conn:
            assert conn.execute(schema).fetchall() == before
    finally:
        store.dispose()


def test_import_command_passes_its_dry_run_on(run_cli, monkeypatch):
    import pubdb.importing

    seen = []
    original = pubdb.importing.deferrable_indexes

    def spying(conn, tables, *, rollback=False):
        seen.append(rollback)
        return original(conn, tables, rollback=rollback)

    monkeypatch.setattr(pubdb.importing, "deferrable_indexes", spying)
    assert run_cli("import", "--dry-run", str(EXAMPLE)).exit_code == 0
    assert run_cli("import", str(EXAMPLE)).exit_code == 0
    assert seen == [True, False]
