"""The demo's flagship thread in Manchester's health and care council, the one the demo sign-ins
walk through: a discussion in every stance, an accepted, a declined and a pending amendment, a
hidden comment whose author appealed, and a flag waiting in the clerk's queue."""

from __future__ import annotations

from datetime import timedelta

from participate.accounts.models import User
from participate.extensions import db
from participate.proposals import amendments, moderation, services
from participate.seed.proposals_text import HEALTH
from participate.seed.proposals_threads import comment, fill, said_at, support


def manchester_story(ctx, council, clerk, by_constituency, members, start) -> None:
    """The flagship thread the demo sign-ins walk through, begun 74 days after ``start``:
    comments every nine hours, amendments from the next day, supports the next day, then
    moderation once the discussion is over."""
    people = ctx.people
    title, body, themes = HEALTH[0]
    begun = start + timedelta(days=74)
    with ctx.at(begun):
        proposal = services.create_proposal(
            people["citizen"],
            council,
            title=fill(title, council),
            body=fill(body, council),
            themes=themes,
        )
    residents = {
        c: [u for u in g if u.id not in {p.id for p in people.values()}]
        for c, g in by_constituency.items()
    }

    said = []

    def say(user, stance, text, parent=None):
        said.append(comment(ctx, proposal, begun, len(said), user, stance, text, parent))
        return said[-1]

    amended = []

    def amend(user, body, reason, answer=None):
        """The next amendment, proposed a day in (seven hours after the one before), and the
        author's ``answer`` to it, ``(accept, reason)``, two days after the one before."""
        n = len(amended)
        with ctx.at(begun + timedelta(days=1, hours=7 * n)):
            amended.append(amendments.propose_amendment(user, proposal, body=body, reason=reason))
        if answer is not None:
            accept, why = answer
            with ctx.at(begun + timedelta(days=2 * (n + 1))):
                amendments.resolve_amendment(
                    people["citizen"], amended[-1], accept=accept, reason=why
                )

    nurse = say(
        people["employee"],
        "against",
        "As a practice nurse I support the aim, but our evening sessions already run on "
        "locums. **Who staffs the hubs?** Without new posts this means longer days for the "
        "same tired people.",
    )
    say(
        people["leader"],
        "question",
        "Would the hubs be run by the primary care networks or by the GP federation? The "
        "contract decides who is accountable when a session is cancelled.",
    )
    walsh = say(
        people["elected"],
        "for",
        "Residents in Moss Side and Harpurhey raise this at every surgery I hold. People on "
        "zero-hours contracts lose a day's pay to see a GP. This is overdue.",
    )
    say(
        people["citizen"],
        "for",
        "That's fair, Tom. The staffing question is real — see the amendment about pharmacists, "
        "which would take some of the load off nurses.",
        parent=nurse,
    )
    partner = residents.get("partner") or members
    say(
        partner[0],
        "neutral",
        "Healthwatch Manchester's 2025 survey found 61% of working-age respondents could not "
        "get an appointment they could attend. Happy to share the full results with the council.",
    )
    say(
        (residents.get("employee") or members)[0],
        "against",
        "With respect, Cllr Walsh, the hubs in Salford were half empty on Saturdays in their "
        "first year. Not everywhere at once: we should learn from that first.",
        parent=walsh,
    )
    say(
        (residents.get("citizen") or members)[0],
        "for",
        "I care for my dad and work nights. An 8pm appointment would be the first one I could "
        "make without swapping shifts.",
    )
    hidden = say(
        (residents.get("citizen") or members)[1],
        "against",
        "The receptionists at my practice are lazy and rude, especially the one on Tuesdays — "
        "everyone knows who I mean. Sack them before opening longer.",
    )
    flagged = say(
        (residents.get("leader") or members)[0],
        "neutral",
        "This whole council is a talking shop run by managers who never use the NHS.",
    )
    say(
        (residents.get("elected") or members)[0],
        "question",
        "Could the quarterly report include who uses the hubs by neighbourhood, so we can see "
        "whether they reach the people this is meant for?",
    )
    # Amendments: one accepted, one declined, one waiting for the author.
    amend(
        people["leader"],
        proposal.body.replace(
            "- the same records system, so the hub sees your notes;",
            "- the same records system, so the hub sees your notes;\n"
            "- a pharmacist-led minor illness service in every hub, so that GP and nurse "
            "time goes to the people who need it most;",
        ),
        "Pharmacists can treat many evening presentations and the hubs need the capacity.",
        (True, "Good idea: it uses skills we already have and answers Tom's staffing point."),
    )
    amend(
        people["employee"],
        proposal.body.replace("until 8pm", "until 7pm").replace("6.30–8pm", "6.30–7pm"),
        "Finishing at 7pm would let staff get home safely and be easier to staff.",
        (False, "Shift workers told us 7pm is too early; the Healthwatch survey supports 8pm."),
    )
    amend(
        people["elected"],
        proposal.body.replace(
            "- bookable online, by phone and at any practice reception;",
            "- bookable online, by phone, by text relay and British Sign Language video, and "
            "at any practice reception;",
        ),
        "Deaf residents cannot book by phone; this makes the hubs accessible to them.",
    )
    with ctx.at(begun + timedelta(days=1)):
        support(ctx, proposal, members, 26)
    # Moderation after the discussion: one flag waiting for the clerk, one comment hidden (its
    # author appealed).
    ended = said_at(begun, len(said))
    with ctx.at(ended + timedelta(hours=2)):
        moderation.flag(
            people["citizen"],
            proposal,
            comment=flagged,
            reason="Insulting to the people who give their time to this council, and off-topic.",
        )
    if clerk is not None:
        with ctx.at(ended + timedelta(hours=20)):
            hiding = moderation.hide(
                clerk,
                proposal,
                comment=hidden,
                reason="personal attack on members of staff who can be identified (standard 2: "
                "respect)",
            )
        author = db.session.get(User, hidden.author_id)
        with ctx.at(ended + timedelta(days=1, hours=9)):
            moderation.appeal(
                author,
                hiding,
                text="I was angry but I did not name anyone. I can rewrite it without the attack.",
            )
