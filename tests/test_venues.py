"""Tests for pubdb.venues: the shipped registry, venue resolution from real export strings,
cleaning, and CV shorthand."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pubdb.venues import (
    KINDS,
    VenueInfo,
    VenueRegistry,
    VenueRegistryError,
    alias_key,
    builtin_venues,
    clean_venue_text,
    default_registry,
    infer_kind,
    load_registry,
    read_registry_file,
    resolve_venue,
    shorthand,
    validate_venues,
)

REPO = Path(__file__).resolve().parents[1]

# Every venue of the seed CV (shared/seed/000_*.txt), with its kind and (for workshops) parent.
SEED_VENUES = {
    "VLDB": ("conference", None),
    "SIGMOD": ("conference", None),
    "CCGrid": ("conference", None),
    "CLUSTER": ("conference", None),
    "HPDC": ("conference", None),
    "SC": ("conference", None),
    "ICS": ("conference", None),
    "ICDCS": ("conference", None),
    "eScience": ("conference", None),
    "XLOOP": ("workshop", "SC"),
    "MLN": ("conference", None),
    "TRIDENTCOM": ("conference", None),
    "DLS": ("workshop", "SC"),
    "AI4S": ("workshop", "SC"),
    "AI-Science": ("workshop", "HPDC"),
    "SNTA": ("workshop", "ICDCS"),
    "FGCS": ("journal", None),
    "TOMPECS": ("journal", None),
    "TPDS": ("journal", None),
    "Nat. Commun.": ("journal", None),
    "IUCrJ": ("journal", None),
    "JOSA A": ("journal", None),
    "MLST": ("journal", None),
    "ICIP": ("conference", None),
    "GMD": ("journal", None),
    "Front. Phys.": ("journal", None),
    "CAIE": ("journal", None),
    "ICCS": ("conference", None),
    "Procedia CS": ("journal", None),
    "SIMUL": ("conference", None),
    "WSC": ("conference", None),
    "arXiv": ("preprint", None),
}

# (text as an exporter writes it, expected short, expected kind, expected parent)
# Sources: DBLP (booktitle/journal as DBLP BibTeX gives them), ACM DL, IEEE Xplore, Springer,
# Elsevier, Google Scholar, arXiv, and the seed CV's own wording.
RESOLVE_CASES = [
    # --- VLDB / PVLDB
    pytest.param("Proc. {VLDB} Endow.", "VLDB", "conference", None, id="dblp-pvldb"),
    pytest.param("Proceedings of the VLDB Endowment", "VLDB", "conference", None, id="acm-pvldb"),
    pytest.param("Proc. VLDB Endow. 17(12)", "VLDB", "conference", None, id="pvldb-volume"),
    pytest.param("PVLDB", "VLDB", "conference", None, id="pvldb-acronym"),
    pytest.param("VLDB'24", "VLDB", "conference", None, id="cv-vldb"),
    # --- SIGMOD
    pytest.param(
        "Companion of the 2024 International Conference on Management of Data, {SIGMOD/PODS} "
        "2024, Santiago AA, Chile, June 9-15, 2024",
        "SIGMOD",
        "conference",
        None,
        id="dblp-sigmod-companion",
    ),
    pytest.param(
        "Companion of the 2024 International Conference on Management of Data",
        "SIGMOD",
        "conference",
        None,
        id="acm-sigmod-companion",
    ),
    pytest.param(
        "Proceedings of the 2020 ACM SIGMOD International Conference on Management of Data",
        "SIGMOD",
        "conference",
        None,
        id="acm-sigmod",
    ),
    pytest.param("{SIGMOD} Conference", "SIGMOD", "conference", None, id="dblp-sigmod-short"),
    pytest.param("SIGMOD/PODS 2024", "SIGMOD", "conference", None, id="sigmod-pods-slash"),
    pytest.param(
        "Proceedings of the ACM SIGMOD International Conference on Management of Data (SIGMOD '24)",
        "SIGMOD",
        "conference",
        None,
        id="sigmod-paren-year",
    ),
    pytest.param("Proc. ACM Manag. Data", "SIGMOD", "conference", None, id="dblp-pacmmod"),
    # --- CCGrid
    pytest.param(
        "23rd {IEEE/ACM} International Symposium on Cluster, Cloud and Internet Computing, "
        "CCGrid 2023, Bangalore, India, May 1-4, 2023",
        "CCGrid",
        "conference",
        None,
        id="dblp-ccgrid",
    ),
    pytest.param(
        "2023 IEEE/ACM 23rd International Symposium on Cluster, Cloud and Internet Computing "
        "(CCGrid)",
        "CCGrid",
        "conference",
        None,
        id="ieee-ccgrid",
    ),
    pytest.param(
        "2019 19th IEEE/ACM International Symposium on Cluster, Cloud and Grid Computing (CCGRID)",
        "CCGrid",
        "conference",
        None,
        id="ieee-ccgrid-2019",
    ),
    pytest.param(
        "IEEE/ACM International Symposium in Cluster, Cloud, and Grid Computing (CCGrid'23)",
        "CCGrid",
        "conference",
        None,
        id="cv-ccgrid",
    ),
    pytest.param("{CCGrid} 2023", "CCGrid", "conference", None, id="braced-ccgrid-year"),
    # --- CLUSTER
    pytest.param(
        "2022 IEEE International Conference on Cluster Computing (CLUSTER)",
        "CLUSTER",
        "conference",
        None,
        id="ieee-cluster",
    ),
    pytest.param(
        "{IEEE} International Conference on Cluster Computing, {CLUSTER} 2022, Heidelberg, "
        "Germany, September 5-8, 2022",
        "CLUSTER",
        "conference",
        None,
        id="dblp-cluster",
    ),
    pytest.param(
        "2022 IEEE International Conference on Cluster Computing",
        "CLUSTER",
        "conference",
        None,
        id="cv-cluster",
    ),
    # --- HPDC
    pytest.param(
        "Proceedings of the 27th International Symposium on High-Performance Parallel and "
        "Distributed Computing, HPDC 2018, Tempe, AZ, USA, June 11-15, 2018",
        "HPDC",
        "conference",
        None,
        id="dblp-hpdc",
    ),
    pytest.param(
        "{HPDC} '22: The 31st International Symposium on High-Performance Parallel and "
        "Distributed Computing, Minneapolis, MN, USA, 27 June 2022 - 1 July 2022",
        "HPDC",
        "conference",
        None,
        id="dblp-hpdc-prefix",
    ),
    pytest.param(
        "Proceedings of the 31st International Symposium on High-Performance Parallel and "
        "Distributed Computing",
        "HPDC",
        "conference",
        None,
        id="acm-hpdc",
    ),
    pytest.param("ACM HPDC'2022", "HPDC", "conference", None, id="cv-hpdc-2022"),
    pytest.param("HPDC '22:", "HPDC", "conference", None, id="hpdc-apostrophe-colon"),
    # --- SC
    pytest.param(
        "Proceedings of the International Conference for High Performance Computing, Networking, "
        "Storage and Analysis, {SC} 2020, Virtual Event / Atlanta, Georgia, USA, November 9-19, "
        "2020",
        "SC",
        "conference",
        None,
        id="dblp-sc",
    ),
    pytest.param(
        "SC '21: Proceedings of the International Conference for High Performance Computing, "
        "Networking, Storage and Analysis",
        "SC",
        "conference",
        None,
        id="acm-sc",
    ),
    pytest.param(
        "SC20: International Conference for High Performance Computing, Networking, Storage and "
        "Analysis",
        "SC",
        "conference",
        None,
        id="ieee-sc",
    ),
    pytest.param(
        "The International Conference for High Performance Computing, Networking, Storage, and "
        "Analysis (SC'20)",
        "SC",
        "conference",
        None,
        id="cv-sc",
    ),
    pytest.param("SC21", "SC", "conference", None, id="sc-glued-year"),
    pytest.param(
        "Proceedings of the 2006 ACM/IEEE conference on Supercomputing",
        "SC",
        "conference",
        None,
        id="acm-supercomputing-2006",
    ),
    pytest.param(
        "Proceedings of the SC '23 Workshops of The International Conference on High Performance "
        "Computing, Network, Storage, and Analysis",
        "SC-W",
        "workshop",
        "SC",
        id="acm-sc-workshops",
    ),
    # --- ICS
    pytest.param(
        "ICS '20: 2020 International Conference on Supercomputing, Barcelona Spain, June, 2020",
        "ICS",
        "conference",
        None,
        id="dblp-ics",
    ),
    pytest.param(
        "Proceedings of the 34th ACM International Conference on Supercomputing",
        "ICS",
        "conference",
        None,
        id="acm-ics",
    ),
    pytest.param(
        "International Conference on Supercomputing (ICS'20)",
        "ICS",
        "conference",
        None,
        id="cv-ics",
    ),
    # --- ICDCS and SNTA
    pytest.param(
        "2018 IEEE 38th International Conference on Distributed Computing Systems (ICDCS)",
        "ICDCS",
        "conference",
        None,
        id="ieee-icdcs",
    ),
    pytest.param("ICDCS 2018", "ICDCS", "conference", None, id="icdcs-year"),
    pytest.param(
        "IEEE 38th International Conference on Distributed Computing Systems (SNTA@ICDCS'18)",
        "SNTA",
        "workshop",
        "ICDCS",
        id="cv-snta",
    ),
    pytest.param(
        "Proceedings of the 1st International Workshop on Systems and Network Telemetry and "
        "Analytics, SNTA@HPDC 2018, Tempe, AZ, USA, June 11, 2018",
        "SNTA",
        "workshop",
        "HPDC",
        id="dblp-snta-at-hpdc",
    ),
    # --- eScience
    pytest.param(
        "2018 IEEE 14th International Conference on e-Science (e-Science)",
        "eScience",
        "conference",
        None,
        id="ieee-escience",
    ),
    pytest.param(
        "14th {IEEE} International Conference on e-Science, e-Science 2018, Amsterdam, The "
        "Netherlands, October 29 - November 1, 2018",
        "eScience",
        "conference",
        None,
        id="dblp-escience",
    ),
    pytest.param(
        "IEEE International Conference on eScience",
        "eScience",
        "conference",
        None,
        id="cv-escience",
    ),
    # --- workshops at SC / HPDC
    pytest.param(
        "2021 IEEE/ACM 3rd Annual Workshop on Extreme-scale Experiment-in-the-Loop Computing "
        "(XLOOP)",
        "XLOOP",
        "workshop",
        "SC",
        id="ieee-xloop",
    ),
    pytest.param(
        "2019 IEEE/ACM 1st Annual Workshop on Large-scale Experiment-in-the-Loop Computing (XLOOP)",
        "XLOOP",
        "workshop",
        "SC",
        id="ieee-xloop-2019",
    ),
    pytest.param("XLOOP workshop at SC21", "XLOOP", "workshop", "SC", id="xloop-at-sc21"),
    pytest.param("XLOOP@SC'21", "XLOOP", "workshop", "SC", id="cv-xloop"),
    pytest.param("XLOOP @SC'19", "XLOOP", "workshop", "SC", id="cv-xloop-space"),
    pytest.param(
        "2019 IEEE/ACM Third Workshop on Deep Learning on Supercomputers (DLS)",
        "DLS",
        "workshop",
        "SC",
        id="ieee-dls",
    ),
    pytest.param(
        "IEEE/ACM Deep Learning on Supercomputers DLS@SC'19",
        "DLS",
        "workshop",
        "SC",
        id="cv-dls",
    ),
    pytest.param(
        "2020 IEEE/ACM 1st Workshop on Artificial Intelligence and Machine Learning for "
        "Scientific Applications (AI4S)",
        "AI4S",
        "workshop",
        "SC",
        id="ieee-ai4s",
    ),
    pytest.param("AI4S@SC'20", "AI4S", "workshop", "SC", id="cv-ai4s"),
    pytest.param(
        "Proceedings of the 1st International Workshop on Autonomous Infrastructure for Science, "
        "AI-Science@HPDC 2018, Tempe, AZ, USA, June 11, 2018",
        "AI-Science",
        "workshop",
        "HPDC",
        id="dblp-ai-science",
    ),
    pytest.param("AI-Science@HPDC 2018", "AI-Science", "workshop", "HPDC", id="ai-science-at"),
    pytest.param(
        "The 1st Autonomous Infrastructure for Science workshop (AI-Science@HPDC'18)",
        "AI-Science",
        "workshop",
        "HPDC",
        id="cv-ai-science",
    ),
    # --- MLN, TRIDENTCOM (Springer LNCS / LNICST)
    pytest.param(
        "Machine Learning for Networking - First International Conference, MLN 2018, Paris, "
        "France, November 27-29, 2018, Revised Selected Papers",
        "MLN",
        "conference",
        None,
        id="springer-mln",
    ),
    pytest.param(
        "International Conference on Machine Learning for Networking (MLN'18)",
        "MLN",
        "conference",
        None,
        id="cv-mln",
    ),
    pytest.param("{MLN}", "MLN", "conference", None, id="dblp-mln-short"),
    pytest.param(
        "Testbeds and Research Infrastructures for the Development of Networks and Communities - "
        "13th EAI International Conference, TridentCom 2018, Shanghai, China, December 1-3, 2018, "
        "Proceedings",
        "TRIDENTCOM",
        "conference",
        None,
        id="springer-tridentcom",
    ),
    pytest.param("TridentCom", "TRIDENTCOM", "conference", None, id="dblp-tridentcom"),
    # --- journals of the seed CV
    pytest.param("Future Gener. Comput. Syst.", "FGCS", "journal", None, id="dblp-fgcs"),
    pytest.param("Future Generation Computer Systems", "FGCS", "journal", None, id="els-fgcs"),
    pytest.param(
        "Future Generation Computer Systems, 2018(89), Pages 10—18",
        "FGCS",
        "journal",
        None,
        id="cv-fgcs-volume",
    ),
    pytest.param(
        "{ACM} Trans. Model. Perform. Evaluation Comput. Syst.",
        "TOMPECS",
        "journal",
        None,
        id="dblp-tompecs",
    ),
    pytest.param(
        "ACM Transactions on Modeling and Performance Evaluation of Computing Systems",
        "TOMPECS",
        "journal",
        None,
        id="acm-tompecs",
    ),
    pytest.param(
        "{IEEE} Trans. Parallel Distributed Syst.", "TPDS", "journal", None, id="dblp-tpds"
    ),
    pytest.param(
        "IEEE Transactions on Parallel and Distributed Systems, 32(8):1-14",
        "TPDS",
        "journal",
        None,
        id="ieee-tpds-volume",
    ),
    pytest.param("IEEE Trans. Parallel Distrib. Syst.", "TPDS", "journal", None, id="iso-tpds"),
    pytest.param("Nature Communications", "Nat. Commun.", "journal", None, id="natcomm"),
    pytest.param("Nat. Commun.", "Nat. Commun.", "journal", None, id="natcomm-abbrev"),
    pytest.param(
        "Nature Communications 14, 7059 (2023)",
        "Nat. Commun.",
        "journal",
        None,
        id="cv-natcomm",
    ),
    pytest.param("IUCrJ", "IUCrJ", "journal", None, id="iucrj"),
    pytest.param("IUCrJ, Vol. 9, No. 1, 2022", "IUCrJ", "journal", None, id="cv-iucrj"),
    pytest.param("J. Opt. Soc. Am. A", "JOSA A", "journal", None, id="iso-josa"),
    pytest.param(
        "Journal of the Optical Society of America A", "JOSA A", "journal", None, id="josa-full"
    ),
    pytest.param("JOSA A", "JOSA A", "journal", None, id="josa-short"),
    pytest.param(
        "Optical Society of America A, 2020, Vol. 37, No. 2",
        "JOSA A",
        "journal",
        None,
        id="cv-josa",
    ),
    pytest.param("Machine Learning: Science and Technology", "MLST", "journal", None, id="mlst"),
    pytest.param("Mach. Learn.: Sci. Technol.", "MLST", "journal", None, id="iso-mlst"),
    pytest.param(
        "Machine Learning Science and Technology, 2021, Vol. 2, No.4",
        "MLST",
        "journal",
        None,
        id="cv-mlst",
    ),
    pytest.param(
        "2021 IEEE International Conference on Image Processing (ICIP)",
        "ICIP",
        "conference",
        None,
        id="ieee-icip",
    ),
    pytest.param(
        "2021 {IEEE} International Conference on Image Processing, {ICIP} 2021, Anchorage, AK, "
        "USA, September 19-22, 2021",
        "ICIP",
        "conference",
        None,
        id="dblp-icip",
    ),
    pytest.param("Geoscientific Model Development", "GMD", "journal", None, id="gmd"),
    pytest.param("Geosci. Model Dev.", "GMD", "journal", None, id="iso-gmd"),
    pytest.param("journal of Geoscientific Model Development", "GMD", "journal", None, id="cv-gmd"),
    pytest.param("Frontiers in Physics", "Front. Phys.", "journal", None, id="frontiers"),
    pytest.param("Front. Phys.", "Front. Phys.", "journal", None, id="iso-frontiers"),
    pytest.param(
        "Frontiers in Physics, Volume 10 2022",
        "Front. Phys.",
        "journal",
        None,
        id="cv-frontiers",
    ),
    pytest.param("Computers & Industrial Engineering", "CAIE", "journal", None, id="els-caie"),
    pytest.param("Comput. Ind. Eng.", "CAIE", "journal", None, id="dblp-caie"),
    # --- ICCS vs Procedia Computer Science
    pytest.param(
        "International Conference On Computational Science, ICCS 2015 Computational Science at "
        "the Gates of Nature, Reykjavík, Iceland, 1-3 June, 2015, Procedia Computer Science",
        "ICCS",
        "conference",
        None,
        id="els-iccs-in-procedia",
    ),
    pytest.param(
        "Proceedings of the International Conference on Computational Science, {ICCS} 2015, "
        "Computational Science at the Gates of Nature, Reykjavík, Iceland, 1-3 June, 2015",
        "ICCS",
        "conference",
        None,
        id="dblp-iccs",
    ),
    pytest.param(
        "2015 International Conference on Computational Science (ICCS'15)",
        "ICCS",
        "conference",
        None,
        id="cv-iccs",
    ),
    pytest.param("Procedia Computer Science", "Procedia CS", "journal", None, id="procedia"),
    pytest.param(
        "Procedia Computer Science, Volume 51, 2015",
        "Procedia CS",
        "journal",
        None,
        id="procedia-volume",
    ),
    pytest.param("Procedia Comput. Sci.", "Procedia CS", "journal", None, id="dblp-procedia"),
    # --- SIMUL, WSC
    pytest.param(
        "The 6th International Conference on Advances in System Simulation (SIMUL'14)",
        "SIMUL",
        "conference",
        None,
        id="cv-simul",
    ),
    pytest.param(
        "SIMUL 2014, The Sixth International Conference on Advances in System Simulation",
        "SIMUL",
        "conference",
        None,
        id="iaria-simul",
    ),
    pytest.param(
        "Proceedings of the 2017 Winter Simulation Conference",
        "WSC",
        "conference",
        None,
        id="acm-wsc",
    ),
    pytest.param(
        "2017 Winter Simulation Conference (WSC)", "WSC", "conference", None, id="ieee-wsc"
    ),
    # --- arXiv
    pytest.param("arXiv preprint arXiv:2209.01356", "arXiv", "preprint", None, id="scholar-arxiv"),
    pytest.param("CoRR", "arXiv", "preprint", None, id="dblp-corr"),
    pytest.param("ArXiv e-prints", "arXiv", "preprint", None, id="ads-arxiv"),
    pytest.param("arXiv:2204.09805", "arXiv", "preprint", None, id="arxiv-id"),
    # --- the rest of computer science
    pytest.param(
        "Proceedings of the 28th Symposium on Operating Systems Principles, SOSP 2021, Virtual "
        "Event / Koblenz, Germany, October 26-29, 2021",
        "SOSP",
        "conference",
        None,
        id="dblp-sosp",
    ),
    pytest.param(
        "SOSP '21: Proceedings of the ACM SIGOPS 28th Symposium on Operating Systems Principles",
        "SOSP",
        "conference",
        None,
        id="acm-sosp",
    ),
    pytest.param(
        "16th USENIX Symposium on Operating Systems Design and Implementation (OSDI 22)",
        "OSDI",
        "conference",
        None,
        id="usenix-osdi",
    ),
    pytest.param(
        "2021 USENIX Annual Technical Conference (USENIX ATC 21)",
        "ATC",
        "conference",
        None,
        id="usenix-atc",
    ),
    pytest.param(
        "Advances in neural information processing systems",
        "NeurIPS",
        "conference",
        None,
        id="scholar-neurips",
    ),
    pytest.param(
        "Advances in Neural Information Processing Systems 33: Annual Conference on Neural "
        "Information Processing Systems 2020, NeurIPS 2020, December 6-12, 2020, virtual",
        "NeurIPS",
        "conference",
        None,
        id="dblp-neurips",
    ),
    pytest.param(
        "Proceedings of the 36th International Conference on Machine Learning, {ICML} 2019, 9-15 "
        "June 2019, Long Beach, California, {USA}",
        "ICML",
        "conference",
        None,
        id="dblp-icml",
    ),
    pytest.param(
        "Proceedings of the IEEE conference on computer vision and pattern recognition",
        "CVPR",
        "conference",
        None,
        id="scholar-cvpr",
    ),
    pytest.param(
        "Computer Vision -- {ECCV} 2020 -- 16th European Conference, Glasgow, UK, August 23-28, "
        "2020, Proceedings, Part {I}",
        "ECCV",
        "conference",
        None,
        id="springer-eccv",
    ),
    pytest.param(
        "Proceedings of the 60th Annual Meeting of the Association for Computational Linguistics "
        "(Volume 1: Long Papers)",
        "ACL",
        "conference",
        None,
        id="anthology-acl",
    ),
    pytest.param(
        "Proceedings of the 2019 Conference of the North American Chapter of the Association for "
        "Computational Linguistics: Human Language Technologies, NAACL-HLT 2019, Minneapolis, MN, "
        "USA, June 2-7, 2019, Volume 1 (Long and Short Papers)",
        "NAACL",
        "conference",
        None,
        id="dblp-naacl",
    ),
    pytest.param(
        "Findings of the Association for Computational Linguistics: EMNLP 2020",
        "Findings",
        "conference",
        None,
        id="anthology-findings",
    ),
    pytest.param(
        "KDD '20: Proceedings of the 26th ACM SIGKDD International Conference on Knowledge "
        "Discovery & Data Mining",
        "KDD",
        "conference",
        None,
        id="acm-kdd",
    ),
    pytest.param(
        "2019 IEEE 35th International Conference on Data Engineering (ICDE)",
        "ICDE",
        "conference",
        None,
        id="ieee-icde",
    ),
    pytest.param(
        "ESEC/FSE 2021: Proceedings of the 29th ACM Joint Meeting on European Software "
        "Engineering Conference and Symposium on the Foundations of Software Engineering",
        "FSE",
        "conference",
        None,
        id="acm-fse",
    ),
    pytest.param(
        "2021 IEEE Symposium on Security and Privacy (SP)",
        "S&P",
        "conference",
        None,
        id="ieee-sp",
    ),
    pytest.param(
        "IEEE INFOCOM 2019 - IEEE Conference on Computer Communications",
        "INFOCOM",
        "conference",
        None,
        id="ieee-infocom",
    ),
    pytest.param(
        "2017 IEEE International Parallel and Distributed Processing Symposium Workshops (IPDPSW)",
        "IPDPSW",
        "workshop",
        "IPDPS",
        id="ieee-ipdpsw",
    ),
    pytest.param(
        "Euro-Par 2019: Parallel Processing - 25th International Conference on Parallel and "
        "Distributed Computing, Göttingen, Germany, August 26-30, 2019, Proceedings",
        "Euro-Par",
        "conference",
        None,
        id="springer-europar",
    ),
    pytest.param("Proc. ACM Program. Lang.", "PACMPL", "journal", None, id="dblp-pacmpl"),
    pytest.param("J. Mach. Learn. Res.", "JMLR", "journal", None, id="dblp-jmlr"),
    pytest.param(
        "IEEE Trans. Pattern Anal. Mach. Intell.", "TPAMI", "journal", None, id="dblp-tpami"
    ),
    pytest.param("Commun. ACM", "CACM", "journal", None, id="dblp-cacm"),
    pytest.param("Concurr. Comput. Pract. Exp.", "CCPE", "journal", None, id="dblp-ccpe"),
    pytest.param("IEEE Micro", "IEEE Micro", "journal", None, id="ieee-micro-journal"),
    pytest.param("MICRO '19", "MICRO", "conference", None, id="micro-conference"),
    pytest.param("Cluster Computing, 22(1)", "Cluster Comput.", "journal", None, id="clust-comput"),
    pytest.param("AAAI-82", "AAAI", "conference", None, id="aaai-dash-year"),
]


@pytest.mark.parametrize(("text", "short", "kind", "parent"), RESOLVE_CASES)
def test_resolve_real_venue_strings(text: str, short: str, kind: str, parent: str | None) -> None:
    match = resolve_venue(text)
    assert match is not None
    assert (match.short, match.kind, match.parent) == (short, kind, parent)
    assert match.known
    assert match.source in ("registry", "acronym")


def test_table_covers_every_seed_venue_twice() -> None:
    counts = Counter(p.values[1] for p in RESOLVE_CASES)
    assert len(RESOLVE_CASES) >= 60
    missing = {s: counts[s] for s in SEED_VENUES if counts[s] < 2}
    assert not missing


# Generic texts that must never become a known venue (above all not SC).
NOT_KNOWN = [
    pytest.param("Workshop on Data", id="workshop-on-data"),
    pytest.param("International Conference", id="international-conference"),
    pytest.param("Proceedings of the Workshop on Data, Charleston, SC, USA", id="sc-the-state"),
    pytest.param("Data Science Workshop, Columbia, SC", id="sc-state-no-country"),
    pytest.param("Workshop on Supercomputing Data", id="supercomputing-inside"),
    pytest.param("ICS Security Workshop", id="ics-in-running-text"),
    pytest.param("Journal of Data", id="journal-of-data"),
    pytest.param("Conference on Systems", id="conference-on-systems"),
    pytest.param("IEEE Transactions", id="ieee-transactions"),
    pytest.param("Annual Meeting", id="annual-meeting"),
    pytest.param("Symposium on Computing", id="symposium-on-computing"),
    pytest.param("Big Data", id="big-data"),
    pytest.param(
        "International Conference on Machine Learning for Healthcare", id="icml-prefix-only"
    ),
    pytest.param("International Conference on High Performance Computing", id="hpc-prefix"),
    pytest.param("Proceedings of the Conference on Cluster Analysis", id="cluster-word"),
    pytest.param("Proceedings of the AAAI Symposium on Abduction", id="aaai-symposium"),
    pytest.param("Journal of Foo Bar, 12(3), 2019", id="unknown-journal"),
]


@pytest.mark.parametrize("text", NOT_KNOWN)
def test_generic_text_is_not_a_known_venue(text: str) -> None:
    match = resolve_venue(text)
    assert match is not None
    assert match.source == "cleaned"
    assert not match.known
    assert match.short not in default_registry()


def test_unknown_workshop_at_known_conference_gets_the_parent() -> None:
    match = resolve_venue("Workshop on Data at SC21")
    assert match is not None
    assert (match.short, match.kind, match.parent, match.known) == (
        "Workshop on Data",
        "workshop",
        "SC",
        False,
    )


@pytest.mark.parametrize(
    ("text", "short", "name", "kind", "parent"),
    [
        pytest.param(
            "Proceedings of the 3rd International Workshop on Big Data in Emergent Distributed "
            "Environments, BiDEDE@SIGMOD 2023, Seattle, WA, USA",
            "BiDEDE",
            "International Workshop on Big Data in Emergent Distributed Environments",
            "workshop",
            "SIGMOD",
            id="dblp-unknown-workshop-at",
        ),
        pytest.param(
            "2018 IEEE 38th International Conference on Distributed Computing Systems Workshops "
            "(ICDCSW)",
            "ICDCSW",
            "IEEE International Conference on Distributed Computing Systems Workshops",
            "workshop",
            "ICDCS",
            id="ieee-workshops-volume",
        ),
        pytest.param(
            "Proceedings of the 1st Workshop on Machine Learning (MLW 2019)",
            "MLW",
            "Workshop on Machine Learning",
            "workshop",
            None,
            id="own-acronym-in-parens",
        ),
        pytest.param(
            "NeurIPS 2019 Workshop on Machine Learning for Systems",
            "NeurIPS Workshop on Machine Learning for Systems",
            "NeurIPS Workshop on Machine Learning for Systems",
            "workshop",
            "NeurIPS",
            id="conference-workshop-on",
        ),
        pytest.param(
            "Proceedings of 21st European Photovoltaic Solar Energy Conference, Dresden, Germany",
            "European Photovoltaic Solar Energy Conference",
            "European Photovoltaic Solar Energy Conference",
            "conference",
            None,
            id="unknown-conference-location",
        ),
    ],
)
def test_new_venue_from_cleaned_text(
    text: str, short: str, name: str, kind: str, parent: str | None
) -> None:
    match = resolve_venue(text, entry_type="inproceedings")
    assert match is not None
    assert match.source == "cleaned"
    assert (match.short, match.name, match.kind, match.parent) == (short, name, kind, parent)


@pytest.mark.parametrize(
    ("text", "entry_type", "kind"),
    [
        pytest.param("Journal of Foo", "article", "journal", id="article"),
        pytest.param("Foo Letters", "", "journal", id="letters-word"),
        pytest.param(
            "Proceedings of the Foo Symposium", "inproceedings", "conference", id="inproc"
        ),
        pytest.param("Foo Workshop", "inproceedings", "workshop", id="workshop-word"),
        pytest.param("Some Book Series", "incollection", "book", id="incollection"),
        pytest.param("University of Foo", "phdthesis", "thesis", id="thesis"),
        pytest.param("Foo Lab", "techreport", "report", id="report"),
        pytest.param("bioRxiv-like preprint server", "misc", "preprint", id="preprint-word"),
        pytest.param("Something", "misc", "other", id="other"),
    ],
)
def test_kind_of_unknown_venues(text: str, entry_type: str, kind: str) -> None:
    assert infer_kind(text, entry_type) == kind
    match = resolve_venue(text, entry_type=entry_type)
    assert match is not None
    assert match.kind == kind


@pytest.mark.parametrize("text", ["", "   ", "2019", "{}"])
def test_nothing_to_resolve(text: str) -> None:
    assert resolve_venue(text) is None


# --- hints and user aliases ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "text", "short", "kind", "parent", "known"),
    [
        pytest.param(
            "SIGMOD", "Some Industry Track", "SIGMOD", "conference", None, True, id="abbr"
        ),
        pytest.param("sigmod", "", "SIGMOD", "conference", None, True, id="abbr-lowercase"),
        pytest.param("VLDB'24", "", "VLDB", "conference", None, True, id="abbr-with-year"),
        pytest.param("XLOOP@SC", "", "XLOOP", "workshop", "SC", True, id="abbr-at"),
        pytest.param(
            "AI-Science@HPDC'18", "", "AI-Science", "workshop", "HPDC", True, id="abbr-at-year"
        ),
        pytest.param(
            "Future Gener. Comput. Syst.", "", "FGCS", "journal", None, True, id="shortjournal"
        ),
        pytest.param(
            "MyConf",
            "2020 International Conference on Foo (MyConf)",
            "MyConf",
            "conference",
            None,
            False,
            id="unknown-abbr",
        ),
        pytest.param(
            "FOO",
            "Proceedings of the Foo Workshop at SC21",
            "FOO",
            "workshop",
            "SC",
            False,
            id="unknown-abbr-workshop",
        ),
        pytest.param("BAR@SIGMOD", "", "BAR", "workshop", "SIGMOD", False, id="unknown-at-known"),
    ],
)
def test_hint_wins(
    hint: str, text: str, short: str, kind: str, parent: str | None, known: bool
) -> None:
    match = resolve_venue(text, hint=hint, entry_type="inproceedings")
    assert match is not None
    assert match.source == "hint"
    assert (match.short, match.kind, match.parent, match.known) == (short, kind, parent, known)


def test_hint_beats_text_and_user_alias() -> None:
    aliases = {alias_key("Proc. VLDB Endow."): "SIGMOD"}
    match = resolve_venue("Proc. VLDB Endow.", hint="ICDE", user_aliases=aliases)
    assert match is not None
    assert (match.short, match.source) == ("ICDE", "hint")


def test_user_alias_beats_registry() -> None:
    aliases = {alias_key("Proc. VLDB Endow."): "SIGMOD", alias_key("Lab Seminar"): "LABSEM"}
    match = resolve_venue("Proc. {VLDB} Endow.", user_aliases=aliases)
    assert match is not None
    assert (match.short, match.source, match.known) == ("SIGMOD", "alias", True)
    unknown = resolve_venue("lab seminar!", user_aliases=aliases, entry_type="inproceedings")
    assert unknown is not None
    assert (unknown.short, unknown.kind, unknown.source, unknown.known) == (
        "LABSEM",
        "conference",
        "alias",
        False,
    )
    # Text that no user alias names falls through to the registry.
    other = resolve_venue("Future Gener. Comput. Syst.", user_aliases=aliases)
    assert other is not None
    assert (other.short, other.source) == ("FGCS", "registry")


def test_user_alias_found_by_folded_or_cleaned_text() -> None:
    aliases = {"my lab's venue": "LAB", alias_key("Fancy Meeting"): "FANCY"}
    assert resolve_venue("My Lab's Venue", user_aliases=aliases).short == "LAB"  # type: ignore[union-attr]
    cleaned = resolve_venue(
        "Proceedings of the 3rd Fancy Meeting, Paris, France", user_aliases=aliases
    )
    assert cleaned is not None
    assert cleaned.short == "FANCY"


# --- cleaning, keys, shorthand -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        pytest.param(
            "Proceedings of the 27th International Symposium on High-Performance Parallel and "
            "Distributed Computing, HPDC 2018, Tempe, AZ, USA, June 11-15, 2018",
            "International Symposium on High-Performance Parallel and Distributed Computing",
            id="dblp",
        ),
        pytest.param(
            "SC '21: Proceedings of the International Conference for High Performance Computing, "
            "Networking, Storage and Analysis",
            "International Conference for High Performance Computing, Networking, Storage and "
            "Analysis",
            id="acm-prefix-comma-name",
        ),
        pytest.param(
            "ICS '20: 2020 International Conference on Supercomputing, Barcelona Spain, June, 2020",
            "International Conference on Supercomputing",
            id="acm-city-country",
        ),
        pytest.param(
            "2018 IEEE 38th International Conference on Distributed Computing Systems (ICDCS)",
            "IEEE International Conference on Distributed Computing Systems",
            id="ieee",
        ),
        pytest.param(
            "Machine Learning for Networking - First International Conference, MLN 2018, Paris, "
            "France, November 27-29, 2018, Revised Selected Papers",
            "Machine Learning for Networking",
            id="springer",
        ),
        pytest.param(
            "Proceedings of the Workshop on Data, Charleston, SC, USA",
            "Workshop on Data",
            id="city-state",
        ),
        pytest.param("Workshop on Data at SC21", "Workshop on Data", id="at-conference"),
        pytest.param("AI-Science@HPDC 2018", "AI-Science", id="at-sign"),
        pytest.param(
            "Future Generation Computer Systems, Vol. 117, 2021, Pages 387-400",
            "Future Generation Computer Systems",
            id="journal-volume-pages",
        ),
        pytest.param("Proc. {VLDB} Endow.", "VLDB Endow.", id="latex-braces"),
        pytest.param(
            "The Twenty-Seventh Annual Conference on Foo",
            "Annual Conference on Foo",
            id="word-ordinal",
        ),
    ],
)
def test_clean_venue_text(text: str, cleaned: str) -> None:
    assert clean_venue_text(text) == cleaned


def test_alias_key_ignores_case_accents_punctuation_and_small_words() -> None:
    assert alias_key("Computers & Industrial Engineering") == alias_key(
        "computers and industrial engineering"
    )
    assert alias_key("Symposium in Cluster, Cloud, and Grid Computing") == alias_key(
        "Symposium on Cluster Cloud and Grid Computing"
    )
    assert alias_key("{IEEE} Trans. Parallel Distributed Syst.") == alias_key(
        "IEEE Trans Parallel Distributed Syst"
    )
    assert alias_key("Int'l Conf. on Foo") == alias_key("International Conference on Foo")
    assert alias_key("Zürich Meeting") == alias_key("Zurich meeting")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(("SIGMOD", "conference", 2024), "SIGMOD'24", id="conference"),
        pytest.param(("VLDB", "conference", 2024), "VLDB'24", id="vldb"),
        pytest.param(("ICCS", "conference", 2015), "ICCS'15", id="iccs"),
        pytest.param(("MLN", "conference", 2009), "MLN'09", id="two-digits"),
        pytest.param(("XLOOP", "workshop", 2021, "SC"), "XLOOP@SC'21", id="workshop"),
        pytest.param(("AI-Science", "workshop", 2018, "HPDC"), "AI-Science@HPDC'18", id="ai-sci"),
        pytest.param(("SNTA", "workshop", 2018, "ICDCS"), "SNTA@ICDCS'18", id="snta"),
        pytest.param(("SC-W", "workshop", 2023, "SC"), "SC-W'23", id="workshop-named-by-parent"),
        pytest.param(("Foo", "workshop", 2020, None), "Foo'20", id="workshop-no-parent"),
        pytest.param(("XLOOP", "workshop", None, "SC"), "XLOOP@SC", id="no-year"),
        pytest.param(("FGCS", "journal", 2021), "FGCS", id="journal"),
        pytest.param(("arXiv", "preprint", 2022), "arXiv", id="preprint"),
        pytest.param(("LNCS", "book", 2019), "LNCS", id="book"),
    ],
)
def test_shorthand(args: tuple, expected: str) -> None:
    assert shorthand(*args) == expected


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        pytest.param("XLOOP workshop at SC21", 2021, "XLOOP@SC'21", id="xloop"),
        pytest.param("AI-Science@HPDC 2018", 2018, "AI-Science@HPDC'18", id="ai-science"),
        pytest.param("Proc. VLDB Endow.", 2024, "VLDB'24", id="vldb"),
        pytest.param(
            "Companion of the 2024 International Conference on Management of Data",
            2024,
            "SIGMOD'24",
            id="sigmod",
        ),
        pytest.param("Future Gener. Comput. Syst.", 2021, "FGCS", id="fgcs"),
    ],
)
def test_match_shorthand_matches_the_cv(text: str, year: int, expected: str) -> None:
    match = resolve_venue(text)
    assert match is not None
    assert match.shorthand(year) == expected


# --- the registry --------------------------------------------------------------------------


def test_registry_size_and_breadth() -> None:
    reg = default_registry()
    assert len(reg) >= 200
    areas = Counter(v.area for v in reg)
    for area in (
        "databases",
        "systems",
        "hpc",
        "networking",
        "ml",
        "vision",
        "nlp",
        "theory",
        "software engineering",
        "security",
        "hci",
        "scientific computing",
        "preprint",
    ):
        assert areas[area] >= 1, area
    assert sum(areas.values()) == len(reg)


@pytest.mark.parametrize(("short", "expected"), list(SEED_VENUES.items()), ids=list(SEED_VENUES))
def test_every_seed_venue_is_in_the_registry(short: str, expected: tuple[str, str | None]) -> None:
    info = default_registry().get(short)
    assert info is not None
    assert (info.kind, info.parent) == expected


def test_shipped_registry_is_valid() -> None:
    venues = builtin_venues()
    assert validate_venues(venues) == []
    shorts = [v.short.casefold() for v in venues]
    assert len(shorts) == len(set(shorts))
    assert {v.kind for v in venues} <= set(KINDS)
    known = set(shorts)
    assert all(v.parent.casefold() in known for v in venues if v.parent)
    assert all(v.kind == "workshop" for v in venues if v.parent)


def test_registry_data_ships_inside_the_package() -> None:
    data = resources.files("pubdb").joinpath("data/venues.toml")
    assert data.is_file()
    assert "[[venue]]" in data.read_text(encoding="utf-8")


def _info(short: str, **kw: object) -> VenueInfo:
    base: dict[str, object] = {"name": f"{short} name", "kind": "conference"}
    base.update(kw)
    return VenueInfo(short=short, **base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("venues", "problem"),
    [
        pytest.param([_info("A"), _info("a")], "used twice", id="duplicate-short"),
        pytest.param([_info("A", kind="magazine")], "is not one of", id="bad-kind"),
        pytest.param([_info("W", kind="workshop", parent="Z")], "not a known venue", id="parent"),
        pytest.param([_info("W", parent="W")], "own parent", id="self-parent"),
        pytest.param([_info("A", patterns=("(",))], "does not compile", id="bad-pattern"),
        pytest.param(
            [_info("A", aliases=("Same Text",)), _info("B", aliases=("same  text!",))],
            "already means",
            id="alias-twice",
        ),
        pytest.param(
            [_info("A", acronyms=("XYZ",)), _info("B", acronyms=("XYZ",))],
            "acronym",
            id="acronym-twice",
        ),
        pytest.param([_info("", name="x")], "no short name", id="no-short"),
    ],
)
def test_validation_finds_problems(venues: list[VenueInfo], problem: str) -> None:
    problems = validate_venues(venues)
    assert any(problem in p for p in problems), problems
    with pytest.raises(VenueRegistryError):
        VenueRegistry(venues)


def test_user_entries_add_and_extend_venues(tmp_path: Path) -> None:
    reg = load_registry(
        [
            {
                "short": "MLSW",
                "name": "Workshop on ML for Systems",
                "kind": "workshop",
                "parent": "NeurIPS",
                "aliases": ["ML for Systems Workshop"],
            },
            {"short": "SIGMOD", "aliases": ["Our Lab's Name for SIGMOD"]},
        ]
    )
    assert len(reg) == len(default_registry()) + 1
    new = resolve_venue("ML for Systems Workshop at NeurIPS 2019", registry=reg)
    assert new is not None
    assert (new.short, new.kind, new.parent, new.known) == ("MLSW", "workshop", "NeurIPS", True)
    extended = resolve_venue("Our lab's name for SIGMOD", registry=reg)
    assert extended is not None
    assert extended.short == "SIGMOD"
    sigmod = reg.get("SIGMOD")
    assert sigmod is not None
    assert sigmod.name == "ACM SIGMOD International Conference on Management of Data"
    # the shipped registry is untouched
    assert resolve_venue("Our lab's name for SIGMOD").source == "cleaned"  # type: ignore[union-attr]


def test_user_registry_files_toml_and_json(tmp_path: Path) -> None:
    toml_file = tmp_path / "venues.toml"
    toml_file.write_text(
        '[[venue]]\nshort = "LABW"\nname = "Lab Workshop"\nkind = "workshop"\nparent = "SC"\n',
        encoding="utf-8",
    )
    json_file = tmp_path / "venues.json"
    json_file.write_text(
        json.dumps([{"short": "JFOO", "name": "Journal of Foo", "kind": "journal"}]),
        encoding="utf-8",
    )
    assert [v.short for v in read_registry_file(toml_file)] == ["LABW"]
    reg = load_registry(json_file)
    assert resolve_venue("Journal of Foo", registry=reg).short == "JFOO"  # type: ignore[union-attr]
    assert load_registry(toml_file).get("LABW").parent == "SC"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        pytest.param(
            '[[venue]]\nshort = "X"\nname = "X"\nkind = "zine"\n', ".toml", "kind", id="bad-kind"
        ),
        pytest.param(
            '[[venue]]\nshort = "X"\nnmae = "typo"\n', ".toml", "unknown field", id="typo-field"
        ),
        pytest.param("this is = not toml [", ".toml", "not a valid", id="not-toml"),
        pytest.param('{"venue": 3}', ".json", "list of venue", id="json-shape"),
    ],
)
def test_bad_user_registry_file_is_one_clear_error(
    tmp_path: Path, content: str, suffix: str, message: str
) -> None:
    path = tmp_path / f"mine{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(VenueRegistryError, match=message):
        load_registry(path)


def test_missing_registry_file(tmp_path: Path) -> None:
    with pytest.raises(VenueRegistryError, match="cannot read"):
        load_registry(tmp_path / "nope.toml")


def test_docs_example_is_a_valid_registry_file(tmp_path: Path) -> None:
    doc = (REPO / "docs" / "venues.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", doc, flags=re.S)
    assert blocks
    path = tmp_path / "example.toml"
    path.write_text(blocks[0], encoding="utf-8")
    reg = load_registry(path)
    assert len(reg) > len(default_registry())


def test_a_remembered_resolution_is_what_resolve_gives() -> None:
    # An import's worker processes resolve venue texts; the main process remembers their
    # answers instead of resolving the texts again.
    reg = load_registry([{"short": "MEMO", "name": "Memo Test Venue", "kind": "journal"}])
    elsewhere = reg.resolve("Memo Test Venue, Vol. 3", "article")
    assert elsewhere is not None and elsewhere.short == "MEMO"
    fresh = load_registry([{"short": "MEMO", "name": "Memo Test Venue", "kind": "journal"}])
    fresh.remember("Memo Test Venue, Vol. 3", "article", elsewhere)
    misses = fresh.cache_info().misses
    assert fresh.resolve("Memo Test Venue, Vol. 3", "article") is elsewhere
    assert fresh.cache_info().misses == misses  # not resolved here
    # Only for that text and entry type.
    assert fresh.resolve("Memo Test Venue, Vol. 3", "inproceedings") is not elsewhere


def test_resolution_is_cached_per_text() -> None:
    reg = load_registry([{"short": "CACHED", "name": "Cache Test Venue", "kind": "journal"}])
    text = "Cache Test Venue, Vol. 3"
    first = resolve_venue(text, registry=reg)
    hits = reg.cache_info().hits
    second = resolve_venue(text, registry=reg)
    assert second is first
    assert reg.cache_info().hits == hits + 1


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Foo (Bar, Baz), Qux [x]", id="brackets-and-commas-in-parens"),
        pytest.param("((((SIGMOD", id="unbalanced-parens"),
        pytest.param("@@@ at at @", id="only-at-signs"),
        pytest.param("$\\mathcal{X}$ Workshop {{on}} \\textbf{Things}", id="latex-math"),
        pytest.param("2019, 2020, June 11-15", id="dates-only"),
        pytest.param("x" * 5000, id="very-long"),
    ],
)
def test_odd_text_never_crashes(text: str) -> None:
    match = resolve_venue(text, entry_type="inproceedings")
    assert match is None or match.kind in KINDS


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=120), st.sampled_from(["", "SC"]))
def test_resolution_is_total(text: str, hint: str) -> None:
    """Any text resolves to None or a match with a valid kind and a non-empty short name."""
    match = resolve_venue(text, hint=hint)
    assert match is None or (match.kind in KINDS and match.short.strip())


# ============================================================================================
# The shortcuts of resolution give what the patterns alone give
# ============================================================================================
# Resolution skips work that cannot change its answer: patterns whose required text is absent
# (checked with substring tests on ASCII text), parts too short to name a venue, acronyms of a
# venue a stronger step already found. The references below are the plain, pattern-only steps
# (as they were before those shortcuts); each shortcut must agree with them on any text.

import pubdb.venues as venues_module  # noqa: E402


def _reference_words(plain: str) -> tuple[str, ...]:
    s = venues_module.fold(plain).replace("&", " and ")
    s = venues_module._INTL_RE.sub("international ", s)
    s = venues_module._E_PREFIX_RE.sub("e", s)
    s = venues_module._NON_WORD_RE.sub(" ", s)
    return tuple(
        w
        for w in (venues_module._EXPAND.get(t, t) for t in s.split())
        if w not in venues_module._STOPWORDS
    )


def _reference_strip_leading(s: str) -> str:
    v = venues_module
    while True:
        before = s
        s = s.lstrip(v._EDGE_PUNCT).rstrip(v._EDGE_PUNCT_RIGHT)
        s = v._YEAR_RE.sub("", s, count=1) if v._YEAR_RE.match(s) else s
        s = v._LEADING_RE.sub("", s.strip())
        s = v._ORDINAL_RE.sub("", s, count=1) if v._ORDINAL_RE.match(s) else s
        s = v._WORD_ORDINAL_RE.sub("", s, count=1) if v._WORD_ORDINAL_RE.match(s) else s
        if s == before:
            return s


def _reference_clean_segment(seg: str) -> str:
    v = venues_module
    s = seg
    if "(" in s or ")" in s:
        while v._PAREN_RE.search(s):
            s = v._PAREN_RE.sub(" ", s)
        s = s.replace("(", " ").replace(")", " ")
    if "@" in s:
        s = v._AT_TOKEN_RE.sub("", s)
    s = v._AT_PARENT_RE.sub(v._at_parent_sub, s)
    has_digit = v._DIGIT_RE.search(s) is not None
    if has_digit:
        s = v._APOS_YEAR_RE.sub("", s)
        s = v._DASH_YEAR_RE.sub(r"\1", s)
        s = v._YEAR_RE.sub("", s)
        s = v._ORDINAL_RE.sub("", s)
    s = v._WORD_ORDINAL_RE.sub("", s)
    if has_digit:
        s = v._VOLUME_RE.sub("", s)
    s = v.clean_spaces(s)
    s = _reference_strip_leading(s)
    if has_digit:
        s = v._TRAILING_NUMBER_RE.sub("", s)
    s = v._TRAILING_GENERIC_RE.sub("", s)
    return v.clean_spaces(s).lstrip(v._EDGE_PUNCT).rstrip(v._EDGE_PUNCT_RIGHT)


def _reference_filler_only(text: str) -> bool:
    v = venues_module
    s = v._APOS_YEAR_RE.sub(" ", text)
    s = v._YEAR_RE.sub(" ", s)
    s = v._ORDINAL_RE.sub(" ", s)
    words = v._NON_WORD_RE.sub(" ", v.fold(s)).split()
    return all(w in v._FILLER or w.isdigit() for w in words)


def _reference_segment_around(plain: str, start: int, end: int) -> tuple[str, str]:
    seps = venues_module._SEGMENT_SEPS
    lo = max(plain.rfind(c, 0, start) for c in seps) + 1
    his = [i for i in (plain.find(c, end) for c in seps) if i >= 0]
    return plain[lo:start], plain[end : min(his) if his else len(plain)]


def _reference_split_top(text: str, seps: str) -> list[tuple[int, str]]:
    parts: list[tuple[int, str]] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch in seps and depth == 0:
            parts.append((start, text[start:i]))
            start = i + 1
    parts.append((start, text[start:]))
    return parts


def _reference_candidates(reg: VenueRegistry, plain: str) -> list:
    """Every candidate, each part cleaned by the patterns, every acronym weighed."""
    v = venues_module
    cands = []
    cleaned = clean_venue_text(plain)
    if cleaned:
        words = _reference_words(cleaned)
        key = " ".join(words)
        info = reg._exact.get(key) or reg._cleaned.get(key) or reg._loose.get(v._loose_key(words))
        if info is not None:
            ws = bool(v._WORKSHOP_RE.search(v.fold(cleaned)))
            cands.append(v._Cand(info, 0, 0, "main", cleaned, ws))
    body = v._EVENT_PREFIX_RE.sub("", plain, count=1)
    offset = len(plain) - len(body)
    for start, seg in _reference_split_top(body, ",;:"):
        pieces = [(start, seg)]
        for m in re.finditer(r"\s[-–—]\s", seg):
            pieces.append((start + m.end(), seg[m.end() :]))
        pieces += [(start, p) for p in re.split(r"\s[-–—]\s", seg)[:1]]
        for pos, piece in pieces:
            words = _reference_words(_reference_clean_segment(piece))
            if len(words) < 3:
                continue
            key = " ".join(words)
            info = (
                reg._exact.get(key) or reg._cleaned.get(key) or reg._loose.get(v._loose_key(words))
            )
            if info is not None:
                ws = bool(v._WORKSHOP_RE.search(v.fold(piece)))
                cands.append(v._Cand(info, 1, offset + pos, "main", piece.strip(), ws))
    norm = " ".join(v._NON_WORD_RE.sub(" ", v.fold(plain).replace("&", " and ")).split())
    for info, rx, _ in reg._patterns:
        m = rx.search(norm)
        if m:
            ws = bool(v._WORKSHOP_RE.search(m.group(0)))
            cands.append(v._Cand(info, 2, m.start(), "main", m.group(0), ws))
    cands.extend(reg._acronym_candidates(plain))  # no venue known: every acronym weighed
    return cands


# Pieces of venue texts and of what can go wrong: every word a shortcut looks for (at, with,
# vol, no, ordinals, years), separators, LaTeX leftovers, and the non-ASCII letters that
# case-insensitive patterns match for ASCII ones (ſ = s, K = k, İ/ı = i).
_FRAGMENTS = [
    "Proceedings", "proc.", "of", "the", "The", " ", " ", "  ", "\t", "\u00a0", "\x1c",
    "International", "Int'l", "Intl.", "Conference", "Symposium", "Workshop", "workshops",
    "on", "Data", "Management", "Systems", "Computing", "Journal", "Trans.", "e-Science", "e-",
    "at", "AT", "At", "with", "co-located with", "held in conjunction with", "in", "In:",
    "Vol.", "vol", "Volume 3", "No.", "no", "Nov", "number", "pp.", "Pages", "Part", "IV",
    "Issue", "first", "First", "Twenty-First", "twentyfirst", "thirtieth", "Eleventh",
    "twenty first", "1st", "27th", "2 nd", " st", "TH", "2019", "1999", "'19", "' 21", "19",
    "20", "21", "2020-2021", "SC21", "SC", "SC'21", "HPDC", "SIGMOD/PODS", "CCGrid", "XLOOP@SC",
    "AI-Science@HPDC", "arXiv", "arXiv:2209.01356", "CoRR", "abs/1234.5678", "IEEE", "ACM",
    "VLDB", "&", "(", ")", ",", ";", ":", " - ", " – ", " — ", "-", "--", "''", "'", "’", "~",
    "`", "{", "}", "\\", "$", "^", "@", "_", "/", ".", "ſt", "K", "İ", "ı", "é", "ü", "½",
    "٣", "Ⅻ", "ﬁ", "Tempe, AZ, USA", "June 11-15", "Virtual Event",
]  # fmt: skip
_VENUE_LIKE = st.lists(st.sampled_from(_FRAGMENTS), max_size=14).map(" ".join) | st.lists(
    st.sampled_from(_FRAGMENTS), max_size=14
).map("".join)


# Texts each shortcut has to get right (the random ones seldom build them).
_SHORTCUT_EXAMPLES = [
    "Workshop on Foo Things co-located with ICSE 2019",  # "at"/"with" before a parent
    "Workshop on Foo held in conjunction with SC21",
    "Foo Workshop at the SC21",
    "Foo Workshop atthe ",
    "Ninth Workshop on Foo Things",  # a word ordinal at the start
    "Eleventh Symposium, twentyfirst Meeting, Twenty-First Day",
    "Proceedings of the 1 st",  # an ordinal of its own word
    "Proceedings of the 27th",
    "Proceedings of the 3rd and 2nd",
    "Big Data 3rd Edition",
    "Journal of Foo Things No. 3 extra",  # volume words
    "Journal of Foo Things, Nov 2019",
    "Foo Things Part IV",
    "Foo Things, 12: 3-4",  # a trailing number
    "Foo Things 2019 - IEEE Conference",  # a generic trailing part
    "Foo Things – Workshop Proceedings",
    "SIGMOD '19: Proceedings of the 2019 International Conference on Management of Data",
    "AAAI-82 Things",
    "e-Science and int'l Things & Intl. Stuff",
    "firſt Workſhop",  # ſ is s for a case-insensitive pattern
    "Foo (Bar (Baz)) ((Qux), Quux",
    "a--b 2019--2020 ''x'' ~y",
]


def _check_helpers(text: str) -> None:
    v = venues_module
    assert v._tokens(text) == v._NON_WORD_RE.sub(" ", text).split()
    assert v._words.__wrapped__(text) == _reference_words(text)
    assert v._strip_leading(text) == _reference_strip_leading(text)
    assert v._clean_segment.__wrapped__(text) == _reference_clean_segment(text)
    assert v._filler_only(text) == _reference_filler_only(text)
    assert v._split_top(text, ",;:") == _reference_split_top(text, ",;:")
    assert v._split_top(text, ",;") == _reference_split_top(text, ",;")
    assert v._without_event_prefix.__wrapped__(text) == v._EVENT_PREFIX_RE.sub("", text, count=1)
    assert v._names_parent_before(text) == bool(v._AT_BEFORE_RE.search(text))
    for start, end in [(0, 0), (len(text) // 3, len(text) // 2), (len(text), len(text))]:
        before = text[:start]
        assert v._names_parent_before(before) == bool(v._AT_BEFORE_RE.search(before))
        assert v._segment_around(text, start, end) == _reference_segment_around(text, start, end)
    if v._fewer_than_three_words(text):
        assert len(_reference_words(_reference_clean_segment(text))) < 3


@settings(max_examples=400, deadline=None)
@given(_VENUE_LIKE)
@example("")
def test_text_helpers_give_what_the_patterns_give(text: str) -> None:
    _check_helpers(text)


@pytest.mark.parametrize("text", _SHORTCUT_EXAMPLES, ids=range(len(_SHORTCUT_EXAMPLES)))
def test_text_helpers_on_texts_the_shortcuts_must_get_right(text: str) -> None:
    for end in range(len(text) + 1):  # every prefix: where a match starts and ends matters
        _check_helpers(text[:end])
    for piece in re.split(r"[,;:]", text):
        _check_helpers(piece)


_CHOICE_TEXTS = [p.values[0] for p in RESOLVE_CASES] + [
    "arXiv preprint arXiv:2209.01356",
    "CoRR, abs/2209.01356",
    "XLOOP workshop at SC21",
    "Workshop on Data at SC20",
    "ICCS 2015 International Conference On Computational Science, Procedia Computer Science",
    "Proceedings of the Workshop on Foo Things, SIGMOD 2019",
    "SIGMOD Workshop on Things, held with VLDB 2019",
    "Future Gener. Comput. Syst. (FGCS) - Special Issue on HPDC 2018 - Part 2",
    # the workshop's parent from the text, though the parent is also named as the main venue
    "AI-Science workshop at SC21, International Conference for High Performance Computing, "
    "Networking, Storage and Analysis",
    "AI-Science workshop at the SC21, International Conference for High Performance "
    "Computing, Networking, Storage and Analysis",
    *_SHORTCUT_EXAMPLES,
]


def _same_choice(reg: VenueRegistry, plain: str) -> None:
    for entry_type in ("", "inproceedings", "article"):
        fast = reg._choose(reg._candidates(plain), plain, entry_type)
        full = reg._choose(_reference_candidates(reg, plain), plain, entry_type)
        assert fast == full


@pytest.mark.parametrize("text", _CHOICE_TEXTS, ids=range(len(_CHOICE_TEXTS)))
def test_candidates_choose_what_every_candidate_chooses(text: str) -> None:
    reg = default_registry()
    _same_choice(reg, venues_module._plain(text))


@settings(max_examples=300, deadline=None)
@given(_VENUE_LIKE)
def test_candidates_choose_what_every_candidate_chooses_any_text(text: str) -> None:
    plain = venues_module._plain(text)
    if plain:
        _same_choice(default_registry(), plain)


def _fresh_registry() -> VenueRegistry:
    """The shipped venues with caches of their own (texts other tests resolved are not in)."""
    for name in ("clean_venue_text", "_clean_segment", "_words", "_plain", "_stop_kind"):
        getattr(venues_module, name).cache_clear()
    return VenueRegistry(builtin_venues())


def _count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[tuple]:
    calls: list[tuple] = []
    original = getattr(venues_module, name)

    def counting(*args: object) -> object:
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(venues_module, name, counting)
    return calls


def test_acronym_of_a_venue_already_found_is_not_weighed(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "arXiv" is found by the registry's patterns; the two "arXiv" tokens cannot change that,
    so whether they stand where exports put acronyms is never asked."""
    reg = _fresh_registry()
    calls = _count_calls(monkeypatch, "_filler_only")
    match = resolve_venue("arXiv preprint arXiv:2209.01356", registry=reg)
    assert match is not None and match.short == "arXiv"
    assert calls == []
    # an acronym of a venue nothing else found is still weighed
    match = resolve_venue("Best papers of SIGMOD and friends", registry=reg)
    assert calls


@pytest.mark.parametrize(
    ("text", "skipped", "cleaned"),
    [
        pytest.param(
            "arXiv preprint arXiv:2209.01356", "2209.01356", "arXiv preprint arXiv", id="arxiv"
        ),
        pytest.param(
            "Proc. VLDB Endow., 12(3)", " 12(3)", "Proc. VLDB Endow.", id="journal-volume"
        ),
    ],
)
def test_parts_too_short_to_name_a_venue_are_not_cleaned(
    monkeypatch: pytest.MonkeyPatch, text: str, skipped: str, cleaned: str
) -> None:
    reg = _fresh_registry()
    calls = _count_calls(monkeypatch, "_clean_segment")
    resolve_venue(text, registry=reg)
    cleaned_parts = [args[0] for args in calls]
    assert skipped not in cleaned_parts
    assert cleaned in cleaned_parts


def test_parts_are_matched_once_per_registry() -> None:
    reg = _fresh_registry()
    part = "Proceedings of the 27th International Symposium on High-Performance Parallel and "
    part += "Distributed Computing"
    first = resolve_venue(f"{part}, HPDC 2018, Tempe, AZ, USA", registry=reg)
    hits = reg._piece_match.cache_info().hits
    second = resolve_venue(f"{part}, HPDC 2019, Denver, CO, USA", registry=reg)
    assert first is not None and second is not None and first.short == second.short == "HPDC"
    assert reg._piece_match.cache_info().hits > hits


class _Recording:
    """A stand-in for a module pattern that records the calls to it."""

    def __init__(self, pattern: object, calls: list[str], name: str) -> None:
        self._pattern, self._calls, self._name = pattern, calls, name

    def __getattr__(self, method: str) -> object:
        self._calls.append(self._name)
        return getattr(self._pattern, method)


_SKIPPABLE = (
    "_AT_PARENT_RE",
    "_APOS_YEAR_RE",
    "_DASH_YEAR_RE",
    "_ORDINAL_RE",
    "_WORD_ORDINAL_RE",
    "_VOLUME_RE",
    "_TRAILING_NUMBER_RE",
    "_TRAILING_GENERIC_RE",
)


@pytest.mark.parametrize(
    ("segment", "expected", "used"),
    [
        pytest.param(
            "International Conference on Management of Data 2019",
            "International Conference on Management of Data",
            set(),
            id="ascii-none-can-match",
        ),
        pytest.param(
            "Twenty-First Symposium at Foo, Vol. 3 - Workshop",
            "Symposium at Foo",
            set(_SKIPPABLE) - {"_APOS_YEAR_RE", "_TRAILING_NUMBER_RE", "_TRAILING_GENERIC_RE"},
            id="ascii-some-can-match",
        ),
        pytest.param(
            "Conférence Internationale 2019",
            "Conférence Internationale",
            {"_AT_PARENT_RE", "_ORDINAL_RE", "_WORD_ORDINAL_RE", "_VOLUME_RE"},
            id="non-ascii-every-case-insensitive-pattern",
        ),
    ],
)
def test_cleaning_skips_patterns_that_cannot_match(
    monkeypatch: pytest.MonkeyPatch, segment: str, expected: str, used: set[str]
) -> None:
    calls: list[str] = []
    for name in _SKIPPABLE:
        monkeypatch.setattr(
            venues_module, name, _Recording(getattr(venues_module, name), calls, name)
        )
    assert venues_module._clean_segment.__wrapped__(segment) == expected
    assert set(calls) == used
