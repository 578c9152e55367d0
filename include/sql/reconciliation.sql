-- Reconciliation queries for operators of the DIBS-Fortnox state database.
--
-- Run them by hand (psql or sqlite3, binding :tenant) or through the ledger:
--   Ledger.from_url(url).report("held_payouts", "acme")
-- Each query starts with a "-- name:" line; the ledger finds them by that name. They are
-- plain SQL that SQLite and PostgreSQL both accept, and they only read.

-- name: documents_per_day
-- How many documents of each kind are in each status, per payout day. A finished day has
-- only 'posted' and 'bookkept' (vouchers and customers stop at 'posted').
SELECT day, kind, status, COUNT(*) AS documents
FROM documents
WHERE tenant = :tenant
GROUP BY day, kind, status
ORDER BY day, kind, status;

-- name: ambiguous_documents
-- Writes whose outcome is unknown: the request may have reached Fortnox. Nothing for these
-- is sent again until the next run has looked the reference up in Fortnox. A row that
-- stays here across runs needs a person to search Fortnox for the reference.
SELECT day, payout_id, kind, reference, detail, updated_at
FROM documents
WHERE tenant = :tenant AND status = 'unknown'
ORDER BY day, payout_id, kind, reference;

-- name: failed_documents
-- Documents Fortnox refused, with its reason. A fortnox_id means the document exists in
-- Fortnox but a later step (bookkeeping) was refused.
SELECT day, payout_id, kind, reference, fortnox_id, detail, updated_at
FROM documents
WHERE tenant = :tenant AND status = 'failed'
ORDER BY day, payout_id, kind, reference;

-- name: held_payouts
-- Payouts not booked, with the reason a bookkeeper can act on.
SELECT day, payout_id, reason, updated_at
FROM payouts
WHERE tenant = :tenant AND status = 'held'
ORDER BY day, payout_id;

-- name: payout_progress
-- Every payout with its documents counted by how far they got. A payout is booked only
-- when all its documents are confirmed and its voucher is posted.
SELECT p.day,
       p.payout_id,
       p.status,
       COUNT(d.id) AS documents,
       SUM(CASE WHEN d.status IN ('posted', 'bookkept') THEN 1 ELSE 0 END) AS confirmed,
       SUM(CASE WHEN d.status IN ('intent', 'unknown') THEN 1 ELSE 0 END) AS in_flight,
       SUM(CASE WHEN d.status = 'failed' THEN 1 ELSE 0 END) AS failed
FROM payouts AS p
LEFT JOIN documents AS d
       ON d.tenant = p.tenant AND d.payout_id = p.payout_id
WHERE p.tenant = :tenant
GROUP BY p.day, p.payout_id, p.status
ORDER BY p.day, p.payout_id;
