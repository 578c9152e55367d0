"""One company's book: its documents and a double-entry ledger, in integer öre.

The book is pure state, no HTTP: the app calls it under one lock. Bookkeeping creates a
voucher the way Fortnox does (series B for customer invoices, C for customer payments, as
in Fortnox's default series table) and adds its rows to the running balances, so the
trial balance is always the sum of all vouchers, and a test can check it to the öre.

Example:
    >>> book = Book(demo_company())
    >>> book.trial_balance()
    {}
"""

from __future__ import annotations

import dataclasses
from datetime import date

from dibs_fortnox.money import format_amount, round_half_up_div
from dibs_fortnox.sandbox.fortnox.company import Company, demo_company
from dibs_fortnox.sandbox.fortnox.documents import (
    Customer,
    Invoice,
    Payment,
    Voucher,
    VoucherRef,
    VoucherRow,
    signed_rows,
)
from dibs_fortnox.sandbox.fortnox.intake import InvoiceDraft, PaymentDraft, VoucherDraft
from dibs_fortnox.sandbox.fortnox.rules import (
    ALREADY_BOOKED,
    BOOKED_CANNOT_CANCEL,
    BOOKED_CANNOT_DELETE,
    CANCELLED,
    CREDIT_NOT_ALLOWED,
    CUSTOMER_NUMBER_USED,
    OVERPAYMENT,
    PAYMENT_BEFORE_INVOICE,
    UNKNOWN_CURRENCY,
    UNKNOWN_CUSTOMER,
    VAT_ACCOUNTS,
    bad,
    check_account,
    check_booking_date,
    check_currency,
    not_found,
)
from dibs_fortnox.sandbox.fortnox.vat_rules import check_customer_vat_type, check_invoice_vat_type

RECEIVABLE = 1510  # Fortnox's predefined customer receivable account ("Kundfordringar")
ROUND_OFF = 3740  # Fortnox's predefined account for öresutjämning
INVOICE_SERIES = "B"
PAYMENT_SERIES = "C"


class Book:
    """Documents and ledger of one tenant. Not thread safe: the caller holds a lock."""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.invoices: dict[int, Invoice] = {}
        self.payments: dict[int, Payment] = {}
        self.vouchers: dict[tuple[str, int, int], Voucher] = {}
        self.customers: dict[str, Customer] = {}
        self.balances: dict[int, int] = {}
        self.mode_descriptions: dict[str, str] = {code: code for code in company.modes_of_payment}
        self._next_invoice = 1
        self._next_payment = 1
        self._next_customer = 1
        self._next_voucher: dict[tuple[str, int], int] = {}

    # -- ledger ------------------------------------------------------------------------
    def trial_balance(self) -> dict[int, int]:
        """Account -> debit minus credit in öre, for every account any voucher touched."""
        return dict(sorted(self.balances.items()))

    def account_balance(self, number: int, year_id: int) -> tuple[int, int]:
        """Brought forward and carried forward balance (öre) of an account in a year.

        Balance-sheet accounts (classes 1 and 2) carry the earlier years' vouchers forward;
        result accounts start every year at zero, as after a closed year in Fortnox.
        """
        brought = carried = 0
        for voucher in self.vouchers.values():
            if voucher.year > year_id or (voucher.year < year_id and number >= 3000):
                continue
            moved = sum(r.debit - r.credit for r in voucher.rows if r.account == number)
            if voucher.year < year_id:
                brought += moved
            carried += moved
        return brought, carried

    def next_voucher_number(self, series: str, year: int) -> int:
        return self._next_voucher.get((series, year), 1)

    def _post(
        self,
        series: str,
        day: date,
        description: str,
        rows: list[VoucherRow],
        reference_type: str = "MANUAL",
        reference_number: str = "",
        comments: str = "",
    ) -> Voucher:
        year = check_booking_date(self.company, day, description)
        for row in rows:
            check_account(self.company, row.account)
        key = (series, year.id)
        number = self._next_voucher.get(key, 1)
        self._next_voucher[key] = number + 1
        voucher = Voucher(
            series,
            number,
            year.id,
            description,
            day,
            rows,
            reference_type,
            reference_number,
            comments,
        )
        self.vouchers[(series, year.id, number)] = voucher
        for row in rows:
            self.balances[row.account] = self.balances.get(row.account, 0) + row.debit - row.credit
        return voucher

    # -- customers ---------------------------------------------------------------------
    def add_customer(self, number: str | None, kept: dict[str, object]) -> Customer:
        """Register a customer; a number once used can never be used again (2000637)."""
        if number:
            if number in self.customers:
                raise bad(CUSTOMER_NUMBER_USED, f"Kundnummer {number} används redan")
        else:
            while str(self._next_customer) in self.customers:
                self._next_customer += 1
            number = str(self._next_customer)
        if kept.get("Currency"):
            check_currency(self.company, str(kept["Currency"]))
        check_customer_vat_type(kept)
        customer = Customer(number, {**kept, "CustomerNumber": number})
        self.customers[number] = customer
        return customer

    # -- invoices ----------------------------------------------------------------------
    def invoice(self, number: int) -> Invoice:
        found = self.invoices.get(number)
        if found is None:
            raise not_found(f"faktura {number}")
        return found

    def create_invoice(self, draft: InvoiceDraft) -> Invoice:
        """Register an invoice (unbooked); a credit invoice needs a booked original."""
        customer = self.customers.get(draft.customer_number)
        if customer is None:
            raise bad(UNKNOWN_CUSTOMER, f"Kan inte hitta kunden {draft.customer_number}")
        currency = draft.currency or str(customer.fields.get("Currency") or "SEK")
        if currency not in self.company.currencies:
            raise bad(UNKNOWN_CURRENCY, f"Could not find currency {currency}")
        check_invoice_vat_type(
            customer.fields.get("VATType"), [r.vat_rate for r in draft.rows], customer.number
        )
        original = None
        if draft.credit_of is not None:
            original = self.invoices.get(draft.credit_of)
            if original is None:
                raise bad(CREDIT_NOT_ALLOWED, f"Faktura {draft.credit_of} att kreditera finns inte")
            self._check_creditable(original)
            if original.credited_by:
                # One CreditInvoiceReference per invoice (a single field in the OpenAPI
                # schema): a second credit must stand alone and name the original in text.
                raise bad(
                    CREDIT_NOT_ALLOWED,
                    f"Faktura {original.number} är redan krediterad ({original.credited_by[0]})",
                )
        number = draft.document_number or self._next_invoice
        if number in self.invoices:
            raise bad(2999018, f"Dokumentnummer {number} används redan")
        self._next_invoice = max(self._next_invoice, number + 1)
        texts = draft.texts
        invoice = Invoice(
            number=number,
            customer_number=customer.number,
            customer_name=customer.name,
            invoice_date=draft.invoice_date,
            due_date=draft.due_date,
            currency=currency,
            vat_included=draft.vat_included,
            rows=list(draft.rows),
            external_ref1=texts["ExternalInvoiceReference1"],
            external_ref2=texts["ExternalInvoiceReference2"],
            your_order_number=texts["YourOrderNumber"],
            your_reference=texts["YourReference"],
            our_reference=texts["OurReference"],
            remarks=texts["Remarks"],
            comments=texts["Comments"],
            credit_of=draft.credit_of,
        )
        if self.company.invoice_round_off:
            # Öresavrundning: Fortnox rounds the invoice total to whole kronor (half up).
            raw = invoice.total
            invoice.round_off = round_half_up_div(raw, 100) * 100 - raw
        invoice.balance = invoice.total
        self.invoices[number] = invoice
        if original is not None:
            original.credited_by.append(number)
        return invoice

    def _check_creditable(self, original: Invoice) -> None:
        if original.cancelled:
            raise bad(
                CREDIT_NOT_ALLOWED,
                f"Faktura {original.number} är makulerad och kan inte krediteras",
            )
        if not original.booked:
            raise bad(
                CREDIT_NOT_ALLOWED,
                f"Faktura {original.number} är inte bokförd och kan inte krediteras",
            )
        if original.is_credit:
            raise bad(CREDIT_NOT_ALLOWED, f"Faktura {original.number} är en kreditfaktura")

    def credit_invoice(self, number: int, today: date) -> Invoice:
        """Create the full credit invoice of a booked invoice (``PUT .../credit``).

        The credit invoice is dated today when today lies in an open financial year, else
        on the original's date (a sandbox simplification so old demo data stays bookable).
        """
        original = self.invoice(number)
        self._check_creditable(original)
        if original.credited_by:
            raise bad(
                CREDIT_NOT_ALLOWED,
                f"Faktura {number} är redan krediterad ({original.credited_by[0]})",
            )
        day = today
        if self.company.financial_year_for(today) is None or self.company.is_locked(today):
            day = original.invoice_date
        rows = [
            dataclasses.replace(r, quantity=-r.quantity, net=-r.net, vat=-r.vat)
            for r in original.rows
        ]
        draft = InvoiceDraft(
            customer_number=original.customer_number,
            invoice_date=day,
            due_date=day,
            currency=original.currency,
            vat_included=original.vat_included,
            rows=rows,
            credit_of=number,
            document_number=None,
            texts={
                # References are not copied (a sandbox choice): a search by the original's
                # reference then finds one invoice, not the pair.
                "ExternalInvoiceReference1": "",
                "ExternalInvoiceReference2": "",
                "YourOrderNumber": "",
                "YourReference": original.your_reference,
                "OurReference": original.our_reference,
                "Remarks": f"Kreditfaktura för faktura {number}",
                "Comments": "",
            },
        )
        return self.create_invoice(draft)

    def bookkeep_invoice(self, number: int) -> Invoice:
        """Book D 1510 total / C row accounts net / C output VAT (a credit: the reverse)."""
        invoice = self.invoice(number)
        if invoice.cancelled:
            raise bad(CANCELLED, f"Faktura {number} är makulerad och kan inte bokföras")
        if invoice.booked:
            raise bad(ALREADY_BOOKED, f"Faktura {number} är redan bokförd")
        postings: dict[int, int] = {RECEIVABLE: invoice.total}
        if invoice.round_off:
            postings[ROUND_OFF] = -invoice.round_off
        for row in invoice.rows:
            postings[row.account] = postings.get(row.account, 0) - row.net
            if row.vat:
                code = self.company.vat_codes.get(row.account)
                vat_account = code.account if code and code.account else VAT_ACCOUNTS[row.vat_rate]
                postings[vat_account] = postings.get(vat_account, 0) - row.vat
        kind = "Kreditfaktura" if invoice.is_credit else "Kundfaktura"
        voucher = self._post(
            INVOICE_SERIES,
            invoice.invoice_date,
            f"{kind} {number} {invoice.customer_name}",
            signed_rows(postings),
            "INVOICE",
            str(number),
        )
        invoice.booked = True
        invoice.voucher = VoucherRef(voucher.series, voucher.number, voucher.year)
        return invoice

    def cancel_invoice(self, number: int) -> Invoice:
        """Cancel an unbooked invoice without payments; booked ones need a credit invoice."""
        invoice = self.invoice(number)
        if invoice.cancelled:
            raise bad(CANCELLED, f"Faktura {number} är redan makulerad")
        if invoice.booked:
            raise bad(
                BOOKED_CANNOT_CANCEL,
                f"Faktura {number} är bokförd: kreditera den i stället för att makulera",
            )
        if invoice.payments:
            raise bad(
                BOOKED_CANNOT_CANCEL, f"Faktura {number} har betalningar och kan inte makuleras"
            )
        invoice.cancelled = True
        return invoice

    # -- payments ----------------------------------------------------------------------
    def payment(self, number: int) -> Payment:
        found = self.payments.get(number)
        if found is None:
            raise not_found(f"inbetalning {number}")
        return found

    def create_payment(self, draft: PaymentDraft, today: date) -> Payment:
        """Register a payment: same sign as the balance and never more than what is left."""
        invoice = self.invoices.get(draft.invoice_number)
        if invoice is None:
            raise bad(2999012, f"Kan inte hitta faktura {draft.invoice_number}")
        if invoice.cancelled:
            raise bad(CANCELLED, f"Faktura {invoice.number} är makulerad och kan inte betalas")
        day = draft.payment_date or today
        if day < invoice.invoice_date:
            raise bad(
                PAYMENT_BEFORE_INVOICE,
                f"The payment date cannot precede the invoice date "
                f"({day} < {invoice.invoice_date}, "
                f"faktura {invoice.number})",
            )
        check_booking_date(self.company, day, "payment")
        if draft.currency and draft.currency != invoice.currency:
            raise bad(
                UNKNOWN_CURRENCY,
                f"Currency {draft.currency} and Currency {invoice.currency} does not match",
            )
        same_sign = (draft.amount > 0) == (invoice.balance > 0)
        if invoice.balance == 0 or not same_sign or abs(draft.amount) > abs(invoice.balance):
            raise bad(
                OVERPAYMENT,
                f"Betalningen {format_amount(draft.amount)} är större än "
                f"fakturans återstående belopp {format_amount(invoice.balance)} "
                f"(faktura {invoice.number})",
            )
        number = self._next_payment
        self._next_payment += 1
        payment = Payment(
            number,
            invoice.number,
            draft.amount,
            day,
            draft.mode_of_payment,
            draft.account,
            invoice.currency,
            draft.external_ref1,
            draft.external_ref2,
        )
        self.payments[number] = payment
        invoice.payments.append(number)
        invoice.balance -= draft.amount
        if invoice.balance == 0:
            invoice.final_pay_date = day
        return payment

    def delete_payment(self, number: int) -> None:
        """Delete an unbooked payment (``DELETE /3/invoicepayments/{n}``).

        A bookkept payment is part of the books and stays: it is undone by a payment of the
        opposite amount (on a credit invoice), as every bookkept document is undone by its
        mirror image; invoices and vouchers have no delete at all in the API.
        """
        payment = self.payment(number)
        if payment.booked:
            raise bad(
                BOOKED_CANNOT_DELETE,
                f"Inbetalning {number} är bokförd och kan inte tas bort: "
                "registrera en motsatt betalning i stället",
            )
        invoice = self.invoices[payment.invoice_number]
        del self.payments[number]
        invoice.payments.remove(number)
        invoice.balance += payment.amount
        invoice.final_pay_date = None if invoice.balance else invoice.final_pay_date

    def bookkeep_payment(self, number: int) -> Payment:
        """Book D mode-of-payment account / C 1510 (a negative payment: the reverse)."""
        payment = self.payment(number)
        if payment.booked:
            raise bad(ALREADY_BOOKED, f"Inbetalning {number} är redan bokförd")
        invoice = self.invoices[payment.invoice_number]
        if invoice.cancelled:
            raise bad(CANCELLED, f"Faktura {invoice.number} är makulerad")
        rows = signed_rows({payment.account: payment.amount, RECEIVABLE: -payment.amount})
        voucher = self._post(
            PAYMENT_SERIES,
            payment.payment_date,
            f"Inbetalning {number} faktura {invoice.number}",
            rows,
            "INVOICEPAYMENT",
            str(number),
        )
        payment.booked = True
        payment.voucher = VoucherRef(voucher.series, voucher.number, voucher.year)
        return payment

    # -- vouchers ----------------------------------------------------------------------
    def create_voucher(self, draft: VoucherDraft) -> Voucher:
        return self._post(
            draft.series,
            draft.transaction_date,
            draft.description,
            list(draft.rows),
            comments=draft.comments,
        )

    def voucher(self, series: str, number: int, year: int) -> Voucher:
        found = self.vouchers.get((series, year, number))
        if found is None:
            raise not_found(f"verifikation {series}{number} (år {year})")
        return found


__all__ = ["Book", "demo_company"]
