"""The API against its own OpenAPI document (issues 13 and 16: "the API document tells the truth").

Schemathesis's engine (what ``st run`` runs) reads /api/v1/openapi.json from the live server
(granian over HTTP, as in production) and runs
its examples, coverage and fuzzing phases over every operation with every default check
(never a 5xx, a documented status and shape, schema-valid data accepted, schema-violating data
refused, a 405 with ``Allow`` for an undeclared method, ...), once without a token and once with
a member's. The stateful phase is left out: the document declares no links. Generation is
derandomised with a fixed seed and two examples per operation and mode, so the run is the same on
every machine. (Schemathesis's pytest plugin cannot resolve a fixture under pytest 9, so the
engine is driven directly; and over HTTP rather than WSGI, because its in-process transport
refuses the requests of its own ``ignored_auth`` check: ``max_redirects`` is passed to
werkzeug's EnvironBuilder.)

A walker checks the other direction: every route under /api/v1 is in the document, with its
methods, and every ``<int:...>`` of the route is an integer id there.
"""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema

from participate.proposals import listing
from participate.proposals import services as proposals
from tests.conftest import api_token

PREFIX = "/api/v1"


def _failures(base_url: str, headers: dict | None) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}{PREFIX}/openapi.json")
    schema.config.generation.update(max_examples=2, deterministic=True)
    schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    schema.config.seed = 16
    if headers:
        schema.config.update(headers=headers)
    found: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        found.append(
                            f"{event.recorder.label}: {check.name}: {failure.title}\n"
                            f"  {failure.message[:300]}\n  {check.failure_info.code_sample[:500]}"
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found.append(f"engine error: {event}")
        elif isinstance(event, events.EngineFinished):
            assert event.stop_reason == "completed", event.stop_reason
    return sorted(set(found))


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_the_api_matches_its_document(live_server, db, make, who):
    councils = make.structure()
    member = make.user(name="Tom Member")
    make.member(member, councils["health-manchester"], "citizen")
    proposals.create_proposal(
        member, councils["health-manchester"], title="Evening GP hours", body="Open till 8pm."
    )
    failures = _failures(live_server.url, api_token(member) if who == "member" else None)
    assert not failures, "\n".join(failures)


def test_every_api_route_is_documented_with_its_methods_and_integer_ids(app, client):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    undocumented = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule[len(PREFIX) :])
        shape = re.sub(r"\{\w+\}", "{}", path)
        documented = {
            p: ops for p, ops in document["paths"].items() if re.sub(r"\{\w+\}", "{}", p) == shape
        }
        if not documented:
            undocumented.append(f"{rule.rule}: not in the document")
            continue
        ((doc_path, ops),) = documented.items()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = ops.get(method.lower())
            if op is None:
                undocumented.append(f"{method} {rule.rule}: method not documented")
                continue
            params = {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "path"}
            names = re.findall(r"\{(\w+)\}", doc_path)
            converters = re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", rule.rule)
            for name, converter in zip(names, converters, strict=True):
                kind = params.get(name, {}).get("type")
                want = "integer" if converter == "int" else "string"
                if kind != want:
                    undocumented.append(f"{method} {rule.rule}: {{{name}}} is {kind}, not {want}")
            if op.get("requestBody") and "$ref" not in str(op["requestBody"]):
                body = op["requestBody"]["content"]["application/json"]["schema"]
                assert body, f"{method} {rule.rule}: an empty body schema accepts anything"
    assert not undocumented, "\n".join(undocumented)


def test_a_body_the_schema_refuses_is_refused_naming_the_field(client, db, make):
    councils = make.structure()
    member = make.user(name="Tom Member")
    make.member(member, councils["health-manchester"], "citizen")
    url = "/api/v1/councils/health-manchester/proposals"
    headers = api_token(member)
    cases = [
        ({"title": "   ", "body": "Text."}, "title_empty", "title"),
        ({"title": "Fine", "body": "Text.", "colour": "red"}, "unknown_field", "colour"),
        ({"title": "Fine", "body": "Text.", "themes": ["x"]}, "theme_invalid", "themes"),
        ({"body": "Text."}, "missing_field", "title"),
    ]
    for body, code, field in cases:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 400, body
        error = response.get_json()["error"]
        assert (error["code"], error.get("field")) == (code, field), error
    assert listing.list_proposals(councils["health-manchester"]).total == 0


def _bodies(document):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                yield (
                    f"{method.upper()} {path}",
                    op["requestBody"]["content"]["application/json"]["schema"],
                )


def _required_text(schema, where):
    """(where, schema) of every required string property without a fixed set of values."""
    if isinstance(schema, dict):
        for name in schema.get("required", []):
            prop = schema.get("properties", {}).get(name, {})
            if prop.get("type") == "string" and not {"enum", "const", "format"} & set(prop):
                yield f"{where}.{name}", prop
        for key, value in schema.items():
            yield from _required_text(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for item in schema:
            yield from _required_text(item, where)


def test_the_document_refuses_what_the_services_refuse(client):
    """The findings of issue 16, kept fixed: no required text may be blank, a ballot names its
    shape, a round's schedule names each phase's end, a theme has two letters or digits."""
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    bodies = dict(_bodies(document))
    blank = [
        where
        for operation, schema in bodies.items()
        for where, prop in _required_text(schema, operation)
        if any(jsonschema_rs.is_valid(prop, value) for value in ("", "   ", "\n"))
    ]
    assert not blank, f"required text that may be blank: {blank}"
    ballot = bodies["POST /motions/{id}/ballots"]
    assert not jsonschema_rs.is_valid(ballot, {}) and "oneOf" in ballot
    assert jsonschema_rs.is_valid(ballot, {"ranking": ["B", "A"]})
    schedule = bodies["POST /councils/{slug}/rounds"]["properties"]["schedule"]
    assert not jsonschema_rs.is_valid(schedule, {"briefing": "2026-12-01T17:00:00Z"})
    proposal = bodies["POST /councils/{slug}/proposals"]
    for themes in (["a"], "a", ["ok", "x"]):
        assert not jsonschema_rs.is_valid(proposal, {"title": "T", "body": "B", "themes": themes})
    assert jsonschema_rs.is_valid(proposal, {"title": "T", "body": "B", "themes": "nhs, gp hours"})
