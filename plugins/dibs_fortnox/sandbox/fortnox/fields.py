"""Field names each Fortnox resource accepts in a request body.

Fortnox answers a body with a field it does not know with 400 and code 2001399
("Felaktigt fältnamn"), which is how a typo in an integration shows up in production.
These lists were written by reading the property names of the official OpenAPI schemas
(``fortnox_InvoicePayload``, ``fortnox_InvoicePayment``, ``fortnox_Voucher``, ...); the
spec is never loaded at runtime. Read-only properties that the schemas list (``Booked``,
``@url``) are accepted and ignored, as the real API does with values it computes itself.
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


INVOICE = _names(
    """
    Address1 Address2 AdministrationFee City Comments CostCenter Country
    CreditInvoiceReference Currency CurrencyRate CurrencyUnit CustomerName CustomerNumber
    DeliveryAddress1 DeliveryAddress2 DeliveryCity DeliveryCountry DeliveryDate DeliveryName
    DeliveryZipCode DocumentNumber DueDate EDIInformation EUQuarterlyReport EmailInformation
    ExternalInvoiceReference1 ExternalInvoiceReference2 Freight InvoiceDate InvoiceRows
    InvoiceType Labels Language NotCompleted OCR OurReference OutboundDate PaymentWay Phone1
    Phone2 PriceList PrintTemplate Project Remarks TaxReductionType TermsOfDelivery
    TermsOfPayment VATIncluded WayOfDelivery YourOrderNumber YourReference ZipCode
    """
)

INVOICE_ROW = _names(
    """
    AccountNumber ArticleNumber CostCenter DeliveredQuantity Description Discount
    DiscountType HouseWork HouseWorkHoursToReport HouseWorkType Price Project RowId
    StockPointCode Unit VAT VATCode
    """
)

INVOICE_PAYMENT = _names(
    """
    @url Amount AmountCurrency Booked Currency CurrencyRate CurrencyUnit
    ExternalInvoiceReference1 ExternalInvoiceReference2 InvoiceCustomerName
    InvoiceCustomerNumber InvoiceDueDate InvoiceNumber InvoiceOCR InvoiceTotal ModeOfPayment
    ModeOfPaymentAccount Number PaymentDate Source VoucherNumber VoucherSeries VoucherYear
    WriteOffs
    """
)

VOUCHER = _names(
    """
    @url ApprovalState Comments CostCenter Description Project ReferenceNumber ReferenceType
    TransactionDate VoucherNumber VoucherRows VoucherSeries Year
    """
)

VOUCHER_ROW = _names(
    "Account CostCenter Credit Debit Description Project Quantity Removed TransactionInformation"
)

CUSTOMER = _names(
    """
    @url Active Address1 Address2 City Comments CostCenter Country CountryCode Currency
    CustomerNumber DefaultDeliveryTypes DefaultTemplates DeliveryAddress1 DeliveryAddress2
    DeliveryCity DeliveryCountry DeliveryCountryCode DeliveryFax DeliveryName DeliveryPhone1
    DeliveryPhone2 DeliveryZipCode Email EmailInvoice EmailInvoiceBCC EmailInvoiceCC
    EmailOffer EmailOfferBCC EmailOfferCC EmailOrder EmailOrderBCC EmailOrderCC
    ExternalReference Fax GLN GLNDelivery InvoiceAdministrationFee InvoiceDiscount
    InvoiceFreight InvoiceRemark Name OrganisationNumber OurReference Phone1 Phone2 PriceList
    Project SalesAccount ShowPriceVATIncluded TermsOfDelivery TermsOfPayment Type VATNumber
    VATType VisitingAddress VisitingCity VisitingCountry VisitingCountryCode VisitingZipCode
    WWW WayOfDelivery YourReference ZipCode
    """
)

MODE_OF_PAYMENT = _names("@url AccountNumber Code Description")

# Customer fields the emulator stores and shows (the rest are accepted and dropped).
CUSTOMER_KEPT = (
    "CustomerNumber Name Type VATType CountryCode Country Currency OrganisationNumber "
    "Email Address1 Address2 ZipCode City Phone1 ExternalReference Active VATNumber"
).split()
