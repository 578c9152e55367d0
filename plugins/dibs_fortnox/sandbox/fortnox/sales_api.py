"""Endpoints for customers, invoices and invoice payments.

Searches behave like Fortnox's: text filters are case-insensitive substring matches, so
``externalinvoicereference1=ch_1`` also finds ``ch_10``; the integration has to compare
exactly itself. Lists are ordered by number and paged with ``limit``/``page``.
"""

from __future__ import annotations

from collections.abc import Callable

from dibs_fortnox.sandbox.fortnox import fields
from dibs_fortnox.sandbox.fortnox.call import Call, RouteDecorator, contains, ok
from dibs_fortnox.sandbox.fortnox.documents import Customer, Invoice
from dibs_fortnox.sandbox.fortnox.intake import invoice_draft, payment_draft
from dibs_fortnox.sandbox.fortnox.rules import (
    INVALID_PARAMETER,
    bad,
    check_fields,
    not_found,
    parse_date,
    parse_int,
    require,
)
from dibs_fortnox.sandbox.fortnox.views import (
    invoice_full,
    invoice_item,
    page,
    payment_full,
    payment_item,
)
from dibs_fortnox.sandbox.router import Response

_INVOICE_TEXT_FILTERS: dict[str, Callable[[Invoice], str]] = {
    "externalinvoicereference1": lambda i: i.external_ref1,
    "externalinvoicereference2": lambda i: i.external_ref2,
    "yourordernumber": lambda i: i.your_order_number,
    "customernumber": lambda i: i.customer_number,
    "customername": lambda i: i.customer_name,
    "documentnumber": lambda i: str(i.number),
    "yourreference": lambda i: i.your_reference,
    "ourreference": lambda i: i.our_reference,
}
_STATE_FILTERS: dict[str, Callable[[Invoice], bool]] = {
    "cancelled": lambda i: i.cancelled,
    "fullypaid": lambda i: not i.cancelled and i.balance == 0,
    "unpaid": lambda i: not i.cancelled and i.balance != 0,
    "unbooked": lambda i: not i.cancelled and not i.booked,
}
_CUSTOMER_TEXT_FILTERS = {
    "customernumber": "CustomerNumber",
    "name": "Name",
    "email": "Email",
    "organisationnumber": "OrganisationNumber",
    "city": "City",
    "zipcode": "ZipCode",
    "phone": "Phone1",
}


def _customer_item(c: Customer) -> dict[str, object]:
    f = c.fields
    return {
        "@url": f"/3/customers/{c.number}",
        "CustomerNumber": c.number,
        "Name": c.name,
        "Email": f.get("Email", ""),
        "OrganisationNumber": f.get("OrganisationNumber", ""),
        "Address1": f.get("Address1", ""),
        "Address2": f.get("Address2", ""),
        "City": f.get("City", ""),
        "ZipCode": f.get("ZipCode", ""),
        "Phone": f.get("Phone1", ""),
    }


def _customer_full(c: Customer) -> dict[str, object]:
    return {"@url": f"/3/customers/{c.number}", "Active": c.active, **c.fields}


def _invoice_number(call: Call) -> int:
    return parse_int("DocumentNumber", call.params["DocumentNumber"])


def filter_invoices(call: Call) -> list[Invoice]:
    """The invoices a ``GET /3/invoices`` query selects, in number order."""
    query = call.query
    selected = list(call.book.invoices.values())
    for name, field_of in _INVOICE_TEXT_FILTERS.items():
        if name in query:
            needle = query[name]
            selected = [i for i in selected if contains(field_of(i), needle)]
    if query.get("fromdate"):
        low = parse_date("fromdate", query["fromdate"])
        selected = [i for i in selected if i.invoice_date >= low]
    if query.get("todate"):
        high = parse_date("todate", query["todate"])
        selected = [i for i in selected if i.invoice_date <= high]
    if query.get("filter"):
        state = _STATE_FILTERS.get(query["filter"].lower())
        if state is None:
            raise bad(INVALID_PARAMETER, f"Ogiltig parameter i anropet: filter={query['filter']}")
        selected = [i for i in selected if state(i)]
    if "credit" in query:
        wanted = query["credit"].lower() == "true"
        selected = [i for i in selected if i.is_credit == wanted]
    return sorted(selected, key=lambda i: i.number)


def register(route: RouteDecorator) -> None:
    """Register customer, invoice and payment endpoints on the app's API router."""

    @route("GET", "/3/euvatlimitregulation")
    def eu_vat_limit(call: Call) -> Response:
        # Fortnox's own OSS threshold check (EUR 10 000, shown in SEK) for ``year``.
        year = call.query.get("year") or str(call.today.year)
        over = call.book.company.eu_sales_over_limit
        return ok(
            {
                "EUVatLimitRegulation": {
                    "Year": year,
                    "Limit": 99680,
                    "TotalExclVat": 120000 if over else 0,
                    "IsOverLimit": over,
                }
            }
        )

    @route("GET", "/3/customers")
    def customers(call: Call) -> Response:
        query = call.query
        selected = list(call.book.customers.values())
        for name, key in _CUSTOMER_TEXT_FILTERS.items():
            if name in query:
                selected = [
                    c for c in selected if contains(str(c.fields.get(key, "")), query[name])
                ]
        state = (query.get("filter") or "").lower()
        if state in ("active", "inactive"):
            selected = [c for c in selected if c.active == (state == "active")]
        elif state:
            raise bad(INVALID_PARAMETER, f"Ogiltig parameter i anropet: filter={state}")
        return ok(page(query, "Customers", selected, _customer_item))

    @route("GET", "/3/customers/{CustomerNumber}")
    def customer(call: Call) -> Response:
        found = call.book.customers.get(call.params["CustomerNumber"])
        if found is None:
            raise not_found(f"kund {call.params['CustomerNumber']}")
        return ok({"Customer": _customer_full(found)})

    @route("POST", "/3/customers")
    def create_customer(call: Call) -> Response:
        obj = call.body("Customer")
        check_fields(obj, fields.CUSTOMER, "Customer")
        require(obj, "Name", "Customer")
        kept = {k: obj[k] for k in fields.CUSTOMER_KEPT if obj.get(k) is not None}
        kept.pop("CustomerNumber", None)
        number = str(obj["CustomerNumber"]) if obj.get("CustomerNumber") else None
        return ok({"Customer": _customer_full(call.book.add_customer(number, kept))}, 201)

    @route("GET", "/3/invoices")
    def invoices(call: Call) -> Response:
        return ok(page(call.query, "Invoices", filter_invoices(call), invoice_item))

    @route("POST", "/3/invoices")
    def create_invoice(call: Call) -> Response:
        draft = invoice_draft(call.book.company, call.body("Invoice"), call.today)
        return ok({"Invoice": invoice_full(call.book.create_invoice(draft))}, 201)

    @route("GET", "/3/invoices/{DocumentNumber}")
    def invoice(call: Call) -> Response:
        return ok({"Invoice": invoice_full(call.book.invoice(_invoice_number(call)))})

    @route("PUT", "/3/invoices/{DocumentNumber}/bookkeep")
    def bookkeep_invoice(call: Call) -> Response:
        return ok({"Invoice": invoice_full(call.book.bookkeep_invoice(_invoice_number(call)))})

    @route("PUT", "/3/invoices/{DocumentNumber}/cancel")
    def cancel_invoice(call: Call) -> Response:
        return ok({"Invoice": invoice_full(call.book.cancel_invoice(_invoice_number(call)))})

    @route("PUT", "/3/invoices/{DocumentNumber}/credit")
    def credit_invoice(call: Call) -> Response:
        credit = call.book.credit_invoice(_invoice_number(call), call.today)
        return ok({"Invoice": invoice_full(credit)})

    @route("GET", "/3/invoicepayments")
    def payments(call: Call) -> Response:
        selected = sorted(call.book.payments.values(), key=lambda p: p.number)
        if call.query.get("invoicenumber"):
            wanted = parse_int("invoicenumber", call.query["invoicenumber"])
            invoice = call.book.invoices.get(wanted)
            numbers = invoice.payments if invoice else []
            selected = [call.book.payments[n] for n in numbers]
        return ok(page(call.query, "InvoicePayments", selected, payment_item))

    @route("POST", "/3/invoicepayments")
    def create_payment(call: Call) -> Response:
        draft = payment_draft(call.book.company, call.body("InvoicePayment"))
        payment = call.book.create_payment(draft, call.today)
        invoice = call.book.invoices[payment.invoice_number]
        return ok({"InvoicePayment": payment_full(payment, invoice)}, 201)

    @route("GET", "/3/invoicepayments/{Number}")
    def payment(call: Call) -> Response:
        found = call.book.payment(parse_int("Number", call.params["Number"]))
        return ok({"InvoicePayment": payment_full(found, call.book.invoices[found.invoice_number])})

    @route("DELETE", "/3/invoicepayments/{Number}")
    def delete_payment(call: Call) -> Response:
        call.book.delete_payment(parse_int("Number", call.params["Number"]))
        return Response.empty(204)

    @route("PUT", "/3/invoicepayments/{Number}/bookkeep")
    def bookkeep_payment(call: Call) -> Response:
        found = call.book.bookkeep_payment(parse_int("Number", call.params["Number"]))
        return ok({"InvoicePayment": payment_full(found, call.book.invoices[found.invoice_number])})
