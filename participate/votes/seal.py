"""Sealed ballots: what a database reader without the secret key cannot read (DESIGN §3).

The ``motion_participation`` row (THAT a member voted) and the ballot row are written in
one request, so whatever a database keeps about a write (PostgreSQL's ``xmin``, a row's
physical place, the order of a dump) can join the two. Hiding every such trace is a race
against the storage engine; instead the ballot row holds nothing a reader can use:

- the choice, ranking and objection are sealed with AES-256-GCM under a key derived from
  ``SECRET_KEY`` (HKDF), padded to one fixed length per voting method, so the ciphertext's
  length says nothing either (an objection is as long as a consent);
- the receipt is sealed too, and found by ``receipt_digest = HMAC(key, receipt)``: once the
  ballot file publishes receipts with choices, a reader still cannot tell which row holds
  which receipt;
- the motion, the voter's ref and the constituency are bound into each seal as associated
  data, so a sealed ballot moved to another row or motion no longer opens.

The server opens seals when it tallies a closed motion, publishes its ballot file or
shows a voter their own receipt. ``SECRET_KEY_FALLBACKS`` (Flask's key rotation) still
open ballots sealed under an earlier key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from participate.votes.checks import MAX_REASON

_NONCE = 12
# Every sealed choice of a method has the same length. A ranking is sealed as option
# indices (at most 20), an objection's reason as UTF-8 (at most 4 bytes a character).
_SIZES = {"binary": 64, "schulze": 64, "consent": 64 + 4 * MAX_REASON}
_RECEIPT_SIZE = 32


class SealError(Exception):
    """A seal did not open: the key changed (without SECRET_KEY_FALLBACKS) or the row was
    altered. Nothing is guessed: the caller reports it."""


@dataclass(frozen=True)
class Opened:
    """A ballot as the server reads it."""

    constituency: str
    receipt: str
    choice: str | None
    ranking: list[str] | None
    reason: str | None
    ref: str  # the voter's HMAC ref: finds their ballot, never names them


@lru_cache(maxsize=16)
def _derive(secret: str | bytes) -> tuple[AESGCM, bytes]:
    """(the AEAD, the digest key) for one secret key; derived once per process."""
    material = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=None, info=b"participate ballot seal v1"
    ).derive(secret.encode() if isinstance(secret, str) else bytes(secret))
    return AESGCM(material[:32]), material[32:]


def _keys() -> list[tuple[AESGCM, bytes]]:
    """The current key's pair first, then each of SECRET_KEY_FALLBACKS'."""
    config = current_app.config
    secrets = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ())]
    return [_derive(secret) for secret in secrets if secret]


def _aad(kind: bytes, motion_id: int, ref: str, constituency: str) -> bytes:
    return b"|".join((kind, str(motion_id).encode(), ref.encode(), constituency.encode()))


def _pad(body: bytes, size: int) -> bytes:
    if len(body) + 4 > size:  # check_ballot bounds every part, so this cannot happen
        raise ValueError("a ballot too long to seal")
    return struct.pack(">I", len(body)) + body + bytes(size - 4 - len(body))


def _unpad(data: bytes) -> bytes:
    (length,) = struct.unpack(">I", data[:4])
    return data[4 : 4 + length]


def _seal(plain: bytes, aad: bytes) -> bytes:
    aead, _ = _keys()[0]
    nonce = os.urandom(_NONCE)
    return nonce + aead.encrypt(nonce, plain, aad)


def _open(sealed: bytes, aad: bytes, keys: list[tuple[AESGCM, bytes]] | None = None) -> bytes:
    sealed = bytes(sealed)
    for aead, _ in keys or _keys():
        try:
            return aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
        except InvalidTag:
            continue
    raise SealError(
        "A sealed ballot did not open with the server's key: SECRET_KEY changed without the "
        "old key in SECRET_KEY_FALLBACKS, or the row was altered."
    )


# ---------------------------------------------------------------- receipts


def receipt_digests(receipt: str) -> list[str]:
    """HMAC(key, receipt) under the current key first, then each fallback key."""
    return [hmac.new(key, receipt.encode(), hashlib.sha256).hexdigest() for _aead, key in _keys()]


def receipt_digest(receipt: str) -> str:
    return receipt_digests(receipt)[0]


def seal_receipt(receipt: str, motion_id: int, ref: str, constituency: str) -> bytes:
    return _seal(
        _pad(receipt.encode(), _RECEIPT_SIZE), _aad(b"receipt", motion_id, ref, constituency)
    )


def open_receipt(sealed: bytes, motion_id: int, ref: str, constituency: str, keys=None) -> str:
    return _unpad(_open(sealed, _aad(b"receipt", motion_id, ref, constituency), keys)).decode()


# ---------------------------------------------------------------- choices


def seal_choice(
    method: str,
    options: list[str] | None,
    motion_id: int,
    ref: str,
    constituency: str,
    *,
    choice: str | None,
    ranking: list[str] | None,
    reason: str | None,
) -> bytes:
    """A checked ballot (``check_ballot``'s output) sealed to its method's fixed length:
    ``k`` and the ranked options' indices as bytes, or ``c``, the choice, a newline and
    an objection's reason."""
    if ranking is not None:
        index = {option: i for i, option in enumerate(options or [])}
        body = b"k" + bytes(index[option] for option in ranking)
    else:
        body = b"c" + (choice or "").encode() + b"\n" + (reason or "").encode()
    return _seal(_pad(body, _SIZES[method]), _aad(b"choice", motion_id, ref, constituency))


def open_choice(
    sealed: bytes,
    options: list[str] | None,
    motion_id: int,
    ref: str,
    constituency: str,
    keys=None,
) -> tuple[str | None, list[str] | None, str | None]:
    """(choice, ranking, reason) of a sealed ballot."""
    body = _unpad(_open(sealed, _aad(b"choice", motion_id, ref, constituency), keys))
    if body[:1] == b"k":
        return None, [(options or [])[i] for i in body[1:]], None
    choice, _, reason = body[1:].partition(b"\n")
    return choice.decode(), None, (reason.decode() if reason else None)


def open_ballots(
    motion_id: int, options: list[str] | None, rows: Iterable[tuple[str, str, bytes, bytes]]
) -> list[Opened]:
    """Open ``(ref, constituency, receipt_sealed, sealed)`` rows of one motion."""
    opened = []
    keys = _keys()
    for ref, constituency, receipt_sealed, sealed in rows:
        choice, ranking, reason = open_choice(sealed, options, motion_id, ref, constituency, keys)
        receipt = open_receipt(receipt_sealed, motion_id, ref, constituency, keys)
        opened.append(Opened(constituency, receipt, choice, ranking, reason, ref))
    return opened
