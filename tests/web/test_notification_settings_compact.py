"""The e-mail settings page is compact on a phone (issue 15): each category folds away
(details and summary, which say what is chosen), and each kind's choices sit on one line
with short labels explained once."""

from __future__ import annotations

import re


def test_categories_fold_and_say_what_is_chosen(client, make, login_as):
    from participate.notifications import kinds as K

    login_as(make.user())
    html = client.get("/me/notifications").get_data(as_text=True)
    assert html.count('<details class="settings-group"') == len(K.GROUPS)
    summaries = re.findall(
        r'<details class="settings-group"[^>]*>\s*<summary>(.*?)</summary>', html, re.S
    )
    assert len(summaries) == len(K.GROUPS)
    assert "About you" in summaries[0] and "at once" in summaries[0]
    assert any("daily digest" in s for s in summaries)


def test_choices_are_short_and_explained_once(client, make, login_as):
    login_as(make.user())
    html = client.get("/me/notifications").get_data(as_text=True)
    assert html.count("E-mail me at once") <= 1 and html.count("No e-mail (only here)") <= 1
    assert ">At once</label>" in html and ">No e-mail</label>" in html
    assert ">Daily digest</label>" in html
    assert "When someone comments on a proposal you follow" in html
    # the same fields as before: one radio group per kind
    assert re.search(r'<input checked[^>]*name="kind_proposal_comment"[^>]*value="digest"', html)


def test_a_category_with_an_error_opens(client, make, login_as):
    login_as(make.user())
    response = client.post("/me/notifications", data={"email": "y", "kind_reminder_vote": "digest"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    opened = re.findall(
        r'<details class="settings-group" open>\s*<summary>(.*?)</summary>', html, re.S
    )
    assert len(opened) == 1 and "Reminders" in opened[0]
