"""A consultation's close is announced on time by the scheduled job, once: its publishers
are told (in the app, and by e-mail for those who keep it on) without anyone reading it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories.upward import build_world


@pytest.fixture
def world(make):
    return build_world(make)


def test_the_close_is_announced_once_when_it_passes(db, world, outbox):
    from participate.audit.models import AuditEvent
    from participate.jobs.models import JobEffect
    from participate.jobs.runner import run_job
    from participate.mail import OutgoingMail
    from participate.notifications.models import Notification
    from participate.upward import consultations
    from participate.util import utcnow

    closes = utcnow().replace(microsecond=0) + timedelta(days=30)
    consultation = consultations.publish_consultation(
        world.minister,
        world["health-england"],
        title="Same-day access standard for urgent GP appointments",
        body="Every practice offers a same-day assessment to any patient with an urgent need.",
        closes_at=closes,
    )

    def told():
        return db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == "upward_consultation_closed")
        ).all()

    assert run_job("consultation_closes", closes - timedelta(minutes=1)).result == 0
    assert told() == []
    assert run_job("consultation_closes", closes + timedelta(seconds=30)).result == 1
    assert world.minister.id in told()
    first = sorted(told())
    assert run_job("consultation_closes", closes + timedelta(minutes=1)).result == 0
    assert run_job("consultation_closes", closes + timedelta(days=2)).result == 0
    assert sorted(told()) == first  # once
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "upward.consultation_closed")
        )
        == 1
    )
    assert db.session.scalar(sa.select(JobEffect.subject_id)) == consultation.id
    sent = db.session.scalars(sa.select(OutgoingMail.status)).all()
    assert sent and set(sent) == {"sent"}  # the e-mails went after the commit
