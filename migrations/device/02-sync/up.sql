-- Sync with the server (issue 4).

-- The device's ed25519 key pair, drawn on the device at first use; the server
-- only ever holds the public half (from enrollment).
CREATE TABLE device_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    secret     BLOB NOT NULL CHECK (length(secret) = 32),
    created_at INTEGER NOT NULL                -- ms UTC
) STRICT;

-- automerge's persisted sync state per document (`sync::State::encode`: the heads
-- the device knows the server has). Written in the same transaction as the
-- document change it goes with, so it never claims more than the file holds; read
-- on reconnect so that only what the server lacks is sent again.
CREATE TABLE sync_states (
    doc_key TEXT PRIMARY KEY REFERENCES documents (doc_key),
    state   BLOB NOT NULL
) STRICT, WITHOUT ROWID;
