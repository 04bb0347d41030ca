"""Trust by construction (issue 13): every route of the URL map × every role gets the status
the table in authorisation_table.py declares, and never a 5xx.

- The table covers the URL map exactly: a new route without an entry fails here.
- GET: each role gets the declared class of answer (2xx, sign-in, 403, 404 ...).
- State changes: every role outside the allowed ones is refused (a visitor is sent to sign
  in, the API answers 401) and nothing is written; the allowed roles are not exercised.
- Pages refuse a state change without a CSRF token (400, nothing written), on an app with
  CSRF on; the API refuses no token, a revoked token and a session cookie (401).

The world is built once for the module (authorisation_world.py) and every refused request
leaves it as it was, so the tests share it; the module wipes it at the end.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, Factory, _clean
from tests.web.authorisation_table import GET, HIDDEN, PETITION_FOR, WRITE
from tests.web.authorisation_world import ROLES, build

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SLUGS = {
    "local": "health-manchester",
    "national": "health-england",
    "place": "manchester",
    "service": "health",
}
# Tables a refused request may still touch: the sign-in sessions (last seen).
UNCOUNTED = {"user_sessions", "sessions"}


# ---------------------------------------------------------------- the world and its clients


@pytest.fixture(scope="module")
def world(app, tmp_path_factory):
    from participate.extensions import db
    from participate.opendata.bulk import build_bulk_zip

    # An instance folder of the module's own, holding the world's open-data zip, so whether an
    # earlier test built one never changes what the matrix sees.
    instance = app.config["INSTANCE_PATH"]
    app.config["INSTANCE_PATH"] = str(tmp_path_factory.mktemp("matrix-instance"))
    with app.app_context():
        _clean(db)  # whatever an earlier module left: the world's slugs must be free
        built = build(Factory(db))
        db.session.remove()
        build_bulk_zip()
    yield built
    app.config["INSTANCE_PATH"] = instance
    with app.app_context():
        _clean(db)


@pytest.fixture(scope="module")
def clients(app, world):
    """One test client per role, signed in (the visitor's is not)."""
    out = {}
    for role in ROLES:
        client = app.test_client()
        if role in world.emails:
            response = client.post(
                "/login", data={"email": world.emails[role], "password": PASSWORD}
            )
            assert response.status_code == 302, role
        out[role] = client
    return out


def _rules(app, methods):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and rule.methods & methods
    ]


def _fill(text: str, ids: dict) -> str:
    return text.replace("PROPOSAL", str(ids["proposal_id"])).replace("ITEM", str(ids["item_id"]))


def _url(app, rule, entry, ids) -> str:
    from flask import url_for

    values = {}
    for name in rule.arguments:
        if name == "slug":
            values[name] = SLUGS[entry.slug]
        elif name == "token" and rule.endpoint == "accounts.confirm":
            values[name] = "not-a-token"
        elif name == "token" and rule.endpoint == "accounts.reset_password":
            values[name] = "not-a-token"
        elif name == "token":
            values[name] = ids["sponsor_token"]
        elif name == "token_id":
            values[name] = ids["member_token_id"]
        elif name == "code":
            values[name] = "NOSUCHCODE"
        elif name == "petition_id" and rule.endpoint in PETITION_FOR:
            values[name] = ids[PETITION_FOR[rule.endpoint]]
        else:
            values[name] = ids[name]
    with app.test_request_context():
        return url_for(rule.endpoint, **values) + _fill(entry.query, ids)


def _body(entry, ids):
    body = entry.body(ids) if callable(entry.body) else dict(entry.body or {})
    return {k: _fill(v, ids) if isinstance(v, str) else v for k, v in body.items()}


def outcome(response, api: bool) -> str:
    status = response.status_code
    if status >= 500:
        return f"{status}!"
    if 200 <= status < 300:
        return "ok"
    if status in (301, 302, 303, 307, 308):
        return "login" if "/login" in response.headers.get("Location", "") else "redirect"
    if status == 401 and api:
        return "login"
    return str(status)


def row_counts(app) -> dict[str, int]:
    from participate.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            return {
                table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                for table in db.metadata.sorted_tables
                if table.name not in UNCOUNTED
            }


def _changed(before: dict, after: dict) -> dict:
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}


# ---------------------------------------------------------------- the table covers the map


def test_every_route_has_an_entry(app):
    """A new route without an entry in the table fails here: declare who may use it."""
    reads = {rule.endpoint for rule in _rules(app, {"GET"})}
    writes = {rule.endpoint for rule in _rules(app, WRITE_METHODS)}
    assert set(GET) ^ reads == set(), "GET entries differ from the URL map's GET routes"
    assert set(WRITE) ^ writes == set(), "WRITE entries differ from the URL map's write routes"


# ---------------------------------------------------------------- GET


@pytest.mark.parametrize("endpoint", sorted(GET))
def test_get(app, world, clients, endpoint):
    (rule,) = [r for r in _rules(app, {"GET"}) if r.endpoint == endpoint]
    entry = GET[endpoint]
    url = _url(app, rule, entry, world.ids)
    api = url.startswith("/api/")
    got, want = {}, {}
    for role in ROLES:
        headers = {"HX-Request": "true"} if entry.htmx else {}
        if api:  # the API knows people by their token, never by a session cookie
            client = app.test_client()
            if role in world.tokens:
                headers["Authorization"] = f"Bearer {world.tokens[role]}"
        else:
            client = clients[role]
        got[role] = outcome(client.get(url, headers=headers), api)
        want[role] = entry.expected(role)
    assert got == want, f"GET {url}: {entry.why}\n got {got}\nwant {want}"


@pytest.mark.parametrize("template", sorted(HIDDEN))
def test_hidden_things(app, world, clients, template):
    """Drafts and petitions in moderation, by id: a 404 for those who may not see them."""
    entry = HIDDEN[template]
    url = template.format(**world.ids)
    api = url.startswith("/api/")
    got, want = {}, {}
    for role in ROLES:
        headers = {}
        if api:
            client = app.test_client()
            if role in world.tokens:
                headers["Authorization"] = f"Bearer {world.tokens[role]}"
        else:
            client = clients[role]
        got[role] = outcome(client.get(url, headers=headers), api)
        want[role] = entry.expected(role)
    assert got == want, f"GET {url}: {entry.why}\n got {got}\nwant {want}"


# ---------------------------------------------------------------- state changes, wrong roles


def _send(client, method, url, api, body, headers=None):
    if api:
        return client.open(url, method=method, json=body, headers=headers or {})
    return client.open(url, method=method, data=body, headers=headers or {})


@pytest.mark.parametrize("endpoint", sorted(WRITE))
def test_write_refuses_the_wrong_roles(app, world, clients, endpoint):
    (rule,) = [r for r in _rules(app, WRITE_METHODS) if r.endpoint == endpoint]
    entry = WRITE[endpoint]
    url = _url(app, rule, entry, world.ids)
    api = url.startswith("/api/")
    (method,) = rule.methods & WRITE_METHODS
    before = row_counts(app)
    got, want = {}, {}
    for role in ROLES:
        if role in entry.allowed and role not in entry.special:
            continue
        if api:
            client = app.test_client()
            headers = {}
            if role in world.tokens:
                headers["Authorization"] = f"Bearer {world.tokens[role]}"
        else:
            client, headers = clients[role], {}
        got[role] = outcome(_send(client, method, url, api, _body(entry, world.ids), headers), api)
        want[role] = entry.expected(role)
    assert got == want, f"{method} {url}: {entry.why}\n got {got}\nwant {want}"
    assert _changed(before, row_counts(app)) == {}, f"a refused {method} {url} wrote"


# ---------------------------------------------------------------- the API's tokens


API_WRITES = sorted(e for e in WRITE if e.startswith("api."))


@pytest.fixture(scope="module")
def revoked_token(app, world):
    from participate.accounts.models import User
    from participate.accounts.services import create_token, revoke_token, tokens_of
    from participate.extensions import db

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.emails["clerk"]))
        token = create_token(user, name="to revoke")
        revoke_token(user, [t for t in tokens_of(user) if t.name == "to revoke"][0].id)
        db.session.remove()
    return token


@pytest.mark.parametrize("endpoint", API_WRITES)
def test_api_writes_need_a_live_token(app, world, clients, revoked_token, endpoint):
    """No token, a revoked token (the clerk's, who could otherwise do everything there) and a
    signed-in session cookie without a token are all 401: the API, exempt from CSRF, never
    acts on a cookie."""
    (rule,) = [r for r in _rules(app, WRITE_METHODS) if r.endpoint == endpoint]
    entry = WRITE[endpoint]
    url = _url(app, rule, entry, world.ids)
    (method,) = rule.methods & WRITE_METHODS
    body = _body(entry, world.ids)
    before = row_counts(app)
    statuses = [
        _send(app.test_client(), method, url, True, body).status_code,
        _send(
            app.test_client(),
            method,
            url,
            True,
            body,
            {"Authorization": f"Bearer {revoked_token}"},
        ).status_code,
        _send(clients["clerk"], method, url, True, body).status_code,
        _send(clients["minister"], method, url, True, body).status_code,
    ]
    assert statuses == [401] * 4, f"{method} {url}"
    assert _changed(before, row_counts(app)) == {}


# ---------------------------------------------------------------- CSRF on the pages


PAGE_WRITES = sorted(e for e in WRITE if not e.startswith("api."))


@pytest.fixture(scope="module")
def strict(app, world):
    """A second app on the same database with CSRF on, and a signed-in client per role."""
    from participate import create_app

    config = dict(app.config)
    config.update(WTF_CSRF_ENABLED=True)
    strict_app = create_app(config)
    out = {}
    for role in ROLES:
        client = strict_app.test_client()
        if role in world.emails:
            html = client.get("/login").get_data(as_text=True)
            field = r'name="csrf_token"(?: type="hidden")? value="([^"]+)"'
            token = re.search(field, html).group(1)
            response = client.post(
                "/login",
                data={"email": world.emails[role], "password": PASSWORD, "csrf_token": token},
            )
            assert response.status_code == 302, role
        out[role] = client
    return strict_app, out


@pytest.mark.parametrize("endpoint", PAGE_WRITES)
def test_pages_refuse_a_write_without_a_csrf_token(app, world, strict, endpoint):
    """Sent by a role the table allows (so only the token is missing); 400, nothing written."""
    strict_app, strict_clients = strict
    (rule,) = [r for r in _rules(strict_app, WRITE_METHODS) if r.endpoint == endpoint]
    entry = WRITE[endpoint]
    url = _url(strict_app, rule, entry, world.ids)
    (method,) = rule.methods & WRITE_METHODS
    role = next((r for r in ROLES if r in entry.allowed and r != "visitor"), "clerk")
    before = row_counts(app)
    for headers in ({}, {"HX-Request": "true"}):
        response = _send(strict_clients[role], method, url, False, _body(entry, world.ids), headers)
        assert response.status_code == 400, f"{method} {url} as {role}"
    assert _changed(before, row_counts(app)) == {}


# ---------------------------------------------------------------- the minister is not a clerk


@pytest.mark.parametrize(
    "path",
    ["/rounds/new", "/moderation", "/votes/new", "/constitution/revise", "/petitions/moderation"],
)
def test_the_minister_does_not_run_the_national_council(world, clients, path):
    """DESIGN §1: the minister answers the inbox, launches consultations and adopts
    requirements; the national council's clerks run it (members, motions, the constitution,
    moderation, rounds). Membership.is_clerk counts the minister for the inbox only."""
    response = clients["minister"].get(f"/councils/health-england{path}")
    assert response.status_code == 403


def test_a_council_page_changes_no_membership_of_another(app, world, clients):
    """Salford's clerk may suspend a Salford member, but not through Manchester's page: the
    service refuses before writing (it used to write, then answer 404)."""
    from participate.councils.models import Membership
    from participate.extensions import db

    before = row_counts(app)
    response = clients["other_clerk"].post(
        "/councils/health-manchester/members/decide",
        data={
            "membership_id": world.ids["salford_membership_id"],
            "action": "suspend",
            "reason": "Through the wrong council's page.",
        },
    )
    assert outcome(response, api=False) == "redirect"
    assert _changed(before, row_counts(app)) == {}
    with app.app_context():
        assert db.session.get(Membership, world.ids["salford_membership_id"]).status == "active"
        db.session.remove()
