"""The petitions feature's blueprint. Both view modules (`views` for signers, `clerk_views` for
the council's clerks) add their routes to it; neither imports the other."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("petitions", __name__)
