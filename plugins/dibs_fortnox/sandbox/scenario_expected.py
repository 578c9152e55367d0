"""What Fortnox must show once a scenario's payouts are booked: the independent answer key.

The end-to-end tests compare Fortnox's trial balance with this. It is computed with plain
loops over the scenario's own charges, refunds and payouts, deliberately sharing nothing
with ``dibs_fortnox.booking`` (no pandas, no matching logic): the scenario knows which
charge or refund each payout action settles, so a wrong match in the pipeline shows up as
a wrong balance here.

Per docs/architecture.md "Booking", after every payout dated in the window is booked:
1510 is 0 (every invoice is paid, every credit invoice settled); the receivable is 0
(charged − refunded of the booked payouts all went through it and out again); the bank
holds Σ amount − Σ deposited; the fee account Σ fees; each sales account (chosen by the
buyer's country and the line's VAT rate, docs/tenants.md) minus the net of charged lines
plus the net of refunded lines; each output VAT account minus the VAT of those lines at
its rate. Balances are debit − credit in öre. Only SEK payouts count: the pipeline holds
payouts in other currencies for now, so they must leave Fortnox untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dibs_fortnox.sandbox.scenario import Scenario
from dibs_fortnox.sandbox.scenario_orders import EU_COUNTRIES, VAT_PREFIX, JsonDict

CUSTOMER_LEDGER = 1510
VAT_ACCOUNTS: dict[int, int] = {2500: 2611, 1200: 2621, 600: 2631}  # taxRate → account


@dataclass(frozen=True)
class ScenarioAccounts:
    """The tenant's accounts the booking uses (the onboarding form's choices).

    Attributes:
        sales_se: sales to customers in Sweden at 25 % (12, 6 and 0 %: ``sales_se_12`` ...).
        sales_eu: sales to consumers elsewhere in the EU at 25 % Swedish VAT (at 12 and 6 %
            they are Swedish sales on ``sales_se_12`` / ``sales_se_6``).
        sales_eu_business: EU companies with a VAT number (reverse charge).
        sales_non_eu: exports outside the EU (no VAT).
        receivable: the Nets receivable, also the mode of payment's account.
        bank: incoming payouts.
        fees: card fees.
    """

    sales_se: int = 3001
    sales_eu: int = 3106
    sales_non_eu: int = 3105
    receivable: int = 1516
    bank: int = 1930
    fees: int = 6040
    sales_se_12: int = 3002
    sales_se_6: int = 3003
    sales_se_0: int = 3004
    sales_eu_business: int = 3108

    def sales_for(self, country: str, tax_rate: int = 2500, business: bool = False) -> int:
        """The sales account for an ISO alpha-3 country and a Nets ``taxRate``."""
        by_rate = {2500: self.sales_se, 1200: self.sales_se_12, 600: self.sales_se_6}
        if country == "SWE":
            return by_rate.get(tax_rate, self.sales_se_0)
        if country in EU_COUNTRIES:
            if business:
                return self.sales_eu_business
            return self.sales_eu if tax_rate == 2500 else by_rate[tax_rate]
        return self.sales_non_eu

    def all_sales(self) -> tuple[int, ...]:
        return (
            self.sales_se, self.sales_se_12, self.sales_se_6, self.sales_se_0,
            self.sales_eu, self.sales_eu_business, self.sales_non_eu,
        )  # fmt: skip


def expected_trial_balance(
    scenario: Scenario,
    accounts: ScenarioAccounts,
    payout_from: date | None = None,
    payout_to: date | None = None,
) -> dict[int, int]:
    """Balances (debit − credit, öre) after booking the SEK payouts dated in the window.

    Args:
        scenario: the generated (or hand-built) history.
        accounts: the tenant's accounts.
        payout_from: first payout date to include; None means from the first payout.
        payout_to: last payout date to include (inclusive); None means to the last payout.

    Returns:
        Every account the booking touches (1510, the receivable, bank, fees, the three
        sales accounts, 2611, 2621 and 2631), zero balances included, so a caller can check
        that Fortnox shows 0 where it must.
    """
    balance = {
        account: 0
        for account in (
            CUSTOMER_LEDGER, accounts.receivable, accounts.bank, accounts.fees,
            *accounts.all_sales(), *VAT_ACCOUNTS.values(),
        )
    }  # fmt: skip
    for payout in scenario.payouts:
        day = date.fromisoformat(payout["date"])
        if payout["currency"] != "SEK":
            continue
        if (payout_from and day < payout_from) or (payout_to and day > payout_to):
            continue
        balance[accounts.bank] += payout["amount"] - payout["depositedAmount"]
        balance[accounts.fees] += payout["fees"]
        for action in payout["paymentActions"]:
            source = scenario.action_sources[action["id"]]
            if source.kind == "Deposit" or source.payment_id is None:
                continue
            payment = scenario.payment(source.payment_id)
            country = payment["consumer"]["shippingAddress"]["country"]
            business = _has_vat_number(payment, country)
            sign = -1 if source.kind == "Charge" else 1  # sales are credits; refunds reverse
            for line in _settled_lines(payment, source.kind, source.source_id):
                sales = accounts.sales_for(country, line["taxRate"], business)
                balance[sales] += sign * line["netTotalAmount"]
                if line["taxAmount"]:
                    balance[VAT_ACCOUNTS[line["taxRate"]]] += sign * line["taxAmount"]
    return balance


def _has_vat_number(payment: JsonDict, country: str) -> bool:
    """The buyer is a company whose registration number is a VAT number of its country."""
    company = payment.get("consumer", {}).get("company") or {}
    number = str(company.get("registrationNumber") or "").replace(" ", "").upper()
    prefix = VAT_PREFIX.get(country)
    return bool(company.get("name")) and prefix is not None and number.startswith(prefix)


def _settled_lines(payment: JsonDict, kind: str, source_id: str | None) -> list[JsonDict]:
    """The order lines of the charge or refund an action settles."""
    key, id_key = ("charges", "chargeId") if kind == "Charge" else ("refunds", "refundId")
    for entry in payment.get(key, []):
        if entry[id_key] == source_id:
            lines: list[JsonDict] = entry["orderItems"]
            return lines
    raise KeyError(f"payment {payment['paymentId']} has no {kind.lower()} {source_id}")


def nonzero(balances: dict[int, int]) -> dict[int, int]:
    """Balances without the zero accounts, to compare with Fortnox's trial balance.

    ``expected_trial_balance`` lists every account it knows, zeros included, while Fortnox
    lists the accounts a voucher touched; an account at zero means the same in both.
    """
    return {account: amount for account, amount in balances.items() if amount}
