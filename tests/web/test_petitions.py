"""Petition lifecycle on the pages: start, sponsors, moderation, answer, lists, permissions.

Its fixture and helpers (``world``, ``draft``, ``opened`` ...) are in tests/factories/petitions.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.factories import petitions as factory
from tests.factories.petitions import (
    _passed_motion,
    count_rows,
    draft,
    events,
    in_moderation,
    opened,
    page,
    reached,
    sign_many,
    small_rules,
)

world = factory.world  # the fixture (tests/factories/petitions.py)


# ---------------------------------------------------------------- starting a petition


NEW = {
    "council": "health-manchester",
    "kind": "early_scrutiny",
    "title": "Inspect the out-of-hours GP service",
    "change_text": "Ask for an early inspection of the out-of-hours GP service.",
    "reason_text": "People waited over four hours on many Saturdays this year.",
}


def test_starting_needs_a_sign_in(client, world):
    response = client.get("/petitions/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_start_a_petition_as_a_draft_only_the_author_and_clerks_see(client, world, db):
    from participate.petitions.models import Petition

    login(client, world.author)
    html = page(client, "/petitions/new?council=health-manchester")
    assert "Start a petition" in html and 'selected value="health-manchester"' in html
    response = client.post("/petitions/new", data=NEW)
    assert response.status_code == 303
    petition = db.session.scalar(sa.select(Petition))
    assert petition.status == "draft" and petition.author_id == world.author.id
    assert response.headers["Location"].endswith(f"/petitions/{petition.id}")
    html = page(client, f"/petitions/{petition.id}")
    assert "Your draft" in html and "Invite sponsors" in html
    client.post("/logout")
    assert client.get(f"/petitions/{petition.id}").status_code == 404
    login(client, world.make.user())
    assert client.get(f"/petitions/{petition.id}").status_code == 404
    client.post("/logout")
    login(client, world.clerk)
    assert client.get(f"/petitions/{petition.id}").status_code == 200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "Too short"}, "at least 10 characters"),
        ({"change_text": "short"}, "what should change"),
        ({"reason_text": "short"}, "why it should change"),
        ({"kind": "constitution_change"}, "must propose at least one new setting"),
        ({"kind": "constitution_change", "weight_citizen": "-1"}, "weights.citizen"),
        (
            {
                "kind": "constitution_change",
                **{
                    f"weight_{c}": "0"
                    for c in ("citizen", "employee", "leader", "elected", "partner")
                },
            },
            "cannot all be zero",
        ),
        ({"kind": "constitution_change", "quorum": "1.5"}, "quorum"),
        ({"kind": "constitution_change", "threshold": "1"}, "threshold"),
        ({"kind": "constitution_change", "petition_sponsors": "two"}, "petition_sponsors"),
        ({"kind": "early_scrutiny", "quorum": "0.2"}, "does not change the constitution"),
    ],
)
def test_bad_petitions_are_refused_with_a_clear_message_and_nothing_written(
    client, world, db, changes, message
):
    from participate.petitions.models import Petition

    login(client, world.author)
    response = client.post("/petitions/new", data={**NEW, **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_rows(db, Petition) == 0


def test_unknown_constituency_weights_are_refused_by_the_service(world, db):
    from participate.errors import DomainError
    from participate.petitions.models import Petition

    with pytest.raises(DomainError) as refused:
        draft(world, kind="constitution_change", settings={"weights": {"citizens": 2}})
    assert "'citizens' is not a constituency" in refused.value.message
    assert set(refused.value.errors) == {"weights.citizens"}
    assert count_rows(db, Petition) == 0


def test_a_constitution_change_keeps_its_validated_settings(client, world, db):
    from participate.petitions.models import Petition

    login(client, world.author)
    data = {
        **NEW,
        "kind": "constitution_change",
        "weight_citizen": "2",
        "quorum": "0.25",
        "concurrent_majority": "yes",
    }
    assert client.post("/petitions/new", data=data).status_code == 303
    petition = db.session.scalar(sa.select(Petition))
    assert petition.proposed_settings == {
        "weights": {"citizen": 2.0},
        "quorum": 0.25,
        "concurrent_majority": True,
    }
    html = page(client, f"/petitions/{petition.id}")
    assert "Weight of citizens" in html and "Quorum" in html


def test_an_unconfirmed_account_cannot_start_a_petition(client, world, db):
    from participate.petitions.models import Petition

    login(client, world.make.user(confirmed=False))
    response = client.post("/petitions/new", data=NEW)
    assert response.status_code == 400
    assert "Confirm your e-mail address" in response.get_data(as_text=True)
    assert count_rows(db, Petition) == 0


def test_the_author_edits_a_draft_and_nobody_else_does(client, world, db):
    petition = draft(world)
    login(client, world.author)
    edited = {**NEW, "title": "Inspect the out-of-hours GP service this winter"}
    assert client.post(f"/petitions/{petition.id}/edit", data=edited).status_code == 303
    db.session.refresh(petition)
    assert petition.title.endswith("this winter")
    client.post("/logout")
    login(client, world.clerk)
    assert client.post(f"/petitions/{petition.id}/edit", data=NEW).status_code == 403


def test_the_text_is_fixed_once_sponsors_are_invited(client, world, db):
    from participate.petitions import sponsoring

    petition = draft(world)
    sponsoring.invite_sponsors(world.author, petition)
    login(client, world.author)
    response = client.post(
        f"/petitions/{petition.id}/edit", data={**NEW, "title": "Changed title here"}
    )
    assert response.status_code == 400
    assert "Its text is fixed once sponsors are invited" in response.get_data(as_text=True)
    db.session.refresh(petition)
    assert petition.title == NEW["title"]


# ---------------------------------------------------------------- sponsors


def _sponsor_link(html: str) -> str:
    match = re.search(r"/petitions/sponsor/([\w-]+)", html)
    assert match, "no sponsor link on the page"
    return match.group(0)


def test_sponsors_through_a_private_link_then_moderation(client, world, db, outbox):
    from participate.notifications.models import Notification

    petition = draft(world)
    login(client, world.author)
    assert client.post(f"/petitions/{petition.id}/invite").status_code == 303
    db.session.refresh(petition)
    assert petition.status == "collecting_sponsors"
    assert len(petition.sponsor_token) >= 32
    link = _sponsor_link(page(client, f"/petitions/{petition.id}"))
    assert "You started this petition" in page(client, link)
    # the author cannot sponsor
    response = client.post(link)
    assert response.status_code == 403
    client.post("/logout")
    # a visitor is asked to sign in
    assert "to sponsor this petition" in page(client, link)
    first, second = world.make.user(), world.make.user()
    login(client, first)
    assert client.post(link).status_code == 303
    assert "You sponsor this petition" in page(client, link)
    again = client.post(link)
    assert again.status_code == 409 and "already sponsored" in again.get_data(as_text=True)
    client.post("/logout")
    login(client, second)
    assert client.post(link).status_code == 303
    db.session.refresh(petition)
    assert petition.status == "in_moderation" and petition.submitted_at is not None
    clerk_notes = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == world.clerk.id)
    ).all()
    assert "petition_moderation" in clerk_notes
    assert len(events(db, "petition.submitted")) == 1


def test_a_wrong_sponsor_link_is_a_clear_404(client, world):
    response = client.get("/petitions/sponsor/not-a-real-token")
    assert response.status_code == 404
    assert "sponsor link is not valid" in response.get_data(as_text=True)


def test_a_sponsor_link_reused_after_publication_is_refused(client, world, db):
    from participate.petitions.models import PetitionSponsor

    petition = opened(world)
    link = f"/petitions/sponsor/{petition.sponsor_token}"
    late = world.make.user()
    login(client, late)
    html = page(client, link)
    assert "no longer in use" in html and "Sign it instead" in html
    before = count_rows(db, PetitionSponsor, petition_id=petition.id)
    response = client.post(link)
    assert response.status_code == 409
    assert "It has been published: sign it instead." in response.get_data(as_text=True)
    assert count_rows(db, PetitionSponsor, petition_id=petition.id) == before


def test_a_council_that_needs_no_sponsors_sends_the_petition_to_the_clerk(client, world, db):
    small_rules(world.council, petition_sponsors=0)
    petition = draft(world)
    login(client, world.author)
    client.post(f"/petitions/{petition.id}/invite")
    db.session.refresh(petition)
    assert petition.status == "in_moderation"


# ---------------------------------------------------------------- moderation


def test_the_clerk_publishes_from_the_queue(client, world, db):
    from participate.petitions.models import PetitionCounter

    petition = in_moderation(world)
    login(client, world.clerk)
    html = page(client, "/councils/health-manchester/petitions/moderation")
    assert petition.title in html and "petition standards" in html
    response = client.post(
        f"/petitions/{petition.id}/publish",
        data={"next": "/councils/health-manchester/petitions/moderation"},
    )
    assert response.status_code == 303
    db.session.refresh(petition)
    assert petition.status == "open"
    assert petition.threshold == 3
    assert petition.threshold_explanation == "max(3, ceil(0% × 568,996)) = 3"
    assert petition.signing_deadline - petition.opened_at >= timedelta(days=181)
    assert count_rows(db, PetitionCounter, petition_id=petition.id) == 1
    [event] = events(db, "petition.published")
    assert event.actor_id == world.clerk.id


def test_the_default_threshold_is_one_percent_of_the_population(world, db):
    from participate.councils.services import new_constitution_version

    new_constitution_version(
        None, world.council, settings={"petition_minimum": 100, "petition_rate": 0.01}
    )
    petition = opened(world)
    assert petition.threshold == 5690
    assert petition.threshold_explanation == "max(100, ceil(1% × 568,996)) = 5,690"


def test_the_moderation_queue_is_for_clerks(client, world):
    assert client.get("/councils/health-manchester/petitions/moderation").status_code == 302
    login(client, world.make.user())
    assert client.get("/councils/health-manchester/petitions/moderation").status_code == 403


def test_rejection_needs_a_standard_and_a_public_reason(client, world, db):
    petition = in_moderation(world)
    login(client, world.clerk)
    client.post(f"/petitions/{petition.id}/reject", data={"standard": "S4", "reason": "short"})
    db.session.refresh(petition)
    assert petition.status == "in_moderation"
    client.post(
        f"/petitions/{petition.id}/reject",
        data={"standard": "", "reason": "A long enough public reason."},
    )
    db.session.refresh(petition)
    assert petition.status == "in_moderation"
    client.post(
        f"/petitions/{petition.id}/reject",
        data={"standard": "S2", "reason": "This is for the regulator, not the council."},
    )
    db.session.refresh(petition)
    assert petition.status == "rejected" and petition.rejection_standard == "S2"
    client.post("/logout")
    html = page(client, f"/petitions/{petition.id}")
    assert "Not published" in html and "This is for the regulator, not the council." in html
    assert "It is within the council&#39;s remit" in html or "within the council's remit" in html
    assert len(events(db, "petition.rejected")) == 1


def test_the_standards_page_lists_every_standard(client, world):
    from participate.petitions.standards import STANDARDS

    html = page(client, "/petitions/standards")
    for code in STANDARDS:
        assert f'id="{code}"' in html


# ---------------------------------------------------------------- permissions matrix


ROLES = ["visitor", "account", "member", "other_clerk", "author", "clerk"]


def _as(client, world, role):
    users = {
        "account": lambda: world.make.user(),
        "member": lambda: _member(world),
        "other_clerk": lambda: world.make.clerk(world.councils["health-salford"]),
        "author": lambda: world.author,
        "clerk": lambda: world.clerk,
    }
    if role != "visitor":
        login(client, users[role]())


def _member(world):
    user = world.make.user()
    world.make.member(user, world.council, "citizen")
    return user


@pytest.mark.parametrize("role", ROLES)
def test_only_a_clerk_of_the_council_publishes(client, world, db, role):
    petition = in_moderation(world)
    _as(client, world, role)
    client.post(f"/petitions/{petition.id}/publish")
    db.session.refresh(petition)
    assert petition.status == ("open" if role == "clerk" else "in_moderation")


@pytest.mark.parametrize("role", ROLES)
def test_only_a_clerk_of_the_council_rejects(client, world, db, role):
    petition = in_moderation(world)
    _as(client, world, role)
    client.post(
        f"/petitions/{petition.id}/reject",
        data={"standard": "S1", "reason": "Please split this into two petitions."},
    )
    db.session.refresh(petition)
    assert petition.status == ("rejected" if role == "clerk" else "in_moderation")


@pytest.mark.parametrize("role", ROLES)
def test_only_a_clerk_of_the_council_answers(client, world, db, role):
    petition, _ = reached(world)
    _as(client, world, role)
    response = client.post(
        f"/petitions/{petition.id}/respond",
        data={
            "decision": "adopted",
            "response_text": "The council agreed and will act by March.",
            "confirm": "yes",
        },
    )
    db.session.refresh(petition)
    assert petition.status == ("closed" if role == "clerk" else "threshold_reached")
    if role not in ("clerk", "visitor"):
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_only_a_clerk_of_the_council_sees_and_invalidates_signatures(client, world, db, role):
    from participate.petitions.models import Signature

    petition, signers = reached(world)
    signature = db.session.scalar(sa.select(Signature).where(Signature.user_id == signers[0].id))
    _as(client, world, role)
    listing = client.get(f"/petitions/{petition.id}/signatures")
    assert listing.status_code == {"visitor": 302, "clerk": 200}.get(role, 403)
    client.post(
        f"/petitions/{petition.id}/signatures/invalidate",
        data={"signature_id": str(signature.id), "reason": "Signed twice under two names."},
    )
    db.session.refresh(signature)
    assert (signature.invalidated_at is not None) is (role == "clerk")


# ---------------------------------------------------------------- the council's answer


def test_the_must_answer_list_and_a_response_at_a_meeting(client, world, db):
    from participate.notifications.models import Notification

    petition, signers = reached(world)
    html = page(client, "/councils/health-manchester/petitions")
    assert "Must answer (1)" in html and petition.title in html
    html = page(client, "/councils/health-manchester/petitions/must-answer")
    assert petition.title in html and f"{petition.response_due_at:%-d %b %Y}" in html
    assert 'href="/councils/health-manchester/petitions"' in page(
        client, "/councils/health-manchester"
    )
    login(client, world.clerk)
    html = page(client, f"/petitions/{petition.id}/respond")
    assert "at a council meeting, outside a round" in html
    bad = client.post(
        f"/petitions/{petition.id}/respond", data={"decision": "adopted", "response_text": "ok"}
    )
    assert bad.status_code == 400 and "at least 20 characters" in bad.get_data(as_text=True)
    response = client.post(
        f"/petitions/{petition.id}/respond",
        data={
            "decision": "partly_adopted",
            "response_text": "The council will inspect the service in March.",
            "confirm": "yes",  # tests/web/test_confirm_answers.py covers the step before
        },
    )
    assert response.status_code == 303
    db.session.refresh(petition)
    assert petition.status == "closed" and petition.response_route == "meeting"
    html = page(client, f"/petitions/{petition.id}")
    assert "The council will inspect the service in March." in html
    assert "Answered at a council meeting, outside a deliberation round" in html
    for signer in signers:
        kinds = db.session.scalars(
            sa.select(Notification.kind).where(Notification.user_id == signer.id)
        ).all()
        assert "petition_answered" in kinds
    assert "Must answer (0)" in page(client, "/councils/health-manchester/petitions")
    assert len(events(db, "petition.answered")) == 1


def test_publish_response_from_a_round_is_labelled_and_closes(world, db):
    from participate.petitions import answering, reading

    petition, _ = reached(world)
    answering.publish_response(
        None,
        petition,
        decision="adopted",
        response_text="Adopted at round 4's outcome.",
        motion_id=41,
        round_id=4,
    )
    assert petition.status == "closed" and petition.response_route == "round"
    assert petition.response_motion_id == 41 and petition.response_round_id == 4
    assert reading.must_answer(world.council) == []


def test_an_open_petition_cannot_be_answered_yet(world, db):
    from participate.errors import DomainError
    from participate.petitions import answering

    petition = opened(world)
    with pytest.raises(DomainError) as refused:
        answering.publish_response(
            world.clerk, petition, decision="adopted", response_text="x" * 30
        )
    assert refused.value.status == 409


# ---------------------------------------------------------------- the deadline (lazy)


def test_a_petition_past_its_deadline_short_of_its_threshold_closes_on_read(client, world, db):
    from participate.petitions.models import Petition

    petition = opened(world)
    sign_many(world, petition, 1)
    db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id)
        .values(signing_deadline=petition.opened_at - timedelta(seconds=10) + timedelta(seconds=1))
    )
    db.session.commit()
    html = page(client, f"/petitions/{petition.id}")
    db.session.refresh(petition)
    assert petition.status == "closed_unsuccessful"
    assert "Closed without reaching the threshold" in html
    assert len(events(db, "petition.closed_unsuccessful")) == 1


def test_a_petition_that_reached_its_threshold_does_not_close_unsuccessful(client, world, db):
    from participate.petitions.models import Petition

    petition, _ = reached(world)
    db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition.id)
        .values(signing_deadline=petition.opened_at)
    )
    db.session.commit()
    page(client, f"/petitions/{petition.id}")
    db.session.refresh(petition)
    assert petition.status == "threshold_reached"


# ---------------------------------------------------------------- lists


def test_the_list_filters_and_sorts(client, world, db):
    from participate.petitions.models import Petition

    few = opened(world, title="Early scrutiny of the walk-in centre")
    many = opened(
        world, kind="cooperative_governance", title="Co-operative board for community care"
    )
    sign_many(world, many, 2)
    sign_many(world, few, 1)
    from participate.petitions.signature_counter import refresh

    refresh(many.id, force=True)
    refresh(few.id, force=True)
    db.session.execute(
        sa.update(Petition)
        .where(Petition.id == few.id)
        .values(signing_deadline=few.opened_at + timedelta(days=3))
    )
    db.session.commit()
    html = page(client, "/petitions")
    assert html.index(many.title) < html.index(few.title)  # most signed first
    html = page(client, "/petitions?sort=closing_soon")
    assert html.index(few.title) < html.index(many.title)
    html = page(client, "/petitions?kind=cooperative_governance")
    assert many.title in html and few.title not in html
    html = page(client, "/petitions?council=health-salford")
    assert "No petition matches" in html
    html = page(client, "/petitions?status=threshold_reached")
    assert many.title not in html
    fragment = client.get("/petitions?sort=newest", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    bad = client.get("/petitions?kind=bogus")
    assert bad.status_code == 302
    assert "Petitions" in page(client, "/")  # the main menu entry


def test_petition_pages_render_for_a_visitor(client, world, db):
    petition, _ = reached(world)
    for url in (
        "/petitions",
        "/petitions/standards",
        f"/petitions/{petition.id}",
        "/councils/health-manchester/petitions",
        "/councils/health-manchester/petitions/must-answer",
    ):
        html = page(client, url)
        assert "<main" in html and "</html>" in html


# ---------------------------------------------------------------- governance changes


def test_a_passed_constitution_change_becomes_a_new_version_naming_petition_and_motion(world, db):
    from participate.councils.services import current_constitution, settings_of
    from participate.petitions import answering

    petition, _ = reached(
        world, kind="constitution_change", settings={"weights": {"citizen": 2}, "quorum": 0.2}
    )
    motion = _passed_motion(world, db)
    answering.publish_response(
        world.clerk,
        petition,
        decision="adopted",
        response_text="Passed by the governance vote.",
        motion_id=motion.id,
    )
    answering.apply_governance_change(world.clerk, petition, motion_id=motion.id)
    version = current_constitution(world.council)
    assert version.cause == f"petition:{petition.id}; motion:{motion.id}"
    settings = settings_of(world.council)
    assert settings["weights"]["citizen"] == 2 and settings["weights"]["employee"] == 1
    assert settings["quorum"] == 0.2
    assert petition.constitution_version_id == version.id
    assert len(events(db, "petition.change_applied")) == 1


def test_a_governance_change_needs_a_passed_motion(world, db):
    from participate.errors import DomainError
    from participate.petitions import answering

    petition, _ = reached(world, kind="constitution_change", settings={"quorum": 0.2})
    motion = _passed_motion(world, db, passed=False)
    answering.publish_response(
        world.clerk,
        petition,
        decision="rejected",
        response_text="The governance vote did not pass.",
        motion_id=motion.id,
    )
    with pytest.raises(DomainError) as refused:
        answering.apply_governance_change(world.clerk, petition, motion_id=motion.id)
    assert refused.value.code == "motion_not_passed"
    with pytest.raises(DomainError) as refused:
        answering.apply_governance_change(world.clerk, petition, motion_id=999_999)
    assert refused.value.code == "not_the_deciding_motion"


def test_an_early_scrutiny_petition_changes_no_constitution(world, db):
    from participate.errors import DomainError
    from participate.petitions import answering

    petition, _ = reached(world)
    with pytest.raises(DomainError) as refused:
        answering.apply_governance_change(world.clerk, petition, motion_id=1)
    assert refused.value.code == "not_a_governance_change"
