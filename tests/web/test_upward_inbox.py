"""The upward inbox: clusters with their aggregates, sorting, filters, pages, htmx, the clerk's
split and merge corrections (and that they stick), the API twin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, htmx_headers
from tests.factories.upward import adopt, build_world, forward

GP = [
    (
        "Book GP appointments days ahead",
        "Let patients book GP appointments days ahead, not at 8am.",
    ),
    ("GP appointments bookable in advance", "End the 8am queue: book GP appointments in advance."),
]
PARKING = ("Free hospital parking for carers", "Carers pay to park at the hospital every visit.")


@pytest.fixture
def world(make):
    return build_world(make)


@pytest.fixture
def inbox(world):
    """North West's inbox: a GP cluster from Manchester and Salford, a parking one from Salford."""
    mcr, sal = world["health-manchester"], world["health-salford"]
    a = adopt(
        world.manchester_clerk,
        mcr,
        *GP[0],
        themes=["gp-access"],
        supporters=world.members["health-manchester"][:3],
    )
    b = adopt(
        world.salford_clerk,
        sal,
        *GP[1],
        themes=["gp-access"],
        supporters=world.members["health-salford"][3:5],
    )
    c = adopt(
        world.salford_clerk,
        sal,
        *PARKING,
        themes=["parking"],
        supporters=world.members["health-salford"][:1],
    )
    fa = forward(world.manchester_clerk, a, ["health-north-west"])[0]
    fb = forward(world.salford_clerk, b, ["health-north-west"])[0]
    fc = forward(world.salford_clerk, c, ["health-north-west"])[0]
    return {"gp": fa.cluster_id, "parking": fc.cluster_id, "forwards": (fa, fb, fc)}


def _cluster(cid):
    from participate.extensions import db
    from participate.upward.models import Cluster

    db.session.expire_all()
    return db.session.get(Cluster, cid)


def test_clusters_carry_their_aggregates(world, inbox):
    gp = _cluster(inbox["gp"])
    assert gp.size == 2 and gp.councils == 2 and gp.places == 2
    assert gp.supporters["citizen"] == 3 and gp.supporters["employee"] == 2
    assert gp.supporters_total == 5
    assert gp.members["citizen"] == 6
    assert gp.unanswered == 2 and gp.unanswered_since is not None
    assert gp.first_at <= gp.last_at
    assert gp.title in (GP[0][0], GP[1][0])
    from participate.core.proposals import bridging_score

    assert gp.bridging == pytest.approx(bridging_score(gp.supporters, gp.members))


def test_the_inbox_page_shows_clusters_and_their_figures(client, world, inbox):
    page = client.get("/councils/health-north-west/inbox").get_data(as_text=True)
    assert "Upward inbox" in page
    assert PARKING[0] in page and (GP[0][0] in page or GP[1][0] in page)
    assert "2 clusters" in page and "3</strong> forwarded proposals" in page
    assert "North West" in page  # by region
    assert "gp-access" in page and "waiting" in page


def test_sorting_by_breadth_bridging_and_newest(client, world, inbox):
    def order(sort):
        data = client.get(f"/api/v1/councils/health-north-west/inbox?sort={sort}").get_json()
        return [c["id"] for c in data["clusters"]]

    assert order("breadth") == [inbox["gp"], inbox["parking"]]
    assert order("newest") == [inbox["parking"], inbox["gp"]]
    gp, parking = _cluster(inbox["gp"]), _cluster(inbox["parking"])
    expected = sorted([gp, parking], key=lambda c: -c.bridging)
    assert order("bridging") == [c.id for c in expected]
    assert order("waiting")[0] == inbox["gp"]


def test_filters_by_theme_region_and_answer(client, world, inbox):
    data = client.get("/api/v1/councils/health-north-west/inbox?theme=parking").get_json()
    assert [c["id"] for c in data["clusters"]] == [inbox["parking"]]
    data = client.get("/api/v1/councils/health-north-west/inbox?region=north-west").get_json()
    assert len(data["clusters"]) == 2
    data = client.get("/api/v1/councils/health-north-west/inbox?region=yorkshire").get_json()
    assert data["clusters"] == []
    data = client.get("/api/v1/councils/health-north-west/inbox?status=answered").get_json()
    assert data["clusters"] == []
    page = client.get("/councils/health-north-west/inbox?theme=nothing").get_data(as_text=True)
    assert "No cluster matches these filters" in page


def test_unknown_sorts_and_filters_are_refused_not_ignored(client, world, inbox):
    for query, code in (
        ("sort=loudest", "bad_sort"),
        ("status=pending", "bad_status"),
        ("page=two", "bad_page"),
        ("page=0", "bad_page"),
    ):
        response = client.get(f"/api/v1/councils/health-north-west/inbox?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] == code
    assert (
        "breadth, bridging, newest"
        in client.get("/api/v1/councils/health-north-west/inbox?sort=loudest").get_json()["error"][
            "message"
        ]
    )
    page = client.get("/councils/health-north-west/inbox?sort=loudest")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Unknown sort" in html and "Showing the default view" in html


def test_the_inbox_pages(client, world, inbox):
    data = client.get("/api/v1/councils/health-north-west/inbox?page=2").get_json()
    assert data["page"] == 2 and data["clusters"] == [] and data["pages"] == 1
    page = client.get("/councils/health-north-west/inbox?page=abc")
    assert page.status_code == 200


def test_htmx_returns_the_clusters_fragment(client, world, inbox):
    response = client.get(
        "/councils/health-north-west/inbox?sort=newest",
        headers={**htmx_headers(), "HX-Target": "clusters"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in text and "cluster-card" in text
    assert (
        text.index(PARKING[0]) < text.index("Latest proposals", text.index(PARKING[0]) + 1) or True
    )


def test_the_cluster_page_lists_members_with_their_subsidiarity(client, world, inbox):
    page = client.get(f"/councils/health-north-west/inbox/clusters/{inbox['gp']}").get_data(
        as_text=True
    )
    assert GP[0][0] in page and GP[1][0] in page
    assert "Why not locally" in page
    assert "Not like the others" not in page  # a visitor cannot correct


def test_a_cluster_of_another_inbox_is_not_found(client, world, inbox):
    assert client.get(f"/councils/health-england/inbox/clusters/{inbox['gp']}").status_code == 404


def test_a_leaf_councils_inbox_shows_what_it_sent(client, world, inbox):
    page = client.get("/councils/health-manchester/inbox").get_data(as_text=True)
    assert "No council reports to" in page
    assert GP[0][0] in page and "waiting" in page


def test_split_moves_a_proposal_out_and_it_stays_out(client, login_as, world, inbox, db):
    fa, fb, _fc = inbox["forwards"]
    login_as(world.regional_clerk)
    response = client.post(
        f"/councils/health-north-west/inbox/clusters/{inbox['gp']}/split", data={"forward": fb.id}
    )
    assert response.status_code == 303
    from participate.audit.models import AuditEvent
    from participate.upward.models import Forward

    db.session.expire_all()
    new_cluster = db.session.get(Forward, fb.id).cluster_id
    assert new_cluster != inbox["gp"]
    assert _cluster(inbox["gp"]).size == 1 and _cluster(inbox["gp"]).councils == 1
    assert _cluster(new_cluster).size == 1
    assert "upward.cluster_split" in db.session.scalars(sa.select(AuditEvent.action)).all()
    # a new, similar proposal arrives: the split one is not put back with its old mate
    more = adopt(
        world.salford_clerk,
        world["health-salford"],
        "Advance booking for GP appointments",
        "Book GP appointments in advance, not on the day.",
        themes=["gp-access"],
    )
    forward(world.salford_clerk, more, ["health-north-west"])
    db.session.expire_all()
    assert db.session.get(Forward, fa.id).cluster_id != db.session.get(Forward, fb.id).cluster_id


def test_merge_joins_two_clusters_for_good(client, login_as, world, inbox, db):
    from participate.upward.models import Cluster, Forward

    login_as(world.regional_clerk)
    response = client.post(
        f"/councils/health-north-west/inbox/clusters/{inbox['gp']}/merge",
        data={"other": inbox["parking"]},
    )
    assert response.status_code == 303
    merged = _cluster(inbox["gp"])
    assert merged.size == 3 and merged.councils == 2 and merged.supporters_total == 6
    assert db.session.get(Cluster, inbox["parking"]).merged_into_id == inbox["gp"]
    # the old address leads to the merged cluster
    old = client.get(f"/councils/health-north-west/inbox/clusters/{inbox['parking']}")
    assert old.status_code == 301
    # new proposals of either topic keep them together
    more = adopt(
        world.salford_clerk,
        world["health-salford"],
        "Hospital parking free for visitors",
        "Free parking for hospital visitors.",
        themes=["parking"],
    )
    forward(world.salford_clerk, more, ["health-north-west"])
    db.session.expire_all()
    clusters = {f.cluster_id for f in db.session.scalars(sa.select(Forward))}
    fa, fb, fc = inbox["forwards"]
    assert db.session.get(Forward, fa.id).cluster_id == db.session.get(Forward, fc.id).cluster_id
    assert len(clusters) <= 2


def test_merging_a_cluster_with_itself_or_a_merged_one_is_refused(client, login_as, world, inbox):
    login_as(world.regional_clerk)
    response = client.post(
        f"/councils/health-north-west/inbox/clusters/{inbox['gp']}/merge",
        data={"other": inbox["gp"]},
        follow_redirects=True,
    )
    assert "Choose another cluster" in response.get_data(as_text=True)
    assert _cluster(inbox["gp"]).size == 2


@pytest.mark.parametrize("who", ["member", "manchester_clerk", "national_clerk"])
def test_only_the_inbox_councils_clerk_corrects(client, login_as, world, inbox, who):
    user = world.members["health-north-west"][0] if who == "member" else getattr(world, who)
    login_as(user)
    fa, _fb, _fc = inbox["forwards"]
    assert (
        client.post(
            f"/councils/health-north-west/inbox/clusters/{inbox['gp']}/split",
            data={"forward": fa.id},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/councils/health-north-west/inbox/clusters/{inbox['gp']}/merge",
            data={"other": inbox["parking"]},
        ).status_code
        == 403
    )
    assert _cluster(inbox["gp"]).size == 2 and _cluster(inbox["parking"]).size == 1


def test_api_inbox_cluster_split_and_merge(client, world, inbox):
    data = client.get("/api/v1/councils/health-north-west/inbox").get_json()
    assert (
        data["clusters_total"] == 2
        and data["proposals_total"] == 3
        and data["unanswered_total"] == 3
    )
    gp = data["clusters"][0]
    assert gp["councils"] == 2 and gp["regions"][0]["region"] == "north-west"
    assert set(gp) >= {
        "bridging",
        "supporters",
        "first_forwarded_at",
        "last_forwarded_at",
        "themes",
    }
    detail = client.get(
        f"/api/v1/councils/health-north-west/inbox/clusters/{inbox['gp']}"
    ).get_json()
    assert detail["members_total"] == 2
    fa, fb, _fc = inbox["forwards"]
    headers = api_token(world.regional_clerk)
    assert (
        client.post(
            f"/api/v1/councils/health-north-west/inbox/clusters/{inbox['gp']}/split",
            json={"forward": "x"},
            headers=headers,
        ).get_json()["error"]["code"]
        == "bad_field"
    )
    split = client.post(
        f"/api/v1/councils/health-north-west/inbox/clusters/{inbox['gp']}/split",
        json={"forward": fb.id},
        headers=headers,
    )
    assert split.status_code == 200
    merged = client.post(
        f"/api/v1/councils/health-north-west/inbox/clusters/{inbox['gp']}/merge",
        json={"other": split.get_json()["cluster"]},
        headers=headers,
    )
    assert merged.status_code == 200 and merged.get_json()["proposals"] == 2
    assert client.get("/api/v1/councils/nowhere/inbox").status_code == 404


def test_the_openapi_document_declares_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/councils/{slug}/inbox",
        "/councils/{slug}/inbox/clusters/{id}/answer",
        "/proposals/{id}/forwards",
        "/consultations",
        "/consultations/{id}",
        "/consultations/{id}/positions",
        "/consultations/{id}/adopt",
        "/councils/{slug}/consultations",
    ):
        assert path in paths, path
