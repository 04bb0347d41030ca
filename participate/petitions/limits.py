"""Rate limits on signing, per address and per account (``participate/ratelimit.py``).

The storage is the app's ``RATELIMIT_STORAGE_URI``: ``memory://`` by default, Redis when
set (e.g. ``redis://127.0.0.1:6379/0``). Deploy with Redis: it is one count shared by every
process and machine, whereas memory:// counts per process (N workers allow N × the limit),
and its expiry thread scans every live key each 10 ms, which a surge of distinct signers
makes costly. That is also why the per-account window is 10 seconds, not a minute: each
signer's key lives 6 times shorter, for the same sustained rate.

The limits come from the environment so an operator (or a benchmark signing from one
address) can change them without code:

    PARTICIPATE_SIGN_LIMIT_ADDRESS   default "120 per minute"    (a shared NAT signs too;
                                     "off" when the proxy in front limits per address)
    PARTICIPATE_SIGN_LIMIT_ACCOUNT   default "5 per 10 seconds"  (one person, many petitions)

``app.config["PETITION_SIGN_LIMIT_ADDRESS"]`` / ``["PETITION_SIGN_LIMIT_ACCOUNT"]`` win over
the environment.
"""

from __future__ import annotations

import os

from flask import current_app
from flask_limiter.util import get_remote_address

from participate.ratelimit import Limit, account_key, limited

DEFAULT_ADDRESS = "120 per minute"
DEFAULT_ACCOUNT = "5 per 10 seconds"


def address_limit() -> str:
    return current_app.config.get("PETITION_SIGN_LIMIT_ADDRESS") or os.environ.get(
        "PARTICIPATE_SIGN_LIMIT_ADDRESS", DEFAULT_ADDRESS
    )


def account_limit() -> str:
    return current_app.config.get("PETITION_SIGN_LIMIT_ACCOUNT") or os.environ.get(
        "PARTICIPATE_SIGN_LIMIT_ACCOUNT", DEFAULT_ACCOUNT
    )


# One budget per account and per address for the page, its htmx fragment and the API. The
# account is counted first: a breach there stops the count, so the address is not charged.
ACCOUNT = Limit(account_limit, account_key, "petition-sign-account")
ADDRESS = Limit(address_limit, get_remote_address, "petition-sign-address")
signing_limits = limited(ACCOUNT, ADDRESS)
