"""CSL-JSON export: the item array that pandoc's citeproc and Zotero import read.

Types follow CSL 1.0.2: journal -> ``article-journal``; conference and workshop papers ->
``paper-conference``; ``incollection``/``inbook`` -> ``chapter``; other books -> ``book``;
theses -> ``thesis``; reports -> ``report``; preprints -> ``article`` (Zotero's "Preprint");
anything else -> ``document``. Corporate authors are ``{"literal": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pubdb.records import PersonName
from pubdb.render.data import RenderRecord, classify

_BOOK_PARTS = ("incollection", "inbook")


def csl_type(item: RenderRecord) -> str:
    """The CSL item type of a record."""
    r = item.record
    kind = classify(r.entry_type, item.venue, r.venue_text, r.arxiv_id)
    if kind == "journal":
        return "article-journal"
    if kind in ("conference", "workshop"):
        return "paper-conference"
    if kind == "book":
        return "chapter" if r.entry_type.lower() in _BOOK_PARTS else "book"
    if kind == "preprint":
        return "article"
    if kind in ("thesis", "report"):
        return kind
    return "document"


def csl_name(name: PersonName) -> dict[str, str]:
    """One CSL name object: family/given (with particle and suffix), or a literal."""
    if name.corporate or not name.family:
        return {"literal": name.display}
    out = {"family": name.family}
    if name.given:
        out["given"] = name.given
    if name.von:
        out["non-dropping-particle"] = name.von
    if name.jr:
        out["suffix"] = name.jr
    return out


def csl_item(item: RenderRecord) -> dict[str, Any]:
    """One record as a CSL-JSON item (empty values left out)."""
    r = item.record
    kind = csl_type(item)
    out: dict[str, Any] = {"id": r.key, "type": kind}
    if r.title:
        out["title"] = " ".join(r.title.split())
    if r.authors:
        out["author"] = [csl_name(a.name) for a in r.authors]
    if r.editors:
        out["editor"] = [csl_name(n) for n in r.editors]
    if r.year is not None:
        parts = [r.year] + ([r.month] if r.month else [])
        out["issued"] = {"date-parts": [parts]}
    container = r.venue_text or (item.venue.name if item.venue else "")
    if kind == "thesis":
        _put(out, "publisher", container or r.publisher)
        genre = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis"}
        _put(out, "genre", genre.get(r.entry_type.lower(), ""))
    elif kind == "report":
        _put(out, "publisher", container or r.publisher)
        _put(out, "number", r.number)
    elif kind == "article":
        if r.arxiv_id:
            out["publisher"] = "arXiv"
            out["number"] = f"arXiv:{r.arxiv_id}"
        else:
            _put(out, "publisher", container or r.publisher)
    else:
        _put(out, "container-title", container)
        if item.venue and item.venue.short:
            out["container-title-short"] = item.venue.short
        _put(out, "publisher", r.publisher)
        _put(out, "issue", r.number)
    _put(out, "volume", r.volume)
    _put(out, "page", r.pages.replace("–", "-").replace("--", "-"))
    _put(out, "collection-title", r.series)
    _put(out, "edition", r.edition)
    _put(out, "DOI", r.doi)
    url = r.url or (f"https://arxiv.org/abs/{r.arxiv_id}" if r.arxiv_id else "")
    _put(out, "URL", url)
    _put(out, "abstract", r.abstract)
    _put(out, "note", r.note)
    if r.tags:
        out["keyword"] = ", ".join(r.tags)
    return out


def _put(out: dict[str, Any], name: str, value: str) -> None:
    value = " ".join(value.split())
    if value:
        out[name] = value


def write_csl_json(records: Iterable[RenderRecord]) -> str:
    """A CSL-JSON array (UTF-8 text, two-space indent, trailing newline)."""
    items = [csl_item(r) for r in records]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
