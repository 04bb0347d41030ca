"""The product's feature packages, in dependency order.

Each name is a package ``participate/<name>/`` that may provide, by convention:
  models.py  its tables (imported so Alembic and create_app see them)
  views.py   ``bp`` (a Blueprint) and optionally ``COUNCIL_TABS`` [{"label", "endpoint"}] and
             ``NAV_ITEMS`` [{"label", "endpoint"}] shown in the council tabs and the main menu
  api.py     routes on ``participate.api.bp`` (imported before the API blueprint registers)
  cli.py     ``COMMANDS``: click commands added to the ``participate`` CLI
"""

from __future__ import annotations

import importlib
import importlib.util

# "jobs" comes last: its scheduled jobs call every other feature's services.
FEATURES: list[str] = [
    "proposals",
    "votes",
    "petitions",
    "rounds",
    "upward",
    "feeds",
    "opendata",
    "home",
    "help",
    "jobs",
]


def _module(feature: str, part: str):
    name = f"participate.{feature}.{part}"
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def parts(part: str):
    """The given module of every feature that has one, in feature order."""
    return [m for m in (_module(f, part) for f in FEATURES) if m is not None]
