"""The demo's e-mail settings: a few people chose differently from the defaults, as real
people do, so the settings page, the digest and the reminders show their effect."""

from __future__ import annotations

from participate.accounts.models import User
from participate.notifications import kinds as K
from participate.notifications.preferences import apply_settings

# demo person's key (participate.seed.councils.DEMO_PEOPLE and the clerks) -> (all e-mail, choices)
DEMO_SETTINGS: dict[str, tuple[bool | None, dict[str, str]]] = {
    # an engaged resident: comments and votes at once, phases not at all
    "citizen": (
        None,
        {"proposal_comment": K.IMMEDIATE, "vote_open": K.IMMEDIATE, "round_phase": K.OFF},
    ),
    # a busy employee: decisions and reminders only, routine activity stays on the site
    "employee": (
        None,
        {
            "proposal_comment": K.OFF,
            "proposal_edited": K.OFF,
            "round_phase": K.OFF,
            "vote_result": K.OFF,
        },
    ),
    # a councillor who reads everything on the site and wants no e-mail at all
    "elected": (False, {}),
    # the Manchester clerk wants join requests and members' questions at once
    "clerk": (None, {"membership_request": K.IMMEDIATE, "round_question": K.IMMEDIATE}),
    # the minister: what reaches the national inbox, at once
    "minister": (None, {"upward_forwarded": K.IMMEDIATE, "upward_referred": K.IMMEDIATE}),
}


def seed_settings(people: dict[str, User]) -> int:
    """Apply the demo's choices in the caller's transaction; returns how many people."""
    done = 0
    for key, (email, changes) in DEMO_SETTINGS.items():
        if key in people:
            apply_settings(people[key], email=email, changes=changes)
            done += 1
    return done
