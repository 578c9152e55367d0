"""Document intents and results: the record that makes every Fortnox write happen once.

Fortnox has no idempotency key, so exactly-once rests on this table. The protocol a
writer follows for one document (statuses explained in :mod:`dibs_fortnox.ledger.states`):

1. ``claim``: records ``intent`` if the document is new; returns the current state either way.
2. ``begin_write``: only the caller that moves ``intent → unknown`` may send the write. Two
   workers racing for the same document get True and False: one sends, the other does not.
   A crash after this point leaves ``unknown``, never ``intent``, so nothing is sent twice.
3. The answer: ``mark_posted`` (with the number), ``mark_failed`` (refused, with the reason)
   or ``mark_unknown`` (timeout, lost answer: stays maybe-sent).
4. A document left ``unknown`` (or ``failed``, on a later run) is looked up in Fortnox by
   its reference (compare exactly: Fortnox search matches substrings) and the answer given
   to ``resolve``: found → ``posted`` with its number; not found → back to ``intent`` and
   step 2 again. Resolve only while no other worker may still be sending the same document
   (one task per tenant and day).

Every function is one short transaction. A status change is a conditional update on the
status that was read; if another worker changed the row in between, it is read again and
the rules applied to what is there now. Payloads are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dibs_fortnox.ledger.dialects import insert_if_absent
from dibs_fortnox.ledger.schema import DOCUMENT_KINDS, documents
from dibs_fortnox.ledger.states import (
    DocumentNotClaimed,
    DocumentState,
    DocumentStatus,
    LedgerError,
    plan_transition,
)

log = logging.getLogger(__name__)

_RETRIES = 20
SENDING_DETAIL = "write sent to Fortnox; no answer recorded yet"


def _key(tenant: str, kind: str, reference: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        documents.c.tenant == tenant,
        documents.c.kind == kind,
        documents.c.reference == reference,
    )


def _state(row: sa.Row[Any]) -> DocumentState:
    return DocumentState(
        tenant=row.tenant,
        kind=row.kind,
        reference=row.reference,
        status=row.status,
        fortnox_id=row.fortnox_id,
        day=row.day,
        payout_id=row.payout_id,
        payload_hash=row.payload_hash,
        detail=row.detail,
        updated_at=row.updated_at,
    )


def check_kind(kind: str) -> None:
    """Refuse a document kind the ledger does not know, naming the known ones."""
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {DOCUMENT_KINDS}")


def get(engine: Engine, tenant: str, kind: str, reference: str) -> DocumentState | None:
    """Return the state of one document, or None if it was never claimed."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(documents).where(_key(tenant, kind, reference))).first()
    return None if row is None else _state(row)


def claim(
    engine: Engine,
    now: datetime,
    tenant: str,
    kind: str,
    reference: str,
    *,
    day: date,
    payout_id: str | None,
    payload_hash: str | None,
) -> DocumentState:
    """Record the intent to create a document unless it is known; return its current state.

    A known document keeps its day, payout and hash: compare ``payload_hash`` with yours to
    see whether the document would now be built differently.
    """
    check_kind(kind)
    values = {
        "tenant": tenant,
        "kind": kind,
        "reference": reference,
        "status": "intent",
        "day": day,
        "payout_id": payout_id,
        "payload_hash": payload_hash,
        "created_at": now,
        "updated_at": now,
    }
    with engine.begin() as conn:
        created = insert_if_absent(conn, documents, values, ("tenant", "kind", "reference"))
        row = conn.execute(sa.select(documents).where(_key(tenant, kind, reference))).one()
    if created:
        log.info("intent recorded: tenant=%s %s %s", tenant, kind, reference)
    return _state(row)


def begin_write(engine: Engine, now: datetime, tenant: str, kind: str, reference: str) -> bool:
    """Take the right to send the write: move ``intent → unknown``; True for one caller only.

    False means the document is not in ``intent`` (someone else is sending it, or it is
    already resolved): do not send; read its state instead.
    """
    stmt = (
        sa.update(documents)
        .where(_key(tenant, kind, reference), documents.c.status == "intent")
        .values(status="unknown", detail=SENDING_DETAIL, updated_at=now)
    )
    with engine.begin() as conn:
        taken = conn.execute(stmt).rowcount == 1
    if taken:
        log.info("write begun: tenant=%s %s %s", tenant, kind, reference)
    return taken


def transition(
    engine: Engine,
    now: datetime,
    tenant: str,
    kind: str,
    reference: str,
    target: DocumentStatus,
    *,
    fortnox_id: str | None = None,
    detail: str | None = None,
    after_lookup: bool = False,
) -> DocumentState:
    """Move a claimed document to ``target`` if the rules allow; return the state after.

    ``after_lookup``: the caller has just looked the reference up in Fortnox (``resolve``).

    Raises:
        DocumentNotClaimed: the document has no row (it must be claimed before a write).
        TransitionRefused: the change contradicts what the ledger knows.
    """
    for _ in range(_RETRIES):
        current = get(engine, tenant, kind, reference)
        if current is None:
            raise DocumentNotClaimed(
                f"{kind.replace('_', ' ')} {reference!r} of tenant {tenant!r} was never "
                "claimed: record the intent before writing to Fortnox"
            )
        if plan_transition(current, target, fortnox_id, after_lookup=after_lookup) == "same":
            return current
        values: dict[str, Any] = {"status": target, "detail": detail, "updated_at": now}
        if target == "posted":
            values["fortnox_id"] = fortnox_id
        elif target == "intent":
            values["fortnox_id"] = None
        seen = sa.and_(
            documents.c.status == current.status,
            documents.c.updated_at == current.updated_at,
        )
        with engine.begin() as conn:
            changed = conn.execute(
                sa.update(documents).where(_key(tenant, kind, reference), seen).values(**values)
            ).rowcount
        if changed == 1:
            log.info(
                "document %s -> %s: tenant=%s %s %s",
                current.status,
                target,
                tenant,
                kind,
                reference,
            )
            after = get(engine, tenant, kind, reference)
            assert after is not None  # rows are only deleted by forget()
            return after
    raise LedgerError(
        f"{kind} {reference!r} of tenant {tenant!r} kept changing under us; try again"
    )


def listing(
    engine: Engine,
    tenant: str,
    *,
    day: date | None = None,
    payout_id: str | None = None,
    kind: str | None = None,
) -> list[DocumentState]:
    """Return a tenant's documents, optionally of one day, payout or kind, oldest first."""
    stmt = sa.select(documents).where(documents.c.tenant == tenant)
    if day is not None:
        stmt = stmt.where(documents.c.day == day)
    if payout_id is not None:
        stmt = stmt.where(documents.c.payout_id == payout_id)
    if kind is not None:
        check_kind(kind)
        stmt = stmt.where(documents.c.kind == kind)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(documents.c.day, documents.c.id)).all()
    return [_state(row) for row in rows]


def booked_references(engine: Engine, tenant: str, kinds: Iterable[str]) -> frozenset[str]:
    """Return the references of documents that exist in Fortnox.

    That is every ``posted`` or ``bookkept`` document, and a ``failed`` one that Fortnox had
    created before refusing a later step (its bookkeeping): it has a number, so it exists.
    """
    kinds = tuple(kinds)
    for kind in kinds:
        check_kind(kind)
    stmt = sa.select(documents.c.reference).where(
        documents.c.tenant == tenant,
        documents.c.kind.in_(kinds),
        sa.or_(
            documents.c.status.in_(("posted", "bookkept")),
            sa.and_(documents.c.status == "failed", documents.c.fortnox_id.is_not(None)),
        ),
    )
    with engine.connect() as conn:
        return frozenset(conn.execute(stmt).scalars())


def forget(engine: Engine, tenant: str) -> int:
    """Delete every document row of a tenant; return how many were deleted."""
    with engine.begin() as conn:
        deleted = conn.execute(sa.delete(documents).where(documents.c.tenant == tenant)).rowcount
    log.warning("forgot %d document rows of tenant %s", deleted, tenant)
    return int(deleted)
