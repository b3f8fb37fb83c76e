-- Counter devices (issue 4): enrolled at one pickup point with a one-time code, known
-- afterwards only by their ed25519 public key (the private key never leaves the
-- device). Sync keeps, per device and document, the automerge sync state that should
-- outlive a connection, and logs every refused message. Times in UTC ms.

-- One-time enrollment codes. The plain code is shown to staff once; only its keyed
-- digest (HMAC-SHA256 under `server_meta.enrollment_key`) is kept, so a copy of the
-- database does not hand out devices.
CREATE TABLE enrollment_codes (
    id             TEXT PRIMARY KEY,              -- UUIDv7
    digest         BLOB NOT NULL UNIQUE CHECK (length(digest) = 32),
    point_id       TEXT NOT NULL REFERENCES points (id),
    created_by     TEXT NOT NULL,                 -- the staff member who asked for it
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    used_by_device TEXT,                          -- the device it enrolled
    CHECK (expires_at > created_at),
    CHECK ((used_at IS NULL) = (used_by_device IS NULL))
) STRICT;
CREATE INDEX enrollment_codes_by_point ON enrollment_codes (point_id, created_at);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,                -- UUIDv7; the `device` of its counter stamps
    point_id     TEXT NOT NULL REFERENCES points (id),
    public_key   BLOB NOT NULL UNIQUE CHECK (length(public_key) = 32),  -- ed25519
    label        TEXT NOT NULL,                   -- e.g. "收银台电脑"
    enrolled_at  INTEGER NOT NULL,
    enrolled_by  TEXT NOT NULL,                   -- the staff member who issued the code
    enrolled_with TEXT NOT NULL REFERENCES enrollment_codes (id),
    revoked_at   INTEGER,
    revoked_by   TEXT,
    last_seen_at INTEGER,                         -- its last accepted sync message
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
) STRICT;
CREATE INDEX devices_by_point ON devices (point_id, enrolled_at);

-- automerge's `sync::State::encode()` per device and document: only the heads both
-- sides share, which is what lets a reconnect send just the missing changes.
CREATE TABLE sync_states (
    device_id TEXT NOT NULL REFERENCES devices (id),
    doc_key   TEXT NOT NULL,                      -- '<point id>/<day>'
    state     BLOB NOT NULL,
    saved_at  INTEGER NOT NULL,
    PRIMARY KEY (device_id, doc_key)
) STRICT, WITHOUT ROWID;

-- Refused sync traffic, for staff and for audits. No foreign keys: an unknown
-- device's claimed id is worth keeping too.
CREATE TABLE sync_refusals (
    id        INTEGER PRIMARY KEY,
    device_id TEXT,
    point_id  TEXT,
    doc_key   TEXT,
    reason    TEXT NOT NULL,                      -- machine code, e.g. 'ownership'
    detail    TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_refusals_by_point ON sync_refusals (point_id, at);
CREATE INDEX sync_refusals_by_device ON sync_refusals (device_id, at);
