-- Report sums per delivery day (linli_core::report_sums), kept in step with the
-- orders in the same transaction that places an order or moves its status, so the
-- overview and a 30-day report add up a few thousand rows instead of a million
-- orders. The rows are derived: `report_sums.rs` can recount them from the orders.

CREATE TABLE point_day_sums (
    point_id    TEXT NOT NULL,
    day         TEXT NOT NULL,
    orders      INTEGER NOT NULL DEFAULT 0,
    qty         INTEGER NOT NULL DEFAULT 0,
    gmv_fen     INTEGER NOT NULL DEFAULT 0,
    picked_up   INTEGER NOT NULL DEFAULT 0,
    waiting     INTEGER NOT NULL DEFAULT 0,
    waiting_fen INTEGER NOT NULL DEFAULT 0,
    claims      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (point_id, day)
) STRICT, WITHOUT ROWID;
CREATE INDEX point_day_sums_by_day ON point_day_sums (day);
-- The uncollected report reads only the point-days where something waits.
CREATE INDEX point_day_sums_waiting ON point_day_sums (day) WHERE waiting > 0;

CREATE TABLE product_day_sums (
    day     TEXT NOT NULL,
    sku     TEXT NOT NULL,
    name    TEXT NOT NULL,
    orders  INTEGER NOT NULL DEFAULT 0,
    qty     INTEGER NOT NULL DEFAULT 0,
    gmv_fen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, sku)
) STRICT, WITHOUT ROWID;

CREATE TABLE supplier_day_sums (
    day         TEXT NOT NULL,
    supplier_id TEXT NOT NULL,
    orders      INTEGER NOT NULL DEFAULT 0,
    qty         INTEGER NOT NULL DEFAULT 0,
    gmv_fen     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, supplier_id)
) STRICT, WITHOUT ROWID;

-- Orders already stored are counted once, in Rust, when the server next opens the file.
INSERT INTO server_meta (key, value) VALUES ('report_sums', 'recount');
