-- Conflicts the leader marked handled (the point-day documents' `resolutions` map),
-- projected for the history list. `orders.conflicts` from now on holds only the
-- open ones: the conflicts derived for the order minus those handled here.
CREATE TABLE conflict_resolutions (
    event_id  TEXT PRIMARY KEY,
    order_id  TEXT NOT NULL,
    doc_key   TEXT NOT NULL REFERENCES documents (doc_key),
    conflict  TEXT NOT NULL,                 -- core `status::Conflict::as_str`
    note      TEXT NOT NULL,
    device_id TEXT NOT NULL,
    leader    TEXT NOT NULL,
    at        INTEGER NOT NULL               -- device time, ms UTC
) STRICT;
CREATE INDEX conflict_resolutions_by_order ON conflict_resolutions (order_id);
