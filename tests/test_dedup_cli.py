"""`pubdb dedup`, `pubdb merge`, `pubdb unmerge`: output, and the database state afterwards.

The fixture file holds, imported apart with ``import --on-duplicate keep``: a DOI twin (DBLP
and Scholar spellings), an arXiv twin of an HPDC paper, a record whose author list is cut short
by ``and others``, a Part I / Part II pair (different papers) and a workshop paper with its
journal extension (a possible duplicate, never merged on its own).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pubdb.model import CiteKeyAlias, Paper, PaperRelation, PaperSource
from pubdb.paperio import load_papers, record_from_paper
from pubdb.store import open_store

FIXTURE = r"""
@article{DBLP:journals/fgcs/LiuKFB18,
  author = {Zhengchun Liu and Rajkumar Kettimuthu and Ian Foster and Peter H. Beckman},
  title = {Towards a Smart Data Transfer Node},
  journal = {Future Generation Computer Systems},
  volume = {89},
  pages = {10--18},
  year = {2018},
  doi = {10.1016/j.future.2018.06.033}
}

@article{liu2018towards,
  author = {Liu, Z. and Kettimuthu, R. and Foster, I. and Beckman, P. H.},
  title = {Towards a smart data transfer node},
  journal = {Future Gener. Comput. Syst.},
  year = {2018},
  doi = {https://doi.org/10.1016/J.FUTURE.2018.06.033},
  award = {Best Paper Award},
  keywords = {data-transfer}
}

@inproceedings{liu2019tomogan,
  author = {Zhengchun Liu and Tekin Bicer and Rajkumar Kettimuthu and Doga Gursoy and
            Francesco De Carlo and Ian Foster},
  title = {{TomoGAN}: Low-Dose Synchrotron X-ray Tomography with Generative Adversarial Networks},
  booktitle = {Proceedings of the 28th International Symposium on High-Performance Parallel
               and Distributed Computing},
  pages = {185--196},
  year = {2019}
}

@misc{liu2019tomogan_arxiv,
  author = {Zhengchun Liu and Tekin Bicer and Rajkumar Kettimuthu and Doga G{\"u}rsoy and
            Francesco De Carlo and Ian Foster},
  title = {TomoGAN: Low-Dose Synchrotron X-Ray Tomography with Generative Adversarial Networks},
  year = {2019},
  eprint = {1902.07582},
  archivePrefix = {arXiv}
}

@article{kettimuthu2018transferring,
  author = {Rajkumar Kettimuthu and Zhengchun Liu and David Wheeler and Ian Foster and
            Katrin Heitmann and Franck Cappello},
  title = {Transferring a Petabyte in a Day},
  journal = {Future Generation Computer Systems},
  year = {2018},
  volume = {88},
  pages = {191--198}
}

@article{kettimuthu2018short,
  author = {Kettimuthu, Rajkumar and others},
  title = {Transferring a petabyte in a day},
  journal = {Future Generation Computer Systems},
  year = {2018}
}

@article{smith2020part1,
  author = {Jane Smith and Wei Zhang},
  title = {Scientific Data Streaming at Scale, Part I: Models},
  journal = {ACM Computing Surveys},
  year = {2020}
}

@article{smith2020part2,
  author = {Jane Smith and Wei Zhang},
  title = {Scientific Data Streaming at Scale, Part II: Models},
  journal = {ACM Computing Surveys},
  year = {2020}
}

@inproceedings{liu2021xloop,
  author = {Zhengchun Liu and Hemant Sharma and Jun-Sang Park and Ian Foster},
  title = {BraggNN: Fast X-ray Bragg Peak Analysis Using Deep Learning},
  booktitle = {2021 IEEE/ACM Workshop on Extreme-Scale Experiment-in-the-Loop Computing (XLOOP)},
  year = {2021},
  pages = {1--8}
}

@article{liu2022iucrj,
  author = {Zhengchun Liu and Hemant Sharma and Jun-Sang Park and Ian Foster},
  title = {BraggNN: Fast X-ray Bragg Peak Analysis Using Deep Learning},
  journal = {IUCrJ},
  volume = {9},
  number = {1},
  pages = {104--113},
  year = {2022}
}
"""

DOI_TWIN = ("DBLP:journals/fgcs/LiuKFB18", "liu2018towards")
ARXIV_TWIN = ("liu2019tomogan", "liu2019tomogan_arxiv")
TRUNCATED = ("kettimuthu2018transferring", "kettimuthu2018short")
PARTS = ("smith2020part1", "smith2020part2")
EXTENSION = ("liu2021xloop", "liu2022iucrj")
SURE = {DOI_TWIN, ARXIV_TWIN, TRUNCATED}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def imported(run_cli, tmp_path: Path) -> Path:
    """The fixture file imported with every entry apart."""
    bib = write(tmp_path, "fixture.bib", FIXTURE)
    result = run_cli("import", "--on-duplicate", "keep", str(bib))
    assert result.exit_code == 0, result.output
    assert "10 entries: 10 added" in result.stdout
    return bib


def in_db(db_path: Any, work):
    store = open_store(str(db_path))
    try:
        with store.transaction() as session:
            return work(session)
    finally:
        store.dispose()


def keys(db_path: Any) -> set[str]:
    return set(in_db(db_path, lambda s: s.scalars(select(Paper.key)).all()))


def aliases(db_path: Any) -> dict[str, str]:
    """alias -> the key of the paper it resolves to."""
    rows = in_db(
        db_path,
        lambda s: s.execute(select(CiteKeyAlias.key, Paper.key).join(Paper)).all(),
    )
    return dict(rows)


def snapshot(db_path: Any, key: str) -> dict[str, Any]:
    """Everything about one paper a merge and an unmerge may change."""

    def work(session) -> dict[str, Any]:
        paper = session.scalars(select(Paper).where(Paper.key == key)).one()
        (loaded,) = load_papers(session, [paper.id])
        record = record_from_paper(loaded)
        sources = session.execute(
            select(PaperSource.cite_key, PaperSource.raw, PaperSource.merged_from_key)
            .where(PaperSource.paper_id == paper.id)
            .order_by(PaperSource.id)
        ).all()
        alias_keys = session.scalars(
            select(CiteKeyAlias.key).where(CiteKeyAlias.paper_id == paper.id)
        ).all()
        return {
            "record": record,
            "venue_id": loaded.venue_id,
            "sources": [tuple(row) for row in sources],
            "aliases": sorted(alias_keys),
        }

    return in_db(db_path, work)


def relations(db_path: Any) -> set[tuple[str, str, str]]:
    def work(session) -> set[tuple[str, str, str]]:
        found = set()
        for relation in session.scalars(select(PaperRelation)):
            a = session.get(Paper, relation.from_paper_id).key
            b = session.get(Paper, relation.to_paper_id).key
            found.add((a, b, relation.kind))
        return found

    return in_db(db_path, work)


# -- dedup ----------------------------------------------------------------------------------


def test_dedup_text_lists_sure_and_possible_clusters(run_cli, db_path, imported):
    result = run_cli("dedup")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "sure (score 100): DBLP:journals/fgcs/LiuKFB18 <- liu2018towards" in out
    assert "same DOI 10.1016/j.future.2018.06.033" in out
    assert "sure (score 100): liu2019tomogan <- liu2019tomogan_arxiv" in out
    assert "preprint of liu2019tomogan" in out
    assert "kettimuthu2018transferring <- kettimuthu2018short" in out
    assert "(one list truncated)" in out
    assert "possible (score 95): liu2021xloop ~ liu2022iucrj" in out
    assert "same title, different venue (workshop vs journal) and year (2021/2022)" in out
    assert "smith2020" not in out  # Part I / Part II: different papers, not even possible
    assert out.rstrip().endswith(
        "3 sure clusters (3 papers to merge away), 1 possible duplicate; "
        "`pubdb dedup --merge` merges the sure ones"
    )
    assert len(keys(db_path)) == 10  # listing changes nothing


def test_dedup_json_is_a_list_of_clusters(run_cli, imported):
    result = run_cli("dedup", "--format", "json")
    assert result.exit_code == 0, result.output
    clusters = json.loads(result.stdout)
    found = {(tuple(c["keys"]), c["sure"]) for c in clusters}
    assert found == {*((pair, True) for pair in SURE), (EXTENSION, False)}
    for entry in clusters:
        assert set(entry) >= {"keys", "score", "reasons", "sure", "survivor", "pairs", "merged"}
        assert entry["reasons"] and 0 <= entry["score"] <= 100
        assert entry["survivor"] == entry["keys"][0]
        assert entry["merged"] is False


def test_dedup_merge_merges_only_sure_clusters_and_keeps_aliases(run_cli, db_path, imported):
    before = snapshot(db_path, "liu2018towards")
    result = run_cli("dedup", "--merge")
    assert result.exit_code == 0, result.output
    assert "merged (score 100): DBLP:journals/fgcs/LiuKFB18 <- liu2018towards" in result.stdout
    assert "possible (score 95): liu2021xloop ~ liu2022iucrj" in result.stdout
    assert "3 clusters merged (3 papers merged away), 1 possible duplicate" in result.stdout

    assert keys(db_path) == {
        "DBLP:journals/fgcs/LiuKFB18",
        "liu2019tomogan",
        "kettimuthu2018transferring",
        *PARTS,
        *EXTENSION,
    }
    assert aliases(db_path) == {
        "liu2018towards": "DBLP:journals/fgcs/LiuKFB18",
        "liu2019tomogan_arxiv": "liu2019tomogan",
        "kettimuthu2018short": "kettimuthu2018transferring",
    }
    survivor = snapshot(db_path, "DBLP:journals/fgcs/LiuKFB18")
    # Marks, awards and tags of the merged-away paper are united into the survivor.
    assert survivor["record"].awards == ("Best Paper Award",)
    assert survivor["record"].tags == ("data-transfer",)
    assert survivor["record"].pages == "10--18"
    assert survivor["sources"] == [
        ("DBLP:journals/fgcs/LiuKFB18", survivor["sources"][0][1], None),
        ("liu2018towards", before["sources"][0][1], "liu2018towards"),
    ]
    tomogan = snapshot(db_path, "liu2019tomogan")["record"]
    assert tomogan.arxiv_id == "1902.07582"  # the preprint's id is kept
    assert tomogan.entry_type == "inproceedings" and tomogan.pages == "185--196"
    kettimuthu = snapshot(db_path, "kettimuthu2018transferring")["record"]
    assert len(kettimuthu.authors) == 6 and not kettimuthu.authors_truncated

    # An old key still resolves.
    shown = run_cli("show", "liu2018towards")
    assert shown.exit_code == 0 and "DBLP:journals/fgcs/LiuKFB18" in shown.stdout
    # Nothing sure is left; the possible pair is still reported.
    again = json.loads(run_cli("dedup", "--format", "json").stdout)
    assert [(tuple(c["keys"]), c["sure"]) for c in again] == [(EXTENSION, False)]


def test_dedup_merge_json_marks_merged_clusters(run_cli, db_path, imported):
    result = run_cli("dedup", "--merge", "--format", "json")
    assert result.exit_code == 0, result.output
    clusters = json.loads(result.stdout)
    assert {tuple(c["keys"]) for c in clusters if c["merged"]} == SURE
    assert [tuple(c["keys"]) for c in clusters if not c["merged"]] == [EXTENSION]
    assert len(keys(db_path)) == 7


def test_dedup_query_limits_the_papers_compared(run_cli, imported):
    result = run_cli("dedup", "year:2019", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [tuple(c["keys"]) for c in json.loads(result.stdout)] == [ARXIV_TWIN]
    negated = run_cli("dedup", "-year:2019", "author:kettimuthu", "--format", "json")
    assert negated.exit_code == 0, negated.output
    assert {tuple(c["keys"]) for c in json.loads(negated.stdout)} == {DOI_TWIN, TRUNCATED}


def test_dedup_bad_query_is_one_line_exit_1(run_cli, imported):
    result = run_cli("dedup", "nosuchfield:x")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1


def test_dedup_empty_database(run_cli):
    result = run_cli("dedup")
    assert result.exit_code == 0
    assert (
        result.stdout.strip() == "0 sure clusters (0 papers to merge away), 0 possible duplicates"
    )
    assert json.loads(run_cli("dedup", "--format", "json").stdout) == []


TYPO = r"""
@inproceedings{a, author = {Ian Foster and Ryan Chard}, year = {2020},
  title = {Cross-Facility Workflows for Light Source Science at Exascale}}
@inproceedings{b, author = {Ian Foster and Ryan Chard}, year = {2020},
  title = {Cross-facility workflow for light source sciences at exascale}}
"""


@pytest.mark.parametrize(
    ("threshold", "sure"),
    [("90", True), ("99", False)],
    ids=["default-merges-typo", "strict-makes-it-possible"],
)
def test_threshold_decides_what_is_sure(run_cli, tmp_path, threshold, sure):
    bib = write(tmp_path, "typo.bib", TYPO)
    assert run_cli("import", "--on-duplicate", "keep", str(bib)).exit_code == 0
    result = run_cli("dedup", "--threshold", threshold, "--format", "json")
    assert result.exit_code == 0, result.output
    (found,) = json.loads(result.stdout)
    assert set(found["keys"]) == {"a", "b"}
    assert found["sure"] is sure
    assert 90 <= found["score"] < 99


def test_threshold_out_of_range_is_usage_error(run_cli):
    assert run_cli("dedup", "--threshold", "120").exit_code == 2


# -- merge / unmerge ------------------------------------------------------------------------


def test_merge_by_hand_then_unmerge_restores_the_paper(run_cli, db_path, imported):
    keep_before = snapshot(db_path, "liu2021xloop")
    other_before = snapshot(db_path, "liu2022iucrj")

    merged = run_cli("merge", "liu2021xloop", "liu2022iucrj")
    assert merged.exit_code == 0, merged.output
    assert merged.stdout.startswith("merged liu2022iucrj into liu2021xloop")
    assert "year differs: kept '2021', other '2022'" in merged.stdout
    assert "liu2022iucrj" not in keys(db_path)
    assert aliases(db_path) == {"liu2022iucrj": "liu2021xloop"}
    kept = snapshot(db_path, "liu2021xloop")
    assert kept["record"].volume == "9"  # a gap filled from the other paper
    assert [s[2] for s in kept["sources"]] == [None, "liu2022iucrj"]

    undone = run_cli("unmerge", "liu2022iucrj")
    assert undone.exit_code == 0, undone.output
    assert "restored liu2022iucrj from 1 stored entry" in undone.stdout
    assert "liu2021xloop gave back: volume, number" in undone.stdout
    assert snapshot(db_path, "liu2022iucrj") == other_before
    assert snapshot(db_path, "liu2021xloop") == keep_before
    assert aliases(db_path) == {}
    assert relations(db_path) == {("liu2022iucrj", "liu2021xloop", "not-duplicate")}


def test_unmerge_after_dedup_merge_restores_and_is_not_proposed_again(
    run_cli, db_path, imported, tmp_path
):
    before = {key: snapshot(db_path, key) for key in (*DOI_TWIN, *TRUNCATED)}
    assert run_cli("dedup", "--merge").exit_code == 0

    for survivor, other in (DOI_TWIN, TRUNCATED):
        result = run_cli("unmerge", other.upper())  # any case: cite keys fold
        assert result.exit_code == 0, result.output
        assert f"{survivor} no longer has it as an alias" in result.stdout
        assert snapshot(db_path, other) == before[other]
        assert snapshot(db_path, survivor)["record"] == before[survivor]["record"]
    assert "liu2018towards" in keys(db_path)
    assert set(aliases(db_path)) == {"liu2019tomogan_arxiv"}

    listed = json.loads(run_cli("dedup", "--format", "json").stdout)
    assert [tuple(c["keys"]) for c in listed] == [EXTENSION]
    # A third copy of the DOI twin cannot bring the two back together through itself.
    bib = write(tmp_path, "third.bib", DOI_TWIN_THIRD)
    assert run_cli("import", "--on-duplicate", "keep", str(bib)).exit_code == 0
    clusters = json.loads(run_cli("dedup", "--format", "json").stdout)
    sure = [set(c["keys"]) for c in clusters if c["sure"]]
    assert any("third2018" in found for found in sure)
    assert not any(set(DOI_TWIN) <= found for found in sure)


DOI_TWIN_THIRD = r"""
@article{third2018,
  author = {Zhengchun Liu and Rajkumar Kettimuthu and Ian Foster and Peter Beckman},
  title = {Towards a Smart Data Transfer Node},
  journal = {FGCS},
  year = {2018},
  doi = {10.1016/j.future.2018.06.033}
}
"""


def test_unmerge_entry_merged_at_import(run_cli, db_path, tmp_path):
    first = write(tmp_path, "dblp.bib", FIXTURE.split("@article{liu2018towards")[0])
    second = write(
        tmp_path, "scholar.bib", "@article{liu2018towards" + FIXTURE.split("liu2018towards")[1]
    )
    assert run_cli("import", str(first)).exit_code == 0
    result = run_cli("import", str(second))
    assert "liu2018towards into DBLP:journals/fgcs/LiuKFB18" in result.stdout
    assert run_cli("unmerge", "liu2018towards").exit_code == 0
    record = snapshot(db_path, "liu2018towards")["record"]
    assert record.awards == ("Best Paper Award",)
    assert record.venue_text == "Future Gener. Comput. Syst."
    survivor = snapshot(db_path, "DBLP:journals/fgcs/LiuKFB18")["record"]
    assert survivor.awards == () and survivor.tags == ()


PREPRINT = r"""
@misc{liu2019arxiv,
  author = {Zhengchun Liu and Tekin Bicer and Ian Foster},
  title = {Deep Learning Accelerated Light Source Experiments},
  year = {2019},
  eprint = {1910.04081},
  archivePrefix = {arXiv}
}
"""
PUBLISHED = r"""
@inproceedings{liu2019dls,
  author = {Zhengchun Liu and Tekin Bicer and Ian Foster},
  title = {Deep Learning Accelerated Light Source Experiments},
  booktitle = {IEEE/ACM Third Workshop on Deep Learning on Supercomputers (DLS)},
  pages = {20--28},
  year = {2019}
}
"""


def test_unmerge_preprint_whose_key_was_taken_over(run_cli, db_path, tmp_path):
    assert run_cli("import", str(write(tmp_path, "pre.bib", PREPRINT))).exit_code == 0
    result = run_cli("import", str(write(tmp_path, "pub.bib", PUBLISHED)))
    assert result.exit_code == 0, result.output
    assert keys(db_path) == {"liu2019dls"}  # the published version took over the record
    assert aliases(db_path) == {"liu2019arxiv": "liu2019dls"}
    undone = run_cli("unmerge", "liu2019arxiv")
    assert undone.exit_code == 0, undone.output
    assert keys(db_path) == {"liu2019dls", "liu2019arxiv"}
    preprint = snapshot(db_path, "liu2019arxiv")
    assert preprint["record"].arxiv_id == "1910.04081"
    assert preprint["record"].entry_type == "misc"
    published = snapshot(db_path, "liu2019dls")["record"]
    assert published.arxiv_id == ""  # only the preprint said so
    assert published.pages == "20--28"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("merge", "nope", "liu2018towards"), "no paper with key 'nope'"),
        (("merge", "liu2018towards", "nope"), "no paper with key 'nope'"),
        (("merge", "liu2018towards", "LIU2018TOWARDS"), "same paper"),
        (("unmerge", "nope"), "no paper with key 'nope'"),
        (("unmerge", "liu2018towards"), "own cite key"),
    ],
    ids=["merge-unknown-keep", "merge-unknown-other", "merge-itself", "unmerge-unknown", "own"],
)
def test_bad_keys_are_one_line_exit_1(run_cli, db_path, imported, args, message):
    result = run_cli(*args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert len(keys(db_path)) == 10


def test_merge_accepts_aliases_for_either_paper(run_cli, db_path, imported):
    assert run_cli("merge", "DBLP:journals/fgcs/LiuKFB18", "liu2018towards").exit_code == 0
    # liu2018towards is now an alias: it names the survivor, so this merges kettimuthu into it.
    result = run_cli("merge", "liu2018towards", "kettimuthu2018short")
    assert result.exit_code == 0, result.output
    assert aliases(db_path) == {
        "liu2018towards": "DBLP:journals/fgcs/LiuKFB18",
        "kettimuthu2018short": "DBLP:journals/fgcs/LiuKFB18",
    }
    # Merging a paper's own alias into it is no merge.
    again = run_cli("merge", "DBLP:journals/fgcs/LiuKFB18", "kettimuthu2018short")
    assert again.exit_code == 1 and "same paper" in again.stderr


def test_conflict_lines_for_show():
    from pubdb.cli.dedup import conflict_lines
    from pubdb.merge import FieldConflict

    lines = conflict_lines(
        [
            FieldConflict("pages", "10--18", "11--19", source="scholar"),
            FieldConflict("year", "2018", "2019"),
        ]
    )
    assert lines == [
        "conflicts    pages: kept '10--18'; scholar says '11--19'",
        "             year: kept '2018'; other '2019'",
    ]
    assert conflict_lines([]) == []


def test_threshold_help_names_the_default():
    from pubdb.cli.dedup import dedup
    from pubdb.dedup import SAME_SCORE

    (option,) = [p for p in dedup.params if p.name == "threshold"]
    assert f"default {SAME_SCORE:.0f}." in (option.help or "")
