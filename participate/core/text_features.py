"""The words of a proposal as the clustering sees them (DESIGN.md section 5).

Plain text in, feature counts and weighted vectors out; used by
:mod:`participate.core.clustering` and by whatever seeds or restores its index.

A proposal's features:

- **words**: title, body and subsidiarity statement :func:`tokenize`-d (lower case,
  accents and apostrophes dropped, ``A&E`` -> ``ae``, English and council-boilerplate
  stop words removed, US spellings folded to UK ones, then the Snowball English
  (Porter2) stemmer), title words counted ``TITLE_WEIGHT`` (2) times, body words once
  and statement words ``STATEMENT_WEIGHT`` (0.25) times: statements mostly say which
  level holds the power, in words proposals on every topic share;
- **character n-grams** of the title's content words (``~`` + ``NGRAM`` (4) letters of
  the word padded with ``_``) when the text is short (fewer than ``SHORT_TEXT`` (12)
  distinct words: a title alone or with a line of body), so a short title still meets
  another one that words a thing differently (``dentist``/``dental``,
  ``insulate``/``insulation``); they are scaled by ``NGRAM_WEIGHT`` inside the text
  vector so whole words stay the main signal. A longer text has words enough, and
  leaving its n-grams out keeps the inbox's index small;
- **theme tags**: one ``#key`` feature per tag (:func:`theme_key`).

:func:`weigh` turns counts into sublinear TF-IDF,
``(1 + ln tf) * (1 + ln((N + 1) / (df + 1)))`` (a fractional ``tf`` counts as itself),
with the text part (words and n-grams) scaled to unit length, so a cosine with it is a
dot product, and the theme part to the :func:`specificity` of the proposal's rarest tag:
a tag that every proposal of the inbox carries says nothing and weighs nothing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

import snowballstemmer

Vector = dict[str, float]

TAG = "#"  # prefix of a theme feature
NGRAM_MARK = "~"  # prefix of a character n-gram feature
FEATURE_MAX = 80  # longest feature kept (the database column's width)
TITLE_WEIGHT = 2
STATEMENT_WEIGHT = 0.25
NGRAM = 4
NGRAM_WEIGHT = 0.35
SHORT_TEXT = 12  # fewer distinct words than this in title, body and statement: short

# fmt: off
STOP_WORDS = frozenset("""
a about above after again against all almost also am an and any are aren around as at
be because been before being below between both but by can cannot could couldn did
didn do does doesn doing don down during each either else enough even ever every few
for from further get gets getting give given go goes going got had hadn has hasn have
haven having he her here hers herself him himself his how however i if in into is
isn it its itself just least less let like made make makes making many may me might
more most much must mustn my myself need needs neither no nor not now of off often on
once one only or other others our ours ourselves out over own per please put quite
rather really same say says shall she should shouldn since so some still such than
that the their theirs them themselves then there these they this those though through
thus to too toward towards under until up upon us use used very via was wasn way we
well were weren what when where whether which while who whom whose why will with
within without won would wouldn yet you your yours yourself yourselves
ask asked asking asks council councils propose proposed proposes proposal
proposals request requests resident residents people person want wants new
local national government fund funding power powers law set needs needed help
""".split())
# fmt: on

# Spellings folded together before stemming (the UK form wins), and plurals the
# stemmer leaves apart.
SPELLINGS = {
    "center": "centre",
    "centers": "centres",
    "program": "programme",
    "programs": "programmes",
    "color": "colour",
    "behavior": "behaviour",
    "neighbor": "neighbour",
    "neighborhood": "neighbourhood",
    "neighborhoods": "neighbourhoods",
    "labor": "labour",
    "pediatric": "paediatric",
    "mom": "mum",
    "moms": "mums",
    "buses": "bus",
    "busses": "bus",
    "gps": "gp",
}

_NON_WORD = re.compile(r"[^a-z0-9]+")
_JOINERS = re.compile(r"['\u2019&]")
_STEMMER = snowballstemmer.stemmer("english")


def normalise(text: str) -> str:
    """Lower case, accents removed, ``'`` and ``&`` joined, other punctuation as spaces."""
    folded = text.lower()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = _JOINERS.sub("", folded)
    return " ".join(_NON_WORD.sub(" ", folded).split())


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The Snowball English stem of a normalised word (``-ize`` read as ``-ise``)."""
    word = SPELLINGS.get(word, word)
    if len(word) <= 3 or word.isdigit():
        return word
    if "iz" in word:
        word = re.sub(r"iz(e|es|ed|ing|ation|ations)$", r"is\1", word)
    return str(_STEMMER.stemWord(word))


@lru_cache(maxsize=1 << 16)
def _content_word(word: str) -> str:
    """The stem of a normalised word, or ``""`` for a stop word or a single letter."""
    if len(word) < 2 or word in STOP_WORDS:
        return ""
    stemmed = stem(word)
    return "" if stemmed in STOP_WORDS else stemmed


def content_words(text: str) -> list[str]:
    """The normalised words of ``text`` that are not stop words, unstemmed, in order."""
    return [w for w in normalise(text).split() if _content_word(w)]


def tokenize(text: str) -> list[str]:
    """The stemmed content words of ``text``, in order (stop words and 1-letter words dropped)."""
    return [w for w in map(_content_word, normalise(text).split()) if w]


@lru_cache(maxsize=1 << 16)
def ngrams(word: str) -> tuple[str, ...]:
    """The ``NGRAM``-letter pieces of a word padded with ``_`` (``~_bus``, ``~bus_``)."""
    padded = f"_{SPELLINGS.get(word, word)}_"
    if len(padded) <= NGRAM:
        return (NGRAM_MARK + padded,)
    return tuple(NGRAM_MARK + padded[i : i + NGRAM] for i in range(len(padded) - NGRAM + 1))


def theme_key(tag: str) -> str:
    """A theme tag in canonical form: ``"Mental health"`` and ``"mental-health"`` agree."""
    return "-".join(stem(w) for w in normalise(tag).split())


def features(
    title: str, body: str = "", themes: Iterable[str] = (), statement: str = ""
) -> dict[str, float]:
    """Feature counts of a proposal: title words ``TITLE_WEIGHT`` times, body words once,
    subsidiarity statement words ``STATEMENT_WEIGHT`` times (statements say who holds the
    power, in words many proposals share), the title words' character n-grams when the
    text is short (fewer than ``SHORT_TEXT`` distinct words in title, body and
    statement), and one ``#key`` feature per
    theme tag."""
    counts: dict[str, float] = {}
    for text, weight in ((title, TITLE_WEIGHT), (body, 1), (statement, STATEMENT_WEIGHT)):
        for word in tokenize(text or ""):
            counts[word[:FEATURE_MAX]] = counts.get(word[:FEATURE_MAX], 0.0) + weight
    if len(counts) < SHORT_TEXT:
        for word in content_words(title or ""):
            for gram in ngrams(word):
                counts[gram] = counts.get(gram, 0.0) + 1
    for tag in themes or ():
        key = theme_key(str(tag))
        if key:
            counts[(TAG + key)[:FEATURE_MAX]] = 1.0
    return counts


def is_tag(feature: str) -> bool:
    return feature.startswith(TAG)


def idf(df: int, n: int) -> float:
    """Smoothed inverse document frequency of a feature held by ``df`` of ``n`` proposals."""
    return 1.0 + math.log((n + 1) / (df + 1))


def specificity(df: int, n: int) -> float:
    """How much a tag held by ``df`` of ``n`` proposals says: ``1 - df / n``, near 1 for a
    rare tag and 0 for one every proposal so far carries (it strengthens nothing)."""
    return max(0.0, 1.0 - df / n) if n > 0 else 0.0


def _sublinear(tf: float) -> float:
    """``1 + ln tf``, and ``tf`` itself below 1 (a feature counted at a fraction)."""
    return 1.0 + math.log(tf) if tf >= 1.0 else tf


def weigh(counts: Mapping[str, float], df: Mapping[str, int], n: int) -> Vector:
    """Sublinear TF-IDF; n-grams scaled by ``NGRAM_WEIGHT``; the text part scaled to unit
    length, the theme part to the length of its most specific tag's :func:`specificity`
    (so a tag every proposal carries strengthens nothing)."""
    text: Vector = {}
    theme: Vector = {}
    strength = max(
        (specificity(df.get(f, 0), n) for f in counts if is_tag(f) and counts[f] > 0), default=0.0
    )
    for f, tf in counts.items():
        if tf <= 0:
            continue
        w = _sublinear(tf) * idf(df.get(f, 0), n)
        if f.startswith(NGRAM_MARK):
            w *= NGRAM_WEIGHT
        (theme if is_tag(f) else text)[f] = w
    out: Vector = {}
    for part, length in ((text, 1.0), (theme, strength)):
        norm = math.sqrt(sum(w * w for w in part.values()))
        if norm and length > 0:
            out.update({f: length * w / norm for f, w in part.items()})
    return out


def split_norms(vector: Mapping[str, float]) -> tuple[float, float]:
    """Squared norms of the text part and the theme part of a vector."""
    text = theme = 0.0
    for f, w in vector.items():
        if is_tag(f):
            theme += w * w
        else:
            text += w * w
    return text, theme


def unit(vector: Mapping[str, float]) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return sum([w * get(t, 0.0) for t, w in a.items()])
