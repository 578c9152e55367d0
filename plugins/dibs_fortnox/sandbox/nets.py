"""The Nets Easy emulator: the Reporting API (payouts) and ``GET /v1/payments/{id}``.

It serves merchants' payments and payouts given to ``add_merchant`` (usually a generated
``scenario``) and enforces what the real API does to an extract: the raw secret key in
``Authorization``, test keys refused by the live host and the other way round, 401 without
a body, zero-based paging, required ``fromDate``/``toDate``, and 30 retrievals of one
payment per rolling hour. Fault injection comes from ``EmulatorApp`` (``app.faults``).

Conventions we fix where the docs are silent (docs/architecture.md "Sandbox conventions /
Nets"):

- ``paymentAction`` is ``Charge``, ``Refund`` or ``Deposit``. ``amount``, ``fee``,
  ``vatAmount`` are positive integers in minor units for every kind.
- A payout's ``amount = chargedAmount − refundedAmount − fees + depositedAmount``.
- A payment action's ``id`` is its own id: it is **not** the charge id or refund id. The
  action's ``timestamp`` equals the charge's ``created`` (for a refund: its
  ``lastUpdated``), possibly written with another UTC offset.
- A ``Deposit`` action has ``paymentId`` null and ``fee`` 0.
- Only ``Completed`` refunds appear in payouts; ``Pending``/``Cancelled`` refunds never do.

And some of our own, for the same reason:

- ``fromDate``/``toDate`` are inclusive and compared with the payout's ``date``.
- Payouts are listed by date, then currency, then id; actions in the order given.
- ``summary`` leaves out every key whose value is 0; ``refundedAmount`` counts only
  ``Completed`` refunds.
- The hourly limit counts the retrievals that were let through; a 429 carries
  ``Retry-After`` (seconds until the oldest counted call leaves the window). The real API
  documents no such header, so clients must also cope without it.
- 404 and 5xx bodies use the documented ``{"message", "code", "source"}`` shape; an
  injected fault's body is rewritten into it too.

The as-of clock (issue 6, "data that changes between runs"). Real Nets data changes over
time; ``app.set_now(instant)`` (or ``POST /_sandbox/clock {"now": "…+00:00"}``, read back
with ``GET /_sandbox/clock``) makes the emulator serve everything as it stood at that
instant. ``None``, the default, is the end of time: every payment and payout in its final
state, exactly as stored. The view is computed per request; the stored dicts never change.

- A payment whose ``created`` is after ``now`` is 404 (and not counted by the hourly limit).
- A charge whose ``created`` is after ``now`` is left out.
- A refund is requested at its private ``_requestedAt`` (state ``Pending``,
  ``lastUpdated`` = that instant) and becomes ``Completed``/``Cancelled`` at its
  ``lastUpdated``; before ``_requestedAt`` it is not there. Without ``_requestedAt`` it
  appears in its final state at ``lastUpdated``.
- ``summary.chargedAmount`` and ``refundedAmount`` drop what is not visible or not yet
  ``Completed``; zero keys are left out as always.
- A payout is listed, and its details served, from its private ``_publishedAt`` on
  (default: 00:00 Europe/Stockholm of its ``date``; ``clock.publish_instant``). A late
  payout carries a later ``_publishedAt``. The list's ``numberOfPayouts`` counts only the
  published ones.
- Keys starting with ``_`` are the timeline's private data: they are never served.

``clock`` (the constructor argument) is another clock: it only drives the rate-limit window.

Example:
    >>> app = NetsApp(mode="live")
    >>> app.add_merchant("live-secret-key-" + "0" * 32, payments=[], payouts=[])
    >>> app.set_now(run_instant(date(2026, 11, 2)))   # as the 2 November run sees it
    >>> with SandboxServer(app) as server:      # doctest: +SKIP
    ...     requests.get(server.url + "/report/v1/payouts?fromDate=2026-11-01&toDate=2026-11-02",
    ...                  headers={"Authorization": "live-secret-key-" + "0" * 32})
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from dibs_fortnox.sandbox.clock import (
    PRIVATE_PREFIX,
    PUBLISHED_AT,
    REQUESTED_AT,
    parse_instant,
    publish_instant,
    run_instant,
    to_utc,
)
from dibs_fortnox.sandbox.router import Request, Response
from dibs_fortnox.sandbox.server import EmulatorApp

JsonDict = dict[str, Any]
Mode = Literal["live", "test"]
_KEY_PREFIX: dict[str, str] = {"live": "live-secret-key-", "test": "test-secret-key-"}
_PAYMENT_ROUTE = "/v1/payments/{paymentId}"
_DEFAULT_PAGE_SIZE = 100
_CLOCK_ROUTE = "/_sandbox/clock"

__all__ = [
    "PRIVATE_PREFIX", "PUBLISHED_AT", "REQUESTED_AT", "NetsApp", "payout_published_at",
    "public", "run_instant",
]  # fmt: skip


@dataclass
class _Merchant:
    """One merchant's data, indexed the way the endpoints read it."""

    payments: dict[str, JsonDict] = field(default_factory=dict)
    payouts: list[JsonDict] = field(default_factory=list)
    payout_by_id: dict[str, JsonDict] = field(default_factory=dict)
    # payment id → monotonic-ish clock values of the retrievals counted in the window
    retrievals: dict[str, deque[float]] = field(default_factory=dict)


class _BadRequest(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def _error(status: int, message: str, source: str) -> Response:
    return Response.json(status, {"message": message, "code": str(status), "source": source})


class NetsApp(EmulatorApp):
    """Nets Easy over HTTP: Reporting API payouts and payment retrieval, per merchant key.

    Args:
        mode: ``live`` accepts only ``live-secret-key-…`` keys, ``test`` only ``test-…``.
        seed: seed of the fault injector.
        clock: seconds (any epoch); tests pass a fake one to move the rate-limit window.
            It has nothing to do with the as-of time (``now``) the data is served at.
        payment_get_limit: retrievals of one payment allowed per rolling window.
        window_s: the rolling window of that limit (an hour, as documented).
    """

    name = "nets"

    def __init__(
        self,
        mode: Mode = "live",
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        payment_get_limit: int = 30,
        window_s: float = 3600.0,
    ) -> None:
        super().__init__(seed)
        if mode not in _KEY_PREFIX:
            raise ValueError(f"mode must be 'live' or 'test', got {mode!r}")
        self.mode = mode
        self.clock = clock
        self.payment_get_limit = payment_get_limit
        self.window_s = window_s
        self._merchants: dict[str, _Merchant] = {}
        self._lock = threading.Lock()
        self.payment_gets: Counter[str] = Counter()
        self.payment_gets_throttled = 0
        self._now: datetime | None = None
        self.router.route("GET", _CLOCK_ROUTE)(self._get_clock)
        self.router.route("POST", _CLOCK_ROUTE)(self._set_clock)
        self.router.route("PUT", _CLOCK_ROUTE)(self._set_clock)
        self.router.route("GET", "/report/v1/payouts")(self._list_payouts)
        self.router.route("GET", "/report/v1/payouts/{payoutId}")(self._payout_details)
        self.router.route("GET", _PAYMENT_ROUTE)(self._get_payment)

    # -- set-up --------------------------------------------------------------------------
    def add_merchant(
        self,
        secret_key: str,
        payments: Iterable[JsonDict] = (),
        payouts: Iterable[JsonDict] = (),
    ) -> None:
        """Register a merchant under its secret key (either prefix; the mode decides use).

        ``payments`` are ``payment`` objects as ``GET /v1/payments/{id}`` wraps them;
        ``payouts`` are payout details including ``paymentActions``. Both are served as
        given (read-only), apart from dropping zero ``summary`` keys.
        """
        if not secret_key.startswith(tuple(_KEY_PREFIX.values())):
            raise ValueError("a Nets secret key starts with live-secret-key- or test-secret-key-")
        merchant = _Merchant()
        for payment in payments:
            merchant.payments[payment["paymentId"]] = payment
        merchant.payouts = sorted(payouts, key=lambda p: (p["date"], p["currency"], p["id"]))
        merchant.payout_by_id = {p["id"]: p for p in merchant.payouts}
        if len(merchant.payout_by_id) != len(merchant.payouts):
            raise ValueError("payout ids must be unique")
        with self._lock:
            self._merchants[secret_key] = merchant

    # -- the as-of clock -----------------------------------------------------------------
    @property
    def now(self) -> datetime | None:
        """The instant the data is served as of (aware UTC); None is the end of time."""
        return self._now

    def set_now(self, now: datetime | None) -> None:
        """Serve the data as it stood at ``now`` (aware; kept in UTC), or final with None.

        Raises:
            ValueError: ``now`` is naive (its zone would be a guess).
        """
        self._now = None if now is None else to_utc(now)

    def _get_clock(self, request: Request) -> Response:
        return self._clock_body()

    def _set_clock(self, request: Request) -> Response:
        try:
            body = json.loads(request.body or b"null")
            if not isinstance(body, dict) or "now" not in body:
                raise ValueError('send {"now": "<ISO 8601 instant with offset>"} or {"now": null}')
            raw = body["now"]
            if raw is not None and not isinstance(raw, str):
                raise ValueError("now must be an ISO 8601 string or null")
            self.set_now(None if raw is None else datetime.fromisoformat(raw))
        except ValueError as bad:
            return Response.json(400, {"errors": {"now": [str(bad)]}})
        return self._clock_body()

    def _clock_body(self) -> Response:
        now = self._now
        return Response.json(200, {"now": None if now is None else now.isoformat()})

    # -- admission: auth, then the per-payment hourly limit -----------------------------
    def _merchant_for(self, request: Request) -> _Merchant | None:
        key = request.header("Authorization")
        if key is None or not key.startswith(_KEY_PREFIX[self.mode]):
            return None  # no key, a Bearer/Basic prefix, or the other environment's key
        return self._merchants.get(key)

    def admit(self, request: Request) -> Response | None:
        merchant = self._merchant_for(request)
        if merchant is None:
            return Response.empty(401)  # "no further information is provided"
        if request.route != _PAYMENT_ROUTE or request.method != "GET":
            return None
        payment_id = request.params["paymentId"]
        payment = merchant.payments.get(payment_id)
        if payment is None or not _exists(payment, "created", self._now):
            return None  # a 404 does not count against the limit
        now = self.clock()
        with self._lock:
            self.payment_gets[payment_id] += 1
            window = merchant.retrievals.setdefault(payment_id, deque())
            while window and window[0] <= now - self.window_s:
                window.popleft()
            if len(window) >= self.payment_get_limit:
                self.payment_gets_throttled += 1
                wait = max(1, math.ceil(window[0] + self.window_s - now))
                return Response.json(
                    429,
                    {"message": f"Rate limit for payment {payment_id} exceeded, retry later"},
                    {"Retry-After": str(wait)},
                )
            window.append(now)
        return None

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        is_json = "json" in response.headers.get("Content-Type", "")
        if (response.status >= 500 or response.status == 402) and response.body and is_json:
            body = response.parsed()
            if isinstance(body, dict) and "code" not in body:
                message = str(body.get("message", "Internal error"))
                return Response.json(
                    response.status,
                    {"message": message, "code": "1000", "source": "Internal"},
                    {k: v for k, v in response.headers.items() if k != "Content-Type"},
                )
        return response

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "merchants": len(self._merchants),
                "payment_gets": dict(self.payment_gets),
                "payment_gets_max": max(self.payment_gets.values(), default=0),
                "payment_gets_throttled": self.payment_gets_throttled,
            }

    # -- handlers ------------------------------------------------------------------------
    def _require_merchant(self, request: Request) -> _Merchant:
        merchant = self._merchant_for(request)
        if merchant is None:  # admit() already refused; only reachable in-process
            raise PermissionError("unknown secret key")
        return merchant

    def _list_payouts(self, request: Request) -> Response:
        merchant = self._require_merchant(request)
        try:
            first = _full_date(request.query, "fromDate")
            last = _full_date(request.query, "toDate")
            if last < first:
                raise _BadRequest("toDate", "toDate must not be before fromDate.")
            currency = request.query.get("currency", "").upper() or None
            if currency is not None and not (len(currency) == 3 and currency.isalpha()):
                raise _BadRequest("currency", "currency must be an ISO 4217 code such as SEK.")
            number, size = _paging(request.query)
        except _BadRequest as bad:
            return Response.json(400, {"errors": {bad.name: [bad.message]}})
        now = self._now
        matching = [
            payout
            for payout in merchant.payouts
            if first.isoformat() <= payout["date"] <= last.isoformat()
            and (currency is None or payout["currency"] == currency)
            and (now is None or payout_published_at(payout) <= now)
        ]
        page = matching[number * size : (number + 1) * size]
        items = [_list_item(payout) for payout in page]
        return Response.json(200, {"numberOfPayouts": len(matching), "payouts": items})

    def _payout_details(self, request: Request) -> Response:
        merchant = self._require_merchant(request)
        payout = merchant.payout_by_id.get(request.params["payoutId"])
        now = self._now
        if payout is None or (now is not None and payout_published_at(payout) > now):
            return _error(404, f"Payout {request.params['payoutId']} was not found.", "Reporting")
        try:
            number, size = _paging(request.query)
        except _BadRequest as bad:
            return Response.json(400, {"errors": {bad.name: [bad.message]}})
        actions = payout.get("paymentActions", [])
        details = _list_item(payout)
        details["numberOfPaymentActions"] = len(actions)
        details["paymentActions"] = public(actions[number * size : (number + 1) * size])
        return Response.json(200, details)

    def _get_payment(self, request: Request) -> Response:
        merchant = self._require_merchant(request)
        payment = merchant.payments.get(request.params["paymentId"])
        view = None if payment is None else _payment_as_of(payment, self._now)
        if view is None:
            return _error(404, f"Payment {request.params['paymentId']} was not found.", "Payment")
        return Response.json(200, {"payment": view})


# -- as-of views (computed per request; the stored dicts are never changed) -------------
def public(value: Any) -> Any:
    """``value`` without the private timeline keys (``_…``) at any depth, as a new object."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith(PRIVATE_PREFIX)}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


def payout_published_at(payout: JsonDict) -> datetime:
    """When a payout appears in the Reporting API: ``_publishedAt``, else its date's 00:00."""
    raw = payout.get(PUBLISHED_AT)
    if raw:
        return parse_instant(raw)
    return publish_instant(date.fromisoformat(str(payout["date"])[:10]))


def _exists(entry: JsonDict, key: str, now: datetime | None) -> bool:
    """Whether ``entry`` happened by ``now`` (always, at the end of time or without ``key``)."""
    raw = entry.get(key)
    return now is None or not raw or parse_instant(raw) <= now


def _payment_as_of(payment: JsonDict, now: datetime | None) -> JsonDict | None:
    """The payment as ``GET /v1/payments/{id}`` shows it at ``now``; None before it exists.

    ``summary`` is the stored one less what is not there yet, so at the end of time (or any
    instant after the last change) the view is the stored payment exactly.
    """
    if not _exists(payment, "created", now):
        return None
    view: JsonDict = public(payment)
    summary = dict(payment.get("summary", {}))
    if now is not None:
        charges = payment.get("charges") or []
        shown = [c for c in charges if _exists(c, "created", now)]
        hidden = sum(c["amount"] for c in charges if not _exists(c, "created", now))
        if hidden:
            summary["chargedAmount"] = summary.get("chargedAmount", 0) - hidden
        refunds = payment.get("refunds") or []
        views = [_refund_as_of(r, now) for r in refunds]
        shown_refunds = [v for v in views if v is not None]
        not_completed = sum(
            r["amount"]
            for r, v in zip(refunds, views, strict=True)
            if r.get("state") == "Completed" and (v is None or v["state"] != "Completed")
        )
        if not_completed:
            summary["refundedAmount"] = summary.get("refundedAmount", 0) - not_completed
        for key, entries, visible in (
            ("charges", charges, [public(c) for c in shown]),
            ("refunds", refunds, shown_refunds),
        ):
            if visible or not entries:
                if key in payment:
                    view[key] = visible
            else:
                del view[key]  # none yet: as on a payment that never had any
    view["summary"] = {k: v for k, v in summary.items() if v}
    return view


def _refund_as_of(refund: JsonDict, now: datetime) -> JsonDict | None:
    """A refund at ``now``: absent before its request, ``Pending`` until its final state."""
    requested = refund.get(REQUESTED_AT) or refund.get("lastUpdated")
    if requested and parse_instant(requested) > now:
        return None
    view: JsonDict = public(refund)
    if not _exists(refund, "lastUpdated", now):
        view["state"] = "Pending"
        view["lastUpdated"] = requested
    return view


def _list_item(payout: JsonDict) -> JsonDict:
    """A payout as the list endpoint shows it: no actions, no action count, no private key."""
    return {
        k: v
        for k, v in payout.items()
        if k not in ("paymentActions", "numberOfPaymentActions")
        and not k.startswith(PRIVATE_PREFIX)
    }


def _full_date(query: dict[str, str], name: str) -> date:
    raw = query.get(name)
    if not raw:
        raise _BadRequest(name, f"The {name} field is required.")
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise _BadRequest(name, f"{name} must be a full-date (YYYY-MM-DD), got {raw!r}.") from None


def _paging(query: dict[str, str]) -> tuple[int, int]:
    """Zero-based ``pageNumber`` (default 0) and ``pageSize`` (default 100)."""
    values = []
    for name, default, lowest in (("pageNumber", 0, 0), ("pageSize", _DEFAULT_PAGE_SIZE, 1)):
        raw = query.get(name)
        if raw is None or raw == "":
            values.append(default)
            continue
        try:
            value = int(raw)
        except ValueError:
            value = lowest - 1
        if value < lowest:
            raise _BadRequest(name, f"{name} must be a whole number of at least {lowest}.")
        values.append(value)
    return values[0], values[1]
