"""Records the ledger hands out, its errors, and the rules for moving a document's status.

A document's status only moves forward, so that a retried or duplicated task can never make
the ledger forget that a document exists in Fortnox::

    intent ──begin_write──▶ unknown ──answer──▶ posted ──bookkeep──▶ bookkept
       │                      │  ▲                 │
       │                      │  └─ (timeout, lost answer, crash: stays unknown)
       └──────▶ posted        └──resolve: not found──▶ intent
    intent / unknown / posted ──refused by Fortnox──▶ failed ──resolve──▶ posted | intent

The meaning of each status is a promise about what was sent:

- ``intent``: recorded before anything was sent; no write for it has left this process.
- ``unknown``: a write may have reached Fortnox (sent, no answer recorded). Before anything is
  sent again, the reference must be looked up in Fortnox and the answer given to
  ``resolve``.
- ``posted``: Fortnox created it and gave the number in ``fortnox_id``.
- ``bookkept``: Fortnox bookkept it (invoices, credits and payments; vouchers and customers
  stop at ``posted``).
- ``failed``: Fortnox refused it; ``detail`` says why. Nothing records it as posted
  again by itself: only a new lookup can move it on.

The steps backwards are allowed only through ``resolve``, after looking the reference up
in Fortnox (the lookup is the authority, so nothing can be sent twice):

- ``unknown → posted`` (found) or ``unknown → intent`` (not found: safe to send again);
- ``failed → posted`` (found) or ``failed → intent`` (not found: the retry a later run makes
  once a person fixed the cause, such as an inactive account). A failed document that
  already has a Fortnox number (its bookkeeping was refused) can only be found again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

DocumentKind = Literal[
    "customer", "invoice", "invoice_payment", "credit", "credit_payment", "voucher"
]
DocumentStatus = Literal["intent", "unknown", "posted", "bookkept", "failed"]
RawKind = Literal["payouts_list", "payout", "payment"]
PayoutStatus = Literal["pending", "held", "booked"]
RunStatus = Literal["running", "success", "held", "failed"]

Change = Literal["change", "same"]


class LedgerError(Exception):
    """The state database refused an operation; the message says what to check."""


class DocumentNotClaimed(LedgerError):
    """A result was recorded for a document that was never claimed."""


class TransitionRefused(LedgerError):
    """A status change would make the ledger contradict what already happened in Fortnox."""


@dataclass(frozen=True)
class RawRecord:
    """A Nets response as it was fetched.

    Attributes:
        tenant: Tenant id from ``config/tenants.yaml``.
        kind: ``payouts_list``, ``payout`` or ``payment``.
        nets_id: The Nets id of the object (for a payouts list: the key the caller chose).
        day: The payout day that needed it; None when no day was given.
        payload: The JSON object, numbers exact (``Decimal`` for non-integers).
        fetched_at: When it was last fetched (aware UTC).
    """

    tenant: str
    kind: str
    nets_id: str
    day: date | None
    payload: dict[str, Any]
    fetched_at: datetime


@dataclass(frozen=True)
class DocumentState:
    """What the ledger knows about one Fortnox document.

    Attributes:
        tenant: Tenant id.
        kind: One of the document kinds (``invoice``, ``voucher`` ...).
        reference: The deterministic external reference built from Nets ids.
        status: See the module docstring for what each status promises.
        fortnox_id: The number Fortnox gave it; None until it is known to exist.
        day: The payout day whose run claimed it.
        payout_id: The Nets payout it belongs to; None for documents outside a payout.
        payload_hash: Hash of the payload claimed; None when the caller gave none.
        detail: Why it is ``unknown`` or ``failed``, or how it was resolved; None otherwise.
        updated_at: Last change (aware UTC).
    """

    tenant: str
    kind: str
    reference: str
    status: DocumentStatus
    fortnox_id: str | None
    day: date
    payout_id: str | None
    payload_hash: str | None
    detail: str | None
    updated_at: datetime


@dataclass(frozen=True)
class PayoutState:
    """Whether a payout is booked.

    Attributes:
        tenant: Tenant id.
        day: The payout day.
        payout_id: The Nets payout id.
        status: ``pending`` (documents under way), ``held`` (not booked, see ``reason``) or
            ``booked`` (its voucher is posted).
        reason: Why it is held, in words for a bookkeeper; None unless held.
        updated_at: Last change (aware UTC).
    """

    tenant: str
    day: date
    payout_id: str
    status: PayoutStatus
    reason: str | None
    updated_at: datetime


@dataclass(frozen=True)
class RunState:
    """One pipeline run for a tenant and a day.

    Attributes:
        pk: The ledger's own id of the run (what ``start_run`` returned).
        tenant: Tenant id.
        day: The payout day the run books.
        run_id: Airflow's run id (or any caller's label).
        status: ``running`` until ``finish_run``; then ``success``, ``held`` or ``failed``.
        summary: The counts the run reported; None while running.
        started_at: Start (aware UTC).
        finished_at: End (aware UTC); None while running.
    """

    pk: int
    tenant: str
    day: date
    run_id: str
    status: RunStatus
    summary: dict[str, Any] | None
    started_at: datetime
    finished_at: datetime | None

    @property
    def books_the_day(self) -> bool:
        """True when this run booked its day: it succeeded and was not a dry run.

        A dry run ends ``success`` too (it did all it meant to), but posted nothing, so the
        day still waits for a real run.
        """
        return self.status == "success" and not (self.summary or {}).get("dry_run")


def _name(kind: str, reference: str, tenant: str) -> str:
    return f"{kind.replace('_', ' ')} {reference!r} of tenant {tenant!r}"


def plan_transition(
    current: DocumentState,
    target: DocumentStatus,
    fortnox_id: str | None = None,
    *,
    after_lookup: bool = False,
) -> Change:
    """Decide whether moving ``current`` to ``target`` changes the row or repeats a known fact.

    ``after_lookup`` says the caller looked the reference up in Fortnox just now (``resolve``);
    only then may a ``failed`` document move on.

    Returns:
        ``"change"`` when the row must be updated, ``"same"`` when the ledger already says this
        (a retried task recording the same answer again).

    Raises:
        TransitionRefused: the change would contradict what the ledger knows.
    """
    status = current.status
    what = _name(current.kind, current.reference, current.tenant)
    if target == "unknown":
        if status in ("intent", "unknown"):
            return "change"
        raise TransitionRefused(
            f"{what} is already {status}"
            + (f" (Fortnox {current.fortnox_id})" if current.fortnox_id else "")
            + "; an unknown outcome cannot be recorded for it"
        )
    if target == "posted":
        if status in ("intent", "unknown"):
            return "change"
        if status in ("posted", "bookkept") and current.fortnox_id == fortnox_id:
            return "same"
        if current.fortnox_id is not None and current.fortnox_id != fortnox_id:
            raise TransitionRefused(
                f"{what} is already {status} in Fortnox as {current.fortnox_id}, now reported "
                f"as {fortnox_id}: two documents may exist in Fortnox, check both"
            )
        if status == "failed" and after_lookup:
            return "change"
        raise TransitionRefused(
            f"{what} was refused by Fortnox ({current.detail}); it can only be posted after "
            "a lookup in Fortnox finds it"
        )
    if target == "bookkept":
        if status == "posted":
            return "change"
        if status == "bookkept":
            return "same"
        raise TransitionRefused(f"{what} is {status}, not posted: it cannot be bookkept")
    if target == "failed":
        if status in ("intent", "unknown", "posted", "failed"):
            return "change"
        raise TransitionRefused(
            f"{what} is already bookkept in Fortnox as {current.fortnox_id}; "
            "it cannot be marked as refused"
        )
    if target == "intent":
        if status == "unknown":
            return "change"
        if status == "intent":
            return "same"
        if status == "failed" and current.fortnox_id is None:
            return "change"
        raise TransitionRefused(
            f"{what} is {status}"
            + (f" as Fortnox {current.fortnox_id}" if current.fortnox_id else "")
            + " but a lookup in Fortnox found nothing: a person must check Fortnox"
        )
    raise ValueError(f"unknown document status {target!r}")
