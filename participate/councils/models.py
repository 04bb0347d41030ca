"""Services, places, councils, their constitutions, forum links and memberships."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.util import utcnow

LEVELS = ("nation", "region", "local")
CONSTITUENCIES = ("citizen", "employee", "leader", "elected", "partner")
CONSTITUENCY_LABELS = {
    "citizen": "Citizens",
    "employee": "Employees",
    "leader": "Service leaders",
    "elected": "Elected members",
    "partner": "Partner organisations",
}
MEMBERSHIP_STATUSES = ("pending", "active", "suspended", "declined")
ROLES = ("member", "clerk", "minister")
LINK_KINDS = ("reports_to", "ringmaster")

DEFAULT_SETTINGS = {
    "weights": {c: 1 for c in CONSTITUENCIES},
    "quorum": 0.1,
    "threshold": 0.5,
    "governance_threshold": 2 / 3,
    "min_constituencies": 2,
    "concurrent_majority": False,
    "petition_minimum": 100,
    "petition_rate": 0.01,
    "petition_sponsors": 5,
    "petition_response_days": 60,
}


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Service(db.Model):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class Place(db.Model):
    __tablename__ = "places"
    __table_args__ = (sa.CheckConstraint(f"level IN ({_in(LEVELS)})", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    level: Mapped[str] = mapped_column(sa.String(10))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("places.id"), index=True)
    population: Mapped[int | None] = mapped_column(sa.Integer)

    parent = relationship("Place", remote_side=[id], backref="children")


class Council(db.Model):
    """A leadership council of one service in one place, or a place forum (no service)."""

    __tablename__ = "councils"
    __table_args__ = (
        sa.Index(
            "uq_councils_service_place",
            "service_id",
            "place_id",
            unique=True,
            sqlite_where=sa.text("service_id IS NOT NULL"),
            postgresql_where=sa.text("service_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_councils_forum_place",
            "place_id",
            unique=True,
            sqlite_where=sa.text("service_id IS NULL"),
            postgresql_where=sa.text("service_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("services.id"))
    place_id: Mapped[int] = mapped_column(sa.ForeignKey("places.id"), index=True)
    remit: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    service = relationship(Service, lazy="joined")
    place = relationship(Place, lazy="joined")

    @property
    def level(self) -> str:
        return self.place.level

    @property
    def is_forum(self) -> bool:
        return self.service_id is None


class ConstitutionVersion(db.Model):
    """One version of a council's constitution: text and governance settings. Never edited."""

    __tablename__ = "constitution_versions"
    __table_args__ = (sa.UniqueConstraint("council_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    purpose: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    values_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    promises: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    settings: Mapped[dict] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # What caused this version, for the public history: "petition:12", "motion:40", "admin".
    cause: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    council = relationship(Council, backref="constitution_versions")
    created_by = relationship("User")


class ForumLink(db.Model):
    """A directed edge child -> parent in the forum graph."""

    __tablename__ = "forum_links"
    __table_args__ = (
        sa.UniqueConstraint("from_council_id", "to_council_id"),
        sa.CheckConstraint(f"kind IN ({_in(LINK_KINDS)})", name="kind"),
        sa.CheckConstraint("from_council_id <> to_council_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    to_council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("councils.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))

    child = relationship(Council, foreign_keys=[from_council_id])
    parent = relationship(Council, foreign_keys=[to_council_id])


class Membership(db.Model):
    """An account's place in one council, in exactly one constituency."""

    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "council_id"),
        sa.CheckConstraint(f"constituency IN ({_in(CONSTITUENCIES)})", name="constituency"),
        sa.CheckConstraint(f"status IN ({_in(MEMBERSHIP_STATUSES)})", name="status"),
        sa.CheckConstraint(f"role IN ({_in(ROLES)})", name="role"),
        sa.Index("ix_memberships_council_status", "council_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("councils.id", ondelete="CASCADE"))
    constituency: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    role: Mapped[str] = mapped_column(sa.String(20), default="member")
    statement: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user = relationship("User", back_populates="memberships", foreign_keys=[user_id])
    council = relationship(Council, backref="memberships")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def is_clerk(self) -> bool:
        return self.status == "active" and self.role in ("clerk", "minister")
