"""Fortnox's error bodies, read leniently, and what the common codes mean for a bookkeeper.

Fortnox answers every refusal with ``{"ErrorInformation": {"error", "message", "code"}}``;
the developer pages write the keys in lower case while the OpenAPI schema capitalises
them, and both are seen in practice (fortnox-api reference §3), so keys are matched
without regard to case. The messages are mostly Swedish; for the codes an integration
meets in daily booking we add an English sentence that says what to fix in Fortnox.

The token endpoint answers like any OAuth server instead: ``{"error", "error_description"}``.

Example:
    >>> decode_fortnox_error({"errorinformation": {"Code": "2000401", "message": "Låst"}})[0]
    '2000401'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Codes from the Fortnox "Errors" page and integrators' help desks (reference §3). Each
# sentence says what is wrong and, where a person can act, what to change; a "client bug"
# is ours to fix, never the merchant's. docs/troubleshooting.md lists them all (tested).
KNOWN_CODES: dict[str, str] = {
    "1000003": "Fortnox had an internal error; try again later",
    "1000030": "Fortnox refused the Accept header (a client bug: report it)",
    "1000031": "Fortnox refused the Content-Type header (a client bug: report it)",
    "2000106": "a value must be alphanumeric (a client bug: report it)",
    "2000108": "a value must be a number (a client bug: report it)",
    "2000134": "a value must be true or false (a client bug: report it)",
    "2000310": (
        "Fortnox refused the login: check the client id (login), client secret (password) "
        "and extra.tenant_id of the Fortnox connection"
    ),
    "2000311": ("Fortnox got no credentials: set login and password of the Fortnox connection"),
    "2000359": "a value contains characters Fortnox does not allow (a client bug: report it)",
    "2000401": (
        "the booking date is in a locked period: ask the bookkeeper to open the period "
        "in Fortnox (Inställningar > Bokföring > Låst period) or book on a later date"
    ),
    "2000588": "a query parameter was not accepted (a client bug: report it)",
    "2000637": (
        "the customer number is already used (numbers stay taken even when deleted; "
        "a client bug: report it)"
    ),
    "2000729": "a valid identifier was not provided (a client bug: report it)",
    "2000947": "the cost center is not active in Fortnox: activate it (Inställningar > Bokföring)",
    "2001101": (
        "the company has no active Fortnox licence for this part of the API: the company "
        "adds it (Fortnox: Administration > Hantera licenser; invoices need Fakturering)"
    ),
    "2001103": (
        "the company has no Fortnox API licence (Integrationslicens): the company adds it "
        "(Fortnox: Administration > Hantera licenser)"
    ),
    "2001304": (
        "Fortnox cannot find the account: check that every account in the tenant's "
        "settings exists and is active in Fortnox's chart of accounts"
    ),
    "2001392": "Fortnox got no data or the wrong kind of data (a client bug: report it)",
    "2001399": "Fortnox does not know a field we sent (a client bug: report it)",
    "2002115": "Fortnox could not read the JSON we sent (a client bug: report it)",
    "2004167": (
        "a row with a custom VAT rate needs an account (EasyVat is enabled): "
        "a client bug: report it"
    ),
}

# Refusals that no published source gives a code for, known by their text instead
# (integrators' help desks, reference §3). Matched case-insensitively on Fortnox's message.
KNOWN_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), sentence)
    for pattern, sentence in (
        (
            r"är inte aktivt",
            "the account is not active in Fortnox: activate it (Inställningar > Bokföring > "
            "Kontoplan) or change accounts.* of the tenant",
        ),
        (
            r"Verifikationsserien",
            "the voucher series does not exist or does not allow manual vouchers: fix it in "
            "Inställningar > Bokföring > Verifikationsserier, or change voucher_series",
        ),
        (
            r"Fiscal year not available|räkenskapsår",
            "no financial year in Fortnox covers the date: create it "
            "(Inställningar > Bokföring > Räkenskapsår)",
        ),
        (
            r"Could not (?:find|retrieve) currency",
            "the currency is not set up in Fortnox: add it (Inställningar > Valutor), or "
            "check the tenant's currency",
        ),
        (
            r"Currency \S+ and Currency \S+ does not match",
            "the payment's currency differs from its invoice's (a client bug: report it)",
        ),
        (
            r"Betalsättet",
            "the mode of payment does not exist in Fortnox: create it (Inställningar > "
            "Bokföring > Betalsätt) with the tenant's receivable account, or change "
            "mode_of_payment",
        ),
        (
            r"Kunde inte (?:hämta|hitta) moms",
            "Fortnox has no VAT code for this rate: create it (Inställningar > Bokföring > Moms)",
        ),
        (
            r"payment date cannot precede",
            "the payment is dated before its invoice (a client bug: report it)",
        ),
        (
            r"behörighet",
            "the integration's consent lacks the scope this call needs: add the scope in "
            "Fortnox's developer portal and connect again (python -m "
            "dibs_fortnox.onboarding.connect --tenant <id>; a new scope needs a new consent)",
        ),
    )
)


def _get_ci(obj: Mapping[str, Any], name: str) -> Any:
    """Value of ``name`` in ``obj`` regardless of key case; None when absent."""
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return None


def explain(code: str | None, message: str) -> str:
    """Our sentence for a known code (else a known message) followed by Fortnox's own text,
    or just Fortnox's text."""
    ours = KNOWN_CODES.get(code or "") or next(
        (sentence for pattern, sentence in KNOWN_MESSAGES if pattern.search(message)), None
    )
    if ours and message:
        return f"{ours} (Fortnox says: {message})"
    return ours or message


def decode_fortnox_error(body: Any) -> tuple[str | None, str]:
    """Read (code, detail) from an ErrorInformation body; (None, "") when there is none."""
    if not isinstance(body, Mapping):
        return None, ""
    info = _get_ci(body, "ErrorInformation")
    if not isinstance(info, Mapping):
        message = _get_ci(body, "message")
        return None, str(message) if message else ""
    raw_code = _get_ci(info, "code")
    code = str(raw_code) if raw_code not in (None, "") else None
    message = _get_ci(info, "message")
    return code, explain(code, str(message) if message else "")


def decode_token_error(body: Any) -> tuple[str | None, str]:
    """Read an OAuth token error (``error``, ``error_description``) as (code, detail)."""
    if not isinstance(body, Mapping):
        return None, ""
    error = _get_ci(body, "error")
    description = _get_ci(body, "error_description") or _get_ci(body, "description")
    if error is None and description is None:
        return decode_fortnox_error(body)
    code = str(error) if error else None
    return code, str(description or "")
