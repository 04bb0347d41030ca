"""The audit log in words: each recorded action as one plain sentence.

``SENTENCES`` maps every action name that ``record_event`` is called with to a function of a
:class:`Say`, which knows the event's actor, council, subject and data and returns the sentence
as safe HTML (names escaped, the subject linked where it has a public page). An action with no
entry reads as its name in words ("Petition counts repaired."), never an error.

:func:`describe` turns a page of events into sentences, loading what they name (subjects,
people, councils named by slug in the data) in one query per kind, not one per row.

Length: about 650 lines, most of them the table of one sentence per recorded action (56), which
reads best as one list beside the loader that fills in its names.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from markupsafe import Markup

from participate.extensions import db

METHODS = {
    "binary": "a yes/no vote",
    "schulze": "a ranked-choice vote",
    "consent": "a consent vote",
}
CONSTITUENCIES = {
    "citizen": "a citizen",
    "employee": "an employee",
    "leader": "a service leader",
    "elected": "an elected member",
    "partner": "a partner organisation",
}
ROLES = {"clerk": "clerk", "minister": "minister", "member": "a member"}
PETITION_DECISIONS = {
    "adopted": "adopted",
    "partly_adopted": "partly adopted",
    "rejected": "not adopted",
}
ANSWER_KINDS = {
    "accept": "accepted it into national work",
    "decline": "declined it",
    "refer": "referred it to another council",
}
STANCES = {"support": "support", "oppose": "oppose", "amend": "support with amendments"}
LINK_KINDS = {"reports_to": "reports to", "ringmaster": "takes part in the place forum"}
# A petition is public once published (and when refused, with its reason); before that its
# page is its author's and the clerks' only, so the log names it without a link.
_UNPUBLISHED_PETITION = frozenset({"draft", "collecting_sponsors", "in_moderation"})


def _title(obj) -> str:
    for attr in ("title", "name"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)
    return ""


def _link(subject_type: str, obj) -> str | None:
    """The public page of a subject, or None (no page, or not public)."""
    if subject_type == "proposal":
        return url_for("proposals.proposal_page", proposal_id=obj.id)
    if subject_type == "comment":
        return url_for("proposals.proposal_page", proposal_id=obj.proposal_id)
    if subject_type == "petition" and obj.status not in _UNPUBLISHED_PETITION:
        return url_for("petitions.detail", petition_id=obj.id)
    if subject_type == "round":
        return url_for("rounds.round_page", round_id=obj.id)
    if subject_type == "motion" and obj.status != "draft":
        return url_for("votes.motion_detail", motion_id=obj.id)
    if subject_type == "consultation":
        return url_for("upward.consultation_page", consultation_id=obj.id)
    if subject_type == "forward":
        return url_for("upward.forward_page", forward_id=obj.id)
    if subject_type == "council":
        return url_for("councils.council_detail", slug=obj.slug)
    if subject_type == "place":
        return url_for("councils.place_detail", slug=obj.slug)
    return None


def _quoted(title: str, href: str | None = None) -> Markup:
    if href:
        return Markup('“<a href="{}">{}</a>”').format(href, title)
    return Markup("“{}”").format(title)


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}"


def _count(value, one: str, many: str | None = None) -> str:
    many = many or one + "s"
    return f"{_number(value)} {one if value == 1 else many}"


def _date(value) -> str:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{at.day} {at:%B %Y}"


def _sentence_end(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _words(name: str) -> str:
    return name.replace("_", " ").replace(".", " ").strip()


class Say:
    """What one event's sentence may use; ``f`` fills a template, escaping every value."""

    def __init__(self, event, data: dict, named: Named):
        self.event = event
        self.d = data
        self.named = named
        actor = named.users.get(event.actor_id) if event.actor_id else None
        self.actor = actor.name if actor is not None else "The system"
        council = named.councils.get(event.council_id) if event.council_id else None
        self.council = council.name if council is not None else "the council"
        self.subject = named.subject(event, data)

    def get(self, key: str, default=""):
        value = self.d.get(key)
        return default if value is None else value

    def user(self, key: str = "user") -> str:
        user = self.named.users.get(self.d.get(key))
        return user.name if user is not None else "a member"

    def council_named(self, key: str) -> Markup:
        slug = self.d.get(key)
        council = self.named.by_slug.get(slug)
        if council is None:
            return Markup("{}").format(slug or "another council")
        href = url_for("councils.council_detail", slug=council.slug)
        return Markup('<a href="{}">{}</a>').format(href, council.name)

    def proposal(self, key: str = "proposal") -> Markup:
        proposal = self.named.proposals.get(self.d.get(key))
        if proposal is None:
            return Markup("")
        return _quoted(proposal.title, url_for("proposals.proposal_page", proposal_id=proposal.id))

    def f(self, template: str, **extra) -> Markup:
        fields = {"actor": self.actor, "council": self.council, "subject": self.subject}
        fields.update(extra)
        # template: one of this module's own sentences; format() escapes every field in it.
        return Markup(template).format(**fields)  # nosec B704


Phrase = Callable[[Say], Markup]


def _membership(verb: str) -> Phrase:
    return lambda s: s.f("{actor} " + verb + ".", user=s.user())


def _proposal_status(words: str) -> Phrase:
    return lambda s: s.f("{actor} " + words + ".")


def _hidden(what: str) -> Phrase:
    if what == "comment":
        return lambda s: s.f("{actor} hid a comment on the proposal {p}.", p=s.proposal())
    return lambda s: s.f("{actor} hid the proposal {p}.", p=s.proposal())


def _on(s: Say) -> Markup:
    """'a comment on the proposal “…”' or 'the proposal “…”', from the data's comment key."""
    if s.d.get("comment"):
        return s.f("a comment on the proposal {p}", p=s.proposal())
    return s.f("the proposal {p}", p=s.proposal())


def _appeal_decided(s: Say) -> Markup:
    if s.d.get("decision") == "reinstated":
        return s.f("{actor} upheld an appeal and showed {on} again.", on=_on(s))
    return s.f("{actor} turned down an appeal: {on} stays hidden.", on=_on(s))


def _structure(s: Say) -> Markup:
    parts = [
        _count(s.d[key], one)
        for key, one in (
            ("services", "service"),
            ("places", "place"),
            ("councils", "council"),
            ("links", "forum link"),
        )
        if s.d.get(key)
    ]
    if not parts:
        return s.f("{actor} imported the forum structure; nothing was new.")
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return s.f("{actor} imported the forum structure: {listed}.", listed=listed)


def _constitution(s: Say) -> Markup:
    number = s.get("number", "?")
    council = s.named.councils.get(s.event.council_id)
    version = Markup("version {}").format(number)
    if council is not None and isinstance(number, int):
        href = url_for("councils.constitution_version", slug=council.slug, number=number)
        version = Markup('<a href="{}">{}</a>').format(href, version)
    sentence = s.f("{actor} adopted {version} of the constitution of {council}", version=version)
    reason = str(s.get("reason")).strip().rstrip(".")
    if reason:
        sentence += Markup(": {}").format(reason)
    return sentence + "."


def _tallied(s: Say) -> Markup:
    method = s.d.get("method")
    if method == "schulze":
        winner = s.d.get("winner")
        result = (
            Markup("{} won").format(_quoted(str(winner)))
            if winner
            else "there was no decision (too few constituencies took part)"
        )
    elif method == "consent":
        n = s.d.get("objections") or 0
        result = (
            "it proceeds: nobody objected"
            if s.d.get("passed")
            else f"it does not proceed: {_count(n, 'objection')}"
        )
    else:
        result = "it passed" if s.d.get("passed") else "it did not pass"
    return s.f("{actor} counted the vote {subject}: {result}.", result=result)


def _answered_petition(s: Say) -> Markup:
    decision = PETITION_DECISIONS.get(s.get("decision"), _words(str(s.get("decision"))))
    sentence = s.f(
        "{actor} published the council's response to the petition {subject}", decision=decision
    )
    return sentence + (Markup(" ({}).").format(decision) if decision else ".")


def _agenda_changed(s: Say) -> Markup:
    if "removed" in s.d:
        return s.f(
            "{actor} removed {t} from the agenda of the round {subject}.",
            t=_quoted(s.get("title")),
        )
    return s.f("{actor} added {t} to the agenda of the round {subject}.", t=_quoted(s.get("title")))


def _minutes(s: Say) -> Markup:
    version = s.d.get("version")
    if version and version != 1:
        return s.f(
            "{actor} published version {v} of the minutes of the round {subject}.", v=version
        )
    return s.f("{actor} published the minutes of the round {subject}.")


def _outcome(s: Say) -> Markup:
    decision = str(s.get("decision", "recorded"))
    return s.f(
        "{actor} recorded the decision on {t} in the round {subject}: {d}.",
        t=_quoted(s.get("title")),
        d=_words(decision),
    )


def _phase(s: Say) -> Markup:
    return s.f(
        "{actor} moved the round {subject} from {a} to {b}.",
        a=_words(str(s.get("from", ""))) or "its phase",
        b=_words(str(s.get("to", ""))) or "the next",
    )


def _upward_answered(s: Say) -> Markup:
    kind = s.get("kind")
    if kind == "refer" and s.d.get("referred_to"):
        how = s.f("referred it to {c}", c=s.council_named("referred_to"))
    else:
        how = ANSWER_KINDS.get(kind, _words(str(kind)))
    return s.f(
        "{actor} answered the group {t} of {n}: {how}.",
        t=_quoted(s.get("title")),
        n=_count(s.get("proposals", 0), "forwarded proposal"),
        how=how,
    )


def _position(s: Say) -> Markup:
    consultation = s.named.consultations.get(s.d.get("consultation"))
    about = (
        _quoted(
            consultation.title,
            url_for("upward.consultation_page", consultation_id=consultation.id),
        )
        if consultation is not None
        else "a consultation"
    )
    return s.f(
        "{actor} sent the position of {council} on the consultation {c}: {stance}.",
        c=about,
        stance=STANCES.get(s.get("stance"), _words(str(s.get("stance")))),
    )


SENTENCES: dict[str, Phrase] = {
    # Councils, structure and membership
    "council.created": lambda s: s.f("{actor} created the council {subject}."),
    "structure.imported": _structure,
    "link.created": lambda s: s.f(
        "{actor} recorded that {a} {kind} {b}.",
        a=s.council_named("from"),
        b=s.council_named("to"),
        kind=LINK_KINDS.get(s.get("kind"), "is linked to"),
    ),
    "place.population_changed": lambda s: s.f(
        "{actor} changed the population of {subject} from {old} to {new}.",
        old=_number(s.get("old", "?")),
        new=_number(s.get("new", "?")),
    ),
    "constitution.version": _constitution,
    "membership.admitted": lambda s: s.f(
        "{actor} admitted {user} to {council} as {c}.",
        user=s.user(),
        c=CONSTITUENCIES.get(s.get("constituency"), "a member"),
    ),
    "membership.declined": _membership("declined the request of {user} to join {council}"),
    "membership.suspended": _membership("suspended {user} from {council}"),
    "membership.reinstated": _membership("reinstated {user} in {council}"),
    **{
        f"appointment.{role}": lambda s, word=word: s.f(
            "{actor} appointed {user} " + word + " of {council}.", user=s.user()
        )
        for role, word in ROLES.items()
    },
    "appointment.ended": lambda s: s.f(
        "{actor} ended the appointment of {user} as {role} of {council}.",
        user=s.user(),
        role=_words(str(s.get("role", "member"))),
    ),
    # Proposals and moderation
    "proposal.open": _proposal_status("reopened the proposal {subject}"),
    "proposal.on_agenda": _proposal_status("put the proposal {subject} on a round's agenda"),
    "proposal.adopted": _proposal_status("marked the proposal {subject} as adopted"),
    "proposal.rejected": _proposal_status("marked the proposal {subject} as rejected"),
    "proposal.withdrawn": _proposal_status("withdrew the proposal {subject}"),
    "proposal.hidden": _hidden("proposal"),
    "comment.hidden": _hidden("comment"),
    "flags.dismissed": lambda s: s.f(
        "{actor} dismissed {n} on {on}.", n=_count(s.get("flags", 0), "flag"), on=_on(s)
    ),
    "moderation.appealed": lambda s: s.f("{actor} appealed against the hiding of {on}.", on=_on(s)),
    "moderation.appeal_decided": _appeal_decided,
    # Votes
    "motion.created": lambda s: s.f(
        "{actor} drafted the vote {subject} as {m}.",
        m=METHODS.get(s.get("method"), "a vote"),
    ),
    "motion.opened": lambda s: s.f(
        "{actor} opened the vote {subject}{closes}.",
        closes=f", closing on {_date(s.d['closes_at'])}" if s.d.get("closes_at") else "",
    ),
    "motion.closed": lambda s: s.f(
        "{actor} closed the vote {subject}: {n}.", n=_count(s.get("ballots", 0), "ballot")
    ),
    "motion.tallied": _tallied,
    # Petitions
    "petition.submitted": lambda s: s.f(
        "The petition {subject} found its {n} and went to the clerks for moderation.",
        n=_count(s.get("sponsors", 0), "sponsor"),
    ),
    "petition.published": lambda s: s.f(
        "{actor} published the petition {subject}; it needs {n}.",
        n=_count(s.get("threshold", 0), "signature"),
    ),
    "petition.rejected": lambda s: s.f(
        "{actor} did not publish the petition {subject}: it does not meet "
        '<a href="{href}">petition standard {std}</a>.',
        href=url_for("petitions.standards", _anchor=str(s.get("standard"))),
        std=s.get("standard", "?"),
    ),
    "petition.threshold_reached": lambda s: s.f(
        "The petition {subject} reached {n}; the council must respond{due}.",
        n=_count(s.get("threshold", 0), "signature"),
        due=f" by {_date(s.d['response_due_at'])}" if s.d.get("response_due_at") else "",
    ),
    "petition.closed_unsuccessful": lambda s: s.f(
        "{actor} closed the petition {subject}: it did not reach {n} in time.",
        n=_count(s.get("threshold", 0), "signature"),
    ),
    "petition.answered": _answered_petition,
    "petition.change_applied": lambda s: s.f(
        "{actor} applied the change the petition {subject} asked for "
        "(version {v} of the constitution).",
        v=s.get("version", "?"),
    ),
    "petition.signatures_invalidated": lambda s: s.f(
        "{actor} struck out {n} on the petition {subject}; its count went from {a} to {b}.",
        n=_count(s.get("invalidated", 0), "signature"),
        a=_number(s.get("count_before", "?")),
        b=_number(s.get("count_after", "?")),
    ),
    "petition.counts_repaired": lambda s: s.f(
        "{actor} recounted the signatures of the petition {subject}: {a} shown, {b} counted.",
        a=_number(s.get("before", "?")),
        b=_number(s.get("after", "?")),
    ),
    # Deliberation rounds
    "round.created": lambda s: s.f(
        "{actor} created the round {subject} with {n}.",
        n=_count(len(s.get("agenda", []) or []), "agenda item"),
    ),
    "round.phase_changed": _phase,
    "round.agenda_changed": _agenda_changed,
    "round.items_merged": lambda s: s.f(
        "{actor} merged the agenda item {a} into {b} in the round {subject}.",
        a=_quoted(s.get("title")),
        b=_quoted(s.get("into_title")),
    ),
    "round.evidence_published": lambda s: s.f(
        "{actor} published the evidence pack of the round {subject}."
    ),
    "round.evidence_link_added": lambda s: s.f(
        "{actor} added the evidence link {t} to the round {subject}.", t=_quoted(s.get("title"))
    ),
    "round.evidence_link_removed": lambda s: s.f(
        "{actor} removed the evidence link {t} from the round {subject}.",
        t=_quoted(s.get("title")),
    ),
    "round.attachment_added": lambda s: s.f(
        "{actor} attached the file {t} to the round {subject}.", t=_quoted(s.get("file"))
    ),
    "round.attachment_removed": lambda s: s.f(
        "{actor} removed the file {t} from the round {subject}.", t=_quoted(s.get("file"))
    ),
    "round.question_answered": lambda s: s.f(
        "{actor} answered a member's question in the round {subject}."
    ),
    "round.voting_method_set": lambda s: s.f(
        "{actor} chose {m} for {t} in the round {subject}.",
        m=METHODS.get(s.get("method"), "the voting method"),
        t=_quoted(s.get("title")),
    ),
    "round.outcome_recorded": _outcome,
    "round.minutes_published": _minutes,
    # Upward: forwards, the national inbox, consultations
    "upward.forwarded": lambda s: s.f(
        "{actor} forwarded the proposal {t} to {to}.",
        t=_quoted(s.get("title")),
        to=s.council_named("to"),
    ),
    "upward.taken_up": lambda s: s.f(
        "{actor} took up the forwarded proposal {subject} as a proposal of {council}."
    ),
    "upward.cluster_split": lambda s: s.f(
        "{actor} moved the forwarded proposal {t} out of its group into a new one.",
        t=_quoted(s.get("title")),
    ),
    "upward.cluster_merged": lambda s: s.f(
        "{actor} merged the group {a} into {b}.",
        a=_quoted(s.get("merged_title")),
        b=_quoted(s.get("into_title")),
    ),
    "upward.answered": _upward_answered,
    "upward.referred": lambda s: s.f(
        "{actor} referred {n} to {to}.",
        n=_count(s.get("proposals", 0), "forwarded proposal"),
        to=s.council_named("to"),
    ),
    "upward.consultation_published": lambda s: s.f(
        "{actor} published the consultation {subject} to {n}.",
        n=_count(s.get("councils", 0), "council"),
    ),
    "upward.position": _position,
    "upward.position_not_sent": lambda s: s.f(
        "The position of {council} on the consultation {subject} was not sent: {why}",
        why=_sentence_end(str(s.get("why", "")).strip() or "no reason was recorded"),
    ),
    "upward.consultation_closed": lambda s: s.f(
        "{actor} closed the consultation {subject}: {n} from {c}.",
        n=_count(s.get("positions", 0), "position"),
        c=_count(s.get("councils", 0), "council"),
    ),
    "upward.requirement_adopted": lambda s: s.f(
        "{actor} adopted the national requirement from the consultation {subject}."
    ),
    "upward.bench_loaded": lambda s: s.f(
        "{actor} loaded {n} in {k} for the upward benchmark.",
        n=_count(s.get("forwards", 0), "forwarded proposal"),
        k=_count(s.get("clusters", 0), "group"),
    ),
}


def fallback(action: str) -> str:
    """An action with no sentence yet, in words: 'petition.counts_repaired' → 'Petition
    counts repaired.'"""
    words = _words(action) or "an event"
    return words[0].upper() + words[1:] + "."


@dataclass
class Named:
    """What a page of events names, loaded in one query per kind."""

    users: dict
    councils: dict
    by_slug: dict
    proposals: dict
    consultations: dict
    subjects: dict  # (subject_type, id) -> object

    def subject(self, event, data: dict) -> Markup:
        obj = self.subjects.get((event.subject_type, event.subject_id))
        if obj is None:  # removed since, or none recorded: the title the data kept, if any
            if data.get("title"):
                return _quoted(str(data["title"]))
            return Markup("#{}").format(event.subject_id) if event.subject_id else Markup("")
        title = _title(obj)
        if event.subject_type == "comment":
            title = _title(self.proposals.get(obj.proposal_id)) or title
        href = _link(event.subject_type, obj)
        if not title:
            if href:
                return Markup('<a href="{}">{}</a>').format(href, event.subject_type)
            return Markup("{}").format(event.subject_type)
        return _quoted(title, href)


def _models() -> dict[str, type]:
    """Mapped classes by the name ``record_event`` stores (the class name, lower case)."""
    return {m.class_.__name__.lower(): m.class_ for m in db.Model.registry.mappers}


def _load(model, ids) -> dict:
    ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}
    if model is None or not ids:
        return {}
    return {o.id: o for o in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}


def _data(event) -> dict:
    try:
        data = json.loads(event.data or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Line:
    event: object
    council: object
    sentence: Markup
    data: dict
    data_text: str


def describe(events: Iterable) -> list[Line]:
    """Each event with its sentence and its recorded data, for a page of the log."""
    events = list(events)
    datas = [_data(e) for e in events]
    models = _models()
    wanted: dict[str, set] = defaultdict(set)
    for event, data in zip(events, datas, strict=True):
        if event.subject_type and event.subject_id is not None:
            wanted[event.subject_type].add(event.subject_id)
        for key, kind in (("proposal", "proposal"), ("consultation", "consultation")):
            if isinstance(data.get(key), int):
                wanted[kind].add(data[key])
    subjects = {}
    for kind, ids in wanted.items():
        for obj_id, obj in _load(models.get(kind), ids).items():
            subjects[(kind, obj_id)] = obj
    for (kind, _), obj in list(subjects.items()):  # a comment's title is its proposal's
        if kind == "comment" and ("proposal", obj.proposal_id) not in subjects:
            wanted["proposal"].add(obj.proposal_id)
    extra = wanted["proposal"] - {i for k, i in subjects if k == "proposal"}
    for obj_id, obj in _load(models.get("proposal"), extra).items():
        subjects[("proposal", obj_id)] = obj
    user_ids = {e.actor_id for e in events}
    user_ids |= {d.get("user") for d in datas}
    user_ids |= {o.user_id for (k, _), o in subjects.items() if k == "membership"}
    council_model = models.get("council")
    slugs = {
        d.get(key)
        for d in datas
        for key in ("from", "to", "referred_to")
        if isinstance(d.get(key), str)
    }
    by_slug = (
        {
            c.slug: c
            for c in db.session.scalars(
                sa.select(council_model).where(council_model.slug.in_(slugs))
            )
        }
        if slugs and council_model is not None
        else {}
    )
    named = Named(
        users=_load(models.get("user"), user_ids),
        councils=_load(council_model, {e.council_id for e in events}),
        by_slug=by_slug,
        proposals={i: o for (k, i), o in subjects.items() if k == "proposal"},
        consultations={i: o for (k, i), o in subjects.items() if k == "consultation"},
        subjects=subjects,
    )
    lines = []
    for event, data in zip(events, datas, strict=True):
        phrase = SENTENCES.get(event.action)
        sentence = None
        if phrase is not None:
            try:
                sentence = phrase(Say(event, data, named))
            except (KeyError, TypeError, ValueError, AttributeError):
                sentence = None  # data of an older shape: the name in words instead
        if sentence is None:
            sentence = Markup("{}").format(fallback(event.action))
        lines.append(
            Line(
                event=event,
                council=named.councils.get(event.council_id),
                sentence=sentence,
                data=data,
                data_text=json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False),
            )
        )
    return lines
