-- The counter's replica: the documents (the truth) and the tables projected from
-- them (for lookup, lists and search). Both change in one transaction.

-- The device's own identity at its point; exactly one row once enrolled.
CREATE TABLE device_identity (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    point_id    TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    leader      TEXT NOT NULL,
    code_key    BLOB NOT NULL CHECK (length(code_key) = 32)
) STRICT;

-- One point-day document, stored as a snapshot chunk followed by incremental ones.
CREATE TABLE documents (
    doc_key     TEXT PRIMARY KEY,           -- '<point id>/<day>'
    point_id    TEXT NOT NULL,
    day         TEXT NOT NULL,
    accepted_at INTEGER                      -- projected: earliest acceptance, ms UTC
) STRICT;

CREATE TABLE doc_chunks (
    doc_key     TEXT NOT NULL REFERENCES documents (doc_key),
    seq         INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    PRIMARY KEY (doc_key, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE orders (
    order_id             TEXT PRIMARY KEY,
    doc_key              TEXT NOT NULL REFERENCES documents (doc_key),
    day                  TEXT NOT NULL,
    number               TEXT NOT NULL,
    consumer_name        TEXT NOT NULL,
    phone_tail           TEXT NOT NULL,
    placed_at            INTEGER NOT NULL,
    paid                 INTEGER NOT NULL,   -- fen
    code_digest          BLOB NOT NULL,
    status               TEXT NOT NULL,
    conflicts            TEXT NOT NULL,      -- comma-separated conflict names, '' if none
    cancelled_at         INTEGER,
    refunded_at          INTEGER,
    last_handover_at     INTEGER,
    last_handover_device TEXT,
    due_units            INTEGER NOT NULL,
    commission           INTEGER NOT NULL    -- fen accrued once picked up, else 0
) STRICT;
CREATE INDEX orders_by_code ON orders (code_digest);
CREATE INDEX orders_by_phone ON orders (phone_tail);
CREATE INDEX orders_by_status ON orders (status, placed_at);
CREATE INDEX orders_by_doc ON orders (doc_key);
CREATE INDEX orders_with_conflicts ON orders (conflicts) WHERE conflicts <> '';

CREATE TABLE order_lines (
    order_id        TEXT NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
    sku             TEXT NOT NULL,
    name            TEXT NOT NULL,
    qty             INTEGER NOT NULL,
    unit_price      INTEGER NOT NULL,
    commission_rate INTEGER NOT NULL,
    handed          INTEGER NOT NULL,
    short           INTEGER NOT NULL,
    due             INTEGER NOT NULL,
    PRIMARY KEY (order_id, sku)
) STRICT, WITHOUT ROWID;

CREATE TABLE handovers (
    event_id  TEXT PRIMARY KEY,
    order_id  TEXT NOT NULL,
    doc_key   TEXT NOT NULL REFERENCES documents (doc_key),
    device_id TEXT NOT NULL,
    leader    TEXT NOT NULL,
    at        INTEGER NOT NULL,
    method    TEXT NOT NULL
) STRICT;
CREATE INDEX handovers_by_order ON handovers (order_id);

CREATE TABLE delivery_lines (
    doc_key  TEXT NOT NULL REFERENCES documents (doc_key),
    sku      TEXT NOT NULL,
    name     TEXT NOT NULL,
    expected INTEGER NOT NULL,
    received INTEGER,                        -- NULL until counted
    damaged  INTEGER NOT NULL,
    note     TEXT NOT NULL,
    PRIMARY KEY (doc_key, sku)
) STRICT, WITHOUT ROWID;

-- Settled commission as the server reports it (a read-only pull).
CREATE TABLE commission_settled (
    order_id   TEXT PRIMARY KEY,
    amount     INTEGER NOT NULL,
    settled_at INTEGER NOT NULL
) STRICT;
