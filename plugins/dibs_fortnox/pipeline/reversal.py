"""Take back what the product booked for a tenant and a range of days, the Fortnox way.

Fortnox never deletes a bookkept document (reference: "booked invoices cannot be
modified; correct with credit invoice"; vouchers have no update or delete). So every
document the product booked gets its mirror image, dated like the original so that each
period's balances come back to where they were:

========================  ===============================================================
booked                    reversed by
========================  ===============================================================
invoice (a charge)        credit invoice with the rows negated, linked to the invoice
                          (``CreditInvoiceReference``) unless a refund already took that
                          one link, then stand-alone with remarks naming the invoice
its payment               a negative payment on that credit invoice (D 1510 / C receivable)
credit invoice (refund)   an invoice with the rows negated back
its negative payment      a payment on that invoice
payout voucher            a voucher in the same series with debit and credit swapped
========================  ===============================================================

Customers stay (they are reused). Every reversing document is posted through
:class:`~dibs_fortnox.pipeline.posting.Poster`, the same exactly-once path as a booking:
its intent is in the state database before the write, it carries its own reference
(``undo-<kind>-<Fortnox number of the original>``, so it is found again after a lost
answer or a crash), and a re-run of the command after a crash does only what is missing.
When a payout's documents are all reversed, one transaction moves them out of the
``documents`` table and makes the payout pending (``ledger.reversals``): the day is ready
to be booked again, and the loader ignores the reversed originals that Fortnox still
holds under the same Nets references.

Before any write, the plan is checked: a document the ledger does not show as finished
(a write whose outcome is unknown, a refused bookkeeping) stops the reversal, and so does
a date inside Fortnox's locked period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from dibs_fortnox import money
from dibs_fortnox.errors import ReversalRefused
from dibs_fortnox.fortnox.client import FortnoxClient, fortnox_true
from dibs_fortnox.ledger import DocumentState, Ledger
from dibs_fortnox.ledger.reversals import ReversedDocument
from dibs_fortnox.nets.client import NetsClient
from dibs_fortnox.pipeline.context import StepContext
from dibs_fortnox.pipeline.load import parse_voucher_id, voucher_id
from dibs_fortnox.pipeline.posting import DocumentRefused, DocumentSpec, Poster
from dibs_fortnox.tenants import TenantConfig

log = logging.getLogger(__name__)

UNDO_PREFIX = "undo-"
# The ledger kind of the document that reverses each kind.
UNDO_KIND = {
    "invoice": "credit",
    "credit": "invoice",
    "invoice_payment": "credit_payment",
    "credit_payment": "invoice_payment",
    "voucher": "voucher",
}
PAYMENT_OF = {"invoice": "invoice_payment", "credit": "credit_payment"}
DESCRIPTION_MAX = 200  # Fortnox voucher Description (OpenAPI schema)


def undo_reference(doc: DocumentState) -> str:
    """The reference of the document reversing ``doc``: unique per Fortnox document."""
    return f"{UNDO_PREFIX}{doc.kind}-{doc.fortnox_id}"


def is_undo_reference(reference: str) -> bool:
    """True for a reversing document's reference (Nets ids are hex, never 'undo-…')."""
    return reference.startswith(UNDO_PREFIX)


def _finished(doc: DocumentState) -> bool:
    # Vouchers are final when created; invoices and payments when bookkept.
    return doc.status == "bookkept" or (doc.kind == "voucher" and doc.status == "posted")


@dataclass
class PayoutReversal:
    """One payout's booked documents: its invoices (each with its payment) and voucher."""

    day: date
    payout_id: str | None
    invoices: list[tuple[DocumentState, DocumentState | None]] = field(default_factory=list)
    vouchers: list[DocumentState] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.vouchers) + sum(1 + (p is not None) for _, p in self.invoices)


@dataclass
class ReversalPlan:
    """What reversing the days would do, and what stands in its way."""

    tenant: TenantConfig
    from_day: date
    to_day: date
    payouts: list[PayoutReversal]
    problems: list[str]

    @property
    def count(self) -> int:
        return sum(p.count for p in self.payouts)

    def where(self) -> str:
        return f"tenant {self.tenant.id}, days {self.from_day} to {self.to_day}"


def plan_reversal(
    ledger: Ledger, tenant: TenantConfig, from_day: date, to_day: date
) -> ReversalPlan:
    """Group the booked documents of the days by payout, latest day first (ledger only)."""
    if to_day < from_day:
        raise ReversalRefused(f"tenant {tenant.id}: --to {to_day} is before --from {from_day}")
    docs = [
        d
        for d in ledger.documents(tenant.id)
        if from_day <= d.day <= to_day
        and d.kind != "customer"
        and not is_undo_reference(d.reference)
    ]
    problems = [
        f"{d.kind.replace('_', ' ')} {d.reference} (day {d.day}, payout {d.payout_id}) is "
        f"'{d.status}'{f': {d.detail}' if d.detail else ''}"
        for d in docs
        if not _finished(d)
    ]
    groups: dict[tuple[date, str | None], PayoutReversal] = {}
    payments = {(d.kind, d.reference): d for d in docs if d.kind in PAYMENT_OF.values()}
    paired: set[tuple[str, str]] = set()
    for d in docs:
        group = groups.setdefault((d.day, d.payout_id), PayoutReversal(d.day, d.payout_id))
        if d.kind == "voucher":
            group.vouchers.append(d)
        elif d.kind in PAYMENT_OF:
            key = (PAYMENT_OF[d.kind], d.reference)
            group.invoices.append((d, payments.get(key)))
            paired.add(key)
    for key, d in payments.items():
        if key not in paired:
            problems.append(
                f"{d.kind.replace('_', ' ')} {d.reference} (day {d.day}) has no invoice in "
                "the ledger to reverse it with"
            )
    ordered = sorted(groups.values(), key=lambda g: (g.day, g.payout_id or ""), reverse=True)
    return ReversalPlan(tenant, from_day, to_day, ordered, problems)


class Reverser:
    """Reads the originals from Fortnox and posts their mirror images, exactly once."""

    def __init__(self, plan: ReversalPlan, ledger: Ledger, fortnox: FortnoxClient) -> None:
        self.plan = plan
        self.ledger = ledger
        self.fortnox = fortnox
        self.invoice = cache(self._get_invoice)
        self.payment = cache(self._get_payment)
        self.voucher = cache(self._get_voucher)

    def _get_invoice(self, number: str) -> dict[str, Any]:
        return self.fortnox.get_invoice(number)

    def _get_payment(self, number: str) -> dict[str, Any]:
        return self.fortnox.get_invoice_payment(number)

    def _get_voucher(self, handle: str) -> dict[str, Any]:
        series, number, year = parse_voucher_id(handle)
        return self.fortnox.get_voucher(series, number, financial_year=year)

    # -- the preview -----------------------------------------------------------------------
    def describe(self) -> list[str]:
        """What ``apply`` will do, one line per document (reads every original once).

        Raises:
            ReversalRefused: a document is not finished, or a date is in a locked period.
        """
        plan = self.plan
        if plan.problems:
            raise ReversalRefused(
                f"{plan.where()}: nothing was reversed, because these documents are not "
                "finished in the state database:\n- "
                + "\n- ".join(plan.problems)
                + "\nRun those days again first (a run finds what reached Fortnox and "
                "finishes it), then reverse."
            )
        lines: list[str] = []
        dates: list[date] = []
        credited_in_plan = {str(i.fortnox_id) for p in plan.payouts for i, _ in p.invoices}
        for payout in plan.payouts:
            lines.append(f"{payout.day} payout {payout.payout_id}")
            for v in payout.vouchers:
                body = self.voucher(str(v.fortnox_id))
                dates.append(date.fromisoformat(str(body["TransactionDate"])))
                lines.append(
                    f"  voucher {v.fortnox_id} {body['TransactionDate']} "
                    f"{body.get('Description')!r} -> mirrored voucher in series "
                    f"{body.get('VoucherSeries')} (debit and credit swapped)"
                )
            for inv, pay in payout.invoices:
                body = self.invoice(str(inv.fortnox_id))
                dates.append(date.fromisoformat(str(body["InvoiceDate"])))
                total = money.format_amount(money.from_decimal(Decimal(str(body["Total"]))))
                what = "credit invoice" if inv.kind == "credit" else "invoice"
                into = (
                    "invoice with the rows negated back"
                    if inv.kind == "credit"
                    else (
                        "credit invoice, linked"
                        if str(body.get("CreditInvoiceReference") or "0") in ("", "0")
                        else "stand-alone credit invoice (the invoice's credit link is taken)"
                    )
                )
                lines.append(
                    f"  {what} {inv.fortnox_id} ({inv.reference}) {body['InvoiceDate']} "
                    f"total {total} -> {into}"
                )
                linked = str(body.get("CreditInvoiceReference") or "0")
                if (
                    inv.kind == "invoice"
                    and linked not in ("", "0")
                    and linked not in (credited_in_plan)
                ):
                    lines.append(
                        f"    note: credit invoice {linked} of a later refund credits it and "
                        "stays; reverse that refund's day too to take it back"
                    )
                if pay is not None:
                    paid = self.payment(str(pay.fortnox_id))
                    dates.append(date.fromisoformat(str(paid["PaymentDate"])))
                    amount = money.format_amount(money.from_decimal(Decimal(str(paid["Amount"]))))
                    lines.append(
                        f"  payment {pay.fortnox_id} {paid['PaymentDate']} {amount} -> "
                        f"payment of the opposite amount on the reversing {into.split(',')[0]}"
                    )
        locked = (self.fortnox.locked_period() or {}).get("EndDate") if dates else None
        if locked and min(dates).isoformat() <= str(locked):
            raise ReversalRefused(
                f"{plan.where()}: nothing was reversed: Fortnox's period is locked up to "
                f"{locked}, and these days' documents are dated from {min(dates)}. A reversal "
                "is dated like the documents it reverses (and the days are booked again on "
                "those dates). Unlock the period in Fortnox (Inställningar > Bokföring > "
                "Låst period) if the accountant agrees, or leave these days booked and "
                "correct them by hand"
            )
        return lines

    # -- doing it --------------------------------------------------------------------------
    def apply(self, decided_by: str, note: str) -> int:
        """Reverse every document of the plan; return how many were reversed.

        Resumable: a second run after a crash finds what the first one wrote.
        """
        self.describe()  # the same checks as the preview, with fresh reads
        plan = self.plan
        reversal_id = self.ledger.start_reversal(
            plan.tenant.id, plan.from_day, plan.to_day, decided_by, note
        )
        count = 0
        for payout in plan.payouts:
            ctx = StepContext(
                tenant=plan.tenant,
                day=payout.day,
                run_id=f"reverse-{reversal_id}",
                ledger=self.ledger,
                nets_factory=_no_nets,
                fortnox_factory=lambda: self.fortnox,
            )
            poster = Poster(ctx, payout.payout_id)
            done: list[ReversedDocument] = []
            for v in payout.vouchers:
                done.append(self._mirror_voucher(poster, v))
            for inv, pay in payout.invoices:
                mirrored = self._mirror_invoice(poster, inv)
                done.append(mirrored)
                if pay is not None:
                    done.append(self._mirror_payment(poster, pay, mirrored.reversal_fortnox_id))
            self.ledger.archive_reversed_payout(reversal_id, payout.payout_id, done)
            count += len(done)
            log.info(
                "%s: payout %s reversed (%d documents); the day can be booked again",
                plan.where(),
                payout.payout_id,
                len(done),
            )
        self.ledger.finish_reversal(reversal_id, count)
        return count

    def _done(
        self, poster: Poster, original: DocumentState, spec: DocumentSpec
    ) -> ReversedDocument:
        number = poster.ensure(spec)
        return ReversedDocument(original, spec.kind, spec.reference, number)

    def _mirror_invoice(self, poster: Poster, doc: DocumentState) -> ReversedDocument:
        fortnox, ref = self.fortnox, undo_reference(doc)
        original = self.invoice(str(doc.fortnox_id))
        expected = -money.from_decimal(Decimal(str(original["Total"])))

        def payload() -> dict[str, Any]:
            rows = [
                {
                    "AccountNumber": row["AccountNumber"],
                    "DeliveredQuantity": str(-Decimal(str(row["DeliveredQuantity"]))),
                    "Price": Decimal(str(row["Price"])),
                    "VAT": row["VAT"],
                    "Description": row.get("Description") or "",
                }
                for row in original.get("InvoiceRows") or []
            ]
            body: dict[str, Any] = {
                "CustomerNumber": original["CustomerNumber"],
                "InvoiceDate": original["InvoiceDate"],
                "Currency": original.get("Currency") or self.plan.tenant.currency,
                "VATIncluded": fortnox_true(original.get("VATIncluded")),
                "ExternalInvoiceReference1": ref,
                "ExternalInvoiceReference2": original.get("ExternalInvoiceReference2") or "",
                "InvoiceRows": rows,
            }
            number = str(doc.fortnox_id)
            if doc.kind == "credit":
                body["Remarks"] = f"Återföring av kreditfaktura {number}"
            elif str(fortnox.get_invoice(number).get("CreditInvoiceReference") or "0") in (
                "",
                "0",
            ):
                body["CreditInvoiceReference"] = number
            else:  # one credit link per invoice, already taken by a refund's credit
                body["Remarks"] = f"Återföring (kreditering) av faktura {number}"
            return {"Invoice": body}

        def lookup() -> tuple[str, bool] | None:
            found = fortnox.find_invoice_by_reference(ref)
            if found is None:
                return None
            return str(found["DocumentNumber"]), fortnox_true(found.get("Booked"))

        def bookkeep(number: str) -> None:
            total = money.from_decimal(Decimal(str(fortnox.get_invoice(number).get("Total") or 0)))
            if total != expected:  # bookkeeping is final: a person checks it first
                raise DocumentRefused(
                    f"{self.plan.where()}: reversing invoice {number} of {doc.fortnox_id} "
                    f"totals {money.format_amount(total)}, expected "
                    f"{money.format_amount(expected)}: left unbookkept for a person to check"
                )
            fortnox.bookkeep_invoice(number)

        return self._done(
            poster,
            doc,
            DocumentSpec(
                kind=UNDO_KIND[doc.kind],
                reference=ref,
                label=f"reversal of {doc.kind} {doc.fortnox_id} ({doc.reference})",
                payload=payload,
                lookup=lookup,
                create=lambda body: str(fortnox.create_invoice(body)["DocumentNumber"]),
                bookkeep=bookkeep,
                is_booked=lambda n: fortnox_true(fortnox.get_invoice(n).get("Booked")),
                recheck=lookup,
            ),
        )

    def _mirror_payment(
        self, poster: Poster, doc: DocumentState, invoice_number: str
    ) -> ReversedDocument:
        fortnox, ref = self.fortnox, undo_reference(doc)
        original = self.payment(str(doc.fortnox_id))
        amount = -Decimal(str(original["Amount"]))

        def lookup() -> tuple[str, bool] | None:
            # The reversing invoice is ours alone: a payment of the amount on it is ours.
            for item in fortnox.list_invoice_payments(invoice_number):
                if (
                    str(item.get("ExternalInvoiceReference1") or ref) == ref
                    and Decimal(str(item["Amount"])) == amount
                ):
                    return str(item["Number"]), fortnox_true(item.get("Booked"))
            return None

        body = {
            "InvoicePayment": {
                "InvoiceNumber": int(invoice_number),
                "Amount": amount,
                "AmountCurrency": amount,
                "CurrencyRate": Decimal(1),
                "PaymentDate": original["PaymentDate"],
                "ModeOfPayment": original["ModeOfPayment"],
                "ModeOfPaymentAccount": original["ModeOfPaymentAccount"],
                "ExternalInvoiceReference1": ref,
            }
        }
        return self._done(
            poster,
            doc,
            DocumentSpec(
                kind=UNDO_KIND[doc.kind],
                reference=ref,
                label=f"reversal of payment {doc.fortnox_id} on invoice {invoice_number}",
                payload=lambda: body,
                lookup=lookup,
                create=lambda b: str(fortnox.create_invoice_payment(b)["Number"]),
                bookkeep=fortnox.bookkeep_invoice_payment,
                is_booked=lambda n: fortnox_true(fortnox.get_invoice_payment(n).get("Booked")),
                recheck=lookup,
            ),
        )

    def _mirror_voucher(self, poster: Poster, doc: DocumentState) -> ReversedDocument:
        fortnox, ref = self.fortnox, undo_reference(doc)
        series, number, year = parse_voucher_id(str(doc.fortnox_id))
        original = self.voucher(str(doc.fortnox_id))
        day = date.fromisoformat(str(original["TransactionDate"]))
        description = f"Återföring av {series}{number}: {original.get('Description') or ''}"
        description = description[:DESCRIPTION_MAX]
        rows = []
        for row in original.get("VoucherRows") or []:
            if fortnox_true(row.get("Removed")):
                continue
            mirrored: dict[str, Any] = {
                "Account": int(row["Account"]),
                "Debit": Decimal(str(row.get("Credit") or 0)),
                "Credit": Decimal(str(row.get("Debit") or 0)),
            }
            if row.get("TransactionInformation"):
                mirrored["TransactionInformation"] = row["TransactionInformation"]
            rows.append(mirrored)
        body: dict[str, Any] = {
            "Voucher": {
                "Description": description,
                "TransactionDate": day.isoformat(),
                "VoucherSeries": series,
                "VoucherRows": rows,
            }
        }
        if year is not None:
            body["Voucher"]["Year"] = year

        def lookup() -> tuple[str, bool] | None:
            found = fortnox.find_voucher_by_description(
                series, day, day, description, financial_year=year
            )
            return None if found is None else (voucher_id(found), True)

        return self._done(
            poster,
            doc,
            DocumentSpec(
                kind="voucher",
                reference=ref,
                label=f"reversal of voucher {doc.fortnox_id}",
                payload=lambda: body,
                lookup=lookup,
                create=lambda b: voucher_id(fortnox.create_voucher(b, year)),
            ),
        )


def _no_nets() -> NetsClient:
    raise AssertionError("a reversal reads nothing from Nets")
