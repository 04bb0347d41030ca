"""Texts of the demo rounds: evidence packs, questions, answers, comments, amendments,
reasons (the files they attach are made in ``participate.seed.files``)."""

from __future__ import annotations

CLOSED = {
    "title": "Getting a GP or urgent care appointment this winter",
    "purpose": (
        "Last winter Manchester's A&E departments saw their busiest months on record, and "
        "one in five patients who called their practice at 8am was told to call back the next "
        "day. The council took two proposals from its members to a round: **evening and "
        "weekend GP appointments** and **publishing A&E and ambulance handover waits** every "
        "week. This round decided what the council asks the integrated care board to fund "
        "and publish before next winter."
    ),
    "evidence": """## What the figures say

- **A&E attendances** at Manchester Royal Infirmary, Wythenshawe and North Manchester
  General rose 9% between December and February compared with the year before.
- **Ambulance handovers** over 60 minutes: 1,420 last winter, against a national standard
  of none.
- **GP access**: 22% of patients in the GP patient survey found it hard to get through on
  the phone; in Gorton and Harpurhey it was 31%.
- Practices that opened **until 8pm twice a week** in the 2023 pilot saw 6% fewer A&E
  attendances by their patients for minor illness.

## What the options cost

| Option | Cost per year | Staff needed |
|---|---:|---:|
| Evening and weekend appointments in every neighbourhood | £3.1m | 38 GPs and nurses (sessions) |
| Weekly publication of waits | £40k | 0.5 analyst |

The attached briefing sets out the pilot's results; the chart shows handover delays by month.
""",
    "links": [
        (
            "NHS England: A&E attendances and emergency admissions",
            "https://www.england.nhs.uk/statistics/statistical-work-areas/ae-waiting-times-and-activity/",
        ),
        ("GP Patient Survey results", "https://www.gp-patient.co.uk/surveysandreports"),
        (
            "The King's Fund: what is happening to waits for urgent care?",
            "https://www.kingsfund.org.uk/insight-and-analysis",
        ),
    ],
    "questions": [
        (
            "citizen",
            "Would evening appointments be with my own practice, or at a hub across "
            "the city? For people without a car that matters more than the hours.",
            0,
            "At hubs shared by the practices of each neighbourhood (13 hubs), never more than "
            "two bus stops from the furthest practice in it. The pilot's hubs are listed in the "
            "briefing.",
        ),
        (
            "employee",
            "Where would the 38 clinicians come from? Practices are already short "
            "of staff, and evening sessions cannot simply be added to the day.",
            0,
            "From sessional GPs and advanced nurse practitioners paid at the out-of-hours rate; "
            "the pilot filled 92% of its sessions this way. No practice would have to staff "
            "them from its own list.",
        ),
        (
            "leader",
            "Does publishing handover waits for each hospital risk naming and shaming "
            "the busiest site, when the cause is discharge delays elsewhere?",
            1,
            "The weekly page would show handover waits next to delayed discharges for each "
            "hospital, so the cause is visible. The trusts have agreed to the format.",
        ),
    ],
    "comments": [
        (
            0,
            "citizen",
            "for",
            "My mother waited nine hours at North Manchester last January "
            "for something a GP could have seen on a Saturday morning. This is overdue.",
        ),
        (
            0,
            "employee",
            "against",
            "I support the aim, but the pilot hubs were staffed by "
            "people already working 50 hours a week. Without new posts this will burn staff out.",
        ),
        (
            0,
            "leader",
            "neutral",
            "The business case is sound if the integrated care board "
            "funds it recurrently; one-year money would close the hubs again in 2028.",
        ),
        (
            0,
            "elected",
            "for",
            "Harpurhey residents raise GP access with me more than any "
            "other issue. Evenings matter for people who cannot leave work.",
        ),
        (
            1,
            "citizen",
            "for",
            "If the waits are public every week, we can see whether "
            "anything we decide here makes a difference.",
        ),
        (
            1,
            "leader",
            "against",
            "Not weekly: the figures move about a lot; monthly publication with "
            "a rolling average would be fairer and less work.",
        ),
        (
            1,
            "partner",
            "for",
            "Healthwatch would use the weekly figures in its reports and "
            "share them with patient groups.",
        ),
    ],
    "amendment": (
        0,
        "citizen",
        " Hubs should open until 8pm on weekdays and from 9am to "
        "1pm on Saturdays, with at least a third of appointments bookable online.",
        "Saturday mornings are when working parents can come, and online booking "
        "avoids another 8am phone queue.",
        "Accepted: Saturday mornings were the busiest sessions in the pilot.",
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
