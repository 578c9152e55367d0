"""Our own state database (SQLite by default, Postgres in production).

Raw Nets responses, one row per Fortnox document (intent before the write, number after),
payouts and runs. See :mod:`dibs_fortnox.ledger.store` for the API and
:mod:`dibs_fortnox.ledger.documents` for the exactly-once protocol.
"""

from __future__ import annotations

from dibs_fortnox.ledger.dialects import ENV_URL, default_url
from dibs_fortnox.ledger.raw import PaymentCache
from dibs_fortnox.ledger.states import (
    DocumentKind,
    DocumentNotClaimed,
    DocumentState,
    DocumentStatus,
    LedgerError,
    PayoutState,
    RawRecord,
    RunState,
    TransitionRefused,
)
from dibs_fortnox.ledger.store import Ledger, utc_now

__all__ = [
    "ENV_URL",
    "DocumentKind",
    "DocumentNotClaimed",
    "DocumentState",
    "DocumentStatus",
    "Ledger",
    "LedgerError",
    "PaymentCache",
    "PayoutState",
    "RawRecord",
    "RunState",
    "TransitionRefused",
    "default_url",
    "utc_now",
]
