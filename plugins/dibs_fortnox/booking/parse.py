"""Read raw Nets Easy JSON dicts into ``model`` records, leniently.

Nets adds fields over time and leaves summary keys out when they are zero, so: unknown
fields are ignored, a missing amount reads as 0, ``paymentAction`` and refund states are
compared case-insensitively, quantities may be fractional, and timestamps may carry any UTC
offset and up to seven fractional digits (.NET writes four). What cannot be read at all
(a missing id, an amount that is not a whole number of öre) raises ``ParseError`` with the
field's path, so the transform can hold that payout and say why.

Example:
    >>> parse_timestamp("2024-03-05T15:30:11.2210+01:00").isoformat()
    '2024-03-05T15:30:11.221000+01:00'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from dibs_fortnox.booking.countries import first_country
from dibs_fortnox.model import (
    ActionKind,
    Charge,
    OrderLine,
    Payment,
    Payout,
    PayoutAction,
    Refund,
)

_FRACTION = re.compile(r"(\.\d{1,6})\d*")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ParseError(ValueError):
    """A Nets record lacks something booking cannot do without; the message names the field."""


def parse_timestamp(value: object, where: str = "timestamp") -> datetime | None:
    """Return a tz-aware datetime, or ``None`` when the value is missing or empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ParseError(f"{where}: expected an ISO 8601 date-time, got {value!r}")
    text = _FRACTION.sub(_first_group, value.strip().replace("Z", "+00:00"), count=1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ParseError(f"{where}: {value!r} is not an ISO 8601 date-time") from exc
    if parsed.tzinfo is None:
        raise ParseError(f"{where}: {value!r} has no UTC offset, so its instant is unknown")
    return parsed


def _first_group(match: re.Match[str]) -> str:
    # A function, not the template r"\1": the template is expanded in Python on every
    # call, and a payout of a million actions parses a million times.
    return match.group(1)


def _ore(data: Mapping[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ParseError(f"{where}.{key}: expected minor units, got {value!r}")
    if isinstance(value, int):
        return _held_in_64_bits(value, key, where)
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ParseError(f"{where}.{key}: expected minor units, got {value!r}") from exc
    if number != number.to_integral_value():
        raise ParseError(f"{where}.{key}: {value!r} is not a whole number of minor units")
    return _held_in_64_bits(int(number), key, where)


def _held_in_64_bits(ore: int, key: str, where: str) -> int:
    """Booking keeps money in int64 columns: a larger amount is a corrupt record, and
    reading it would stop the whole day instead of holding its payout."""
    if not _INT64_MIN <= ore <= _INT64_MAX:
        raise ParseError(f"{where}.{key}: {ore} minor units is beyond any real amount")
    return ore


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _required_id(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not value or not isinstance(value, str):
        raise ParseError(f"{where}: missing '{key}'")
    return value


def _quantity(value: object, where: str) -> Decimal:
    if value is None:
        return Decimal(0)
    try:
        quantity = Decimal(str(value))
    except InvalidOperation as exc:
        raise ParseError(f"{where}.quantity: {value!r} is not a number") from exc
    if quantity < 0:
        raise ParseError(f"{where}.quantity: {value!r} is negative")
    return quantity


def parse_order_line(data: Mapping[str, Any], where: str = "orderItem") -> OrderLine:
    """Read one order item; amounts missing from it read as 0."""
    return OrderLine(
        reference=_text(data, "reference"),
        name=_text(data, "name"),
        quantity=_quantity(data.get("quantity"), where),
        unit=_text(data, "unit"),
        unit_price=_ore(data, "unitPrice", where),
        tax_rate=_ore(data, "taxRate", where),
        tax_amount=_ore(data, "taxAmount", where),
        gross=_ore(data, "grossTotalAmount", where),
        net=_ore(data, "netTotalAmount", where),
    )


def _object(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """A nested JSON object; missing or null reads as empty, anything else is an error."""
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise ParseError(f"{where}.{key}: expected a JSON object, got {value!r}")
    return value


def _objects(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """A list of JSON objects; missing or null reads as empty."""
    values = data.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, Mapping) for v in values):
        raise ParseError(f"{where}.{key}: expected a list of JSON objects, got {values!r}")
    return values


def _lines(data: Mapping[str, Any], where: str) -> tuple[OrderLine, ...]:
    items = _objects(data, "orderItems", where)
    return tuple(parse_order_line(item, f"{where}.orderItems[{i}]") for i, item in enumerate(items))


def _country(consumer: Mapping[str, Any], where: str) -> str | None:
    return first_country(
        _object(consumer, key, where).get("country")
        for key in ("shippingAddress", "billingAddress")
    )


def parse_payment(data: Mapping[str, Any]) -> Payment:
    """Read a payment object; accepts the API's ``{"payment": {...}}`` wrapper or its inside."""
    wrapped = data.get("payment")
    inner: Mapping[str, Any] = wrapped if isinstance(wrapped, Mapping) else data
    payment_id = _required_id(inner, "paymentId", "payment")
    where = f"payment {payment_id}"
    order = _object(inner, "orderDetails", where)
    consumer = _object(inner, "consumer", where)
    charges = tuple(
        Charge(
            charge_id=_required_id(c, "chargeId", f"{where} charges[{i}]"),
            amount=_ore(c, "amount", f"{where} charges[{i}]"),
            surcharge=_ore(c, "surchargeAmount", f"{where} charges[{i}]"),
            created=parse_timestamp(c.get("created"), f"{where} charges[{i}].created"),
            lines=_lines(c, f"{where} charges[{i}]"),
        )
        for i, c in enumerate(_objects(inner, "charges", where))
    )
    refunds = tuple(
        Refund(
            refund_id=_required_id(r, "refundId", f"{where} refunds[{i}]"),
            amount=_ore(r, "amount", f"{where} refunds[{i}]"),
            surcharge=_ore(r, "surchargeAmount", f"{where} refunds[{i}]"),
            state=_text(r, "state"),
            last_updated=parse_timestamp(r.get("lastUpdated"), f"{where} refunds[{i}].lastUpdated"),
            lines=_lines(r, f"{where} refunds[{i}]"),
        )
        for i, r in enumerate(_objects(inner, "refunds", where))
    )
    currency = order.get("currency")
    company = _object(consumer, "company", f"{where}.consumer")
    return Payment(
        payment_id=payment_id,
        currency=currency.upper() if isinstance(currency, str) and currency else None,
        order_reference=_text(order, "reference"),
        country=_country(consumer, f"{where}.consumer"),
        charges=charges,
        refunds=refunds,
        company_name=_text(company, "name").strip() or None,
        company_number=_text(company, "registrationNumber").strip() or None,
    )


# An action's kind by its casefolded name: Nets' casing varies.
KIND_BY_TEXT = {kind.value.casefold(): kind for kind in ActionKind}


def _kind(value: object, where: str) -> ActionKind:
    kind = KIND_BY_TEXT.get(str(value or "").strip().casefold())
    if kind is not None:
        return kind
    raise ParseError(f"{where}: unknown paymentAction {value!r} (expected Charge, Refund, Deposit)")


def parse_payout(data: Mapping[str, Any]) -> Payout:
    """Read a payout DETAIL (with its ``paymentActions``); header sums missing read as 0."""
    payout_id = _required_id(data, "id", "payout")
    where = f"payout {payout_id}"
    day_text = data.get("date")
    try:
        day = date.fromisoformat(str(day_text)[:10])
    except ValueError as exc:
        raise ParseError(f"{where}: date {day_text!r} is not YYYY-MM-DD") from exc
    listed = data.get("paymentActions") or []
    if not isinstance(listed, list):
        raise ParseError(f"{where}: paymentActions is {listed!r}, not a list of actions")
    actions = []
    for i, raw in enumerate(listed):
        at = f"{where} paymentActions[{i}]"
        if not isinstance(raw, Mapping):
            raise ParseError(f"{at}: {raw!r} is not a payment action")
        payment_id = raw.get("paymentId")
        actions.append(
            PayoutAction(
                action_id=_text(raw, "id"),
                payment_id=str(payment_id) if payment_id else None,
                kind=_kind(raw.get("paymentAction"), at),
                timestamp=parse_timestamp(raw.get("timestamp"), f"{at}.timestamp"),
                amount=_ore(raw, "amount", at),
                fee=_ore(raw, "fee", at),
                vat=_ore(raw, "vatAmount", at) if raw.get("vatAmount") is not None else None,
            )
        )
    expected = data.get("numberOfPaymentActions")
    currency = _text(data, "currency").upper()
    if not currency:
        raise ParseError(f"{where}: missing 'currency'")
    return Payout(
        payout_id=payout_id,
        day=day,
        currency=currency,
        amount=_ore(data, "amount", where),
        charged=_ore(data, "chargedAmount", where),
        refunded=_ore(data, "refundedAmount", where),
        deposited=_ore(data, "depositedAmount", where),
        fees=_ore(data, "fees", where),
        actions=tuple(actions),
        expected_actions=int(expected) if isinstance(expected, int) else None,
    )
