-- DIBS-Fortnox state database (our own database, never Airflow's metadata DB).
-- Generated from plugins/dibs_fortnox/ledger/schema.py by `make schema`;
-- do not edit by hand: tests/ledger fail when this file and the tables differ.
-- This file is for review. The tables are created and upgraded by the migration
-- command, `python -m dibs_fortnox.ledger.migrate upgrade` (Alembic, see
-- docs/migrations.md); `... migrate sql` prints the same as SQL for a DBA.

-- ===== SQLite (default, one file) =====

CREATE TABLE alerts (
	id INTEGER NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	kind VARCHAR(32) NOT NULL,
	"key" VARCHAR(250) NOT NULL,
	sent_at DATETIME NOT NULL,
	CONSTRAINT pk_alerts PRIMARY KEY (id),
	CONSTRAINT uq_alerts_tenant_kind_key UNIQUE (tenant, kind, "key")
);

CREATE TABLE documents (
	id INTEGER NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	kind VARCHAR(16) NOT NULL,
	reference VARCHAR(128) NOT NULL,
	status VARCHAR(16) NOT NULL,
	fortnox_id VARCHAR(64),
	day DATE NOT NULL,
	payout_id VARCHAR(128),
	payload_hash VARCHAR(128),
	detail TEXT,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	CONSTRAINT pk_documents PRIMARY KEY (id),
	CONSTRAINT uq_documents_tenant_kind_reference UNIQUE (tenant, kind, reference),
	CONSTRAINT ck_documents_kind CHECK (kind IN ('customer', 'invoice', 'invoice_payment', 'credit', 'credit_payment', 'voucher')),
	CONSTRAINT ck_documents_status CHECK (status IN ('intent', 'unknown', 'posted', 'bookkept', 'failed')),
	CONSTRAINT ck_documents_posted_has_id CHECK (status NOT IN ('posted', 'bookkept') OR fortnox_id IS NOT NULL)
);

CREATE INDEX ix_documents_tenant_day ON documents (tenant, day);

CREATE INDEX ix_documents_tenant_payout_id ON documents (tenant, payout_id);

CREATE TABLE onboarding (
	tenant VARCHAR(64) NOT NULL,
	status VARCHAR(24) NOT NULL,
	checks JSON,
	documents JSON,
	emailed_at DATETIME,
	decided_by VARCHAR(200),
	decided_at DATETIME,
	note TEXT,
	run_id VARCHAR(250),
	updated_at DATETIME NOT NULL,
	CONSTRAINT pk_onboarding PRIMARY KEY (tenant),
	CONSTRAINT ck_onboarding_status CHECK (status IN ('checking', 'checks_failed', 'awaiting_approval', 'active', 'rejected'))
);

CREATE TABLE onboarding_links (
	link_id VARCHAR(64) NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	used_at DATETIME NOT NULL,
	CONSTRAINT pk_onboarding_links PRIMARY KEY (link_id)
);

CREATE TABLE payout_resolutions (
	id INTEGER NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	payout_id VARCHAR(128) NOT NULL,
	action VARCHAR(16) NOT NULL,
	decided_by VARCHAR(200) NOT NULL,
	note TEXT NOT NULL,
	claims JSON NOT NULL,
	decided_at DATETIME NOT NULL,
	CONSTRAINT pk_payout_resolutions PRIMARY KEY (id),
	CONSTRAINT ck_payout_resolutions_action CHECK (action IN ('booked_by_hand', 'released'))
);

CREATE INDEX ix_payout_resolutions_tenant_payout_id ON payout_resolutions (tenant, payout_id);

CREATE TABLE payouts (
	id INTEGER NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	payout_id VARCHAR(128) NOT NULL,
	day DATE NOT NULL,
	status VARCHAR(16) NOT NULL,
	reason TEXT,
	updated_at DATETIME NOT NULL,
	CONSTRAINT pk_payouts PRIMARY KEY (id),
	CONSTRAINT uq_payouts_tenant_payout_id UNIQUE (tenant, payout_id),
	CONSTRAINT ck_payouts_status CHECK (status IN ('pending', 'held', 'booked'))
);

CREATE INDEX ix_payouts_tenant_day ON payouts (tenant, day);

CREATE TABLE raw_records (
	id INTEGER NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	kind VARCHAR(16) NOT NULL,
	nets_id VARCHAR(128) NOT NULL,
	day DATE,
	payload JSON NOT NULL,
	fetched_at DATETIME NOT NULL,
	CONSTRAINT pk_raw_records PRIMARY KEY (id),
	CONSTRAINT uq_raw_records_tenant_kind_nets_id UNIQUE (tenant, kind, nets_id),
	CONSTRAINT ck_raw_records_kind CHECK (kind IN ('payouts_list', 'payout', 'payment'))
);

CREATE INDEX ix_raw_records_tenant_day ON raw_records (tenant, day);

CREATE TABLE request_windows (
	id INTEGER NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	service VARCHAR(16) NOT NULL,
	sent_at JSON NOT NULL,
	updated_at DATETIME NOT NULL,
	CONSTRAINT pk_request_windows PRIMARY KEY (id),
	CONSTRAINT uq_request_windows_tenant_service UNIQUE (tenant, service)
);

CREATE TABLE reversals (
	id INTEGER NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	from_day DATE NOT NULL,
	to_day DATE NOT NULL,
	decided_by VARCHAR(200) NOT NULL,
	note TEXT NOT NULL,
	started_at DATETIME NOT NULL,
	finished_at DATETIME,
	documents INTEGER,
	CONSTRAINT pk_reversals PRIMARY KEY (id)
);

CREATE INDEX ix_reversals_tenant ON reversals (tenant);

CREATE TABLE reversed_documents (
	id INTEGER NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	reversal_id INTEGER NOT NULL,
	kind VARCHAR(16) NOT NULL,
	reference VARCHAR(128) NOT NULL,
	fortnox_id VARCHAR(64) NOT NULL,
	day DATE NOT NULL,
	payout_id VARCHAR(128),
	reversal_kind VARCHAR(16) NOT NULL,
	reversal_reference VARCHAR(128) NOT NULL,
	reversal_fortnox_id VARCHAR(64) NOT NULL,
	reversed_at DATETIME NOT NULL,
	CONSTRAINT pk_reversed_documents PRIMARY KEY (id),
	CONSTRAINT uq_reversed_documents_tenant_kind_fortnox_id UNIQUE (tenant, kind, fortnox_id),
	CONSTRAINT ck_reversed_documents_kind CHECK (kind IN ('customer', 'invoice', 'invoice_payment', 'credit', 'credit_payment', 'voucher'))
);

CREATE INDEX ix_reversed_documents_tenant_day ON reversed_documents (tenant, day);

CREATE TABLE runs (
	id INTEGER NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	day DATE NOT NULL,
	run_id VARCHAR(250) NOT NULL,
	status VARCHAR(16) NOT NULL,
	summary JSON,
	started_at DATETIME NOT NULL,
	finished_at DATETIME,
	CONSTRAINT pk_runs PRIMARY KEY (id),
	CONSTRAINT ck_runs_status CHECK (status IN ('running', 'success', 'held', 'failed'))
);

CREATE INDEX ix_runs_tenant_day ON runs (tenant, day);

-- ===== PostgreSQL =====

CREATE TABLE alerts (
	id SERIAL NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	kind VARCHAR(32) NOT NULL,
	key VARCHAR(250) NOT NULL,
	sent_at TIMESTAMP WITH TIME ZONE NOT NULL,
	CONSTRAINT pk_alerts PRIMARY KEY (id),
	CONSTRAINT uq_alerts_tenant_kind_key UNIQUE (tenant, kind, key)
);

CREATE TABLE documents (
	id SERIAL NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	kind VARCHAR(16) NOT NULL,
	reference VARCHAR(128) NOT NULL,
	status VARCHAR(16) NOT NULL,
	fortnox_id VARCHAR(64),
	day DATE NOT NULL,
	payout_id VARCHAR(128),
	payload_hash VARCHAR(128),
	detail TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	CONSTRAINT pk_documents PRIMARY KEY (id),
	CONSTRAINT uq_documents_tenant_kind_reference UNIQUE (tenant, kind, reference),
	CONSTRAINT ck_documents_kind CHECK (kind IN ('customer', 'invoice', 'invoice_payment', 'credit', 'credit_payment', 'voucher')),
	CONSTRAINT ck_documents_status CHECK (status IN ('intent', 'unknown', 'posted', 'bookkept', 'failed')),
	CONSTRAINT ck_documents_posted_has_id CHECK (status NOT IN ('posted', 'bookkept') OR fortnox_id IS NOT NULL)
);

CREATE INDEX ix_documents_tenant_day ON documents (tenant, day);

CREATE INDEX ix_documents_tenant_payout_id ON documents (tenant, payout_id);

CREATE TABLE onboarding (
	tenant VARCHAR(64) NOT NULL,
	status VARCHAR(24) NOT NULL,
	checks JSON,
	documents JSON,
	emailed_at TIMESTAMP WITH TIME ZONE,
	decided_by VARCHAR(200),
	decided_at TIMESTAMP WITH TIME ZONE,
	note TEXT,
	run_id VARCHAR(250),
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	CONSTRAINT pk_onboarding PRIMARY KEY (tenant),
	CONSTRAINT ck_onboarding_status CHECK (status IN ('checking', 'checks_failed', 'awaiting_approval', 'active', 'rejected'))
);

CREATE TABLE onboarding_links (
	link_id VARCHAR(64) NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	used_at TIMESTAMP WITH TIME ZONE NOT NULL,
	CONSTRAINT pk_onboarding_links PRIMARY KEY (link_id)
);

CREATE TABLE payout_resolutions (
	id SERIAL NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	payout_id VARCHAR(128) NOT NULL,
	action VARCHAR(16) NOT NULL,
	decided_by VARCHAR(200) NOT NULL,
	note TEXT NOT NULL,
	claims JSON NOT NULL,
	decided_at TIMESTAMP WITH TIME ZONE NOT NULL,
	CONSTRAINT pk_payout_resolutions PRIMARY KEY (id),
	CONSTRAINT ck_payout_resolutions_action CHECK (action IN ('booked_by_hand', 'released'))
);

CREATE INDEX ix_payout_resolutions_tenant_payout_id ON payout_resolutions (tenant, payout_id);

CREATE TABLE payouts (
	id SERIAL NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	payout_id VARCHAR(128) NOT NULL,
	day DATE NOT NULL,
	status VARCHAR(16) NOT NULL,
	reason TEXT,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	CONSTRAINT pk_payouts PRIMARY KEY (id),
	CONSTRAINT uq_payouts_tenant_payout_id UNIQUE (tenant, payout_id),
	CONSTRAINT ck_payouts_status CHECK (status IN ('pending', 'held', 'booked'))
);

CREATE INDEX ix_payouts_tenant_day ON payouts (tenant, day);

CREATE TABLE raw_records (
	id SERIAL NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	kind VARCHAR(16) NOT NULL,
	nets_id VARCHAR(128) NOT NULL,
	day DATE,
	payload JSON NOT NULL,
	fetched_at TIMESTAMP WITH TIME ZONE NOT NULL,
	CONSTRAINT pk_raw_records PRIMARY KEY (id),
	CONSTRAINT uq_raw_records_tenant_kind_nets_id UNIQUE (tenant, kind, nets_id),
	CONSTRAINT ck_raw_records_kind CHECK (kind IN ('payouts_list', 'payout', 'payment'))
);

CREATE INDEX ix_raw_records_tenant_day ON raw_records (tenant, day);

CREATE TABLE request_windows (
	id SERIAL NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	service VARCHAR(16) NOT NULL,
	sent_at JSON NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	CONSTRAINT pk_request_windows PRIMARY KEY (id),
	CONSTRAINT uq_request_windows_tenant_service UNIQUE (tenant, service)
);

CREATE TABLE reversals (
	id SERIAL NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	from_day DATE NOT NULL,
	to_day DATE NOT NULL,
	decided_by VARCHAR(200) NOT NULL,
	note TEXT NOT NULL,
	started_at TIMESTAMP WITH TIME ZONE NOT NULL,
	finished_at TIMESTAMP WITH TIME ZONE,
	documents INTEGER,
	CONSTRAINT pk_reversals PRIMARY KEY (id)
);

CREATE INDEX ix_reversals_tenant ON reversals (tenant);

CREATE TABLE reversed_documents (
	id SERIAL NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	reversal_id INTEGER NOT NULL,
	kind VARCHAR(16) NOT NULL,
	reference VARCHAR(128) NOT NULL,
	fortnox_id VARCHAR(64) NOT NULL,
	day DATE NOT NULL,
	payout_id VARCHAR(128),
	reversal_kind VARCHAR(16) NOT NULL,
	reversal_reference VARCHAR(128) NOT NULL,
	reversal_fortnox_id VARCHAR(64) NOT NULL,
	reversed_at TIMESTAMP WITH TIME ZONE NOT NULL,
	CONSTRAINT pk_reversed_documents PRIMARY KEY (id),
	CONSTRAINT uq_reversed_documents_tenant_kind_fortnox_id UNIQUE (tenant, kind, fortnox_id),
	CONSTRAINT ck_reversed_documents_kind CHECK (kind IN ('customer', 'invoice', 'invoice_payment', 'credit', 'credit_payment', 'voucher'))
);

CREATE INDEX ix_reversed_documents_tenant_day ON reversed_documents (tenant, day);

CREATE TABLE runs (
	id SERIAL NOT NULL,
	tenant VARCHAR(64) NOT NULL,
	day DATE NOT NULL,
	run_id VARCHAR(250) NOT NULL,
	status VARCHAR(16) NOT NULL,
	summary JSON,
	started_at TIMESTAMP WITH TIME ZONE NOT NULL,
	finished_at TIMESTAMP WITH TIME ZONE,
	CONSTRAINT pk_runs PRIMARY KEY (id),
	CONSTRAINT ck_runs_status CHECK (status IN ('running', 'success', 'held', 'failed'))
);

CREATE INDEX ix_runs_tenant_day ON runs (tenant, day);
