"""When a vote's published figures can reveal how people voted (DESIGN.md section 3).

A closed motion publishes each constituency's figures (yes, no and abstain counts, or the
ranking shares). In a constituency with very few eligible voters those figures can show
how each of them voted: with one voter always, with a handful whenever they agree. The
ballot page says so before the vote, to the members of such a constituency.
"""

from __future__ import annotations

from collections.abc import Mapping

# Statistical offices suppress cells under 5 for the same reason.
SMALL_CONSTITUENCY = 5


def small_constituencies(
    eligible: Mapping[str, int], smallest_safe: int = SMALL_CONSTITUENCY
) -> dict[str, int]:
    """``{constituency: eligible voters}`` for each constituency with voters, but fewer
    than ``smallest_safe``: its published figures may show how its members voted."""
    return {c: int(n) for c, n in eligible.items() if 0 < int(n) < smallest_safe}


def disclosure_warning(constituency_label: str, eligible: int) -> str:
    """The sentence the ballot page shows to a member of a small constituency."""
    if eligible == 1:
        return (
            f"You are the only eligible voter among {constituency_label.lower()}. The "
            "published result shows each constituency's figures, so it will show how you "
            "voted."
        )
    return (
        f"Only {eligible} {constituency_label.lower()} can vote on this motion. The published "
        "result shows each constituency's figures, so if you all vote the same way, "
        "everyone will know how each of you voted."
    )
