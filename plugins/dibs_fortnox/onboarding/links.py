"""The merchant's approval link: signed, expiring, and good for one use.

The link carries which tenant and which onboarding run it approves and when it expires,
signed with HMAC-SHA256 under a key that lives in an Airflow connection (never in the
repository or the e-mail). Nothing in it is secret, but nothing in it can be changed
without the key. That it works only once is kept in our state database
(``OnboardingRecords.use_link``), not in the token, because only the server knows it was used.

Example:
    >>> token = sign_link(b"k" * 32, "acme", "scheduled__2026", now=0, ttl_s=60)
    >>> verify_link(b"k" * 32, token, now=30).tenant
    'acme'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from dibs_fortnox.errors import DibsFortnoxError

LINK_TTL_S = 14 * 24 * 3600  # two weeks: the merchant may be on holiday


class LinkRefused(DibsFortnoxError):
    """The link is forged, altered, expired or already used; the message says which."""


@dataclass(frozen=True)
class LinkClaims:
    """What a valid link approves.

    Attributes:
        link_id: random id of this link (what makes it single-use).
        expires: epoch seconds after which it no longer works.
    """

    tenant: str
    run_id: str
    link_id: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(key: bytes, tenant: str, run_id: str, now: float, ttl_s: int = LINK_TTL_S) -> str:
    """A token for the approval of ``tenant``'s onboarding run ``run_id``."""
    if len(key) < 16:
        raise ValueError("the link signing key must be at least 16 bytes")
    claims = {"t": tenant, "r": run_id, "i": secrets.token_urlsafe(12), "e": int(now) + ttl_s}
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    mac = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify_link(key: bytes, token: str, now: float) -> LinkClaims:
    """The claims of a genuine, unexpired token.

    Raises:
        LinkRefused: the token is malformed, was altered or signed with another key, or
            has expired.
    """
    body, _, mac = token.strip().partition(".")
    try:
        expected = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
        genuine = hmac.compare_digest(expected, _unb64(mac))
        claims = json.loads(_unb64(body)) if genuine else None
    except (ValueError, UnicodeError):
        genuine, claims = False, None
    if not genuine or not isinstance(claims, dict):
        raise LinkRefused("this approval link is not valid (it was changed or is incomplete)")
    if int(claims["e"]) < now:
        raise LinkRefused(
            "this approval link has expired: ask the data team for a new one, or approve in "
            "the Airflow UI"
        )
    return LinkClaims(str(claims["t"]), str(claims["r"]), str(claims["i"]), int(claims["e"]))
