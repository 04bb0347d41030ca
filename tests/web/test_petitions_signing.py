"""Signing, the batch counter, the threshold, invalidation, reconcile, rate limits, fragments."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import htmx_headers, login
from tests.factories import petitions as shared
from tests.factories.petitions import (
    count_rows,
    events,
    in_moderation,
    opened,
    page,
    reached,
    sign_many,
    small_rules,
)

world = shared.world  # the fixture, shared with test_petitions.py


def signatures(db, petition):
    from participate.petitions.models import Signature

    return db.session.scalars(
        sa.select(Signature).where(Signature.petition_id == petition.id).order_by(Signature.id)
    ).all()


def make_stale(db, petition):
    """Age the counter past the batch interval, as if two seconds had passed."""
    from participate.petitions.models import PetitionCounter

    db.session.execute(
        sa.update(PetitionCounter)
        .where(PetitionCounter.petition_id == petition.id)
        .values(refreshed_at=datetime(2000, 1, 1))
    )
    db.session.commit()


@pytest.fixture
def big(world):
    """An open petition with a threshold far away (no near-threshold recounts)."""
    small_rules(world.council, petition_minimum=1000)
    return opened(world)


# ---------------------------------------------------------------- signing on the page


def test_sign_with_a_plain_form_post(client, world, db, big):
    signer = world.make.user()
    login(client, signer)
    html = page(client, f"/petitions/{big.id}")
    assert "I declare that I" in html and "live in Manchester" in html
    response = client.post(
        f"/petitions/{big.id}/sign", data={"declaration": "live", "place": "manchester"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("#sign")
    [signature] = signatures(db, big)
    assert signature.user_id == signer.id
    assert signature.constituency == "citizen" and signature.declaration == "live"
    assert signature.place_id == world.council.place_id
    html = page(client, f"/petitions/{big.id}")
    assert "your signature is recorded" in html and "You signed this petition" in html
    assert f'action="/petitions/{big.id}/sign"' not in html


def test_sign_with_htmx_returns_the_fragment(client, world, db, big):
    login(client, world.make.user())
    response = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "work", "place": "manchester", "service": "health"},
        headers=htmx_headers(),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="sign"' in html and "Thank you" in html
    assert "an employee" in html
    assert response.headers["HX-Trigger"] == "petition-signed"
    [signature] = signatures(db, big)
    assert signature.constituency == "employee"


def test_signing_twice_is_refused_and_writes_nothing(client, world, db, big):
    login(client, world.make.user())
    client.post(f"/petitions/{big.id}/sign", data={"declaration": "live", "place": "manchester"})
    again = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester"},
        headers=htmx_headers(),
    )
    assert again.status_code == 409
    assert "already signed this petition" in again.get_data(as_text=True)
    plain = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "work", "place": "manchester", "service": "health"},
    )
    assert plain.status_code == 303
    assert len(signatures(db, big)) == 1


def test_members_sign_in_their_constituency(client, world, db, big):
    leader = world.make.user()
    world.make.member(leader, world.council, "leader")
    login(client, leader)
    html = page(client, f"/petitions/{big.id}")
    assert "signs as a service leader" in html
    client.post(f"/petitions/{big.id}/sign", data={"declaration": "member"})
    assert signatures(db, big)[0].constituency == "leader"


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"declaration": "member"}, 400, "Only active members of the council can sign as members"),
        ({}, 400, "declare that you live in the place or work for the service"),
        ({"declaration": "visit"}, 400, "declare that you live in the place"),
        ({"declaration": "live", "place": "salford"}, 400, "within the area the council serves"),
        ({"declaration": "live", "place": "nowhere"}, 400, "within the area the council serves"),
    ],
)
def test_bad_declarations_are_refused_and_nothing_is_written(
    client, world, db, big, data, status, message
):
    login(client, world.make.user())
    response = client.post(f"/petitions/{big.id}/sign", data=data, headers=htmx_headers())
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert signatures(db, big) == []


def test_an_unconfirmed_account_cannot_sign(client, world, db, big):
    login(client, world.make.user(confirmed=False))
    html = page(client, f"/petitions/{big.id}")
    assert "Confirm your e-mail address before signing" in html
    response = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester"},
        headers=htmx_headers(),
    )
    assert response.status_code == 403
    assert "Confirm your e-mail address" in response.get_data(as_text=True)
    assert signatures(db, big) == []


def test_a_visitor_is_sent_to_sign_in(client, world, db, big):
    response = client.post(
        f"/petitions/{big.id}/sign", data={"declaration": "live", "place": "manchester"}
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    fragment = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester"},
        headers=htmx_headers(),
    )
    assert fragment.status_code == 401 and "Sign in to sign" in fragment.get_data(as_text=True)
    assert signatures(db, big) == []


def _regional(world):
    from participate.petitions import drafting, moderating, sponsoring

    council = world.councils["health-north-west"]
    small_rules(council, petition_minimum=1000)
    clerk = world.make.clerk(council)
    petition = drafting.start_petition(
        world.author,
        council,
        kind="early_scrutiny",
        title="Scrutinise ambulance response times",
        change_text="Hold a regional scrutiny review of ambulance response times.",
        reason_text="Category 2 calls wait twice the national standard in the region.",
    )
    sponsoring.invite_sponsors(world.author, petition)
    while petition.status == "collecting_sponsors":
        sponsoring.sponsor_petition(world.make.user(), petition)
    moderating.publish(clerk, petition)
    return petition


def test_signers_choose_the_place_among_the_local_places_of_the_councils_area(client, world, db):
    from participate.petitions.shown_counts import counts_for

    petition = _regional(world)
    login(client, world.make.user())
    html = page(client, f"/petitions/{petition.id}")
    assert '<option value="salford">Salford</option>' in html
    assert '<option value="north-west">' not in html  # a region is not where one lives
    client.post(f"/petitions/{petition.id}/sign", data={"declaration": "live", "place": "salford"})
    client.post("/logout")
    login(client, world.make.user())
    client.post(
        f"/petitions/{petition.id}/sign", data={"declaration": "live", "place": "manchester"}
    )
    make_stale(db, petition)
    counts = counts_for(petition)
    assert {p.slug: n for p, n in counts.by_place} == {"salford": 1, "manchester": 1}


def _tally_reads(db):
    """Count the statements that read the stored tallies, from now on."""
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        if "FROM petition_tallies" in statement:
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    return seen, lambda: sa.event.remove(db.engine, "before_cursor_execute", before)


def test_counts_read_the_tallies_once_per_counter_state(client, world, db, big):
    from participate.petitions import shown_counts
    from participate.petitions.signing import sign_petition

    sign_petition(world.make.user(), big.id, declaration="live", place="manchester")
    make_stale(db, big)
    seen, stop = _tally_reads(db)
    try:
        first = shown_counts.counts_for(big)  # applies the batch, reads the tallies
        reads = len(seen)
        again = shown_counts.counts_for(big)  # the same counter state: the kept copy
        assert len(seen) == reads
        assert (again.total, again.by_constituency) == (first.total, first.by_constituency)
        sign_petition(
            world.make.user(), big.id, declaration="work", place="manchester", service="health"
        )
        make_stale(db, big)
        moved = shown_counts.counts_for(big)  # a new batch: read afresh
        assert len(seen) > reads
    finally:
        stop()
    assert moved.total == 2
    assert (moved.by_constituency["citizen"], moved.by_constituency["employee"]) == (1, 1)


def test_an_invalidation_moves_the_counter_so_the_counts_are_read_again(client, world, db, big):
    from participate.petitions.invalidating import invalidate_signature
    from participate.petitions.shown_counts import counts_for

    for _ in range(2):
        login(client, world.make.user())
        client.post(
            f"/petitions/{big.id}/sign", data={"declaration": "live", "place": "manchester"}
        )
        client.post("/logout")
    make_stale(db, big)
    assert counts_for(big).by_constituency["citizen"] == 2
    first = signatures(db, big)[0]
    invalidate_signature(
        world.clerk, big, first.id, reason="A duplicate account, confirmed by the clerk."
    )
    counts = counts_for(big)
    assert (counts.total, counts.by_constituency["citizen"]) == (1, 1)


@pytest.mark.parametrize(
    "state",
    ["draft", "collecting_sponsors", "in_moderation", "rejected", "closed", "closed_unsuccessful"],
)
def test_petitions_that_take_no_signatures_refuse_them(client, world, db, state):
    from participate.petitions import answering, moderating
    from participate.petitions.models import Petition

    if state in ("draft", "collecting_sponsors", "in_moderation", "rejected"):
        petition = in_moderation(world) if state != "draft" else None
        if state == "draft":
            from tests.factories.petitions import draft

            petition = draft(world)
        elif state == "collecting_sponsors":
            petition = Petition.query.get(petition.id)
            petition.status = "collecting_sponsors"
            db.session.commit()
        elif state == "rejected":
            moderating.reject(
                world.clerk, petition, standard="S1", reason="Split this into two petitions."
            )
    else:
        petition, _ = reached(world)
        if state == "closed":
            answering.publish_response(
                world.clerk,
                petition,
                decision="rejected",
                response_text="No: see the minutes of the meeting.",
            )
        else:
            db.session.execute(
                sa.update(Petition)
                .where(Petition.id == petition.id)
                .values(status="closed_unsuccessful", threshold_reached_at=None)
            )
            db.session.commit()
    before = len(signatures(db, petition))
    login(client, world.make.user())
    response = client.post(
        f"/petitions/{petition.id}/sign",
        data={"declaration": "live", "place": "manchester"},
        headers=htmx_headers(),
    )
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Signing is not allowed on a petition that is" in text
    assert len(signatures(db, petition)) == before


def test_signing_after_the_deadline_is_refused(client, world, db, big):
    from participate.petitions.models import Petition

    db.session.execute(
        sa.update(Petition)
        .where(Petition.id == big.id)
        .values(signing_deadline=datetime.utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    login(client, world.make.user())
    response = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester"},
        headers=htmx_headers(),
    )
    assert response.status_code == 409 and "deadline" in response.get_data(as_text=True)
    assert signatures(db, big) == []


# ---------------------------------------------------------------- the batch counter


def test_the_count_is_kept_in_batches_not_per_signature(client, world, db, big):
    from participate.petitions.models import PetitionCounter

    sign_many(world, big, 1)
    page(client, f"/petitions/{big.id}")  # a read counts the first batch and starts a window
    sign_many(world, big, 2)
    counter = db.session.get(PetitionCounter, big.id)
    db.session.refresh(counter)
    assert counter.count == 1  # signing wrote only the signatures
    html = client.get(f"/petitions/{big.id}/counts", headers=htmx_headers()).get_data(as_text=True)
    assert '<strong class="petition-count">1</strong>' in html  # within the batch window
    make_stale(db, big)
    html = client.get(f"/petitions/{big.id}/counts", headers=htmx_headers()).get_data(as_text=True)
    assert "<html" not in html
    assert '<strong class="petition-count">3</strong>' in html
    db.session.refresh(counter)
    assert counter.count == 3 and counter.last_signature_id == signatures(db, big)[-1].id


def test_counts_by_constituency_and_the_chart(client, world, db, big):
    sign_many(world, big, 2, declaration="live")
    sign_many(world, big, 1, declaration="work")
    make_stale(db, big)
    html = page(client, f"/petitions/{big.id}")
    assert '<span class="bar-value">2</span>' in html and '<span class="bar-value">1</span>' in html
    assert '<svg class="petition-chart"' in html and "<polyline" in html
    assert "threshold 1,000" in html
    assert "max(1,000, ceil(0% × 568,996)) = 1,000" in html
    chart = client.get(f"/petitions/{big.id}/chart", headers=htmx_headers())
    assert chart.status_code == 200 and "<html" not in chart.get_data(as_text=True)
    assert client.get(f"/petitions/{big.id}/chart").status_code == 302


def test_only_one_process_applies_a_batch(world, db, big):
    """A batch counted from a stale view of the counter is not applied twice."""
    from participate.petitions import signature_counter
    from participate.petitions.models import PetitionCounter

    sign_many(world, big, 2)
    state = signature_counter.counter_state(big.id)
    signature_counter.refresh(big.id, force=True)
    # a second process that read the counter before the first applied its batch:
    applied = db.session.execute(
        sa.update(PetitionCounter)
        .where(
            PetitionCounter.petition_id == big.id,
            PetitionCounter.last_signature_id == state.last_signature_id,
            PetitionCounter.epoch == state.epoch,
        )
        .values(count=PetitionCounter.count + 2)
    ).rowcount
    db.session.rollback()
    assert applied == 0
    assert signature_counter.refresh(big.id, force=True).count == 2


def test_reaching_the_threshold_records_the_time_and_tells_people(client, world, db):
    from participate.notifications.models import Notification
    from participate.petitions.models import PetitionMilestone

    petition, signers = reached(world)
    third = signatures(db, petition)[2]
    assert petition.threshold_reached_at == third.created_at
    assert petition.response_due_at == third.created_at + timedelta(days=60)
    [milestone] = db.session.scalars(
        sa.select(PetitionMilestone).where(PetitionMilestone.petition_id == petition.id)
    ).all()
    assert (
        milestone.milestone == 3 and milestone.is_threshold and milestone.signature_id == third.id
    )
    for person in [world.clerk, world.author, *signers]:
        kinds = db.session.scalars(
            sa.select(Notification.kind).where(Notification.user_id == person.id)
        ).all()
        assert kinds.count("petition_threshold") == 1, person
    assert len(events(db, "petition.threshold_reached")) == 1
    html = page(client, f"/petitions/{petition.id}")
    assert "The council must answer" in html and "Milestones" in html


def test_milestones_record_the_exact_signature_even_from_a_late_batch(world, db, big):
    from participate.petitions.models import PetitionMilestone
    from participate.petitions.signature_counter import refresh

    sign_many(world, big, 12)
    refresh(big.id, force=True)
    milestone = db.session.scalar(
        sa.select(PetitionMilestone).where(PetitionMilestone.milestone == 10)
    )
    tenth = signatures(db, big)[9]
    assert milestone.signature_id == tenth.id and milestone.reached_at == tenth.created_at


def test_response_days_come_from_the_constitution(world, db):
    small_rules(world.council, petition_response_days=14)
    petition, _ = reached(world)
    assert petition.response_due_at - petition.threshold_reached_at == timedelta(days=14)


# ---------------------------------------------------------------- invalidation


def test_a_clerk_invalidates_one_signature_with_a_reason(client, world, db, big):
    from participate.petitions.shown_counts import counts_for

    signers = sign_many(world, big, 3)
    make_stale(db, big)
    assert counts_for(big).total == 3
    target = signatures(db, big)[1]
    login(client, world.clerk)
    html = page(client, f"/petitions/{big.id}/signatures")
    assert signers[1].email in html
    no_reason = client.post(
        f"/petitions/{big.id}/signatures/invalidate", data={"signature_id": target.id, "reason": ""}
    )
    assert no_reason.status_code == 303
    db.session.refresh(target)
    assert target.invalidated_at is None
    client.post(
        f"/petitions/{big.id}/signatures/invalidate",
        data={"signature_id": target.id, "reason": "Duplicate person"},
    )
    db.session.refresh(target)
    assert target.invalidated_at is not None and target.invalidation_reason == "Duplicate person"
    counts = counts_for(big, refresh_now=False)
    assert counts.total == 2 and counts.by_constituency["citizen"] == 2
    [event] = events(db, "petition.signatures_invalidated")
    assert event.actor_id == world.clerk.id and "Duplicate person" in event.data
    again = client.post(
        f"/petitions/{big.id}/signatures/invalidate",
        data={"signature_id": target.id, "reason": "again"},
        follow_redirects=True,
    )
    assert "already invalidated" in again.get_data(as_text=True)


def test_a_clerk_invalidates_by_rule_after_a_preview(client, world, db, big):
    from participate.petitions.shown_counts import counts_for

    for i in range(3):
        sign_user = world.make.user(f"bot{i}@spam.example")
        from participate.petitions.signing import sign_petition

        sign_petition(sign_user, big.id, declaration="live", place="manchester")
    sign_many(world, big, 2)
    login(client, world.clerk)
    preview = client.post(
        f"/petitions/{big.id}/signatures",
        data={"email_domain": "spam.example", "reason": "", "action": "preview"},
    )
    assert preview.status_code == 200 and "3 valid signatures match" in preview.get_data(
        as_text=True
    )
    assert all(s.invalidated_at is None for s in signatures(db, big))
    nothing = client.post(
        f"/petitions/{big.id}/signatures", data={"reason": "bots", "action": "invalidate"}
    )
    assert nothing.status_code == 400 and "at least one rule" in nothing.get_data(as_text=True)
    no_reason = client.post(
        f"/petitions/{big.id}/signatures",
        data={"email_domain": "spam.example", "action": "invalidate"},
    )
    assert no_reason.status_code == 400 and "Give the reason" in no_reason.get_data(as_text=True)
    done = client.post(
        f"/petitions/{big.id}/signatures",
        data={
            "email_domain": "@SPAM.example",
            "reason": "Automated sign-ups",
            "action": "invalidate",
        },
    )
    assert done.status_code == 303
    assert sum(1 for s in signatures(db, big) if s.invalidated_at) == 3
    assert counts_for(big, refresh_now=False).total == 2
    none_left = client.post(
        f"/petitions/{big.id}/signatures",
        data={"email_domain": "spam.example", "reason": "again", "action": "invalidate"},
    )
    assert none_left.status_code == 400 and "No valid signature matches" in none_left.get_data(
        as_text=True
    )


def test_invalidation_by_date_range_and_place(world, db):
    from participate.petitions import invalidating, signing
    from participate.petitions.models import Signature
    from participate.petitions.shown_counts import counts_for

    petition = _regional(world)
    for place in ("salford", "salford", "manchester"):
        signing.sign_petition(world.make.user(), petition.id, declaration="live", place=place)
    clerk = world.make.clerk(petition.council)
    n = invalidating.invalidate_by_rule(
        clerk,
        petition,
        invalidating.InvalidationRule(place="salford"),
        reason="Postcodes do not match",
    )
    assert n == 2
    first = db.session.scalar(sa.select(Signature).where(Signature.invalidated_at.is_(None)))
    rule = invalidating.InvalidationRule(
        date_from=first.created_at - timedelta(seconds=1),
        date_to=first.created_at + timedelta(seconds=1),
    )
    assert (
        invalidating.invalidate_by_rule(
            clerk, petition, rule, reason="Signed during the bot attack"
        )
        == 1
    )
    assert counts_for(petition, refresh_now=False).total == 0
    with pytest.raises(Exception) as bad:
        invalidating.matching_count(
            clerk,
            petition,
            invalidating.InvalidationRule(
                date_from=datetime(2026, 2, 1), date_to=datetime(2026, 1, 1)
            ),
        )
    assert "after its end" in str(bad.value)


# ---------------------------------------------------------------- reconcile


def test_reconcile_repairs_drift_and_then_changes_nothing(app, world, db, big):
    from participate.petitions.models import PetitionCounter, PetitionTally

    sign_many(world, big, 4)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["petitions", "reconcile"])
    assert first.exit_code == 0, first.output
    assert "4 newer signatures counted" in first.output and "no drift" in first.output
    db.session.execute(
        sa.update(PetitionCounter).where(PetitionCounter.petition_id == big.id).values(count=99)
    )
    db.session.execute(
        sa.update(PetitionTally)
        .where(PetitionTally.petition_id == big.id, PetitionTally.dimension == "constituency")
        .values(count=7)
    )
    db.session.commit()
    second = runner.invoke(args=["petitions", "reconcile"])
    assert second.exit_code == 0, second.output
    assert (
        f"petition {big.id}" in second.output
        and "count 99 -> 4 (drift +95 repaired)" in second.output
    )
    assert "constituency citizen: 7 -> 4" in second.output and "1 repaired" in second.output
    counter = db.session.get(PetitionCounter, big.id)
    db.session.refresh(counter)
    assert counter.count == 4
    third = runner.invoke(args=["petitions", "reconcile"])
    assert third.output.strip().endswith("no drift") and f"petition {big.id}" not in third.output
    assert len(events(db, "petition.counts_repaired")) == 1
    missing = runner.invoke(args=["petitions", "reconcile", "--petition", "999"])
    assert missing.exit_code != 0 and "no petition with id 999" in missing.output


# ---------------------------------------------------------------- rate limits


@pytest.fixture
def limited_client(app):
    """A client of a second app with rate limits on (the test app runs without them)."""
    from participate import create_app
    from participate.extensions import limiter

    config = dict(app.config)
    config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        PETITION_SIGN_LIMIT_ACCOUNT="2 per minute",
        PETITION_SIGN_LIMIT_ADDRESS="3 per minute",
    )
    limited = create_app(config)
    limiter.reset()
    yield limited.test_client()
    limiter.reset()
    limiter.enabled = False


def test_signing_is_rate_limited_per_account_and_per_address(limited_client, world, db, big):
    from participate.petitions.models import Signature

    client = limited_client
    others = [opened(world, title=f"Another petition number {i}") for i in range(3)]
    login(client, world.make.user())
    codes = [
        client.post(
            f"/petitions/{p.id}/sign",
            data={"declaration": "live", "place": "manchester"},
            headers=htmx_headers(),
        ).status_code
        for p in [big, *others[:2]]
    ]
    assert codes == [200, 200, 429]  # the account's limit: 2 a minute
    refused = client.post(
        f"/petitions/{others[2].id}/sign", data={"declaration": "live", "place": "manchester"}
    )
    assert refused.status_code == 429
    assert "You are signing too quickly" in refused.get_data(as_text=True)
    client.post("/logout")
    login(client, world.make.user())
    # a refused request counts no further; the address allows 3 signing requests a minute
    # (2 used above), whoever signs: the second person gets one more, then is refused
    first = client.post(
        f"/petitions/{big.id}/sign",
        data={"declaration": "live", "place": "manchester"},
        headers=htmx_headers(),
    )
    second = client.post(
        f"/petitions/{others[0].id}/sign",
        data={"declaration": "live", "place": "manchester"},
        headers=htmx_headers(),
    )
    assert (first.status_code, second.status_code) == (200, 429)
    assert second.headers["Retry-After"]
    assert count_rows(db, Signature) == 3
