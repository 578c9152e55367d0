"""Dry run against the emulators: nothing reaches Fortnox, the day's report lists every
document with its rows and accounts, and a later real run books the day normally."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dibs_fortnox.errors import WritesForbidden
from dibs_fortnox.money import from_decimal
from dibs_fortnox.pipeline import runner
from dibs_fortnox.pipeline.dry_run import DRY_RUN_NOTICE, dry_run_wanted, render_text
from dibs_fortnox.pipeline.reconcile import ReconcileFailed
from dibs_fortnox.pipeline.steps import STEPS, execute
from dibs_fortnox.schedule import TIMEZONE
from tests.databases import migrated
from tests.pipeline.world import World


def dry_run_day(world: World, day: date) -> dict[str, Any]:
    """Run the day's steps as a dry run; return the day's report (the run's summary)."""
    for name in STEPS:
        try:
            execute(dataclasses.replace(world.context(day), dry_run=True), name)
        except ReconcileFailed:
            pass  # a held payout: the report is recorded all the same
    run = world.ledger.runs(world.tenant.id, day)[-1]
    assert run.summary is not None
    assert not run.books_the_day
    return run.summary


def kr(text: str) -> int:
    return from_decimal(Decimal(text.replace(" ", "") or "0"))


def test_dry_run_posts_nothing_and_the_report_is_what_the_real_run_posts(world: World) -> None:
    day = world.payout_days()[0]
    report = dry_run_day(world, day)

    assert world.fortnox_writes() == 0
    assert world.fortnox_app.trial_balance("demo") == {}
    assert report["dry_run"] is True and report["notice"] == DRY_RUN_NOTICE
    assert DRY_RUN_NOTICE in render_text(report)
    assert {p.status for p in world.ledger.payouts("demo", day)} <= {"pending", "held"}
    assert world.ledger.documents("demo") == []  # nothing claimed: a real run starts afresh
    previewed = [d for payout in report["documents"] for d in payout["documents"]]
    assert previewed, "the first day of the scenario has documents to book"
    for doc in previewed:
        assert doc["rows"] and all(isinstance(r["account"], int) for r in doc["rows"])

    world.run_day(day)  # the real run of the same day

    booked = world.fortnox_app.documents("demo")
    # Every invoice in the report is in Fortnox with the report's total, and no other.
    report_invoices = {
        d["reference"]: kr(d["total"])
        for d in previewed
        if d["document"] != "voucher" and "total" in d
    }
    fortnox_invoices = {
        str(i["ExternalInvoiceReference1"]): from_decimal(Decimal(str(i["Total"])))
        for i in booked["invoices"]
    }
    assert fortnox_invoices == report_invoices
    # Each invoice's rows: the same accounts and net amounts.
    for invoice in booked["invoices"]:
        (doc,) = [
            d
            for d in previewed
            if d.get("reference") == invoice["ExternalInvoiceReference1"] and "total" in d
        ]
        assert Counter((r["account"], kr(r["net"])) for r in doc["rows"]) == Counter(
            (
                int(r["AccountNumber"]),
                from_decimal(Decimal(str(r["Price"]))) * int(Decimal(str(r["DeliveredQuantity"]))),
            )
            for r in invoice["InvoiceRows"]
        )
    # The payout vouchers: the same rows.
    report_vouchers = Counter(
        (r["account"], kr(r["debit"]), kr(r["credit"]))
        for d in previewed
        if d["document"] == "voucher"
        for r in d["rows"]
    )
    fortnox_vouchers = Counter(
        (
            int(r["Account"]),
            from_decimal(Decimal(str(r["Debit"]))),
            from_decimal(Decimal(str(r["Credit"]))),
        )
        for v in booked["vouchers"]
        if v["VoucherSeries"] == "A"
        for r in v["VoucherRows"]
    )
    assert fortnox_vouchers == report_vouchers
    assert world.ledger.runs("demo", day)[-1].books_the_day


def test_a_dry_run_client_refuses_writes_before_sending(world: World) -> None:
    ctx = dataclasses.replace(world.context(world.payout_days()[0]), dry_run=True)
    assert ctx.fortnox.list_customers() == []  # reading is fine
    with pytest.raises(WritesForbidden, match="tenant demo, day .* is a dry run"):
        ctx.fortnox.create_customer({"Name": "x"})
    assert world.fortnox_writes() == 0


TENANTS = """\
tenants:
  - id: {id}
    name: Granskas AB
    start_date: 2026-11-01
    email: ekonomi@review.example
    nets_conn_id: nets_review
    fortnox_conn_id: fortnox_review
    dry_run: {dry_run}
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""


@pytest.mark.parametrize(
    ("setting", "params", "expected"),
    [
        ("false", {}, False),
        ("false", {"dry_run": False}, False),
        ("false", {"dry_run": True}, True),
        ("true", {}, True),
        ("true", {"dry_run": False}, True),  # the tenant's review is not overridden by a run
    ],
)
def test_dry_run_comes_from_the_tenant_or_the_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    params: dict[str, Any],
    expected: bool,
) -> None:
    """What the Airflow task builds from tenants.yaml and the run's params."""
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(TENANTS.format(id="review", dry_run=setting), encoding="utf-8")
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(tenants))
    monkeypatch.setenv("DIBS_FORTNOX_DB_URL", migrated(f"sqlite:///{tmp_path / 'state.db'}"))
    logical = datetime(2026, 11, 2, 6, 0, tzinfo=TIMEZONE)
    ctx = runner.context_for("review", {"logical_date": logical, "run_id": "r", "params": params})
    try:
        assert ctx.dry_run is expected
        assert dry_run_wanted(ctx.tenant, params) is expected
    finally:
        ctx.ledger.close()
