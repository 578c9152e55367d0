"""Baseline: the tables as the last release before migrations created them.

Releases up to this one created the tables with ``metadata.create_all`` and recorded no
revision; ``ledger.revisions.upgrade`` recognises such a database (its shape is compared
with what this revision creates) and records this revision instead of running it.
The statements are written out rather than taken from ``schema.py``: a revision must keep
creating the same tables when ``schema.py`` has moved on.

Revision ID: 0001
Revises:
Created: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("tenant", "kind", "key", name=op.f("uq_alerts_tenant_kind_key")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fortnox_id", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("payout_id", sa.String(length=128), nullable=True),
        sa.Column("payload_hash", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('customer', 'invoice', 'invoice_payment', 'credit', 'credit_payment', "
            "'voucher')",
            name=op.f("ck_documents_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('intent', 'unknown', 'posted', 'bookkept', 'failed')",
            name=op.f("ck_documents_status"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('posted', 'bookkept') OR fortnox_id IS NOT NULL",
            name=op.f("ck_documents_posted_has_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "tenant", "kind", "reference", name=op.f("uq_documents_tenant_kind_reference")
        ),
    )
    op.create_index(op.f("ix_documents_tenant_day"), "documents", ["tenant", "day"])
    op.create_index(op.f("ix_documents_tenant_payout_id"), "documents", ["tenant", "payout_id"])
    op.create_table(
        "onboarding",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=True),
        sa.Column("documents", sa.JSON(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('checking', 'checks_failed', 'awaiting_approval', 'active', 'rejected')",
            name=op.f("ck_onboarding_status"),
        ),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_onboarding")),
    )
    op.create_table(
        "onboarding_links",
        sa.Column("link_id", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_onboarding_links")),
    )
    op.create_table(
        "payout_resolutions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("payout_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('booked_by_hand', 'released')", name=op.f("ck_payout_resolutions_action")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_resolutions")),
    )
    op.create_index(
        op.f("ix_payout_resolutions_tenant_payout_id"),
        "payout_resolutions",
        ["tenant", "payout_id"],
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("payout_id", sa.String(length=128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'held', 'booked')", name=op.f("ck_payouts_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("tenant", "payout_id", name=op.f("uq_payouts_tenant_payout_id")),
    )
    op.create_index(op.f("ix_payouts_tenant_day"), "payouts", ["tenant", "day"])
    op.create_table(
        "raw_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("nets_id", sa.String(length=128), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('payouts_list', 'payout', 'payment')", name=op.f("ck_raw_records_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_records")),
        sa.UniqueConstraint(
            "tenant", "kind", "nets_id", name=op.f("uq_raw_records_tenant_kind_nets_id")
        ),
    )
    op.create_index(op.f("ix_raw_records_tenant_day"), "raw_records", ["tenant", "day"])
    op.create_table(
        "request_windows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_windows")),
        sa.UniqueConstraint("tenant", "service", name=op.f("uq_request_windows_tenant_service")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'success', 'held', 'failed')", name=op.f("ck_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_tenant_day"), "runs", ["tenant", "day"])


def downgrade() -> None:
    raise NotImplementedError(
        "the baseline is not undone: it would drop every table of the ledger, booked "
        "documents included; restore a backup instead"
    )
