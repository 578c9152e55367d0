"""Post one document to Fortnox exactly once, whatever happened on earlier attempts.

Fortnox has no idempotency key, so every document carries a deterministic reference built
from Nets ids, and the state database follows each document through
``intent → unknown → posted → bookkept`` (see ``ledger.states``). Before anything is sent
for a document that is not confirmed, Fortnox is asked whether it already holds the
reference (its search matches substrings, so the comparison is exact here); only a
confirmed absence lets a write go out.

A write whose answer is lost (a 5xx, a dropped connection, a timeout) is resolved in the same
task: the ledger records ``unknown``, the reference is looked up again at once, and the
document is either found (recorded, done) or confirmed absent and sent again. So a lost
answer costs a look-up, seconds, not an Airflow task retry. Only when the look-up itself
fails, or a document stays unclear ``MAX_UNKNOWN_ROUNDS`` times in a row, does the error
propagate: the document stays ``unknown`` and the next try starts with the same look-up.
A process killed anywhere in between leaves the same state behind, so a crash and a lost
answer are resolved by the same code.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dibs_fortnox import money
from dibs_fortnox.errors import BadRequest, DibsFortnoxError, OutcomeUnknown
from dibs_fortnox.pipeline import chaos
from dibs_fortnox.pipeline.context import StepContext
from dibs_fortnox.pipeline.progress import Progress

log = logging.getLogger(__name__)

MAX_UNKNOWN_ROUNDS = 4
"""Lost answers in a row for one document before the task gives up (and Airflow retries).
With faults on one call in ten, four in a row happen once in ten thousand documents."""


class DocumentRefused(DibsFortnoxError):
    """Fortnox refused a document; the message names tenant, day, document and reason."""


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(money.dumps(payload).encode("utf-8")).hexdigest()[:16]


@dataclass
class WriteCounter:
    """Writes this run sent to Fortnox, by kind (the run summary shows them)."""

    created: dict[str, int] = field(default_factory=dict)
    bookkept: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    resolved_s: list[float] = field(default_factory=list)
    """Seconds from each lost answer to its document confirmed, in this task."""

    def add(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def writes(self) -> int:
        return sum(self.created.values()) + sum(self.bookkept.values())


@dataclass(frozen=True)
class DocumentSpec:
    """How to post one document.

    Attributes:
        kind: ledger kind (``invoice``, ``credit``, ``invoice_payment``, ...).
        reference: the deterministic Nets reference.
        label: how a bookkeeper names it in a message ("invoice for charge 01ee…").
        payload: builds the Fortnox body (called only when a write is needed).
        lookup: finds the document in Fortnox by its exact reference: (number, booked) or None.
        create: sends the body; returns the Fortnox number.
        bookkeep: bookkeeps by number; None for documents that are final when created.
        is_booked: reads back whether the document is bookkept (after an unclear bookkeep).
        recheck: looks the reference up afresh after a lost answer; None when ``lookup``
            caches nothing (a first look-up may read a listing once for many documents).
    """

    kind: str
    reference: str
    label: str
    payload: Callable[[], dict[str, Any]]
    lookup: Callable[[], tuple[str, bool] | None]
    create: Callable[[dict[str, Any]], str]
    bookkeep: Callable[[str], object] | None = None
    is_booked: Callable[[str], bool] | None = None
    recheck: Callable[[], tuple[str, bool] | None] | None = None


class Poster:
    """Posts documents for one tenant and day, recording every step in the state database."""

    def __init__(
        self,
        ctx: StepContext,
        payout_id: str | None,
        counter: WriteCounter | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.ctx = ctx
        self.payout_id = payout_id
        self.counter = counter or WriteCounter()
        self.progress = progress  # None: a short job that logs no progress

    def _where(self, spec: DocumentSpec) -> str:
        payout = f", payout {self.payout_id}" if self.payout_id else ""
        return f"{self.ctx.where()}{payout}, {spec.label}"

    def ensure(self, spec: DocumentSpec) -> str:
        """Make sure the document exists (and is bookkept when it should be); return its number."""
        ledger, tenant = self.ctx.ledger, self.ctx.tenant.id
        state = ledger.document(tenant, spec.kind, spec.reference)
        if state is None or state.status in ("intent", "unknown", "failed"):
            number, booked = self._create_once(spec, state is None)
        else:
            number, booked = str(state.fortnox_id), state.status == "bookkept"
        if spec.bookkeep is not None and not booked:
            self._bookkeep(spec, number)
        if self.progress is not None:
            self.progress.advance()
        return number

    def _create_once(self, spec: DocumentSpec, new: bool) -> tuple[str, bool]:
        ledger, tenant, ctx = self.ctx.ledger, self.ctx.tenant.id, self.ctx
        payload = spec.payload()
        if new:
            ledger.claim(
                tenant,
                spec.kind,
                spec.reference,
                day=ctx.day,
                payout_id=self.payout_id,
                payload_hash=payload_hash(payload),
            )
        found = spec.lookup()
        if found is not None:
            number, booked = found
            self.counter.add(self.counter.found, spec.kind)
            ledger.resolve(tenant, spec.kind, spec.reference, number)
            if booked and spec.bookkeep is not None:
                ledger.mark_bookkept(tenant, spec.kind, spec.reference)
            log.info("%s: already in Fortnox as %s", self._where(spec), number)
            return number, booked
        state = ledger.document(tenant, spec.kind, spec.reference)
        if state is not None and state.status in ("unknown", "failed"):
            ledger.resolve(tenant, spec.kind, spec.reference, None)
        lost_at: float | None = None
        for round_ in range(1, MAX_UNKNOWN_ROUNDS + 1):
            if not ledger.begin_write(tenant, spec.kind, spec.reference):
                raise DocumentRefused(
                    f"{self._where(spec)}: another worker is writing this document; "
                    "the next try will find it"
                )
            chaos.reached(tenant, ctx.day.isoformat(), "before_send", spec.reference)
            try:
                number = spec.create(payload)
            except OutcomeUnknown as exc:
                ledger.mark_unknown(tenant, spec.kind, spec.reference, str(exc))
                lost_at = lost_at or time.monotonic()
                if round_ == MAX_UNKNOWN_ROUNDS:
                    raise
                found = self._look_again(spec, exc)
                if found is not None:
                    return self._confirmed(spec, found, lost_at)
                continue  # confirmed absent: nothing landed, so sending again is safe
            except BadRequest as exc:
                ledger.mark_failed(tenant, spec.kind, spec.reference, str(exc))
                raise DocumentRefused(f"{self._where(spec)}: Fortnox refused it: {exc}") from exc
            chaos.reached(tenant, ctx.day.isoformat(), "after_write", spec.reference)
            ledger.mark_posted(tenant, spec.kind, spec.reference, number)
            self.counter.add(self.counter.created, spec.kind)
            if lost_at is not None:
                self._note_resolved(spec, number, lost_at, "sent again")
            return number, False
        raise AssertionError("unreachable: the last round re-raises")  # pragma: no cover

    def _look_again(self, spec: DocumentSpec, exc: OutcomeUnknown) -> tuple[str, bool] | None:
        """After a lost answer: find the document by its reference, or confirm it is absent.

        The ledger says ``unknown`` until this returns; on absence it goes back to
        ``intent`` (``resolve``), which is what allows the next send.
        """
        log.warning(
            "%s: the answer was lost (%s); looking the reference up in Fortnox",
            self._where(spec),
            exc.status or "no response",
        )
        found = (spec.recheck or spec.lookup)()
        if found is None:
            self.ctx.ledger.resolve(self.ctx.tenant.id, spec.kind, spec.reference, None)
        return found

    def _confirmed(
        self, spec: DocumentSpec, found: tuple[str, bool], lost_at: float
    ) -> tuple[str, bool]:
        number, booked = found
        ledger, tenant = self.ctx.ledger, self.ctx.tenant.id
        ledger.resolve(tenant, spec.kind, spec.reference, number)
        if booked and spec.bookkeep is not None:
            ledger.mark_bookkept(tenant, spec.kind, spec.reference)
        self.counter.add(self.counter.created, spec.kind)  # this task's write did land
        self._note_resolved(spec, number, lost_at, "found in Fortnox")
        return number, booked

    def _note_resolved(self, spec: DocumentSpec, number: str, lost_at: float, how: str) -> None:
        seconds = time.monotonic() - lost_at
        self.counter.resolved_s.append(seconds)
        log.info(
            "%s: lost answer resolved in the task: %s as %s, confirmed %.3f s after the loss",
            self._where(spec),
            how,
            number,
            seconds,
        )

    def _bookkeep(self, spec: DocumentSpec, number: str) -> None:
        """Bookkeep ``number``; an unclear answer is read back, and repeated only if not booked.

        Bookkeeping twice cannot double anything (Fortnox refuses the second with "already
        bookkept"), so after a lost answer the read-back decides and, when the document is
        still not bookkept, the call is simply sent again in this task.
        """
        assert spec.bookkeep is not None
        lost_at: float | None = None
        for round_ in range(1, MAX_UNKNOWN_ROUNDS + 1):
            try:
                spec.bookkeep(number)
            except (OutcomeUnknown, BadRequest) as exc:
                # Lost answer, or "already bookkept" from an earlier lost answer: read it back.
                if spec.is_booked is not None and spec.is_booked(number):
                    break
                if isinstance(exc, BadRequest):
                    raise DocumentRefused(
                        f"{self._where(spec)}: Fortnox refused to bookkeep {number}: {exc}"
                    ) from exc
                lost_at = lost_at or time.monotonic()
                if spec.is_booked is None or round_ == MAX_UNKNOWN_ROUNDS:
                    raise
                log.warning(
                    "%s: the bookkeeping answer for %s was lost and it is not bookkept: "
                    "sending it again",
                    self._where(spec),
                    number,
                )
            else:
                self.counter.add(self.counter.bookkept, spec.kind)
                break
        chaos.reached(self.ctx.tenant.id, self.ctx.day.isoformat(), "after_bookkeep", number)
        self.ctx.ledger.mark_bookkept(self.ctx.tenant.id, spec.kind, spec.reference)
        if lost_at is not None:
            self._note_resolved(spec, number, lost_at, "bookkept")
