"""The foundation of the demo: the council structure, the demo accounts (one per role), the
clerks they are appointed as, and the residents' memberships."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participate.accounts.models import User
from participate.councils.memberships import appoint
from participate.councils.models import Council, Membership
from participate.councils.structure import import_structure
from participate.extensions import db
from participate.notifications.demo import seed_settings
from participate.seed.context import DEMO_COUNCILS, SeedContext
from participate.seed.geography import structure
from participate.util import utcnow

# The story starts here: the councils set up, the accounts made and the clerks appointed.
SET_UP_DAYS_AGO = 240

DEMO_PEOPLE = [
    # key, email, name, constituency in the demo councils
    ("citizen", "citizen@example.org", "Amina Hussain", "citizen"),
    ("employee", "employee@example.org", "Tom Price", "employee"),
    ("leader", "leader@example.org", "Dr Grace Okafor", "leader"),
    ("elected", "elected@example.org", "Cllr Peter Walsh", "elected"),
    ("clerk", "clerk@example.org", "Sam Clarke", "employee"),
    ("minister", "minister@example.org", "Helen Ward MP", "elected"),
    ("admin", "admin@example.org", "Platform Admin", None),
]

# The councils each demo person is a member of, as their role gives them (DESIGN.md §1).
DEMO_MEMBERSHIPS = {
    # lives in Manchester: its health and care council, its schools council (her children's
    # schools), the place forum, and the regional council her ambulance petition went to
    "citizen": ["health-manchester", "schools-manchester", "forum-manchester", "health-north-west"],
    # a practice nurse in Manchester: the service she works in, locally and in the region
    "employee": ["health-manchester", "health-north-west"],
    # a Manchester service leader who sits on the regional and national councils too
    "leader": ["health-manchester", "health-north-west", "health-england"],
    # a Manchester city councillor: the health council and the place forum
    "elected": ["health-manchester", "forum-manchester"],
}

FIRST = [
    "Aisha",
    "Ben",
    "Chloe",
    "Daniel",
    "Ellie",
    "Farid",
    "Grace",
    "Harry",
    "Imran",
    "Jess",
    "Kwame",
    "Laura",
    "Mohammed",
    "Niamh",
    "Oliver",
    "Priya",
    "Rhys",
    "Sophie",
    "Tariq",
    "Uma",
    "Victor",
    "Wendy",
    "Yusuf",
    "Zara",
]
LAST = [
    "Ahmed",
    "Brown",
    "Campbell",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morris",
    "Nowak",
    "O'Brien",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Taylor",
    "Walker",
    "Young",
]


def _user(email: str, name: str, password_hash: str, *, admin: bool = False) -> User:
    now = utcnow()  # signed up and confirmed at once
    user = User(
        email=email,
        name=name,
        password_hash=password_hash,
        is_admin=admin,
        created_at=now,
        email_confirmed_at=now,
    )
    db.session.add(user)
    return user


def seed(ctx: SeedContext) -> None:
    """The structure, the demo accounts (one per role), clerks and memberships."""
    with ctx.at(days_ago=SET_UP_DAYS_AGO):
        counts = import_structure(structure(ctx.scale))
        counts.pop("changed")  # a fresh database: nothing to update
        ctx.summary.update(counts)
        ctx.councils = {c.slug: c for c in db.session.scalars(sa.select(Council))}

        probe = User(email="x@example.org", name="x")
        probe.set_password(ctx.password)  # hash once: hashing is deliberately slow
        hashed = probe.password_hash
        for key, email, name, _c in DEMO_PEOPLE:
            ctx.people[key] = _user(email, name, hashed, admin=key == "admin")
        ctx.people["regional_clerk"] = _user("clerk.northwest@example.org", "Priya Shah", hashed)
        ctx.people["national_clerk"] = _user("clerk.england@example.org", "Owen Hughes", hashed)
        ctx.people["leeds_clerk"] = _user("clerk.leeds@example.org", "Ruth Adeyemi", hashed)
        db.session.flush()
        seed_settings(ctx.people)  # a few demo people chose their e-mail settings
    with ctx.at(days_ago=5):
        ctx.people["newcomer"] = _user("newcomer@example.org", "Jo Bennett", hashed)
        db.session.flush()
    with ctx.at(days_ago=SET_UP_DAYS_AGO - 4):
        _appoint_clerks(ctx)
    _memberships(ctx, hashed)


def _appoint_clerks(ctx: SeedContext) -> None:
    admin = ctx.people["admin"]
    appoint(admin, ctx.people["clerk"], ctx.councils["health-manchester"], "clerk", "employee")
    appoint(admin, ctx.people["clerk"], ctx.councils["forum-manchester"], "clerk", "employee")
    appoint(
        admin, ctx.people["regional_clerk"], ctx.councils["health-north-west"], "clerk", "employee"
    )
    appoint(
        admin, ctx.people["national_clerk"], ctx.councils["health-england"], "clerk", "employee"
    )
    appoint(admin, ctx.people["leeds_clerk"], ctx.councils["health-leeds"], "clerk", "employee")
    appoint(admin, ctx.people["leeds_clerk"], ctx.councils["health-yorkshire"], "clerk", "employee")
    appoint(admin, ctx.people["minister"], ctx.councils["health-england"], "minister", "elected")


def _memberships(ctx: SeedContext, hashed: str) -> None:
    """The demo people's memberships (DEMO_MEMBERSHIPS, each in their own constituency), then
    the residents', all admitted months before the first proposals; one request waiting."""
    rows = []
    for p, (key, _email, _name, constituency) in enumerate(DEMO_PEOPLE[:4]):
        for j, slug in enumerate(DEMO_MEMBERSHIPS[key]):
            decided = ctx.when(days_ago=200 - 6 * p - 5 * j)
            rows.append(
                {
                    "user_id": ctx.people[key].id,
                    "council_id": ctx.councils[slug].id,
                    "constituency": constituency,
                    "status": "active",
                    "role": "member",
                    "requested_at": decided - timedelta(days=2),
                    "decided_at": decided,
                }
            )
    # Residents: enough members per constituency for weighted votes and petitions to mean something.
    weights = {"citizen": 12, "employee": 8, "leader": 3, "elected": 2, "partner": 3}
    n_residents = 120 * ctx.scale
    with ctx.at(days_ago=SET_UP_DAYS_AGO - 2):
        for i in range(n_residents):
            first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
            user = _user(f"resident{i + 1}@example.org", f"{first} {last}", hashed)
            ctx.residents.append(user)
        db.session.flush()
    ctx.resident_ids = [user.id for user in ctx.residents]
    constituencies = [c for c, w in weights.items() for _ in range(w)]
    for i, user in enumerate(ctx.residents):
        constituency = constituencies[i % len(constituencies)]
        home = DEMO_COUNCILS[i % len(DEMO_COUNCILS)]
        decided = ctx.when(days_ago=230 - i % 25)
        for slug in dict.fromkeys(  # in this order on every run (a set's order is not)
            [home, "health-manchester" if i % 2 == 0 else "health-north-west", "health-england"]
        ):
            rows.append(
                {
                    "user_id": user.id,
                    "council_id": ctx.councils[slug].id,
                    "constituency": constituency,
                    "status": "active",
                    "role": "member",
                    "requested_at": decided - timedelta(days=1),
                    "decided_at": decided,
                }
            )
    seen = set()
    unique_rows = []
    for row in rows:
        key = (row["user_id"], row["council_id"])
        if key not in seen:
            seen.add(key)
            unique_rows.append(row)
    db.session.execute(sa.insert(Membership), unique_rows)
    # Two requests waiting for the Manchester clerk.
    db.session.add(
        Membership(
            user_id=ctx.people["newcomer"].id,
            council_id=ctx.councils["health-manchester"].id,
            constituency="citizen",
            status="pending",
            statement="I care for my mother and use the community nursing service every week.",
            requested_at=ctx.when(days_ago=3),
        )
    )
    db.session.commit()
    ctx.summary["accounts"] = len(ctx.people) + len(ctx.residents)
    ctx.summary["memberships"] = len(unique_rows) + 1
