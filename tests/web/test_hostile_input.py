"""Hostile input into the main forms and API fields (issue 13, "trust by construction").

Random and known-nasty strings (script tags, SQL fragments, huge strings, unicode, control
characters, NUL) go into proposal, comment, petition and sign-up forms, the search and list
filters, and the API's proposal and comment bodies, as a person allowed to post them. Whatever
is sent: never a 5xx; a refused request leaves every row count as it was (no partial write); an
accepted one adds the row it asked for, and the page that shows the stored text escapes it (no
payload tag ever appears as markup).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from participate.accounts.models import User
from participate.petitions.models import Petition
from participate.proposals import services as proposals
from participate.proposals.models import Comment, Proposal, ProposalVersion
from tests.conftest import api_token, login

# Markup that must never come back as markup: each is checked for in every page showing it.
PAYLOADS = [
    "<script>alert('xss-1')</script>",
    '"><script>alert("xss-2")</script>',
    "<img src=x onerror=alert('xss-3')>",
    "<svg onload=alert('xss-4')>",
    "<iframe src=javascript:alert('xss-5')>",
    "[click](javascript:alert('xss-6'))",
]
MARKUP = ["<script>alert(", "<img src=x", "<svg onload", "<iframe", 'href="javascript:']
NASTY = [
    *PAYLOADS,
    "'; DROP TABLE proposals; --",
    "1' OR '1'='1",
    "%' AND 1=1 --",
    "\x00",
    "a\x00b",
    "\x1b[31mred",
    "\u202egnp.exe",
    "\ufeff\u200b\u200d",
    "🎉 Zoë ʕ•ᴥ•ʔ 𝕏 ﷽",
    "\r\n\t",
    "{{ 7*7 }} {% raw %}",
    "%00 %s %n ${jndi:ldap://x}",
    "x" * 25_000,
    "9" * 40,
    "-1",
    "",
    " ",
]
# Arbitrary unicode (hypothesis leaves out surrogates, which a form cannot carry), control
# characters included, mixed with the known-nasty list.
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=60),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=20), st.sampled_from(NASTY), st.text()),
)
# Text a form would store: printable (no control characters), a payload or an SQL fragment in
# the middle, so accepted rows are common and their pages are checked for escaping.
PRINTABLE = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)
STORABLE = st.builds(
    lambda a, nasty, b: f"Plan {a} {nasty} {b}",
    PRINTABLE,
    st.sampled_from([*PAYLOADS, *NASTY[6:9], *NASTY[12:15]]),
    PRINTABLE,
)


def fields(*names: str, **fixed) -> st.SearchStrategy[dict]:
    """A form's fields: all storable (most likely accepted) or all hostile (mostly refused)."""
    return st.one_of(
        st.fixed_dictionaries({**{n: STORABLE for n in names}, **fixed}),
        st.fixed_dictionaries({**{n: TEXT for n in names}, **fixed}),
    )


JSON_VALUE = st.one_of(
    TEXT,
    st.sampled_from(["\ud800", "ok\udfff"]),  # lone surrogates: only JSON can carry them
    st.none(),
    st.integers(),
    st.booleans(),
    st.lists(TEXT, max_size=3),
    st.dictionaries(st.text(max_size=5), TEXT, max_size=2),
)
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TABLES = (Proposal, ProposalVersion, Comment, Petition, User)
VERSIONS = frozenset({ProposalVersion.__tablename__})  # a new proposal has its first version


@pytest.fixture
def world(make):
    councils = make.structure()
    member = make.user(name="Tom Member")
    make.member(member, councils["health-manchester"], "citizen")
    proposal = proposals.create_proposal(
        member, councils["health-manchester"], title="Evening GP hours", body="Open till 8pm."
    )
    return SimpleNamespace(councils=councils, member=member, proposal=proposal)


def _signed_in(client, world) -> None:
    """Sign the member in once per test (the examples share the client; scrypt is slow)."""
    if not getattr(world, "signed_in", False):
        login(client, world.member)
        world.signed_in = True


def _counts(db) -> dict[str, int]:
    db.session.expire_all()
    return {
        table.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in TABLES
    }


def _changed(before: dict, after: dict) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def _no_markup(html: str) -> None:
    for tag in MARKUP:
        assert tag not in html, f"{tag!r} came back unescaped"


def _sent(response, before, after, *, adds: str, also: frozenset = frozenset()) -> bool:
    """Check the answer: no 5xx; refused -> nothing written; accepted -> the one row asked for
    (and only rows of ``also`` besides). True when it was accepted."""
    assert response.status_code < 500, response.get_data(as_text=True)[:800]
    changed = _changed(before, after)
    event("refused" if response.status_code >= 400 else "accepted")  # --hypothesis-show-statistics
    if response.status_code >= 400:
        assert changed == {}, (response.status_code, changed)
        return False
    assert changed.get(adds) == 1, (response.status_code, changed)
    assert set(changed) <= {adds, *also}, changed
    return True


# ---------------------------------------------------------------- pages (forms)


@SETTINGS
@given(data=fields("title", "body", "themes", "note"))
def test_proposal_form(client, db, world, data):
    _signed_in(client, world)
    before = _counts(db)
    response = client.post("/councils/health-manchester/proposals/new", data=data)
    if _sent(response, before, _counts(db), adds=Proposal.__tablename__, also=VERSIONS):
        newest = db.session.scalar(sa.select(sa.func.max(Proposal.id)))
        page = client.get(f"/proposals/{newest}")
        assert page.status_code == 200
        _no_markup(page.get_data(as_text=True))
    else:
        _no_markup(response.get_data(as_text=True))


@SETTINGS
@given(data=fields("body", stance=st.one_of(st.sampled_from(["for", "against", "neutral"]), TEXT)))
def test_comment_form(client, db, world, data):
    _signed_in(client, world)
    before = _counts(db)
    url = f"/proposals/{world.proposal.id}"
    response = client.post(f"{url}/comments", data=data)
    if _sent(response, before, _counts(db), adds=Comment.__tablename__):
        page = client.get(url)
        assert page.status_code == 200
        _no_markup(page.get_data(as_text=True))
    else:
        _no_markup(response.get_data(as_text=True))


@SETTINGS
@given(
    data=fields(
        "title",
        "change_text",
        "reason_text",
        council=st.just("health-manchester"),
        kind=st.one_of(st.just("early_scrutiny"), st.just("constitution_change"), TEXT),
        quorum=st.one_of(st.just(""), st.sampled_from(["0.5", "1e999", "nan", "-0", "1/2"]), TEXT),
        weight_citizen=st.one_of(st.just(""), st.sampled_from(["2", "inf", "9" * 30]), TEXT),
    )
)
def test_petition_form(client, db, world, data):
    _signed_in(client, world)
    before = _counts(db)
    response = client.post("/petitions/new", data=data)
    if _sent(response, before, _counts(db), adds=Petition.__tablename__):
        page = client.get(response.headers["Location"])
        assert page.status_code == 200
        _no_markup(page.get_data(as_text=True))
    else:
        _no_markup(response.get_data(as_text=True))


@SETTINGS
@given(
    name=TEXT,
    email=st.one_of(st.emails(), TEXT, st.builds(lambda t: f"{t}@example.org", TEXT)),
    password=TEXT,
)
def test_sign_up_form(client, db, world, name, email, password):
    before = _counts(db)
    response = client.post(
        "/signup",
        data={"name": name, "email": email, "password": password, "confirm": password},
    )
    after = _counts(db)
    assert response.status_code < 500, response.get_data(as_text=True)[:800]
    # A taken address is answered as a new one (no probing), so an accepted sign-up adds one
    # account or none; a refused one adds none.
    assert (
        set(_changed(before, after)) <= {User.__tablename__}
        and after[User.__tablename__] - before[User.__tablename__] <= 1
    )
    if response.status_code >= 400:
        assert after == before
    shown = client.get("/login") if response.status_code < 400 else response
    _no_markup(shown.get_data(as_text=True))


@SETTINGS
@given(
    path=st.sampled_from(
        [
            "/search",
            "/councils/health-manchester/proposals",
            "/petitions",
            "/councils",
            "/councils/health-north-west/inbox",
            "/api/v1/proposals/search",
            "/api/v1/councils/health-manchester/proposals",
            "/api/v1/petitions",
            "/api/v1/councils",
        ]
    ),
    params=st.dictionaries(
        st.sampled_from(
            ["q", "status", "sort", "theme", "constituency", "page", "council", "kind", "level"]
        ),
        TEXT,
        max_size=3,
    ),
)
def test_search_and_filters(client, db, world, path, params):
    before = _counts(db)
    response = client.get(path, query_string=params)
    assert response.status_code < 500, response.get_data(as_text=True)[:800]
    assert _counts(db) == before
    if not path.startswith("/api/"):
        _no_markup(response.get_data(as_text=True))


# ---------------------------------------------------------------- API (JSON)


@SETTINGS
@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {"title": STORABLE, "body": STORABLE}, optional={"themes": st.lists(STORABLE)}
        ),
        st.fixed_dictionaries(
            {"title": JSON_VALUE, "body": JSON_VALUE},
            optional={"themes": JSON_VALUE, "note": JSON_VALUE},
        ),
        JSON_VALUE,
    )
)
def test_api_proposal_create(client, db, world, body):
    before = _counts(db)
    response = client.post(
        "/api/v1/councils/health-manchester/proposals",
        json=body,
        headers=api_token(world.member),
    )
    if _sent(response, before, _counts(db), adds=Proposal.__tablename__, also=VERSIONS):
        page = client.get(f"/proposals/{response.get_json()['id']}")
        _no_markup(page.get_data(as_text=True))
    else:
        assert set(response.get_json()["error"]) >= {"code", "message"}


@SETTINGS
@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {"body": STORABLE, "stance": st.sampled_from(["for", "against", "neutral"])}
        ),
        st.fixed_dictionaries(
            {"body": JSON_VALUE}, optional={"stance": JSON_VALUE, "parent_id": JSON_VALUE}
        ),
        JSON_VALUE,
    )
)
def test_api_comment_create(client, db, world, body):
    before = _counts(db)
    response = client.post(
        f"/api/v1/proposals/{world.proposal.id}/comments",
        json=body,
        headers=api_token(world.member),
    )
    if _sent(response, before, _counts(db), adds=Comment.__tablename__):
        page = client.get(f"/proposals/{world.proposal.id}")
        _no_markup(page.get_data(as_text=True))
    else:
        assert set(response.get_json()["error"]) >= {"code", "message"}
