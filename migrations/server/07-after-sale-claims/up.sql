-- After-sale claims (售后) the server opens by itself (issue 4): when a counter's
-- synced delivery check comes up short after acceptance, each order the short line
-- takes units from gets a claim for those units, for staff to refund or re-ship.
-- One claim per order, SKU and reason; a later, shorter count raises its quantity.
CREATE TABLE after_sale_claims (
    id         TEXT PRIMARY KEY,
    point_id   TEXT NOT NULL REFERENCES points (id),
    order_id   TEXT NOT NULL REFERENCES orders (id),
    sku        TEXT NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0),
    reason     TEXT NOT NULL,                -- 'short_delivery'
    status     TEXT NOT NULL DEFAULT 'open',
    device     TEXT,                         -- the device whose sync brought the count
    opened_at  INTEGER NOT NULL,             -- ms UTC
    UNIQUE (order_id, sku, reason)
) STRICT;
CREATE INDEX after_sale_claims_by_point ON after_sale_claims (point_id, opened_at);
