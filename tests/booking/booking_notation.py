"""Write Nets payments and payouts in a few literal lines, and compare documents as text.

    pay = payment("p1", country="SWE", lines=["Tröja 2 × 160.00 @25%"])
    out = payout("po1", charged(pay, fee="3.00"))
    result = transform([out], payments_by_id(pay), SETTINGS)
    assert_documents_equal('''
        invoice c-p1 2024-03-05 SE-SEK order o-p1 = 400.00
          3001 1 × 320.00 @25% Tröja (2 pcs × 160.00)
        ...''', result.bookings())

A line is ``name qty [unit] × unit-price @rate% [tax=amount]``: amounts in kronor, the
net is unit price × quantity (rounded half up to the öre), the tax Nets reports defaults
to net × rate, and ``tax=`` sets it to something else (Nets does not validate it).
"""

from __future__ import annotations

import re
import textwrap
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dibs_fortnox.booking import BookingAccounts, BookingSettings, PayoutBooking
from dibs_fortnox.money import format_amount, from_decimal

T0 = "2024-03-05T14:30:11.2210+00:00"
ACCOUNTS = BookingAccounts(
    sales_se=3001, sales_eu=3106, sales_non_eu=3105, receivable=1516, bank=1930, fees=6040
)
SETTINGS = BookingSettings("demo", ACCOUNTS)

_LINE = re.compile(
    r"^(?P<name>.+?) (?P<qty>\d+(?:\.\d+)?)(?: (?P<unit>[a-z]+))? × (?P<price>-?\d+\.\d\d)"
    r" @(?P<rate>\d+(?:\.\d+)?)%(?: tax=(?P<tax>-?\d+\.\d\d))?$"
)


def ore(kronor: str | int) -> int:
    """'449.00' → 44900 (test constructor, like beancount's D())."""
    return from_decimal(Decimal(str(kronor)))


def line(text: str) -> dict[str, Any]:
    """Build a Nets order item from 'Tröja 2 × 160.00 @25%'."""
    m = _LINE.match(text)
    assert m, f"bad line notation: {text!r}"
    qty = Decimal(m["qty"])
    unit_price = ore(m["price"])
    net = int((unit_price * qty).to_integral_value(ROUND_HALF_UP))
    rate = int(Decimal(m["rate"]) * 100)
    computed = int((Decimal(net) * rate / 10000).to_integral_value(ROUND_HALF_UP))
    tax = ore(m["tax"]) if m["tax"] else computed
    return {
        "reference": m["name"].upper()[:8],
        "name": m["name"],
        "quantity": int(qty)
        if qty == qty.to_integral_value() and "." not in m["qty"]
        else float(qty),
        "unit": m["unit"] or "pcs",
        "unitPrice": unit_price,
        "taxRate": rate,
        "taxAmount": tax,
        "grossTotalAmount": net + tax,
        "netTotalAmount": net,
        "imageUrl": None,
    }


def charge(cid: str, lines: list[str], at: str = T0, **extra: Any) -> dict[str, Any]:
    items = [line(t) for t in lines]
    body = {"chargeId": cid, "amount": sum(i["grossTotalAmount"] for i in items),
            "created": at, "orderItems": items}  # fmt: skip
    return {**body, **extra}


def refund(
    rid: str, lines: list[str], at: str = "2024-03-09T08:01:44.0150+00:00",
    state: str = "Completed", **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    items = [line(t) for t in lines]
    body = {"refundId": rid, "amount": sum(i["grossTotalAmount"] for i in items),
            "state": state, "lastUpdated": at, "orderItems": items}  # fmt: skip
    return {**body, **extra}


def payment(
    pid: str, *, country: str | None = "SWE", lines: list[str] | None = None,
    charges: list[dict[str, Any]] | None = None, refunds: list[dict[str, Any]] | None = None,
    currency: str = "SEK",
) -> dict[str, Any]:  # fmt: skip
    """A ``GET /v1/payments/{id}`` body; ``lines`` makes one charge ``c-<pid>`` at T0."""
    charges = list(charges or []) + ([charge(f"c-{pid}", lines)] if lines else [])
    address = {"country": country} if country else {}
    return {
        "payment": {
            "paymentId": pid,
            "summary": {"chargedAmount": sum(c["amount"] for c in charges)},
            "consumer": {"shippingAddress": address, "privatePerson": {}, "company": {}},
            "orderDetails": {"amount": 0, "currency": currency, "reference": f"o-{pid}"},
            "charges": charges,
            "refunds": list(refunds or []),
            "someFutureField": {"ignored": True},
        }
    }


def _find(pay: dict[str, Any], key: str, ident: str | None) -> dict[str, Any]:
    items = pay["payment"]["charges" if key == "chargeId" else "refunds"]
    return next(i for i in items if ident is None or i[key] == ident)


def charged(pay: dict[str, Any], cid: str | None = None, fee: str = "0.00",
            at: str | None = None, action_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The payout action settling a charge (its own action id, the charge's time)."""
    c = _find(pay, "chargeId", cid)
    return {"id": action_id or f"act-{c['chargeId']}", "paymentId": pay["payment"]["paymentId"],
            "paymentAction": "Charge", "timestamp": at or c["created"], "amount": c["amount"],
            "fee": ore(fee), "currency": "SEK", "paymentMethod": "Visa"}  # fmt: skip


def refunded(pay: dict[str, Any], rid: str | None = None, fee: str = "0.00") -> dict[str, Any]:
    r = _find(pay, "refundId", rid)
    return {"id": f"act-{r['refundId']}", "paymentId": pay["payment"]["paymentId"],
            "paymentAction": "REFUND", "timestamp": r["lastUpdated"], "amount": r["amount"],
            "fee": ore(fee)}  # fmt: skip


def deposit(amount: str) -> dict[str, Any]:
    return {"id": f"dep-{amount}", "paymentId": None, "paymentAction": "Deposit",
            "timestamp": "2024-03-11T10:00:00+01:00", "amount": ore(amount), "fee": 0}  # fmt: skip


def payout(pid: str, *actions: dict[str, Any], day: str = "2024-03-12",
           currency: str = "SEK", **header: Any) -> dict[str, Any]:  # fmt: skip
    """A payout detail whose header sums follow from its actions unless overridden."""

    def total(kind: str) -> int:
        return sum(a["amount"] for a in actions if a["paymentAction"].lower() == kind)

    fees = sum(a["fee"] for a in actions)
    body = {"id": pid, "reference": pid, "date": day, "currency": currency,
            "chargedAmount": total("charge"), "refundedAmount": total("refund"),
            "depositedAmount": total("deposit"), "fees": fees,
            "numberOfPaymentActions": len(actions), "paymentActions": list(actions)}  # fmt: skip
    body["amount"] = body["chargedAmount"] - body["refundedAmount"] - fees + body["depositedAmount"]
    body.update(header)
    return body


def payments_by_id(*pays: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["payment"]["paymentId"]: p for p in pays}


def render(bookings: list[PayoutBooking]) -> list[str]:
    """One text block per document, in posting order."""
    blocks = []
    for b in bookings:
        for inv in b.invoices:
            head = "credit" if inv.is_credit else "invoice"
            of = f" of {inv.credits}" if inv.credits else ""
            lines = [f"{head} {inv.external_ref}{of} {inv.invoice_date} {inv.customer.key} "
                     f"order {inv.order_reference} = {format_amount(inv.total)}"]  # fmt: skip
            lines += [f"  {r.account} {r.quantity} × {format_amount(r.price)} @{r.vat_percent}% "
                      f"{r.description}" for r in inv.rows]  # fmt: skip
            blocks.append("\n".join(lines))
        for pay in b.payments:
            amount = format_amount(pay.amount)
            blocks.append(
                f"payment {pay.external_ref} {pay.payment_date} {amount} "
                f"{pay.mode_of_payment} {pay.account}"
            )
        v = b.voucher
        lines = [f"voucher {v.series} {v.transaction_date} {v.description}"]
        lines += [f"  {r.account} {'D' if r.debit else 'C'} {format_amount(r.debit or r.credit)}"
                  for r in v.rows]  # fmt: skip
        blocks.append("\n".join(lines))
    return blocks


def _blocks(text: str) -> list[str]:
    out: list[str] = []
    for raw in textwrap.dedent(text).strip().splitlines():
        if not raw.strip():
            continue
        if raw.startswith(" "):
            out[-1] += "\n  " + raw.strip()
        else:
            out.append(raw.strip())
    return out


def assert_documents_equal(expected: str, bookings: list[PayoutBooking]) -> None:
    """Compare documents as text blocks, order-insensitive, with a readable difference."""
    want, got = _blocks(expected), render(bookings)
    missing = [b for b in want if b not in got]
    extra = [b for b in got if b not in want]
    if missing or extra:
        message = ["documents differ"]
        message += ["in expected, not in actual:"] + [textwrap.indent(b, "  ") for b in missing]
        message += ["in actual, not in expected:"] + [textwrap.indent(b, "  ") for b in extra]
        raise AssertionError("\n".join(message))
