"""What the round page shows: one context for the page itself and for every clerk action
that answers with the page again (a refused form re-rendered with its errors)."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from participate.core import phases
from participate.councils.access import role_in, round_allows
from participate.rounds import services
from participate.rounds.evidence import attachment_limit, attachments_of, links_of, questions_of
from participate.rounds.forms import (
    AdvanceForm,
    AgendaAddForm,
    AnswerForm,
    AttachmentForm,
    EvidenceForm,
    LinkForm,
    MergeForm,
    MethodForm,
    QuestionForm,
)
from participate.rounds.hooks import candidates
from participate.rounds.items import items_of
from participate.rounds.participation import KIND_LABELS, participation
from participate.rounds.presenting import agenda_rows, timeline


def page_context(round_, **forms) -> dict:
    council = round_.council
    role = role_in(current_user, council)
    items = items_of(round_)
    rows = agenda_rows(round_, items)
    live = [r.item for r in rows if not r.item.is_merged]
    choices = [("", "The round as a whole")] + [
        (str(i.id), f"{i.position}. {i.title}") for i in items
    ]
    # Forms not being submitted are never bound to the request (a field name may repeat).
    question_form = forms.pop("question_form", None) or QuestionForm(formdata=None)
    question_form.item_id.choices = choices
    merge_form = forms.pop("merge_form", None) or MergeForm(formdata=None)
    merge_form.source.choices = [(str(i.id), f"{i.position}. {i.title}") for i in live]
    merge_form.target.choices = merge_form.source.choices
    add_form = forms.pop("add_form", None) or AgendaAddForm(formdata=None)
    add_form.subject.choices = _addable(round_, role)
    return {
        "round": round_,
        "council": council,
        "role": role,
        "can": lambda action: round_allows(round_, action, role),
        "is_clerk": role == "clerk",
        "rows": rows,
        "steps": timeline(round_),
        "links": links_of(round_),
        "attachments": attachments_of(round_),
        "attachment_limit": attachment_limit(),
        "questions": questions_of(round_),
        "taking_part": participation(round_),
        "KIND_LABELS": KIND_LABELS,
        "poll": current_app.config["ROUND_POLL_SECONDS"],
        "advance_form": forms.pop("advance_form", None)
        or AdvanceForm(formdata=None, from_phase=round_.phase),
        "evidence_form": forms.pop("evidence_form", None)
        or EvidenceForm(formdata=None, evidence=round_.evidence),
        "link_form": forms.pop("link_form", None) or LinkForm(formdata=None),
        "attachment_form": forms.pop("attachment_form", None) or AttachmentForm(formdata=None),
        "question_form": question_form,
        "answer_form": AnswerForm(formdata=None),
        "merge_form": merge_form,
        "method_form": MethodForm(formdata=None),
        "add_form": add_form,
        "next_phase": phases.next_phase(round_.phase) if not round_.is_closed else None,
        **forms,
    }


def _addable(round_, role) -> list[tuple[str, str]]:
    """Open proposals and petitions awaiting an answer that could join the agenda."""
    if role != "clerk" or round_.phase != "briefing":
        return []
    from participate.proposals.listing import list_proposals

    listing = list_proposals(round_.council, status="open", per_page=100)
    choices = [("", "Choose…")]
    choices += [
        (f"proposal-{i.proposal.id}", f"Proposal: {i.proposal.title}") for i in listing.items
    ]
    choices += [
        (f"petition-{p.id}", f"Petition: {p.title}")
        for p in services.petitions_to_answer(round_.council)
    ]
    choices += [
        (f"consultation-{c.id}", f"Consultation: {c.title}")
        for c in candidates("consultation", round_.council)
    ]
    return choices
