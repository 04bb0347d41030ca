"""Plain words on a round's forms (issue 15): a refusal agrees with a plural field name ("The
reasons for the decision are too short"), and an evidence link's rule says what its hint says
(a secure https:// address)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participate.councils.access import text_field
from participate.errors import DomainError
from tests.factories import rounds as factory
from tests.factories.rounds import advance_to, start_round

hm = factory.hm  # the fixture (tests/factories/rounds.py)


@pytest.mark.parametrize(
    ("label", "verb"),
    [
        ("reasons for the decision", "are"),
        ("minutes", "are"),
        ("note on the minutes", "is"),
        ("link address", "is"),
        ("round's title", "is"),
        ("purpose", "is"),
    ],
)
def test_refusals_agree_with_the_field_name(label, verb):
    with pytest.raises(DomainError) as short:
        text_field("too short", field="f", label=label, limit=100, minimum=20)
    assert short.value.message.startswith(f"The {label} {verb} too short:")
    with pytest.raises(DomainError) as long:
        text_field("x" * 101, field="f", label=label, limit=100)
    assert long.value.message.startswith(f"The {label} {verb} 101 characters long")


def test_too_short_reasons_for_a_decision_read_as_english(client, db, login_as, hm):
    round_ = start_round(hm, items=[("proposal", hm["proposals"][0].id)])
    advance_to(hm, round_, "outcome")
    item = round_.items[0]
    login_as(hm["clerk"])
    response = client.post(
        f"/rounds/{round_.id}/items/{item.id}/outcome",
        data={"decision": "deferred", "reasons": "Too few.", "confirm": "yes"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The reasons for the decision are too short" in html
    assert "reasons for the decision is" not in html


def test_an_evidence_link_must_be_https_as_its_hint_says(client, db, login_as, hm):
    from participate.rounds.models import EvidenceLink

    round_ = start_round(hm)
    login_as(hm["clerk"])
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Starting with https://" in page
    url = f"/rounds/{round_.id}/links"
    refused = client.post(url, data={"title": "NHS report", "url": "http://example.org/report"})
    assert refused.status_code == 400
    assert "https://" in refused.get_data(as_text=True)
    assert "(or http://)" not in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvidenceLink)) == 0
    added = client.post(url, data={"title": "NHS report", "url": "https://example.org/report"})
    assert added.status_code in (302, 303)
    assert db.session.scalar(sa.select(EvidenceLink.url)) == "https://example.org/report"
