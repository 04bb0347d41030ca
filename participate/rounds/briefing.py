"""What clerks and members do in a round's briefing: the clerk publishes the evidence pack
(its text, links and attached files); members ask questions and the clerk answers them.

Each use case first applies the round's schedule (`lifecycle.sync_round`), then the phase
table (`participate.councils.access.require_round`), and owns its transaction. What the
evidence pack takes (file types, sizes, links) and how it is read is `evidence`.
"""

from __future__ import annotations

import hashlib
import os
import secrets

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.councils.access import Standing, require_round, text_field
from participate.councils.services import clerks_of
from participate.errors import Conflict, DomainError, NotFound
from participate.extensions import db
from participate.markup import render_markdown
from participate.notifications.services import notify
from participate.rounds.evidence import (
    ANSWER_LIMIT,
    EVIDENCE_LIMIT,
    MAX_ATTACHMENTS,
    MAX_LINKS,
    QUESTION_LIMIT,
    attachment_path,
    check_upload,
    clean_url,
    get_attachment,
    upload_root,
)
from participate.rounds.items import item_of
from participate.rounds.lifecycle import sync_round
from participate.rounds.models import Attachment, EvidenceLink, Question, Round
from participate.util import utcnow


def _touch(round_: Round) -> None:
    db.session.execute(sa.update(Round).where(Round.id == round_.id).values(updated_at=utcnow()))


# ---------------------------------------------------------------- the evidence pack


def update_evidence(actor, round_: Round, *, text) -> Round:
    """The clerk publishes (or revises) the evidence pack's text, in briefing."""
    sync_round(round_)
    require_round(round_, "publish_evidence", actor)
    text = text_field(
        text,
        field="evidence",
        label="evidence pack",
        limit=EVIDENCE_LIMIT,
        hint="Summarise what members should read before the discussion.",
    )
    round_.evidence = text
    round_.evidence_html = render_markdown(text)
    round_.updated_at = utcnow()
    record_event(
        "round.evidence_published",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={"characters": len(text)},
    )
    db.session.commit()
    return round_


def add_link(actor, round_: Round, *, title, url) -> EvidenceLink:
    sync_round(round_)
    require_round(round_, "publish_evidence", actor)
    title = text_field(title, field="title", label="link's title", limit=200)
    url = clean_url(url)
    count = db.session.scalar(sa.select(sa.func.count()).where(EvidenceLink.round_id == round_.id))
    if count >= MAX_LINKS:
        raise DomainError(
            f"The evidence pack has {MAX_LINKS} links already: remove one first.",
            code="too_many_links",
            field="url",
        )
    link = EvidenceLink(round_id=round_.id, title=title, url=url, created_at=utcnow())
    db.session.add(link)
    db.session.flush()
    _touch(round_)
    record_event(
        "round.evidence_link_added",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={"title": title, "url": url},
    )
    db.session.commit()
    return link


def remove_link(actor, round_: Round, link_id) -> None:
    sync_round(round_)
    require_round(round_, "publish_evidence", actor)
    link = db.session.get(EvidenceLink, link_id) if isinstance(link_id, int) else None
    if link is None or link.round_id != round_.id:
        raise NotFound("That link is not in this round's evidence pack.")
    db.session.delete(link)
    _touch(round_)
    record_event(
        "round.evidence_link_removed",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={"title": link.title, "url": link.url},
    )
    db.session.commit()


def add_attachment(actor, round_: Round, *, filename: str, data: bytes) -> Attachment:
    """Attach a file to the evidence pack (briefing, clerks)."""
    sync_round(round_)
    require_round(round_, "publish_evidence", actor)
    name, content_type = check_upload(filename, data)
    count = db.session.scalar(sa.select(sa.func.count()).where(Attachment.round_id == round_.id))
    if count >= MAX_ATTACHMENTS:
        raise DomainError(
            f"The evidence pack has {MAX_ATTACHMENTS} files already: remove one first.",
            code="too_many_files",
            field="file",
        )
    stored = f"{secrets.token_hex(16)}{os.path.splitext(name)[1].lower()}"
    folder = upload_root() / str(round_.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored
    partial = folder / f".{stored}.part"
    partial.write_bytes(data)
    os.replace(partial, path)
    try:
        attachment = Attachment(
            round_id=round_.id,
            filename=name,
            stored_name=stored,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by_id=actor.id,
            created_at=utcnow(),
        )
        db.session.add(attachment)
        db.session.flush()
        _touch(round_)
        record_event(
            "round.attachment_added",
            actor=actor,
            council=round_.council_id,
            subject=round_,
            data={
                "file": name,
                "type": content_type,
                "size": len(data),
                "sha256": attachment.sha256,
            },
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return attachment


def remove_attachment(actor, round_: Round, attachment_id) -> None:
    sync_round(round_)
    require_round(round_, "publish_evidence", actor)
    attachment = get_attachment(round_, attachment_id)
    path = attachment_path(attachment)
    name = attachment.filename
    db.session.delete(attachment)
    _touch(round_)
    record_event(
        "round.attachment_removed",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={"file": name},
    )
    db.session.commit()
    path.unlink(missing_ok=True)


# ---------------------------------------------------------------- questions


def ask_question(actor, round_: Round, *, body, item_id=None) -> Question:
    """A member asks the clerk a question about the round or one of its items."""
    sync_round(round_)
    require_round(round_, "ask_question", actor)
    body = text_field(
        body,
        field="body",
        label="question",
        limit=QUESTION_LIMIT,
        hint="Ask what you need to know to take part.",
    )
    item = item_of(round_, item_id) if item_id not in (None, "", 0, "0") else None
    question = Question(
        round_id=round_.id,
        item_id=item.id if item is not None else None,
        author_id=actor.id,
        author_constituency=Standing(actor, round_.council).constituency,
        phase=round_.phase,
        body=body,
        body_html=render_markdown(body),
        created_at=utcnow(),
    )
    db.session.add(question)
    db.session.flush()
    _touch(round_)
    notify(
        (
            m.user_id
            for m in clerks_of(round_.council)
            if m.role == "clerk" and m.user_id != actor.id
        ),
        "round_question",
        f"{actor.name} asked a question in the round “{round_.title}”.",
        f"/rounds/{round_.id}#question-{question.id}",
    )
    db.session.commit()
    return question


def answer_question(actor, round_: Round, question: Question, *, answer) -> Question:
    """The clerk answers a question once (a guarded update: two clerks cannot both answer)."""
    sync_round(round_)
    require_round(round_, "answer_question", actor)
    answer = text_field(answer, field="answer", label="answer", limit=ANSWER_LIMIT)
    now = utcnow()
    answered = db.session.execute(
        sa.update(Question)
        .where(Question.id == question.id, Question.answered_at.is_(None))
        .values(
            answer=answer,
            answer_html=render_markdown(answer),
            answered_at=now,
            answered_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if answered != 1:
        db.session.rollback()
        raise Conflict(
            "This question has already been answered. Reload the round to read the answer.",
            code="already_answered",
        )
    _touch(round_)
    record_event(
        "round.question_answered",
        actor=actor,
        council=round_.council_id,
        subject=round_,
        data={"question": question.id},
    )
    notify(
        [question.author_id] if question.author_id != actor.id else [],
        "round_answer",
        f"{actor.name} answered your question in the round “{round_.title}”.",
        f"/rounds/{round_.id}#question-{question.id}",
    )
    db.session.commit()
    db.session.refresh(question)
    return question
