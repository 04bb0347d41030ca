"""The demo (participate seed): the citizen, the Manchester clerk and the minister each get
a sensible agenda of what needs them."""

from __future__ import annotations

import sqlalchemy as sa


def test_the_demo_people_have_something_to_do(demo):
    from participate.accounts.models import User
    from participate.home.services import agenda_for

    app, db = demo.app, demo.db

    def keys(email):
        user = db.session.scalar(sa.select(User).where(User.email == email))
        return {s.key: s.count for s in agenda_for(user).sections}

    with app.test_request_context("/"):
        citizen, clerk, minister = (
            keys(e) for e in ("citizen@example.org", "clerk@example.org", "minister@example.org")
        )
    assert citizen["votes"] >= 1 and citizen["rounds"] >= 1 and citizen["petitions"] >= 1
    assert clerk["requests"] >= 1 and clerk["petition_checks"] >= 1
    assert clerk["petition_answers"] >= 1 and clerk["moderation"] >= 1
    assert minister["inbox"] >= 1
