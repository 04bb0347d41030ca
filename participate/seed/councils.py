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
from participate.seed.context import SeedContext
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

# Where the residents live. The demo's own residents (120 at scale 1) live in its four places,
# nine in every fifteen in Manchester, where most of the demo happens (its health council's
# weighted votes, rounds and petitions), two in each of Salford, Liverpool and Leeds.
DEMO_HOMES = {"manchester": 9, "salford": 2, "liverpool": 2, "leeds": 2}
# Twelve more live in each other local place, so that every council outside the demo has
# members of its own place: a health council of twelve (participate.seed.upward.MIN_MEMBERS)
# and the few its other councils draw (participate.seed.proposals._other_councils).
ELSEWHERE = 12
# Each resident's constituency, the same in every council they belong to; in any run of
# residents of a place, about these shares (the first twelve hold all five).
CONSTITUENCY_WEIGHTS = {"citizen": 12, "employee": 8, "leader": 3, "elected": 2, "partner": 3}

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
        plan = structure(ctx.scale)
        ctx.region_of = {p["slug"]: p["parent"] for p in plan["places"] if p["level"] == "local"}
        counts = import_structure(plan)
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
    # Residents: each lives in one local place and belongs to councils of that place and of
    # its region (resident_councils), in one constituency everywhere.
    homes = _homes(ctx)
    with ctx.at(days_ago=SET_UP_DAYS_AGO - 2):
        for i in range(len(homes)):
            first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
            user = _user(f"resident{i + 1}@example.org", f"{first} {last}", hashed)
            ctx.residents.append(user)
        db.session.flush()
    ctx.resident_ids = [user.id for user in ctx.residents]
    cycle = interleaved(CONSTITUENCY_WEIGHTS)
    living: dict[str, int] = {}  # how many residents of each place so far
    alike: dict[str, int] = {}  # and of each constituency
    for i, (uid, home) in enumerate(zip(ctx.resident_ids, homes, strict=True)):
        k = living[home] = living.get(home, -1) + 1  # the k-th resident of their place
        constituency = ctx.constituencies[uid] = cycle[k % len(cycle)]
        ctx.homes[uid] = home
        # every third of each constituency (so the nation's council has them in their shares)
        national = (alike.setdefault(constituency, -1) + 1) % 3 == 0
        alike[constituency] += 1
        decided = ctx.when(days_ago=230 - i % 25)
        for slug in resident_councils(home, ctx.region_of[home], k, national=national):
            rows.append(
                {
                    "user_id": uid,
                    "council_id": ctx.councils[slug].id,
                    "constituency": constituency,
                    "status": "active",
                    "role": "member",
                    "requested_at": decided - timedelta(days=1),
                    "decided_at": decided,
                }
            )
    # Each (person, council) once: DEMO_MEMBERSHIPS and resident_councils list no council
    # twice (the table's unique constraint would refuse it).
    db.session.execute(sa.insert(Membership), rows)
    # One request waiting for the Manchester clerk.
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
    ctx.summary["memberships"] = len(rows) + 1


def interleaved(weights: dict[str, int]) -> list[str]:
    """One cycle of the keys, each as many times as its weight, spread evenly (the smooth
    weighted round robin): any run of it holds each key about in its share."""
    total = sum(weights.values())
    credit = dict.fromkeys(weights, 0)
    cycle = []
    for _ in range(total):
        for key, weight in weights.items():
            credit[key] += weight
        best = max(credit, key=lambda key: credit[key])  # the first of equals: the same each run
        credit[best] -= total
        cycle.append(best)
    return cycle


def _homes(ctx: SeedContext) -> list[str]:
    """Where each resident lives, in their order: the demo's residents in its places (in the
    DEMO_HOMES shares, interleaved), then ELSEWHERE residents of each other local place."""
    demo = interleaved(DEMO_HOMES)
    homes = [demo[i % len(demo)] for i in range(120 * ctx.scale)]
    for place in ctx.region_of:  # in the structure's order
        if place not in DEMO_HOMES:
            homes += [place] * ELSEWHERE
    return homes


def resident_councils(home: str, region: str, k: int, *, national: bool) -> list[str]:
    """The councils the ``k``-th resident living in ``home`` (a local place in ``region``)
    belongs to: their place's health council and their region's, the national council if
    ``national``, and in Manchester, for some, its schools council (parents) and its place
    forum. The other councils of their place draw some of them later
    (participate.seed.proposals._other_councils)."""
    slugs = [f"health-{home}", f"health-{region}"]
    if home == "manchester":
        if k % 5 == 2:  # 5 and 3 are prime to the constituency cycle: every constituency
            slugs.append("schools-manchester")
        if k % 3 == 1:
            slugs.append("forum-manchester")
    if national:
        slugs.append("health-england")
    return slugs
