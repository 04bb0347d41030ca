"""The expected-status table of the authorisation matrix (test_authorisation_matrix.py).

Every endpoint of the URL map (but ``static``) has one entry; a new route without one fails
the matrix. An entry names who gets through (``allowed``) and what everyone else gets:

- ``ok``       a 2xx answer (a GET) — for a state change, the allowed roles are not exercised
               (bodies differ; each feature's own tests prove the success);
- ``login``    a visitor: a redirect to the sign-in page (pages) or 401 (the API);
- ``403``      signed in, but this role may not: the refusal names the rule;
- ``404``      the app hides that the thing exists for this role;
- ``409``      the thing's state refuses first (the state is public, so nothing leaks);
- ``redirect`` the refusal is a flash and a 303 back to the page (nothing is written:
               the matrix checks every table's row count);
- ``400``      the input is refused before anyone is looked at (public forms).

Roles (see authorisation_world.py): visitor, account, other_member, member, other_clerk,
clerk, minister, admin. The objects belong to health-manchester unless the entry's
``slug`` says "national" (health-england, whose inbox and consultations the minister keeps).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from participate.opendata.views import FILE_ENDPOINTS as OPEN_DATA_FILES
from tests.web.authorisation_world import ROLES

SIGNED_IN = frozenset(ROLES) - {"visitor"}
EVERYONE = frozenset(ROLES)
MEMBERS = frozenset({"member", "clerk"})  # of health-manchester
CLERK = frozenset({"clerk"})  # of health-manchester
AUTHOR = frozenset({"member"})  # wrote the proposal, its comment and the hidden comment
MINISTER = frozenset({"minister"})  # of health-england
ADMIN = frozenset({"admin"})
NOBODY = frozenset()


@dataclass(frozen=True)
class Entry:
    allowed: frozenset[str]
    refused: str = "403"  # what a signed-in role outside ``allowed`` gets
    visitor: str = "login"  # what a visitor outside ``allowed`` gets
    special: dict[str, str] = field(default_factory=dict)  # role -> outcome, exceptions
    slug: str = "local"  # "local" | "national" | "place" | "service"
    query: str = ""
    htmx: bool = False  # a fragment: asked for as htmx does
    body: Any = None  # form data (pages) or JSON (API); a callable of the world's ids
    why: str = ""

    def expected(self, role: str) -> str:
        if role in self.special:
            return self.special[role]
        if role in self.allowed:
            return "ok"
        return self.visitor if role == "visitor" else self.refused


def public(**kw) -> Entry:
    return Entry(allowed=EVERYONE, **kw)


def signed_in(**kw) -> Entry:
    return Entry(allowed=SIGNED_IN, **kw)


def all_get(outcome: str, why: str, **kw) -> Entry:
    """Everyone gets the same non-2xx answer (a thing not there yet, a bad link)."""
    return Entry(allowed=NOBODY, refused=outcome, visitor=outcome, why=why, **kw)


# ---------------------------------------------------------------- GET (pages and API reads)

GET: dict[str, Entry] = {
    # pages anyone reads (DESIGN §1: visitors read every public page)
    "councils.home": public(),
    "councils.council_list": public(),
    "councils.council_detail": public(),
    "councils.constitution": public(),
    "councils.constitution_version": public(),
    "councils.members": public(),
    "councils.forum_map": public(),
    "councils.place_list": public(),
    "councils.place_detail": public(slug="place"),
    "councils.service_list": public(),
    "councils.service_detail": public(slug="service"),
    "audit.audit_log": public(),
    "audit.council_audit": public(),
    "proposals.council_proposals": public(),
    "proposals.proposal_page": public(),
    "proposals.history": public(),
    "proposals.search": public(),
    "proposals.reply": public(why="the reply form is a fragment; it says who may reply"),
    "rounds.council_rounds": public(),
    "rounds.round_page": public(),
    "rounds.attachment": public(why="the evidence pack is public"),
    "rounds.round_agenda": public(htmx=True),
    "rounds.round_participation": public(htmx=True),
    "rounds.round_status": public(htmx=True),
    "votes.council_votes": public(),
    "votes.motion_detail": public(),
    "votes.turnout": public(htmx=True),
    "votes.receipt_lookup": all_get(
        "409", "voting is open: receipts are checked after the close", query="?code=NOSUCHCODE"
    ),
    "petitions.petition_list": public(),
    "petitions.standards": public(),
    "petitions.council_petitions": public(),
    "petitions.must_answer": public(),
    "petitions.detail": public(),
    "petitions.counts": public(htmx=True),
    "petitions.chart": public(htmx=True),
    "petitions.counts_csv": public(),
    "upward.inbox": public(slug="national", why="DESIGN §1: visitors read the upward inbox"),
    "upward.cluster_page": public(slug="national"),
    "upward.forward_page": public(),
    "upward.flow_map": public(query="?proposal=PROPOSAL"),
    "upward.consultations": public(),
    "upward.consultation_page": public(),
    "upward.council_consultations": public(),
    "upward.adoption": public(
        why="DESIGN §5: the adoption page shows the consultation's results to all; "
        "only the minister's POST adopts"
    ),
    # Atom feeds (issue 16): public, as the pages they mirror
    "feeds.council_proposals": public(),
    "feeds.council_rounds": public(),
    "feeds.council_decisions": public(),
    "feeds.council_answers": public(slug="national"),
    "feeds.petition_milestones": public(),
    # Open data (issue 16): public files; the bulk zip is 404 until a build made it
    "opendata.data_page": public(),
    "opendata.schema_page": public(),
    "opendata.datapackage": public(),
    "opendata.council_data": public(),
    **{f"opendata.{endpoint}": public() for endpoint in OPEN_DATA_FILES},
    "opendata.bulk_zip": public(why="the matrix's world builds its zip"),
    "accounts.person": public(),
    "accounts.login": public(),
    "accounts.signup": public(),
    "accounts.reset_request": public(),
    "accounts.reset_password": public(why="a bad link shows a page that says so"),
    "accounts.confirm": all_get("400", "a bad confirmation link"),
    # things not there yet: minutes are published when the round closes
    "rounds.minutes_page": all_get("404", "the round is in briefing: no minutes yet"),
    "rounds.minutes_json": all_get("404", "the round is in briefing: no minutes yet"),
    "rounds.minutes_markdown": all_get("404", "the round is in briefing: no minutes yet"),
    # pages for a signed-in person
    "accounts.profile": signed_in(),
    "accounts.tokens": signed_in(),
    "home.agenda": signed_in(why="what needs the person now: about the caller"),
    "help.index": public(),
    "help.citizen": public(),
    "help.employee": public(),
    "help.clerk": public(),
    "help.minister": public(),
    "help.partner": public(),
    "notifications.inbox": signed_in(),
    "notifications.settings": signed_in(why="the person's own e-mail settings"),
    "notifications.unsubscribe_page": all_get(
        "400", "a forged unsubscribe link: the page says so and changes nothing"
    ),
    "api.notification_settings": signed_in(),
    "petitions.mine": signed_in(),
    "petitions.new_petition": signed_in(),
    "petitions.sponsor": public(why="the private link is the key; the page asks to sign in"),
    "councils.join": signed_in(why="members see that they are members already"),
    "proposals.flag_proposal": signed_in(why="any account may flag (ACTION_ROLES flag)"),
    "proposals.flag_comment": signed_in(why="any account may flag (ACTION_ROLES flag)"),
    "rounds.outcome": signed_in(
        why="shows the item's closed result (public); the form acts only for the clerk"
    ),
    "proposals.appeal": Entry(allowed=AUTHOR, why="only the author of hidden content appeals"),
    # members of the council
    "proposals.new_proposal": Entry(allowed=MEMBERS),
    "proposals.amend": Entry(allowed=MEMBERS),
    # the author of the proposal
    "proposals.edit": Entry(allowed=AUTHOR),
    "proposals.withdraw": Entry(allowed=AUTHOR),
    "petitions.edit": Entry(allowed=NOBODY, why="only the petition's author (not a role here)"),
    # the clerk of the council
    "councils.revise_constitution": Entry(allowed=CLERK),
    "proposals.moderation": Entry(allowed=CLERK),
    "proposals.hide_proposal": Entry(allowed=CLERK),
    "proposals.hide_comment": Entry(allowed=CLERK),
    "rounds.new_round": Entry(allowed=CLERK),
    "votes.new_motion": Entry(allowed=CLERK),
    "petitions.moderation": Entry(allowed=CLERK),
    "petitions.respond": Entry(allowed=CLERK),
    "petitions.signatures": Entry(allowed=CLERK, why="signers' names are for clerks only"),
    "upward.forward": Entry(allowed=CLERK),
    "upward.position": Entry(allowed=CLERK),
    # the minister (and the national clerks, not a role here)
    "upward.new_consultation": Entry(allowed=MINISTER, slug="national"),
    # the platform operator
    "admin.index": Entry(allowed=ADMIN),
    # JSON API reads: public (DESIGN §6), tokens only where the answer is about the caller
    "api.councils": public(),
    "api.council": public(),
    "api.forum_graph": public(),
    "api.council_proposals": public(),
    "api.council_motions": public(),
    "api.council_rounds": public(),
    "api.proposal": public(),
    "api.proposal_forwards": public(),
    "api.search": public(),
    "api.round_detail": public(),
    "api.motion": public(),
    "api.petitions": public(),
    "api.petition": public(),
    "api.inbox": public(slug="national"),
    "api.cluster": public(slug="national"),
    "api.forward": public(),
    "api.consultations": public(),
    "api.consultation": public(),
    "api.positions": public(),
    "api.openapi": public(),
    "api.me": signed_in(),
    "api.me_agenda": signed_in(),
    "api.motion_ballot_file": all_get("409", "voting is open: the ballot file comes at the close"),
    "api.receipt": all_get("409", "voting is open: receipts are checked after the close"),
    "api.round_minutes": all_get("404", "the round is in briefing: no minutes yet"),
}


# ---------------------------------------------------------------- state changes

REASON = "A reason long enough for every form that asks for one."
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HIDDEN_PETITION = (
    "a petition waiting for moderation is hidden from all but its author and the clerks"
)
NOT_A_GOVERNANCE_CHANGE = (
    "the petition asks for early scrutiny, which changes no constitution: its kind refuses "
    "before the role (both are public)"
)


def _b(**kw):
    return lambda ids: {k: (v(ids) if callable(v) else v) for k, v in kw.items()}


WRITE: dict[str, Entry] = {
    # accounts: the person themself; public forms refuse bad input before anything
    "accounts.login": Entry(allowed=EVERYONE),
    "accounts.logout": signed_in(
        special={"visitor": "redirect"}, why="signing out when signed out just goes home"
    ),
    "accounts.signup": Entry(allowed=EVERYONE),
    "accounts.reset_request": Entry(allowed=EVERYONE),
    "accounts.reset_password": Entry(allowed=EVERYONE),
    "accounts.resend_confirmation": signed_in(),
    "accounts.profile": signed_in(),
    "accounts.change_password": signed_in(),
    "accounts.tokens": signed_in(),
    "accounts.revoke_token": Entry(
        allowed=AUTHOR, refused="404", why="another person's token is not theirs to see"
    ),
    "notifications.mark_read": signed_in(),
    "notifications.settings": signed_in(),
    "notifications.unsubscribe_apply": Entry(
        allowed=NOBODY,
        refused="400",
        visitor="400",
        why="no sign-in needed: the signed token decides, and a forged one changes nothing",
    ),
    "api.update_notification_settings": signed_in(body={}),
    # admin
    "admin.appoint": Entry(allowed=ADMIN),
    "admin.end_appointment": Entry(allowed=ADMIN),
    "admin.create_council": Entry(allowed=ADMIN),
    "admin.import_file": Entry(allowed=ADMIN),
    "admin.create_link": Entry(allowed=ADMIN),
    "admin.create_place": Entry(allowed=ADMIN),
    "admin.create_service": Entry(allowed=ADMIN),
    # councils
    "councils.join": signed_in(
        special={"member": "400", "clerk": "400"},
        body={"constituency": "citizen", "statement": "I use the service."},
        why="a member cannot ask to join again",
    ),
    "councils.decide": Entry(
        allowed=CLERK,
        refused="redirect",
        body=_b(membership_id=lambda ids: ids["membership_id"], action="admit", reason=REASON),
        why="the members page answers with a flash",
    ),
    "councils.revise_constitution": Entry(
        allowed=CLERK,
        body={"purpose": "P", "values_text": "V", "promises": "Pr", "reason": REASON},
    ),
    # proposals
    "proposals.new_proposal": Entry(
        allowed=MEMBERS, body={"title": "A new proposal", "body": "Its case."}
    ),
    "proposals.edit": Entry(allowed=AUTHOR, body={"title": "Edited", "body": "Edited."}),
    "proposals.withdraw": Entry(allowed=AUTHOR, body={"reason": REASON}),
    "proposals.comment": Entry(allowed=MEMBERS, body={"body": "A comment.", "stance": "for"}),
    "proposals.support": Entry(allowed=MEMBERS),
    "proposals.follow": signed_in(),
    "proposals.amend": Entry(allowed=MEMBERS, body={"body": "New text.", "reason": REASON}),
    "proposals.resolve": Entry(allowed=AUTHOR, body={"decision": "accept", "reason": REASON}),
    "proposals.flag_proposal": signed_in(
        special={"member": "403"}, body={"reason": REASON}, why="nobody flags their own"
    ),
    "proposals.flag_comment": signed_in(
        special={"member": "403"}, body={"reason": REASON}, why="nobody flags their own"
    ),
    "proposals.hide_proposal": Entry(allowed=CLERK, body={"reason": REASON}),
    "proposals.hide_comment": Entry(allowed=CLERK, body={"reason": REASON}),
    "proposals.dismiss": Entry(
        allowed=CLERK,
        refused="redirect",
        body=_b(proposal_id=lambda ids: ids["proposal_id"], reason=REASON),
        why="the moderation queue answers with a flash",
    ),
    "proposals.appeal": Entry(allowed=AUTHOR, body={"appeal": REASON}),
    "proposals.decide": Entry(
        allowed=CLERK,
        refused="redirect",
        body={"decision": "reinstate", "reason": REASON},
        why="the moderation queue answers with a flash",
    ),
    # rounds (in briefing): the clerk runs them, members ask questions
    "rounds.new_round": Entry(allowed=CLERK, body={"title": "T", "purpose": "P"}),
    "rounds.advance": Entry(allowed=CLERK, body={"from_phase": "briefing"}),
    "rounds.add_item": Entry(allowed=CLERK, body={"subject": "proposal:PROPOSAL"}),
    "rounds.remove_item": Entry(allowed=CLERK),
    "rounds.merge": Entry(allowed=CLERK, body=_b(source="ITEM", target="ITEM", reason=REASON)),
    "rounds.set_method": Entry(allowed=CLERK, body={"method": "binary"}),
    "rounds.evidence": Entry(allowed=CLERK, body={"evidence": "The evidence pack."}),
    "rounds.add_link": Entry(
        allowed=CLERK, body={"title": "Report", "url": "https://example.org/r"}
    ),
    "rounds.remove_link": Entry(allowed=CLERK),
    "rounds.add_attachment": Entry(
        allowed=CLERK, body=lambda ids: {"file": (io.BytesIO(PDF), "more.pdf")}
    ),
    "rounds.remove_attachment": Entry(allowed=CLERK),
    "rounds.ask": Entry(allowed=MEMBERS, body={"body": "A question?"}),
    "rounds.answer": Entry(allowed=CLERK, body={"answer": "An answer."}),
    "rounds.outcome": Entry(
        allowed=CLERK, body={"decision": "adopted", "reasons": REASON, "minority_report": ""}
    ),
    "rounds.republish_minutes": Entry(
        allowed=CLERK,
        refused="redirect",
        body={"note": "A note."},
        why="the round page answers with a flash",
    ),
    # votes (the motion is open; its voters are health-manchester's members)
    "votes.new_motion": Entry(allowed=CLERK, body={"title": "A motion", "method": "binary"}),
    "votes.open_voting": Entry(allowed=CLERK),
    "votes.close_voting": Entry(allowed=CLERK),
    "votes.cast": Entry(allowed=MEMBERS, body={"choice": "yes"}),
    # petitions: the author's (not a role here), any account's, the clerk's
    "petitions.new_petition": signed_in(),
    "petitions.edit": Entry(allowed=NOBODY, why="only the petition's author (not a role here)"),
    "petitions.invite": Entry(
        allowed=NOBODY,
        refused="redirect",
        why="only the petition's author (not a role here), and only a draft: a flash says so",
    ),
    "petitions.sponsor": signed_in(),
    "petitions.sign": signed_in(),
    "petitions.publish": Entry(allowed=CLERK, refused="404", why=HIDDEN_PETITION),
    "petitions.reject": Entry(
        allowed=CLERK,
        refused="404",
        body={"standard": "offensive", "reason": REASON},
        why=HIDDEN_PETITION,
    ),
    "petitions.respond": Entry(
        allowed=CLERK,
        body={"decision": "accepted", "response_text": REASON},
        why="on the petition at its threshold",
    ),
    "petitions.apply_change": Entry(
        allowed=CLERK, refused="redirect", why=NOT_A_GOVERNANCE_CHANGE + "; a flash says so"
    ),
    "petitions.signatures": Entry(
        allowed=CLERK, body={"email_domain": "example.org", "reason": REASON}
    ),
    "petitions.invalidate_one": Entry(
        allowed=CLERK,
        refused="redirect",
        body=_b(signature_id=lambda ids: ids["signature_id"], reason=REASON),
        why="the signatures page answers with a flash",
    ),
    # upward: the clerk forwards and answers consultations; the minister keeps the inbox
    "upward.forward": Entry(allowed=CLERK, body={"subsidiarity": REASON}),
    "upward.position": Entry(allowed=CLERK, body={"stance": "support", "text": "Yes."}),
    "upward.new_consultation": Entry(
        allowed=MINISTER, slug="national", body={"title": "T", "body": "B"}
    ),
    "upward.adoption": Entry(allowed=MINISTER, body={"note": "Adopted."}),
    "upward.take_up": Entry(
        allowed=NOBODY,
        refused="redirect",
        why="a clerk of the receiving council (not a role here; its minister is not a clerk); "
        "a refusal is a flash on the forward's page",
    ),
    "upward.answer": Entry(
        allowed=MINISTER, slug="national", body={"kind": "accepted", "reasons": REASON}
    ),
    "upward.merge": Entry(
        allowed=MINISTER, slug="national", body=_b(other=lambda ids: ids["other_cluster_id"])
    ),
    "upward.split": Entry(
        allowed=MINISTER, slug="national", body=_b(forward_id=lambda ids: ids["forward_id"])
    ),
    # JSON API writes: a token is needed (401 without); the role is the token's person
    "api.create_proposal": Entry(allowed=MEMBERS, body={"title": "A proposal", "body": "Body."}),
    "api.edit_proposal": Entry(allowed=AUTHOR, body={"title": "Edited", "body": "Edited."}),
    "api.withdraw_proposal": Entry(allowed=AUTHOR, body={"reason": REASON}),
    "api.add_comment": Entry(allowed=MEMBERS, body={"body": "A comment.", "stance": "for"}),
    "api.support": Entry(allowed=MEMBERS),
    "api.withdraw_support": Entry(allowed=MEMBERS),
    "api.follow": signed_in(),
    "api.unfollow": signed_in(),
    "api.flag": signed_in(
        special={"member": "403"}, body={"reason": REASON}, why="nobody flags their own"
    ),
    "api.propose_amendment": Entry(allowed=MEMBERS, body={"body": "New.", "reason": REASON}),
    "api.resolve_amendment": Entry(allowed=AUTHOR, body={"decision": "accept", "reason": REASON}),
    "api.create_round": Entry(
        allowed=CLERK,
        body={
            "title": "Winter round",
            "purpose": "P",
            "agenda": [],
            "schedule": {
                phase: f"2099-01-0{day}T12:00:00Z"
                for day, phase in enumerate(
                    ("briefing", "discussion", "refinement", "voting", "outcome"), start=1
                )
            },
        },
    ),
    "api.advance": Entry(allowed=CLERK, body={"from_phase": "briefing"}),
    "api.record_outcome": Entry(allowed=CLERK, body={"decision": "adopted", "reasons": REASON}),
    "api.ask_question": Entry(allowed=MEMBERS, body={"question": "A question?"}),
    "api.cast_ballot": Entry(allowed=MEMBERS, body={"choice": "yes"}),
    "api.sign": signed_in(body={"declaration": "live", "place": "manchester"}),
    "api.publish_petition": Entry(allowed=CLERK, refused="404", why=HIDDEN_PETITION),
    "api.reject_petition": Entry(
        allowed=CLERK,
        refused="404",
        body={"standard": "offensive", "reason": REASON},
        why=HIDDEN_PETITION,
    ),
    "api.answer_petition": Entry(
        allowed=CLERK,
        body={"decision": "adopted", "text": REASON},
        why="on the petition at its threshold",
    ),
    "api.apply_petition_change": Entry(allowed=CLERK, refused="409", why=NOT_A_GOVERNANCE_CHANGE),
    "api.invalidate_signatures": Entry(
        allowed=CLERK, body={"rule": {"email_domain": "example.org"}, "reason": REASON}
    ),
    "api.create_forwards": Entry(
        allowed=CLERK, body={"targets": ["health-england"], "subsidiarity": REASON}
    ),
    "api.take_up": Entry(
        allowed=NOBODY,
        why="a clerk of the receiving council (not a role here; its minister is not a clerk)",
    ),
    "api.publish": Entry(
        allowed=MINISTER,
        slug="national",
        body={"title": "T", "body": "B", "closes_at": "2099-01-01T00:00:00Z"},
    ),
    "api.submit_position": Entry(
        allowed=CLERK, body={"council": "health-manchester", "stance": "support", "text": "Yes."}
    ),
    "api.adopt": Entry(allowed=MINISTER, body={"note": "Adopted."}),
    "api.answer": Entry(
        allowed=MINISTER, slug="national", body={"kind": "accept", "reasons": REASON}
    ),
    "api.merge": Entry(
        allowed=MINISTER, slug="national", body=_b(other=lambda ids: ids["other_cluster_id"])
    ),
    "api.split": Entry(
        allowed=MINISTER, slug="national", body=_b(forward=lambda ids: ids["forward_id"])
    ),
}

# Which object a petition route acts on (by its state), when not the open petition.
PETITION_FOR = {
    "petitions.publish": "waiting_petition_id",
    "petitions.reject": "waiting_petition_id",
    "api.publish_petition": "waiting_petition_id",
    "api.reject_petition": "waiting_petition_id",
    "petitions.respond": "reached_petition_id",
    "petitions.apply_change": "reached_petition_id",
    "petitions.signatures": "reached_petition_id",
    "petitions.invalidate_one": "reached_petition_id",
    "api.answer_petition": "reached_petition_id",
    "api.apply_petition_change": "reached_petition_id",
    "api.invalidate_signatures": "reached_petition_id",
}

# Things hidden from most roles, reached by their id (the URL map's routes are covered
# above on public objects): each entry is a URL (ids filled in) and who sees it.
HIDDEN_MOTION = "a draft motion is its council's clerks' (the Votes tab leaves it out)"
HIDDEN_DRAFT = "a draft petition is its author's (the account here) and the clerks'"
HIDDEN: dict[str, Entry] = {
    "/motions/{draft_motion_id}": Entry(
        allowed=CLERK, refused="404", visitor="404", why=HIDDEN_MOTION
    ),
    "/api/v1/motions/{draft_motion_id}": Entry(
        allowed=CLERK, refused="404", visitor="404", why=HIDDEN_MOTION
    ),
    "/petitions/{draft_petition_id}": Entry(
        allowed=frozenset({"account", "clerk"}), refused="404", visitor="404", why=HIDDEN_DRAFT
    ),
    "/api/v1/petitions/{draft_petition_id}": Entry(
        allowed=frozenset({"account", "clerk"}), refused="404", visitor="404", why=HIDDEN_DRAFT
    ),
    "/petitions/{draft_petition_id}/edit": Entry(
        allowed=frozenset({"account"}),
        refused="404",
        special={"clerk": "403"},
        why=HIDDEN_DRAFT + "; only the author edits",
    ),
    "/petitions/{waiting_petition_id}": Entry(
        allowed=CLERK, refused="404", visitor="404", why=HIDDEN_PETITION
    ),
    "/api/v1/petitions/{waiting_petition_id}": Entry(
        allowed=CLERK, refused="404", visitor="404", why=HIDDEN_PETITION
    ),
    "/petitions/{waiting_petition_id}/counts.csv": Entry(
        allowed=CLERK, refused="404", visitor="404", why=HIDDEN_PETITION
    ),
    # A feed is for the public: none for a petition before it is published, even to its
    # author and the clerks (who read the page itself).
    "/petitions/{draft_petition_id}/feed.atom": all_get("404", HIDDEN_DRAFT),
    "/petitions/{waiting_petition_id}/feed.atom": all_get("404", HIDDEN_PETITION),
}
