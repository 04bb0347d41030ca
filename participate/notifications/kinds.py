"""The kinds of notification the app sends, and how each is e-mailed unless the person chose.

Every ``notify(kind=...)`` across the app has an entry here, so the settings page can offer
it. A person chooses, per kind, to get it by e-mail at once (``immediate``), in the daily
digest (``digest``) or not by e-mail (``off``); the in-app notification always stays.

Defaults: what decides something about the person (their membership, their petition, the
answer to their question, their hidden comment) is e-mailed at once; routine activity
(comments on what they follow, phases, votes opening, the upward flow) waits for the digest;
reminders go at once. A reminder in a digest would arrive after the deadline, so reminders
offer only ``immediate`` or ``off``; the upward answer's own e-mail is not a stored
notification, so it offers the same two.
"""

from __future__ import annotations

from dataclasses import dataclass

IMMEDIATE = "immediate"
DIGEST = "digest"
OFF = "off"
DELIVERIES = (IMMEDIATE, DIGEST, OFF)
DELIVERY_LABELS = {
    IMMEDIATE: "E-mail me at once",
    DIGEST: "In the daily digest",
    OFF: "No e-mail (only here)",
}
NOW_OR_NEVER = (IMMEDIATE, OFF)

# Unsubscribe-link scopes beyond one kind.
ALL = "*"
DIGEST_SCOPE = "digest"


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # completes "Tell me when ..." on the settings page
    group: str
    default: str
    choices: tuple[str, ...] = DELIVERIES


ABOUT_YOU = "About you"
COUNCIL_WORK = "Running a council"
PROPOSALS = "Proposals you follow"
ROUNDS_VOTES = "Rounds and votes"
PETITIONS = "Petitions"
UPWARD = "Proposals sent up and national consultations"
REMINDERS = "Reminders"

GROUPS = (ABOUT_YOU, REMINDERS, PETITIONS, ROUNDS_VOTES, PROPOSALS, COUNCIL_WORK, UPWARD)

_KINDS = (
    Kind("membership_decided", "a clerk decides on your membership", ABOUT_YOU, IMMEDIATE),
    Kind("appointment", "you are appointed, or an appointment ends", ABOUT_YOU, IMMEDIATE),
    Kind(
        "moderation",
        "something you wrote is hidden or reinstated, or a flag or appeal waits for you",
        ABOUT_YOU,
        IMMEDIATE,
    ),
    Kind("round_answer", "the clerk answers your question in a round", ABOUT_YOU, IMMEDIATE),
    Kind("round_merge", "your agenda item is merged into another", ABOUT_YOU, IMMEDIATE),
    Kind(
        "reminder_vote",
        "voting closes in 24 hours and you have not voted",
        REMINDERS,
        IMMEDIATE,
        NOW_OR_NEVER,
    ),
    Kind(
        "reminder_petition_answer",
        "your council must answer a petition within 7 days",
        REMINDERS,
        IMMEDIATE,
        NOW_OR_NEVER,
    ),
    Kind(
        "reminder_consultation",
        "a national consultation your council has not answered closes within a day",
        REMINDERS,
        IMMEDIATE,
        NOW_OR_NEVER,
    ),
    Kind("petition_moderation", "a petition waits for the clerk's check", PETITIONS, IMMEDIATE),
    Kind("petition_published", "a petition opens for signatures", PETITIONS, IMMEDIATE),
    Kind("petition_rejected", "a petition is not published", PETITIONS, IMMEDIATE),
    Kind("petition_threshold", "a petition reaches its threshold", PETITIONS, IMMEDIATE),
    Kind("petition_answered", "the council answers a petition", PETITIONS, IMMEDIATE),
    Kind(
        "petition_closed",
        "your petition closes without reaching its threshold",
        PETITIONS,
        IMMEDIATE,
    ),
    Kind("petition_applied", "a petition you signed changes a constitution", PETITIONS, DIGEST),
    Kind("vote_open", "voting opens in your council", ROUNDS_VOTES, DIGEST),
    Kind("vote_result", "a vote's result is published", ROUNDS_VOTES, DIGEST),
    Kind("round_created", "your council opens a round", ROUNDS_VOTES, DIGEST),
    Kind("round_phase", "a round moves to its next phase", ROUNDS_VOTES, DIGEST),
    Kind("proposal_comment", "someone comments on a proposal you follow", PROPOSALS, DIGEST),
    Kind("proposal_edited", "a proposal you follow is revised", PROPOSALS, DIGEST),
    Kind("proposal_status", "a proposal you follow changes status", PROPOSALS, DIGEST),
    Kind("proposal_amendment", "an amendment is proposed or decided", PROPOSALS, DIGEST),
    Kind("membership_request", "someone asks to join a council you clerk", COUNCIL_WORK, DIGEST),
    Kind("round_question", "a member asks a question in a round you run", COUNCIL_WORK, DIGEST),
    Kind("upward_forwarded", "a proposal is forwarded to your council's inbox", UPWARD, DIGEST),
    Kind("upward_referred", "a group of proposals is referred to your inbox", UPWARD, DIGEST),
    Kind("upward_taken_up", "a council takes up a proposal yours sent", UPWARD, DIGEST),
    Kind("upward_answered", "a proposal your council sent up is answered", UPWARD, DIGEST),
    Kind(
        "upward_answer",
        "the answer to a proposal you wrote, supported or sent up (its own e-mail)",
        UPWARD,
        IMMEDIATE,
        NOW_OR_NEVER,
    ),
    Kind("upward_consultation", "a national consultation asks your council", UPWARD, DIGEST),
    Kind("upward_adopted", "a national requirement is adopted after consulting", UPWARD, DIGEST),
    Kind(
        "upward_consultation_closed",
        "a consultation your council published closes and its results are ready",
        UPWARD,
        IMMEDIATE,
    ),
)

KINDS: dict[str, Kind] = {k.key: k for k in _KINDS}


def default_for(kind: str, *, about_them: bool = False) -> str:
    """The delivery when the person has not chosen. A kind not listed here (one added later)
    is e-mailed at once when the caller says it is about the person, else in the digest."""
    known = KINDS.get(kind)
    if known is not None:
        return known.default
    return IMMEDIATE if about_them else DIGEST


def grouped() -> list[tuple[str, list[Kind]]]:
    return [(g, [k for k in _KINDS if k.group == g]) for g in GROUPS]
