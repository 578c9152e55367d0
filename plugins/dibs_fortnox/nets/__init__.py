"""Nets Easy (DIBS Easy) client: Reporting API payouts and Payment API payments."""

from __future__ import annotations

from dibs_fortnox.nets.client import NetsClient, PaymentCache

__all__ = ["NetsClient", "PaymentCache"]
