-- What the admin web edits: versions so a second save over a stale read is
-- refused (409) instead of overwriting, a reason an applicant sees when staff
-- reject, product categories as records, and product images stored here,
-- content-addressed.

ALTER TABLE products ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE points ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE points ADD COLUMN decision_reason TEXT;

CREATE TABLE categories (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL               -- order in menus, smallest first
) STRICT;
INSERT INTO categories (name, position)
    SELECT category, row_number() OVER (ORDER BY category) FROM products GROUP BY category;

CREATE TABLE images (
    digest       TEXT PRIMARY KEY,          -- SHA-256 of the bytes, hex
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    uploaded_at  INTEGER NOT NULL,
    uploaded_by  TEXT NOT NULL
) STRICT;

-- The overview counts today's orders by when they were placed; the order list
-- pages newest first by (placed_at, id) without sorting a million rows.
CREATE INDEX orders_by_placed ON orders (placed_at, id);
-- Staff find an order by the number the consumer reads out (MMDD-NNNN): a seek,
-- not a scan of every order.
CREATE INDEX orders_by_number ON orders (number);
