"""Fortnox client: OAuth client credentials, per-tenant rate limit, error mapping."""

from __future__ import annotations

from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient

__all__ = ["ClientCredentials", "FortnoxClient"]
