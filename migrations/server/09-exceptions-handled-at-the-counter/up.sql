-- A counter that marks a conflict handled (a synced counter fact, device
-- migration 04) says so to staff: the exception of that order and kind carries
-- the leader's note, who wrote it on which device, and when. Staff still decide;
-- the exception stays listed. Times in UTC ms (the device's clock).

ALTER TABLE ledger_exceptions ADD COLUMN counter_note TEXT;
ALTER TABLE ledger_exceptions ADD COLUMN counter_leader TEXT;
ALTER TABLE ledger_exceptions ADD COLUMN counter_device TEXT;
ALTER TABLE ledger_exceptions ADD COLUMN counter_handled_at INTEGER;
