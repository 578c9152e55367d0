"""Fortnox's VAT per invoice row, and a rounding row where Nets' VAT differs from it.

Nets does not validate ``taxAmount`` (old DIBS docs), while Fortnox recomputes VAT per
row as ``round_half_up(net × rate / 100)``; where the two differ on a document, a VAT-free
row on the rounding account keeps the invoice total equal to the charge to the öre, and a
warning tells the bookkeeper. Whole columns at a time: a day may have millions of rows.

Example:
    >>> invoices, warnings = with_vat_and_rounding(lines, 3740)   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dibs_fortnox.booking import frames
from dibs_fortnox.booking.assemble import TransformWarning
from dibs_fortnox.booking.result import ROUNDING_TEXT
from dibs_fortnox.money import format_amount


def round_half_up(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """``money.round_half_up_div`` on an integer array (half away from zero)."""
    magnitude = (np.abs(numerator) * 2 + denominator) // (2 * denominator)
    rounded: np.ndarray = np.where(numerator >= 0, magnitude, -magnitude)
    return rounded


def with_vat_and_rounding(
    lines: pd.DataFrame, invoices: pd.DataFrame, rounding_account: int
) -> tuple[pd.DataFrame, list[TransformWarning]]:
    """Add the ``vat`` column and the rounding rows; return the ``INVOICE_ROWS`` frame.

    Args:
        lines: invoice rows with ``gross`` (Nets' gross of the row, signed like the row)
            and without ``vat``, in any order.
        invoices: their documents (``INVOICES``), which the warnings name.
    """
    net = lines["quantity"].to_numpy() * lines["price"].to_numpy()
    vat = round_half_up(net * lines["vat_percent"].to_numpy(), 100)
    diff = lines["gross"].to_numpy() - net - vat
    lines = lines.assign(vat=vat)
    off = lines[diff != 0].assign(diff=diff[diff != 0])
    totals = off.groupby("seq", sort=True)["diff"].sum()
    totals = totals[totals != 0]
    warnings: list[TransformWarning] = []
    if len(totals):
        off = off[off["seq"].isin(totals.index)]
        names = (
            off.assign(
                name=[str(d).split(" (")[0] for d in off["description"].to_numpy(dtype=object)]
            )
            .groupby("seq", sort=True)["name"]
            .agg(", ".join)
        )
        docs = invoices.set_index("seq").loc[totals.index]
        for seq, total in totals.items():
            doc = docs.loc[seq]
            warnings.append(
                TransformWarning(
                    str(doc["payout_id"]),
                    str(doc["external_ref"]),
                    f"Nets' VAT on {names[seq]} differs from Fortnox's rounding by "
                    f"{format_amount(int(total))} {doc['currency']}; booked on account "
                    f"{rounding_account}",
                )
            )
        first = off.drop_duplicates("seq").set_index("seq").loc[totals.index]
        last_row = lines[lines["seq"].isin(totals.index)].groupby("seq")["row"].max()
        amounts = totals.to_numpy()
        extra = first.reset_index().assign(
            row=last_row.loc[totals.index].to_numpy() + 1,
            account=rounding_account,
            price=amounts * first["quantity"].to_numpy(),
            vat_percent=0,
            vat=0,
            gross=amounts,
            description=ROUNDING_TEXT,
        )
        lines = pd.concat([lines, extra[list(lines.columns)]], ignore_index=True)
    if not _in_order(lines["seq"].to_numpy(), lines["row"].to_numpy()):
        lines = lines.sort_values(["seq", "row"], kind="stable").reset_index(drop=True)
    return frames.typed(lines, frames.INVOICE_ROWS), warnings


def _in_order(seq: np.ndarray, row: np.ndarray) -> bool:
    """Whether the rows are already by document and row number, as the bulk path makes
    a usual day's: sorting three million of them again cost 0.1-0.2 s."""
    step = np.diff(seq)
    return bool(((step > 0) | ((step == 0) & (np.diff(row) > 0))).all())
