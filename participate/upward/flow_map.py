"""The forum map with a flow drawn on it: a proposal's path up, a consultation's spread down.

Reuses the forum map's layout (`participate.core.forum_graph.layered_layout`) and styles,
restricted to the service concerned and the place forums linked to it; the councils and
links the flow touched are highlighted, the rest dimmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from participate.core import forum_graph
from participate.councils.models import Council
from participate.councils.services import load_graph
from participate.errors import DomainError
from participate.extensions import db
from participate.params import int_arg
from participate.proposals.services import get_proposal
from participate.upward import answers, consultation_results, consultations, services

WIDTH, HEIGHT = 1200, 560


def flow_map_context(args: Mapping[str, str]) -> dict[str, Any]:
    proposal_id = int_arg(args, "proposal", None)
    consultation_id = int_arg(args, "consultation", None)
    if proposal_id is None and consultation_id is None:
        raise DomainError(
            "Say which flow to draw: /upward/map?proposal=<id> or ?consultation=<id>.",
            code="flow_required",
        )
    graph = load_graph()
    by_id = {}
    if proposal_id is not None:
        flow = _proposal_flow(proposal_id)
    else:
        flow = _consultation_flow(consultation_id)
    service = flow["service"]
    positions = forum_graph.layered_layout(
        graph, WIDTH, HEIGHT, services=[service] if service else None
    )
    slugs = list(positions)
    by_slug = {}
    for start in range(0, len(slugs), 900):
        for c in db.session.scalars(
            sa.select(Council).where(Council.slug.in_(slugs[start : start + 900]))
        ):
            by_slug[c.slug] = c
            by_id[c.id] = c
    on = {by_id[i].slug for i in flow["nodes"] if i in by_id}
    flow_edges = {
        (by_id[a].slug, by_id[b].slug) for a, b in flow["edges"] if a in by_id and b in by_id
    }
    edges = []
    for a, b, data in graph.edges(data=True):
        if a in positions and b in positions:
            edges.append((a, b, data.get("kind"), (a, b) in flow_edges))
    # Flow edges that are not links of the network (a referral) are drawn too.
    linked = {(a, b) for a, b, _k, _on in edges}
    edges += [
        (a, b, "referral", True)
        for a, b in flow_edges
        if (a, b) not in linked and a in positions and b in positions
    ]
    stance_of = {by_id[i].slug: s for i, s in flow.get("stances", {}).items() if i in by_id}
    return {
        **flow,
        "positions": positions,
        "councils": by_slug,
        "edges": edges,
        "on": on,
        "stance_of": stance_of,
        "answered_slugs": {by_id[i].slug for i in flow.get("answered", ()) if i in by_id},
        "width": WIDTH,
        "height": HEIGHT,
        "show_labels": len(positions) <= 160,
    }


def _proposal_flow(proposal_id: int) -> dict[str, Any]:
    proposal = get_proposal(proposal_id)
    origin = services.origin_of(proposal)
    root = get_proposal(origin.root_proposal_id) if origin else proposal
    forwards = services.forwards_of(root)
    nodes = {root.council_id, proposal.council_id}
    edges = set()
    for f in forwards:
        path = f.path or [f.from_council_id, f.to_council_id]
        nodes.update(path)
        edges.add((f.from_council_id, f.to_council_id))
        if f.origin_id is None and len(path) > 2:
            edges.update(zip(path, path[1:], strict=False))
    given = answers.answers_of_forwards(forwards)
    names = services.council_names(nodes)
    return {
        "kind": "proposal",
        "proposal": proposal,
        "root": root,
        "forwards": forwards,
        "given": given,
        "names": names,
        "nodes": nodes,
        "edges": edges,
        "answered": {f.to_council_id for f in forwards if f.answer_id},
        "service": root.council.service.slug if root.council.service else None,
    }


def _consultation_flow(consultation_id: int) -> dict[str, Any]:
    consultation = consultations.get_consultation(consultation_id)
    reached, stances = consultation_results.spread(consultation)
    nodes = {consultation.council_id, *reached}
    graph_edges = set()
    from participate.councils.models import ForumLink

    for a, b in db.session.execute(
        sa.select(ForumLink.from_council_id, ForumLink.to_council_id).where(
            ForumLink.kind == "reports_to"
        )
    ):
        if a in nodes and b in nodes:
            graph_edges.add((a, b))
    council = consultation.council
    return {
        "kind": "consultation",
        "consultation": consultation,
        "nodes": nodes,
        "edges": graph_edges,
        "stances": stances,
        "reached": len(reached),
        "service": council.service.slug if council.service else None,
    }
