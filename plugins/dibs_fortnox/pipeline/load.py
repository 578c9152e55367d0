"""Load step: post each payout's documents to Fortnox, the payout voucher last.

Per payout: customers (one per region and currency, reused), then each invoice and its
payment (credit invoices after the invoices they credit), each bookkept, and only when all
of them are confirmed the voucher that moves the money to the bank. Held payouts post
nothing. Every document goes through ``Poster.ensure`` (exactly once).
"""

from __future__ import annotations

import logging
from functools import cached_property, partial
from typing import Any

from dibs_fortnox import money
from dibs_fortnox.booking.documents import InvoiceDoc, PaymentDoc, PayoutBooking, VoucherDoc
from dibs_fortnox.booking.invariants import fortnox_ore
from dibs_fortnox.booking.regions import CustomerSpec
from dibs_fortnox.fortnox.client import fortnox_true
from dibs_fortnox.ledger.reversals import ReversedIds
from dibs_fortnox.pipeline.context import StepContext
from dibs_fortnox.pipeline.plan import plan_day, record_held
from dibs_fortnox.pipeline.posting import DocumentRefused, DocumentSpec, Poster, WriteCounter
from dibs_fortnox.pipeline.preflight import preflight
from dibs_fortnox.pipeline.progress import Progress, documents_to_post
from dibs_fortnox.pipeline.turns import wait_for_earlier_days
from dibs_fortnox.pipeline.vat_preflight import vat_preflight

log = logging.getLogger(__name__)


def voucher_id(voucher: dict[str, Any]) -> str:
    """Our handle on a voucher: series, number and financial year ('A-12-3')."""
    return f"{voucher['VoucherSeries']}-{voucher['VoucherNumber']}-{voucher.get('Year', '')}"


def parse_voucher_id(handle: str) -> tuple[str, int, int | None]:
    series, number, year = handle.split("-")
    return series, int(number), int(year) if year else None


class PayoutLoader:
    """Posts one payout's documents; Fortnox is read at most once per kind of look-up."""

    def __init__(
        self, ctx: StepContext, booking: PayoutBooking, customers: dict[str, str], poster: Poster
    ) -> None:
        self.ctx = ctx
        self.booking = booking
        self.customers = customers
        self.poster = poster
        self.fresh_invoices: set[str] = set()

    @cached_property
    def reversed(self) -> ReversedIds:
        """Documents a reversal took back: Fortnox still holds them under our references,
        but they are not this booking's (``dibs_fortnox.reverse``)."""
        return self.ctx.ledger.reversed_ids(self.ctx.tenant.id)

    @cached_property
    def remote_invoices(self) -> dict[str, dict[str, Any]]:
        """Fortnox invoices dated like this payout's documents, by exact external reference."""
        dates = [i.invoice_date for i in self.booking.invoices]
        found: dict[str, dict[str, Any]] = {}
        for item in self.ctx.fortnox.list_invoices(from_date=min(dates), to_date=max(dates)):
            ref = str(item.get("ExternalInvoiceReference1") or "")
            if str(item.get("DocumentNumber")) in self.reversed.invoices:
                continue
            if ref and not fortnox_true(item.get("Cancelled")):
                found.setdefault(ref, item)
        return found

    def post(self) -> None:
        payments = {p.external_ref: p for p in self.booking.payments}
        for invoice in self.booking.invoices:
            number = self.invoice(invoice)
            self.payment(payments[invoice.external_ref], invoice, number)
        if self.booking.voucher.rows:
            self.voucher(self.booking.voucher)
        else:  # every amount of the payout nets to zero: Fortnox refuses an empty voucher
            log.info(
                "%s: payout %s moves no money, no voucher", self.ctx.where(), self.booking.payout_id
            )

    # -- invoices and credit invoices ------------------------------------------------------
    def invoice(self, doc: InvoiceDoc) -> str:
        fortnox = self.ctx.fortnox

        totals: dict[str, int] = {}  # what Fortnox computed, by invoice number

        def lookup() -> tuple[str, bool] | None:
            item = self.remote_invoices.get(doc.external_ref)
            if item is None:
                return None
            number = str(item["DocumentNumber"])
            totals[number] = fortnox_ore(item.get("Total") or 0)
            return number, fortnox_true(item.get("Booked"))

        def recheck() -> tuple[str, bool] | None:
            item = fortnox.find_invoice_by_reference(  # not the cached list
                doc.external_ref, ignore=self.reversed.invoices
            )
            return (
                None
                if item is None
                else (str(item["DocumentNumber"]), fortnox_true(item.get("Booked")))
            )

        def create(payload: dict[str, Any]) -> str:
            created = fortnox.create_invoice(payload)
            number = str(created["DocumentNumber"])
            self.fresh_invoices.add(number)
            totals[number] = fortnox_ore(created.get("Total") or 0)
            return number

        def bookkeep(number: str) -> None:
            # Bookkeeping makes an invoice final; one whose total is not what Nets charged
            # would leave the receivable open, so it stays unbookkept for a person.
            if number not in totals:
                totals[number] = fortnox_ore(fortnox.get_invoice(number).get("Total") or 0)
            if totals[number] != doc.total:
                round_off = fortnox_ore(fortnox.get_invoice(number).get("RoundOff") or 0)
                why = (
                    f" (Fortnox rounded it to whole kronor, RoundOff "
                    f"{money.format_amount(round_off)}: turn off öresavrundning for invoices "
                    "in Fortnox, credit this invoice by hand and run the day again)"
                    if round_off
                    else ""
                )
                raise DocumentRefused(
                    f"{self.ctx.where()}: Fortnox computed invoice {number} for "
                    f"{doc.external_ref} as {money.format_amount(totals[number])} but the "
                    f"documents say {money.format_amount(doc.total)}: left unbookkept for a "
                    f"person to check{why}"
                )
            fortnox.bookkeep_invoice(number)

        def payload() -> dict[str, Any]:
            credited = self.credited_number(doc) if doc.is_credit else None
            linked = credited is None or not self.already_credited(credited)
            body = doc.to_payload(self.customers[doc.customer.key], credited, linked=linked)
            body["Invoice"]["Comments"] = f"Nets Easy payout {self.booking.payout_id}"
            return body

        kind = "credit" if doc.is_credit else "invoice"
        what = (
            f"credit invoice for refund {doc.external_ref}"
            if doc.is_credit
            else f"invoice for charge {doc.external_ref}"
        )
        return self.poster.ensure(
            DocumentSpec(
                kind=kind,
                reference=doc.external_ref,
                label=what,
                payload=payload,
                lookup=lookup,
                create=create,
                bookkeep=bookkeep,
                is_booked=lambda n: fortnox_true(fortnox.get_invoice(n).get("Booked")),
                recheck=recheck,
            )
        )

    def credited_number(self, doc: InvoiceDoc) -> str:
        """The Fortnox number of the invoice a credit invoice credits."""
        assert doc.credits is not None
        state = self.ctx.ledger.document(self.ctx.tenant.id, "invoice", doc.credits)
        if state is not None and state.fortnox_id and state.status in ("posted", "bookkept"):
            return str(state.fortnox_id)
        found = self.ctx.fortnox.find_invoice_by_reference(
            doc.credits, ignore=self.reversed.invoices
        )
        if found is None:
            raise DocumentRefused(
                f"{self.ctx.where()}, payout {self.booking.payout_id}: refund {doc.external_ref} "
                f"credits charge {doc.credits}, whose invoice is not in Fortnox: book that "
                "charge's day first (or credit it by hand)"
            )
        return str(found["DocumentNumber"])

    def already_credited(self, number: str) -> bool:
        """True when Fortnox's invoice ``number`` already names a credit invoice.

        Fortnox has one ``CreditInvoiceReference`` per invoice (the OpenAPI schema), so a
        second partial refund of the same charge cannot be linked: it is posted as a
        stand-alone credit whose remarks name the original. Asked of Fortnox each time,
        because a person may have credited the invoice by hand.
        """
        reference = self.ctx.fortnox.get_invoice(number).get("CreditInvoiceReference")
        return str(reference or "0") not in ("", "0")

    # -- payments --------------------------------------------------------------------------
    def payment(self, doc: PaymentDoc, invoice: InvoiceDoc, invoice_number: str) -> str:
        fortnox = self.ctx.fortnox

        def lookup() -> tuple[str, bool] | None:
            if invoice_number in self.fresh_invoices:
                return None  # created by this very attempt: it cannot have a payment yet
            return recheck()

        def recheck() -> tuple[str, bool] | None:
            for item in fortnox.list_invoice_payments(int(invoice_number)):
                if str(item.get("ExternalInvoiceReference1") or "") == doc.external_ref or (
                    not item.get("ExternalInvoiceReference1")
                    and money.from_decimal(item["Amount"]) == doc.amount
                ):
                    return str(item["Number"]), fortnox_true(item.get("Booked"))
            return None

        kind = "credit_payment" if invoice.is_credit else "invoice_payment"
        return self.poster.ensure(
            DocumentSpec(
                kind=kind,
                reference=doc.external_ref,
                label=f"payment of {'credit ' * invoice.is_credit}invoice {invoice_number}",
                payload=lambda: doc.to_payload(int(invoice_number)),
                lookup=lookup,
                create=lambda body: str(fortnox.create_invoice_payment(body)["Number"]),
                bookkeep=fortnox.bookkeep_invoice_payment,
                is_booked=lambda n: any(
                    str(p.get("Number")) == n and fortnox_true(p.get("Booked"))
                    for p in fortnox.list_invoice_payments(int(invoice_number))
                ),
                recheck=recheck,
            )
        )

    # -- the payout voucher ----------------------------------------------------------------
    def voucher(self, doc: VoucherDoc) -> str:
        fortnox = self.ctx.fortnox

        def lookup() -> tuple[str, bool] | None:
            found = fortnox.find_voucher_by_description(
                doc.series,
                doc.transaction_date,
                doc.transaction_date,
                doc.description,
                ignore=self.reversed.vouchers,
            )
            return None if found is None else (voucher_id(found), True)

        # The year goes in the ``financialyear`` parameter: without it Fortnox uses the
        # preselected year, which is wrong for a payout dated in another year. The body's
        # ``Year`` says the same, since the OpenAPI schema marks it required.
        year = self.ctx.financial_year_id(doc.transaction_date)

        def payload() -> dict[str, Any]:
            body = doc.to_payload()
            if year is not None:
                body["Voucher"]["Year"] = year
            return body

        return self.poster.ensure(
            DocumentSpec(
                kind="voucher",
                reference=self.booking.payout_id,
                label=f"voucher for payout {self.booking.payout_id}",
                payload=payload,
                lookup=lookup,
                create=lambda body: voucher_id(fortnox.create_voucher(body, year)),
            )
        )


def ensure_customers(ctx: StepContext, specs: list[CustomerSpec], poster: Poster) -> dict[str, str]:
    """The Fortnox number of each customer, created once and reused.

    Collective customers are found again by name; a company by name and VAT number.
    """
    numbers: dict[str, str] = {}
    listing: list[dict[str, Any]] | None = None

    def lookup_for(spec: CustomerSpec, fresh: bool = False) -> tuple[str, bool] | None:
        nonlocal listing
        if listing is None or fresh:
            listing = ctx.fortnox.list_customers()
        for item in listing:
            if str(item.get("Name")) != spec.name:
                continue
            number = str(item["CustomerNumber"])
            if spec.vat_number is None:
                return number, True
            # A company is the same customer only with the same VAT number: two buyers
            # may share a name, and the list does not show VATNumber.
            found = ctx.fortnox.get_customer(number).get("VATNumber")
            if str(found or "").replace(" ", "").upper() == spec.vat_number:
                return number, True
        return None

    for spec in specs:
        numbers[spec.key] = poster.ensure(
            DocumentSpec(
                kind="customer",
                reference=spec.key,
                label=f"customer {spec.name}",
                payload=spec.to_payload,
                lookup=partial(lookup_for, spec),
                recheck=partial(lookup_for, spec, fresh=True),
                create=lambda body: str(ctx.fortnox.create_customer(body)["CustomerNumber"]),
            )
        )
    return numbers


def _confirmed(ctx: StepContext, booking: PayoutBooking) -> bool:
    """True when the state database shows every document of the payout done."""
    state = ctx.ledger.document(ctx.tenant.id, "voucher", booking.payout_id)
    return state is not None and state.status in ("posted", "bookkept")


def load(ctx: StepContext) -> dict[str, Any]:
    """The load task: post every bookable payout of the day; return what was sent."""
    plan = plan_day(ctx)
    waited = 0.0
    if plan.held or any(not _confirmed(ctx, b) for b in plan.bookings):
        # Something to write, or a refund that an earlier day may be about to make bookable.
        waited = wait_for_earlier_days(ctx)
        plan = plan_day(ctx)
    record_held(ctx, plan)
    todo = [b for b in plan.bookings if not _confirmed(ctx, b)]
    if todo:
        preflight(ctx, todo)
        vat_preflight(ctx, todo)
    counter = WriteCounter()
    customers: dict[str, str] = {}
    progress = Progress(documents_to_post(todo), ctx.where())  # "n of m documents" in the log
    for booking in todo:
        poster = Poster(ctx, booking.payout_id, counter, progress)
        needed = [c for c in booking.customers if c.key not in customers]
        customers.update(ensure_customers(ctx, needed, poster))
        PayoutLoader(ctx, booking, customers, poster).post()
        ctx.ledger.record_payout(ctx.tenant.id, booking.payout.day, booking.payout_id, "booked")
    for booking in plan.bookings:
        if booking not in todo:  # confirmed by an earlier attempt or another run
            ctx.ledger.record_payout(ctx.tenant.id, booking.payout.day, booking.payout_id, "booked")
    summary = {
        "day": ctx.day.isoformat(),
        "payouts_booked": len(plan.bookings),
        "payouts_already_done": len(plan.bookings) - len(todo),
        "payouts_held": len(plan.held),
        "created": counter.created,
        "bookkept": counter.bookkept,
        "found_in_fortnox": counter.found,
        "writes": counter.writes,
        "lost_answers_resolved": len(counter.resolved_s),
        "waited_for_earlier_days_s": round(waited, 1),
    }
    log.info("%s: loaded %s", ctx.where(), summary)
    return summary
