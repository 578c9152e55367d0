"""Book clean payouts column-wise: matching, checks and rows as whole-frame operations.

``booking.reference`` books one action and one order line at a time, which costs about
0.5 ms per payment action: a backfill day of a million actions would take minutes. Here
the same rules run on columns (``booking.columns``): a merge finds each action's charge or
refund, group sums check the payout and the documents, and the rows are built as arrays.

The bulk path only books what it can vouch for. A payout is *clean* when every check of
the reference would pass and every match is unambiguous (one candidate, named by one
action only, not booked before; a refund credits exactly one charge, already booked or in
this run). Anything else (a payout to hold, a tie to break by time, a refund of a charge
of an uncertain payout) is left to ``reference.plan_payout``, which writes the reasons;
``transform`` combines the two. So the rules live once, in the reference and in
``booking.checks``/``vat``, and the bulk path decides only *that* they pass.

Example:
    >>> plan = plan_bulk(payment_cols, payout_cols, settings, booked)  # doctest: +SKIP
    >>> plan.clean                                   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from dibs_fortnox.booking.buyers import Buyer, buyer_of, customer_for
from dibs_fortnox.booking.codes import combined_codes
from dibs_fortnox.booking.columns import PaymentColumns, PayoutColumns, positions
from dibs_fortnox.booking.documents import row_description
from dibs_fortnox.booking.instants import NAT
from dibs_fortnox.booking.regions import CustomerSpec
from dibs_fortnox.booking.result import STOCKHOLM
from dibs_fortnox.booking.rounding import round_half_up
from dibs_fortnox.booking.settings import BookingSettings
from dibs_fortnox.booking.vat import ROUNDING_LIMIT, LineBooking, book_line
from dibs_fortnox.model import ActionKind, OrderLine, Payment


@dataclass(frozen=True)
class BulkPlan:
    """What the bulk path found, before payouts are taken in day order.

    Attributes:
        clean: per payout row, True when the bulk path can book it alone.
        depends_on: per payout row, the payout rows whose booking its refunds rely on
            (their charge was matched there); such a payout is clean only if those are
            booked by the bulk path too.
        docs: one row per document of a clean payout, in posting order within its payout;
            ``lines_from`` is the source whose lines are its rows.
        buyers: the distinct buyers; ``docs["buyer"]`` points into it.
    """

    clean: np.ndarray
    depends_on: dict[int, set[int]]
    docs: pd.DataFrame
    buyers: list[Buyer]


@dataclass(frozen=True)
class PreparedPayments:
    """What the bulk path works out from the payments alone. ``transform`` has it made
    while the payouts are still being read on the other core, so the checks and bookings
    of the three million order lines are done here, per line and per charge or refund,
    and ``plan_bulk`` (on one core, once the payouts are read) only looks them up.

    Attributes:
        columns: the payments' frames.
        buyer_code: per payment, its buyer in ``buyers``.
        buyers: the distinct buyers.
        unique_source: per source (charge or refund), whether no other has its id.
        first_line: per source, the position of its first line in the payments' lines.
        lines_add_up: per source, whether net + VAT = gross on each of its lines and,
            when it has lines, their gross adds up to its amount.
        lines_book: per source, whether ``vat.book_line`` books each of its lines and
            each line's VAT is within ``vat.ROUNDING_LIMIT`` of its rate's.
        tax: per source, the VAT of its lines (int64 öre).
        account, vat_percent: per line of the payments, its invoice row's sales account
            and VAT percent (its payment's buyer and its rate decide them).
        descriptions: per line of the payments, its invoice row's description.
    """

    columns: PaymentColumns
    buyer_code: np.ndarray
    buyers: list[Buyer]
    unique_source: np.ndarray
    first_line: np.ndarray
    lines_add_up: np.ndarray
    lines_book: np.ndarray
    tax: np.ndarray
    account: np.ndarray
    vat_percent: np.ndarray
    descriptions: np.ndarray


def prepare_payments(payments: PaymentColumns, settings: BookingSettings) -> PreparedPayments:
    """The ``PreparedPayments`` of the payments."""
    pay, src, lines = payments.payments, payments.sources, payments.lines
    buyer_code, buyers = _buyers(pay, settings.default_country)
    ids = src["source_id"].astype(object)
    n_lines = src["n_lines"].to_numpy()
    line_source = lines["source_row"].to_numpy()
    net, tax, gross = (lines[c].to_numpy() for c in ("net", "tax_amount", "gross"))
    line_buyer = buyer_code[src["payment_row"].to_numpy()][line_source]
    account, percent, rate_ok = _line_bookings(
        line_buyer, lines["tax_rate"].to_numpy(), buyers, settings
    )
    rounding_ok = np.abs(tax - round_half_up(net * percent, 100)) <= ROUNDING_LIMIT
    first_line = np.concatenate([[0], np.cumsum(n_lines)[:-1]]).astype(np.int64)
    gross_sum = _per_source(gross, first_line, n_lines)
    return PreparedPayments(
        columns=payments,
        buyer_code=buyer_code,
        buyers=buyers,
        unique_source=~ids.duplicated(keep=False).to_numpy(),
        first_line=first_line,
        lines_add_up=_none_of(line_source[net + tax != gross], len(src))
        & ((n_lines == 0) | (gross_sum == src["amount"].to_numpy())),
        lines_book=_none_of(line_source[~(rate_ok & rounding_ok)], len(src)),
        tax=_per_source(tax, first_line, n_lines),
        account=account,
        vat_percent=percent,
        descriptions=_descriptions(lines),
    )


def _none_of(owners: np.ndarray, n: int) -> np.ndarray:
    """Per owner of ``n``, whether ``owners`` (the owners of some rows) names it never."""
    none: np.ndarray = np.bincount(owners, minlength=n) == 0
    return none


def _per_source(values: np.ndarray, first_line: np.ndarray, n_lines: np.ndarray) -> np.ndarray:
    """Per source, the exact int64 sum of its lines' ``values`` (0 without lines)."""
    sums = np.zeros(len(n_lines), np.int64)
    has = n_lines > 0
    if has.any():
        sums[has] = np.add.reduceat(values, first_line[has])
    return sums


def _per_payout_ok(cols: PayoutColumns, settings: BookingSettings) -> np.ndarray:
    """``checks.payout_reasons`` finds nothing: currency, count, header sums, formula."""
    acts = cols.actions
    n = len(cols.headers)
    row = acts["payout_row"].to_numpy()
    amount = acts["amount"].to_numpy()
    kind = acts["kind"].to_numpy()
    count = np.bincount(row, minlength=n)
    sums = {
        k: np.bincount(row, weights=np.where(kind == k.value, amount, 0), minlength=n)
        for k in ActionKind
    }
    fees = np.bincount(row, weights=acts["fee"].to_numpy(), minlength=n)
    ok = np.ones(n, bool)
    for i, p in enumerate(cols.headers):
        ok[i] = (
            p.currency == settings.currency
            and (p.expected_actions is None or p.expected_actions == count[i])
            and p.charged == sums[ActionKind.CHARGE][i]
            and p.refunded == sums[ActionKind.REFUND][i]
            and p.deposited == sums[ActionKind.DEPOSIT][i]
            and p.fees == fees[i]
            and p.amount == p.charged - p.refunded - p.fees + p.deposited
        )
    return ok


def _buyers(pay: pd.DataFrame, default_country: str | None) -> tuple[np.ndarray, list[Buyer]]:
    """Each payment's buyer, worked out once per distinct (country, company, number)."""
    columns = [pay[c].to_numpy(dtype=object) for c in ("country", "company_name", "company_number")]
    codes, first = combined_codes(*(pd.factorize(c)[0] for c in columns))

    def known(value: Any) -> Any:
        return None if value is None or value is np.nan else value

    buyers = [
        buyer_of(
            Payment(
                "",
                None,
                "",
                known(columns[0][i]),
                (),
                (),
                company_name=known(columns[1][i]),
                company_number=known(columns[2][i]),
            ),
            default_country,
        )
        for i in first
    ]
    return codes, buyers


def _match(
    payouts: PayoutColumns,
    pay: pd.DataFrame,
    src: pd.DataFrame,
    unique_id: np.ndarray,
    booked: np.ndarray,
) -> pd.DataFrame:
    """Each charge or refund action with its only candidate, or -1 when not that simple
    (``unique_id`` and ``booked``: per source, its id is no other's; it was booked before)."""
    acts = payouts.actions
    pay_row = _payment_rows(payouts, pay["key"].to_numpy(dtype=object))
    deals = acts[acts["kind"] != ActionKind.DEPOSIT.value].assign(
        payment_row=pay_row[(acts["kind"] != ActionKind.DEPOSIT.value).to_numpy()],
        is_refund=lambda f: f["kind"] == ActionKind.REFUND.value,
    )
    deals = deals.assign(action=deals.index.to_numpy())
    open_src = src[src["completed"]][["payment_row", "is_refund", "amount"]]
    open_src = open_src.assign(source=open_src.index.to_numpy())
    pairs = deals[["action", "payment_row", "is_refund", "amount"]].merge(
        open_src, on=["payment_row", "is_refund", "amount"], how="inner"
    )
    per_action = pairs.groupby("action")["source"].agg(["first", "size"])
    per_source = pairs.groupby("source").size()
    source = per_action["first"].reindex(deals["action"], fill_value=-1).to_numpy()
    size = per_action["size"].reindex(deals["action"], fill_value=0).to_numpy()
    has = source >= 0
    named_once = np.zeros(len(deals), bool)
    named_once[has] = per_source.reindex(source[has]).to_numpy() == 1
    simple = (size == 1) & named_once
    simple[has] &= unique_id[source[has]] & ~booked[source[has]]
    return deals.assign(source=np.where(simple, source, -1))


def _payment_rows(payouts: PayoutColumns, keys: np.ndarray) -> np.ndarray:
    """Per action, the row of its payment in the payments' frame (-1 if none).

    The payouts' reader located each action's payment among the keys it was given
    (``payment_at``); those positions are the rows when the frame lists exactly those
    keys in that order, as on a day whose payments all read plainly. Else pandas
    looks the keys up here.
    """
    acts = payouts.actions
    given = payouts.payment_keys
    # Lists compare their items by identity first: the keys are the same strings.
    if len(given) == len(keys) and keys.tolist() == list(given):
        rows: np.ndarray = acts["payment_at"].to_numpy()
        return rows
    return positions(acts["payment_key"].to_numpy(dtype=object), keys.tolist())


def _credited(
    refunds: pd.DataFrame, src: pd.DataFrame, lines: pd.DataFrame, first_line: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per refund document: its first candidate charge and how many there are.

    The candidates are those of ``matching.credited_charge``: a refund without lines
    credits a charge of the same amount, one with lines a charge that has each of its
    lines (``matching._covers``; of a charge's lines with the same key the last counts,
    as in its dict).
    """
    candidate = np.full(len(refunds), -1)
    count = np.zeros(len(refunds), np.int64)
    if not len(refunds):
        return candidate, count
    charges = src[~src["is_refund"] & src["payment_row"].isin(refunds["payment_row"])]
    charges = charges.assign(charge=charges.index.to_numpy())
    with_lines = refunds["n_lines"].to_numpy() > 0
    bare = refunds[~with_lines][["doc", "payment_row", "amount"]].merge(
        charges[["payment_row", "amount", "charge"]], on=["payment_row", "amount"]
    )
    key = ["reference", "name", "tax_rate", "unit_price"]
    n_lines = src["n_lines"].to_numpy()
    compared = lines[[*key, "quantity"]]
    at = _lines_of(charges["charge"].to_numpy(), n_lines, first_line)
    charge_lines = compared.iloc[at].assign(
        charge=np.repeat(charges["charge"].to_numpy(), n_lines[charges["charge"].to_numpy()]),
        payment_row=np.repeat(
            charges["payment_row"].to_numpy(), n_lines[charges["charge"].to_numpy()]
        ),
    )
    charge_lines = charge_lines.drop_duplicates(["charge", *key], keep="last")
    mine = refunds[with_lines]
    at = _lines_of(mine["source"].to_numpy(), n_lines, first_line)
    refund_lines = compared.iloc[at].assign(
        doc=np.repeat(mine["doc"].to_numpy(), mine["n_lines"].to_numpy()),
        payment_row=np.repeat(mine["payment_row"].to_numpy(), mine["n_lines"].to_numpy()),
    )
    covered = refund_lines.merge(
        charge_lines, on=["payment_row", *key], suffixes=("", "_charged"), sort=False
    )
    fits = [
        a <= b
        for a, b in zip(
            covered["quantity"].to_numpy(dtype=object),
            covered["quantity_charged"].to_numpy(dtype=object),
            strict=True,
        )
    ]
    covered = covered[np.array(fits, dtype=bool)]
    per_pair = covered.groupby(["doc", "charge"]).size().rename("lines").reset_index()
    wanted = refunds.set_index("doc")["n_lines"]
    per_pair = per_pair[per_pair["lines"].to_numpy() == wanted.reindex(per_pair["doc"]).to_numpy()]
    both = pd.concat([bare[["doc", "charge"]], per_pair[["doc", "charge"]]], ignore_index=True)
    # The first candidate in the payment's order of charges, as credited_charge takes it.
    both = both.sort_values(["doc", "charge"], kind="stable")
    stats = both.groupby("doc")["charge"].agg(["first", "size"])
    where = pd.Index(refunds["doc"]).get_indexer(stats.index)
    candidate[where] = stats["first"].to_numpy()
    count[where] = stats["size"].to_numpy()
    return candidate, count


def _line_bookings(
    buyer_code: np.ndarray, tax_rate: np.ndarray, buyers: list[Buyer], settings: BookingSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Account, VAT percent and ok-flag per line, from ``vat.book_line`` once per pair
    (rates numbered by hashing: sorting three million of them cost 0.3 s)."""
    codes, first = combined_codes(buyer_code, pd.factorize(tax_rate)[0])
    account = np.zeros(len(first), np.int64)
    percent = np.zeros(len(first), np.int64)
    ok = np.zeros(len(first), bool)
    for i, row in enumerate(first):
        line = OrderLine("", "", Decimal(1), "", 0, int(tax_rate[row]), 0, 0, 0)
        where = book_line(buyers[buyer_code[row]], line, settings)
        if isinstance(where, LineBooking):
            account[i], percent[i], ok[i] = where.account, where.vat_percent, True
    return account[codes], percent[codes], ok[codes]


def plan_bulk(
    prepared: PreparedPayments,
    payouts: PayoutColumns,
    settings: BookingSettings,
    already_booked: frozenset[str],
) -> BulkPlan:
    """Find the clean payouts and build their documents' rows (see the module doc)."""
    payments = prepared.columns
    pay, src, lines = payments.payments, payments.sources, payments.lines
    n_payouts = len(payouts.headers)
    clean = _per_payout_ok(payouts, settings)
    booked_ids = src["source_id"].astype(object).isin(already_booked).to_numpy()
    deals = _match(payouts, pay, src, prepared.unique_source, booked_ids)
    simple = deals["source"].to_numpy() >= 0
    clean &= np.bincount(deals["payout_row"].to_numpy()[~simple], minlength=n_payouts) == 0
    # One document per matched action: charges first, then refunds, each in action order.
    docs = deals[simple][["payout_row", "action", "is_refund", "vat", "has_vat", "source"]]
    docs = docs.sort_values(["payout_row", "is_refund"], kind="stable").reset_index(drop=True)
    s = docs["source"].to_numpy()
    docs = docs.assign(
        doc=np.arange(len(docs)),
        payment_row=src["payment_row"].to_numpy()[s],
        amount=src["amount"].to_numpy()[s],
        surcharge=src["surcharge"].to_numpy()[s],
        when=src["when"].to_numpy()[s],
        n_lines=src["n_lines"].to_numpy()[s],
        source_id=src["source_id"].to_numpy(dtype=object)[s],
    )
    buyer_code, buyers = prepared.buyer_code, prepared.buyers
    p = docs["payment_row"].to_numpy()
    region_known = np.array([b.region is not None for b in buyers], bool)
    currency = pay["currency"].to_numpy(dtype=object)[p]
    payout_currency = np.array([h.currency for h in payouts.headers], dtype=object)
    doc_ok = (
        (pd.isna(currency) | (currency == payout_currency[docs["payout_row"].to_numpy()]))
        & region_known[buyer_code[p]]
        & (docs["surcharge"].to_numpy() == 0)
        & (docs["when"].to_numpy() != NAT)
        & (docs["is_refund"].to_numpy() | (docs["n_lines"].to_numpy() > 0))
        & prepared.lines_add_up[s]  # the source's own lines
    )
    # Refunds: the one charge each credits, and the lines of a refund sent without lines.
    refund_docs = docs[docs["is_refund"]]
    credited, candidates = _credited(refund_docs, src, lines, prepared.first_line)
    credits = np.full(len(docs), -1)
    credits[refund_docs["doc"].to_numpy()] = credited
    doc_ok[refund_docs["doc"].to_numpy()] &= candidates == 1
    matched_in = np.full(len(src), -1)
    matched_in[docs["source"].to_numpy()[~docs["is_refund"].to_numpy()]] = docs["payout_row"][
        ~docs["is_refund"]
    ].to_numpy()
    # A credited charge must be booked before, or in this payout, or in a payout the bulk
    # path books first; one it knows nothing of is the reference's to judge.
    refund_doc = refund_docs["doc"].to_numpy()
    refund_row = refund_docs["payout_row"].to_numpy()
    has = (credited >= 0) & ~booked_ids[np.maximum(credited, 0)]
    where = np.where(has, matched_in[np.maximum(credited, 0)], -2)
    doc_ok[refund_doc[where == -1]] = False
    elsewhere = (where >= 0) & (where != refund_row)
    depends_on: dict[int, set[int]] = {}
    for row, other in set(
        zip(refund_row[elsewhere].tolist(), where[elsewhere].tolist(), strict=True)
    ):
        depends_on.setdefault(row, set()).add(other)
    # The source whose lines become the document's rows: its own, or for a refund sent
    # without lines those of the charge it credits.
    lines_from = np.where(
        docs["is_refund"].to_numpy() & (docs["n_lines"].to_numpy() == 0) & (credits >= 0),
        credits,
        s,
    )
    doc_ok &= prepared.lines_book[lines_from]
    doc_ok &= ~docs["has_vat"].to_numpy() | (prepared.tax[lines_from] == docs["vat"].to_numpy())
    clean &= np.bincount(docs["payout_row"].to_numpy()[~doc_ok], minlength=n_payouts) == 0
    docs = docs.assign(credits=credits, buyer=buyer_code[p], lines_from=lines_from)
    return BulkPlan(clean, depends_on, docs, buyers)


def _lines_of(sources: np.ndarray, n_lines: np.ndarray, first_line: np.ndarray) -> np.ndarray:
    """Positions in the lines frame of the given sources' lines, source after source."""
    counts = n_lines[sources]
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    starts = np.repeat(first_line[sources] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return starts + np.arange(total)


_MINUTE = 60 * 10**9  # in nanoseconds


def _stockholm_days(nanos: np.ndarray) -> np.ndarray:
    """``result.local_day`` for many instants: each distinct UTC minute made into a
    ``date`` once. Stockholm's offset from UTC is whole hours, so every instant of a
    minute falls on one Stockholm date (converting each instant cost 0.25 s at a
    million documents, this 0.01 s)."""
    minutes, first = pd.factorize(nanos // _MINUTE)
    local = pd.to_datetime(first * _MINUTE, utc=True).tz_convert(STOCKHOLM)
    as_dates: np.ndarray = np.array([*(moment.date() for moment in local), None], dtype=object)
    days: np.ndarray = as_dates[:-1][minutes]
    return days


def _is_every(rows: np.ndarray, n: int) -> bool:
    """Whether ``rows`` is every position of ``n`` in order: the usual day, where a copy
    of the selected rows would only repeat what is there (0.4-0.6 s at three million)."""
    return len(rows) == n and bool(np.array_equal(rows, np.arange(n)))


def _descriptions(lines: pd.DataFrame) -> np.ndarray:
    """``documents.row_description`` of each of the payments' lines, worked out once per
    distinct line. All lines, not only the booked rows: taking the rows' three text
    columns first cost more than the few lines no row uses. The readers' ``text_code``
    stands for the three texts: numbering three million strings again cost up to 1 s."""
    columns = [lines[c].to_numpy(dtype=object) for c in ("name", "quantity", "unit")]
    prices = lines["unit_price"].to_numpy()
    codes, first = combined_codes(lines["text_code"].to_numpy(), pd.factorize(prices)[0])
    texts = np.array(
        [
            row_description(columns[0][i], Decimal(columns[1][i]), columns[2][i], int(prices[i]))
            for i in first
        ]
        + [""],
        dtype=object,
    )
    return texts[:-1][codes] if len(first) else np.zeros(0, object)


def _customers(
    buyers: list[Buyer], buyer: np.ndarray, currency: np.ndarray
) -> Callable[[Callable[[CustomerSpec], Any]], np.ndarray]:
    """Per document, a field of its customer: ``customer_for`` runs once per distinct
    (buyer, currency), and each field is taken from those few (a loop over a million
    documents cost 0.8 s)."""
    codes, first = combined_codes(buyer, pd.factorize(currency)[0])
    specs = [customer_for(buyers[buyer[i]], currency[i]) for i in first]

    def field(get: Callable[[CustomerSpec], Any]) -> np.ndarray:
        values: np.ndarray = np.array([*map(get, specs), None], dtype=object)[:-1][codes]
        return values

    return field


def bulk_rows(
    plan: BulkPlan,
    prepared: PreparedPayments,
    payouts: PayoutColumns,
    settings: BookingSettings,
    seq_start: dict[int, int],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Invoice, invoice-row and payment columns of the payouts in ``seq_start`` (row →
    first seq − 1).

    Columns follow ``frames.INVOICES``, ``frames.ROWS_BEFORE_VAT`` and ``frames.PAYMENTS``.
    """
    docs = plan.docs
    taken = docs["payout_row"].isin(list(seq_start)).to_numpy()
    chosen = docs if taken.all() else docs[taken]  # no copy of the usual day's every document
    if len(chosen):
        chosen = chosen.assign(
            seq=chosen.groupby("payout_row").cumcount().to_numpy()
            + chosen["payout_row"].map(seq_start).to_numpy()
            + 1
        )
    pay = prepared.columns.payments
    src = prepared.columns.sources
    p = chosen["payment_row"].to_numpy()
    is_refund = chosen["is_refund"].to_numpy()
    sign = np.where(is_refund, -1, 1)
    payout_ids = np.array([h.payout_id for h in payouts.headers], dtype=object)
    currencies = np.array([h.currency for h in payouts.headers], dtype=object)
    po = chosen["payout_row"].to_numpy()
    day = _stockholm_days(chosen["when"].to_numpy())
    src_ids = src["source_id"].to_numpy(dtype=object)
    credits = np.where(is_refund, src_ids[np.maximum(chosen["credits"].to_numpy(), 0)], "")
    customer = _customers(plan.buyers, chosen["buyer"].to_numpy(), currencies[po])
    doc_cols: dict[str, Any] = {
        "payout_id": payout_ids[po],
        "seq": chosen["seq"].to_numpy() if len(chosen) else np.zeros(0, np.int64),
        "external_ref": src_ids[chosen["source"].to_numpy()],
        "kind": np.where(is_refund, "credit", "invoice").astype(object),
        "payment_id": pay["payment_id"].to_numpy(dtype=object)[p],
        "credits": credits.astype(object),
        "order_reference": pay["order_reference"].to_numpy(dtype=object)[p],
        "customer": customer(lambda c: c.key),
        "customer_name": customer(lambda c: c.name),
        "customer_country": customer(lambda c: c.country_code or ""),
        "customer_kind": customer(lambda c: c.kind),
        "vat_type": customer(lambda c: c.vat_type),
        "vat_number": customer(lambda c: c.vat_number or ""),
        "invoice_date": day,
        "currency": currencies[po],
        "amount": sign * chosen["amount"].to_numpy(),
    }
    # Each document's rows are the lines of its ``lines_from``, doc after doc: on the
    # usual day every line of the payments in order, taken as they are.
    n_lines = src["n_lines"].to_numpy()
    lines_from = chosen["lines_from"].to_numpy()
    line = _lines_of(lines_from, n_lines, prepared.first_line)
    every = _is_every(line, len(prepared.account))

    def of_rows(values: np.ndarray) -> np.ndarray:
        return values if every else values[line]

    pay_lines = prepared.columns.lines
    n_rows = n_lines[lines_from]
    line_sign = np.repeat(sign, n_rows)
    starts = np.concatenate([[0], np.cumsum(n_rows)[:-1]]) if len(chosen) else n_rows
    row_no = np.arange(len(line)) - np.repeat(starts, n_rows) + 1
    line_cols = dict(
        seq=np.repeat(doc_cols["seq"], n_rows),
        row=row_no,
        account=of_rows(prepared.account),
        quantity=line_sign,
        price=of_rows(pay_lines["net"].to_numpy()),
        vat_percent=of_rows(prepared.vat_percent),
        gross=line_sign * of_rows(pay_lines["gross"].to_numpy()),
        description=of_rows(prepared.descriptions),
    )
    payment_cols = {
        "payout_id": doc_cols["payout_id"],
        "seq": doc_cols["seq"],
        "external_ref": doc_cols["external_ref"],
        "kind": doc_cols["kind"],
        "payment_date": day,
        "currency": doc_cols["currency"],
        "amount": doc_cols["amount"],
        "mode_of_payment": np.full(len(chosen), settings.mode_of_payment, dtype=object),
        "account": np.full(len(chosen), settings.accounts.receivable, dtype=np.int64),
    }
    return doc_cols, line_cols, payment_cols


def doc_counts(plan: BulkPlan, n_payouts: int) -> np.ndarray:
    """Documents per payout row (what each clean payout adds to the sequence)."""
    return np.bincount(plan.docs["payout_row"].to_numpy(), minlength=n_payouts)
