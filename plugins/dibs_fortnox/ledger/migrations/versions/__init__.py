"""One file per revision of the state database, oldest first (see docs/migrations.md)."""
