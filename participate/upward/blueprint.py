"""The upward feature's blueprint. Both view modules (`views` for forwarding and the inbox,
`consultation_views` for the downward flow) add their routes to it; neither imports the other."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("upward", __name__)
