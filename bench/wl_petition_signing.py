"""Petition signing over HTTP in a surge (DESIGN.md §4, §8), on the shared harness (httpbench).

``petition_signing_http`` (SQLite WAL) and ``petition_signing_http_postgres`` (a fresh
PostgreSQL database): signatures per second, sustained, each a signed-in htmx form POST
(session cookie + X-CSRFToken, one distinct account per signature; 1 in 50 requests repeats
an earlier signer and must get 409) to ``/petitions/<id>/sign``, served by participate
under granian (2 workers, as ``participate serve``). Two baselines, measured in the same
run on the same server settings and database, the three targets interleaved round by
round (A B C, C B A, ...) so that they share the machine's conditions:

- ``baseline``: the bare insert-per-request Flask app (bench/bare_app.py), writing to the
  same kind of database; ``ratio`` = app / bare (median of the rounds' ratios);
- ``textbook``: a textbook Flask view of the same write (bench/textbook_app.py: participate
  itself plus ``/textbook/petitions/<id>/sign``: ``@login_required``, Flask-Limiter
  decorators, ORM add + commit, ``render_template``) signing a second petition with the
  same sessions; ``ratio_textbook`` = app / textbook.

While the app takes signatures, a reader thread loads the petition page (a visitor, GET
``/petitions/<id>``, about 20 a second) and its p95 is reported.

Rate limits stay ON, as in production: the benchmark signs from one address, so it raises
the per-address limit (PARTICIPATE_SIGN_LIMIT_ADDRESS=1000000 per minute) for the app and
the textbook view alike; the per-account limit keeps its default (each account signs once
or twice). Their storage is Redis, as a deployment with several processes needs
(RATELIMIT_STORAGE_URI): the benchmark starts its own redis-server on a unix socket
(``httpbench.rate_limit_storage``) when the binary is installed, else it falls back to
memory:// (per worker). The entry says which one ran. After the runs: every acknowledged
signature has exactly one row (lost / duplicated), the counter equals the rows once a batch
has run, and a reconcile finds no drift.

Pass (DESIGN §8; no absolute rate is a target): ratio >= 0.3 (goal 0.5), ratio_textbook
>= 2 (goal 3), p99 < 100 ms, 0 lost, 0 duplicated, no 5xx, petition page p95 < 50 ms during
the surge, counts consistent. The PostgreSQL entry is skipped (pass null) when the server
(httpbench.POSTGRES_URL, env BENCH_POSTGRES_URL) cannot be reached.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time

import httpbench as hb

NAME = "petition_signing_http"
PAGE_P95_LIMIT_MS = 50.0
DUPLICATE_EVERY = 50


def _setup(database_url: str) -> tuple[int, int]:
    """A council with two open petitions far from their threshold (one for the app, one for
    the textbook view); returns their ids."""
    from participate import create_app
    from participate.accounts.services import create_user
    from participate.councils.memberships import appoint
    from participate.councils.services import council_by_slug, new_constitution_version
    from participate.councils.structure import import_structure
    from participate.extensions import db
    from participate.petitions import drafting, moderating, sponsoring

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": hb.SECRET_KEY})
    with app.app_context():
        import_structure(
            {
                "services": [{"slug": "health", "name": "Health and care"}],
                "places": [
                    {"slug": "england", "name": "England", "level": "nation"},
                    {
                        "slug": "manchester",
                        "name": "Manchester",
                        "level": "local",
                        "parent": "england",
                        "population": 568_996,
                    },
                ],
                "councils": [
                    {"slug": "health-manchester", "service": "health", "place": "manchester"}
                ],
                "links": [],
            }
        )
        council = council_by_slug("health-manchester")
        new_constitution_version(
            None,
            council,
            settings={"petition_minimum": 10_000_000, "petition_sponsors": 0},
            reason="benchmark: a threshold the surge does not reach",
        )
        clerk = create_user(
            "clerk@bench.example.org", "Clerk", "a long bench password", admin=True, confirmed=True
        )
        author = create_user(
            "author@bench.example.org", "Author", "a long bench password", confirmed=True
        )
        appoint(clerk, clerk, council, "clerk")
        ids = []
        for title in (
            "Scrutinise waiting times in accident and emergency",
            "Scrutinise waiting times for a first appointment",
        ):
            petition = drafting.start_petition(
                author,
                council,
                kind="early_scrutiny",
                title=title,
                change_text="Hold a scrutiny review of waiting times with patients and staff.",
                reason_text="Waits have doubled in two years; people want answers.",
            )
            sponsoring.invite_sponsors(author, petition)
            moderating.publish(clerk, petition)
            ids.append(petition.id)
        db.session.remove()
        db.engine.dispose()
    return ids[0], ids[1]


def _check_counts(database_url: str, petition_id: int, base_url: str) -> dict:
    """After the surge: the shown count equals the rows; a reconcile finds no drift."""
    from participate import create_app
    from participate.extensions import db
    from participate.petitions import recount

    time.sleep(2.1)  # past the batch window: the next read counts the last batch
    conn = http.client.HTTPConnection(base_url.split("//", 1)[1], timeout=30)
    conn.request("GET", f"/api/v1/petitions/{petition_id}", headers={"User-Agent": hb.USER_AGENT})
    shown = json.loads(conn.getresponse().read())["counts"]["total"]
    conn.close()
    rows = hb.count_rows(
        database_url, "SELECT count(*) FROM signatures WHERE petition_id = :p", p=petition_id
    )
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": hb.SECRET_KEY})
    with app.app_context():
        [result] = recount.reconcile([petition_id])
        db.session.remove()
        db.engine.dispose()
    return {
        "rows": rows,
        "shown_count": shown,
        "reconcile_drift": result.drift,
        "reconcile_tally_changes": len(result.tally_changes),
        "reconcile_caught_up": result.caught_up,
    }


class PageReader(threading.Thread):
    """Loads the petition page as a visitor, about ``rate`` times a second, timing each."""

    def __init__(self, base_url: str, path: str, rate: float = 20.0):
        super().__init__(daemon=True)
        self.host = base_url.split("//", 1)[1]
        self.path = path
        self.interval = 1.0 / rate
        self.stop_event = threading.Event()
        self.latencies_ms: list[float] = []
        self.statuses: dict[int, int] = {}

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, timeout=30)
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                conn.request("GET", self.path, headers={"User-Agent": hb.USER_AGENT})
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection(self.host, timeout=30)
                status = -1
            self.latencies_ms.append((time.monotonic() - started) * 1000)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.stop_event.wait(max(0.0, self.interval - (time.monotonic() - started)))
        conn.close()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(10)

    def p95(self) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, int(0.95 * len(ordered)) - 1)]


def _sign_requests(path: str, sessions: list[hb.Session]) -> list[hb.PreparedRequest]:
    """One htmx signing POST per session; every DUPLICATE_EVERY-th, an earlier signer again."""
    requests = []
    for i, session in enumerate(sessions):
        requests.append(
            hb.form_post(
                path,
                {"declaration": "live", "place": "manchester"},
                key=str(session.user_id),
                session=session,
                htmx=True,
            )
        )
        if i % DUPLICATE_EVERY == DUPLICATE_EVERY - 1:  # the same signer again: 409
            again = sessions[i - DUPLICATE_EVERY // 2]
            requests.append(
                hb.form_post(
                    path,
                    {"declaration": "work", "place": "manchester", "service": "health"},
                    key=str(again.user_id),
                    session=again,
                    htmx=True,
                )
            )
    return requests


def _signers(url: str, petition_id: int):
    def row_keys():
        sql = "SELECT user_id FROM signatures WHERE petition_id = :p"
        return [str(uid) for uid in hb.fetch_column(url, sql, p=petition_id)]

    return row_keys


def measure(quick: bool, database: str, name: str) -> dict:
    rounds, seconds = (1, 1.5) if quick else (3, 5.0)
    rate_hint = 3000  # prepared signatures per second of run: more than the app does here
    warmup = 100 if quick else 300
    n = int(rounds * seconds * rate_hint) + warmup
    readers: list[PageReader] = []
    with (
        hb.workdir("petition-bench-") as tmp,
        hb.rate_limit_storage(tmp) as storage,
        hb.app_database(database, tmp) as url,
    ):
        petition_id, textbook_petition_id = _setup(url)
        user_ids = hb.create_users(url, n, prefix="signer")
        sessions = hb.mint_sessions(url, user_ids, hb.SECRET_KEY)
        env = hb.app_env(
            url,
            tmp,
            PARTICIPATE_RATELIMIT="1",
            PARTICIPATE_SIGN_LIMIT_ADDRESS="1000000 per minute",
            RATELIMIT_STORAGE_URI=storage,
        )
        bare_url = url if database == "postgresql" else None  # like with like
        bare_n = int(rounds * seconds * 6000) + warmup
        servers = hb.Server(hb.APP_TARGET, env=env), hb.Server(hb.TEXTBOOK_TARGET, env=env)
        with (
            hb.serving(*servers) as (server, textbook_server),
            hb.bare_target(tmp, bare_n, database_url=bare_url) as bare,
        ):
            hb.check_session(server.url, sessions[0])
            hb.check_session(textbook_server.url, sessions[0])
            app = hb.Target(
                name,
                server,
                _sign_requests(f"/petitions/{petition_id}/sign", sessions),
                ok_statuses=(200,),
                row_keys=_signers(url, petition_id),
            )
            textbook = hb.Target(
                "textbook",
                textbook_server,
                _sign_requests(f"/textbook/petitions/{textbook_petition_id}/sign", sessions),
                ok_statuses=(200,),
                row_keys=_signers(url, textbook_petition_id),
            )
            for target in (app, bare, textbook):
                target.warmup(warmup)
            for r in range(rounds):
                order = [app, bare, textbook] if r % 2 == 0 else [textbook, bare, app]
                for target in order:
                    if target is not app:
                        target.run(duration_s=seconds, concurrency=hb.CONCURRENCY)
                        continue
                    reader = PageReader(server.url, f"/petitions/{petition_id}")
                    reader.start()
                    app.run(duration_s=seconds, concurrency=hb.CONCURRENCY)
                    reader.stop()
                    readers.append(reader)
            checks = _check_counts(url, petition_id, server.url)
            result = hb.write_entry(
                name,
                app,
                bare,
                textbook,
                unit="signatures/s",
                database=database,
                page_p95_ms=None,
                page_p95_limit_ms=PAGE_P95_LIMIT_MS,
                **checks,
            )
    page_p95s = [p for p in (r.p95() for r in readers) if p is not None]
    page_p95 = round(statistics.median(page_p95s), 2) if page_p95s else None
    page_statuses: dict[int, int] = {}
    for reader in readers:
        for status, count in reader.statuses.items():
            page_statuses[status] = page_statuses.get(status, 0) + count
    result["page_p95_ms"] = page_p95
    result["page_p95_runs"] = [round(p, 2) for p in page_p95s]
    result["page_requests"] = {str(k): v for k, v in sorted(page_statuses.items())}
    consistent = (
        checks["shown_count"] == checks["rows"]
        and checks["reconcile_drift"] == 0
        and checks["reconcile_tally_changes"] == 0
    )
    result["duplicate_requests_refused"] = sum(s.conflict for s in app.warmups + app.runs)
    result["pass"] = bool(
        result["pass"]
        and page_p95 is not None
        and page_p95 < PAGE_P95_LIMIT_MS
        and page_statuses.keys() <= {200}
        and consistent
    )
    result["rate_limit_storage"] = storage.split("://")[0]
    result["notes"] = (
        "rate limits on (per-address limit raised to 1000000/min for one load generator); "
        "the load generator, the reader, the database server and other jobs share the 2 "
        "cores with the server (see app.other_cpu_share)"
    )
    return result


def run(quick: bool) -> list[dict]:
    return hb.per_database(NAME, "signatures/s", measure, quick)


if __name__ == "__main__":  # python bench/wl_petition_signing.py [--quick]
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
