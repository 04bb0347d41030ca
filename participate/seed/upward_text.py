"""Texts of the upward demo: proposals local councils adopt and forward, grouped by topic (each
topic should become one cluster in the national inbox), and the consultations' drafts."""

from __future__ import annotations

# topic -> (themes, [(title, body), ...]); "{place}" is the sending council's place.
TOPICS: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "gp-booking": (
        ["gp-access", "primary-care"],
        [
            (
                "Let patients book GP appointments days ahead",
                "In {place} patients ring the surgery at 8am and are still thirtieth in the "
                "queue. We ask for a booking system that lets patients reserve a GP "
                "appointment days ahead instead of a daily phone race.",
            ),
            (
                "End the 8am phone scramble for GP appointments",
                "The 8am rush for GP appointments in {place} leaves working people and carers "
                "without a slot. Practices should offer appointments bookable in advance, "
                "online and by phone.",
            ),
            (
                "Advance booking for routine GP appointments",
                "Routine GP appointments in {place} can only be booked on the day. Allow "
                "booking up to two weeks ahead so patients can plan around work and care.",
            ),
            (
                "GP appointments bookable in advance, not only on the day",
                "Residents of {place} want to book their GP appointment in advance. The "
                "same-day-only rule fills phone lines at 8am and excludes shift workers.",
            ),
        ],
    ),
    "youth-mental-health": (
        ["mental-health", "young-people"],
        [
            (
                "Mental health support in every secondary school",
                "Young people in {place} wait more than a year for CAMHS. Put a mental "
                "health practitioner in every secondary school so help comes early.",
            ),
            (
                "Cut CAMHS waiting times for young people",
                "Children referred to child and adolescent mental health services in {place} "
                "wait months without support. Fund drop-in mental health support for young "
                "people while they wait.",
            ),
            (
                "Drop-in mental health hubs for teenagers",
                "Open drop-in mental health hubs for young people in {place}, staffed by "
                "counsellors, with no referral needed and evening opening.",
            ),
        ],
    ),
    "hospital-parking": (
        ["parking", "carers"],
        [
            (
                "Free hospital parking for carers and long-stay visitors",
                "Families visiting long-stay patients at {place} hospitals pay high car park "
                "charges every day. Make hospital parking free for carers and visitors of "
                "long-stay patients.",
            ),
            (
                "Scrap hospital car park charges for unpaid carers",
                "Unpaid carers in {place} pay to park at the hospital every time they bring "
                "someone to treatment. Exempt carers from hospital parking charges.",
            ),
            (
                "Cap hospital parking charges for frequent visitors",
                "Cancer patients and their families in {place} pay hospital car park fees "
                "several times a week. Cap parking charges for frequent hospital visitors.",
            ),
        ],
    ),
    "nhs-dentistry": (
        ["dentistry", "access"],
        [
            (
                "Restore NHS dentist places for adults",
                "No dental practice in {place} takes new adult NHS patients. Fund NHS "
                "dentist contracts so adults can register with a dentist near home.",
            ),
            (
                "Reform the NHS dental contract so practices take NHS patients",
                "Dentists in {place} say the NHS dental contract makes NHS work unviable. "
                "Reform the dental contract so practices can take NHS patients again.",
            ),
            (
                "Emergency NHS dental care within a week",
                "People in pain in {place} travel hours for an NHS dentist. Guarantee urgent "
                "NHS dental care within a week.",
            ),
        ],
    ),
    "ambulance-handover": (
        ["urgent-care", "ambulance"],
        [
            (
                "End ambulance handover delays outside A&E",
                "Ambulances queue outside {place} A&E for hours waiting to hand patients "
                "over, so crews cannot answer new 999 calls. Set a maximum handover time of "
                "30 minutes.",
            ),
            (
                "Ambulance crews back on the road within 30 minutes of arrival",
                "Handover delays at {place} hospitals keep ambulance crews off the road. "
                "Hospitals should take patients from ambulances within 30 minutes.",
            ),
            (
                "Publish ambulance handover times for every A&E",
                "Nobody in {place} can see how long ambulances wait outside A&E. Publish "
                "ambulance handover times for every emergency department each week.",
            ),
        ],
    ),
    "care-workers-pay": (
        ["social-care", "workforce"],
        [
            (
                "A fair wage for home care workers",
                "Home care workers in {place} earn less than supermarket staff and leave the "
                "job. Set a care worker minimum wage and pay travel time between visits.",
            ),
            (
                "Pay care workers for travel time between visits",
                "Care workers in {place} are not paid for travel between home visits, so "
                "their real pay is below the minimum wage. Pay travel time in every care "
                "contract.",
            ),
            (
                "National pay scale for social care staff",
                "Social care in {place} cannot recruit: staff leave for better paid work. A "
                "national pay scale for care workers, like the NHS has, would keep them.",
            ),
        ],
    ),
    "discharge-housing": (
        ["hospital-discharge", "housing"],
        [
            (
                "Housing for patients ready to leave hospital",
                "Patients in {place} stay in hospital for weeks after they are well because "
                "they have no suitable home to go to. Councils need step-down housing for "
                "patients ready for discharge.",
            ),
            (
                "Adapted homes so patients can leave hospital sooner",
                "Older patients in {place} wait in hospital for home adaptations and housing. "
                "Fund adapted housing so people can leave hospital when they are well.",
            ),
        ],
    ),
    "interpreters": (
        ["equality", "interpreting"],
        [
            (
                "Professional interpreters at every GP and hospital appointment",
                "Patients in {place} who speak little English rely on their children to "
                "interpret at medical appointments. Book professional interpreters for every "
                "appointment that needs one.",
            ),
            (
                "Stop using children as medical interpreters",
                "Children in {place} interpret diagnoses for their parents at the doctor's. "
                "Guarantee professional interpreting in health appointments.",
            ),
        ],
    ),
}

REGIONAL_NOTE = (
    "Taken up at the regional round: councils across the region adopted the same request, and "
    "the regional council agreed it."
)
# The clerk's reasons as an adopted proposal goes on the agenda and is adopted.
LOCAL_NOTES = ("On the agenda of the round.", "Adopted at the council's round.")
REGIONAL_NOTES = ("On the regional round's agenda.", REGIONAL_NOTE)

SUBSIDIARITY = {
    "gp-booking": "GP appointment booking rules are set in the national GP contract; a local "
    "council cannot change how practices offer appointments.",
    "youth-mental-health": "CAMHS funding and school mental health teams are commissioned "
    "nationally; local councils cannot fund them alone.",
    "hospital-parking": "Hospital parking charges are set by trusts under national guidance; "
    "a local council has no power over them.",
    "nhs-dentistry": "The NHS dental contract is national: no local council can change how "
    "practices are paid for NHS work.",
    "ambulance-handover": "Ambulance trusts and hospitals span many places; handover standards "
    "are set regionally and nationally, not by one place.",
    "care-workers-pay": "Care workers' pay depends on national funding and the national "
    "living wage; one council cannot set it for the sector.",
    "discharge-housing": "Hospital discharge needs housing money that councils do not hold; "
    "housing and health funding are decided nationally.",
    "interpreters": "Interpreting contracts are procured nationally for the NHS; a local "
    "council cannot change the contract's terms.",
}

CONSULTATIONS = [
    {
        "title": "Same-day access standard for urgent GP appointments",
        "body": "**Draft requirement.** Every GP practice in England offers a same-day "
        "assessment to any patient with an urgent need, by phone, online or in person, and "
        "lets patients book routine appointments up to four weeks ahead.\n\n"
        "Practices report monthly on both. Councils are asked whether the standard is right, "
        "what it would change locally, and how it should be amended.",
        "days": 30,
    },
    {
        "title": "Maximum 30-minute ambulance handover at every emergency department",
        "body": "**Draft requirement.** Every emergency department takes clinical "
        "responsibility for a patient arriving by ambulance within 30 minutes of arrival, "
        "with handover times published weekly by hospital.",
        "days": -5,
    },
    {
        "title": "Professional interpreting for every NHS appointment that needs it",
        "body": "**Draft requirement.** No child under 16 interprets at a health appointment; "
        "practices and hospitals book professional interpreters, in person or by video, for "
        "every patient who needs one.",
        "days": -40,
        "adopt": "Adopted with the councils' main amendment: video interpreting is allowed only "
        "where an in-person interpreter cannot be booked within 48 hours.",
    },
]

AMENDMENTS = [
    "Include community pharmacies in the same-day standard, so urgent needs can be met there too.",
    "Add community pharmacies to the standard: pharmacists can assess many urgent needs the same day.",
    "Allow four weeks of advance booking only for routine care; keep most slots for same-day need.",
    "Keep a share of appointments for advance booking; do not let same-day access take every slot.",
    "Fund the extra GP capacity before the standard applies, or practices cannot meet it.",
    "The standard must come with funding for more GP appointments, not only a reporting duty.",
]
OPPOSE = [
    "Without more GPs this standard moves the queue rather than shortening it; we oppose it "
    "until capacity is funded.",
]
