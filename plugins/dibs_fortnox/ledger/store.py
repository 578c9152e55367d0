"""The ledger: our own state database, one object with one short transaction per verb.

It holds what exactly-once booking needs to survive crashes, retries and several workers:
raw Nets responses, one row per Fortnox document (intent before the write, number after),
payouts and runs. It never touches Airflow's metadata database.

Example:
    >>> upgrade("sqlite:////tmp/demo.db")      # once, by the operator (ledger.migrate)
    >>> ledger = Ledger.from_url("sqlite:////tmp/demo.db")
    >>> state = ledger.claim("acme", "invoice", "ch_1", day=day, payout_id="po_1",
    ...                      payload_hash="9f2c")
    >>> if state.status == "intent" and ledger.begin_write("acme", "invoice", "ch_1"):
    ...     number = fortnox.create_invoice(payload)          # may time out
    ...     ledger.mark_posted("acme", "invoice", "ch_1", number)

The full protocol, including what to do with an ``unknown`` document, is in
:mod:`dibs_fortnox.ledger.documents`; the status rules in :mod:`dibs_fortnox.ledger.states`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from dibs_fortnox.ledger import (
    documents,
    raw,
    reports,
    resolutions,
    reversals,
    revisions,
    runs,
    windows,
)
from dibs_fortnox.ledger.dialects import default_url, make_engine
from dibs_fortnox.ledger.resolutions import Resolution
from dibs_fortnox.ledger.reversals import Reversal, ReversedDocument, ReversedIds
from dibs_fortnox.ledger.states import (
    DocumentState,
    DocumentStatus,
    LedgerError,
    PayoutState,
    RawRecord,
    RunState,
)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Ledger:
    """Our state database: raw extracts, document intents and results, payouts and runs.

    Build it with :meth:`from_url` (or :meth:`from_env`); pass a ``clock`` to control time in
    tests (the payment cache's age, timestamps).
    """

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = utc_now) -> Ledger:
        """Open the database at ``url`` after checking it is at this code's revision.

        The tables are created and changed only by the migration command
        (``python -m dibs_fortnox.ledger.migrate upgrade``), never on the way: a worker that
        changed the schema while others book would pull it from under them.

        Raises:
            StateSchemaBehind: the database needs the upgrade command (the message says so).
            StateSchemaAhead: newer code migrated it.
        """
        engine = make_engine(url)
        try:
            revisions.check(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    @classmethod
    def from_env(cls, *, clock: Clock = utc_now) -> Ledger:
        """Open ``DIBS_FORTNOX_DB_URL``, or the repository's ``var/dibs_fortnox.db``."""
        return cls.from_url(default_url(), clock=clock)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for reports and tests; the verbs below are the API)."""
        return self._engine

    def close(self) -> None:
        """Close the engine's pooled connections."""
        self._engine.dispose()

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the ledger's clock must return timezone-aware datetimes")
        return now.astimezone(UTC)

    # raw Nets responses ----------------------------------------------------------------

    def save_raw(
        self, tenant: str, kind: str, nets_id: str, day: date | None, payload: dict[str, Any]
    ) -> None:
        """Store a Nets response (``payouts_list``, ``payout`` or ``payment``), replacing any
        earlier one of the same object; ``fetched_at`` becomes now."""
        raw.save(self._engine, self._now(), tenant, kind, nets_id, day, payload)

    def get_raw(self, tenant: str, kind: str, nets_id: str) -> RawRecord | None:
        """Return a stored Nets response, or None if it was never fetched."""
        return raw.get(self._engine, tenant, kind, nets_id)

    def get_raws(self, tenant: str, kind: str, nets_ids: list[str]) -> dict[str, RawRecord]:
        """Stored responses of many objects by id; those never fetched are left out."""
        return raw.get_many(self._engine, tenant, kind, nets_ids)

    def get_raw_texts(self, tenant: str, kind: str, nets_ids: list[str]) -> dict[str, bytes]:
        """Stored responses of many objects by id as JSON text in UTF-8; those never
        fetched are left out."""
        return raw.get_texts(self._engine, tenant, kind, nets_ids)

    def raw_for_day(self, tenant: str, day: date) -> list[RawRecord]:
        """Return the Nets responses stored for a payout day."""
        return raw.for_day(self._engine, tenant, day)

    def payment_cache(
        self, tenant: str, max_age: timedelta = timedelta(hours=24)
    ) -> raw.PaymentCache:
        """Return a cache of a tenant's Nets payments backed by the raw ``payment`` rows."""
        return raw.PaymentCache(self._engine, tenant, max_age, self._now)

    # documents --------------------------------------------------------------------------

    def claim(
        self,
        tenant: str,
        kind: str,
        reference: str,
        *,
        day: date,
        payout_id: str | None,
        payload_hash: str | None,
    ) -> DocumentState:
        """Record the intent to create a document unless known; return its current state."""
        return documents.claim(
            self._engine,
            self._now(),
            tenant,
            kind,
            reference,
            day=day,
            payout_id=payout_id,
            payload_hash=payload_hash,
        )

    def begin_write(self, tenant: str, kind: str, reference: str) -> bool:
        """Take the right to send a claimed document (``intent → unknown``); True for one
        caller only. Send nothing when this returns False."""
        return documents.begin_write(self._engine, self._now(), tenant, kind, reference)

    def mark_posted(self, tenant: str, kind: str, reference: str, fortnox_id: str) -> None:
        """Record that Fortnox created the document under ``fortnox_id``."""
        if not fortnox_id:
            raise ValueError("a posted document needs the number Fortnox gave it")
        self._move(tenant, kind, reference, "posted", fortnox_id=fortnox_id)

    def mark_bookkept(self, tenant: str, kind: str, reference: str) -> None:
        """Record that Fortnox bookkept the (posted) document."""
        self._move(tenant, kind, reference, "bookkept")

    def mark_unknown(self, tenant: str, kind: str, reference: str, detail: str) -> None:
        """Record that a write may have reached Fortnox but its answer was lost."""
        self._move(tenant, kind, reference, "unknown", detail=detail)

    def mark_failed(self, tenant: str, kind: str, reference: str, detail: str) -> None:
        """Record that Fortnox refused the document, with its reason (terminal)."""
        self._move(tenant, kind, reference, "failed", detail=detail)

    def resolve(
        self, tenant: str, kind: str, reference: str, fortnox_id: str | None
    ) -> DocumentState:
        """Record the result of looking an ``unknown`` or ``failed`` document up in Fortnox.

        Compare the reference exactly: Fortnox search matches substrings.

        Args:
            fortnox_id: The number of the document found under the exact reference, or None
                when Fortnox has none: the document goes back to ``intent`` and may be sent.

        Returns:
            The state after: ``posted`` when found, ``intent`` when not.
        """
        if fortnox_id is None:
            return self._move(
                tenant,
                kind,
                reference,
                "intent",
                detail="not found in Fortnox by its reference; safe to send again",
            )
        return self._move(
            tenant,
            kind,
            reference,
            "posted",
            fortnox_id=fortnox_id,
            detail="found in Fortnox by its reference",
            after_lookup=True,
        )

    def _move(
        self,
        tenant: str,
        kind: str,
        reference: str,
        target: DocumentStatus,
        *,
        fortnox_id: str | None = None,
        detail: str | None = None,
        after_lookup: bool = False,
    ) -> DocumentState:
        documents.check_kind(kind)
        return documents.transition(
            self._engine,
            self._now(),
            tenant,
            kind,
            reference,
            target,
            fortnox_id=fortnox_id,
            detail=detail,
            after_lookup=after_lookup,
        )

    def document(self, tenant: str, kind: str, reference: str) -> DocumentState | None:
        """Return what the ledger knows about a document, or None if never claimed."""
        return documents.get(self._engine, tenant, kind, reference)

    def documents(
        self,
        tenant: str,
        *,
        day: date | None = None,
        payout_id: str | None = None,
        kind: str | None = None,
    ) -> list[DocumentState]:
        """Return a tenant's documents, optionally only one day's, payout's or kind's."""
        return documents.listing(self._engine, tenant, day=day, payout_id=payout_id, kind=kind)

    def booked_references(
        self, tenant: str, kinds: Iterable[str] = ("invoice", "credit")
    ) -> frozenset[str]:
        """Return the references of documents of ``kinds`` that exist in Fortnox."""
        return documents.booked_references(self._engine, tenant, kinds)

    def forget_documents(self, tenant: str) -> int:
        """Delete a tenant's document rows (the "state database lost" drill); return how many.

        After this, every document must be found again by looking its reference up in
        Fortnox before anything is sent.
        """
        return documents.forget(self._engine, tenant)

    # payouts and runs -------------------------------------------------------------------

    def rate_window(
        self, tenant: str, service: str, max_requests: int, window_s: float
    ) -> windows.SharedWindowLimiter:
        """The tenant's rate window for an API, shared by every process using this database."""
        return windows.SharedWindowLimiter(
            self._engine, tenant, service, max_requests, window_s, now=self._now
        )

    def record_payout(
        self, tenant: str, day: date, payout_id: str, status: str, reason: str | None = None
    ) -> None:
        """Record a payout as ``pending``, ``held`` (reason required) or ``booked`` (final)."""
        runs.record_payout(self._engine, self._now(), tenant, day, payout_id, status, reason)

    def payouts(self, tenant: str, day: date | None = None) -> list[PayoutState]:
        """Return a tenant's payouts, optionally of one day."""
        return runs.payout_states(self._engine, tenant, day)

    def start_run(self, tenant: str, day: date, run_id: str) -> int:
        """Record the start of a run; return its key for :meth:`finish_run`."""
        return runs.start_run(self._engine, self._now(), tenant, day, run_id)

    def finish_run(self, run_pk: int, status: str, summary: dict[str, Any]) -> None:
        """Record the end of a run: ``success``, ``held`` or ``failed``, with its summary."""
        runs.finish_run(self._engine, self._now(), run_pk, status, summary)

    def runs(self, tenant: str, day: date | None = None) -> list[RunState]:
        """Return a tenant's runs, optionally of one day, oldest first."""
        return runs.run_states(self._engine, tenant, day)

    def mark_step_done(self, run_pk: int, step: str) -> None:
        """Note that a running run has finished ``step`` (others may wait for that)."""
        runs.mark_step_done(self._engine, run_pk, step)

    def open_runs_before(self, tenant: str, day: date, started_after: datetime) -> list[RunState]:
        """Runs of a tenant's earlier days that are still running (started after a bound)."""
        return runs.open_runs_before(self._engine, tenant, day, started_after)

    def open_runs_ahead(
        self, tenant: str, day: date, run_pk: int | None, started_after: datetime
    ) -> list[RunState]:
        """Running runs that write before run ``run_pk`` of ``day`` (earlier days, and older
        runs of the same day); see ``runs.open_runs_ahead``."""
        return runs.open_runs_ahead(self._engine, tenant, day, run_pk, started_after)

    def close_open_run(self, tenant: str, run_id: str, error: str) -> int:
        """Close a DAG run's still-running rows as failed, with the error; return how many."""
        return runs.close_open_run(self._engine, self._now(), tenant, run_id, error)

    def resolve_payout(
        self,
        tenant: str,
        payout_id: str,
        action: str,
        decided_by: str,
        note: str,
        claims: list[str] | None = None,
    ) -> None:
        """Record a person's decision about a held payout and set its status accordingly:
        ``booked_by_hand`` makes it booked for good, ``released`` makes it pending again."""
        states = {p.payout_id: p for p in self.payouts(tenant)}
        state = states.get(payout_id)
        if state is None:
            raise LedgerError(f"tenant {tenant!r} has no payout {payout_id!r} in the ledger")
        if state.status == "booked":
            raise LedgerError(
                f"payout {payout_id} of tenant {tenant!r} is already booked; nothing to decide"
            )
        status = "booked" if action == "booked_by_hand" else "pending"
        resolutions.record(
            self._engine, self._now(), tenant, payout_id, action, decided_by, note, claims or []
        )
        self.record_payout(tenant, state.day, payout_id, status)

    def payout_history(self, tenant: str, payout_id: str | None = None) -> list[Resolution]:
        """Decisions people made about a tenant's payouts, oldest first."""
        return resolutions.history(self._engine, tenant, payout_id)

    def hand_booked_claims(self, tenant: str) -> frozenset[str]:
        """Charge and refund ids settled by payouts a person booked by hand."""
        return resolutions.hand_booked_claims(self._engine, tenant)

    # reversals --------------------------------------------------------------------------

    def start_reversal(
        self, tenant: str, from_day: date, to_day: date, decided_by: str, note: str
    ) -> int:
        """Record who reverses which days and why; return the reversal's id."""
        return reversals.start(
            self._engine, self._now(), tenant, from_day, to_day, decided_by, note
        )

    def finish_reversal(self, reversal_id: int, count: int) -> None:
        """Record that a reversal is complete, with the number of documents it took back."""
        reversals.finish(self._engine, self._now(), reversal_id, count)

    def archive_reversed_payout(
        self, reversal_id: int, payout_id: str | None, done: list[ReversedDocument]
    ) -> None:
        """Keep a payout's reversed documents aside and make the payout pending again."""
        reversals.archive_payout(self._engine, self._now(), reversal_id, payout_id, done)

    def reversed_ids(self, tenant: str) -> ReversedIds:
        """Fortnox numbers of the tenant's reversed documents (never matched to a booking)."""
        return reversals.reversed_ids(self._engine, tenant)

    def reversed_days(self, tenant: str) -> dict[date, datetime]:
        """Days whose booking a reversal took back, with the latest reversal's time."""
        return reversals.reversed_days(self._engine, tenant)

    def reversals(self, tenant: str) -> list[Reversal]:
        """The tenant's reversals (who, when, why), oldest first."""
        return reversals.history(self._engine, tenant)

    def now(self) -> datetime:
        """The ledger's clock (aware UTC): what every timestamp it writes is taken from."""
        return self._now()

    def report(self, name: str, tenant: str) -> list[dict[str, Any]]:
        """Run a query of ``include/sql/reconciliation.sql`` by name for a tenant."""
        return reports.run_report(self._engine, name, tenant)
