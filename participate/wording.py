"""Numbers and terms as a person reads them (issue 15): one helper per idea, each a Jinja filter.

The pages keep the exact figures where a person checks a rule (the threshold's formula, the
score); these say the same thing in words first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from participate.councils.models import CONSTITUENCIES

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

LINK_KINDS = {
    "reports_to": "reports to",
    "ringmaster": "meets in the place forum",
}

_THRESHOLD = re.compile(
    r"^max\((?P<minimum>[\d,]+), ceil\((?P<rate>[\d.]+)% × (?P<population>[\d,]+)\)\) = (?P<needed>[\d,]+)$"
)


def whole_percent(share: float | None) -> str:
    """A share from 0 to 1 as a whole percentage: 0.353535 → "35%"; a share above nothing
    that rounds to 0 is "under 1%", one short of everything that rounds to 100 is "over 99%"."""
    if share is None:
        return "–"
    percent = share * 100
    rounded = round(percent)
    if rounded == 0 and percent > 0:
        return "under 1%"
    if rounded == 100 and percent < 100:
        return "over 99%"
    return f"{rounded}%"


def percent_against(share: float | None, bound: float | None) -> str:
    """A share as a whole percentage beside the bound it is measured against (a threshold,
    a quorum): when rounding would make them look equal though they are not, it says which
    side it is on, "just under 50%" or "just over 50%"."""
    shown = whole_percent(share)
    if share is None or bound is None or share == bound or shown != whole_percent(bound):
        return shown
    return f"just {'under' if share < bound else 'over'} {shown}"


_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")


def whole_percents(text: str) -> str:
    """The percentages in a sentence as whole numbers ("turnout 35.3535% is below the 40%
    quorum" → "turnout 35% is below ..."); when a rounded figure would equal another figure
    of the sentence that it differs from, it says which side it is on ("just under 50%")."""
    values = [float(m) / 100 for m in _PERCENT.findall(text or "")]

    def one(match: re.Match) -> str:
        share = float(match[1]) / 100
        if float(match[1]).is_integer():  # a whole figure (a threshold, a quorum) stays
            return f"{int(float(match[1]))}%"
        others = [v for v in values if v != share and whole_percent(v) == whole_percent(share)]
        return percent_against(share, others[0]) if others else whole_percent(share)

    return _PERCENT.sub(one, text or "")


def number_word(n: int) -> str:
    """Small counts in words (style guides spell out one to ten), larger ones as figures."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def threshold_words(needed: int | None, explanation: str = "") -> str:
    """A petition's threshold in words: "2,000 signatures (1% of 568,996 residents, at least
    100)", from the stored explanation ``max(100, ceil(1% × 568,996)) = 5,690``; when the
    population is unknown, "100 signatures (the minimum: ...)"."""
    if needed is None:
        return ""
    count = f"{needed:,} signature{'s' if needed != 1 else ''}"
    match = _THRESHOLD.match(explanation or "")
    if match:
        return (
            f"{count} ({match['rate']}% of {match['population']} residents, "
            f"at least {match['minimum']})"
        )
    if explanation and "(" in explanation:
        return f"{count} {explanation[explanation.index('(') :]}"
    return count


def breadth_words(members: Mapping[str, int] | None) -> str:
    """How many constituencies back something, in words: "backed across all five groups",
    "backed by three of the five groups", "backed by one group only", "not backed yet"."""
    total = len(CONSTITUENCIES)
    backing = sum(1 for c in CONSTITUENCIES if (members or {}).get(c))
    if backing == 0:
        return "not backed yet"
    if backing == total:
        return f"backed across all {number_word(total)} groups"
    if backing == 1:
        return "backed by one group only"
    return f"backed by {number_word(backing)} of the {number_word(total)} groups"


def link_kind_words(kind: str) -> str:
    """A forum link's kind in words ("reports to"), never its code ("ringmaster")."""
    return LINK_KINDS.get(kind, kind.replace("_", " "))


FILTERS = {
    "whole_percent": whole_percent,
    "percent_against": percent_against,
    "whole_percents": whole_percents,
    "threshold_words": threshold_words,
    "breadth_words": breadth_words,
    "link_kind_words": link_kind_words,
}
