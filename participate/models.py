"""Every feature's models, imported so Alembic and create_app see all tables."""

from participate.accounts.models import ApiToken, User, UserSession  # noqa: F401
from participate.audit.models import AuditEvent, AuditHead  # noqa: F401
from participate.councils.models import (  # noqa: F401
    ConstitutionVersion,
    Council,
    ForumLink,
    Membership,
    Place,
    Service,
)
from participate.features import parts as _parts  # noqa: E402
from participate.notifications.models import Notification  # noqa: F401

_parts("models")  # every feature's tables
