"""Raw Nets responses: kept for audit, for re-running a day offline, and as the payment cache.

Nets allows 30 ``GET /v1/payments/{id}`` calls per payment per hour, and a busy day asks
for the same payment from several payouts and retries. The payment cache answers from the
stored ``payment`` rows while they are young enough.

Payloads are stored as JSON with exact numbers (``Decimal`` stays ``Decimal``) and are never
logged: they hold customer names and addresses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dibs_fortnox import money
from dibs_fortnox.ledger.dialects import upsert
from dibs_fortnox.ledger.schema import RAW_KINDS, raw_records
from dibs_fortnox.ledger.states import RawRecord

Clock = Callable[[], datetime]


def _check_kind(kind: str) -> None:
    if kind not in RAW_KINDS:
        raise ValueError(f"unknown raw record kind {kind!r}; expected one of {RAW_KINDS}")


def _record(row: sa.Row[Any]) -> RawRecord:
    return RawRecord(
        tenant=row.tenant,
        kind=row.kind,
        nets_id=row.nets_id,
        day=row.day,
        payload=row.payload,
        fetched_at=row.fetched_at,
    )


def save(
    engine: Engine,
    now: datetime,
    tenant: str,
    kind: str,
    nets_id: str,
    day: date | None,
    payload: dict[str, Any],
) -> None:
    """Store a response, replacing an earlier one of the same object.

    ``fetched_at`` becomes ``now``: the age of a record is the age of its payload. A save
    without a day keeps the day already stored.
    """
    _check_kind(kind)
    if not isinstance(payload, dict):
        raise TypeError(f"a raw {kind} must be a JSON object, got {type(payload).__name__}")
    try:
        money.dumps(payload)
    except TypeError as exc:
        raise TypeError(
            f"raw {kind} {nets_id!r} of tenant {tenant!r} cannot be stored exactly ({exc}); "
            "parse Nets JSON with money.loads"
        ) from None
    values = {
        "tenant": tenant,
        "kind": kind,
        "nets_id": nets_id,
        "day": day,
        "payload": payload,
        "fetched_at": now,
    }
    with engine.begin() as conn:
        upsert(
            conn,
            raw_records,
            values,
            ("tenant", "kind", "nets_id"),
            {
                "payload": lambda new: new.payload,
                "fetched_at": lambda new: new.fetched_at,
                "day": lambda new: sa.func.coalesce(new.day, raw_records.c.day),
            },
        )


def get(engine: Engine, tenant: str, kind: str, nets_id: str) -> RawRecord | None:
    """Return the stored response, or None if it was never fetched."""
    _check_kind(kind)
    stmt = sa.select(raw_records).where(
        raw_records.c.tenant == tenant,
        raw_records.c.kind == kind,
        raw_records.c.nets_id == nets_id,
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else _record(row)


# Ids per SELECT ... IN (...): well under SQLite's and Postgres' limits on bound parameters.
_IDS_PER_QUERY = 500


def _rows_by_id(
    engine: Engine, tenant: str, kind: str, nets_ids: list[str], *columns: Any
) -> Iterator[sa.Row[Any]]:
    """The stored rows of many objects by id, a few hundred ids per query (missing ones
    left out): a day of a million payment actions is hundreds of thousands of payments,
    and one query each cost more than the transform."""
    _check_kind(kind)
    wanted = list(dict.fromkeys(nets_ids))
    with engine.connect() as conn:
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            stmt = sa.select(*columns).where(
                raw_records.c.tenant == tenant,
                raw_records.c.kind == kind,
                raw_records.c.nets_id.in_(wanted[start : start + _IDS_PER_QUERY]),
            )
            yield from conn.execute(stmt)


def get_many(engine: Engine, tenant: str, kind: str, nets_ids: list[str]) -> dict[str, RawRecord]:
    """The stored responses of many objects by id (missing ones left out)."""
    rows = _rows_by_id(engine, tenant, kind, nets_ids, raw_records)
    return {row.nets_id: _record(row) for row in rows}


def get_texts(engine: Engine, tenant: str, kind: str, nets_ids: list[str]) -> dict[str, bytes]:
    """The stored responses of many objects by id as their JSON text in UTF-8, not parsed.

    For readers that decode the text themselves (``booking.arrow_read`` reads a day's
    payments straight into columns). Bytes, not str: the database already holds UTF-8,
    and joining a million payments' bytes for the reader took a third of the time that
    joining and encoding them as str did. The column is JSON, not JSONB, so Postgres
    gives back the text as stored.
    """
    text = sa.cast(raw_records.c.payload, sa.Text)
    utf8 = (
        sa.func.convert_to(text, "UTF8", type_=sa.LargeBinary)
        if engine.dialect.name == "postgresql"
        else sa.cast(text, sa.LargeBinary)
    )
    rows = _rows_by_id(engine, tenant, kind, nets_ids, raw_records.c.nets_id, utf8.label("text"))
    return {row.nets_id: bytes(row.text) for row in rows}


def for_day(engine: Engine, tenant: str, day: date) -> list[RawRecord]:
    """Return every response stored for a payout day, in the order first stored."""
    stmt = (
        sa.select(raw_records)
        .where(raw_records.c.tenant == tenant, raw_records.c.day == day)
        .order_by(raw_records.c.id)
    )
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(stmt)]


class PaymentCache:
    """Nets payments by id, answered from the ledger while younger than ``max_age``.

    Example:
        >>> cache = ledger.payment_cache("acme", max_age=timedelta(hours=24))
        >>> payment = cache.get(payment_id)
        >>> if payment is None:
        ...     payment = nets.get_payment(payment_id)
        ...     cache.put(payment_id, payment)
    """

    def __init__(self, engine: Engine, tenant: str, max_age: timedelta, clock: Clock) -> None:
        if max_age < timedelta(0):
            raise ValueError(f"max_age must not be negative, got {max_age}")
        self._engine = engine
        self._tenant = tenant
        self._max_age = max_age
        self._clock = clock

    @property
    def tenant(self) -> str:
        """The tenant whose payments this cache holds."""
        return self._tenant

    def get(self, payment_id: str) -> dict[str, Any] | None:
        """Return the stored payment, or None when it is missing or older than ``max_age``."""
        record = get(self._engine, self._tenant, "payment", payment_id)
        if record is None or self._clock() - record.fetched_at > self._max_age:
            return None
        return record.payload

    def put(self, payment_id: str, payment: dict[str, Any], day: date | None = None) -> None:
        """Store a payment just fetched from Nets (optionally under the payout day needing it)."""
        save(self._engine, self._clock(), self._tenant, "payment", payment_id, day, payment)
