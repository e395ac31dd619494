"""Duplicate detection: candidate blocking, pair scoring with reasons, and guarded clustering.

Pure core (no database, no click). The caller turns records into :class:`DedupItem` with
:func:`item_from_record` (an import: :func:`incoming_item` in the reader's worker processes,
completed by :func:`item_with_venue` once the venue is resolved), then either looks up the
best match of one record (:class:`DedupIndex`, used by import) or clusters a whole set
(:func:`cluster`, used by ``pubdb dedup``). Every decision carries its verdict (``same`` /
``possible`` / ``different``), a 0-100 score and human-readable reasons.

Cost grows about linearly: :func:`find_candidates` never compares all pairs; it only pairs
records that share a DOI, an arXiv id or a normalised title, or that sit near each other when
the distinct title keys are sorted (plain, reversed and word-sorted), within a year window.
"""

from __future__ import annotations

import functools
import operator
import re
import sys
import unicodedata
from bisect import bisect_left, bisect_right
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


# notice_kind's two rules as one search each: the first whole word (split at whitespace, as
# str.split does) that is a notice word; else the first prefix (in _NOTICE_PREFIXES order)
# the key is, or starts with followed by a space.
_NOTICE_WORD_RE = re.compile(r"(?<!\S)(?:" + "|".join(map(re.escape, _NOTICE_WORDS)) + r")(?!\S)")
_NOTICE_PREFIX_RE = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix, _ in _NOTICE_PREFIXES) + r")(?: |\Z)"
)
_NOTICE_BY_PREFIX = dict(_NOTICE_PREFIXES)


def notice_kind(key: str) -> str:
    """``paper``, or ``erratum``/``retraction``/``comment`` for notices about another paper:
    the title has a word such as *erratum* or *retracted*, or starts with words such as
    *correction* or *reply to*."""
    word = _NOTICE_WORD_RE.search(key)
    if word is not None:
        return _NOTICE_WORDS[word.group()]
    prefix = _NOTICE_PREFIX_RE.match(key)
    return "paper" if prefix is None else _NOTICE_BY_PREFIX[prefix.group(1)]


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
    ``nospace_key``, ``words_key``, ``generic``), and what only scoring needs either
    recomputed on use (``words``, ``first_page``, ``is_preprint``) or, when dearer, cached on
    first use (``numbers``, ``notice``): only the few records that meet a candidate ever need
    those.
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
    # The title key's words sorted: the fuzzy step's third order (made with the item, in the
    # reader's worker processes during an import, not in the importing thread).
    words_key: str = field(init=False, repr=False, compare=False)
    # A front/back-matter title ("Preface"): see is_generic_title.
    generic: bool = field(init=False, repr=False, compare=False)
    # Caches behind ``numbers`` and ``notice`` (None: not computed yet).
    _numbers: tuple[str, ...] | None = field(default=None, init=False, repr=False, compare=False)
    _notice: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # the class is frozen
        derived = _derived_values(self.title_key, self.doi, self.arxiv_id)
        for name, value in zip(_DERIVED_SLOTS, derived, strict=True):
            set_(self, name, value)

    def __copy__(self) -> DedupItem:
        """A slot-by-slot copy, cached values included (the generic path through
        ``__getstate__`` is three times slower)."""
        twin = object.__new__(DedupItem)
        for setter, value in zip(_SLOT_SETTERS, _item_values(self), strict=True):
            setter(twin, value)
        return twin

    def __reduce__(self) -> tuple[Callable[[tuple], DedupItem], tuple[tuple]]:
        """Pickled as one tuple of every slot's value, derived and cached ones included, and
        rebuilt by :func:`_unpickle_item` without recomputing anything: the reader's worker
        processes send items ~1000 to a chunk (the generic path through ``__getstate__``
        costs about twice as much)."""
        return _unpickle_item, (_item_values(self),)

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
_DERIVED_SLOTS = ("publisher_doi", "arxiv", "nospace_key", "words_key", "generic")


def _derived_values(title_key: str, doi: str, arxiv_id: str) -> tuple[str, str, str, str, bool]:
    """The slots of ``_DERIVED_SLOTS`` of an item with this title key, DOI and arXiv id. A
    derived value equal to its field reuses the field's string (one copy per item)."""
    lower = doi.lower()
    arxiv_doi = _ARXIV_DOI_RE.match(lower)
    publisher_doi = "" if arxiv_doi else doi if lower == doi else lower
    if arxiv_id:
        arxiv = _arxiv_key(arxiv_id)
        if arxiv == arxiv_id:
            arxiv = arxiv_id
    else:
        arxiv = _arxiv_key(arxiv_doi.group(1)) if arxiv_doi else ""
    words = _sorted_words(title_key)
    return (
        publisher_doi,
        arxiv,
        title_key.replace(" ", ""),
        title_key if words == title_key else words,
        is_generic_title(title_key),
    )


_item_values = operator.attrgetter(*_ITEM_SLOTS)
# The slots' own setters: they bypass the frozen class's __setattr__ (as object.__setattr__
# does), a little faster.
_SLOT_SETTERS: tuple[Callable[[DedupItem, object], None], ...] = tuple(
    DedupItem.__dict__[name].__set__ for name in _ITEM_SLOTS
)
# One int object per year for unpickled items (an int per item otherwise, 28 bytes each).
_YEARS: dict[int, int] = {}
_set_venue, _set_venue_kind, _set_key, _set_title, _set_pages = (
    DedupItem.__dict__[name].__set__ for name in ("venue", "venue_kind", "key", "title", "pages")
)


class _Unfrozen:
    """DedupItem's slots without its frozen guard: :func:`_unpickle_item` fills one with plain
    attribute stores, then makes it a DedupItem (the same layout, so Python allows it) by
    setting ``__class__``: four times faster than a frozen-proof setter call per slot."""

    __slots__ = _ITEM_SLOTS


def _unpickle_item(values: tuple) -> DedupItem:
    """The item ``DedupItem.__reduce__`` pickled, its repeated strings (entry type, venue,
    kind, volume, number, author keys) interned again, as :func:`build_item` interns them,
    and one int object per year: a chunk pickled in a worker process brings its own copies,
    which 100k items would keep apart."""
    item = object.__new__(_Unfrozen)
    (
        item.id, item.key, item.title_key, item.title, year, item.doi, item.arxiv_id,
        entry_type, venue, venue_kind, author_keys, item.authors_truncated, item.pages,
        volume, number, item.doi_text, item.publisher_doi, item.arxiv, item.nospace_key,
        item.words_key, item.generic, item._numbers, item._notice,
    ) = values  # fmt: skip
    intern = sys.intern
    item.year = year if year is None else _YEARS.setdefault(year, year)
    item.entry_type = intern(entry_type)
    item.venue = intern(venue)
    item.venue_kind = intern(venue_kind)
    item.author_keys = tuple(map(intern, author_keys))
    item.volume = intern(volume)
    item.number = intern(number)
    item.__class__ = DedupItem  # type: ignore[assignment]
    return item  # type: ignore[return-value]


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
    # What DedupItem(...) makes, slot by slot without the frozen class's guard (an import
    # builds one item per entry: ~4 us less each than the dataclass's own __init__).
    item = object.__new__(_Unfrozen)
    item.id = id
    item.key = key
    item.title_key = title_key_value = title_key_value[:TITLE_KEY_LENGTH]
    item.title = title
    item.year = year
    item.doi = doi
    item.arxiv_id = arxiv
    item.entry_type = intern(entry_type.lower())
    item.venue = _folded_venue(venue) if venue else ""
    item.venue_kind = intern(venue_kind)
    # An edited volume is compared by its editors when it has no authors.
    item.author_keys = tuple(map(intern, author_keys or editor_keys))
    item.authors_truncated = authors_truncated
    item.pages = pages
    item.volume = intern(volume)
    item.number = intern(number)
    item.doi_text = doi_text if doi_text and any(ch.isdigit() for ch in doi_text) else ""
    (
        item.publisher_doi, item.arxiv, item.nospace_key, item.words_key, item.generic
    ) = _derived_values(title_key_value, doi, arxiv)  # fmt: skip
    item._numbers = item._notice = None
    item.__class__ = DedupItem  # type: ignore[assignment]
    return item  # type: ignore[return-value]


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


# The id of an incoming record's item until the import gives it a paper's.
INCOMING = "incoming"


def incoming_item(rec: BibRecord) -> DedupItem:
    """``item_from_record(INCOMING, rec)``: everything the dedup view takes from the record
    alone, before its venue is resolved (the venue hint or text stands in for the venue, the
    kind is guessed). Cheap to pickle: the reader's worker processes build it next to the
    record, and the main process completes it with :func:`item_with_venue`."""
    return item_from_record(INCOMING, rec)


def item_with_venue(
    item: DedupItem, rec: BibRecord, venue_short: str = "", venue_kind: str = ""
) -> DedupItem:
    """``item`` (built from ``rec`` by :func:`incoming_item` or :func:`item_from_record`)
    updated in place to equal ``item_from_record(item.id, rec, venue_short, venue_kind)`` in
    every slot, and returned.

    Only what the venue registry decides is recomputed: the venue (``venue_short``, else the
    record's hint or text, folded), the kind (``venue_kind``, else guessed from the record as
    :func:`build_item` does), and the key, taken from ``rec`` again (the reader may generate
    it after the item was built); the title and pages become the record's own string
    objects. Everything else must still be what ``rec`` gives (a record changed otherwise
    after its item was built, say by crossref inheritance, needs a new item). ``item`` must
    not be in a :class:`DedupIndex` (its blocks would go stale); a fresh incoming item never
    is. About half a microsecond.
    """
    venue = venue_short or rec.venue_hint or rec.venue_text
    venue = _folded_venue(venue) if venue else ""
    if not venue_kind or venue_kind == "other":
        venue_kind = _infer_venue_kind(rec.venue_text, rec.entry_type, item.arxiv_id, item.doi)
    venue_kind = sys.intern(venue_kind)
    if venue is not item.venue:
        _set_venue(item, venue)
    if venue_kind is not item.venue_kind:
        _set_venue_kind(item, venue_kind)
    # The record's own strings (one copy in memory when the item was pickled apart from it).
    if rec.key is not item.key:
        _set_key(item, rec.key)
    if rec.title is not item.title:
        _set_title(item, rec.title)
    if rec.pages is not item.pages:
        _set_pages(item, rec.pages)
    return item


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
            ts = title_similarity(a, b)
            loose = max(ts, fuzz.token_set_ratio(a.title_key, b.title_key))
            if loose < DOI_TITLE_MIN:
                limit("possible", f"{same_id} but titles differ ({_fmt(loose)}% similar)")
            elif a.numbers != b.numbers:
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

    # 3. Titles (the title numbers, dearer, only for pairs that got this far).
    if not a.title_key or not b.title_key:
        return different("no title to compare")
    ts = title_similarity(a, b)
    prefix = ts < TITLE_CANDIDATE_MIN and _is_prefix_title(a, b)
    if ts < TITLE_CANDIDATE_MIN and not prefix:
        return different(f"titles only {_fmt(ts)}% similar")
    if a.numbers != b.numbers:
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
    preselected = process.extract(
        text, others, scorer=Indel.normalized_similarity, score_cutoff=_PRESELECT_CUTOFF, limit=None
    )
    if not preselected:  # nearly always
        return []
    hits = []
    for other, _, pos in preselected:
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
    per sort order cost ~3 s over an import of 100k records, most of it moving memory).

    :meth:`window` also says where the probed value sorts (chunk and position), so that
    :meth:`insert_at` can add it there without searching again while the list is unchanged.
    """

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
        at = bisect_left(self._lasts, value)
        return at - 1 if at == len(self._lasts) else at

    def add(self, value: T) -> None:
        if not self._chunks:
            self._chunks.append([value])
            self._lasts.append(value)
            return
        at = self._chunk_of(value)
        self.insert_at(at, bisect_right(self._chunks[at], value), value)

    def insert_at(self, at: int, pos: int, value: T) -> None:
        """Insert ``value`` at position ``pos`` of chunk ``at``: where :meth:`add` would put
        it (as :meth:`window` found it for this value, the list unchanged since)."""
        chunk = self._chunks[at]
        chunk.insert(pos, value)
        if len(chunk) > 2 * self.CHUNK:
            half = len(chunk) // 2
            self._chunks[at : at + 1] = [chunk[:half], chunk[half:]]
            self._lasts[at : at + 1] = [chunk[half - 1], chunk[-1]]
        else:
            self._lasts[at] = chunk[-1]

    def remove(self, value: T) -> None:
        """Remove ``value`` (no error if absent)."""
        if not self._chunks:
            return
        at = self._chunk_of(value)
        chunk = self._chunks[at]
        pos = bisect_left(chunk, value)
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
        values, split, _, _ = self.window(value, count)
        return values, split

    def window(self, value: T, count: int) -> tuple[list[T], int, int, int]:
        """:meth:`around`, and the chunk and position where ``value`` sorts (before an equal
        value; chunk -1 when the list is empty)."""
        chunks = self._chunks
        if not chunks:
            return [], 0, -1, 0
        lasts = self._lasts
        at = bisect_left(lasts, value)
        if at == len(lasts):
            at -= 1
        chunk = chunks[at]
        pos = bisect_left(chunk, value)
        if count <= pos <= len(chunk) - count:  # within one chunk (nearly always)
            return chunk[pos - count : pos + count], count, at, pos
        values, split = _span(chunks, at, pos, count)
        return values, split, at, pos


class _SortedPairs:
    """Distinct ``(text, key)`` pairs in sorted order, as :class:`_SortedList` keeps values,
    but in two parallel chunked lists, one of texts and one of keys: a window's texts come
    out as a list of strings (no tuples to take apart), and a search compares strings, not
    tuples (the word-sorted order of ``DedupIndex``, where text = the words of key sorted).
    """

    CHUNK = _SortedList.CHUNK

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        ordered = sorted(pairs)
        size = self.CHUNK
        self._texts = [
            [text for text, _ in ordered[i : i + size]] for i in range(0, len(ordered), size)
        ]
        self._keys = [
            [key for _, key in ordered[i : i + size]] for i in range(0, len(ordered), size)
        ]
        self._lasts = [chunk[-1] for chunk in self._texts]

    def __len__(self) -> int:
        return sum(map(len, self._texts))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for texts, keys in zip(self._texts, self._keys, strict=True):
            yield from zip(texts, keys, strict=True)

    def _place(self, text: str, key: str) -> tuple[int, int]:
        """Chunk and position where ``(text, key)`` sorts (before an equal pair): the first
        chunk whose last pair is not below it (else the last chunk); the chunks must not be
        empty."""
        lasts, keys = self._lasts, self._keys
        at = bisect_left(lasts, text)
        while at < len(lasts) and lasts[at] == text and keys[at][-1] < key:
            at += 1
        if at == len(lasts):
            at -= 1
        texts, keys_at = self._texts[at], keys[at]
        pos = bisect_left(texts, text)
        while pos < len(texts) and texts[pos] == text and keys_at[pos] < key:
            pos += 1
        return at, pos

    def add(self, text: str, key: str) -> None:
        if not self._texts:
            self._texts.append([text])
            self._keys.append([key])
            self._lasts.append(text)
            return
        self.insert_at(*self._place(text, key), text, key)

    def insert_at(self, at: int, pos: int, text: str, key: str) -> None:
        """Insert ``(text, key)`` at position ``pos`` of chunk ``at``, where it sorts."""
        texts, keys = self._texts[at], self._keys[at]
        texts.insert(pos, text)
        keys.insert(pos, key)
        if len(texts) > 2 * self.CHUNK:
            half = len(texts) // 2
            self._texts[at : at + 1] = [texts[:half], texts[half:]]
            self._keys[at : at + 1] = [keys[:half], keys[half:]]
            self._lasts[at : at + 1] = [texts[half - 1], texts[-1]]
        else:
            self._lasts[at] = texts[-1]

    def remove(self, text: str, key: str) -> None:
        """Remove ``(text, key)`` (no error if absent)."""
        if not self._texts:
            return
        at, pos = self._place(text, key)
        texts, keys = self._texts[at], self._keys[at]
        if pos < len(texts) and texts[pos] == text and keys[pos] == key:
            del texts[pos], keys[pos]
            if texts:
                self._lasts[at] = texts[-1]
            else:
                del self._texts[at], self._keys[at], self._lasts[at]

    def window(self, text: str, count: int) -> tuple[list[str], list[str], int, int, int]:
        """The ``count`` pairs before where ``(text, "")`` sorts and the ``count`` from there
        on (:meth:`_SortedList.around`), as their texts and their keys, where the second part
        starts, and the chunk and position where ``(text, "")`` sorts (chunk -1: empty)."""
        chunks = self._texts
        if not chunks:
            return [], [], 0, -1, 0
        lasts = self._lasts
        at = bisect_left(lasts, text)  # a pair is below (text, "") iff its text is below text
        if at == len(lasts):
            at -= 1
        chunk = chunks[at]
        pos = bisect_left(chunk, text)
        if count <= pos <= len(chunk) - count:  # within one chunk (nearly always)
            return (
                chunk[pos - count : pos + count],
                self._keys[at][pos - count : pos + count],
                count,
                at,
                pos,
            )
        texts, split = _span(chunks, at, pos, count)
        keys, _ = _span(self._keys, at, pos, count)
        return texts, keys, split, at, pos


def _span(chunks: list[list[T]], at: int, pos: int, count: int) -> tuple[list[T], int]:
    """The ``count`` values before position ``pos`` of chunk ``at`` and the ``count`` from
    there on, across chunks, and where the second part starts."""
    chunk = chunks[at]
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


def _cut_short(title_key: str, window: list[str], split: int) -> list[str]:
    """The keys in ``window[:split]`` (sorted, all below ``title_key``) that are
    ``title_key`` cut short after a word (:func:`_prefix_words`), in window order.

    Walks back from ``split`` while the keys start with the title's first SHORT_TITLE_WORDS
    words: every key between such a prefix and the title starts with the prefix, so a key
    that does not start with them has no such prefix before it."""
    if split == 0 or title_key.count(" ") < SHORT_TITLE_WORDS:
        return []
    # Those words are at least five characters ("a b c"): most often the nearest key below
    # does not even start with the title's first five.
    if not window[split - 1].startswith(title_key[:5]):
        return []
    end = -1
    for _ in range(SHORT_TITLE_WORDS):
        end = title_key.index(" ", end + 1)
    stem = title_key[:end]
    found = []
    for pos in range(split - 1, -1, -1):
        key = window[pos]
        if not key.startswith(stem):
            break
        if title_key.startswith(key) and _prefix_words(key, title_key):
            found.append(key)
    found.reverse()
    return found


def _sorted_words(title_key: str) -> str:
    return " ".join(sorted(title_key.split()))


class DedupIndex:
    """Incremental candidate lookup for import: the best match of one new record among the
    stored ones (and those imported so far), with the same blocks as :func:`find_candidates`.

    ``add`` and ``discard`` keep it current while an import merges and inserts. The exact
    blocks are dicts from a DOI, arXiv id, unreadable doi text or space-free title key
    (generic titles: per year) to the item(s) that have it. The fuzzy step keeps the distinct
    non-generic title keys sorted in the three orders of ``_ORDERS`` (:class:`_SortedList`:
    the key, the key reversed; :class:`_SortedPairs`: ``(word-sorted key, key)``) and looks
    at the WINDOW keys on each side of where the new title sorts in each.

    An import looks a record up, then adds it: the lookup keeps what it found out about the
    title (its reversed and word-sorted forms, whether it is stored already, where it sorts
    in each order) for an ``add`` of the same title key before anything else changes.
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
        self._by_words = _SortedPairs()
        # Bumped by every add and discard; what the last lookup found out about its title
        # holds while it has not moved: (version, title key, whether an item has that key,
        # the key reversed, its words sorted, and the chunk and position where each sorts in
        # _plain, _reversed and _by_words, the last for (words, "")).
        self._version = 0
        self._probe: tuple | None = None
        # While loading: collect the title keys (with their words sorted), then sort once
        # (adding one by one is slower).
        self._loading: list[tuple[str, str]] | None = []
        for item in items:
            self.add(item)
        loaded, self._loading = self._loading, None
        self._plain = _SortedList(key for key, _ in loaded)
        self._reversed = _SortedList(key[::-1] for key, _ in loaded)
        self._by_words = _SortedPairs((words, key) for key, words in loaded)

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

    def _exact_keys(self, item: DedupItem) -> Sequence[tuple[dict[str, _Block], str]]:
        """:meth:`_exact_blocks` of ``item`` as a sequence, made without a generator for the
        common item with a title only (two lookups for every record of an import)."""
        if item.publisher_doi or item.arxiv or item.doi_text:
            return list(self._exact_blocks(item))
        if item.title_key:
            return ((self._title, _title_block(item, nospace=True)),)
        return ()

    def exact_matches(self, items: Iterable[DedupItem]) -> set[int | str]:
        """Ids of the stored items that share a DOI, an arXiv id, a doi text or a title
        (spaces aside) with one of ``items``: the likeliest candidates, found with a few dict
        lookups per item (an import asks for a few thousand items at once)."""
        found: set[int | str] = set()
        for item in items:
            for blocks, value in self._exact_keys(item):
                members = blocks.get(value)
                if members is None:  # nearly always
                    continue
                if isinstance(members, list):
                    found.update(member.id for member in members)
                else:
                    found.add(members.id)
        return found

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
        key = item.title_key
        probe = self._probe
        if probe is not None and (probe[0] != self._version or probe[1] != key):
            probe = None
        self._probe = None
        self._version += 1
        self._items[item.id] = item
        if item.publisher_doi:
            _block_add(self._doi, item.publisher_doi, item)
        if item.arxiv:
            _block_add(self._arxiv, item.arxiv, item)
        if item.doi_text:
            _block_add(self._doi_text, item.doi_text, item)
        if not key:
            return
        if item.generic:
            _block_add(self._title, _title_block(item, nospace=True), item)
            return
        new_title = not (self._has_title(key) if probe is None else probe[2])
        _block_add(self._title, item.nospace_key, item)
        if not new_title:
            return
        if self._loading is not None:
            self._loading.append((key, item.words_key))
        elif probe is not None and probe[5] >= 0:
            _, _, _, backwards, words, plain_at, plain_pos, rev_at, rev_pos, at, pos = probe
            self._plain.insert_at(plain_at, plain_pos, key)
            self._reversed.insert_at(rev_at, rev_pos, backwards)
            by_words = self._by_words
            texts = by_words._texts[at]
            # Found for (words, ""): the place of (words, key) too unless another key with
            # the same words (an anagram title) sorts there.
            if pos == len(texts) or texts[pos] != words:
                by_words.insert_at(at, pos, words, key)
            else:
                by_words.add(words, key)
        else:
            self._plain.add(key)
            self._reversed.add(key[::-1])
            self._by_words.add(item.words_key, key)

    def discard(self, ident: int | str) -> None:
        """Forget the item with id ``ident`` (no error if unknown)."""
        item = self._items.pop(ident, None)
        if item is None:
            return
        self._version += 1
        for blocks, value in self._exact_blocks(item):
            _block_remove(blocks, value, item)
        key = item.title_key
        if key and not item.generic and not self._has_title(key):
            if self._loading is not None:  # an id given twice while loading
                self._loading.remove((key, item.words_key))
            else:
                self._plain.remove(key)
                self._reversed.remove(key[::-1])
                self._by_words.remove(item.words_key, key)

    def _near_title_keys(self, title_key: str, words: str) -> dict[str, None]:
        """Title keys among the WINDOW before and after ``title_key`` in each sorted order
        with ``fuzz.ratio`` >= TITLE_CANDIDATE_MIN in that order, and (plain order) those that
        are ``title_key`` with a subtitle added or removed (``words``: its words sorted, the
        item's ``words_key``). Keeps what an ``add`` of the same title key needs (``_probe``).
        """
        found: dict[str, None] = {}
        window, split, plain_at, plain_pos = self._plain.window(title_key, WINDOW)
        if window:
            for pos in _similar_titles(title_key, window):
                found[window[pos]] = None
            # In sorted order a title cut short comes before the title, a longer one after it.
            for key in _cut_short(title_key, window, split):
                found[key] = None
            for key in window[split:]:
                if not key.startswith(title_key):
                    break
                if _prefix_words(title_key, key):
                    found[key] = None

        backwards = title_key[::-1]
        window, _, reversed_at, reversed_pos = self._reversed.window(backwards, WINDOW)
        if window:
            for pos in _similar_titles(backwards, window):
                found[window[pos][::-1]] = None

        texts, keys, _, words_at, words_pos = self._by_words.window(words, WINDOW)
        if texts:
            for pos in _similar_titles(words, texts):
                found[keys[pos]] = None
        # A stored title key is in its own window at 100%: found holds it iff it is stored.
        self._probe = (
            self._version,
            title_key,
            title_key in found,
            backwards,
            words,
            plain_at,
            plain_pos,
            reversed_at,
            reversed_pos,
            words_at,
            words_pos,
        )
        return found

    def candidates(self, item: DedupItem) -> list[DedupItem]:
        """Stored items worth scoring against ``item`` (never ``item`` itself), each once, in
        the order found: exact blocks (DOI, arXiv id, doi text, title) in the order their
        members were added, then the fuzzy neighbours."""
        found: dict[int | str, DedupItem] = {}
        add = found.setdefault
        title_key = item.title_key
        for blocks, value in self._exact_keys(item):
            members = blocks.get(value)
            if members is None:
                continue
            if isinstance(members, list):
                for member in members:
                    add(member.id, member)
            else:
                add(members.id, members)
        if title_key and not item.generic:
            year = item.year
            titles = self._title
            for key in self._near_title_keys(title_key, item.words_key):
                if key == title_key:  # its items are all in the exact title block
                    continue
                members = titles.get(key.replace(" ", ""))
                if members is None:
                    continue
                for member in members if isinstance(members, list) else (members,):
                    if member.title_key == key and (
                        year is None
                        or member.year is None
                        or abs(year - member.year) <= YEAR_WINDOW
                    ):
                        add(member.id, member)
        found.pop(item.id, None)
        return list(found.values())

    def best_match(self, item: DedupItem) -> tuple[DedupItem, Decision] | None:
        """The stored item most likely the same paper as ``item`` with its decision: a 'same'
        one before any 'possible' one, then the higher score, then the survivor-preferred
        record, then the one found first (see :meth:`candidates`); None when every candidate
        is 'different'."""
        best: tuple[tuple[int, float], DedupItem, Decision] | None = None
        threshold = self.threshold
        for other in self.candidates(item):
            decision = score_pair(other, item, threshold)
            verdict = decision.verdict
            if verdict == "different":
                continue
            rank = (1 if verdict == "same" else 0, decision.score)
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
