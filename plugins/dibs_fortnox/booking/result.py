"""What a transform returns: booking frames, held payouts, errors and warnings.

Both the bulk transform (``booking.transform``) and the per-payout reference planner
(``booking.reference``) return a ``TransformResult``; a test holds them to the same frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple, overload
from zoneinfo import ZoneInfo

import pandas as pd

from dibs_fortnox.booking.assemble import TransformWarning, bookings_from_frames
from dibs_fortnox.booking.documents import PayoutBooking
from dibs_fortnox.booking.parse import parse_payout
from dibs_fortnox.booking.wire import lean_payout
from dibs_fortnox.model import Payout

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ROUNDING_TEXT = "Öresavrundning moms (Nets)"


class HeldPayout(NamedTuple):
    """A payout not posted at all; ``reason`` says why and what the bookkeeper can do.

    ``day`` is ``None`` when the payout could not even be read.
    """

    payout_id: str
    day: date | None
    reason: str


class TransformError(NamedTuple):
    """Input the transform could not read. ``payout_id``/``payment_id`` are None if unknown."""

    source: str
    payout_id: str | None
    payment_id: str | None
    message: str

    def __str__(self) -> str:
        return self.message


class ParsedPayouts(Sequence[Payout]):
    """Raw payout dicts that are read into ``Payout`` records only when first used.

    A day of a million payment actions would otherwise build a million action records
    during the transform, whose frames do not need them; ``bookings()`` does.
    """

    def __init__(self, raw: Sequence[Mapping[str, Any]]) -> None:
        self._raw = tuple(raw)

    @cached_property
    def _parsed(self) -> tuple[Payout, ...]:
        # These payouts were read once already to be booked, so this cannot raise.
        return tuple(parse_payout(lean_payout(raw)) for raw in self._raw)

    @overload
    def __getitem__(self, index: int) -> Payout: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Payout]: ...

    def __getitem__(self, index: int | slice) -> Payout | Sequence[Payout]:
        return self._parsed[index]

    def __len__(self) -> int:
        return len(self._raw)


@dataclass(frozen=True)
class TransformResult:
    """The frames of the booked payouts, the held payouts, errors and warnings.

    ``invoices`` has a row per invoice document and ``invoice_rows`` a row per invoice
    row, joined by ``seq`` (contracts in ``booking.frames``). ``payouts`` are the booked
    payouts in posting order (``ParsedPayouts`` from a transform).
    """

    invoices: pd.DataFrame
    invoice_rows: pd.DataFrame
    payments: pd.DataFrame
    vouchers: pd.DataFrame
    held: list[HeldPayout]
    errors: list[TransformError]
    warnings: list[TransformWarning]
    payouts: Sequence[Payout] = field(default=())
    voucher_series: str = "A"

    def bookings(self) -> list[PayoutBooking]:
        """Typed documents per booked payout, in posting order."""
        return bookings_from_frames(
            self.invoices,
            self.invoice_rows,
            self.payments,
            self.vouchers,
            self.payouts,
            self.warnings,
            self.voucher_series,
        )


def local_day(moment: Any) -> date:
    """The Europe/Stockholm calendar date of an instant (Fortnox dates are Swedish dates)."""
    day: date = moment.astimezone(STOCKHOLM).date()
    return day
