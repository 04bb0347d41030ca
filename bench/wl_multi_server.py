"""The mixed surge through nginx: two app servers against one (issue 16; DESIGN.md §7, §8).

``multi_server_nginx``: answered requests per second, sustained, of a mixed surge sent to
nginx (deploy/nginx/ as shipped, run by deploy/local_nginx.py on loopback) in front of two
app servers (granian, ``httpbench.WORKERS`` workers of ``httpbench.THREADS`` threads
each, as ``participate serve``; two processes trees as on two machines) on one fresh
PostgreSQL database, with rate limits on and counted in one Redis. The surge cycles, one
distinct signed-in member per request (session cookie + X-CSRFToken, htmx): a petition
signature, a ballot, a comment, and a page read (petition, motion or proposal page).

``baseline``: the same surge through a second nginx with the same configuration in front
of ONE of those app servers, interleaved round by round (two, one; one, two; ...) so both
share the machine's conditions; ``ratio`` = two / one (median of the rounds' ratios).

On the 2-core development machine the two app servers, nginx, PostgreSQL, Redis and the
load generator share the same two cores, so this shows the cost of the extra hop and of
more processes competing for the cores (overhead), not scaling: a ratio near or under 1
is expected here. On machines of their own, the second server adds its cores.

nginx's per-address zones are raised for the run (every request comes from 127.0.0.1), as
the app's per-address signing limit is (PARTICIPATE_SIGN_LIMIT_ADDRESS); the per-account
limits keep their defaults (each member acts once). The app trusts one proxy
(PARTICIPATE_TRUSTED_PROXIES=1). After the runs: every acknowledged signature, ballot and
comment is in the database once (lost / duplicated).

Pass: 0 lost, 0 duplicated, no 5xx and no lost connection. No rate is a target (the ratio
is reported, not required). Skipped (pass null) without nginx or PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import httpbench as hb
import wl_ballot_casting

NAME = "multi_server_nginx"
KINDS = ("sign", "vote", "comment", "read")
NGINX_RATE = "1000000r/s"


def _local_nginx():
    path = hb.ROOT / "deploy" / "local_nginx.py"
    spec = importlib.util.spec_from_file_location("local_nginx", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _setup(database_url: str, member_ids: list[int]) -> dict:
    """A council whose members are ``member_ids`` with an open motion (wl_ballot_casting's
    world), plus an open petition far from its threshold and a proposal to comment on."""
    from participate import create_app
    from participate.accounts.models import User
    from participate.councils.services import council_by_slug, new_constitution_version
    from participate.extensions import db
    from participate.petitions import drafting, moderating, sponsoring
    from participate.proposals import services as proposals

    motion_id, _second = wl_ballot_casting._setup(database_url, member_ids)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": hb.SECRET_KEY})
    with app.app_context():
        council = council_by_slug("health-manchester")
        clerk = db.session.scalar(db.select(User).filter_by(email="clerk@bench.example.org"))
        author = db.session.get(User, member_ids[0])
        new_constitution_version(
            None,
            council,
            settings={"petition_minimum": 10_000_000, "petition_sponsors": 0},
            reason="benchmark: a threshold the surge does not reach",
        )
        petition = drafting.start_petition(
            author,
            council,
            kind="early_scrutiny",
            title="Scrutinise waiting times in accident and emergency",
            change_text="Hold a scrutiny review of waiting times with patients and staff.",
            reason_text="Waits have doubled in two years; people want answers.",
        )
        sponsoring.invite_sponsors(author, petition)
        moderating.publish(clerk, petition)
        proposal = proposals.create_proposal(
            author,
            council,
            title="Evening GP appointments",
            body="Practices should share evening hubs so every area has a GP until 8pm.",
            themes="GP access",
        )
        ids = {"petition": petition.id, "motion": motion_id, "proposal": proposal.id}
        db.session.remove()
        db.engine.dispose()
    return ids


def _requests(sessions: list[hb.Session], ids: dict) -> list[hb.PreparedRequest]:
    """One request per member, cycling through KINDS; keys say the kind and the member."""
    pages = [f"/petitions/{ids['petition']}", f"/motions/{ids['motion']}"]
    pages.append(f"/proposals/{ids['proposal']}")
    out = []
    for i, session in enumerate(sessions):
        kind, uid = KINDS[i % len(KINDS)], session.user_id
        key = f"{kind}:{uid}"
        if kind == "sign":
            path, fields = (
                f"/petitions/{ids['petition']}/sign",
                {
                    "declaration": "live",
                    "place": "manchester",
                },
            )
        elif kind == "vote":
            path, fields = f"/motions/{ids['motion']}/ballot", {"choice": "yes"}
        elif kind == "comment":
            path = f"/proposals/{ids['proposal']}/comments"
            fields = {"body": f"A comment from member {uid} [m{uid}]", "stance": "neutral"}
        else:
            out.append(
                hb.PreparedRequest(
                    key=key,
                    method="GET",
                    path=pages[(i // len(KINDS)) % len(pages)],
                    headers=(("Cookie", session.cookie_header),),
                )
            )
            continue
        out.append(hb.form_post(path, fields, key=key, session=session, htmx=True))
    return out


class Front:
    """nginx and the app servers behind it, as httpbench.Target's ``server``."""

    def __init__(self, nginx, servers: list[hb.Server]):
        self.nginx = nginx
        self.servers = servers
        self.url = nginx.url

    def cpu_seconds(self) -> float:
        nginx_pids = [self.nginx.proc.pid, *hb._descendants(self.nginx.proc.pid)]
        return sum(s.cpu_seconds() for s in self.servers) + sum(map(hb._proc_cpu, nginx_pids))

    def describe(self) -> dict:
        return {"proxy": "nginx", "app_servers": len(self.servers), **self.servers[0].describe()}


def _check(database_url: str, ids: dict, acknowledged: set[str]) -> tuple[int, int]:
    rows = [
        f"sign:{uid}"
        for uid in hb.fetch_column(
            database_url,
            "SELECT user_id FROM signatures WHERE petition_id = :p",
            p=ids["petition"],
        )
    ]
    rows += [
        f"vote:{uid}"
        for uid in hb.fetch_column(
            database_url,
            "SELECT user_id FROM motion_participation WHERE motion_id = :m",
            m=ids["motion"],
        )
    ]
    rows += [
        f"comment:{body.rsplit('[m', 1)[1].rstrip(']')}"
        for body in hb.fetch_column(
            database_url,
            "SELECT body FROM proposal_comments WHERE proposal_id = :p",
            p=ids["proposal"],
        )
        if "[m" in body
    ]
    writes = {key for key in acknowledged if not key.startswith("read:")}
    return hb.check_writes(writes, rows)


def run(quick: bool) -> list[dict]:
    rounds, seconds = (1, 1.5) if quick else (3, 5.0)
    local_nginx = _local_nginx()
    if local_nginx.nginx_binary() is None:
        return [hb.skipped_entry(NAME, "skipped: nginx is not installed", unit="requests/s")]
    reason = hb.postgres_unreachable()
    if reason:
        return [hb.skipped_entry(NAME, f"skipped: {reason}", unit="requests/s")]
    per_target = hb.users_needed(rounds, seconds, max_rate=600.0)
    with (
        hb.workdir("multi-server-") as tmp,
        hb.rate_limit_storage(tmp) as storage,
        hb.app_database("postgresql", tmp) as url,
    ):
        user_ids = hb.create_users(url, 2 * per_target + 1)
        ids = _setup(url, user_ids)
        sessions = hb.mint_sessions(url, user_ids[1:], hb.SECRET_KEY)  # [0] is the author
        env = hb.app_env(
            url,
            tmp,
            PARTICIPATE_RATELIMIT="1",
            RATELIMIT_STORAGE_URI=storage,
            PARTICIPATE_TRUSTED_PROXIES="1",
            PARTICIPATE_SIGN_LIMIT_ADDRESS="1000000 per minute",
        )
        a, b = hb.Server(hb.APP_TARGET, env=env), hb.Server(hb.APP_TARGET, env=env)
        with hb.serving(a, b):
            backends = [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"]
            two_port, one_port = hb.free_port(), hb.free_port()
            with (
                local_nginx.Nginx(tmp / "nginx-two", two_port, backends, rate=NGINX_RATE) as n2,
                local_nginx.Nginx(tmp / "nginx-one", one_port, backends[:1], rate=NGINX_RATE) as n1,
            ):
                hb.check_session(n2.url, sessions[0])  # signed in through nginx, unchanged
                two = hb.Target(
                    "two",
                    Front(n2, [a, b]),
                    _requests(sessions[:per_target], ids),
                    ok_statuses=(200,),
                )
                one = hb.Target(
                    "one", Front(n1, [a]), _requests(sessions[per_target:], ids), ok_statuses=(200,)
                )
                for target in (two, one):
                    target.warmup()
                ratios = hb.interleave([two, one], rounds=rounds, duration_s=seconds)
        acknowledged = two.acknowledged() | one.acknowledged()
        lost, duplicated = _check(url, ids, acknowledged)
    failures = sum(
        s.server_errors + s.errors + s.client_errors for t in (two, one) for s in t.warmups + t.runs
    )
    ratio = hb.paired_ratio(two, one)
    return [
        hb.entry(
            NAME,
            round(two.throughput, 1),
            "requests/s",
            None,
            round(one.throughput, 1),
            round(ratio, 3),
            lost,
            duplicated,
            passed=lost == 0 and duplicated == 0 and failures == 0 and two.throughput > 0,
            ratio_rounds=[round(r, 3) for r in ratios],
            cores=os.cpu_count(),
            note=(
                f"{os.cpu_count()} cores shared by nginx, both app servers, PostgreSQL, Redis "
                "and the load generator: the ratio shows the overhead of a second server "
                "on the same cores, not scaling"
            ),
            mix=list(KINDS),
            failures=failures,
            p99_ms={"two": two.summary().get("p99_ms"), "one": one.summary().get("p99_ms")},
            two=two.summary(),
            one=one.summary(),
        )
    ]


if __name__ == "__main__":  # python bench/wl_multi_server.py [--quick]
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
