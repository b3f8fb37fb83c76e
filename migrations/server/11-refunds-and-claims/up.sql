-- Refunds by line, after-sale claims from every source, and withdrawals that are
-- marked paid (issue 14). Money in fen, times in UTC ms.

-- One row per refund: what was given back, for which lines, through which
-- provider movement. `id` is derived from who asked and their idempotency key,
-- so a retried refund reaches the provider under the same id (which it honours
-- once) and is stored once.
CREATE TABLE refunds (
    id        TEXT PRIMARY KEY,
    order_id  TEXT NOT NULL REFERENCES orders (id),
    amount    INTEGER NOT NULL CHECK (amount >= 0),   -- the lines' money
    paid_back INTEGER NOT NULL CHECK (paid_back >= 0), -- what went back through the provider
    reason    TEXT NOT NULL,
    claim_id  TEXT,                                   -- the claim it decided, if any
    by_staff  TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX refunds_by_order ON refunds (order_id, at);

CREATE TABLE refund_lines (
    refund_id TEXT NOT NULL REFERENCES refunds (id),
    sku       TEXT NOT NULL,
    qty       INTEGER NOT NULL CHECK (qty > 0),
    amount    INTEGER NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (refund_id, sku)
) STRICT, WITHOUT ROWID;

-- Units and money given back per order line, so the next refund plans against them.
ALTER TABLE order_lines ADD COLUMN refunded_qty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0;

-- Provider movements: one charge per order, any number of refunds, each under its
-- refund's id.
CREATE TABLE payment_movements (
    id        INTEGER PRIMARY KEY,
    order_id  TEXT NOT NULL REFERENCES orders (id),
    kind      TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
    provider  TEXT NOT NULL,
    reference TEXT NOT NULL,
    amount    INTEGER NOT NULL CHECK (amount >= 0),
    at        INTEGER NOT NULL,
    refund_id TEXT,
    CHECK ((kind = 'refund') = (refund_id IS NOT NULL))
) STRICT;
INSERT INTO payment_movements (order_id, kind, provider, reference, amount, at, refund_id)
    SELECT order_id, kind, provider, reference, amount, at,
           CASE WHEN kind = 'refund' THEN 'legacy-' || order_id END
    FROM payments;
DROP TABLE payments;
CREATE UNIQUE INDEX payment_movements_one_charge ON payment_movements (order_id) WHERE kind = 'charge';
CREATE UNIQUE INDEX payment_movements_once_per_refund ON payment_movements (refund_id) WHERE kind = 'refund';
CREATE INDEX payment_movements_by_order ON payment_movements (order_id, kind);

-- A line may be reversed once per refund (a line refunded in two steps reverses in two).
ALTER TABLE ledger_entries ADD COLUMN refund_id TEXT;
DROP INDEX ledger_entries_once_per_line;
CREATE UNIQUE INDEX ledger_entries_accrue_once ON ledger_entries (order_id, sku) WHERE kind = 'accrual';
CREATE UNIQUE INDEX ledger_entries_reverse_once_per_refund ON ledger_entries (order_id, sku, refund_id)
    WHERE kind = 'reversal';

-- After-sale claims (售后) from all three sources, one queue: the short deliveries
-- the server opens when a counter's check comes up short ('delivery'), intakes
-- filed at a counter ('counter'), and consumers' own ('consumer').
CREATE TABLE claims (
    id              TEXT PRIMARY KEY,
    point_id        TEXT NOT NULL REFERENCES points (id),
    order_id        TEXT NOT NULL REFERENCES orders (id),
    source          TEXT NOT NULL CHECK (source IN ('delivery', 'counter', 'consumer')),
    reason          TEXT NOT NULL,              -- linli_core::after_sale::ClaimReason
    description     TEXT NOT NULL DEFAULT '',
    claimant_name   TEXT NOT NULL DEFAULT '',
    claimant_phone  TEXT NOT NULL DEFAULT '',
    photos          TEXT NOT NULL DEFAULT '[]', -- JSON array of content hashes
    device          TEXT,                       -- the counter that filed or counted it
    event           TEXT UNIQUE,                -- the counter event it came from
    opened_at       INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected')),
    decided_at      INTEGER,
    decided_by      TEXT,
    decision_reason TEXT,
    refund_id       TEXT REFERENCES refunds (id)
) STRICT;
CREATE UNIQUE INDEX claims_one_short_delivery_per_order ON claims (order_id) WHERE source = 'delivery';
CREATE INDEX claims_by_status ON claims (status, opened_at);
CREATE INDEX claims_by_point ON claims (point_id, opened_at);

-- The units a claim is about (a counter intake may name none: staff choose).
CREATE TABLE claim_lines (
    claim_id TEXT NOT NULL REFERENCES claims (id),
    sku      TEXT NOT NULL,
    qty      INTEGER NOT NULL CHECK (qty > 0),
    PRIMARY KEY (claim_id, sku)
) STRICT, WITHOUT ROWID;

INSERT INTO claims (id, point_id, order_id, source, reason, device, opened_at)
    SELECT min(id), point_id, order_id, 'delivery', 'short_delivery', min(device), min(opened_at)
    FROM after_sale_claims GROUP BY order_id, point_id;
INSERT INTO claim_lines (claim_id, sku, qty)
    SELECT c.id, a.sku, a.qty FROM after_sale_claims a
    JOIN claims c ON c.order_id = a.order_id AND c.source = 'delivery';
DROP TABLE after_sale_claims;

-- Withdrawals gain `paid`: finance marks an approved payout paid with the bank's
-- reference once the money has left.
CREATE TABLE withdrawals_new (
    id             TEXT PRIMARY KEY,
    point_id       TEXT NOT NULL REFERENCES points (id),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    status         TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'paid')),
    requested_at   INTEGER NOT NULL,
    requested_by   TEXT NOT NULL,
    decided_at     INTEGER,
    decided_by     TEXT,
    reason         TEXT,
    paid_at        INTEGER,
    paid_by        TEXT,
    paid_reference TEXT
) STRICT;
INSERT INTO withdrawals_new (id, point_id, amount, status, requested_at, requested_by,
        decided_at, decided_by, reason)
    SELECT id, point_id, amount, status, requested_at, requested_by, decided_at, decided_by, reason
    FROM withdrawals;
DROP TABLE withdrawals;
ALTER TABLE withdrawals_new RENAME TO withdrawals;
CREATE INDEX withdrawals_by_point ON withdrawals (point_id, status);
CREATE INDEX withdrawals_by_status ON withdrawals (status, requested_at);
