"""Real English regions and a sample of real local authorities (2021 census populations)."""

SERVICES = [
    (
        "health",
        "Health and care",
        "NHS and social care: GP practices, hospitals, community and adult social care.",
    ),
    (
        "schools",
        "Schools",
        "State schools and early years: admissions, curriculum, special educational needs.",
    ),
    (
        "policing",
        "Policing",
        "Neighbourhood policing, response, and community safety partnerships.",
    ),
    (
        "housing",
        "Housing",
        "Council and social housing: repairs, allocations, homelessness support.",
    ),
]

REGIONS = [
    ("north-east", "North East", 2_647_100),
    ("north-west", "North West", 7_417_300),
    ("yorkshire", "Yorkshire and the Humber", 5_481_400),
    ("east-midlands", "East Midlands", 4_880_100),
    ("west-midlands", "West Midlands", 5_950_800),
    ("east-of-england", "East of England", 6_335_100),
    ("london", "London", 8_799_800),
    ("south-east", "South East", 9_278_100),
    ("south-west", "South West", 5_701_200),
]

LOCALS = [
    ("newcastle", "Newcastle upon Tyne", "north-east", 300_200),
    ("sunderland", "Sunderland", "north-east", 274_200),
    ("manchester", "Manchester", "north-west", 568_996),
    ("salford", "Salford", "north-west", 270_800),
    ("liverpool", "Liverpool", "north-west", 486_100),
    ("leeds", "Leeds", "yorkshire", 812_000),
    ("sheffield", "Sheffield", "yorkshire", 556_500),
    ("nottingham", "Nottingham", "east-midlands", 323_700),
    ("leicester", "Leicester", "east-midlands", 368_600),
    ("birmingham", "Birmingham", "west-midlands", 1_144_900),
    ("coventry", "Coventry", "west-midlands", 345_300),
    ("norwich", "Norwich", "east-of-england", 144_000),
    ("cambridge", "Cambridge", "east-of-england", 145_700),
    ("camden", "Camden", "london", 210_100),
    ("hackney", "Hackney", "london", 259_200),
    ("brighton", "Brighton and Hove", "south-east", 277_100),
    ("southampton", "Southampton", "south-east", 248_900),
    ("bristol", "Bristol", "south-west", 472_400),
    ("plymouth", "Plymouth", "south-west", 264_700),
]


def structure(scale: int = 1) -> dict:
    """The structure file (DESIGN.md §6) of the demo; larger scales add numbered local areas."""
    places = [{"slug": "england", "name": "England", "level": "nation", "population": 56_490_000}]
    places += [
        {"slug": s, "name": n, "level": "region", "parent": "england", "population": p}
        for s, n, p in REGIONS
    ]
    locals_ = list(LOCALS)
    for i in range(1, scale):  # synthetic areas for benchmarks, spread over the real regions
        for slug, name, region, population in LOCALS:
            locals_.append((f"{slug}-{i}", f"{name} {i}", region, population // 3))
    places += [
        {"slug": s, "name": n, "level": "local", "parent": r, "population": p}
        for s, n, r, p in locals_
    ]
    councils, links = [], []
    for service, _name, _description in SERVICES:
        councils.append({"slug": f"{service}-england", "service": service, "place": "england"})
        for region, _n, _p in REGIONS:
            councils.append({"slug": f"{service}-{region}", "service": service, "place": region})
            links.append(
                {"from": f"{service}-{region}", "to": f"{service}-england", "kind": "reports_to"}
            )
        for slug, _n, region, _p in locals_:
            councils.append({"slug": f"{service}-{slug}", "service": service, "place": slug})
            links.append(
                {"from": f"{service}-{slug}", "to": f"{service}-{region}", "kind": "reports_to"}
            )
            links.append({"from": f"{service}-{slug}", "to": f"forum-{slug}", "kind": "ringmaster"})
    for slug, _n, _r, _p in locals_:
        councils.append({"slug": f"forum-{slug}", "place": slug})
    return {
        "services": [{"slug": s, "name": n, "description": d} for s, n, d in SERVICES],
        "places": places,
        "councils": councils,
        "links": links,
    }
