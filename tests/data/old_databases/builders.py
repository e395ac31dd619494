"""Old pubdb databases for the upgrade tests, built from SQL (no binary fixture files).

``create_at(location, revision)`` migrates an empty database to an old Alembic revision and
nothing further; ``fill_0001(conn)`` then writes a small library with every kind of row the
first schema holds, as plain SQL inserts of that revision's columns (migrations/versions/
0001_initial_schema.py), the way pubdb of that time stored them. ``fill_many_0001(conn, n)``
writes ``n`` bare papers (with authors and sources) for the crash tests. ``FACTS`` lists
joined facts the library must still show after any upgrade. Revisions 0002 and 0003 add only
a search index and plain indexes, so the same inserts fill a database built at 0002.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Connection

from pubdb.store import alembic_config, database_url, make_engine

STAMP = "2026-11-27 12:00:00.000000"


def create_at(location: str, revision: str) -> None:
    """An empty database at ``location`` migrated to ``revision`` (not to head)."""
    from alembic import command

    engine = make_engine(database_url(location))
    try:
        config = alembic_config(engine)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _insert(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Plain ``INSERT`` of ``rows`` (dicts with the same keys), one DBAPI executemany."""
    columns = list(rows[0])
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    values = [tuple(row[column] for column in columns) for row in rows]
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)


def _author(id_: int, given: str, family: str, match_key: str) -> dict[str, Any]:
    return {
        "id": id_,
        "given": given,
        "family": family,
        "von": "",
        "jr": "",
        "is_corporate": False,
        "display_name": f"{given} {family}",
        "match_key": match_key,
        "family_key": match_key.split("|")[0],
    }


def _paper(id_: int, key: str, title: str, year: int, venue_id: int | None, **more: Any):
    row: dict[str, Any] = {
        "id": id_,
        "key": key,
        "key_folded": key.casefold(),
        "entry_type": "inproceedings",
        "title": title,
        "title_bibtex": title,
        "title_key": " ".join(title.casefold().replace(":", " ").split()),
        "year": year,
        "month": None,
        "venue_id": venue_id,
        "venue_text": "",
        "volume": "",
        "number": "",
        "pages": "",
        "publisher": "",
        "series": "",
        "edition": "",
        "doi": None,
        "arxiv_id": None,
        "url": "",
        "abstract": "",
        "note": "",
        "authors_truncated": False,
        "fields": json.dumps({}),
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    row.update(more)
    return row


# Counts of the rows fill_0001 writes, per table.
COUNTS = {
    "authors": 4,
    "author_variants": 5,
    "owner": 1,
    "owner_variants": 1,
    "venues": 2,
    "venue_aliases": 2,
    "papers": 3,
    "authorships": 7,
    "editorships": 1,
    "awards": 1,
    "tags": 2,
    "paper_tags": 3,
    "cite_key_aliases": 1,
    "import_batches": 1,
    "paper_sources": 3,
    "paper_relations": 1,
}

# Joined facts: (SQL, expected rows). They hold at 0001 and must hold after any upgrade.
FACTS: list[tuple[str, list[tuple[Any, ...]]]] = [
    (
        "SELECT p.key, a.display_name, s.student FROM authorships s "
        "JOIN papers p ON p.id = s.paper_id JOIN authors a ON a.id = s.author_id "
        "WHERE s.student OR s.equal OR s.corresponding ORDER BY p.key, s.position",
        [("liu2021bridge", "Ahsan Ali", 1), ("liu2022sinogram", "Ian Foster", 0)],
    ),
    (
        "SELECT child.short, parent.short FROM venues child "
        "JOIN venues parent ON parent.id = child.parent_id",
        [("XLOOP", "SC")],
    ),
    (
        "SELECT v.short, a.text FROM venue_aliases a JOIN venues v ON v.id = a.venue_id "
        "ORDER BY a.id",
        [("SC", "Supercomputing"), ("XLOOP", "XLOOP Workshop at SC")],
    ),
    (
        "SELECT p.key, w.text, w.year FROM awards w JOIN papers p ON p.id = w.paper_id",
        [("liu2021bridge", "Best Paper Award", 2021)],
    ),
    (
        "SELECT t.name, t.title, t.position, p.key FROM paper_tags pt "
        "JOIN tags t ON t.id = pt.tag_id JOIN papers p ON p.id = pt.paper_id "
        "ORDER BY t.name, p.key",
        [
            ("ml-systems", "Machine Learning Systems", 1, "liu2021bridge"),
            ("ml-systems", "Machine Learning Systems", 1, "liu2022sinogram"),
            ("tomography", "Tomography", 2, "liu2020tomogan"),
        ],
    ),
    (
        "SELECT a.display_name, v.name FROM owner o JOIN authors a ON a.id = o.author_id "
        "JOIN owner_variants v ON v.owner_id = o.id",
        [("Zhengchun Liu", "Z. Liu")],
    ),
    (
        "SELECT p.key, s.cite_key, s.merged_from_key, b.path FROM paper_sources s "
        "JOIN papers p ON p.id = s.paper_id JOIN import_batches b ON b.id = s.batch_id "
        "ORDER BY s.id",
        [
            ("liu2021bridge", "liu2021bridge", None, "/old/cv.bib"),
            ("liu2020tomogan", "liu2020tomogan", None, "/old/cv.bib"),
            ("liu2021bridge", "LiuAF21", "LiuAF21", "/old/cv.bib"),
        ],
    ),
    (
        "SELECT f.key, t.key, r.kind FROM paper_relations r "
        "JOIN papers f ON f.id = r.from_paper_id JOIN papers t ON t.id = r.to_paper_id",
        [("liu2022sinogram", "liu2020tomogan", "extends")],
    ),
    (
        "SELECT p.key, c.key FROM cite_key_aliases c JOIN papers p ON p.id = c.paper_id",
        [("liu2021bridge", "LiuAF21")],
    ),
    (
        "SELECT p.key, a.display_name FROM editorships e "
        "JOIN papers p ON p.id = e.paper_id JOIN authors a ON a.id = e.author_id",
        [("liu2020tomogan", "Ian Foster")],
    ),
]


def fill_0001(conn: Connection) -> None:
    """The small library of ``COUNTS`` / ``FACTS`` (schema of revision 0001)."""
    _insert(
        conn,
        "authors",
        [
            _author(1, "Zhengchun", "Liu", "liu|z"),
            _author(2, "Ahsan", "Ali", "ali|a"),
            _author(3, "Ian", "Foster", "foster|i"),
            _author(4, "Doğa", "Gürsoy", "gursoy|d"),
        ],
    )
    _insert(
        conn,
        "author_variants",
        [
            {"id": 1, "author_id": 1, "name": "Zhengchun Liu", "folded": "zhengchun liu"},
            {"id": 2, "author_id": 1, "name": "Z. Liu", "folded": "z. liu"},
            {"id": 3, "author_id": 2, "name": "Ahsan Ali", "folded": "ahsan ali"},
            {"id": 4, "author_id": 3, "name": "Ian Foster", "folded": "ian foster"},
            {"id": 5, "author_id": 4, "name": "Doğa Gürsoy", "folded": "doga gursoy"},
        ],
    )
    _insert(conn, "owner", [{"id": 1, "author_id": 1}])
    _insert(conn, "owner_variants", [{"id": 1, "owner_id": 1, "name": "Z. Liu"}])
    venue = {"name": "", "from_registry": False}
    _insert(
        conn,
        "venues",
        [
            {"id": 1, "short": "SC", "short_key": "sc", "kind": "conference", "parent_id": None}
            | venue
            | {"name": "International Conference for High Performance Computing"},
            {"id": 2, "short": "XLOOP", "short_key": "xloop", "kind": "workshop", "parent_id": 1}
            | venue
            | {"name": "Workshop on Extreme-Scale Experiment-in-the-Loop Computing"},
        ],
    )
    _insert(
        conn,
        "venue_aliases",
        [
            {
                "id": 1,
                "venue_id": 1,
                "text": "Supercomputing",
                "text_key": "supercomputing",
                "by_user": True,
            },
            {
                "id": 2,
                "venue_id": 2,
                "text": "XLOOP Workshop at SC",
                "text_key": "xloop workshop at sc",
                "by_user": False,
            },
        ],
    )
    _insert(
        conn,
        "papers",
        [
            _paper(
                1,
                "liu2021bridge",
                "Bridge Data Center AI Systems with Edge Computing",
                2021,
                2,
                venue_text="XLOOP Workshop at SC",
                pages="1--8",
                doi="10.1109/xloop54565.2021.00008",
            ),
            _paper(
                2,
                "liu2020tomogan",
                "TomoGAN: Low-Dose Tomography with GANs",
                2020,
                None,
                entry_type="article",
                venue_text="Journal of the Optical Society",
                fields=json.dumps({"journal": "Journal of the Optical Society"}),
            ),
            _paper(
                3,
                "liu2022sinogram",
                "Sinogram Tomography Denoising",
                2022,
                None,
                entry_type="misc",
                arxiv_id="2209.01356",
            ),
        ],
    )
    marks = {"student": False, "equal": False, "corresponding": False}
    _insert(
        conn,
        "authorships",
        [
            {"paper_id": 1, "position": 1, "author_id": 1, "written_as": "Liu, Zhengchun"} | marks,
            {"paper_id": 1, "position": 2, "author_id": 2, "written_as": "Ali, Ahsan"}
            | marks
            | {"student": True},
            {"paper_id": 1, "position": 3, "author_id": 3, "written_as": "Foster, Ian"} | marks,
            {"paper_id": 2, "position": 1, "author_id": 1, "written_as": "Liu, Z."} | marks,
            {"paper_id": 2, "position": 2, "author_id": 4, "written_as": "Gürsoy, Doğa"} | marks,
            {"paper_id": 3, "position": 1, "author_id": 1, "written_as": "Liu, Zhengchun"} | marks,
            {"paper_id": 3, "position": 2, "author_id": 3, "written_as": "Foster, Ian"}
            | marks
            | {"corresponding": True},
        ],
    )
    _insert(conn, "editorships", [{"paper_id": 2, "position": 1, "author_id": 3}])
    _insert(conn, "awards", [{"id": 1, "paper_id": 1, "text": "Best Paper Award", "year": 2021}])
    _insert(
        conn,
        "tags",
        [
            {"id": 1, "name": "ml-systems", "title": "Machine Learning Systems", "position": 1},
            {"id": 2, "name": "tomography", "title": "Tomography", "position": 2},
        ],
    )
    _insert(
        conn,
        "paper_tags",
        [{"paper_id": 1, "tag_id": 1}, {"paper_id": 3, "tag_id": 1}, {"paper_id": 2, "tag_id": 2}],
    )
    _insert(
        conn,
        "cite_key_aliases",
        [{"id": 1, "paper_id": 1, "key": "LiuAF21", "key_folded": "liuaf21"}],
    )
    _insert(
        conn,
        "import_batches",
        [
            {
                "id": 1,
                "path": "/old/cv.bib",
                "sha256": "0" * 64,
                "encoding": "utf-8",
                "imported_at": STAMP,
                "counts": json.dumps({"entries": 3, "added": 2, "merged": 1}),
                "preamble": json.dumps([]),
                "comments": json.dumps([]),
            }
        ],
    )
    source = {"batch_id": 1, "line": 1, "raw_sha256": "1" * 64, "created_at": STAMP}
    _insert(
        conn,
        "paper_sources",
        [
            {
                "id": 1,
                "paper_id": 1,
                "cite_key": "liu2021bridge",
                "merged_from_key": None,
                "raw": "@inproceedings{liu2021bridge, title={Bridge}}",
            }
            | source,
            {
                "id": 2,
                "paper_id": 2,
                "cite_key": "liu2020tomogan",
                "merged_from_key": None,
                "raw": "@article{liu2020tomogan, title={TomoGAN}}",
            }
            | source,
            {
                "id": 3,
                "paper_id": 1,
                "cite_key": "LiuAF21",
                "merged_from_key": "LiuAF21",
                "raw": "@inproceedings{LiuAF21, title={Bridge}}",
            }
            | source,
        ],
    )
    _insert(
        conn,
        "paper_relations",
        [{"id": 1, "from_paper_id": 3, "to_paper_id": 2, "kind": "extends", "note": ""}],
    )


def fill_many_0001(conn: Connection, n: int) -> None:
    """``n`` papers, each with one author (of 500) and one source (schema of revision 0001)."""
    authors = [_author(i, f"Given{i}", f"Family{i}", f"family{i}|g") for i in range(1, 501)]
    _insert(conn, "authors", authors)
    words = ["learned", "index", "tomography", "edge", "systems", "query", "storage", "cloud"]
    papers = []
    authorships = []
    sources = []
    for i in range(1, n + 1):
        title = f"{words[i % 8]} {words[(i // 8) % 8]} {words[(i // 64) % 8]} number {i}"
        papers.append(_paper(i, f"paper{i}", title, 1990 + i % 35, None))
        authorships.append(
            {
                "paper_id": i,
                "position": 1,
                "author_id": 1 + i % 500,
                "written_as": "",
                "student": False,
                "equal": False,
                "corresponding": False,
            }
        )
        sources.append(
            {
                "id": i,
                "paper_id": i,
                "batch_id": None,
                "cite_key": f"paper{i}",
                "line": i,
                "raw": f"@misc{{paper{i}, title={{{title}}}}}",
                "raw_sha256": f"{i:064x}",
                "merged_from_key": None,
                "created_at": STAMP,
            }
        )
    _insert(conn, "papers", papers)
    _insert(conn, "authorships", authorships)
    _insert(conn, "paper_sources", sources)
