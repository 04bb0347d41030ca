"""The briefing: the evidence pack (Markdown text, links, attached files) and members'
questions answered by the clerk.

Attachments are PDF, PNG or JPEG files up to `attachment_limit()` bytes (10 MB unless
``ROUNDS_ATTACHMENT_MAX`` says otherwise). The type is read from the file's first bytes
(its "magic number"), never trusted from the name or the browser, and the name's
extension must agree with it. Files are stored under ``<INSTANCE_PATH>/uploads/rounds/
<round id>/`` with a random name; the database row is written only once the file is on
disk, and the file is removed again if the row cannot be committed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from werkzeug.utils import secure_filename

from participate.audit.services import record_event
from participate.councils.access import Standing, require_round, text_field
from participate.errors import Conflict, DomainError, NotFound
from participate.extensions import db
from participate.markup import render_markdown
from participate.notifications.services import notify
from participate.rounds.items import item_of
from participate.rounds.lifecycle import sync_round
from participate.rounds.models import Attachment, EvidenceLink, Question, Round
from participate.util import utcnow

EVIDENCE_LIMIT = 50_000
QUESTION_LIMIT = 3_000
ANSWER_LIMIT = 5_000
DEFAULT_ATTACHMENT_MAX = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20
MAX_LINKS = 30

# content type -> (magic prefix, extensions allowed for it, label)
FILE_TYPES = {
    "application/pdf": ((b"%PDF-",), (".pdf",), "PDF document"),
    "image/png": ((b"\x89PNG\r\n\x1a\n",), (".png",), "PNG image"),
    "image/jpeg": ((b"\xff\xd8\xff",), (".jpg", ".jpeg"), "JPEG image"),
}


def attachment_limit() -> int:
    return int(current_app.config.get("ROUNDS_ATTACHMENT_MAX", DEFAULT_ATTACHMENT_MAX))


def upload_root() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "rounds"


def attachment_path(attachment: Attachment) -> Path:
    return upload_root() / str(attachment.round_id) / attachment.stored_name


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def _touch(round_: Round) -> None:
    db.session.execute(sa.update(Round).where(Round.id == round_.id).values(updated_at=utcnow()))


# ---------------------------------------------------------------- evidence text and links


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


def clean_url(url) -> str:
    url = text_field(url, field="url", label="link address", limit=2000)
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.netloc and " " not in url:
        raise DomainError(
            "Give the secure address, starting with https:// as members' browsers expect: "
            f"https://{url[len('http://') :]} works for most sites.",
            code="bad_url",
            field="url",
        )
    if parts.scheme != "https" or not parts.netloc or " " in url:
        raise DomainError(
            "A link must be a full web address starting with https://, "
            "for example https://www.england.nhs.uk/.",
            code="bad_url",
            field="url",
        )
    return url


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


# ---------------------------------------------------------------- attachments


def sniff_type(head: bytes) -> str | None:
    """The content type the file's first bytes show, or None for anything not allowed."""
    for content_type, (magics, _exts, _label) in FILE_TYPES.items():
        if any(head.startswith(magic) for magic in magics):
            return content_type
    return None


def _allowed_words() -> str:
    return "PDF documents and PNG or JPEG images"


def check_upload(filename: str, data: bytes) -> tuple[str, str]:
    """Refuse a file that is empty, too large or not truly a PDF/PNG/JPEG; return
    (clean file name, content type)."""
    limit = attachment_limit()
    name = secure_filename(filename or "")[:120]
    if not data:
        raise DomainError(
            "Choose a file to attach: the upload was empty.", code="empty_file", field="file"
        )
    if len(data) > limit:
        raise DomainError(
            f"“{filename}” is {_megabytes(len(data))}; attachments are limited to "
            f"{_megabytes(limit)}. Compress it or link to it instead.",
            code="file_too_large",
            field="file",
            status=413,
        )
    content_type = sniff_type(data[:16])
    extension = os.path.splitext(name)[1].lower()
    if content_type is None:
        raise DomainError(
            f"“{filename}” is not a file type the evidence pack takes: only "
            f"{_allowed_words()} can be attached (the file's content is checked, not just its "
            "name). Convert it, or add a link to it instead.",
            code="file_type_forbidden",
            field="file",
            status=415,
        )
    magics, extensions, label = FILE_TYPES[content_type]
    if extension not in extensions:
        raise DomainError(
            f"“{filename}” contains a {label} but its name ends in "
            f"“{extension or 'nothing'}”: rename it to end in {' or '.join(extensions)}.",
            code="file_type_mismatch",
            field="file",
            status=415,
        )
    return name or f"attachment{extensions[0]}", content_type


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


def get_attachment(round_: Round, attachment_id) -> Attachment:
    attachment = (
        db.session.get(Attachment, attachment_id) if isinstance(attachment_id, int) else None
    )
    if attachment is None or attachment.round_id != round_.id:
        raise NotFound("That file is not in this round's evidence pack.")
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


def attachments_of(round_: Round) -> list[Attachment]:
    return list(
        db.session.scalars(
            sa.select(Attachment).where(Attachment.round_id == round_.id).order_by(Attachment.id)
        )
    )


def links_of(round_: Round) -> list[EvidenceLink]:
    return list(
        db.session.scalars(
            sa.select(EvidenceLink)
            .where(EvidenceLink.round_id == round_.id)
            .order_by(EvidenceLink.id)
        )
    )


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
    from participate.councils.services import clerks_of

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


def get_question(round_: Round, question_id) -> Question:
    question = db.session.get(Question, question_id) if isinstance(question_id, int) else None
    if question is None or question.round_id != round_.id:
        raise NotFound("That question was not asked in this round.")
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


def questions_of(round_: Round) -> list[Question]:
    return list(
        db.session.scalars(
            sa.select(Question)
            .where(Question.round_id == round_.id)
            .options(selectinload(Question.author), selectinload(Question.answered_by))
            .order_by(Question.id)
        )
    )
