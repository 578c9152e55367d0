"""Reversals: what ``python -m dibs_fortnox.reverse`` undid, who decided it, and why.

``reversals`` has one row per reversal of a tenant's range of days; ``reversed_documents``
one row per booked document it mirrored, with the mirror's number, so a document is never
reversed twice and the day can be booked again. Both tables arrived just before migrations
did: a database created by that code has them already and is adopted at this revision.

Revision ID: 0002
Revises: 0001
Created: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reversals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("from_day", sa.Date(), nullable=False),
        sa.Column("to_day", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("documents", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reversals")),
    )
    op.create_index(op.f("ix_reversals_tenant"), "reversals", ["tenant"])
    op.create_table(
        "reversed_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("reversal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("fortnox_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("payout_id", sa.String(length=128), nullable=True),
        sa.Column("reversal_kind", sa.String(length=16), nullable=False),
        sa.Column("reversal_reference", sa.String(length=128), nullable=False),
        sa.Column("reversal_fortnox_id", sa.String(length=64), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('customer', 'invoice', 'invoice_payment', 'credit', 'credit_payment', "
            "'voucher')",
            name=op.f("ck_reversed_documents_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reversed_documents")),
        sa.UniqueConstraint(
            "tenant",
            "kind",
            "fortnox_id",
            name=op.f("uq_reversed_documents_tenant_kind_fortnox_id"),
        ),
    )
    op.create_index(
        op.f("ix_reversed_documents_tenant_day"), "reversed_documents", ["tenant", "day"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reversed_documents_tenant_day"), table_name="reversed_documents")
    op.drop_table("reversed_documents")
    op.drop_index(op.f("ix_reversals_tenant"), table_name="reversals")
    op.drop_table("reversals")
