"""Reverse booked days against the emulators: Fortnox's trial balance comes back to where it
started with every original still there and reversed, a locked period is refused, a crash
half-way is finished by a re-run without doubles, and booking the days again gives the
original booking."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dibs_fortnox import reverse
from dibs_fortnox.errors import ReversalRefused
from dibs_fortnox.onboarding.deadline import _why
from dibs_fortnox.pipeline.chaos import CHAOS_ENV, plan_file
from dibs_fortnox.pipeline.reversal import Reverser, plan_reversal
from dibs_fortnox.sandbox.scenario_expected import nonzero
from dibs_fortnox.ui.status import last_booked_day
from tests.pipeline.world import World, world_fixture

REPO = Path(__file__).resolve().parents[2]


def book_all(world: World) -> list[date]:
    days = world.payout_days()
    for day in days:
        assert world.run_day(day)["reconcile"]["invariants"] == "OK"
    return days


def reverser(world: World, first: date, last: date) -> Reverser:
    plan = plan_reversal(world.ledger, world.tenant, first, last)
    return Reverser(plan, world.ledger, world.fortnox_client())


def amount(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def booking_of(docs: dict[str, Any], skip_invoices: set[str], skip_vouchers: set[str]) -> Any:
    """What a booking put in Fortnox, without Fortnox's own numbers: invoices by reference
    with rows and total, payments by amount, payout vouchers by description with rows."""
    invoices = Counter(
        (
            i["ExternalInvoiceReference1"],
            amount(i["Total"]),
            tuple(
                sorted(
                    (r["AccountNumber"], r["DeliveredQuantity"], str(r["Price"]), r["VAT"])
                    for r in i["InvoiceRows"]
                )
            ),
        )
        for i in docs["invoices"]
        if str(i["DocumentNumber"]) not in skip_invoices
        and not str(i["ExternalInvoiceReference1"]).startswith("undo-")
    )
    vouchers = Counter(
        (
            v["Description"],
            tuple(
                sorted(
                    (r["Account"], amount(r["Debit"]), amount(r["Credit"]))
                    for r in v["VoucherRows"]
                )
            ),
        )
        for v in docs["vouchers"]
        if v["VoucherSeries"] == "A"
        and f"A-{v['VoucherNumber']}-{v['Year']}" not in skip_vouchers
        and not str(v["Description"]).startswith("Återföring")
    )
    return invoices, vouchers


def test_reverse_returns_the_ledger_to_its_start_and_the_days_book_again(world: World) -> None:
    days = book_all(world)
    booked_balance = nonzero(world.fortnox_app.trial_balance("demo"))
    booked = world.fortnox_app.documents("demo")
    assert booked_balance, "the scenario books something"

    undo = reverser(world, days[0], days[-1])
    writes = world.fortnox_writes()
    preview = undo.describe()
    assert world.fortnox_writes() == writes  # the preview only reads
    assert any("credit invoice, linked" in line for line in preview)
    assert any("mirrored voucher" in line for line in preview)

    count = undo.apply("Anna, ekonomi", "booked with the wrong sales account")

    # Back to the start, on every account.
    assert nonzero(world.fortnox_app.trial_balance("demo")) == {}
    after = world.fortnox_app.documents("demo")
    # Nothing was deleted; every original invoice is still there, booked, and reversed by
    # the document that carries its number in its reference.
    undo_refs = {str(i["ExternalInvoiceReference1"]) for i in after["invoices"]}
    for original in booked["invoices"]:
        again = [i for i in after["invoices"] if i["DocumentNumber"] == original["DocumentNumber"]]
        assert again and again[0]["Booked"]
        kind = "credit" if amount(original["Total"]) < 0 else "invoice"
        assert f"undo-{kind}-{original['DocumentNumber']}" in undo_refs
    originals_a = [v for v in booked["vouchers"] if v["VoucherSeries"] == "A"]
    mirrors = [v for v in after["vouchers"] if str(v["Description"]).startswith("Återföring")]
    assert len(mirrors) == len(originals_a)
    assert count == len(booked["invoices"]) + len(booked["payments"]) + len(originals_a)
    # The state database: only customers left, payouts pending, who/why kept.
    assert {d.kind for d in world.ledger.documents("demo")} == {"customer"}
    assert {p.status for p in world.ledger.payouts("demo")} == {"pending"}
    (reversal,) = world.ledger.reversals("demo")
    assert reversal.decided_by == "Anna, ekonomi" and reversal.documents == count
    assert reversal.finished_at is not None

    # The days no longer count as booked (tenants page, not-booked-by alert) until rebooked.
    assert last_booked_day(world.ledger, world.tenant) is None
    assert "was reversed at" in str(_why(world.ledger, "demo", days[0]))

    # A second apply finds nothing left to do.
    assert plan_reversal(world.ledger, world.tenant, days[0], days[-1]).payouts == []

    # Book the days again: the same booking as the first time, on fresh documents.
    for day in days:
        assert world.run_day(day)["reconcile"]["invariants"] == "OK"
    assert nonzero(world.fortnox_app.trial_balance("demo")) == booked_balance
    assert last_booked_day(world.ledger, world.tenant) == days[-1]
    assert _why(world.ledger, "demo", days[0]) is None
    rebooked = world.fortnox_app.documents("demo")
    reversed_ids = world.ledger.reversed_ids("demo")
    assert booking_of(rebooked, set(reversed_ids.invoices), set(reversed_ids.vouchers)) == (
        booking_of(booked, set(), set())
    )


def test_a_locked_period_is_refused_and_nothing_is_written(world: World) -> None:
    days = book_all(world)
    world.fortnox_app.company("demo").locked_until = days[0]
    writes = world.fortnox_writes()
    undo = reverser(world, days[0], days[-1])
    with pytest.raises(ReversalRefused) as refused:
        undo.apply("Anna", "test")
    message = str(refused.value)
    assert f"locked up to {days[0]}" in message and "tenant demo" in message
    assert "Unlock the period in Fortnox" in message
    assert world.fortnox_writes() == writes
    assert world.ledger.reversals("demo") == []


TENANTS = """\
tenants:
  - id: demo
    name: Demo Webbshop AB
    start_date: 2026-11-03
    email: ekonomi@demo.example
    nets_conn_id: nets_demo
    fortnox_conn_id: fortnox_demo
    onboarding: skip
    accounts: {sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}
"""


def command_env(world: World, tmp_path: Path) -> dict[str, str]:
    """What the command needs where the DAGs run: tenants file, state database, connection."""
    (tmp_path / "tenants.yaml").write_text(TENANTS, encoding="utf-8")
    return {
        "DIBS_FORTNOX_TENANTS": str(tmp_path / "tenants.yaml"),
        "DIBS_FORTNOX_DB_URL": world.db_url,
        "AIRFLOW_CONN_FORTNOX_DEMO": json.dumps(
            {
                "conn_type": "http",
                "host": world.fortnox.url,
                "login": "demo-client",
                "password": world.client_secret,
                "extra": {"tenant_id": "demo", "auth_url": world.fortnox.url},
            }
        ),
    }


def test_the_command_previews_by_default_and_refuses_with_exit_2(
    sqlite_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    world = sqlite_world
    for key, value in command_env(world, tmp_path).items():
        monkeypatch.setenv(key, value)
    days = book_all(world)
    span = ["--tenant", "demo", "--from", days[0].isoformat(), "--to", days[-1].isoformat()]
    writes = world.fortnox_writes()

    assert reverse.main(span) == 0
    out = capsys.readouterr().out
    assert "Preview only: nothing was sent" in out and "-> credit invoice, linked" in out
    assert world.fortnox_writes() == writes

    assert reverse.main(["--tenant", "nobody", "--from", "2026-11-01", "--to", "2026-11-02"]) == 2
    assert "no valid tenant 'nobody'" in capsys.readouterr().err
    assert reverse.main(["--tenant", "demo", "--from", "2026-11-05", "--to", "2026-11-04"]) == 2
    assert "is before --from" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # --apply without who and why
        reverse.main([*span, "--apply"])
    assert "--apply needs --by" in capsys.readouterr().err
    assert reverse.main(["--tenant", "demo", "--from", "2026-10-01", "--to", "2026-10-02"]) == 0
    assert "nothing booked by DIBS-Fortnox to reverse" in capsys.readouterr().out
    assert world.fortnox_writes() == writes


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    yield from world_fixture(tmp_path, days=3, payments_per_day=2)


def test_a_crash_half_way_is_finished_by_a_rerun_without_doubles(
    sqlite_world: World, tmp_path: Path
) -> None:
    """The command itself, killed (SIGKILL) after a write landed and before the state
    database heard of it; one day only, to keep the rate-limited command short."""
    world = sqlite_world
    days = world.payout_days()
    last = days[-1]
    for day in days[:-1]:
        world.run_day(day)
    before_last = nonzero(world.fortnox_app.trial_balance("demo"))
    world.run_day(last)
    balance = nonzero(world.fortnox_app.trial_balance("demo"))
    assert balance != before_last
    assert plan_reversal(world.ledger, world.tenant, last, last).count >= 3
    kills = tmp_path / "kills"
    kills.mkdir()
    plan_file(kills, "demo", last.isoformat(), "after_write", 2).touch()
    env = {
        **os.environ,
        **command_env(world, tmp_path),
        "PYTHONPATH": str(REPO / "plugins"),
        CHAOS_ENV: str(kills),
    }
    command = [sys.executable, "-m", "dibs_fortnox.reverse", "--tenant", "demo",
               "--from", last.isoformat(), "--to", last.isoformat(),
               "--apply", "--by", "Anna", "--note", "test"]  # fmt: skip
    crashed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert crashed.returncode == -9, crashed.stderr  # SIGKILL after the 2nd write landed
    assert (kills / "kills.log").exists()

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert "airflow tasks clear dibs_fortnox__demo" in finished.stdout
    assert "-> mirrored voucher in series A" in finished.stdout  # the plan it carried out
    assert "fortnox GET" not in finished.stdout  # request logs only with --verbose
    assert world.client_secret not in finished.stdout + finished.stderr
    # Exactly the last day's booking is taken back: the other days stay booked.
    assert nonzero(world.fortnox_app.trial_balance("demo")) == before_last
    assert {p.day for p in world.ledger.payouts("demo") if p.status == "pending"} == {last}
    assert world.run_day(last)["reconcile"]["invariants"] == "OK"  # booked again
    assert nonzero(world.fortnox_app.trial_balance("demo")) == balance
    after = world.fortnox_app.documents("demo")
    undo_refs = Counter(
        str(i["ExternalInvoiceReference1"])
        for i in after["invoices"]
        if str(i["ExternalInvoiceReference1"]).startswith("undo-")
    )
    assert undo_refs and max(undo_refs.values()) == 1  # each reversed once
    mirrors = Counter(v["Description"] for v in after["vouchers"]
                      if str(v["Description"]).startswith("Återföring"))  # fmt: skip
    assert mirrors and max(mirrors.values()) == 1
    runs = world.ledger.reversals("demo")
    assert len(runs) == 2 and runs[0].finished_at is None and runs[1].finished_at is not None
