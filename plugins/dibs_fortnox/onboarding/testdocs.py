"""The onboarding's TEST documents in Fortnox, and their reversal.

What the merchant's form promised: a test invoice and a test voucher to look at before
saying OK. The invoice goes the whole way a Nets charge goes (created, bookkept, paid
through the tenant's mode of payment and that payment bookkept), so it shows green in
Fortnox exactly when the real booking will work; the voucher moves the paid amount from
the card receivable to the bank as a payout voucher does, in the tenant's series.

Everything is marked TEST (customer name, invoice remarks and reference, voucher text) and
carries a reference of its own (``onboarding-<tenant>-<attempt>``), so a retried task looks
the document up before creating it again. Reversal books the mirror image (a credit
invoice with its negative payment, and a reversing voucher), after which every account the
test touched is back at zero.

Amounts: 100.10 kr net + 25 % VAT = 125.13 kr (öre on purpose: a company that rounds
invoices to whole kronor shows a ``RoundOff`` on this invoice, and the check reports it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from dibs_fortnox.errors import ConfigError
from dibs_fortnox.fortnox.client import FortnoxClient, fortnox_true
from dibs_fortnox.money import to_decimal
from dibs_fortnox.tenants import TenantConfig

TEST_CUSTOMER = "TEST – DIBS-Fortnox anslutningstest"
NET_ORE = 10_010
VAT_PERCENT = 25
VAT_ORE = 2_503  # 25 % of 100.10, rounded half up to the öre
TOTAL_ORE = NET_ORE + VAT_ORE
MARK = "TEST från DIBS-Fortnox (anslutning): krediteras automatiskt, rör ej"


@dataclass(frozen=True)
class TestDocuments:
    """Fortnox numbers of the test documents (and, once reversed, of the reversal).

    Attributes:
        reference: our reference on every test document (``onboarding-acme-1``).
        credit_number / reversal_voucher: None until the test was reversed.
    """

    reference: str
    customer_number: str
    invoice_number: str
    payment_number: str
    voucher_series: str
    voucher_number: int
    voucher_year: int
    day: date
    total_ore: int
    sales_account: int
    vat_account: int
    credit_number: str | None = None
    credit_payment_number: str | None = None
    reversal_voucher: int | None = None
    round_off: str = "0"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, day=self.day.isoformat())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestDocuments:
        return cls(**{**data, "day": date.fromisoformat(str(data["day"]))})


def _customer(fortnox: FortnoxClient) -> str:
    for item in fortnox.list_customers():
        if str(item.get("Name")) == TEST_CUSTOMER:
            return str(item["CustomerNumber"])
    body = {"Name": TEST_CUSTOMER, "Type": "COMPANY", "VATType": "SEVAT", "Currency": "SEK",
            "CountryCode": "SE", "ExternalReference": "dibs-fortnox-onboarding-test"}  # fmt: skip
    return str(fortnox.create_customer(body)["CustomerNumber"])


def _invoice(fortnox: FortnoxClient, reference: str, body: dict[str, Any]) -> dict[str, Any]:
    found = fortnox.find_invoice_by_reference(reference)
    if found is None:
        found = fortnox.create_invoice(body)
    number = found["DocumentNumber"]
    if not fortnox_true(found.get("Booked")):
        fortnox.bookkeep_invoice(number)
    return fortnox.get_invoice(number)


def _payment(
    fortnox: FortnoxClient, tenant: TenantConfig, invoice: str, amount: int, day: date, ref: str
) -> str:
    for payment in fortnox.list_invoice_payments(invoice):
        if Decimal(str(payment.get("Amount"))) == to_decimal(amount):
            number = str(payment["Number"])
            break
    else:
        number = str(
            fortnox.create_invoice_payment(
                {
                    "InvoiceNumber": int(invoice),
                    "Amount": to_decimal(amount),
                    "PaymentDate": day.isoformat(),
                    "ModeOfPayment": tenant.mode_of_payment,
                    "ModeOfPaymentAccount": tenant.accounts.receivable,
                    "ExternalInvoiceReference1": ref,
                }
            )["Number"]
        )
        fortnox.bookkeep_invoice_payment(number)
        return number
    return number


def _voucher(
    fortnox: FortnoxClient, tenant: TenantConfig, day: date, text: str, debit: int, credit: int
) -> dict[str, Any]:
    found = fortnox.find_voucher_by_description(tenant.voucher_series, day, day, text)
    if found is not None:
        return found
    rows = [
        {"Account": debit, "Debit": to_decimal(TOTAL_ORE), "Credit": to_decimal(0)},
        {"Account": credit, "Debit": to_decimal(0), "Credit": to_decimal(TOTAL_ORE)},
    ]
    body: dict[str, Any] = {
        "Description": text,
        "TransactionDate": day.isoformat(),
        "VoucherSeries": tenant.voucher_series,
        "VoucherRows": rows,
    }
    years = [y for y in fortnox.financial_years(day) if "Id" in y]
    if years:
        body["Year"] = int(years[0]["Id"])  # required by the API's schema (fortnox-api §10)
        return fortnox.create_voucher(body, financial_year=int(years[0]["Id"]))
    return fortnox.create_voucher(body)


def create_test_documents(
    fortnox: FortnoxClient, tenant: TenantConfig, day: date, attempt: int = 1
) -> TestDocuments:
    """Create (or find, after a retry) the TEST invoice, its payment and the test voucher.

    Raises:
        ConfigError: the invoice is not paid in full afterwards (not green), e.g. because
            Fortnox rounded its total (öresutjämning), with what to change.
    """
    reference = f"onboarding-{tenant.id}-{attempt}"
    customer = _customer(fortnox)
    invoice = _invoice(
        fortnox,
        reference,
        {
            "CustomerNumber": customer,
            "InvoiceDate": day.isoformat(),
            "Currency": "SEK",
            "VATIncluded": False,
            "ExternalInvoiceReference1": reference,
            "YourReference": "TEST",
            "Remarks": MARK,
            "InvoiceRows": [
                {
                    "AccountNumber": tenant.accounts.sales_se,
                    "DeliveredQuantity": "1",
                    "Price": to_decimal(NET_ORE),
                    "VAT": VAT_PERCENT,
                    "Description": "TEST – testartikel (1 st × 100.10)",
                }
            ],
        },
    )
    number = str(invoice["DocumentNumber"])
    round_off = Decimal(str(invoice.get("RoundOff") or 0))
    payment = _payment(fortnox, tenant, number, TOTAL_ORE, day, reference)
    paid = fortnox.get_invoice(number)
    if round_off != 0 or Decimal(str(paid.get("Balance") or 0)) != 0:
        raise ConfigError(
            f"tenant {tenant.id}: the TEST invoice {number} is not paid in full after a payment "
            f"of {to_decimal(TOTAL_ORE)} kr (Fortnox rounded it by {round_off} kr, balance "
            f"{paid.get('Balance')} kr): turn off öresutjämning for invoices in Fortnox "
            "(Inställningar → Faktura → Öresutjämning), because card payments are exact to "
            "the öre; then run the onboarding again"
        )
    voucher = _voucher(
        fortnox, tenant, day, f"TEST {reference}: anslutningstest, utbetalning",
        tenant.accounts.bank, tenant.accounts.receivable,
    )  # fmt: skip
    return TestDocuments(
        reference=reference,
        customer_number=customer,
        invoice_number=number,
        payment_number=payment,
        voucher_series=str(voucher.get("VoucherSeries") or tenant.voucher_series),
        voucher_number=int(voucher["VoucherNumber"]),
        voucher_year=int(voucher.get("Year") or 0),
        day=day,
        total_ore=TOTAL_ORE,
        sales_account=tenant.accounts.sales_se,
        vat_account=2611,
        round_off=str(round_off),
    )


def reverse_test_documents(
    fortnox: FortnoxClient, tenant: TenantConfig, docs: TestDocuments
) -> TestDocuments:
    """Credit the TEST invoice (and settle the credit), reverse the voucher; idempotent."""
    credit_ref = f"{docs.reference}-kredit"
    credit = _invoice(
        fortnox,
        credit_ref,
        {
            "CustomerNumber": docs.customer_number,
            "InvoiceDate": docs.day.isoformat(),
            "Currency": "SEK",
            "VATIncluded": False,
            "ExternalInvoiceReference1": credit_ref,
            "CreditInvoiceReference": docs.invoice_number,
            "YourReference": "TEST",
            "Remarks": f"Kreditering av TEST-faktura {docs.invoice_number}. {MARK}",
            "InvoiceRows": [
                {
                    "AccountNumber": tenant.accounts.sales_se,
                    "DeliveredQuantity": "-1",
                    "Price": to_decimal(NET_ORE),
                    "VAT": VAT_PERCENT,
                    "Description": "TEST – kreditering av testartikel",
                }
            ],
        },
    )
    credit_number = str(credit["DocumentNumber"])
    credit_payment = _payment(fortnox, tenant, credit_number, -TOTAL_ORE, docs.day, credit_ref)
    voucher = _voucher(
        fortnox, tenant, docs.day, f"TEST {docs.reference}: återföring av anslutningstest",
        tenant.accounts.receivable, tenant.accounts.bank,
    )  # fmt: skip
    return TestDocuments(
        **{
            **docs.__dict__,
            "credit_number": credit_number,
            "credit_payment_number": credit_payment,
            "reversal_voucher": int(voucher["VoucherNumber"]),
        }
    )
