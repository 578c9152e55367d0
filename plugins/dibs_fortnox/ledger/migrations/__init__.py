"""Alembic migrations of the state database.

Run them with ``python -m dibs_fortnox.ledger.migrate upgrade``; add one as docs/migrations.md
says.
"""
