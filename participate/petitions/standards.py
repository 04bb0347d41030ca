"""The published petition standards a clerk moderates against (shown at /petitions/standards).

A rejection names the standard the petition does not meet, with a public reason.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Standard:
    code: str
    title: str
    text: str


_LIST = [
    Standard(
        "S1",
        "It asks the council for one clear change",
        "A petition asks for one thing the council can do, decide or recommend. It says what "
        "should change and why, in words anyone can follow. Petitions that ask for several "
        "unrelated things should be split.",
    ),
    Standard(
        "S2",
        "It is within the council's remit",
        "The change must concern how this public service is governed, scrutinised or run in "
        "this place, or the council's own constitution. Matters for another body (a court, "
        "another service, Parliament) are refused with a pointer to where to go.",
    ),
    Standard(
        "S3",
        "It is not already being decided",
        "A petition that repeats one already open, or asks for a decision already on a round's "
        "agenda, is refused: sign or follow the existing one instead.",
    ),
    Standard(
        "S4",
        "It respects people",
        "No defamatory, discriminatory, abusive or offensive content; no named staff or "
        "members of the public; nothing that could identify a person's health or care.",
    ),
    Standard(
        "S5",
        "It is lawful and honest",
        "No false statements presented as fact, no incitement, nothing that breaks the law or "
        "a court order, no advertising or party-political campaigning.",
    ),
    Standard(
        "S6",
        "Proposed settings make sense",
        "A constitution change proposes settings the council can use: weights that give "
        "every constituency a fair say, a quorum and thresholds between 0 and 1.",
    ),
]

STANDARDS: dict[str, Standard] = {s.code: s for s in _LIST}
