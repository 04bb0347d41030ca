"""Texts of the demo rounds: evidence packs, questions, answers, comments, amendments,
reasons (the files they attach are made in ``participate.seed.files``)."""

from __future__ import annotations

CLOSED = {
    "title": "Urgent and crisis care this winter",
    # the two open proposals the round takes, in this order (participate.seed.rounds)
    "subjects": (
        "Publish A&E and ambulance handover waits for each hospital every week",
        "Mental health crisis cafés open until 10pm",
    ),
    "purpose": (
        "Last winter Manchester's A&E departments saw their busiest months on record, and "
        "people in a mental health crisis waited longest of all. The council took two proposals "
        "from its members to a round: **publishing A&E and ambulance handover waits** for each "
        "hospital every week, and **mental health crisis cafés open until 10pm**. This round "
        "decided what the council asks the integrated care board to publish and fund before "
        "next winter."
    ),
    "evidence": """## What the figures say

- **A&E attendances** at Manchester Royal Infirmary, Wythenshawe and North Manchester
  General rose 9% between December and February compared with the year before.
- **Ambulance handovers** over 60 minutes: 1,420 last winter, against a national standard
  of none.
- **Mental health crises**: one in four people who came to A&E in a mental health crisis
  waited more than 12 hours there.
- Salford's **crisis café**, open until 10pm, had 2,300 visits in its first year, and A&E
  attendances in crisis by Salford residents fell 8%.

## What the options cost

| Option | Cost per year | Staff needed |
|---|---:|---:|
| Weekly publication of waits | £40k | 0.5 analyst |
| Two crisis cafés open until 10pm | £1.2m | 14 support workers |

The attached briefing sets out Salford's results; the chart shows handover delays by month.
""",
    "links": [
        (
            "NHS England: A&E attendances and emergency admissions",
            "https://www.england.nhs.uk/statistics/statistical-work-areas/ae-waiting-times-and-activity/",
        ),
        (
            "Mind: crisis services",
            "https://www.mind.org.uk/information-support/guides-to-support-and-services/crisis-services/",
        ),
        (
            "The King's Fund: what is happening to waits for urgent care?",
            "https://www.kingsfund.org.uk/insight-and-analysis",
        ),
    ],
    "questions": [
        (
            "citizen",
            "Where would the cafés be? For people without a car, how far it is matters more "
            "than the hours.",
            1,
            "One in the city centre and one in North Manchester, each on a main bus route; the "
            "briefing lists the sites the trust has offered.",
        ),
        (
            "employee",
            "Who would staff the cafés until 10pm? Crisis teams are already short of people, "
            "and evening shifts cannot simply be added to the day.",
            1,
            "Peer support workers and a mental health nurse on each shift, employed by a "
            "voluntary organisation as in Salford, where 95% of shifts were filled. No crisis "
            "team would lose staff to them.",
        ),
        (
            "leader",
            "Does publishing handover waits for each hospital risk naming and shaming "
            "the busiest site, when the cause is discharge delays elsewhere?",
            0,
            "The weekly page would show handover waits next to delayed discharges for each "
            "hospital, so the cause is visible. The trusts have agreed to the format.",
        ),
    ],
    "comments": [
        (
            0,
            "citizen",
            "for",
            "My mother waited nine hours at North Manchester last January. If the waits are "
            "public every week, we can see whether anything we decide here makes a difference.",
        ),
        (
            0,
            "leader",
            "against",
            "Not weekly: the figures move about a lot; monthly publication with "
            "a rolling average would be fairer and less work.",
        ),
        (
            0,
            "partner",
            "for",
            "Healthwatch would use the weekly figures in its reports and "
            "share them with patient groups.",
        ),
        (
            1,
            "citizen",
            "for",
            "When my brother was in crisis the only place open at night was A&E, and he waited "
            "eleven hours there. A café would have been the right place.",
        ),
        (
            1,
            "employee",
            "against",
            "I support the aim, but without new posts the evening shifts would fall on crisis "
            "staff already working 50 hours a week. This would burn them out.",
        ),
        (
            1,
            "leader",
            "neutral",
            "The business case is sound if the integrated care board funds it recurrently; "
            "one-year money would close the cafés again in 2028.",
        ),
        (
            1,
            "elected",
            "for",
            "Residents raise crisis support with me more than any other issue. Evenings matter: "
            "that is when people have nowhere else to go.",
        ),
    ],
    "amendment": (
        0,
        "citizen",
        " Next to each hospital's waits, the page should show its delayed discharges that "
        "week, so the cause of a long wait is visible.",
        "Waits alone would blame the front door for a problem that starts on the wards.",
        "Accepted: it is what the trusts asked for too.",
    ),
    # {title}: the agenda item's; the clerk's reasons name what was decided
    "reasons": [
        "The council adopts “{title}”: the motion passed with the weighted support of the "
        "constituencies that voted. The clerk will ask the integrated care board to put it into "
        "practice before next winter, and will report back to the council in September.",
        "The council does not take up “{title}”: the motion did not reach the pass threshold. "
        "The clerk will bring a revised proposal, with the points raised in the discussion, to "
        "the spring round.",
    ],
}

BRIEFING = {
    "title": "Answering the petition on co-operative community pharmacy",
    "purpose": (
        "A petition signed by more than the threshold asks the council to give patients and "
        "staff a co-operative stake in community pharmacy. The council must answer it within "
        "60 days: this round gathers the evidence, hears questions and puts it to a "
        "governance vote."
    ),
    "evidence": """## The petition's request

The petitioners ask for a co-operative model for the community pharmacy services the council
oversees: a board with elected patient and staff members, and a share of any surplus
reinvested in local services.

## What we know so far

- 141 community pharmacies in Manchester; 38 are independent, the rest belong to chains.
- Two co-operative pharmacies already operate in Greater Manchester (Rochdale and Oldham).
- A governance change of this kind needs a **two-thirds** weighted majority of the council.

The clerk will add the legal advice on commissioning rules before the briefing ends.
""",
    "links": [
        ("Co-operatives UK: co-operative pharmacies", "https://www.uk.coop/resources"),
    ],
    "questions": [
        (
            "citizen",
            "Would patients have to buy a share to vote for the board?",
            "No: the petition proposes that every registered patient of a member pharmacy can vote, "
            "free of charge. The legal advice will confirm whether this is possible.",
        ),
        (
            "employee",
            "Would pharmacy staff keep their current terms and conditions if their "
            "employer joined the co-operative?",
            None,
        ),
    ],
}

VOTING = {
    "title": "Help with money, housing and health: one front door",
    "purpose": (
        "Two proposals from the place forum's members ask for joined-up help across the "
        "council's services. Members have discussed and refined them; the forum now votes."
    ),
    "evidence": """## Background

Citizens Advice Manchester saw 18,400 people last year; 41% also had a health problem
their GP was treating. The housing service and the hospitals each run their own advice
lines. The proposals would share one front door and open warm spaces in winter.
""",
}

REFINEMENT = {
    "title": "Mental health crisis care and carers' parking across the North West",
    "purpose": (
        "The regional council takes two proposals forwarded from local councils and refines "
        "them before a vote: crisis cafés open until 10pm, and free parking for unpaid carers."
    ),
    "amendments": [
        (
            0,
            " Cafés should be run with the voluntary sector and open seven days a week.",
            "Voluntary organisations already run the two cafés that work best.",
            None,
        ),
        (
            1,
            " Permits should also cover parents of children in hospital for more than a week.",
            "Parents of long-stay children face the same costs as carers.",
            "Accepted: it costs little and the hospitals agreed.",
        ),
    ],
}

DISCUSSION = {
    "title": "Patient transport and home care: national standards",
    "purpose": (
        "Two proposals for national standards: merging the two patient transport services, "
        "and home care visits of at least 30 minutes. The national council discusses them "
        "before the minister is asked to consult."
    ),
    "comments": [
        (
            0,
            "for",
            "Two services, two phone numbers and two eligibility rules: patients "
            "give up and take a taxi to dialysis.",
        ),
        (
            0,
            "against",
            "The ambulance trust's service works well for the frailest patients; "
            "merging risks diluting it.",
        ),
        (1, "for", "Fifteen-minute visits mean carers choosing between a meal and a wash."),
        (
            1,
            "neutral",
            "A 30-minute minimum needs a national rate for councils, or it will "
            "be met by cutting the number of visits.",
        ),
    ],
}

OUTCOME = {
    "title": "Evenings and carers: Leeds' priorities for the year",
    "purpose": (
        "Leeds' council voted on crisis cafés open until 10pm and free parking permits for "
        "unpaid carers. The clerk now records the decisions."
    ),
    "reason": "The council adopts “{title}” with a clear majority in every constituency that "
    "took part. The clerk will ask the trust's board to put it into practice by October.",
    "rejected": "The council does not take up “{title}”: the motion did not reach the pass "
    "threshold. The clerk will bring a costed version back to the autumn round.",
}
