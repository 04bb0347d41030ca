"""Deliberation rounds run by clerks (DESIGN.md §2, issue 4).

A round takes an agenda of a council's proposals (and petitions it must answer) through
briefing, discussion, refinement, voting and outcome to closed. The phase machine and the
permission table are `participate.core.phases`; this package stores rounds, applies the
machine (by hand or lazily when a planned end passed), gates the proposal threads by phase,
opens and closes the motions, records outcomes and publishes the minutes.
"""

from participate.rounds.gate import install as _install_gate  # noqa: E402

_install_gate()
