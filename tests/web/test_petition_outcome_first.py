"""A petition's page leads with its outcome (issue 15): once the council answered, its answer
comes first, before the petition's text; a petition the council did not adopt offers no
"Apply the change", and says that its motion did not pass."""

from __future__ import annotations

from tests.conftest import login
from tests.factories import petitions as shared
from tests.factories.petitions import _passed_motion, page, reached

world = shared.world  # the fixture (tests/factories/petitions.py)


def _answered(world, db, *, passed: bool):
    from participate.petitions import answering

    petition, _ = reached(world, kind="constitution_change", settings={"quorum": 0.2})
    deciding = _passed_motion(world, db, passed=passed)
    answering.publish_response(
        world.clerk,
        petition,
        decision="adopted" if passed else "rejected",
        response_text="The council voted on the petition in its governance motion.",
        motion_id=deciding.id,
    )
    return petition, deciding


def test_a_petition_not_adopted_leads_with_the_answer_and_offers_nothing_to_apply(
    client, world, db
):
    petition, deciding = _answered(world, db, passed=False)
    login(client, world.clerk)
    html = page(client, f"/petitions/{petition.id}")
    answer = html.index('id="response"')
    assert answer < html.index('id="change-h"')  # before "What should change"
    assert "Not adopted" in html[answer : html.index("</section>", answer)]
    assert "Apply the change" not in html and "apply_change" not in html
    assert f"motion {deciding.id}" in html and "did not pass" in html


def test_an_adopted_petition_leads_with_the_answer_then_the_change_to_apply(client, world, db):
    petition, deciding = _answered(world, db, passed=True)
    login(client, world.clerk)
    html = page(client, f"/petitions/{petition.id}")
    answer = html.index('id="response"')
    assert answer < html.index("Apply the change") < html.index('id="change-h"')
    assert f"Apply the change passed by motion {deciding.id}" in html
    assert html.count('id="response"') == 1


def test_a_visitor_reads_the_answer_first_too(client, world, db):
    petition, _ = _answered(world, db, passed=False)
    html = page(client, f"/petitions/{petition.id}")
    assert html.index('id="response"') < html.index('id="change-h"')
    assert "Apply the change" not in html
