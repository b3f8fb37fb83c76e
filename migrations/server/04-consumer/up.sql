-- The consumer side: what payment providers answered for each order, and an index
-- for the nearby-point search (approved points by latitude band).

-- One row per charge or refund a provider confirmed. Pay-at-pickup orders have none:
-- nothing is charged online, so there is nothing to refund.
CREATE TABLE payments (
    order_id  TEXT NOT NULL REFERENCES orders (id),
    kind      TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
    provider  TEXT NOT NULL,               -- e.g. 'test_provider'
    reference TEXT NOT NULL,               -- the provider's id for this movement
    amount    INTEGER NOT NULL CHECK (amount >= 0),   -- fen
    at        INTEGER NOT NULL,            -- UTC ms
    PRIMARY KEY (order_id, kind)           -- one charge and at most one refund per order
) STRICT, WITHOUT ROWID;

CREATE INDEX points_by_status_lat ON points (status, lat);
