-- Platform staff who sign in to the admin web. The password is kept only as an
-- argon2id PHC string (salt and parameters inside it), never in plain text.

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,              -- UUIDv7
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'finance')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL                -- UTC ms
) STRICT;
