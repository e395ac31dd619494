"""Duplicate detection: candidate blocking, pair scoring with reasons, and guarded clustering.

Pure core (no database, no click). The caller turns records into :class:`DedupItem` with
:func:`item_from_record`, then either scores one pair (:func:`score_pair`, used by import) or
clusters a whole set (:func:`cluster`, used by ``pubdb dedup``). Every decision carries its
verdict (``same`` / ``possible`` / ``different``), a 0-100 score and human-readable reasons.

Cost grows about linearly: :func:`find_candidates` never compares all pairs; it only pairs
records that share a DOI, an arXiv id or a normalised title, or that sit near each other when
the distinct title keys are sorted (plain, reversed and word-sorted), within a year window.
"""

from __future__ import annotations

import bisect
import functools
import operator
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from pubdb.names import name_match_key
from pubdb.records import BibRecord
from pubdb.textnorm import fold, latex_to_unicode, normalize_doi, strip_braces, title_key

# --------------------------------------------------------------------------------------------
# Thresholds (the only tuning knobs; `pubdb dedup --threshold N` overrides SAME_SCORE).
#
# SAME_SCORE = 90: a pair is merged only if no rule in score_pair caps it *and* its score
#   reaches 90. The score starts at the title similarity (fuzz.ratio of the normalised titles,
#   0-100; 100 when equal, also ignoring spaces) and loses points for weak corroboration:
#   AUTHOR_WEIGHT (30) x the share of the shorter author list not matched, 2 for a year off
#   by one, 3 for an unknown year, 3 for different first pages, 8 for a missing author list;
#   it gains 2 for the same first page. Real duplicates (case, punctuation, accents, LaTeX, a
#   typo, a truncated author list) score 94-100. A one-word change in a 60-character title
#   still scores ~89 on the ratio alone, which is why the word check (TYPO_WORD_MIN) rather
#   than the score keeps it apart; 90 leaves room for a typo plus a missing year, not for one
#   unmatched author of three (-10) on top of a typo.
# POSSIBLE_SCORE = 75: below this a pair is not worth a human's look.
# TITLE_CANDIDATE_MIN = 80: fuzzy titles below 80% are different papers in practice
#   (bibtex-tidy issue #11: "... by a lens in the presence of spherical aberration and
#   defocusing" vs "... by an apertured system in presence of coma", same authors, is 76%);
#   used both to prefilter sorted-window neighbours and in scoring.
# TYPO_WORD_MIN = 80: two leftover words at >= 80% (network/networks 93, optimisation/
#   optimization 92) are one word spelt two ways; below (learned/learning 67, graphs/streams
#   46) they are different words, and a substituted word makes titles at most "possible".
# DOI_TITLE_MIN = 60: the same DOI with titles this dissimilar (token-set ratio) is a
#   copy-paste error in one record, so "possible" rather than merged.
# AUTHOR_MIN_OVERLAP = 0.5: at least half of the shorter (or truncated) author list must match
#   by family name + first initial; 0 matched of two non-empty lists means different papers.
# YEAR_TOLERANCE = 1: online-first vs issue year, conference vs proceedings year.
# PREPRINT_MAX_LEAD = 3: an arXiv preprint may precede its publication by up to 3 years (and
#   be posted up to 1 year after it).
# YEAR_WINDOW = 4: fuzzy candidates further apart than this in years are not even scored.
# WINDOW = 8: how many following distinct title keys each key is compared with, in each of
#   three orders (plain: typos late in the title and subtitles; reversed: typos early in the
#   title; word-sorted: words moved). One batched process.extract call per key and order
#   keeps 100k records at ~1 s for this step.
# MAX_BLOCK = 40: an exact block (same DOI/arXiv/title) larger than this is paired only within
#   a sliding window after sorting by year and first author, so a DOI wrongly shared by a whole
#   proceedings volume cannot make the cost quadratic.
# SHORT_TITLE_WORDS = 3: titles of fewer words ("Foo", "Quantum somethings") need a known year
#   on both sides to be merged.
# --------------------------------------------------------------------------------------------
SAME_SCORE = 90.0
POSSIBLE_SCORE = 75.0
TITLE_CANDIDATE_MIN = 80.0
TYPO_WORD_MIN = 80.0
DOI_TITLE_MIN = 60.0
AUTHOR_MIN_OVERLAP = 0.5
AUTHOR_WEIGHT = 30.0
YEAR_TOLERANCE = 1
PREPRINT_MAX_LEAD = 3
YEAR_WINDOW = 4
WINDOW = 8
MAX_BLOCK = 40
SHORT_TITLE_WORDS = 3

Verdict = Literal["same", "possible", "different"]

# Titles that name a kind of front/back matter rather than a paper: merged only on a DOI.
GENERIC_TITLES = frozenset(
    {
        "preface", "introduction", "editorial", "keynote", "foreword", "panel", "front matter",
        "back matter", "index", "author index", "subject index", "table of contents", "contents",
        "title page", "cover", "committees", "organizing committee", "program committee",
        "reviewers", "acknowledgments", "acknowledgements", "guest editorial", "editors note",
        "editorial note", "invited talk", "keynote address", "keynote talk", "panel discussion",
        "welcome message", "message from the general chair", "message from the general chairs",
        "message from the program chairs", "message from the program committee chairs",
        "in memoriam", "obituary", "book review", "abstract", "abstracts", "tutorial",
        "letter from the editor", "editorial board", "masthead", "errata", "frontmatter",
        "backmatter", "prologue", "epilogue", "overview", "summary", "conclusion",
        "conclusions", "opening remarks", "closing remarks", "news", "announcements",
        "copyright", "copyright page", "foreword and acknowledgments", "call for papers",
    }
)  # fmt: skip
# A title whose first word is one of these and whose other words are all filler is generic
# too ("Introduction to the special issue", "Preface to volume 3", "Keynote talk").
_GENERIC_HEADS = frozenset(
    {
        "preface", "introduction", "editorial", "keynote", "foreword", "panel", "index", "message",
        "welcome", "invited", "guest", "front", "back", "table", "editors", "editor", "committee",
        "committees"
    }
)  # fmt: skip
_GENERIC_FILLER = frozenset(
    {
        "to", "the", "this", "a", "an", "of", "on", "for", "and", "from", "special", "issue",
        "volume", "section", "address", "talk", "session", "discussion", "matter", "contents",
        "guest", "editors", "editor", "editorial", "chair", "chairs", "general", "program",
        "message", "note", "notes", "s", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix",
        "x", "part", "track", "proceedings"
    }
)  # fmt: skip
_GENERIC_FIRST = _GENERIC_HEADS | {title.split()[0] for title in GENERIC_TITLES}
_STOPWORDS = frozenset(
    {
        "a", "an", "the", "of", "on", "in", "and", "for", "to", "with", "by", "at", "from", "via",
        "its", "is", "are", "as", "or", "into", "using"
    }
)  # fmt: skip
_PART_WORDS = frozenset(
    {
        "part", "pt", "vol", "volume", "chapter", "book", "no", "number", "section", "phase",
        "stage", "level", "type", "series", "tome", "issue", "release", "version"
    }
)  # fmt: skip
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_ROMAN_RE = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_WORD_RE = re.compile(r"\w+")
_DIGITS_RE = re.compile(r"\d+")
_ARXIV_DOI_RE = re.compile(r"^10\.48550/arxiv\.(.+)$")
_ARXIV_VERSION_RE = re.compile(r"v\d+$")
_PREPRINT_VENUE_RE = re.compile(r"\b(arxiv|corr|preprint)\b")
_WORKSHOP_RE = re.compile(r"\bworkshop\b")
_NOTICE_WORDS = {
    "erratum": "erratum", "errata": "erratum", "corrigendum": "erratum", "corrigenda": "erratum",
    "addendum": "erratum", "retraction": "retraction", "retracted": "retraction",
}  # fmt: skip
_NOTICE_PREFIXES = (
    ("correction", "erratum"),
    ("author correction", "erratum"),
    ("publisher correction", "erratum"),
    ("expression of concern", "retraction"),
    ("notice of retraction", "retraction"),
    ("comment on", "comment"),
    ("comments on", "comment"),
    ("reply to", "comment"),
    ("response to", "comment"),
    ("authors reply", "comment"),
    ("rejoinder", "comment"),
    ("discussion of", "comment"),
)
_THESIS_TYPES = frozenset({"phdthesis", "mastersthesis", "thesis"})
_BOOK_TYPES = frozenset(
    {"book", "mvbook", "proceedings", "mvproceedings", "collection", "mvcollection", "reference",
     "mvreference"}
)  # fmt: skip
_PREPRINT_TYPES = frozenset({"misc", "unpublished", "online", "preprint", "techreport", "report"})
_KIND_BY_TYPE = {
    "article": "journal", "inproceedings": "conference", "conference": "conference",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "techreport": "report", "report": "report", "book": "book", "inbook": "book",
    "incollection": "book", "proceedings": "book",
}  # fmt: skip
_ENTRY_RANK = {"article": 3, "inproceedings": 3, "conference": 3, "incollection": 2, "book": 2}
_VENUE_STOP = frozenset(["of", "the", "on", "in", "and", "for", "a", "an", "at"])


def _arxiv_key(arxiv_id: str) -> str:
    """``arXiv:2101.00001v2`` -> ``2101.00001``: versions of one preprint are one paper."""
    value = arxiv_id.strip().lower()
    if value.startswith("arxiv:"):
        value = value[6:]
    return _ARXIV_VERSION_RE.sub("", value.strip())


def _roman(token: str) -> int:
    total = 0
    for ch, nxt in zip(token, [*token[1:], ""], strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt and _ROMAN_VALUES[nxt] > value else value
    return total


def _scan_numbers(title: str) -> list[tuple[str, str]]:
    """``(value, as written)`` for each number in a title (see :func:`title_numbers`)."""
    if "\\" in title or "{" in title:
        title = strip_braces(latex_to_unicode(title))
    found: list[tuple[str, str]] = []
    previous = ""
    for token in _WORD_RE.findall(unicodedata.normalize("NFKC", title)):
        low = token.lower()
        after_part = previous in _PART_WORDS
        if not token.isalpha() and _DIGITS_RE.search(token):
            found.extend((str(int(d)), token) for d in _DIGITS_RE.findall(token))
        elif low in _WORD_NUMBERS:  # "first quarterly report" vs "fourth quarterly report"
            found.append((str(_WORD_NUMBERS[low]), token))
        elif (
            token.isupper()
            and _ROMAN_RE.match(token)
            and (
                (after_part and token not in ("C", "D", "L", "M"))
                or (len(token) > 1 and set(token) <= {"I", "V", "X"})
            )
        ):
            found.append((str(_roman(token)), token))
        elif after_part and len(token) == 1 and token.isupper():
            found.append((token, token))  # Part A / Part B
        previous = low
    return found


def title_numbers(title: str) -> tuple[str, ...]:
    """The numbers a title carries, sorted: digits, roman numerals, number words, "Part B".

    ``Part II`` -> ("2",), ``GPT-4 in 2023`` -> ("2023", "4"), ``Web 2.0`` -> ("0", "2"),
    ``first quarterly report`` -> ("1",). A lone ``I`` counts only after a word such as
    *Part*/*Volume* (otherwise it is the pronoun); other roman numerals only when made of I, V
    and X (``CV``, ``XL`` are acronyms); a capital letter only after such a word.
    """
    return tuple(sorted(value for value, _ in _scan_numbers(title)))


def notice_kind(key: str) -> str:
    """``paper``, or ``erratum``/``retraction``/``comment`` for notices about another paper."""
    words = key.split()
    for word in words:
        if word in _NOTICE_WORDS:
            return _NOTICE_WORDS[word]
    for prefix, kind in _NOTICE_PREFIXES:
        if key == prefix or key.startswith(prefix + " "):
            return kind
    return "paper"


def is_generic_title(key: str) -> bool:
    """Front/back matter titles ("Preface", "Keynote talk", "Introduction to the special issue")."""
    first = key.split(" ", 1)[0]
    if first not in _GENERIC_FIRST and not first.isdigit():
        return False
    words = [w for w in key.split() if not w.isdigit()]
    if not words:
        return bool(key)
    if " ".join(words) in GENERIC_TITLES:
        return True
    return words[0] in _GENERIC_HEADS and all(w in _GENERIC_FILLER for w in words[1:])


def _first_page(pages: str) -> str:
    match = _DIGITS_RE.search(pages)
    return match.group(0).lstrip("0") or "0" if match else ""


def _first_number(value: str) -> str:
    match = _DIGITS_RE.search(value)
    return match.group(0).lstrip("0") or "0" if match else ""


@dataclass(frozen=True, slots=True)
class DedupItem:
    """What dedup needs to know about one record (cheap to build, hashable, DB-free).

    ``venue`` is the resolved venue short name when known (``SIGMOD``), else the folded venue
    text; ``venue_kind`` is the registry kind (conference, journal, workshop, preprint, book,
    thesis, report, other) or "" when unknown. ``author_keys`` are ``names.name_match_key``
    values ("family|initial"; the editors' when there are no authors); ``authors_truncated``
    means the list ended in ``and others``.
    ``doi_text`` is a ``doi`` field the importer could not read as a DOI (``doi = {1.1}``):
    two records with the same such text count like a shared DOI, a different one proves
    nothing.

    An import keeps one item per paper (100k and more), so items are small: slots instead of
    an instance dict, only the blocking keys derived up front (``publisher_doi``, ``arxiv``,
    ``nospace_key``, ``generic``), and what only scoring needs either recomputed on use
    (``words``, ``first_page``, ``is_preprint``) or, when dearer, cached on first use
    (``numbers``, ``notice``): only the few records that meet a candidate ever need those.
    """

    id: int | str
    key: str = ""
    title_key: str = ""
    title: str = ""
    year: int | None = None
    doi: str = ""
    arxiv_id: str = ""
    entry_type: str = ""
    venue: str = ""
    venue_kind: str = ""
    author_keys: tuple[str, ...] = ()
    authors_truncated: bool = False
    pages: str = ""
    volume: str = ""
    number: str = ""
    doi_text: str = ""

    # Derived from the fields above by __post_init__ (and so not compared or shown).
    # The DOI unless it is an arXiv (DataCite 10.48550) DOI, lower case.
    publisher_doi: str = field(init=False, repr=False, compare=False)
    # Version-free arXiv id, from ``arxiv_id`` or an arXiv DOI.
    arxiv: str = field(init=False, repr=False, compare=False)
    # The title key without spaces ("pre-training" ~ "pretraining"): the exact title block.
    nospace_key: str = field(init=False, repr=False, compare=False)
    # A front/back-matter title ("Preface"): see is_generic_title.
    generic: bool = field(init=False, repr=False, compare=False)
    # Caches behind ``numbers`` and ``notice`` (None: not computed yet).
    _numbers: tuple[str, ...] | None = field(default=None, init=False, repr=False, compare=False)
    _notice: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # the class is frozen
        # A derived value equal to its field reuses the field's string (one copy per item).
        lower = self.doi.lower()
        arxiv_doi = _ARXIV_DOI_RE.match(lower)
        set_(self, "publisher_doi", "" if arxiv_doi else self.doi if lower == self.doi else lower)
        if self.arxiv_id:
            arxiv = _arxiv_key(self.arxiv_id)
            set_(self, "arxiv", self.arxiv_id if arxiv == self.arxiv_id else arxiv)
        else:
            set_(self, "arxiv", _arxiv_key(arxiv_doi.group(1)) if arxiv_doi else "")
        set_(self, "nospace_key", self.title_key.replace(" ", ""))
        set_(self, "generic", is_generic_title(self.title_key))

    def __copy__(self) -> DedupItem:
        """A slot-by-slot copy, cached values included (the importer re-ids an item with
        ``copy.copy``; the generic path through ``__getstate__`` is three times slower)."""
        twin = object.__new__(DedupItem)
        for name, value in zip(_ITEM_SLOTS, _item_values(self), strict=True):
            object.__setattr__(twin, name, value)
        return twin

    @property
    def is_preprint(self) -> bool:
        """Registry kind ``preprint``; without a kind: an arXiv id, no publisher DOI and no
        venue other than arXiv/CoRR."""
        if self.venue_kind:
            return self.venue_kind == "preprint"
        if not self.arxiv or self.publisher_doi:
            return False
        return not self.venue or bool(_PREPRINT_VENUE_RE.search(self.venue))

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.title_key.split())

    @property
    def numbers(self) -> tuple[str, ...]:
        """The numbers the title carries (:func:`title_numbers`), cached."""
        if self._numbers is None:
            object.__setattr__(self, "_numbers", title_numbers(self.title or self.title_key))
        return self._numbers

    @property
    def notice(self) -> str:
        """``paper`` or the kind of notice the title announces (:func:`notice_kind`), cached."""
        if self._notice is None:
            object.__setattr__(self, "_notice", notice_kind(self.title_key))
        return self._notice

    @property
    def first_page(self) -> str:
        return _first_page(self.pages)


_ITEM_SLOTS: tuple[str, ...] = DedupItem.__slots__
_item_values = operator.attrgetter(*_ITEM_SLOTS)


@functools.lru_cache(maxsize=8192)
def _folded_venue(text: str) -> str:
    """``fold(text)``, interned: venue texts repeat across records (and fold is not cheap)."""
    return sys.intern(fold(text))


def _infer_venue_kind(venue_text: str, entry_type: str, arxiv: str, doi: str) -> str:
    venue = _folded_venue(venue_text) if venue_text else ""
    arxiv_only = arxiv and not (doi and not _ARXIV_DOI_RE.match(doi))
    if arxiv_only and (not venue or _PREPRINT_VENUE_RE.search(venue)):
        return "preprint"
    if _WORKSHOP_RE.search(venue):
        return "workshop"
    return _KIND_BY_TYPE.get(entry_type.lower(), "")


# The length of the ``papers.title_key`` column: stored keys are cut there, so incoming ones
# are too (two 600-character titles must compare the same whichever side they are on).
TITLE_KEY_LENGTH = 500


def build_item(
    id: int | str,
    *,
    key: str = "",
    title: str = "",
    title_key_value: str | None = None,
    year: int | None = None,
    doi: str = "",
    arxiv_id: str = "",
    entry_type: str = "",
    venue_short: str = "",
    venue_text: str = "",
    venue_kind: str = "",
    author_keys: Sequence[str] = (),
    editor_keys: Sequence[str] = (),
    authors_truncated: bool = False,
    pages: str = "",
    volume: str = "",
    number: str = "",
    doi_field: str = "",
) -> DedupItem:
    """The one place a :class:`DedupItem` is made. :func:`item_from_record` (incoming records)
    and ``dedup_service.load_items`` (stored papers) both call it, so the two sides of an
    import's comparison cannot drift apart.

    ``title_key_value`` is a title key already computed (the stored column), else it is made
    from ``title``. ``venue_short`` is the resolved venue's short name (or a hint such as
    ``abbr``), else the venue text stands in. ``venue_kind`` "" or "other" (which says nothing)
    is guessed from the venue text and entry type (article -> journal, inproceedings ->
    conference, "workshop" in the name -> workshop, arXiv-only -> preprint). ``editor_keys``
    stand in for the authors of an edited volume. ``doi_field`` is the raw ``doi`` field,
    used only when ``doi`` is empty (a value the reader could not read as a DOI).
    """
    doi = normalize_doi(doi) if doi else ""
    arxiv = _arxiv_key(arxiv_id) if arxiv_id else ""
    if not arxiv and (match := _ARXIV_DOI_RE.match(doi)):
        arxiv = _arxiv_key(match.group(1))
    venue = venue_short or venue_text
    doi_text = "" if doi or not doi_field else fold(doi_field)
    if title_key_value is None:
        title_key_value = title_key(title) if title else ""
    if not venue_kind or venue_kind == "other":
        venue_kind = _infer_venue_kind(venue_text, entry_type, arxiv, doi)
    # Kinds, entry types, people, volumes and issue numbers (and venues) repeat across
    # records: one string each (interned) instead of one per item.
    intern = sys.intern
    return DedupItem(
        id=id,
        key=key,
        title_key=title_key_value[:TITLE_KEY_LENGTH],
        title=title,
        year=year,
        doi=doi,
        arxiv_id=arxiv,
        entry_type=intern(entry_type.lower()),
        venue=_folded_venue(venue) if venue else "",
        venue_kind=intern(venue_kind),
        # An edited volume is compared by its editors when it has no authors.
        author_keys=tuple(map(intern, author_keys or editor_keys)),
        authors_truncated=authors_truncated,
        pages=pages,
        volume=intern(volume),
        number=intern(number),
        doi_text=doi_text if doi_text and any(ch.isdigit() for ch in doi_text) else "",
    )


def item_from_record(
    id: int | str, rec: BibRecord, venue_short: str = "", venue_kind: str = ""
) -> DedupItem:
    """Build the dedup view of a record. ``venue_short``/``venue_kind`` come from the venue
    registry when the caller resolved the venue; otherwise the record's venue hint (``abbr``),
    its venue text and its entry type stand in (see :func:`build_item`)."""
    return build_item(
        id,
        key=rec.key,
        title=rec.title,
        year=rec.year,
        doi=rec.doi,
        arxiv_id=rec.arxiv_id,
        entry_type=rec.entry_type,
        venue_short=venue_short or rec.venue_hint,
        venue_text=rec.venue_text,
        venue_kind=venue_kind,
        author_keys=[name_match_key(a.name) for a in rec.authors],
        editor_keys=[name_match_key(name) for name in rec.editors],
        authors_truncated=rec.authors_truncated,
        pages=rec.pages,
        volume=rec.volume,
        number=rec.number,
        doi_field=rec.fields.get("doi", ""),
    )


@dataclass(frozen=True)
class Decision:
    """The verdict on one pair with its 0-100 score and the reasons a human reads.

    ``conflict`` is true when the pair shows evidence of being two distinct works (a guard
    fired, or different venue and year), as opposed to merely too little evidence; a cluster
    never joins two records whose pair has a conflict.
    """

    verdict: Verdict
    score: float
    reasons: tuple[str, ...]
    conflict: bool = False


def _fmt(value: float) -> str:
    return f"{value:.0f}"


def _author_overlap(a: Sequence[str], b: Sequence[str]) -> int:
    """People in common, each matched once; ``family|`` (no given name) matches any initial."""
    remaining = list(b)
    matched = 0
    for key in a:
        if key in remaining:
            remaining.remove(key)
            matched += 1
            continue
        family, _, initial = key.partition("|")
        for idx, other in enumerate(remaining):
            other_family, _, other_initial = other.partition("|")
            if other_family == family and (not initial or not other_initial):
                del remaining[idx]
                matched += 1
                break
    return matched


def _venue_tokens(venue: str) -> list[str]:
    return [w for w in _WORD_RE.findall(venue) if w not in _VENUE_STOP and not w.isdigit()]


def _abbreviates(short: Sequence[str], long: Sequence[str]) -> bool:
    """Each word of ``short`` starts a word of ``long``, in order (``trans``: ``transactions``)."""
    if len(short) > len(long):
        return False
    pos = 0
    for word in short:
        while pos < len(long) and not long[pos].startswith(word):
            pos += 1
        if pos == len(long):
            return False
        pos += 1
    return True


def venues_compatible(a: str, b: str) -> bool | None:
    """True if two venue texts can name the same venue (``Proc. VLDB Endow.`` ~ ``Proceedings
    of the VLDB Endowment``, ``TKDE`` ~ ``IEEE Transactions on Knowledge and Data
    Engineering``), False if they cannot, None if unknown: either is empty, or one is a bare
    word whose letters the other's words contain in order (``SIGMOD`` vs ``International
    Conference on Management of Data``), which only the venue registry can settle."""
    if not a or not b:
        return None
    if a == b:
        return True
    ta, tb = _venue_tokens(a), _venue_tokens(b)
    if not ta or not tb:
        return None
    if _abbreviates(ta, tb) or _abbreviates(tb, ta):
        return True
    short, long = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(short) == 1 and len(long) > 1 and len(short[0]) >= 2:
        if len(short[0]) >= 3 and short[0] in "".join(w[0] for w in long):
            return True  # an acronym: tkde
        whole = b if short is ta else a
        if _is_subsequence(short[0], "".join(_WORD_RE.findall(whole))):
            return None  # could be its short name (xloop, sigmod); NASA is not ApJ's
    return False


def _is_subsequence(short: str, text: str) -> bool:
    """Each letter of ``short`` appears in ``text`` in order (``xloop`` in ``extreme...loop``)."""
    rest = iter(text)
    return all(ch in rest for ch in short)


def _ignorable_word(word: str) -> bool:
    """Stop words, and numbers (the number guard has already compared those: Part I = part 1)."""
    return (
        word in _STOPWORDS
        or word.isdigit()
        or word in _WORD_NUMBERS
        or (set(word) <= {"i", "v", "x"} and bool(_ROMAN_RE.match(word.upper())))
    )


def _word_difference(a: DedupItem, b: DedupItem) -> tuple[list[str], list[str]]:
    """Content words left over on each side after pairing misspellings (ratio >= TYPO_WORD_MIN)."""
    ca = Counter(w for w in a.words if not _ignorable_word(w))
    cb = Counter(w for w in b.words if not _ignorable_word(w))
    left_a = list((ca - cb).elements())
    left_b = list((cb - ca).elements())
    for word in list(left_a):
        best, best_score = None, 0.0
        for other in left_b:
            score = fuzz.ratio(word, other)
            if score > best_score:
                best, best_score = other, score
        if best is not None and best_score >= TYPO_WORD_MIN:
            left_a.remove(word)
            left_b.remove(best)
    return left_a, left_b


def title_similarity(a: DedupItem, b: DedupItem) -> float:
    """0-100: equal keys (also ignoring spaces, "pre-training" ~ "pretraining") give 100."""
    if not a.title_key or not b.title_key:
        return 0.0
    if a.title_key == b.title_key or a.nospace_key == b.nospace_key:
        return 100.0
    return fuzz.ratio(a.title_key, b.title_key)


def _is_prefix_title(a: DedupItem, b: DedupItem) -> bool:
    """One title is the other plus a subtitle ("X" vs "X: a study of Y")."""
    short, long = (a, b) if len(a.words) <= len(b.words) else (b, a)
    return len(short.words) >= SHORT_TITLE_WORDS and long.words[: len(short.words)] == short.words


def _kind_label(item: DedupItem) -> str:
    return item.venue_kind or item.entry_type or "unknown"


def _doi_volume_pair(x: str, y: str) -> bool:
    """A book/proceedings DOI and one of its chapters' DOIs (10.1007/978-3-030-1_12)."""
    short, long = sorted((x, y), key=len)
    return long.startswith(short) and long[len(short) : len(short) + 1] in ("_", ".", "-")


def score_pair(a: DedupItem, b: DedupItem, threshold: float = SAME_SCORE) -> Decision:
    """Decide whether two records are the same paper, with score and reasons (see module)."""
    reasons: list[str] = []
    cap: Verdict = "same"  # the best verdict the evidence allows so far
    conflict = False

    def limit(verdict: Verdict, reason: str, *, distinct: bool = True) -> None:
        nonlocal cap, conflict
        reasons.append(reason)
        order = ("different", "possible", "same")
        if order.index(verdict) < order.index(cap):
            cap = verdict
        conflict = conflict or distinct

    def different(reason: str) -> Decision:
        return Decision("different", 0.0, (*reasons, reason), True)

    # 1. Notices about a paper are never the paper.
    if a.notice != b.notice:
        return different(
            f"{a.notice if a.notice != 'paper' else b.notice} vs paper"
            if "paper" in (a.notice, b.notice)
            else f"{a.notice} vs {b.notice}"
        )

    ts = title_similarity(a, b)
    numbers_differ = bool(a.title_key and b.title_key) and a.numbers != b.numbers

    # 2. Identifiers: the same DOI / arXiv id settles it unless the titles contradict it.
    same_id = ""
    if a.publisher_doi and a.publisher_doi == b.publisher_doi:
        same_id = f"same DOI {a.publisher_doi}"
    elif a.arxiv and a.arxiv == b.arxiv:
        same_id = f"same arXiv id {a.arxiv}"
    elif a.doi_text and a.doi_text == b.doi_text:
        same_id = f"same doi field {a.doi_text!r}"
    if same_id:
        reasons.append(same_id)
        if a.title_key and b.title_key:
            loose = max(ts, fuzz.token_set_ratio(a.title_key, b.title_key))
            if loose < DOI_TITLE_MIN:
                limit("possible", f"{same_id} but titles differ ({_fmt(loose)}% similar)")
            elif numbers_differ:
                limit("possible", f"{same_id} but {_numbers_reason(a, b)}")
            else:
                reasons.append(f"titles {_fmt(ts)}% similar")
        if a.is_preprint != b.is_preprint:
            reasons.append(f"preprint of {_label(b if a.is_preprint else a)}")
        score = 100.0
        verdict: Verdict = cap if score >= threshold else "possible"
        return Decision(verdict, score, tuple(reasons), conflict)

    if a.publisher_doi and b.publisher_doi:
        if not _doi_volume_pair(a.publisher_doi, b.publisher_doi):
            return different(f"different DOIs {a.publisher_doi} vs {b.publisher_doi}")
        reasons.append(f"DOIs {a.publisher_doi} and {b.publisher_doi} look like volume and part")
    if a.arxiv and b.arxiv:
        return different(f"different arXiv ids {a.arxiv} vs {b.arxiv}")

    # 3. Titles.
    if not a.title_key or not b.title_key:
        return different("no title to compare")
    prefix = ts < TITLE_CANDIDATE_MIN and _is_prefix_title(a, b)
    if ts < TITLE_CANDIDATE_MIN and not prefix:
        return different(f"titles only {_fmt(ts)}% similar")
    if numbers_differ:
        return different(_numbers_reason(a, b))
    reasons.append(f"titles {_fmt(ts)}% similar")
    score = ts
    if prefix:
        score = max(score, TITLE_CANDIDATE_MIN)
        limit("possible", "one title is the other with a subtitle")
    elif ts < 100.0:
        left_a, left_b = _word_difference(a, b)
        if left_a and left_b:
            limit(
                "possible", f"titles differ in words: {' '.join(left_a)!r} vs {' '.join(left_b)!r}"
            )
        elif left_a or left_b:
            limit("possible", f"one title has extra words: {' '.join(left_a or left_b)!r}")

    same_type_group = _type_group(a) == _type_group(b)
    if not same_type_group:
        limit("possible", f"{_type_group(a)} vs {_type_group(b)} with the same title")

    # 4. Volume / issue numbers of the same kind of entry (bibtex-tidy issue #364).
    if a.entry_type == b.entry_type:
        for name, x, y in (("volumes", a.volume, b.volume), ("issue numbers", a.number, b.number)):
            nx, ny = _first_number(x), _first_number(y)
            if nx and ny and nx != ny:
                return different(f"{name} differ ({x} vs {y})")

    # 5. Authors.
    if a.author_keys and b.author_keys:
        matched = _author_overlap(a.author_keys, b.author_keys)
        shorter = min(len(a.author_keys), len(b.author_keys))
        ratio = matched / shorter
        truncated = " (one list truncated)" if a.authors_truncated or b.authors_truncated else ""
        overlap = f"authors overlap {matched}/{shorter} (family+initial){truncated}"
        if matched == 0:
            return different(f"no authors in common (0/{shorter})")
        score -= AUTHOR_WEIGHT * (1.0 - ratio)
        if ratio < AUTHOR_MIN_OVERLAP:
            limit("possible", overlap)
        else:
            reasons.append(overlap)
        if not (a.authors_truncated or b.authors_truncated) and len(a.author_keys) != len(
            b.author_keys
        ):
            reasons.append(f"author counts differ ({len(a.author_keys)} vs {len(b.author_keys)})")
    else:
        score -= 8.0
        limit("possible", "no authors to compare", distinct=False)

    # 6. Years, with the preprint allowance.
    preprint_pair = a.is_preprint != b.is_preprint
    venue_ok = venues_compatible(a.venue, b.venue)
    kinds_differ = bool(a.venue_kind and b.venue_kind and a.venue_kind != b.venue_kind)
    venue_differs = venue_ok is False or (kinds_differ and venue_ok is not True)
    if a.year is not None and b.year is not None:
        gap = abs(a.year - b.year)
        if preprint_pair:
            pre, pub = (a, b) if a.is_preprint else (b, a)
            lead = pub.year - pre.year  # type: ignore[operator]
            if -YEAR_TOLERANCE <= lead <= PREPRINT_MAX_LEAD:
                # Half a point per year of lead, two for a preprint posted after publication,
                # so that a preprint between a workshop paper and its journal extension
                # attaches to the later publication.
                score -= 0.5 * lead if lead >= 0 else 2.0
                reasons.append(f"preprint of {_label(pub)}")
                reasons.append(f"years {pre.year}/{pub.year}: preprint may precede publication")
            else:
                score -= min(10.0, 2.0 * gap)
                limit("possible", f"preprint {pre.year} too far from publication {pub.year}")
        elif gap == 0:
            reasons.append(f"same year {a.year}")
        elif venue_differs:
            score -= min(10.0, 2.0 * gap)
            limit(
                "possible",
                f"same title, different venue ({_kind_label(a)} vs {_kind_label(b)}) and year "
                f"({a.year}/{b.year}) → possible duplicate (extended version?)",
            )
        elif gap <= YEAR_TOLERANCE:
            score -= 2.0
            reasons.append(f"years {a.year}/{b.year} within {YEAR_TOLERANCE}")
        else:
            score -= min(10.0, 2.0 * gap)
            limit("possible", f"years {a.year}/{b.year} more than {YEAR_TOLERANCE} apart")
    else:
        score -= 3.0
        reasons.append("year unknown")
        if min(len(a.words), len(b.words)) < SHORT_TITLE_WORDS:
            limit("possible", "short title and no year to confirm", distinct=False)
        if venue_differs and not preprint_pair:
            # Without both years the venue/year rule cannot clear them: a workshop paper and
            # its journal version look exactly like this (distinct if the pages differ too).
            pages_differ = a.first_page and b.first_page and a.first_page != b.first_page
            limit(
                "possible",
                f"same title, different venue ({_kind_label(a)} vs {_kind_label(b)}), year "
                "unknown → possible duplicate (extended version?)",
                distinct=bool(pages_differ),
            )

    if venue_differs and not preprint_pair and a.year == b.year and a.year is not None:
        reasons.append(
            f"venues differ ({a.venue or _kind_label(a)} vs {b.venue or _kind_label(b)})"
        )

    # 7. Pages.
    if a.first_page and b.first_page:
        if a.first_page == b.first_page:
            reasons.append(f"same first page {a.first_page}")
            score = min(100.0, score + 2.0)
        else:
            score -= 3.0
            reasons.append(f"pages differ ({a.pages} vs {b.pages})")

    # 8. Generic titles never merge on title alone (a DOI would have returned above).
    if a.generic or b.generic:
        label = a.title or a.title_key
        if a.year == b.year and venue_ok is not False and cap != "different":
            limit("possible", f"generic title {label!r} needs DOI")
        else:
            return different(f"generic title {label!r} needs DOI")

    score = max(0.0, min(100.0, score))
    if cap == "same" and score < threshold:
        cap = "possible"
        reasons.append(f"score {_fmt(score)} below threshold {_fmt(threshold)}")
    if cap == "possible" and score < POSSIBLE_SCORE:
        cap = "different"
    return Decision(cap, round(score, 1), tuple(reasons), conflict)


def _numbers_reason(a: DedupItem, b: DedupItem) -> str:
    def written(item: DedupItem) -> tuple[str, bool]:
        found = _scan_numbers(item.title or item.title_key)
        spelled = any(not any(ch.isdigit() for ch in t) for _, t in found)  # II, One
        return " ".join(t for _, t in found) or "none", spelled

    (wa, part_a), (wb, part_b) = written(a), written(b)
    what = "part numbers" if part_a or part_b else "numbers in titles"
    return f"{what} differ ({wa} vs {wb})"


def _type_group(item: DedupItem) -> str:
    if item.entry_type in _THESIS_TYPES or item.venue_kind == "thesis":
        return "thesis"
    if item.entry_type in _BOOK_TYPES:
        return "book"
    return "paper"


def _label(item: DedupItem) -> str:
    return item.key or str(item.id)


def _survivor_rank(item: DedupItem) -> tuple:
    return (
        not item.is_preprint,
        bool(item.publisher_doi),
        _ENTRY_RANK.get(item.entry_type, 1 if item.entry_type not in _PREPRINT_TYPES else 0),
        bool(item.venue),
        bool(item.first_page),
        not item.authors_truncated,
        len(item.author_keys),
        item.year is not None,
    )


def choose_survivor(a: DedupItem, b: DedupItem) -> DedupItem:
    """The record that stays when ``a`` and ``b`` merge (the other's key becomes an alias).

    A published version beats a preprint (so a journal paper arriving after its arXiv preprint
    takes over the record); then a publisher DOI, a proper entry type, a venue, pages, a
    complete and longer author list. On a tie ``a`` (the record already stored) stays.
    """
    return b if _survivor_rank(b) > _survivor_rank(a) else a


# --------------------------------------------------------------------------------------------
# Candidate blocking
# --------------------------------------------------------------------------------------------


def _block_pairs(members: Sequence[int], items: Sequence[DedupItem]) -> Iterator[tuple[int, int]]:
    """All pairs in a small block; a sliding window over (year, first author) in a big one."""
    if len(members) <= MAX_BLOCK:
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                yield members[x], members[y]
        return
    ordered = sorted(
        members,
        key=lambda m: (items[m].year or 0, items[m].author_keys[:1], items[m].title_key),
    )
    for x in range(len(ordered)):
        for y in range(x + 1, min(x + 1 + MAX_BLOCK, len(ordered))):
            yield ordered[x], ordered[y]


def _years_near(a: DedupItem, b: DedupItem) -> bool:
    return a.year is None or b.year is None or abs(a.year - b.year) <= YEAR_WINDOW


def _title_block(item: DedupItem, *, nospace: bool = False) -> str:
    """The exact-title block key. Generic titles ("Preface") are common: they are blocked per
    year, the only way they can end up "possible" without a DOI."""
    key = item.nospace_key if nospace else item.title_key
    return f"{key}\0{item.year}" if item.generic else key


def _prefix_words(short: str, long: str) -> bool:
    return (
        long.startswith(short)
        and long[len(short) : len(short) + 1] == " "
        and short.count(" ") >= SHORT_TITLE_WORDS - 1
    )


# The three sort orders of the sorted-neighbourhood step.
_ORDERS: tuple[Callable[[str], str], ...] = (
    lambda k: k,  # typos late in the title; a title followed by its subtitled form
    lambda k: k[::-1],  # typos early in the title ("Cmopression ...")
    lambda k: " ".join(sorted(k.split())),  # words moved around
)


# Indel.normalized_similarity is fuzz.ratio / 100, and twice as fast through process.extract,
# but it can round the other way exactly at the cutoff (4 of 5 letters: 0.7999... vs 80.0):
# it preselects with a hair's lower cutoff and fuzz.ratio confirms the (few) hits.
_PRESELECT_CUTOFF = TITLE_CANDIDATE_MIN / 100 - 1e-6


def _similar_titles(text: str, others: Sequence[str]) -> list[int]:
    """Positions in ``others`` whose ``fuzz.ratio`` with ``text`` is >= TITLE_CANDIDATE_MIN,
    best first (then in order): what ``process.extract`` with ``fuzz.ratio`` gives."""
    hits = []
    for other, _, pos in process.extract(
        text, others, scorer=Indel.normalized_similarity, score_cutoff=_PRESELECT_CUTOFF, limit=None
    ):
        score = fuzz.ratio(text, other, score_cutoff=TITLE_CANDIDATE_MIN)
        if score:
            hits.append((-score, pos))
    hits.sort()
    return [pos for _, pos in hits]


def find_candidates(items: Sequence[DedupItem]) -> Iterator[tuple[int, int]]:
    """Pairs of positions ``(i, j)``, ``i < j``, worth scoring; each pair once.

    Blocks: the same publisher DOI; the same arXiv id (also from an arXiv DOI); the same
    unreadable ``doi`` text; the same title key (or the same key ignoring spaces; generic
    titles per year). Then the distinct title keys sorted three ways (plain, reversed,
    word-sorted), each compared with its next WINDOW keys by ``fuzz.ratio`` (>=
    TITLE_CANDIDATE_MIN; in plain order also a title followed by its subtitled form), pairing
    the records of both keys whose years are within YEAR_WINDOW. Generic titles take part only
    through the exact blocks. Blocks larger than MAX_BLOCK are windowed (``_block_pairs``).
    """
    seen: set[tuple[int, int]] = set()

    def emit(x: int, y: int) -> Iterator[tuple[int, int]]:
        pair = (x, y) if x < y else (y, x)
        if x != y and pair not in seen:
            seen.add(pair)
            yield pair

    by_doi: dict[str, list[int]] = defaultdict(list)
    by_doi_text: dict[str, list[int]] = defaultdict(list)
    by_arxiv: dict[str, list[int]] = defaultdict(list)
    by_title: dict[str, list[int]] = defaultdict(list)
    by_nospace: dict[str, list[int]] = defaultdict(list)
    for pos, item in enumerate(items):
        if item.publisher_doi:
            by_doi[item.publisher_doi].append(pos)
        if item.arxiv:
            by_arxiv[item.arxiv].append(pos)
        if item.doi_text:
            by_doi_text[item.doi_text].append(pos)
        if item.title_key:
            by_title[_title_block(item)].append(pos)
            by_nospace[_title_block(item, nospace=True)].append(pos)

    for blocks in (by_doi, by_arxiv, by_doi_text, by_title, by_nospace):
        for members in blocks.values():
            if len(members) > 1:
                for x, y in _block_pairs(members, items):
                    yield from emit(x, y)

    # Sorted neighbourhood over distinct, non-generic title keys, in three orders.
    keys = [k for k, members in by_title.items() if not items[members[0]].generic]
    for number, order in enumerate(_ORDERS):
        entries = sorted((order(k), k) for k in keys)
        texts = [text for text, _ in entries]
        near: list[tuple[int, int]] = []
        for x, text in enumerate(texts):
            # One batched call per key (twice as fast as WINDOW separate fuzz.ratio calls).
            hits = _similar_titles(text, texts[x + 1 : x + 1 + WINDOW])
            near.extend((x, x + 1 + offset) for offset in hits)
            if number == 0:  # in plain order a title's subtitled forms follow it directly
                y = x + 1
                while y < len(texts) and y <= x + WINDOW and _prefix_words(text, texts[y]):
                    near.append((x, y))
                    y += 1
        for x, y in near:
            for i in by_title[entries[x][1]]:
                for j in by_title[entries[y][1]]:
                    if _years_near(items[i], items[j]):
                        yield from emit(i, j)


T = TypeVar("T")


class _SortedList(Generic[T]):
    """Distinct values in sorted order, kept in chunks of at most ``2 * CHUNK``: adding or
    removing one moves part of a chunk, not half the list (``bisect.insort`` into one list
    per sort order cost ~3 s over an import of 100k records, most of it moving memory)."""

    CHUNK = 256

    def __init__(self, values: Iterable[T] = ()) -> None:
        ordered = sorted(values)
        self._chunks = [ordered[i : i + self.CHUNK] for i in range(0, len(ordered), self.CHUNK)]
        self._lasts = [chunk[-1] for chunk in self._chunks]

    def __len__(self) -> int:
        return sum(map(len, self._chunks))

    def __iter__(self) -> Iterator[T]:
        for chunk in self._chunks:
            yield from chunk

    def _chunk_of(self, value: T) -> int:
        """The chunk ``value`` sorts into: the first whose last value is not below it."""
        return min(bisect.bisect_left(self._lasts, value), len(self._chunks) - 1)

    def add(self, value: T) -> None:
        if not self._chunks:
            self._chunks.append([value])
            self._lasts.append(value)
            return
        at = self._chunk_of(value)
        chunk = self._chunks[at]
        bisect.insort(chunk, value)
        self._lasts[at] = chunk[-1]
        if len(chunk) > 2 * self.CHUNK:
            half = len(chunk) // 2
            self._chunks[at : at + 1] = [chunk[:half], chunk[half:]]
            self._lasts[at : at + 1] = [chunk[half - 1], chunk[-1]]

    def remove(self, value: T) -> None:
        """Remove ``value`` (no error if absent)."""
        if not self._chunks:
            return
        at = self._chunk_of(value)
        chunk = self._chunks[at]
        pos = bisect.bisect_left(chunk, value)
        if pos < len(chunk) and chunk[pos] == value:
            del chunk[pos]
            if chunk:
                self._lasts[at] = chunk[-1]
            else:
                del self._chunks[at], self._lasts[at]

    def around(self, value: T, count: int) -> tuple[list[T], int]:
        """The ``count`` values before the place where ``value`` sorts and the ``count`` from
        there on, as one list and where the second part starts: ``ordered[max(0, pos -
        count) : pos + count]`` of the whole sorted list and ``min(pos, count)``."""
        chunks = self._chunks
        if not chunks:
            return [], 0
        at = self._chunk_of(value)
        chunk = chunks[at]
        pos = bisect.bisect_left(chunk, value)
        if count <= pos <= len(chunk) - count:  # within one chunk (nearly always)
            return chunk[pos - count : pos + count], count
        before = chunk[max(0, pos - count) : pos]
        previous = at
        while len(before) < count and previous > 0:
            previous -= 1
            before = chunks[previous][len(before) - count :] + before
        after = chunk[pos : pos + count]
        following = at
        while len(after) < count and following + 1 < len(chunks):
            following += 1
            after += chunks[following][: count - len(after)]
        return before + after, len(before)


# An exact block (one DOI, arXiv id, doi text or title) holds one item, or a list of them
# when several records share the value: most blocks hold one, and a list each would cost
# ~80 bytes per record and block.
_Block = DedupItem | list[DedupItem]


def _block_add(blocks: dict[str, _Block], value: str, item: DedupItem) -> None:
    members = blocks.get(value)
    if members is None:
        blocks[value] = item
    elif isinstance(members, list):
        members.append(item)
    else:
        blocks[value] = [members, item]


def _block_remove(blocks: dict[str, _Block], value: str, item: DedupItem) -> None:
    members = blocks.get(value)
    if members is item:
        del blocks[value]
    elif isinstance(members, list):
        for pos, member in enumerate(members):
            if member is item:
                del members[pos]
                break
        if len(members) == 1:
            blocks[value] = members[0]


def _block_members(blocks: dict[str, _Block], value: str) -> Sequence[DedupItem]:
    members = blocks.get(value)
    if members is None:
        return ()
    return members if isinstance(members, list) else (members,)


_first = operator.itemgetter(0)


def _sorted_words(title_key: str) -> str:
    return " ".join(sorted(title_key.split()))


class DedupIndex:
    """Incremental candidate lookup for import: the best match of one new record among the
    stored ones (and those imported so far), with the same blocks as :func:`find_candidates`.

    ``add`` and ``discard`` keep it current while an import merges and inserts. The exact
    blocks are dicts from a DOI, arXiv id, unreadable doi text or space-free title key
    (generic titles: per year) to the item(s) that have it. The fuzzy step keeps the distinct
    non-generic title keys sorted in the three orders of ``_ORDERS`` (:class:`_SortedList`:
    the key, the key reversed, and ``(word-sorted key, key)``) and looks at the WINDOW keys
    on each side of where the new title sorts in each.
    """

    def __init__(self, items: Iterable[DedupItem] = (), threshold: float = SAME_SCORE) -> None:
        self.threshold = threshold
        self._items: dict[int | str, DedupItem] = {}
        self._doi: dict[str, _Block] = {}
        self._arxiv: dict[str, _Block] = {}
        self._doi_text: dict[str, _Block] = {}
        self._title: dict[str, _Block] = {}  # by _title_block(item, nospace=True)
        self._plain: _SortedList[str] = _SortedList()
        self._reversed: _SortedList[str] = _SortedList()
        self._by_words: _SortedList[tuple[str, str]] = _SortedList()
        # While loading: collect the title keys, then sort once (adding one by one is slower).
        self._loading: list[str] | None = []
        for item in items:
            self.add(item)
        keys, self._loading = self._loading, None
        self._plain = _SortedList(keys)
        self._reversed = _SortedList(key[::-1] for key in keys)
        self._by_words = _SortedList((_sorted_words(key), key) for key in keys)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, ident: object) -> bool:
        return ident in self._items

    def _exact_blocks(self, item: DedupItem) -> Iterator[tuple[dict[str, _Block], str]]:
        if item.publisher_doi:
            yield self._doi, item.publisher_doi
        if item.arxiv:
            yield self._arxiv, item.arxiv
        if item.doi_text:
            yield self._doi_text, item.doi_text
        if item.title_key:
            yield self._title, _title_block(item, nospace=True)

    def _title_members(self, title_key: str) -> Iterator[DedupItem]:
        """The items whose (non-generic) title key is ``title_key``."""
        for member in _block_members(self._title, title_key.replace(" ", "")):
            if member.title_key == title_key:
                yield member

    def _has_title(self, title_key: str) -> bool:
        return next(self._title_members(title_key), None) is not None

    def add(self, item: DedupItem) -> None:
        """Index ``item`` (an item with the same id is replaced)."""
        if item.id in self._items:
            self.discard(item.id)
        self._items[item.id] = item
        key = item.title_key
        new_title = key and not item.generic and not self._has_title(key)
        for blocks, value in self._exact_blocks(item):
            _block_add(blocks, value, item)
        if new_title:
            if self._loading is not None:
                self._loading.append(key)
            else:
                self._plain.add(key)
                self._reversed.add(key[::-1])
                self._by_words.add((_sorted_words(key), key))

    def discard(self, ident: int | str) -> None:
        """Forget the item with id ``ident`` (no error if unknown)."""
        item = self._items.pop(ident, None)
        if item is None:
            return
        for blocks, value in self._exact_blocks(item):
            _block_remove(blocks, value, item)
        key = item.title_key
        if key and not item.generic and not self._has_title(key):
            if self._loading is not None:  # an id given twice while loading
                self._loading.remove(key)
            else:
                self._plain.remove(key)
                self._reversed.remove(key[::-1])
                self._by_words.remove((_sorted_words(key), key))

    def _near_title_keys(self, title_key: str) -> dict[str, None]:
        """Title keys among the WINDOW before and after ``title_key`` in each sorted order
        with ``fuzz.ratio`` >= TITLE_CANDIDATE_MIN in that order, and (plain order) those that
        are ``title_key`` with a subtitle added or removed."""
        found: dict[str, None] = {}
        window, split = self._plain.around(title_key, WINDOW)
        for pos in _similar_titles(title_key, window):
            found[window[pos]] = None
        # In sorted order a title cut short comes before the title, a longer one after it.
        for pos, key in enumerate(window):
            if pos < split:
                if title_key.startswith(key) and _prefix_words(key, title_key):
                    found[key] = None
            elif not key.startswith(title_key):
                break
            elif _prefix_words(title_key, key):
                found[key] = None

        backwards = title_key[::-1]
        window, _ = self._reversed.around(backwards, WINDOW)
        for pos in _similar_titles(backwards, window):
            found[window[pos][::-1]] = None

        words = _sorted_words(title_key)
        pairs, _ = self._by_words.around((words, ""), WINDOW)
        for pos in _similar_titles(words, list(map(_first, pairs))):
            found[pairs[pos][1]] = None
        return found

    def candidates(self, item: DedupItem) -> list[DedupItem]:
        """Stored items worth scoring against ``item`` (never ``item`` itself), each once, in
        the order found: exact blocks (DOI, arXiv id, doi text, title) in the order their
        members were added, then the fuzzy neighbours."""
        found: dict[int | str, DedupItem] = {}
        for blocks, value in self._exact_blocks(item):
            for member in _block_members(blocks, value):
                found.setdefault(member.id, member)
        if item.title_key and not item.generic:
            for key in self._near_title_keys(item.title_key):
                for member in self._title_members(key):
                    if _years_near(item, member):
                        found.setdefault(member.id, member)
        found.pop(item.id, None)
        return list(found.values())

    def best_match(self, item: DedupItem) -> tuple[DedupItem, Decision] | None:
        """The stored item most likely the same paper as ``item`` with its decision: a 'same'
        one before any 'possible' one, then the higher score, then the survivor-preferred
        record, then the one found first (see :meth:`candidates`); None when every candidate
        is 'different'."""
        best: tuple[tuple[int, float], DedupItem, Decision] | None = None
        for other in self.candidates(item):
            decision = score_pair(other, item, self.threshold)
            if decision.verdict == "different":
                continue
            rank = (1 if decision.verdict == "same" else 0, decision.score)
            if (
                best is None
                or rank > best[0]
                or (rank == best[0] and choose_survivor(best[1], other) is other)
            ):
                best = (rank, other, decision)
        return None if best is None else (best[1], best[2])


# --------------------------------------------------------------------------------------------
# Clustering
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairDecision:
    """A scored pair of item ids."""

    a: int | str
    b: int | str
    decision: Decision


@dataclass(frozen=True)
class Cluster:
    """Records judged to be one paper (``sure``), or a pair worth a look (``sure=False``).

    ``ids`` lists item ids with the survivor first. ``score`` is the weakest link's score;
    ``pairs`` holds the decisions that formed the cluster (and, for a possible pair, the one
    decision), each with its reasons.
    """

    ids: tuple[int | str, ...]
    keys: tuple[str, ...]
    sure: bool
    score: float
    pairs: tuple[PairDecision, ...] = field(default=())

    @property
    def survivor(self) -> int | str:
        return self.ids[0]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Each pair's reasons, prefixed with its keys when the cluster has several pairs."""
        if len(self.pairs) == 1:
            return self.pairs[0].decision.reasons
        by_id = dict(zip(self.ids, self.keys, strict=True))
        out: list[str] = []
        for pair in self.pairs:
            head = f"{by_id.get(pair.a, pair.a)} ~ {by_id.get(pair.b, pair.b)}: "
            out.append(head + "; ".join(pair.decision.reasons))
        return tuple(out)


def score_candidates(
    items: Sequence[DedupItem], threshold: float = SAME_SCORE
) -> Iterator[tuple[int, int, Decision]]:
    """``(i, j, decision)`` for every candidate pair (positions into ``items``)."""
    for i, j in find_candidates(items):
        yield i, j, score_pair(items[i], items[j], threshold)


# The decision on a pair the user declared distinct (``pubdb unmerge``: a not-duplicate
# relation): a conflict, so no cluster ever holds both, not even through a third record.
APART = Decision("different", 0.0, ("marked not duplicates",), True)


def cluster(
    items: Sequence[DedupItem],
    threshold: float = SAME_SCORE,
    apart: Collection[frozenset[int | str]] = (),
) -> list[Cluster]:
    """Sure clusters (union of 'same' pairs, strongest first) then possible pairs.

    Two groups join only if no record of one conflicts with a record of the other (every
    cross pair is scored, so a chain A~B~C never joins A and C when they are different). A
    'same' pair refused for that reason is reported as possible, with the conflict named.
    Possible pairs inside one sure cluster are dropped; between two clusters only the best
    is kept. ``apart`` holds pairs of item ids known to be different papers (:data:`APART`).
    """
    apart = apart if isinstance(apart, (set, frozenset)) else set(apart)
    decided: dict[tuple[int, int], Decision] = {}
    for i, j, decision in score_candidates(items, threshold):
        if apart and frozenset((items[i].id, items[j].id)) in apart:
            decision = APART
        decided[(i, j)] = decision

    def decision_of(x: int, y: int) -> Decision:
        pair = (x, y) if x < y else (y, x)
        if pair not in decided:
            if apart and frozenset((items[x].id, items[y].id)) in apart:
                decided[pair] = APART
            else:
                decided[pair] = score_pair(items[pair[0]], items[pair[1]], threshold)
        return decided[pair]

    parent = list(range(len(items)))
    members: dict[int, list[int]] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    edges: dict[int, list[tuple[int, int, Decision]]] = defaultdict(list)
    possible: list[tuple[int, int, Decision]] = []
    same = sorted(
        ((i, j, d) for (i, j), d in decided.items() if d.verdict == "same"),
        key=lambda e: (-e[2].score, e[0], e[1]),
    )
    for i, j, d in same:
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        group_i, group_j = members.get(ri, [ri]), members.get(rj, [rj])
        blocker = next(
            (
                (x, y, decision_of(x, y))
                for x in group_i
                for y in group_j
                if decision_of(x, y).verdict != "same" and decision_of(x, y).conflict
            ),
            None,
        )
        if blocker is not None:
            x, y, bad = blocker
            why = (
                f"not merged: {_label(items[x])} and {_label(items[y])} conflict "
                f"({bad.reasons[-1]})"
            )
            possible.append((i, j, Decision("possible", d.score, (*d.reasons, why), True)))
            continue
        parent[rj] = ri
        members[ri] = group_i + group_j
        members.pop(rj, None)
        edges[ri].extend(edges.pop(rj, []))
        edges[ri].append((i, j, d))
    for (i, j), d in list(decided.items()):
        if d.verdict == "possible":
            possible.append((i, j, d))

    clusters: list[Cluster] = []
    for root, group in members.items():
        survivor = group[0]
        for m in group[1:]:
            if choose_survivor(items[survivor], items[m]) is items[m]:
                survivor = m
        ordered = [survivor, *sorted(m for m in group if m != survivor)]
        links = edges[root]
        clusters.append(
            Cluster(
                ids=tuple(items[m].id for m in ordered),
                keys=tuple(items[m].key for m in ordered),
                sure=True,
                score=min(d.score for _, _, d in links),
                pairs=tuple(PairDecision(items[x].id, items[y].id, d) for x, y, d in links),
            )
        )
    clusters.sort(key=lambda c: (-c.score, str(c.ids[0])))

    best: dict[tuple[int, int], tuple[int, int, Decision]] = {}
    for i, j, d in possible:
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        link = (min(ri, rj), max(ri, rj))
        if link not in best or d.score > best[link][2].score:
            best[link] = (i, j, d)
    pairs = sorted(best.values(), key=lambda e: (-e[2].score, e[0], e[1]))
    for i, j, d in pairs:
        first, second = (i, j) if choose_survivor(items[i], items[j]) is items[i] else (j, i)
        clusters.append(
            Cluster(
                ids=(items[first].id, items[second].id),
                keys=(items[first].key, items[second].key),
                sure=False,
                score=d.score,
                pairs=(PairDecision(items[i].id, items[j].id, d),),
            )
        )
    return clusters


def sure_pairs(clusters: Iterable[Cluster]) -> int:
    """How many records the sure clusters would merge away (sum of size - 1)."""
    return sum(len(c.ids) - 1 for c in clusters if c.sure)
