-- The admin web (issue 14): who did what (an append-only audit log), staff actions
-- done once however often they are sent (idempotency keys), and two projections the
-- admin's lists filter on without opening a document: each order's derived status,
-- and what each point's counter reported of a day's delivery. Both projections are
-- written from `linli_core::status::derive_day` in the job that changes the facts.
-- Times in UTC ms.

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,           -- the order of appending
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,                 -- staff id
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,                 -- e.g. 'product.update', 'order.refund'
    target_kind TEXT NOT NULL,                 -- 'product', 'order', 'point', ...
    target_id   TEXT NOT NULL,
    summary     TEXT NOT NULL,
    before      TEXT,                          -- JSON of the record before, if any
    after       TEXT                           -- JSON of the record after, if any
) STRICT;
CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_actor ON audit_log (actor, at);
CREATE INDEX audit_log_by_target ON audit_log (target_kind, target_id, at);
CREATE INDEX audit_log_by_action ON audit_log (action, at);
-- Append-only: an entry is never changed or removed, not even by the server.
CREATE TRIGGER audit_log_never_updated BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_never_deleted BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- A staff action sent with an `Idempotency-Key`: the first answer, replayed to a
-- retry or a double click with the same key and the same request.
CREATE TABLE staff_requests (
    staff_id     TEXT NOT NULL,
    key          TEXT NOT NULL,
    action       TEXT NOT NULL,
    request_hash TEXT NOT NULL,                -- SHA-256 of what the key was first used for
    answer       TEXT NOT NULL,                -- JSON
    at           INTEGER NOT NULL,
    PRIMARY KEY (staff_id, key)
) STRICT, WITHOUT ROWID;

-- The order's derived status and open conflict flags (comma-separated names), as
-- `derive_day` gives them for the facts the server holds.
ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'awaiting_delivery';
ALTER TABLE orders ADD COLUMN conflicts TEXT NOT NULL DEFAULT '';
-- The order's latest handover (device clock), once any goods were handed over.
ALTER TABLE orders ADD COLUMN picked_up_at INTEGER;
-- Orders void before this migration; the rest are re-derived at their next sync.
UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL;
UPDATE orders SET status = 'cancelled' WHERE refunded_at IS NULL AND cancelled_at IS NOT NULL;
CREATE INDEX orders_by_day_status ON orders (day, status);

-- What a point's counter reported of one day's delivery.
CREATE TABLE delivery_results (
    point_id        TEXT NOT NULL REFERENCES points (id),
    day             TEXT NOT NULL,
    accepted_at     INTEGER,                   -- the earliest acceptance, device clock
    accepted_by     TEXT,                      -- the leader who accepted
    accepted_device TEXT,
    counted_lines   INTEGER NOT NULL,
    short_lines     INTEGER NOT NULL,          -- lines with a shortfall (missing or damaged)
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (point_id, day)
) STRICT, WITHOUT ROWID;
CREATE INDEX delivery_results_by_day ON delivery_results (day);

CREATE TABLE delivery_result_lines (
    point_id  TEXT NOT NULL,
    day       TEXT NOT NULL,
    sku       TEXT NOT NULL,
    name      TEXT NOT NULL,
    expected  INTEGER NOT NULL,
    received  INTEGER,                         -- NULL until counted
    damaged   INTEGER NOT NULL,
    shortfall INTEGER NOT NULL,
    note      TEXT NOT NULL,
    PRIMARY KEY (point_id, day, sku),
    FOREIGN KEY (point_id, day) REFERENCES delivery_results (point_id, day)
) STRICT, WITHOUT ROWID;

-- Staff close an exception with a resolution; it stays, with who closed it and why.
ALTER TABLE ledger_exceptions ADD COLUMN closed_at INTEGER;
ALTER TABLE ledger_exceptions ADD COLUMN closed_by TEXT;
ALTER TABLE ledger_exceptions ADD COLUMN resolution TEXT;
CREATE INDEX ledger_exceptions_by_state ON ledger_exceptions (closed_at, recorded_at);
