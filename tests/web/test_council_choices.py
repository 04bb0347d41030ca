"""Choosing a council among many (issue 15): no dropdown lists every council in one run;
they come grouped by service (place forums apart), each group by level and place."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login

SELECT = re.compile(r"<select[^>]*>(.*?)</select>", re.S)
GROUP = re.compile(r"<optgroup[^>]*>(.*?)</optgroup>", re.S)


def _longest_run(html: str) -> int:
    """The most options a select shows outside a group, over every select of the page."""
    runs = [0]
    for body in SELECT.findall(html):
        runs.append(GROUP.sub("", body).count("<option"))
    return max(runs)


@pytest.fixture
def world(make):
    councils = make.structure()
    user = make.user()
    make.member(user, councils["health-manchester"], "citizen")
    return {"councils": councils, "user": user, "admin": make.user(admin=True)}


def test_starting_a_petition_offers_the_councils_grouped_by_service(client, world):
    login(client, world["user"])
    html = client.get("/petitions/new").get_data(as_text=True)
    select = re.search(r'<select id="council"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert '<optgroup label="Health and care">' in select
    assert '<optgroup label="Place forums">' in select
    health = GROUP.search(select[select.index('label="Health and care"') - 10 :]).group(1)
    assert health.index("England") < health.index("North West") < health.index("Manchester")
    assert _longest_run(html) <= 6  # "Choose a council" and the short list of kinds


def test_the_petitions_filter_groups_the_councils(client, world):
    html = client.get("/petitions").get_data(as_text=True)
    select = re.search(r'<select id="f-council"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert '<optgroup label="Health and care">' in select
    assert 'value="health-manchester"' in select
    assert _longest_run(html) <= 6  # "All councils" and the short kind, status, sort lists
    filtered = client.get("/petitions?council=health-manchester").get_data(as_text=True)
    assert 'value="health-manchester" selected' in filtered


def test_the_admin_page_groups_councils_and_places(client, world):
    login(client, world["admin"])
    html = client.get("/admin/").get_data(as_text=True)
    assert '<optgroup label="Health and care">' in html
    assert _longest_run(html) <= 12  # the short lists: services, levels, roles
