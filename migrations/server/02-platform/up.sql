-- The platform: regions, routes, pickup points, suppliers, products, consumers,
-- orders and the point-day documents born here. Money in fen, times in UTC ms.

CREATE TABLE regions (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    zone    TEXT NOT NULL,                 -- IANA zone, e.g. Asia/Shanghai
    cutoff  TEXT NOT NULL                  -- local HH:MM
) STRICT;

CREATE TABLE routes (
    id           TEXT PRIMARY KEY,
    region_id    TEXT NOT NULL REFERENCES regions (id),
    name         TEXT NOT NULL,
    driver_name  TEXT NOT NULL,
    driver_phone TEXT NOT NULL,
    UNIQUE (region_id, name)
) STRICT;

CREATE TABLE points (
    id                  TEXT PRIMARY KEY,
    region_id           TEXT NOT NULL REFERENCES regions (id),
    name                TEXT NOT NULL,
    leader_name         TEXT NOT NULL,
    leader_phone        TEXT NOT NULL,
    province            TEXT NOT NULL,
    city                TEXT NOT NULL,
    district            TEXT NOT NULL,
    address             TEXT NOT NULL,
    lat                 REAL NOT NULL,
    lng                 REAL NOT NULL,
    route_id            TEXT REFERENCES routes (id),
    stop_seq            INTEGER,           -- position on the route, 1-based
    status              TEXT NOT NULL CHECK (status IN ('applied', 'approved', 'suspended')),
    opening_hours       TEXT NOT NULL,
    commission_override INTEGER,           -- basis points
    code_key            BLOB NOT NULL CHECK (length(code_key) = 32)
) STRICT;
CREATE INDEX points_by_route ON points (route_id, stop_seq);

CREATE TABLE suppliers (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    contact TEXT NOT NULL,
    phone   TEXT NOT NULL
) STRICT;

CREATE TABLE products (
    sku                TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    category           TEXT NOT NULL,
    spec               TEXT NOT NULL,
    image_urls         TEXT NOT NULL,      -- JSON array
    price              INTEGER NOT NULL,
    stock              INTEGER NOT NULL CHECK (stock >= 0),
    supplier_id        TEXT NOT NULL REFERENCES suppliers (id),
    returnable         INTEGER NOT NULL,
    return_window_days INTEGER NOT NULL,
    points_eligible    INTEGER NOT NULL,
    purchase_limit     INTEGER,
    sale_opens         INTEGER,
    sale_closes        INTEGER,
    commission_rate    INTEGER
) STRICT;

CREATE TABLE consumers (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    phone  TEXT NOT NULL UNIQUE,
    points INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    consumer_id     TEXT NOT NULL REFERENCES consumers (id),
    point_id        TEXT NOT NULL REFERENCES points (id),
    day             TEXT NOT NULL,         -- delivery date, region-local
    number          TEXT NOT NULL,
    placed_at       INTEGER NOT NULL,
    paid            INTEGER NOT NULL,
    payment         TEXT NOT NULL,
    code            TEXT NOT NULL,         -- shown to the consumer; devices get only the digest
    code_digest     BLOB NOT NULL,
    points_earned   INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,         -- what the key was first used for
    cancelled_at    INTEGER,
    refunded_at     INTEGER,
    UNIQUE (consumer_id, idempotency_key),
    UNIQUE (point_id, day, number)
) STRICT;
CREATE INDEX orders_by_point_day ON orders (point_id, day);
CREATE INDEX orders_by_point_code ON orders (point_id, code_digest);
CREATE INDEX orders_by_consumer ON orders (consumer_id, placed_at);

CREATE TABLE order_lines (
    order_id        TEXT NOT NULL REFERENCES orders (id),
    sku             TEXT NOT NULL REFERENCES products (sku),
    name            TEXT NOT NULL,
    supplier_id     TEXT NOT NULL,
    qty             INTEGER NOT NULL CHECK (qty > 0),
    unit_price      INTEGER NOT NULL,
    commission_rate INTEGER NOT NULL,
    PRIMARY KEY (order_id, sku)
) STRICT, WITHOUT ROWID;
CREATE INDEX order_lines_by_sku ON order_lines (sku);

-- Point-day documents, stored like the device replica stores them.
CREATE TABLE doc_chunks (
    doc_key TEXT NOT NULL,                 -- '<point id>/<day>'
    seq     INTEGER NOT NULL,
    bytes   BLOB NOT NULL,
    PRIMARY KEY (doc_key, seq)
) STRICT, WITHOUT ROWID;

-- A frozen wave: one region's orders for one delivery day.
CREATE TABLE waves (
    region_id TEXT NOT NULL REFERENCES regions (id),
    day       TEXT NOT NULL,
    frozen_at INTEGER NOT NULL,
    orders    INTEGER NOT NULL,
    PRIMARY KEY (region_id, day)
) STRICT;

CREATE TABLE purchase_order_lines (
    region_id   TEXT NOT NULL,
    day         TEXT NOT NULL,
    supplier_id TEXT NOT NULL,
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL,
    qty         INTEGER NOT NULL,
    PRIMARY KEY (region_id, day, supplier_id, sku),
    FOREIGN KEY (region_id, day) REFERENCES waves (region_id, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE delivery_sheet_lines (
    region_id TEXT NOT NULL,
    day       TEXT NOT NULL,
    route_id  TEXT NOT NULL,
    point_id  TEXT NOT NULL,
    sku       TEXT NOT NULL,
    name      TEXT NOT NULL,
    qty       INTEGER NOT NULL,
    PRIMARY KEY (region_id, day, route_id, point_id, sku),
    FOREIGN KEY (region_id, day) REFERENCES waves (region_id, day)
) STRICT, WITHOUT ROWID;
