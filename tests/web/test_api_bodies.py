"""Every JSON endpoint that writes answers a body that is not a JSON object with a 4xx
(``bad_json`` where it reads a body), never a 500; tried on the demo data set, by the demo's
admin, clerk and citizen, against real rows."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import api_token

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
BODIES = ('"a string"', "42", "[1, 2]", "null", "{not json")


def _ids(db) -> dict[str, str]:
    """A real row for each kind of URL argument."""
    from participate.petitions.models import Petition
    from participate.proposals.models import Amendment, Proposal
    from participate.rounds.models import AgendaItem, Round
    from participate.upward.models import Cluster, Consultation, Forward
    from participate.votes.models import Motion

    def first(model, *where):
        return str(db.session.scalar(sa.select(model.id).where(*where).order_by(model.id)))

    return {
        "slug": "health-manchester",
        "proposal_id": first(Proposal),
        "amendment_id": first(Amendment),
        "motion_id": first(Motion, Motion.status == "open"),
        "petition_id": first(Petition, Petition.status == "open"),
        "round_id": first(Round),
        "item_id": first(AgendaItem),
        "cluster_id": first(Cluster),
        "forward_id": first(Forward),
        "consultation_id": first(Consultation),
    }


def test_no_api_write_fails_on_a_body_that_is_not_an_object(demo):
    from participate.accounts.models import User

    app, client, db = demo.app, demo.client, demo.db
    ids = _ids(db)
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and (rule.methods or set()) & WRITES:
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<int:{name}>", ids[name]).replace(f"<{name}>", ids[name])
            routes += [(method, path) for method in sorted((rule.methods or set()) & WRITES)]
    assert len(routes) > 20
    failures = []
    for email in ("admin@example.org", "clerk@example.org", "citizen@example.org"):
        person = db.session.scalar(sa.select(User).where(User.email == email))
        headers = {**api_token(person), "Content-Type": "application/json"}
        for method, path in routes:
            for body in BODIES:
                response = client.open(path, method=method, data=body, headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{email} {method} {path} {body}: {response.status_code}")
    assert not failures, "\n".join(failures)
