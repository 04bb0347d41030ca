"""The minutes of a round, generated from the record: participants by constituency,
questions and answers, contributions per item, amendments and their fate, tallies,
decisions and minority reports.

`build` reads the record into one JSON-ready dict; the page, the Markdown download and the
JSON are all rendered from that dict. It is published (stored on the round) when the
round closes, so the minutes do not change afterwards; in the closed phase a clerk may
republish them with a note (the table's ``publish_minutes``), which regenerates them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.councils.access import require_round, text_field
from participate.councils.models import CONSTITUENCIES, CONSTITUENCY_LABELS
from participate.errors import DomainError
from participate.extensions import db
from participate.rounds.evidence import attachments_of, links_of, questions_of
from participate.rounds.items import items_of
from participate.rounds.models import PHASE_LABELS, AgendaItem, PhaseChange, Round
from participate.rounds.participation import KIND_LABELS, contributors, participation
from participate.util import utcnow
from participate.votes.models import METHOD_LABELS, Motion

COMMENTS_SHOWN = 200


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _phase_log(round_: Round) -> list[dict]:
    from participate.accounts.models import User

    rows = db.session.execute(
        sa.select(PhaseChange, User.name)
        .outerjoin(User, User.id == PhaseChange.actor_id)
        .where(PhaseChange.round_id == round_.id)
        .order_by(PhaseChange.id)
    ).all()
    log = [{"phase": "briefing", "at": _iso(round_.created_at), "by": "clerk"}]
    log += [
        {
            "phase": change.to_phase,
            "at": _iso(change.at),
            "by": name if change.cause == "clerk" and name else "schedule",
        }
        for change, name in rows
    ]
    return log


def _amendments(proposal_id: int, round_: Round) -> list[dict]:
    from participate.accounts.models import User
    from participate.proposals.models import Amendment

    where = [Amendment.proposal_id == proposal_id, Amendment.created_at >= round_.created_at]
    if round_.closed_at is not None:
        where.append(Amendment.created_at <= round_.closed_at)
    rows = db.session.execute(
        sa.select(Amendment, User.name)
        .join(User, User.id == Amendment.author_id)
        .where(*where)
        .order_by(Amendment.id)
    ).all()
    return [
        {
            "id": a.id,
            "author": name,
            "constituency": a.author_constituency,
            "reason": a.reason,
            "status": a.status,
            "response": a.response,
            "resulting_version": a.resulting_version,
        }
        for a, name in rows
    ]


def _comment_counts(proposal_id: int, round_: Round) -> dict:
    from participate.proposals.models import Comment

    where = [Comment.proposal_id == proposal_id, Comment.created_at >= round_.created_at]
    if round_.closed_at is not None:
        where.append(Comment.created_at <= round_.closed_at)
    rows = db.session.execute(
        sa.select(Comment.author_constituency, Comment.stance, sa.func.count())
        .where(*where)
        .group_by(Comment.author_constituency, Comment.stance)
    ).all()
    by_stance: dict[str, int] = {}
    by_constituency: dict[str, int] = {}
    for constituency, stance, n in rows:
        by_stance[stance] = by_stance.get(stance, 0) + n
        by_constituency[constituency] = by_constituency.get(constituency, 0) + n
    return {
        "comments": sum(by_stance.values()),
        "by_stance": by_stance,
        "by_constituency": by_constituency,
    }


def _motion(item: AgendaItem) -> dict | None:
    if item.motion_id is None:
        return None
    motion = db.session.get(Motion, item.motion_id)
    if motion is None:
        return None
    return {
        "id": motion.id,
        "title": motion.title,
        "method": motion.method,
        "kind": motion.kind,
        "status": motion.status,
        # Results are secret until voting closes.
        "result": motion.result if motion.status == "closed" else None,
        "url": f"/motions/{motion.id}",
    }


def _item(round_: Round, item: AgendaItem, positions: dict[int, int]) -> dict:
    data: dict = {
        "position": item.position,
        "kind": item.kind,
        "id": item.subject_id,
        "title": item.title,
        "url": item.subject_url,
        "merged_into": positions.get(item.merged_into_id) if item.merged_into_id else None,
        "merge_reason": item.merge_reason or None,
        "method": item.method,
        "options": item.options,
        "contributions": None,
        "amendments": [],
        "motion": _motion(item),
        "decision": item.decision,
        "reasons": item.reasons or None,
        "minority_report": item.minority_report or None,
        "decided_at": _iso(item.decided_at),
    }
    if item.kind == "proposal":
        data["contributions"] = _comment_counts(item.proposal_id, round_) | {
            "speakers": contributors(round_, item.proposal_id)[:COMMENTS_SHOWN]
        }
        data["amendments"] = _amendments(item.proposal_id, round_)
    return data


def _questions(round_: Round, positions: dict[int, int]) -> list[dict]:
    return [
        {
            "id": q.id,
            "item": positions.get(q.item_id) if q.item_id else None,
            "author": q.author.name,
            "constituency": q.author_constituency,
            "asked_in": q.phase,
            "question": q.body,
            "answer": q.answer or None,
        }
        for q in questions_of(round_)
    ]


def build(round_: Round, now: datetime | None = None, *, note: str = "") -> dict:
    """The minutes as a JSON-ready dict, from the record as it stands."""
    items = items_of(round_)
    positions = {i.id: i.position for i in items}
    taking_part = participation(round_)
    return {
        "round": {
            "id": round_.id,
            "title": round_.title,
            "council": {"slug": round_.council.slug, "name": round_.council.name},
            "purpose": round_.purpose,
            "phase": round_.phase,
            "opened_at": _iso(round_.created_at),
            "closed_at": _iso(round_.closed_at),
            "schedule": {p: _iso(e) for p, e in round_.planned_ends().items()},
            "phases": _phase_log(round_),
        },
        "generated_at": _iso(now or utcnow()),
        "participants": taking_part.as_json(),
        "evidence": {
            "links": [{"title": link.title, "url": link.url} for link in links_of(round_)],
            "attachments": [
                {"filename": a.filename, "type": a.content_type, "size": a.size, "sha256": a.sha256}
                for a in attachments_of(round_)
            ],
        },
        "questions": _questions(round_, positions),
        "items": [_item(round_, item, positions) for item in items],
        "clerk_note": note or None,
    }


def publish(round_: Round, *, now: datetime, note: str = "") -> None:
    """Store the minutes on the round (inside the closing transaction)."""
    minutes = build(round_, now, note=note)
    minutes["version"] = (round_.minutes_version or 0) + 1
    minutes["published_at"] = _iso(now)
    round_.minutes = minutes
    round_.minutes_version = minutes["version"]
    round_.minutes_published_at = now
    record_event(
        "round.minutes_published",
        actor=None,
        council=round_.council_id,
        subject=round_,
        data={"version": minutes["version"], "items": len(minutes["items"])},
    )


def republish(actor, round_: Round, *, note) -> Round:
    """In the closed phase a clerk republishes the minutes with a note (e.g. a correction)."""
    require_round(round_, "publish_minutes", actor)
    note = text_field(
        note,
        field="note",
        label="note on the minutes",
        limit=5000,
        hint="Say what the republished minutes add or correct.",
    )
    now = utcnow()
    minutes = build(round_, now, note=note)
    minutes["version"] = (round_.minutes_version or 0) + 1
    minutes["published_at"] = _iso(now)
    changed = db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id, Round.minutes_version == round_.minutes_version)
        .values(
            minutes=minutes,
            minutes_version=minutes["version"],
            minutes_published_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise DomainError(
            "Another clerk republished the minutes meanwhile. Reload them.",
            code="minutes_changed",
            status=409,
        )
    record_event(
        "round.minutes_published",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={"version": minutes["version"], "note": note},
    )
    db.session.commit()
    db.session.refresh(round_)
    return round_


def published(round_: Round) -> dict:
    if not round_.is_closed or round_.minutes is None:
        raise DomainError(
            "The minutes are published when the round closes"
            + (
                f" (planned for {round_.outcome_ends_at:%-d %b %Y, %H:%M} UTC)."
                if round_.outcome_ends_at
                else "."
            )
            + " Until then, follow the round's page.",
            code="minutes_not_published",
            status=404,
        )
    return round_.minutes


# ---------------------------------------------------------------- Markdown


def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _label(c: str) -> str:
    return CONSTITUENCY_LABELS.get(c, c)


def result_lines(result: dict) -> list[str]:
    """A tally in Markdown: the headline and a table by constituency."""
    method = result.get("method")
    lines = []
    if method == "schulze":
        winner = result.get("winner")
        lines.append(
            f"**{'Winner: ' + winner if winner else 'No decision'}**. Ranking: "
            + " > ".join(result.get("ranking", []))
            + "."
        )
        lines += [
            "",
            "| Constituency | Eligible | Voted | Turnout | Counts | Preferred |",
            "|---|---:|---:|---:|---|---|",
        ]
        for c, row in result.get("constituencies", {}).items():
            lines.append(
                f"| {_label(c)} | {row.get('eligible', 0)} | {row.get('voted', 0)} | "
                f"{_pct(row.get('turnout'))} | {'yes' if row.get('counts') else 'no'} | "
                f"{', '.join(row.get('winners') or []) or '–'} |"
            )
    elif method == "consent":
        lines.append(
            f"**{'Proceeds' if result.get('passed') else 'Blocked'}**: "
            f"{result.get('objections', 0)} objection(s), {result.get('consents', 0)} consent(s)."
        )
        lines += [
            "",
            "| Constituency | Eligible | Voted | Consents | Objections |",
            "|---|---:|---:|---:|---:|",
        ]
        for c, row in result.get("constituencies", {}).items():
            lines.append(
                f"| {_label(c)} | {row.get('eligible', 0)} | {row.get('voted', 0)} | "
                f"{row.get('consents', 0)} | {row.get('objections', 0)} |"
            )
    else:
        lines.append(
            f"**{'Passed' if result.get('passed') else 'Not passed'}**: weighted support "
            f"{_pct(result.get('weighted_support'))} (threshold "
            f"{_pct((result.get('rules') or {}).get('threshold'))})."
        )
        lines += [
            "",
            "| Constituency | Eligible | Voted | Turnout | Yes | No | Abstain | Support | Counts |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for c, row in result.get("constituencies", {}).items():
            lines.append(
                f"| {_label(c)} | {row.get('eligible', 0)} | {row.get('voted', 0)} | "
                f"{_pct(row.get('turnout'))} | {row.get('yes', 0)} | {row.get('no', 0)} | "
                f"{row.get('abstain', 0)} | {_pct(row.get('support'))} | "
                f"{'yes' if row.get('counts') else 'no'} |"
            )
    for reason in result.get("reasons") or []:
        lines.append(f"\n- {reason}")
    if result.get("minority"):
        lines.append("\nMinority: " + ", ".join(_label(c) for c in result["minority"]) + ".")
    return lines


def to_markdown(minutes: dict) -> str:
    """The minutes as a Markdown document (the download)."""
    r = minutes["round"]
    out = [
        f"# Minutes: {r['title']}",
        "",
        f"{r['council']['name']} · round {r['id']} · opened {r['opened_at']} · closed "
        f"{r['closed_at'] or '(not yet)'}"
        + (
            f" · minutes version {minutes.get('version')}, published {minutes.get('published_at')}"
            if minutes.get("version")
            else ""
        ),
        "",
        "## Purpose",
        "",
        r["purpose"],
        "",
        "## Phases",
        "",
    ]
    out += [f"- {PHASE_LABELS[p['phase']]}: from {p['at']} ({p['by']})" for p in r["phases"]]
    if minutes.get("clerk_note"):
        out += ["", "## Clerk's note", "", minutes["clerk_note"]]
    people = minutes["participants"]
    out += [
        "",
        "## Participants by constituency",
        "",
        f"{people['people']} members took part.",
        "",
        "| Constituency | Took part | " + " | ".join(KIND_LABELS.values()) + " |",
        "|---|---:|" + "---:|" * len(KIND_LABELS),
    ]
    for c in CONSTITUENCIES:
        out.append(
            f"| {_label(c)} | {people['by_constituency'].get(c, 0)} | "
            + " | ".join(str(people["by_kind"][k].get(c, 0)) for k in KIND_LABELS)
            + " |"
        )
    evidence = minutes["evidence"]
    if evidence["links"] or evidence["attachments"]:
        out += ["", "## Evidence pack", ""]
        out += [f"- [{link['title']}]({link['url']})" for link in evidence["links"]]
        out += [
            f"- {a['filename']} ({a['type']}, {a['size']:,} bytes, sha256 {a['sha256'][:12]}…)"
            for a in evidence["attachments"]
        ]
    if minutes["questions"]:
        out += ["", "## Questions and answers", ""]
        for q in minutes["questions"]:
            about = f" (item {q['item']})" if q["item"] else ""
            out += [
                f"**{q['author']}** ({_label(q['constituency'])}, {q['asked_in']}){about}: "
                f"{q['question']}",
                "",
                f"> {q['answer']}" if q["answer"] else "> Not answered.",
                "",
            ]
    out += ["", "## Agenda items"]
    for item in minutes["items"]:
        out += [
            "",
            f"### {item['position']}. {item['title']}",
            "",
            f"{item['kind'].capitalize()} {item['id']}: {item['url']}",
        ]
        if item["merged_into"]:
            out += ["", f"Merged into item {item['merged_into']}: {item['merge_reason']}"]
        contributions = item.get("contributions")
        if contributions:
            stances = ", ".join(f"{s} {n}" for s, n in sorted(contributions["by_stance"].items()))
            out += [
                "",
                f"**Contributions:** {contributions['comments']} comment(s)"
                + (f" ({stances})" if stances else "")
                + ".",
            ]
            for speaker in contributions["speakers"]:
                said = ", ".join(f"{s} {n}" for s, n in sorted(speaker["stances"].items()))
                out.append(f"- {speaker['name']} ({_label(speaker['constituency'])}): {said}")
        if item["amendments"]:
            out += ["", "**Amendments:**"]
            for a in item["amendments"]:
                fate = a["status"] + (
                    f" (version {a['resulting_version']})" if a["resulting_version"] else ""
                )
                out.append(
                    f"- {a['author']} ({_label(a['constituency'])}): {a['reason']} — "
                    f"**{fate}**" + (f": {a['response']}" if a["response"] else "")
                )
        motion = item["motion"]
        if motion:
            out += [
                "",
                f"**Motion:** {motion['title']} ({METHOD_LABELS.get(motion['method'], motion['method'])}"
                + (", governance" if motion["kind"] == "governance" else "")
                + ")",
                "",
            ]
            out += result_lines(motion["result"]) if motion["result"] else ["Voting not closed."]
        if item["decision"]:
            out += ["", f"**Decision: {item['decision']}.** {item['reasons'] or ''}"]
        if item["minority_report"]:
            out += ["", "**Minority report:**", "", item["minority_report"]]
    return "\n".join(out).rstrip() + "\n"
