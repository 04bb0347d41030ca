"""Words of the demo proposals: realistic public-service proposals and discussion.

``{place}`` is replaced by the council's place name. Each entry: title, body (Markdown), themes.
"""

from __future__ import annotations

HEALTH = [
    (
        "Evening and weekend GP appointments in every neighbourhood of {place}",
        """People who work shifts, care for someone or cannot take time off struggle to see a GP
between 8am and 6pm. Practices in {place} should share **extended hours hubs** so that every
neighbourhood has a GP, nurse or pharmacist appointment until 8pm on weekdays and on Saturday
mornings.

What we propose:

- one hub per primary care network, open 6.30–8pm on weekdays and 9am–1pm on Saturdays;
- bookable online, by phone and at any practice reception;
- the same records system, so the hub sees your notes;
- a report every quarter on how many appointments were used and by whom.""",
        "gp-access, waiting-times, primary-care",
    ),
    (
        "Publish A&E and ambulance handover waits for each hospital every week",
        """Waiting times are published as regional averages months after the fact. People in
{place} should be able to see, each week, how long patients waited in each emergency
department and how long ambulances queued outside before handing patients over.

The data already exists. We ask the council to publish it every Monday on an open page, with
the figures broken down by hour of arrival, and to discuss the trend at every meeting.""",
        "urgent-care, transparency, ambulance",
    ),
    (
        "Mental health crisis cafés open until 10pm",
        """When someone is in a mental health crisis in the evening, the only door open is A&E.
Crisis cafés run with voluntary organisations give a calm place to talk to trained staff and
peers, and they reduce emergency attendances.

We propose two crisis cafés in {place}, open every day from 4pm to 10pm, run by the NHS
trust with local charities, with a direct line to the crisis team.""",
        "mental-health, urgent-care, voluntary-sector",
    ),
    (
        "Free parking permits for unpaid carers at hospitals",
        """Carers who bring a relative to appointments several times a week pay for parking
every time. A free permit for registered unpaid carers would cost little and remove a real
hardship. Carers would register once with the carers' centre in {place}.""",
        "carers, hospitals, cost-of-living",
    ),
    (
        "Merge the two patient transport services",
        """Two separate patient transport services cover {place}, with different booking lines
and eligibility rules. Merging them into one service with one number would be simpler for
patients and could save money that goes back into more journeys.""",
        "patient-transport, efficiency",
    ),
    (
        "Home care visits of at least 30 minutes",
        """Fifteen-minute home care visits leave no time to help someone eat, wash and talk.
Care workers tell us they are always rushing and people receiving care feel processed.

We propose that commissioned home care visits in {place} last **at least 30 minutes**,
except for short medication checks agreed with the person, and that care workers are paid
for travel time between visits.""",
        "social-care, home-care, workforce",
    ),
    (
        "A single phone number for all community health services",
        """District nursing, physiotherapy, podiatry, speech and language therapy and the
falls team each have their own number in {place}. People give up. One number, answered by a
person who can book any community service, would help patients and free clinicians' time.""",
        "community-health, access",
    ),
    (
        "Interpreters booked automatically for every appointment that needs one",
        """Patients whose first language is not English are too often asked to bring a
relative — sometimes a child — to interpret. When a patient's record says an interpreter is
needed, every appointment in {place} should book one automatically, in person or by video.""",
        "equality, access, interpreting",
    ),
    (
        "Dementia-friendly wards in every hospital",
        """People with dementia stay longer in hospital and leave less well than they came in.
Simple changes help: clear signs, familiar objects, open visiting for carers, and staff
trained in dementia care. We ask every hospital serving {place} to meet the dementia-friendly
ward standard within two years and to report progress to this council.""",
        "dementia, hospitals, carers",
    ),
    (
        "Community pharmacies to treat common conditions without a GP appointment",
        """Pharmacists can treat sore throats, earache, urinary infections and minor skin
conditions. Many people in {place} do not know this and queue for a GP instead. We propose a
local campaign and a shared booking system so that GP receptionists and NHS 111 can book
people straight into a pharmacy consultation.""",
        "pharmacy, primary-care, gp-access",
    ),
    (
        "Paid time for staff to take part in this council",
        """Frontline staff are the people who know where the service fails, but they cannot
come to evening meetings after a long shift. Employers in {place} should give staff members
of this council paid time to attend and prepare, as they do for union representatives.""",
        "workforce, participation",
    ),
    (
        "Waiting list support for people waiting more than a year",
        """Thousands of people in {place} have waited over a year for an operation. Many get
worse while they wait and hear nothing. Everyone waiting more than a year should have a named
contact, a call every three months and help to stay well (physiotherapy, pain management,
mental health support) while they wait.""",
        "waiting-times, elective-care",
    ),
]

SCHOOLS = [
    (
        "Free breakfast clubs in every primary school in {place}",
        """Children who arrive hungry cannot learn. Breakfast clubs also help parents who start
work early. We propose a free breakfast club in every primary school in {place}, open from
8am, funded jointly by the council and the schools.""",
        "school-meals, cost-of-living, early-years",
    ),
    (
        "Assess special educational needs within 20 weeks, every time",
        """Families wait far longer than the legal 20 weeks for an education, health and care
plan. Children lose school years while they wait. We ask for more educational psychologists,
a published weekly tracker of assessments and a named caseworker for every family.""",
        "send, waiting-times",
    ),
    (
        "Safe walking and cycling routes to every secondary school",
        """Traffic outside schools at drop-off time is dangerous and stops children walking.
School streets (closed to through traffic at the start and end of the day) and protected
cycle lanes would make it safe to walk or cycle to school in {place}.""",
        "transport, safety, health",
    ),
    (
        "Mental health support teams in every school",
        """One in six pupils has a mental health difficulty. Support teams shared between
schools reach only some of them. Every school in {place} should have a mental health
support team at least one day a week.""",
        "mental-health, wellbeing",
    ),
    (
        "Publish exclusions by school, every term",
        """Exclusions fall unevenly: pupils with special needs and some ethnic groups are
excluded far more often. Publishing termly exclusion figures for each school in {place} would
let parents, governors and this council see where support is needed.""",
        "transparency, inclusion",
    ),
    (
        "Holiday activities and food programme all summer",
        """The holiday programme runs for four weeks. Families on low incomes face six weeks of
summer without free school meals. We propose extending it to the whole summer holiday.""",
        "school-meals, cost-of-living, holidays",
    ),
    (
        "Pupils and parents on every school's improvement plan",
        """Improvement plans are written by leaders and inspectors. The pupils and parents of
{place} see them only when they are finished. Every school should invite two pupils and two
parents to help write its plan, and publish a short version in plain words.""",
        "participation, young-people, transparency",
    ),
]

FORUM = [
    (
        "One front door for help with money, housing and health in {place}",
        """People in difficulty are passed between the council, the NHS, Jobcentre Plus and
housing associations. A shared front door — one place, one phone number, one conversation —
would connect them with every service they need. We ask the place forum to lead it.""",
        "joined-up-services, cost-of-living, housing",
    ),
    (
        "Warm spaces in libraries and health centres every winter",
        """Last winter many people in {place} sat in cold homes. Libraries, health centres and
community centres could open as warm spaces, with free drinks, wifi and advice on bills and
benefits, from November to March.""",
        "cost-of-living, libraries, health",
    ),
    (
        "Damp and mould: a shared standard for landlords and health services",
        """Damp and mould make children ill. GPs and health visitors should be able to refer a
home directly to the housing team, which must inspect within 14 days, whoever the landlord.""",
        "housing, health, children",
    ),
    (
        "Share data between services so people tell their story once",
        """People tell the same story to five services. With consent, services in {place}
should share the basic facts (who you are, what help you already get) so nobody has to start
again at every door.""",
        "joined-up-services, data",
    ),
    (
        "A youth council seat on the place forum",
        """Young people use every service in {place} but have no voice in how they are run. We
propose two seats on the forum for members of the youth council, with a vote.""",
        "young-people, participation",
    ),
    (
        "Bus routes that reach the hospital and the health centres",
        """Several neighbourhoods in {place} have no direct bus to the hospital. Patients miss
appointments or pay for taxis. The forum should ask the transport authority to review routes
with the NHS trust, using appointment data.""",
        "transport, access, hospitals",
    ),
    (
        "A shared budget for early help, spent where families ask",
        """Each service in {place} funds its own early help, and families fall between them. The
forum should pool part of these budgets and let a panel of parents, staff and councillors
decide each year where early help is most needed.""",
        "early-help, participation, children",
    ),
]

OTHER = {
    "health": [
        (
            "Longer GP opening hours in {place}",
            "Working people in {place} cannot get a GP appointment outside office hours. "
            "Practices should share evening and Saturday appointments.",
            "gp-access, primary-care",
        ),
        (
            "Faster mental health support for young people in {place}",
            "Young people wait months for a first appointment with children's mental health "
            "services. We propose drop-in support in schools and youth centres.",
            "mental-health, young-people",
        ),
    ],
    "schools": [
        (
            "Free school meals for every primary pupil in {place}",
            "Universal free school meals would end the stigma and help families struggling "
            "with the cost of living.",
            "school-meals, cost-of-living",
        ),
        (
            "More support for pupils with special needs in {place}",
            "Mainstream schools need more teaching assistants trained in special needs.",
            "send, workforce",
        ),
    ],
    "policing": [
        (
            "Neighbourhood officers who stay in one area for three years",
            "Officers move on before people know them. Neighbourhood officers in {place} should "
            "stay at least three years so trust can build.",
            "neighbourhood-policing, trust",
        ),
        (
            "Report antisocial behaviour online and hear back within a week",
            "People in {place} report antisocial behaviour and never hear what happened. Every "
            "report should get an answer within seven days.",
            "antisocial-behaviour, transparency",
        ),
    ],
    "housing": [
        (
            "Fix damp and mould reports within 14 days in {place}",
            "Tenants wait months for damp and mould to be treated. Repairs should start within "
            "14 days of a report, with an inspection in 5.",
            "repairs, damp-and-mould, health",
        ),
        (
            "A named housing officer for every tenant in {place}",
            "Tenants never speak to the same person twice. Every tenant should have a named "
            "officer who knows their home.",
            "tenants, access",
        ),
    ],
    "forum": [
        (
            "One phone number for council and NHS services in {place}",
            "People do not know whom to call. A single number answered by a person would "
            "connect them with the right service.",
            "joined-up-services, access",
        ),
    ],
}

FOR = [
    "This would make a real difference to families like mine. We have waited long enough.",
    "I support this. In my service we see every week what happens when people cannot get help "
    "early: they come back later and sicker.",
    "Strongly for. It is also cheaper in the long run — prevention costs less than crisis.",
    "Yes. The evidence from other areas that tried this is good, and it is fair.",
    "As a carer I can say this is exactly what is missing. Please do it.",
    "For — and let us make sure the people who use the service help design it.",
    "Staff have been asking for this for years. It would help us do our jobs properly.",
    "I back this. It is what people tell us at every surgery I hold.",
]
AGAINST = [
    "I am against this as written: there is no money identified to pay for it, so something "
    "else would be cut.",
    "We do not have the staff. Rotas are already stretched and this would mean more agency "
    "spending.",
    "This sounds good but it moves the problem rather than solving it. The waits would just "
    "appear somewhere else.",
    "Against. Our experience is that a one-size rule across the whole area ignores very "
    "different neighbourhoods.",
    "I cannot support it until we know the effect on the people already waiting.",
    "The intention is right but the timescale is unrealistic; it would set the service up to fail.",
]
NEUTRAL = [
    "I can see both sides. Could we pilot it in one area and report back in six months?",
    "Worth noting that the trust board discussed something similar last year; the papers "
    "are public.",
    "No strong view, but whatever we do, we should measure it and publish the results.",
    "The proposal would be stronger with figures on how many people it would reach.",
    "Neutral for now. I would like to hear what the frontline teams think.",
]
QUESTION = [
    "How much would this cost each year, and who would pay?",
    "Has anyone asked the people who would have to deliver this whether it is workable?",
    "What happens to people who are not online? Will there be a phone option?",
    "Is there evidence from other councils that did this? What changed for patients?",
    "Who would be responsible for making sure it happens, and how would we know?",
]
REPLIES = {
    "for": [
        "Agreed, and the pilot data from last year backs you up.",
        "Exactly this. Thank you for putting it so clearly.",
    ],
    "against": [
        "I understand, but doing nothing also has a cost — it is just hidden.",
        "With respect, the staffing argument is made every time and nothing changes.",
    ],
    "neutral": [
        "A pilot seems sensible; it lets us learn before committing everywhere.",
        "Good point — the figures would help the council decide.",
    ],
    "question": [
        "The finance team estimated this last year; the clerk could share the paper.",
        "That is exactly what the proposal should answer before a vote.",
    ],
}
STANCE_BANK = {"for": FOR, "against": AGAINST, "neutral": NEUTRAL, "question": QUESTION}
# The stance of a reply from REPLIES[parent's stance]: agreeing with a supporter or pushing
# back on an objection backs the proposal; the answers to a neutral comment or a question
# take no side.
REPLY_STANCE = {"for": "for", "against": "for", "neutral": "neutral", "question": "neutral"}
