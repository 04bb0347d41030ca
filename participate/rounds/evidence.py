"""The evidence pack of a round's briefing (Markdown text, links, attached files) and
members' questions: what the pack takes, and reading it back. The briefing's use cases
(publishing, asking, answering) are `briefing`.

Attachments are PDF, PNG or JPEG files up to `attachment_limit()` bytes (10 MB unless
``ROUNDS_ATTACHMENT_MAX`` says otherwise). The type is read from the file's first bytes
(its "magic number"), never trusted from the name or the browser, and the name's
extension must agree with it. Files are stored under ``<INSTANCE_PATH>/uploads/rounds/
<round id>/`` with a random name; the database row is written only once the file is on
disk, and the file is removed again if the row cannot be committed.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from werkzeug.utils import secure_filename

from participate.councils.access import text_field
from participate.errors import DomainError, NotFound
from participate.extensions import db
from participate.rounds.models import Attachment, EvidenceLink, Question, Round

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


# ---------------------------------------------------------------- links


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


def get_attachment(round_: Round, attachment_id) -> Attachment:
    attachment = (
        db.session.get(Attachment, attachment_id) if isinstance(attachment_id, int) else None
    )
    if attachment is None or attachment.round_id != round_.id:
        raise NotFound("That file is not in this round's evidence pack.")
    return attachment


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


def get_question(round_: Round, question_id) -> Question:
    question = db.session.get(Question, question_id) if isinstance(question_id, int) else None
    if question is None or question.round_id != round_.id:
        raise NotFound("That question was not asked in this round.")
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
