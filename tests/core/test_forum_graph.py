"""The forum network: rules, walks up and down, and the layered picture."""

from __future__ import annotations

import pytest

from participate.core.forum_graph import (
    ForumGraphError,
    ancestors,
    build_graph,
    check_new_link,
    children,
    descendants,
    layered_layout,
    levels,
    parents,
    restrict_to_services,
)

NODES = [
    {"slug": "health-england", "level": "nation", "service": "health"},
    {"slug": "health-north-west", "level": "region", "service": "health"},
    {"slug": "health-manchester", "level": "local", "service": "health"},
    {"slug": "health-salford", "level": "local", "service": "health"},
    {"slug": "schools-england", "level": "nation", "service": "schools"},
    {"slug": "schools-manchester", "level": "local", "service": "schools"},
    {"slug": "forum-north-west", "level": "region", "service": None},
    {"slug": "forum-manchester", "level": "local"},  # a place forum: no service
    ("forum-salford", "local", None),
]
LINKS = [
    ("health-north-west", "health-england", "reports_to"),
    ("health-manchester", "health-north-west", "reports_to"),
    ("health-salford", "health-north-west", "reports_to"),
    ("health-manchester", "forum-manchester", "ringmaster"),
    ("health-salford", "forum-salford", "ringmaster"),
    {"from": "health-north-west", "to": "forum-north-west", "kind": "ringmaster"},
    ("schools-manchester", "schools-england", "reports_to"),
    ("schools-manchester", "forum-manchester", "ringmaster"),
    ("forum-manchester", "forum-north-west", "reports_to"),
    ("forum-salford", "forum-north-west", "reports_to"),
]


@pytest.fixture
def graph():
    return build_graph(NODES, LINKS)


def refusal(nodes, links) -> ForumGraphError:
    with pytest.raises(ForumGraphError) as caught:
        build_graph(nodes, links)
    return caught.value


def test_build_graph_keeps_levels_services_ranks_and_kinds(graph):
    assert graph.number_of_nodes() == len(NODES)
    assert graph.number_of_edges() == len(LINKS)
    assert graph.nodes["forum-manchester"] == {"level": "local", "service": None, "rank": 0}
    assert graph.nodes["health-england"] == {"level": "nation", "service": "health", "rank": 2}
    assert graph.edges["health-manchester", "forum-manchester"]["kind"] == "ringmaster"
    assert levels(graph)["health-north-west"] == "region"


@pytest.mark.parametrize(
    ("link", "named"),
    [
        (("health-manchester", "health-leeds", "reports_to"), ["health-leeds", "unknown council"]),
        (("police-york", "health-england", "reports_to"), ["police-york", "unknown council"]),
        (("health-salford", "health-salford", "reports_to"), ["health-salford", "itself"]),
        (("health-salford", "forum-north-west", "elects"), ["health-salford", "unknown kind"]),
        # reports_to must go strictly up...
        (("health-salford", "health-manchester", "reports_to"), ["health-manchester", "higher"]),
        (("health-england", "health-manchester", "reports_to"), ["health-england", "higher"]),
        # ...within one service; place forums report to place forums.
        (("health-salford", "schools-england", "reports_to"), ["schools", "one service"]),
        (("health-salford", "forum-north-west", "reports_to"), ["forum-north-west", "service"]),
        (("forum-salford", "health-north-west", "reports_to"), ["forum-salford", "service"]),
        # ringmaster: service council -> place forum at the same or a higher level.
        (("forum-salford", "forum-manchester", "ringmaster"), ["forum-salford", "only a service"]),
        (("health-salford", "health-england", "ringmaster"), ["health-england", "place forum"]),
        (("health-north-west", "forum-salford", "ringmaster"), ["forum-salford", "below"]),
    ],
)
def test_each_rule_refuses_a_link_and_names_it(link, named):
    error = refusal(NODES, [*LINKS, link])
    assert len(error.problems) >= 1
    message = str(error)
    for text in [link[0], link[1], *named]:
        assert text in message


@pytest.mark.parametrize(
    "link",
    [
        ("health-manchester", "forum-manchester", "ringmaster"),  # ringmaster at the same level
        ("health-salford", "forum-north-west", "ringmaster"),  # ringmaster to a higher level
        ("forum-north-west", "forum-england", "reports_to"),  # forum up to a forum
    ],
)
def test_allowed_links_pass(link):
    nodes = [*NODES, ("forum-england", "nation", None)]
    links = [existing for existing in LINKS if existing != link]
    graph = build_graph(nodes, [*links, link])
    assert graph.has_edge(link[0], link[1])


def test_duplicate_council_slug_is_named():
    error = refusal([*NODES, ("health-salford", "local", "health")], LINKS)
    assert error.problems == ["council health-salford: slug used 2 times"]


def test_duplicate_link_is_named_once_whatever_the_kind():
    again = ("health-salford", "forum-salford", "ringmaster")
    error = refusal(NODES, [*LINKS, again, again])
    assert error.problems == ["link health-salford -> forum-salford: listed 3 times"]


def test_a_duplicate_link_with_its_own_fault_reports_both():
    again = ("health-salford", "forum-salford", "reports_to")
    error = refusal(NODES, [*LINKS, again, again])
    assert error.problems[-1] == "link health-salford -> forum-salford: listed 3 times"
    assert sum("reports_to must go to a higher level" in p for p in error.problems) == 1


def test_unknown_level_is_named():
    error = refusal([*NODES, ("health-wigan", "county", "health")], LINKS)
    assert "council health-wigan: unknown level 'county'" in error.problems[0]


def test_cycle_is_named_with_its_slugs():
    # A forum reporting down to a forum closes a loop; both rules are reported.
    error = refusal(NODES, [*LINKS, ("forum-north-west", "forum-manchester", "reports_to")])
    assert any("higher level" in problem for problem in error.problems)
    assert "cycle: forum-manchester -> forum-north-west -> forum-manchester" in error.problems


def test_every_problem_is_reported_together():
    error = refusal(
        [*NODES, ("forum-salford", "local", None), ("health-wigan", "parish", "health")],
        [
            *LINKS,
            ("health-wigan", "health-north-west", "reports_to"),  # fine apart from its level
            ("health-bolton", "health-north-west", "reports_to"),  # unknown council
            ("health-salford", "health-salford", "ringmaster"),  # self link
            ("health-england", "health-north-west", "reports_to"),  # downward, makes a cycle
            ("schools-manchester", "schools-england", "reports_to"),  # duplicate
        ],
    )
    message = str(error)
    assert len(error.problems) == 7, message
    assert message.startswith("forum network refused, 7 problems:")
    for slug in ["forum-salford", "health-wigan", "health-bolton", "health-salford"]:
        assert slug in message
    assert "cycle: health-england -> health-north-west -> health-england" in message
    assert "link schools-manchester -> schools-england: listed 2 times" in message


def test_error_is_a_value_error_with_readable_text():
    error = ForumGraphError(["link a -> b (reports_to): unknown council b"])
    assert isinstance(error, ValueError)
    assert str(error) == "forum network refused: link a -> b (reports_to): unknown council b"


def test_parents_and_children(graph):
    assert parents(graph, "health-manchester") == ["forum-manchester", "health-north-west"]
    assert parents(graph, "health-manchester", kind="reports_to") == ["health-north-west"]
    assert parents(graph, "health-england") == []
    assert children(graph, "forum-manchester") == ["health-manchester", "schools-manchester"]
    assert children(graph, "health-north-west", kind="ringmaster") == []


def test_ancestors_are_where_forwarded_proposals_may_go(graph):
    assert ancestors(graph, "health-manchester") == {
        "health-north-west",
        "health-england",
        "forum-manchester",
        "forum-north-west",
    }
    assert ancestors(graph, "health-england") == set()


def test_descendants_are_where_a_consultation_cascades(graph):
    assert descendants(graph, "health-england") == {
        "health-north-west",
        "health-manchester",
        "health-salford",
    }
    assert descendants(graph, "forum-north-west") == {
        "forum-manchester",
        "forum-salford",
        "health-manchester",
        "health-salford",
        "health-north-west",
        "schools-manchester",
    }


@pytest.mark.parametrize("walk", [parents, children, ancestors, descendants])
def test_walks_refuse_an_unknown_council(graph, walk):
    with pytest.raises(ForumGraphError, match="unknown council health-leeds"):
        walk(graph, "health-leeds")


def test_check_new_link_accepts_a_valid_link_without_adding_it(graph):
    graph.add_node("health-bolton", level="local", service="health", rank=0)
    check_new_link(graph, "health-bolton", "health-north-west", "reports_to")
    assert not graph.has_edge("health-bolton", "health-north-west")


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            ("health-england", "health-manchester", "reports_to"),
            [
                "is not above health-england (nation); reports_to must go to a higher level",
                "would close a cycle: health-england -> health-manchester -> "
                "health-north-west -> health-england",
            ],
        ),
        (
            ("forum-north-west", "forum-manchester", "reports_to"),
            [
                "reports_to must go to a higher level",
                "would close a cycle: forum-north-west -> forum-manchester -> forum-north-west",
            ],
        ),
        (("health-manchester", "forum-manchester", "ringmaster"), ["already exists (ringmaster)"]),
        (("health-manchester", "health-leeds", "reports_to"), ["unknown council health-leeds"]),
    ],
)
def test_check_new_link_refuses_without_mutating(graph, link, expected):
    before = (list(graph.nodes(data=True)), list(graph.edges(data=True)))
    with pytest.raises(ForumGraphError) as caught:
        check_new_link(graph, *link)
    assert len(caught.value.problems) == len(expected)
    for problem, text in zip(caught.value.problems, expected, strict=True):
        assert text in problem
    assert (list(graph.nodes(data=True)), list(graph.edges(data=True))) == before


def test_layout_rows_go_nation_region_local_and_stay_in_bounds(graph):
    positions = layered_layout(graph, 800, 600)
    assert set(positions) == set(graph)
    for x, y in positions.values():
        assert 0 < x < 800 and 0 < y < 600
    ys = {level: set() for level in ("nation", "region", "local")}
    for slug, level in levels(graph).items():
        ys[level].add(positions[slug][1])
    assert max(ys["nation"]) < min(ys["region"])
    assert max(ys["region"]) < min(ys["local"])
    # Forums sit above the service councils of their level, so every link points up.
    for child, parent in graph.edges:
        assert positions[parent][1] < positions[child][1]


def test_layout_spreads_a_row_evenly_and_keeps_children_under_their_parents():
    nodes = [("a-nation", "nation", "a"), ("b-nation", "nation", "b")]
    links = []
    for service in "ba":  # listed in the "wrong" order on purpose
        for n in range(3):
            nodes.append((f"{service}-{n}", "region", service))
            links.append((f"{service}-{n}", f"{service}-nation", "reports_to"))
    positions = layered_layout(build_graph(nodes, links), 600, 200)
    row = sorted((x, slug) for slug, (x, y) in positions.items() if y == positions["a-0"][1])
    assert [slug for _x, slug in row] == ["a-0", "a-1", "a-2", "b-0", "b-1", "b-2"]
    assert [x for x, _slug in row] == [50, 150, 250, 350, 450, 550]
    assert positions["a-nation"][0] < positions["b-nation"][0]


def test_layout_for_some_services_keeps_only_linked_forums(graph):
    positions = layered_layout(graph, 400, 300, services=["schools"])
    assert set(positions) == {"schools-england", "schools-manchester", "forum-manchester"}
    assert set(restrict_to_services(graph, ["nothing"])) == set()
    assert layered_layout(graph, 400, 300, services=[]) == {}


def generated_network(services=10, regions=9, locals_per_region=110):
    """10 services x (1 national + 9 regional + 990 local councils), plus local forums."""
    nodes, links = [], []
    for s in range(services):
        service = f"s{s}"
        nodes.append((f"{service}-nation", "nation", service))
        for r in range(regions):
            nodes.append((f"{service}-r{r}", "region", service))
            links.append((f"{service}-r{r}", f"{service}-nation", "reports_to"))
            for n in range(locals_per_region):
                place = f"r{r}-{n}"
                nodes.append((f"{service}-{place}", "local", service))
                links.append((f"{service}-{place}", f"{service}-r{r}", "reports_to"))
                links.append((f"{service}-{place}", f"forum-{place}", "ringmaster"))
    for r in range(regions):
        nodes.extend((f"forum-r{r}-{n}", "local", None) for n in range(locals_per_region))
    return nodes, links


def test_a_ten_thousand_council_network_builds_and_answers():
    nodes, links = generated_network()
    graph = build_graph(nodes, links)
    assert sum(1 for _slug, service in graph.nodes(data="service") if service) == 10_000
    assert graph.number_of_edges() == len(links) == 19_890
    assert ancestors(graph, "s3-r4-57") == {"s3-r4", "s3-nation", "forum-r4-57"}
    assert len(descendants(graph, "s3-nation")) == 9 + 990
    assert children(graph, "forum-r4-57") == [f"s{s}-r4-57" for s in range(10)]
    assert parents(graph, "s3-r4-57") == ["forum-r4-57", "s3-r4"]


def test_a_large_network_reports_every_broken_link():
    nodes, links = generated_network(services=2, regions=3, locals_per_region=50)
    broken = [
        (f"s0-r{r}-{n}", f"s1-r{r}", "reports_to") for r in range(3) for n in range(0, 50, 10)
    ]
    error = refusal(nodes, links + broken)
    assert len(error.problems) == len(broken) == 15
    assert all("one service" in problem for problem in error.problems)
