-- The commission ledger: an append-only list of entries per pickup point, numbered by a
-- per-point version so a counter pulls "everything after version N". Accruals and
-- reversals come from handovers and refunds; settlements from closing a period;
-- withdrawals from approved payout requests. Money in fen, times in UTC ms.

CREATE TABLE ledger_entries (
    point_id      TEXT NOT NULL REFERENCES points (id),
    version       INTEGER NOT NULL CHECK (version >= 1),
    kind          TEXT NOT NULL CHECK (kind IN ('accrual', 'reversal', 'settlement', 'withdrawal')),
    order_id      TEXT REFERENCES orders (id),     -- accrual and reversal only
    sku           TEXT,                            -- accrual and reversal only
    qty           INTEGER CHECK (qty IS NULL OR qty >= 1),
    base          INTEGER NOT NULL,                -- the goods value the rate applied to
    rate          INTEGER,                         -- basis points
    amount        INTEGER NOT NULL CHECK (amount >= 0),
    at            INTEGER NOT NULL,                -- when it happened (device time for handovers)
    device        TEXT,                            -- the counter that reported the handover
    period_id     TEXT,                            -- settlement entries: the period closed
    withdrawal_id TEXT,                            -- withdrawal entries: the request approved
    recorded_at   INTEGER NOT NULL,                -- server time of the append
    PRIMARY KEY (point_id, version),
    CHECK ((kind IN ('accrual', 'reversal')) = (order_id IS NOT NULL AND sku IS NOT NULL))
) STRICT, WITHOUT ROWID;
-- One accrual and at most one reversal per order line: a handover reported twice
-- (two devices, a retried upload) books once.
CREATE UNIQUE INDEX ledger_entries_once_per_line ON ledger_entries (order_id, sku, kind)
    WHERE kind IN ('accrual', 'reversal');

-- Contradictions kept for staff, once per order and kind.
CREATE TABLE ledger_exceptions (
    id          TEXT PRIMARY KEY,
    point_id    TEXT NOT NULL REFERENCES points (id),
    order_id    TEXT NOT NULL REFERENCES orders (id),
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    device      TEXT,
    at          INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (order_id, kind)
) STRICT;
CREATE INDEX ledger_exceptions_by_point ON ledger_exceptions (point_id, recorded_at);

CREATE TABLE settlement_periods (
    id        TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    first_day TEXT NOT NULL,                   -- local YYYY-MM-DD, inclusive
    last_day  TEXT NOT NULL,
    ends_at   INTEGER NOT NULL,                -- local midnight after last_day, UTC ms
    closed_at INTEGER NOT NULL,
    closed_by TEXT NOT NULL,
    CHECK (first_day <= last_day)
) STRICT;
CREATE INDEX settlement_periods_by_region ON settlement_periods (region_id, last_day);

-- What one period paid one point.
CREATE TABLE settlements (
    period_id TEXT NOT NULL REFERENCES settlement_periods (id),
    point_id  TEXT NOT NULL REFERENCES points (id),
    accrued   INTEGER NOT NULL,
    reversed  INTEGER NOT NULL,
    amount    INTEGER NOT NULL,
    entries   INTEGER NOT NULL,
    PRIMARY KEY (period_id, point_id)
) STRICT, WITHOUT ROWID;

-- Which accrual/reversal entries a period settled; each entry settles once.
CREATE TABLE settled_entries (
    point_id  TEXT NOT NULL,
    version   INTEGER NOT NULL,
    period_id TEXT NOT NULL REFERENCES settlement_periods (id),
    PRIMARY KEY (point_id, version),
    FOREIGN KEY (point_id, version) REFERENCES ledger_entries (point_id, version)
) STRICT, WITHOUT ROWID;
CREATE INDEX settled_entries_by_period ON settled_entries (period_id, point_id);

CREATE TABLE withdrawals (
    id           TEXT PRIMARY KEY,
    point_id     TEXT NOT NULL REFERENCES points (id),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    status       TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected')),
    requested_at INTEGER NOT NULL,
    requested_by TEXT NOT NULL,
    decided_at   INTEGER,
    decided_by   TEXT,
    reason       TEXT
) STRICT;
CREATE INDEX withdrawals_by_point ON withdrawals (point_id, status);

CREATE INDEX ledger_entries_by_order ON ledger_entries (order_id) WHERE order_id IS NOT NULL;
