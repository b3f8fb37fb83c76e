-- Read-only pulls from the server (decision 0010): the catalog, the point's
-- commission ledger, its promoter team and its withdrawal requests. Only
-- `Replica::store_pull` writes the pulled tables, each pull in one transaction with
-- its version, so a version never claims more than the file holds. No counter
-- action writes them.

-- The version held per pull kind: the ledger's last entry version, or a
-- snapshot's digest (its ETag).
CREATE TABLE pulled_versions (
    what      TEXT PRIMARY KEY CHECK (what IN ('catalog', 'ledger', 'team', 'withdrawals')),
    version   INTEGER NOT NULL,
    pulled_at INTEGER NOT NULL                 -- ms UTC, device clock
) STRICT;

CREATE TABLE pulled_products (
    sku             TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    category        TEXT NOT NULL,
    spec            TEXT NOT NULL,
    price           INTEGER NOT NULL,          -- fen
    commission_rate INTEGER                    -- basis points
) STRICT;

-- The point's ledger as the server booked it; append-only, by version.
CREATE TABLE pulled_ledger (
    version       INTEGER PRIMARY KEY CHECK (version >= 1),
    kind          TEXT NOT NULL CHECK (kind IN ('accrual', 'reversal', 'settlement', 'withdrawal')),
    order_id      TEXT,
    order_number  TEXT,
    sku           TEXT,
    qty           INTEGER,
    base          INTEGER NOT NULL,
    rate          INTEGER,
    amount        INTEGER NOT NULL CHECK (amount >= 0),
    at            INTEGER NOT NULL,
    period_id     TEXT,
    withdrawal_id TEXT
) STRICT;
CREATE INDEX pulled_ledger_by_order ON pulled_ledger (order_id) WHERE order_id IS NOT NULL;

CREATE TABLE pulled_promoters (
    id            TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL,            -- the server's order
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    referral_code TEXT NOT NULL,
    recruited_by  TEXT,
    joined_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE pulled_referred_consumers (
    promoter_id TEXT NOT NULL REFERENCES pulled_promoters (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    phone_tail  TEXT NOT NULL,
    orders      INTEGER NOT NULL CHECK (orders >= 0),
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (promoter_id, seq)
) STRICT, WITHOUT ROWID;

-- Withdrawal requests: 'queued' is the device's own, not yet taken by the server
-- ('refused' if the server said no to it); the other statuses are the server's,
-- from the withdrawals pull.
CREATE TABLE withdrawal_requests (
    id           TEXT PRIMARY KEY,
    amount       INTEGER NOT NULL CHECK (amount > 0),
    status       TEXT NOT NULL CHECK (status IN ('queued', 'refused', 'requested', 'approved', 'rejected')),
    requested_at INTEGER NOT NULL,
    decided_at   INTEGER,
    reason       TEXT
) STRICT;
