"""Consultation positions by constituency (DESIGN.md section 5), as a plain rule.

A council's position carries the tally of the motion that decided it, with each
constituency's eligible members and voters. Summed over the positions, that says, for
each constituency, in how many councils' decisions it took part (by the stance those
councils took) and how many of its members voted behind each stance. A position decided
without a vote has no tally and adds nothing here; it is counted apart.

Kept out of ``cascade`` on purpose: it reads only tallies, not the forum graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from participate.core.cascade import CONSTITUENCIES, STANCES


def _count(value: Any) -> int:
    """A tally figure as a whole number (tallies are JSON: be strict about what counts)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


def by_constituency(positions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Positions aggregated by constituency.

    ``positions``: mappings with ``stance`` and ``tally`` (``cascade.tally_summary`` of
    the deciding motion, or None). Returns ``{"by_constituency": {c: {"councils",
    <stance>: councils, "eligible", "voted", "turnout", "voters": {<stance>: members}}},
    "without_vote": positions with no tally}``. A constituency counts in a council's
    decision when it had eligible members in the vote. Known constituencies come first,
    in their usual order.
    """
    rows: dict[str, dict[str, Any]] = {}
    without_vote = 0
    for position in positions:
        stance = position["stance"]
        if stance not in STANCES:
            raise ValueError(f"unknown stance {stance!r}")
        tally = position.get("tally") or {}
        constituencies = tally.get("constituencies") or {}
        if not constituencies:
            without_vote += 1
            continue
        for name, figures in constituencies.items():
            eligible = _count((figures or {}).get("eligible"))
            if eligible == 0:
                continue
            voted = min(eligible, _count((figures or {}).get("voted")))
            row = rows.setdefault(
                name,
                {
                    "councils": 0,
                    **dict.fromkeys(STANCES, 0),
                    "eligible": 0,
                    "voted": 0,
                    "turnout": 0.0,
                    "voters": dict.fromkeys(STANCES, 0),
                },
            )
            row["councils"] += 1
            row[stance] += 1
            row["eligible"] += eligible
            row["voted"] += voted
            row["voters"][stance] += voted
    for row in rows.values():
        row["turnout"] = row["voted"] / row["eligible"] if row["eligible"] else 0.0

    def order(name: str) -> tuple[int, str]:
        return (CONSTITUENCIES.index(name) if name in CONSTITUENCIES else len(CONSTITUENCIES), name)

    return {
        "by_constituency": {name: rows[name] for name in sorted(rows, key=order)},
        "without_vote": without_vote,
    }
