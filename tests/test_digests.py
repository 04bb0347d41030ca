"""Notification settings, the daily digest, reminders and unsubscribe tokens (issue 16), at the
service level: preferences decide who is mailed at once, the digest groups by council and
kind and goes once per person per day, reminders go once per person per object and only to
the people they concern, and only a genuine, fresh token of the unsubscribe salt is read."""

from __future__ import annotations

import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
import sqlalchemy as sa

from participate.votes.ballots import cast_ballot


def _mails(outbox, before=frozenset()):
    new = sorted(set(outbox.glob("*.eml")) - set(before))
    return [message_from_bytes(p.read_bytes(), policy=default) for p in new]


def _to(mails) -> list[str]:
    return sorted(str(m["To"]) for m in mails)


@pytest.fixture
def hm(make):
    councils = make.structure()
    council = councils["health-manchester"]
    clerk = make.clerk(council, "clerk@example.org")
    members = make.members(council, {"citizen": 3})
    return {"council": council, "clerk": clerk, "members": members, "councils": councils}


# ------------------------------------------------------------------ preferences and notify


def test_defaults_mail_decisions_at_once_and_keep_routine_for_the_digest(db, make, outbox):
    from participate.notifications.services import notify

    person = make.user("p@example.org")
    notify([person.id], "membership_decided", "You are now a member of Health Manchester.")
    notify([person.id], "proposal_comment", "Ann commented on “Longer GP hours”.")
    db.session.commit()
    mails = _mails(outbox)
    assert _to(mails) == ["p@example.org"]
    assert mails[0]["Subject"] == "You are now a member of Health Manchester"


def test_a_chosen_setting_wins_over_the_default_and_the_switch_stops_everything(db, make, outbox):
    from participate.notifications import preferences
    from participate.notifications.services import notify

    eager, quiet, silent = make.user("eager@x.org"), make.user("quiet@x.org"), make.user("s@x.org")
    preferences.update_settings(eager, changes={"proposal_comment": "immediate"})
    preferences.update_settings(quiet, changes={"membership_decided": "off"})
    preferences.update_settings(silent, email=False)
    notify([eager.id, quiet.id, silent.id], "proposal_comment", "Ann commented on “X”.")
    notify([eager.id, quiet.id, silent.id], "membership_decided", "You are now a member.")
    db.session.commit()
    assert _to(_mails(outbox)) == ["eager@x.org", "eager@x.org"]


def test_bad_settings_are_refused_by_name_and_change_nothing(db, make):
    from participate.errors import DomainError
    from participate.notifications import preferences

    person = make.user()
    with pytest.raises(DomainError) as unknown:
        preferences.update_settings(person, changes={"no_such_kind": "off"})
    assert unknown.value.code == "bad_kind"
    with pytest.raises(DomainError) as late:
        preferences.update_settings(person, changes={"reminder_vote": "digest"})
    assert late.value.code == "bad_delivery"
    with pytest.raises(DomainError):
        preferences.update_settings(person, changes={"proposal_comment": "sometimes"})
    assert preferences.settings_of(person).delivery("reminder_vote") == "immediate"


def test_mail_is_plain_sentences_with_the_page_and_unsubscribe_links(db, make, outbox):
    from participate.notifications.services import notify

    person = make.user("m@example.org")
    notify(
        [person.id],
        "moderation",
        "The clerk hid your comment on “Parking”: **rude** remarks about [staff](http://x.org)",
        "/proposals/1",
    )
    db.session.commit()
    (mail,) = _mails(outbox)
    body = mail.get_content()
    assert "**" not in body and "](" not in body
    assert "rude remarks about staff." in body
    assert "/proposals/1" in body and "/me/notifications" in body
    assert body.rstrip().splitlines()[-1].startswith("Stop all e-mail from us: ")
    assert "/unsubscribe/" in body
    header = str(mail["List-Unsubscribe"])
    assert header.startswith("<http") and "/unsubscribe/" in header
    stop_kind = [line for line in body.splitlines() if line.startswith("Stop e-mail when")]
    assert stop_kind and stop_kind[0].endswith(header.strip("<>"))


# ------------------------------------------------------------------ the digest


def _at(hours: float):
    from participate.util import utcnow

    return utcnow() + timedelta(hours=hours)


def test_the_digest_groups_by_council_and_kind_and_goes_once_a_day(db, make, hm, outbox):
    from participate.jobs.digests import send_due_digests
    from participate.notifications.models import DigestSent, Notification
    from participate.notifications.services import notify

    person, other = hm["members"][0], hm["members"][1]
    salford = hm["councils"]["health-salford"]
    notify(
        [person.id],
        "proposal_comment",
        "Ann commented on “Longer GP hours”",
        "/councils/health-manchester/proposals",
    )
    notify(
        [person.id],
        "round_phase",
        "The round “Winter” is now in discussion.",
        f"/councils/{salford.slug}",
    )
    notify(
        [person.id],
        "proposal_comment",
        "Bo replied on “Longer GP hours”.",
        "/councils/health-manchester",
    )
    notify([person.id], "membership_decided", "You are now a member.")  # mailed at once
    db.session.commit()
    before = set(outbox.glob("*.eml"))
    now = _at(1)
    assert send_due_digests(now) == 1
    (mail,) = _mails(outbox, before)
    assert mail["To"] == person.email and "daily digest" in mail["Subject"]
    body = mail.get_content()
    # councils in alphabetical order, each with its kinds, each line a sentence
    manchester = body.index("In Health and care council, Manchester:")
    assert manchester < body.index("In Health and care council, Salford:")
    assert "someone comments on a proposal you follow (2)" in body
    assert "- Ann commented on “Longer GP hours”." in body
    assert "You are now a member" not in body
    assert "Stop the daily digest: " in body
    # a re-run (or a second worker) the same day sends nothing
    before = set(outbox.glob("*.eml"))
    assert send_due_digests(now + timedelta(hours=2)) == 0
    notify([person.id], "vote_result", "The result is published.", "/councils/health-manchester")
    db.session.commit()
    assert send_due_digests(now + timedelta(hours=3)) == 0
    assert _mails(outbox, before) == []
    # the next day: only what was not in a digest yet
    assert send_due_digests(now + timedelta(days=1)) == 1
    (mail,) = _mails(outbox, before)
    assert "The result is published." in mail.get_content()
    assert "Ann commented" not in mail.get_content()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DigestSent)) == 2
    assert not db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == other.id))


def test_the_digest_respects_off_and_the_switch(db, make, outbox):
    from participate.jobs.digests import send_due_digests
    from participate.notifications import preferences
    from participate.notifications.services import notify

    off, silent = make.user("off@x.org"), make.user("silent@x.org")
    preferences.update_settings(off, changes={"proposal_comment": "off"})
    preferences.update_settings(silent, email=False)
    notify([off.id, silent.id], "proposal_comment", "Ann commented.")
    db.session.commit()
    assert send_due_digests(_at(1)) == 0
    assert _mails(outbox) == []


# ------------------------------------------------------------------ reminders


def test_vote_reminder_goes_once_to_eligible_members_who_have_not_voted(db, make, hm, outbox):
    from participate.jobs.reminders import send_due_reminders
    from participate.notifications.models import Notification
    from participate.votes import services as votes

    council, clerk = hm["council"], hm["clerk"]
    voter, waiting, opted_out = hm["members"]
    motion = votes.create_motion(clerk, council, title="Open on Saturdays", method="binary")
    votes.open_voting(clerk, motion, _at(20))
    far = votes.create_motion(clerk, council, title="Far away", method="binary")
    votes.open_voting(clerk, far, _at(72))
    late = make.user("late@example.org")  # joined after the snapshot: not eligible
    make.member(late, council, "citizen")
    cast_ballot(voter, motion, choice="yes")
    from participate.notifications import preferences

    preferences.update_settings(opted_out, changes={"reminder_vote": "off"})
    now = _at(0)
    told = send_due_reminders(now)
    reminded = set(
        db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == "reminder_vote")
        )
    )
    assert reminded == {waiting.id, opted_out.id, clerk.id}
    assert told == 3
    assert _to(_mails(outbox)) == sorted([waiting.email, clerk.email])
    text = db.session.scalar(
        sa.select(Notification.text).where(
            Notification.user_id == waiting.id, Notification.kind == "reminder_vote"
        )
    )
    assert "Open on Saturdays" in text and "closes within 24 hours" in text
    # once per person per object
    before = set(outbox.glob("*.eml"))
    assert send_due_reminders(now + timedelta(hours=1)) == 0
    assert _mails(outbox, before) == []


def test_petition_and_consultation_reminders(db, make, hm, outbox):
    from participate.jobs.reminders import send_due_reminders
    from participate.notifications.models import Notification, ReminderSent
    from participate.petitions.models import Petition
    from participate.upward.models import Consultation, ConsultationCouncil, Position

    council, clerk = hm["council"], hm["clerk"]
    salford = hm["councils"]["health-salford"]
    salford_member = make.user("salford@example.org")
    make.member(salford_member, salford, "citizen")
    now = _at(0)
    due_soon = Petition(
        council_id=council.id,
        author_id=hm["members"][0].id,
        kind="early_scrutiny",
        title="Keep the walk-in centre",
        change_text="Keep it.",
        reason_text="We use it.",
        status="threshold_reached",
        threshold=10,
        signing_deadline=now + timedelta(days=30),
        threshold_reached_at=now - timedelta(days=23),
        response_due_at=now + timedelta(days=5),
    )
    due_later = Petition(
        council_id=council.id,
        author_id=hm["members"][0].id,
        kind="early_scrutiny",
        title="Later",
        change_text="x",
        reason_text="y",
        status="threshold_reached",
        threshold=10,
        signing_deadline=now + timedelta(days=30),
        threshold_reached_at=now - timedelta(days=8),
        response_due_at=now + timedelta(days=20),
    )
    england = hm["councils"]["health-england"]
    minister = make.user("minister@example.org")
    consultation = Consultation(
        council_id=england.id,
        title="National waiting times",
        body="b",
        body_html="<p>b</p>",
        published_by_id=minister.id,
        published_at=now - timedelta(days=20),
        closes_at=now + timedelta(hours=10),
    )
    db.session.add_all([due_soon, due_later, consultation])
    db.session.flush()
    db.session.add_all(
        [
            ConsultationCouncil(
                consultation_id=consultation.id, council_id=council.id, level="local"
            ),
            ConsultationCouncil(
                consultation_id=consultation.id, council_id=salford.id, level="local"
            ),
            # Salford already gave its position: nothing to remind
            Position(
                consultation_id=consultation.id,
                council_id=salford.id,
                stance="support",
                level="local",
            ),
        ]
    )
    db.session.commit()
    told = send_due_reminders(now)
    rows = db.session.execute(sa.select(ReminderSent.user_id, ReminderSent.subject)).all()
    petition_people = {u for u, s in rows if s == f"petition:{due_soon.id}"}
    consulted = {u for u, s in rows if s == f"consultation:{consultation.id}"}
    assert petition_people == {clerk.id}
    assert not any(s == f"petition:{due_later.id}" for _u, s in rows)
    manchester = {clerk.id, *(m.id for m in hm["members"])}
    assert consulted == manchester and salford_member.id not in consulted
    assert told == 1 + len(manchester)
    text = db.session.scalar(
        sa.select(Notification.text).where(Notification.kind == "reminder_petition_answer")
    )
    assert "must answer the petition “Keep the walk-in centre”" in text and "5 days left" in text
    assert send_due_reminders(now + timedelta(hours=2)) == 0


# ------------------------------------------------------------------ unsubscribe tokens


def test_unsubscribe_tokens_valid_forged_expired_and_of_another_salt(app, db, make):
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from participate.errors import DomainError
    from participate.notifications import preferences, unsubscribe

    person = make.user()
    token = unsubscribe.make_token(person.id, "proposal_comment")
    asked = unsubscribe.read_token(token)
    assert asked.user.id == person.id and asked.scope == "proposal_comment"

    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="confirm").dumps(
        {"u": person.id, "k": "*"}
    )

    class Old(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - unsubscribe.max_age() - 60

    expired = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=unsubscribe.SALT, signer=Old
    ).dumps({"u": person.id, "k": "*"})
    for bad, code in (
        (forged, "unsubscribe_bad_link"),
        (other_salt, "unsubscribe_bad_link"),
        (expired, "unsubscribe_expired"),
        ("", "unsubscribe_bad_link"),
    ):
        with pytest.raises(DomainError) as refused:
            unsubscribe.read_token(bad)
        assert refused.value.code == code and "Nothing was changed" in refused.value.message
    assert preferences.settings_of(person).email is True


def test_turning_off_by_scope(db, make):
    from participate.notifications import preferences

    person = make.user()
    preferences.turn_off(person, "proposal_comment")
    assert preferences.settings_of(person).delivery("proposal_comment") == "off"
    assert preferences.settings_of(person).delivery("vote_open") == "digest"
    preferences.turn_off(person, "digest")
    settings = preferences.settings_of(person)
    assert settings.delivery("vote_open") == "off"
    assert settings.delivery("membership_decided") == "immediate"
    preferences.turn_off(person, "*")
    assert preferences.settings_of(person).email is False


# ------------------------------------------------------------------ the demo


def test_the_demo_people_have_chosen_settings(db, make):
    """participate seed gives the demo people these settings (seed_settings is called with
    its people; the full seed is exercised by tests/web/test_demo_seed.py)."""
    from participate.notifications import preferences
    from participate.notifications.demo import DEMO_SETTINGS, seed_settings

    people = {key: make.user(f"{key}@example.org") for key in [*DEMO_SETTINGS, "leader"]}
    assert seed_settings(people) == len(DEMO_SETTINGS)
    db.session.commit()
    citizen = preferences.settings_of(people["citizen"])
    assert citizen.delivery("proposal_comment") == "immediate"
    assert citizen.delivery("round_phase") == "off"
    assert preferences.settings_of(people["elected"]).email is False
    assert preferences.settings_of(people["clerk"]).delivery("membership_request") == "immediate"
    leader = preferences.settings_of(people["leader"])
    assert leader.email and all(c.is_default for c in leader.choices)


def test_two_runs_at_once_send_each_digest_and_reminder_once(app, db, make, hm, outbox):
    """Two workers (threads with their own sessions and connections) run the digest and the
    reminders at the same moment: each person gets one digest and one reminder."""
    import threading

    from participate.jobs.digests import send_due_digests
    from participate.jobs.reminders import send_due_reminders
    from participate.notifications.models import DigestSent, ReminderSent
    from participate.notifications.services import notify
    from participate.votes import services as votes

    people = [*hm["members"], *make.members(hm["council"], {"citizen": 5})]
    notify([p.id for p in people], "proposal_comment", "Ann commented on “Longer GP hours”.")
    motion = votes.create_motion(hm["clerk"], hm["council"], title="Saturdays", method="binary")
    votes.open_voting(hm["clerk"], motion, _at(5))
    db.session.commit()
    now = _at(1)
    before = set(outbox.glob("*.eml"))
    counts: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker():
        try:
            with app.app_context():
                start.wait()
                counts.append((send_due_digests(now), send_due_reminders(now)))
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    voters = len(people) + 1  # and the clerk, in the snapshot
    assert sum(d for d, _r in counts) == len(people)
    assert sum(r for _d, r in counts) == voters
    mails = _mails(outbox, before)
    digests = [m for m in mails if "daily digest" in str(m["Subject"])]
    assert len(digests) == len(people) == len({str(m["To"]) for m in digests})
    assert len(mails) - len(digests) == voters
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DigestSent)) == len(people)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == voters
