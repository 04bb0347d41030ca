"""The round page's live fragments: htmx polling of small fragments served with ETags
(304 when unchanged), and the notice when the round moved on."""

from __future__ import annotations

import pytest

from tests.conftest import htmx_headers
from tests.factories import rounds as shared
from tests.factories.rounds import advance_to, start_round

hm = shared.hm  # the fixture

FRAGMENTS = ("status", "agenda-status", "participation")


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_fragment_is_small_and_without_the_page(client, db, hm, fragment):
    round_ = start_round(hm)
    response = client.get(f"/rounds/{round_.id}/{fragment}", headers=htmx_headers())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "<body" not in html
    assert len(html) < 8_000
    assert response.headers["ETag"]
    assert response.headers["Cache-Control"] == "no-cache"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_fragment_without_htmx_goes_to_the_round_page(client, db, hm, fragment):
    round_ = start_round(hm)
    response = client.get(f"/rounds/{round_.id}/{fragment}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/rounds/{round_.id}")


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_unchanged_fragment_answers_304(client, db, hm, fragment):
    round_ = start_round(hm)
    first = client.get(f"/rounds/{round_.id}/{fragment}", headers=htmx_headers())
    etag = first.headers["ETag"]
    again = client.get(
        f"/rounds/{round_.id}/{fragment}", headers={**htmx_headers(), "If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    stale = client.get(
        f"/rounds/{round_.id}/{fragment}",
        headers={**htmx_headers(), "If-None-Match": '"something-else"'},
    )
    assert stale.status_code == 200 and stale.get_data()


def test_etag_changes_when_someone_takes_part(client, db, hm):
    from participate.rounds.briefing import ask_question

    round_ = start_round(hm)
    url = f"/rounds/{round_.id}/participation"
    etag = client.get(url, headers=htmx_headers()).headers["ETag"]
    ask_question(hm["members"]["leader"][0], round_, body="Which wards are affected?")
    changed = client.get(url, headers={**htmx_headers(), "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    html = changed.get_data(as_text=True)
    assert "1 member has taken part" in html


def test_agenda_fragment_follows_phase_changes(client, db, hm):
    round_ = start_round(hm)
    url = f"/rounds/{round_.id}/agenda-status"
    etag = client.get(url, headers=htmx_headers()).headers["ETag"]
    advance_to(hm, round_, "voting")
    changed = client.get(url, headers={**htmx_headers(), "If-None-Match": etag})
    assert changed.status_code == 200
    assert "voting open" in changed.get_data(as_text=True)


def test_status_fragment_tells_a_reader_the_round_moved(client, db, hm):
    round_ = start_round(hm)
    url = f"/rounds/{round_.id}/status?seen=briefing"
    assert "has moved" not in client.get(url, headers=htmx_headers()).get_data(as_text=True)
    advance_to(hm, round_, "discussion")
    html = client.get(url, headers=htmx_headers()).get_data(as_text=True)
    assert "This round has moved to the discussion phase" in html
    assert 'aria-current="step"' in html


def test_page_polls_the_fragments_every_10_seconds_until_closed(client, db, hm):
    round_ = start_round(hm)
    html = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    for fragment in ("status?seen=briefing", "agenda-status", "participation"):
        assert f'hx-get="/rounds/{round_.id}/{fragment}"' in html
    assert html.count('hx-trigger="every 10s"') == 3


def test_fragments_apply_the_schedule(client, db, hm):
    """A poll is a read: a phase whose end passed moves on there too."""
    from datetime import timedelta

    import sqlalchemy as sa

    from participate.rounds.models import Round
    from participate.util import utcnow

    round_ = start_round(hm)
    db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id)
        .values(briefing_ends_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    html = client.get(f"/rounds/{round_.id}/status?seen=briefing", headers=htmx_headers()).get_data(
        as_text=True
    )
    assert "moved to the discussion phase" in html
